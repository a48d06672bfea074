"""The flask commands a fresh install is driven with."""

from cryptography.fernet import Fernet

from webapp.domain.accounts.accounts import hash_api_key
from webapp.extensions import db
from webapp.infra.crypto import decrypt_credentials
from webapp.models import ApiKey, Channel, User


def test_users_create_makes_a_user_with_a_workspace(runner):
    result = runner.invoke(args=["users", "create", "cli@example.test", "--password", "Correct-Horse-42!"])

    assert result.exit_code == 0, result.output
    assert db.session.query(User).filter_by(email="cli@example.test").count() == 1


def test_users_create_refuses_a_weak_password_and_stores_nothing(runner):
    result = runner.invoke(args=["users", "create", "cli@example.test", "--password", "short"])

    assert result.exit_code != 0 and "password" in result.output
    assert db.session.query(User).count() == 0


def test_api_keys_create_prints_the_key_alone_on_the_last_line_and_stores_only_its_hash(runner):
    runner.invoke(args=["users", "create", "cli@example.test", "--password", "Correct-Horse-42!"])

    result = runner.invoke(args=["api-keys", "create", "cli@example.test", "--name", "deploy"])

    assert result.exit_code == 0
    key = result.output.strip().splitlines()[-1]
    assert key.startswith("hrd_") and len(key) > 40
    stored = db.session.query(ApiKey).one()
    assert stored.key_hash == hash_api_key(key) and key not in (stored.prefix, stored.key_hash)


def test_api_keys_create_for_an_unknown_user_fails(runner):
    result = runner.invoke(args=["api-keys", "create", "nobody@example.test"])

    assert result.exit_code != 0 and "no user" in result.output


def test_credentials_rotate_re_encrypts_under_the_newest_key(runner, make, app, monkeypatch):
    old = Fernet.generate_key().decode()
    monkeypatch.setitem(app.config, "CREDENTIALS_KEYS", old)
    channel = make.channel(make.actor(), secret="rotate-me")
    new = Fernet.generate_key().decode()
    monkeypatch.setitem(app.config, "CREDENTIALS_KEYS", f"{new},{old}")

    result = runner.invoke(args=["credentials", "rotate"])

    assert result.exit_code == 0 and "1 channel" in result.output
    monkeypatch.setitem(app.config, "CREDENTIALS_KEYS", new)  # the old key is gone now
    assert decrypt_credentials(db.session.get(Channel, channel.id).credentials_encrypted) == {"secret": "rotate-me"}

"""Password hashes: argon2id (OWASP parameters), scrypt upgraded at sign-in, no timing tell for unknown emails."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from werkzeug.security import generate_password_hash

from webapp.domain.accounts import accounts, passwords
from webapp.extensions import db
from webapp.models import User

PASSWORD = "Correct-Horse-42!"


@pytest.fixture(autouse=True)
def _cheap_password_hashes():
    """The real hasher here (tests/conftest.py swaps in a cheap one everywhere else): these tests are about it."""


def test_new_hashes_are_argon2id_with_owasps_parameters():
    stored = passwords.hash_password(PASSWORD)

    assert stored.startswith("$argon2id$v=19$m=47104,t=1,p=1$")
    assert passwords.verify(stored, PASSWORD) == (True, None)
    assert passwords.verify(stored, "wrong") == (False, None)


def test_a_sign_up_stores_an_argon2id_hash(app):
    user = accounts.create_user("ada@example.test", PASSWORD)

    assert user.password_hash.startswith("$argon2id$")


def test_an_old_scrypt_hash_still_signs_in_and_is_replaced_by_argon2id(app):
    user = accounts.create_user("ada@example.test", PASSWORD)
    user.password_hash = generate_password_hash(PASSWORD)  # what Herald stored before argon2
    db.session.commit()
    assert user.password_hash.startswith("scrypt:32768:8:1$")

    assert accounts.authenticate("ada@example.test", "wrong") is None
    assert db.session.get(User, user.id).password_hash.startswith("scrypt:")  # a wrong password changes nothing

    signed_in = accounts.authenticate("ada@example.test", PASSWORD)
    db.session.commit()

    assert signed_in is not None and signed_in.id == user.id
    db.session.expire_all()
    upgraded = db.session.get(User, user.id).password_hash
    assert upgraded.startswith("$argon2id$") and passwords.verify(upgraded, PASSWORD) == (True, None)


def test_a_hash_with_weaker_argon2_parameters_is_upgraded_too():
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)

    ok, replacement = passwords.verify(weak, PASSWORD)

    assert ok and replacement.startswith("$argon2id$v=19$m=47104,t=1,p=1$")


@pytest.mark.parametrize("stored", ["", "not a hash", "$argon2id$v=19$m=8,t=1,p=1$broken"])
def test_a_damaged_hash_never_matches(stored):
    assert passwords.verify(stored, PASSWORD)[0] is False


def test_an_unknown_email_costs_a_real_password_check(app, monkeypatch):
    # Counted, not timed: the unknown email runs the same argon2 verification a wrong password does.
    checked = []
    real_verify = passwords.verify
    monkeypatch.setattr(passwords, "verify", lambda stored, pw: checked.append(stored) or real_verify(stored, pw))
    accounts.create_user("ada@example.test", PASSWORD)

    assert accounts.authenticate("nobody@example.test", PASSWORD) is None
    assert accounts.authenticate("ada@example.test", "wrong") is None

    parameters = [stored.split("$")[3] for stored in checked]
    assert len(checked) == 2 and parameters == ["m=47104,t=1,p=1"] * 2

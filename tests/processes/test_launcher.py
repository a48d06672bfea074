"""The launcher's pure parts: local defaults, the secret-key file, the Procfile and the Redis decision."""

from __future__ import annotations

import os
import stat
import sys

import pytest
from redis import Redis

from webapp.processes import launcher

TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def test_secret_key_file_is_created_once_readable_by_the_owner_only(tmp_path):
    instance = tmp_path / "instance"

    key = launcher.ensure_secret_key(instance)

    path = instance / "secret_key"
    assert len(key) >= 48
    assert path.read_text().strip() == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in instance.iterdir()] == ["secret_key"]


def test_secret_key_file_is_reused_on_the_next_run(tmp_path):
    first = launcher.ensure_secret_key(tmp_path)

    assert launcher.ensure_secret_key(tmp_path) == first


def test_an_empty_secret_key_file_is_an_error_not_a_new_key(tmp_path):
    (tmp_path / "secret_key").write_text("")

    with pytest.raises(launcher.LauncherError, match="is empty"):
        launcher.ensure_secret_key(tmp_path)


def test_defaults_fill_in_a_first_local_run(tmp_path):
    environ = {"HERALD_INSTANCE_PATH": str(tmp_path)}

    applied = launcher.apply_defaults(environ)

    assert environ["HERALD_ENV"] == "development"
    assert environ["SECRET_KEY"] == (tmp_path / "secret_key").read_text().strip()
    assert environ["PORT"] == "8000"
    assert environ["OUTBOUND_ALLOW_PRIVATE"] == "true" and "production refuses that" in applied[-1]
    assert len(applied) == 4


def test_defaults_do_not_override_what_the_user_set(tmp_path):
    environ = {
        "HERALD_INSTANCE_PATH": str(tmp_path),
        "HERALD_ENV": "testing",
        "SECRET_KEY": "mine",
        "PORT": "9001",
        "OUTBOUND_ALLOW_PRIVATE": "",
    }

    applied = launcher.apply_defaults(environ)

    assert environ == {
        "HERALD_INSTANCE_PATH": str(tmp_path),
        "HERALD_ENV": "testing",
        "SECRET_KEY": "mine",
        "PORT": "9001",
        "OUTBOUND_ALLOW_PRIVATE": "",  # set, even empty: the operator's choice stands
    }
    assert applied == []
    assert not (tmp_path / "secret_key").exists()


def test_production_without_a_secret_key_is_left_to_fail_fast(tmp_path):
    environ = {"HERALD_INSTANCE_PATH": str(tmp_path), "HERALD_ENV": "production"}

    launcher.apply_defaults(environ)

    assert "SECRET_KEY" not in environ and "OUTBOUND_ALLOW_PRIVATE" not in environ
    assert not (tmp_path / "secret_key").exists()


def test_procfile_web_runs_gunicorn_from_this_interpreter_on_port():
    web = launcher.procfile_argv(launcher.read_procfile()["web"], {"PORT": "8123"})

    assert web[:3] == [sys.executable, "-m", "gunicorn"]
    assert "--worker-class" not in web and "--threads" not in web  # gunicorn.conf.py's, from the environment
    assert web[web.index("--bind") + 1] == "0.0.0.0:8123"
    assert web[web.index("--graceful-timeout") + 1] == "5"
    assert "--no-control-socket" in web
    assert web[-1] == "webapp:create_app()"


def test_procfile_declares_the_four_process_types():
    procfile = launcher.read_procfile()

    assert procfile["release"] == "flask --app webapp db upgrade"
    assert launcher.procfile_argv(procfile["worker"], {}) == [sys.executable, "worker.py"]
    assert launcher.procfile_argv(procfile["scheduler"], {}) == [
        sys.executable,
        "-m",
        "flask",
        "--app",
        "webapp",
        "scheduler",
    ]
    assert set(procfile) == {"release", "web", "worker", "scheduler"}


def test_with_bind_replaces_only_the_bind_address():
    argv = ["gunicorn", "--bind", "0.0.0.0:8000", "app"]

    assert launcher.with_bind(argv, "127.0.0.1:8000") == ["gunicorn", "--bind", "127.0.0.1:8000", "app"]


def test_a_redis_that_answers_is_used_as_it_is():
    environ = {"REDIS_URL": TEST_REDIS_URL}

    assert launcher.ensure_redis(environ) is None
    assert environ == {"REDIS_URL": TEST_REDIS_URL}


def test_an_explicit_redis_url_that_does_not_answer_is_an_error():
    environ = {"REDIS_URL": f"redis://127.0.0.1:{launcher.free_port()}/0"}

    with pytest.raises(launcher.LauncherError, match="no Redis answers"):
        launcher.ensure_redis(environ)


def test_an_embedded_redis_starts_when_nothing_answers_and_stops_with_the_app():
    environ: dict[str, str] = {}
    silent = f"redis://127.0.0.1:{launcher.free_port()}/0"

    embedded = launcher.ensure_redis(environ, default_url=silent)

    assert embedded is not None
    try:
        assert environ["REDIS_URL"] == embedded.url
        assert embedded.url.startswith("redis://127.0.0.1:")
        client = Redis.from_url(embedded.url)
        try:
            assert client.ping() is True
            assert client.config_get("save") == {"save": ""}
        finally:
            client.close()
    finally:
        embedded.stop()
    assert not launcher.redis_answers(embedded.url)


def test_the_flask_cli_uses_the_key_the_launcher_keeps_in_the_instance_folder(tmp_path):
    from webapp.config import load_config
    from webapp.processes.launcher import ensure_secret_key

    key = ensure_secret_key(tmp_path)

    config = load_config(str(tmp_path), environ={"HERALD_ENV": "production"})

    assert config["SECRET_KEY"] == key


def test_make_run_starts_two_worker_processes_by_default_and_worker_processes_sets_how_many():
    assert launcher.formation({}) == [
        ("web", "web"),
        ("worker.1", "worker"),
        ("worker.2", "worker"),
        ("scheduler", "scheduler"),
    ]
    assert launcher.formation({"WORKER_PROCESSES": "1"}) == [
        ("web", "web"),
        ("worker", "worker"),
        ("scheduler", "scheduler"),
    ]
    assert [name for name, _ in launcher.formation({"WORKER_PROCESSES": "3"})].count("worker.3") == 1


def test_a_worker_processes_setting_that_is_not_a_number_stops_the_launcher_with_its_name():
    with pytest.raises(launcher.LauncherError, match="WORKER_PROCESSES='many'"):
        launcher.formation({"WORKER_PROCESSES": "many"})

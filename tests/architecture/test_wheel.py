"""The wheel runs: it carries the templates, static files and migrations, and serves them outside the checkout.

Builds the wheel with the venv's own build backend (no network), installs it into a temp folder, and from a temp
working directory with only that folder on PYTHONPATH migrates a fresh SQLite database and serves pages.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

CHECKOUT = Path(__file__).resolve().parents[2]
BUNDLE = "webapp/_bundle"

# Runs in the installed wheel's world: cwd outside the checkout, PYTHONPATH the install target only.
SERVE = """
import json, sys
from pathlib import Path

import webapp

target = Path(sys.argv[1]).resolve()
assert Path(webapp.__file__).resolve().is_relative_to(target), webapp.__file__
app = webapp.create_app()
client = app.test_client()
sign_in = client.get("/signin")
htmx = client.get("/static/vendor/{htmx}")
print(json.dumps({{
    "webapp": webapp.__file__,
    "resources": str(webapp.resources()),
    "template_folder": app.jinja_loader.searchpath[0],
    "static_folder": app.static_folder,
    "migrations": app.extensions["migrate"].directory,
    "sign_in": [sign_in.status_code, sign_in.get_data(as_text=True)],
    "htmx": [htmx.status_code, htmx.get_data().hex()],
}}))
htmx.close()
"""


def run(argv: list[str], **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, **kwargs)
    assert done.returncode == 0, f"{argv} exited {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


def checkout_files(*folders: str) -> set[str]:
    """The files under these top-level folders, as paths relative to the checkout (no bytecode)."""
    return {
        path.relative_to(CHECKOUT).as_posix()
        for folder in folders
        for path in (CHECKOUT / folder).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    if importlib.util.find_spec("hatchling") is None:  # the `dev` extra installs it
        pytest.skip("the build backend (hatchling) is not installed in this environment")
    out = tmp_path_factory.mktemp("wheel")
    run(
        [sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "--no-build-isolation", "-q", "-w", str(out)],
        cwd=CHECKOUT,
    )
    (built,) = out.glob("herald-*.whl")
    return built


def test_the_wheel_carries_the_package_templates_static_files_and_migrations(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())

    assert f"{BUNDLE}/templates/base.html" in names
    assert f"{BUNDLE}/templates/sessions/sign_in.html" in names
    assert any(name.startswith(f"{BUNDLE}/static/vendor/htmx-") and name.endswith(".js") for name in names)
    assert f"{BUNDLE}/static/herald.css" in names
    assert f"{BUNDLE}/migrations/env.py" in names
    assert f"{BUNDLE}/migrations/alembic.ini" in names
    assert f"{BUNDLE}/migrations/script.py.mako" in names
    assert any(name.startswith(f"{BUNDLE}/migrations/versions/") and name.endswith(".py") for name in names)
    assert "webapp/domain/publishing/__init__.py" in names
    assert "webapp/web/views/__init__.py" in names
    # Every file of the checkout's package and top-level folders, the latter under the bundle.
    assert checkout_files("webapp") <= names
    assert {f"{BUNDLE}/{name}" for name in checkout_files("templates", "static", "migrations")} <= names
    # Nothing else from the checkout, and no bytecode.
    assert {name.split("/")[0] for name in names} == {"webapp", wheel.name.split("-py3")[0] + ".dist-info"}
    assert not [name for name in names if name.endswith(".pyc") or "__pycache__" in name]


def test_the_installed_wheel_migrates_and_serves_outside_the_checkout(wheel, tmp_path):
    target, cwd = tmp_path / "site", tmp_path / "elsewhere"
    cwd.mkdir()
    run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)])
    database = tmp_path / "herald.db"
    # Only what the app reads: nothing from this test session's environment (HERALD_*, DATABASE_URL, PYTHONPATH).
    env = {name: os.environ[name] for name in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR") if name in os.environ}
    env.update(
        PYTHONPATH=str(target),
        HERALD_ENV="production",
        SECRET_KEY="wheel-test-secret",
        HERALD_INSTANCE_PATH=str(tmp_path / "instance"),
        DATABASE_URL=f"sqlite:///{database}",
        REDIS_URL="redis://127.0.0.1:9/0",  # nothing listens: migrating and these pages need no Redis
    )

    run([sys.executable, "-m", "flask", "--app", "webapp", "db", "upgrade"], cwd=cwd, env=env)

    from alembic.script import ScriptDirectory

    head = ScriptDirectory(str(CHECKOUT / "migrations")).get_current_head()
    with sqlite3.connect(database) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [(head,)]
        assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'publications'").fetchone() == (1,)

    (htmx,) = (CHECKOUT / "static" / "vendor").glob("htmx-2*.js")
    done = run([sys.executable, "-c", SERVE.format(htmx=htmx.name), str(target)], cwd=cwd, env=env)
    served = json.loads(done.stdout.strip().splitlines()[-1])

    bundle = target.resolve() / "webapp" / "_bundle"
    assert Path(served["webapp"]).resolve() == target.resolve() / "webapp" / "__init__.py"
    assert Path(served["resources"]) == bundle
    assert Path(served["template_folder"]) == bundle / "templates"
    assert Path(served["static_folder"]) == bundle / "static"
    assert Path(served["migrations"]) == bundle / "migrations"
    status, page = served["sign_in"]
    assert status == 200
    assert "<!doctype html>" in page and 'name="password"' in page and "Sign in" in page
    assert f"/static/vendor/{htmx.name}" in page  # base.html, with the static URL it names served below
    status, body = served["htmx"]
    assert status == 200
    assert bytes.fromhex(body) == htmx.read_bytes()


def test_a_checkout_serves_its_own_live_files():
    import webapp

    assert webapp.resources() == CHECKOUT

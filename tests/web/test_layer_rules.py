"""webapp/web is HTTP only: it builds no query and commits nothing, it calls a domain function.

So no module under webapp/web imports SQLAlchemy (or Flask-SQLAlchemy) or the `db` handle, and none calls
`.commit()`. Domain functions (webapp/domain) do the queries, scoped to the actor's workspace, and commit.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

WEB = Path(__file__).resolve().parents[2] / "webapp" / "web"
FORBIDDEN_PACKAGES = ("sqlalchemy", "flask_sqlalchemy")
MODULES = sorted(WEB.rglob("*.py"))


def _name(path: Path) -> str:
    return str(path.relative_to(WEB.parent.parent))


def problems(source: str) -> list[str]:
    """What in this module's source breaks the web layer's rules, one line each."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [
                f"line {node.lineno}: import {alias.name}"
                for alias in node.names
                if alias.name.split(".")[0] in FORBIDDEN_PACKAGES
            ]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] in FORBIDDEN_PACKAGES:
                found.append(f"line {node.lineno}: from {node.module} import ...")
            elif node.module == "webapp.extensions" and any(alias.name == "db" for alias in node.names):
                found.append(f"line {node.lineno}: from webapp.extensions import db")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "commit":
            found.append(f"line {node.lineno}: .commit()")
    return found


def test_the_web_package_has_modules_to_check():
    assert len(MODULES) > 20 and WEB / "auth.py" in MODULES and WEB / "api" / "__init__.py" in MODULES


@pytest.mark.parametrize("module", MODULES, ids=_name)
def test_a_web_module_builds_no_query_and_commits_nothing(module: Path):
    assert problems(module.read_text()) == [], f"{_name(module)}: call a domain function instead"


@pytest.mark.parametrize(
    "source",
    [
        "import sqlalchemy",
        "import sqlalchemy.orm as orm",
        "from sqlalchemy import select",
        "from sqlalchemy.orm import selectinload",
        "from flask_sqlalchemy import SQLAlchemy",
        "from webapp.extensions import csrf, db",
        "def f(work):\n    work.commit()",
    ],
)
def test_the_rule_catches_each_way_in(source: str):
    assert problems(source)


def test_the_rule_lets_the_allowed_imports_through():
    allowed = "from webapp.extensions import csrf, login_manager\nfrom urllib.parse import urlsplit\nurlsplit('').query"
    assert problems(allowed) == []

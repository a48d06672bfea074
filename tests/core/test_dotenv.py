"""A .env beside the checkout is read at start: its settings fill what the environment leaves unset."""

from __future__ import annotations

import re
from pathlib import Path

from webapp.config import DOTENV, read_dotenv

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / ".env"
    path.write_text(text)
    return str(path)


def test_the_file_fills_unset_variables_and_set_ones_win(tmp_path):
    environ = {"HERALD_DOTENV": write(tmp_path, "REDIS_URL=redis://cache:6379/3\nPORT=9000\n"), "PORT": "8123"}

    applied = read_dotenv(environ)

    assert applied == ["REDIS_URL"]
    assert environ["REDIS_URL"] == "redis://cache:6379/3" and environ["PORT"] == "8123"


def test_an_empty_value_or_a_commented_line_counts_as_unset(tmp_path):
    environ = {"HERALD_DOTENV": write(tmp_path, "SECRET_KEY=\n# DATABASE_URL=postgresql://db/herald\n")}

    assert read_dotenv(environ) == [] and "SECRET_KEY" not in environ and "DATABASE_URL" not in environ


def test_off_and_the_test_environment_read_no_file(tmp_path):
    path = write(tmp_path, "PORT=9000\n")
    assert read_dotenv({"HERALD_DOTENV": "off"}) == []
    assert read_dotenv({"HERALD_DOTENV": path, "HERALD_ENV": "testing"}) == []


def test_by_default_the_file_beside_the_checkout_is_read():
    assert DOTENV == ROOT / ".env"
    assert ".env" in (ROOT / ".gitignore").read_text().split()  # a developer's secrets never get committed


def test_the_example_lists_every_setting_config_reads_and_copying_it_changes_nothing(tmp_path):
    config = (ROOT / "webapp" / "config.py").read_text()
    read = set(re.findall(r'(?:environ\.get|env_int|env_bool|env_choice)\(\s*"([A-Z0-9_]+)"', config))
    example = (ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^# ([A-Z0-9_]+)=", example, re.MULTILINE))
    assert read - listed - {"HERALD_DOTENV"} == set()  # which file to read is said in its header
    environ = {"HERALD_DOTENV": str(ROOT / ".env.example")}
    assert read_dotenv(environ) == []  # every line is a commented default: uncomment what you change

# Herald's everyday commands. The README's Quick start is `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: install run test lint bench

# Reinstall only when pyproject.toml changes; the stamp lives inside the venv it describes.
install: $(VENV)/.herald-installed

$(VENV)/.herald-installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check -q -e '.[dev]'
	touch $@

run: install
	$(PY) -m webapp.launcher

# pytest exits 5 when it collected no tests: that is a failure here, never a green run.
test: install
	scripts/test-deps
	$(PY) -m pytest $(PYTEST_ARGS); status=$$?; \
	if [ $$status -eq 5 ]; then echo "make test: pytest ran no tests" >&2; exit 1; fi; \
	exit $$status

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: install
	$(PY) bench/lateness.py

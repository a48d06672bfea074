# Herald's everyday commands. The README's Quick start is `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: install run test lint bench scale

# Reinstall only when pyproject.toml changes; the stamp lives inside the venv it describes.
install: $(VENV)/.herald-installed

$(VENV)/.herald-installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check -q -e '.[dev]'
	touch $@

run: install
	$(PY) -m webapp.processes.launcher

# pytest exits 5 when it collected no tests: that is a failure here, never a green run.
test: install
	scripts/test-deps
	$(PY) -m pytest $(PYTEST_ARGS); status=$$?; \
	if [ $$status -eq 5 ]; then echo "make test: pytest ran no tests" >&2; exit 1; fi; \
	exit $$status

# Style, then the house rules: the import contracts in .importlinter (docs/architecture.md).
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-logo --no-cache

# Each bench prints its figures beside the reference stack's; about 6 minutes in all on 2 cores. A failed bench
# does not stop the next one (the target still fails); Ctrl-C (exit >= 128) stops the sequence.
bench: install
	@status=0; for bench in "lateness.py" "load.py --scenarios spread,burst" "scheduler_move.py"; do \
		echo "== make bench: bench/$$bench"; \
		$(PY) bench/$$bench; code=$$?; \
		if [ $$code -ge 128 ]; then exit $$code; fi; \
		if [ $$code -ne 0 ]; then status=1; fi; \
	done; exit $$status

# 100,000 publications in one workspace on PostgreSQL (127.0.0.1:5432, user postgres; it creates and drops the
# database herald_bench_scale): page server times, a bulk retry of 10,000, 200 SSE clients. About 2 minutes.
scale: install
	$(PY) bench/scale.py

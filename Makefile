# Herald's everyday commands. The README's Quick start is `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: install run test lint bench scale lock lock-check audit

# Reinstall only when the lock changes; the stamp lives inside the venv it describes. Every package comes from
# requirements.lock, pinned with its hashes (pip refuses a file whose hash is not listed), then Herald itself,
# editable, with no dependency of its own resolved and the locked hatchling as its build backend.
install: $(VENV)/.herald-installed

$(VENV)/.herald-installed: requirements.lock pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check -q --require-hashes -r requirements.lock
	$(PY) -m pip install --disable-pip-version-check -q --no-deps --no-build-isolation -e .
	touch $@

# The lock (README: Reproducible installs): `make lock` after changing pyproject.toml's dependencies. Versions and
# hashes are PyPI's: a machine's own pip configuration (mirrors, find-links) is kept out so the lock is the same
# everywhere. `make lock-check` (CI's lint step) recompiles into a copy and fails when it differs: the lock is
# stale. pip-compile keeps the pins a lock already has, so a new upstream release alone never makes it stale.
# Extras stay on their pins (`cachecontrol[filecache]==…`): pip's hash-checking install resolves a locked package's
# `dep[extra]>=x` apart from a bare `dep==y` pin, to the newest release, and refuses it as unpinned (it broke every
# fresh install the day cachecontrol 0.15.0 came out).
LOCK_ENV := env -u PIP_FIND_LINKS -u PIP_EXTRA_INDEX_URL -u PIP_INDEX_URL -u PIP_CONSTRAINT PIP_CONFIG_FILE=/dev/null \
	CUSTOM_COMPILE_COMMAND="make lock"
LOCK_ARGS := --quiet --generate-hashes --extra dev --no-strip-extras --allow-unsafe --no-emit-find-links \
	--no-emit-index-url --index-url https://pypi.org/simple
lock:
	$(LOCK_ENV) $(VENV)/bin/pip-compile $(LOCK_ARGS) --output-file requirements.lock pyproject.toml

lock-check: install
	@tmp=$$(mktemp -d) && cp requirements.lock $$tmp/requirements.lock && \
	$(LOCK_ENV) $(VENV)/bin/pip-compile $(LOCK_ARGS) --output-file $$tmp/requirements.lock pyproject.toml 2>/dev/null && \
	if diff -u requirements.lock $$tmp/requirements.lock; then rm -r $$tmp; echo "lock-check: requirements.lock is up to date"; \
	else rm -r $$tmp; echo "lock-check: requirements.lock is stale against pyproject.toml: run make lock" >&2; exit 1; fi

# Known vulnerabilities in the locked packages (PyPI's advisory data, so it needs the network). A vulnerability
# fails; one that is accepted for a while goes in .ci/audit-ignore (its id, a reason, a date to look again).
# A package the advisory service cannot answer for is reported; AUDIT_STRICT=1 makes that a failure too.
audit: install
	$(VENV)/bin/pip-audit -r requirements.lock --require-hashes --disable-pip --progress-spinner off \
		$$(grep -oE '^[A-Za-z0-9._-]+' .ci/audit-ignore | sed 's/^/--ignore-vuln /') \
		$(if $(filter 1,$(AUDIT_STRICT)),--strict,)

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

# Each bench prints its figures beside the reference stack's (issue 16's too: 300 posts against a 200 ms platform,
# the fairness scenario, CPU per publication); about 12 minutes in all on 2 cores. A failed bench
# does not stop the next one (the target still fails); Ctrl-C (exit >= 128) stops the sequence.
bench: install
	@status=0; for bench in "lateness.py" "load.py --scenarios spread,burst" "scheduler_move.py" \
		"load.py --scenarios burst --n 300 --latency-ms 200" "load.py --scenarios fair --n 100" \
		"execute_path.py --through-rq"; do \
		echo "== make bench: bench/$$bench"; \
		$(PY) bench/$$bench; code=$$?; \
		if [ $$code -ge 128 ]; then exit $$code; fi; \
		if [ $$code -ne 0 ]; then status=1; fi; \
	done; exit $$status

# 1,000,000 publications in one workspace on PostgreSQL (127.0.0.1:5432, user postgres; it creates and drops the
# database herald_bench_scale), seeded with COPY: page server times (dashboard, job monitor, calendar month), a
# bulk retry of 10,000, 1,000 SSE clients. About 8 minutes.
scale: install
	$(PY) bench/scale.py

# The UI's languages (README: Languages). `make translations` extracts every marked string into
# webapp/translations/messages.pot and merges it into each language's messages.po (new strings arrive empty, no
# fuzzy guesses: tests/web/i18n/test_catalogs.py fails until each is translated); `catalogs` compiles the .po
# files to the .mo files the app reads (not committed), as part of install, so run and test have them.
BABEL := $(VENV)/bin/pybabel
.PHONY: translations catalogs
install: catalogs
catalogs: $(VENV)/.herald-installed
	$(BABEL) -q compile -d webapp/translations

translations: install
	$(BABEL) -q extract -F babel.cfg -k lazy_gettext -k Phrase -k Sentence --no-location --sort-output --omit-header \
		-o webapp/translations/messages.pot .
	$(BABEL) -q update -i webapp/translations/messages.pot -d webapp/translations --no-fuzzy-matching \
		--ignore-obsolete

# The two commands of the README: `make serve` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: serve test test-fast lint typecheck pytest lock clean

# Let Python keep compiled modules even where the environment asks it not to: the tests start
# Railbook and the CLI as processes dozens of times, and with PYTHONDONTWRITEBYTECODE set each of
# them (and each test worker) compiled every module from source again (docs/decisions.md).
unexport PYTHONDONTWRITEBYTECODE

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

serve: $(STAMP)
	$(BIN)/railbook db upgrade
	$(BIN)/railbook serve

test: $(STAMP) lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

# Tests run in parallel processes (each with its own databases); the few that disturb what the
# others share (a PostgreSQL restart) run alone afterwards, collected from their own files only (a
# collection of the whole suite cost that run ~9 s).
PYTEST_WORKERS ?= 4
pytest: $(STAMP)
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup -m "not exclusive" --durations=15
	$(BIN)/pytest -m exclusive $$(grep -rl --include='*.py' 'mark.exclusive' tests || echo tests)

# The inner loop: SQLite only, no test that starts a process; ruff, mypy and import rules included.
test-fast: $(STAMP) lint typecheck
	RAILBOOK_TEST_DATABASES=sqlite RAILBOOK_TEST_NO_SUBPROCESSES=1 \
		$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup -m "not exclusive and not subprocess"

# Regenerate the pinned lock file after changing pyproject.toml.
lock:
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 \
		--python-platform x86_64-unknown-linux-gnu -o requirements.lock

clean:
	rm -rf $(VENV) .railbook

# Benchmarks (issue 7), not part of `make test`: Railbook under wrk against a bare FastAPI baseline.
# `make bench ARGS=--quick` for a smoke run; `make bench-postgres` (or ARGS="--db postgres") on PostgreSQL.
.PHONY: bench bench-postgres soak
bench: $(STAMP)
	command -v wrk >/dev/null || apt-get install -y wrk || (apt-get update && apt-get install -y wrk)
	$(BIN)/python -m bench $(ARGS)

bench-postgres:
	$(MAKE) bench ARGS="--db postgres $(ARGS)"

# 10 minutes of mixed traffic at a fixed rate: exits non-zero on any error or growing memory.
# `make soak ARGS="--db postgres"`, `ARGS="--minutes 2 --rate 50"` for a shorter run.
soak: $(STAMP)
	$(BIN)/python -m bench.soak $(ARGS)

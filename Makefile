# The README's two commands: `make run` and `make test`. Both bootstrap .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench bench-broadcast clean chromium

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/kume run

# pytest exits 5 when it collected no test (e.g. a -k filter matched none): say so, not fail.
# Four workers (pytest-xdist) even on two cores: the suite mostly waits on sockets and
# subprocesses, not the CPU (about 13 minutes in one process, 5 in four). TEST_WORKERS=0
# runs it in one process.
TEST_WORKERS ?= 4
test: $(STAMP) chromium
	$(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS) || { rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "pytest: no tests were collected"; exit 0; fi; exit $$rc; }

# lint-imports: the import contracts in pyproject.toml ([tool.importlinter]); --no-cache leaves
# no cache directory in the checkout (a full check takes a fraction of a second).
# mypy: [tool.mypy] in pyproject.toml (its cache stays in .venv; a warm run takes seconds).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache --no-logo
	$(BIN)/mypy

# Reports on a whole plan history at 1× and 10× (a few minutes), updates a second beside a bare
# echo bot (BENCH_DB=postgresql://… adds PostgreSQL; a few minutes), /rapor through `kume run`
# and its memory (a minute or two), then a 10,000-member broadcast
# at Telegram's limits with the bot killed half way (about six minutes).
bench: $(STAMP)
	$(BIN)/python -m bench.run --scale 1 --scale 10
	$(BIN)/python -m bench.throughput $(if $(BENCH_DB),--db $(BENCH_DB))
	$(BIN)/python -m bench.report_bot
	$(BIN)/python -m bench.broadcast

bench-broadcast: $(STAMP)
	$(BIN)/python -m bench.broadcast $(BENCH_ARGS)

.PHONY: bench-mail
bench-mail: $(STAMP)
	$(BIN)/python -m bench.mail $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis

# The portal's browser tests (tests/web/test_browser.py) drive Debian's chromium through
# Playwright; installed here when missing (as root, or with password-less sudo). Where it cannot
# be, the tests say why and are skipped; nothing else depends on it.
chromium:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; \
	  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO=sudo; \
	  else echo "chromium is missing and cannot be installed here (not root): browser tests skipped"; exit 0; fi; \
	  echo "installing Debian's chromium for the browser tests"; \
	  $$SUDO apt-get update -qq -o DPkg::Lock::Timeout=300 && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq -o DPkg::Lock::Timeout=300 \
	    chromium >/dev/null \
	  || echo "chromium could not be installed: browser tests skipped"; }

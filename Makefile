# Fresh machine: `make run` sets up and starts the playground; `make test` sets up and runs the suite.
# Every Python install comes from the lock files in requirements/ (requirements/README.md).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
RUN_STAMP := $(VENV)/.stamp-run
DEV_STAMP := $(VENV)/.stamp-dev
CLIENTS := aws-cli-2024-01 aws-cli-2024-12
CLIENT_STAMPS := $(CLIENTS:%=$(VENV)/clients/%/.stamp)
PIP_INSTALL = -m pip install --quiet --disable-pip-version-check --require-hashes

.PHONY: setup setup-dev run test lint format bench upgrade clean

# What running needs: the runtime lock, this checkout on the path, the GUI's npm packages.
$(RUN_STAMP): requirements/run.txt package-lock.json
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) $(PIP_INSTALL) -r requirements/run.txt
	$(PY) scripts/link_checkout.py
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# What testing adds: the dev lock, Debian's chromium (browser tests never download a browser),
# Debian's bubblewrap (the namespaces Lambda runs function code in; the isolation tests need it),
# and the older aws CLI generations the gateway must keep answering.
$(DEV_STAMP): $(RUN_STAMP) requirements/dev.txt
	command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }
	command -v bwrap >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap; }
	$(PY) $(PIP_INSTALL) -r requirements/dev.txt
	touch $@

$(VENV)/clients/%/.stamp: requirements/%.txt | $(RUN_STAMP)
	test -x $(VENV)/clients/$*/bin/python || $(PYTHON) -m venv $(VENV)/clients/$*
	$(VENV)/clients/$*/bin/python $(PIP_INSTALL) -r requirements/$*.txt
	touch $@

setup: $(RUN_STAMP)

setup-dev: $(DEV_STAMP) $(CLIENT_STAMPS)

run: setup
	$(PY) -m playground.launcher run

test: setup-dev
	$(PY) -m playground.launcher test $(PYTEST_ARGS)

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .

format: $(DEV_STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: $(DEV_STAMP)
	$(PY) -m bench $(BENCH_ARGS)

# Re-resolve the lock to the newest releases pyproject.toml allows; it changes only if the whole
# suite passes with them (scripts/upgrade_lock.py).
upgrade: $(DEV_STAMP) $(CLIENT_STAMPS)
	$(PY) scripts/upgrade_lock.py $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) node_modules static/vendor var

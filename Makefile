# One entry point for every command. `make help` lists them.
# The api runs on Python 3.11 (.venvs/api); the bot needs Python 3.10 for Rasa 3.6.21 (.venvs/bot).

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PY311 ?= $(shell for p in python3.11 python3; do $$p -c 'import sys; assert sys.version_info[:2] >= (3, 11)' 2>/dev/null && command -v $$p && break; done)
PY310 ?= $(shell for p in python3.10 /root/.pyenv/versions/3.10.13/bin/python; do $$p -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null && { command -v $$p || echo $$p; } && break; done)

API := .venvs/api/bin
BOT := .venvs/bot/bin
API_STAMP := .venvs/api/.installed
BOT_STAMP := .venvs/bot/.installed
TMP := data/tmp
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 3
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# pytest workers for the tests that need no Rasa (tests/e2e and tests/browser run after, on E2E_WORKERS).
# The two runs split by folder, so together they run every test exactly once. `--dist load` (by item, not
# `loadfile`/`loadscope`, which key items by node id): schemathesis gives every operation of a test the same
# node id, and the keyed schedulers silently ran one operation per test instead of all of them.
PYTEST_WORKERS ?= auto
E2E_TESTS := tests/e2e tests/browser
# tests/e2e and tests/browser on 2 workers: their time is mostly real stacks starting and answering, with the
# CPU far from busy. `--dist loadgroup` keeps each stack's tests on one worker (tests/conftest.py marks them:
# every test on the session's shared stack in one group, every other module, and each value of a
# module-scoped parameter, in one of its own), so no stack starts twice; the model is trained first (`train`),
# never by two workers at once.
E2E_WORKERS ?= 2

.PHONY: help env run run-scaled test check system-deps test-fast test-e2e lint format types migrations bot-validate train bot-test pytest bench lock-api lock-bot clean flows nlu-report nlu-check answers-report answers-stack-report

help: ## list the commands
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(API_STAMP): requirements/api.lock
	@PY311="$(PY311)" tools/system_deps.sh python
	@py="$(PY311)"; py="$${py:-$$(command -v python3.11 || true)}"; \
		test -n "$$py" || { echo "Python 3.11 or newer is needed for the api" >&2; exit 1; }; \
		echo "$$py -m venv .venvs/api"; "$$py" -m venv .venvs/api
	$(API)/pip install --quiet -r requirements/api.lock
	touch $@

$(BOT_STAMP): requirements/bot.lock
	@test -n "$(PY310)" || { echo "Python 3.10 is needed for the bot (Rasa 3.6.21 supports 3.8-3.10 only)" >&2; exit 1; }
	$(PY310) -m venv .venvs/bot
	$(BOT)/pip install --quiet -r requirements/bot.lock
	touch $@

env: $(API_STAMP) $(BOT_STAMP) ## create both environments (idempotent: does nothing when up to date)

run: env ## run the whole service on 127.0.0.1 (SQLite under data/); Ctrl-C stops it
	APP_ENV=development $(API)/python -m tools.run

run-scaled: env ## the scaled-out stack (README "Scaled out"): PostgreSQL, Redis, 2 api, 2 Rasa, 2 action servers and the worker behind nginx on 127.0.0.1:8080
	@tools/system_deps.sh scaled
	APP_ENV=development $(API)/python -m tools.run_scaled

system-deps: ## the Debian packages `make test` needs (PostgreSQL, Chromium, Noto): installs them as root, else says what to run
	@tools/system_deps.sh python test

test: system-deps env lint types migrations bot-validate nlu-check train bot-test pytest ## everything CI runs
	@echo "make test: all checks passed"

check: env lint types test-fast ## the fast loop: lint, types, unit and integration tests in parallel (no Rasa, no browser)
	@echo "make check: all checks passed (the end-to-end and browser tests run in make test)"

LINTED := api bot flowkit tools tests load

lint: $(API_STAMP) ## ruff check and format check (bot/ and flowkit/ as Python 3.10)
	$(API)/ruff check $(LINTED)
	$(API)/ruff format --check $(LINTED)

format: $(API_STAMP) ## apply ruff's formatting and fixes
	$(API)/ruff format $(LINTED)
	$(API)/ruff check --fix $(LINTED)

types: $(API_STAMP) $(BOT_STAMP) ## mypy (strict): api/; flowkit/ as Python 3.10; bot/ as Python 3.10 against the bot environment's Rasa SDK
	$(API)/mypy
	$(API)/mypy --python-version 3.10 flowkit
	$(API)/mypy --python-version 3.10 --python-executable $(BOT)/python bot

migrations: $(API_STAMP) ## apply every migration to an empty database, then check models and migrations agree
	mkdir -p $(TMP) && rm -f $(TMP)/migrations.db*
	APP_ENV=test DATABASE_URL=sqlite+aiosqlite:///$(TMP)/migrations.db $(API)/alembic upgrade head
	APP_ENV=test DATABASE_URL=sqlite+aiosqlite:///$(TMP)/migrations.db $(API)/alembic check

bot-validate: $(BOT_STAMP) ## rasa data validate
	$(BOT)/rasa data validate --data bot/data --domain bot/domain --config bot/config.yml

train: env ## train the bot if its data changed (the model name carries the data's hash)
	$(API)/python -m tools.model

bot-test: train ## Rasa conversation tests (bot/tests), with the inner parts the served bot runs (bot/server/serve.py)
	$(BOT)/python -m bot.server.serve test core --model "$$($(API)/python -m tools.model)" --stories bot/tests \
		--out $(TMP)/rasa-results --fail-on-prediction-errors

flows: $(API_STAMP) ## after changing flows/: the JSON Schema, the bot's generated domain, rules and responses, the test stories
	$(API)/python -m api.flow schema
	$(API)/python -m tools.gen_bot
	$(API)/python -m tests.flows.stories

nlu-report: env ## NLU cross-validation of the multilingual model, per language and intent (a report)
	$(API)/python -m tools.nlu_report

answers-report: $(API_STAMP) ## answers typed in words, per language and answer type: stored right, confirmed, asked again, wrong (tests/fixtures/answers)
	$(API)/python -m tools.answers_report

ANSWERS_STACK_MINUTES ?= 40
answers-stack-report: env ## the same answers typed through the public chat API of a real stack (api, Rasa, actions): the same table (bounded by ANSWERS_STACK_MINUTES)
	$(API)/python -m tools.model
	$(API)/python -m tools.answers_stack --minutes $(ANSWERS_STACK_MINUTES)

nlu-check: env ## NLU cross-validation per language: fails below 85% (target 90%) or on an emergency missed by both the classifier and the danger phrases
	@mkdir -p $(TMP)
	@status=0; $(API)/python -m tools.nlu_report --check --out $(TMP)/nlu-report.md > /dev/null || status=$$?; \
		sed -n '/^| language/,/^$$/p' $(TMP)/nlu-report.md; exit $$status

pytest: test-fast test-e2e ## unit, integration, end-to-end and browser tests (pytest exits non-zero when no test ran)

test-fast: $(API_STAMP) ## unit and integration tests: all but tests/e2e and tests/browser, in parallel (PYTEST_WORKERS=auto)
	$(API)/python -m pytest -n $(PYTEST_WORKERS) --dist load $(addprefix --ignore=,$(E2E_TESTS))

test-e2e: train ## end-to-end and browser tests through the real processes (api, worker, Rasa, action server, Chromium)
	$(API)/python -m pytest -n $(E2E_WORKERS) --dist loadgroup $(E2E_TESTS)

# BENCH_SECONDS=10 make bench: a quick run (each locust measurement 10 s instead of the runners' defaults).
bench: env ## benchmarks in load/ (see load/README.md); BENCH_SECONDS=10 for a quick run
	$(API)/python load/bench_triage.py
	$(API)/python load/bench_queue.py
	$(API)/python load/bench_hub.py
	$(API)/python load/run_chat_slice.py $(if $(BENCH_SECONDS),--seconds $(BENCH_SECONDS))
	$(API)/python load/run_sms_inbound.py $(if $(BENCH_SECONDS),--seconds $(BENCH_SECONDS))
	$(API)/python load/run_doors.py $(if $(BENCH_SECONDS),--seconds $(BENCH_SECONDS))

lock-api: ## re-resolve requirements/api.in into requirements/api.lock
	rm -rf $(TMP)/lock && mkdir -p $(TMP) && $(PY311) -m venv $(TMP)/lock && $(TMP)/lock/bin/pip install --quiet -r requirements/api.in
	(echo "# Generated by 'make lock-api' from requirements/api.in on Python 3.11. Do not edit by hand."; \
	 $(TMP)/lock/bin/pip freeze --all | grep -vE '^(pip|setuptools|wheel)==') > requirements/api.lock

lock-bot: ## re-resolve requirements/bot.in into requirements/bot.lock
	rm -rf $(TMP)/lock && mkdir -p $(TMP) && $(PY310) -m venv $(TMP)/lock && $(TMP)/lock/bin/pip install --quiet -r requirements/bot.in
	(echo "# Generated by 'make lock-bot' from requirements/bot.in on Python 3.10. Do not edit by hand."; \
	 $(TMP)/lock/bin/pip freeze --all | grep -vE '^(pip|setuptools|wheel)==') > requirements/bot.lock

clean: ## remove environments, trained models and local data (asks nothing: data/ is development data only)
	rm -rf .venvs data .mypy_cache .ruff_cache .pytest_cache

# `make run`: the CRM with demo data on the embedded default (SQLite, no broker server).
# `make test`: the whole suite. Both use DATABASE_URL / REDIS_URL when they are set.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_CUSTOMERS ?= 2000
export DJANGO_SETTINGS_MODULE ?= dealer_crm.settings.local

.PHONY: run test setup migrate messages check-deploy clean mutate

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall only when the requirements change.
$(VENV)/.installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

setup: $(VENV)/.installed

migrate: setup
	$(BIN)/python manage.py migrate --no-input

# The web server, plus a Celery worker with the beat scheduler embedded, so scheduled jobs run.
# Ctrl-C stops all of them.
run: migrate
	$(BIN)/python manage.py seed_demo --customers $(DEMO_CUSTOMERS) --if-empty
	@echo "Open http://$(HOST):$(PORT)/ and log in with one of the accounts above."
	$(BIN)/celery -A dealer_crm worker --beat --loglevel=INFO --concurrency=2 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# The suite runs on TEST_WORKERS processes (pytest-xdist), each on its own test database; `--dist load`
# hands out the tests in pytest-django's order (the transactional tests last in every process).
# TEST_WORKERS=0 runs it in this one process.
TEST_WORKERS ?= 2
test: setup
	DJANGO_SETTINGS_MODULE=dealer_crm.settings.test $(BIN)/pytest -n $(TEST_WORKERS) --dist load $(PYTEST_ARGS)

# Mutation testing of the rule modules (setup.cfg [mutmut]; not in CI): needs PostgreSQL in
# DATABASE_URL. Copies the tree to mutants/ (git-ignored), prints the score, then removes it.
# Survivors are reviewed in docs/mutation.md; `make mutate KEEP=1` keeps mutants/ for `mutmut browse`.
MUTATE_CHILDREN ?= 2
mutate: setup
	@case "$$DATABASE_URL" in postgres*) ;; *) echo "make mutate needs DATABASE_URL=postgres://..."; exit 2;; esac
	rm -rf mutants
	DJANGO_SETTINGS_MODULE=dealer_crm.settings.test $(BIN)/mutmut run --max-children $(MUTATE_CHILDREN); \
	status=$$?; $(BIN)/mutmut results; [ -n "$(KEEP)" ] || rm -rf mutants; exit $$status

# Refresh the translation catalogue after changing UI strings, then translate the new entries.
messages: setup
	$(BIN)/python manage.py makemessages --locale zh_Hans --no-obsolete --ignore '.venv/*' --ignore 'var/*'
	$(BIN)/python manage.py compilemessages --locale zh_Hans --ignore '.venv/*'

clean:
	rm -rf var staticfiles .pytest_cache

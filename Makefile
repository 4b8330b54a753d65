# Two commands: `make run` brings the portal up on the embedded default, `make test` runs every test.
PYTHON ?= python3.11
PORT ?= 8000
# Two workers (pytest-xdist), one file per worker at a time: module fixtures stay in one process, and each worker
# has its own test database (test_<name>_gw0, _gw1) and its own local-memory cache.
PYTEST_ARGS ?= -n auto --dist loadfile
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test venv chromium lint migrations-check clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py sync_schedules
	$(PY) manage.py seed_demo
	@echo ""
	@echo "  养老服务综合监管平台: http://127.0.0.1:$(PORT)/   (staff login: http://127.0.0.1:$(PORT)/accounts/login/)"
	@echo "  Demo accounts: admin, civil_city, civil_heping, fire_heping, medins_city, inst_1 … (README)"
	@echo "  Password: $${DEMO_PASSWORD:-portal-demo-2026}"
	@echo ""
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

# Debian's Chromium drives the browser tests (Playwright cannot download its own browser here).
chromium:
	@test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "Installing Debian's chromium for the browser tests…"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	  else \
	    echo "Browser tests need /usr/bin/chromium: run 'sudo apt-get install chromium fonts-noto-cjk'"; exit 1; \
	  fi; }

test: $(STAMP) chromium
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .

migrations-check: $(STAMP)
	$(PY) manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) db.sqlite3 var test-output .pytest_cache .hypothesis

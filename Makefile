# Dangjian 党建引领基层治理平台
# make run    install everything, prepare the database and the demo county, serve on http://$(HOST):$(PORT)
# make test   the whole test suite (SQLite; PostgreSQL too when DATABASE_URL points at one)
# make bench  benchmark scenarios (SCENARIO=name for one)
# make lint   ruff

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
WORKERS ?= 3
VENDOR := build/vendor

.PHONY: run install static migrate demo serve test test-fast bench lint clean

run: install static migrate demo serve

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -e '.[dev,bench]'
	touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

install: $(VENV)/.installed node_modules/.package-lock.json

# Front-end packages come from npm and are served locally (county intranets have no internet).
static: node_modules/.package-lock.json
	rm -rf $(VENDOR) && mkdir -p $(VENDOR)/bootstrap $(VENDOR)/bootstrap-icons $(VENDOR)/htmx $(VENDOR)/alpinejs $(VENDOR)/echarts $(VENDOR)/leaflet
	cp node_modules/bootstrap/dist/css/bootstrap.min.css node_modules/bootstrap/dist/js/bootstrap.bundle.min.js $(VENDOR)/bootstrap/
	cp -r node_modules/bootstrap-icons/font/bootstrap-icons.min.css node_modules/bootstrap-icons/font/fonts $(VENDOR)/bootstrap-icons/
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx/
	cp node_modules/alpinejs/dist/cdn.min.js $(VENDOR)/alpinejs/alpine.min.js
	cp node_modules/echarts/dist/echarts.min.js $(VENDOR)/echarts/
	cp -r node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css node_modules/leaflet/dist/images $(VENDOR)/leaflet/
	$(BIN)/dangjian collectstatic --noinput -v0

migrate: install
	$(BIN)/dangjian migrate --noinput -v0

demo: migrate
	@$(BIN)/dangjian demo --if-empty

serve:
	@echo "党建引领基层治理平台: http://$(HOST):$(PORT)/"
	$(BIN)/gunicorn dangjian.wsgi:application --bind $(HOST):$(PORT) --workers $(WORKERS) --access-logfile - --timeout 120

test: install static
	$(BIN)/pytest -n 2 -q

bench: install
	$(BIN)/python bench/run.py $(SCENARIO)

lint: install
	$(BIN)/ruff check src tests bench

clean:
	rm -rf $(VENV) node_modules build var/static

# Misuse Tracker: `make run` serves the app on the embedded PostgreSQL with the real data;
# `make test` runs the whole suite. Both set everything up from a fresh clone.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000

.PHONY: run test serve setup install lint superuser clean-db backup restore bench

$(VENV)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

install: $(VENV)/.installed

# Development and tests: DEBUG on, the embedded PostgreSQL unless DATABASE_URL is given.
run test setup superuser: export DEBUG ?= 1
backup restore: export DEBUG ?= $(if $(DATABASE_URL),,1)

setup: install
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py load_reference_data

run: setup
	@echo ""
	@echo "Misuse Tracker is starting on http://127.0.0.1:$(PORT)/  (Ctrl-C stops it and the database)"
	@echo "To sign in to http://127.0.0.1:$(PORT)/admin/, create a login in another terminal:"
	@echo "    make superuser"
	@echo ""
	$(BIN)/python manage.py collectstatic --no-input -v 0
	$(BIN)/python manage.py runserver --nostatic 127.0.0.1:$(PORT)

test: setup
	$(BIN)/python -m pytest

# Production: DEBUG off; SECRET_KEY, ALLOWED_HOSTS and DATABASE_URL from the environment
# (docs/deploy.md). Static files hashed and gzipped, migrations, then gunicorn on PORT with
# WEB_CONCURRENCY workers (gunicorn.conf.py), sharing one page cache in PAGE_CACHE_DIR.
# MIGRATE_ON_START=0 on every node but one when several share a database: migrate once, by hand.
MIGRATE_ON_START ?= 1
serve: export PAGE_CACHE_DIR ?= $(CURDIR)/var/cache/pages
serve: install
	$(BIN)/python manage.py collectstatic --no-input -v 0
	$(if $(filter 1 yes true on,$(MIGRATE_ON_START)),$(BIN)/python manage.py migrate --no-input,@echo "MIGRATE_ON_START=$(MIGRATE_ON_START): not migrating")
	PORT=$(PORT) $(BIN)/gunicorn misuse_tracker.wsgi

# pg_dump custom format of DATABASE_URL's database (or the embedded one) into backups/.
backup: install
	$(BIN)/python manage.py backup_database

# Restores FILE (a `make backup` dump) over the database, replacing what is there.
# RESTORE_ARGS=--drop-newer-releases: also when releases were cut after the backup (they go).
restore: install
	$(BIN)/python manage.py restore_database $(RESTORE_ARGS) "$(FILE)"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

superuser: install
	$(BIN)/python manage.py createsuperuser

# Stops nothing that is running: use only with the app stopped.
clean-db:
	rm -rf var/pgdata

# Benchmarks (docs/performance.md, which it rewrites): builds the SYNTHETIC bench databases when
# missing (misuse_tracker_100k_bench, misuse_tracker_1m_bench), then measures pages, queries,
# export, import, load (wrk, installed if missing) and Datasette as a peer (.venv-bench, from
# bench/requirements.txt) in one run. About an hour; BENCH_ARGS=--quick for 100k lines only.
bench: install
	test -x .venv-bench/bin/python || $(PYTHON) -m venv .venv-bench
	.venv-bench/bin/python -m pip install --quiet -r bench/requirements.txt
	$(BIN)/python bench/run.py $(BENCH_ARGS)

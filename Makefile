# Misuse Tracker: `make run` serves the app on the embedded PostgreSQL with the real data;
# `make test` runs the whole suite. Both set everything up from a fresh clone.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000

.PHONY: run test setup install lint superuser clean-db

$(VENV)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

install: $(VENV)/.installed

setup: install
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py load_reference_data

run: setup
	@echo ""
	@echo "Misuse Tracker is starting on http://127.0.0.1:$(PORT)/  (Ctrl-C stops it and the database)"
	@echo "To sign in to http://127.0.0.1:$(PORT)/admin/, create a login in another terminal:"
	@echo "    make superuser"
	@echo ""
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: setup
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

superuser: install
	$(BIN)/python manage.py createsuperuser

# Stops nothing that is running: use only with the app stopped.
clean-db:
	rm -rf var/pgdata

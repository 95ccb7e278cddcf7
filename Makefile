# Two commands a newcomer needs: `make run` (the demo service) and `make test` (the whole suite).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test test-postgres lint format bench clean translations lock

$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || { \
	  echo "Could not create a virtual environment; on Debian: apt-get install python3-venv"; exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[test]'
	@touch $(STAMP)

## run: set up, migrate, load demo data, and run web + worker on SQLite with mail written to instance/mail
run: $(STAMP)
	BOT_ENV=development DEV_MAIL=true $(BIN)/bot dev

## test: set up (Chromium from Debian's packages, the local OpenID Provider from npm) and run the whole suite;
## TEST_DATABASE_URL=... for PostgreSQL
test: $(STAMP)
	@scripts/ensure-chromium
	@scripts/ensure-oidc-provider
	$(BIN)/pytest -n 2 $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## translations: extract every _() text, merge it into the nl and en catalogues, compile them (fill in new msgstrs!)
translations: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k lazy_gettext --no-location --omit-header -o bot/translations/messages.pot .
	$(BIN)/pybabel update -i bot/translations/messages.pot -d bot/translations --no-fuzzy-matching --width 120
	$(BIN)/pybabel compile -d bot/translations --statistics

## bench: run every benchmark under bench/ and print one BENCH line each
bench: $(STAMP)
	$(BIN)/python -m bench

## lock: pin the exact version of every dependency (after changing pyproject.toml's dependencies)
lock: $(STAMP)
	$(BIN)/python -m pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --extra test --strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links \
	  --no-emit-trusted-host -o requirements.lock pyproject.toml
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[test]'

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info

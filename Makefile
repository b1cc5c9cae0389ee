PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Starts the embedded PostgreSQL + pgvector and Redis under the given var dir unless
# DATABASE_URL / REDIS_URL are set, runs the command, then stops what it started.
EMBEDDED := $(BIN)/python -m meditrack.embedded
# The browser suite's headless Chromium: Debian's package (Playwright's own browser builds are not downloadable).
CHROMIUM := /usr/bin/chromium

.PHONY: install run test lint clean

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

$(CHROMIUM):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
	  || { echo "make: the browser tests need Debian's 'chromium' package (apt-get install chromium)" >&2; exit 1; }

run: install
	$(EMBEDDED) --var var -- sh -c '\
	  python manage.py migrate --noinput && \
	  python manage.py seed_demo --without-debug && \
	  python manage.py prepare_models && \
	  echo && echo "  MediTrack is starting on http://127.0.0.1:8000  (Ctrl-C stops everything)" && echo && \
	  rm -rf var/prometheus && mkdir -p var/prometheus && \
	  PROMETHEUS_MULTIPROC_DIR=$$PWD/var/prometheus exec honcho start'

test: install $(CHROMIUM)
	$(EMBEDDED) --var var/test -- pytest

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) var

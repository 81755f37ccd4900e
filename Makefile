# The two commands a newcomer needs: `make run` and `make test`. Everything else is optional.
PY      ?= python3.11
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
export FLASK_APP := app

JS_OUT  := build/offline
JS_SRC  := $(wildcard js/src/*.js) js/build.mjs

.PHONY: run test lint unit integration browser faults bench bench-deps clean system-deps js

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $(STAMP)

# Debian packages the service and its tests need (CJK font, Chromium, pdftoppm, Node.js for `make js`).
# Needs root.
system-deps:
	@command -v pdftoppm >/dev/null && command -v chromium >/dev/null && fc-list :lang=zh | grep -q Noto \
	  || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      chromium fonts-noto-cjk poppler-utils)
	@command -v npm >/dev/null \
	  || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm)

# The offline verifier's JavaScript (/inspect/offline): npm packages pinned by js/package-lock.json,
# bundled by esbuild into build/offline (git-ignored, served by app/web/inspect.py). docs/offline.md.
js: $(JS_OUT)/.built

js/node_modules/.installed: js/package.json js/package-lock.json
	@command -v npm >/dev/null || { echo "npm is missing: run 'make system-deps' (Debian: nodejs npm)"; exit 1; }
	cd js && npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(JS_OUT)/.built: js/node_modules/.installed $(JS_SRC)
	cd js && node build.mjs
	touch $@

run: $(STAMP)
	@$(MAKE) -s system-deps || echo "warning: could not install Debian packages (fonts); rendering may fail"
	@$(MAKE) -s js || echo "warning: could not build the offline verifier; /inspect/offline answers 503"
	$(BIN)/flask db upgrade
	$(BIN)/flask demo seed --if-empty
	$(BIN)/flask keys generate --if-missing
	@echo "Simulator: http://127.0.0.1:5000/dev/simulator   Back office: http://127.0.0.1:5000/admin"
	@echo "Back-office account: $(BIN)/flask staff create NAME --role reviewer --role operator --authority 重庆市应急管理局"
	@echo "Demo holders again: $(BIN)/flask demo holders"
	$(BIN)/flask run --host 127.0.0.1 --port 5000 --with-threads

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

# The whole suite, the fault suite (tests/faults) included.
test: $(STAMP) system-deps js lint
	$(BIN)/pytest -q

# Only the fault suite: its own Redis and MariaDB killed and frozen under load (about two minutes);
# prints what each fault measured (also written to var/faults.md).
faults: $(STAMP)
	$(BIN)/pytest -q -s tests/faults

unit: $(STAMP)
	$(BIN)/pytest -q tests/unit

# The load generator for the server benchmarks (Debian package). Needs root.
bench-deps:
	@command -v wrk >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk)

bench: $(STAMP) bench-deps
	$(BIN)/python -m bench

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache $(JS_OUT) js/node_modules

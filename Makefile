# Halte — the two commands: `make run` and `make test`. Everything else here supports them.
# Only Python >= 3.11, git, make and (for browser tests) Debian's apt are assumed.

PYTHON ?= python3
PORT ?= 8000
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: run test install install-prod prod quality check-deploy pytest demo migrate browser-deps clean bench

## run: install, migrate the embedded SQLite database, load the demo data and serve on http://127.0.0.1:$(PORT)
# PORT is passed on so that links in emails and calendar files (SITE_URL) point to this very port.
run: install migrate demo
	PORT=$(PORT) $(PY) manage.py runserver 127.0.0.1:$(PORT)

## test: install, quality gate, then the whole test suite (browser tests included)
test: install browser-deps quality pytest

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check "uv==0.13.9"

$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --python $(PYTHON)
	touch $@

install: $(VENV)/.synced

## prod: production only (HALTE_ENV=production and its environment, see docs/deploy.md): install the
## locked runtime dependencies, check the configuration, migrate, collect static files, serve with gunicorn
install-prod: $(UV)
	$(UV) sync --frozen --no-dev --python $(PYTHON)
	rm -f $(VENV)/.synced

prod: install-prod
	sh scripts/prod

migrate: install
	$(PY) manage.py migrate --no-input
	$(PY) manage.py createcachetable

demo: install
	$(PY) manage.py load_demo

browser-deps:
	sh scripts/ensure-system-packages

quality: install
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/djlint --check halte/templates
	$(VENV)/bin/djlint --lint halte/templates
	env -u DATABASE_URL $(PY) manage.py makemigrations --check --dry-run
	$(MAKE) --no-print-directory check-deploy
	$(VENV)/bin/mypy halte

# The production settings must pass Django's deployment checklist with no warning at all.
check-deploy: install
	HALTE_ENV=production DEBUG=false \
	SECRET_KEY=check-deploy-only-0123456789abcdefghijklmnopqrstuvwxyz-ABCDEFG \
	ALLOWED_HOSTS=halte.example.gouv.fr \
	DATABASE_URL=postgres://halte@localhost/halte \
	HALTE_CLAMD_URL=unix:///run/clamav/clamd.ctl \
	HALTE_CUSTODY_SIGNING_KEY=c2lnbmF0dXJlLWNoZWNrLWRlcGxveS1vbmx5LTAxMjM= \
	SITE_URL=https://halte.example.gouv.fr \
	DEFAULT_FROM_EMAIL="Halte <ne-pas-repondre@halte.example.gouv.fr>" \
	HALTE_EVIDENCE_KEYS=check:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= \
	HALTE_RECEIPT_KEYS=check:check-deploy-only-receipt-secret-0123456789 \
	$(PY) manage.py check --deploy --fail-level WARNING

# Two cores on CI: one worker per core, idle workers steal the long browser journeys' neighbours. The
# slowest tests are listed at the end of each run, so that a test that grows slow is seen.
pytest: install
	$(VENV)/bin/pytest -n auto --dist worksteal --durations=30

## bench: build a synthetic population of BENCH_CASES cases in a PostgreSQL database of its own
## (halte_bench, dropped after the run), serve it with the production settings and gunicorn, print one
## table (value, goal, floor, ratio); exits 1 on a missed goal when BENCH_ENFORCE=1 (the default from
## 100,000 cases). See docs/benchmarks.md for every option.
BENCH_CASES ?= 20000
bench: install
	BENCH_CASES=$(BENCH_CASES) $(PY) -m halte.bench

clean:
	rm -rf $(VENV) $(TOOLS) var

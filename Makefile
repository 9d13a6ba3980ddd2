# Casework: two commands.
#   make demo   install, start embedded PostgreSQL + Redis/FalkorDB, migrate, load the demo,
#               serve on http://127.0.0.1:$(PORT) until Ctrl-C
#   make test   install and run the whole suite (real PostgreSQL, Redis, Celery, graph)
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000
PYTEST_ARGS ?=
# settings need URLs; the static checks connect to nothing
CHECK_ENV := DATABASE_URL=postgres://check@127.0.0.1:9/check REDIS_URL=redis://127.0.0.1:9/0 \
  GRAPH_URL=falkordb://127.0.0.1:9 SECRET_KEY=static-checks-only-0123456789abcdefghijkl

.PHONY: demo demo-reset test check lint-cypher browser-deps bench lock clean

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade "pip>=24"
	$(BIN)/python -m pip install -q --disable-pip-version-check -c requirements.lock -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP) node_modules/.installed
	@PORT=$(PORT) $(BIN)/python -m casework.devstack demo --port $(PORT)

demo-reset:
	rm -rf .demo
	@echo "demo data removed: the next 'make demo' starts afresh"

# Browser tests drive Debian's Chromium with a CJK font; install them when missing.
browser-deps:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "wqy"; then \
	  echo "installing Debian's chromium and fonts-wqy-microhei for the browser tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
	    --no-install-recommends chromium fonts-wqy-microhei >/dev/null; fi

test: $(STAMP) browser-deps node_modules/.installed
	$(BIN)/python -m casework.devstack test -- $(PYTEST_ARGS)

node_modules/.installed: package.json
	npm install --no-audit --no-fund --loglevel=error
	@touch $@

# Neo4j's own Cypher linter over every Neo4j-dialect statement in the code
lint-cypher: $(STAMP) node_modules/.installed
	$(CHECK_ENV) $(BIN)/python -m linkanalysis.graph.statements | node linkanalysis/graph/neo4j_lint.mjs

# Static checks CI runs besides the tests.
check: $(STAMP) lint-cypher
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(CHECK_ENV) $(BIN)/python manage.py check --fail-level WARNING
	$(CHECK_ENV) $(BIN)/python manage.py makemigrations --check --dry-run
	@# the API schema the fuzzer and clients read: no guessed type, no clashing name
	$(CHECK_ENV) $(BIN)/python manage.py spectacular --fail-on-warn --validate --file /dev/null

# Benchmarks at the sizes the issues name (minutes; not part of `make test`).
bench: $(STAMP)
	$(BIN)/python -m casework.devstack run -- $(BIN)/python bench/case_list.py
	$(BIN)/python -m casework.devstack run -- $(BIN)/python bench/fanout.py
	$(BIN)/python -m casework.devstack run -- $(BIN)/python bench/outbox_drain.py
	$(BIN)/python -m casework.devstack run -- sh -c '$(BIN)/python bench/seed_scale.py && \
	  $(BIN)/python bench/graph_queries.py && $(BIN)/python bench/stats_queries.py'
	$(BIN)/python -m casework.devstack run -- $(BIN)/python bench/push_latency.py
	$(BIN)/python -m casework.devstack run -- $(BIN)/python bench/escalation.py

lock: $(STAMP)
	$(BIN)/pip-compile -q --extra dev --strip-extras --no-header -o requirements.lock pyproject.toml

clean:
	rm -rf $(VENV) .static .media

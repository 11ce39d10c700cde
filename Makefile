# The README's commands. Each one sets up what it needs first (idempotent).
.PHONY: setup validator build test demo bench localnet

setup:
	@scripts/setup.sh

# The real solana-test-validator the compat suite runs against (see scripts/install_validator.py).
validator: setup
	@.venv/bin/python scripts/install_validator.py

build: setup
	@.venv/bin/solgrid build

test: build validator
	@scripts/test.sh

demo: build
	@.venv/bin/python scripts/demo.py $(ARGS)

bench: build validator
	@.venv/bin/python bench/run.py

localnet: build
	@.venv/bin/solgrid localnet

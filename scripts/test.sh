#!/usr/bin/env bash
# The whole test suite: Rust host tests, lint and types, then pytest (programs in LiteSVM and through the
# local node), then the compat suite on a real solana-test-validator. Exits non-zero when anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo test (host)"
RUSTC=/usr/bin/rustc /usr/bin/cargo test --workspace --quiet

echo "== ruff"
.venv/bin/ruff check clients tests scripts bench examples peers
.venv/bin/ruff format --check clients tests scripts bench examples peers

echo "== mypy"
.venv/bin/mypy

echo "== pytest (local node, LiteSVM, host)"
# Exit status 5 (no test selected) is fine when arguments pick only one kind of test.
.venv/bin/pytest -q --durations=15 -m "not compat" "$@" || [ $? -eq 5 ]

# The real validator takes a core of its own while it runs: the compat suite runs on its own, last, so
# that it is up only for as long as those tests need it.
echo "== pytest compat (the real solana-test-validator)"
.venv/bin/pytest -q --durations=15 -m compat "$@" || [ $? -eq 5 ]

#!/usr/bin/env bash
# The whole test suite: Rust host tests, lint and types, then pytest (programs in LiteSVM and through the
# local node). Exits non-zero when anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo test (host)"
RUSTC=/usr/bin/rustc /usr/bin/cargo test --workspace --quiet

echo "== ruff"
.venv/bin/ruff check clients tests scripts bench examples
.venv/bin/ruff format --check clients tests scripts bench examples

echo "== mypy"
.venv/bin/mypy

echo "== pytest"
.venv/bin/pytest -q "$@"

#!/usr/bin/env bash
# Idempotent setup for a fresh machine (Debian 12): the toolchain packages, then a venv at .venv with the
# pinned Python stack and SolGrid installed in editable mode. Runs in about a second when all is in place.
set -euo pipefail
cd "$(dirname "$0")/.."

# chromium and chromium-driver: the dashboard's browser tests (tests/dashboard) drive a headless Chromium.
# wrk: the API benchmark's load generator (bench/api_bench.py).
APT_PACKAGES=(rustc-web cargo-web rust-web-src llvm-22 postgresql python3-venv chromium chromium-driver wrk)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
# An older rustc-web already installed (another LLVM than llvm-22) is upgraded: the pipeline reads
# rustc's bitcode back with LLVM 22.
if [[ ! " ${missing[*]} " =~ " rustc-web " ]] && ! /usr/bin/rustc -vV 2>/dev/null | grep -q '^LLVM version: 22\.'; then
    missing+=(rustc-web cargo-web rust-web-src)
fi
# Node.js and npm for the Anchor TypeScript client's tests (tests/anchor_ts): Debian's packages when no
# node or npm is on PATH (a NodeSource nodejs, which bundles npm, is used as it is).
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    missing+=(nodejs npm)
fi
if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Python 3.11: the one on PATH if it is 3.11 (pyenv or Debian's), else Debian's.
PYTHON=""
for candidate in python3.11 python3 /usr/bin/python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
        "$candidate" -c 'import sys, venv; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
        PYTHON=$(command -v "$candidate")
        break
    fi
done
[ -n "$PYTHON" ] || { echo "setup: Python 3.11 not found (apt-get install python3 python3-venv)" >&2; exit 1; }

stamp=.venv/.solgrid-installed
want=$(cat pyproject.toml | sha256sum | cut -d' ' -f1)
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "setup: creating .venv with the pinned Python stack"
    [ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
    .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
    .venv/bin/python -m pip install -q --disable-pip-version-check -e '.[dev]'
    echo "$want" > "$stamp"
fi

# The local node's engine: solders 0.29.0's LiteSVM (agave 4.1.2) as the package solders29, beside the
# client stack's solders 0.26 (see scripts/install_engine.py). Instant when already installed.
.venv/bin/python scripts/install_engine.py

# The SPL and core BPF programs of a solana-test-validator 4.2.2 genesis (the crate solana-program-binaries
# 4.2.2 from crates.io, cached; see scripts/install_program_binaries.py). Instant when already installed.
.venv/bin/python scripts/install_program_binaries.py

# The dashboard (dashboard/, served by `solgrid api run` at /): `npm ci` when package-lock.json changed (its
# SHA-256 stamped in dashboard/node_modules), `npm run build` into clients/python/solgrid/api/static/
# (git-ignored) when the lock or a source changed (a hash of them stamped there). Instant when in place.
dashboard_lock=$(sha256sum dashboard/package-lock.json | cut -d' ' -f1)
if [ "$(cat dashboard/node_modules/.solgrid-lock-sha256 2>/dev/null)" != "$dashboard_lock" ]; then
    echo "setup: installing the dashboard's npm packages"
    (cd dashboard && npm ci --silent --no-audit --no-fund)
    echo "$dashboard_lock" > dashboard/node_modules/.solgrid-lock-sha256
fi
dashboard_static=clients/python/solgrid/api/static
dashboard_sources=$(find dashboard -path dashboard/node_modules -prune -o -type f -print | LC_ALL=C sort |
    xargs sha256sum | sha256sum | cut -d' ' -f1)
if [ "$(cat "$dashboard_static/.solgrid-sources-sha256" 2>/dev/null)" != "$dashboard_sources" ] ||
    [ ! -f "$dashboard_static/index.html" ]; then
    echo "setup: building the dashboard"
    (cd dashboard && npm run build --silent)
    echo "$dashboard_sources" > "$dashboard_static/.solgrid-sources-sha256"
fi

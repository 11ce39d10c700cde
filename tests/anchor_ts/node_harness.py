"""Runs the Node tests of this directory (``node --test``, the official Anchor TypeScript client) against a
node, from pytest.

The Node tests read everything from the environment: ``SOLGRID_RPC_URL`` and ``SOLGRID_WS_URL`` (the
node), ``SOLGRID_IDL_DIR`` (the IDLs they load) and ``SOLGRID_ANCHOR_TS_SCENARIO`` (a JSON file: the
wallets' secret keys and the accounts of each instruction they send, prepared by the caller on that
node). So any node will do: the local node or a real ``solana-test-validator``
(``test_anchor_ts_client.py`` prepares a scenario on each). Each ``test/<name>.test.mjs`` is one of
:func:`run_node_tests`' ``files``: by default :data:`NODE_TEST_FILES` (errors, events, the account
resolver), which need a scenario; ``program_at`` needs only the IDLs on-chain.

``npm ci`` installs the pinned ``package-lock.json`` into ``node_modules`` (gitignored) once per lock:
the lock's SHA-256 is stamped into ``node_modules`` and a later run with the same lock skips it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
LOCK = HERE / "package-lock.json"
STAMP = HERE / "node_modules" / ".solgrid-lock-sha256"
NODE_TIMEOUT_SECS = 300
NODE_TEST_FILES = ("errors", "events", "resolution")


class NodeTestsFailed(AssertionError):
    """``npm ci`` or ``node --test`` failed; the message is their output."""


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise NodeTestsFailed(f"{name} not found: scripts/setup.sh installs Debian's nodejs and npm")
    return path


def _run(command: list[str], env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        command, cwd=HERE, env=env, capture_output=True, text=True, timeout=NODE_TIMEOUT_SECS, check=False
    )
    output = done.stdout + done.stderr
    if done.returncode != 0:
        raise NodeTestsFailed(f"{' '.join(command)} exited with {done.returncode}:\n{output}")
    return output


def install() -> None:
    """``npm ci`` unless ``node_modules`` already holds this lock's packages."""
    digest = hashlib.sha256(LOCK.read_bytes()).hexdigest()
    if STAMP.is_file() and STAMP.read_text().strip() == digest:
        return
    _run([_tool("npm"), "ci", "--no-audit", "--no-fund"])
    STAMP.write_text(digest + "\n")


def run_node_tests(
    rpc_url: str,
    ws_url: str,
    scenario: dict[str, Any],
    scenario_path: Path,
    files: Sequence[str] = NODE_TEST_FILES,
) -> str:
    """``node --test`` of ``test/<file>.test.mjs`` for each of ``files``, in order, against ``rpc_url``;
    returns their output."""
    install()
    scenario_path.write_text(json.dumps(scenario, indent=2))
    env = {
        **os.environ,
        "SOLGRID_RPC_URL": rpc_url,
        "SOLGRID_WS_URL": ws_url,
        "SOLGRID_IDL_DIR": str(REPO / "idl"),
        "SOLGRID_ANCHOR_TS_SCENARIO": str(scenario_path),
    }
    # One file at a time (Debian 12's Node 18 has no --test-concurrency); TAP whatever the Node release
    # (from Node 23 the default reporter without a terminal is another one).
    tests = [f"test/{name}.test.mjs" for name in files]
    missing = [test for test in tests if not (HERE / test).is_file()]
    assert not missing, f"no such Node test file: {missing}"
    return "".join(_run([_tool("node"), "--test", "--test-reporter=tap", test], env) for test in tests)

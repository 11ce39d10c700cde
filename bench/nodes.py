"""The two nodes every side-by-side figure of ``make bench`` is measured on, each started fresh the same way.

- ``solgrid localnet`` (our node), a process of its own with an on-disk ledger;
- ``solana-test-validator`` 4.2.2 (the real thing; ``make validator`` links it into ``.venv/bin``) on free
  loopback ports with its own ledger.

On both, the workspace's programs (``target/deploy``) are loaded at genesis as upgradeable programs at their
``Anchor.toml`` ids with the bench's operator key as upgrade authority, and the operator is the mint
(500,000,000 SOL); the faucet answers ``requestAirdrop`` on both. No test-only control of our node is used.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from solders.keypair import Keypair

from solgrid.localnet.process import node_process
from solgrid.localnet.validator import RealValidator, genesis_program_args
from solgrid.sdk.workspace import Workspace

REPO = Path(__file__).resolve().parents[1]


class Node(Enum):
    OURS = "solgrid localnet"
    VALIDATOR = "solana-test-validator 4.2.2"


NODES = (Node.OURS, Node.VALIDATOR)


@dataclass(frozen=True)
class RunningNode:
    node: Node
    rpc_url: str
    operator: Keypair
    operator_file: Path
    startup_secs: float
    """From launch to ready (answering JSON-RPC with the programs loaded)."""


@contextlib.asynccontextmanager
async def fresh(node: Node, workdir: Path, operator: Keypair | None = None) -> AsyncIterator[RunningNode]:
    """``node`` from a fresh genesis in ``workdir`` (created), stopped when the block exits."""
    operator = operator or Keypair()
    workdir.mkdir(parents=True, exist_ok=True)
    operator_file = workdir / "operator.json"
    operator_file.write_text(json.dumps(list(bytes(operator))))
    launched = time.perf_counter()
    if node is Node.OURS:
        args = ["--ledger", str(workdir / "ledger"), "--reset", "--workspace", str(REPO)]
        args += ["--upgrade-authority", str(operator_file), "--mint", str(operator_file)]
        async with node_process(args) as process:
            started = time.perf_counter() - launched
            yield RunningNode(node, process.rpc_url, operator, operator_file, started)
        return
    programs = genesis_program_args(Workspace.load(REPO), operator.pubkey())
    validator = await asyncio.to_thread(RealValidator.start, workdir, operator, extra_args=programs)
    started = time.perf_counter() - launched
    try:
        yield RunningNode(node, validator.rpc_url, operator, operator_file, started)
    finally:
        await asyncio.to_thread(validator.stop)


CHOICES = {"ours": Node.OURS, "validator": Node.VALIDATOR}
"""Command-line names of the nodes (plus ``both``)."""


def chosen(name: str) -> list[Node]:
    """The nodes a ``--node`` argument names: ``ours``, ``validator`` or ``both``."""
    return list(NODES) if name == "both" else [CHOICES[name]]


def ratio(ours: float, theirs: float) -> str:
    """``ours / theirs`` to two decimals ("n/a" when the validator measured nothing)."""
    return f"{ours / theirs:.2f}" if theirs > 0 else "n/a"


def versus(ours: float, theirs: float) -> str:
    """``ours`` as a multiple of ``theirs``, for a sentence: "1.85 times" ("an unknown multiple of" when
    the validator measured nothing)."""
    return f"{ratio(ours, theirs)} times" if theirs > 0 else "an unknown multiple of"

"""Fixtures for the local node tests: one in-process node per test module, on free ports.

``program_elf`` is an SBPF program built by the project's own pipeline (the registry, built from
``programs/registry`` and cached; ``SOLGRID_PREBUILT_DIR=<dir>`` uses ``<dir>/registry.so`` instead).
The deploy and persistence tests only need *a* valid program: they check that it runs (its
"consumed ... compute units" log line), whatever it answers to empty instruction data.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from solana.rpc.async_api import AsyncClient

from solgrid.localnet.server import LocalNode, NodeConfig

REPO = Path(__file__).resolve().parents[2]
FIXTURE_PROGRAM = "registry"


@pytest.fixture(scope="session")
def program_elf() -> bytes:
    prebuilt = os.environ.get("SOLGRID_PREBUILT_DIR")
    if prebuilt:
        return (Path(prebuilt) / f"{FIXTURE_PROGRAM}.so").read_bytes()
    from solgrid.build.pipeline import Builder, select_programs
    from solgrid.build.toolchain import Toolchain

    (program,) = select_programs(REPO, [FIXTURE_PROGRAM])
    return Builder(REPO, Toolchain.locate()).build(program).so_path.read_bytes()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def node() -> AsyncIterator[LocalNode]:
    async with LocalNode(NodeConfig(rpc_port=0, ws_port=0)) as running:
        yield running


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def client(node: LocalNode) -> AsyncIterator[AsyncClient]:
    async with AsyncClient(node.rpc_url) as rpc:
        yield rpc

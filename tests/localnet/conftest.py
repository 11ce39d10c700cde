"""Fixtures for the local node tests: one in-process node per test module, on free ports.

``program_elf`` is an SBPF program built by the project's own pipeline (the registry; see the shared
``elf_of`` fixture in ``tests/conftest.py``).
The deploy and persistence tests only need *a* valid program: they check that it runs (its
"consumed ... compute units" log line), whatever it answers to empty instruction data.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
import pytest_asyncio
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed

from solgrid.localnet.server import LocalNode, NodeConfig

FIXTURE_PROGRAM = "registry"


@pytest.fixture(scope="session")
def program_elf(elf_of: Callable[[str], bytes]) -> bytes:
    return elf_of(FIXTURE_PROGRAM)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def node() -> AsyncIterator[LocalNode]:
    async with LocalNode(NodeConfig(rpc_port=0, ws_port=0)) as running:
        yield running


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def client(node: LocalNode) -> AsyncIterator[AsyncClient]:
    """A client at ``confirmed`` commitment: it reads what it just sent (at ``finalized``, solana-py's
    default, it would wait for the root, 31 slots behind, as on a validator)."""
    async with AsyncClient(node.rpc_url, Confirmed) as rpc:
        yield rpc

"""Fixtures of the indexer suite: nodes with markets, and migrated databases on both backends (the
PostgreSQL server and the fresh databases are tests/database_fixtures.py's)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import pytest
from market import Market, MarketNode, node_config
from solders.keypair import Keypair

from solgrid.localnet.background import BackgroundNode
from solgrid.localnet.genesis import GenesisProgram
from solgrid.sdk.energy_token import EnergyTokenClient
from solgrid.sdk.registry import RegistryClient
from solgrid.sdk.trading import TradingClient


async def _setup(rpc_url: str, authority: Keypair) -> None:
    market = Market(rpc_url, authority)
    try:
        await market.setup()
    finally:
        await market.close()


@pytest.fixture(scope="session")
def market_node(elf_of: Callable[[str], bytes]) -> Iterator[MarketNode]:
    authority = Keypair()
    with BackgroundNode(node_config(elf_of, authority)) as node:
        asyncio.run(_setup(node.rpc_url, authority))
        yield MarketNode(node, authority)


@pytest.fixture
def trading_node(elf_of: Callable[[str], bytes]) -> Iterator[tuple[BackgroundNode, Keypair]]:
    """A node of the test's own with the three workspace programs at genesis (nothing initialised),
    and their upgrade authority."""
    authority = Keypair()
    programs = [
        GenesisProgram(name, program_id, elf_of(name), authority.pubkey())
        for name, program_id in (
            ("registry", RegistryClient().program_id),
            ("energy_token", EnergyTokenClient().program_id),
            ("trading", TradingClient().program_id),
        )
    ]
    with BackgroundNode(node_config(elf_of, authority, programs=programs)) as background:
        yield background, authority

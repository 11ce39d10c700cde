"""Each oracle test gets its own node (the tests move its clock forward by hours, which the shared
session node must not see), with both programs at genesis and the market of ``oracle_support`` set up."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from solders.keypair import Keypair

from solgrid.localnet.background import BackgroundNode
from solgrid.localnet.genesis import GenesisProgram
from solgrid.localnet.process import free_port_pair
from solgrid.localnet.server import NodeConfig
from solgrid.sdk.energy_token import EnergyTokenClient
from solgrid.sdk.keys import write_keypair
from solgrid.sdk.registry import RegistryClient

sys.path.insert(0, str(Path(__file__).parent))

from oracle_support import OracleNode


@pytest.fixture
def oracle_node(tmp_path: Path, elf_of: Callable[[str], bytes]) -> Iterator[OracleNode]:
    authority = Keypair()
    authority_file = tmp_path / "authority.json"
    write_keypair(authority_file, authority)
    programs = [
        GenesisProgram("registry", RegistryClient().program_id, elf_of("registry"), authority.pubkey()),
        GenesisProgram(
            "energy_token", EnergyTokenClient().program_id, elf_of("energy_token"), authority.pubkey()
        ),
    ]
    config = NodeConfig(
        rpc_port=free_port_pair(),
        slot_ms=100,
        ledger=tmp_path / "ledger",
        programs=programs,
        funded={authority.pubkey(): 10**12},
    )
    node = OracleNode(config, authority, authority_file, BackgroundNode(config))
    node.node.start()
    try:
        yield node
    finally:
        node.node.stop()

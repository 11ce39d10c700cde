"""Fixtures shared by every suite: programs built by the project's pipeline, and a local node serving them.

Programs come from ``solgrid.build`` (cached: a no-op when nothing changed since ``make build``);
``SOLGRID_PREBUILT_DIR=<dir>`` uses ``<dir>/<name>.so`` instead, for a job that builds once and tests
elsewhere. The node is the project's own (``solgrid.localnet``) on free ports, with the workspace
programs installed at genesis at their Anchor.toml addresses, upgradeable by ``upgrade_authority``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path

import pytest
from solders.keypair import Keypair

from solgrid.localnet.background import BackgroundNode
from solgrid.localnet.genesis import GenesisProgram
from solgrid.localnet.server import NodeConfig
from solgrid.sdk.energy_token import EnergyTokenClient
from solgrid.sdk.registry import RegistryClient

REPO = Path(__file__).resolve().parents[1]
GENESIS_LAMPORTS = 10**12


@cache
def program_elf(name: str) -> bytes:
    """The SBPF ELF of workspace program ``name``."""
    prebuilt = os.environ.get("SOLGRID_PREBUILT_DIR")
    if prebuilt:
        return (Path(prebuilt) / f"{name}.so").read_bytes()
    from solgrid.build.pipeline import Builder, select_programs
    from solgrid.build.toolchain import Toolchain

    (program,) = select_programs(REPO, [name])
    return Builder(REPO, Toolchain.locate()).build(program).so_path.read_bytes()


@pytest.fixture(scope="session")
def elf_of() -> Callable[[str], bytes]:
    return program_elf


@pytest.fixture(scope="session")
def upgrade_authority() -> Keypair:
    """The wallet the node installs the workspace programs with (it may initialise the registry)."""
    return Keypair()


def workspace_node(upgrade_authority: Keypair) -> BackgroundNode:
    """A local node on free ports serving the workspace programs, upgradeable by ``upgrade_authority``."""
    authority = upgrade_authority.pubkey()
    programs = [
        GenesisProgram("registry", RegistryClient().program_id, program_elf("registry"), authority),
        GenesisProgram(
            "energy_token", EnergyTokenClient().program_id, program_elf("energy_token"), authority
        ),
    ]
    config = NodeConfig(
        rpc_port=0, ws_port=0, programs=programs, funded={upgrade_authority.pubkey(): GENESIS_LAMPORTS}
    )
    return BackgroundNode(config)


@pytest.fixture(scope="session")
def rpc_url(upgrade_authority: Keypair) -> Iterator[str]:
    """JSON-RPC URL of a local node shared by the session, serving the workspace programs."""
    with workspace_node(upgrade_authority) as node:
        yield node.rpc_url


@pytest.fixture
def fresh_rpc_url(upgrade_authority: Keypair) -> Iterator[str]:
    """JSON-RPC URL of a local node of this test's own: the workspace programs, nothing initialised."""
    with workspace_node(upgrade_authority) as node:
        yield node.rpc_url

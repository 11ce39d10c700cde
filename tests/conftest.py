"""Fixtures shared by every suite: programs built by the project's pipeline, and nodes serving them.

Programs come from ``solgrid.build`` (cached: a no-op when nothing changed since ``make build``);
``SOLGRID_PREBUILT_DIR=<dir>`` uses ``<dir>/<name>.so`` instead, for a job that builds once and tests
elsewhere. The node is the project's own (``solgrid.localnet``) on free ports, with the workspace
programs installed at genesis at their Anchor.toml addresses, upgradeable by ``upgrade_authority``.

Tests that need no test-only control of the node (no clock warps, no ``solgrid_*`` methods) take
``any_rpc_url`` instead of ``rpc_url``: they run twice, on the local node and on a real
``solana-test-validator`` (the compat suite, marker ``compat``), started once per session with every
feature at its default and the workspace programs deployed by ``solgrid deploy`` with
``upgrade_authority`` as the validator's mint.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path

import pytest
from solders.keypair import Keypair

from real_validator import RealValidator
from solgrid.localnet.background import BackgroundNode
from solgrid.localnet.genesis import GenesisProgram
from solgrid.localnet.server import NodeConfig
from solgrid.sdk.workspace import Workspace

pytest_plugins = ["database_fixtures"]

REPO = Path(__file__).resolve().parents[1]
WORKSPACE = Workspace.load(REPO)
"""Anchor.toml: the programs ``solgrid localnet`` and ``solgrid deploy`` load."""
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
def governance_elves(elf_of: Callable[[str], bytes]) -> dict[str, bytes]:
    """The ELFs the governance harnesses deploy: governance on top of the trading and registry ones."""
    return {name: elf_of(name) for name in ("registry", "energy_token", "trading", "governance")}


@pytest.fixture(scope="session")
def upgrade_authority() -> Keypair:
    """The wallet the node installs the workspace programs with (it may initialise the registry)."""
    return Keypair()


def workspace_node(upgrade_authority: Keypair) -> BackgroundNode:
    """A local node on free ports serving the workspace programs, upgradeable by ``upgrade_authority``."""
    authority = upgrade_authority.pubkey()
    programs = [
        GenesisProgram(program.name, program.program_id, program_elf(program.name), authority)
        for program in WORKSPACE.programs("localnet")
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
def fresh_node(upgrade_authority: Keypair) -> Iterator[BackgroundNode]:
    """A local node of this test's own: the workspace programs, nothing initialised (``node.call`` may
    write accounts into it)."""
    with workspace_node(upgrade_authority) as node:
        yield node


@pytest.fixture
def fresh_rpc_url(fresh_node: BackgroundNode) -> str:
    """JSON-RPC URL of a local node of this test's own: the workspace programs, nothing initialised."""
    return fresh_node.rpc_url


@pytest.fixture(scope="session")
def real_validator(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, upgrade_authority: Keypair
) -> Iterator[RealValidator]:
    """A real solana-test-validator with the workspace programs deployed by ``solgrid deploy``; stopped
    after the last test that uses it (:func:`pytest_runtest_teardown`), or at the end of the session."""
    for program in WORKSPACE.programs("localnet"):
        program_elf(program.name)  # built into target/deploy, where solgrid deploy reads them
    validator = RealValidator.start(tmp_path_factory.mktemp("validator"), upgrade_authority)
    request.config.stash[SESSION_VALIDATOR] = validator
    try:
        validator.deploy_workspace()
        yield validator
    finally:
        validator.stop()


SESSION_VALIDATOR = pytest.StashKey[RealValidator]()
LAST_ON_SESSION_VALIDATOR = pytest.StashKey[str]()


def on_session_validator(item: pytest.Item) -> bool:
    """The test uses the session's real validator (directly, or as the ``validator`` run of
    ``any_rpc_url``)."""
    callspec = getattr(item, "callspec", None)
    by_param = callspec is not None and callspec.params.get("any_rpc_url") == "validator"
    return by_param or "real_validator" in getattr(item, "fixturenames", ())


@pytest.hookimpl(trylast=True)  # after pytest's grouping by parametrized session fixtures
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The tests on the session's real validator run first, in their order (later ones may rely on
    what earlier ones left on it), then the compat tests that start validators of their own: an idle
    validator keeps a core busy, so the session's stops before those start (2 cores)."""
    items.sort(
        key=lambda item: item.get_closest_marker("compat") is not None and not on_session_validator(item)
    )


def pytest_collection_finish(session: pytest.Session) -> None:
    """The last test on the session's validator, in the order the tests will run (after every
    reordering, ``--ff`` and ``--nf`` included)."""
    users = [item.nodeid for item in session.items if on_session_validator(item)]
    if users:
        session.config.stash[LAST_ON_SESSION_VALIDATOR] = users[-1]


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    if item.nodeid == item.config.stash.get(LAST_ON_SESSION_VALIDATOR, None):
        validator = item.config.stash.get(SESSION_VALIDATOR, None)
        if validator is not None:
            validator.stop()


@pytest.fixture(scope="session", params=["localnet", pytest.param("validator", marks=pytest.mark.compat)])
def any_rpc_url(request: pytest.FixtureRequest) -> str:
    """JSON-RPC URL of the shared local node, then of the real validator: the same test runs on both."""
    if request.param == "localnet":
        url: str = request.getfixturevalue("rpc_url")
        return url
    validator: RealValidator = request.getfixturevalue("real_validator")
    return validator.rpc_url

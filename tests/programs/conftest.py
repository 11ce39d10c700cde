"""Fixtures for running SolGrid programs in the in-process LiteSVM.

Programs come from the shared ``elf_of`` fixture (``tests/conftest.py``).

Every test that takes ``registry`` runs twice: with the program loaded by ``add_program`` and with it
deployed through BPFLoaderUpgradeable (the loader verifies the ELF, and the payer becomes the upgrade
authority). In both cases the program lives at its IDL address.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from types import ModuleType

import pytest
from governance_harness import GovernanceEnv, governance_keypair
from registry_harness import LAMPORTS, REPO, RegistryEnv, program_keypair
from solders.keypair import Keypair
from trading_harness import TradingEnv, trading_keypair

from solgrid.localnet.svm import deploy, features_blocking_deploy, new_svm
from solgrid.sdk.energy_token import EnergyTokenClient
from solgrid.sdk.registry import RegistryClient
from solgrid.sdk.trading import TradingClient

MODES = ("add_program", "deploy")


@pytest.fixture(scope="session")
def registry_elf(elf_of: Callable[[str], bytes]) -> bytes:
    return elf_of("registry")


@pytest.fixture(scope="session")
def registry_cu_bench() -> ModuleType:
    """``bench/registry_cu.py`` (the bench is a script directory, not a package)."""
    spec = importlib.util.spec_from_file_location("registry_cu", REPO / "bench" / "registry_cu.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(params=MODES)
def registry(request: pytest.FixtureRequest, registry_elf: bytes) -> RegistryEnv:
    svm = new_svm(deactivate=features_blocking_deploy(registry_elf))
    payer = Keypair()
    svm.airdrop(payer.pubkey(), LAMPORTS)
    client = RegistryClient()
    keypair = program_keypair()
    assert keypair.pubkey() == client.program_id, "keys/registry-keypair.json is not the IDL address"
    if request.param == "add_program":
        svm.add_program(client.program_id, registry_elf)
    else:
        deploy(svm, payer, registry_elf, keypair)
    return RegistryEnv(svm, payer, client, request.param)


@pytest.fixture(scope="session")
def trading_elf(elf_of: Callable[[str], bytes]) -> bytes:
    return elf_of("trading")


@pytest.fixture(params=MODES)
def trading(request: pytest.FixtureRequest, registry_elf: bytes, trading_elf: bytes) -> TradingEnv:
    """The registry (add_program) and trading (added, or deployed upgradeable by the payer) in one VM,
    set up by :meth:`TradingEnv.setup`: registry market at T0, base and quote mints, trading Config."""
    env = trading_env(request.param, registry_elf, trading_elf)
    env.setup()
    return env


@pytest.fixture(params=MODES)
def trading_prepared(request: pytest.FixtureRequest, registry_elf: bytes, trading_elf: bytes) -> TradingEnv:
    """As ``trading`` but trading not initialised yet (:meth:`TradingEnv.prepare`)."""
    env = trading_env(request.param, registry_elf, trading_elf)
    env.prepare()
    return env


@pytest.fixture(params=MODES)
def trading_unverified(request: pytest.FixtureRequest, registry_elf: bytes, trading_elf: bytes) -> TradingEnv:
    """As ``trading`` in a VM that skips signature checks, so that a transaction can mark a PDA as a
    signer (:meth:`TradingEnv.send_signed_by_pda`), standing for its program's ``invoke_signed``."""
    env = trading_env(request.param, registry_elf, trading_elf, sigverify=False)
    env.setup()
    return env


def trading_env(mode: str, registry_elf: bytes, trading_elf: bytes, *, sigverify: bool = True) -> TradingEnv:
    svm = new_svm(sigverify=sigverify, deactivate=features_blocking_deploy(registry_elf, trading_elf))
    payer = Keypair()
    svm.airdrop(payer.pubkey(), LAMPORTS)
    registry = RegistryClient()
    svm.add_program(registry.program_id, registry_elf)
    client = TradingClient()
    keypair = trading_keypair()
    assert keypair.pubkey() == client.program_id, "keys/trading-keypair.json is not the IDL address"
    if mode == "add_program":
        svm.add_program(client.program_id, trading_elf)
    else:
        deploy(svm, payer, trading_elf, keypair)
    return TradingEnv(RegistryEnv(svm, payer, registry, "add_program"), client, mode=mode)


def governance_env(mode: str, elves: dict[str, bytes]) -> GovernanceEnv:
    """Registry, energy_token and trading added at their IDL addresses, governance added or deployed
    (upgradeable by the payer) at its own; nothing initialised."""
    svm = new_svm(deactivate=features_blocking_deploy(*elves.values()))
    payer = Keypair()
    svm.airdrop(payer.pubkey(), LAMPORTS)
    registry = RegistryClient()
    trading = TradingClient()
    svm.add_program(registry.program_id, elves["registry"])
    svm.add_program(trading.program_id, elves["trading"])
    svm.add_program(EnergyTokenClient().program_id, elves["energy_token"])
    env = GovernanceEnv(TradingEnv(RegistryEnv(svm, payer, registry, "add_program"), trading), mode=mode)
    keypair = governance_keypair()
    assert keypair.pubkey() == env.program_id, "keys/governance-keypair.json is not the IDL address"
    if mode == "add_program":
        svm.add_program(env.program_id, elves["governance"])
    else:
        deploy(svm, payer, elves["governance"], keypair)
    return env


@pytest.fixture
def governance(governance_elves: dict[str, bytes]) -> GovernanceEnv:
    """Governance deployed (BPFLoaderUpgradeable, the payer its authority), initialised, and named the
    registry's governance: privileged registry and trading actions go through proposals."""
    env = governance_env("deploy", governance_elves)
    env.setup()
    return env


@pytest.fixture
def governance_unset(governance_elves: dict[str, bytes]) -> GovernanceEnv:
    """As ``governance`` but the registry does not name it yet: regulators still co-sign."""
    env = governance_env("deploy", governance_elves)
    env.setup(governed=False)
    return env


@pytest.fixture(params=MODES)
def governance_prepared(request: pytest.FixtureRequest, governance_elves: dict[str, bytes]) -> GovernanceEnv:
    """The registry market and trading set up, governance loaded by either mode but not initialised."""
    env = governance_env(request.param, governance_elves)
    env.trading.setup()
    return env

"""Anchor's error line (``Program log: AnchorError occurred. ...``) from every program, in LiteSVM.

Each program logs the line for its own errors and for the kit's (6000..), under its own invoke, with the
name, number and message its IDL gives; a failure raised inside a CPI is logged once, by the callee that
raised it (energy_token never names the registry's code with its own enum); codes that neither the
program's nor the kit's errors define (here SPL Token's, returned through a CPI) get no line.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from energy_token_harness import MODES, TokenEnv, new_env
from governance_harness import GovernanceEnv, Params
from registry_harness import RegistryEnv
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from trading_harness import TradingEnv

from anchor_error_lines import AnchorErrorLine, anchor_error_lines, idl_error_line
from solgrid.localnet.svm import TransactionFailed, new_svm, send
from solgrid.sdk.energy_token import BASE_UNITS_PER_WH
from solgrid.sdk.idl import load_idl_json
from solgrid.sdk.registry import Limits

PROGRAMS = ("registry", "energy_token", "trading", "governance")
VERIFIED = 1  # registry UserStatus::Verified
U64_MAX = 2**64 - 1


def failure_logs(send_it: Callable[[], object]) -> list[str]:
    with pytest.raises(TransactionFailed) as failed:
        send_it()
    return failed.value.logs


@pytest.fixture(scope="module")
def elves(elf_of: Callable[[str], bytes]) -> dict[str, bytes]:
    return {name: elf_of(name) for name in PROGRAMS}


@pytest.fixture(params=MODES)
def token_env(request: pytest.FixtureRequest, elves: dict[str, bytes]) -> TokenEnv:
    env = new_env(request.param, elves["registry"], elves["energy_token"])
    env.initialize()
    return env


@pytest.mark.parametrize("program", PROGRAMS)
def test_every_program_names_a_kit_error(elves: dict[str, bytes], program: str) -> None:
    svm = new_svm()
    payer = Keypair()
    svm.airdrop(payer.pubkey(), 10**10)
    program_id = load_idl_json(program)["address"]
    svm.add_program(Pubkey.from_string(program_id), elves[program])
    unknown = Instruction(Pubkey.from_string(program_id), bytes(8), [])
    logs = failure_logs(lambda: send(svm, payer, [unknown]))
    assert anchor_error_lines(logs) == [idl_error_line(program, "UnknownInstruction")]


def test_registry_names_its_own_error(registry: RegistryEnv) -> None:
    ix = registry.client.initialize(
        payer=registry.payer.pubkey(), authority=registry.payer.pubkey(), limits=Limits(max_meters_per_user=0)
    )
    logs = failure_logs(lambda: registry.send([ix]))
    assert anchor_error_lines(logs) == [idl_error_line("registry", "InvalidLimits")]


def test_energy_token_names_its_own_error(token_env: TokenEnv) -> None:
    holder = token_env.wallet()
    token_env.give_grid(holder.pubkey(), 5)
    ix = token_env.client.burn(holder=holder.pubkey(), amount=0)
    logs = failure_logs(lambda: token_env.send([ix], [holder]))
    assert anchor_error_lines(logs) == [idl_error_line("energy_token", "ZeroAmount")]


def test_trading_names_its_own_error(trading_prepared: TradingEnv) -> None:
    env = trading_prepared
    ix = env.initialize_ix(base_mint=env.quote_mint.pubkey())
    logs = failure_logs(lambda: env.send([ix]))
    assert anchor_error_lines(logs) == [idl_error_line("trading", "InvalidBaseMint")]


def test_governance_names_its_own_error(governance_prepared: GovernanceEnv) -> None:
    env = governance_prepared
    ix = env.initialize_ix(params=Params(max_lifetime_secs=0))
    logs = failure_logs(lambda: env.send([ix]))
    assert anchor_error_lines(logs) == [idl_error_line("governance", "InvalidConfigParams")]


def test_a_kit_error_raised_by_the_programs_own_checks(registry: RegistryEnv) -> None:
    registry.initialize()
    again = registry.client.initialize(
        payer=registry.payer.pubkey(), authority=registry.payer.pubkey(), limits=Limits()
    )
    logs = failure_logs(lambda: registry.send([again]))
    assert anchor_error_lines(logs) == [idl_error_line("registry", "AlreadyInitialized")]


def test_an_error_inside_a_cpi_is_logged_once_by_the_callee(token_env: TokenEnv) -> None:
    token_env.put_registry_config()
    owner = token_env.wallet()
    token_env.put_user(owner.pubkey(), VERIFIED)
    token_env.put_zone(0)
    token_env.grid_account(owner.pubkey())
    meter = token_env.put_meter(owner.pubkey())  # nothing produced: nothing to settle
    ix = token_env.client.settle_and_mint(meter=meter.address, owner=owner.pubkey(), zone_id=0)
    logs = failure_logs(lambda: token_env.send([ix]))

    expected = idl_error_line("registry", "NothingToSettle")
    assert anchor_error_lines(logs) == [expected]
    # The registry's code means something else (or nothing) in energy_token: no line of energy_token's.
    energy_token_names = {e["code"]: e["name"] for e in load_idl_json("energy_token")["errors"]}
    assert energy_token_names.get(expected.number) != expected.name
    energy_token_id = str(token_env.program_id)
    assert f"Program {energy_token_id} failed: custom program error: {hex(expected.number)}" in logs


def test_a_code_no_idl_of_the_program_lists_gets_no_line(token_env: TokenEnv) -> None:
    token_env.put_registry_config()
    owner = token_env.wallet()
    token_env.put_user(owner.pubkey(), VERIFIED)
    token_env.put_zone(0)
    destination = token_env.grid_account(owner.pubkey())
    largest = U64_MAX // BASE_UNITS_PER_WH
    meter = token_env.put_meter(owner.pubkey(), produced_wh=largest)
    token_env.settle(meter.address, meter.owner)
    assert token_env.balance(destination) == largest * BASE_UNITS_PER_WH
    token_env.set_meter(meter.address, produced_wh=largest + 1)
    ix = token_env.client.settle_and_mint(meter=meter.address, owner=owner.pubkey(), zone_id=0)
    logs = failure_logs(lambda: token_env.send([ix]))
    # SPL Token's Overflow (14) inside the MintTo CPI: SPL Token logs its own text, nobody an AnchorError.
    assert any(line.endswith("failed: custom program error: 0xe") for line in logs)
    assert anchor_error_lines(logs) == []


def test_success_logs_no_anchor_error(token_env: TokenEnv) -> None:
    holder = token_env.wallet()
    token_env.give_grid(holder.pubkey(), 5)
    sent = token_env.burn(holder, 5)
    assert anchor_error_lines(sent.logs) == []
    assert not any("AnchorError" in line for line in sent.logs)


def test_the_line_parser_follows_the_invoke_stack() -> None:
    logs = [
        "Program A invoke [1]",
        "Program B invoke [2]",
        "Program log: AnchorError occurred. Error Code: X. Error Number: 6001. Error Message: m. n.",
        "Program B failed: custom program error: 0x1771",
        "Program A failed: custom program error: 0x1771",
    ]
    assert anchor_error_lines(logs) == [AnchorErrorLine("B", "X", 6001, "m. n")]

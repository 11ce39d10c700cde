"""energy_token ``settle_and_mint`` in LiteSVM against the real registry program.

The registry's Config, User and Meter accounts are written into the VM from ``idl/registry.json``'s
layouts (see ``energy_token_harness``), so that each test starts from exact meter counters; the
registry's own ``settle_meter`` runs for real inside the CPI. Each failure expects its specific error:
energy_token's by its IDL name, the registry's (raised inside the CPI) by the registry IDL name, SPL
Token's by its TokenError code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from energy_token_harness import (
    CONFIG_LEN,
    MODES,
    T0,
    MeterState,
    TokenEnv,
    account_index,
    energy_token_cu,
    error_codes,
    new_env,
    program_keypair,
)
from instruction_edits import with_account, with_meta
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.system_program import ID as SYSTEM_PROGRAM_ID
from spl.token.constants import TOKEN_PROGRAM_ID

from solgrid.localnet.svm import deploy, send
from solgrid.localnet.tokens import MINT_LEN
from solgrid.sdk.anchor import ProgramCoder
from solgrid.sdk.energy_token import BASE_UNITS_PER_WH, GridMinted, unsettled_surplus_wh
from solgrid.sdk.idl import load_idl
from solgrid.sdk.readings import DeviceSigner, Reading, ed25519_instruction

ERRORS = error_codes("energy_token")
REGISTRY_ERRORS = error_codes("registry")
U64_MAX = 2**64 - 1
TOKEN_OVERFLOW = 14  # SPL TokenError::Overflow
# Registry UserStatus indices (ISSUE 3 decision 1).
PENDING, VERIFIED, SUSPENDED = 0, 1, 2
MEMO_PROGRAM_ID = Pubkey.from_string("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr")
LOADER_V3 = Pubkey.from_string("BPFLoaderUpgradeab1e11111111111111111111111")
INSTRUCTIONS_SYSVAR = Pubkey.from_string("Sysvar1nstructions1111111111111111111111111")


def code(name: str) -> int:
    return ERRORS[name]


def registry_code(name: str) -> int:
    return REGISTRY_ERRORS[name]


@pytest.fixture(scope="session")
def energy_token_elf(elf_of: Callable[[str], bytes]) -> bytes:
    return elf_of("energy_token")


@dataclass
class Market:
    """An initialised energy_token, the registry Config naming its settlement PDA, and one verified
    meter owner with a GRID account."""

    env: TokenEnv
    owner: Keypair
    destination: Pubkey

    def meter(self, **counters: Any) -> MeterState:
        return self.env.put_meter(self.owner.pubkey(), **counters)

    def settle_ix(self, meter: MeterState, destination: Pubkey | None = None) -> Instruction:
        return self.env.client.settle_and_mint(
            meter=meter.address,
            owner=meter.owner,
            zone_id=meter.zone_id,
            destination=destination or self.destination,
        )

    def fail(self, ix: Instruction) -> int:
        return self.env.fail([ix])

    def balance(self) -> int:
        return self.env.balance(self.destination)


@pytest.fixture(params=MODES)
def market(request: pytest.FixtureRequest, registry_elf: bytes, energy_token_elf: bytes) -> Market:
    env = new_env(request.param, registry_elf, energy_token_elf)
    env.initialize()
    env.put_registry_config()
    owner = env.wallet()
    env.put_user(owner.pubkey(), VERIFIED)
    env.put_zone(0)
    return Market(env, owner, env.grid_account(owner.pubkey()))


def registry_events(market: Market, logs: list[str]) -> list[tuple[str, Any]]:
    coder = ProgramCoder(load_idl("registry"), market.env.registry_id)
    return [(event.name, event.data) for event in coder.events(logs)]


# -- success paths -------------------------------------------------------------------------------------


def test_settle_mints_the_net_surplus_to_the_owner(market: Market) -> None:
    env = market.env
    meter = market.meter(produced_wh=5_000, consumed_wh=1_200)
    sent = env.settle(meter.address, meter.owner)

    assert market.balance() == 3_800 * BASE_UNITS_PER_WH == 3_800_000_000
    assert env.mint().supply == 3_800 * BASE_UNITS_PER_WH
    assert env.meter_field(meter.address, "settled_wh") == 3_800
    assert (env.meter_field(meter.address, "produced_wh"), env.meter_field(meter.address, "consumed_wh")) == (
        5_000,
        1_200,
    )
    assert env.client.events(sent.logs) == [
        GridMinted(
            meter=meter.address,
            owner=meter.owner,
            destination=market.destination,
            amount_wh=3_800,
            amount=3_800_000_000,
        )
    ]
    [(name, settled)] = registry_events(market, sent.logs)
    assert name == "MeterSettled"
    assert (settled.meter, settled.owner, settled.amount_wh, settled.settled_wh) == (
        meter.address,
        meter.owner,
        3_800,
        3_800,
    )


def test_settling_twice_fails_with_nothing_to_settle(market: Market) -> None:
    meter = market.meter(produced_wh=700)
    market.env.settle(meter.address, meter.owner)
    assert market.fail(market.settle_ix(meter)) == registry_code("NothingToSettle")
    assert market.balance() == 700 * BASE_UNITS_PER_WH
    assert market.env.meter_field(meter.address, "settled_wh") == 700


def test_later_production_mints_only_the_increment(market: Market) -> None:
    env = market.env
    meter = market.meter(produced_wh=1_000, consumed_wh=100)
    env.settle(meter.address, meter.owner)
    env.set_meter(meter.address, produced_wh=1_250, consumed_wh=150)
    sent = env.settle(meter.address, meter.owner)
    [minted] = env.client.events(sent.logs)
    assert isinstance(minted, GridMinted) and minted.amount_wh == 200
    assert market.balance() == 1_100 * BASE_UNITS_PER_WH
    assert env.meter_field(meter.address, "settled_wh") == 1_100


def test_a_deficit_is_carried_and_never_minted(market: Market) -> None:
    env = market.env
    meter = market.meter(produced_wh=1_000, consumed_wh=3_000)
    assert market.fail(market.settle_ix(meter)) == registry_code("NothingToSettle")

    # Production catches up: only the net above the earlier consumption is minted.
    steps = [
        ((5_000, 3_000), 2_000),
        ((5_500, 4_000), None),  # consumption since the last settlement exceeds production again
        ((7_000, 4_000), 1_000),  # the 500 Wh deficit from the step above is made up first
    ]
    for (produced, consumed), expected in steps:
        before = env.meter_field(meter.address, "settled_wh")
        env.set_meter(meter.address, produced_wh=produced, consumed_wh=consumed)
        assert unsettled_surplus_wh(produced, consumed, before) == (expected or 0)
        if expected is None:
            assert market.fail(market.settle_ix(meter)) == registry_code("NothingToSettle")
        else:
            env.settle(meter.address, meter.owner)
    assert env.meter_field(meter.address, "settled_wh") == 3_000
    assert market.balance() == 3_000 * BASE_UNITS_PER_WH


def test_anyone_may_crank_settlement_but_the_owner_receives(market: Market) -> None:
    env = market.env
    cranker = env.wallet()
    meter = market.meter(produced_wh=42)
    send(env.svm, cranker, [market.settle_ix(meter)])
    assert market.balance() == 42 * BASE_UNITS_PER_WH


def test_settle_to_a_non_associated_account_of_the_owner(market: Market) -> None:
    env = market.env
    other = Keypair().pubkey()
    env.put(other, TOKEN_PROGRAM_ID, env.data(market.destination))
    meter = market.meter(produced_wh=10)
    env.settle(meter.address, meter.owner, destination=other)
    assert (env.balance(other), market.balance()) == (10 * BASE_UNITS_PER_WH, 0)


def test_meters_of_one_owner_settle_independently(market: Market) -> None:
    env = market.env
    first = market.meter(produced_wh=100)
    second = market.meter(produced_wh=300, consumed_wh=50)
    env.settle(first.address, first.owner)
    env.settle(second.address, second.owner)
    assert market.balance() == 350 * BASE_UNITS_PER_WH
    assert market.fail(market.settle_ix(first)) == registry_code("NothingToSettle")


def test_the_largest_settlement_mints_and_supply_overflow_rolls_back(market: Market) -> None:
    env = market.env
    largest = U64_MAX // BASE_UNITS_PER_WH
    meter = market.meter(produced_wh=largest)
    env.settle(meter.address, meter.owner)
    assert market.balance() == largest * BASE_UNITS_PER_WH
    # One more Wh would push the mint's supply past u64: SPL Token refuses, and the registry's
    # settlement in the same instruction is rolled back with it.
    env.set_meter(meter.address, produced_wh=largest + 1)
    assert market.fail(market.settle_ix(meter)) == TOKEN_OVERFLOW
    assert env.meter_field(meter.address, "settled_wh") == largest


def test_the_minted_amount_is_the_increase_of_settled_wh(market: Market) -> None:
    # settle_and_mint reads the amount as the increase of the registry-owned meter's settled_wh
    # across the settle_meter CPI (not through sol_get_return_data): from a high, non-zero
    # settled_wh it must still mint exactly what the registry settled (its MeterSettled event).
    env = market.env
    base = 2**63 + 12_345
    meter = market.meter(produced_wh=base + 900, consumed_wh=0, settled_wh=base)
    sent = env.settle(meter.address, meter.owner)
    [minted] = env.client.events(sent.logs)
    assert isinstance(minted, GridMinted)
    assert (minted.amount_wh, minted.amount) == (900, 900 * BASE_UNITS_PER_WH)
    assert env.meter_field(meter.address, "settled_wh") == base + 900
    assert market.balance() == 900 * BASE_UNITS_PER_WH
    [(name, settled)] = registry_events(market, sent.logs)
    assert name == "MeterSettled" and (settled.amount_wh, settled.settled_wh) == (900, base + 900)


def test_an_amount_beyond_u64_base_units_overflows(market: Market) -> None:
    env = market.env
    meter = market.meter(produced_wh=U64_MAX)
    assert market.fail(market.settle_ix(meter)) == code("ArithmeticOverflow")
    assert env.meter_field(meter.address, "settled_wh") == 0
    assert market.balance() == 0


# -- substituted accounts ------------------------------------------------------------------------------


def test_destination_must_be_a_grid_account_of_the_meter_owner(market: Market) -> None:
    env = market.env
    meter = market.meter(produced_wh=10)
    thief = env.wallet()
    thief_account = env.grid_account(thief.pubkey())
    foreign_mint = bytearray(env.data(market.destination))
    foreign_mint[:32] = bytes(Keypair().pubkey())
    other_mint_account = Keypair().pubkey()
    env.put(other_mint_account, TOKEN_PROGRAM_ID, bytes(foreign_mint))
    mint_sized = Keypair().pubkey()
    env.put(mint_sized, TOKEN_PROGRAM_ID, env.data(market.destination)[:MINT_LEN])
    system_account = env.wallet().pubkey()
    cases = [
        (thief_account, "WrongTokenOwner"),
        (other_mint_account, "WrongTokenMint"),
        (mint_sized, "InvalidAccountData"),
        (system_account, "InvalidOwner"),
        (env.client.mint, "InvalidAccountData"),
    ]
    for destination, error in cases:
        assert market.fail(market.settle_ix(meter, destination)) == code(error), error
    readonly = with_meta(
        market.settle_ix(meter), account_index("settle_and_mint", "destination"), writable=False
    )
    assert market.fail(readonly) == code("AccountNotWritable")
    assert env.meter_field(meter.address, "settled_wh") == 0
    assert env.balance(thief_account) == 0


def test_meter_owned_by_another_program_is_refused(market: Market) -> None:
    env = market.env
    for program in (env.program_id, MEMO_PROGRAM_ID):
        forged = env.put_meter(
            market.owner.pubkey(), produced_wh=1_000, address=Keypair().pubkey(), program=program
        )
        assert market.fail(market.settle_ix(forged)) == code("InvalidOwner")
    assert market.balance() == 0


def test_meter_with_another_registry_discriminator_is_refused(market: Market) -> None:
    env = market.env
    # The owner's registry User account: owned by the registry, but not a Meter.
    user = MeterState(
        env.client.registry_user_pda(market.owner.pubkey()).address, market.owner.pubkey(), Pubkey.default()
    )
    assert market.fail(market.settle_ix(user)) == code("InvalidAccountData")
    # Meter bytes with a wrong size.
    meter = market.meter(produced_wh=1)
    env.put(meter.address, env.registry_id, env.data(meter.address) + b"\x00")
    assert market.fail(market.settle_ix(meter)) == code("InvalidAccountData")


def test_meter_must_be_writable(market: Market) -> None:
    meter = market.meter(produced_wh=5)
    ix = with_meta(market.settle_ix(meter), account_index("settle_and_mint", "meter"), writable=False)
    assert market.fail(ix) == code("AccountNotWritable")


def test_meter_of_another_user_is_refused_by_the_registry(market: Market) -> None:
    env = market.env
    stranger = env.wallet()
    env.put_user(stranger.pubkey(), VERIFIED)
    meter = market.meter(produced_wh=5)
    ix = with_account(
        market.settle_ix(meter),
        account_index("settle_and_mint", "user"),
        env.client.registry_user_pda(stranger.pubkey()).address,
    )
    assert market.fail(ix) == registry_code("UserMismatch")


def test_a_substituted_registry_program_is_refused(market: Market) -> None:
    meter = market.meter(produced_wh=5)
    index = account_index("settle_and_mint", "registry_program")
    assert market.fail(with_account(market.settle_ix(meter), index, MEMO_PROGRAM_ID)) == code(
        "InvalidRegistryProgram"
    )


def test_a_registry_copy_at_another_address_cannot_mint(
    market: Market, registry_elf: bytes, energy_token_elf: bytes
) -> None:
    # An attacker deploys the registry's code under their own id, where they control every account,
    # and forges a meter with a huge production there.
    env = market.env
    fake_registry = deploy(env.svm, env.payer, registry_elf)
    forged = env.put_meter(market.owner.pubkey(), produced_wh=10**9, program=fake_registry)
    ix = with_account(
        market.settle_ix(forged), account_index("settle_and_mint", "registry_program"), fake_registry
    )
    assert market.fail(ix) == code("InvalidRegistryProgram")
    assert market.balance() == 0


def test_a_substituted_settlement_authority_is_refused(market: Market) -> None:
    env = market.env
    meter = market.meter(produced_wh=5)
    impostor = env.wallet()
    index = account_index("settle_and_mint", "settlement_authority")
    ix = with_meta(with_account(market.settle_ix(meter), index, impostor.pubkey()), index, signer=True)
    assert env.fail([ix], [impostor]) == code("InvalidSettlementAuthority")


def test_the_registry_refuses_a_settlement_pda_it_does_not_name(market: Market) -> None:
    env = market.env
    env.put_registry_config(settlement_authority=Keypair().pubkey())
    meter = market.meter(produced_wh=5)
    assert market.fail(market.settle_ix(meter)) == registry_code("NotSettlementAuthority")


def test_a_substituted_registry_config_is_refused_by_the_registry(market: Market) -> None:
    env = market.env
    meter = market.meter(produced_wh=5)
    forged = Keypair().pubkey()
    env.put(forged, env.program_id, env.data(env.client.registry_config_pda().address))
    ix = with_account(market.settle_ix(meter), account_index("settle_and_mint", "registry_config"), forged)
    assert market.fail(ix) == registry_code("InvalidOwner")


@pytest.mark.parametrize(
    ("account", "error"),
    [
        ("mint", "InvalidMint"),
        ("mint_authority", "InvalidMintAuthority"),
        ("token_program", "InvalidTokenProgram"),
        ("config", "InvalidOwner"),
    ],
)
def test_substituted_token_accounts_and_config_are_refused(market: Market, account: str, error: str) -> None:
    meter = market.meter(produced_wh=5)
    ix = with_account(market.settle_ix(meter), account_index("settle_and_mint", account), Keypair().pubkey())
    assert market.fail(ix) == code(error)
    assert market.env.meter_field(meter.address, "settled_wh") == 0


def test_a_mint_authority_that_signs_is_still_refused(market: Market) -> None:
    env = market.env
    meter = market.meter(produced_wh=5)
    impostor = env.wallet()
    index = account_index("settle_and_mint", "mint_authority")
    ix = with_meta(with_account(market.settle_ix(meter), index, impostor.pubkey()), index, signer=True)
    assert env.fail([ix], [impostor]) == code("InvalidMintAuthority")


def test_a_forged_config_is_refused(market: Market) -> None:
    env = market.env
    meter = market.meter(produced_wh=5)
    index = account_index("settle_and_mint", "config")
    forged = Keypair().pubkey()
    env.put(forged, env.program_id, bytes(CONFIG_LEN))
    assert market.fail(with_account(market.settle_ix(meter), index, forged)) == code("InvalidAccountData")


def test_mint_must_be_writable(market: Market) -> None:
    meter = market.meter(produced_wh=5)
    ix = with_meta(market.settle_ix(meter), account_index("settle_and_mint", "mint"), writable=False)
    assert market.fail(ix) == code("AccountNotWritable")


# -- pauses (issue 14) -----------------------------------------------------------------------------------

MINTING, READINGS_AND_TRADING = 2, 1 | 4


def test_minting_is_refused_while_paused_for_the_meters_zone(market: Market) -> None:
    env = market.env
    meter = market.meter(produced_wh=700)
    env.put_zone(0, paused=MINTING)
    assert market.fail(market.settle_ix(meter)) == registry_code("MintingPaused")
    assert (market.balance(), env.meter_field(meter.address, "settled_wh")) == (0, 0)
    # Readings and trading pauses do not stop minting.
    env.put_zone(0, paused=READINGS_AND_TRADING)
    env.settle(meter.address, meter.owner)
    assert market.balance() == 700 * BASE_UNITS_PER_WH


def test_minting_is_refused_while_paused_market_wide(market: Market) -> None:
    env = market.env
    meter = market.meter(produced_wh=700)
    env.put_registry_config(paused=MINTING)
    assert market.fail(market.settle_ix(meter)) == registry_code("MintingPaused")
    env.put_registry_config()
    env.settle(meter.address, meter.owner)
    assert market.balance() == 700 * BASE_UNITS_PER_WH


def test_the_zone_passed_through_must_be_the_meters(market: Market) -> None:
    """energy_token passes the zone through; the registry binds it to the meter (a paused meter's zone
    cannot be swapped for an open one)."""
    env = market.env
    env.put_zone(0, paused=MINTING)
    open_zone = env.put_zone(5)
    meter = market.meter(produced_wh=700)
    index = account_index("settle_and_mint", "zone")
    assert market.fail(with_account(market.settle_ix(meter), index, open_zone)) == registry_code(
        "ZoneMismatch"
    )
    user = env.client.registry_user_pda(market.owner.pubkey()).address
    assert market.fail(with_account(market.settle_ix(meter), index, user)) == code("InvalidAccountData")


# -- the owner's standing -----------------------------------------------------------------------------


def test_a_suspended_user_cannot_settle(market: Market) -> None:
    env = market.env
    meter = market.meter(produced_wh=900)
    env.put_user(market.owner.pubkey(), SUSPENDED)
    assert market.fail(market.settle_ix(meter)) == registry_code("UserSuspended")
    env.put_user(market.owner.pubkey(), PENDING)
    assert market.fail(market.settle_ix(meter)) == registry_code("UserNotVerified")
    env.put_user(market.owner.pubkey(), VERIFIED)
    env.settle(meter.address, meter.owner)
    assert market.balance() == 900 * BASE_UNITS_PER_WH


# -- instruction shape ---------------------------------------------------------------------------------


def test_settle_rejects_arguments_and_short_account_lists(market: Market) -> None:
    meter = market.meter(produced_wh=5)
    ix = market.settle_ix(meter)
    assert market.fail(Instruction(ix.program_id, bytes(ix.data) + b"\x00", list(ix.accounts))) == code(
        "InvalidInstructionData"
    )
    assert market.fail(Instruction(ix.program_id, ix.data, list(ix.accounts)[:9])) == code(
        "NotEnoughAccounts"
    )


def test_settle_before_initialize_fails(registry_elf: bytes, energy_token_elf: bytes) -> None:
    env = new_env("add_program", registry_elf, energy_token_elf)
    env.put_registry_config()
    owner = env.wallet()
    env.put_user(owner.pubkey(), VERIFIED)
    meter = env.put_meter(owner.pubkey(), produced_wh=5)
    ix = env.client.settle_and_mint(meter=meter.address, owner=owner.pubkey(), zone_id=meter.zone_id)
    assert env.fail([ix]) == code("InvalidOwner")


def test_program_keypairs_match_the_idls() -> None:
    market_programs = {
        "registry": load_idl("registry").address,
        "energy_token": load_idl("energy_token").address,
    }
    for name, address in market_programs.items():
        assert str(program_keypair(name).pubkey()) == address


# -- compute units -------------------------------------------------------------------------------------


def test_compute_units_are_recorded_and_match_the_bench(
    market: Market, registry_elf: bytes, energy_token_elf: bytes
) -> None:
    env = market.env
    bench = energy_token_cu.measure_cu(energy_token_elf, env.mode, registry_elf)
    print(f"\nenergy_token CU ({env.mode}): {bench}; .so {len(energy_token_elf)} bytes")
    parts = [key for key in bench if key.startswith("settle_and_mint: ")]
    assert sum(bench[key] for key in parts) == bench["settle_and_mint"]
    assert all(value > 0 for value in bench.values())
    # Nothing on the settlement or burn path derives a PDA or depends on the amounts, so this env's
    # own transactions (other wallets, other meter, other amounts) cost exactly what the bench measured.
    meter = market.meter(produced_wh=10_000, consumed_wh=1)
    env.settle(meter.address, meter.owner)
    env.burn(market.owner, 10**9)
    assert env.cu["initialize"] == [bench["initialize"]]
    assert env.cu["settle_and_mint"] == [bench["settle_and_mint"]]
    assert env.cu["burn"] == [bench["burn"]]


# -- end to end: device-signed readings through the registry's own instructions ------------------------


def test_device_signed_readings_settle_into_grid(registry_elf: bytes, energy_token_elf: bytes) -> None:
    """The whole path with no account written by hand: the registry is set up by its own instructions
    (regulator, settlement PDA, zone, verified user, active meter), a device signs readings that
    ``submit_readings`` accepts, and ``settle_and_mint`` mints their net to the owner."""
    env = new_env("deploy", registry_elf, energy_token_elf)
    env.initialize()
    registry = ProgramCoder(load_idl("registry"), env.registry_id)
    client = env.client
    payer, regulator, owner = env.payer, env.wallet(), env.wallet()
    config = client.registry_config_pda().address
    zone_id = 7
    zone = Pubkey.find_program_address([b"zone", zone_id.to_bytes(4, "little")], env.registry_id)[0]
    user = client.registry_user_pda(owner.pubkey()).address
    serial = bytes(Keypair().pubkey())
    meter = Pubkey.find_program_address([b"meter", serial], env.registry_id)[0]
    device = DeviceSigner.generate()
    env.set_unix_time(T0)

    def signed_by(ix: Instruction, *cosigners: Keypair) -> Instruction:
        extra = [AccountMeta(k.pubkey(), True, False) for k in cosigners]
        return Instruction(ix.program_id, ix.data, [*ix.accounts, *extra])

    limits = {
        "max_meters_per_user": 4,
        "min_window_secs": 60,
        "max_window_secs": 3_600,
        "max_reading_age_secs": 86_400,
        "max_clock_skew_secs": 60,
        "capacity_tolerance_bps": 10_000,
    }
    system = SYSTEM_PROGRAM_ID
    env.send(
        [
            registry.instruction(
                "initialize",
                {"limits": limits},
                {
                    "payer": payer.pubkey(),
                    "authority": payer.pubkey(),
                    "config": config,
                    "program": env.registry_id,
                    "program_data": Pubkey.find_program_address([bytes(env.registry_id)], LOADER_V3)[0],
                    "system_program": system,
                },
            )
        ]
    )
    regulators = [regulator.pubkey()] + [Pubkey.default()] * 7
    setup = [
        signed_by(
            registry.instruction(
                "set_regulators",
                {"regulators": regulators, "regulator_count": 1, "regulator_threshold": 1},
                {"config": config},
            ),
            payer,
        ),
        signed_by(
            registry.instruction(
                "set_settlement_authority",
                {"settlement_authority": client.settlement_pda().address},
                {"config": config},
            ),
            regulator,
        ),
        signed_by(
            registry.instruction(
                "create_zone",
                {"zone_id": zone_id, "name": list(b"north".ljust(32, b"\0")), "max_capacity_kw": 1_000},
                {"payer": payer.pubkey(), "config": config, "zone": zone, "system_program": system},
            ),
            regulator,
        ),
    ]
    env.send(setup[:1])
    env.send(setup[1:], [regulator])
    user_accounts = {
        "payer": payer.pubkey(),
        "authority": owner.pubkey(),
        "config": config,
        "zone": zone,
        "user": user,
        "system_program": system,
    }
    role = registry.unit_variant("UserRole", 0)
    env.send(
        [registry.instruction("register_user", {"role": role, "zone_id": zone_id}, user_accounts)], [owner]
    )
    as_regulator = {"regulator": regulator.pubkey(), "config": config}
    env.send([registry.instruction("verify_user", {}, {**as_regulator, "user": user})], [regulator])
    meter_args = {
        "serial": list(serial),
        "device_key": list(device.public_key),
        "source": registry.unit_variant("EnergySource", 0),
        "capacity_w": 5_000,
    }
    meter_accounts = {
        "payer": payer.pubkey(),
        "owner": owner.pubkey(),
        "config": config,
        "user": user,
        "zone": zone,
        "meter": meter,
        "system_program": system,
    }
    env.send([registry.instruction("register_meter", meter_args, meter_accounts)], [owner])
    env.send([registry.instruction("activate_meter", {}, {**as_regulator, "meter": meter})], [regulator])

    # Three 15-minute windows after the meter's registration, submitted once they are over; 5 kW for
    # 900 s allows 1250 Wh each.
    windows = [(T0 + 900 * i, T0 + 900 * (i + 1)) for i in range(3)]
    env.set_unix_time(T0 + 2_700 + 10)
    readings = [
        Reading(start, end, p, c)
        for (start, end), (p, c) in zip(windows, [(1_200, 300), (900, 1_000), (1_000, 0)], strict=True)
    ]
    batch = [device.sign(env.registry_id, meter, reading) for reading in readings]
    submit = registry.instruction(
        "submit_readings",
        {
            "readings": [
                {
                    "window_start": r.window_start,
                    "window_secs": r.window_secs,
                    "production_wh": r.production_wh,
                    "consumption_wh": r.consumption_wh,
                }
                for r in readings
            ]
        },
        {"config": config, "instructions_sysvar": INSTRUCTIONS_SYSVAR},
    )
    triples = [
        AccountMeta(meter, False, True),
        AccountMeta(user, False, False),
        AccountMeta(zone, False, False),
    ] * 3
    env.send(
        [
            ed25519_instruction(batch),
            Instruction(submit.program_id, submit.data, [*submit.accounts, *triples]),
        ]
    )
    assert (env.meter_field(meter, "produced_wh"), env.meter_field(meter, "consumed_wh")) == (3_100, 1_300)

    destination = env.grid_account(owner.pubkey())
    sent = env.settle(meter, owner.pubkey(), zone_id=zone_id)
    assert env.balance(destination) == 1_800 * BASE_UNITS_PER_WH
    assert env.meter_field(meter, "settled_wh") == 1_800
    [minted] = client.events(sent.logs)
    assert isinstance(minted, GridMinted) and (minted.amount_wh, minted.owner) == (1_800, owner.pubkey())
    assert env.fail(
        [client.settle_and_mint(meter=meter, owner=owner.pubkey(), zone_id=zone_id)]
    ) == registry_code("NothingToSettle")

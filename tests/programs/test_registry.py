"""The registry program in LiteSVM: initialize and register_user, every success path and each failure
with its exact error code.

Each test runs with the program loaded by ``add_program`` and deployed through BPFLoaderUpgradeable
(see conftest). Error codes are taken from the IDL by name, so a test also fails if the program and
the IDL disagree on a code. Zones, regulators and meters: ``test_registry_admin.py``; readings:
``test_registry_readings.py``.
"""

from __future__ import annotations

import dataclasses
import hashlib
from types import ModuleType

import pytest
from instruction_edits import with_account, with_data, with_meta
from registry_harness import T0, ZONE_ID, RegistryEnv, code
from solders.account import Account
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.system_program import TransferParams, transfer

from solgrid.sdk import loader
from solgrid.sdk.idl import load_idl_json
from solgrid.sdk.registry import (
    MAX_CAPACITY_TOLERANCE_BPS,
    MAX_CLOCK_SKEW_SECS_LIMIT,
    MAX_READING_AGE_SECS_LIMIT,
    MAX_WINDOW_SECS_LIMIT,
    ConfigInitialized,
    Limits,
    UserRegistered,
    UserRole,
    UserStatus,
    ZoneStatus,
)


def derive_address(seeds: list[bytes], program_id: Pubkey) -> Pubkey:
    """The address of ``seeds`` (bump included) under ``program_id``, on the curve or not."""
    return Pubkey(hashlib.sha256(b"".join(seeds) + bytes(program_id) + b"ProgramDerivedAddress").digest())


def rent_exempt(registry: RegistryEnv, size: int) -> int:
    return registry.svm.minimum_balance_for_rent_exemption(size)


def account_size(name: str) -> int:
    """8 + the borsh size of the IDL type (all SolGrid account fields have fixed sizes)."""
    sizes = {"pubkey": 32, "u8": 1, "u16": 2, "u32": 4, "u64": 8, "i64": 8}
    types = {t["name"]: t["type"] for t in load_idl_json("registry")["types"]}

    def size(ty: object) -> int:
        if isinstance(ty, str):
            return sizes[ty]
        assert isinstance(ty, dict)
        if "array" in ty:
            inner, n = ty["array"]
            return int(size(inner) * n)
        defined = types[ty["defined"]["name"]]
        if defined["kind"] == "struct":
            return sum(size(f["type"]) for f in defined["fields"])
        assert all("fields" not in v for v in defined["variants"])
        return 1

    return 8 + sum(size(f["type"]) for f in types[name]["fields"])


CONFIG_LEN = account_size("Config")
USER_LEN = account_size("User")


def init_ix(registry: RegistryEnv, payer: Pubkey | None = None, authority: Pubkey | None = None,
            limits: Limits | None = None) -> Instruction:  # fmt: skip
    return registry.client.initialize(
        payer=payer or registry.payer.pubkey(), authority=authority or registry.payer.pubkey(), limits=limits
    )


# -- initialize ----------------------------------------------------------------------------------------


def test_initialize_creates_config_and_emits_event(registry: RegistryEnv) -> None:
    registry.set_unix_time(T0)
    limits = Limits(max_meters_per_user=24, max_reading_age_secs=3600, capacity_tolerance_bps=12_000)
    sent = registry.initialize(limits=limits)

    pda = registry.client.config_pda()
    account = registry.account(pda.address)
    assert account is not None
    assert account.owner == registry.program_id
    assert len(account.data) == CONFIG_LEN == 8 + 32 * 3 + 32 * 8 + 3 + 8 + 4 + 8 + 20 + 64
    assert account.lamports == rent_exempt(registry, len(account.data))
    config = registry.config()
    assert config.authority == registry.payer.pubkey()
    assert config.pending_authority is None and config.settlement_authority is None
    assert (config.regulators, config.regulator_threshold) == ([], 0)
    assert (config.user_count, config.zone_count, config.meter_count) == (0, 0, 0)
    assert config.limits == limits
    assert config.bump == pda.bump
    assert bytes(account.data)[-64:] == bytes(64)  # reserved stays zero

    assert registry.client.events(sent.logs) == [
        ConfigInitialized(config=pda.address, authority=registry.payer.pubkey(), limits=limits, timestamp=T0)
    ]


def test_initialize_with_separate_payer_and_authority(registry: RegistryEnv) -> None:
    funder = registry.wallet()
    before = registry.balance(funder.pubkey())
    registry.send([init_ix(registry, payer=funder.pubkey())], [funder])
    assert before - registry.balance(funder.pubkey()) == rent_exempt(registry, CONFIG_LEN)
    assert registry.config().authority == registry.payer.pubkey()


def test_initialize_accepts_the_limit_bounds(registry: RegistryEnv) -> None:
    limits = Limits(
        max_meters_per_user=65535,
        min_window_secs=MAX_WINDOW_SECS_LIMIT,
        max_window_secs=MAX_WINDOW_SECS_LIMIT,
        max_reading_age_secs=MAX_READING_AGE_SECS_LIMIT,
        max_clock_skew_secs=MAX_CLOCK_SKEW_SECS_LIMIT,
        capacity_tolerance_bps=MAX_CAPACITY_TOLERANCE_BPS,
    )
    registry.initialize(limits=limits)
    assert registry.config().limits == limits


@pytest.mark.parametrize(
    "change",
    [
        {"max_meters_per_user": 0},
        {"min_window_secs": 0},
        {"min_window_secs": 3601},
        {"max_window_secs": MAX_WINDOW_SECS_LIMIT + 1},
        {"max_reading_age_secs": 0},
        {"max_reading_age_secs": MAX_READING_AGE_SECS_LIMIT + 1},
        {"max_clock_skew_secs": MAX_CLOCK_SKEW_SECS_LIMIT + 1},
        {"capacity_tolerance_bps": 0},
        {"capacity_tolerance_bps": MAX_CAPACITY_TOLERANCE_BPS + 1},
    ],
)
def test_initialize_rejects_limits_out_of_range(registry: RegistryEnv, change: dict[str, int]) -> None:
    limits = dataclasses.replace(Limits(), **change)
    assert registry.fail([init_ix(registry, limits=limits)]) == code("InvalidLimits")


def test_initialize_twice_fails(registry: RegistryEnv) -> None:
    registry.initialize()
    again = init_ix(registry, limits=Limits(max_meters_per_user=2))
    assert registry.fail([again]) == code("AlreadyInitialized")
    assert registry.config().limits == Limits()


def test_initialize_requires_the_authority_signature(registry: RegistryEnv) -> None:
    other = registry.wallet()
    ix = init_ix(registry, authority=other.pubkey())
    assert registry.fail([with_meta(ix, 1, signer=False)]) == code("MissingSigner")


def test_initialize_requires_a_signing_writable_payer(registry: RegistryEnv) -> None:
    funder = registry.wallet()
    ix = init_ix(registry, payer=funder.pubkey())
    assert registry.fail([with_meta(ix, 0, signer=False)]) == code("MissingSigner")
    assert registry.fail([with_meta(ix, 0, writable=False)], [funder]) == code("AccountNotWritable")


def test_initialize_requires_writable_config(registry: RegistryEnv) -> None:
    assert registry.fail([with_meta(init_ix(registry), 2, writable=False)]) == code("AccountNotWritable")


def test_initialize_rejects_a_config_at_another_address(registry: RegistryEnv) -> None:
    ix = init_ix(registry)
    elsewhere = Pubkey.find_program_address([b"config2"], registry.program_id)[0]
    assert registry.fail([with_account(ix, 2, elsewhere)]) == code("InvalidPda")
    assert registry.fail([with_account(ix, 2, Keypair().pubkey())]) == code("InvalidPda")


def test_initialize_rejects_the_wrong_program_or_program_data(registry: RegistryEnv) -> None:
    ix = init_ix(registry)
    other_program = Pubkey.from_string("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA")
    assert registry.fail([with_account(ix, 3, other_program)]) == code("InvalidProgramData")
    assert registry.fail([with_account(ix, 3, Keypair().pubkey())]) == code("InvalidProgramData")
    assert registry.fail([with_account(ix, 4, Keypair().pubkey())]) == code("InvalidProgramData")


def test_initialize_rejects_the_wrong_system_program(registry: RegistryEnv) -> None:
    ix = init_ix(registry)
    assert registry.fail([with_account(ix, 5, Keypair().pubkey())]) == code("InvalidSystemProgram")
    assert registry.fail([with_account(ix, 5, registry.program_id)]) == code("InvalidSystemProgram")


def test_initialize_gate_follows_the_loader(registry: RegistryEnv) -> None:
    """Deployed through BPFLoaderUpgradeable only the upgrade authority may initialise; loaded by the
    non-upgradeable loader (``add_program``, as genesis does) the first caller does."""
    stranger = registry.wallet()
    ix = init_ix(registry, payer=stranger.pubkey(), authority=stranger.pubkey())
    if registry.mode == "deploy":
        assert registry.fail([ix], [stranger]) == code("NotUpgradeAuthority")
        registry.initialize()
        assert registry.config().authority == registry.payer.pubkey()
    else:
        registry.send([ix], [stranger])
        assert registry.config().authority == stranger.pubkey()


@pytest.mark.parametrize("registry", ["deploy"], indirect=True)  # needs a BPFLoaderUpgradeable deployment
def test_initialize_follows_the_upgrade_authority_and_refuses_a_frozen_program(registry: RegistryEnv) -> None:
    heir = registry.wallet()
    registry.send([loader.set_upgrade_authority(registry.program_id, registry.payer.pubkey(), heir.pubkey())])
    # The deployer handed the program over: it may no longer initialise, its heir may.
    assert registry.fail([init_ix(registry)]) == code("NotUpgradeAuthority")
    registry.send([loader.set_upgrade_authority(registry.program_id, heir.pubkey(), None)], [heir])
    # Frozen: nobody is the upgrade authority, so nobody can take the market over.
    assert registry.fail([init_ix(registry, authority=heir.pubkey())], [heir]) == code("NotUpgradeAuthority")


def test_initialize_needs_all_accounts(registry: RegistryEnv) -> None:
    ix = init_ix(registry)
    short = Instruction(ix.program_id, bytes(ix.data), list(ix.accounts)[:5])
    assert registry.fail([short]) == code("NotEnoughAccounts")


@pytest.mark.parametrize("cut", [1, -1])
def test_initialize_rejects_wrong_argument_length(registry: RegistryEnv, cut: int) -> None:
    ix = init_ix(registry)
    data = bytes(ix.data)
    bad = data[:-1] if cut > 0 else data + b"\x00"
    assert registry.fail([with_data(ix, bad)]) == code("InvalidInstructionData")


@pytest.mark.parametrize(
    "data",
    [b"", b"\xaf\xaf\x6d", hashlib.sha256(b"global:initialise").digest()[:8] + bytes(20)],
    ids=["empty", "short", "unknown"],
)
def test_unknown_or_short_discriminator(registry: RegistryEnv, data: bytes) -> None:
    assert registry.fail([with_data(init_ix(registry), data)]) == code("UnknownInstruction")


# -- register_user -------------------------------------------------------------------------------------


def register_ix(registry: RegistryEnv, wallet: Keypair, role: UserRole = UserRole.CONSUMER,
                zone_id: int = ZONE_ID) -> Instruction:  # fmt: skip
    return registry.client.register_user(
        payer=registry.payer.pubkey(), authority=wallet.pubkey(), role=role, zone_id=zone_id
    )


def test_register_user_each_role_starts_pending(registry: RegistryEnv) -> None:
    registry.market()
    registry.set_unix_time(T0 + 60)
    for index, role in enumerate(UserRole):
        wallet = registry.wallet()
        sent = registry.register(wallet, role)
        pda = registry.client.user_pda(wallet.pubkey())
        account = registry.account(pda.address)
        assert account is not None
        assert account.owner == registry.program_id
        assert len(account.data) == USER_LEN == 97
        assert account.lamports == rent_exempt(registry, USER_LEN)
        user = registry.user(wallet.pubkey())
        assert user.authority == wallet.pubkey()
        assert (user.role, user.status, user.bump) == (role, UserStatus.PENDING, pda.bump)
        assert (user.zone_id, user.meter_count, user.user_index, user.registered_at) == (
            ZONE_ID,
            0,
            index,
            T0 + 60,
        )
        assert registry.client.events(sent.logs) == [
            UserRegistered(
                user=pda.address,
                authority=wallet.pubkey(),
                role=role,
                zone_id=ZONE_ID,
                user_index=index,
                timestamp=T0 + 60,
            )
        ]
    assert registry.config().user_count == len(UserRole)


def test_register_user_payer_funds_and_authority_only_signs(registry: RegistryEnv) -> None:
    registry.market()
    wallet = registry.wallet()
    before = registry.balance(wallet.pubkey())
    payer_before = registry.balance(registry.payer.pubkey())
    registry.register(wallet, UserRole.CONSUMER)
    assert registry.balance(wallet.pubkey()) == before
    assert payer_before - registry.balance(registry.payer.pubkey()) >= rent_exempt(registry, USER_LEN)


@pytest.mark.parametrize("prefund", [0, 10**9], ids=["least", "plenty"])
def test_register_user_survives_a_prefunded_address(registry: RegistryEnv, prefund: int) -> None:
    """Anyone can send lamports to the PDA first; creation must still work (and top up if needed).

    The least anyone can send to a new address is its rent-exempt minimum (0 stands for it): a cluster
    refuses less (InsufficientFundsForRent). That is still below a User's, so the top-up path runs."""
    prefund = prefund or rent_exempt(registry, 0)
    registry.market()
    wallet = registry.wallet()
    address = registry.client.user_pda(wallet.pubkey()).address
    registry.send(
        [transfer(TransferParams(from_pubkey=registry.payer.pubkey(), to_pubkey=address, lamports=prefund))]
    )
    registry.register(wallet, UserRole.GRID_OPERATOR)
    account = registry.account(address)
    assert account is not None and account.owner == registry.program_id
    assert account.lamports == max(prefund, rent_exempt(registry, USER_LEN))
    assert registry.user(wallet.pubkey()).role == UserRole.GRID_OPERATOR


def test_register_user_twice_fails(registry: RegistryEnv) -> None:
    registry.market()
    wallet = registry.wallet()
    registry.register(wallet, UserRole.CONSUMER)
    assert registry.fail([register_ix(registry, wallet, UserRole.PROSUMER)], [wallet]) == code(
        "AlreadyInitialized"
    )
    assert registry.user(wallet.pubkey()).role == UserRole.CONSUMER
    assert registry.config().user_count == 1


def test_register_user_requires_the_authority_signature(registry: RegistryEnv) -> None:
    registry.market()
    ix = register_ix(registry, registry.wallet())
    assert registry.fail([with_meta(ix, 1, signer=False)]) == code("MissingSigner")


def test_register_user_rejects_a_bad_role(registry: RegistryEnv) -> None:
    registry.market()
    wallet = registry.wallet()
    ix = register_ix(registry, wallet)
    data = bytes(ix.data)
    for role in (3, 255):
        assert registry.fail([with_data(ix, data[:8] + bytes([role]) + data[9:])], [wallet]) == code(
            "InvalidRole"
        )
    assert registry.fail([with_data(ix, data + b"\x00")], [wallet]) == code("InvalidInstructionData")
    assert registry.fail([with_data(ix, data[:8])], [wallet]) == code("InvalidInstructionData")


def test_register_user_needs_an_existing_open_zone(registry: RegistryEnv) -> None:
    registry.market()
    wallet = registry.wallet()
    # A zone id with no Zone account: the (empty, system-owned) address is refused.
    assert registry.fail([register_ix(registry, wallet, zone_id=99)], [wallet]) == code("InvalidOwner")
    # Another zone's account under this zone id.
    registry.create_zone(8, "south")
    substituted = with_account(register_ix(registry, wallet), 3, registry.client.zone_pda(8).address)
    assert registry.fail([substituted], [wallet]) == code("ZoneMismatch")
    quorum = registry.quorum()
    halt = registry.client.set_zone_status(
        zone_id=ZONE_ID, status=ZoneStatus.HALTED, cosigners=[r.pubkey() for r in quorum]
    )
    registry.send([halt], quorum)
    assert registry.fail([register_ix(registry, wallet)], [wallet]) == code("ZoneHalted")
    registry.register(wallet, zone_id=8)
    assert registry.user(wallet.pubkey()).zone_id == 8


def test_register_user_before_initialize_fails(registry: RegistryEnv) -> None:
    wallet = registry.wallet()
    assert registry.fail([register_ix(registry, wallet)], [wallet]) == code("InvalidOwner")


def test_register_user_rejects_a_config_owned_by_another_program(registry: RegistryEnv) -> None:
    registry.market()
    address = registry.client.config_pda().address
    real = registry.account(address)
    assert real is not None
    registry.svm.set_account(
        address, Account(real.lamports, bytes(real.data), Keypair().pubkey(), False, real.rent_epoch)
    )
    wallet = registry.wallet()
    assert registry.fail([register_ix(registry, wallet)], [wallet]) == code("InvalidOwner")


def test_register_user_rejects_a_substituted_config(registry: RegistryEnv) -> None:
    registry.market()
    real = registry.account(registry.client.config_pda().address)
    assert real is not None
    # A program-owned copy of the real Config at another address (the PDA check must catch it) ...
    fake = Keypair().pubkey()
    registry.svm.set_account(fake, Account(real.lamports, bytes(real.data), registry.program_id, False, 0))
    wallet = registry.wallet()
    ix = register_ix(registry, wallet)
    assert registry.fail([with_account(ix, 2, fake)], [wallet]) == code("InvalidPda")
    # ... and a User account in the Config slot (the discriminator check must catch it).
    first = registry.wallet()
    registry.register(first)
    user_account = registry.client.user_pda(first.pubkey()).address
    assert registry.fail([with_account(ix, 2, user_account)], [wallet]) == code("InvalidAccountData")


def test_register_user_rejects_another_wallets_user_address(registry: RegistryEnv) -> None:
    registry.market()
    wallet, other = registry.wallet(), registry.wallet()
    other_pda = registry.client.user_pda(other.pubkey()).address
    assert registry.fail([with_account(register_ix(registry, wallet), 4, other_pda)], [wallet]) == code(
        "InvalidPda"
    )


def test_register_user_rejects_a_non_canonical_bump(registry: RegistryEnv) -> None:
    """A second off-curve bump would give a wallet a second User account; only the canonical one counts."""
    registry.market()
    while True:
        wallet = registry.wallet()
        canonical = registry.client.user_pda(wallet.pubkey())
        prefix = [b"user", bytes(wallet.pubkey())]
        assert derive_address([*prefix, bytes([canonical.bump])], registry.program_id) == canonical.address
        lower = derive_address([*prefix, bytes([canonical.bump - 1])], registry.program_id)
        if not lower.is_on_curve():
            break
    assert registry.fail([with_account(register_ix(registry, wallet), 4, lower)], [wallet]) == code(
        "InvalidPda"
    )


def test_register_user_requires_writable_accounts(registry: RegistryEnv) -> None:
    registry.market()
    wallet = registry.wallet()
    ix = register_ix(registry, wallet)
    assert registry.fail([with_meta(ix, 2, writable=False)], [wallet]) == code("AccountNotWritable")
    assert registry.fail([with_meta(ix, 4, writable=False)], [wallet]) == code("AccountNotWritable")


def test_register_user_rejects_the_wrong_system_program(registry: RegistryEnv) -> None:
    registry.market()
    wallet = registry.wallet()
    ix = register_ix(registry, wallet)
    assert registry.fail([with_account(ix, 5, Keypair().pubkey())], [wallet]) == code("InvalidSystemProgram")


def test_register_user_needs_all_accounts(registry: RegistryEnv) -> None:
    registry.market()
    wallet = registry.wallet()
    ix = register_ix(registry, wallet)
    short = Instruction(ix.program_id, bytes(ix.data), list(ix.accounts)[:5])
    assert registry.fail([short], [wallet]) == code("NotEnoughAccounts")


# -- compute units -------------------------------------------------------------------------------------


def test_compute_units_are_recorded_and_match_the_bench(
    registry: RegistryEnv, registry_elf: bytes, registry_cu_bench: ModuleType
) -> None:
    bench = registry_cu_bench.measure_cu(registry_elf, registry.mode)
    print(f"\nregistry CU ({registry.mode}): {bench}; .so {len(registry_elf)} bytes")
    expected = {
        "initialize",
        "set_regulators",
        "create_zone",
        "register_user",
        "verify_user",
        "register_meter",
        "activate_meter",
        "settle_meter",
        "submit_readings[1]",
        "submit_readings[6]",
        "per_reading[6]",
    }
    assert expected <= set(bench)
    assert bench["per_reading[6]"] == bench["submit_readings[6]"] // 6
    assert bench["per_reading[6]"] <= 8_000
    # This env's own initialize (same program id, same bumps) costs what the bench measured.
    registry.initialize()
    assert registry.cu["initialize"] == [bench["initialize"]]

"""``submit_readings`` in LiteSVM: device-signed readings through the Ed25519 precompile.

Success paths (one reading; a 6-reading batch in a v0 transaction with a lookup table, which must fit the
1232-byte packet) and the attack table: foreign-owned and substituted accounts, replay, another key, a
tampered message, Ed25519 offsets redirected into another instruction (each of the three index fields),
mixed good and bad readings (atomic), counter overflow, suspended user, halted zone, inactive meter and
every window rule; each expecting its IDL error.
"""

from __future__ import annotations

import struct

import pytest
from instruction_edits import with_account, with_meta
from registry_harness import T0, ZONE_ID, Prosumer, RegistryEnv, code
from solders.account import Account
from solders.compute_budget import set_compute_unit_price
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.system_program import TransferParams, transfer
from solders.transaction_status import InstructionErrorCustom, TransactionErrorInstructionError

from solgrid.sdk.lookup_tables import MAX_TRANSACTION_SIZE, transaction_size, v0_transaction
from solgrid.sdk.readings import (
    ED25519_PROGRAM_ID,
    HEADER_LEN,
    DeviceSigner,
    Reading,
    SignedReading,
    verify,
)
from solgrid.sdk.registry import (
    EnergySource,
    Limits,
    MeterStatus,
    ReadingAccepted,
    ZoneStatus,
)

HOUR = 3600
GOOD = Reading(T0, T0 + HOUR, 5_000, 1_200)


@pytest.fixture
def market(registry: RegistryEnv) -> RegistryEnv:
    registry.market()
    return registry


def at(registry: RegistryEnv, t: int) -> None:
    registry.set_unix_time(t)


def meter_bytes(registry: RegistryEnv, who: Prosumer) -> bytes:
    return registry.data(who.meter)


def test_one_reading_updates_the_meter_and_emits_an_event(market: RegistryEnv) -> None:
    p = market.prosumer()
    at(market, T0 + HOUR)
    sent = market.submit([(p, GOOD)])
    meter = market.meter(p.meter)
    assert (meter.produced_wh, meter.consumed_wh, meter.certified_wh, meter.reading_count) == (
        5_000,
        1_200,
        5_000,
        1,
    )
    assert meter.last_window_end == T0 + HOUR
    assert market.client.events(sent.logs) == [
        ReadingAccepted(p.meter, T0, T0 + HOUR, 5_000, 1_200, 5_000, 1_200)
    ]
    assert sent.program_cu(market.program_id) <= 8_000


def test_battery_production_is_not_certified_and_anyone_may_submit(market: RegistryEnv) -> None:
    p = market.prosumer(source=EnergySource.BATTERY)
    at(market, T0 + HOUR)
    relayer = market.wallet()  # an unrelated fee payer
    from solgrid.localnet.svm import send

    send(market.svm, relayer, market.readings_ixs([(p, GOOD)]))
    meter = market.meter(p.meter)
    assert (meter.produced_wh, meter.certified_wh) == (5_000, 0)


def test_six_readings_in_one_v0_transaction_with_a_lookup_table(market: RegistryEnv) -> None:
    prosumers = [market.prosumer() for _ in range(6)]
    table = market.table(prosumers)
    at(market, T0 + HOUR)
    batch = [(p, Reading(T0, T0 + HOUR, 1_000 + i, 100 * i)) for i, p in enumerate(prosumers)]
    ixs = market.readings_ixs(batch)
    size = transaction_size(v0_transaction(ixs, market.payer, [], market.svm.latest_blockhash(), [table]))
    print(f"\n6 readings: {size} bytes (limit {MAX_TRANSACTION_SIZE})")
    assert size <= MAX_TRANSACTION_SIZE
    sent = market.submit(batch, table)
    for i, p in enumerate(prosumers):
        meter = market.meter(p.meter)
        assert (meter.produced_wh, meter.consumed_wh, meter.last_window_end) == (
            1_000 + i,
            100 * i,
            T0 + HOUR,
        )
    assert len(market.client.events(sent.logs)) == 6
    assert sent.program_cu(market.program_id) <= 6 * 8_000


def test_a_priority_fee_leaves_room_for_five_readings(market: RegistryEnv) -> None:
    """A compute-unit price instruction needs the ComputeBudget program as a static key (program ids
    cannot come from a lookup table): 6 readings then overflow the packet, 5 fit."""
    prosumers = [market.prosumer() for _ in range(6)]
    table = market.table(prosumers)
    at(market, T0 + HOUR)
    batch = [(p, Reading(T0, T0 + HOUR, 1_000, 0)) for p in prosumers]
    blockhash = market.svm.latest_blockhash()

    def size(readings: list[tuple[Prosumer, Reading]]) -> int:
        ixs = [set_compute_unit_price(1_000), *market.readings_ixs(readings)]
        return transaction_size(v0_transaction(ixs, market.payer, [], blockhash, [table]))

    assert size(batch) > MAX_TRANSACTION_SIZE
    assert size(batch[:5]) <= MAX_TRANSACTION_SIZE


def test_consecutive_windows_accumulate(market: RegistryEnv) -> None:
    p = market.prosumer()
    for i in range(3):
        at(market, T0 + (i + 1) * HOUR)
        market.submit([(p, Reading(T0 + i * HOUR, T0 + (i + 1) * HOUR, 1_000, 10))])
    meter = market.meter(p.meter)
    assert (meter.produced_wh, meter.consumed_wh, meter.reading_count) == (3_000, 30, 3)


# -- attack table: accounts ----------------------------------------------------------------------------


def test_account_owned_by_another_program(market: RegistryEnv) -> None:
    p = market.prosumer()
    at(market, T0 + HOUR)
    ixs = market.readings_ixs([(p, GOOD)])
    for address in (p.meter, p.accounts.user, p.accounts.zone, market.client.config_pda().address):
        real = market.account(address)
        assert real is not None
        market.svm.set_account(
            address, Account(real.lamports, bytes(real.data), Keypair().pubkey(), False, 0)
        )
        assert market.fail(ixs) == code("InvalidOwner"), address
        market.svm.set_account(address, real)
    market.send(ixs)


def test_substituted_user_zone_and_meter(market: RegistryEnv) -> None:
    p, q = market.prosumer(), market.prosumer()
    at(market, T0 + HOUR)
    ed, submit = market.readings_ixs([(p, GOOD)])
    # Another owner's User for p's meter.
    assert market.fail([ed, with_account(submit, 3, q.accounts.user)]) == code("UserMismatch")
    # Another zone.
    market.create_zone(8, "south")
    assert market.fail([ed, with_account(submit, 4, market.client.zone_pda(8).address)]) == code(
        "ZoneMismatch"
    )
    # q's meter (with q's user and zone) under p's signed reading: the device key differs.
    swapped = with_account(with_account(submit, 2, q.meter), 3, q.accounts.user)
    assert market.fail([ed, swapped]) == code("DeviceKeyMismatch")
    # A User account in the meter slot, the Config in the zone slot: discriminators.
    assert market.fail([ed, with_account(submit, 2, p.accounts.user)]) == code("InvalidAccountData")
    config = market.client.config_pda().address
    assert market.fail([ed, with_account(submit, 4, config)]) == code("InvalidAccountData")
    # The meter itself in the user or zone slot.
    assert market.fail([ed, with_account(submit, 3, p.meter)]) == code("UserMismatch")
    assert market.fail([ed, with_account(submit, 4, p.meter)]) == code("ZoneMismatch")
    assert market.meter(p.meter).reading_count == 0


def test_reading_bound_to_its_meter_even_with_a_shared_device_key(market: RegistryEnv) -> None:
    """An attacker registers a meter with the victim's device key and replays the victim's signed reading
    for it: the message binds the meter address, so it does not verify for the attacker's meter."""
    victim = market.prosumer()
    attacker = market.wallet()
    market.register(attacker)
    market.verify(attacker.pubkey())
    serial = market.next_serial()
    meter = market.register_meter(attacker, victim.device, serial)
    market.activate(meter)
    at(market, T0 + HOUR)
    ed, submit = market.readings_ixs([(victim, GOOD)])
    stolen = market.client.meter_accounts(serial, attacker.pubkey(), ZONE_ID)
    redirected = with_account(with_account(submit, 2, stolen.meter), 3, stolen.user)
    assert market.fail([ed, redirected]) == code("ReadingMessageMismatch")
    assert market.meter(meter).produced_wh == 0


def test_meter_must_be_writable_and_accounts_must_match_the_batch(market: RegistryEnv) -> None:
    p = market.prosumer()
    at(market, T0 + HOUR)
    ed, submit = market.readings_ixs([(p, GOOD)])
    assert market.fail([ed, with_meta(submit, 2, writable=False)]) == code("AccountNotWritable")
    short = Instruction(submit.program_id, bytes(submit.data), list(submit.accounts)[:4])
    assert market.fail([ed, short]) == code("InvalidBatchSize")
    extra = Instruction(
        submit.program_id, bytes(submit.data), [*submit.accounts, AccountMeta(p.meter, False, True)]
    )
    assert market.fail([ed, extra]) == code("InvalidBatchSize")
    assert market.fail([ed, with_account(submit, 1, p.meter)]) == code("InvalidInstructionsSysvar")
    empty = Instruction(submit.program_id, bytes(submit.data)[:8] + bytes(4), list(submit.accounts)[:2])
    assert market.fail([ed, empty]) == code("InvalidBatchSize")
    truncated = Instruction(submit.program_id, bytes(submit.data)[:-1], list(submit.accounts))
    assert market.fail([ed, truncated]) == code("InvalidInstructionData")


# -- attack table: signatures --------------------------------------------------------------------------


def test_replayed_reading_is_refused(market: RegistryEnv) -> None:
    p = market.prosumer()
    at(market, T0 + HOUR)
    ixs = market.readings_ixs([(p, GOOD)])
    market.send(ixs)
    before = meter_bytes(market, p)
    assert market.fail(ixs) == code("WindowNotAfterLast")
    assert meter_bytes(market, p) == before


def test_reading_signed_by_another_key(market: RegistryEnv) -> None:
    p = market.prosumer()
    at(market, T0 + HOUR)
    forged = market.sign(p, GOOD, DeviceSigner.generate())
    assert verify(forged)  # a valid signature, just not by the meter's device
    assert market.fail(market.client.reading_batch([(p.accounts, forged)])) == code("DeviceKeyMismatch")


def test_tampered_reading_does_not_match_the_signed_message(market: RegistryEnv) -> None:
    p = market.prosumer()
    at(market, T0 + HOUR)
    ed, submit = market.readings_ixs([(p, GOOD)])
    data = bytearray(bytes(submit.data))
    struct.pack_into("<I", data, 8 + 4 + 6, 5_001)  # production_wh of reading 0
    tampered = Instruction(submit.program_id, bytes(data), list(submit.accounts))
    assert market.fail([ed, tampered]) == code("ReadingMessageMismatch")


def test_tampered_signed_bytes_fail_at_the_precompile(market: RegistryEnv) -> None:
    p = market.prosumer()
    at(market, T0 + HOUR)
    ed, submit = market.readings_ixs([(p, GOOD)])
    data = bytearray(bytes(ed.data))
    data[-1] ^= 1  # the signed message
    from solgrid.localnet.svm import TransactionFailed

    with pytest.raises(TransactionFailed) as failed:
        market.send([Instruction(ed.program_id, bytes(data), []), submit])
    # The precompile refuses it (instruction 1, after the compute-unit limit `send` puts first) with
    # PrecompileError::InvalidSignature: the registry never runs.
    assert failed.value.err == TransactionErrorInstructionError(1, InstructionErrorCustom(2))
    assert market.meter(p.meter).reading_count == 0


@pytest.mark.parametrize("field", ["signature", "public_key", "message"])
def test_offsets_redirected_into_another_instruction(market: RegistryEnv, field: str) -> None:
    """A second Ed25519 instruction whose offsets entry takes one field from the first one (index 1):
    the precompile verifies it (the bytes agree), but the registry only trusts the instruction's own
    bytes."""
    p = market.prosumer()
    at(market, T0 + HOUR)
    genuine, submit = market.readings_ixs([(p, GOOD)])
    index_at = {"signature": 2, "public_key": 6, "message": 12}[field]
    data = bytearray(bytes(genuine.data))
    struct.pack_into("<H", data, HEADER_LEN + index_at, 1)  # instruction 1: `genuine` (0 is the budget ix)
    redirected = Instruction(ED25519_PROGRAM_ID, bytes(data), [])
    assert market.fail([genuine, redirected, submit]) == code("Ed25519OffsetRedirected")
    assert market.meter(p.meter).reading_count == 0


def test_ed25519_instruction_must_precede_and_match_the_batch(market: RegistryEnv) -> None:
    p, q = market.prosumer(), market.prosumer()
    at(market, T0 + HOUR)
    ed, submit = market.readings_ixs([(p, GOOD)])
    assert market.fail([submit]) == code("Ed25519InstructionMissing")
    nudge = transfer(
        TransferParams(from_pubkey=market.payer.pubkey(), to_pubkey=p.wallet.pubkey(), lamports=1)
    )
    assert market.fail([ed, nudge, submit]) == code("Ed25519InstructionMissing")
    # Two readings, one signature.
    _, submit_two = market.readings_ixs([(p, GOOD), (q, GOOD)])
    assert market.fail([ed, submit_two]) == code("Ed25519SignatureCountMismatch")


def test_signed_message_must_be_32_bytes(market: RegistryEnv) -> None:
    p = market.prosumer()
    at(market, T0 + HOUR)
    _, submit = market.readings_ixs([(p, GOOD)])
    signed = market.sign(p, GOOD)
    message = signed.message + b"\0"
    short = SignedReading(p.meter, GOOD, signed.public_key, p.device.sign_bytes(message), message)
    ed = ed25519_instruction_any_length([short])
    assert market.fail([ed, submit]) == code("Ed25519MessageLength")


def ed25519_instruction_any_length(batch: list[SignedReading]) -> Instruction:
    """Like :func:`ed25519_instruction` but without the 32-byte message check (for attack tests)."""
    (signed,) = batch
    offset = HEADER_LEN + 14
    data = bytearray([1, 0])
    data += struct.pack(
        "<HHHHHHH", offset + 32, 0xFFFF, offset, 0xFFFF, offset + 96, len(signed.message), 0xFFFF
    )
    data += signed.public_key + signed.signature + signed.message
    return Instruction(ED25519_PROGRAM_ID, bytes(data), [])


# -- attack table: state -------------------------------------------------------------------------------


def test_mixed_batch_is_atomic(market: RegistryEnv) -> None:
    good, bad = market.prosumer(), market.prosumer()
    table = market.table([good, bad])
    at(market, T0 + HOUR)
    batch = [
        (good.accounts, market.sign(good, GOOD)),
        (bad.accounts, market.sign(bad, GOOD, DeviceSigner.generate())),
    ]
    before = (meter_bytes(market, good), meter_bytes(market, bad))
    assert market.fail(market.client.reading_batch(batch), tables=[table]) == code("DeviceKeyMismatch")
    assert (meter_bytes(market, good), meter_bytes(market, bad)) == before
    over = [(good, GOOD), (bad, Reading(T0, T0 + HOUR, 10**6, 0))]
    assert market.fail(market.readings_ixs(over), tables=[table]) == code("ProductionExceedsCapacity")
    assert (meter_bytes(market, good), meter_bytes(market, bad)) == before


METER_COUNTERS = ["produced_wh", "consumed_wh", "settled_wh", "certified_wh", "reading_count"]


@pytest.mark.parametrize("counter", ["produced_wh", "consumed_wh", "certified_wh", "reading_count"])
def test_counter_overflow(market: RegistryEnv, counter: str) -> None:
    p = market.prosumer()
    # Meter layout: 8 discriminator + serial, owner, user (96) + zone_id (4) + device_key (32) + source,
    # status, bump (3) + capacity_w, last_window_end (16), then the u64 counters in METER_COUNTERS order.
    offset = 8 + 96 + 4 + 32 + 3 + 16 + 8 * METER_COUNTERS.index(counter)
    real = market.account(p.meter)
    assert real is not None
    data = bytearray(bytes(real.data))
    near_max = 2**64 - 1 if counter == "reading_count" else 2**64 - 1_000
    struct.pack_into("<Q", data, offset, near_max)
    market.svm.set_account(p.meter, Account(real.lamports, bytes(data), real.owner, False, 0))
    assert getattr(market.meter(p.meter), counter) == near_max
    at(market, T0 + HOUR)
    assert market.fail(market.readings_ixs([(p, GOOD)])) == code("ArithmeticOverflow")
    assert meter_bytes(market, p) == bytes(data)


def test_suspended_user(market: RegistryEnv) -> None:
    p = market.prosumer()
    regulator = market.regulators[0]
    at(market, T0 + HOUR // 2)
    market.send(
        [market.client.suspend_user(regulator=regulator.pubkey(), wallet=p.wallet.pubkey())], [regulator]
    )
    at(market, T0 + HOUR)
    ixs = market.readings_ixs([(p, GOOD)])
    assert market.fail(ixs) == code("UserSuspended")
    market.send(
        [market.client.reinstate_user(regulator=regulator.pubkey(), wallet=p.wallet.pubkey())], [regulator]
    )
    assert market.client.decode_user(market.data(p.accounts.user)).verified_at == T0 + HOUR
    # Reinstated: the window that overlaps the suspension is never credited, not even now ...
    assert market.fail(market.readings_ixs([(p, GOOD)])) == code("WindowBeforeUserVerified")
    at(market, T0 + 2 * HOUR)
    late_start = Reading(T0 + HOUR - 1, T0 + 2 * HOUR - 1, 10, 0)
    assert market.fail(market.readings_ixs([(p, late_start)])) == code("WindowBeforeUserVerified")
    # ... and a window from the reinstatement on is.
    market.send(market.readings_ixs([(p, Reading(T0 + HOUR, T0 + 2 * HOUR, 10, 0))]))
    assert market.meter(p.meter).last_window_end == T0 + 2 * HOUR


def test_halted_zone(market: RegistryEnv) -> None:
    p = market.prosumer()
    quorum = market.quorum()
    cosigners = [r.pubkey() for r in quorum]
    halt = market.client.set_zone_status(zone_id=ZONE_ID, status=ZoneStatus.HALTED, cosigners=cosigners)
    at(market, T0 + HOUR // 2)
    market.send([halt], quorum)
    at(market, T0 + HOUR)
    ixs = market.readings_ixs([(p, GOOD)])
    assert market.fail(ixs) == code("ZoneHalted")
    maintenance = market.client.set_zone_status(
        zone_id=ZONE_ID, status=ZoneStatus.MAINTENANCE, cosigners=cosigners
    )
    market.send([maintenance], quorum)
    assert market.client.decode_zone(market.data(p.accounts.zone)).reopened_at == T0 + HOUR
    # Out of the halt (Maintenance still takes readings), but the halted window is never credited.
    assert market.fail(market.readings_ixs([(p, GOOD)])) == code("WindowBeforeZoneReopened")
    at(market, T0 + 2 * HOUR)
    market.send(market.readings_ixs([(p, Reading(T0 + HOUR, T0 + 2 * HOUR, 10, 0))]))
    # Maintenance -> Active does not move the bound: only leaving a halt does.
    at(market, T0 + 3 * HOUR)
    active = market.client.set_zone_status(zone_id=ZONE_ID, status=ZoneStatus.ACTIVE, cosigners=cosigners)
    market.send([active], quorum)
    assert market.client.decode_zone(market.data(p.accounts.zone)).reopened_at == T0 + HOUR
    market.send(market.readings_ixs([(p, Reading(T0 + 2 * HOUR, T0 + 3 * HOUR, 10, 0))]))


def test_meter_not_active(market: RegistryEnv) -> None:
    p = market.prosumer()
    regulator = market.regulators[0]
    pause = market.client.set_meter_status(
        regulator=regulator.pubkey(), meter=p.meter, status=MeterStatus.MAINTENANCE
    )
    market.send([pause], [regulator])
    at(market, T0 + HOUR)
    assert market.fail(market.readings_ixs([(p, GOOD)])) == code("MeterNotActive")


def test_readings_from_before_activation_are_refused(market: RegistryEnv) -> None:
    wallet = market.wallet()
    market.register(wallet)
    market.verify(wallet.pubkey())
    device = DeviceSigner.generate()
    serial = market.next_serial()
    meter = market.register_meter(wallet, device, serial)
    at(market, T0 + 2 * HOUR)
    market.activate(meter)
    p = Prosumer(wallet, serial, device, market.client.meter_accounts(serial, wallet.pubkey(), ZONE_ID))
    assert market.fail(market.readings_ixs([(p, Reading(T0 + HOUR, T0 + 2 * HOUR, 1, 0))])) == code(
        "WindowNotAfterLast"
    )


# -- window rules --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reading", "error"),
    [
        (Reading(T0 + HOUR, T0 + HOUR, 0, 0), "InvalidWindow"),
        (Reading(T0 + 1_800, T0 + 5_400, 10, 0), "WindowNotAfterLast"),  # overlaps the first window
        (Reading(T0 + HOUR, T0 + HOUR + 59, 0, 0), "WindowTooShort"),
        (Reading(T0 + HOUR, T0 + 2 * HOUR + 1, 0, 0), "WindowTooLong"),
        (Reading(T0 + 2 * HOUR + 62, T0 + 3 * HOUR + 61, 0, 0), "WindowInFuture"),
        (Reading(T0 + HOUR, T0 + 2 * HOUR, 5_501, 0), "ProductionExceedsCapacity"),
    ],
    ids=["empty", "overlapping", "too-short", "too-long", "future", "over-capacity"],
)
def test_window_rules(market: RegistryEnv, reading: Reading, error: str) -> None:
    p = market.prosumer()  # 5 kW, 110% tolerance: 5,500 Wh per hour
    at(market, T0 + HOUR)
    market.submit([(p, GOOD)])
    at(market, T0 + 3 * HOUR)
    assert market.fail(market.readings_ixs([(p, reading)])) == code(error)


def test_duplicate_window_in_one_batch(market: RegistryEnv) -> None:
    p = market.prosumer()
    at(market, T0 + HOUR)
    assert market.fail(market.readings_ixs([(p, GOOD), (p, GOOD)])) == code("WindowNotAfterLast")
    assert market.meter(p.meter).reading_count == 0


def test_too_old_and_limit_edges(market: RegistryEnv) -> None:
    p = market.prosumer()
    limits = Limits()
    at(market, T0 + HOUR + limits.max_reading_age_secs + 1)
    assert market.fail(market.readings_ixs([(p, GOOD)])) == code("ReadingTooOld")
    at(market, T0 + HOUR + limits.max_reading_age_secs)
    market.submit([(p, Reading(T0, T0 + HOUR, 5_500, 0))])  # exactly the age limit and the capacity limit
    assert market.meter(p.meter).produced_wh == 5_500


def test_window_end_within_the_clock_skew_is_accepted(market: RegistryEnv) -> None:
    p = market.prosumer()
    at(market, T0 + HOUR - 60)
    market.submit([(p, GOOD)])
    assert market.meter(p.meter).last_window_end == T0 + HOUR


def test_unused_pubkey_is_not_a_meter(market: RegistryEnv) -> None:
    p = market.prosumer()
    at(market, T0 + HOUR)
    ed, submit = market.readings_ixs([(p, GOOD)])
    assert market.fail([ed, with_account(submit, 2, Pubkey.new_unique())]) == code("InvalidOwner")


def test_offsets_may_name_the_ed25519_instruction_by_its_own_index(market: RegistryEnv) -> None:
    p = market.prosumer()
    at(market, T0 + HOUR)
    ed, submit = market.readings_ixs([(p, GOOD)])
    data = bytearray(bytes(ed.data))
    for index_at in (2, 6, 12):
        struct.pack_into("<H", data, HEADER_LEN + index_at, 1)  # its own index (0 is the budget ix)
    market.send([Instruction(ED25519_PROGRAM_ID, bytes(data), []), submit])
    assert market.meter(p.meter).reading_count == 1

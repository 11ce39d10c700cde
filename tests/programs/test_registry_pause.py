"""Emergency pauses and emission factors in LiteSVM (issue 14): one regulator pauses the market or a
zone at once, resuming takes the quorum; submit_readings refuses paused readings (and records a meter's
first window), settle_meter refuses paused minting; zone emission factors. Success paths and each
failure with its specific error.
"""

from __future__ import annotations

from instruction_edits import with_account, with_data, with_meta
from registry_harness import T0, ZONE_ID, Prosumer, RegistryEnv, code
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from solgrid.sdk.readings import Reading
from solgrid.sdk.registry import MeterSettled
from solgrid.sdk.registry_governance import EmissionFactorSet, Paused, PauseFlag, Resumed

READINGS, MINTING, TRADING, ALL = PauseFlag.READINGS, PauseFlag.MINTING, PauseFlag.TRADING, PauseFlag.ALL
OTHER_ZONE = ZONE_ID + 1


def keys(keypairs: list[Keypair]) -> list[Pubkey]:
    return [k.pubkey() for k in keypairs]


def flags_byte(ix_data: bytes, flags: int) -> bytes:
    """Instruction data with another flags byte (the SDK refuses invalid flags before the program can)."""
    return ix_data[:8] + bytes([flags])


# -- pausing and resuming --------------------------------------------------------------------------------


def test_one_regulator_pauses_the_market_and_only_a_quorum_resumes(registry: RegistryEnv) -> None:
    registry.market()
    regulator = registry.regulators[2]
    sent = registry.record(
        "pause_market",
        registry.send(
            [registry.client.pause_market(regulator=regulator.pubkey(), flags=READINGS)], [regulator]
        ),
    )
    assert registry.config().paused == READINGS
    assert registry.client.events(sent.logs) == [Paused(READINGS, READINGS, regulator.pubkey(), None)]
    # Pausing ORs: another flag, then one already set.
    registry.send([registry.client.pause_market(regulator=regulator.pubkey(), flags=MINTING)], [regulator])
    sent = registry.send(
        [registry.client.pause_market(regulator=regulator.pubkey(), flags=READINGS)], [regulator]
    )
    assert registry.config().paused == READINGS | MINTING
    assert registry.client.events(sent.logs) == [
        Paused(READINGS, READINGS | MINTING, regulator.pubkey(), None)
    ]

    # Resuming: one regulator is not enough (not even the one who paused), a quorum is.
    lone = registry.client.resume_market(flags=READINGS, cosigners=[regulator.pubkey()])
    assert registry.fail([lone], [regulator]) == code("RegulatorThresholdNotMet")
    quorum = registry.quorum()
    sent = registry.privileged(
        "resume_market", registry.client.resume_market(flags=READINGS, cosigners=keys(quorum))
    )
    assert registry.config().paused == MINTING
    assert registry.client.events(sent.logs) == [Resumed(READINGS, MINTING, None)]
    # Resuming a flag that is not set changes nothing (and is still privileged).
    registry.send([registry.client.resume_market(flags=TRADING, cosigners=keys(quorum))], quorum)
    assert registry.config().paused == MINTING


def test_one_regulator_pauses_a_zone_and_only_a_quorum_resumes(registry: RegistryEnv) -> None:
    registry.market()
    registry.create_zone(OTHER_ZONE, "south")
    regulator = registry.regulators[0]
    zone = registry.client.zone_pda(ZONE_ID).address
    ix = registry.client.pause_zone(regulator=regulator.pubkey(), zone_id=ZONE_ID, flags=ALL)
    sent = registry.record("pause_zone", registry.send([ix], [regulator]))
    assert registry.zone().paused == ALL
    assert registry.zone(OTHER_ZONE).paused == 0
    assert registry.config().paused == 0
    assert registry.client.events(sent.logs) == [Paused(ALL, ALL, regulator.pubkey(), ZONE_ID)]

    lone = registry.client.resume_zone(zone_id=ZONE_ID, flags=ALL, cosigners=[regulator.pubkey()])
    assert registry.fail([lone], [regulator]) == code("RegulatorThresholdNotMet")
    quorum = registry.quorum()
    resume = registry.client.resume_zone(zone_id=ZONE_ID, flags=MINTING | TRADING, cosigners=keys(quorum))
    sent = registry.privileged("resume_zone", resume)
    assert registry.zone().paused == READINGS
    assert registry.client.events(sent.logs) == [Resumed(MINTING | TRADING, READINGS, ZONE_ID)]
    assert registry.fail([with_meta(resume, 1, writable=False)], quorum) == code("AccountNotWritable")
    # The zone's address in a resume of the other zone's slot is still checked as a zone of the registry.
    assert registry.fail([with_account(resume, 1, registry.client.config_pda().address)], quorum) == code(
        "InvalidAccountData"
    )
    assert registry.zone(OTHER_ZONE).paused == 0 and zone != registry.client.zone_pda(OTHER_ZONE).address


def test_pause_signers_and_accounts(registry: RegistryEnv) -> None:
    registry.market()
    regulator = registry.regulators[0]
    stranger = registry.wallet()
    market = registry.client.pause_market(regulator=regulator.pubkey(), flags=READINGS)
    zone = registry.client.pause_zone(regulator=regulator.pubkey(), zone_id=ZONE_ID, flags=READINGS)
    for ix in (market, zone):
        assert registry.fail([with_account(ix, 0, stranger.pubkey())], [stranger]) == code("NotRegulator")
        # The regulator listed but not signing (a stranger slot keeps the payer out of it).
        assert registry.fail([with_meta(ix, 0, signer=False)]) == code("MissingSigner")
    # The config authority is not a regulator.
    by_authority = registry.client.pause_market(regulator=registry.payer.pubkey(), flags=READINGS)
    assert registry.fail([by_authority]) == code("NotRegulator")
    assert registry.fail([with_meta(market, 1, writable=False)], [regulator]) == code("AccountNotWritable")
    assert registry.fail([with_meta(zone, 2, writable=False)], [regulator]) == code("AccountNotWritable")
    # A zone slot holding another registry account, or a zone that does not exist.
    user_account = registry.client.user_pda(registry.verified_wallet().pubkey()).address
    assert registry.fail([with_account(zone, 2, user_account)], [regulator]) == code("InvalidAccountData")
    missing = registry.client.zone_pda(99).address
    assert registry.fail([with_account(zone, 2, missing)], [regulator]) == code("InvalidOwner")
    assert (registry.config().paused, registry.zone().paused) == (0, 0)


def test_pause_and_resume_flags_are_checked(registry: RegistryEnv) -> None:
    registry.market()
    regulator = registry.regulators[0]
    quorum = registry.quorum()
    signed_by = [
        (registry.client.pause_market(regulator=regulator.pubkey(), flags=READINGS), [regulator]),
        (
            registry.client.pause_zone(regulator=regulator.pubkey(), zone_id=ZONE_ID, flags=READINGS),
            [regulator],
        ),
        (registry.client.resume_market(flags=READINGS, cosigners=keys(quorum)), quorum),
        (registry.client.resume_zone(zone_id=ZONE_ID, flags=READINGS, cosigners=keys(quorum)), quorum),
    ]
    for ix, signers in signed_by:
        for bad in (0, 8, 0x80, ALL | 8):
            assert registry.fail([with_data(ix, flags_byte(bytes(ix.data), bad))], signers) == code(
                "InvalidPauseFlags"
            ), (ix, bad)
        assert registry.fail([with_data(ix, bytes(ix.data)[:8])], signers) == code("InvalidInstructionData")


# -- readings ----------------------------------------------------------------------------------------------


def reading(start: int) -> Reading:
    return Reading(start, start + 900, 500, 100)


def submit_at(registry: RegistryEnv, p: Prosumer, start: int) -> list[Instruction]:
    """The batch of one reading of ``p`` for the window at ``start``, with the clock after it."""
    registry.set_unix_time(start + 900)
    return list(registry.readings_ixs([(p, reading(start))]))


def test_paused_readings_are_refused_for_the_zone_and_accepted_again_after_resume(
    registry: RegistryEnv,
) -> None:
    registry.market()
    p = registry.prosumer()
    regulator = registry.regulators[0]
    quorum = registry.quorum()
    assert registry.meter(p.meter).first_window_start == 0
    registry.send(
        [registry.client.pause_zone(regulator=regulator.pubkey(), zone_id=ZONE_ID, flags=READINGS)],
        [regulator],
    )
    batch = submit_at(registry, p, T0)
    assert registry.fail(batch) == code("ReadingsPaused")
    registry.send(
        [registry.client.resume_zone(zone_id=ZONE_ID, flags=READINGS, cosigners=keys(quorum))], quorum
    )
    registry.send(batch)
    meter = registry.meter(p.meter)
    assert (meter.reading_count, meter.produced_wh, meter.first_window_start) == (1, 500, T0)
    # Later readings leave first_window_start alone.
    registry.send(submit_at(registry, p, T0 + 900))
    meter = registry.meter(p.meter)
    assert (meter.reading_count, meter.first_window_start, meter.last_window_end) == (2, T0, T0 + 1800)


def test_paused_readings_are_refused_market_wide_and_accepted_again_after_resume(
    registry: RegistryEnv,
) -> None:
    registry.market()
    p = registry.prosumer()
    regulator = registry.regulators[1]
    quorum = registry.quorum()
    registry.send(
        [registry.client.pause_market(regulator=regulator.pubkey(), flags=READINGS | TRADING)], [regulator]
    )
    batch = submit_at(registry, p, T0)
    assert registry.fail(batch) == code("ReadingsPaused")
    # Clearing the zone's flags does not lift a market-wide pause.
    registry.send(
        [registry.client.resume_zone(zone_id=ZONE_ID, flags=READINGS, cosigners=keys(quorum))], quorum
    )
    assert registry.fail(batch) == code("ReadingsPaused")
    registry.send([registry.client.resume_market(flags=READINGS, cosigners=keys(quorum))], quorum)
    registry.send(batch)
    assert registry.meter(p.meter).produced_wh == 500


def test_minting_and_trading_pauses_and_other_zones_do_not_stop_readings(registry: RegistryEnv) -> None:
    registry.market()
    registry.create_zone(OTHER_ZONE, "south")
    p = registry.prosumer()
    regulator = registry.regulators[0]
    registry.send(
        [registry.client.pause_market(regulator=regulator.pubkey(), flags=MINTING | TRADING)], [regulator]
    )
    registry.send(
        [registry.client.pause_zone(regulator=regulator.pubkey(), zone_id=OTHER_ZONE, flags=ALL)], [regulator]
    )
    registry.send(submit_at(registry, p, T0))
    assert registry.meter(p.meter).reading_count == 1


# -- settlement ---------------------------------------------------------------------------------------------


def settlement(registry: RegistryEnv) -> tuple[Keypair, Prosumer]:
    """A market whose settlement authority is a wallet, and a prosumer with 400 Wh to settle."""
    registry.market()
    settler = registry.wallet()
    quorum = registry.quorum()
    registry.send(
        [
            registry.client.set_settlement_authority(
                settlement_authority=settler.pubkey(), cosigners=keys(quorum)
            )
        ],
        quorum,
    )
    p = registry.prosumer()
    registry.send(submit_at(registry, p, T0))
    return settler, p


def test_minting_is_refused_while_paused_for_the_zone_or_the_market(registry: RegistryEnv) -> None:
    settler, p = settlement(registry)
    regulator = registry.regulators[0]
    quorum = registry.quorum()
    settle = registry.client.settle_meter(
        settlement_authority=settler.pubkey(), meter=p.meter, owner=p.wallet.pubkey(), zone_id=ZONE_ID
    )
    registry.send(
        [registry.client.pause_zone(regulator=regulator.pubkey(), zone_id=ZONE_ID, flags=MINTING)],
        [regulator],
    )
    assert registry.fail([settle], [settler]) == code("MintingPaused")
    registry.send(
        [registry.client.resume_zone(zone_id=ZONE_ID, flags=MINTING, cosigners=keys(quorum))], quorum
    )
    registry.send([registry.client.pause_market(regulator=regulator.pubkey(), flags=MINTING)], [regulator])
    assert registry.fail([settle], [settler]) == code("MintingPaused")
    assert registry.meter(p.meter).settled_wh == 0
    registry.send([registry.client.resume_market(flags=MINTING, cosigners=keys(quorum))], quorum)
    sent = registry.send([settle], [settler])
    assert registry.client.events(sent.logs) == [MeterSettled(p.meter, p.wallet.pubkey(), 400, 400)]


def test_readings_and_trading_pauses_do_not_stop_minting(registry: RegistryEnv) -> None:
    settler, p = settlement(registry)
    regulator = registry.regulators[0]
    registry.send(
        [registry.client.pause_market(regulator=regulator.pubkey(), flags=READINGS | TRADING)], [regulator]
    )
    registry.send(
        [registry.client.pause_zone(regulator=regulator.pubkey(), zone_id=ZONE_ID, flags=READINGS | TRADING)],
        [regulator],
    )
    settle = registry.client.settle_meter(
        settlement_authority=settler.pubkey(), meter=p.meter, owner=p.wallet.pubkey(), zone_id=ZONE_ID
    )
    registry.send([settle], [settler])
    assert registry.meter(p.meter).settled_wh == 400


def test_settle_meter_zone_binding(registry: RegistryEnv) -> None:
    settler, p = settlement(registry)
    registry.create_zone(OTHER_ZONE, "south")
    settle = registry.client.settle_meter(
        settlement_authority=settler.pubkey(), meter=p.meter, owner=p.wallet.pubkey(), zone_id=ZONE_ID
    )
    # Another zone (not paused, while the meter's zone is): the binding refuses it.
    regulator = registry.regulators[0]
    registry.send(
        [registry.client.pause_zone(regulator=regulator.pubkey(), zone_id=ZONE_ID, flags=MINTING)],
        [regulator],
    )
    other = registry.client.zone_pda(OTHER_ZONE).address
    assert registry.fail([with_account(settle, 4, other)], [settler]) == code("ZoneMismatch")
    # The meter itself in the zone slot; a User there; a zone address with no account.
    assert registry.fail([with_account(settle, 4, p.meter)], [settler]) == code("ZoneMismatch")
    user = registry.client.user_pda(p.wallet.pubkey()).address
    assert registry.fail([with_account(settle, 4, user)], [settler]) == code("InvalidAccountData")
    missing = registry.client.zone_pda(99).address
    assert registry.fail([with_account(settle, 4, missing)], [settler]) == code("InvalidOwner")
    # Without the zone account at all.
    short = Instruction(settle.program_id, bytes(settle.data), list(settle.accounts)[:4])
    assert registry.fail([short], [settler]) == code("NotEnoughAccounts")
    assert registry.meter(p.meter).settled_wh == 0


# -- emission factors ---------------------------------------------------------------------------------------


def test_set_emission_factor(registry: RegistryEnv) -> None:
    registry.market()
    quorum = registry.quorum()
    zone = registry.client.zone_pda(ZONE_ID).address
    assert registry.zone().emission_factor == 0
    ix = registry.client.set_emission_factor(zone_id=ZONE_ID, g_per_kwh=450, cosigners=keys(quorum))
    sent = registry.privileged("set_emission_factor", ix)
    assert registry.zone().emission_factor == 450
    assert registry.client.events(sent.logs) == [EmissionFactorSet(zone, ZONE_ID, 0, 450)]
    top = registry.client.set_emission_factor(zone_id=ZONE_ID, g_per_kwh=2_000, cosigners=keys(quorum))
    sent = registry.send([top], quorum)
    assert registry.client.events(sent.logs) == [EmissionFactorSet(zone, ZONE_ID, 450, 2_000)]
    too_high = with_data(ix, bytes(ix.data)[:8] + (2_001).to_bytes(4, "little"))
    assert registry.fail([too_high], quorum) == code("InvalidEmissionFactor")
    lone = registry.client.set_emission_factor(zone_id=ZONE_ID, g_per_kwh=10, cosigners=keys(quorum[:1]))
    assert registry.fail([lone], quorum[:1]) == code("RegulatorThresholdNotMet")
    assert registry.fail([with_meta(ix, 1, writable=False)], quorum) == code("AccountNotWritable")
    assert registry.zone().emission_factor == 2_000

"""Registry administration in LiteSVM: authority hand-over, regulators (M-of-N), limits, settlement
authority, zones, user verification, meters, device keys and settle_meter; success paths and the
attack table (missing signer, foreign owner, substituted accounts, threshold, duplicates, strangers).
"""

from __future__ import annotations

import dataclasses

import pytest
from instruction_edits import with_account, with_data, with_meta
from registry_harness import T0, ZONE_ID, RegistryEnv, code
from solders.account import Account
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from test_registry import account_size

from solgrid.sdk.readings import DeviceSigner, Reading
from solgrid.sdk.registry import (
    AuthorityProposed,
    AuthorityTransferred,
    DeviceKeyRotated,
    EnergySource,
    Limits,
    LimitsUpdated,
    MeterRegistered,
    MeterSettled,
    MeterStatus,
    MeterStatusChanged,
    RegulatorsSet,
    SettlementAuthoritySet,
    UserRole,
    UserStatus,
    UserStatusChanged,
    ZoneCreated,
    ZoneStatus,
    ZoneStatusChanged,
)


def keys(keypairs: list[Keypair]) -> list[Pubkey]:
    return [k.pubkey() for k in keypairs]


def foreign_copy(registry: RegistryEnv, address: Pubkey) -> None:
    """Re-owns ``address`` (same data) by another program."""
    real = registry.account(address)
    assert real is not None
    registry.svm.set_account(address, Account(real.lamports, bytes(real.data), Keypair().pubkey(), False, 0))


# -- authority hand-over -------------------------------------------------------------------------------


def test_authority_hand_over_in_two_steps(registry: RegistryEnv) -> None:
    registry.initialize()
    config = registry.client.config_pda().address
    successor = registry.wallet()
    propose = registry.client.propose_authority(
        authority=registry.payer.pubkey(), new_authority=successor.pubkey()
    )
    sent = registry.record("propose_authority", registry.send([propose]))
    assert registry.client.events(sent.logs) == [
        AuthorityProposed(config, registry.payer.pubkey(), successor.pubkey())
    ]
    assert registry.config().authority == registry.payer.pubkey()
    assert registry.config().pending_authority == successor.pubkey()

    stranger = registry.wallet()
    assert registry.fail(
        [registry.client.accept_authority(new_authority=stranger.pubkey())], [stranger]
    ) == code("NotPendingAuthority")
    accept = registry.client.accept_authority(new_authority=successor.pubkey())
    assert registry.fail([with_meta(accept, 0, signer=False)]) == code("MissingSigner")
    sent = registry.record("accept_authority", registry.send([accept], [successor]))
    assert registry.client.events(sent.logs) == [
        AuthorityTransferred(config, registry.payer.pubkey(), successor.pubkey())
    ]
    config_state = registry.config()
    assert (config_state.authority, config_state.pending_authority) == (successor.pubkey(), None)
    # The old authority has no power left, and the proposal cannot be accepted twice.
    again = registry.client.propose_authority(
        authority=registry.payer.pubkey(), new_authority=stranger.pubkey()
    )
    assert registry.fail([again]) == code("NotAuthority")
    assert registry.fail([accept], [successor]) == code("NotPendingAuthority")


def test_propose_authority_needs_the_authority_signature_and_a_writable_config(registry: RegistryEnv) -> None:
    registry.initialize()
    ix = registry.client.propose_authority(
        authority=registry.payer.pubkey(), new_authority=Keypair().pubkey()
    )
    # (The payer signs every transaction as fee payer, so the unsigned authority is another wallet.)
    other = registry.wallet()
    assert registry.fail([with_meta(with_account(ix, 0, other.pubkey()), 0, signer=False)]) == code(
        "MissingSigner"
    )
    assert registry.fail([with_account(ix, 0, other.pubkey())], [other]) == code("NotAuthority")
    assert registry.fail([with_meta(ix, 1, writable=False)]) == code("AccountNotWritable")
    foreign_copy(registry, registry.client.config_pda().address)
    assert registry.fail([ix]) == code("InvalidOwner")


# -- regulators ----------------------------------------------------------------------------------------


def test_first_regulator_set_is_appointed_by_the_authority(registry: RegistryEnv) -> None:
    registry.initialize()
    regulators = [registry.wallet() for _ in range(3)]
    ix = registry.client.set_regulators(
        regulators=keys(regulators), threshold=2, cosigners=[registry.payer.pubkey()]
    )
    # Without the authority's signature (a stranger co-signs instead) it is refused.
    stranger = registry.wallet()
    by_stranger = registry.client.set_regulators(
        regulators=keys(regulators), threshold=2, cosigners=[stranger.pubkey()]
    )
    assert registry.fail([by_stranger], [stranger]) == code("NotAuthority")
    sent = registry.send([ix])
    config = registry.config()
    assert (config.regulators, config.regulator_threshold) == (keys(regulators), 2)
    assert registry.client.events(sent.logs) == [
        RegulatorsSet(registry.client.config_pda().address, keys(regulators), 2)
    ]


def test_later_regulator_changes_need_the_threshold(registry: RegistryEnv) -> None:
    registry.initialize()
    old = registry.set_regulators(count=3, threshold=2)
    new = [registry.wallet() for _ in range(2)]
    # The authority alone no longer suffices once regulators exist.
    by_authority = registry.client.set_regulators(
        regulators=keys(new), threshold=1, cosigners=[registry.payer.pubkey()]
    )
    assert registry.fail([by_authority]) == code("RegulatorThresholdNotMet")
    # One regulator listed twice counts once.
    dup = registry.client.set_regulators(regulators=keys(new), threshold=1, cosigners=[old[0].pubkey()] * 2)
    assert registry.fail([dup], [old[0]]) == code("RegulatorThresholdNotMet")
    # A regulator plus a non-regulator signer is still one.
    stranger = registry.wallet()
    mixed = registry.client.set_regulators(
        regulators=keys(new), threshold=1, cosigners=[old[0].pubkey(), stranger.pubkey()]
    )
    assert registry.fail([mixed], [old[0], stranger]) == code("RegulatorThresholdNotMet")
    # Two regulators listed, one of them not signing.
    unsigned = registry.client.set_regulators(regulators=keys(new), threshold=1, cosigners=keys(old[:2]))
    assert registry.fail([with_meta(unsigned, 2, signer=False)], [old[0]]) == code("RegulatorThresholdNotMet")
    registry.send([unsigned], old[:2])
    assert registry.config().regulators == keys(new)


def test_set_regulators_versions_each_appointment(registry: RegistryEnv) -> None:
    """``regulators_version`` rises when a key that is not a regulator is appointed; each regulator's
    ``regulator_since`` is the version of its appointment and follows it when the list is reordered."""
    registry.initialize()
    assert (registry.config().regulators_version, registry.config().regulator_since) == (0, [])
    old = registry.set_regulators(count=3, threshold=2)
    config = registry.config()
    assert (config.regulators_version, config.regulator_since) == (1, [1, 1, 1])
    newcomer = registry.wallet()
    changed = [old[2], newcomer, old[0]]  # old[1] removed, old[2] first, a newcomer
    change = registry.client.set_regulators(regulators=keys(changed), threshold=2, cosigners=keys(old[:2]))
    registry.send([change], old[:2])
    config = registry.config()
    assert (config.regulators_version, config.regulator_since) == (2, [1, 2, 1])
    # A threshold change or a removal appoints nobody: the version stays.
    smaller = registry.client.set_regulators(
        regulators=keys(changed[:2]), threshold=1, cosigners=keys(changed[:2])
    )
    registry.send([smaller], changed[:2])
    config = registry.config()
    assert (config.regulators_version, config.regulator_since) == (2, [1, 2])
    # old[1] appointed again: a new term.
    again = [*changed[:2], old[1]]
    registry.send(
        [registry.client.set_regulators(regulators=keys(again), threshold=2, cosigners=keys(changed[:1]))],
        changed[:1],
    )
    config = registry.config()
    assert (config.regulators_version, config.regulator_since) == (3, [1, 2, 3])


def test_set_regulators_refuses_a_version_past_65535(registry: RegistryEnv) -> None:
    registry.initialize()
    old = registry.set_regulators(count=2, threshold=1)
    address = registry.client.config_pda().address
    account = registry.svm.get_account(address)
    assert account is not None
    data = bytearray(bytes(account.data))
    offset = 8 + 32 * 3 + 32 * 8 + 3 + 8 + 4 + 8 + 20 + 32 + 3  # Config.regulators_version
    data[offset : offset + 2] = (65535).to_bytes(2, "little")
    registry.svm.set_account(address, Account(account.lamports, bytes(data), account.owner, False, 0))
    assert registry.config().regulators_version == 65535
    newcomer = registry.wallet().pubkey()
    appoint = registry.client.set_regulators(
        regulators=[*keys(old), newcomer], threshold=1, cosigners=keys(old[:1])
    )
    assert registry.fail([appoint], old[:1]) == code("RegulatorsVersionExhausted")
    # Without a newcomer the set can still change (a removal, a threshold).
    removal = registry.client.set_regulators(regulators=keys(old[:1]), threshold=1, cosigners=keys(old[:1]))
    registry.send([removal], old[:1])
    assert registry.config().regulators == keys(old[:1])


def test_regulator_set_validation(registry: RegistryEnv) -> None:
    registry.initialize()
    a, b = Keypair().pubkey(), Keypair().pubkey()
    authority = [registry.payer.pubkey()]
    for regulators, threshold in [([a, b], 0), ([a, b], 3), ([], 1), ([a, a], 1), ([a, Pubkey.default()], 1)]:
        ix = registry.client.set_regulators(regulators=regulators, threshold=threshold, cosigners=authority)
        assert registry.fail([ix]) == code("InvalidRegulators"), (regulators, threshold)


def test_privileged_actions_before_any_regulator_fail(registry: RegistryEnv) -> None:
    registry.initialize()
    ix = registry.client.update_limits(limits=Limits(), cosigners=[registry.payer.pubkey()])
    assert registry.fail([ix]) == code("NoRegulators")


def test_update_limits_and_settlement_authority(registry: RegistryEnv) -> None:
    registry.market()
    quorum = registry.quorum()
    limits = dataclasses.replace(Limits(), max_meters_per_user=2, max_clock_skew_secs=5)
    sent = registry.privileged(
        "update_limits", registry.client.update_limits(limits=limits, cosigners=keys(quorum))
    )
    assert registry.config().limits == limits
    config = registry.client.config_pda().address
    assert registry.client.events(sent.logs) == [LimitsUpdated(config, limits)]
    bad = registry.client.update_limits(
        limits=dataclasses.replace(limits, max_meters_per_user=0), cosigners=keys(quorum)
    )
    assert registry.fail([bad], quorum) == code("InvalidLimits")
    one = registry.client.update_limits(limits=Limits(), cosigners=keys(quorum[:1]))
    assert registry.fail([one], quorum[:1]) == code("RegulatorThresholdNotMet")

    settler = Keypair().pubkey()
    ix = registry.client.set_settlement_authority(settlement_authority=settler, cosigners=keys(quorum))
    sent = registry.privileged("set_settlement_authority", ix)
    assert registry.config().settlement_authority == settler
    assert registry.client.events(sent.logs) == [SettlementAuthoritySet(config, settler)]
    assert registry.fail([with_meta(ix, 0, writable=False)], quorum) == code("AccountNotWritable")


# -- zones ---------------------------------------------------------------------------------------------


def test_create_zone_and_change_its_status(registry: RegistryEnv) -> None:
    registry.set_unix_time(T0)
    registry.initialize()
    registry.set_regulators()
    sent = registry.create_zone(ZONE_ID, "north")
    pda = registry.client.zone_pda(ZONE_ID)
    zone = registry.zone()
    assert (zone.zone_id, zone.name, zone.max_capacity_kw, zone.status, zone.bump, zone.created_at) == (
        ZONE_ID,
        "north",
        5_000,
        ZoneStatus.ACTIVE,
        pda.bump,
        T0,
    )
    assert len(registry.data(pda.address)) == account_size("Zone")
    assert registry.client.events(sent.logs) == [ZoneCreated(pda.address, ZONE_ID, "north", 5_000, T0)]
    assert registry.config().zone_count == 1

    quorum = registry.quorum()
    ix = registry.client.set_zone_status(zone_id=ZONE_ID, status=ZoneStatus.HALTED, cosigners=keys(quorum))
    sent = registry.privileged("set_zone_status", ix)
    assert registry.zone().status == ZoneStatus.HALTED
    assert registry.client.events(sent.logs) == [
        ZoneStatusChanged(pda.address, ZONE_ID, ZoneStatus.ACTIVE, ZoneStatus.HALTED)
    ]
    bad = Instruction(ix.program_id, bytes(ix.data)[:8] + b"\x03", list(ix.accounts))
    assert registry.fail([bad], quorum) == code("InvalidStatus")
    # The second co-signer listed but not signing.
    assert registry.fail([with_meta(ix, 3, signer=False)], quorum[:1]) == code("RegulatorThresholdNotMet")


def test_create_zone_refuses_duplicates_wrong_pda_and_lone_regulators(registry: RegistryEnv) -> None:
    registry.market()
    quorum = registry.quorum()
    ix = registry.client.create_zone(
        payer=registry.payer.pubkey(),
        zone_id=ZONE_ID,
        name="again",
        max_capacity_kw=1,
        cosigners=keys(quorum),
    )
    assert registry.fail([ix], quorum) == code("AlreadyInitialized")
    other = registry.client.create_zone(
        payer=registry.payer.pubkey(), zone_id=9, name="x", max_capacity_kw=1, cosigners=keys(quorum)
    )
    assert registry.fail([with_account(other, 2, registry.client.zone_pda(10).address)], quorum) == code(
        "InvalidPda"
    )
    lone = registry.client.create_zone(
        payer=registry.payer.pubkey(), zone_id=9, name="x", max_capacity_kw=1, cosigners=keys(quorum[:1])
    )
    assert registry.fail([lone], quorum[:1]) == code("RegulatorThresholdNotMet")


# -- users ---------------------------------------------------------------------------------------------


def test_verify_suspend_reinstate(registry: RegistryEnv) -> None:
    registry.market()
    wallet = registry.wallet()
    registry.register(wallet)
    user = registry.client.user_pda(wallet.pubkey()).address
    regulator = registry.regulators[1]
    r = regulator.pubkey()
    steps = [
        ("verify_user", registry.client.verify_user, UserStatus.PENDING, UserStatus.VERIFIED),
        ("suspend_user", registry.client.suspend_user, UserStatus.VERIFIED, UserStatus.SUSPENDED),
        ("reinstate_user", registry.client.reinstate_user, UserStatus.SUSPENDED, UserStatus.VERIFIED),
    ]
    for name, build, old, new in steps:
        registry.set_unix_time(T0 + 100)
        sent = registry.record(name, registry.send([build(regulator=r, wallet=wallet.pubkey())], [regulator]))
        assert registry.user(wallet.pubkey()).status == new
        assert registry.client.events(sent.logs) == [
            UserStatusChanged(user, wallet.pubkey(), r, old, new, T0 + 100)
        ]
    # Wrong starting status.
    assert registry.fail(
        [registry.client.verify_user(regulator=r, wallet=wallet.pubkey())], [regulator]
    ) == code("InvalidStatusTransition")
    assert registry.fail(
        [registry.client.reinstate_user(regulator=r, wallet=wallet.pubkey())], [regulator]
    ) == code("InvalidStatusTransition")
    # Pending users can be suspended directly.
    other = registry.wallet()
    registry.register(other)
    registry.send([registry.client.suspend_user(regulator=r, wallet=other.pubkey())], [regulator])
    assert registry.user(other.pubkey()).status == UserStatus.SUSPENDED


def test_user_actions_need_a_signing_configured_regulator(registry: RegistryEnv) -> None:
    registry.market()
    wallet = registry.wallet()
    registry.register(wallet)
    stranger = registry.wallet()
    ix = registry.client.verify_user(regulator=stranger.pubkey(), wallet=wallet.pubkey())
    assert registry.fail([ix], [stranger]) == code("NotRegulator")
    # The config authority is not a regulator either.
    ix = registry.client.verify_user(regulator=registry.payer.pubkey(), wallet=wallet.pubkey())
    assert registry.fail([ix]) == code("NotRegulator")
    ix = registry.client.verify_user(regulator=registry.regulators[0].pubkey(), wallet=wallet.pubkey())
    assert registry.fail([with_meta(ix, 0, signer=False)]) == code("MissingSigner")
    assert registry.fail([with_meta(ix, 2, writable=False)], [registry.regulators[0]]) == code(
        "AccountNotWritable"
    )
    # A User account owned by another program.
    foreign_copy(registry, registry.client.user_pda(wallet.pubkey()).address)
    assert registry.fail([ix], [registry.regulators[0]]) == code("InvalidOwner")


def test_user_action_on_a_non_user_account(registry: RegistryEnv) -> None:
    registry.market()
    ix = registry.client.verify_user(regulator=registry.regulators[0].pubkey(), wallet=Keypair().pubkey())
    zone = registry.client.zone_pda(ZONE_ID).address
    assert registry.fail([with_account(ix, 2, zone)], [registry.regulators[0]]) == code("InvalidAccountData")


# -- meters --------------------------------------------------------------------------------------------


def meter_ix(
    registry: RegistryEnv, owner: Keypair, serial: bytes, device: DeviceSigner, **kw: object
) -> Instruction:
    args: dict[str, object] = {
        "payer": registry.payer.pubkey(),
        "owner": owner.pubkey(),
        "zone_id": ZONE_ID,
        "serial": serial,
        "device_key": device.public_key,
        "source": EnergySource.WIND,
        "capacity_w": 3_000,
    }
    args.update(kw)
    return registry.client.register_meter(**args)  # type: ignore[arg-type]


def test_register_meter_then_activate(registry: RegistryEnv) -> None:
    registry.market()
    owner = registry.verified_wallet()
    device = DeviceSigner.generate()
    registry.set_unix_time(T0 + 50)
    sent = registry.record(
        "register_meter", registry.send([meter_ix(registry, owner, b"M-1", device)], [owner])
    )
    pda = registry.client.meter_pda(b"M-1")
    meter = registry.meter(pda.address)
    assert len(registry.data(pda.address)) == account_size("Meter")
    assert meter.owner == owner.pubkey() and meter.user == registry.client.user_pda(owner.pubkey()).address
    assert (meter.zone_id, meter.device_key, meter.source, meter.status, meter.bump, meter.capacity_w) == (
        ZONE_ID,
        device.public_key,
        EnergySource.WIND,
        MeterStatus.INACTIVE,
        pda.bump,
        3_000,
    )
    assert (meter.last_window_end, meter.registered_at, meter.produced_wh, meter.reading_count) == (
        T0 + 50,
        T0 + 50,
        0,
        0,
    )
    assert registry.client.events(sent.logs) == [
        MeterRegistered(
            pda.address,
            b"M-1".ljust(32, b"\0"),
            owner.pubkey(),
            ZONE_ID,
            device.public_key,
            EnergySource.WIND,
            3_000,
            T0 + 50,
        )
    ]
    assert registry.user(owner.pubkey()).meter_count == 1
    assert registry.config().meter_count == 1

    registry.set_unix_time(T0 + 500)
    regulator = registry.regulators[2]
    activate = registry.client.activate_meter(regulator=regulator.pubkey(), meter=pda.address)
    sent = registry.send([activate], [regulator])
    assert registry.meter(pda.address).status == MeterStatus.ACTIVE
    assert registry.meter(pda.address).last_window_end == T0 + 500
    assert registry.client.events(sent.logs) == [
        MeterStatusChanged(
            pda.address, regulator.pubkey(), MeterStatus.INACTIVE, MeterStatus.ACTIVE, T0 + 500
        )
    ]
    assert registry.fail([activate], [regulator]) == code("InvalidStatusTransition")
    maintenance = registry.client.set_meter_status(
        regulator=regulator.pubkey(), meter=pda.address, status=MeterStatus.MAINTENANCE
    )
    registry.record("set_meter_status", registry.send([maintenance], [regulator]))
    assert registry.meter(pda.address).status == MeterStatus.MAINTENANCE
    to_active = registry.client.set_meter_status(
        regulator=regulator.pubkey(), meter=pda.address, status=MeterStatus.ACTIVE
    )
    assert registry.fail([to_active], [regulator]) == code("InvalidStatusTransition")
    stranger = registry.wallet()
    by_stranger = registry.client.activate_meter(regulator=stranger.pubkey(), meter=pda.address)
    assert registry.fail([by_stranger], [stranger]) == code("NotRegulator")


def test_register_meter_requires_a_verified_owner(registry: RegistryEnv) -> None:
    registry.market()
    owner = registry.wallet()
    registry.register(owner)
    device = DeviceSigner.generate()
    assert registry.fail([meter_ix(registry, owner, b"M-1", device)], [owner]) == code("UserNotVerified")
    registry.verify(owner.pubkey())
    regulator = registry.regulators[0]
    registry.send(
        [registry.client.suspend_user(regulator=regulator.pubkey(), wallet=owner.pubkey())], [regulator]
    )
    assert registry.fail([meter_ix(registry, owner, b"M-1", device)], [owner]) == code("UserSuspended")


def test_register_meter_limit_and_argument_checks(registry: RegistryEnv) -> None:
    registry.market(limits=Limits(max_meters_per_user=2))
    owner = registry.verified_wallet()
    device = DeviceSigner.generate()
    registry.send([meter_ix(registry, owner, b"A", device)], [owner])
    registry.send([meter_ix(registry, owner, b"B", device)], [owner])
    assert registry.fail([meter_ix(registry, owner, b"C", device)], [owner]) == code("TooManyMeters")
    assert registry.user(owner.pubkey()).meter_count == 2

    other = registry.wallet()
    registry.register(other)
    registry.verify(other.pubkey())
    assert registry.fail([meter_ix(registry, other, b"A", device)], [other]) == code("AlreadyInitialized")
    assert registry.fail([meter_ix(registry, other, b"D", device, capacity_w=0)], [other]) == code(
        "InvalidCapacity"
    )
    zero = meter_ix(registry, other, b"D", device)
    data = bytearray(bytes(zero.data))
    data[8 + 32 : 8 + 64] = bytes(32)
    assert registry.fail([Instruction(zero.program_id, bytes(data), list(zero.accounts))], [other]) == code(
        "InvalidDeviceKey"
    )
    data = bytearray(bytes(zero.data))
    data[8 + 64] = 5
    assert registry.fail([Instruction(zero.program_id, bytes(data), list(zero.accounts))], [other]) == code(
        "InvalidEnergySource"
    )
    ix = meter_ix(registry, other, b"D", device)
    assert registry.fail([with_meta(ix, 1, signer=False)]) == code("MissingSigner")
    # Another wallet's User in the user slot (owner signs, but the User is not theirs).
    stolen = with_account(ix, 3, registry.client.user_pda(owner.pubkey()).address)
    assert registry.fail([stolen], [other]) == code("UserMismatch")
    # The meter at another serial's address.
    assert registry.fail([with_account(ix, 5, registry.client.meter_pda(b"E").address)], [other]) == code(
        "InvalidPda"
    )
    # A zone other than the user's.
    registry.create_zone(8, "south")
    assert registry.fail([with_account(ix, 4, registry.client.zone_pda(8).address)], [other]) == code(
        "ZoneMismatch"
    )
    # A User account owned by another program.
    foreign_copy(registry, registry.client.user_pda(other.pubkey()).address)
    assert registry.fail([ix], [other]) == code("InvalidOwner")


def test_rotate_device_key_is_privileged(registry: RegistryEnv) -> None:
    registry.market()
    p = registry.prosumer()
    quorum = registry.quorum()
    new = DeviceSigner.generate()
    ix = registry.client.rotate_device_key(meter=p.meter, new_key=new.public_key, cosigners=keys(quorum))
    assert registry.fail([with_meta(ix, 3, signer=False)], quorum[:1]) == code("RegulatorThresholdNotMet")
    lone = registry.client.rotate_device_key(
        meter=p.meter, new_key=new.public_key, cosigners=keys(quorum[:1])
    )
    assert registry.fail([lone], quorum[:1]) == code("RegulatorThresholdNotMet")
    # The SDK refuses a zero key before sending (test_registry_device_keys covers every weak key).
    zero = with_data(ix, bytes(ix.data)[:8] + bytes(32))
    assert registry.fail([zero], quorum) == code("InvalidDeviceKey")
    sent = registry.privileged("rotate_device_key", ix)
    assert registry.meter(p.meter).device_key == new.public_key
    assert registry.client.events(sent.logs) == [
        DeviceKeyRotated(p.meter, p.device.public_key, new.public_key)
    ]
    # Readings signed by the old key are refused from now on; the new key's are accepted.
    registry.set_unix_time(T0 + 3600)
    old_signed = registry.client.reading_batch(
        [(p.accounts, registry.sign(p, Reading(T0, T0 + 3600, 10, 0)))]
    )
    assert registry.fail(old_signed) == code("DeviceKeyMismatch")
    new_signed = registry.client.reading_batch(
        [(p.accounts, registry.sign(p, Reading(T0, T0 + 3600, 10, 0), new))]
    )
    registry.send(new_signed)
    assert registry.meter(p.meter).produced_wh == 10


# -- settle_meter --------------------------------------------------------------------------------------


def settled_market(registry: RegistryEnv) -> tuple[Keypair, object]:
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
    return settler, quorum


def test_settle_meter_settles_the_net_surplus_once(registry: RegistryEnv) -> None:
    settler, _ = settled_market(registry)
    p = registry.prosumer()
    registry.set_unix_time(T0 + 3600)
    registry.submit([(p, Reading(T0, T0 + 3600, 4_000, 1_500))])
    ix = registry.client.settle_meter(
        settlement_authority=settler.pubkey(), meter=p.meter, owner=p.wallet.pubkey(), zone_id=ZONE_ID
    )
    sent = registry.record("settle_meter", registry.send([ix], [settler]))
    assert registry.meter(p.meter).settled_wh == 2_500
    assert registry.client.events(sent.logs) == [MeterSettled(p.meter, p.wallet.pubkey(), 2_500, 2_500)]
    # No return data: energy_token reads the increase of settled_wh instead.
    # (solders' type stubs lack TransactionMetadata.return_data; the method exists at run time.)
    assert bytes(sent.meta.return_data().data) == b""  # type: ignore[attr-defined]
    # Settling twice: nothing left.
    assert registry.fail([ix], [settler]) == code("NothingToSettle")
    # A deficit carries: consumption beyond production is not minted later twice.
    registry.set_unix_time(T0 + 7200)
    registry.submit([(p, Reading(T0 + 3600, T0 + 7200, 0, 1_000))])
    assert registry.fail([ix], [settler]) == code("NothingToSettle")
    registry.set_unix_time(T0 + 10_800)
    registry.submit([(p, Reading(T0 + 7200, T0 + 10_800, 1_500, 0))])
    registry.send([ix], [settler])
    assert registry.meter(p.meter).settled_wh == 3_000


def test_settle_meter_attacks(registry: RegistryEnv) -> None:
    settler, _ = settled_market(registry)
    p = registry.prosumer()
    q = registry.prosumer()
    registry.set_unix_time(T0 + 3600)
    registry.submit([(p, Reading(T0, T0 + 3600, 4_000, 0)), (q, Reading(T0, T0 + 3600, 100, 0))])
    ix = registry.client.settle_meter(
        settlement_authority=settler.pubkey(), meter=p.meter, owner=p.wallet.pubkey(), zone_id=ZONE_ID
    )
    # Missing signer; another signer.
    assert registry.fail([with_meta(ix, 0, signer=False)]) == code("MissingSigner")
    mallory = registry.wallet()
    assert registry.fail([with_account(ix, 0, mallory.pubkey())], [mallory]) == code("NotSettlementAuthority")
    # Substituted user (q's User for p's meter).
    substituted = with_account(ix, 3, registry.client.user_pda(q.wallet.pubkey()).address)
    assert registry.fail([substituted], [settler]) == code("UserMismatch")
    # A read-only meter; a meter owned by another program.
    assert registry.fail([with_meta(ix, 2, writable=False)], [settler]) == code("AccountNotWritable")
    # Suspended owner.
    regulator = registry.regulators[0]
    registry.send(
        [registry.client.suspend_user(regulator=regulator.pubkey(), wallet=p.wallet.pubkey())], [regulator]
    )
    assert registry.fail([ix], [settler]) == code("UserSuspended")
    registry.send(
        [registry.client.reinstate_user(regulator=regulator.pubkey(), wallet=p.wallet.pubkey())], [regulator]
    )
    foreign_copy(registry, p.meter)
    assert registry.fail([ix], [settler]) == code("InvalidOwner")
    assert registry.meter(p.meter).settled_wh == 0


def test_settle_meter_without_a_settlement_authority(registry: RegistryEnv) -> None:
    registry.market()
    p = registry.prosumer()
    anyone = registry.wallet()
    ix = registry.client.settle_meter(
        settlement_authority=anyone.pubkey(), meter=p.meter, owner=p.wallet.pubkey(), zone_id=ZONE_ID
    )
    assert registry.fail([ix], [anyone]) == code("NotSettlementAuthority")


def test_account_owned_by_another_program_is_refused_for_meters(registry: RegistryEnv) -> None:
    registry.market()
    p = registry.prosumer()
    foreign_copy(registry, p.meter)
    regulator = registry.regulators[0]
    ix = registry.client.set_meter_status(
        regulator=regulator.pubkey(), meter=p.meter, status=MeterStatus.INACTIVE
    )
    assert registry.fail([ix], [regulator]) == code("InvalidOwner")


def test_roles_are_recorded(registry: RegistryEnv) -> None:
    registry.market()
    operator = registry.wallet()
    registry.register(operator, UserRole.GRID_OPERATOR)
    assert registry.user(operator.pubkey()).role == UserRole.GRID_OPERATOR


def test_set_meter_status_rejects_an_unknown_status(registry: RegistryEnv) -> None:
    registry.market()
    p = registry.prosumer()
    regulator = registry.regulators[0]
    ix = registry.client.set_meter_status(
        regulator=regulator.pubkey(), meter=p.meter, status=MeterStatus.INACTIVE
    )
    bad = Instruction(ix.program_id, bytes(ix.data)[:8] + b"\x03", list(ix.accounts))
    assert registry.fail([bad], [regulator]) == code("InvalidStatus")
    assert registry.meter(p.meter).status == MeterStatus.ACTIVE


# -- account checks of the regulator actions on meters and zones ---------------------------------------


@pytest.mark.parametrize("action", ["activate_meter", "set_meter_status"])
def test_meter_status_actions_check_signer_writability_and_owner(registry: RegistryEnv, action: str) -> None:
    registry.market()
    p = registry.prosumer()
    regulator = registry.regulators[0]
    if action == "activate_meter":
        pause = registry.client.set_meter_status(
            regulator=regulator.pubkey(), meter=p.meter, status=MeterStatus.MAINTENANCE
        )
        registry.send([pause], [regulator])
        ix = registry.client.activate_meter(regulator=regulator.pubkey(), meter=p.meter)
    else:
        ix = registry.client.set_meter_status(
            regulator=regulator.pubkey(), meter=p.meter, status=MeterStatus.INACTIVE
        )
    before = registry.data(p.meter)
    assert registry.fail([with_meta(ix, 0, signer=False)]) == code("MissingSigner")
    assert registry.fail([with_meta(ix, 2, writable=False)], [regulator]) == code("AccountNotWritable")
    stranger = registry.wallet()
    as_stranger = with_account(ix, 0, stranger.pubkey())
    assert registry.fail([as_stranger], [stranger]) == code("NotRegulator")
    assert registry.data(p.meter) == before
    foreign_copy(registry, p.meter)
    assert registry.fail([ix], [regulator]) == code("InvalidOwner")


def test_privileged_zone_and_meter_actions_check_payer_and_owner(registry: RegistryEnv) -> None:
    registry.market()
    p = registry.prosumer()
    quorum = registry.quorum()
    create = registry.client.create_zone(
        payer=registry.payer.pubkey(), zone_id=9, name="east", max_capacity_kw=1, cosigners=keys(quorum)
    )
    # The payer funds the new account: it must sign (listed as a non-signer, nobody pays).
    funder = registry.wallet()
    unsigned_payer = with_meta(with_account(create, 0, funder.pubkey()), 0, signer=False)
    assert registry.fail([unsigned_payer], quorum) == code("MissingSigner")
    assert registry.account(registry.client.zone_pda(9).address) is None

    rotate = registry.client.rotate_device_key(
        meter=p.meter, new_key=DeviceSigner.generate().public_key, cosigners=keys(quorum)
    )
    halt = registry.client.set_zone_status(zone_id=ZONE_ID, status=ZoneStatus.HALTED, cosigners=keys(quorum))
    foreign_copy(registry, p.meter)
    assert registry.fail([rotate], quorum) == code("InvalidOwner")
    foreign_copy(registry, registry.client.zone_pda(ZONE_ID).address)
    assert registry.fail([halt], quorum) == code("InvalidOwner")


def test_register_meter_in_a_halted_zone_is_refused(registry: RegistryEnv) -> None:
    registry.market()
    owner = registry.verified_wallet()
    quorum = registry.quorum()
    halt = registry.client.set_zone_status(zone_id=ZONE_ID, status=ZoneStatus.HALTED, cosigners=keys(quorum))
    registry.send([halt], quorum)
    device = DeviceSigner.generate()
    assert registry.fail([meter_ix(registry, owner, b"H-1", device)], [owner]) == code("ZoneHalted")
    assert registry.user(owner.pubkey()).meter_count == 0


def test_a_meter_may_not_exceed_its_zones_capacity(registry: RegistryEnv) -> None:
    registry.market()  # ZONE_ID: 5,000 kW
    owner = registry.verified_wallet()
    device = DeviceSigner.generate()
    too_big = meter_ix(registry, owner, b"BIG", device, capacity_w=5_000_001)
    assert registry.fail([too_big], [owner]) == code("CapacityExceedsZone")
    registry.send([meter_ix(registry, owner, b"BIG", device, capacity_w=5_000_000)], [owner])
    assert registry.meter(registry.client.meter_pda(b"BIG").address).capacity_w == 5_000_000

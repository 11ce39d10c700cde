"""Governance in the registry, in LiteSVM (issue 14): ``set_governance``, the privileged gate once a
governance program is set (its ``["governance"]`` PDA alone; co-signing regulators refused), and
``certify_meter`` (only its ``["certificates"]`` PDA). Success paths and each failure's specific error.

The PDAs sign here as transaction signers in a VM without signature verification (see
:mod:`pda_signing`): to the registry that is what the governance program's ``invoke_signed`` looks
like. The governance program's own tests run the real CPIs.
"""

from __future__ import annotations

import dataclasses

import pytest
from energy_token_harness import IdlAccountLayout
from instruction_edits import with_account, with_data, with_meta
from pda_signing import env_without_sigverify, fail_with_pdas, governance_program_id, send_with_pdas
from registry_harness import T0, ZONE_ID, Prosumer, RegistryEnv, code
from solders.account import Account
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from solgrid.sdk.idl import load_idl_json
from solgrid.sdk.readings import DeviceSigner, Reading
from solgrid.sdk.registry import AuthorityProposed, EnergySource, Limits, ZoneStatus
from solgrid.sdk.registry_governance import (
    GovernanceSet,
    MeterCertified,
    Paused,
    PauseFlag,
    Resumed,
    governance_pdas,
)

GOVERNANCE = governance_program_id()
PDAS = governance_pdas(GOVERNANCE)
GOVERNANCE_PDA = PDAS.governance.address
CERTIFICATES_PDA = PDAS.certificates.address


def keys(keypairs: list[Keypair]) -> list[Pubkey]:
    return [k.pubkey() for k in keypairs]


def hand_over(registry: RegistryEnv) -> None:
    """The config authority and the quorum hand privileged actions to the governance program."""
    ix = registry.client.set_governance(
        governance_program=GOVERNANCE, cosigners=[registry.payer.pubkey(), *keys(registry.quorum())]
    )
    registry.send([ix], registry.quorum())


@pytest.fixture
def governed(registry_elf: bytes) -> RegistryEnv:
    """A market (three regulators, threshold 2, zone ZONE_ID) in a VM where the governance PDAs can
    sign, already handed over to the governance program."""
    env = env_without_sigverify(registry_elf)
    env.market()
    hand_over(env)
    return env


# -- set_governance ----------------------------------------------------------------------------------------


def test_set_governance_needs_the_authority_and_the_quorum(registry: RegistryEnv) -> None:
    registry.market()
    quorum = registry.quorum()
    config = registry.client.config_pda().address
    authority = registry.payer.pubkey()
    only_quorum = registry.client.set_governance(governance_program=GOVERNANCE, cosigners=keys(quorum))
    assert registry.fail([only_quorum], quorum) == code("NotAuthority")
    only_authority = registry.client.set_governance(governance_program=GOVERNANCE, cosigners=[authority])
    assert registry.fail([only_authority]) == code("RegulatorThresholdNotMet")
    one_regulator = registry.client.set_governance(
        governance_program=GOVERNANCE, cosigners=[authority, quorum[0].pubkey()]
    )
    assert registry.fail([one_regulator], quorum[:1]) == code("RegulatorThresholdNotMet")
    ix = registry.client.set_governance(governance_program=GOVERNANCE, cosigners=[authority, *keys(quorum)])
    assert registry.fail([with_meta(ix, 0, writable=False)], quorum) == code("AccountNotWritable")
    sent = registry.record("set_governance", registry.send([ix], quorum))
    state = registry.config()
    assert (state.governance_program, state.governance_bump, state.certificates_bump) == (
        GOVERNANCE,
        PDAS.governance.bump,
        PDAS.certificates.bump,
    )
    assert registry.client.events(sent.logs) == [
        GovernanceSet(config, GOVERNANCE, PDAS.governance.bump, PDAS.certificates.bump)
    ]


def test_set_governance_refuses_bumps_that_are_not_the_canonical_ones(registry: RegistryEnv) -> None:
    registry.market()
    quorum = registry.quorum()
    ix = registry.client.set_governance(
        governance_program=GOVERNANCE, cosigners=[registry.payer.pubkey(), *keys(quorum)]
    )
    prefix = bytes(ix.data)[:8]
    g, c = PDAS.governance.bump, PDAS.certificates.bump
    # A bump below the canonical one may still give a valid PDA, but not the one the program signs with.
    for governance_bump, certificates_bump in [(g - 1, c), (g, c - 1), ((g + 1) % 256, c), (0, 0)]:
        data = prefix + bytes(GOVERNANCE) + bytes([governance_bump, certificates_bump])
        assert registry.fail([with_data(ix, data)], quorum) == code("InvalidGovernance"), (
            governance_bump,
            certificates_bump,
        )
    # The registry itself can never sign as a governance program; clearing takes zero bumps.
    registry_pdas = governance_pdas(registry.program_id)
    itself = (
        prefix
        + bytes(registry.program_id)
        + bytes([registry_pdas.governance.bump, registry_pdas.certificates.bump])
    )
    assert registry.fail([with_data(ix, itself)], quorum) == code("InvalidGovernance")
    assert registry.fail([with_data(ix, prefix + bytes(32) + bytes([1, 0]))], quorum) == code(
        "InvalidGovernance"
    )
    assert registry.fail([with_data(ix, prefix + bytes(32))], quorum) == code("InvalidInstructionData")
    assert registry.config().governance_program is None


def test_once_governance_is_set_cosigning_regulators_no_longer_suffice(registry: RegistryEnv) -> None:
    registry.market()
    p = registry.prosumer()
    hand_over(registry)
    quorum = registry.quorum()
    cosigners = keys(quorum)
    c = registry.client
    refused = [
        c.set_regulators(regulators=keys(registry.regulators), threshold=1, cosigners=cosigners),
        c.update_limits(limits=Limits(), cosigners=cosigners),
        c.set_settlement_authority(settlement_authority=Keypair().pubkey(), cosigners=cosigners),
        c.create_zone(
            payer=registry.payer.pubkey(), zone_id=9, name="x", max_capacity_kw=1, cosigners=cosigners
        ),
        c.set_zone_status(zone_id=ZONE_ID, status=ZoneStatus.HALTED, cosigners=cosigners),
        c.rotate_device_key(meter=p.meter, new_key=DeviceSigner.generate().public_key, cosigners=cosigners),
        c.resume_market(flags=PauseFlag.ALL, cosigners=cosigners),
        c.resume_zone(zone_id=ZONE_ID, flags=PauseFlag.ALL, cosigners=cosigners),
        c.set_emission_factor(zone_id=ZONE_ID, g_per_kwh=300, cosigners=cosigners),
        c.set_governance(governance_program=None, cosigners=[registry.payer.pubkey(), *cosigners]),
    ]
    for ix in refused:
        assert registry.fail([ix], quorum) == code("NotGovernance"), ix
    # Every regulator together, or the config authority, does not either.
    everyone = c.update_limits(
        limits=Limits(), cosigners=[registry.payer.pubkey(), *keys(registry.regulators)]
    )
    assert registry.fail([everyone], registry.regulators) == code("NotGovernance")
    propose = c.propose_authority(authority=registry.payer.pubkey(), new_authority=Keypair().pubkey())
    assert registry.fail([propose]) == code("NotGovernance")
    # A stranger passing the governance PDA's address without its signature.
    unsigned = c.update_limits(limits=Limits(), cosigners=[GOVERNANCE_PDA])
    assert registry.fail([with_meta(unsigned, 1, signer=False)]) == code("NotGovernance")

    # Routine actions and emergency pauses stay with single regulators.
    regulator = registry.regulators[0]
    registry.send(
        [c.pause_zone(regulator=regulator.pubkey(), zone_id=ZONE_ID, flags=PauseFlag.TRADING)], [regulator]
    )
    assert registry.zone().paused == PauseFlag.TRADING
    registry.verified_wallet()


# -- the governance PDA performs privileged actions ---------------------------------------------------------


def test_the_governance_pda_alone_performs_privileged_actions(governed: RegistryEnv) -> None:
    env, c = governed, governed.client
    limits = dataclasses.replace(Limits(), max_meters_per_user=3)
    send_with_pdas(env, [c.update_limits(limits=limits, cosigners=[GOVERNANCE_PDA])])
    assert env.config().limits == limits
    send_with_pdas(env, [c.set_emission_factor(zone_id=ZONE_ID, g_per_kwh=420, cosigners=[GOVERNANCE_PDA])])
    assert env.zone().emission_factor == 420
    # Pausing as the governance PDA (a proposal), and resuming as it.
    sent = send_with_pdas(env, [c.pause_market(regulator=GOVERNANCE_PDA, flags=PauseFlag.MINTING)])
    assert c.events(sent.logs) == [Paused(PauseFlag.MINTING, PauseFlag.MINTING, GOVERNANCE_PDA, None)]
    sent = send_with_pdas(
        env, [c.pause_zone(regulator=GOVERNANCE_PDA, zone_id=ZONE_ID, flags=PauseFlag.READINGS)]
    )
    assert env.zone().paused == PauseFlag.READINGS
    sent = send_with_pdas(env, [c.resume_market(flags=PauseFlag.MINTING, cosigners=[GOVERNANCE_PDA])])
    assert c.events(sent.logs) == [Resumed(PauseFlag.MINTING, 0, None)]
    send_with_pdas(
        env, [c.resume_zone(zone_id=ZONE_ID, flags=PauseFlag.READINGS, cosigners=[GOVERNANCE_PDA])]
    )
    assert (env.config().paused, env.zone().paused) == (0, 0)
    # Regulators are replaced by governance (no authority needed, even as the first set would).
    new = [Keypair().pubkey() for _ in range(2)]
    send_with_pdas(env, [c.set_regulators(regulators=new, threshold=2, cosigners=[GOVERNANCE_PDA])])
    assert (env.config().regulators, env.config().regulator_threshold) == (new, 2)
    send_with_pdas(
        env,
        [
            c.create_zone(
                payer=env.payer.pubkey(),
                zone_id=9,
                name="east",
                max_capacity_kw=10,
                cosigners=[GOVERNANCE_PDA],
            )
        ],
    )
    assert env.zone(9).name == "east"


def test_the_governance_pda_proposes_the_next_authority(governed: RegistryEnv) -> None:
    env, c = governed, governed.client
    successor = env.wallet()
    propose = c.propose_authority(authority=GOVERNANCE_PDA, new_authority=successor.pubkey())
    sent = send_with_pdas(env, [propose])
    config = c.config_pda().address
    assert c.events(sent.logs) == [AuthorityProposed(config, env.payer.pubkey(), successor.pubkey())]
    env.send([c.accept_authority(new_authority=successor.pubkey())], [successor])
    assert env.config().authority == successor.pubkey()
    # The new authority has no more power than the old one while governance is set.
    again = c.propose_authority(authority=successor.pubkey(), new_authority=Keypair().pubkey())
    assert fail_with_pdas(env, [again], [successor]) == code("NotGovernance")


def test_other_pdas_are_not_the_governance(governed: RegistryEnv) -> None:
    env, c = governed, governed.client
    impostors = [
        CERTIFICATES_PDA,  # the governance program's other PDA
        governance_pdas(Keypair().pubkey()).governance.address,  # another program's ["governance"] PDA
        governance_pdas(env.program_id).governance.address,  # the registry's own
    ]
    for address in impostors:
        ix = c.update_limits(limits=Limits(), cosigners=[address])
        assert fail_with_pdas(env, [ix]) == code("NotGovernance"), address
        pause = c.pause_market(regulator=address, flags=PauseFlag.READINGS)
        assert fail_with_pdas(env, [pause]) == code("NotRegulator"), address


def test_governance_can_be_cleared_and_regulators_cosign_again(governed: RegistryEnv) -> None:
    env, c = governed, governed.client
    quorum = env.quorum()
    limits_ix = c.update_limits(limits=Limits(), cosigners=keys(quorum))
    assert fail_with_pdas(env, [limits_ix], quorum) == code("NotGovernance")
    sent = send_with_pdas(env, [c.set_governance(governance_program=None, cosigners=[GOVERNANCE_PDA])])
    config = c.config_pda().address
    assert c.events(sent.logs) == [GovernanceSet(config, Pubkey.default(), 0, 0)]
    assert env.config().governance_program is None
    send_with_pdas(env, [limits_ix], quorum)
    # And the governance PDA lost its power.
    assert fail_with_pdas(env, [c.update_limits(limits=Limits(), cosigners=[GOVERNANCE_PDA])]) == code(
        "RegulatorThresholdNotMet"
    )


def test_governance_moves_to_another_program_only_through_itself(governed: RegistryEnv) -> None:
    env, c = governed, governed.client
    successor = Keypair().pubkey()
    send_with_pdas(env, [c.set_governance(governance_program=successor, cosigners=[GOVERNANCE_PDA])])
    assert env.config().governance_program == successor
    stale = c.update_limits(limits=Limits(), cosigners=[GOVERNANCE_PDA])
    assert fail_with_pdas(env, [stale]) == code("NotGovernance")
    send_with_pdas(
        env, [c.update_limits(limits=Limits(), cosigners=[governance_pdas(successor).governance.address])]
    )


# -- certify_meter ----------------------------------------------------------------------------------------


def readings(env: RegistryEnv, p: Prosumer, start: int, count: int, production_wh: int = 600) -> int:
    """``count`` 15-minute readings of ``p`` from ``start``; returns the last window's end."""
    end = start
    for _ in range(count):
        env.set_unix_time(end + 900)
        env.submit([(p, Reading(end, end + 900, production_wh, 50))])
        end += 900
    return end


def certify(env: RegistryEnv, p: Prosumer, authority: Pubkey = CERTIFICATES_PDA) -> Instruction:
    return env.client.certify_meter(
        certificates_authority=authority, meter=p.meter, owner=p.wallet.pubkey(), zone_id=ZONE_ID
    )


def test_certify_meter_covers_renewable_production_once(governed: RegistryEnv) -> None:
    env = governed
    p = env.prosumer(source=EnergySource.WIND)
    registered_at = env.meter(p.meter).registered_at
    start = registered_at + 60
    end = readings(env, p, start, 3)
    sent = env.record("certify_meter", send_with_pdas(env, [certify(env, p)]))
    meter = env.meter(p.meter)
    assert (meter.certified_wh, meter.certificate_wh, meter.certificate_until, meter.uncertified_wh) == (
        1_800,
        1_800,
        end,
        0,
    )
    assert env.client.events(sent.logs) == [MeterCertified(p.meter, start, end, 1_800)]
    # Nothing left: the same production is never certified twice.
    assert fail_with_pdas(env, [certify(env, p)]) == code("NothingToCertify")
    # Later production is certified from where the last certificate ended.
    later = readings(env, p, end, 2, production_wh=250)
    sent = send_with_pdas(env, [certify(env, p)])
    assert env.client.events(sent.logs) == [MeterCertified(p.meter, end, later, 500)]
    meter = env.meter(p.meter)
    assert (meter.certificate_wh, meter.certificate_until) == (2_300, later)
    assert meter.certificate_wh <= meter.certified_wh


def test_a_meter_without_readings_has_nothing_to_certify(governed: RegistryEnv) -> None:
    env = governed
    p = env.prosumer()
    assert fail_with_pdas(env, [certify(env, p)]) == code("NothingToCertify")


def test_non_renewable_meters_get_no_certificate(governed: RegistryEnv) -> None:
    env = governed
    for source in (EnergySource.BATTERY, EnergySource.GRID):
        p = env.prosumer(source=source)
        readings(env, p, env.meter(p.meter).registered_at, 1)
        assert env.meter(p.meter).produced_wh == 600
        assert fail_with_pdas(env, [certify(env, p)]) == code("NotRenewable"), source
        assert env.meter(p.meter).certificate_wh == 0


def test_a_meter_read_before_first_window_start_existed_is_certified_from_registration(
    governed: RegistryEnv,
) -> None:
    env = governed
    p = env.prosumer()
    end = readings(env, p, env.meter(p.meter).registered_at + 120, 1)
    layout = IdlAccountLayout(load_idl_json("registry"), "Meter")
    real = env.account(p.meter)
    assert real is not None
    patched = layout.patch(bytes(real.data), {"first_window_start": 0})
    env.svm.set_account(p.meter, Account(real.lamports, patched, real.owner, False, 0))
    sent = send_with_pdas(env, [certify(env, p)])
    assert env.client.events(sent.logs) == [
        MeterCertified(p.meter, env.meter(p.meter).registered_at, end, 600)
    ]


def test_certify_meter_signer_and_accounts(governed: RegistryEnv) -> None:
    env = governed
    p = env.prosumer()
    q = env.prosumer()
    readings(env, p, env.meter(p.meter).registered_at, 1)
    ix = certify(env, p)
    stranger = env.wallet()
    assert fail_with_pdas(env, [with_account(ix, 0, stranger.pubkey())], [stranger]) == code(
        "NotCertificateAuthority"
    )
    # The governance PDA is not the certificates PDA; neither is another program's certificates PDA.
    assert fail_with_pdas(env, [certify(env, p, GOVERNANCE_PDA)]) == code("NotCertificateAuthority")
    other = governance_pdas(Keypair().pubkey()).certificates.address
    assert fail_with_pdas(env, [certify(env, p, other)]) == code("NotCertificateAuthority")
    assert fail_with_pdas(env, [with_meta(ix, 0, signer=False)]) == code("MissingSigner")
    assert fail_with_pdas(env, [with_meta(ix, 2, writable=False)]) == code("AccountNotWritable")
    # Another owner's User with this meter.
    q_user = env.client.user_pda(q.wallet.pubkey()).address
    assert fail_with_pdas(env, [with_account(ix, 3, q_user)]) == code("UserMismatch")
    # A zone in the meter slot.
    zone = env.client.zone_pda(ZONE_ID).address
    assert fail_with_pdas(env, [with_account(ix, 2, zone)]) == code("InvalidAccountData")
    # A suspended owner's meter is not certified.
    regulator = env.regulators[0]
    env.send([env.client.suspend_user(regulator=regulator.pubkey(), wallet=p.wallet.pubkey())], [regulator])
    assert fail_with_pdas(env, [ix]) == code("UserSuspended")
    env.send([env.client.reinstate_user(regulator=regulator.pubkey(), wallet=p.wallet.pubkey())], [regulator])
    send_with_pdas(env, [ix])
    assert env.meter(p.meter).certificate_wh == 600


def test_certify_meter_takes_the_meters_zone_and_stops_while_minting_is_paused(governed: RegistryEnv) -> None:
    env = governed
    p = env.prosumer()
    readings(env, p, env.meter(p.meter).registered_at, 1)
    ix = certify(env, p)
    c = env.client
    # The zone slot: the meter's Zone only (not the meter, another registry account, or a foreign one).
    assert fail_with_pdas(env, [with_account(ix, 4, p.meter)]) == code("ZoneMismatch")
    assert fail_with_pdas(env, [with_account(ix, 4, p.accounts.user)]) == code("InvalidAccountData")
    assert fail_with_pdas(env, [with_account(ix, 4, GOVERNANCE_PDA)]) == code("InvalidOwner")
    zone = env.account(c.zone_pda(ZONE_ID).address)
    assert zone is not None
    other = bytearray(zone.data)
    other[8:12] = (ZONE_ID + 1).to_bytes(4, "little")
    elsewhere = c.zone_pda(ZONE_ID + 1).address
    env.svm.set_account(elsewhere, Account(zone.lamports, bytes(other), zone.owner, False, 0))
    assert fail_with_pdas(env, [with_account(ix, 4, elsewhere)]) == code("ZoneMismatch")
    truncated = Instruction(ix.program_id, bytes(ix.data), list(ix.accounts)[:4])
    assert fail_with_pdas(env, [truncated]) == code("NotEnoughAccounts")
    regulator = env.regulators[0]
    # MINTING paused for the zone, then market-wide: refused; other flags do not stop it.
    for pause, resume in [
        (
            c.pause_zone(regulator=regulator.pubkey(), zone_id=ZONE_ID, flags=PauseFlag.MINTING),
            c.resume_zone(zone_id=ZONE_ID, flags=PauseFlag.MINTING, cosigners=[GOVERNANCE_PDA]),
        ),
        (
            c.pause_market(regulator=regulator.pubkey(), flags=PauseFlag.MINTING),
            c.resume_market(flags=PauseFlag.MINTING, cosigners=[GOVERNANCE_PDA]),
        ),
    ]:
        env.send([pause], [regulator])
        assert fail_with_pdas(env, [ix]) == code("MintingPaused")
        assert env.meter(p.meter).certificate_wh == 0
        send_with_pdas(env, [resume])
    env.send(
        [c.pause_market(regulator=regulator.pubkey(), flags=PauseFlag.READINGS | PauseFlag.TRADING)],
        [regulator],
    )
    send_with_pdas(env, [ix])
    assert env.meter(p.meter).certificate_wh == 600


def test_certify_meter_without_governance_is_refused(registry: RegistryEnv) -> None:
    registry.market()
    p = registry.prosumer()
    registry.set_unix_time(T0 + 900)
    registry.submit([(p, Reading(T0, T0 + 900, 100, 0))])
    anyone = registry.wallet()
    ix = certify(registry, p, anyone.pubkey())
    assert registry.fail([ix], [anyone]) == code("NotCertificateAuthority")
    # With governance set, a wallet signing is still not the certificates PDA.
    hand_over(registry)
    assert registry.fail([ix], [anyone]) == code("NotCertificateAuthority")


def test_certify_meter_cannot_be_reached_by_guessing(registry: RegistryEnv) -> None:
    """The certificates PDA's address without its signature (all anyone but the governance program can
    pass) is refused."""
    registry.market()
    hand_over(registry)
    p = registry.prosumer()
    registry.set_unix_time(registry.now() + 900)
    registry.submit([(p, Reading(registry.now() - 900, registry.now(), 100, 0))])
    assert registry.fail([with_meta(certify(registry, p), 0, signer=False)]) == code("MissingSigner")

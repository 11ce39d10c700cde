"""``solgrid.sdk.certificates`` against the deployed programs in LiteSVM: the SDK's builders drive the
whole lifecycle (request, validate, split, transfer, retire, revoke by co-signers and by proposal,
expire), its decoded accounts and events match what the program stored and emitted, and what the SDK
computes from a meter before sending (the certifiable interval and volume, or why there is none) is
exactly what the program then certifies or refuses."""

from __future__ import annotations

import pytest
from certificates_harness import FACTOR, CertEnv
from governance_harness import DAY, GovernanceEnv, code
from registry_harness import ZONE_ID

from solgrid.localnet.svm import TransactionFailed
from solgrid.sdk.certificates import (
    Certifiable,
    CertificatesClient,
    CertificateSplit,
    CertificateStatus,
    CertificateTransferred,
    CertificateValidated,
    NothingToCertify,
    NotRenewable,
    certifiable,
)
from solgrid.sdk.certificates.events import (
    CertificateExpired,
    CertificateRequested,
    CertificateRetired,
    CertificateRevoked,
)
from solgrid.sdk.governance import GovernedActions
from solgrid.sdk.registry import EnergySource


@pytest.fixture
def env(governance: GovernanceEnv) -> CertEnv:
    cert = CertEnv(governance)
    cert.set_emission_factor(FACTOR)
    return cert


def test_the_lifecycle_through_the_sdk(env: CertEnv) -> None:
    sdk = CertificatesClient()
    assert sdk.program_id == env.program_id
    alice = env.prosumer(EnergySource.SOLAR)
    end = env.produce(alice, windows=4, production_wh=600)
    meter = env.registry.meter(alice.meter)
    expected = Certifiable(meter.first_window_start, end, 2_400)
    assert certifiable(meter) == expected

    request = sdk.request(meter_address=alice.meter, meter=meter)
    assert request.certifiable == expected
    assert request.certificate == env.certificate_pda(alice.meter, expected.start).address
    sent = env.send([request.instruction], [alice.wallet])
    requested = env.now()
    [event] = sdk.events(sent.logs)
    assert event == CertificateRequested(
        request.certificate,
        alice.meter,
        alice.wallet.pubkey(),
        ZONE_ID,
        EnergySource.SOLAR,
        expected.start,
        end,
        2_400,
        requested,
    )
    cert = sdk.decode_certificate(request.certificate, env.registry.data(request.certificate))
    assert (cert.status, cert.volume_wh, cert.generation_start, cert.generation_end) == (
        CertificateStatus.PENDING,
        2_400,
        expected.start,
        end,
    )
    assert (cert.owner, cert.original, cert.parent, cert.issuer, cert.retirement) == (
        alice.wallet.pubkey(),
        request.certificate,
        None,
        None,
        None,
    )
    # What the SDK computes after the request: everything is covered.
    with pytest.raises(NothingToCertify, match="all 2400 Wh of its accepted renewable production"):
        certifiable(env.registry.meter(alice.meter), "SOLAR-1")

    regulator = env.regulators[1]
    sent = env.send(
        [sdk.validate(regulator=regulator.pubkey(), certificate=cert.address, zone_id=cert.zone_id)],
        [regulator],
    )
    [validated] = sdk.events(sent.logs)
    co2 = 2_400 * FACTOR // 1000
    assert validated == CertificateValidated(
        cert.address, regulator.pubkey(), 2_400, FACTOR, co2, env.now(), env.now() + 365 * DAY
    )
    cert = sdk.decode_certificate(cert.address, env.registry.data(cert.address))
    assert (cert.status, cert.issuer, cert.co2_avoided_g) == (
        CertificateStatus.VALID,
        regulator.pubkey(),
        co2,
    )
    assert cert.usable(env.now()) and cert.status_at(cert.expires_at) is CertificateStatus.EXPIRED

    carol = env.wallet()
    split, child = sdk.split(certificate=cert, volume_wh=900, new_owner=carol.pubkey())
    assert child == env.child_pda(cert.address, 0).address
    sent = env.send([split], [alice.wallet])
    [event] = sdk.events(sent.logs)
    assert isinstance(event, CertificateSplit) and (event.volume_wh, event.parent_volume_wh) == (900, 1_500)
    parent = sdk.decode_certificate(cert.address, env.registry.data(cert.address))
    part = sdk.decode_certificate(child, env.registry.data(child))
    assert (part.owner, part.parent, part.original, part.volume_wh) == (
        carol.pubkey(),
        cert.address,
        cert.address,
        900,
    )
    assert part.volume_wh + parent.volume_wh == 2_400 and part.co2_avoided_g + parent.co2_avoided_g == co2
    assert parent.split_count == 1

    dave = env.wallet()
    # A split child names its original (the requested certificate), which the program checks.
    without = sdk.transfer(owner=carol.pubkey(), certificate=child, new_owner=dave.pubkey())
    assert env.fail([without], [carol]) == code("WrongOriginal")
    transfer = sdk.transfer(
        owner=carol.pubkey(), certificate=child, new_owner=dave.pubkey(), original=part.original
    )
    sent = env.send([transfer], [carol])
    assert sdk.events(sent.logs) == [
        CertificateTransferred(child, carol.pubkey(), dave.pubkey(), 900, part.co2_avoided_g)
    ]
    retire = sdk.retire(
        owner=dave.pubkey(),
        certificate=child,
        beneficiary=dave.pubkey(),
        beneficiary_name="Dave's household",
        purpose="home heating",
        consumption_start=expected.start,
        consumption_end=end,
        original=part.original,
    )
    sent = env.send([retire], [dave])
    [retired] = sdk.events(sent.logs)
    assert isinstance(retired, CertificateRetired) and retired.volume_wh == 900
    final = sdk.decode_certificate(child, env.registry.data(child))
    assert final.status is CertificateStatus.RETIRED and final.retirement == retired.retirement
    assert (final.retirement.beneficiary_name, final.retirement.purpose, final.retirement.retired_at) == (
        "Dave's household",
        "home heating",
        env.now(),
    )


def test_what_cannot_be_certified_is_known_before_sending(env: CertEnv) -> None:
    sdk = CertificatesClient()
    battery = env.prosumer(EnergySource.BATTERY)
    env.produce(battery, windows=2)
    meter = env.registry.meter(battery.meter)
    with pytest.raises(NotRenewable, match="meter BAT-1 measures battery: only solar, wind and hydro"):
        sdk.request(meter_address=battery.meter, meter=meter, serial="BAT-1")
    # The program agrees: built by hand, the same request is refused.
    assert env.fail([env.request_ix(battery.wallet.pubkey(), battery)], [battery.wallet]) == code(
        "NotRenewable"
    )

    idle = env.prosumer(EnergySource.HYDRO)
    with pytest.raises(NothingToCertify, match="no accepted renewable production yet"):
        certifiable(env.registry.meter(idle.meter))

    wind = env.prosumer(EnergySource.WIND)
    env.produce(wind, windows=2)
    env.send(
        [sdk.request(meter_address=wind.meter, meter=env.registry.meter(wind.meter)).instruction],
        [wind.wallet],
    )
    later_end = env.produce(wind, windows=1, production_wh=300)
    after = env.registry.meter(wind.meter)
    covered = certifiable(after)
    assert (covered.start, covered.end, covered.volume_wh) == (after.certificate_until, later_end, 300)
    second = sdk.request(meter_address=wind.meter, meter=after)
    env.send([second.instruction], [wind.wallet])
    assert sdk.decode_certificate(second.certificate, env.registry.data(second.certificate)).volume_wh == 300


def test_revoke_by_proposal_and_by_cosigners_and_expiry(env: CertEnv) -> None:
    sdk = CertificatesClient()
    _, first = env.valid_certificate()
    _, second = env.valid_certificate()
    r0, r1, _ = env.regulators
    with pytest.raises(ValueError, match="needs a reason"):
        sdk.revoke(certificate=first, reason="", cosigners=[r0.pubkey(), r1.pubkey()])
    revoke = sdk.revoke(certificate=first, reason="tampered meter", cosigners=[r0.pubkey(), r1.pubkey()])
    # Governance is set: co-signing regulators no longer revoke; a proposal does.
    assert env.fail([revoke], [r0, r1]) == code("NotGovernance")
    env.gov.enact(GovernedActions().revoke_certificate(second, "audit finding"))
    assert sdk.decode_certificate(second, env.registry.data(second)).status is CertificateStatus.REVOKED

    # Handed back to co-signing regulators, a quorum revokes at once.
    env.clear_governance()
    sent = env.send([revoke], [r0, r1])
    [event] = sdk.events(sent.logs)
    assert event == CertificateRevoked(
        first,
        CertificateStatus.VALID,
        "tampered meter",
        event.volume_wh,
        env.now(),
        CertificateStatus.REVOKED,
    )
    revoked = sdk.decode_certificate(first, env.registry.data(first))
    assert (revoked.status, revoked.revoke_reason, revoked.lineage_revoked) == (
        CertificateStatus.REVOKED,
        "tampered meter",
        True,
    )
    assert revoked.revocation_refused() == "is REVOKED already"


def test_a_retired_originals_lineage_revoked_through_the_sdk(env: CertEnv) -> None:
    """A retired original is revoked as a lineage: its status and retirement stay, the event says so,
    and its split part decodes as REVOKED in effect."""
    sdk = CertificatesClient()
    alice, original = env.valid_certificate()
    carol = env.wallet()
    part = env.split(alice.wallet, original, 1_000, carol.pubkey())
    env.retire(alice.wallet, original)
    finished = sdk.decode_certificate(original, env.registry.data(original))
    assert finished.revocation_refused() is None and not finished.lineage_revoked
    env.clear_governance()
    r0, r1, _ = env.regulators
    sent = env.send(
        [sdk.revoke(certificate=original, reason="meter swapped", cosigners=[r0.pubkey(), r1.pubkey()])],
        [r0, r1],
    )
    [event] = sdk.events(sent.logs)
    assert event == CertificateRevoked(
        original,
        CertificateStatus.RETIRED,
        "meter swapped",
        finished.volume_wh,
        env.now(),
        CertificateStatus.RETIRED,
    )
    after = sdk.decode_certificate(original, env.registry.data(original))
    assert (after.status, after.lineage_revoked, after.retirement) == (
        CertificateStatus.RETIRED,
        True,
        finished.retirement,
    )
    assert after.revocation_refused() == "is RETIRED and its lineage is revoked already"
    split = sdk.decode_certificate(part, env.registry.data(part))
    assert not split.lineage_revoked and split.revoked_via(after)
    assert split.effective_status(env.now(), after) is CertificateStatus.REVOKED


def test_expiry_through_the_sdk(env: CertEnv) -> None:
    sdk = CertificatesClient()
    _, third = env.valid_certificate()
    cert = sdk.decode_certificate(third, env.registry.data(third))
    with pytest.raises(TransactionFailed):
        env.send([sdk.expire(certificate=third)])
    env.warp_to(cert.expires_at)
    assert cert.status_at(env.now()) is CertificateStatus.EXPIRED and not cert.usable(env.now())
    sent = env.send([sdk.expire(certificate=third)])
    assert sdk.events(sent.logs) == [CertificateExpired(third, cert.owner, cert.volume_wh, env.now())]
    assert sdk.decode_certificate(third, env.registry.data(third)).status is CertificateStatus.EXPIRED


def test_builders_refuse_what_the_program_would(env: CertEnv) -> None:
    sdk = CertificatesClient()
    _, address = env.valid_certificate()
    cert = sdk.decode_certificate(address, env.registry.data(address))
    for volume in (0, cert.volume_wh, cert.volume_wh + 1):
        with pytest.raises(ValueError, match="a split moves more than 0 and less than"):
            sdk.split(certificate=cert, volume_wh=volume, new_owner=cert.owner)
    common = {"owner": cert.owner, "certificate": address, "beneficiary": cert.owner}
    with pytest.raises(ValueError, match="must start before it ends"):
        sdk.retire(**common, beneficiary_name="x", purpose="y", consumption_start=5, consumption_end=5)
    with pytest.raises(ValueError, match="at most 64 bytes"):
        sdk.retire(**common, beneficiary_name="x" * 65, purpose="y", consumption_start=1, consumption_end=5)

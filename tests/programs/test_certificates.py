"""Renewable-energy certificates through the deployed governance program in LiteSVM: the lifecycle from
device-signed production to retirement, expiry after the validity period, revocation by a quorum, and the
compute units of every certificate instruction."""

from __future__ import annotations

import pytest
from certificates_harness import FACTOR, CertEnv, status_name
from governance_harness import DAY, GovernanceEnv, Params, code
from registry_harness import ZONE_ID
from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey
from solders.system_program import TransferParams, transfer

from solgrid.sdk.registry import EnergySource

GOALS = {
    "request_certificate": 15_000,
    "validate_certificate": 3_000,
    "transfer_certificate": 6_000,
    "split_certificate": 6_000,
    "retire_certificate": 8_000,
}


@pytest.fixture
def env(governance: GovernanceEnv) -> CertEnv:
    """Governance deployed and named the registry's governance; the zone's emission factor set by an
    executed proposal."""
    cert = CertEnv(governance)
    cert.set_emission_factor(FACTOR)
    return cert


def status_name_of(value: object) -> str:
    return type(value).__name__


def text(raw: list[int]) -> bytes:
    return bytes(raw).rstrip(b"\0")


def test_lifecycle_from_production_to_retirement(env: CertEnv) -> None:
    alice = env.prosumer(EnergySource.SOLAR)
    carol = env.wallet()
    registered_at = env.registry.meter(alice.meter).registered_at
    end = env.produce(alice, windows=4, production_wh=600)
    meter = env.registry.meter(alice.meter)
    assert (meter.certified_wh, meter.certificate_wh, meter.first_window_start) == (2_400, 0, registered_at)

    # Request: the meter's whole renewable production since its first window, Pending.
    request = env.request_ix(alice.wallet.pubkey(), alice)
    sent = env.run("request_certificate", request, [alice.wallet])
    address = request.accounts[5].pubkey
    assert address == env.certificate_pda(alice.meter, registered_at).address
    requested_at = env.now()
    c = env.certificate(address)
    assert status_name(c) == "Pending"
    assert (c.meter, c.zone_id, type(c.source).__name__, c.owner) == (
        alice.meter,
        ZONE_ID,
        "Solar",
        alice.wallet.pubkey(),
    )
    assert (c.generation_start, c.generation_end, c.volume_wh, c.requested_at) == (
        registered_at,
        end,
        2_400,
        requested_at,
    )
    assert (c.issued_at, c.issuer, c.expires_at, c.co2_avoided_g) == (0, Pubkey.default(), 0, 0)
    assert (c.parent, c.original, c.split_count) == (Pubkey.default(), address, 0)
    meter = env.registry.meter(alice.meter)
    assert (meter.certificate_wh, meter.certificate_until) == (2_400, end)
    [event] = env.events(sent)
    assert event.name == "CertificateRequested"
    assert (
        event.data.certificate,
        event.data.volume_wh,
        event.data.generation_start,
        event.data.generation_end,
    ) == (
        address,
        2_400,
        registered_at,
        end,
    )
    registry_events = [e.name for e in env.registry.client.coder.events(sent.logs)]
    assert registry_events == ["MeterCertified"]

    # Validate: a regulator issues it; CO2 from the zone's emission factor.
    regulator = env.regulators[1]
    sent = env.validate(address, regulator)
    issued_at = env.now()
    c = env.certificate(address)
    assert status_name(c) == "Valid"
    assert (c.issued_at, c.issuer, c.expires_at) == (issued_at, regulator.pubkey(), issued_at + 365 * DAY)
    assert c.co2_avoided_g == 2_400 * FACTOR // 1000 == 1_080
    [event] = env.events(sent)
    assert (event.name, event.data.emission_factor, event.data.co2_avoided_g) == (
        "CertificateValidated",
        FACTOR,
        1_080,
    )

    # Split: 1,000 Wh to carol; volumes and CO2 add up to the original's.
    child = env.split(alice.wallet, address, 1_000, carol.pubkey())
    assert child == env.child_pda(address, 0).address
    parent, kid = env.certificate(address), env.certificate(child)
    assert (parent.volume_wh, parent.co2_avoided_g, parent.split_count) == (1_400, 630, 1)
    assert (kid.volume_wh, kid.co2_avoided_g, kid.owner, kid.split_count) == (1_000, 450, carol.pubkey(), 0)
    assert (kid.parent, kid.original, status_name(kid)) == (address, address, "Valid")
    header = (
        "meter",
        "zone_id",
        "generation_start",
        "generation_end",
        "requested_at",
        "issued_at",
        "issuer",
        "expires_at",
    )
    assert [getattr(kid, f) for f in header] == [getattr(parent, f) for f in header]
    assert type(kid.source).__name__ == "Solar"

    # Carol retires her part for her household: who, for what, when it was consumed.
    period = (env.now() - 30 * DAY, env.now())
    sent = env.retire(
        carol, child, name="Carol's household", purpose="household electricity 2026-01", consumption=period
    )
    kid = env.certificate(child)
    assert status_name(kid) == "Retired"
    r = kid.retirement
    assert (r.beneficiary, text(r.beneficiary_name), text(r.purpose)) == (
        carol.pubkey(),
        b"Carol's household",
        b"household electricity 2026-01",
    )
    assert (r.consumption_start, r.consumption_end, r.retired_at) == (*period, env.now())
    [event] = env.events(sent)
    assert (event.name, event.data.volume_wh, event.data.co2_avoided_g) == ("CertificateRetired", 1_000, 450)

    # Alice transfers the rest whole to dave, who splits it again: a grandchild keeps the original.
    dave, erin = env.wallet(), env.wallet()
    env.transfer(alice.wallet, address, dave.pubkey())
    assert env.certificate(address).owner == dave.pubkey()
    grandchild = env.split(dave, address, 400, erin.pubkey())
    assert grandchild == env.child_pda(address, 1).address
    g = env.certificate(grandchild)
    assert (g.parent, g.original, g.volume_wh, g.co2_avoided_g) == (address, address, 400, 180)
    great = env.split(erin, grandchild, 150, dave.pubkey())
    gg = env.certificate(great)
    assert (gg.parent, gg.original, gg.volume_wh) == (grandchild, address, 150)

    # Conservation: every certificate from this request adds up to what the registry certified.
    family = [env.certificate(a) for a in (address, child, grandchild, great)]
    assert sum(f.volume_wh for f in family) == env.registry.meter(alice.meter).certificate_wh == 2_400
    assert sum(f.co2_avoided_g for f in family) == 1_080
    assert env.registry.meter(alice.meter).certificate_wh <= env.registry.meter(alice.meter).certified_wh


def test_the_next_request_starts_where_the_last_ended(env: CertEnv) -> None:
    p = env.prosumer(EnergySource.WIND)
    first_end = env.produce(p, windows=2, production_wh=300)
    first = env.request(p)
    assert env.certificate(first).generation_end == first_end
    # Nothing new yet: nothing to certify.
    assert env.fail([env.request_ix(p.wallet.pubkey(), p)], [p.wallet]) == code("NothingToCertify")
    second_end = env.produce(p, windows=3, production_wh=200)
    second = env.request(p)
    assert second == env.certificate_pda(p.meter, first_end).address
    c = env.certificate(second)
    assert (c.generation_start, c.generation_end, c.volume_wh) == (first_end, second_end, 600)
    assert env.registry.meter(p.meter).certificate_wh == 600 + 600


def test_hydro_is_certified_and_the_request_survives_a_prefunded_address(env: CertEnv) -> None:
    p = env.prosumer(EnergySource.HYDRO)
    env.produce(p, windows=1)
    pda = env.certificate_pda(p.meter, env.next_start(p.meter))
    # Anyone may send lamports to the address first; the request still creates the account there.
    env.send([transfer_lamports(env, pda.address, 890_880)])
    assert env.request(p) == pda.address
    assert env.certificate(pda.address).volume_wh == 600


def transfer_lamports(env: CertEnv, to: Pubkey, lamports: int) -> Instruction:
    return transfer(TransferParams(from_pubkey=env.gov.payer.pubkey(), to_pubkey=to, lamports=lamports))


def test_expiry_after_the_validity_period(env: CertEnv) -> None:
    p, address = env.valid_certificate()
    expires_at = env.certificate(address).expires_at
    owner = p.wallet
    assert env.fail([env.expire_ix(address)]) == code("CertificateNotExpired")
    # Usable until the last second.
    env.warp_to(expires_at - 1)
    other = env.wallet()
    env.transfer(owner, address, other.pubkey())
    env.transfer(other, address, owner.pubkey())
    # From expires_at on it can no longer be transferred, split or retired, even before anyone cranks it.
    env.warp_to(expires_at)
    assert env.fail([env.transfer_ix(owner.pubkey(), address, other.pubkey())], [owner]) == code(
        "CertificateExpired"
    )
    assert env.fail([env.split_ix(owner.pubkey(), address, 1, other.pubkey())], [owner]) == code(
        "CertificateExpired"
    )
    assert env.fail([env.retire_ix(owner.pubkey(), address)], [owner]) == code("CertificateExpired")
    # Anyone cranks it (the payer signs only the fee).
    sent = env.expire(address)
    assert status_name(env.certificate(address)) == "Expired"
    [event] = env.events(sent)
    assert (event.name, event.data.owner, event.data.timestamp) == (
        "CertificateExpired",
        owner.pubkey(),
        expires_at,
    )
    assert env.fail([env.expire_ix(address)]) == code("CertificateExpired")
    assert env.fail([env.retire_ix(owner.pubkey(), address)], [owner]) == code("CertificateExpired")
    governance = [AccountMeta(env.gov.governance_pda().address, is_signer=True, is_writable=False)]
    # A quorum still revokes it as a requested certificate (its lineage): it stays Expired.
    env.gov.execute(env.gov.approved(env.revoke_ix(address, cosigners=governance)))
    c = env.certificate(address)
    assert (status_name(c), c.lineage_revoked) == ("Expired", 1)


def test_the_validity_period_is_governances(governance: GovernanceEnv) -> None:
    env = CertEnv(governance)
    env.set_emission_factor(FACTOR)
    env.gov.enact(env.gov.update_config_ix(Params(certificate_validity_secs=3_600)))
    _, address = env.valid_certificate()
    c = env.certificate(address)
    assert c.expires_at == c.issued_at + 3_600


def cosign(env: CertEnv, n: int) -> list[AccountMeta]:
    return [AccountMeta(r.pubkey(), is_signer=True, is_writable=False) for r in env.regulators[:n]]


def test_revocation_by_regulators_cosigning(env: CertEnv) -> None:
    """While the registry names no governance program (here: handed back after the request)."""
    p, address = env.valid_certificate()
    env.clear_governance()
    one, two, three = env.regulators
    stranger = env.wallet()
    reason = "device key leaked"
    assert env.fail([env.revoke_ix(address, reason, cosign(env, 1))], [one]) == code("QuorumNotMet")
    twice = [AccountMeta(one.pubkey(), True, False)] * 2
    assert env.fail([env.revoke_ix(address, reason, twice)], [one]) == code("QuorumNotMet")
    mixed = [AccountMeta(one.pubkey(), True, False), AccountMeta(stranger.pubkey(), True, False)]
    assert env.fail([env.revoke_ix(address, reason, mixed)], [one, stranger]) == code("QuorumNotMet")
    # Listed but not signing does not count either.
    unsigned = [AccountMeta(one.pubkey(), True, False), AccountMeta(two.pubkey(), False, False)]
    assert env.fail([env.revoke_ix(address, reason, unsigned)], [one]) == code("QuorumNotMet")

    sent = env.revoke_by(address, [two, three], reason)
    c = env.certificate(address)
    assert (status_name(c), text(c.revoke_reason)) == ("Revoked", reason.encode())
    [event] = env.events(sent)
    assert (
        event.name,
        status_name_of(event.data.previous_status),
        text(event.data.reason),
        event.data.volume_wh,
    ) == (
        "CertificateRevoked",
        "Valid",
        reason.encode(),
        2_400,
    )
    # Final, and its volume is never certifiable again.
    assert env.fail([env.revoke_ix(address, reason, cosign(env, 2))], [one, two]) == code(
        "CertificateRevoked"
    )
    assert env.registry.meter(p.meter).certificate_wh == 2_400


def test_revocation_through_a_proposal(env: CertEnv) -> None:
    p = env.prosumer()
    env.produce(p, windows=2)
    address = env.request(p)
    sent = env.revoke_through_proposal(address, "double counted with I-REC")
    c = env.certificate(address)
    assert (status_name(c), text(c.revoke_reason)) == ("Revoked", b"double counted with I-REC")
    assert "CertificateRevoked" in [e.name for e in env.events(sent)]
    assert env.fail([env.validate_ix(env.regulators[0].pubkey(), address)], [env.regulators[0]]) == code(
        "CertificateRevoked"
    )


def test_a_removed_regulator_no_longer_counts_for_a_revocation(env: CertEnv) -> None:
    _, address = env.valid_certificate()
    one, two, three = env.regulators
    newcomer = env.wallet()
    env.gov.enact(env.gov.set_regulators_ix([one.pubkey(), two.pubkey(), newcomer.pubkey()], 2))
    env.clear_governance()
    env.registry.regulators = [one, two, newcomer]
    assert env.fail(
        [
            env.revoke_ix(
                address,
                cosigners=[AccountMeta(one.pubkey(), True, False), AccountMeta(three.pubkey(), True, False)],
            )
        ],
        [one, three],
    ) == code("QuorumNotMet")
    env.revoke_by(address, [one, newcomer])
    assert status_name(env.certificate(address)) == "Revoked"


def test_compute_units_of_each_certificate_instruction(env: CertEnv) -> None:
    alice = env.prosumer()
    carol = env.wallet()
    for _ in range(2):
        env.produce(alice, windows=4)
        address = env.request(alice)
        env.validate(address)
        child = env.split(alice.wallet, address, 500, carol.pubkey())
        env.transfer(alice.wallet, address, carol.pubkey())
        env.retire(carol, child)
    _, expiring = env.valid_certificate()
    env.warp_to(env.certificate(expiring).expires_at)
    env.expire(expiring)
    _, revoked = env.valid_certificate()
    env.revoke_through_proposal(revoked)
    print()
    print(f"{'instruction':<24}{'CU (max)':>10}{'goal':>10}")
    for name, units in sorted(env.cu.items()):
        goal = GOALS.get(name)
        print(f"{name:<24}{max(units):>10}{goal if goal else '-':>10}")
    assert set(GOALS) <= set(env.cu)

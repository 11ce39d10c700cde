"""Every failure path of the certificate instructions, each with its specific error (the governance
program's, the shared kit's, or the registry's where the registry refuses inside the CPI)."""

from __future__ import annotations

import struct
from collections.abc import Callable

import pytest
from certificates_harness import FACTOR, CertEnv, registry_code, status_name
from governance_harness import GovernanceEnv, code
from instruction_edits import with_account, with_data, with_meta
from registry_harness import Prosumer
from solders.account import Account
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from solgrid.sdk.registry import EnergySource

KIT = {"NotEnoughAccounts": 6002, "MissingSigner": 6003, "AccountNotWritable": 6004, "InvalidOwner": 6005}
KIT.update({"InvalidPda": 6006, "InvalidSystemProgram": 6007, "InvalidAccountData": 6009})
KIT.update({"InvalidInstructionData": 6001})


@pytest.fixture
def env(governance: GovernanceEnv) -> CertEnv:
    cert = CertEnv(governance)
    cert.set_emission_factor(FACTOR)
    return cert


Make = Callable[[CertEnv], tuple[Prosumer, Pubkey]]
"""Puts a certificate into some status; returns its owner and address."""


def truncated(ix: Instruction, accounts: int) -> Instruction:
    return Instruction(ix.program_id, bytes(ix.data), list(ix.accounts)[:accounts])


# -- certificates in each status ---------------------------------------------------------------------------


def pending(env: CertEnv) -> tuple[Prosumer, Pubkey]:
    p = env.prosumer()
    env.produce(p, windows=2)
    return p, env.request(p)


def retired(env: CertEnv) -> tuple[Prosumer, Pubkey]:
    p, address = env.valid_certificate()
    env.retire(p.wallet, address)
    return p, address


def revoked(env: CertEnv) -> tuple[Prosumer, Pubkey]:
    p, address = env.valid_certificate()
    env.revoke_through_proposal(address)
    return p, address


def expired(env: CertEnv) -> tuple[Prosumer, Pubkey]:
    p, address = env.valid_certificate()
    env.warp_to(env.certificate(address).expires_at)
    env.expire(address)
    return p, address


def past_expiry(env: CertEnv) -> tuple[Prosumer, Pubkey]:
    """Valid, but its validity period is over (nobody cranked it yet)."""
    p, address = env.valid_certificate()
    env.warp_to(env.certificate(address).expires_at)
    return p, address


UNUSABLE = [
    (pending, "CertificatePending"),
    (retired, "CertificateRetired"),
    (revoked, "CertificateRevoked"),
    (expired, "CertificateExpired"),
    (past_expiry, "CertificateExpired"),
]


# -- request_certificate -------------------------------------------------------------------------------------


def test_request_account_checks(env: CertEnv) -> None:
    p = env.prosumer()
    env.produce(p, windows=1)
    owner = p.wallet
    ix = env.request_ix(owner.pubkey(), p)
    assert env.fail([with_meta(ix, 0, signer=False)]) == KIT["MissingSigner"]
    assert env.fail([with_meta(ix, 0, writable=False)], [owner]) == KIT["AccountNotWritable"]
    assert env.fail([with_account(ix, 1, env.gov.registry_config())], [owner]) == KIT["InvalidOwner"]
    assert env.fail([with_meta(ix, 3, writable=False)], [owner]) == KIT["AccountNotWritable"]
    assert env.fail([with_meta(ix, 5, writable=False)], [owner]) == KIT["AccountNotWritable"]
    assert env.fail([with_account(ix, 8, env.registry.program_id)], [owner]) == KIT["InvalidSystemProgram"]
    assert env.fail([truncated(ix, 8)], [owner]) == KIT["NotEnoughAccounts"]
    assert env.fail([with_data(ix, bytes(ix.data) + b"\0")], [owner]) == KIT["InvalidInstructionData"]
    # The certificates PDA and the registry are this deployment's.
    governance_pda = env.gov.governance_pda().address
    assert env.fail([with_account(ix, 6, governance_pda)], [owner]) == code("InvalidCertificatesAuthority")
    assert env.fail([with_account(ix, 7, env.gov.trading.client.program_id)], [owner]) == code(
        "InvalidRegistryProgram"
    )
    # Nothing changed.
    assert env.registry.meter(p.meter).certificate_wh == 0
    env.request(p)


def test_request_meter_and_user_checks(env: CertEnv) -> None:
    p, other = env.prosumer(), env.prosumer()
    env.produce(p, windows=1)
    owner = p.wallet
    ix = env.request_ix(owner.pubkey(), p)
    # Not a registry Meter: another registry account type, or an account of another program.
    zone = env.registry.client.zone_pda(7).address
    assert env.fail([with_account(ix, 3, zone)], [owner]) == code("WrongMeter")
    assert env.fail([with_account(ix, 3, env.gov.config_pda().address)], [owner]) == code("WrongMeter")
    assert env.fail([env.request_ix(owner.pubkey(), p, user=other.accounts.user)], [owner]) == code(
        "UserMismatch"
    )
    assert env.fail([env.request_ix(other.wallet.pubkey(), p)], [other.wallet]) == code("NotMeterOwner")


def test_request_certificate_address_checks(env: CertEnv) -> None:
    p = env.prosumer()
    env.produce(p, windows=1)
    owner = p.wallet
    start = env.next_start(p.meter)
    later = env.certificate_pda(p.meter, start + 1)
    assert env.fail([env.request_ix(owner.pubkey(), p, certificate=later)], [owner]) == KIT["InvalidPda"]
    right = env.certificate_pda(p.meter, start)
    wrong_bump = type(right)(right.address, (right.bump - 1) % 256)
    assert env.fail([env.request_ix(owner.pubkey(), p, certificate=wrong_bump)], [owner]) == KIT["InvalidPda"]
    other_meter = env.prosumer()
    foreign = env.certificate_pda(other_meter.meter, start)
    assert env.fail([env.request_ix(owner.pubkey(), p, certificate=foreign)], [owner]) == KIT["InvalidPda"]


@pytest.mark.parametrize("source", [EnergySource.BATTERY, EnergySource.GRID])
def test_request_refuses_non_renewable_meters(env: CertEnv, source: EnergySource) -> None:
    p = env.prosumer(source)
    env.produce(p, windows=2)
    assert env.registry.meter(p.meter).produced_wh == 1_200
    assert env.fail([env.request_ix(p.wallet.pubkey(), p)], [p.wallet]) == code("NotRenewable")


def test_request_without_production_has_nothing_to_certify(env: CertEnv) -> None:
    p = env.prosumer()
    assert env.fail([env.request_ix(p.wallet.pubkey(), p)], [p.wallet]) == code("NothingToCertify")


def test_request_for_a_suspended_owner_is_refused_by_the_registry(env: CertEnv) -> None:
    p = env.prosumer()
    env.produce(p, windows=1)
    env.suspend(p.wallet.pubkey())
    assert env.fail([env.request_ix(p.wallet.pubkey(), p)], [p.wallet]) == registry_code("UserSuspended")


def test_request_needs_the_registry_to_name_this_program(env: CertEnv) -> None:
    p = env.prosumer()
    env.produce(p, windows=1)
    # Governance hands the registry back to co-signing regulators: its certificates PDA no longer counts.
    env.gov.enact(env.registry.client.set_governance(governance_program=None, cosigners=env.gov.gov()))
    assert env.fail([env.request_ix(p.wallet.pubkey(), p)], [p.wallet]) == registry_code(
        "NotCertificateAuthority"
    )


# -- validate_certificate ----------------------------------------------------------------------------------


def test_validate_checks(env: CertEnv) -> None:
    _, address = pending(env)
    regulator = env.regulators[0]
    ix = env.validate_ix(regulator.pubkey(), address)
    stranger = env.wallet()
    assert env.fail([with_meta(ix, 0, signer=False)]) == KIT["MissingSigner"]
    assert env.fail([env.validate_ix(stranger.pubkey(), address)], [stranger]) == code("NotRegulator")
    gov_config = env.gov.config_pda().address
    assert env.fail(
        [env.validate_ix(regulator.pubkey(), address, registry_config=gov_config)], [regulator]
    ) == code("InvalidRegistryConfig")
    # The zone: a registry Zone with the certificate's zone id.
    assert env.fail(
        [env.validate_ix(regulator.pubkey(), address, zone=env.gov.registry_config())], [regulator]
    ) == code("WrongZone")
    assert env.fail([env.validate_ix(regulator.pubkey(), address, zone=gov_config)], [regulator]) == code(
        "WrongZone"
    )
    assert env.fail([with_meta(ix, 4, writable=False)], [regulator]) == KIT["AccountNotWritable"]
    assert env.fail([with_account(ix, 4, env.gov.registry_config())], [regulator]) == KIT["InvalidOwner"]
    assert env.fail([with_account(ix, 4, gov_config)], [regulator]) == KIT["InvalidAccountData"]
    env.put_certificate(address, zone_id=8)
    assert env.fail([ix], [regulator]) == code("WrongZone")
    env.put_certificate(address, zone_id=7)
    env.validate(address)
    assert env.fail([env.validate_ix(regulator.pubkey(), address)], [regulator]) == code(
        "CertificateAlreadyValid"
    )


def test_validate_needs_the_zones_emission_factor(governance: GovernanceEnv) -> None:
    env = CertEnv(governance)
    _, address = pending(env)
    regulator = env.regulators[0]
    assert env.fail([env.validate_ix(regulator.pubkey(), address)], [regulator]) == code(
        "EmissionFactorNotSet"
    )
    env.set_emission_factor(2_000)
    env.validate(address)
    assert env.certificate(address).co2_avoided_g == 1_200 * 2_000 // 1000


@pytest.mark.parametrize(
    ("make", "error"),
    [(retired, "CertificateRetired"), (revoked, "CertificateRevoked"), (expired, "CertificateExpired")],
)
def test_validate_refuses_final_certificates(env: CertEnv, make: Make, error: str) -> None:
    _, address = make(env)
    regulator = env.regulators[0]
    assert env.fail([env.validate_ix(regulator.pubkey(), address)], [regulator]) == code(error)


# -- transfer_certificate ----------------------------------------------------------------------------------


def test_transfer_checks(env: CertEnv) -> None:
    p, address = env.valid_certificate()
    owner, bob = p.wallet, env.wallet()
    ix = env.transfer_ix(owner.pubkey(), address, bob.pubkey())
    assert env.fail([with_meta(ix, 0, signer=False)]) == KIT["MissingSigner"]
    assert env.fail([with_meta(ix, 1, writable=False)], [owner]) == KIT["AccountNotWritable"]
    assert env.fail([env.transfer_ix(bob.pubkey(), address, bob.pubkey())], [bob]) == code(
        "NotCertificateOwner"
    )
    assert env.fail([env.transfer_ix(owner.pubkey(), address, Pubkey.default())], [owner]) == code(
        "InvalidNewOwner"
    )
    assert env.fail([with_data(ix, bytes(ix.data)[:-1])], [owner]) == KIT["InvalidInstructionData"]
    assert env.fail([truncated(ix, 1)], [owner]) == KIT["NotEnoughAccounts"]
    sent = env.transfer(owner, address, bob.pubkey())
    [event] = env.events(sent)
    assert (event.name, event.data.to, event.data.volume_wh) == (
        "CertificateTransferred",
        bob.pubkey(),
        2_400,
    )
    # The previous owner has no say any more.
    assert env.fail([env.transfer_ix(owner.pubkey(), address, owner.pubkey())], [owner]) == code(
        "NotCertificateOwner"
    )


@pytest.mark.parametrize(("make", "error"), UNUSABLE)
def test_transfer_refuses_unusable_certificates(env: CertEnv, make: Make, error: str) -> None:
    p, address = make(env)
    ix = env.transfer_ix(p.wallet.pubkey(), address, env.wallet().pubkey())
    assert env.fail([ix], [p.wallet]) == code(error)


# -- split_certificate -------------------------------------------------------------------------------------


@pytest.mark.parametrize("volume_wh", [0, 2_400, 2_401, 2**64 - 1])
def test_split_volume_must_leave_both_sides_something(env: CertEnv, volume_wh: int) -> None:
    p, address = env.valid_certificate()
    ix = env.split_ix(p.wallet.pubkey(), address, volume_wh, env.wallet().pubkey())
    assert env.fail([ix], [p.wallet]) == code("InvalidSplitVolume")
    c = env.certificate(address)
    assert (c.volume_wh, c.split_count) == (2_400, 0)


def test_split_checks(env: CertEnv) -> None:
    p, address = env.valid_certificate()
    owner, bob = p.wallet, env.wallet()
    ix = env.split_ix(owner.pubkey(), address, 100, bob.pubkey())
    assert env.fail([with_meta(ix, 0, signer=False)]) == KIT["MissingSigner"]
    assert env.fail([with_meta(ix, 0, writable=False)], [owner]) == KIT["AccountNotWritable"]
    assert env.fail([with_meta(ix, 2, writable=False)], [owner]) == KIT["AccountNotWritable"]
    assert env.fail([with_account(ix, 3, env.registry.program_id)], [owner]) == KIT["InvalidSystemProgram"]
    assert env.fail([env.split_ix(bob.pubkey(), address, 100, bob.pubkey())], [bob]) == code(
        "NotCertificateOwner"
    )
    assert env.fail([env.split_ix(owner.pubkey(), address, 100, Pubkey.default())], [owner]) == code(
        "InvalidNewOwner"
    )
    # The child is the PDA of the parent's next split index, with its bump.
    next_index = env.child_pda(address, 1)
    assert (
        env.fail([env.split_ix(owner.pubkey(), address, 100, bob.pubkey(), child=next_index)], [owner])
        == KIT["InvalidPda"]
    )
    right = env.child_pda(address, 0)
    wrong_bump = type(right)(right.address, (right.bump - 1) % 256)
    assert (
        env.fail([env.split_ix(owner.pubkey(), address, 100, bob.pubkey(), child=wrong_bump)], [owner])
        == KIT["InvalidPda"]
    )
    sent = env.run("split_certificate", ix, [owner])
    [event] = env.events(sent)
    assert (event.name, event.data.split_index, event.data.volume_wh, event.data.parent_volume_wh) == (
        "CertificateSplit",
        0,
        100,
        2_300,
    )
    # Index 0 is taken: it cannot be split into again.
    assert (
        env.fail([env.split_ix(owner.pubkey(), address, 100, bob.pubkey(), child=right)], [owner])
        == KIT["InvalidPda"]
    )


def test_split_counter_limit(env: CertEnv) -> None:
    p, address = env.valid_certificate()
    env.put_certificate(address, split_count=0xFFFF)
    ix = env.split_ix(p.wallet.pubkey(), address, 100, env.wallet().pubkey())
    assert env.fail([ix], [p.wallet]) == code("TooManySplits")
    env.put_certificate(address, split_count=0xFFFE)
    env.split(p.wallet, address, 100, env.wallet().pubkey())
    assert env.certificate(address).split_count == 0xFFFF


def test_split_divides_the_co2_without_losing_a_gram(env: CertEnv) -> None:
    p, address = env.valid_certificate(windows=1)  # 600 Wh at 450 g/kWh: 270 g
    parts = [env.split(p.wallet, address, 7, env.wallet().pubkey()) for _ in range(3)]
    children = [env.certificate(a) for a in parts]
    parent = env.certificate(address)
    assert [c.co2_avoided_g for c in children] == [3, 3, 3]  # floor(270 * 7 / 600), then of the rest
    assert parent.volume_wh + sum(c.volume_wh for c in children) == 600
    assert parent.co2_avoided_g + sum(c.co2_avoided_g for c in children) == 270


@pytest.mark.parametrize(("make", "error"), UNUSABLE)
def test_split_refuses_unusable_certificates(env: CertEnv, make: Make, error: str) -> None:
    p, address = make(env)
    ix = env.split_ix(p.wallet.pubkey(), address, 1, env.wallet().pubkey())
    assert env.fail([ix], [p.wallet]) == code(error)


# -- retire_certificate ------------------------------------------------------------------------------------


def test_retire_checks(env: CertEnv) -> None:
    p, address = env.valid_certificate()
    owner, bob = p.wallet, env.wallet()
    now = env.now()
    ix = env.retire_ix(owner.pubkey(), address)
    assert env.fail([with_meta(ix, 0, signer=False)]) == KIT["MissingSigner"]
    assert env.fail([with_meta(ix, 1, writable=False)], [owner]) == KIT["AccountNotWritable"]
    assert env.fail([env.retire_ix(bob.pubkey(), address)], [bob]) == code("NotCertificateOwner")
    zero = env.retire_ix(owner.pubkey(), address, beneficiary=Pubkey.default())
    assert env.fail([zero], [owner]) == code("InvalidBeneficiary")
    for period in [(now, now), (now, now - 1)]:
        bad = env.retire_ix(owner.pubkey(), address, consumption=period)
        assert env.fail([bad], [owner]) == code("InvalidConsumptionPeriod")
    assert env.fail([env.retire_ix(owner.pubkey(), address, name="x" * 65)], [owner]) == code("TextTooLong")
    assert env.fail([env.retire_ix(owner.pubkey(), address, purpose="y" * 65)], [owner]) == code(
        "TextTooLong"
    )
    disc = bytes(ix.data)[:8]
    invalid = disc + bytes(owner.pubkey()) + struct.pack("<I", 2) + b"\xff\xfe" + struct.pack("<I", 0)
    invalid += struct.pack("<qq", now - 10, now)
    assert env.fail([with_data(ix, invalid)], [owner]) == code("InvalidText")
    assert env.fail([with_data(ix, bytes(ix.data) + b"\0")], [owner]) == KIT["InvalidInstructionData"]
    assert status_name(env.certificate(address)) == "Valid"
    # 64 bytes of UTF-8 fit; an empty purpose is allowed.
    name = "é" * 32
    env.retire(owner, address, beneficiary=bob.pubkey(), name=name, purpose="")
    r = env.certificate(address).retirement
    assert (r.beneficiary, bytes(r.beneficiary_name), bytes(r.purpose)) == (
        bob.pubkey(),
        name.encode(),
        bytes(64),
    )


@pytest.mark.parametrize(("make", "error"), UNUSABLE)
def test_retire_refuses_unusable_certificates(env: CertEnv, make: Make, error: str) -> None:
    p, address = make(env)
    assert env.fail([env.retire_ix(p.wallet.pubkey(), address)], [p.wallet]) == code(error)


# -- revoke_certificate ------------------------------------------------------------------------------------


def quorum_metas(env: CertEnv) -> tuple[list[AccountMeta], list[Keypair]]:
    signers = env.regulators[:2]
    return [AccountMeta(k.pubkey(), True, False) for k in signers], signers


def test_revoke_checks(env: CertEnv) -> None:
    _, address = env.valid_certificate()
    # Co-signing regulators count only while the registry names no governance program.
    env.clear_governance()
    metas, signers = quorum_metas(env)
    assert env.fail([env.revoke_ix(address, "", metas)], signers) == code("MissingReason")
    assert env.fail([env.revoke_ix(address, "r" * 65, metas)], signers) == code("TextTooLong")
    ix = env.revoke_ix(address, "ok", metas)
    invalid = bytes(ix.data)[:8] + struct.pack("<I", 1) + b"\x80"
    assert env.fail([with_data(ix, invalid)], signers) == code("InvalidText")
    assert env.fail([with_meta(ix, 2, writable=False)], signers) == KIT["AccountNotWritable"]
    gov_config = env.gov.config_pda().address
    assert env.fail([with_account(ix, 1, gov_config)], signers) == code("InvalidRegistryConfig")
    assert env.fail([with_account(ix, 0, env.gov.registry_config())], signers) == KIT["InvalidOwner"]
    # The governance PDA counts only as a signer (an executed proposal); listed unsigned it is nothing.
    unsigned_pda = [AccountMeta(env.gov.governance_pda().address, False, False)]
    assert env.fail([env.revoke_ix(address, "ok", unsigned_pda)]) == code("QuorumNotMet")
    assert env.fail([env.revoke_ix(address, "ok")]) == code("QuorumNotMet")
    env.revoke_by(address, signers, "r" * 64)
    assert bytes(env.certificate(address).revoke_reason) == b"r" * 64


def test_revoke_a_pending_certificate_by_cosigning(env: CertEnv) -> None:
    _, address = pending(env)
    env.clear_governance()
    sent = env.revoke_by(address, env.regulators[1:], "meter reading fraud")
    [event] = env.events(sent)
    assert type(event.data.previous_status).__name__ == "Pending"
    assert status_name(env.certificate(address)) == "Revoked"


def retired_child(env: CertEnv) -> tuple[Prosumer, Pubkey]:
    p, address = env.valid_certificate()
    carol = env.wallet()
    child = env.split(p.wallet, address, 1_000, carol.pubkey())
    env.retire(carol, child)
    return p, child


def expired_child(env: CertEnv) -> tuple[Prosumer, Pubkey]:
    p, address = env.valid_certificate()
    child = env.split(p.wallet, address, 1_000, env.wallet().pubkey())
    env.warp_to(env.certificate(child).expires_at)
    env.expire(child)
    return p, child


@pytest.mark.parametrize(
    ("make", "error"), [(retired_child, "CertificateRetired"), (expired_child, "CertificateExpired")]
)
def test_revoke_refuses_final_split_children(env: CertEnv, make: Make, error: str) -> None:
    _, address = make(env)
    env.clear_governance()
    metas, signers = quorum_metas(env)
    assert env.fail([env.revoke_ix(address, "late", metas)], signers) == code(error)


@pytest.mark.parametrize(("make", "kept"), [(retired, "Retired"), (expired, "Expired")])
def test_revoking_a_retired_or_expired_original_revokes_its_lineage(
    env: CertEnv, make: Make, kept: str
) -> None:
    """The original keeps its status (a retirement stays a retirement) but its lineage is revoked, with
    the reason; a second revocation is refused."""
    _, address = make(env)
    before = env.certificate(address)
    env.clear_governance()
    metas, signers = quorum_metas(env)
    sent = env.revoke_by(address, signers, "audit: meter swapped")
    after = env.certificate(address)
    assert (status_name(after), after.lineage_revoked, bytes(after.revoke_reason).rstrip(b"\0")) == (
        kept,
        1,
        b"audit: meter swapped",
    )
    assert (after.retirement, after.volume_wh, after.owner) == (
        before.retirement,
        before.volume_wh,
        before.owner,
    )
    [event] = env.events(sent)
    assert (event.name, type(event.data.previous_status).__name__, type(event.data.status).__name__) == (
        "CertificateRevoked",
        kept,
        kept,
    )
    assert env.fail([env.revoke_ix(address, "again", metas)], signers) == code("LineageAlreadyRevoked")


def test_revoking_a_valid_original_sets_its_lineage_flag_too(env: CertEnv) -> None:
    _, address = env.valid_certificate()
    sent = env.revoke_through_proposal(address)
    c = env.certificate(address)
    assert (status_name(c), c.lineage_revoked) == ("Revoked", 1)
    [event] = [e for e in env.events(sent) if e.name == "CertificateRevoked"]
    assert type(event.data.status).__name__ == "Revoked"
    env.clear_governance()
    metas, signers = quorum_metas(env)
    assert env.fail([env.revoke_ix(address, "again", metas)], signers) == code("CertificateRevoked")


def test_revoke_reaches_a_valid_certificate_past_its_expiry(env: CertEnv) -> None:
    _, address = past_expiry(env)
    env.revoke_through_proposal(address)
    assert status_name(env.certificate(address)) == "Revoked"
    assert env.fail([env.expire_ix(address)]) == code("CertificateRevoked")


# -- expire_certificate ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "error"),
    [(pending, "CertificatePending"), (retired, "CertificateRetired"), (revoked, "CertificateRevoked")],
)
def test_expire_refuses(env: CertEnv, make: Make, error: str) -> None:
    _, address = make(env)
    env.warp_to(env.now() + 400 * 24 * 3600)
    assert env.fail([env.expire_ix(address)]) == code(error)


def test_expire_checks(env: CertEnv) -> None:
    _, address = env.valid_certificate()
    ix = env.expire_ix(address)
    assert env.fail([with_meta(ix, 0, writable=False)]) == KIT["AccountNotWritable"]
    assert env.fail([with_account(ix, 0, env.gov.registry_config())]) == KIT["InvalidOwner"]
    assert env.fail([with_data(ix, bytes(ix.data) + b"\0")]) == KIT["InvalidInstructionData"]
    assert env.fail([truncated(ix, 0)]) == KIT["NotEnoughAccounts"]
    # A certificate-sized account of another program is not a certificate.
    data = env.registry.data(address)
    fake = Keypair().pubkey()
    env.gov.svm.set_account(fake, Account(10**9, data, env.registry.program_id, False, 0))
    assert env.fail([with_account(ix, 0, fake)]) == KIT["InvalidOwner"]

"""Certificates under an emergency pause, revocation reaching split children, and who may revoke once
the registry names a governance program (issue 14's review findings 1, 2 and 4)."""

from __future__ import annotations

import struct

import pytest
from certificates_harness import FACTOR, CertEnv, registry_code, status_name
from governance_harness import GovernanceEnv, code
from instruction_edits import with_account
from registry_harness import ZONE_ID, Prosumer
from solders.account import Account
from solders.instruction import AccountMeta
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from solgrid.sdk.registry_governance import PauseFlag

KIT_INVALID_OWNER = 6005


@pytest.fixture
def env(governance: GovernanceEnv) -> CertEnv:
    cert = CertEnv(governance)
    cert.set_emission_factor(FACTOR)
    return cert


def other_zone(env: CertEnv, zone_id: int = ZONE_ID + 1) -> Pubkey:
    """A registry Zone ``zone_id`` (a copy of the test zone under its own id and PDA)."""
    source = env.registry.account(env.registry.client.zone_pda(ZONE_ID).address)
    assert source is not None
    data = bytearray(source.data)
    data[8:12] = struct.pack("<I", zone_id)
    address = env.registry.client.zone_pda(zone_id).address
    env.gov.svm.set_account(address, Account(source.lamports, bytes(data), source.owner, False, 0))
    return address


# -- a pause stops certificates: request (the registry's certify_meter) and validate ------------------------


@pytest.mark.parametrize("zone_id", [ZONE_ID, None], ids=["zone", "market"])
def test_a_minting_pause_stops_requests_until_resumed(env: CertEnv, zone_id: int | None) -> None:
    p = env.prosumer()
    env.produce(p, windows=2)
    env.pause(PauseFlag.MINTING, zone_id)
    ix = env.request_ix(p.wallet.pubkey(), p)
    assert env.fail([ix], [p.wallet]) == registry_code("MintingPaused")
    meter = env.registry.meter(p.meter)
    assert (meter.certificate_wh, meter.certificate_until) == (0, 0)
    env.resume(PauseFlag.MINTING, zone_id)
    address = env.request(p)
    assert env.certificate(address).volume_wh == 1_200


def test_readings_and_trading_pauses_do_not_stop_certificates(env: CertEnv) -> None:
    p = env.prosumer()
    env.produce(p, windows=1)
    env.pause(PauseFlag.READINGS | PauseFlag.TRADING, ZONE_ID)
    env.pause(PauseFlag.READINGS | PauseFlag.TRADING, None)
    address = env.request(p)
    env.validate(address)
    assert status_name(env.certificate(address)) == "Valid"


def test_request_passes_the_meters_own_zone(env: CertEnv) -> None:
    p = env.prosumer()
    env.produce(p, windows=1)
    owner = p.wallet
    # Another zone, even an unpaused one while the meter's zone is paused, is refused by the registry.
    env.pause(PauseFlag.MINTING, ZONE_ID)
    elsewhere = env.request_ix(owner.pubkey(), p, zone=other_zone(env))
    assert env.fail([elsewhere], [owner]) == registry_code("ZoneMismatch")
    env.resume(PauseFlag.MINTING, ZONE_ID)
    # The meter in the zone slot, or an account the registry does not own.
    assert env.fail([env.request_ix(owner.pubkey(), p, zone=p.meter)], [owner]) == registry_code(
        "ZoneMismatch"
    )
    foreign = env.request_ix(owner.pubkey(), p, zone=env.gov.config_pda().address)
    assert env.fail([foreign], [owner]) == KIT_INVALID_OWNER
    # A registry account of another type.
    user = env.request_ix(owner.pubkey(), p, zone=p.accounts.user)
    assert env.fail([user], [owner]) == registry_code("InvalidAccountData")
    assert env.registry.meter(p.meter).certificate_wh == 0
    env.request(p)


@pytest.mark.parametrize("zone_id", [ZONE_ID, None], ids=["zone", "market"])
def test_a_minting_pause_stops_validation_until_resumed(env: CertEnv, zone_id: int | None) -> None:
    p = env.prosumer()
    env.produce(p, windows=2)
    address = env.request(p)
    env.pause(PauseFlag.MINTING, zone_id)
    regulator = env.regulators[0]
    assert env.fail([env.validate_ix(regulator.pubkey(), address)], [regulator]) == code("MintingPaused")
    assert status_name(env.certificate(address)) == "Pending"
    env.resume(PauseFlag.MINTING, zone_id)
    env.validate(address)
    assert status_name(env.certificate(address)) == "Valid"


def test_a_pause_in_another_zone_does_not_stop_validation(env: CertEnv) -> None:
    p = env.prosumer()
    env.produce(p, windows=1)
    address = env.request(p)
    other_zone(env)
    env.pause(PauseFlag.MINTING, ZONE_ID + 1)
    env.validate(address)
    assert status_name(env.certificate(address)) == "Valid"


def test_transfer_split_retire_and_expire_keep_working_while_paused(env: CertEnv) -> None:
    """They move or close certificates already issued (no new issuance): as cancelling orders and
    withdrawing, they stay available during an incident."""
    p, address = env.valid_certificate()
    carol = env.wallet()
    env.pause(PauseFlag.ALL, ZONE_ID)
    env.pause(PauseFlag.ALL, None)
    child = env.split(p.wallet, address, 400, carol.pubkey())
    env.transfer(p.wallet, address, carol.pubkey())
    env.retire(carol, child)
    assert [status_name(env.certificate(a)) for a in (address, child)] == ["Valid", "Retired"]
    env.warp_to(env.certificate(address).expires_at)
    env.expire(address)
    assert status_name(env.certificate(address)) == "Expired"


# -- revoking an original reaches every certificate split from it -----------------------------------------


def family(env: CertEnv) -> tuple[Prosumer, Pubkey, Keypair, Pubkey, Keypair, Pubkey]:
    """alice's valid original; carol's child split off it; dave's grandchild split off carol's child."""
    alice, original = env.valid_certificate()
    carol, dave = env.wallet(), env.wallet()
    child = env.split(alice.wallet, original, 1_000, carol.pubkey())
    grandchild = env.split(carol, child, 300, dave.pubkey())
    return alice, original, carol, child, dave, grandchild


def test_children_record_their_root_original(env: CertEnv) -> None:
    _, original, _, child, _, grandchild = family(env)
    assert env.certificate(original).original == original
    assert (env.certificate(child).original, env.certificate(child).parent) == (original, original)
    assert (env.certificate(grandchild).original, env.certificate(grandchild).parent) == (original, child)


def test_a_revoked_original_stops_its_children_and_grandchildren(env: CertEnv) -> None:
    alice, original, carol, child, dave, grandchild = family(env)
    env.revoke_through_proposal(original, "meter seal broken")
    bob = env.wallet().pubkey()
    for owner, address in [(carol, child), (dave, grandchild)]:
        assert env.fail([env.transfer_ix(owner.pubkey(), address, bob)], [owner]) == code("OriginalRevoked")
        assert env.fail([env.split_ix(owner.pubkey(), address, 1, bob)], [owner]) == code("OriginalRevoked")
        assert env.fail([env.retire_ix(owner.pubkey(), address)], [owner]) == code("OriginalRevoked")
        assert status_name(env.certificate(address)) == "Valid"
    # The original itself is final.
    assert env.fail([env.transfer_ix(alice.wallet.pubkey(), original, bob)], [alice.wallet]) == code(
        "CertificateRevoked"
    )


def test_children_of_a_standing_original_stay_usable(env: CertEnv) -> None:
    _, original, carol, child, dave, grandchild = family(env)
    # A sibling family's revocation does not reach them.
    _, stranger = env.valid_certificate()
    env.revoke_through_proposal(stranger)
    env.retire(dave, grandchild)
    env.transfer(carol, child, dave.pubkey())
    assert [status_name(env.certificate(a)) for a in (original, child, grandchild)] == [
        "Valid",
        "Valid",
        "Retired",
    ]


def test_the_original_account_cannot_be_substituted(env: CertEnv) -> None:
    _, original, carol, child, _, _ = family(env)
    _, unrelated = env.valid_certificate()
    bob = env.wallet().pubkey()
    env.revoke_through_proposal(original)
    # Another certificate (a standing original), the child itself, or the parent's parent slot: refused.
    for substitute in (unrelated, child, env.gov.config_pda().address):
        for ix in (
            env.transfer_ix(carol.pubkey(), child, bob, original=substitute),
            env.split_ix(carol.pubkey(), child, 1, bob, original=substitute),
            env.retire_ix(carol.pubkey(), child, original=substitute),
        ):
            assert env.fail([ix], [carol]) == code("WrongOriginal")


def test_a_fake_account_at_the_originals_address_is_refused(env: CertEnv) -> None:
    """Only this program can hold an account at a certificate's address; were another owner or another
    account type found there, the child would still be refused (owner + discriminator checks)."""
    _, original, carol, child, _, _ = family(env)
    real = env.registry.account(original)
    assert real is not None
    bob = env.wallet().pubkey()
    fakes = [
        Account(real.lamports, bytes(real.data), env.registry.program_id, False, 0),
        Account(real.lamports, b"\0" * 8 + bytes(real.data)[8:], real.owner, False, 0),
    ]
    for fake in fakes:
        env.gov.svm.set_account(original, fake)
        assert env.fail([env.transfer_ix(carol.pubkey(), child, bob, original=original)], [carol]) == code(
            "WrongOriginal"
        )
    env.gov.svm.set_account(original, real)
    env.transfer(carol, child, bob)


def test_an_original_passes_itself(env: CertEnv) -> None:
    p, address = env.valid_certificate()
    _, other = env.valid_certificate()
    bob = env.wallet()
    owner = p.wallet.pubkey()
    assert env.fail([env.transfer_ix(owner, address, bob.pubkey(), original=other)], [p.wallet]) == code(
        "WrongOriginal"
    )
    ix = env.transfer_ix(owner, address, bob.pubkey())
    assert ix.accounts[2].pubkey == address
    env.send([ix], [p.wallet])
    assert env.certificate(address).owner == bob.pubkey()
    # The same rule with the certificate passed in the slot through another account meta.
    ix = env.retire_ix(bob.pubkey(), address)
    assert env.fail([with_account(ix, 2, other)], [bob]) == code("WrongOriginal")
    env.retire(bob, address)


@pytest.mark.parametrize("finish", ["retire", "expire"])
def test_a_retired_or_expired_original_still_stops_its_lineage(env: CertEnv, finish: str) -> None:
    """The reviewer's sequence: the original is finished (retired, or expired) while a child with a
    child of its own stands; the child cannot be revoked alone, but revoking the original reaches it."""
    alice, original, carol, child, dave, grandchild = family(env)
    bob = env.wallet().pubkey()
    if finish == "retire":
        env.retire(alice.wallet, original)
    else:
        env.warp_to(env.certificate(original).expires_at - 1)
    governance = AccountMeta(env.gov.governance_pda().address, is_signer=True, is_writable=False)
    proposal = env.gov.approved(env.revoke_ix(child, "double sold", [governance]))
    assert env.gov.fail([env.gov.execute_ix(proposal)]) == code("HasSplitChildren")
    if finish == "expire":
        env.warp_to(env.certificate(original).expires_at)
        env.expire(original)
    env.revoke_through_proposal(original, "double sold")
    assert status_name(env.certificate(original)) == ("Retired" if finish == "retire" else "Expired")
    assert env.certificate(original).lineage_revoked == 1
    if finish == "retire":
        for owner, address in [(carol, child), (dave, grandchild)]:
            assert env.fail([env.transfer_ix(owner.pubkey(), address, bob)], [owner]) == code(
                "OriginalRevoked"
            )
            assert env.fail([env.split_ix(owner.pubkey(), address, 1, bob)], [owner]) == code(
                "OriginalRevoked"
            )
            assert env.fail([env.retire_ix(owner.pubkey(), address)], [owner]) == code("OriginalRevoked")
            assert status_name(env.certificate(address)) == "Valid"
    # The leaf can still be revoked alone (it has no children); the child with one only through its
    # original, which is done.
    env.revoke_through_proposal(grandchild, "double sold")
    assert status_name(env.certificate(grandchild)) == "Revoked"


def test_an_original_revoked_before_the_flag_still_stops_its_children(env: CertEnv) -> None:
    """Originals revoked by an earlier build have status Revoked and no flag: still refused."""
    _, original, carol, child, _, _ = family(env)
    env.revoke_through_proposal(original)
    env.put_certificate(original, lineage_revoked=0)
    assert env.certificate(original).lineage_revoked == 0
    bob = env.wallet().pubkey()
    assert env.fail([env.transfer_ix(carol.pubkey(), child, bob)], [carol]) == code("OriginalRevoked")


def test_a_child_with_children_is_revoked_through_its_original(env: CertEnv) -> None:
    _, original, _, child, dave, grandchild = family(env)
    governance = AccountMeta(env.gov.governance_pda().address, is_signer=True, is_writable=False)
    proposal = env.gov.approved(env.revoke_ix(child, "double sold", [governance]))
    assert env.gov.fail([env.gov.execute_ix(proposal)]) == code("HasSplitChildren")
    # A child without children is revoked alone; its original and siblings stand.
    env.revoke_through_proposal(grandchild, "double sold")
    assert [status_name(env.certificate(a)) for a in (original, child, grandchild)] == [
        "Valid",
        "Valid",
        "Revoked",
    ]
    assert env.fail([env.retire_ix(dave.pubkey(), grandchild)], [dave]) == code("CertificateRevoked")


# -- who revokes: the governance PDA once governance is set, a co-signing quorum before ----------------------


def cosigners(signers: list[Keypair]) -> list[AccountMeta]:
    return [AccountMeta(k.pubkey(), is_signer=True, is_writable=False) for k in signers]


def test_once_governance_is_set_cosigning_regulators_cannot_revoke(env: CertEnv) -> None:
    _, address = env.valid_certificate()
    everyone = env.regulators
    assert env.fail([env.revoke_ix(address, "fraud", cosigners(everyone))], everyone) == code("NotGovernance")
    assert env.fail([env.revoke_ix(address, "fraud")]) == code("NotGovernance")
    unsigned = [AccountMeta(env.gov.governance_pda().address, is_signer=False, is_writable=False)]
    assert env.fail([env.revoke_ix(address, "fraud", unsigned)]) == code("NotGovernance")
    assert status_name(env.certificate(address)) == "Valid"
    env.revoke_through_proposal(address, "fraud")
    assert status_name(env.certificate(address)) == "Revoked"


def test_before_governance_is_set_a_cosigning_quorum_revokes(env: CertEnv) -> None:
    _, first = env.valid_certificate()
    _, second = env.valid_certificate()
    env.clear_governance()
    one, two, _ = env.regulators
    assert env.fail([env.revoke_ix(first, "fraud", cosigners([one]))], [one]) == code("QuorumNotMet")
    env.revoke_by(first, [one, two], "fraud")
    assert status_name(env.certificate(first)) == "Revoked"
    # The governance PDA still counts (a proposal executed by this program).
    env.revoke_through_proposal(second, "audit")
    assert status_name(env.certificate(second)) == "Revoked"

"""The issue's attack table for certificates: each row is an attempt that must fail with its specific
error, run against the deployed programs in LiteSVM. After each attempt nothing it aimed at changed."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from certificates_harness import FACTOR, CertEnv, registry_code, status_name
from governance_harness import GovernanceEnv, code
from registry_harness import ZONE_ID, Prosumer
from solders.account import Account
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from solgrid.sdk.readings import DeviceSigner
from solgrid.sdk.registry import EnergySource
from solgrid.sdk.registry_governance import PauseFlag

KIT_MISSING_SIGNER = 6003


@pytest.fixture
def env(governance: GovernanceEnv) -> CertEnv:
    cert = CertEnv(governance)
    cert.set_emission_factor(FACTOR)
    return cert


def producing(env: CertEnv, source: EnergySource = EnergySource.SOLAR) -> Prosumer:
    p = env.prosumer(source)
    env.produce(p, windows=2)
    return p


# -- certify the same window twice ----------------------------------------------------------------------


def request_twice(env: CertEnv) -> int:
    p = producing(env)
    env.request(p)
    return env.fail([env.request_ix(p.wallet.pubkey(), p)], [p.wallet])


def request_again_at_the_previous_start(env: CertEnv) -> int:
    """After new production, reuse the first certificate's generation start (its address)."""
    p = producing(env)
    first_start = env.next_start(p.meter)
    env.request(p)
    env.produce(p, windows=1)
    old = env.certificate_pda(p.meter, first_start)
    return env.fail([env.request_ix(p.wallet.pubkey(), p, certificate=old)], [p.wallet])


def certify_directly_at_the_registry(env: CertEnv) -> int:
    """The owner calls the registry's certify_meter itself, as the signing authority."""
    p = producing(env)
    ix = env.registry.client.certify_meter(
        certificates_authority=p.wallet.pubkey(), meter=p.meter, owner=p.wallet.pubkey(), zone_id=ZONE_ID
    )
    return env.fail([ix], [p.wallet])


def certify_directly_naming_the_pda(env: CertEnv) -> int:
    """The registry's certify_meter with the certificates PDA, which no transaction can sign for."""
    p = producing(env)
    ix = env.registry.client.certify_meter(
        certificates_authority=env.gov.certificates_pda().address,
        meter=p.meter,
        owner=p.wallet.pubkey(),
        zone_id=ZONE_ID,
    )
    metas = list(ix.accounts)
    metas[0] = AccountMeta(metas[0].pubkey, is_signer=False, is_writable=False)
    return env.fail([Instruction(ix.program_id, bytes(ix.data), metas)])


# -- certify more than produced ---------------------------------------------------------------------------


def forged_meter(env: CertEnv) -> int:
    """A copy of the meter with a larger certified volume, in an account the registry does not own."""
    p = producing(env)
    data = bytearray(env.registry.data(p.meter))
    offset = 8 + 32 * 3 + 4 + 32 + 3 + 8 * 5  # certified_wh
    data[offset : offset + 8] = (10**9).to_bytes(8, "little")
    fake = Keypair().pubkey()
    env.gov.svm.set_account(fake, Account(10**9, bytes(data), env.gov.trading.client.program_id, False, 0))
    return env.fail([env.request_ix(p.wallet.pubkey(), p, meter=fake)], [p.wallet])


def impostor_registry(env: CertEnv) -> int:
    """Another program posing as the registry (it would certify whatever it likes)."""
    p = producing(env)
    impostor = env.gov.trading.client.program_id
    return env.fail([env.request_ix(p.wallet.pubkey(), p, registry_program=impostor)], [p.wallet])


def impostor_certificates_authority(env: CertEnv) -> int:
    p = producing(env)
    stranger = env.wallet()
    ix = env.request_ix(p.wallet.pubkey(), p, certificates_authority=stranger.pubkey())
    return env.fail([ix], [p.wallet])


# -- non-renewable meters, another owner's meter -----------------------------------------------------------


def battery_meter(env: CertEnv) -> int:
    p = producing(env, EnergySource.BATTERY)
    return env.fail([env.request_ix(p.wallet.pubkey(), p)], [p.wallet])


def grid_meter(env: CertEnv) -> int:
    p = producing(env, EnergySource.GRID)
    return env.fail([env.request_ix(p.wallet.pubkey(), p)], [p.wallet])


def another_owners_meter(env: CertEnv) -> int:
    alice, bob = producing(env), env.prosumer()
    return env.fail([env.request_ix(bob.wallet.pubkey(), alice)], [bob.wallet])


def another_owners_meter_with_own_user(env: CertEnv) -> int:
    alice, bob = producing(env), env.prosumer()
    ix = env.request_ix(bob.wallet.pubkey(), alice, user=bob.accounts.user)
    return env.fail([ix], [bob.wallet])


# -- validate without being a regulator --------------------------------------------------------------------


def pending_certificate(env: CertEnv) -> tuple[Prosumer, Pubkey]:
    p = producing(env)
    return p, env.request(p)


def validate_by_a_stranger(env: CertEnv) -> int:
    _, address = pending_certificate(env)
    stranger = env.wallet()
    return env.fail([env.validate_ix(stranger.pubkey(), address)], [stranger])


def validate_own_certificate(env: CertEnv) -> int:
    p, address = pending_certificate(env)
    return env.fail([env.validate_ix(p.wallet.pubkey(), address)], [p.wallet])


def regulators_meter(env: CertEnv, regulator: Keypair) -> Prosumer:
    """A producing solar meter owned by ``regulator`` (registered and verified as a prosumer too)."""
    registry = env.registry
    registry.register(regulator)
    registry.verify(regulator.pubkey())
    device, serial = DeviceSigner.generate(), registry.next_serial()
    registry.activate(registry.register_meter(regulator, device, serial))
    accounts = registry.client.meter_accounts(serial, regulator.pubkey(), ZONE_ID)
    p = Prosumer(regulator, serial, device, accounts)
    env.produce(p, windows=2)
    return p


def validate_own_certificate_as_a_regulator(env: CertEnv) -> int:
    """A regulator who owns a renewable meter validates the certificate of their own production."""
    owner = env.regulators[2]
    address = env.request(regulators_meter(env, owner))
    return env.fail([env.validate_ix(owner.pubkey(), address)], [owner])


def validate_by_a_removed_regulator(env: CertEnv) -> int:
    _, address = pending_certificate(env)
    one, two, removed = env.regulators
    env.gov.enact(env.gov.set_regulators_ix([one.pubkey(), two.pubkey()], 2))
    env.registry.regulators = [one, two]
    return env.fail([env.validate_ix(removed.pubkey(), address)], [removed])


# -- someone else's certificate -----------------------------------------------------------------------------


def retire_someone_elses(env: CertEnv) -> int:
    _, address = env.valid_certificate()
    thief = env.wallet()
    return env.fail([env.retire_ix(thief.pubkey(), address, beneficiary=thief.pubkey())], [thief])


def transfer_someone_elses(env: CertEnv) -> int:
    _, address = env.valid_certificate()
    thief = env.wallet()
    return env.fail([env.transfer_ix(thief.pubkey(), address, thief.pubkey())], [thief])


def split_someone_elses(env: CertEnv) -> int:
    _, address = env.valid_certificate()
    thief = env.wallet()
    return env.fail([env.split_ix(thief.pubkey(), address, 100, thief.pubkey())], [thief])


def retire_a_child_sold_on(env: CertEnv) -> int:
    """The parent's owner retires the part it split off to someone else."""
    p, address = env.valid_certificate()
    child = env.split(p.wallet, address, 500, env.wallet().pubkey())
    return env.fail([env.retire_ix(p.wallet.pubkey(), child)], [p.wallet])


def transfer_after_selling(env: CertEnv) -> int:
    p, address = env.valid_certificate()
    env.transfer(p.wallet, address, env.wallet().pubkey())
    return env.fail([env.transfer_ix(p.wallet.pubkey(), address, p.wallet.pubkey())], [p.wallet])


# -- split into more than the volume (and zero, and exactly the volume) -------------------------------------


def split_more_than_the_volume(env: CertEnv) -> int:
    p, address = env.valid_certificate()
    return env.fail([env.split_ix(p.wallet.pubkey(), address, 2_401, env.wallet().pubkey())], [p.wallet])


def split_zero(env: CertEnv) -> int:
    p, address = env.valid_certificate()
    return env.fail([env.split_ix(p.wallet.pubkey(), address, 0, env.wallet().pubkey())], [p.wallet])


def split_exactly_the_volume(env: CertEnv) -> int:
    p, address = env.valid_certificate()
    return env.fail([env.split_ix(p.wallet.pubkey(), address, 2_400, env.wallet().pubkey())], [p.wallet])


# -- transfer or retire a certificate that is not usable --------------------------------------------------


def expired(env: CertEnv) -> tuple[Prosumer, Pubkey]:
    p, address = env.valid_certificate()
    env.warp_to(env.certificate(address).expires_at)
    env.expire(address)
    return p, address


def revoked(env: CertEnv) -> tuple[Prosumer, Pubkey]:
    p, address = env.valid_certificate()
    env.revoke_through_proposal(address)
    return p, address


def retired(env: CertEnv) -> tuple[Prosumer, Pubkey]:
    p, address = env.valid_certificate()
    env.retire(p.wallet, address)
    return p, address


def transfer_of(make: Callable[[CertEnv], tuple[Prosumer, Pubkey]]) -> Callable[[CertEnv], int]:
    def attack(env: CertEnv) -> int:
        p, address = make(env)
        return env.fail([env.transfer_ix(p.wallet.pubkey(), address, env.wallet().pubkey())], [p.wallet])

    return attack


def retire_of(make: Callable[[CertEnv], tuple[Prosumer, Pubkey]]) -> Callable[[CertEnv], int]:
    def attack(env: CertEnv) -> int:
        p, address = make(env)
        return env.fail([env.retire_ix(p.wallet.pubkey(), address)], [p.wallet])

    return attack


def recertify_revoked_volume(env: CertEnv) -> int:
    p, _ = revoked(env)
    return env.fail([env.request_ix(p.wallet.pubkey(), p)], [p.wallet])


def split_ahead_of_a_revocation(env: CertEnv) -> int:
    """The owner splits the volume off to an accomplice before the quorum revokes the original; the
    accomplice then tries to sell the child on."""
    p, address = env.valid_certificate()
    accomplice = env.wallet()
    child = env.split(p.wallet, address, 2_000, accomplice.pubkey())
    env.revoke_through_proposal(address)
    return env.fail([env.transfer_ix(accomplice.pubkey(), child, env.wallet().pubkey())], [accomplice])


def split_ahead_of_a_revocation_then_retire_the_original(env: CertEnv) -> int:
    """The reviewer's sequence: alice moves all but 1 Wh to carol, carol splits 1 Wh off to dave (so her
    part has a child and cannot be revoked alone), alice retires the 1 Wh left on the original (so it is
    no longer Pending or Valid). The quorum revokes the original all the same (its lineage), and carol's
    part can no longer be retired."""
    alice, original = env.valid_certificate()
    volume = env.certificate(original).volume_wh
    carol, dave = env.wallet(), env.wallet()
    child = env.split(alice.wallet, original, volume - 1, carol.pubkey())
    env.split(carol, child, 1, dave.pubkey())
    env.retire(alice.wallet, original)
    env.revoke_through_proposal(original, "fraud")
    assert status_name(env.certificate(original)) == "Retired"
    return env.fail([env.retire_ix(carol.pubkey(), child)], [carol])


def revoke_the_child_of_a_retired_original(env: CertEnv) -> int:
    """Same set-up: revoking carol's part alone is refused (it has a child); its original is the way."""
    alice, original = env.valid_certificate()
    volume = env.certificate(original).volume_wh
    carol = env.wallet()
    child = env.split(alice.wallet, original, volume - 1, carol.pubkey())
    env.split(carol, child, 1, env.wallet().pubkey())
    env.retire(alice.wallet, original)
    governance = AccountMeta(env.gov.governance_pda().address, is_signer=True, is_writable=False)
    return env.gov.fail([env.gov.execute_ix(env.gov.approved(env.revoke_ix(child, "fraud", [governance])))])


def revoke_a_lineage_twice(env: CertEnv) -> int:
    p, original = env.valid_certificate()
    env.split(p.wallet, original, 1_000, env.wallet().pubkey())
    env.retire(p.wallet, original)
    env.revoke_through_proposal(original, "fraud")
    governance = AccountMeta(env.gov.governance_pda().address, is_signer=True, is_writable=False)
    return env.gov.fail(
        [env.gov.execute_ix(env.gov.approved(env.revoke_ix(original, "again", [governance])))]
    )


def child_names_a_standing_original(env: CertEnv) -> int:
    """As above, but the child's transfer passes another (standing) certificate as its original."""
    p, address = env.valid_certificate()
    _, standing = env.valid_certificate()
    accomplice = env.wallet()
    child = env.split(p.wallet, address, 2_000, accomplice.pubkey())
    env.revoke_through_proposal(address)
    ix = env.retire_ix(accomplice.pubkey(), child, original=standing)
    return env.fail([ix], [accomplice])


def request_in_a_paused_zone(env: CertEnv) -> int:
    p = producing(env)
    env.pause(PauseFlag.MINTING)
    return env.fail([env.request_ix(p.wallet.pubkey(), p)], [p.wallet])


def validate_in_a_paused_market(env: CertEnv) -> int:
    p = producing(env)
    address = env.request(p)
    env.pause(PauseFlag.MINTING, None)
    regulator = env.regulators[0]
    return env.fail([env.validate_ix(regulator.pubkey(), address)], [regulator])


def revoke_by_cosigning_under_governance(env: CertEnv) -> int:
    _, address = env.valid_certificate()
    signers = env.regulators
    metas = [AccountMeta(k.pubkey(), is_signer=True, is_writable=False) for k in signers]
    return env.fail([env.revoke_ix(address, "fraud", metas)], signers)


ATTACKS: list[tuple[str, Callable[[CertEnv], int], int]] = [
    ("certify the same window twice", request_twice, code("NothingToCertify")),
    ("certify again from the previous start", request_again_at_the_previous_start, code("InvalidPda")),
    (
        "call certify_meter directly",
        certify_directly_at_the_registry,
        registry_code("NotCertificateAuthority"),
    ),
    ("certify_meter naming the PDA unsigned", certify_directly_naming_the_pda, KIT_MISSING_SIGNER),
    ("certify more than produced: forged meter", forged_meter, code("WrongMeter")),
    ("certify more than produced: impostor registry", impostor_registry, code("InvalidRegistryProgram")),
    (
        "impostor certificates authority",
        impostor_certificates_authority,
        code("InvalidCertificatesAuthority"),
    ),
    ("non-renewable meter: battery", battery_meter, code("NotRenewable")),
    ("non-renewable meter: grid", grid_meter, code("NotRenewable")),
    ("another owner's meter", another_owners_meter, code("NotMeterOwner")),
    ("another owner's meter, own user", another_owners_meter_with_own_user, code("NotMeterOwner")),
    ("revoked volume certified again", recertify_revoked_volume, code("NothingToCertify")),
    ("validate by a stranger", validate_by_a_stranger, code("NotRegulator")),
    ("validate one's own certificate", validate_own_certificate, code("NotRegulator")),
    (
        "validate one's own certificate as a regulator",
        validate_own_certificate_as_a_regulator,
        code("ValidatorOwnsCertificate"),
    ),
    ("validate by a removed regulator", validate_by_a_removed_regulator, code("NotRegulator")),
    ("retire someone else's certificate", retire_someone_elses, code("NotCertificateOwner")),
    ("transfer someone else's certificate", transfer_someone_elses, code("NotCertificateOwner")),
    ("split someone else's certificate", split_someone_elses, code("NotCertificateOwner")),
    ("retire a part split off to another", retire_a_child_sold_on, code("NotCertificateOwner")),
    ("transfer after selling", transfer_after_selling, code("NotCertificateOwner")),
    ("split more than the volume", split_more_than_the_volume, code("InvalidSplitVolume")),
    ("split zero", split_zero, code("InvalidSplitVolume")),
    ("split exactly the volume", split_exactly_the_volume, code("InvalidSplitVolume")),
    ("transfer a pending certificate", transfer_of(pending_certificate), code("CertificatePending")),
    ("transfer an expired certificate", transfer_of(expired), code("CertificateExpired")),
    ("transfer a revoked certificate", transfer_of(revoked), code("CertificateRevoked")),
    ("transfer a retired certificate", transfer_of(retired), code("CertificateRetired")),
    ("retire a pending certificate", retire_of(pending_certificate), code("CertificatePending")),
    ("retire an expired certificate", retire_of(expired), code("CertificateExpired")),
    ("retire a revoked certificate", retire_of(revoked), code("CertificateRevoked")),
    ("retire a retired certificate", retire_of(retired), code("CertificateRetired")),
    ("split ahead of a revocation, sell the child", split_ahead_of_a_revocation, code("OriginalRevoked")),
    ("split ahead of a revocation, fake original", child_names_a_standing_original, code("WrongOriginal")),
    (
        "split ahead of a revocation, retire the original first, sell the child",
        split_ahead_of_a_revocation_then_retire_the_original,
        code("OriginalRevoked"),
    ),
    ("revoke a child with children alone", revoke_the_child_of_a_retired_original, code("HasSplitChildren")),
    ("revoke a lineage twice", revoke_a_lineage_twice, code("LineageAlreadyRevoked")),
    ("a paused zone that still certifies", request_in_a_paused_zone, registry_code("MintingPaused")),
    ("a paused market that still validates", validate_in_a_paused_market, code("MintingPaused")),
    ("revoke by co-signing once governed", revoke_by_cosigning_under_governance, code("NotGovernance")),
]


@pytest.mark.parametrize(
    ("attack", "expected"), [(a, e) for _, a, e in ATTACKS], ids=[n for n, _, _ in ATTACKS]
)
def test_attack_fails_with_its_error(env: CertEnv, attack: Callable[[CertEnv], int], expected: int) -> None:
    assert attack(env) == expected
    # Whatever was attempted: no meter has more covered by certificates than its renewable production,
    # and the certificates of each meter add up to exactly what the registry says they cover.
    env.check_conservation()


def test_another_regulator_validates_a_regulators_certificate(env: CertEnv) -> None:
    """The conflict of interest is the owner's alone: a regulator's certificate is validated by
    another regulator, and its owner is recorded apart from its issuer."""
    owner, other = env.regulators[2], env.regulators[0]
    address = env.request(regulators_meter(env, owner))
    assert env.fail([env.validate_ix(owner.pubkey(), address)], [owner]) == code("ValidatorOwnsCertificate")
    assert status_name(env.certificate(address)) == "Pending"
    env.validate(address, other)
    certificate = env.certificate(address)
    assert status_name(certificate) == "Valid"
    assert (certificate.owner, certificate.issuer) == (owner.pubkey(), other.pubkey())
    env.check_conservation()

"""``Certificate.effective_status``: the status the governance program acts on. A VALID certificate split
off an original that was revoked is REVOKED (the program refuses to transfer, split or retire it:
``OriginalRevoked``), whatever its expiry; otherwise the status at the time (EXPIRED for a VALID one from
its expiry on)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from solders.pubkey import Pubkey

from solgrid.sdk.certificates import Certificate, CertificateStatus
from solgrid.sdk.registry import EnergySource

EXPIRES = 1_000
ORIGINAL = Pubkey.new_unique()


def certificate(address: Pubkey, status: CertificateStatus, original: Pubkey = ORIGINAL) -> Certificate:
    return Certificate(
        address=address,
        meter=Pubkey.new_unique(),
        zone_id=1,
        source=EnergySource.SOLAR,
        status=status,
        generation_start=0,
        generation_end=900,
        volume_wh=500,
        requested_at=900,
        issued_at=950,
        issuer=Pubkey.new_unique(),
        expires_at=EXPIRES,
        owner=Pubkey.new_unique(),
        co2_avoided_g=200,
        parent=None if address == original else original,
        original=original,
        split_count=0,
        bump=255,
        revoke_reason="",
        retirement=None,
    )


REVOKED = certificate(ORIGINAL, CertificateStatus.REVOKED)
VALID = certificate(ORIGINAL, CertificateStatus.VALID)


@pytest.mark.parametrize(
    ("part", "original", "now", "expected"),
    [
        (CertificateStatus.VALID, REVOKED, EXPIRES - 1, CertificateStatus.REVOKED),
        (CertificateStatus.VALID, REVOKED, EXPIRES, CertificateStatus.REVOKED),  # revoked before expired
        (CertificateStatus.VALID, VALID, EXPIRES - 1, CertificateStatus.VALID),
        (CertificateStatus.VALID, VALID, EXPIRES, CertificateStatus.EXPIRED),
        (CertificateStatus.VALID, None, EXPIRES - 1, CertificateStatus.VALID),  # original not read
        (CertificateStatus.RETIRED, REVOKED, EXPIRES - 1, CertificateStatus.RETIRED),  # retired before
        (CertificateStatus.EXPIRED, REVOKED, EXPIRES, CertificateStatus.EXPIRED),
    ],
)
def test_a_split_part_takes_its_revoked_originals_status(
    part: CertificateStatus, original: Certificate | None, now: int, expected: CertificateStatus
) -> None:
    split = certificate(Pubkey.new_unique(), part)
    assert split.split_off
    assert split.effective_status(now, original) == expected
    assert split.revoked_via(original) == (expected == CertificateStatus.REVOKED)
    assert split.status_at(now) == (
        CertificateStatus.EXPIRED if part == CertificateStatus.VALID and now >= EXPIRES else part
    )


def test_only_its_own_original_counts() -> None:
    """Another revoked certificate passed as the original changes nothing; a requested certificate is its
    own original (nothing to read) and is revoked only by its own status."""
    split = certificate(Pubkey.new_unique(), CertificateStatus.VALID)
    stranger = replace(REVOKED, address=Pubkey.new_unique())
    assert split.effective_status(0, stranger) == CertificateStatus.VALID
    assert not VALID.split_off and not REVOKED.split_off
    assert VALID.effective_status(0, REVOKED) == CertificateStatus.VALID
    assert not REVOKED.revoked_via(REVOKED)
    assert REVOKED.effective_status(0) == CertificateStatus.REVOKED


@pytest.mark.parametrize("kept", [CertificateStatus.RETIRED, CertificateStatus.EXPIRED])
def test_a_finished_original_whose_lineage_was_revoked_stops_its_parts(kept: CertificateStatus) -> None:
    """A quorum revoked a retired or expired original: it keeps its status; its parts are REVOKED in
    effect."""
    finished = replace(certificate(ORIGINAL, kept), lineage_revoked=True)
    assert finished.stops_its_lineage and finished.effective_status(0) == kept
    split = certificate(Pubkey.new_unique(), CertificateStatus.VALID)
    assert split.revoked_via(finished)
    assert split.effective_status(EXPIRES - 1, finished) == CertificateStatus.REVOKED
    # Without the flag the same original stops nothing.
    assert not split.revoked_via(certificate(ORIGINAL, kept))
    assert split.effective_status(EXPIRES - 1, certificate(ORIGINAL, kept)) == CertificateStatus.VALID


@pytest.mark.parametrize(
    ("revoked", "split_count", "status", "refused"),
    [
        # A requested certificate: any status but REVOKED, once.
        (False, 0, CertificateStatus.PENDING, None),
        (False, 3, CertificateStatus.VALID, None),
        (False, 3, CertificateStatus.RETIRED, None),
        (False, 0, CertificateStatus.EXPIRED, None),
        (False, 0, CertificateStatus.REVOKED, "is REVOKED already"),
        (True, 0, CertificateStatus.RETIRED, "is RETIRED and its lineage is revoked already"),
    ],
)
def test_which_originals_a_quorum_can_revoke(
    revoked: bool, split_count: int, status: CertificateStatus, refused: str | None
) -> None:
    original = replace(certificate(ORIGINAL, status), lineage_revoked=revoked, split_count=split_count)
    assert original.revocation_refused() == refused


def test_which_split_parts_a_quorum_can_revoke() -> None:
    part = certificate(Pubkey.new_unique(), CertificateStatus.VALID)
    assert part.revocation_refused() is None
    refused = replace(part, split_count=1).revocation_refused()
    assert refused is not None and refused.startswith(
        f"has certificates split off it: revoke its original {ORIGINAL}"
    )
    for status in (CertificateStatus.RETIRED, CertificateStatus.REVOKED, CertificateStatus.EXPIRED):
        assert replace(part, status=status).revocation_refused() == (
            f"is {status.name}: a split part is revoked only while pending or valid"
        )


@pytest.mark.parametrize(
    ("part", "original", "revoked"),
    [
        # A part retired (or expired) before its original was revoked keeps its status, but its lineage
        # is revoked: the retirement is no clean proof.
        (CertificateStatus.RETIRED, REVOKED, True),
        (CertificateStatus.EXPIRED, REVOKED, True),
        (CertificateStatus.VALID, REVOKED, True),
        (
            CertificateStatus.RETIRED,
            replace(certificate(ORIGINAL, CertificateStatus.RETIRED), lineage_revoked=True),
            True,
        ),
        (CertificateStatus.RETIRED, VALID, False),
        (CertificateStatus.RETIRED, certificate(ORIGINAL, CertificateStatus.RETIRED), False),
        (CertificateStatus.RETIRED, None, False),  # original not read
        (CertificateStatus.RETIRED, replace(REVOKED, address=Pubkey.new_unique()), False),  # not its own
    ],
)
def test_a_split_part_of_any_status_reports_its_revoked_lineage(
    part: CertificateStatus, original: Certificate | None, revoked: bool
) -> None:
    split = certificate(Pubkey.new_unique(), part)
    assert split.in_revoked_lineage(original) == revoked
    assert split.effective_status(EXPIRES - 1, original) == (
        CertificateStatus.REVOKED if revoked and part == CertificateStatus.VALID else part
    )


@pytest.mark.parametrize(
    ("status", "flag", "revoked"),
    [
        (CertificateStatus.RETIRED, True, True),
        (CertificateStatus.EXPIRED, True, True),
        (CertificateStatus.REVOKED, False, True),  # revoked before the flag existed: its status says it
        (CertificateStatus.RETIRED, False, False),
        (CertificateStatus.VALID, False, False),
    ],
)
def test_a_requested_certificate_reports_its_own_revoked_lineage(
    status: CertificateStatus, flag: bool, revoked: bool
) -> None:
    original = replace(certificate(ORIGINAL, status), lineage_revoked=flag)
    assert original.in_revoked_lineage(None) == revoked
    assert original.in_revoked_lineage(REVOKED) == revoked  # itself decides, whatever is passed
    assert original.effective_status(EXPIRES - 1) == status  # its status stays

"""A renewable-energy certificate account (the governance program's ``Certificate``), decoded from
``idl/governance.json``.

Its fields follow the certificate registries' header (Energy Web's ERC-1888, EnergyTag granular
certificates, I-REC): the meter, zone and energy source, the generation interval, the volume in Wh,
request and issuance times, the issuer, the expiry, the owner, the status and the CO2 the volume
avoided; a split's child records its parent and every certificate the requested ``original`` its
volume came from; a retired certificate records its beneficiary, purpose and consumption period.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from solders.pubkey import Pubkey

from solgrid.sdk.anchor import ProgramCoder
from solgrid.sdk.decoded import text, variant_index
from solgrid.sdk.registry import EnergySource


class CertificateStatus(IntEnum):
    """PENDING (requested) -> VALID (validated by a regulator) -> RETIRED (claimed), REVOKED (by a
    quorum) or EXPIRED (after the validity period; anyone cranks it). The last three are final."""

    PENDING = 0
    VALID = 1
    RETIRED = 2
    REVOKED = 3
    EXPIRED = 4

    @property
    def final(self) -> bool:
        return self in (CertificateStatus.RETIRED, CertificateStatus.REVOKED, CertificateStatus.EXPIRED)


@dataclass(frozen=True)
class Retirement:
    """Who a retired certificate's energy was used by, for what, and when it was consumed."""

    beneficiary: Pubkey
    beneficiary_name: str
    purpose: str
    consumption_start: int
    consumption_end: int
    retired_at: int


@dataclass(frozen=True)
class Certificate:
    address: Pubkey
    meter: Pubkey
    zone_id: int
    source: EnergySource
    status: CertificateStatus
    """As stored: a VALID certificate past ``expires_at`` stays VALID until someone expires it (see
    :meth:`status_at`), and one split off an original that was revoked stays VALID too (see
    :meth:`effective_status`)."""
    generation_start: int
    generation_end: int
    volume_wh: int
    requested_at: int
    issued_at: int
    """0 while pending."""
    issuer: Pubkey | None
    """The validating regulator (None while pending)."""
    expires_at: int
    """0 while pending."""
    owner: Pubkey
    co2_avoided_g: int
    parent: Pubkey | None
    """The certificate this one was split from (None for a requested one)."""
    original: Pubkey
    """The requested certificate this volume came from (itself for a requested one)."""
    split_count: int
    """Children split off so far (the next child's index)."""
    bump: int
    revoke_reason: str
    retirement: Retirement | None
    """Set once retired."""
    lineage_revoked: bool = False
    """On a requested certificate (an original) only: a quorum revoked it, whatever its status then
    (PENDING and VALID became REVOKED; a RETIRED or EXPIRED original keeps its status), so every
    certificate split from it is refused from then on (``OriginalRevoked``). False on a split part, and
    on originals revoked before the flag existed (their status, REVOKED, says it)."""

    def status_at(self, now: int) -> CertificateStatus:
        """The status at cluster time ``now``: EXPIRED for a VALID certificate past its expiry (what
        ``expire_certificate`` would store), else as stored."""
        if self.status == CertificateStatus.VALID and now >= self.expires_at:
            return CertificateStatus.EXPIRED
        return self.status

    def usable(self, now: int) -> bool:
        """Whether its owner may transfer, split or retire it at ``now`` (VALID, not expired), as far as
        its own account tells: see :meth:`effective_status` for a split part."""
        return self.status_at(now) == CertificateStatus.VALID

    @property
    def split_off(self) -> bool:
        """Whether it was split off another certificate (its :attr:`original` is another account)."""
        return self.original != self.address

    @property
    def stops_its_lineage(self) -> bool:
        """Whether, as an original, it stops every certificate split from it: its lineage was revoked
        (:attr:`lineage_revoked`, whatever its own status) or it is REVOKED."""
        return self.lineage_revoked or self.status == CertificateStatus.REVOKED

    def revoked_via(self, original: Certificate | None) -> bool:
        """Whether it is VALID but split off an original that was revoked (``original``: the account at
        :attr:`original`, read separately; :attr:`stops_its_lineage`, so also a RETIRED or EXPIRED
        original whose lineage a quorum revoked): revoking a requested certificate leaves the stored
        status of the certificates split from it VALID, and the program refuses to transfer, split or
        retire them (``OriginalRevoked``)."""
        return (
            self.status == CertificateStatus.VALID
            and self.split_off
            and original is not None
            and original.address == self.original
            and original.stops_its_lineage
        )

    def in_revoked_lineage(self, original: Certificate | None) -> bool:
        """Whether its lineage was revoked, whatever its own status: as a requested certificate, it
        :attr:`stops_its_lineage`; as a split part, ``original`` (the account at :attr:`original`, read
        separately) does. A part RETIRED before the revocation stays RETIRED (a retirement is final on
        chain), but the proof it gives is of a lineage a quorum revoked (fraud): show it beside the
        status. See :meth:`revoked_via` for the VALID parts the program now refuses."""
        if not self.split_off:
            return self.stops_its_lineage
        return original is not None and original.address == self.original and original.stops_its_lineage

    def revocation_refused(self) -> str | None:
        """Why ``revoke_certificate`` would refuse it (the program's rule), or None when a quorum can
        revoke it: an original whose lineage is revoked already or that is REVOKED; a split part that is
        RETIRED, REVOKED or EXPIRED, or has parts split off it (only its original reaches those)."""
        if not self.split_off:
            if self.status == CertificateStatus.REVOKED:
                return "is REVOKED already"
            if self.lineage_revoked:
                return f"is {self.status.name} and its lineage is revoked already"
            return None
        if self.status.final:
            return f"is {self.status.name}: a split part is revoked only while pending or valid"
        if self.split_count:
            return (
                f"has certificates split off it: revoke its original {self.original}, which reaches every "
                "certificate split from it"
            )
        return None

    def effective_status(self, now: int, original: Certificate | None = None) -> CertificateStatus:
        """The status the program acts on at cluster time ``now``: REVOKED for a VALID certificate split
        off an original that was revoked (:meth:`revoked_via`; whatever its expiry), else
        :meth:`status_at`. ``original`` matters only for a split part (None for a requested one)."""
        if self.revoked_via(original):
            return CertificateStatus.REVOKED
        return self.status_at(now)


def _optional(value: Pubkey) -> Pubkey | None:
    return None if value == Pubkey.default() else value


def retirement_of(raw: Any) -> Retirement:
    return Retirement(
        beneficiary=raw.beneficiary,
        beneficiary_name=text(raw.beneficiary_name),
        purpose=text(raw.purpose),
        consumption_start=raw.consumption_start,
        consumption_end=raw.consumption_end,
        retired_at=raw.retired_at,
    )


def decode_certificate(coder: ProgramCoder, address: Pubkey, data: bytes) -> Certificate:
    """The Certificate account at ``address`` (``coder``: the governance program's)."""
    raw = coder.decode_account("Certificate", data)
    status = CertificateStatus(variant_index(raw.status))
    return Certificate(
        address=address,
        meter=raw.meter,
        zone_id=raw.zone_id,
        source=EnergySource(variant_index(raw.source)),
        status=status,
        generation_start=raw.generation_start,
        generation_end=raw.generation_end,
        volume_wh=raw.volume_wh,
        requested_at=raw.requested_at,
        issued_at=raw.issued_at,
        issuer=_optional(raw.issuer),
        expires_at=raw.expires_at,
        owner=raw.owner,
        co2_avoided_g=raw.co2_avoided_g,
        parent=_optional(raw.parent),
        original=raw.original,
        split_count=raw.split_count,
        bump=raw.bump,
        revoke_reason=text(raw.revoke_reason),
        retirement=retirement_of(raw.retirement) if status == CertificateStatus.RETIRED else None,
        lineage_revoked=raw.original == address and raw.lineage_revoked != 0,
    )

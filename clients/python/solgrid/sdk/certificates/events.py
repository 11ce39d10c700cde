"""The governance program's certificate events, typed (logged with ``sol_log_data``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from solders.pubkey import Pubkey

from solgrid.sdk.certificates.accounts import CertificateStatus, Retirement, retirement_of
from solgrid.sdk.decoded import from_fields, text, variant_index
from solgrid.sdk.registry import EnergySource


@dataclass(frozen=True)
class CertificateRequested:
    certificate: Pubkey
    meter: Pubkey
    owner: Pubkey
    zone_id: int
    source: EnergySource
    generation_start: int
    generation_end: int
    volume_wh: int
    requested_at: int


@dataclass(frozen=True)
class CertificateValidated:
    certificate: Pubkey
    issuer: Pubkey
    volume_wh: int
    emission_factor: int
    """g CO2 per kWh of the certificate's zone at validation."""
    co2_avoided_g: int
    issued_at: int
    expires_at: int


@dataclass(frozen=True)
class CertificateTransferred:
    certificate: Pubkey
    from_: Pubkey
    """The previous owner (``from`` in the IDL)."""
    to: Pubkey
    volume_wh: int
    co2_avoided_g: int


@dataclass(frozen=True)
class CertificateSplit:
    parent: Pubkey
    child: Pubkey
    split_index: int
    owner: Pubkey
    new_owner: Pubkey
    volume_wh: int
    co2_avoided_g: int
    parent_volume_wh: int
    """What the parent keeps."""
    parent_co2_avoided_g: int


@dataclass(frozen=True)
class CertificateRetired:
    certificate: Pubkey
    owner: Pubkey
    retirement: Retirement
    volume_wh: int
    co2_avoided_g: int


@dataclass(frozen=True)
class CertificateRevoked:
    certificate: Pubkey
    previous_status: CertificateStatus
    reason: str
    volume_wh: int
    timestamp: int
    status: CertificateStatus
    """After the revocation: REVOKED, or a RETIRED or EXPIRED original's status unchanged (only its
    lineage was revoked: every certificate split from it is stopped)."""


@dataclass(frozen=True)
class CertificateExpired:
    certificate: Pubkey
    owner: Pubkey
    volume_wh: int
    timestamp: int


CertificateEvent = (
    CertificateRequested
    | CertificateValidated
    | CertificateTransferred
    | CertificateSplit
    | CertificateRetired
    | CertificateRevoked
    | CertificateExpired
)


def decode_event(name: str, d: Any) -> CertificateEvent | None:
    """The certificate event ``name`` (anchorpy's decoded fields ``d``), or None for another event of
    the governance program."""
    if name == "CertificateRequested":
        return from_fields(CertificateRequested, d, source=EnergySource(variant_index(d.source)))
    if name == "CertificateValidated":
        return from_fields(CertificateValidated, d)
    if name == "CertificateTransferred":
        return from_fields(CertificateTransferred, d)
    if name == "CertificateSplit":
        return from_fields(CertificateSplit, d)
    if name == "CertificateRetired":
        return from_fields(CertificateRetired, d, retirement=retirement_of(d.retirement))
    if name == "CertificateRevoked":
        previous = CertificateStatus(variant_index(d.previous_status))
        after = CertificateStatus(variant_index(d.status))
        return from_fields(
            CertificateRevoked, d, previous_status=previous, reason=text(d.reason), status=after
        )
    if name == "CertificateExpired":
        return from_fields(CertificateExpired, d)
    return None

"""The governance program's certificate events, typed (logged with ``sol_log_data``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from solders.pubkey import Pubkey

from solgrid.sdk.certificates.accounts import CertificateStatus, Retirement, retirement_of
from solgrid.sdk.registry import EnergySource


def _index(value: Any) -> int:
    index: int = type(value).index
    return index


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
        return CertificateRequested(
            d.certificate,
            d.meter,
            d.owner,
            d.zone_id,
            EnergySource(_index(d.source)),
            d.generation_start,
            d.generation_end,
            d.volume_wh,
            d.requested_at,
        )
    if name == "CertificateValidated":
        return CertificateValidated(
            d.certificate,
            d.issuer,
            d.volume_wh,
            d.emission_factor,
            d.co2_avoided_g,
            d.issued_at,
            d.expires_at,
        )
    if name == "CertificateTransferred":
        return CertificateTransferred(d.certificate, d.from_, d.to, d.volume_wh, d.co2_avoided_g)
    if name == "CertificateSplit":
        return CertificateSplit(
            d.parent,
            d.child,
            d.split_index,
            d.owner,
            d.new_owner,
            d.volume_wh,
            d.co2_avoided_g,
            d.parent_volume_wh,
            d.parent_co2_avoided_g,
        )
    if name == "CertificateRetired":
        return CertificateRetired(
            d.certificate, d.owner, retirement_of(d.retirement), d.volume_wh, d.co2_avoided_g
        )
    if name == "CertificateRevoked":
        reason = bytes(d.reason).rstrip(b"\0").decode(errors="replace")
        return CertificateRevoked(
            d.certificate, CertificateStatus(_index(d.previous_status)), reason, d.volume_wh, d.timestamp
        )
    if name == "CertificateExpired":
        return CertificateExpired(d.certificate, d.owner, d.volume_wh, d.timestamp)
    return None

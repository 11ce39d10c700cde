"""What the certificate commands share: reading a certificate with one-line errors, the checks made
before sending (the wallet owns it, it is usable), and certificates as JSON and text."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from solana.rpc.async_api import AsyncClient
from solders.pubkey import Pubkey

from solgrid.errors import UserFacingError
from solgrid.sdk.anchor import AccountDecodeError
from solgrid.sdk.certificates import Certificate, CertificatesClient, CertificateStatus
from solgrid.sdk.clock import cluster_time, utc
from solgrid.sdk.registry import RegistryClient


class UnknownCertificate(UserFacingError):
    """No certificate at the address given."""


class NotCertificateOwner(UserFacingError):
    """The wallet does not own the certificate."""


class CertificateUnusable(UserFacingError):
    """The certificate cannot be transferred, split or retired (not valid, past its expiry, or split off
    a certificate that was revoked)."""


async def require_certificate(rpc: AsyncClient, client: CertificatesClient, address: Pubkey) -> Certificate:
    try:
        found = await client.fetch_certificate(rpc, address)
    except AccountDecodeError:
        found = None
    if found is None:
        raise UnknownCertificate(f"no certificate at {address}")
    return found


def require_owner(certificate: Certificate, wallet: Pubkey) -> None:
    if certificate.owner != wallet:
        raise NotCertificateOwner(
            f"wallet {wallet} does not own certificate {certificate.address} (its owner is "
            f"{certificate.owner})"
        )


def require_usable(certificate: Certificate, now: int) -> None:
    """The owner may transfer, split or retire it: VALID and not past its expiry."""
    state = certificate.status_at(now)
    if state is CertificateStatus.VALID:
        return
    label = f"certificate {certificate.address}"
    if state is CertificateStatus.PENDING:
        raise CertificateUnusable(f"{label} is pending: a regulator has not validated it yet")
    if state is CertificateStatus.EXPIRED:
        raise CertificateUnusable(f"{label} expired at {utc(certificate.expires_at)}")
    raise CertificateUnusable(f"{label} is {state.name.lower()} (final)")


async def require_spendable(
    rpc: AsyncClient, client: CertificatesClient, address: Pubkey, wallet: Pubkey
) -> Certificate:
    """The certificate at ``address``, which ``wallet`` owns and may transfer, split or retire now (for a
    split child: its original is not revoked)."""
    found = await require_certificate(rpc, client, address)
    require_owner(found, wallet)
    require_usable(found, await cluster_time(rpc))
    if found.split_off:
        original = await client.fetch_original(rpc, found)
        if original is not None and found.revoked_via(original):
            raise CertificateUnusable(
                f"certificate {address} was split from certificate {original.address}, which was revoked "
                f"({original.revoke_reason or 'no reason recorded'}): it can no longer be used"
            )
    return found


async def serials_of(
    rpc: AsyncClient, registry: RegistryClient, meters: Sequence[Pubkey]
) -> dict[Pubkey, str]:
    """The serial of each registry meter (one ``getMultipleAccounts``)."""
    unique = list(dict.fromkeys(meters))
    found: dict[Pubkey, str] = {}
    if not unique:
        return found
    accounts = (await rpc.get_multiple_accounts(unique)).value
    for address, account in zip(unique, accounts, strict=True):
        if account is not None and account.owner == registry.program_id:
            meter = registry.decode_meter(bytes(account.data))
            found[address] = meter.serial.rstrip(b"\0").decode(errors="replace")
    return found


def _time(value: int) -> str | None:
    return utc(value) if value else None


def certificate_json(
    certificate: Certificate, now: int, serial: str | None, original: Certificate | None = None
) -> dict[str, Any]:
    """A certificate with stable keys; ``status`` is the status the program acts on at ``now``
    (:meth:`Certificate.effective_status`: ``REVOKED`` for a valid part split off an original that was
    revoked, ``original`` being that account; ``EXPIRED`` for a valid certificate past its expiry even
    before anyone marks it), ``stored_status`` what the account holds; ``lineage_revoked`` whether a
    quorum revoked its lineage (:meth:`Certificate.in_revoked_lineage`: its own as a requested
    certificate, its original's as a split part), whatever its status: a part retired before the
    revocation stays ``RETIRED``, but its proof is of a revoked lineage; ``revoked_via`` the original and
    ``original_revoke_reason`` its reason for a split part whose lineage was revoked (None otherwise: a
    requested certificate's own reason is ``revoke_reason``)."""
    c = certificate
    in_revoked = c.in_revoked_lineage(original)
    via = original if in_revoked and c.split_off else None
    retirement = None
    if c.retirement is not None:
        r = c.retirement
        retirement = {
            "beneficiary": str(r.beneficiary),
            "beneficiary_name": r.beneficiary_name,
            "purpose": r.purpose,
            "consumption_start": utc(r.consumption_start),
            "consumption_end": utc(r.consumption_end),
            "retired_at": utc(r.retired_at),
        }
    return {
        "address": str(c.address),
        "meter": str(c.meter),
        "serial": serial,
        "zone_id": c.zone_id,
        "source": c.source.name,
        "status": c.effective_status(now, original).name,
        "stored_status": c.status.name,
        "generation_start": utc(c.generation_start),
        "generation_end": utc(c.generation_end),
        "volume_wh": c.volume_wh,
        "co2_avoided_g": c.co2_avoided_g,
        "owner": str(c.owner),
        "requested_at": utc(c.requested_at),
        "issued_at": _time(c.issued_at),
        "issuer": None if c.issuer is None else str(c.issuer),
        "expires_at": _time(c.expires_at),
        "parent": None if c.parent is None else str(c.parent),
        "original": str(c.original),
        "split_count": c.split_count,
        "revoke_reason": c.revoke_reason or None,
        "lineage_revoked": in_revoked,
        "retirement": retirement,
        "revoked_via": None if via is None else str(via.address),
        "original_revoke_reason": None if via is None else via.revoke_reason or None,
    }


async def certificate_document(
    rpc: AsyncClient, client: CertificatesClient, address: Pubkey
) -> dict[str, Any]:
    """The certificate at ``address`` read now, as :func:`certificate_json` with its meter's serial and,
    for a split part, its original (one more account read)."""
    found = await require_certificate(rpc, client, address)
    original = await client.fetch_original(rpc, found)
    serials = await serials_of(rpc, client.registry, [found.meter])
    return certificate_json(found, await cluster_time(rpc), serials.get(found.meter), original)


def certificate_line(document: dict[str, Any]) -> str:
    """One line per certificate (``cert list``)."""
    line = (
        f"{document['address']}  {document['status']:<8}  {document['volume_wh']:>9} Wh  "
        f"{document['source'].lower():<5}  {document['serial'] or document['meter']}  "
        f"{document['generation_start']} .. {document['generation_end']}"
    )
    if document["revoked_via"] is not None:
        reason = document["original_revoke_reason"]
        if document["status"] == "REVOKED":
            line += f"  (revoked via original {document['revoked_via']}"
        else:
            line += f"  (lineage revoked via original {document['revoked_via']}"
        line += f": {reason})" if reason else ")"
    elif document["lineage_revoked"] and document["status"] != "REVOKED":
        reason = document["revoke_reason"]
        line += f"  (lineage revoked: {reason})" if reason else "  (lineage revoked)"
    return line

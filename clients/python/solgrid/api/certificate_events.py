"""The certificates' changes (``certificate_events``) as a list: the query of ``GET
/api/v1/certificate-events`` and its rows (each change's columns plus ``previous_owner``: for a
transfer, who sent it, the change's ``actor``; the indexer sets ``owner`` to the recipient)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, or_, select

from solgrid.api.filters import in_range
from solgrid.api.params import TimeRange
from solgrid.api.rows import row_dict
from solgrid.indexer.models import Certificate, CertificateChange

CHANGES = ("requested", "validated", "transferred", "split", "split_from", "retired", "revoked", "expired")
"""The kinds of change the indexer stores (``change``; its ``certificates.RANK``, which the API may not
import: tests/api/test_api_certificate_events.py checks they are the same)."""


def change_events(
    *,
    change: str | None,
    certificate: str | None,
    zone: int | None,
    owner: str | None,
    span: TimeRange,
) -> Select[Any]:
    """The changes of the filters given: a kind of change, a certificate, the certificate's zone, a
    wallet (the owner after the change, or who made it), ``span`` on the change's timestamp."""
    c = CertificateChange
    query = select(c).where(*in_range(c.timestamp, span))
    if change is not None:
        query = query.where(c.change == change)
    if certificate is not None:
        query = query.where(c.certificate == certificate)
    if zone is not None:
        zoned = select(Certificate.address).where(Certificate.zone_id == zone)
        query = query.where(c.certificate.in_(zoned))
    if owner is not None:
        query = query.where(or_(c.owner == owner, c.actor == owner))
    return query


def change_row(change: CertificateChange) -> dict[str, Any]:
    """A change's columns and ``previous_owner`` (a transfer's sender, else null)."""
    sender = change.actor if change.change == "transferred" else None
    return {**row_dict(change), "previous_owner": sender}

"""Renewable-energy certificates (with their history), retirements and carbon credits."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlalchemy import select

from solgrid.api.certificate_events import change_events, change_row
from solgrid.api.deps import Session
from solgrid.api.errors import not_found
from solgrid.api.filters import Address, ZoneFilter, in_range, one_of, path_address
from solgrid.api.idl_names import variants
from solgrid.api.pagination import PageParams, page_params, paginate
from solgrid.api.params import MAX_TIME, TimeRange, pubkey, time_range
from solgrid.api.rows import row_dict
from solgrid.api.schemas import page_of, row_schema
from solgrid.indexer.credits import CREDIT_SUMS, carbon_totals
from solgrid.indexer.models import CERTIFICATE_CHANGES, Certificate, CertificateChange, Retirement

router = APIRouter(tags=["certificates"])
STATUSES = variants("governance", "CertificateStatus")
GROUPS = ("owner", "zone", "meter")
CertificateOut = row_schema(Certificate, "Certificate")
ChangeOut = row_schema(CertificateChange, "CertificateChange")
ChangeEventOut = row_schema(CertificateChange, "CertificateEvent", previous_owner=(str | None, None))
CertificateDetail = row_schema(Certificate, "CertificateDetail", history=(list[ChangeOut], ...))  # type: ignore[valid-type]
RetirementOut = row_schema(Retirement, "Retirement")
Wallet = Annotated[str | None, Query(description="A wallet.")]


class CarbonCredit(BaseModel):
    """Carbon credits summed per owner, zone or meter (the one grouped by; the others are null)."""

    owner: str | None = None
    zone_id: int | None = None
    meter: str | None = None
    held_co2_g: int
    retired_co2_g: int
    held_wh: int
    retired_wh: int
    certificates: int
    lapsed_co2_g: int
    lapsed_wh: int
    void_co2_g: int
    void_wh: int
    retired_revoked_co2_g: int
    retired_revoked_wh: int


class CarbonCredits(BaseModel):
    at: int
    """The time (unix seconds) the credits are counted at: expiry is judged at it."""
    group_by: str
    items: list[CarbonCredit]


assert set(CarbonCredit.model_fields) == {"owner", "zone_id", "meter", *CREDIT_SUMS}


@router.get("/certificates", response_model=page_of(CertificateOut), summary="Certificates")
async def certificates(
    session: Session,
    page: Annotated[PageParams, Depends(page_params)],
    span: Annotated[TimeRange, Depends(time_range)],
    zone: ZoneFilter = None,
    owner: Wallet = None,
    meter: Annotated[str | None, Query(description="The meter whose production it certifies.")] = None,
    status: Annotated[str | None, Query(description=f"One of {', '.join(STATUSES)}.")] = None,
) -> dict[str, Any]:
    """Certificates in their current state, most recently changed first (by ``updated_slot``, then
    address); of a zone, an owner, a meter, a status (the stored one; ``effective_status`` says when a
    Valid one is void because its original was revoked); ``from`` / ``to`` on ``updated_at`` (the time
    of its latest change, as the order; one without it, not yet dated, is outside any range)."""
    query = select(Certificate).where(*in_range(Certificate.updated_at, span))
    if zone is not None:
        query = query.where(Certificate.zone_id == zone)
    if pubkey("owner", owner) is not None:
        query = query.where(Certificate.owner == owner)
    if pubkey("meter", meter) is not None:
        query = query.where(Certificate.meter == meter)
    if one_of("status", status, STATUSES) is not None:
        query = query.where(Certificate.status == status)
    return await paginate(session, query, [Certificate.updated_slot, Certificate.address], page, row_dict)


@router.get(
    "/certificates/{address}",
    response_model=CertificateDetail,
    responses={404: {"description": "No such certificate"}},
)
async def certificate(address: Address, session: Session) -> dict[str, Any]:
    """A certificate and its history (``certificate_events``), oldest first (chain order)."""
    found = await session.get(Certificate, path_address("address", address))
    if found is None:
        raise not_found(f"certificate {address}")
    c = CertificateChange
    history = await session.scalars(
        select(c)
        .where(c.certificate == found.address)
        .order_by(c.slot, c.instruction_index, c.event_index, c.step)
    )
    return {**row_dict(found), "history": [row_dict(h) for h in history]}


@router.get("/certificate-events", response_model=page_of(ChangeEventOut), summary="Certificate events")
async def certificate_events(
    session: Session,
    page: Annotated[PageParams, Depends(page_params)],
    span: Annotated[TimeRange, Depends(time_range)],
    change: Annotated[str | None, Query(description=f"One of {', '.join(CERTIFICATE_CHANGES)}.")] = None,
    certificate: Annotated[str | None, Query(description="A certificate.")] = None,
    zone: ZoneFilter = None,
    owner: Annotated[str | None, Query(description="The owner after the change, or who made it.")] = None,
) -> dict[str, Any]:
    """Every certificate's changes (``certificate_events``), newest first (by slot, then id): of a kind
    (``change``), a certificate, its zone, a wallet; ``from`` / ``to`` on ``timestamp``. ``owner`` is
    the owner after the change; ``previous_owner`` is, for a transfer, who sent it (its ``actor``)."""
    query = change_events(
        change=one_of("change", change, CERTIFICATE_CHANGES),
        certificate=pubkey("certificate", certificate),
        zone=zone,
        owner=pubkey("owner", owner),
        span=span,
    )
    c = CertificateChange
    return await paginate(session, query, [c.slot, c.id], page, change_row)


@router.get("/retirements", response_model=page_of(RetirementOut), summary="Retirements")
async def retirements(
    session: Session,
    page: Annotated[PageParams, Depends(page_params)],
    span: Annotated[TimeRange, Depends(time_range)],
    zone: ZoneFilter = None,
    owner: Annotated[str | None, Query(description="Who retired it.")] = None,
    beneficiary: Wallet = None,
) -> dict[str, Any]:
    """Retirements (who used the energy, for what), newest first (by slot, then id); ``from`` / ``to`` on
    ``retired_at``."""
    query = select(Retirement).where(*in_range(Retirement.retired_at, span))
    if zone is not None:
        query = query.where(Retirement.zone_id == zone)
    if pubkey("owner", owner) is not None:
        query = query.where(Retirement.owner == owner)
    if pubkey("beneficiary", beneficiary) is not None:
        query = query.where(Retirement.beneficiary == beneficiary)
    return await paginate(session, query, [Retirement.slot, Retirement.id], page, row_dict)


@router.get("/carbon-credits", response_model=CarbonCredits, summary="Carbon credits")
async def carbon_credits(
    session: Session,
    owner: Wallet = None,
    zone: ZoneFilter = None,
    meter: Annotated[str | None, Query(description="A meter.")] = None,
    group_by: Annotated[str, Query(description=f"One of {', '.join(GROUPS)}.")] = "owner",
    at: Annotated[int | None, Query(ge=0, le=MAX_TIME, description="Count at (unix s; default now).")] = None,
) -> dict[str, Any]:
    """The CO2 avoided and Wh of certificates, summed per owner, zone or meter, ordered by it: held
    (Valid before expiry), lapsed (Valid past it), void (split off a revoked original), retired
    (credited to whoever retired them) and retired_revoked (retired, lineage revoked afterwards); the
    ``carbon_credits`` view's rows at time ``at``."""
    one_of("group_by", group_by, GROUPS)
    moment = int(time.time()) if at is None else at
    rows = await carbon_totals(
        session, group_by, at=moment, owner=pubkey("owner", owner), meter=pubkey("meter", meter), zone=zone
    )
    items = [{("zone_id" if k == "zone" else k): v for k, v in row.items()} for row in rows]
    return {"at": moment, "group_by": group_by, "items": items}

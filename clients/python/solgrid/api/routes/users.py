"""Registered users: a wallet's User account (its role, zone and status)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy import select

from solgrid.api.deps import Session
from solgrid.api.errors import not_found
from solgrid.api.filters import Address, ZoneFilter, in_range, one_of, path_address
from solgrid.api.idl_names import variants
from solgrid.api.pagination import PageParams, page_params, paginate
from solgrid.api.params import TimeRange, time_range
from solgrid.api.rows import row_dict
from solgrid.api.schemas import page_of, row_schema
from solgrid.indexer.models import User

router = APIRouter(tags=["users"])
UserOut = row_schema(User, "User")
ROLES = variants("registry", "UserRole")


@router.get("/users", response_model=page_of(UserOut), summary="Users, newest first")
async def users(
    session: Session,
    page: Annotated[PageParams, Depends(page_params)],
    span: Annotated[TimeRange, Depends(time_range)],
    zone: ZoneFilter = None,
    role: Annotated[str | None, Query(description=f"One of {', '.join(ROLES)}.")] = None,
) -> dict[str, Any]:
    """Registered users, newest first (by registration time, then address); of a zone, of a role;
    ``from`` / ``to`` on ``registered_at``."""
    query = select(User).where(*in_range(User.registered_at, span))
    if zone is not None:
        query = query.where(User.zone_id == zone)
    if one_of("role", role, ROLES) is not None:
        query = query.where(User.role == role)
    return await paginate(session, query, [User.registered_at, User.address], page, row_dict)


@router.get("/users/{address}", response_model=UserOut, responses={404: {"description": "No such user"}})
async def user(address: Address, session: Session) -> dict[str, Any]:
    """A user by its User account's address, or by its wallet (the account's authority)."""
    key = path_address("address", address)
    found = await session.get(User, key)
    if found is None:
        found = await session.scalar(
            select(User).where(User.authority == key).order_by(User.registered_at, User.address).limit(1)
        )
    if found is None:
        raise not_found(f"user {key}")
    return row_dict(found)

"""The API's endpoints, one module per part of the domain, each with its ``router``."""

from __future__ import annotations

from fastapi import APIRouter

from solgrid.api.routes import certificates, events, governance, markets, meters, status, tokens, users, zones

ROUTERS: list[APIRouter] = [
    zones.router,
    markets.router,
    status.router,
    users.router,
    meters.router,
    tokens.router,
    certificates.router,
    governance.router,
    events.router,
]

"""The API's endpoints, one module per part of the domain, each with its ``router``."""

from __future__ import annotations

from fastapi import APIRouter

from solgrid.api.routes import markets, status, zones

ROUTERS: list[APIRouter] = [zones.router, markets.router, status.router]

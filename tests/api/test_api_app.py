"""The API's frame: start-up checks of the database, OpenAPI, the docs page, errors as one line, and the
zones endpoint (on SQLite and Postgres)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from api_server import client_of
from indexer_support import store
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from synthetic import REGISTRY, data_line, invoke, registration_logs, tx

from solgrid.api.settings import ApiSettings
from solgrid.indexer.db import DatabaseError, create_engine
from solgrid.indexer.decode import EventDecoder
from solgrid.indexer.service import default_coders
from solgrid.indexer.store import Store


async def test_a_database_without_the_indexers_schema_is_refused_in_one_line(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    engine = create_engine(url)
    async with engine.begin():
        pass
    await engine.dispose()
    with pytest.raises(DatabaseError, match="no indexer schema: start `solgrid indexer run`"):
        async with client_of(ApiSettings(db_url=url, static_dir=None)):
            pass
    with pytest.raises(DatabaseError, match=r"directory .* does not exist"):
        async with client_of(ApiSettings(db_url=f"sqlite+aiosqlite:///{tmp_path}/no/such.db")):
            pass


async def test_openapi_describes_every_endpoint_and_the_docs_page_needs_its_assets(
    api: httpx.AsyncClient, tmp_path: Path
) -> None:
    spec = (await api.get("/openapi.json")).json()
    assert spec["info"]["title"] == "SolGrid market data API"
    assert {"/api/v1/zones", "/api/v1/zones/{zone_id}"} <= set(spec["paths"])
    zone = spec["components"]["schemas"]["Zone"]["properties"]
    assert {"zone_id", "name", "markets", "paused", "market_paused"} <= set(zone)
    docs = await api.get("/docs")
    assert docs.status_code == 503 and "run scripts/setup.sh" in docs.json()["error"]


async def test_zones_with_their_markets_and_pauses(
    api: httpx.AsyncClient, db: async_sessionmaker[AsyncSession]
) -> None:
    assert (await api.get("/api/v1/zones")).json() == []
    indexer = Store(EventDecoder(default_coders()))
    paused = {"zone_id": 7, "flags": 4, "paused": 4, "by": REGISTRY.program_id}
    await store(db, indexer, tx(registration_logs(), slot=5))
    await store(
        db, indexer, tx(invoke(REGISTRY.program_id, 1, [data_line(REGISTRY, "Paused", paused)]), slot=6)
    )
    zones = (await api.get("/api/v1/zones")).json()
    assert [(z["zone_id"], z["name"], z["max_capacity_kw"]) for z in zones] == [(7, "north", 500)]
    assert (zones[0]["paused"], zones[0]["paused_names"], zones[0]["market_paused"]) == (4, ["TRADING"], 0)
    assert (await api.get("/api/v1/zones/7")).json() == zones[0]


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("/api/v1/zones/8", 404, "zone 8 not found"),
        ("/api/v1/zones/-1", 400, "zone_id: Input should be greater than or equal to 0"),
        ("/api/v1/zones/north", 400, "zone_id: Input should be a valid integer"),
        ("/api/v1/zones/99999999999999999999", 400, "zone_id: Input should be less than or equal to"),
        ("/api/v1/nothing", 404, "Not Found"),
    ],
)
async def test_bad_requests_are_one_line_4xx(
    api: httpx.AsyncClient, path: str, status: int, message: str
) -> None:
    answer = await api.get(path)
    assert answer.status_code == status
    body = answer.json()
    assert list(body) == ["error"] and body["error"].startswith(message) and "\n" not in body["error"]


LONG = "z" * 20_000


@pytest.mark.parametrize(
    ("path", "params"),
    [
        (f"/api/v1/markets/{LONG}", {}),
        (f"/api/v1/meters/{LONG}", {}),
        (f"/api/v1/users/{LONG}", {}),
        (f"/api/v1/certificates/{LONG}", {}),
        (f"/api/v1/proposals/{LONG}", {}),
        ("/api/v1/meters", {"owner": LONG}),
        ("/api/v1/settlements", {"meter": LONG}),
        ("/api/v1/burns", {"holder": LONG}),
        ("/api/v1/retirements", {"beneficiary": LONG}),
        ("/api/v1/proposals", {"proposer": LONG}),
        ("/api/v1/events", {"signature": LONG}),
        ("/api/v1/production", {"owner": LONG}),
    ],
)
async def test_a_long_address_is_refused_before_it_is_decoded(
    api: httpx.AsyncClient, path: str, params: dict[str, str]
) -> None:
    """base58 decoding is quadratic in the text's length: 20,000 characters would hold the event loop for a
    tenth of a second each; they are a 400 at once, by their length."""
    answer = await api.get(path, params=params)
    assert answer.status_code == 400
    error = answer.json()["error"]
    by_length = "20000 characters is not a " in error or "should have at most 64 characters" in error
    assert by_length and "\n" not in error and len(error) < 300

"""GRID settlements, mints and burns over the API, with their block times and filters (SQLite and
Postgres)."""

from __future__ import annotations

import httpx
import pytest
from api_data import every_page, grid_world, one_line_error
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker


async def test_settlements_and_mints_newest_first_with_their_filters(
    api: httpx.AsyncClient, db: async_sessionmaker[AsyncSession]
) -> None:
    w = await grid_world(db)
    s1, s2, s3 = w.settlements
    for path in ("/api/v1/settlements", "/api/v1/mints"):
        assert await every_page(api, path, 5, zone=8, meter=w.m1) == []

        async def listed(limit: int = 1, path: str = path, **params: object) -> list[tuple[str, int, int]]:
            rows = await every_page(api, path, limit, **params)
            return [(r["signature"], r["amount_wh"], r["block_time"]) for r in rows]

        assert await listed() == [(s3, 40, 4000), (s2, 5, 1000), (s1, 60, 1000)]
        assert await listed(2) == await listed(3)
        assert await listed(zone=7) == [(s3, 40, 4000), (s1, 60, 1000)]
        assert await listed(meter=w.m3) == [(s2, 5, 1000)]
        assert await listed(owner=w.a) == [(s3, 40, 4000), (s1, 60, 1000)]
        assert await listed(owner=w.b) == []
        assert await listed(**{"from": 1000, "to": 4000}) == [(s2, 5, 1000), (s1, 60, 1000)]
        assert await listed(**{"from": 1001}) == [(s3, 40, 4000)]
        assert await listed(zone=7, **{"to": 1001}) == [(s1, 60, 1000)]

    settlement = (await api.get("/api/v1/settlements", params={"limit": 1})).json()["items"][0]
    assert {k: v for k, v in settlement.items() if k != "id"} == {
        "signature": s3,
        "instruction_index": 0,
        "event_index": 0,
        "meter": w.m1,
        "owner": w.a,
        "amount_wh": 40,
        "settled_wh": 100,
        "slot": 32,
        "block_time": 4000,
    }
    mint = (await api.get("/api/v1/mints", params={"limit": 1})).json()["items"][0]
    assert (mint["amount"], mint["amount_wh"], mint["meter"], mint["owner"], mint["event_index"]) == (
        40_000_000,
        40,
        w.m1,
        w.a,
        1,
    )


async def test_burns_by_holder_zone_and_time(
    api: httpx.AsyncClient, db: async_sessionmaker[AsyncSession]
) -> None:
    w = await grid_world(db)
    early, late = w.burns

    async def listed(**params: object) -> list[tuple[str, str, int, int]]:
        rows = await every_page(api, "/api/v1/burns", 1, **params)
        return [(r["signature"], r["holder"], r["amount"], r["block_time"]) for r in rows]

    assert await listed() == [(late, w.c, 9, 2000), (early, w.a, 7, 500)]
    assert await listed(holder=w.a) == [(early, w.a, 7, 500)]
    assert await listed(zone=8) == [(late, w.c, 9, 2000)]
    assert await listed(zone=7, holder=w.c) == []
    assert await listed(**{"from": 501}) == [(late, w.c, 9, 2000)]
    assert await listed(**{"to": 500}) == []


@pytest.mark.parametrize(
    ("path", "params", "message"),
    [
        ("/api/v1/settlements", {"meter": "0OIl"}, "meter: '0OIl' is not base58"),
        ("/api/v1/settlements", {"owner": "abc"}, "owner: 'abc' is not a 32-byte address"),
        ("/api/v1/settlements", {"zone": -3}, "zone: Input should be greater than or equal to 0"),
        ("/api/v1/settlements", {"from": 5, "to": 1}, "to: must be after from (1 <= 5)"),
        ("/api/v1/settlements", {"cursor": "WzEsMl0"}, None),
        ("/api/v1/mints", {"cursor": "bm90IGpzb24"}, "cursor: not a cursor this API gave"),
        ("/api/v1/mints", {"cursor": "WyJhIiwxXQ"}, "cursor: not a cursor of this list"),  # ["a",1]
        ("/api/v1/mints", {"to": 2**70}, "to: Input should be less than or equal to"),
        ("/api/v1/burns", {"holder": "x" * 60}, "holder: "),
        ("/api/v1/burns", {"zone": 10**30}, "zone: Input should be less than or equal to"),
        ("/api/v1/burns", {"limit": -1}, "limit: Input should be greater than or equal to 1"),
    ],
)
async def test_bad_parameters_are_one_line_400s(
    api: httpx.AsyncClient, path: str, params: dict[str, object], message: str | None
) -> None:
    if message is None:  # a well-formed cursor ([1, 2]) is a page, possibly empty
        assert (await api.get(path, params=params)).json() == {"items": [], "next_cursor": None}
    else:
        assert (await one_line_error(api, path, **params)).startswith(message)

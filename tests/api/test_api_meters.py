"""Users, meters, their readings and production series over the API (SQLite and Postgres)."""

from __future__ import annotations

import httpx
import pytest
from api_data import every_page, grid_world, one_line_error
from indexer_support import store
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from synthetic import METER, REGISTRY, data_line, invoke, reading, registration_logs, tx

from solgrid.indexer.decode import EventDecoder
from solgrid.indexer.service import default_coders
from solgrid.indexer.store import FetchedTransaction, Store

NOT_BASE58 = "0OIl0OIl"
SHORT = "3yZe7d"


async def test_users_newest_first_with_zone_and_role_filters(
    api: httpx.AsyncClient, db: async_sessionmaker[AsyncSession]
) -> None:
    assert (await api.get("/api/v1/users")).json() == {"items": [], "next_cursor": None}
    w = await grid_world(db)
    everyone = await every_page(api, "/api/v1/users", 2)
    assert [(u["authority"], u["registered_at"]) for u in everyone] == [(w.c, 12), (w.b, 11), (w.a, 10)]
    assert everyone[0] == {
        "address": w.users[w.c],
        "authority": w.c,
        "role": "Prosumer",
        "zone_id": 8,
        "user_index": 12,
        "status": "Pending",
        "registered_at": 12,
    }
    assert [u["authority"] for u in await every_page(api, "/api/v1/users", 1, zone=7)] == [w.b, w.a]
    assert [u["authority"] for u in await every_page(api, "/api/v1/users", 5, role="Prosumer")] == [w.c, w.a]
    assert [u["authority"] for u in await every_page(api, "/api/v1/users", 5, zone=7, role="Consumer")] == [
        w.b
    ]
    assert await every_page(api, "/api/v1/users", 5, zone=9) == []

    # from / to on registered_at (inclusive, exclusive), across pages of one
    async def registered(**params: object) -> list[str]:
        return [u["authority"] for u in await every_page(api, "/api/v1/users", 1, **params)]

    assert await registered(**{"from": 11}) == [w.c, w.b]
    assert await registered(**{"to": 12}) == [w.b, w.a]
    assert await registered(**{"from": 11, "to": 12}) == [w.b]
    assert await registered(**{"from": 10, "to": 13}) == [w.c, w.b, w.a]
    assert await registered(**{"from": 13}) == []
    assert await registered(zone=7, **{"from": 11}) == [w.b]
    # by the User account or by its wallet
    by_pda = (await api.get(f"/api/v1/users/{w.users[w.a]}")).json()
    assert by_pda == (await api.get(f"/api/v1/users/{w.a}")).json()
    assert (by_pda["authority"], by_pda["role"], by_pda["zone_id"]) == (w.a, "Prosumer", 7)
    assert await one_line_error(api, f"/api/v1/users/{w.m1}", 404) == f"user {w.m1} not found"


async def test_meters_and_their_readings(
    api: httpx.AsyncClient, db: async_sessionmaker[AsyncSession]
) -> None:
    w = await grid_world(db)
    meters = await every_page(api, "/api/v1/meters", 2)
    assert [(m["address"], m["registered_at"]) for m in meters] == [(w.m3, 22), (w.m2, 21), (w.m1, 20)]
    m1 = (await api.get(f"/api/v1/meters/{w.m1}")).json()
    assert m1 == meters[2]
    assert (m1["owner"], m1["zone_id"], m1["serial"], m1["capacity_w"], m1["source"]) == (
        w.a,
        7,
        "M-20",
        20_000,
        "Solar",
    )
    assert (m1["produced_wh"], m1["consumed_wh"], m1["settled_wh"]) == (1000, 500, 100)
    assert [m["address"] for m in await every_page(api, "/api/v1/meters", 1, zone=7)] == [w.m2, w.m1]
    assert [m["address"] for m in await every_page(api, "/api/v1/meters", 1, owner=w.c)] == [w.m3]
    assert await every_page(api, "/api/v1/meters", 1, owner=w.b) == []

    # from / to on registered_at (inclusive, exclusive), across pages of one
    async def registered(**params: object) -> list[str]:
        return [m["address"] for m in await every_page(api, "/api/v1/meters", 1, **params)]

    assert await registered(**{"from": 21}) == [w.m3, w.m2]
    assert await registered(**{"to": 21}) == [w.m1]
    assert await registered(**{"from": 20, "to": 23}) == [w.m3, w.m2, w.m1]
    assert await registered(**{"to": 20}) == []
    assert await registered(zone=7, **{"from": 21}) == [w.m2]
    assert await registered(owner=w.a, **{"to": 22}) == [w.m2, w.m1]

    readings = await every_page(api, f"/api/v1/meters/{w.m1}/readings", 3)
    assert [(r["window_start"], r["production_wh"], r["consumption_wh"]) for r in readings] == [
        (3600, 400, 40),
        (1800, 300, 30),
        (900, 200, 20),
        (0, 100, 10),
    ]
    assert readings[0]["meter"] == w.m1 and readings[0]["window_end"] == 4500
    assert (readings[0]["produced_wh"], readings[0]["slot"]) == (1000, 13)
    span = await every_page(api, f"/api/v1/meters/{w.m1}/readings", 1, **{"from": 900, "to": 3600})
    assert [r["window_start"] for r in span] == [1800, 900]
    assert await every_page(api, f"/api/v1/meters/{w.m2}/readings", 10) == []
    assert await one_line_error(api, f"/api/v1/meters/{w.a}", 404) == f"meter {w.a} not found"
    assert await one_line_error(api, f"/api/v1/meters/{w.a}/readings", 404) == f"meter {w.a} not found"


async def test_production_series_per_zone_meter_and_owner(
    api: httpx.AsyncClient, db: async_sessionmaker[AsyncSession]
) -> None:
    assert (await api.get("/api/v1/production")).json() == {"interval_secs": 3600, "series": []}
    w = await grid_world(db)

    async def series(**params: object) -> list[tuple[int, int, int, int, int]]:
        answer = await api.get("/api/v1/production", params=params)
        assert answer.status_code == 200, answer.text
        points = answer.json()["series"]
        return [
            (p["time"], p["production_wh"], p["consumption_wh"], p["settled_wh"], p["readings"])
            for p in points
        ]

    assert await series(zone=7) == [(0, 600, 60, 60, 3), (3600, 400, 40, 40, 1)]
    assert await series() == [(0, 650, 65, 65, 4), (3600, 400, 40, 40, 1)]
    assert await series(meter=w.m3, interval="15m") == [(900, 50, 5, 5, 1)]
    assert await series(owner=w.a, interval="15m", **{"from": 0, "to": 2700}) == [
        (0, 100, 10, 0, 1),
        (900, 200, 20, 60, 1),
        (1800, 300, 30, 0, 1),
    ]
    # dense: intervals without data are there with zeros
    assert await series(owner=w.a, interval="15m", **{"from": 1800}) == [
        (1800, 300, 30, 0, 1),
        (2700, 0, 0, 0, 0),
        (3600, 400, 40, 40, 1),
    ]
    assert await series(zone=7, interval="1d", **{"from": 86400, "to": 86400 * 3}) == [
        (86400, 0, 0, 0, 0),
        (172800, 0, 0, 0, 0),
    ]
    assert await series(zone=8, owner=w.a) == []
    answer = await api.get("/api/v1/production", params={"meter": w.m3, "interval": "1d"})
    assert answer.json() == {
        "interval_secs": 86400,
        "series": [
            {"time": 0, "production_wh": 50, "consumption_wh": 5, "settled_wh": 5, "readings": 1},
        ],
    }


@pytest.mark.parametrize(
    ("path", "params", "status", "message"),
    [
        (
            "/api/v1/users",
            {"role": "Admin"},
            400,
            "role: 'Admin' is not one of Prosumer, Consumer, GridOperator",
        ),
        ("/api/v1/users", {"zone": -1}, 400, "zone: Input should be greater than or equal to 0"),
        ("/api/v1/users", {"zone": 2**64}, 400, "zone: Input should be less than or equal to"),
        ("/api/v1/users", {"zone": "north"}, 400, "zone: Input should be a valid integer"),
        ("/api/v1/users", {"from": 12, "to": 11}, 400, "to: must be after from (11 <= 12)"),
        ("/api/v1/users", {"from": "today"}, 400, "from: Input should be a valid integer"),
        ("/api/v1/users", {"to": 2**63}, 400, "to: Input should be less than or equal to"),
        ("/api/v1/meters", {"to": -1}, 400, "to: Input should be greater than or equal to 0"),
        ("/api/v1/meters", {"from": 5, "to": 5}, 400, "to: must be after from (5 <= 5)"),
        ("/api/v1/users", {"limit": 0}, 400, "limit: Input should be greater than or equal to 1"),
        ("/api/v1/users", {"limit": 1001}, 400, "limit: Input should be less than or equal to 1000"),
        ("/api/v1/users", {"cursor": "%%%"}, 400, "cursor: not a cursor this API gave"),
        ("/api/v1/users", {"cursor": "WzEsMiwzXQ"}, 400, "cursor: not a cursor of this list"),  # [1,2,3]
        ("/api/v1/users", {"cursor": "WyJ4IiwieCJd"}, 400, "cursor: not a cursor of this list"),  # ["x","x"]
        ("/api/v1/users/" + NOT_BASE58, {}, 400, f"address: {NOT_BASE58!r} is not base58"),
        ("/api/v1/users/" + SHORT, {}, 400, f"address: {SHORT!r} is not a 32-byte address"),
        ("/api/v1/meters", {"owner": NOT_BASE58}, 400, f"owner: {NOT_BASE58!r} is not base58"),
        ("/api/v1/meters", {"cursor": "W1tdLDFd"}, 400, "cursor: not a cursor of this list"),  # [[],1]
        ("/api/v1/meters/" + SHORT, {}, 400, f"address: {SHORT!r} is not a 32-byte address"),
        ("/api/v1/meters/" + NOT_BASE58 + "/readings", {}, 400, "address: "),
        ("/api/v1/production", {"interval": "2h"}, 400, "interval: '2h' is not one of 15m, 1h, 1d"),
        ("/api/v1/production", {"meter": SHORT}, 400, f"meter: {SHORT!r} is not a 32-byte address"),
        ("/api/v1/production", {"owner": NOT_BASE58}, 400, "owner: "),
        ("/api/v1/production", {"from": 10, "to": 10}, 400, "to: must be after from (10 <= 10)"),
        ("/api/v1/production", {"from": -5}, 400, "from: Input should be greater than or equal to 0"),
        (
            "/api/v1/production",
            {"interval": "15m", "from": 0, "to": 5000 * 900 + 1},
            400,
            "interval: 5001 intervals of 15m from 0 to 4500001; at most 5000",
        ),
        ("/api/v1/production", {"to": 2**63}, 400, "to: Input should be less than or equal to"),
    ],
)
async def test_bad_parameters_are_one_line_400s(
    api: httpx.AsyncClient, path: str, params: dict[str, object], status: int, message: str
) -> None:
    assert (await one_line_error(api, path, status, **params)).startswith(message)


async def test_a_cursor_pages_past_huge_keys_without_a_server_error(
    api: httpx.AsyncClient, db: async_sessionmaker[AsyncSession]
) -> None:
    """A cursor with an integer beyond 64 bits, or a string where the key is a number, is a 400 on both
    databases (Postgres refuses such a comparison; SQLite cannot bind it)."""
    await grid_world(db)
    import base64
    import json

    def cursor(key: list[object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")

    for key in (
        [2**64, "x"],
        ["ten", "x"],
        [True, "x"],
        [1, 2],
        [1, "\0"],
        [1, "\ud800"],
        [-(2**63) - 1, "x"],
    ):
        assert (await one_line_error(api, "/api/v1/meters", cursor=cursor(key))).startswith("cursor: ")
    page = await api.get("/api/v1/meters", params={"cursor": cursor([2**63 - 1, "z"])})
    assert len(page.json()["items"]) == 3


async def test_an_open_range_serves_the_newest_intervals_not_a_400(
    api: httpx.AsyncClient, db: async_sessionmaker[AsyncSession]
) -> None:
    """A history longer than 5,000 intervals: without ``from`` the newest 5,000 up to the last reading
    (or ``to``), with ``from`` only 5,000 from it; both given and too far apart: a 400."""
    indexer = Store(EventDecoder(default_coders()))
    await store(db, indexer, tx(registration_logs(), slot=1))
    hour = 3600
    await store(db, indexer, reading_at(0, 100, slot=2), reading_at(6000 * hour, 200, slot=3))
    newest = (await api.get("/api/v1/production", params={"interval": "1h"})).json()["series"]
    assert len(newest) == 5000
    assert (newest[0]["time"], newest[-1]["time"]) == (1001 * hour, 6000 * hour)
    assert newest[-1]["readings"] == 1 and sum(p["readings"] for p in newest) == 1
    before = (await api.get("/api/v1/production", params={"interval": "1h", "to": 5000 * hour})).json()
    assert [p["time"] for p in before["series"][:1]] == [0] and len(before["series"]) == 5000
    after = (await api.get("/api/v1/production", params={"interval": "1h", "from": 0})).json()["series"]
    assert (len(after), after[0]["time"], after[0]["readings"]) == (5000, 0, 1)
    week = (await api.get("/api/v1/production", params={"interval": "1h", "points": 168})).json()["series"]
    assert (len(week), week[0]["time"], week[-1]["readings"]) == (168, 5833 * hour, 1)
    bad = await api.get("/api/v1/production", params={"points": 5001})
    assert bad.status_code == 400 and bad.json()["error"].startswith("points: Input should be less than")
    both = await api.get("/api/v1/production", params={"interval": "1h", "from": 0, "to": 5001 * hour})
    assert both.status_code == 400 and "5001 intervals of 1h" in both.json()["error"]


def reading_at(start: int, produced_wh: int, slot: int) -> FetchedTransaction:
    """METER's reading of the window starting at ``start`` (cumulative production ``produced_wh``)."""
    coder, name, fields = reading(METER, start, produced_wh)
    return tx(invoke(REGISTRY.program_id, 1, [data_line(coder, name, fields)]), slot=slot)

"""Filling an indexer database for the API's tests through the indexer's own Store (events built from
the real IDLs' layouts, as :mod:`synthetic` does), and reading every page of a paginated endpoint."""

from __future__ import annotations

import dataclasses
from typing import Any

import httpx
from indexer_support import store
from solders.pubkey import Pubkey
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from synthetic import REGISTRY, TOKEN, data_line, invoke, tx

from solgrid.indexer.decode import EventDecoder
from solgrid.indexer.service import default_coders
from solgrid.indexer.store import FetchedTransaction, Store


def padded(text: str) -> list[int]:
    return list(text.encode().ljust(32, b"\0"))


def zone_created(zone_id: int, name: str) -> str:
    fields = {
        "zone": Pubkey.new_unique(),
        "zone_id": zone_id,
        "name": padded(name),
        "max_capacity_kw": 100 * zone_id,
        "timestamp": zone_id,
    }
    return data_line(REGISTRY, "ZoneCreated", fields)


def user_registered(user: Pubkey, authority: Pubkey, zone_id: int, role: int, at: int) -> str:
    fields = {
        "user": user,
        "authority": authority,
        "role": REGISTRY.unit_variant("UserRole", role),
        "zone_id": zone_id,
        "user_index": at,
        "timestamp": at,
    }
    return data_line(REGISTRY, "UserRegistered", fields)


def meter_registered(meter: Pubkey, owner: Pubkey, zone_id: int, at: int) -> str:
    fields = {
        "meter": meter,
        "serial": padded(f"M-{at}"),
        "owner": owner,
        "zone_id": zone_id,
        "device_key": [at % 256] * 32,
        "source": REGISTRY.unit_variant("EnergySource", 0),
        "capacity_w": 1000 * at,
        "timestamp": at,
    }
    return data_line(REGISTRY, "MeterRegistered", fields)


def reading(meter: Pubkey, start: int, production: int, consumption: int, produced: int) -> str:
    fields = {
        "meter": meter,
        "window_start": start,
        "window_end": start + 900,
        "production_wh": production,
        "consumption_wh": consumption,
        "produced_wh": produced,
        "consumed_wh": produced // 2,
    }
    return data_line(REGISTRY, "ReadingAccepted", fields)


def settled(meter: Pubkey, owner: Pubkey, amount_wh: int, total_wh: int) -> list[str]:
    """A settle_and_mint: the registry's MeterSettled (CPI) and the token's GridMinted."""
    settle = {"meter": meter, "owner": owner, "amount_wh": amount_wh, "settled_wh": total_wh}
    mint = {
        "meter": meter,
        "owner": owner,
        "destination": Pubkey.new_unique(),
        "amount_wh": amount_wh,
        "amount": amount_wh * 1_000_000,
    }
    cpi = invoke(REGISTRY.program_id, 2, [data_line(REGISTRY, "MeterSettled", settle)])
    return invoke(TOKEN.program_id, 1, [*cpi, data_line(TOKEN, "GridMinted", mint)])


def burned(holder: Pubkey, amount: int) -> list[str]:
    fields = {"holder": holder, "token_account": Pubkey.new_unique(), "amount": amount}
    return invoke(TOKEN.program_id, 1, [data_line(TOKEN, "GridBurned", fields)])


def registry_tx(lines: list[str], slot: int, block_time: int = 1_700_000_000) -> FetchedTransaction:
    return at(tx(invoke(REGISTRY.program_id, 1, lines), slot=slot), block_time)


def at(fetched: FetchedTransaction, block_time: int) -> FetchedTransaction:
    return dataclasses.replace(fetched, block_time=block_time)


async def stored(db: async_sessionmaker[AsyncSession], *txs: FetchedTransaction) -> None:
    """``txs`` stored by the indexer's Store, in one database transaction."""
    await store(db, Store(EventDecoder(default_coders())), *txs)


async def every_page(api: httpx.AsyncClient, path: str, limit: int, **params: Any) -> list[dict[str, Any]]:
    """Every item of a paginated list, ``limit`` per page, following next_cursor; each page but the last
    is full and none repeats an item."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {**params, "limit": limit, **({"cursor": cursor} if cursor else {})}
        answer = await api.get(path, params=query)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert set(body) == {"items", "next_cursor"}
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            break
        assert len(body["items"]) == limit
    return items


async def one_line_error(api: httpx.AsyncClient, path: str, expected: int = 400, /, **params: Any) -> str:
    """The error of a refused request: status ``expected``, ``{"error": "<one line>"}``."""
    answer = await api.get(path, params=params)
    assert answer.status_code == expected, answer.text
    body = answer.json()
    assert list(body) == ["error"] and "\n" not in body["error"]
    message: str = body["error"]
    return message


@dataclasses.dataclass
class GridWorld:
    """Two zones (7 north, 8 south); wallets ``a`` (a prosumer of zone 7 with meters ``m1``, ``m2``),
    ``b`` (a consumer of zone 7) and ``c`` (a prosumer of zone 8 with meter ``m3``); ``users`` are
    their User accounts. Readings of m1 (windows 0, 900, 1800, 3600: 100..400 Wh produced, 10..40
    consumed) and m3 (window 900: 50 / 5); settlements with their mints: m1 60 Wh (block time 1000,
    slot 30), m3 5 Wh (1000, slot 31), m1 40 Wh (4000, slot 32); burns: a 7 atoms (500, slot 40), c 9
    atoms (2000, slot 41)."""

    a: str
    b: str
    c: str
    users: dict[str, str]
    m1: str
    m2: str
    m3: str
    settlements: list[str]
    """Their transactions' signatures, oldest first."""
    burns: list[str]


async def grid_world(db: async_sessionmaker[AsyncSession]) -> GridWorld:
    a, b, c = (Pubkey.new_unique() for _ in range(3))
    ua, ub, uc = (Pubkey.new_unique() for _ in range(3))
    m1, m2, m3 = (Pubkey.new_unique() for _ in range(3))
    registration = registry_tx(
        [
            zone_created(7, "north"),
            zone_created(8, "south"),
            user_registered(ua, a, 7, 0, 10),
            user_registered(ub, b, 7, 1, 11),
            user_registered(uc, c, 8, 0, 12),
            meter_registered(m1, a, 7, 20),
            meter_registered(m2, a, 7, 21),
            meter_registered(m3, c, 8, 22),
        ],
        slot=5,
    )
    readings = [
        registry_tx([reading(m1, 900 * i, 100 * (i + 1), 10 * (i + 1), 100 * (i + 1) * (i + 2) // 2)], 10 + i)
        for i in range(3)
    ]
    readings.append(registry_tx([reading(m1, 3600, 400, 40, 1000)], 13))
    readings.append(registry_tx([reading(m3, 900, 50, 5, 50)], 14))
    settles = [
        at(tx(settled(m1, a, 60, 60), slot=30), 1000),
        at(tx(settled(m3, c, 5, 5), slot=31), 1000),
        at(tx(settled(m1, a, 40, 100), slot=32), 4000),
    ]
    burns = [at(tx(burned(a, 7), slot=40), 500), at(tx(burned(c, 9), slot=41), 2000)]
    await stored(db, registration, *readings, *settles, *burns)
    return GridWorld(
        str(a),
        str(b),
        str(c),
        {str(a): str(ua), str(b): str(ub), str(c): str(uc)},
        str(m1),
        str(m2),
        str(m3),
        [t.signature for t in settles],
        [t.signature for t in burns],
    )

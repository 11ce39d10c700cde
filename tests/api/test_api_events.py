"""The audit log over the API: every decoded event newest first, by program, name, transaction and slot
range; unknown programs and events are refused as the feed refuses them (SQLite and Postgres)."""

from __future__ import annotations

import httpx
import pytest
from api_data import every_page, grid_world, one_line_error
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from synthetic import REG, TOK


async def test_the_audit_log_newest_first_with_its_filters(
    api: httpx.AsyncClient, db: async_sessionmaker[AsyncSession]
) -> None:
    w = await grid_world(db)
    log = await every_page(api, "/api/v1/events", 4)
    assert len(log) == 21
    keys = [(e["slot"], e["id"]) for e in log]
    assert keys == sorted(keys, reverse=True) and len(set(keys)) == 21
    assert [e["name"] for e in log[:4]] == ["GridBurned", "GridBurned", "GridMinted", "MeterSettled"]
    assert [e["name"] for e in log[-8:]] == [
        "MeterRegistered",
        "MeterRegistered",
        "MeterRegistered",
        "UserRegistered",
        "UserRegistered",
        "UserRegistered",
        "ZoneCreated",
        "ZoneCreated",
    ]
    burn = log[0]
    assert {k: v for k, v in burn.items() if k not in ("id", "data")} == {
        "signature": w.burns[1],
        "instruction_index": 0,
        "event_index": 0,
        "slot": 41,
        "program": TOK,
        "name": "GridBurned",
        "recovered": False,
    }
    assert (burn["data"]["holder"], burn["data"]["amount"]) == (w.c, 9)

    async def names(limit: int = 2, **params: object) -> list[tuple[int, str]]:
        return [(e["slot"], e["name"]) for e in await every_page(api, "/api/v1/events", limit, **params)]

    token = [
        (41, "GridBurned"),
        (40, "GridBurned"),
        (32, "GridMinted"),
        (31, "GridMinted"),
        (30, "GridMinted"),
    ]
    assert await names(program="energy_token") == token
    assert await names(program=TOK) == token
    assert len(await names(10, program="registry")) == len(await names(10, program=REG)) == 16
    assert await names(program="trading") == []
    assert await names(name="ReadingAccepted") == [(s, "ReadingAccepted") for s in (14, 13, 12, 11, 10)]
    assert await names(program="energy_token", name="ReadingAccepted") == []
    assert await names(signature=w.settlements[0]) == [(30, "GridMinted"), (30, "MeterSettled")]
    assert await names(from_slot=30, to_slot=32) == [
        (31, "GridMinted"),
        (31, "MeterSettled"),
        (30, "GridMinted"),
        (30, "MeterSettled"),
    ]
    assert await names(from_slot=41) == [(41, "GridBurned")]
    assert len(await names(10, to_slot=10)) == 8


STRANGER = str(Pubkey.new_unique())
NOT_A_SIGNATURE = str(Keypair().pubkey())


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"program": "oracle"},
            "program: unknown program 'oracle' (programs: registry, energy_token, trading, gov",
        ),
        ({"program": STRANGER}, f"program: unknown program {STRANGER!r}"),
        (
            {"name": "Minted"},
            "name: unknown event 'Minted' (events: AuctionOrderCancelled, AuctionOrderPlaced",
        ),
        ({"signature": "0OIl"}, "signature: '0OIl' is not base58"),
        ({"signature": NOT_A_SIGNATURE}, f"signature: {NOT_A_SIGNATURE!r} is not a 64-byte signature"),
        ({"from_slot": 5, "to_slot": 5}, "to_slot: must be after from_slot (5 <= 5)"),
        ({"from_slot": -1}, "from_slot: Input should be greater than or equal to 0"),
        ({"to_slot": 2**64}, "to_slot: Input should be less than or equal to"),
        ({"to_slot": "soon"}, "to_slot: Input should be a valid integer"),
        ({"cursor": "W251bGwsMV0"}, "cursor: not a cursor of this list"),  # [null,1]
        ({"cursor": "WzEuNSwxXQ"}, "cursor: not a cursor of this list"),  # [1.5,1]
        ({"limit": 10**20}, "limit: Input should be less than or equal to 1000"),
    ],
)
async def test_bad_parameters_are_one_line_400s(
    api: httpx.AsyncClient, params: dict[str, object], message: str
) -> None:
    assert (await one_line_error(api, "/api/v1/events", **params)).startswith(message)

"""The audit log over the API: every decoded event newest first, by program, name, transaction and slot
range; unknown programs and events are refused as the feed refuses them (SQLite and Postgres)."""

from __future__ import annotations

import dataclasses

import httpx
import pytest
from api_data import burned, every_page, grid_world, one_line_error, stored
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from synthetic import REG, TOK, tx

from solgrid.indexer.models import Event, Market, Transaction


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


async def test_the_audit_log_by_block_time_meter_owner_and_zone(
    api: httpx.AsyncClient, db: async_sessionmaker[AsyncSession]
) -> None:
    """``from`` / ``to`` on the transaction's block time (one without a block time is in no range);
    ``meter`` the event's meter field; ``owner`` a wallet or User account in a user field or owning the
    event's meter; ``zone`` the event's zone_id, else its meter's or its user's zone. Every list is read
    2 and 3 rows a page: the same rows, none repeated or skipped."""
    w = await grid_world(db)
    undated = dataclasses.replace(tx(burned(Pubkey.from_string(w.b), 3), slot=50), block_time=None)
    await stored(db, undated)

    async def names(**params: object) -> list[tuple[int, str]]:
        pages = [
            [(e["slot"], e["name"]) for e in await every_page(api, "/api/v1/events", limit, **params)]
            for limit in (2, 3)
        ]
        assert pages[0] == pages[1] and len(set(pages[0])) <= len(pages[0])
        return pages[0]

    assert len(await names()) == 22
    assert await names(**{"from": 1000, "to": 2000}) == [
        (31, "GridMinted"),
        (31, "MeterSettled"),
        (30, "GridMinted"),
        (30, "MeterSettled"),
    ]
    assert await names(**{"from": 500, "to": 1000}) == [(40, "GridBurned")]
    assert await names(**{"to": 1_000_000}) == [
        (41, "GridBurned"),
        (40, "GridBurned"),
        (32, "GridMinted"),
        (32, "MeterSettled"),
        (31, "GridMinted"),
        (31, "MeterSettled"),
        (30, "GridMinted"),
        (30, "MeterSettled"),
    ]
    assert len(await names(**{"from": 0})) == 21  # all but the undated burn
    assert await names(**{"from": 1_700_000_000}) == [
        *((s, "ReadingAccepted") for s in (14, 13, 12, 11, 10)),
        *[(5, "MeterRegistered")] * 3,
        *[(5, "UserRegistered")] * 3,
        *[(5, "ZoneCreated")] * 2,
    ]
    m1_events = [
        (32, "GridMinted"),
        (32, "MeterSettled"),
        (30, "GridMinted"),
        (30, "MeterSettled"),
        *((s, "ReadingAccepted") for s in (13, 12, 11, 10)),
        (5, "MeterRegistered"),
    ]
    assert await names(meter=w.m1) == m1_events
    assert await names(meter=w.m2) == [(5, "MeterRegistered")]
    assert await names(meter=w.a) == []
    # a's events: as user authority, meter owner, settled owner, burn holder; and its meters' readings
    assert await names(owner=w.a) == [
        (40, "GridBurned"),
        *m1_events[:-1],
        *[(5, "MeterRegistered")] * 2,
        (5, "UserRegistered"),
    ]
    assert await names(owner=w.users[w.a]) == [(5, "UserRegistered")]
    assert await names(owner=w.b) == [(50, "GridBurned"), (5, "UserRegistered")]
    c_events = [
        (41, "GridBurned"),
        (31, "GridMinted"),
        (31, "MeterSettled"),
        (14, "ReadingAccepted"),
        (5, "MeterRegistered"),
        (5, "UserRegistered"),
    ]
    assert await names(owner=w.c) == c_events
    assert await names(owner=w.m1) == []
    zone_7 = [
        (50, "GridBurned"),  # by b's wallet, whose User is in zone 7
        (40, "GridBurned"),
        *m1_events[:-1],
        *[(5, "MeterRegistered")] * 2,
        *[(5, "UserRegistered")] * 2,
        (5, "ZoneCreated"),
    ]
    assert await names(zone=7) == zone_7
    assert await names(zone=8) == [
        *c_events[:4],
        (5, "MeterRegistered"),
        (5, "UserRegistered"),
        (5, "ZoneCreated"),
    ]
    assert await names(zone=9) == []
    assert await names(zone=7, owner=w.b) == [(50, "GridBurned"), (5, "UserRegistered")]
    assert await names(zone=7, meter=w.m1, **{"from": 1000, "to": 5000}) == m1_events[:4]
    assert await names(owner=w.c, program="energy_token", from_slot=41) == [(41, "GridBurned")]


GOVERNANCE = str(Pubkey.new_unique())


async def logged(
    db: async_sessionmaker[AsyncSession], program: str, events: list[tuple[str, dict[str, object]]]
) -> None:
    """``events`` in the audit log at slots 1, 2, ... (one transaction each, block time = slot)."""
    async with db() as session, session.begin():
        for slot, (name, data) in enumerate(events, start=1):
            signature = str(Keypair().sign_message(bytes([slot])))
            session.add(
                Transaction(signature=signature, slot=slot, block_time=slot, succeeded=True, event_count=1)
            )
            await session.flush()
            session.add(
                Event(
                    signature=signature,
                    instruction_index=0,
                    event_index=0,
                    slot=slot,
                    program=program,
                    name=name,
                    data=data,
                )
            )


async def test_a_trading_event_without_a_zone_is_in_its_markets(
    api: httpx.AsyncClient, db: async_sessionmaker[AsyncSession]
) -> None:
    market, unknown, trader = (str(Pubkey.new_unique()) for _ in range(3))
    async with db() as session, session.begin():
        keys = {k: str(Pubkey.new_unique()) for k in ("base_mint", "quote_mint", "base_vault", "quote_vault")}
        session.add(
            Market(
                address=market,
                zone_id=3,
                **keys,
                fee_recipient=trader,
                tick_size=1,
                lot_size_wh=1,
                min_order_lots=1,
                taker_fee_bps=0,
                maker_fee_bps=0,
                max_orders_per_epoch=0,
                status="Active",
                signature=str(Keypair().sign_message(b"m")),
                created_slot=0,
                created_at=0,
                updated_slot=0,
                updated_at=0,
            )
        )
    events = [
        ("OrderPlaced", {"market": market, "trader": trader}),
        ("OrderPlaced", {"market": unknown, "trader": trader}),
        ("EpochCleared", {"market": market, "zone_id": 4}),  # its own zone first
        ("ZoneCreated", {"zone_id": 2**32 - 1}),  # a u32 beyond a 32-bit signed integer
    ]
    await logged(db, str(Pubkey.new_unique()), events)

    async def slots(zone: int) -> list[int]:
        return [e["slot"] for e in await every_page(api, "/api/v1/events", 1, zone=zone)]

    assert await slots(3) == [1]
    assert await slots(4) == [3]
    assert await slots(5) == []
    assert await slots(2**32 - 1) == [4]


async def test_the_owner_filter_reads_every_user_field_of_the_feed(
    api: httpx.AsyncClient, db: async_sessionmaker[AsyncSession]
) -> None:
    """Proposal and certificate events name their users in fields of their own (proposer, cancelled_by,
    new_owner, issuer, a retirement's beneficiary): the audit log finds them as the feed's user topic
    does. The events are written as the indexer writes them (their decoded fields as JSON)."""
    keys = {
        n: str(Pubkey.new_unique()) for n in ("proposer", "canceller", "recipient", "issuer", "beneficiary")
    }
    datas = [
        ("ProposalCreated", {"proposal": str(Pubkey.new_unique()), "proposer": keys["proposer"], "id": 1}),
        ("ProposalCancelled", {"proposal": str(Pubkey.new_unique()), "cancelled_by": keys["canceller"]}),
        ("CertificateSplit", {"owner": keys["proposer"], "new_owner": keys["recipient"]}),
        ("CertificateValidated", {"certificate": str(Pubkey.new_unique()), "issuer": keys["issuer"]}),
        (
            "CertificateRetired",
            {"owner": keys["recipient"], "retirement": {"beneficiary": keys["beneficiary"]}},
        ),
    ]
    await logged(db, GOVERNANCE, datas)

    async def slots(owner: str) -> list[int]:
        return [e["slot"] for e in await every_page(api, "/api/v1/events", 1, owner=owner)]

    assert await slots(keys["proposer"]) == [3, 1]
    assert await slots(keys["canceller"]) == [2]
    assert await slots(keys["recipient"]) == [5, 3]
    assert await slots(keys["issuer"]) == [4]
    assert await slots(keys["beneficiary"]) == [5]
    assert await slots(str(Pubkey.new_unique())) == []


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
        ({"from": 5, "to": 5}, "to: must be after from (5 <= 5)"),
        ({"from": -1}, "from: Input should be greater than or equal to 0"),
        ({"to": "noon"}, "to: Input should be a valid integer"),
        ({"meter": "0OIl"}, "meter: '0OIl' is not base58"),
        ({"meter": "1" * 45}, "meter: 45 characters is not a 32-byte address"),
        ({"owner": "abc"}, "owner: 'abc' is not a 32-byte address"),
        ({"owner": ""}, "owner: '' is not a 32-byte address"),
        ({"zone": -1}, "zone: Input should be greater than or equal to 0"),
        ({"zone": 2**64}, "zone: Input should be less than or equal to"),
        ({"zone": "north"}, "zone: Input should be a valid integer"),
        ({"cursor": "W251bGwsMV0"}, "cursor: not a cursor of this list"),  # [null,1]
        ({"cursor": "WzEuNSwxXQ"}, "cursor: not a cursor of this list"),  # [1.5,1]
        ({"limit": 10**20}, "limit: Input should be less than or equal to 1000"),
    ],
)
async def test_bad_parameters_are_one_line_400s(
    api: httpx.AsyncClient, params: dict[str, object], message: str
) -> None:
    assert (await one_line_error(api, "/api/v1/events", **params)).startswith(message)

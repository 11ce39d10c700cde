"""Decoding positions, idempotent writes, truncated logs and the gap-safe checkpoint, on both backends."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from solders.pubkey import Pubkey
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from synthetic import REGISTRY, TOKEN, FakeChain, data_line, invoke, reading, tx

from solgrid.indexer import backfill
from solgrid.indexer.backfill import catch_up
from solgrid.indexer.db import create_engine, migrate, sessions
from solgrid.indexer.decode import EventDecoder
from solgrid.indexer.models import (
    Alert,
    Base,
    Checkpoint,
    Event,
    GridZone,
    Meter,
    MeterReading,
    Settlement,
    TokenMint,
    Transaction,
    User,
)
from solgrid.indexer.store import Store

OWNER = Pubkey.new_unique()
METER = Pubkey.new_unique()
ZONE = Pubkey.new_unique()
USER = Pubkey.new_unique()
REG = str(REGISTRY.program_id)


def registration_logs() -> list[str]:
    zone = {
        "zone": ZONE,
        "zone_id": 7,
        "name": list(b"north".ljust(32, b"\0")),
        "max_capacity_kw": 500,
        "timestamp": 1,
    }
    user = {
        "user": USER,
        "authority": OWNER,
        "role": REGISTRY.unit_variant("UserRole", 0),
        "zone_id": 7,
        "user_index": 0,
        "timestamp": 2,
    }
    meter = {
        "meter": METER,
        "serial": list(b"M-1".ljust(32, b"\0")),
        "owner": OWNER,
        "zone_id": 7,
        "device_key": [3] * 32,
        "source": REGISTRY.unit_variant("EnergySource", 0),
        "capacity_w": 5000,
        "timestamp": 3,
    }
    return [
        *invoke(REGISTRY.program_id, 1, [data_line(REGISTRY, "ZoneCreated", zone)]),
        *invoke(
            REGISTRY.program_id,
            1,
            [data_line(REGISTRY, "UserRegistered", user), data_line(REGISTRY, "MeterRegistered", meter)],
        ),
    ]


def settle_logs() -> list[str]:
    settled = {"meter": METER, "owner": OWNER, "amount_wh": 60, "settled_wh": 60}
    minted = {
        "meter": METER,
        "owner": OWNER,
        "destination": Pubkey.new_unique(),
        "amount_wh": 60,
        "amount": 60_000,
    }
    cpi = invoke(REGISTRY.program_id, 2, [data_line(REGISTRY, "MeterSettled", settled)])
    return invoke(TOKEN.program_id, 1, [*cpi, data_line(TOKEN, "GridMinted", minted)])


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(db_url)
    await migrate(engine)
    yield sessions(engine)
    await engine.dispose()


async def counts(db: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    async with db() as s:
        return {
            t.name: int(await s.scalar(select(func.count()).select_from(t)) or 0)
            for t in Base.metadata.sorted_tables
        }


async def store(db: async_sessionmaker[AsyncSession], store_: Store, *txs: Any) -> list[Any]:
    async with db() as s, s.begin():
        return await store_.store(s, list(txs))


async def test_events_are_positioned_projected_and_stored_once(db: async_sessionmaker[AsyncSession]) -> None:
    s = Store(EventDecoder([REGISTRY, TOKEN]))
    reg = tx(registration_logs(), slot=5)
    readings = tx(
        invoke(
            REGISTRY.program_id,
            1,
            [
                data_line(
                    *reading(METER, 600 * i, 100 * (i + 1))[:2], reading(METER, 600 * i, 100 * (i + 1))[2]
                )
                for i in range(3)
            ],
        ),
        slot=6,
    )
    settle = tx(settle_logs(), slot=7)
    first = await store(db, s, reg, readings, settle)
    assert [(e.name, e.instruction_index, e.event_index) for e in first] == [
        ("ZoneCreated", 0, 0),
        ("UserRegistered", 1, 0),
        ("MeterRegistered", 1, 1),
        ("ReadingAccepted", 0, 0),
        ("ReadingAccepted", 0, 1),
        ("ReadingAccepted", 0, 2),
        ("MeterSettled", 0, 0),
        ("GridMinted", 0, 1),
    ]
    assert first[3].zone == 7 and first[3].meter == str(METER)  # zone topic via the meter
    assert first[7].users == {str(OWNER)}
    before = await counts(db)
    assert await store(db, s, reg, readings, settle) == []
    assert await store(db, Store(EventDecoder([REGISTRY, TOKEN])), settle) == []  # a fresh process too
    assert await counts(db) == before
    assert before["events"] == 8 and before["meter_readings"] == 3 and before["transactions"] == 3
    async with db() as session:
        meter = await session.scalar(select(Meter))
        assert meter is not None
        assert (meter.serial, meter.zone_id, meter.source, meter.status) == ("M-1", 7, "Solar", "Pending")
        assert (int(meter.produced_wh), int(meter.consumed_wh), int(meter.settled_wh)) == (300, 120, 60)
        zone = await session.scalar(select(GridZone))
        user = await session.scalar(select(User))
        assert zone is not None and user is not None
        assert (zone.name, user.role, user.authority) == ("north", "Prosumer", str(OWNER))
        mint = await session.scalar(select(TokenMint))
        settlement = await session.scalar(select(Settlement))
        assert mint is not None and settlement is not None
        assert (int(mint.amount), mint.instruction_index, mint.event_index) == (60_000, 0, 1)
        assert int(settlement.settled_wh) == 60
        windows = await session.scalars(select(MeterReading.window_start).order_by(MeterReading.window_start))
        assert list(windows) == [0, 600, 1200]


async def test_data_logged_by_another_program_and_failed_transactions_are_not_events(
    db: async_sessionmaker[AsyncSession],
) -> None:
    s = Store(EventDecoder([REGISTRY, TOKEN]))
    forged_line = data_line(*reading(METER, 0, 100)[:2], reading(METER, 0, 100)[2])
    forged = tx(invoke(Pubkey.new_unique(), 1, [forged_line]))
    failed = tx(invoke(REGISTRY.program_id, 1, [forged_line]), succeeded=False)
    assert await store(db, s, forged, failed) == []
    n = await counts(db)
    assert (n["transactions"], n["events"], n["meter_readings"]) == (2, 0, 0)


async def test_truncated_logs_keep_the_surviving_events_and_raise_an_alert(
    db: async_sessionmaker[AsyncSession],
) -> None:
    s = Store(EventDecoder([REGISTRY, TOKEN]))
    lines = [
        data_line(*reading(METER, 600 * i, 100 * (i + 1))[:2], reading(METER, 600 * i, 100 * (i + 1))[2])
        for i in range(2)
    ]
    logs = [f"Program {REGISTRY.program_id} invoke [1]", *lines, "Log truncated"]
    cut = tx(logs)
    stored = await store(db, s, cut)
    assert len(stored) == 2
    async with db() as session:
        row = await session.get(Transaction, cut.signature)
        assert row is not None and row.logs_truncated and row.event_count == 2
        alerts = list(await session.scalars(select(Alert)))
        assert [(a.signature, a.kind) for a in alerts] == [(cut.signature, "logs_truncated")]
        assert cut.signature in alerts[0].message
    assert await store(db, s, cut) == []
    assert (await counts(db))["alerts"] == 1


async def test_checkpoint_never_moves_past_a_transaction_that_cannot_be_fetched(
    db: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(backfill, "STORE_PAGE", 2)
    monkeypatch.setattr(backfill, "SIGNATURE_PAGE", 3)  # exercise paging of the signature list too
    s = Store(EventDecoder([REGISTRY, TOKEN]))
    history = [tx(registration_logs(), slot=1)] + [
        tx(
            invoke(
                REGISTRY.program_id,
                1,
                [
                    data_line(
                        *reading(METER, 600 * i, 100 * (i + 1))[:2], reading(METER, 600 * i, 100 * (i + 1))[2]
                    )
                ],
            ),
            slot=2 + i,
        )
        for i in range(6)
    ]
    chain = FakeChain({REG: history}, missing={history[4].signature})
    published: list[str] = []

    async def publish(events: Any) -> None:
        published.extend(e.signature for e in events)

    assert await catch_up(chain, db, s, REG, publish) == 4
    async with db() as session:
        checkpoint = await session.get(Checkpoint, REG)
        assert checkpoint is not None and checkpoint.signature == history[3].signature
    assert (await counts(db))["transactions"] == 4

    chain.missing.clear()
    assert await catch_up(chain, db, s, REG, publish) == 3
    assert await catch_up(chain, db, s, REG, publish) == 0
    async with db() as session:
        checkpoint = await session.get(Checkpoint, REG)
        assert checkpoint is not None and checkpoint.signature == history[-1].signature
        order = list(await session.scalars(select(Event.signature).order_by(Event.id)))
    n = await counts(db)
    assert (n["transactions"], n["meter_readings"]) == (7, 6)
    assert order == published  # the feed saw exactly what was committed, in chain order
    assert [sig for sig in dict.fromkeys(order)] == [t.signature for t in history]

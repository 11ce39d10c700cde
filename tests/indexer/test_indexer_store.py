"""Decoding positions, idempotent writes, truncated logs and the gap-safe checkpoint, on both backends."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from indexer_support import counts, store
from solders.pubkey import Pubkey
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from synthetic import (
    METER,
    OWNER,
    REG,
    REGISTRY,
    TOKEN,
    USER,
    FakeChain,
    data_line,
    invoke,
    reading,
    reading_tx,
    registration_logs,
    settle_logs,
    tx,
)

from solgrid.indexer import backfill
from solgrid.indexer.backfill import Holes, catch_up
from solgrid.indexer.decode import EventDecoder
from solgrid.indexer.models import (
    Alert,
    Burn,
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
    assert first[3].users == {str(OWNER)}  # and user topic via the meter's owner
    assert first[7].users == {str(OWNER)}
    before = await counts(db)
    assert await store(db, s, reg, readings, settle) == []
    assert await store(db, Store(EventDecoder([REGISTRY, TOKEN])), settle) == []  # a fresh process too
    assert await counts(db) == before
    assert before["events"] == 8 and before["meter_readings"] == 3 and before["transactions"] == 3
    async with db() as session:
        meter = await session.scalar(select(Meter))
        assert meter is not None
        assert (meter.serial, meter.zone_id, meter.source, meter.status) == ("M-1", 7, "Solar", "Inactive")
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
        assert (
            "not rebuilt: all after the cut: the transaction's instructions are unknown" in alerts[0].message
        )
    assert await store(db, s, cut) == []
    assert (await counts(db))["alerts"] == 1


async def test_a_second_indexer_storing_the_same_transactions_changes_nothing(
    db: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two indexers on one database: the second checked `indexed` before the first committed, so its
    inserts meet rows that are already there. It stores only what is really new, without an error."""
    first, second = Store(EventDecoder([REGISTRY, TOKEN])), Store(EventDecoder([REGISTRY, TOKEN]))
    cut = tx([f"Program {REGISTRY.program_id} invoke [1]", "Log truncated"], slot=2)
    page = [tx(registration_logs(), slot=1), cut, reading_tx(0, 3)]
    await store(db, first, *page[:2])
    before = await counts(db)

    async def saw_nothing(session: AsyncSession, signatures: Any) -> set[str]:
        return set()

    monkeypatch.setattr(second, "indexed", saw_nothing)
    stored = await store(db, second, *page)
    assert [(e.signature, e.name) for e in stored] == [(page[2].signature, "ReadingAccepted")]
    after = await counts(db)
    assert after == {
        **before,
        "transactions": before["transactions"] + 1,
        "events": before["events"] + 1,
        "meter_readings": 1,
    }
    assert after["alerts"] == 1  # the truncated transaction's alert was not written twice
    async with db() as session:
        meter = await session.scalar(select(Meter))
        assert meter is not None and int(meter.produced_wh) == 100


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


async def checkpoint_signature(db: async_sessionmaker[AsyncSession]) -> str | None:
    async with db() as session:
        checkpoint = await session.get(Checkpoint, REG)
        return None if checkpoint is None else checkpoint.signature


async def test_a_hole_that_never_fills_is_reported_once_and_still_holds_the_checkpoint(
    db: async_sessionmaker[AsyncSession], caplog: pytest.LogCaptureFixture
) -> None:
    history = [tx(registration_logs(), slot=1), reading_tx(0, 2), reading_tx(1, 3)]
    chain = FakeChain({REG: history}, missing={history[1].signature})
    s, holes = Store(EventDecoder([REGISTRY, TOKEN])), Holes(alert_after=3)

    async def unfetchable() -> list[Alert]:
        async with db() as session:
            return list(await session.scalars(select(Alert).where(Alert.kind == "unfetchable")))

    with caplog.at_level(logging.WARNING, logger=backfill.__name__):
        for attempt in range(1, 6):
            assert await catch_up(chain, db, s, REG, holes=holes) == (1 if attempt == 1 else 0)
            assert len(await unfetchable()) == (0 if attempt < 3 else 1)
        assert await catch_up(chain, db, Store(EventDecoder([REGISTRY, TOKEN])), REG, holes=Holes(1)) == 0
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2 and all(history[1].signature in w for w in warnings)
    alerts = await unfetchable()
    assert [a.signature for a in alerts] == [history[1].signature]  # a restart does not repeat it
    assert "could not be fetched in 3 catch-ups" in alerts[0].message
    assert await checkpoint_signature(db) == history[0].signature  # never past the hole

    chain.missing.clear()
    assert await catch_up(chain, db, s, REG, holes=holes) == 2
    assert holes.attempts == {}
    assert await checkpoint_signature(db) == history[2].signature


async def test_a_meter_registered_after_its_settlement_was_stored_starts_from_it(
    db: async_sessionmaker[AsyncSession],
) -> None:
    """The registry catch-up stops at a hole before MeterRegistered; the energy_token catch-up goes on
    and stores transactions both programs list (a reading batch with a burn, a settle_and_mint). When
    the hole fills, the meter's counters must include them although they are never projected again."""
    s = Store(EventDecoder([REGISTRY, TOKEN]))
    coder, name, fields = reading(METER, 0, 100)
    burned = {"holder": OWNER, "token_account": Pubkey.new_unique(), "amount": 5}
    mixed = tx(
        [
            *invoke(REGISTRY.program_id, 1, [data_line(coder, name, fields)]),
            *invoke(TOKEN.program_id, 1, [data_line(TOKEN, "GridBurned", burned)]),
        ],
        slot=2,
    )
    reg, settle = tx(registration_logs(), slot=1), tx(settle_logs(), slot=3)
    tok = str(TOKEN.program_id)
    chain = FakeChain({REG: [reg, mixed, settle], tok: [mixed, settle]}, missing={reg.signature})
    assert await catch_up(chain, db, s, REG) == 0
    assert await catch_up(chain, db, s, tok) == 2
    chain.missing.clear()
    assert await catch_up(chain, db, s, REG) == 1
    async with db() as session:
        meter = await session.scalar(select(Meter))
        assert meter is not None
        assert (int(meter.produced_wh), int(meter.consumed_wh), int(meter.settled_wh)) == (100, 40, 60)
    n = await counts(db)
    assert (n["transactions"], n["meter_readings"], n["settlements"]) == (3, 1, 1)


async def test_a_transaction_that_appears_late_in_an_older_slot_is_still_indexed(
    db: async_sessionmaker[AsyncSession],
) -> None:
    """Reading at `confirmed`, a fork switch can reveal a transaction in a slot older than ones already
    indexed. The checkpoint stays at the finalized slot, so the next catch-up lists it (and fetches
    only it)."""
    s = Store(EventDecoder([REGISTRY, TOKEN]))
    history = [tx(registration_logs(), slot=1), reading_tx(0, 2), reading_tx(1, 3), reading_tx(3, 6)]
    chain = FakeChain({REG: history}, final=3)
    assert await catch_up(chain, db, s, REG) == 4
    assert await checkpoint_signature(db) == history[2].signature  # slot 3: the newest final one

    late = reading_tx(2, 5)
    history.append(late)  # now visible, in slot 5 < slot 6 already indexed
    chain.fetched.clear()
    assert await catch_up(chain, db, s, REG) == 1
    assert chain.fetched == [late.signature]  # slot 6 was re-listed but not fetched again
    assert chain.listed_until[-1] == history[2].signature

    chain.final = 6
    chain.fetched.clear()
    assert await catch_up(chain, db, s, REG) == 0
    assert chain.fetched == []
    assert await checkpoint_signature(db) == history[3].signature
    n = await counts(db)
    assert (n["transactions"], n["events"], n["meter_readings"]) == (5, 7, 4)
    async with db() as session:
        meter = await session.scalar(select(Meter))
        assert meter is not None and int(meter.produced_wh) == 400  # the late, lower total did not win


async def test_a_restart_resumes_from_the_checkpoint(db: async_sessionmaker[AsyncSession]) -> None:
    history = [tx(registration_logs(), slot=1), reading_tx(0, 2), reading_tx(1, 3)]
    chain = FakeChain({REG: history})
    assert await catch_up(chain, db, Store(EventDecoder([REGISTRY, TOKEN])), REG) == 3
    history += [reading_tx(2, 4), reading_tx(3, 5)]
    chain.fetched.clear()
    restarted = Store(EventDecoder([REGISTRY, TOKEN]))  # a new process: only the database remembers
    assert await catch_up(chain, db, restarted, REG) == 2
    assert chain.listed_until[-1] == history[2].signature
    assert chain.fetched == [history[3].signature, history[4].signature]
    assert await checkpoint_signature(db) == history[4].signature


async def test_u64_amounts_are_exact(db: async_sessionmaker[AsyncSession], db_url: str) -> None:
    """Token amounts beyond 2**53 survive exactly (a float would round them); on SQLite, whose integers
    are signed 64-bit, a u64 above 2**63 - 1 is stored approximately rather than failing the batch."""
    amounts = [2**53 + 1, 2**63 - 1, 2**64 - 1]
    burns = [{"holder": OWNER, "token_account": Pubkey.new_unique(), "amount": amount} for amount in amounts]
    s = Store(EventDecoder([REGISTRY, TOKEN]))
    await store(db, s, tx(invoke(TOKEN.program_id, 1, [data_line(TOKEN, "GridBurned", b) for b in burns])))
    async with db() as session:
        stored = list(await session.scalars(select(Burn.amount).order_by(Burn.event_index)))
        logged = [e.data["amount"] for e in await session.scalars(select(Event).order_by(Event.event_index))]
    assert logged == amounts  # the audit log's JSON is exact on both backends
    assert stored[:2] == amounts[:2] and all(type(a) is int for a in stored)
    if db_url.startswith("sqlite"):
        assert stored[2] == int(float(amounts[2]))
    else:
        assert stored[2] == amounts[2]


async def test_status_changes_and_key_rotation_update_the_meter(db: async_sessionmaker[AsyncSession]) -> None:
    s = Store(EventDecoder([REGISTRY, TOKEN]))
    await store(db, s, tx(registration_logs(), slot=1))
    status = REGISTRY.unit_variant
    changed = {
        "meter": METER,
        "regulator": Pubkey.new_unique(),
        "old_status": status("MeterStatus", 0),
        "new_status": status("MeterStatus", 1),
        "last_window_end": 0,
    }
    rotated = {"meter": METER, "old_key": [3] * 32, "new_key": list(bytes(OWNER))}
    lines = [
        data_line(REGISTRY, "MeterStatusChanged", changed),
        data_line(REGISTRY, "DeviceKeyRotated", rotated),
    ]
    events = await store(db, s, tx(invoke(REGISTRY.program_id, 1, lines), slot=2))
    assert [e.name for e in events] == ["MeterStatusChanged", "DeviceKeyRotated"]
    assert events[1].users == {str(OWNER)} and events[1].zone == 7
    async with db() as session:
        meter = await session.scalar(select(Meter))
        assert meter is not None and (meter.status, meter.device_key) == ("Active", str(OWNER))


async def test_user_events_carry_the_users_zone(db: async_sessionmaker[AsyncSession]) -> None:
    """UserStatusChanged names the User PDA, GridBurned the holder's wallet; neither has a zone_id or a
    meter, so the zone comes from the user (registered in zone 7), also for a fresh store."""
    await store(db, Store(EventDecoder([REGISTRY, TOKEN])), tx(registration_logs(), slot=1))
    verified = {
        "user": USER,
        "authority": OWNER,
        "regulator": Pubkey.new_unique(),
        "old_status": REGISTRY.unit_variant("UserStatus", 0),
        "new_status": REGISTRY.unit_variant("UserStatus", 1),
        "timestamp": 5,
    }
    lines = [
        *invoke(REGISTRY.program_id, 1, [data_line(REGISTRY, "UserStatusChanged", verified)]),
        *invoke(
            TOKEN.program_id,
            1,
            [
                data_line(
                    TOKEN, "GridBurned", {"holder": h, "token_account": Pubkey.new_unique(), "amount": 1}
                )
                for h in (OWNER, Pubkey.new_unique())
            ],
        ),
    ]
    events = await store(db, Store(EventDecoder([REGISTRY, TOKEN])), tx(lines, slot=2))
    assert [(e.name, e.zone) for e in events] == [
        ("UserStatusChanged", 7),
        ("GridBurned", 7),
        ("GridBurned", None),  # a holder with no User
    ]


def test_instruction_index_is_the_message_index_even_after_a_silent_precompile() -> None:
    """Ed25519 signature checks log no `invoke [1]`; the index still counts them, as the message does."""
    ed25519, budget = (
        "Ed25519SigVerify111111111111111111111111111",
        "ComputeBudget111111111111111111111111111111",
    )
    coder, name, fields = reading(METER, 0, 100)
    logs = [*invoke(budget, 1, []), *invoke(REGISTRY.program_id, 1, [data_line(coder, name, fields)] * 2)]
    decoder = EventDecoder([REGISTRY, TOKEN])
    message = (ed25519, budget, ed25519, REG)
    assert [(e.instruction_index, e.event_index) for e in decoder.decode_logs(logs, message).events] == [
        (3, 0),
        (3, 1),
    ]
    assert [e.instruction_index for e in decoder.decode_logs(logs).events] == [1, 1]  # message unknown
    disagreeing = (budget, ed25519)  # no registry instruction: positions stay unique and increasing
    assert [e.instruction_index for e in decoder.decode_logs(logs, disagreeing).events] == [1, 1]

"""Events that arrive as self-CPIs (Anchor's ``emit_cpi``): read from the inner instructions of the
transaction getTransaction returns, placed among the logged events of the same top-level instruction
in execution order, never forged by another program, and complete when the logs are truncated.

The transactions are hand-built getTransaction results (``tests/cpi_transactions.py``) whose events
anchorpy encodes from the test-only IDL ``tests/fills_idl.json``; they go through the indexer's own
reading of a getTransaction result (``fetched_transaction``)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from indexer_support import store
from solders.instruction import Instruction
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from synthetic import OWNER, REGISTRY, TOKEN, ZONE, data_line, signature

from cpi_transactions import (
    AUTHORITY,
    BOOK,
    COMPUTE_BUDGET,
    FILLS,
    FILLS_ID,
    MAKER_A,
    MAKER_B,
    TOKEN_PROGRAM,
    TRADER,
    Ix,
    TransactionJson,
    cpi_lines,
    emit,
    event_data,
    filled,
    match_orders,
    place_order,
    placed,
    runs,
    token_transfer,
)
from solgrid.indexer import store as store_module
from solgrid.indexer.chain import fetched_transaction
from solgrid.indexer.decode import EventDecoder
from solgrid.indexer.models import Alert, Event, Transaction
from solgrid.indexer.recover import EventRecoverer
from solgrid.indexer.store import FetchedTransaction, Store
from solgrid.sdk.energy_token import EnergyTokenClient

CODERS = [REGISTRY, TOKEN, FILLS]
MEMO = "MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr"
OTHER = "BPFLoaderUpgradeab1e11111111111111111111111"
"""Any program that is not ``fills`` (its inner instructions forge ``fills`` events)."""
ZONE_CREATED = {
    "zone": ZONE,
    "zone_id": 9,
    "name": list(b"west".ljust(32, b"\0")),
    "max_capacity_kw": 1,
    "timestamp": 5,
}


def note(seq: int) -> str:
    return data_line(FILLS, "BookNote", {"seq": seq})


def fetched(result: dict[str, Any]) -> FetchedTransaction:
    return fetched_transaction(signature(), result)


def positions(events: list[Any]) -> list[tuple[int, int, str]]:
    return [(e.instruction_index, e.event_index, e.name) for e in events]


def ix_of(instruction: Instruction) -> Ix:
    return Ix(
        str(instruction.program_id), [str(a.pubkey) for a in instruction.accounts], bytes(instruction.data)
    )


def interleaved() -> FetchedTransaction:
    """A compute-budget instruction, then ``match_orders``, which logs a note, emits OrderPlaced, makes
    a token transfer, logs a note, calls the registry (which logs ZoneCreated), emits OrderFilled (two
    fills) and logs a last note."""
    tx = (
        TransactionJson()
        .add(Ix(COMPUTE_BUDGET, [], bytes([2]) + (400_000).to_bytes(4, "little")))
        .add(
            match_orders(),
            emit("OrderPlaced", placed(1)),
            token_transfer(),
            Ix(str(REGISTRY.program_id), [BOOK], b"\x09", 2),
            emit("OrderFilled", filled((MAKER_A, 3), (MAKER_B, 4))),
        )
    )
    logs = runs(
        (COMPUTE_BUDGET, []),
        (
            FILLS_ID,
            [
                note(0),
                *cpi_lines(FILLS_ID),
                *cpi_lines(TOKEN_PROGRAM, body=["Program log: Instruction: Transfer"]),
                note(1),
                *cpi_lines(REGISTRY.program_id, body=[data_line(REGISTRY, "ZoneCreated", ZONE_CREATED)]),
                *cpi_lines(FILLS_ID),
                note(2),
            ],
        ),
    )
    return fetched(tx.result(logs))


async def test_cpi_events_are_stored_in_execution_order_among_logged_ones(
    db: async_sessionmaker[AsyncSession],
) -> None:
    """Each self-CPI event sits where its ``invoke [2]`` line is among the instruction's log lines,
    whoever logged the other events (the program itself or the registry it called)."""
    tx = interleaved()
    events = await store(db, Store(EventDecoder(CODERS)), tx)
    expected = [
        (1, 0, "BookNote"),
        (1, 1, "OrderPlaced"),
        (1, 2, "BookNote"),
        (1, 3, "ZoneCreated"),
        (1, 4, "OrderFilled"),
        (1, 5, "BookNote"),
    ]
    assert positions(events) == expected
    async with db() as session:
        rows = list(await session.scalars(select(Event).order_by(Event.instruction_index, Event.event_index)))
        row = await session.get(Transaction, tx.signature)
    assert positions(rows) == expected
    assert [r.data.get("seq") for r in rows if r.name == "BookNote"] == [0, 1, 2]
    assert rows[1].data == {"order_id": 1, "trader": TRADER, "price": 7, "quantity": 101}
    assert rows[4].data == {
        "taker": TRADER,
        "fills": [
            {"maker": MAKER_A, "maker_order_id": 3, "price": 7, "quantity": 10},
            {"maker": MAKER_B, "maker_order_id": 4, "price": 7, "quantity": 20},
        ],
    }
    assert {r.program for r in rows} == {FILLS_ID, str(REGISTRY.program_id)}
    assert not any(r.recovered for r in rows)
    assert row is not None and row.event_count == 6 and not row.logs_truncated


def test_without_cpi_events_the_logged_positions_are_unchanged() -> None:
    """A decoder that does not know ``fills`` sees only the registry's logged event, at the position
    the logs alone give (the self-CPIs of a program it does not index take no place)."""
    tx = interleaved()
    decoder = EventDecoder([REGISTRY, TOKEN])
    assert tx.execution is not None and decoder.cpi_events(tx.execution.instructions) == []
    recovered = EventRecoverer(decoder.coders).recover(
        decoder.decode_logs(tx.logs, tx.instruction_programs), tx.execution
    )
    assert positions(recovered.events) == [(1, 0, "ZoneCreated")]


def test_forged_events_are_not_indexed() -> None:
    """Wrong first account, the tag as a top-level instruction, ``fills``' event instruction invoked by
    another program, another program's instruction with the tag: none of them is an event; the one
    real event of the transaction is."""
    tx = (
        TransactionJson()
        .add(place_order(), emit("OrderPlaced", placed(1), first=TRADER))
        .add(Ix(FILLS_ID, [AUTHORITY, BOOK], event_data(FILLS, "OrderPlaced", placed(2))))
        .add(place_order(), Ix(OTHER, [AUTHORITY], b"", 2), emit("OrderPlaced", placed(3), stack_height=3))
        .add(place_order(), Ix(OTHER, [AUTHORITY, BOOK], event_data(FILLS, "OrderPlaced", placed(4)), 2))
        .add(place_order(), emit("OrderPlaced", placed(5)))
    )
    logs = runs(
        (FILLS_ID, cpi_lines(FILLS_ID)),
        (FILLS_ID, []),
        (FILLS_ID, [*cpi_lines(OTHER), *cpi_lines(FILLS_ID, 3)]),
        (FILLS_ID, cpi_lines(OTHER)),
        (FILLS_ID, cpi_lines(FILLS_ID)),
    )
    fetched_tx = fetched(tx.result(logs))
    decoder = EventDecoder(CODERS)
    assert fetched_tx.execution is not None
    events = (
        EventRecoverer(CODERS)
        .recover(
            decoder.decode_logs(fetched_tx.logs, fetched_tx.instruction_programs),
            fetched_tx.execution,
            decoder.cpi_events(fetched_tx.execution.instructions),
        )
        .events
    )
    assert [(e.instruction_index, e.event_index, e.data["order_id"]) for e in events] == [(4, 0, 5)]


def test_v0_transaction_with_loaded_addresses() -> None:
    """The event authority and the book are loaded from a lookup table: the indexer resolves the
    inner instruction's accounts through meta.loadedAddresses and finds the events."""
    tx = TransactionJson(loaded_writable=[BOOK], loaded_readonly=[AUTHORITY]).add(
        place_order(),
        emit("OrderPlaced", placed(1)),
        token_transfer(),
        emit("OrderFilled", filled((MAKER_A, 1))),
    )
    result = tx.result(
        runs((FILLS_ID, [*cpi_lines(FILLS_ID), *cpi_lines(TOKEN_PROGRAM), *cpi_lines(FILLS_ID)]))
    )
    assert result["version"] == 0
    fetched_tx = fetched(result)
    assert fetched_tx.execution is not None
    assert fetched_tx.execution.instructions[1].accounts == (AUTHORITY, BOOK)
    decoder = EventDecoder(CODERS)
    events = (
        EventRecoverer(CODERS)
        .recover(
            decoder.decode_logs(fetched_tx.logs, fetched_tx.instruction_programs),
            fetched_tx.execution,
            decoder.cpi_events(fetched_tx.execution.instructions),
        )
        .events
    )
    assert positions(events) == [(0, 0, "OrderPlaced"), (0, 1, "OrderFilled")]
    assert events[1].data["fills"] == [{"maker": MAKER_A, "maker_order_id": 1, "price": 7, "quantity": 10}]


async def test_truncated_logs_keep_every_cpi_event(
    db: async_sessionmaker[AsyncSession], caplog: pytest.LogCaptureFixture
) -> None:
    """Memos fill the log budget; the cut falls inside ``place_order`` (after its first self-CPI). Its
    two events are still stored, exact and in order; a ``burn`` after it has its GridBurned rebuilt
    from the instruction; a ``place_order`` wholly after the cut keeps both of its events."""
    token = EnergyTokenClient()
    burn = token.burn(holder=OWNER, amount=5)
    tx = (
        TransactionJson()
        .add(Ix(MEMO, [], b""))
        .add(
            place_order(),
            emit("OrderPlaced", placed(1)),
            token_transfer(),
            emit("OrderFilled", filled((MAKER_A, 1), (MAKER_B, 2))),
        )
        .add(ix_of(burn), Ix(TOKEN_PROGRAM, [str(a.pubkey) for a in burn.accounts[1:3]], bytes([8]), 2))
        .add(place_order(), emit("OrderPlaced", placed(2)), emit("OrderFilled", filled((MAKER_B, 3))))
    )
    logs = [
        *runs((MEMO, ['Program log: Memo (len 0): ""'])),
        f"Program {FILLS_ID} invoke [1]",
        *cpi_lines(FILLS_ID),
        "Log truncated",
        f"Program {TOKEN_PROGRAM} success",  # a short line the runtime can still keep after the cut
    ]
    cut = fetched(tx.result(logs, slot=3))
    with caplog.at_level(logging.WARNING, logger=store_module.__name__):
        events = await store(db, Store(EventDecoder(CODERS)), cut)
    assert [(e.instruction_index, e.event_index, e.name, e.recovered) for e in events] == [
        (1, 0, "OrderPlaced", False),
        (1, 1, "OrderFilled", False),
        (2, 0, "GridBurned", True),
        (3, 0, "OrderPlaced", False),
        (3, 1, "OrderFilled", False),
    ]
    assert [len(e.data["fills"]) for e in events if e.name == "OrderFilled"] == [2, 1]
    assert events[2].data == {
        "holder": str(OWNER),
        "token_account": str(burn.accounts[1].pubkey),
        "amount": 5,
    }
    async with db() as session:
        row = await session.get(Transaction, cut.signature)
        [alert] = list(await session.scalars(select(Alert)))
    assert row is not None and row.logs_truncated and row.event_count == 5
    assert "0 event(s) from the logs, 1 rebuilt from its instructions, 4 from self-CPI" in alert.message
    assert "not rebuilt" not in alert.message


def test_a_cut_the_plan_does_not_explain_still_keeps_every_cpi_event() -> None:
    """``match_orders`` logs notes as well as emitting by self-CPI, which the recovery's plan (an
    instruction with an event authority logs nothing itself) does not foresee: nothing is rebuilt and
    that is reported, but the surviving note and both self-CPI events are kept, in order."""
    tx = TransactionJson().add(
        match_orders(),
        emit("OrderPlaced", placed(1)),
        token_transfer(),
        emit("OrderFilled", filled((MAKER_A, 1))),
    )
    logs = [f"Program {FILLS_ID} invoke [1]", note(0), *cpi_lines(FILLS_ID), "Log truncated"]
    fetched_tx = fetched(tx.result(logs))
    decoder = EventDecoder(CODERS)
    assert fetched_tx.execution is not None
    result = EventRecoverer(CODERS).recover(
        decoder.decode_logs(fetched_tx.logs, fetched_tx.instruction_programs),
        fetched_tx.execution,
        decoder.cpi_events(fetched_tx.execution.instructions),
    )
    assert positions(result.events) == [(0, 0, "BookNote"), (0, 1, "OrderPlaced"), (0, 2, "OrderFilled")]
    assert [e.via_cpi for e in result.events] == [False, True, True]
    assert result.missing == ["instruction 0: its logged events do not match its instructions"]
    assert result.rebuilt == 0


def test_interleave_counts_invoke_lines_per_instruction() -> None:
    """The decoder's record of where each logged event happened: inner instructions invoked before it,
    per top-level instruction, and how many the logs hold."""
    tx = interleaved()
    decoded = EventDecoder(CODERS).decode_logs(tx.logs, tx.instruction_programs)
    assert [(e.name, e.inner) for e in decoded.events] == [
        ("BookNote", 0),
        ("BookNote", 2),
        ("ZoneCreated", 3),
        ("BookNote", 4),
    ]
    assert dict(decoded.inner_seen) == {0: 0, 1: 4}

"""Truncated logs: the events the cut removed are rebuilt from the transaction's instructions (fabricated
transactions whose instructions are built by the SDK, so their data and accounts are the real layout)."""

from __future__ import annotations

import logging

import pytest
from indexer_support import counts, store
from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from synthetic import (
    METER,
    OWNER,
    REGISTRY,
    TOKEN,
    USER,
    data_line,
    executed,
    invoke,
    reading_tx,
    registration_logs,
    run_tx,
    settle_logs,
    tx,
)
from trading_events import CLIENT, PROGRAM, Book, emitted

from solgrid.indexer import store as store_module
from solgrid.indexer.decode import EventDecoder
from solgrid.indexer.models import Alert, Event, Meter, MeterReading, Settlement, Transaction
from solgrid.indexer.recover import (
    EVENT_OF,
    SETTLE_DESTINATION_AT,
    SETTLE_METER_AT,
    EventRecoverer,
    Execution,
)
from solgrid.indexer.service import default_coders
from solgrid.indexer.store import Store
from solgrid.sdk.energy_token import BASE_UNITS_PER_WH, EnergyTokenClient
from solgrid.sdk.readings import Reading
from solgrid.sdk.registry import MeterAccounts, RegistryClient
from solgrid.sdk.trading import Side

ED25519 = "Ed25519SigVerify111111111111111111111111111"
MEMO = Pubkey.from_string("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr")
TOKEN_PROGRAM = Pubkey.from_string("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA")
ACCOUNTS = MeterAccounts(METER, USER, Pubkey.new_unique())
registry, token = RegistryClient(), EnergyTokenClient()


def accepted(r: Reading, produced: int, consumed: int) -> dict[str, object]:
    return {
        "meter": METER,
        "window_start": r.window_start,
        "window_end": r.window_end,
        "production_wh": r.production_wh,
        "consumption_wh": r.consumption_wh,
        "produced_wh": produced,
        "consumed_wh": consumed,
    }


def memo_logs(count: int) -> list[str]:
    return [line for _ in range(count) for line in invoke(MEMO, 1, ['Program log: Memo (len 0): ""'])]


def memo(index: int) -> object:
    return executed(index, Instruction(MEMO, b"", []))


async def stored_events(db: async_sessionmaker[AsyncSession], signature: str) -> list[Event]:
    async with db() as session:
        query = (
            select(Event)
            .where(Event.signature == signature)
            .order_by(Event.instruction_index, Event.event_index)
        )
        return list(await session.scalars(query))


async def test_a_reading_batch_cut_mid_way_keeps_the_logged_reading_and_rebuilds_the_rest(
    db: async_sessionmaker[AsyncSession], caplog: pytest.LogCaptureFixture
) -> None:
    """Reading 0 was logged before the cut and is kept as logged; readings 1 and 2 are rebuilt, their
    cumulative totals continuing from reading 0's. A line after `Log truncated` (the runtime can still
    keep a short one) is not attributed to anything. A second batch, cut before any of its readings,
    continues from the stored rows."""
    s = Store(EventDecoder([REGISTRY, TOKEN]))
    await store(db, s, tx(registration_logs(), slot=1), reading_tx(0, 2))  # window 0: totals 100 / 40
    readings = [Reading(600 * (i + 1), 600 * (i + 2), 50 + i, 20 + i) for i in range(3)]
    batch = [
        executed(0, Instruction(Pubkey.from_string(ED25519), b"\x03", [])),
        executed(1, submit(readings)),
    ]
    first = accepted(readings[0], 150, 60)
    stray = data_line(REGISTRY, "ReadingAccepted", accepted(readings[2], 1, 1))
    logs = [f"Program {REGISTRY.program_id} invoke [1]", data_line(REGISTRY, "ReadingAccepted", first)]
    cut = run_tx([*logs, "Log truncated", stray], batch, slot=3)
    later = Reading(2400, 3000, 7, 3)
    cut_before = run_tx([*memo_logs(1), "Log truncated"], [memo(0), executed(1, submit([later]))], slot=4)
    with caplog.at_level(logging.WARNING, logger=store_module.__name__):
        events = await store(db, s, cut)
        events += await store(db, s, cut_before)
    assert [(e.instruction_index, e.event_index, e.recovered) for e in events] == [
        (1, 0, False),
        (1, 1, True),
        (1, 2, True),
        (1, 0, True),
    ]
    assert [e.data for e in events] == [
        {**first, "meter": str(METER)},
        {**accepted(readings[1], 201, 81), "meter": str(METER)},
        {**accepted(readings[2], 253, 103), "meter": str(METER)},
        {**accepted(later, 260, 106), "meter": str(METER)},
    ]
    assert [e.recovered for e in await stored_events(db, cut.signature)] == [False, True, True]
    async with db() as session:
        meter = await session.scalar(select(Meter))
        assert meter is not None and (int(meter.produced_wh), int(meter.consumed_wh)) == (260, 106)
        rows = await session.scalars(select(MeterReading).order_by(MeterReading.window_start))
        assert [(r.window_start, r.produced_wh) for r in rows] == [
            (0, 100),
            (600, 150),
            (1200, 201),
            (1800, 253),
            (2400, 260),
        ]
        row = await session.get(Transaction, cut.signature)
        assert row is not None and row.logs_truncated and row.event_count == 3
        alerts = list(await session.scalars(select(Alert).order_by(Alert.id)))
    assert [a.signature for a in alerts] == [cut.signature, cut_before.signature]
    assert "1 event(s) from the logs, 2 rebuilt from its instructions" in alerts[0].message
    assert "not rebuilt" not in alerts[0].message
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert [a.message for a in alerts] == warnings


def submit(readings: list[Reading]) -> Instruction:
    """submit_readings of METER's ``readings`` (the Ed25519 instruction is not needed to decode it)."""
    return registry.submit_readings([(ACCOUNTS, r) for r in readings])


async def test_a_cut_settle_and_mint_and_burn_are_rebuilt_from_their_cpis(
    db: async_sessionmaker[AsyncSession],
) -> None:
    """Nothing of instructions 1 and 2 was logged: MeterSettled and GridMinted come from the MintTo CPI
    (the amount) and the token balances (the owner), settled_wh continues the stored settlement, and
    GridBurned is the burn's own data."""
    s = Store(EventDecoder([REGISTRY, TOKEN]))
    await store(db, s, tx(registration_logs(), slot=1), tx(settle_logs(), slot=2))  # settled_wh 60
    grid = token.grid_account(OWNER)
    settle = token.settle_and_mint(meter=METER, owner=OWNER, zone_id=0)
    minted = 25 * BASE_UNITS_PER_WH
    mint_to = Instruction(
        TOKEN_PROGRAM, bytes([7]) + minted.to_bytes(8, "little"), [AccountMeta(grid, False, True)]
    )
    settle_meter = registry.settle_meter(
        settlement_authority=token.settlement_pda().address, meter=METER, owner=OWNER, zone_id=0
    )
    burn = token.burn(holder=OWNER, amount=1234)
    token_burn = Instruction(TOKEN_PROGRAM, bytes([8]) + (1234).to_bytes(8, "little"), [])
    instructions = [
        memo(0),
        executed(1, settle),
        executed(1, settle_meter, 2),
        executed(1, mint_to, 2),
        executed(2, burn),
        executed(2, token_burn, 2),
    ]
    cut = run_tx([*memo_logs(1), "Log truncated"], instructions, slot=3, owners=[(str(grid), str(OWNER))])
    events = await store(db, s, cut)
    assert [(e.name, e.instruction_index, e.event_index, e.recovered) for e in events] == [
        ("MeterSettled", 1, 0, True),
        ("GridMinted", 1, 1, True),
        ("GridBurned", 2, 0, True),
    ]
    assert [e.data for e in events] == [
        {"meter": str(METER), "owner": str(OWNER), "amount_wh": 25, "settled_wh": 85},
        {
            "meter": str(METER),
            "owner": str(OWNER),
            "destination": str(grid),
            "amount_wh": 25,
            "amount": minted,
        },
        {"holder": str(OWNER), "token_account": str(grid), "amount": 1234},
    ]
    async with db() as session:
        meter = await session.scalar(select(Meter))
        assert meter is not None and int(meter.settled_wh) == 85
        settled = await session.scalars(select(Settlement.settled_wh).order_by(Settlement.slot))
        assert [int(x) for x in settled] == [60, 85]
    n = await counts(db)
    assert (n["token_mints"], n["burns"], n["settlements"]) == (2, 1, 2)


def test_surviving_events_of_a_cpi_are_kept_and_the_rest_of_the_tree_follows() -> None:
    """The registry's MeterSettled (inside the settle_and_mint CPI) was logged, GridMinted was cut."""
    settled = {"meter": METER, "owner": OWNER, "amount_wh": 25, "settled_wh": 85}
    logs = invoke(
        TOKEN.program_id, 1, invoke(REGISTRY.program_id, 2, [data_line(REGISTRY, "MeterSettled", settled)])
    )
    logs = [*logs[:-1], "Log truncated"]
    grid = token.grid_account(OWNER)
    mint_to = Instruction(TOKEN_PROGRAM, bytes([7]) + (25 * BASE_UNITS_PER_WH).to_bytes(8, "little"), [])
    execution = Execution(
        (
            executed(0, token.settle_and_mint(meter=METER, owner=OWNER, zone_id=0)),
            executed(
                0,
                registry.settle_meter(
                    settlement_authority=Pubkey.new_unique(), meter=METER, owner=OWNER, zone_id=0
                ),
                2,
            ),
            executed(0, mint_to, 2),
        ),
        ((str(grid), str(OWNER)),),
    )
    decoded = EventDecoder([REGISTRY, TOKEN]).decode_logs(logs, (str(TOKEN.program_id),))
    result = EventRecoverer([REGISTRY, TOKEN]).recover(decoded, execution)
    assert [(e.name, e.event_index, e.recovered) for e in result.events] == [
        ("MeterSettled", 0, False),
        ("GridMinted", 1, True),
    ]
    assert result.events[0].data["settled_wh"] == 85 and result.rebuilt == 1 and result.missing == []


def test_what_cannot_be_rebuilt_is_named() -> None:
    """verify_user's UserStatusChanged needs the old status; logs that disagree with the instructions
    rebuild nothing; an unknown execution rebuilds nothing."""
    decoder, recoverer = EventDecoder([REGISTRY, TOKEN]), EventRecoverer([REGISTRY, TOKEN])
    verify = executed(0, registry.verify_user(regulator=Pubkey.new_unique(), wallet=OWNER))
    burn = executed(1, token.burn(holder=OWNER, amount=5))
    programs = (verify.program, burn.program)
    cut = decoder.decode_logs(["Log truncated"], programs)
    result = recoverer.recover(cut, Execution((verify, burn)))
    assert [(e.name, e.instruction_index) for e in result.events] == [("GridBurned", 1)]
    assert result.missing == ["UserStatusChanged of registry.verify_user (instruction 0, event 0)"]

    readings = [Reading(0, 600, 1, 1)]
    wrong = [
        f"Program {REGISTRY.program_id} invoke [1]",
        data_line(TOKEN, "GridBurned", {"holder": OWNER, "token_account": OWNER, "amount": 1}),
    ]
    decoded = decoder.decode_logs([*wrong, "Log truncated"], (str(REGISTRY.program_id),))
    assert decoded.events == []  # token data logged by the registry is not an event
    mismatch = decoder.decode_logs(
        [
            f"Program {REGISTRY.program_id} invoke [1]",
            data_line(
                REGISTRY, "MeterSettled", {"meter": METER, "owner": OWNER, "amount_wh": 1, "settled_wh": 1}
            ),
            "Log truncated",
        ],
        (str(REGISTRY.program_id),),
    )
    result = recoverer.recover(mismatch, Execution((executed(0, submit(readings)),)))
    assert [e.name for e in result.events] == ["MeterSettled"]
    assert result.missing == ["instruction 0: its logged events do not match its instructions"]
    assert recoverer.recover(cut, None).missing == [
        "all after the cut: the transaction's instructions are unknown"
    ]

    # a settle_meter CPI not made by settle_and_mint (the registry would refuse it) with settle_and_mint's
    # account shape and a MintTo next to it: still not rebuilt
    lookalike = [Pubkey.new_unique() for _ in range(SETTLE_DESTINATION_AT + 1)]
    lookalike[SETTLE_METER_AT] = METER
    other = executed(
        0, Instruction(Pubkey.new_unique(), b"", [AccountMeta(k, False, True) for k in lookalike])
    )
    settle_meter = registry.settle_meter(
        settlement_authority=Pubkey.new_unique(), meter=METER, owner=OWNER, zone_id=0
    )
    mint_to = Instruction(TOKEN_PROGRAM, bytes([7]) + (10**6).to_bytes(8, "little"), [])
    owners = ((str(lookalike[SETTLE_DESTINATION_AT]), str(OWNER)),)
    odd = Execution((other, executed(0, settle_meter, 2), executed(0, mint_to, 2)), owners)
    result = recoverer.recover(decoder.decode_logs(["Log truncated"], (other.program,)), odd)
    assert result.missing == [
        "MeterSettled of registry.settle_meter (instruction 0, event 0)"
    ]  # no settle_and_mint


def test_every_instruction_of_the_idls_has_known_events() -> None:
    """A new instruction must say which event it emits (or that it emits through self-CPIs), or a
    truncation of it could not be placed. Every trading instruction emits through a self-CPI."""
    for coder in default_coders():
        for ix in coder.idl.instructions:
            key = (coder.idl.name, ix.name)
            if any(account.name == "event_authority" for account in ix.accounts):
                assert key not in EVENT_OF  # its events are its self-CPIs
            else:
                assert coder.idl.name != "trading", key
                if ix.name != "submit_readings":
                    assert EVENT_OF.get(key) in coder.coder.events.discriminators.values()


def test_a_cut_before_grow_market_keeps_its_self_cpi_event() -> None:
    """A cut before trading's grow_market loses nothing of it: its MarketGrown is a self-CPI event, as
    is the OrderPlaced of the place_order after it; both are complete and in order."""
    decoder = EventDecoder(default_coders())
    book = Book()
    market = Pubkey.from_string(book.market)
    grow = CLIENT.grow_market(payer=OWNER, market=market, extra_seats=1, extra_orders=8)
    grown = book.grown(str(OWNER), 1, 8, 60)
    placed = book.place(str(OWNER), "Bid", 100, 5, 60)
    place = CLIENT.place_order(
        trader=OWNER, market=market, zone_id=7, seat=0, side=Side.BID, price=100, lots=5
    )
    ran = Execution((memo(0), executed(1, grow), emitted(1, *grown), executed(2, place), emitted(2, *placed)))
    decoded = decoder.decode_logs([*memo_logs(1), "Log truncated"], (str(MEMO), PROGRAM, PROGRAM))
    result = EventRecoverer(decoder.coders).recover(decoded, ran, decoder.cpi_events(ran.instructions))
    assert result.missing == []
    assert [(e.instruction_index, e.event_index, e.name, e.via_cpi) for e in result.events] == [
        (1, 0, "MarketGrown", True),
        (2, 0, "OrderPlaced", True),
    ]
    assert result.events[0].data["lamports_paid"] == grown[1]["lamports_paid"]

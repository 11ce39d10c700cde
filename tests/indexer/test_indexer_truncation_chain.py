"""Real over-budget transactions on the local node: a fee payer puts chatty instructions (empty SPL Memo
instructions, 3 bytes of transaction for 240 bytes of log each) before a reading batch, a
settle_and_mint and a burn, so the runtime cuts the logs inside them ("Log truncated"). The indexer
keeps what survived, rebuilds the rest from the instructions, and ends up with the chain's totals."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import pytest
from indexer_support import DbView, eventually, running
from market import WINDOW, ZONE_ID, Market, MarketNode, Prosumer
from solana.rpc.commitment import Confirmed
from solders.address_lookup_table_account import AddressLookupTableAccount
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from solgrid.indexer import store as store_module
from solgrid.indexer.decode import TRUNCATED, DecodedEvent, EventDecoder
from solgrid.indexer.models import Alert, Burn, Event, Meter, TokenMint, Transaction
from solgrid.indexer.service import IndexerConfig, default_coders
from solgrid.sdk.readings import Reading
from solgrid.sdk.transactions import build_transaction

MEMO = Pubkey.from_string("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr")
decoder = EventDecoder(default_coders())


def chatty(count: int, padding: int = 0) -> list[Instruction]:
    """``count`` empty memos, then one of ``padding`` bytes to place the cut more finely."""
    return [Instruction(MEMO, b"", [])] * count + ([Instruction(MEMO, b"x" * padding, [])] if padding else [])


async def simulated_events(
    market: Market,
    instructions: Sequence[Instruction],
    payer: Keypair,
    tables: list[AddressLookupTableAccount],
) -> tuple[list[DecodedEvent], bool]:
    """The events that would survive in the logs of ``instructions``, and whether they would be cut."""
    blockhash = (await market.rpc.get_latest_blockhash(Confirmed)).value.blockhash
    simulated = await market.rpc.simulate_transaction(
        build_transaction(instructions, payer, [], blockhash, tables)
    )
    assert simulated.value.err is None, simulated.value.logs
    logs = list(simulated.value.logs or [])
    decoded = decoder.decode_logs(logs)
    return decoded.events, decoded.truncated


async def cut_inside(
    market: Market,
    ours: Sequence[Instruction],
    payer: Keypair,
    survivors: Callable[[list[str]], bool],
    tables: list[AddressLookupTableAccount] | None = None,
) -> list[Instruction]:
    """Chatty instructions before ``ours`` such that the logs are cut with exactly the wanted events of
    ours surviving (``survivors`` gets the names of the events that would be logged)."""
    for count in range(30, 45):
        for padding in range(0, 241, 30):
            candidate = [*chatty(count, padding), *ours]
            events, cut = await simulated_events(market, candidate, payer, tables or [])
            if cut and survivors([e.name for e in events]):
                return candidate
    raise AssertionError("no number of chatty instructions puts the cut where the test needs it")


async def readings_batch(market: Market, p: Prosumer, count: int) -> tuple[list[Instruction], list[Reading]]:
    await market.advance_clock(count * WINDOW)
    readings = [
        Reading(p.next_window + i * WINDOW, p.next_window + (i + 1) * WINDOW, 400 + i, 90 + i)
        for i in range(count)
    ]
    p.next_window += count * WINDOW
    signed = [(p.accounts, p.device.sign(market.registry.program_id, p.meter, r)) for r in readings]
    return market.registry.reading_batch(signed), readings


async def test_events_cut_by_a_chatty_fee_payer_are_rebuilt(
    market_node: MarketNode, db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    market = Market(market_node.rpc_url, market_node.authority)
    view = DbView(db_url)
    config = IndexerConfig(
        db_url=db_url, rpc_url=market_node.rpc_url, ws_url=market_node.ws_url, feed_port=0, poll_interval=30.0
    )
    try:
        p = await market.prosumer()
        wallet = p.wallet.pubkey()
        before = await market.registry.fetch_meter(market.rpc, p.serial)
        assert before is not None

        # 1: a batch of three readings, cut after its first or second ReadingAccepted
        batch, readings = await readings_batch(market, p, 3)
        ixs = await cut_inside(market, batch, p.wallet, lambda names: 1 <= len(names) <= 2, [p.table])
        landed = [await market.send(ixs, p.wallet, tables=[p.table])]
        # 2: settle_and_mint, cut after the registry's MeterSettled (inside the CPI), before GridMinted
        settle = [market.token.settle_and_mint(meter=p.meter, owner=wallet, zone_id=ZONE_ID)]
        ixs = await cut_inside(market, settle, p.wallet, lambda names: names == ["MeterSettled"])
        landed.append(await market.send(ixs, p.wallet))
        # 3: a burn that is logged, chatty instructions, and a burn cut off entirely
        burns = [market.token.burn(holder=wallet, amount=a) for a in (1_000, 2_500)]
        landed.append(await market.send([burns[0], *chatty(45), burns[1]], p.wallet))
        assert all(TRUNCATED in tx.logs for tx in landed)

        with caplog.at_level(logging.WARNING, logger=store_module.__name__):
            async with running(config):
                signatures = [str(tx.signature) for tx in landed]
                await eventually(lambda: view.has_all(signatures), "the truncated transactions indexed")

        events = {sig: await view.events(signature=sig) for sig in signatures}
        logged = [decoder.decode_logs(tx.logs).events for tx in landed]
        survived = len(logged[0])
        produced, consumed = before.produced_wh, before.consumed_wh
        expected_readings = []
        for r in readings:
            produced, consumed = produced + r.production_wh, consumed + r.consumption_wh
            expected_readings.append(
                {
                    "meter": str(p.meter),
                    "window_start": r.window_start,
                    "window_end": r.window_end,
                    "production_wh": r.production_wh,
                    "consumption_wh": r.consumption_wh,
                    "produced_wh": produced,
                    "consumed_wh": consumed,
                }
            )
        assert [e.data for e in events[signatures[0]]] == expected_readings
        assert [e.recovered for e in events[signatures[0]]] == [False] * survived + [True] * (3 - survived)
        assert [e.data for e in events[signatures[0]][:survived]] == [e.data for e in logged[0]]

        after = await market.registry.fetch_meter(market.rpc, p.serial)
        assert after is not None
        balance = await market.token.fetch_balance(market.rpc, wallet)
        assert [(e.name, e.recovered) for e in events[signatures[1]]] == [
            ("MeterSettled", False),
            ("GridMinted", True),
        ]
        minted = events[signatures[1]][1].data
        assert minted == {
            "meter": str(p.meter),
            "owner": str(wallet),
            "destination": str(market.token.grid_account(wallet)),
            "amount_wh": after.settled_wh - before.settled_wh,
            "amount": balance + 3_500,
        }
        assert [(e.data["amount"], e.recovered) for e in events[signatures[2]]] == [
            (1_000, False),
            (2_500, True),
        ]
        assert all(e.instruction_index == len(ixs) - 1 for e in events[signatures[1]])

        meter = (await view.rows(Meter, Meter.address == str(p.meter)))[0]
        assert (int(meter.produced_wh), int(meter.consumed_wh), int(meter.settled_wh)) == (
            after.produced_wh,
            after.consumed_wh,
            after.settled_wh,
        )
        mints = await view.rows(TokenMint, TokenMint.owner == str(wallet))
        burned = await view.rows(Burn, Burn.holder == str(wallet))
        assert sum(int(m.amount) for m in mints) - sum(int(b.amount) for b in burned) == balance
        rows = await view.rows(Transaction, Transaction.signature.in_(signatures))
        assert all(row.logs_truncated for row in rows) and len(rows) == 3
        alerts = await view.rows(Alert, Alert.signature.in_(signatures))
        assert sorted(a.signature for a in alerts) == sorted(signatures)
        assert all(
            "rebuilt from its instructions" in a.message and "not rebuilt" not in a.message for a in alerts
        )
        recovered = await view.rows(Event, Event.signature.in_(signatures), Event.recovered.is_(True))
        assert len(recovered) == (3 - survived) + 2
        warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert all(any(sig in w and "truncated" in w for w in warned) for sig in signatures)
    finally:
        await view.close()
        await market.close()

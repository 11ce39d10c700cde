"""A periodic market on the shared local node, through the CLI and the SDK: a regulator opens it with
``market create --periodic 900``, prosumers sell and consumers buy into the current epoch's auction
(``order buy``/``sell``, one order cancelled, ``order list``), ``auction show`` prints the curves and the
indicative price, the node's clock passes the gate closure, two SDK cranks race to clear and settle the
epoch in chunks, and ``auction show`` then prints the program's result, recomputed from the levels.
Every number is worked out by hand below; the result also equals ``clearing.py`` from the order events.
JSON documents carry exactly the keys docs/cli.md lists."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from cli_docs import documented_json_keys
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from trading_support import Scene, Wallet, mint_quote, new_scene, reach_cluster_time, settle_grid, user
from wallet_support import Market, invoke, invoke_json, one_line_error

from solgrid.sdk.clock import cluster_time
from solgrid.sdk.trading import AuctionEpoch, EpochCleared, EpochState, Side, TradingClient, TradingEvent
from solgrid.sdk.trading.clearing import BookOrder, aggregate, clear
from solgrid.sdk.trading.crank import CrankReport, crank_epoch, epoch_steps, send_steps
from solgrid.sdk.trading.replay import auction_orders, fetch_market_events, matches, recompute

EPOCH_SECS = 900


def run_json(path: str, *args: str, of: dict[str, str] | None = None) -> Any:
    result = invoke(*args, "--json")
    assert result.exit_code == 0, (args, result.stderr)
    document = json.loads(result.stdout)
    assert set(document) == documented_json_keys(path), path
    for key, documented_as in (of or {}).items():
        for item in document[key]:
            assert set(item) == documented_json_keys(path, of=documented_as), (path, key)
    return document


def run_text(*args: str) -> str:
    result = invoke(*args)
    assert result.exit_code == 0, (args, result.stderr)
    return result.stdout


def now(url: str) -> int:
    async def read() -> int:
        async with AsyncClient(url, commitment=Confirmed) as rpc:
            return await cluster_time(rpc)

    return asyncio.run(read())


def fetch_epoch(url: str, market: Pubkey, epoch: int) -> AuctionEpoch | None:
    client = TradingClient()

    async def read() -> AuctionEpoch | None:
        async with AsyncClient(url, commitment=Confirmed) as rpc:
            state = await client.fetch_market(rpc, market)
            assert state is not None
            return await client.fetch_epoch(rpc, state, epoch)

    return asyncio.run(read())


def market_events(url: str, market: Pubkey) -> list[TradingEvent]:
    async def read() -> list[TradingEvent]:
        async with AsyncClient(url, commitment=Confirmed) as rpc:
            return await fetch_market_events(rpc, TradingClient(), market)

    return asyncio.run(read())


def race_cranks(url: str, market: Pubkey, epoch: int, payers: list[Keypair]) -> list[CrankReport]:
    """Two cranks of the same epoch at once (chunks of 2 orders), each from its own connection."""
    client = TradingClient()

    async def one(payer: Keypair) -> CrankReport:
        async with AsyncClient(url, commitment=Confirmed) as rpc:
            return await crank_epoch(rpc, client, market, epoch, payer, chunk=2)

    async def both() -> list[CrankReport]:
        return list(await asyncio.gather(*(one(p) for p in payers)))

    return asyncio.run(both())


def test_a_periodic_market_from_creation_to_a_cranked_epoch(tmp_path: Path, market: Market) -> None:
    scene: Scene = new_scene(market, tmp_path)
    z, reg = str(scene.zone_id), scene.regulator
    created = run_json(
        "solgrid market create",
        *scene.cli(reg, "market", "create", z, "--quote-mint", str(scene.quote_mint)),
        "--tick-size",
        "1000",
        "--lot-size-wh",
        "100",
        "--maker-fee-bps",
        "20",
        "--periodic",
        str(EPOCH_SECS),
    )
    client = TradingClient()
    address = client.market_pda(scene.zone_id, scene.quote_mint).address
    assert (created["mode"], created["epoch_secs"]) == ("periodic", EPOCH_SECS)
    assert created["epoch_accounts"] == [str(client.epoch_pda(address, s).address) for s in (0, 1)]
    listed = run_json("solgrid market list", *scene.cli(reg, "market", "list"), of={"markets": "markets"})
    (mine,) = [m for m in listed["markets"] if m["zone_id"] == scene.zone_id]
    assert (mine["mode"], mine["epoch_secs"], mine["best_bid"]) == ("periodic", EPOCH_SECS, None)
    (line,) = [x for x in run_text(*scene.cli(reg, "market", "list")).splitlines() if x.split()[0] == z]
    assert line.split()[2:4] == ["15", "min"]

    alice = user(scene, tmp_path, "alice", "prosumer")
    bob = user(scene, tmp_path, "bob", "prosumer")
    settle_grid(scene, tmp_path, alice, [1500])
    settle_grid(scene, tmp_path, bob, [1000])
    carol = user(scene, tmp_path, "carol", "consumer")
    dave = user(scene, tmp_path, "dave", "consumer")
    for who in (carol, dave):
        mint_quote(scene, who.keypair.pubkey(), 1_000_000)
    # Start at the beginning of an epoch, so every order below joins the same auction.
    epoch = now(scene.url) // EPOCH_SECS + 1
    reach_cluster_time(scene.url, epoch * EPOCH_SECS + 5)

    def place(who: Wallet, verb: str, kwh: str, price: str, *extra: str) -> Any:
        return run_json(
            f"solgrid order {verb}",
            *scene.cli(who, "order", verb, z, "--kwh", kwh, "--price", price, *extra),
        )

    sold = place(alice, "sell", "1.0", "0.10")
    assert (sold["kind"], sold["state"], sold["mode"], sold["epoch"], sold["auction_index"]) == (
        "AUCTION",
        "IN_AUCTION",
        "periodic",
        epoch,
        0,
    )
    assert (sold["rollover"], sold["locked"], sold["deposited"], sold["claimed_seat"]) == (
        True,
        "1.000000000",
        "1.000000000",
        True,
    )
    assert sold["auction_ends_at"] == (epoch + 1) * EPOCH_SECS and sold["fills"] == []
    assert place(bob, "sell", "0.5", "0.12", "--no-rollover")["rollover"] is False
    # Carol's bid locks 8 lots x 130 ticks x 100 atoms = 104,000 plus the 20 bps maker fee (208).
    bought = place(carol, "buy", "0.8", "0.13")
    assert (bought["locked"], bought["auction_index"], bought["order_id"]) == ("0.104208", 2, 2)
    text = run_text(*scene.cli(dave, "order", "buy", z, "--kwh", "0.6", "--price", "0.11"))
    assert f"buy order 3 joined the auction of epoch {epoch} in grid zone {z} (index 3)" in text
    assert "locked 0.066132 quote in the seat" in text and "rolls into the next epoch" in text
    stray = place(carol, "buy", "0.2", "0.09")
    one_line_error(
        invoke(*scene.cli(carol, "order", "buy", z, "--kwh", "0.1", "--price", "0.1", "--ioc")),
        2,
        "--ioc: the market of grid zone",
    )
    one_line_error(
        invoke(*scene.cli(carol, "order", "buy", z, "--kwh", "0.1", "--price", "0.1", "--expires-in", "60")),
        2,
        "before its auction closes",
    )

    cancelled = run_json(
        "solgrid order cancel", *scene.cli(carol, "order", "cancel", str(stray["order_id"]), z)
    )
    assert (cancelled["epoch"], cancelled["auction_index"], cancelled["quote_released"]) == (
        epoch,
        4,
        "0.018036",
    )
    carols = run_json(
        "solgrid order list",
        *scene.cli(carol, "order", "list", z),
        of={"orders": "orders", "balances": "balances"},
    )
    assert [(o["order_id"], o["epoch"], o["auction_index"], o["state"]) for o in carols["orders"]] == [
        (2, epoch, 2, "IN_AUCTION")
    ]
    assert carols["balances"][0]["quote_locked"] == "0.104208"

    # Asks 1.0 kWh at 0.10 and 0.5 at 0.12; bids 0.8 at 0.13 and 0.6 at 0.11. 1.0 kWh executes at every
    # price from 0.100 to 0.110 (buy surplus 0.4 throughout): no reference yet, so the middle, 0.105.
    shown = run_json(
        "solgrid auction show", *scene.cli(reg, "auction", "show", "--zone", z), of={"curve": "curve"}
    )
    assert (shown["epoch"], shown["state"], shown["indicative"], shown["live_orders"]) == (
        epoch,
        "COLLECTING",
        True,
        4,
    )
    assert (shown["price"], shown["price_ticks"], shown["volume_kwh"]) == ("0.105000", 105, "1.000")
    assert (shown["demand_kwh"], shown["supply_kwh"]) == ("1.400", "1.000")
    assert (shown["bid_marginal_price"], shown["ask_marginal_price"]) == ("0.110000", "0.100000")
    curve = [
        (c["price_ticks"], c["bid_kwh"], c["ask_kwh"], c["demand_kwh"], c["supply_kwh"], c["executable_kwh"])
        for c in shown["curve"]
    ]
    assert curve == [
        (130, "0.800", "0.000", "0.800", "1.500", "0.800"),
        (120, "0.000", "0.500", "0.800", "1.500", "0.800"),
        (110, "0.600", "0.000", "1.400", "1.000", "1.000"),
        (105, "0.000", "0.000", "1.400", "1.000", "1.000"),
        (100, "0.000", "1.000", "1.400", "1.000", "1.000"),
    ]
    assert [c["clearing"] for c in shown["curve"]] == [False, False, False, True, False]
    text = run_text(*scene.cli(reg, "auction", "show", "--zone", z))
    assert "indicative price (if the auction closed now): 0.105000 per kWh" in text
    (marked,) = [x for x in text.splitlines() if x.endswith("<- indicative")]
    assert marked.split()[0] == "0.105000"
    detail = run_json("solgrid market show", *scene.cli(reg, "market", "show", z), of={"epochs": "epochs"})
    assert (detail["current_epoch"], detail["auction_orders"], detail["auctions_settled"]) == (epoch, 4, 0)
    assert [
        (e["epoch"], e["state"], e["live_orders"], e["bid_kwh"], e["ask_kwh"]) for e in detail["epochs"]
    ] == [(epoch, "COLLECTING", 4, "1.400", "1.500")]

    text = run_text(*scene.cli(reg, "market", "show", z))
    assert "mode:        periodic: a call auction per 15 min epoch (one clearing price per epoch)" in text
    assert f"auction:     epoch {epoch}: COLLECTING, 4 orders: bids 1.400 kWh, asks 1.500 kWh" in text
    assert "fees:        maker 20 bps, paid by both sides of every auction trade" in text
    assert "clearings:   0 epochs settled; last clearing price -" in text

    # The gate closes: orders are committed, the auction waits for a crank.
    reach_cluster_time(scene.url, (epoch + 1) * EPOCH_SECS + 1)
    one_line_error(invoke(*scene.cli(dave, "order", "cancel", "3", z)), 1, "committed to the auction")
    assert (
        run_json("solgrid auction show", *scene.cli(reg, "auction", "show", str(epoch), "--zone", z))["state"]
        == "CLOSED"
    )

    reports = race_cranks(scene.url, address, epoch, [reg.keypair, carol.keypair])
    assert all(r.settled for r in reports)
    (cleared,) = [r.cleared for r in reports if r.cleared is not None]
    chunks = [c for r in reports for c in r.chunks]
    assert sorted(c.from_index for c in chunks) == [0, 2, 4] and sum(c.done for c in chunks) == 1
    settled = sorted(s.index for c in chunks for s in c.settlements)
    assert settled == [0, 1, 2, 3]  # each once; index 4 was cancelled
    book = [
        BookOrder(Side.ASK, 100, 10),
        BookOrder(Side.ASK, 120, 5),
        BookOrder(Side.BID, 130, 8),
        BookOrder(Side.BID, 110, 6),
    ]
    reference = clear(aggregate(book), 0)
    assert (cleared.price, cleared.volume_lots, cleared.bid_marginal_lots) == (
        105,
        10,
        reference.bid_marginal,
    )
    assert reference.price == 105 and reference.bid_marginal == 2
    fills = {s.index: (s.filled_lots, s.fee, s.outcome.name) for c in chunks for s in c.settlements}
    assert fills == {
        0: (10, 210, "FILLED"),  # alice: 105,000 atoms, 20 bps
        1: (0, 0, "EXPIRED"),  # bob, this auction only: refunded
        2: (8, 168, "FILLED"),  # carol: bids above the marginal price fill completely
        3: (2, 42, "PARTIALLY_FILLED_ROLLED"),  # dave: the 2 lots left at 0.11; 4 roll
    }

    assert "nothing to crank" in run_text(*scene.cli(reg, "auction", "crank", "--zone", z))
    shown = run_json(
        "solgrid auction show",
        *scene.cli(reg, "auction", "show", str(epoch), "--zone", z),
        of={"curve": "curve"},
    )
    assert (shown["state"], shown["indicative"], shown["recomputed_matches"], shown["price"]) == (
        "SETTLED",
        False,
        True,
        "0.105000",
    )
    assert (shown["settled_orders"], shown["matched_orders"], shown["rolled_orders"], shown["fees"]) == (
        5,
        3,
        1,
        "0.000420",
    )
    assert [c["price_ticks"] for c in shown["curve"] if c["clearing"]] == [105]
    text = run_text(*scene.cli(reg, "auction", "show", str(epoch), "--zone", z))
    assert "clearing price: 0.105000 per kWh, 1.000 kWh executed" in text
    assert "recomputed from the levels with the clearing rule: the same result" in text
    assert any(x.endswith("<- clearing") for x in text.splitlines())

    daves = run_json("solgrid order list", *scene.cli(dave, "order", "list", z))
    assert [
        (o["order_id"], o["epoch"], o["auction_index"], o["kwh"], o["rollover"]) for o in daves["orders"]
    ] == [(3, epoch + 1, 0, "0.400", True)]
    # Dave's 4 lots lock again at 0.11 with their maker fee: 44,000 + 88.
    assert daves["balances"][0]["quote_locked"] == "0.044088"
    (alices,) = run_json("solgrid order list", *scene.cli(alice, "order", "list", z))["balances"]
    assert (alices["quote_free"], alices["grid_locked"]) == ("0.104790", "0.000000000")
    (bobs,) = run_json("solgrid order list", *scene.cli(bob, "order", "list", z))["balances"]
    assert (bobs["grid_free"], bobs["grid_locked"]) == ("0.500000000", "0.000000000")
    (carols,) = run_json("solgrid order list", *scene.cli(carol, "order", "list", z))["balances"]
    # Carol paid 84,000 + 168 of her 104,208 lock; the rest and the cancelled bid's 18,036 are free.
    assert (carols["grid_free"], carols["quote_free"], carols["quote_locked"]) == (
        "0.800000000",
        "0.038076",
        "0.000000",
    )
    detail = run_json("solgrid market show", *scene.cli(reg, "market", "show", z))
    assert (detail["last_clearing_price"], detail["last_settled_epoch"], detail["auctions_settled"]) == (
        "0.105000",
        epoch,
        1,
    )
    assert (detail["volume_kwh"], detail["trade_count"], detail["fees_uncollected"]) == (
        "1.000",
        2,
        "0.000420",
    )
    one_line_error(
        invoke(*scene.cli(reg, "auction", "show", str(epoch + 5), "--zone", z)), 1, "has not started"
    )
    account = fetch_epoch(scene.url, address, epoch)
    assert account is not None and account.header.state is EpochState.SETTLED
    assert (account.header.cursor, account.header.order_count, account.header.clearing_price) == (5, 5, 105)

    # The next epoch: Alice asks 0.5 kWh at 0.10 against Dave's rolled 0.4 at 0.11. Every price from
    # 0.100 to 0.110 executes 0.4 kWh with the same surplus; the previous clearing price, 0.105, is in
    # that interval, so it is the price again. `auction crank` finishes it.
    assert place(alice, "sell", "0.5", "0.10")["epoch"] == epoch + 1
    reach_cluster_time(scene.url, (epoch + 2) * EPOCH_SECS + 1)
    cranked = run_json(
        "solgrid auction crank", *scene.cli(reg, "auction", "crank", "--zone", z), of={"epochs": "epochs"}
    )
    ((done),) = cranked["epochs"]
    assert (done["epoch"], done["cleared"], done["price"], done["volume_kwh"]) == (
        epoch + 1,
        True,
        "0.105000",
        "0.400",
    )
    assert (done["chunks"], done["settled_orders"], done["settled"], len(done["signatures"])) == (
        1,
        2,
        True,
        2,
    )
    shown = run_json("solgrid auction show", *scene.cli(reg, "auction", "show", str(epoch + 1), "--zone", z))
    assert (shown["reference_price"], shown["price"], shown["recomputed_matches"]) == (
        "0.105000",
        "0.105000",
        True,
    )
    assert run_json("solgrid order list", *scene.cli(dave, "order", "list", z))["orders"] == []

    # Anyone recomputes both clearings from the market's events alone (orders placed, cancelled and
    # rolled, the previous price as reference) and gets the program's EpochCleared.
    events = market_events(scene.url, address)
    clearings = {e.epoch: e for e in events if isinstance(e, EpochCleared)}
    assert sorted(clearings) == [epoch, epoch + 1]
    for number, cleared_event in clearings.items():
        assert matches(cleared_event, recompute(events, address, number)), number
    assert [o.lots for o in auction_orders(events, address, epoch + 1)] == [4, 5]  # Dave's rolled 4 first


def test_continuous_markets_refuse_the_auction_options(scene: Scene, tmp_path: Path) -> None:
    z = str(scene.zone_id)
    carol = user(scene, tmp_path, "carol", "consumer")
    one_line_error(
        invoke(*scene.cli(carol, "order", "buy", z, "--kwh", "0.1", "--price", "0.1", "--no-rollover")),
        2,
        f"--no-rollover: the market of grid zone {z} is continuous",
    )
    for command in (["auction", "show", "--zone", z], ["auction", "crank", "--zone", z]):
        one_line_error(invoke(*scene.cli(carol, *command)), 1, f"the market of grid zone {z} is continuous")
    one_line_error(invoke(*scene.cli(carol, "auction", "show")), 2, "--zone ZONE")
    address = str(TradingClient().market_pda(scene.zone_id, scene.quote_mint).address)
    one_line_error(
        invoke(*scene.cli(carol, "auction", "show", "--zone", z, "--market", address)), 2, "--zone ZONE"
    )
    one_line_error(
        invoke(
            *scene.cli(
                carol,
                "market",
                "create",
                z,
                "--quote-mint",
                address,
                "--tick-size",
                "1000",
                "--lot-size-wh",
                "100",
                "--periodic",
                "86401",
            )
        ),
        2,
        "--periodic",
    )
    shown = json.loads(run_text(*scene.cli(carol, "market", "show", z, "--json")))
    assert (shown["mode"], shown["epoch_secs"], shown["current_epoch"], shown["epochs"]) == (
        "continuous",
        None,
        None,
        [],
    )
    assert "mode:        continuous (orders match on arrival)" in run_text(
        *scene.cli(carol, "market", "show", z)
    )


def test_a_crank_behind_by_an_epoch_and_a_crank_that_lost_a_race(tmp_path: Path, market: Market) -> None:
    scene: Scene = new_scene(market, tmp_path)
    z, reg = str(scene.zone_id), scene.regulator
    invoke_json(
        *scene.cli(reg, "market", "create", z, "--quote-mint", str(scene.quote_mint)),
        "--tick-size",
        "1000",
        "--lot-size-wh",
        "100",
        "--periodic",
        str(EPOCH_SECS),
    )
    address = TradingClient().market_pda(scene.zone_id, scene.quote_mint).address
    alice = user(scene, tmp_path, "alice", "prosumer")
    settle_grid(scene, tmp_path, alice, [1500])
    epoch = now(scene.url) // EPOCH_SECS + 1
    reach_cluster_time(scene.url, epoch * EPOCH_SECS + 5)
    for price in ("0.10", "0.11", "0.12"):
        invoke_json(*scene.cli(alice, "order", "sell", z, "--kwh", "0.1", "--price", price))

    # Nobody cranked for a whole epoch: the current epoch's account still holds this one.
    reach_cluster_time(scene.url, (epoch + 2) * EPOCH_SECS + 1)
    one_line_error(
        invoke(*scene.cli(alice, "order", "sell", z, "--kwh", "0.1", "--price", "0.1")),
        1,
        f"epoch {epoch} of the market of grid zone {z} is not settled yet",
    )

    async def crank() -> tuple[CrankReport, CrankReport, CrankReport]:
        client = TradingClient()
        async with AsyncClient(scene.url, commitment=Confirmed) as rpc:
            state = await client.fetch_market(rpc, address)
            assert state is not None
            account = await client.fetch_epoch(rpc, state, epoch)
            assert account is not None
            steps = epoch_steps(
                client, state, account, await cluster_time(rpc), reg.keypair.pubkey(), chunk=1
            )
            assert [s.cursor for s in steps] == [0, 0, 1, 2]
            first = CrankReport(epoch)
            assert await send_steps(rpc, client, reg.keypair, steps[:2], first)
            # A crank that planned the same chunks earlier now finds chunk 0 settled: it stops there.
            stale = CrankReport(epoch)
            others = epoch_steps(
                client, state, account, await cluster_time(rpc), alice.keypair.pubkey(), chunk=1
            )
            assert not await send_steps(rpc, client, alice.keypair, others[1:], stale)
            # The very transaction sent again (same payer and blockhash) is no error either.
            again = CrankReport(epoch)
            assert not await send_steps(rpc, client, reg.keypair, steps[1:], again)
            assert again.lost_races == 1
            rest = await crank_epoch(rpc, client, address, epoch, reg.keypair, chunk=1)
            return first, stale, rest

    first, stale, rest = asyncio.run(crank())
    assert first.cleared is not None and first.cleared.volume_lots == 0 and len(first.chunks) == 1
    assert (stale.lost_races, stale.signatures, stale.chunks) == (1, [], [])
    assert rest.cleared is None and [c.from_index for c in rest.chunks] == [1, 2] and rest.settled
    assert [s.outcome.name for c in (*first.chunks, *rest.chunks) for s in c.settlements] == ["ROLLED"] * 3

    # The next epoch (closed too) holds the three rolled asks; the CLI crank finishes it, and orders
    # join the current epoch again.
    cranked = run_json("solgrid auction crank", *scene.cli(reg, "auction", "crank", "--zone", z))
    assert [(e["epoch"], e["settled_orders"], e["settled"]) for e in cranked["epochs"]] == [
        (epoch + 1, 3, True)
    ]
    placed = invoke_json(*scene.cli(alice, "order", "sell", z, "--kwh", "0.1", "--price", "0.1"))
    assert (placed["epoch"], placed["auction_index"]) == (epoch + 2, 3)  # after the three rolled in

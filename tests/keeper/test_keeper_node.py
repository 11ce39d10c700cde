"""The keeper through the local node: a periodic market with many traders, orders placed epoch after
epoch while the node's clock moves on, the keeper (in this process) clearing and settling each epoch as
it ends; then what the chain shows: every epoch cleared exactly once at the price the clearing rule
gives for its book, every order settled exactly once, tokens conserved, and the keeper's status. And
``--once`` on a continuous market with an expired order and a meter with surplus."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Awaitable, Callable
from itertools import pairwise
from pathlib import Path

from keeper_support import (
    ZONE,
    AuctionScene,
    auction_scene,
    check_conservation,
    market_events,
    place_orders,
    set_clock,
    settled_once,
    start_of_next_epoch,
    write_keeper_config,
)
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solders.keypair import Keypair

from node_market import funded
from solgrid.automation.status import read_status
from solgrid.keeper.config import load_config
from solgrid.keeper.service import Keeper
from solgrid.sdk.clock import cluster_time
from solgrid.sdk.energy_token import EnergyTokenClient, wh_to_base_units
from solgrid.sdk.readings import DeviceSigner, Reading
from solgrid.sdk.registry import EnergySource, RegistryClient
from solgrid.sdk.trading import AuctionLevel, clear
from solgrid.sdk.trading.market import locked_by
from solgrid.sdk.trading.units import EpochState, Side
from solgrid.sdk.transactions import send_and_confirm

EPOCH_SECS = 120
EPOCHS = 4
ORDERS = 36
CANCELS = 3
TRADERS = 12
SEED = 20_260_101


async def until(condition: Callable[[], Awaitable[bool]], what: str, timeout: float = 120.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await condition():
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)


async def cancel_some(
    rpc: AsyncClient, scene: AuctionScene, rng: random.Random, epoch: int, count: int
) -> set[tuple[int, int]]:
    """Its owner cancels ``count`` random live orders of ``epoch`` (they stay as tombstones)."""
    state = await scene.trading.fetch_market(rpc, scene.market)
    assert state is not None
    account = await scene.trading.fetch_epoch(rpc, state, epoch)
    assert account is not None
    chosen = rng.sample(account.live, count)
    traders = {t.key: t for t in scene.traders}
    for order in chosen:
        trader = traders[order.trader]
        cancel = scene.trading.cancel_auction_order(
            trader=trader.key,
            market=scene.market,
            zone_id=state.header.zone_id,
            seat=trader.seat,
            epoch=epoch,
            index=order.index,
            order_id=order.order_id,
        )
        await send_and_confirm(rpc, [cancel], trader.wallet)
    return {(epoch, o.index) for o in chosen}


async def settled_through(rpc: AsyncClient, scene: AuctionScene, epoch: int) -> bool:
    state = await scene.trading.fetch_market(rpc, scene.market)
    assert state is not None
    return state.header.auctions_settled > 0 and state.header.last_settled_epoch >= epoch


async def all_settled(rpc: AsyncClient, scene: AuctionScene) -> bool:
    """No auction order waits and both epoch accounts are settled (or unused)."""
    state = await scene.trading.fetch_market(rpc, scene.market)
    assert state is not None
    epochs = await scene.trading.fetch_epochs(rpc, state)
    done = all(e.header.state in (EpochState.EMPTY, EpochState.SETTLED) for e in epochs)
    return state.header.auction_orders == 0 and done


async def test_the_keeper_clears_epoch_after_epoch(
    fresh_rpc_url: str, upgrade_authority: Keypair, tmp_path: Path
) -> None:
    rng = random.Random(SEED)
    url = fresh_rpc_url
    async with AsyncClient(url, Confirmed) as rpc:
        scene = await auction_scene(rpc, url, upgrade_authority, traders=TRADERS, epoch_secs=EPOCH_SECS)
        payer = await funded(rpc)
        config = load_config(
            write_keeper_config(tmp_path, url, payer, scene.market, "max_orders_per_chunk = 8\n")
        )
        keeper = Keeper(config)
        task = asyncio.create_task(keeper.run())
        books: dict[int, list[AuctionLevel]] = {}
        order_counts: dict[int, int] = {}
        cancelled: set[tuple[int, int]] = set()
        try:
            for i in range(EPOCHS):
                # The previous epoch ends now: the keeper settles it (rolling orders into this one)
                # while traders place this epoch's orders.
                epoch = await start_of_next_epoch(rpc, url, EPOCH_SECS)
                await place_orders(rpc, scene, rng, ORDERS, epoch)
                if i:
                    await until(lambda e=epoch: settled_through(rpc, scene, e - 1), f"epoch {epoch - 1}")
                cancelled |= await cancel_some(rpc, scene, rng, epoch, CANCELS)
                state = await scene.trading.fetch_market(rpc, scene.market)
                assert state is not None
                account = await scene.trading.fetch_epoch(rpc, state, epoch)
                assert account is not None and account.header.state is EpochState.COLLECTING
                books[epoch] = account.levels  # final: its gate closes with the next clock move
                order_counts[epoch] = account.header.order_count
            # The last epoch ends, then the one its orders rolled into.
            last = epoch
            await start_of_next_epoch(rpc, url, EPOCH_SECS)
            await until(lambda: settled_through(rpc, scene, last), f"epoch {last}")
            await start_of_next_epoch(rpc, url, EPOCH_SECS)
            await until(lambda: all_settled(rpc, scene), "every auction settled")
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

        cleared, settled = await market_events(rpc, scene)
        by_epoch = {c.epoch: c for c in cleared}
        assert set(Counter(c.epoch for c in cleared).values()) == {1}  # each epoch cleared exactly once
        first, final = min(books), max(by_epoch)
        assert final in (last, last + 1)  # last + 1: orders rolled from the last epoch only
        assert sorted(by_epoch) == list(range(first, final + 1))
        for epoch, levels in books.items():
            event = by_epoch[epoch]
            expected = clear(levels, event.reference_price)
            assert (event.price, event.volume_lots) == (expected.price, expected.volume), epoch
        assert any(c.volume_lots > 0 for c in cleared)

        counts = settled_once(settled)
        assert set(counts.values()) == {1}  # no order settled twice
        for epoch, event in by_epoch.items():
            walked = order_counts.get(epoch, event.orders)  # the last epoch holds rolled orders only
            expected = set(range(walked)) - {i for e, i in cancelled if e == epoch}
            assert {i for e, i in counts if e == epoch} == expected, epoch  # cancelled ones skipped
            assert len(expected) == event.orders
            chunks = sorted((c.from_index, c.to_index) for c in settled if c.epoch == epoch)
            assert chunks[0][0] == 0 and chunks[-1][1] == walked
            assert all(a[1] == b[0] for a, b in pairwise(chunks))
            assert all(c.payer == payer.pubkey() for c in settled if c.epoch == epoch)
            filled = sum(s.filled_lots for c in settled if c.epoch == epoch for s in c.settlements)
            assert filled == 2 * event.volume_lots  # each lot once on each side
        state = await scene.trading.fetch_market(rpc, scene.market)
        assert state is not None
        assert state.header.auctions_settled == len(by_epoch) and state.header.last_settled_epoch == final
        await check_conservation(rpc, scene)

    status = read_status(tmp_path / "keeper-status.json", "keeper")
    market = status["markets"][str(scene.market)]
    assert (market["mode"], market["epoch_secs"], market["status"]) == ("periodic", EPOCH_SECS, "active")
    assert market["epochs_cleared_this_run"] == len(by_epoch) and market["errors"] == 0
    assert market["chunks_this_run"] == len(settled)
    assert market["orders_settled_this_run"] == sum(c.to_index - c.from_index for c in settled)
    assert market["last_settled"]["epoch"] == final and 0 <= market["last_settled"]["lag_secs"] < EPOCH_SECS
    assert market["last_settled"]["chunks"] == sum(1 for c in settled if c.epoch == final)
    assert (status["backlog_epochs"], status["backlog_orders"]) == (0, 0)
    assert status["transactions_this_run"] == len(cleared) + len(settled)


async def test_once_prunes_expired_orders_and_settles_meters(
    fresh_rpc_url: str, upgrade_authority: Keypair, tmp_path: Path
) -> None:
    """A continuous market with an expired bid resting, a meter with surplus: ``--once`` prunes the bid
    (its lock freed) and settles the meter (GRID minted to its owner); a second run finds nothing."""
    url = fresh_rpc_url
    me = upgrade_authority.pubkey()
    registry, token = RegistryClient(), EnergyTokenClient()
    async with AsyncClient(url, Confirmed) as rpc:
        scene = await auction_scene(rpc, url, upgrade_authority, traders=2, epoch_secs=0)
        await send_and_confirm(
            rpc,
            [
                token.initialize(payer=me, authority=me),
                registry.set_settlement_authority(
                    settlement_authority=token.settlement_pda().address, cosigners=[me]
                ),
            ],
            upgrade_authority,
        )
        prosumer = next(t for t in scene.traders if t.seller)
        serial, device = "KEEPER-SOLAR-1", DeviceSigner.generate()
        meter = registry.meter_pda(serial).address
        await send_and_confirm(
            rpc,
            [
                registry.register_meter(
                    payer=prosumer.key,
                    owner=prosumer.key,
                    zone_id=ZONE,
                    serial=serial,
                    device_key=device.public_key,
                    source=EnergySource.SOLAR,
                    capacity_w=10_000,
                ),
                registry.activate_meter(regulator=me, meter=meter),
            ],
            prosumer.wallet,
            [upgrade_authority],
        )
        start = (await registry.fetch_meter(rpc, serial)).last_window_end  # type: ignore[union-attr]
        reading = Reading(start, start + 60, 150, 20)
        accounts = registry.meter_accounts(serial, prosumer.key, ZONE)
        signed = device.sign(registry.program_id, meter, reading)
        await send_and_confirm(rpc, registry.reading_batch([(accounts, signed)]), upgrade_authority)

        now = await cluster_time(rpc)
        bids = [(101, now + 20), (100, 0)]
        for price, expires_at in bids:
            place = scene.trading.place_order(
                trader=prosumer.key,
                market=scene.market,
                zone_id=ZONE,
                seat=prosumer.seat,
                side=Side.BID,
                price=price,
                lots=3,
                expires_at=expires_at,
            )
            await send_and_confirm(rpc, [place], prosumer.wallet)
        before = await scene.trading.fetch_market(rpc, scene.market)
        assert before is not None and len(before.bids) == 2
        await set_clock(url, now + 60)

        payer = await funded(rpc)
        extra = f'[settle]\nenabled = true\nmeters = ["{serial}"]\ninterval_secs = 1\n'
        config = load_config(write_keeper_config(tmp_path, url, payer, scene.market, extra))
        await Keeper(config, once=True).run()

        after = await scene.trading.fetch_market(rpc, scene.market)
        assert after is not None and [b.price for b in after.bids] == [100]
        seat = after.seat_of(prosumer.key)
        old = before.seat_of(prosumer.key)
        assert seat is not None and old is not None
        assert seat.quote_locked == locked_by(after.bids[0], after.header)
        assert seat.quote_free + seat.quote_locked == old.quote_free + old.quote_locked
        settled = await registry.fetch_meter(rpc, serial)
        assert settled is not None and settled.unsettled_wh == 0 and settled.settled_wh == 130
        assert await token.fetch_balance(rpc, prosumer.key) == wh_to_base_units(130)
        status = read_status(tmp_path / "keeper-status.json", "keeper")
        market = status["markets"][str(scene.market)]
        assert (market["mode"], market["prunes_this_run"], market["expired_orders"]) == ("continuous", 1, 0)
        assert (status["meter_settlements"], status["settled_wh"], status["errors"]) == (1, 130, 0)

        # Nothing left: a second run sends nothing (every meter of the registry this time).
        config = load_config(
            write_keeper_config(tmp_path, url, payer, scene.market, "[settle]\nenabled = true\n")
        )
        balance = (await rpc.get_balance(payer.pubkey())).value
        await Keeper(config, once=True).run()
        assert (await rpc.get_balance(payer.pubkey())).value == balance
        status = read_status(tmp_path / "keeper-status.json", "keeper")
        assert (status["transactions_this_run"], status["meter_settlements"]) == (0, 0)

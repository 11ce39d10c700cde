"""``solgrid book`` and ``solgrid trades``: a market's depth, and its recent fills read from the chain.

The book is read from the market account (expired orders, which never match, are left out). Trades
are the fills of the ``OrderPlaced`` events of the transactions that name the market, found with
``getSignaturesForAddress`` and read with ``getTransaction`` from their inner instructions, so they
work against any RPC node, without the indexer.
"""

from __future__ import annotations

from typing import Any

import click
from solana.rpc.async_api import AsyncClient
from solders.pubkey import Pubkey

from solgrid.cli.common import Settings, call, cluster_options, emit_json, json_option, status
from solgrid.cli.markets import market_of, markets_of, quote_mint_option, zone_argument
from solgrid.cli.trading_units import (
    SIDE_NAMES,
    format_base_kwh,
    format_fill_price,
    format_kwh,
    format_price,
    format_quote,
    format_time,
)
from solgrid.sdk.clock import cluster_time
from solgrid.sdk.trading import Level, MarketState, TradingClient
from solgrid.sdk.trading.market import MarketHeader
from solgrid.sdk.trading.trades import Trade, market_trades


def level_json(level: Level, header: MarketHeader) -> dict[str, Any]:
    return {
        "price": format_price(level.price, header),
        "price_ticks": level.price,
        "kwh": format_kwh(level.lots, header),
        "lots": level.lots,
        "orders": level.orders,
    }


@click.command()
@zone_argument()
@quote_mint_option
@click.option("--depth", type=click.IntRange(1), default=10, show_default=True, help="Price levels per side.")
@cluster_options
@json_option
def book(zone_id: int, quote_mint: Pubkey | None, depth: int, settings: Settings, as_json: bool) -> None:
    """The order book of the market of ZONE: kWh and orders per price level, both sides, and the spread."""
    client = TradingClient()

    async def work(rpc: AsyncClient) -> tuple[MarketState, int]:
        found = await market_of(rpc, client, zone_id, quote_mint, settings.commitment)
        return found, await cluster_time(rpc, settings.commitment)

    found, now = call(settings, work)
    h = found.header
    bids, asks = found.depth(depth, now=now)
    best_bid = bids[0].price if bids else None
    best_ask = asks[0].price if asks else None
    spread = None if best_bid is None or best_ask is None else format_price(best_ask - best_bid, h)
    if as_json:
        emit_json(
            {
                "market": str(found.address),
                "zone_id": h.zone_id,
                "quote_mint": str(h.quote_mint),
                "bids": [level_json(level, h) for level in bids],
                "asks": [level_json(level, h) for level in asks],
                "best_bid": None if best_bid is None else format_price(best_bid, h),
                "best_ask": None if best_ask is None else format_price(best_ask, h),
                "spread": spread,
            }
        )
        return
    click.echo(f"grid zone {h.zone_id} market {found.address} (quote {h.quote_mint})")
    click.echo(f"{'SIDE':<4}  {'PRICE/kWh':>14}  {'kWh':>14}  ORDERS")
    for level in reversed(asks):
        click.echo(
            f"{'ask':<4}  {format_price(level.price, h):>14}  {format_kwh(level.lots, h):>14}  {level.orders}"
        )
    if spread is not None:
        click.echo(f"----  spread {spread}")
    elif not asks and not bids:
        click.echo("----  the book is empty")
    else:
        click.echo(f"----  no {'asks' if bids else 'bids'}")
    for level in bids:
        click.echo(
            f"{'bid':<4}  {format_price(level.price, h):>14}  {format_kwh(level.lots, h):>14}  {level.orders}"
        )


def trade_json(trade: Trade, market: MarketState) -> dict[str, Any]:
    h = market.header
    fill = trade.fill
    return {
        "signature": trade.signature,
        "slot": trade.slot,
        "time": trade.timestamp,
        "market": str(market.address),
        "zone_id": h.zone_id,
        "price": format_fill_price(fill.base_amount, fill.quote_amount, h),
        "price_ticks": fill.price,
        "kwh": format_base_kwh(fill.base_amount),
        "lots": fill.lots,
        "quote": format_quote(fill.quote_amount, h),
        "taker_side": SIDE_NAMES[trade.taker_side],
        "taker": str(trade.taker),
        "taker_order_id": trade.taker_order_id,
        "maker": str(fill.maker),
        "maker_order_id": fill.maker_order_id,
        "taker_fee": format_quote(fill.taker_fee, h),
        "maker_fee": format_quote(fill.maker_fee, h),
    }


@click.command()
@zone_argument(required=False)
@quote_mint_option
@click.option("--limit", "-n", type=click.IntRange(1, 1000), default=20, show_default=True)
@cluster_options
@json_option
def trades(
    zone_id: int | None, quote_mint: Pubkey | None, limit: int, settings: Settings, as_json: bool
) -> None:
    """Recent fills of the market of ZONE (default: of every market), newest first, read from the chain."""
    client = TradingClient()

    async def work(rpc: AsyncClient) -> list[tuple[Trade, MarketState]]:
        markets = await markets_of(rpc, client, zone_id, quote_mint, settings.commitment)
        found: list[tuple[Trade, MarketState]] = []
        for market in markets:
            status(f"reading the trades of grid zone {market.header.zone_id} ({market.address}) ...")
            listed = await market_trades(
                rpc, client, market.address, limit=limit, commitment=settings.commitment
            )
            found.extend((trade, market) for trade in listed)
        # Newest first across markets; a market's own order (newest first) is kept for equal slots.
        found.sort(key=lambda item: item[0].slot, reverse=True)
        return found[:limit]

    listed = call(settings, work)
    documents = [trade_json(trade, market) for trade, market in listed]
    if as_json:
        emit_json({"trades": documents})
        return
    if not documents:
        click.echo("no trades")
        return
    click.echo(
        f"{'TIME (UTC)':<20}  {'ZONE':>10}  {'TAKER':<5}  {'PRICE/kWh':>14}  {'kWh':>12}  {'QUOTE':>14}  "
        "SIGNATURE"
    )
    for t in documents:
        click.echo(
            f"{format_time(t['time']):<20}  {t['zone_id']:>10}  {t['taker_side']:<5}  {t['price']:>14}  "
            f"{t['kwh']:>12}  {t['quote']:>14}  {t['signature']}"
        )

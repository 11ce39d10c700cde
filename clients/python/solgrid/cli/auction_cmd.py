"""``solgrid auction``: a periodic market's call auctions.

``show`` reads an epoch account and prints the auction's supply and demand curves as a table (per price:
the kWh bid and asked at that limit, the cumulative demand ``D(p)`` and supply ``S(p)`` and the
executable volume ``min(D, S)``) with the clearing point marked, and the epoch's state and result.
Before the epoch is cleared, the price shown is what the clearing rule gives for the orders so far,
labelled indicative; once it is cleared, the result is the program's, and the command recomputes it
from the levels with :mod:`solgrid.sdk.trading.clearing` and says whether they agree.

``crank`` clears and settles every epoch of the market whose auction closed (anyone may; the wallet pays
the fees, and the rent when rolled orders grow the next epoch account).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click
from solana.rpc.async_api import AsyncClient
from solders.pubkey import Pubkey

from solgrid.cli.auctions import epoch_status, epochs_of, require_periodic
from solgrid.cli.common import PUBKEY, Settings, call, cluster_options, emit_json, json_option, status
from solgrid.cli.markets import U32_MAX, UnknownMarket, market_of
from solgrid.cli.trading_units import format_kwh, format_price, format_quote, format_time
from solgrid.errors import UserFacingError
from solgrid.sdk.clock import cluster_time
from solgrid.sdk.trading import AuctionEpoch, AuctionLevel, Clearing, EpochState, MarketState, TradingClient
from solgrid.sdk.trading.clearing import clear, point_at
from solgrid.sdk.trading.crank import CrankReport, crank_market
from solgrid.sdk.trading.epochs import current_window, window
from solgrid.sdk.trading.market import MarketHeader
from solgrid.sdk.trading.units import MAX_SETTLE_CHUNK

T = TypeVar("T")


@click.group()
def auction() -> None:
    """Periodic markets' call auctions: show an epoch's curves and result, crank closed epochs."""


def market_options(f: Callable[..., T]) -> Callable[..., T]:
    """``--zone`` or ``--market``, and ``--quote-mint``."""
    f = click.option(
        "--quote-mint", type=PUBKEY, help="The market's quote mint (needed when the zone has several)."
    )(f)
    f = click.option("--market", "market_address", type=PUBKEY, help="The market's address.")(f)
    return click.option(
        "--zone", "zone_id", type=click.IntRange(0, U32_MAX), help="The grid zone whose market it is."
    )(f)


async def find_market(
    rpc: AsyncClient,
    client: TradingClient,
    settings: Settings,
    zone_id: int | None,
    address: Pubkey | None,
    quote_mint: Pubkey | None,
) -> MarketState:
    if (zone_id is None) == (address is None):
        raise click.UsageError("name the market with --zone ZONE (and --quote-mint) or --market ADDRESS")
    if address is not None:
        found = await client.fetch_market(rpc, address, settings.commitment)
        if found is None:
            raise UnknownMarket(f"no market at {address}")
    else:
        assert zone_id is not None
        found = await market_of(rpc, client, zone_id, quote_mint, settings.commitment)
    require_periodic(found)
    return found


# -- show ----------------------------------------------------------------------------------------------


def curve_json(levels: list[AuctionLevel], clearing: Clearing, header: MarketHeader) -> list[dict[str, Any]]:
    """The curves at each level's price and at the clearing price, highest price first."""
    by_price = {lv.price: lv for lv in levels}
    prices = sorted(by_price.keys() | ({clearing.price} if clearing.price else set()), reverse=True)
    rows = []
    for price in prices:
        level = by_price.get(price, AuctionLevel(price, 0, 0))
        point = point_at(levels, price)
        rows.append(
            {
                "price": format_price(price, header),
                "price_ticks": price,
                "bid_kwh": format_kwh(level.bid_lots, header),
                "ask_kwh": format_kwh(level.ask_lots, header),
                "demand_kwh": format_kwh(point.demand, header),
                "supply_kwh": format_kwh(point.supply, header),
                "executable_kwh": format_kwh(point.volume, header),
                "clearing": price == clearing.price,
            }
        )
    return rows


def on_chain_clearing(account: AuctionEpoch) -> Clearing:
    h = account.header
    return Clearing(
        price=h.clearing_price,
        volume=h.volume_lots,
        demand=h.demand_lots,
        supply=h.supply_lots,
        bid_marginal_price=h.bid_marginal_price,
        bid_marginal=0,
        ask_marginal_price=h.ask_marginal_price,
        ask_marginal=0,
    )


def agrees(recomputed: Clearing, on_chain: Clearing) -> bool:
    """The recomputed clearing gives the program's price, volume, demand, supply and marginal prices."""
    fields = ("price", "volume", "demand", "supply", "bid_marginal_price", "ask_marginal_price")
    return all(getattr(recomputed, f) == getattr(on_chain, f) for f in fields)


def auction_document(
    market: MarketState, epoch: int, account: AuctionEpoch | None, now: int
) -> dict[str, Any]:
    """``auction show``'s document for ``epoch`` (``account``: the epoch account holding it, None when
    the epoch has no orders)."""
    m = market.header
    span = window(epoch, m.epoch_secs)
    levels = account.levels if account is not None else []
    if account is None:
        state = "COLLECTING" if now < span.ends_at else "EMPTY"
    else:
        state = epoch_status(account.header, now)
    cleared = account is not None and account.header.state in (EpochState.PRICE_FIXED, EpochState.SETTLED)
    if cleared:
        assert account is not None
        reference = account.header.reference_price
        result = on_chain_clearing(account)
        recomputed: bool | None = agrees(clear(levels, reference), result)
    else:
        reference = m.last_clearing_price
        result = clear(levels, reference)
        recomputed = None
    h = account.header if account is not None else None
    return {
        "market": str(market.address),
        "zone_id": m.zone_id,
        "epoch": epoch,
        "starts_at": span.starts_at,
        "ends_at": span.ends_at,
        "state": state,
        "orders": h.order_count if h else 0,
        "live_orders": h.live_orders if h else 0,
        "bid_kwh": format_kwh(sum(lv.bid_lots for lv in levels), m),
        "ask_kwh": format_kwh(sum(lv.ask_lots for lv in levels), m),
        "reference_price": format_price(reference, m) if reference else None,
        "indicative": not cleared,
        "price": format_price(result.price, m) if result.volume else None,
        "price_ticks": result.price if result.volume else None,
        "volume_kwh": format_kwh(result.volume, m),
        "demand_kwh": format_kwh(result.demand, m),
        "supply_kwh": format_kwh(result.supply, m),
        "bid_marginal_price": format_price(result.bid_marginal_price, m) if result.volume else None,
        "ask_marginal_price": format_price(result.ask_marginal_price, m) if result.volume else None,
        "recomputed_matches": recomputed,
        "settled_orders": h.cursor if h and cleared else 0,
        "matched_orders": h.matched_orders if h else 0,
        "rolled_orders": h.rolled_orders if h else 0,
        "fees": format_quote(h.fees, m) if h else format_quote(0, m),
        "cleared_at": h.cleared_at or None if h else None,
        "settled_at": h.settled_at or None if h else None,
        "curve": curve_json(levels, result, m),
    }


def describe_state(document: dict[str, Any], now: int) -> str:
    state = document["state"]
    if state == "COLLECTING":
        return (
            f"collecting orders until {format_time(document['ends_at'])} (in {document['ends_at'] - now} s)"
        )
    if state == "CLOSED":
        return f"closed at {format_time(document['ends_at'])}, waiting for the crank to clear it"
    if state == "PRICE_FIXED":
        return f"cleared, settling: {document['settled_orders']} of {document['orders']} orders settled"
    if state == "SETTLED":
        return (
            f"settled: {document['matched_orders']} orders traded, {document['rolled_orders']} rolled into "
            f"the next epoch, fees {document['fees']}"
        )
    return "no orders"


def render(document: dict[str, Any], now: int) -> list[str]:
    """``auction show``'s text: the epoch, its state, its result (or the indicative one), the curves."""
    lines = [
        f"epoch {document['epoch']} of grid zone {document['zone_id']} ({document['market']}): "
        f"{format_time(document['starts_at'])} to {format_time(document['ends_at'])}",
        f"state: {describe_state(document, now)}",
        f"orders: {document['live_orders']} (bids {document['bid_kwh']} kWh, asks "
        f"{document['ask_kwh']} kWh); reference price {document['reference_price'] or 'none'}",
    ]
    label = "indicative price (if the auction closed now)" if document["indicative"] else "clearing price"
    if document["price"] is None:
        lines.append(f"{label}: none, no bid meets an ask")
    else:
        lines.append(
            f"{label}: {document['price']} per kWh, {document['volume_kwh']} kWh executed (demand "
            f"{document['demand_kwh']}, supply {document['supply_kwh']} kWh at that price); bids from "
            f"{document['bid_marginal_price']} and asks up to {document['ask_marginal_price']} trade"
        )
    if document["recomputed_matches"] is not None:
        lines.append(
            "recomputed from the levels with the clearing rule: "
            + ("the same result" if document["recomputed_matches"] else "A DIFFERENT RESULT")
        )
    if not document["curve"]:
        return lines
    marker = "<- indicative" if document["indicative"] else "<- clearing"
    lines.append(
        f"{'PRICE/kWh':>14}  {'BIDS kWh':>12}  {'ASKS kWh':>12}  {'DEMAND kWh':>12}  {'SUPPLY kWh':>12}  "
        f"{'EXECUTABLE':>12}"
    )
    for row in document["curve"]:
        lines.append(
            f"{row['price']:>14}  {row['bid_kwh']:>12}  {row['ask_kwh']:>12}  {row['demand_kwh']:>12}  "
            f"{row['supply_kwh']:>12}  {row['executable_kwh']:>12}"
            + (f"  {marker}" if row["clearing"] else "")
        )
    return lines


@auction.command("show")
@click.argument("epoch", type=click.IntRange(0), required=False)
@market_options
@cluster_options
@json_option
def show(
    epoch: int | None,
    zone_id: int | None,
    market_address: Pubkey | None,
    quote_mint: Pubkey | None,
    settings: Settings,
    as_json: bool,
) -> None:
    """EPOCH's auction in a periodic market (default: the current epoch): state, result (indicative until
    it is cleared) and the supply and demand curves with the clearing point."""
    client = TradingClient()

    async def work(rpc: AsyncClient) -> tuple[MarketState, int, int, AuctionEpoch | None]:
        found = await find_market(rpc, client, settings, zone_id, market_address, quote_mint)
        now = await cluster_time(rpc, settings.commitment)
        current = current_window(now, found.header.epoch_secs).epoch
        wanted = current if epoch is None else epoch
        if wanted > current:
            raise UserFacingError(f"epoch {wanted} has not started: the current epoch is {current}")
        accounts = await epochs_of(rpc, client, found, settings.commitment)
        held = next((a for a in accounts if a.header.epoch == wanted), None)
        same_slot = [a for a in accounts if a.header.slot == wanted % 2]
        if held is None and same_slot and same_slot[0].header.epoch > wanted:
            raise UserFacingError(
                f"epoch {wanted} is no longer on chain: its account now holds epoch "
                f"{same_slot[0].header.epoch} (an indexer keeps past epochs' results)"
            )
        return found, now, wanted, held

    found, now, wanted, held = call(settings, work)
    document = auction_document(found, wanted, held, now)
    if as_json:
        emit_json(document)
        return
    for line in render(document, now):
        click.echo(line)


# -- crank ---------------------------------------------------------------------------------------------


def crank_json(report: CrankReport, market: MarketState) -> dict[str, Any]:
    h = market.header
    cleared = report.cleared
    return {
        "epoch": report.epoch,
        "cleared": cleared is not None,
        "price": format_price(cleared.price, h) if cleared and cleared.volume_lots else None,
        "volume_kwh": format_kwh(cleared.volume_lots, h) if cleared else None,
        "chunks": len(report.chunks),
        "settled_orders": sum(len(c.settlements) for c in report.chunks),
        "settled": report.settled,
        "signatures": report.signatures,
    }


@auction.command("crank")
@market_options
@click.option(
    "--chunk",
    type=click.IntRange(1, MAX_SETTLE_CHUNK),
    default=MAX_SETTLE_CHUNK,
    show_default=True,
    help="Orders settled per transaction.",
)
@cluster_options
@json_option
def crank(
    zone_id: int | None,
    market_address: Pubkey | None,
    quote_mint: Pubkey | None,
    chunk: int,
    settings: Settings,
    as_json: bool,
) -> None:
    """Clear and settle every epoch of a periodic market whose auction closed, oldest first (anyone may;
    the wallet pays)."""
    wallet = settings.keypair()
    client = TradingClient()

    async def work(rpc: AsyncClient) -> tuple[MarketState, list[CrankReport], int]:
        found = await find_market(rpc, client, settings, zone_id, market_address, quote_mint)
        status(f"cranking the closed epochs of the market of grid zone {found.header.zone_id} ...")
        reports = await crank_market(
            rpc, client, found.address, wallet, chunk=chunk, commitment=settings.commitment
        )
        return found, reports, await cluster_time(rpc, settings.commitment)

    found, reports, now = call(settings, work)
    documents = [crank_json(r, found) for r in reports]
    if as_json:
        emit_json({"market": str(found.address), "zone_id": found.header.zone_id, "epochs": documents})
        return
    if not documents:
        current = current_window(now, found.header.epoch_secs)
        click.echo(
            f"nothing to crank: epoch {current.epoch} collects orders until {format_time(current.ends_at)}"
        )
        return
    for d in documents:
        cleared = f"cleared at {d['price']} per kWh ({d['volume_kwh']} kWh)" if d["price"] else "cleared"
        if not d["cleared"]:
            cleared = "already cleared"
        elif d["price"] is None:
            cleared = "cleared with no volume (no bid met an ask)"
        click.echo(
            f"epoch {d['epoch']}: {cleared}; {d['settled_orders']} orders settled in {d['chunks']} "
            f"transaction(s){'' if d['settled'] else ', not finished'}"
        )

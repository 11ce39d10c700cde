"""``solgrid market``: the GRID markets of the grid zones, and running them.

``list`` and ``show`` read; ``create``, ``update`` and ``maker`` are regulator actions that need the
registry's threshold of regulator signatures (the wallet's and those of ``--cosigner`` keypair files);
``collect-fees`` is the fee recipient's.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from solana.rpc.async_api import AsyncClient
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.signature import Signature
from spl.token.instructions import create_idempotent_associated_token_account

from solgrid.cli.auctions import epochs_of, periodic_detail
from solgrid.cli.chain import send
from solgrid.cli.common import PUBKEY, Settings, call, cluster_options, emit_json, json_option, status
from solgrid.cli.markets import (
    U32_MAX,
    cosigner_option,
    format_mode,
    landed_event,
    market_of,
    market_summary,
    markets_of,
    quote_mint_option,
    read_cosigners,
    require_quorum,
    require_trading,
    zone_argument,
)
from solgrid.cli.trading_units import format_kwh, format_price, format_quote, format_time
from solgrid.errors import UserFacingError
from solgrid.sdk.clock import cluster_time
from solgrid.sdk.registry import RegistryClient
from solgrid.sdk.trading import AuctionEpoch, MarketParams, MarketState, TradingClient
from solgrid.sdk.trading.events import MarketMakerSet
from solgrid.sdk.trading.funding import Asset, token_account
from solgrid.sdk.trading.units import (
    DEFAULT_AUCTION_EPOCH_SECS,
    DEFAULT_MAKER_FEE_BPS,
    DEFAULT_MAX_ORDERS_PER_EPOCH,
    DEFAULT_TAKER_FEE_BPS,
    MAX_AUCTION_EPOCH_SECS,
    MAX_FEE_BPS,
    MarketStatus,
    quote_per_lot_tick,
)

U64 = click.IntRange(1, 2**64 - 1)
FEE_BPS = click.IntRange(0, MAX_FEE_BPS)
EPOCH_LIMIT = click.IntRange(1, U32_MAX)
EPOCH_SECS = click.IntRange(1, MAX_AUCTION_EPOCH_SECS)
STATUSES = {s.name.lower(): s for s in MarketStatus}


@click.group()
def market() -> None:
    """GRID markets per grid zone: list, show; regulators create, update, register market makers."""


@market.command("list")
@cluster_options
@json_option
def list_markets(settings: Settings, as_json: bool) -> None:
    """Every market: zone, quote mint, mode (continuous, or the epoch of a periodic market), tick and
    lot, fees, status, best bid and ask, volume."""
    client = TradingClient()

    async def work(rpc: AsyncClient) -> tuple[list[MarketState], int]:
        markets = await markets_of(rpc, client, None, None, settings.commitment)
        return markets, await cluster_time(rpc, settings.commitment)

    markets, now = call(settings, work)
    summaries = [market_summary(m, now) for m in markets]
    if as_json:
        emit_json({"markets": summaries})
        return
    if not markets:
        click.echo("no markets")
        return
    click.echo(
        f"{'ZONE':>10}  {'QUOTE MINT':<44}  {'MODE':<10}  {'TICK':>8}  {'LOT Wh':>6}  {'TAKER/MAKER':>11}  "
        f"{'STATUS':<6}  {'BID':>12}  {'ASK':>12}  {'VOLUME kWh':>12}  TRADES"
    )
    for m, s in zip(markets, summaries, strict=True):
        fees = f"{s['taker_fee_bps']}/{s['maker_fee_bps']} bps"
        click.echo(
            f"{s['zone_id']:>10}  {s['quote_mint']:<44}  {format_mode(m):<10}  {s['tick_size']:>8}  "
            f"{s['lot_size_wh']:>6}  {fees:>11}  {s['status']:<6}  {s['best_bid'] or '-':>12}  "
            f"{s['best_ask'] or '-':>12}  {s['volume_kwh']:>12}  {s['trade_count']}"
        )


def market_detail(market: MarketState, now: int, epochs: list[AuctionEpoch]) -> dict[str, Any]:
    """``market_summary`` plus the accounts, the epoch limit, fees earned and collected, seats, a
    summary of the book's depth (expired orders left out) and, for a periodic market, its epochs."""
    h = market.header
    bids, asks = market.depth(now=now)
    best_bid = bids[0].price if bids else None
    best_ask = asks[0].price if asks else None
    return {
        **market_summary(market, now),
        "spread": None if best_bid is None or best_ask is None else format_price(best_ask - best_bid, h),
        "base_mint": str(h.base_mint),
        "base_vault": str(h.base_vault),
        "quote_vault": str(h.quote_vault),
        "fee_recipient": str(h.fee_recipient),
        "max_orders_per_epoch": h.max_orders_per_epoch,
        "created_at": h.created_at,
        "fees_earned": format_quote(h.fees_accrued + h.fees_collected, h),
        "fees_collected": format_quote(h.fees_collected, h),
        "fees_uncollected": format_quote(h.fees_accrued, h),
        "seats": h.seat_count,
        "bid_orders": sum(level.orders for level in bids),
        "ask_orders": sum(level.orders for level in asks),
        "bid_levels": len(bids),
        "ask_levels": len(asks),
        "bid_kwh": format_kwh(sum(level.lots for level in bids), h),
        "ask_kwh": format_kwh(sum(level.lots for level in asks), h),
        **periodic_detail(market, epochs, now),
    }


@market.command("show")
@zone_argument()
@quote_mint_option
@cluster_options
@json_option
def show(zone_id: int, quote_mint: Pubkey | None, settings: Settings, as_json: bool) -> None:
    """The market of ZONE: parameters, fees accrued, seats and a summary of the book; for a periodic
    market its epochs and last clearing."""
    client = TradingClient()

    async def work(rpc: AsyncClient) -> tuple[MarketState, int, list[AuctionEpoch]]:
        found = await market_of(rpc, client, zone_id, quote_mint, settings.commitment)
        epochs = await epochs_of(rpc, client, found, settings.commitment)
        return found, await cluster_time(rpc, settings.commitment), epochs

    found, now, epochs = call(settings, work)
    detail = market_detail(found, now, epochs)
    if as_json:
        emit_json(detail)
        return
    h = found.header
    lines = [
        ("market", f"{detail['market']} (zone {h.zone_id}, {detail['status']})"),
        ("quote mint", f"{detail['quote_mint']} ({h.quote_decimals} decimals)"),
        ("base mint", f"{detail['base_mint']} (GRID)"),
        ("tick", f"{format_price(1, h)} per kWh ({h.tick_size} atoms)"),
        ("lot", f"{format_kwh(1, h)} kWh ({h.lot_size_wh} Wh); minimum order {h.min_order_lots} lots"),
        ("fees", fees_line(found, detail["fee_recipient"])),
        (
            "fee accrual",
            f"{detail['fees_earned']} earned, {detail['fees_collected']} collected, "
            f"{detail['fees_uncollected']} to collect",
        ),
        ("order limit", f"{h.max_orders_per_epoch} resting orders per trader per 15 minutes"),
        ("seats", str(h.seat_count)),
    ]
    if h.periodic:
        lines += periodic_lines(found, detail, now)
    else:
        lines += continuous_lines(detail)
    lines += [
        ("volume", f"{detail['volume_kwh']} kWh for {detail['volume_quote']} in {h.trade_count} trades"),
        ("created", format_time(h.created_at)),
    ]
    for key, value in lines:
        click.echo(f"{key + ':':<13}{value}")


def fees_line(market: MarketState, recipient: str) -> str:
    h = market.header
    if h.periodic:
        return f"maker {h.maker_fee_bps} bps, paid by both sides of every auction trade, to {recipient}"
    return f"taker {h.taker_fee_bps} bps, maker {h.maker_fee_bps} bps, to {recipient}"


def continuous_lines(detail: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        ("mode", "continuous (orders match on arrival)"),
        (
            "bids",
            f"{detail['bid_kwh']} kWh in {detail['bid_orders']} orders at {detail['bid_levels']} prices",
        ),
        (
            "asks",
            f"{detail['ask_kwh']} kWh in {detail['ask_orders']} orders at {detail['ask_levels']} prices",
        ),
        (
            "best",
            f"bid {detail['best_bid'] or '-'}, ask {detail['best_ask'] or '-'}, "
            f"spread {detail['spread'] or '-'}",
        ),
    ]


def periodic_lines(market: MarketState, detail: dict[str, Any], now: int) -> list[tuple[str, str]]:
    h = market.header
    current = detail["current_epoch"]
    ends = detail["current_epoch_ends_at"]
    lines = [
        ("mode", f"periodic: a call auction per {format_mode(market)} epoch (one clearing price per epoch)"),
        ("epoch now", f"{current}, closes {format_time(ends)} (in {ends - now} s)"),
    ]
    for epoch in detail["epochs"]:
        what = (
            f"{epoch['state']}, {epoch['live_orders']} orders: bids {epoch['bid_kwh']} kWh, "
            f"asks {epoch['ask_kwh']} kWh"
        )
        if epoch["state"] in ("PRICE_FIXED", "SETTLED"):
            price = epoch["price"] or "none (no volume)"
            what += f"; cleared at {price}, {epoch['volume_kwh']} kWh"
        lines.append(("auction", f"epoch {epoch['epoch']}: {what}"))
    last = detail["last_clearing_price"] or "-"
    settled = detail["last_settled_epoch"]
    lines.append(
        (
            "clearings",
            f"{h.auctions_settled} epochs settled"
            + (f", the last {settled}" if settled is not None else "")
            + f"; last clearing price {last}",
        )
    )
    lines.append(("orders", f"{h.auction_orders} in auctions"))
    return lines


# -- regulator actions ------------------------------------------------------------------------------------


async def _regulated_send(
    rpc: AsyncClient,
    settings: Settings,
    wallet: Keypair,
    cosigners: list[Keypair],
    build: Callable[[list[Pubkey]], Instruction],
) -> str:
    """Checks that ``wallet`` and ``cosigners`` meet the regulator threshold, then sends
    ``build(regulators)`` (the distinct regulators among them sign as the instruction's cosigners)."""
    _, regulators = await require_quorum(rpc, RegistryClient(), settings.url, [wallet, *cosigners])
    landed = await send(rpc, settings, [build(regulators)], wallet, [TradingClient().coder], cosigners)
    return str(landed.signature)


def _check_tick_and_lot(tick_size: int, lot_size_wh: int) -> None:
    try:
        quote_per_lot_tick(tick_size, lot_size_wh)
    except ValueError:
        raise click.BadParameter(
            f"tick size x lot size ({tick_size} x {lot_size_wh}) must be a multiple of 1000, so that one lot "
            "at one tick is a whole number of quote atoms",
            param_hint="--tick-size/--lot-size-wh",
        ) from None


@market.command("create")
@zone_argument()
@click.option("--quote-mint", type=PUBKEY, required=True, help="The SPL Token mint prices are paid in.")
@click.option("--tick-size", type=U64, required=True, help="Price tick: quote atoms per kWh.")
@click.option("--lot-size-wh", type=U64, required=True, help="Quantity lot, Wh.")
@click.option("--min-order-lots", type=U64, default=1, show_default=True, help="Smallest order, lots.")
@click.option("--taker-fee-bps", type=FEE_BPS, default=DEFAULT_TAKER_FEE_BPS, show_default=True)
@click.option("--maker-fee-bps", type=FEE_BPS, default=DEFAULT_MAKER_FEE_BPS, show_default=True)
@click.option(
    "--max-orders-per-epoch",
    type=EPOCH_LIMIT,
    default=DEFAULT_MAX_ORDERS_PER_EPOCH,
    show_default=True,
    help="Most resting orders per trader per 15-minute epoch (market makers exempt).",
)
@click.option("--fee-recipient", type=PUBKEY, help="Who collects the fees (default: the wallet).")
@click.option(
    "--periodic",
    "epoch_secs",
    type=EPOCH_SECS,
    metavar="[SECONDS]",
    is_flag=False,
    flag_value=DEFAULT_AUCTION_EPOCH_SECS,
    help="A periodic market: a call auction per epoch of SECONDS (alone: 900, every quarter hour) instead "
    "of continuous matching.",
)
@cosigner_option
@cluster_options
@json_option
def create(
    zone_id: int,
    quote_mint: Pubkey,
    tick_size: int,
    lot_size_wh: int,
    min_order_lots: int,
    taker_fee_bps: int,
    maker_fee_bps: int,
    max_orders_per_epoch: int,
    fee_recipient: Pubkey | None,
    epoch_secs: int | None,
    cosigner_paths: tuple[Path, ...],
    settings: Settings,
    as_json: bool,
) -> None:
    """Open the GRID market of ZONE against --quote-mint (regulator quorum; the wallet pays the rent):
    continuous, or with --periodic a call auction per epoch."""
    _check_tick_and_lot(tick_size, lot_size_wh)
    wallet = settings.keypair()
    cosigners = read_cosigners(cosigner_paths)
    client = TradingClient()
    params = MarketParams(
        tick_size=tick_size,
        lot_size_wh=lot_size_wh,
        fee_recipient=fee_recipient or wallet.pubkey(),
        min_order_lots=min_order_lots,
        taker_fee_bps=taker_fee_bps,
        maker_fee_bps=maker_fee_bps,
        max_orders_per_epoch=max_orders_per_epoch,
    )
    address = client.market_pda(zone_id, quote_mint).address

    async def work(rpc: AsyncClient) -> tuple[str, Pubkey]:
        config = await require_trading(rpc, client, settings.url, settings.commitment)
        if await RegistryClient().fetch_zone(rpc, zone_id) is None:
            raise UserFacingError(f"grid zone {zone_id} does not exist")
        if await client.fetch_market(rpc, address, settings.commitment) is not None:
            raise UserFacingError(
                f"grid zone {zone_id} already has a market for quote mint {quote_mint} ({address})"
            )
        status(f"creating the market of grid zone {zone_id} against {quote_mint} ...")
        signature = await _regulated_send(
            rpc,
            settings,
            wallet,
            cosigners,
            lambda regulators: client.create_market(
                payer=wallet.pubkey(),
                zone_id=zone_id,
                base_mint=config.base_mint,
                quote_mint=quote_mint,
                params=params,
                cosigners=regulators,
                epoch_secs=epoch_secs or 0,
            ),
        )
        return signature, config.base_mint

    signature, base_mint = call(settings, work)
    document = {
        "signature": signature,
        "market": str(address),
        "zone_id": zone_id,
        "quote_mint": str(quote_mint),
        "base_vault": str(client.vault_pda(address, base_mint).address),
        "quote_vault": str(client.vault_pda(address, quote_mint).address),
        "mode": "periodic" if epoch_secs else "continuous",
        "epoch_secs": epoch_secs,
        "epoch_accounts": [str(client.epoch_pda(address, slot).address) for slot in (0, 1)]
        if epoch_secs
        else [],
    }
    if as_json:
        emit_json(document)
        return
    if epoch_secs:
        click.echo(
            f"created the periodic market of grid zone {zone_id} ({address}): a call auction every "
            f"{epoch_secs} s, each epoch cleared at one price once it ends"
        )
    else:
        click.echo(f"created the market of grid zone {zone_id} ({address})")
    click.echo(f"signature: {signature}")


@market.command("update")
@zone_argument()
@quote_mint_option
@click.option("--tick-size", type=U64, help="Price tick: quote atoms per kWh (only while no order rests).")
@click.option("--lot-size-wh", type=U64, help="Quantity lot, Wh (only while no order rests).")
@click.option("--min-order-lots", type=U64, help="Smallest order, lots.")
@click.option("--taker-fee-bps", type=FEE_BPS)
@click.option("--maker-fee-bps", type=FEE_BPS)
@click.option("--max-orders-per-epoch", type=EPOCH_LIMIT)
@click.option("--fee-recipient", type=PUBKEY)
@click.option("--status", "new_status", type=click.Choice(sorted(STATUSES)), help="active, or paused.")
@cosigner_option
@cluster_options
@json_option
def update(
    zone_id: int,
    quote_mint: Pubkey | None,
    tick_size: int | None,
    lot_size_wh: int | None,
    min_order_lots: int | None,
    taker_fee_bps: int | None,
    maker_fee_bps: int | None,
    max_orders_per_epoch: int | None,
    fee_recipient: Pubkey | None,
    new_status: str | None,
    cosigner_paths: tuple[Path, ...],
    settings: Settings,
    as_json: bool,
) -> None:
    """Change parameters of the market of ZONE (regulator quorum); what is not given stays as it is.
    Tick and lot size change only while no order rests in the market."""
    changes = (
        tick_size,
        lot_size_wh,
        min_order_lots,
        taker_fee_bps,
        maker_fee_bps,
        max_orders_per_epoch,
        fee_recipient,
        new_status,
    )
    if all(value is None for value in changes):
        raise click.UsageError("nothing to change: give at least one of the options")
    wallet = settings.keypair()
    cosigners = read_cosigners(cosigner_paths)
    client = TradingClient()

    async def work(rpc: AsyncClient) -> tuple[str, MarketState]:
        await require_trading(rpc, client, settings.url, settings.commitment)
        found = await market_of(rpc, client, zone_id, quote_mint, settings.commitment)
        h = found.header
        tick = h.tick_size if tick_size is None else tick_size
        lot = h.lot_size_wh if lot_size_wh is None else lot_size_wh
        if (tick, lot) != (h.tick_size, h.lot_size_wh):
            _check_tick_and_lot(tick, lot)
            resting = h.bid_count + h.ask_count + h.auction_orders
            if resting:
                where = "order(s) in its auctions" if h.periodic else "resting order(s)"
                raise UserFacingError(
                    f"the market of grid zone {zone_id} has {resting} {where}: tick and lot size "
                    "change only while no order rests"
                )
        status(f"updating the market of grid zone {zone_id} ...")
        signature = await _regulated_send(
            rpc,
            settings,
            wallet,
            cosigners,
            lambda regulators: client.update_market(
                market=found.address,
                tick_size=tick,
                lot_size_wh=lot,
                min_order_lots=h.min_order_lots if min_order_lots is None else min_order_lots,
                taker_fee_bps=h.taker_fee_bps if taker_fee_bps is None else taker_fee_bps,
                maker_fee_bps=h.maker_fee_bps if maker_fee_bps is None else maker_fee_bps,
                max_orders_per_epoch=h.max_orders_per_epoch
                if max_orders_per_epoch is None
                else max_orders_per_epoch,
                fee_recipient=fee_recipient or h.fee_recipient,
                status=h.status if new_status is None else STATUSES[new_status],
                cosigners=regulators,
            ),
        )
        after = await client.fetch_market(rpc, found.address, settings.commitment)
        assert after is not None
        return signature, after

    signature, after = call(settings, work)
    h = after.header
    document = {
        "signature": signature,
        "market": str(after.address),
        "zone_id": h.zone_id,
        "tick_size": h.tick_size,
        "lot_size_wh": h.lot_size_wh,
        "min_order_lots": h.min_order_lots,
        "taker_fee_bps": h.taker_fee_bps,
        "maker_fee_bps": h.maker_fee_bps,
        "max_orders_per_epoch": h.max_orders_per_epoch,
        "fee_recipient": str(h.fee_recipient),
        "status": h.status.name,
    }
    if as_json:
        emit_json(document)
        return
    click.echo(f"updated the market of grid zone {h.zone_id} ({after.address})")
    click.echo(
        f"tick {format_price(1, h)} per kWh ({h.tick_size} atoms), lot {h.lot_size_wh} Wh, "
        f"minimum order {h.min_order_lots} lots, taker {h.taker_fee_bps} bps, maker {h.maker_fee_bps} bps, "
        f"{h.max_orders_per_epoch} orders per epoch, fees to {h.fee_recipient}, {h.status.name}"
    )
    click.echo(f"signature: {signature}")


@market.command("maker")
@zone_argument()
@click.argument("trader", type=PUBKEY)
@quote_mint_option
@click.option("--disable", is_flag=True, help="Withdraw the market-maker standing instead of granting it.")
@cosigner_option
@cluster_options
@json_option
def maker(
    zone_id: int,
    trader: Pubkey,
    quote_mint: Pubkey | None,
    disable: bool,
    cosigner_paths: tuple[Path, ...],
    settings: Settings,
    as_json: bool,
) -> None:
    """Register TRADER as a market maker of the market of ZONE (exempt from the per-epoch order limit
    only), or with --disable withdraw it (regulator quorum). A trader without a seat gets one: a free
    seat slot, or when the market has none it grows by one seat, the wallet paying the rent."""
    wallet = settings.keypair()
    cosigners = read_cosigners(cosigner_paths)
    client = TradingClient()

    async def work(rpc: AsyncClient) -> tuple[str, MarketMakerSet]:
        await require_trading(rpc, client, settings.url, settings.commitment)
        found = await market_of(rpc, client, zone_id, quote_mint, settings.commitment)
        status(f"{'disabling' if disable else 'enabling'} market maker {trader} in grid zone {zone_id} ...")
        signature = await _regulated_send(
            rpc,
            settings,
            wallet,
            cosigners,
            lambda regulators: client.set_market_maker(
                payer=wallet.pubkey(),
                market=found.address,
                trader=trader,
                enabled=not disable,
                cosigners=regulators,
            ),
        )
        event = await landed_event(
            rpc, client, Signature.from_string(signature), MarketMakerSet, settings.commitment
        )
        return signature, event

    signature, event = call(settings, work)
    document = {
        "signature": signature,
        "market": str(event.market),
        "zone_id": zone_id,
        "trader": str(trader),
        "seat": event.seat,
        "seat_created": event.seat_created,
        "enabled": event.enabled,
    }
    if as_json:
        emit_json(document)
        return
    state = "is a market maker" if event.enabled else "is no longer a market maker"
    seat = f"seat {event.seat}, claimed for it now" if event.seat_created else f"seat {event.seat}"
    click.echo(f"{trader} {state} in the market of grid zone {zone_id} ({seat})")
    click.echo(f"signature: {signature}")


@market.command("collect-fees")
@zone_argument()
@quote_mint_option
@cluster_options
@json_option
def collect_fees(zone_id: int, quote_mint: Pubkey | None, settings: Settings, as_json: bool) -> None:
    """Collect the fees the market of ZONE accrued into the wallet's quote token account (created if
    missing); the wallet must be the market's fee recipient."""
    wallet = settings.keypair()
    client = TradingClient()

    async def work(rpc: AsyncClient) -> tuple[str, MarketState, int, Pubkey]:
        found = await market_of(rpc, client, zone_id, quote_mint, settings.commitment)
        h = found.header
        if h.fee_recipient != wallet.pubkey():
            raise UserFacingError(
                f"the fees of this market go to {h.fee_recipient}, not wallet {wallet.pubkey()}"
            )
        amount = h.fees_accrued  # what accrued since the last collection
        if amount == 0:
            raise UserFacingError(f"the market of grid zone {zone_id} has no fees to collect")
        destination = token_account(wallet.pubkey(), h, Asset.QUOTE)
        status(f"collecting {format_quote(amount, h)} of fees ...")
        ixs = [
            create_idempotent_associated_token_account(wallet.pubkey(), wallet.pubkey(), h.quote_mint),
            client.collect_fees(
                fee_recipient=wallet.pubkey(),
                market=found.address,
                quote_vault=h.quote_vault,
                destination=destination,
            ),
        ]
        landed = await send(rpc, settings, ixs, wallet, [client.coder])
        return str(landed.signature), found, amount, destination

    signature, found, amount, destination = call(settings, work)
    h = found.header
    document = {
        "signature": signature,
        "market": str(found.address),
        "zone_id": h.zone_id,
        "destination": str(destination),
        "quote": format_quote(amount, h),
        "quote_atoms": amount,
    }
    if as_json:
        emit_json(document)
        return
    click.echo(f"collected {document['quote']} of fees into {destination}\nsignature: {signature}")

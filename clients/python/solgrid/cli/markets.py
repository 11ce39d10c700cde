"""What the trading commands share: finding a zone's market, the checks they make before sending (so
common mistakes read as one clear line instead of a program error), regulator quorums, token balances,
and the JSON of markets, orders and seats.

A market is named by its grid zone (``ZONE``) and, when the zone has markets in several quote mints,
``--quote-mint``.
"""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Commitment
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.signature import Signature

from solgrid.cli.chain import NotRegulator, governed_message, require_config, require_user
from solgrid.cli.common import PUBKEY, status
from solgrid.cli.trading_units import (
    SIDE_NAMES,
    format_amount,
    format_base_kwh,
    format_kwh,
    format_price,
    format_quote,
)
from solgrid.errors import UserFacingError
from solgrid.sdk.keys import read_keypair
from solgrid.sdk.registry import Config as RegistryConfig
from solgrid.sdk.registry import RegistryClient, User, UserStatus
from solgrid.sdk.registry_governance import PauseFlag, is_paused
from solgrid.sdk.trading import Config, MarketState, RestingOrder, Seat, TradingClient
from solgrid.sdk.trading.events import TradingEvent
from solgrid.sdk.trading.funding import Asset, Plan, free_balance
from solgrid.sdk.trading.trades import transaction_events
from solgrid.sdk.trading.units import OrderState

T = TypeVar("T")
E = TypeVar("E", bound=TradingEvent)
U32_MAX = 2**32 - 1
TOKEN_AMOUNT_OFFSET = 64
"""SPL Token account layout: mint (32), owner (32), amount (u64)."""


class UnknownMarket(UserFacingError):
    """No market matches the zone (and quote mint) given."""


class NoSeat(UserFacingError):
    """The wallet has no seat in the market."""


class NotVerified(UserFacingError):
    """The wallet's registry user is not Verified."""


class InsufficientFunds(UserFacingError):
    """The wallet or its seat does not hold what the command needs."""


class TradingPaused(UserFacingError):
    """The registry pauses trading in the market's zone or market-wide."""


def zone_argument(required: bool = True) -> Callable[[Callable[..., T]], Callable[..., T]]:
    return click.argument("zone_id", metavar="ZONE", type=click.IntRange(0, U32_MAX), required=required)


quote_mint_option = click.option(
    "--quote-mint",
    type=PUBKEY,
    help="The market's quote mint (needed when the zone has markets in several).",
)


async def require_trading(
    rpc: AsyncClient, client: TradingClient, url: str, commitment: Commitment
) -> Config:
    config = await client.fetch_config(rpc, commitment)
    if config is None:
        raise UserFacingError(
            f"trading is not initialized on {url} (is the program deployed there? then its upgrade "
            "authority runs `solgrid trading init`)"
        )
    return config


async def markets_of(
    rpc: AsyncClient,
    client: TradingClient,
    zone_id: int | None,
    quote_mint: Pubkey | None,
    commitment: Commitment,
) -> list[MarketState]:
    """The markets a command acts on: the one of ``zone_id`` and ``quote_mint``, every one of ``zone_id``,
    or every market (no zone). A zone or zone and mint that has none is an error."""
    if zone_id is None:
        return await client.fetch_markets(rpc, commitment)
    if quote_mint is not None:
        address = client.market_pda(zone_id, quote_mint).address
        found = await client.fetch_market(rpc, address, commitment)
        if found is None:
            raise UnknownMarket(f"no market in grid zone {zone_id} for quote mint {quote_mint}")
        return [found]
    markets = await client.fetch_markets(rpc, commitment, zone_id=zone_id)
    if not markets:
        if await RegistryClient().fetch_zone(rpc, zone_id) is None:
            raise UnknownMarket(f"grid zone {zone_id} does not exist")
        raise UnknownMarket(f"no market in grid zone {zone_id}")
    return markets


async def market_of(
    rpc: AsyncClient, client: TradingClient, zone_id: int, quote_mint: Pubkey | None, commitment: Commitment
) -> MarketState:
    """The one market of ``zone_id`` (and ``quote_mint``)."""
    markets = await markets_of(rpc, client, zone_id, quote_mint, commitment)
    if len(markets) > 1:
        mints = ", ".join(str(m.header.quote_mint) for m in markets)
        raise UnknownMarket(
            f"grid zone {zone_id} has markets in several quote mints ({mints}): pass --quote-mint"
        )
    return markets[0]


async def require_verified(rpc: AsyncClient, registry: RegistryClient, wallet: Pubkey) -> User:
    user = await require_user(rpc, registry, wallet)
    if user.status != UserStatus.VERIFIED:
        raise NotVerified(
            f"wallet {wallet} is not a verified user (status {user.status.name}): a regulator verifies "
            "it with `solgrid regulator verify-user`"
        )
    return user


async def trading_paused(rpc: AsyncClient, registry: RegistryClient, zone_id: int) -> bool:
    """Whether the registry pauses trading (its emergency pause) in grid zone ``zone_id`` or market-wide."""
    config, zone = await asyncio.gather(registry.fetch_config(rpc), registry.fetch_zone(rpc, zone_id))
    market_flags = 0 if config is None else config.paused
    zone_flags = 0 if zone is None else zone.paused
    return is_paused(market_flags, zone_flags, PauseFlag.TRADING)


async def require_trading_open(rpc: AsyncClient, registry: RegistryClient, zone_id: int) -> None:
    """Refuses, in one line, an order the program would refuse because trading is paused."""
    if await trading_paused(rpc, registry, zone_id):
        raise TradingPaused(
            f"trading is paused in grid zone {zone_id} (the registry's emergency pause): no order is placed "
            "until regulators resume it; orders can still be cancelled and funds withdrawn"
        )


def require_seat(market: MarketState, wallet: Pubkey) -> Seat:
    seat = market.seat_of(wallet)
    if seat is None:
        raise NoSeat(
            f"wallet {wallet} has no seat in the market of grid zone {market.header.zone_id} "
            "(`solgrid deposit` or an order claims one)"
        )
    return seat


def claiming_seat(market: MarketState) -> str:
    """What claiming a seat in ``market`` costs the wallet, for the status line."""
    h = market.header
    if h.seat_count < h.seat_capacity:
        where = "a free seat slot, no rent"
    else:
        where = "the market grows by one seat, the wallet pays its rent"
    return f"claiming a seat in the market of grid zone {h.zone_id} ({where})"


async def token_balance(rpc: AsyncClient, account: Pubkey, commitment: Commitment) -> int | None:
    """What SPL Token ``account`` holds, or None when it does not exist."""
    info = (await rpc.get_account_info(account, commitment)).value
    if info is None:
        return None
    amount: int = struct.unpack_from("<Q", bytes(info.data), TOKEN_AMOUNT_OFFSET)[0]
    return amount


async def check_funds(
    rpc: AsyncClient,
    commitment: Commitment,
    market: MarketState,
    wallet: Pubkey,
    plan: Plan,
    shortfall: int,
    no_deposit: bool,
) -> None:
    """Refuses an order the seat cannot fund: with ``no_deposit`` when the free balance lacks
    ``shortfall``, else when the wallet's token account cannot deposit it."""
    h, asset = market.header, plan.asset
    if shortfall and no_deposit:
        free = free_balance(market, wallet, asset)
        raise InsufficientFunds(
            f"insufficient {asset.value} in the market: the seat holds {format_amount(free, asset, h)} "
            f"free, the order needs up to {format_amount(free + shortfall, asset, h)} (run without "
            "--no-deposit to deposit the rest, or `solgrid deposit`)"
        )
    if shortfall:
        held = await token_balance(rpc, plan.account, commitment) or 0
        if held < shortfall:
            raise InsufficientFunds(
                f"insufficient {asset.value}: the order needs {format_amount(shortfall, asset, h)} more "
                f"than the seat holds free, and the wallet's account {plan.account} holds "
                f"{format_amount(held, asset, h)}"
            )


def announce_funding(market: MarketState, plan: Plan) -> None:
    """Status lines for what the order's transaction does besides placing it."""
    if plan.claims_seat:
        status(claiming_seat(market))
    if plan.deposit:
        status(
            f"depositing {format_amount(plan.deposit, plan.asset, market.header)} {plan.asset.value}, "
            "which the seat lacks for the order"
        )


async def landed_event(
    rpc: AsyncClient, client: TradingClient, signature: Signature, kind: type[E], commitment: Commitment
) -> E:
    """The one ``kind`` event of the landed transaction ``signature`` (read from its inner
    instructions)."""
    events = await transaction_events(rpc, client, signature, commitment)
    found = [e for e in events if isinstance(e, kind)]
    if len(found) != 1:
        raise UserFacingError(
            f"transaction {signature} landed, but {len(found)} {kind.__name__} events were read back from it"
        )
    return found[0]


# -- regulator quorums ----------------------------------------------------------------------------------

cosigner_option = click.option(
    "--cosigner",
    "cosigner_paths",
    type=click.Path(path_type=Path),
    multiple=True,
    help="Keypair file of another regulator who signs too (repeat it until the threshold is met).",
)


def read_cosigners(paths: Sequence[Path]) -> list[Keypair]:
    return [read_keypair(path.expanduser()) for path in paths]


async def require_quorum(
    rpc: AsyncClient, registry: RegistryClient, url: str, signers: Sequence[Keypair]
) -> tuple[RegistryConfig, list[Pubkey]]:
    """The registry Config and the distinct regulators among ``signers``, after checking they meet the
    registry's threshold (and that no governance program took privileged actions over)."""
    config = await require_config(rpc, registry, url)
    if config.governance_program is not None:
        raise NotRegulator(governed_message(config.governance_program))
    regulators: list[Pubkey] = []
    for signer in signers:
        if signer.pubkey() in config.regulators and signer.pubkey() not in regulators:
            regulators.append(signer.pubkey())
    if len(regulators) < max(config.regulator_threshold, 1):
        raise NotRegulator(
            f"this action needs {config.regulator_threshold} regulator signature(s); the wallet and "
            f"--cosigner keys give {len(regulators)} (regulators: "
            f"{', '.join(str(r) for r in config.regulators) or 'none'})"
        )
    return config, regulators


# -- JSON and text of markets, seats and orders -----------------------------------------------------------


def market_mode(market: MarketState) -> str:
    """``continuous``, or ``periodic`` (a call auction per epoch)."""
    return "periodic" if market.header.periodic else "continuous"


def format_mode(market: MarketState) -> str:
    """The mode for text output: ``continuous``, or the epoch length of a periodic market."""
    secs = market.header.epoch_secs
    if not secs:
        return "continuous"
    return f"{secs // 60} min" if secs % 60 == 0 else f"{secs} s"


def market_summary(market: MarketState, now: int) -> dict[str, Any]:
    """A market's identity, mode, parameters, status, best prices (of orders not expired at ``now``;
    none in a periodic market, whose orders wait for their auction) and volume (``market list``)."""
    h = market.header
    bids, asks = market.depth(1, now=now)
    best_bid = bids[0].price if bids else None
    best_ask = asks[0].price if asks else None
    return {
        "market": str(market.address),
        "zone_id": h.zone_id,
        "mode": market_mode(market),
        "epoch_secs": h.epoch_secs or None,
        "quote_mint": str(h.quote_mint),
        "quote_decimals": h.quote_decimals,
        "tick_size": h.tick_size,
        "lot_size_wh": h.lot_size_wh,
        "min_order_lots": h.min_order_lots,
        "taker_fee_bps": h.taker_fee_bps,
        "maker_fee_bps": h.maker_fee_bps,
        "status": h.status.name,
        "best_bid": None if best_bid is None else format_price(best_bid, h),
        "best_ask": None if best_ask is None else format_price(best_ask, h),
        "volume_kwh": format_base_kwh(h.base_volume),
        "volume_quote": format_quote(h.quote_volume, h),
        "trade_count": h.trade_count,
    }


def order_state(order: RestingOrder, now: int) -> str:
    """A resting order's state: EXPIRED once its expiry passed (it never matches again; its funds return
    when it is pruned, met by an order or cancelled), else ACTIVE or PARTIALLY_FILLED."""
    if order.expired(now):
        return OrderState.EXPIRED.name
    return (OrderState.PARTIALLY_FILLED if order.partially_filled else OrderState.ACTIVE).name


def order_json(market: MarketState, order: RestingOrder, now: int) -> dict[str, Any]:
    h = market.header
    return {
        "market": str(market.address),
        "zone_id": h.zone_id,
        "order_id": order.order_id,
        "client_order_id": order.client_order_id,
        "side": SIDE_NAMES[order.side],
        "price": format_price(order.price, h),
        "price_ticks": order.price,
        "kwh": format_kwh(order.lots, h),
        "lots": order.lots,
        "initial_kwh": format_kwh(order.initial_lots, h),
        "state": order_state(order, now),
        "expires_at": order.expires_at or None,
        "epoch": None,
        "auction_index": None,
        "rollover": None,
    }


def seat_json(market: MarketState, seat: Seat) -> dict[str, Any]:
    h = market.header
    return {
        "market": str(market.address),
        "zone_id": h.zone_id,
        "quote_mint": str(h.quote_mint),
        "seat": seat.index,
        "grid_free": format_amount(seat.base_free, Asset.GRID, h),
        "grid_locked": format_amount(seat.base_locked, Asset.GRID, h),
        "grid_free_base_units": seat.base_free,
        "grid_locked_base_units": seat.base_locked,
        "quote_free": format_quote(seat.quote_free, h),
        "quote_locked": format_quote(seat.quote_locked, h),
        "quote_free_atoms": seat.quote_free,
        "quote_locked_atoms": seat.quote_locked,
        "open_orders": seat.open_orders,
        "market_maker": seat.market_maker,
    }

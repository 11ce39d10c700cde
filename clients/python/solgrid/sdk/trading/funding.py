"""What an order or a deposit needs, and the instructions that get a trader there in one transaction:
claim the seat when the trader has none, deposit what its free balance lacks, then act.

An ask needs its base (``lots * base_atoms_per_lot``) free. A bid needs the quote it may spend at its
limit price plus the fees it may owe: the taker fee on the part that trades at once and the maker fee
on the part that rests, each rounded up (:func:`order_requirement` gives the most that can be, so a
placement funded by it never fails for want of funds). In a periodic market every order waits for its
epoch's auction, so a bid locks its quote at its limit plus the maker fee on it
(:func:`auction_requirement`). Deposits come from the trader's associated token account of the mint (for
GRID, the account energy_token settles into).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from solders.instruction import Instruction
from solders.pubkey import Pubkey
from spl.token.instructions import create_idempotent_associated_token_account, get_associated_token_address

from solgrid.sdk.trading.client import TradingClient
from solgrid.sdk.trading.market import MarketHeader, MarketState
from solgrid.sdk.trading.units import MAX_MATCHES, OrderKind, SelfTradeMode, Side, fee


class Asset(Enum):
    """One of a market's two tokens."""

    GRID = "GRID"
    QUOTE = "QUOTE"

    def mint(self, header: MarketHeader) -> Pubkey:
        return header.base_mint if self is Asset.GRID else header.quote_mint

    def vault(self, header: MarketHeader) -> Pubkey:
        return header.base_vault if self is Asset.GRID else header.quote_vault


@dataclass(frozen=True)
class Requirement:
    """The free balance of ``asset`` an order needs at most, in atoms."""

    asset: Asset
    amount: int


@dataclass(frozen=True)
class OrderSpec:
    """An order as ``place_order`` takes it (price in ticks, quantity in lots)."""

    side: Side
    price: int
    lots: int
    kind: OrderKind = OrderKind.LIMIT
    client_order_id: int = 0
    expires_at: int = 0
    self_trade: SelfTradeMode = SelfTradeMode.CANCEL_RESTING
    max_matches: int = MAX_MATCHES


def order_requirement(
    header: MarketHeader, side: Side, kind: OrderKind, price: int, lots: int
) -> Requirement:
    """The most free balance an order of ``lots`` at ``price`` ticks can use in ``header``'s market.

    A bid's quote at its limit price is ``whole``; an immediate-or-cancel bid adds the taker fee on it, a
    post-only bid the maker fee, and a limit bid, which may trade part and rest the rest, the larger of
    the two rates on the whole plus one atom when both rates are non-zero (two fees rounded up
    separately exceed one rounding of their sum by at most one atom)."""
    if side is Side.ASK:
        return Requirement(Asset.GRID, lots * header.base_atoms_per_lot)
    whole = lots * price * header.quote_per_lot_tick
    taker, maker = header.taker_fee_bps, header.maker_fee_bps
    if kind is OrderKind.IMMEDIATE_OR_CANCEL:
        fees = fee(whole, taker)
    elif kind is OrderKind.POST_ONLY:
        fees = fee(whole, maker)
    else:
        fees = fee(whole, max(taker, maker)) + (1 if taker and maker else 0)
    return Requirement(Asset.QUOTE, whole + fees)


def auction_requirement(header: MarketHeader, side: Side, price: int, lots: int) -> Requirement:
    """What an auction order of ``lots`` at ``price`` ticks locks in a periodic market: an ask its GRID;
    a bid its quote at its limit plus the maker fee on that (every auction order pays the maker fee;
    the refund of a bid that clears below its limit comes back to the seat at settlement)."""
    if side is Side.ASK:
        return Requirement(Asset.GRID, lots * header.base_atoms_per_lot)
    whole = lots * price * header.quote_per_lot_tick
    return Requirement(Asset.QUOTE, whole + fee(whole, header.maker_fee_bps))


def free_balance(market: MarketState, trader: Pubkey, asset: Asset) -> int:
    """What ``trader``'s seat holds free of ``asset`` (0 without a seat)."""
    seat = market.seat_of(trader)
    if seat is None:
        return 0
    return seat.base_free if asset is Asset.GRID else seat.quote_free


def token_account(owner: Pubkey, header: MarketHeader, asset: Asset) -> Pubkey:
    """``owner``'s associated token account of ``asset``'s mint (deposits come from it, withdrawals go
    to it)."""
    return get_associated_token_address(owner, asset.mint(header))


@dataclass(frozen=True)
class Plan:
    """Instructions for one transaction signed by the trader, and what they do besides the action."""

    instructions: list[Instruction]
    seat: int
    claims_seat: bool
    """True when the trader had no seat: the first instruction claims it (the trader pays its rent)."""
    deposit: int
    """Atoms deposited from the trader's token account before the action (0: none)."""
    asset: Asset
    account: Pubkey
    """The trader's token account deposits come from."""


def _seat(client: TradingClient, market: MarketState, trader: Pubkey) -> tuple[int, list[Instruction]]:
    seat = market.seat_of(trader)
    if seat is not None:
        return seat.index, []
    # A claimed seat is appended: its index is the seat count at the time the claim runs.
    return market.header.seat_count, [client.claim_seat(trader=trader, market=market.address)]


def _deposit(
    client: TradingClient, market: MarketState, trader: Pubkey, seat: int, asset: Asset, amount: int
) -> Instruction:
    header = market.header
    return client.deposit(
        trader=trader,
        market=market.address,
        seat=seat,
        vault=asset.vault(header),
        source=token_account(trader, header, asset),
        amount=amount,
    )


def _plan(
    client: TradingClient,
    market: MarketState,
    trader: Pubkey,
    need: Requirement,
    place: Callable[[int], Instruction],
    *,
    deposit_shortfall: bool,
) -> tuple[Plan, int]:
    """Claim the seat if needed, deposit what the free balance lacks for ``need`` (when
    ``deposit_shortfall``), then the instruction ``place`` builds for the seat. Returns the plan and the
    shortfall (what the seat lacked, deposited or not)."""
    shortfall = max(0, need.amount - free_balance(market, trader, need.asset))
    seat, instructions = _seat(client, market, trader)
    deposit = shortfall if deposit_shortfall else 0
    if deposit:
        instructions.append(_deposit(client, market, trader, seat, need.asset, deposit))
    instructions.append(place(seat))
    account = token_account(trader, market.header, need.asset)
    plan = Plan(instructions, seat, market.seat_of(trader) is None, deposit, need.asset, account)
    return plan, shortfall


def plan_deposit(
    client: TradingClient, market: MarketState, trader: Pubkey, asset: Asset, amount: int
) -> Plan:
    """Claim the seat if needed, then deposit ``amount`` atoms of ``asset`` from the trader's associated
    token account."""
    seat, instructions = _seat(client, market, trader)
    instructions.append(_deposit(client, market, trader, seat, asset, amount))
    account = token_account(trader, market.header, asset)
    return Plan(instructions, seat, market.seat_of(trader) is None, amount, asset, account)


def plan_order(
    client: TradingClient, market: MarketState, trader: Pubkey, order: OrderSpec, *, deposit_shortfall: bool
) -> tuple[Plan, int]:
    """Claim the seat if needed, deposit what the free balance lacks for ``order`` (when
    ``deposit_shortfall``), then place it. Returns the plan and the shortfall (what the seat lacked,
    deposited or not)."""
    header = market.header
    need = order_requirement(header, order.side, order.kind, order.price, order.lots)

    def place(seat: int) -> Instruction:
        return client.place_order(
            trader=trader,
            market=market.address,
            zone_id=header.zone_id,
            seat=seat,
            side=order.side,
            price=order.price,
            lots=order.lots,
            kind=order.kind,
            client_order_id=order.client_order_id,
            expires_at=order.expires_at,
            self_trade=order.self_trade,
            max_matches=order.max_matches,
        )

    return _plan(client, market, trader, need, place, deposit_shortfall=deposit_shortfall)


@dataclass(frozen=True)
class AuctionOrderSpec:
    """An order as ``place_auction_order`` takes it (price in ticks, quantity in lots)."""

    side: Side
    price: int
    lots: int
    client_order_id: int = 0
    expires_at: int = 0
    rollover: bool = True
    """Roll what the epoch's auction does not match into the next epoch (else refund it)."""


def plan_auction_order(
    client: TradingClient,
    market: MarketState,
    trader: Pubkey,
    order: AuctionOrderSpec,
    *,
    deposit_shortfall: bool,
) -> tuple[Plan, int]:
    """:func:`plan_order` for a periodic market: claim the seat if needed, deposit what the free
    balance lacks for the order's lock (when ``deposit_shortfall``), then join the current epoch's
    auction. Returns the plan and the shortfall."""
    header = market.header
    need = auction_requirement(header, order.side, order.price, order.lots)

    def place(seat: int) -> Instruction:
        return client.place_auction_order(
            trader=trader,
            market=market.address,
            zone_id=header.zone_id,
            seat=seat,
            side=order.side,
            price=order.price,
            lots=order.lots,
            client_order_id=order.client_order_id,
            expires_at=order.expires_at,
            rollover=order.rollover,
        )

    return _plan(client, market, trader, need, place, deposit_shortfall=deposit_shortfall)


def withdraw_instructions(
    client: TradingClient, market: MarketState, trader: Pubkey, asset: Asset, amount: int
) -> list[Instruction]:
    """Withdraw ``amount`` atoms of ``asset`` from the trader's seat (which must exist) into its
    associated token account, created first if it does not exist (idempotent; the trader pays)."""
    seat = market.seat_of(trader)
    if seat is None:
        raise ValueError(f"{trader} has no seat in market {market.address}")
    header = market.header
    destination = token_account(trader, header, asset)
    return [
        create_idempotent_associated_token_account(trader, trader, asset.mint(header)),
        client.withdraw(
            trader=trader,
            market=market.address,
            seat=seat.index,
            vault=asset.vault(header),
            destination=destination,
            amount=amount,
        ),
    ]

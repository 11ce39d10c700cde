"""Synthetic call-auction events for the indexer's tests: a periodic market's orders, clearings and
settlement chunks, with the amounts the program computes (lots, ticks, fees, locks and refunds), encoded
by :mod:`trading_events`' own borsh writer.

:class:`Auction` keeps each epoch's orders in index order (time priority), clears with the SDK's
reference of the clearing rule and settles the way ``settle_epoch`` does: fills by price-time priority,
the rest rolled into the next epoch or refunded. Tests can also make it write what a faulty program
would (``price=`` on :meth:`Auction.clear`, ``fills=`` on :meth:`Auction.settle`), for the verification.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from trading_events import Book

from solgrid.sdk.trading.clearing import BookOrder, Clearing, aggregate, clear, fills
from solgrid.sdk.trading.units import Side, fee

NOT_ROLLED = 2**32 - 1
Event = tuple[str, dict[str, Any]]


@dataclass
class Order:
    trader: str
    order_id: int
    side: str
    price: int
    lots: int
    rollover: bool
    expires_at: int
    cancelled: bool = False


@dataclass
class Epoch:
    orders: list[Order] = field(default_factory=list)
    clearing: Clearing | None = None
    cursor: int = 0
    allotted: list[int] = field(default_factory=list)


@dataclass
class Auction:
    """One periodic market's auctions (its :class:`Book` has the units and the order ids)."""

    book: Book
    epochs: dict[int, Epoch] = field(default_factory=dict)
    last_price: int = 0

    @property
    def secs(self) -> int:
        return self.book.epoch_secs

    def epoch(self, number: int) -> Epoch:
        return self.epochs.setdefault(number, Epoch())

    def unit(self, price: int) -> int:
        return price * self.book.quote_per_lot_tick

    def lock(self, side: str, price: int, lots: int) -> int:
        """What an order locks: a bid its limit's quote with the maker fee, an ask its GRID."""
        if side == "Ask":
            return lots * self.book.lot_size_wh * 10**6
        cost = lots * self.unit(price)
        return cost + fee(cost, self.book.maker_fee_bps)

    def place(
        self,
        trader: str,
        side: str,
        price: int,
        lots: int,
        timestamp: int,
        *,
        rollover: bool = True,
        expires_at: int = 0,
    ) -> Event:
        number = timestamp // self.secs
        order_id = self.book.next_order_id
        self.book.next_order_id += 1
        epoch = self.epoch(number)
        epoch.orders.append(Order(trader, order_id, side, price, lots, rollover, expires_at))
        return (
            "AuctionOrderPlaced",
            {
                "market": self.book.market,
                "trader": trader,
                "seat": 0,
                "epoch": number,
                "index": len(epoch.orders) - 1,
                "order_id": order_id,
                "client_order_id": 0,
                "side": side,
                "price": price,
                "lots": lots,
                "expires_at": expires_at,
                "rollover": rollover,
                "locked": self.lock(side, price, lots),
                "lamports_paid": 0,
                "timestamp": timestamp,
            },
        )

    def cancel(self, number: int, index: int, timestamp: int) -> Event:
        order = self.epoch(number).orders[index]
        order.cancelled = True
        return (
            "AuctionOrderCancelled",
            {
                "market": self.book.market,
                "trader": order.trader,
                "epoch": number,
                "index": index,
                "order_id": order.order_id,
                "client_order_id": 0,
                "side": order.side,
                "price": order.price,
                "lots": order.lots,
                "base_released": self.lock("Ask", 0, order.lots) if order.side == "Ask" else 0,
                "quote_released": self.lock("Bid", order.price, order.lots) if order.side == "Bid" else 0,
                "timestamp": timestamp,
            },
        )

    def _book(self, epoch: Epoch) -> list[BookOrder]:
        sides = {"Bid": Side.BID, "Ask": Side.ASK}
        return [BookOrder(sides[o.side], o.price, 0 if o.cancelled else o.lots) for o in epoch.orders]

    def clear(self, number: int, timestamp: int, *, price: int | None = None) -> Event:
        """EpochCleared of ``number`` by the rule (``price``: the chain fixed another price, at which
        it then settles; the rest as the rule says)."""
        epoch = self.epoch(number)
        book = self._book(epoch)
        levels = aggregate(book)
        reference = self.last_price
        clearing = clear(levels, reference)
        epoch.allotted = fills(book, clearing)
        if price is not None:
            clearing = replace(clearing, price=price)
        epoch.clearing = clearing
        if clearing.volume:
            self.last_price = clearing.price
        return (
            "EpochCleared",
            {
                "market": self.book.market,
                "zone_id": self.book.zone_id,
                "epoch": number,
                "starts_at": number * self.secs,
                "ends_at": (number + 1) * self.secs,
                "price": clearing.price,
                "volume_lots": clearing.volume,
                "demand_lots": clearing.demand,
                "supply_lots": clearing.supply,
                "total_bid_lots": sum(o.lots for o in book if o.side is Side.BID),
                "total_ask_lots": sum(o.lots for o in book if o.side is Side.ASK),
                "bid_marginal_price": clearing.bid_marginal_price,
                "bid_marginal_lots": clearing.bid_marginal,
                "ask_marginal_price": clearing.ask_marginal_price,
                "ask_marginal_lots": clearing.ask_marginal,
                "reference_price": reference,
                "orders": sum(1 for o in book if o.lots),
                "levels": len(levels),
                "timestamp": timestamp,
            },
        )

    def settle(
        self, number: int, max_orders: int, timestamp: int, *, fills: Mapping[int, int] | None = None
    ) -> Event:
        """The next EpochSettled chunk of ``number`` (``fills``: index -> lots traded instead of the
        rule's)."""
        epoch = self.epoch(number)
        assert epoch.clearing is not None
        price = epoch.clearing.price
        start = epoch.cursor
        end = min(start + max_orders, len(epoch.orders))
        records = []
        for index in range(start, end):
            order = epoch.orders[index]
            if order.cancelled:
                continue
            filled = (fills or {}).get(index, epoch.allotted[index])
            records.append(self._settlement(number, index, order, filled, price))
        epoch.cursor = end
        return (
            "EpochSettled",
            {
                "market": self.book.market,
                "payer": self.book.market,
                "epoch": number,
                "from_index": start,
                "to_index": end,
                "done": end == len(epoch.orders),
                "lamports_paid": 0,
                "timestamp": timestamp,
                "settlements": records,
            },
        )

    def _settlement(self, number: int, index: int, order: Order, filled: int, price: int) -> dict[str, Any]:
        rest = order.lots - filled
        base = filled * self.book.lot_size_wh * 10**6
        cost = filled * self.unit(price)
        next_end = (number + 2) * self.secs
        rolls = rest > 0 and order.rollover and (order.expires_at == 0 or order.expires_at >= next_end)
        rolled_index = NOT_ROLLED
        relocked = 0
        if rolls:
            following = self.epoch(number + 1)
            following.orders.append(
                Order(order.trader, order.order_id, order.side, order.price, rest, True, order.expires_at)
            )
            rolled_index = len(following.orders) - 1
            relocked = self.lock(order.side, order.price, rest)
        bps = self.book.maker_fee_bps
        if order.side == "Bid":
            unit = self.unit(order.price)
            reserved = fee(order.lots * unit, bps) - fee(rest * unit, bps)
            trade_fee = min(fee(cost, bps), reserved)
            released = (0, self.lock("Bid", order.price, order.lots) - cost - trade_fee - relocked)
        else:
            trade_fee = fee(cost, bps)
            released = (self.lock("Ask", 0, order.lots) - base - relocked, 0)
        outcome = {
            (True, False): "Filled",
            (True, True): "PartiallyFilledRolled" if rolls else "PartiallyFilledExpired",
            (False, True): "Rolled" if rolls else "Expired",
        }[(filled > 0, rest > 0)]
        return {
            "trader": order.trader,
            "order_id": order.order_id,
            "client_order_id": 0,
            "price": order.price,
            "filled_lots": filled,
            "base_amount": base,
            "quote_amount": cost,
            "fee": trade_fee,
            "base_released": released[0],
            "quote_released": released[1],
            "remaining_lots": rest,
            "index": index,
            "rolled_index": rolled_index,
            "side": order.side,
            "outcome": outcome,
        }

"""Recomputes every indexed call-auction clearing from the indexed order events and compares.

For each ``EpochCleared`` in ``events``, the epoch's auction is rebuilt from the audit log alone: the
``AuctionOrderPlaced`` events of that epoch and the orders its previous epoch's ``EpochSettled`` rolled
into it (each at its index: time priority), less the ``AuctionOrderCancelled`` ones. The SDK's pure
reference of the clearing rule (:func:`solgrid.sdk.trading.clearing.clear`, with the event's reference
price) then gives the price, volume, supply and demand, marginal prices and totals, which must be the
event's. Also checked: the reference price is the previous clearing with volume, the ``epochs`` row and
its ``epoch_levels`` hold the event and the curves, every settled order traded what the rule allots it
(:func:`~solgrid.sdk.trading.clearing.fills`) at the clearing price, and a settled epoch settled every
live order once, the bids' lots equal to the asks' and to the volume.

Events the indexer has not stored yet (a hole in the history, see docs/indexer.md) show as orders
missing from an auction, not as a silent pass.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from solgrid.indexer.auction import CLEARED_FIELDS, NOT_ROLLED
from solgrid.indexer.models import Epoch, EpochLevel, Event
from solgrid.sdk.trading.clearing import BookOrder, Clearing, aggregate, clear, curve, fills
from solgrid.sdk.trading.units import Side

AUCTION_ORDER_EVENTS = ("AuctionOrderPlaced", "AuctionOrderCancelled", "EpochCleared", "EpochSettled")
CLEARED: dict[str, Callable[[Clearing], int]] = {
    "price": lambda c: c.price,
    "volume_lots": lambda c: c.volume,
    "demand_lots": lambda c: c.demand,
    "supply_lots": lambda c: c.supply,
    "bid_marginal_price": lambda c: c.bid_marginal_price,
    "bid_marginal_lots": lambda c: c.bid_marginal,
    "ask_marginal_price": lambda c: c.ask_marginal_price,
    "ask_marginal_lots": lambda c: c.ask_marginal,
}
"""EpochCleared field -> the reference's value."""
SIDES = {"Bid": Side.BID, "Ask": Side.ASK}


@dataclass(frozen=True)
class _Joined:
    """An order of an auction as the events show it: placed into it, or rolled in from the epoch before."""

    order_id: int
    side: str
    price: int
    lots: int


@dataclass
class _Auction:
    orders: dict[int, _Joined] = field(default_factory=dict)
    cancelled: dict[int, int] = field(default_factory=dict)
    """Index -> order id of a cancelled order."""
    settlements: list[dict[str, Any]] = field(default_factory=list)
    done: bool = False
    cleared: dict[str, Any] | None = None
    problems: list[str] = field(default_factory=list)

    def join(self, index: int, joined: _Joined, how: str) -> None:
        known = self.orders.get(index)
        if known is not None and known != joined:
            self.problems.append(
                f"index {index} holds order {known.order_id} and order {joined.order_id} ({how})"
            )
        self.orders[index] = joined


@dataclass(frozen=True)
class EpochVerification:
    """One cleared epoch checked: what does not match (nothing: it verified)."""

    market: str
    epoch: int
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


async def verify_epochs(
    session: AsyncSession, program: str, market: str | None = None, epoch: int | None = None
) -> list[EpochVerification]:
    """Checks every cleared epoch of the trading program ``program`` (of ``market``, only ``epoch``)
    whose ``EpochCleared`` is indexed, in (market, epoch) order."""
    auctions = await _auctions(session, program, market)
    results = []
    for (m, e), auction in sorted(auctions.items()):
        if auction.cleared is None or (epoch is not None and e != epoch):
            continue
        problems = list(auction.problems)
        problems += _check_clearing(auction, _reference(auctions, m, e))
        problems += await _check_rows(session, m, e, auction)
        results.append(EpochVerification(m, e, tuple(problems)))
    return results


async def _auctions(
    session: AsyncSession, program: str, market: str | None
) -> dict[tuple[str, int], _Auction]:
    """Every auction the indexed events of ``program`` (of ``market``) name, rebuilt from them."""
    query = (
        select(Event.name, Event.data)
        .where(Event.program == program, Event.name.in_(AUCTION_ORDER_EVENTS))
        .order_by(Event.slot, Event.id)
    )
    if market is not None:
        query = query.where(Event.data["market"].as_string() == market)
    auctions: dict[tuple[str, int], _Auction] = defaultdict(_Auction)
    for row in await session.execute(query):
        name: str = row.name
        d: dict[str, Any] = row.data
        key = (str(d["market"]), int(d["epoch"]))
        auction = auctions[key]
        if name == "AuctionOrderPlaced":
            joined = _Joined(int(d["order_id"]), d["side"], int(d["price"]), int(d["lots"]))
            auction.join(int(d["index"]), joined, "placed")
        elif name == "AuctionOrderCancelled":
            auction.cancelled[int(d["index"])] = int(d["order_id"])
        elif name == "EpochCleared":
            if auction.cleared is not None:
                auction.problems.append("cleared twice")
            auction.cleared = d
        else:
            auction.settlements += d["settlements"]
            auction.done = auction.done or bool(d["done"])
            following = auctions[(key[0], key[1] + 1)]
            for s in d["settlements"]:
                if s["rolled_index"] != NOT_ROLLED:
                    joined = _Joined(int(s["order_id"]), s["side"], int(s["price"]), int(s["remaining_lots"]))
                    following.join(int(s["rolled_index"]), joined, "rolled in")
    return auctions


def _reference(auctions: Mapping[tuple[str, int], _Auction], market: str, epoch: int) -> int:
    """The market's last clearing price with volume before ``epoch`` (0: none), from the indexed
    EpochCleared events."""
    earlier = [
        (e, a.cleared)
        for (m, e), a in auctions.items()
        if m == market and e < epoch and a.cleared is not None and a.cleared["volume_lots"]
    ]
    return int(max(earlier, key=lambda c: c[0])[1]["price"]) if earlier else 0


def _book(auction: _Auction) -> tuple[list[int], list[BookOrder]]:
    """The auction's indexes and orders in time priority, cancelled ones with no lots."""
    indexes = sorted(auction.orders)
    return indexes, [
        BookOrder(SIDES[o.side], o.price, 0 if i in auction.cancelled else o.lots)
        for i, o in ((i, auction.orders[i]) for i in indexes)
    ]


def _check_clearing(auction: _Auction, reference: int) -> list[str]:
    assert auction.cleared is not None
    cleared = auction.cleared
    problems = []
    indexes, book = _book(auction)
    missing = sorted(set(range(max(indexes, default=-1) + 1)) - set(indexes))
    missing += sorted(i for i in auction.cancelled if i not in auction.orders)
    if missing:
        problems.append(f"orders at index {', '.join(map(str, missing))} are not in the indexed events")
    if int(cleared["reference_price"]) != reference:
        problems.append(
            f"reference_price is {cleared['reference_price']}, the previous clearing indexed is {reference}"
        )
    levels = aggregate(book)
    clearing = clear(levels, int(cleared["reference_price"]))
    expected = {field: value(clearing) for field, value in CLEARED.items()}
    expected["total_bid_lots"] = sum(o.lots for o in book if o.side is Side.BID)
    expected["total_ask_lots"] = sum(o.lots for o in book if o.side is Side.ASK)
    expected["levels"] = len(levels)
    expected["orders"] = sum(1 for o in book if o.lots)
    for name, value in expected.items():
        if int(cleared[name]) != value:
            problems.append(f"EpochCleared.{name} is {cleared[name]}, the order events give {value}")
    return problems + _check_settlements(auction, indexes, book, clearing)


def _check_settlements(
    auction: _Auction, indexes: Sequence[int], book: Sequence[BookOrder], clearing: Clearing
) -> list[str]:
    """Each settled order traded what the rule allots it; a settled epoch settled each live order once."""
    problems = []
    allotted = dict(zip(indexes, fills(book, clearing), strict=True))
    live = {i for i, o in zip(indexes, book, strict=True) if o.lots}
    seen: set[int] = set()
    traded = {"Bid": 0, "Ask": 0}
    for s in auction.settlements:
        index, filled = int(s["index"]), int(s["filled_lots"])
        if index in seen:
            problems.append(f"order at index {index} settled twice")
        seen.add(index)
        traded[s["side"]] += filled
        joined = auction.orders.get(index)
        if joined is None or index not in live:
            problems.append(f"a settlement names index {index}, which holds no live order")
            continue
        if joined.order_id != int(s["order_id"]):
            problems.append(
                f"index {index} settled order {s['order_id']}, the events put {joined.order_id} there"
            )
        if filled != allotted[index]:
            problems.append(f"order at index {index} traded {filled} lots, the rule allots {allotted[index]}")
        if filled + int(s["remaining_lots"]) != joined.lots:
            problems.append(f"order at index {index}: traded + remaining lots are not its {joined.lots} lots")
    if auction.done:
        unsettled = sorted(live - seen)
        if unsettled:
            problems.append(f"settled, but the orders at index {', '.join(map(str, unsettled))} were not")
        if not traded["Bid"] == traded["Ask"] == clearing.volume:
            problems.append(
                f"settled bids traded {traded['Bid']} lots and asks {traded['Ask']}, "
                f"the volume is {clearing.volume}"
            )
    return problems


async def _check_rows(session: AsyncSession, market: str, epoch: int, auction: _Auction) -> list[str]:
    """The ``epochs`` row holds the event, its ``epoch_levels`` the curves, its fills the price."""
    assert auction.cleared is not None
    row = (await session.execute(select(Epoch).where(Epoch.market == market, Epoch.epoch == epoch))).scalar()
    if row is None:
        return ["no epochs row"]
    problems = [
        f"epochs.{column} is {getattr(row, column)}, EpochCleared has {auction.cleared[name]}"
        for column, name in CLEARED_FIELDS.items()
        if getattr(row, column) != int(auction.cleared[name])
    ]
    _, book = _book(auction)
    levels = aggregate(book)
    expected = [
        (lv.price, lv.bid_lots, lv.ask_lots, p.demand, p.supply)
        for lv, p in zip(levels, curve(levels), strict=True)
    ]
    stored = [
        tuple(int(v) for v in r)
        for r in await session.execute(
            select(
                EpochLevel.price,
                EpochLevel.bid_lots,
                EpochLevel.ask_lots,
                EpochLevel.demand_lots,
                EpochLevel.supply_lots,
            )
            .where(EpochLevel.market == market, EpochLevel.epoch == epoch)
            .order_by(EpochLevel.price)
        )
    ]
    if stored != expected:
        problems.append("epoch_levels do not hold the curves of the order events")
    if row.tick_size is not None and row.lot_size_wh is not None:
        unit = int(auction.cleared["price"]) * row.tick_size * row.lot_size_wh // 1000
        for s in auction.settlements:
            lots = int(s["filled_lots"])
            if (
                int(s["quote_amount"]) != lots * unit
                or int(s["base_amount"]) != lots * row.lot_size_wh * 10**6
            ):
                problems.append(f"order at index {s['index']} did not trade at the clearing price")
    return problems

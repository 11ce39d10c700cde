"""The call auction's clearing rule in plain Python: a reference anyone can run to recompute an epoch's
result from its order events or its account, and compare with the program's ``EpochCleared``.

Quantities are lots and prices ticks, as on chain. For a price ``p``:

* ``D(p)``: lots bid at a limit ``>= p`` (demand), ``S(p)``: lots asked at a limit ``<= p`` (supply);
* ``V(p) = min(D(p), S(p))``: the lots that can execute at ``p``; ``|D(p) - S(p)|``: the surplus.

1. The clearing price maximises ``V`` (the maximum: ``V*``).
2. Among those prices, it minimises the surplus; the prices left form one interval ``[optimal_low,
   optimal_high]`` (``V`` is unimodal, ``D - S`` non-increasing).
3. Market pressure: among those, only the prices at which every order priced strictly better than the
   price executes fully, ``D(p + 1) <= V*`` and ``S(p - 1) <= V*``. They form one non-empty interval
   ``[low, high]``: the highest optimal price when demand exceeds supply at all of them, the lowest when
   supply does, the two prices around the switch when the surplus changes sides, and the whole interval
   when there is no surplus.
4. The price is the one closest to the reference (the market's previous clearing price):
   ``clamp(reference, low, high)``, or without a reference the middle, ``low + (high - low) // 2``.

``V == 0`` at every price executes nothing (price 0). The proof that step 3 leaves one non-empty interval
is in the program's core (``crates/order-book/src/auction/price.rs``).

Rationing: each side executes ``V`` lots by price-time priority. The bids' marginal price ``pb`` is the
highest price with ``D(pb) >= V``: every bid above ``pb`` executes fully, the bids at exactly ``pb`` share
``V - D(pb + 1)`` lots in the order they joined the auction, the rest nothing. The asks mirror it with
``pa``, the lowest price with ``S(pa) >= V``. Always ``pa <= price <= pb``: nobody trades beyond their
limit, and everyone trades at the one price. By step 3, every bid above the price and every ask below it
fills completely: only orders limited exactly at the price are ever partly filled.

Like the program, :func:`clear` looks at each level price and each gap between consecutive levels (the
prices strictly between them, where ``D`` and ``S`` are constant) once: O(levels).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise

from solgrid.sdk.trading.units import MAX_PRICE_TICKS, U64_MAX, Side


@dataclass(frozen=True)
class AuctionLevel:
    """The auction's live lots limited at one price (an epoch account keeps them ascending by price)."""

    price: int
    bid_lots: int
    ask_lots: int


@dataclass(frozen=True)
class CurvePoint:
    """Demand ``D(p)``, supply ``S(p)`` and the executable volume ``min(D, S)`` at ``price``."""

    price: int
    demand: int
    supply: int

    @property
    def volume(self) -> int:
        return min(self.demand, self.supply)

    @property
    def surplus(self) -> int:
        return abs(self.demand - self.supply)


@dataclass(frozen=True)
class Clearing:
    """The result of :func:`clear`: the fields the program computes (its epoch account and
    ``EpochCleared`` carry them), plus the interval of optimal prices the price was picked from."""

    price: int
    """Ticks; 0 when nothing executes."""
    volume: int
    """Lots executed on each side, ``V(price)``."""
    demand: int
    """``D(price)`` (0 with no price)."""
    supply: int
    """``S(price)`` (0 with no price)."""
    bid_marginal_price: int
    """``pb``: the highest price with ``D(pb) >= volume`` (0 with no price); bids above it fill, bids below
    it get nothing. Above the price, the bids at ``pb`` fill completely too."""
    bid_marginal: int
    """Lots the bids limited exactly at ``pb`` share by time priority: ``volume - D(pb + 1)``."""
    ask_marginal_price: int
    """``pa``: the lowest price with ``S(pa) >= volume`` (0 with no price); the mirror image."""
    ask_marginal: int
    """Lots the asks limited exactly at ``pa`` share by time priority: ``volume - S(pa - 1)``."""
    low: int = 0
    """Lowest price the reference chooses from: optimal (most volume, least surplus) and under market
    pressure (0 when nothing executes)."""
    high: int = 0
    """Highest such price."""
    optimal_low: int = 0
    """Lowest price that maximises the volume with the least surplus (before market pressure)."""
    optimal_high: int = 0
    """Highest such price."""


NO_CLEARING = Clearing(0, 0, 0, 0, 0, 0, 0, 0)


@dataclass(frozen=True)
class BookOrder:
    """An auction order as the reference needs it: side, limit price, live lots."""

    side: Side
    price: int
    lots: int


def aggregate(orders: Iterable[BookOrder]) -> list[AuctionLevel]:
    """The levels (ascending price) of ``orders``; orders with no lots (tombstones) add nothing and a
    price whose lots are all gone has no level, as on chain."""
    bids: dict[int, int] = {}
    asks: dict[int, int] = {}
    for order in orders:
        if order.lots <= 0:
            continue
        side = bids if order.side is Side.BID else asks
        side[order.price] = side.get(order.price, 0) + order.lots
    return [AuctionLevel(p, bids.get(p, 0), asks.get(p, 0)) for p in sorted(bids.keys() | asks.keys())]


def curve(levels: Sequence[AuctionLevel]) -> list[CurvePoint]:
    """``D`` and ``S`` at each level's price, ascending (between two levels they stay as at the higher
    level for ``D`` and the lower for ``S``)."""
    _check_levels(levels)
    remaining = sum(level.bid_lots for level in levels)
    supply = 0
    points = []
    for level in levels:
        supply += level.ask_lots
        points.append(CurvePoint(level.price, remaining, supply))
        remaining -= level.bid_lots
    return points


def demand_at(levels: Sequence[AuctionLevel], price: int) -> int:
    """``D(price)``: lots bid at a limit of ``price`` or more."""
    return sum(level.bid_lots for level in levels if level.price >= price)


def supply_at(levels: Sequence[AuctionLevel], price: int) -> int:
    """``S(price)``: lots asked at a limit of ``price`` or less."""
    return sum(level.ask_lots for level in levels if level.price <= price)


def point_at(levels: Sequence[AuctionLevel], price: int) -> CurvePoint:
    return CurvePoint(price, demand_at(levels, price), supply_at(levels, price))


def clear(levels: Sequence[AuctionLevel], reference: int) -> Clearing:
    """The clearing of an auction whose live lots are ``levels`` (ascending, distinct prices), with
    ``reference`` the previous clearing price (0: none)."""
    points = curve(levels)
    best_volume, best_surplus, low, high = 0, 0, 0, 0
    # Within the optimal interval: the last price where demand is long, the first where supply is (0:
    # none). ``D - S`` only falls, so the prices where demand is long come first.
    demand_long_to, supply_long_from = 0, 0
    for i, point in enumerate(points):
        segments = [(point.price, point.price, point)]
        following = levels[i + 1].price if i + 1 < len(levels) else None
        if following is not None and following - point.price > 1:
            # Prices strictly between two levels: bids of the next level and above, asks up to this one.
            gap = CurvePoint(point.price + 1, points[i + 1].demand, point.supply)
            segments.append((point.price + 1, following - 1, gap))
        for start, end, segment in segments:
            volume, surplus = segment.volume, segment.surplus
            if volume == 0:
                continue
            if volume > best_volume or (volume == best_volume and surplus < best_surplus):
                best_volume, best_surplus, low, high = volume, surplus, start, end
                demand_long_to, supply_long_from = 0, 0
            elif volume == best_volume and surplus == best_surplus:
                high = end
            else:
                continue
            if segment.demand > segment.supply:
                demand_long_to = end
            elif segment.demand < segment.supply and not supply_long_from:
                supply_long_from = start
    if best_volume == 0:
        return NO_CLEARING
    # Market pressure: the prices where every order priced better than the price fills.
    pressure_low, pressure_high = demand_long_to or low, supply_long_from or high
    price = (
        min(max(reference, pressure_low), pressure_high)
        if reference
        else pressure_low + (pressure_high - pressure_low) // 2
    )
    bid_price, bid_marginal = _marginal(((p.price, p.demand) for p in reversed(points)), best_volume)
    ask_price, ask_marginal = _marginal(((p.price, p.supply) for p in points), best_volume)
    return Clearing(
        price=price,
        volume=best_volume,
        demand=demand_at(levels, price),
        supply=supply_at(levels, price),
        bid_marginal_price=bid_price,
        bid_marginal=bid_marginal,
        ask_marginal_price=ask_price,
        ask_marginal=ask_marginal,
        low=pressure_low,
        high=pressure_high,
        optimal_low=low,
        optimal_high=high,
    )


def _marginal(cumulative: Iterable[tuple[int, int]], volume: int) -> tuple[int, int]:
    """The first price, walking a side from its best limit, whose cumulative lots reach ``volume``, and
    what is left of ``volume`` for the orders at that price once the better ones have it all."""
    better = 0
    for price, total in cumulative:
        if total >= volume:
            return price, volume - better
        better = total
    raise AssertionError("the volume exceeds the side's lots")


def fills(orders: Sequence[BookOrder], clearing: Clearing) -> list[int]:
    """The lots each of ``orders`` (in the order they joined the auction) executes at ``clearing``:
    everything for a bid above the bids' marginal price or an ask below the asks', the marginal lots
    by time priority at those prices, nothing otherwise."""
    bid_left, ask_left = clearing.bid_marginal, clearing.ask_marginal
    found = []
    for order in orders:
        filled = 0
        if clearing.volume and order.lots > 0:
            if order.side is Side.BID:
                if order.price > clearing.bid_marginal_price:
                    filled = order.lots
                elif order.price == clearing.bid_marginal_price:
                    filled = min(order.lots, bid_left)
                    bid_left -= filled
            elif order.price < clearing.ask_marginal_price:
                filled = order.lots
            elif order.price == clearing.ask_marginal_price:
                filled = min(order.lots, ask_left)
                ask_left -= filled
        found.append(filled)
    return found


def _check_levels(levels: Sequence[AuctionLevel]) -> None:
    """The program's bounds: ascending distinct prices of 1 to ``MAX_PRICE_TICKS``, no negative lots,
    each side's total within 64 bits."""
    for before, after in pairwise(levels):
        if after.price <= before.price:
            raise ValueError(f"levels must have ascending distinct prices ({before.price}, {after.price})")
    for level in levels:
        if not 1 <= level.price <= MAX_PRICE_TICKS or level.bid_lots < 0 or level.ask_lots < 0:
            raise ValueError(f"level {level} is out of range")
    for side, total in ("bid", sum(lv.bid_lots for lv in levels)), ("ask", sum(lv.ask_lots for lv in levels)):
        if total > U64_MAX:
            raise ValueError(f"the {side} lots of the auction ({total}) do not fit in 64 bits")

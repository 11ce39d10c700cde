"""``solgrid.sdk.trading.clearing`` (the call auction's clearing rule) against a brute force that tries
every candidate price, on thousands of seeded random books and on the edge cases: empty sides, no
crossing, one order, everything at one price, ties, prices near the top of the range and quantities near
the u64 limit. ``SOLGRID_AUCTION_SEED=<n>`` replays a run; a failure names its seed and book."""

from __future__ import annotations

import os
import random
from dataclasses import dataclass

import pytest

from solgrid.sdk.trading.clearing import (
    NO_CLEARING,
    AuctionLevel,
    BookOrder,
    Clearing,
    aggregate,
    clear,
    curve,
    demand_at,
    fills,
    point_at,
    supply_at,
)
from solgrid.sdk.trading.units import MAX_PRICE_TICKS, U64_MAX, Side

SEED = int(os.environ.get("SOLGRID_AUCTION_SEED", "13"))
RANDOM_BOOKS = 10_000


@dataclass(frozen=True)
class Expected:
    clearing: Clearing
    fills: list[int]


def brute_force(orders: list[BookOrder], reference: int) -> Expected:
    """The rule evaluated at every price from one below the lowest limit to one above the highest (V is 0
    outside): most volume, least surplus, then market pressure as its definition reads (the bids above
    and the asks below the price fit in the volume), then the reference; and the allocation by sorting
    each side by price, then arrival."""
    live = [o for o in orders if o.lots > 0]
    if not live:
        return Expected(NO_CLEARING, [0] * len(orders))
    lowest, highest = min(o.price for o in live), max(o.price for o in live)

    def demand(p: int) -> int:
        return sum(o.lots for o in live if o.side is Side.BID and o.price >= p)

    def supply(p: int) -> int:
        return sum(o.lots for o in live if o.side is Side.ASK and o.price <= p)

    prices = range(max(1, lowest - 1), highest + 2)
    table = {p: (min(demand(p), supply(p)), abs(demand(p) - supply(p))) for p in prices}
    volume = max(v for v, _ in table.values())
    if volume == 0:
        return Expected(NO_CLEARING, [0] * len(orders))
    surplus = min(s for v, s in table.values() if v == volume)
    best = [p for p, (v, s) in table.items() if (v, s) == (volume, surplus)]
    assert best == list(range(best[0], best[-1] + 1)), "the optimal prices are not one interval"
    pressure = [p for p in best if demand(p + 1) <= volume and supply(p - 1) <= volume]
    assert pressure, "market pressure left no price"
    assert pressure == list(range(pressure[0], pressure[-1] + 1)), "the pressure prices are not one interval"
    low, high = pressure[0], pressure[-1]
    price = min(max(reference, low), high) if reference else (low + high) // 2
    bid_price = max(p for p in prices if demand(p) >= volume)
    ask_price = min(p for p in prices if supply(p) >= volume)
    assert ask_price <= price <= bid_price
    allotted = [0] * len(orders)
    for side, key in (Side.BID, lambda i: (-orders[i].price, i)), (Side.ASK, lambda i: (orders[i].price, i)):
        left = volume
        for i in sorted((i for i, o in enumerate(orders) if o.side is side and o.lots > 0), key=key):
            allotted[i] = min(orders[i].lots, left)
            left -= allotted[i]
        assert left == 0
    # The rule's property: an order priced beyond the price fills completely.
    for order, filled in zip(orders, allotted, strict=True):
        if order.price > price if order.side is Side.BID else order.price < price:
            assert filled == order.lots, f"{order} is priced beyond {price} and gets {filled}"
    clearing = Clearing(
        price=price,
        volume=volume,
        demand=demand(price),
        supply=supply(price),
        bid_marginal_price=bid_price,
        bid_marginal=volume - demand(bid_price + 1),
        ask_marginal_price=ask_price,
        ask_marginal=volume - supply(ask_price - 1),
        low=low,
        high=high,
        optimal_low=best[0],
        optimal_high=best[-1],
    )
    return Expected(clearing, allotted)


def check(orders: list[BookOrder], reference: int, context: str) -> Clearing:
    expected = brute_force(orders, reference)
    levels = aggregate(orders)
    got = clear(levels, reference)
    assert got == expected.clearing, context
    assert fills(orders, got) == expected.fills, context
    if got.volume:
        # Everyone trades at the one price, within their limit; each side executes the volume.
        for order, filled in zip(orders, expected.fills, strict=True):
            if filled:
                assert order.price >= got.price if order.side is Side.BID else order.price <= got.price
            # Only orders limited exactly at the price are rationed.
            if order.price > got.price if order.side is Side.BID else order.price < got.price:
                assert filled == order.lots, context
        for side in Side:
            assert sum(f for o, f in zip(orders, expected.fills, strict=True) if o.side is side) == got.volume
    return got


def mirrored_book(rng: random.Random) -> tuple[list[BookOrder], int]:
    """Asks mirroring the bids around ``m + 1/2`` (a bid of ``q`` at ``x``, an ask of ``q`` at ``2m + 1 - x``)
    in random arrival order: the volume peaks at ``m`` and ``m + 1`` alike, with no surplus when nobody bids
    at ``m``, else with the surplus changing sides between them; sometimes one stray order."""
    m = rng.randint(1, 40)
    orders: list[BookOrder] = []
    for _ in range(rng.randint(1, 7)):
        x, lots = rng.randint(max(1, m - 4), min(m + 4, 2 * m)), rng.choice([1, 2, 3, 5, 8])
        for order in (BookOrder(Side.BID, x, lots), BookOrder(Side.ASK, 2 * m + 1 - x, lots)):
            orders.insert(rng.randint(0, len(orders)), order)
    if rng.random() < 0.25:
        orders.append(BookOrder(rng.choice(list(Side)), rng.randint(1, 2 * m + 3), 1))
    return orders, rng.choice([0, m, m + 1, rng.randint(1, 2 * m + 3)])


def random_book(rng: random.Random) -> tuple[list[BookOrder], int]:
    shape = rng.choice(
        ["dense", "sparse", "one-price", "bids-only", "asks-only", "one", "high", "huge", "mirrored"]
    )
    if shape == "mirrored":
        return mirrored_book(rng)
    count = 1 if shape == "one" else rng.randint(0, 24)
    base = MAX_PRICE_TICKS - 60 if shape == "high" else 1
    span = {"dense": 12, "sparse": 60, "one-price": 1}.get(shape, 30)
    fixed = rng.randrange(base, base + span)
    max_lots = U64_MAX // 24 if shape == "huge" else rng.choice([1, 5, 100])
    orders = []
    for _ in range(count):
        side = {"bids-only": Side.BID, "asks-only": Side.ASK}.get(shape) or rng.choice(list(Side))
        price = fixed if shape == "one-price" else rng.randrange(base, base + span)
        lots = rng.randint(0, max_lots) if rng.random() < 0.1 else rng.randint(1, max_lots)
        orders.append(BookOrder(side, price, lots))
    reference = rng.choice([0, 0, rng.randrange(base, base + span + 5)])
    return orders, reference


def test_random_books_match_the_brute_force() -> None:
    rng = random.Random(SEED)
    executed = 0
    # Books per outcome of market pressure: the whole optimal interval (no surplus), its highest or lowest
    # price (one side long throughout), two prices (the surplus changes sides).
    outcomes = {"whole": 0, "highest": 0, "lowest": 0, "two": 0}
    for n in range(RANDOM_BOOKS):
        orders, reference = random_book(rng)
        cleared = check(orders, reference, f"seed {SEED} book {n}: {orders} reference {reference}")
        executed += cleared.volume > 0
        if not cleared.volume:
            continue
        narrower = (cleared.low, cleared.high) != (cleared.optimal_low, cleared.optimal_high)
        if cleared.demand == cleared.supply:
            assert not narrower
            outcomes["whole"] += 1
        elif narrower and cleared.low == cleared.high == cleared.optimal_high:
            outcomes["highest"] += 1
        elif narrower and cleared.low == cleared.high == cleared.optimal_low:
            outcomes["lowest"] += 1
        elif cleared.high == cleared.low + 1:
            outcomes["two"] += 1
    assert executed > RANDOM_BOOKS // 3  # the generator mostly makes books that cross
    assert min(outcomes.values()) > RANDOM_BOOKS // 50, outcomes


def b(price: int, lots: int) -> BookOrder:
    return BookOrder(Side.BID, price, lots)


def a(price: int, lots: int) -> BookOrder:
    return BookOrder(Side.ASK, price, lots)


def test_empty_one_sided_and_uncrossed_books_execute_nothing() -> None:
    for orders in ([], [b(10, 5)], [a(10, 5)], [b(9, 5), a(10, 5)], [b(10, 0), a(10, 0)]):
        assert check(orders, 0, str(orders)) == NO_CLEARING
    assert clear([], 7) == NO_CLEARING


def test_the_middle_of_the_interval_without_a_reference_and_the_closest_price_with_one() -> None:
    # One bid of 5 at 120 and one ask of 5 at 100: every price from 100 to 120 executes 5 with no surplus.
    orders = [b(120, 5), a(100, 5)]
    assert check(orders, 0, "").price == 110
    assert check(orders, 113, "").price == 113
    assert check(orders, 90, "").price == 100 and check(orders, 500, "").price == 120
    assert clear(aggregate(orders), 0).low == 100 and clear(aggregate(orders), 0).high == 120
    # An even-width interval rounds down: 100 .. 101.
    assert check([b(101, 1), a(100, 1)], 0, "").price == 100


def test_volume_first_then_surplus() -> None:
    # Bids 10 at 100 and 10 at 90; asks 12 at 95: 95..100 executes 10 (surplus 2), 90..94 executes 0.
    cleared = check([b(100, 10), b(90, 10), a(95, 12)], 0, "")
    assert (cleared.volume, cleared.optimal_low, cleared.optimal_high) == (10, 95, 100)
    # Sell surplus at each of them: market pressure takes the lowest, the asks' limit.
    assert (cleared.low, cleared.high, cleared.price) == (95, 95, 95)
    assert (cleared.ask_marginal_price, cleared.ask_marginal) == (95, 10)
    # 97..98 and 99..100 both execute 6; 99..100 has the smaller surplus (1 instead of 4).
    cleared = check([b(100, 6), b(98, 4), a(97, 6), a(99, 1)], 0, "")
    assert (cleared.volume, cleared.optimal_low, cleared.optimal_high, cleared.price) == (6, 99, 100, 99)
    assert (cleared.demand, cleared.supply) == (6, 7)


def test_market_pressure_prices_at_the_long_sides_limit() -> None:
    # Bid 10 @ 200, ask 5 @ 100: 100..200 all execute 5 with 5 lots of buy surplus. Only at 200 does
    # every bid priced above the price fill (none is), so the price is 200 whatever the reference; the
    # bid at exactly 200 is the one rationed.
    orders = [b(200, 10), a(100, 5)]
    for reference in (0, 1, 150, 200, MAX_PRICE_TICKS):
        cleared = check(orders, reference, str(reference))
        assert (cleared.price, cleared.optimal_low, cleared.optimal_high) == (200, 100, 200)
        assert fills(orders, cleared) == [5, 5]
    # The mirror image: sell surplus throughout gives the lowest price.
    orders = [a(100, 10), b(200, 5)]
    assert [check(orders, r, str(r)).price for r in (0, 150, 300)] == [100, 100, 100]
    assert fills(orders, clear(aggregate(orders), 0)) == [5, 5]


def test_market_pressure_keeps_the_two_prices_where_the_surplus_changes_sides() -> None:
    # Asks 5 @ 5 and 2 @ 11, bids 2 @ 10 and 5 @ 15: 5..15 all execute 5 with a surplus of 2, on the buy
    # side up to 10 and on the sell side from 11. Only 10 and 11 fill every order priced better: the
    # reference picks one (the lower without one), and the orders at the price get nothing.
    orders = [a(5, 5), a(11, 2), b(10, 2), b(15, 5)]
    for reference, price in ((0, 10), (3, 10), (10, 10), (11, 11), (99, 11)):
        cleared = check(orders, reference, str(reference))
        assert (cleared.price, cleared.low, cleared.high) == (price, 10, 11)
        assert (cleared.optimal_low, cleared.optimal_high) == (5, 15)
        assert fills(orders, cleared) == [5, 0, 0, 5]


def test_the_long_side_is_rationed_by_price_then_time() -> None:
    # Demand 10 at 200 (two bids, the first one in time first), supply 6 at 100: the interval is
    # 100..200 with 4 lots of buy surplus everywhere; market pressure prices at 200, and the bids there
    # (the bids' marginal price) share the 6 lots in arrival order.
    orders = [b(200, 4), b(200, 6), a(100, 6)]
    cleared = check(orders, 0, "")
    assert (cleared.price, cleared.volume, cleared.bid_marginal_price, cleared.bid_marginal) == (
        200,
        6,
        200,
        6,
    )
    assert fills(orders, cleared) == [4, 2, 6]
    # At one price: the asks share the bids' 3 lots by time priority.
    orders = [a(50, 2), b(50, 3), a(50, 2), a(50, 2)]
    cleared = check(orders, 0, "")
    assert (cleared.price, cleared.volume) == (50, 3) and fills(orders, cleared) == [2, 3, 1, 0]


def test_huge_quantities_and_top_prices() -> None:
    big = U64_MAX // 2
    orders = [b(MAX_PRICE_TICKS, big), b(MAX_PRICE_TICKS - 1, big), a(1, U64_MAX)]
    cleared = clear(aggregate(orders), 0)
    assert (cleared.volume, cleared.optimal_low, cleared.optimal_high) == (2 * big, 1, MAX_PRICE_TICKS - 1)
    # One lot of sell surplus at every one of them: the lowest, 1, whatever the reference.
    assert (cleared.price, cleared.low, cleared.high) == (1, 1, 1)
    assert fills(orders, cleared) == [big, big, 2 * big]
    assert clear(aggregate(orders), MAX_PRICE_TICKS).price == 1
    orders = [b(MAX_PRICE_TICKS, big), b(MAX_PRICE_TICKS - 1, big + 1), a(1, U64_MAX)]
    cleared = clear(aggregate(orders), MAX_PRICE_TICKS)  # no surplus: the reference chooses
    assert (cleared.price, cleared.volume, cleared.low, cleared.high) == (
        MAX_PRICE_TICKS - 1,
        U64_MAX,
        1,
        MAX_PRICE_TICKS - 1,
    )
    with pytest.raises(ValueError, match="do not fit in 64 bits"):
        clear(aggregate([b(5, U64_MAX), b(6, 1), a(5, 1)]), 0)
    with pytest.raises(ValueError, match="out of range"):
        clear([AuctionLevel(MAX_PRICE_TICKS + 1, 1, 1)], 0)
    with pytest.raises(ValueError, match="ascending"):
        clear([AuctionLevel(5, 1, 0), AuctionLevel(5, 0, 1)], 0)


def test_the_curves_are_cumulative_demand_and_supply() -> None:
    orders = [b(120, 3), b(110, 2), a(105, 4), a(120, 1), b(100, 7), a(90, 2)]
    levels = aggregate(orders)
    assert [lv.price for lv in levels] == [90, 100, 105, 110, 120]
    assert levels[-1] == AuctionLevel(120, 3, 1)
    points = curve(levels)
    assert [(p.price, p.demand, p.supply) for p in points] == [
        (90, 12, 2),
        (100, 12, 2),
        (105, 5, 6),
        (110, 5, 6),
        (120, 3, 7),
    ]
    for price in range(85, 126):
        point = point_at(levels, price)
        assert (point.demand, point.supply) == (demand_at(levels, price), supply_at(levels, price))
        assert point.volume == min(point.demand, point.supply)
    # Cancelled orders (no lots left) leave no level behind.
    assert aggregate([b(100, 0), a(99, 3)]) == [AuctionLevel(99, 0, 3)]

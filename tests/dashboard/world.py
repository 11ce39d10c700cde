"""The demo-sized market the dashboard's browser tests look at, as chain-ordered transactions the indexer
stores through its own write path.

The governance world of the indexer tests (tests/indexer/governance_world.py: the real registry,
energy_token, trading and governance programs in LiteSVM, every transaction recorded as ``getTransaction``
returns it) runs its lifecycle: zones 7 ("north") and 8 ("south"), pauses and a market-wide trading
pause, proposals voted on, executed, rejected, cancelled, certificates requested, validated, split,
transferred, retired, revoked, expired. Then its clock moves to a day before the wall clock and the day
is played quarter hour by quarter hour: alice's solar meter (zone 7) and erin's wind meter (zone 8)
send a reading each window (real transactions), their production is settled into GRID every six hours,
and the last hours see trading: a continuous market of zone 7 with two trades in each of its last six
15-minute buckets and, at the end, a book of resting bids and asks; a periodic market of zone 8 with
an epoch cleared and settled and the next one collecting. Trading and settlement transactions are
synthetic (their events encoded from the IDLs by tests/indexer/trading_events.py, auction_events.py and
synthetic.py), placed in the recorded chain order at the clock's time.

Everything a test asserts is known here from what was sent (:class:`Expected`), not read back from
the database the dashboard shows.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass, field

from auction_events import Auction
from governance_world import DAY, SOUTH, ZONE, CertEnv, Lifecycle, Params, governance_world, lifecycle
from solders.pubkey import Pubkey
from synthetic import REGISTRY, TOKEN, data_line, invoke, signature
from trading_events import Book, pubkey, trading_tx

from solgrid.indexer.service import default_coders
from solgrid.indexer.store import FetchedTransaction

QUARTER = 900
"""A reading window, a price bucket and the periodic market's epoch."""
QUOTE_DECIMALS = 6
TRADE_PRICES = [(12, 13), (13, 15), (15, 14), (14, 12), (12, 11), (11, 13)]
"""Ticks of the two trades in each of the continuous market's last six buckets (10,000 atoms per kWh a
tick: 0.13 of a 6-decimal stablecoin per kWh for the last one)."""
TRADE_LOTS = 4
RESTING_BIDS = [(11, 5), (10, 3), (10, 2), (9, 8)]
RESTING_ASKS = [(14, 4), (15, 6), (15, 1), (17, 10)]
"""(ticks, lots) of the orders left resting in the continuous market's book."""
AUCTION_ORDERS = [
    ("Bid", 16, 6),
    ("Bid", 14, 5),
    ("Bid", 12, 4),
    ("Ask", 10, 5),
    ("Ask", 13, 6),
    ("Ask", 15, 7),
]
"""(side, ticks, lots) of the periodic market's cleared epoch."""
SETTLE_EVERY = 24
"""Windows between two settlements (six hours)."""
PROGRAMS = {c.idl.name: str(c.program_id) for c in default_coders()}


@dataclass
class Expected:
    """What the world holds, from what was sent."""

    best_bid: tuple[int, int] = (0, 0)
    """(ticks, lots) of the continuous market's best bid level."""
    best_ask: tuple[int, int] = (0, 0)
    bid_levels: int = 0
    ask_levels: int = 0
    last_trade_ticks: int = 0
    trades: int = 0
    candles: int = 0
    clearing_ticks: int = 0
    clearing_lots: int = 0
    produced_wh: dict[str, int] = field(default_factory=dict)
    """Meter address -> its cumulative production."""
    settled_wh: dict[str, int] = field(default_factory=dict)
    settlements: int = 0
    last_slot: int = 0


@dataclass
class DemoWorld:
    life: Lifecycle
    certs: CertEnv
    market: Book
    """The continuous market of zone 7."""
    auction: Auction
    """The periodic market of zone 8."""
    seller: str
    buyer: str
    expected: Expected
    txs: list[FetchedTransaction]
    """Everything so far, in chain order (what the database holds once indexed)."""
    resting_asks: dict[int, list[int]] = field(default_factory=dict)
    """Ticks -> order ids of the continuous market's resting asks at that price."""

    def now(self) -> int:
        return self.life.env.now()

    def _recorded(self, since: int) -> list[FetchedTransaction]:
        recorder = self.life.env.svm
        new: list[FetchedTransaction] = recorder.since(since)
        self.txs += new
        self.expected.last_slot = max(t.slot for t in new)
        return new

    def synthetic(self, build: Callable[[int], FetchedTransaction]) -> FetchedTransaction:
        """A synthetic transaction in the next slot of the recorded chain, at the clock's time
        (``build`` gets the clock's unix time)."""
        svm = self.life.env.svm
        clock = svm.get_clock()
        built = build(int(clock.unix_timestamp))
        placed = dataclasses.replace(built, slot=int(clock.slot), block_time=int(clock.unix_timestamp))
        svm.sent.append(placed)
        svm.warp_to_slot(clock.slot + 1)
        return placed

    # -- what the live tests index -------------------------------------------------------------------

    def new_trade(self) -> tuple[FetchedTransaction, int, int]:
        """The buyer lifts the best ask: one trade at its price for its lots (the tx, ticks, lots)."""
        since = len(self.life.env.svm.sent)
        self.life.env.warp(QUARTER // 3)  # after the day's last trades
        ticks, lots = self.expected.best_ask
        maker_id = self.resting_asks[ticks][0]
        book = self.market

        def build(now: int) -> FetchedTransaction:
            fill = book.fill(self.seller, maker_id, ticks, lots, 0)
            return trading_tx([book.place(self.buyer, "Bid", ticks, lots, now, [fill])])

        self.synthetic(build)
        (tx,) = self._recorded(since)
        return tx, ticks, lots

    def new_reading(self, production_wh: int = 777) -> FetchedTransaction:
        """alice's next window (a real transaction)."""
        since = len(self.life.env.svm.sent)
        self.certs.produce(self.life.alice, 1, production_wh, 60)
        (tx,) = self._recorded(since)
        self.expected.produced_wh[str(self.life.alice.meter)] += production_wh
        return tx

    def new_certificate(self) -> tuple[FetchedTransaction, str]:
        """alice requests a certificate of her production since the last one (a real transaction)."""
        since = len(self.life.env.svm.sent)
        address = self.certs.request(self.life.alice)
        (tx,) = self._recorded(since)
        return tx, str(address)

    def new_zone(self, zone_id: int, name: str) -> FetchedTransaction:
        """The registry creates zone ``zone_id`` (its ``ZoneCreated`` as the program logs it)."""

        def build(now: int) -> FetchedTransaction:
            created = {
                "zone": Pubkey.from_string(pubkey()),
                "zone_id": zone_id,
                "name": list(name.encode().ljust(32, b"\0")),
                "max_capacity_kw": 1_000,
                "timestamp": now,
            }
            logs = invoke(REGISTRY.program_id, 1, [data_line(REGISTRY, "ZoneCreated", created)])
            return FetchedTransaction(signature(), 0, 0, True, logs, (str(REGISTRY.program_id),))

        since = len(self.life.env.svm.sent)
        self.synthetic(build)
        (tx,) = self._recorded(since)
        return tx

    def new_market(self) -> tuple[FetchedTransaction, str]:
        """A second continuous market in zone 7 (another quote mint): the tx and the market's address."""
        book = Book(zone_id=ZONE)
        since = len(self.life.env.svm.sent)
        self.synthetic(
            lambda now: trading_tx([book.created(now)], decimals=[(book.quote_mint, QUOTE_DECIMALS)])
        )
        (tx,) = self._recorded(since)
        return tx, book.market


def solar(window: int) -> int:
    """Wh of a 5 kW solar meter in quarter hour ``window`` of the day (none at night)."""
    hour = window / 4
    return max(0, round(1_100 * math.sin(math.pi * (hour - 6) / 12))) if 6 <= hour < 18 else 0


def wind(window: int) -> int:
    return 300 + (window * 137) % 400


def settlement(
    meter: str, owner: str, amount_wh: int, settled_wh: int
) -> Callable[[int], FetchedTransaction]:
    """settle_and_mint as the programs log it: the registry's MeterSettled in a CPI, then GridMinted."""

    def build(_now: int) -> FetchedTransaction:
        meter_key, owner_key = Pubkey.from_string(meter), Pubkey.from_string(owner)
        settled = {"meter": meter_key, "owner": owner_key, "amount_wh": amount_wh, "settled_wh": settled_wh}
        minted = {
            "meter": meter_key,
            "owner": owner_key,
            "destination": owner_key,
            "amount_wh": amount_wh,
            "amount": amount_wh * 10**6,
        }
        cpi = invoke(REGISTRY.program_id, 2, [data_line(REGISTRY, "MeterSettled", settled)])
        logs = invoke(TOKEN.program_id, 1, [*cpi, data_line(TOKEN, "GridMinted", minted)])
        return FetchedTransaction(signature(), 0, 0, True, logs, (str(TOKEN.program_id),))

    return build


def build_world(elves: dict[str, bytes], wall_clock: int) -> DemoWorld:
    """The world, its day ending a little before ``wall_clock`` (so that what the live tests add next
    is not in the future)."""
    env, recorder = governance_world(elves, Params(certificate_validity_secs=30 * DAY))
    life = lifecycle(env, recorder)
    certs = CertEnv(env)
    start = (wall_clock - DAY - 4 * QUARTER) // QUARTER * QUARTER
    env.registry.set_unix_time(start)
    seller, buyer = str(life.alice.wallet.pubkey()), str(life.bob.pubkey())
    world = DemoWorld(
        life,
        certs,
        Book(zone_id=ZONE),
        Auction(Book(zone_id=SOUTH, epoch_secs=QUARTER)),
        seller,
        buyer,
        Expected(),
        list(life.txs),
    )
    decimals = [(world.market.quote_mint, QUOTE_DECIMALS)]
    world.synthetic(lambda now: trading_tx([world.market.created(now)], decimals=decimals))
    auction_decimals = [(world.auction.book.quote_mint, QUOTE_DECIMALS)]
    world.synthetic(lambda now: trading_tx([world.auction.book.created(now)], decimals=auction_decimals))
    meters = [(life.alice, solar), (life.erin, wind)]
    last_settled = {str(p.meter): 0 for p, _ in meters}
    windows = DAY // QUARTER
    for w in range(windows):
        for prosumer, curve in meters:
            certs.produce(prosumer, 1, curve(w), 60 + (w % 8) * 10)
        if (w + 1) % SETTLE_EVERY == 0:
            for prosumer, _ in meters:
                meter = env.registry.meter(prosumer.meter)
                key = str(prosumer.meter)
                surplus = meter.produced_wh - meter.consumed_wh
                if surplus > last_settled[key]:
                    owner = str(prosumer.wallet.pubkey())
                    world.synthetic(settlement(key, owner, surplus - last_settled[key], surplus))
                    world.expected.settlements += 1
                    last_settled[key] = surplus
        bucket = w - (windows - len(TRADE_PRICES))
        if bucket >= 0:
            trade_pair(world, TRADE_PRICES[bucket])
        if w == windows - 4:
            world.synthetic(lambda now: auction_orders(world.auction, AUCTION_ORDERS, now))
        if w == windows - 3:
            world.synthetic(lambda now: auction_clear(world.auction, (now - 1) // QUARTER, now))
    world.synthetic(lambda now: resting_orders(world, now))
    world.txs = list(recorder.sent)
    expected = world.expected
    expected.last_slot = world.txs[-1].slot
    expected.best_bid = max(RESTING_BIDS)
    expected.best_ask = min(RESTING_ASKS)
    expected.bid_levels = len({p for p, _ in RESTING_BIDS})
    expected.ask_levels = len({p for p, _ in RESTING_ASKS})
    expected.last_trade_ticks = TRADE_PRICES[-1][1]
    expected.trades = 2 * len(TRADE_PRICES)
    expected.candles = len(TRADE_PRICES)
    epoch = next(n for n, e in world.auction.epochs.items() if e.clearing is not None)
    clearing = world.auction.epochs[epoch].clearing
    assert clearing is not None
    expected.clearing_ticks, expected.clearing_lots = clearing.price, clearing.volume
    for prosumer, _ in meters:
        meter = env.registry.meter(prosumer.meter)
        expected.produced_wh[str(prosumer.meter)] = meter.produced_wh
    expected.settled_wh = last_settled
    return world


def trade_pair(world: DemoWorld, prices: tuple[int, int]) -> None:
    """Two trades in the current bucket: the seller's asks, each lifted whole by the buyer."""
    book = world.market
    for offset, ticks in enumerate(prices):

        def build(now: int, ticks: int = ticks, offset: int = offset) -> FetchedTransaction:
            ask_id = book.next_order_id
            ask = book.place(world.seller, "Ask", ticks, TRADE_LOTS, now + 60 + 120 * offset)
            fill = book.fill(world.seller, ask_id, ticks, TRADE_LOTS, 0)
            bid = book.place(world.buyer, "Bid", ticks, TRADE_LOTS, now + 120 + 120 * offset, [fill])
            return trading_tx([ask], [bid])

        world.synthetic(build)


def resting_orders(world: DemoWorld, now: int) -> FetchedTransaction:
    book = world.market
    placed = []
    for ticks, lots in RESTING_BIDS:
        placed.append([book.place(world.buyer, "Bid", ticks, lots, now)])
    for ticks, lots in RESTING_ASKS:
        world.resting_asks.setdefault(ticks, []).append(book.next_order_id)
        placed.append([book.place(world.seller, "Ask", ticks, lots, now)])
    return trading_tx(*placed)


def auction_orders(auction: Auction, orders: list[tuple[str, int, int]], now: int) -> FetchedTransaction:
    """One trader (of its own) per order."""
    return trading_tx(*[[auction.place(pubkey(), side, ticks, lots, now)] for side, ticks, lots in orders])


def auction_clear(auction: Auction, epoch: int, now: int) -> FetchedTransaction:
    cleared = auction.clear(epoch, now)
    settled = auction.settle(epoch, 50, now)
    return trading_tx([cleared], [settled])


__all__ = ["PROGRAMS", "QUARTER", "DemoWorld", "Expected", "build_world"]

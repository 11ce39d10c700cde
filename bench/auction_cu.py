"""Compute units of the periodic call auction (issue 13), measured in the in-process LiteSVM.

Usage: ``.venv/bin/python bench/auction_cu.py [path/to/trading.so [path/to/registry.so]]`` (defaults
``target/deploy/<name>.so``) prints one JSON object with every measurement.

:func:`measure` is what ``bench/run.py`` imports. The set-up is the trading bench's
(``bench/trading_cu.py``: the tests' harness, trading deployed through BPFLoaderUpgradeable at its IDL
address, fixed-seed keys, a pinned clock). Every scenario has a periodic market of its own (900-second
epochs, 0.001 quote per kWh ticks, 1 Wh lots, maker fee 25 bps: every auction order pays it), in a grid
zone of its own, so that its two epoch accounts start empty. Orders are placed with the SDK's
``place_auction_order`` builder; the clearing and the settlement chunks are sent exactly as the SDK's
crank builds them (``solgrid.sdk.trading.crank.epoch_steps``: a compute-budget instruction sized for the
step, then the step), so every measured transaction also shows that the crank's budget is enough. CU
are those of the top-level trading instruction (its self-CPI event included) unless a figure says
"transaction" (everything the transaction consumed, the compute-budget instruction included).

* settlement, all orders matched (alternating asks at 100 and bids at 120 of 10 lots: every one fills
  at one price): chunks of 1, 2, 4, 8, 16, 32 and 64 orders from the cursor on; the marginal CU of a
  settled order is the least-squares slope of CU over the chunk size;
* the costliest chunks: 64 orders that all roll into the next epoch at 64 new prices (nothing crosses),
  so the payer grows the next epoch's account for 64 orders and levels; 63 bids at 63 prices above one
  ask of 1 lot (the best bid is partially filled at the marginal price and rolls, the 62 others roll,
  the ask fills); and the first kind again into a next epoch that already holds 1,000 orders at 1,000
  prices above the rolled ones (each new level moves every level, and the growth moves the order
  block);
* ``clear_epoch`` over 10, 100 and 1,000 price levels (one order per level, bids and asks interleaved so
  that they cross);
* ``place_auction_order`` and ``cancel_auction_order`` in an epoch of 0, 10, 100 and 1,000 levels, with
  room in the epoch account: at an existing level, a new level above every other (nothing moves), a new
  level below every other (every level moves); and the epoch's first order, which grows the account;
* an epoch of 1,000 orders of 100 traders (random sides, prices around a crossing, half of them rolling
  over) cranked with the SDK's steps, one per transaction; and the same book again with the clearing
  and every chunk packed into as few transactions as the 1,232-byte limit and the 1.4M CU limit allow.
"""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "programs"))  # the tests' LiteSVM harness
sys.path.insert(0, str(Path(__file__).parent))

import trading_cu  # noqa: E402  (sibling script: the VM set-up)
from registry_harness import LAMPORTS, ZONE_ID  # noqa: E402
from solders.compute_budget import set_compute_unit_limit  # noqa: E402
from solders.hash import Hash  # noqa: E402
from solders.instruction import Instruction  # noqa: E402
from solders.keypair import Keypair  # noqa: E402
from solders.message import MessageV0  # noqa: E402
from solders.pubkey import Pubkey  # noqa: E402
from trading_harness import LOT_SIZE_WH, TICK_SIZE, KeyedSent, Trader, TradingEnv  # noqa: E402

from solgrid.localnet.svm import MAX_COMPUTE_UNITS, TransactionFailed, send_v0_svm  # noqa: E402
from solgrid.sdk.lookup_tables import MAX_TRANSACTION_SIZE, v0_transaction  # noqa: E402
from solgrid.sdk.registry import UserRole  # noqa: E402
from solgrid.sdk.trading import (  # noqa: E402
    AuctionEpoch,
    AuctionOrderCancelled,
    AuctionOrderPlaced,
    EpochCleared,
    EpochSettled,
    MarketParams,
    SettlementOutcome,
    Side,
    TradingEvent,
)
from solgrid.sdk.trading.crank import (  # noqa: E402
    Action,
    CrankStep,
    epoch_steps,
    next_to_crank,
    settle_compute_units,
)
from solgrid.sdk.trading.units import MAX_SETTLE_CHUNK, EpochState  # noqa: E402

EPOCH_SECS = 900
MAKER_FEE_BPS = 25
MAX_ORDERS_PER_EPOCH = 1_000_000
ORDERS_PER_TX = 8
LEVEL_BYTES = 24
ORDER_BYTES = 56
FUNDS = 10**13  # base and quote atoms each trader deposits
MAX_CPI_DATA = 10 * 1024
COMPUTE_BUDGET_ID = Pubkey.from_string("ComputeBudget111111111111111111111111111111")
SET_COMPUTE_UNIT_LIMIT = 2  # the runtime's limit on a CPI's instruction data (the event)


@dataclass(frozen=True)
class Sizes:
    """What to measure (the test runs it small)."""

    chunks: tuple[int, ...] = (1, 2, 4, 8, 16, 32, 64)
    levels: tuple[int, ...] = (0, 10, 100, 1_000)
    busy_next: int = 1_000
    """Orders (each at a price of its own) already in the next epoch for the busiest rolling chunk."""
    epoch_orders: int = 1_000
    traders: int = 100


@dataclass(frozen=True)
class Chunk:
    """One ``settle_epoch`` transaction."""

    orders: int
    """Orders the chunk settled (live orders: every one has a settlement record)."""
    program_cu: int
    transaction_cu: int
    transaction_bytes: int
    budget: int
    """The compute-unit limit the SDK's crank gives it."""
    event_bytes: int
    """Instruction data of its EpochSettled event's self-CPI (the runtime allows 10 KiB)."""


@dataclass(frozen=True)
class Clear:
    """One ``clear_epoch``."""

    levels: int
    program_cu: int
    budget: int
    """The compute-unit limit the SDK's crank gives it."""

    @property
    def fits_budget(self) -> bool:
        return self.program_cu <= self.budget


@dataclass(frozen=True)
class WorstChunk:
    name: str
    chunk: Chunk
    outcomes: dict[str, int]
    """Settlement outcomes of the chunk, by name."""
    grown_bytes: int
    """How much the next epoch's account grew (the payer paid its rent in the same transaction)."""
    next_levels_before: int


@dataclass(frozen=True)
class PlaceCancel:
    levels: int
    """Price levels in the epoch when the order was placed."""
    position: str
    """``existing`` level; new level at the ``top`` (highest price) or ``bottom`` (every level moves);
    ``empty`` epoch."""
    moved: int
    """Levels moved one place when the order's level was inserted (and again when it was removed)."""
    place_cu: int
    cancel_cu: int


@dataclass(frozen=True)
class EpochRun:
    """A whole epoch cleared and settled."""

    orders: int
    transactions: int
    settle_transactions: int
    clear_cu: int
    settle_cu: int
    """Top-level trading CU of every settle_epoch instruction."""
    transaction_cu: int
    """Everything the transactions consumed (compute-budget instructions included)."""
    largest_transaction_bytes: int
    matched: int
    rolled: int

    @property
    def cu_per_order(self) -> float:
        return self.settle_cu / self.orders

    @property
    def cu_per_order_with_clear(self) -> float:
        return (self.settle_cu + self.clear_cu) / self.orders


@dataclass(frozen=True)
class Packing:
    """How many ``settle_epoch`` instructions of 64 orders one transaction holds."""

    by_size: int
    """Within 1,232 bytes (with a compute-unit limit instruction)."""
    by_cu: int
    """Within 1.4M CU, each as costly as the worst chunk measured."""
    worst_chunk_cu: int

    @property
    def per_transaction(self) -> int:
        return min(self.by_size, self.by_cu)


@dataclass(frozen=True)
class AuctionBench:
    matched_chunks: list[Chunk]
    worst: list[WorstChunk]
    clears: list[Clear]
    """clear_epoch by price levels."""
    placements: list[PlaceCancel]
    first_order_cu: int
    """The epoch account's first order: it grows the account (room for 8 orders and levels)."""
    first_order_grew_bytes: int
    one_per_transaction: EpochRun
    packed: EpochRun
    packing: Packing
    create_market_cu: int
    epoch_accounts_rent: int
    """Lamports of rent of the two epoch accounts create_market makes (empty, no region yet)."""

    def marginal(self) -> tuple[float, float]:
        """(intercept, slope) of the least-squares line of program CU over orders per matched chunk."""
        xs = [c.orders for c in self.matched_chunks]
        ys = [c.program_cu for c in self.matched_chunks]
        n = len(xs)
        mean_x, mean_y = sum(xs) / n, sum(ys) / n
        sxx = sum((x - mean_x) ** 2 for x in xs)
        slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sxx
        return mean_y - slope * mean_x, slope

    def event_record_bytes(self) -> tuple[int, int]:
        """(fixed bytes, bytes per settled order) of the EpochSettled event's data, from the chunks."""
        small = min(self.matched_chunks, key=lambda c: c.orders)
        large = self.largest_matched()
        per = (large.event_bytes - small.event_bytes) // (large.orders - small.orders)
        return small.event_bytes - per * small.orders, per

    def max_event_records(self) -> int:
        """Settlement records one EpochSettled event could carry within the CPI data limit."""
        fixed, per = self.event_record_bytes()
        return (MAX_CPI_DATA - fixed) // per

    def largest_matched(self) -> Chunk:
        return max(self.matched_chunks, key=lambda c: c.orders)

    def worst_chunk(self) -> WorstChunk:
        return max(self.worst, key=lambda w: w.chunk.program_cu / w.chunk.orders)

    def to_json(self) -> dict[str, object]:
        report = asdict(self)
        intercept, slope = self.marginal()
        report["marginal_settle_cu"] = {"intercept": intercept, "slope": slope}
        for name in ("one_per_transaction", "packed"):
            run: EpochRun = getattr(self, name)
            report[name]["cu_per_order"] = run.cu_per_order
        return report


def _seeded(n: int) -> Keypair:
    return Keypair.from_seed(n.to_bytes(32, "little"))


class _Seeds:
    def __init__(self, start: int) -> None:
        self._next = start

    def __call__(self) -> Keypair:
        self._next += 1
        return _seeded(self._next)


@dataclass(frozen=True)
class Order:
    trader: Trader
    side: Side
    price: int
    lots: int
    rollover: bool = False
    expires_at: int = 0


class _Market:
    """A periodic market in a zone of its own, its traders, and the SDK's crank steps sent in the VM."""

    def __init__(self, env: TradingEnv, seeds: _Seeds, zone_id: int) -> None:
        self.env = env
        self.client = env.client
        self.seeds = seeds
        self.zone_id = zone_id
        if zone_id != ZONE_ID:
            env.registry.create_zone(zone_id, f"zone-{zone_id}")
        params = MarketParams(
            tick_size=TICK_SIZE,
            lot_size_wh=LOT_SIZE_WH,
            fee_recipient=env.payer.pubkey(),
            maker_fee_bps=MAKER_FEE_BPS,
            max_orders_per_epoch=MAX_ORDERS_PER_EPOCH,
        )
        ix = self.client.create_market(
            payer=env.payer.pubkey(),
            zone_id=zone_id,
            base_mint=env.base_mint.pubkey(),
            quote_mint=env.quote_mint.pubkey(),
            params=params,
            cosigners=[r.pubkey() for r in env.registry.quorum()],
            epoch_secs=EPOCH_SECS,
        )
        self.create_cu = env.send([ix], env.registry.quorum()).program_cu(self.client.program_id)
        self.address = self.client.market_pda(zone_id, env.quote_mint.pubkey()).address

    # -- people -------------------------------------------------------------------------------------

    def traders(self, count: int) -> list[Trader]:
        found = []
        for _ in range(count):
            wallet = self.seeds()
            self.env.svm.airdrop(wallet.pubkey(), LAMPORTS)
            self.env.registry.register(wallet, UserRole.PROSUMER, self.zone_id)
            self.env.registry.verify(wallet.pubkey())
            found.append(self.env.trader(self.address, base=FUNDS, quote=FUNDS, wallet=wallet))
        return found

    # -- time ---------------------------------------------------------------------------------------

    def now(self) -> int:
        return self.env.now()

    def start_epoch(self) -> int:
        """Moves the clock one second into the next epoch; that epoch."""
        epoch = self.now() // EPOCH_SECS + 1
        self.env.registry.set_unix_time(epoch * EPOCH_SECS + 1)
        return epoch

    def end(self, epoch: int) -> None:
        """Moves the clock to ``epoch``'s gate closure."""
        self.env.registry.set_unix_time((epoch + 1) * EPOCH_SECS)

    # -- orders -------------------------------------------------------------------------------------

    def place_ix(self, order: Order) -> Instruction:
        return self.client.place_auction_order(
            trader=order.trader.pubkey,
            market=self.address,
            zone_id=self.zone_id,
            seat=order.trader.seat,
            side=order.side,
            price=order.price,
            lots=order.lots,
            rollover=order.rollover,
            expires_at=order.expires_at,
        )

    def place(self, order: Order) -> tuple[int, AuctionOrderPlaced]:
        """One order alone in its transaction: (CU, its event)."""
        sent = self.env.send([self.place_ix(order)], [order.trader.wallet])
        [event] = self.env.events(sent)
        assert isinstance(event, AuctionOrderPlaced), event
        return sent.program_cu(self.client.program_id), event

    def place_many(self, orders: Sequence[Order]) -> None:
        """``orders`` in this order, consecutive orders of one trader several per transaction."""
        at = 0
        while at < len(orders):
            trader = orders[at].trader
            batch = [orders[at]]
            while (
                at + len(batch) < len(orders)
                and len(batch) < ORDERS_PER_TX
                and orders[at + len(batch)].trader is trader
            ):
                batch.append(orders[at + len(batch)])
            sent = self.env.send([self.place_ix(o) for o in batch], [trader.wallet])
            assert len(self.env.events(sent)) == len(batch)
            at += len(batch)

    def cancel(self, trader: Trader, placed: AuctionOrderPlaced) -> int:
        ix = self.client.cancel_auction_order(
            trader=trader.pubkey,
            market=self.address,
            zone_id=self.zone_id,
            seat=trader.seat,
            epoch=placed.epoch,
            index=placed.index,
            order_id=placed.order_id,
        )
        sent = self.env.send([ix], [trader.wallet])
        [event] = self.env.events(sent)
        assert isinstance(event, AuctionOrderCancelled) and event.order_id == placed.order_id, event
        return sent.program_cu(self.client.program_id)

    # -- epochs -------------------------------------------------------------------------------------

    def accounts(self) -> list[AuctionEpoch]:
        state = self.env.market_state(self.address)
        found = []
        for slot in (0, 1):
            address = self.client.epoch_pda(self.address, slot).address
            found.append(self.client.decode_epoch(address, self.env.registry.data(address), state))
        return found

    def holding(self, epoch: int) -> AuctionEpoch:
        account = next((a for a in self.accounts() if a.holds(epoch)), None)
        assert account is not None, f"no epoch account holds epoch {epoch}"
        return account

    def slot_size(self, slot: int) -> int:
        return len(self.env.registry.data(self.client.epoch_pda(self.address, slot).address))

    def free_bytes(self, epoch: int) -> int:
        """Room left in the account holding ``epoch`` (0 before its first order)."""
        account = next((a for a in self.accounts() if a.holds(epoch)), None)
        if account is None:
            return 0
        h = account.header
        return h.region_len - h.level_count * LEVEL_BYTES - h.order_count * ORDER_BYTES

    def steps(self, epoch: int) -> list[CrankStep]:
        state = self.env.market_state(self.address)
        return epoch_steps(self.client, state, self.holding(epoch), self.now(), self.env.payer.pubkey())

    def send(self, instructions: Sequence[Instruction]) -> tuple[KeyedSent, list[TradingEvent], int]:
        """Sends ``instructions`` as they are (their own compute-budget instruction), paid by the payer:
        the result, its trading events and the transaction's size in bytes."""
        payer = self.env.payer
        tx = v0_transaction(instructions, payer, [], Hash.default(), [])
        sent = send_v0_svm(self.env.svm, payer, instructions)
        keys = list(
            MessageV0.try_compile(payer.pubkey(), list(instructions), [], Hash.default()).account_keys
        )
        keyed = KeyedSent(sent.meta, keys)
        return keyed, self.env.events(keyed), len(bytes(tx))

    def crank_before(self, epoch: int) -> None:
        """Clears and settles every ended epoch older than ``epoch``, as the SDK's crank plans it."""
        while True:
            oldest = next_to_crank(self.accounts(), self.now())
            if oldest is None or oldest.header.epoch >= epoch:
                return
            for step in self.steps(oldest.header.epoch):
                self.send(step.instructions)

    def clear(self, epoch: int) -> tuple[Clear, EpochCleared]:
        """``epoch``'s clearing as the SDK's crank builds it; when its compute budget is too small, again
        with the most a transaction may use."""
        step = self.steps(epoch)[0]
        assert step.action is Action.CLEAR
        [limit, ix] = step.instructions
        budget = _limit(limit)
        try:
            sent, [event], _ = self.send(step.instructions)
        except TransactionFailed as e:
            if "exceeded CUs meter" not in str(e):
                raise
            sent, [event], _ = self.send([set_compute_unit_limit(MAX_COMPUTE_UNITS), ix])
        assert isinstance(event, EpochCleared), event
        return Clear(event.levels, sent.program_cu(self.client.program_id), budget), event

    def settle(self, epoch: int, max_orders: int) -> tuple[Chunk, EpochSettled]:
        """The next chunk of ``max_orders`` orders, with the budget the SDK gives such a chunk."""
        cursor = self.holding(epoch).header.cursor
        budget = settle_compute_units(max_orders)
        ix = self.client.settle_epoch(
            payer=self.env.payer.pubkey(),
            market=self.address,
            epoch=epoch,
            cursor=cursor,
            max_orders=max_orders,
        )
        sent, [event], size = self.send([set_compute_unit_limit(budget), ix])
        assert isinstance(event, EpochSettled) and event.from_index == cursor, event
        chunk = Chunk(
            len(event.settlements),
            sent.program_cu(self.client.program_id),
            int(sent.meta.compute_units_consumed()),
            size,
            budget,
            self.event_bytes(sent),
        )
        return chunk, event

    def event_bytes(self, sent: KeyedSent) -> int:
        """Instruction data of the transaction's (one) self-CPI of trading."""
        [size] = [
            len(bytes(inner.instruction().data))
            for group in sent.meta.inner_instructions()
            for inner in group
            if sent.keys[inner.instruction().program_id_index] == self.client.program_id
        ]
        return size


# -- scenarios -------------------------------------------------------------------------------------


def _matched_chunks(m: _Market, sizes: Sizes) -> tuple[list[Chunk], int, int]:
    """Every order fills: returns the chunks, the CU of the epoch account's first order and its growth."""
    traders = m.traders(8)
    epoch = m.start_epoch()
    total = sum(sizes.chunks) + 1
    total += total % 2
    orders = [
        Order(
            traders[(i // 10) % len(traders)],
            Side.ASK if i % 2 == 0 else Side.BID,
            100 if i % 2 == 0 else 120,
            10,
        )
        for i in range(total)
    ]
    size_before = m.slot_size(epoch % 2)
    first_cu, first = m.place(orders[0])
    assert first.lamports_paid > 0, "the epoch account's first order grows it"
    grew = m.slot_size(epoch % 2) - size_before
    m.place_many(orders[1:])
    m.end(epoch)
    m.clear(epoch)
    chunks = []
    for n in sizes.chunks:
        chunk, event = m.settle(epoch, n)
        assert chunk.orders == n and all(s.outcome is SettlementOutcome.FILLED for s in event.settlements)
        chunks.append(chunk)
    while m.holding(epoch).header.state is not EpochState.SETTLED:
        m.settle(epoch, MAX_SETTLE_CHUNK)
    return chunks, first_cu, grew


def _limit(instruction: Instruction) -> int:
    """The limit of a ``SetComputeUnitLimit`` instruction."""
    assert instruction.program_id == COMPUTE_BUDGET_ID and instruction.data[0] == SET_COMPUTE_UNIT_LIMIT
    return int.from_bytes(instruction.data[1:5], "little")


def _rolling_chunk(
    m: _Market, name: str, orders: Sequence[Order], busy_next: Sequence[Order] = ()
) -> WorstChunk:
    """``orders`` (64) in one epoch, cleared, then settled in one chunk that rolls them into the next epoch
    (which first receives ``busy_next`` orders)."""
    epoch = m.start_epoch()
    m.place_many(orders)
    if busy_next:
        m.start_epoch()
        m.place_many(busy_next)
    else:
        m.end(epoch)
    m.clear(epoch)
    nxt = (epoch + 1) % 2
    levels_before = len(m.holding(epoch + 1).levels) if busy_next else 0
    size_before = m.slot_size(nxt)
    chunk, event = m.settle(epoch, MAX_SETTLE_CHUNK)
    assert event.done and chunk.orders == len(orders)
    outcomes: dict[str, int] = {}
    for s in event.settlements:
        outcomes[s.outcome.name] = outcomes.get(s.outcome.name, 0) + 1
    return WorstChunk(name, chunk, outcomes, m.slot_size(nxt) - size_before, levels_before)


def _worst_chunks(env: TradingEnv, seeds: _Seeds, zone: int, sizes: Sizes) -> list[WorstChunk]:
    found = []
    # 32 bids below 32 asks, each at a price of its own: nothing executes, all 64 roll.
    m = _Market(env, seeds, zone)
    buyer, seller = m.traders(2)
    rolls_once = (m.now() // EPOCH_SECS + 3) * EPOCH_SECS  # the end of the next epoch
    apart = [Order(buyer, Side.BID, 90 - i, 1 + i, True, rolls_once) for i in range(32)]
    apart += [Order(seller, Side.ASK, 110 + i, 1 + i, True, rolls_once) for i in range(32)]
    found.append(_rolling_chunk(m, "64 orders at 64 prices, nothing crosses: all roll", apart))

    # One ask of 1 lot under 63 bids of 2 lots at 63 prices: the clearing price is the best bid's,
    # which is partially filled (time priority at the marginal price) and rolls; the others roll.
    m = _Market(env, seeds, zone + 1)
    buyer, seller = m.traders(2)
    rolls_once = (m.now() // EPOCH_SECS + 3) * EPOCH_SECS
    partial = [Order(seller, Side.ASK, 100, 1, True, rolls_once)]
    partial += [Order(buyer, Side.BID, 163 - i, 2, True, rolls_once) for i in range(63)]
    found.append(
        _rolling_chunk(m, "63 bids at 63 prices over 1 ask: the best partially filled, all roll", partial)
    )

    # As the first, into a next epoch that already holds sizes.busy_next orders at prices above them.
    m = _Market(env, seeds, zone + 2)
    buyer, seller = m.traders(2)
    rolls_once = (m.now() // EPOCH_SECS + 3) * EPOCH_SECS
    low = [Order(buyer, Side.BID, 100 - i, 1, True, rolls_once) for i in range(32)]
    low += [Order(seller, Side.ASK, 200 + i, 1, True, rolls_once) for i in range(32)]
    half = sizes.busy_next // 2
    busy = [Order(buyer, Side.BID, 1_000 + i, 1) for i in range(half)]
    busy += [Order(seller, Side.ASK, 1_000 + half + i, 1) for i in range(sizes.busy_next - half)]
    found.append(
        _rolling_chunk(
            m,
            f"as the first, into a next epoch of {sizes.busy_next:,} orders at as many higher prices",
            low,
            busy,
        )
    )
    return found


def _room(m: _Market, epoch: int, trader: Trader) -> None:
    """Makes sure one more order and level fit the epoch account without growing it."""
    if m.free_bytes(epoch) >= ORDER_BYTES + LEVEL_BYTES:
        return
    _, placed = m.place(Order(trader, Side.ASK, 1_000_000, 1))  # grows it by 8 orders and levels
    m.cancel(trader, placed)
    assert m.free_bytes(epoch) >= ORDER_BYTES + LEVEL_BYTES


def _levels(env: TradingEnv, seeds: _Seeds, zone: int, sizes: Sizes) -> tuple[list[PlaceCancel], list[Clear]]:
    """For each number of levels: place and cancel at three positions, then clear the epoch."""
    m = _Market(env, seeds, zone)
    filler, placer = m.traders(2)
    placements: list[PlaceCancel] = []
    clears: list[Clear] = []
    for levels in sorted(sizes.levels):
        epoch = m.start_epoch()
        m.crank_before(epoch)
        # Bids at even prices from 10,000 up, asks at the odd prices between them: they cross.
        book = [
            Order(filler, Side.BID if i % 2 == 0 else Side.ASK, 10_000 + i, 1 + i % 3) for i in range(levels)
        ]
        m.place_many(book)
        positions = (
            [("existing", 10_000 + levels // 2, 0), ("top", 10_000 + levels, 0), ("bottom", 9_000, levels)]
            if levels
            else [("empty", 10_000, 0)]
        )
        for position, price, moved in positions:
            _room(m, epoch, placer)
            before = m.slot_size(epoch % 2)
            place_cu, placed = m.place(Order(placer, Side.BID, price, 5))
            assert placed.lamports_paid == 0 and m.slot_size(epoch % 2) == before, "measured with room"
            assert len(m.holding(epoch).levels) == levels + (position != "existing")
            cancel_cu = m.cancel(placer, placed)
            placements.append(PlaceCancel(levels, position, moved, place_cu, cancel_cu))
        assert len(m.holding(epoch).levels) == levels
        m.end(epoch)
        clear, cleared = m.clear(epoch)
        assert cleared.levels == levels and (cleared.volume_lots > 0 or levels < 2)
        clears.append(clear)
        m.crank_before(epoch + 1)
    return placements, clears


def _random_book(traders: Sequence[Trader], count: int, epoch: int, seed: int) -> list[Order]:
    """``count`` orders, each trader's in a row: random sides, prices 95..125 around a crossing, 1..30
    lots; half roll over once (they expire at the end of the next epoch)."""
    rng = random.Random(seed)
    rolls_once = (epoch + 2) * EPOCH_SECS
    each = -(-count // len(traders))
    orders = []
    for i in range(count):
        rollover = rng.random() < 0.5
        orders.append(
            Order(
                traders[i // each],
                rng.choice((Side.BID, Side.ASK)),
                rng.randint(95, 125),
                rng.randint(1, 30),
                rollover,
                rolls_once if rollover else 0,
            )
        )
    return orders


def _run(m: _Market, epoch: int, transactions: list[list[Instruction]]) -> EpochRun:
    clear_cu = settle_cu = transaction_cu = largest = 0
    settled = matched = rolled = 0
    settle_transactions = 0
    for instructions in transactions:
        sent, events, size = m.send(instructions)
        largest = max(largest, size)
        transaction_cu += int(sent.meta.compute_units_consumed())
        settles = [e for e in events if isinstance(e, EpochSettled)]
        settle_transactions += bool(settles)
        for event in events:
            if isinstance(event, EpochCleared):
                assert event.epoch == epoch
            elif isinstance(event, EpochSettled):
                settled += len(event.settlements)
                matched += sum(s.filled_lots > 0 for s in event.settlements)
                rolled += sum(s.rolled for s in event.settlements)
        kinds = [e for e in events if isinstance(e, EpochCleared | EpochSettled)]
        for cu, event in zip(_top_level_cu(sent.logs, m.client.program_id), kinds, strict=True):
            if isinstance(event, EpochCleared):
                clear_cu += cu
            else:
                settle_cu += cu
    account = m.holding(epoch)
    assert account.header.state is EpochState.SETTLED and settled == account.header.live_orders
    return EpochRun(
        account.header.order_count,
        len(transactions),
        settle_transactions,
        clear_cu,
        settle_cu,
        transaction_cu,
        largest,
        matched,
        rolled,
    )


def _top_level_cu(logs: Sequence[str], program_id: Pubkey) -> list[int]:
    """CU of each top-level invocation of ``program_id`` in a transaction's logs, in order (its self-CPIs
    are inside them)."""
    invoke, consumed = f"Program {program_id} invoke [", f"Program {program_id} consumed "
    depths: list[int] = []
    found = []
    for line in logs:
        if line.startswith(invoke):
            depths.append(int(line[len(invoke) :].rstrip("]")))
        elif line.startswith(consumed) and depths.pop() == 1:
            found.append(int(line[len(consumed) :].split()[0]))
    return found


def _packing(m: _Market, worst_chunk_cu: int) -> Packing:
    payer = m.env.payer.pubkey()
    budget = set_compute_unit_limit(MAX_COMPUTE_UNITS)
    settles: list[Instruction] = []
    while True:
        settle = m.client.settle_epoch(
            payer=payer, market=m.address, epoch=0, cursor=len(settles) * MAX_SETTLE_CHUNK
        )
        tx = v0_transaction([budget, *settles, settle], m.env.payer, [], Hash.default(), [])
        if len(bytes(tx)) > MAX_TRANSACTION_SIZE:
            break
        settles.append(settle)
    return Packing(len(settles), MAX_COMPUTE_UNITS // worst_chunk_cu, worst_chunk_cu)


def _packed(m: _Market, epoch: int, packing: Packing) -> list[list[Instruction]]:
    """The clearing and every chunk of ``epoch`` in as few transactions as ``packing`` allows (the clearing
    takes the place of a chunk)."""
    steps = m.steps(epoch)
    instructions = [step.instructions[-1] for step in steps]  # without their compute-budget instructions
    budget = set_compute_unit_limit(MAX_COMPUTE_UNITS)
    each = packing.per_transaction
    return [[budget, *instructions[at : at + each]] for at in range(0, len(instructions), each)]


def _thousand(
    env: TradingEnv, seeds: _Seeds, zone: int, sizes: Sizes, worst_chunk_cu: int
) -> tuple[EpochRun, EpochRun, Packing]:
    m = _Market(env, seeds, zone)
    traders = m.traders(sizes.traders)
    epoch = m.start_epoch()
    m.place_many(_random_book(traders, sizes.epoch_orders, epoch, seed=13))
    m.end(epoch)
    one = _run(m, epoch, [step.instructions for step in m.steps(epoch)])
    # The same book again two epochs later (the next epoch, with the orders rolled into it, settled first).
    again = epoch + 2
    m.env.registry.set_unix_time(again * EPOCH_SECS + 1)
    m.crank_before(again)
    m.place_many(_random_book(traders, sizes.epoch_orders, again, seed=13))
    m.end(again)
    packing = _packing(m, worst_chunk_cu)
    packed = _run(m, again, _packed(m, again, packing))
    return one, packed, packing


def measure(
    trading_elf: bytes, registry_elf: bytes, mode: str = "deploy", sizes: Sizes | None = None
) -> AuctionBench:
    """Runs every measurement (see the module docs) on a fresh VM."""
    sizes = sizes or Sizes()
    if max(sizes.chunks) > MAX_SETTLE_CHUNK:
        raise ValueError(f"a chunk is at most {MAX_SETTLE_CHUNK} orders")
    env = trading_cu.new_env(trading_elf, registry_elf, mode)
    seeds = _Seeds(5_000)
    m = _Market(env, seeds, ZONE_ID)
    rent = sum(env.registry.balance(env.client.epoch_pda(m.address, slot).address) for slot in (0, 1))
    matched, first_cu, grew = _matched_chunks(m, sizes)
    worst = _worst_chunks(env, seeds, ZONE_ID + 1, sizes)
    placements, clears = _levels(env, seeds, ZONE_ID + 4, sizes)
    worst_per_chunk = max(w.chunk.program_cu for w in worst)
    one, packed, packing = _thousand(env, seeds, ZONE_ID + 5, sizes, worst_per_chunk)
    return AuctionBench(
        matched, worst, clears, placements, first_cu, grew, one, packed, packing, m.create_cu, rent
    )


def main(argv: list[str]) -> int:
    so = Path(argv[1]) if len(argv) > 1 else REPO / "target" / "deploy" / "trading.so"
    registry_so = Path(argv[2]) if len(argv) > 2 else REPO / "target" / "deploy" / "registry.so"
    result = measure(so.read_bytes(), registry_so.read_bytes())
    print(json.dumps(result.to_json(), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

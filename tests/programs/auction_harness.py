"""Test harness for the trading program's periodic call auction in LiteSVM (issue 13).

:class:`PeriodicMarket` wraps a :class:`TradingEnv` and one periodic market: it builds the auction
instructions from the IDL (place, cancel, clear, settle), warps the cluster clock to an epoch's end,
decodes the two epoch accounts (header, price levels, orders in arrival order) and the market's
periodic fields straight from the account bytes, reads the auction events of a transaction, and
checks token conservation across both epoch accounts against the real SPL vault balances.

:func:`reference_clearing` and :func:`reference_fills` are an independent model of the clearing rule
and of the rationing by time priority (brute force over every candidate price), so that the tests
compare the program's result with it rather than with numbers copied from the program.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from registry_harness import ZONE_ID
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.system_program import ID as SYSTEM_PROGRAM_ID
from trading_harness import KeyedSent, Trader, TradingEnv

from solgrid.sdk.trading import MarketParams
from solgrid.sdk.trading.units import Side, fee

EPOCH_SECS = 900
DISCRIMINATOR_LEN = 8
MARKET_PERIODIC = struct.Struct("<IIQQQ2B30s")
MARKET_PERIODIC_AT = DISCRIMINATOR_LEN + 360
EPOCH_HEADER_LEN = 256
EPOCH_DATA_AT = DISCRIMINATOR_LEN + EPOCH_HEADER_LEN
LEVEL = struct.Struct("<3Q")
ORDER = struct.Struct("<5Qq I2BH")
MAX_CHUNK = 64
NOT_ROLLED = 2**32 - 1
FLAG_ROLLOVER = 2
FLAG_ROLLED_IN = 4

# EpochState
EMPTY, COLLECTING, PRICE_FIXED, SETTLED = range(4)


def _index(value: Any) -> int:
    index: int = type(value).index
    return index


@dataclass(frozen=True)
class MarketPeriodic:
    """The periodic fields of a market's header (the former reserved bytes)."""

    epoch_secs: int
    auction_orders: int
    last_clearing_price: int
    last_settled_epoch: int
    auctions_settled: int
    epoch_bumps: tuple[int, int]


@dataclass(frozen=True)
class AuctionOrder:
    index: int
    price: int
    order_id: int
    lots: int
    initial_lots: int
    client_order_id: int
    expires_at: int
    seat: int
    side: Side
    flags: int
    maker_fee_bps: int

    @property
    def live(self) -> bool:
        return self.lots > 0


@dataclass(frozen=True)
class EpochView:
    """An epoch account: its header (the IDL's ``AuctionEpoch`` as anchorpy decodes it), its price
    levels ``(price, bid_lots, ask_lots)`` ascending and its orders by index."""

    address: Pubkey
    header: Any
    levels: list[tuple[int, int, int]]
    orders: list[AuctionOrder]
    size: int

    @property
    def state(self) -> int:
        return _index(self.header.state)

    @property
    def epoch(self) -> int:
        number: int = self.header.epoch
        return number

    @property
    def cursor(self) -> int:
        cursor: int = self.header.cursor
        return cursor

    def pending(self) -> list[AuctionOrder]:
        """Live orders whose funds are still locked: every live order of a collecting epoch, those at
        or after the cursor of a price-fixed one, none of a settled one."""
        if self.state == COLLECTING:
            return [o for o in self.orders if o.live]
        if self.state == PRICE_FIXED:
            return [o for o in self.orders if o.live and o.index >= self.cursor]
        return []


@dataclass(frozen=True)
class Placed:
    sent: KeyedSent
    event: Any
    """The ``AuctionOrderPlaced`` event (anchorpy container)."""

    @property
    def epoch(self) -> int:
        value: int = self.event.epoch
        return value

    @property
    def index(self) -> int:
        value: int = self.event.index
        return value

    @property
    def order_id(self) -> int:
        value: int = self.event.order_id
        return value


def raw_events(env: TradingEnv, sent: KeyedSent) -> list[tuple[str, Any]]:
    """Every trading event of a transaction as (name, anchorpy container), from the self-CPIs."""
    authority = env.client.event_authority_pda().address
    coder = env.client.coder.coder
    found: list[tuple[str, Any]] = []
    for group in sent.meta.inner_instructions():
        for inner in group:
            ix = inner.instruction()
            accounts = bytes(ix.accounts)
            if sent.keys[ix.program_id_index] != env.client.program_id or not accounts:
                continue
            if sent.keys[accounts[0]] != authority:
                continue
            data = bytes(ix.data)
            event = coder.events.parse(data[8:])
            assert event is not None, data.hex()
            found.append((event.name, event.data))
    return found


def one_event(env: TradingEnv, sent: KeyedSent, name: str) -> Any:
    events = raw_events(env, sent)
    assert [n for n, _ in events] == [name], events
    return events[0][1]


def locked_by(order: AuctionOrder, bpl: int, qplt: int) -> int:
    """What a waiting auction order locks (``crates/order-book/src/escrow.rs``)."""
    if order.side == Side.ASK:
        return order.lots * bpl
    unit = order.price * qplt
    initial = order.initial_lots * unit
    rest = order.lots * unit
    return rest + fee(initial, order.maker_fee_bps) - fee(initial - rest, order.maker_fee_bps)


@dataclass
class PeriodicMarket:
    env: TradingEnv
    address: Pubkey
    epoch_secs: int

    # -- creation and addresses --------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        env: TradingEnv,
        epoch_secs: int = EPOCH_SECS,
        params: MarketParams | None = None,
        quote_mint: Pubkey | None = None,
    ) -> PeriodicMarket:
        quote = quote_mint or env.quote_mint.pubkey()
        ix = cls.create_ix(env, epoch_secs, params, quote)
        env.record("create_market[periodic]", env.send([ix], env.registry.quorum()))
        return cls(env, env.client.market_pda(ZONE_ID, quote).address, epoch_secs)

    @staticmethod
    def create_ix(
        env: TradingEnv,
        epoch_secs: int = EPOCH_SECS,
        params: MarketParams | None = None,
        quote_mint: Pubkey | None = None,
    ) -> Instruction:
        return env.client.create_market(
            payer=env.payer.pubkey(),
            zone_id=ZONE_ID,
            base_mint=env.base_mint.pubkey(),
            quote_mint=quote_mint or env.quote_mint.pubkey(),
            params=params or env.default_params(),
            cosigners=[r.pubkey() for r in env.registry.quorum()],
            epoch_secs=epoch_secs,
        )

    def slot_account(self, slot: int) -> Pubkey:
        return self.env.client.epoch_pda(self.address, slot).address

    def account_of(self, epoch: int) -> Pubkey:
        return self.slot_account(epoch % 2)

    # -- time ---------------------------------------------------------------------------------------

    def current_epoch(self) -> int:
        return self.env.now() // self.epoch_secs

    def ends_at(self, epoch: int) -> int:
        return (epoch + 1) * self.epoch_secs

    def warp(self, unix_time: int) -> None:
        self.env.registry.set_unix_time(unix_time)

    def warp_to_epoch_start(self, epoch: int, offset: int = 1) -> None:
        self.warp(epoch * self.epoch_secs + offset)

    def warp_past(self, epoch: int) -> None:
        """Moves the clock to the end of ``epoch`` (its gate closure: it may be cleared)."""
        self.warp(self.ends_at(epoch))

    # -- instructions -------------------------------------------------------------------------------

    def place_ix(
        self,
        trader: Trader,
        side: Side,
        price: int,
        lots: int,
        *,
        seat: int | None = None,
        client_order_id: int = 0,
        expires_at: int = 0,
        rollover: bool = False,
    ) -> Instruction:
        client = self.env.client
        return client.coder.instruction(
            "place_auction_order",
            {
                "seat": trader.seat if seat is None else seat,
                "side": client.coder.unit_variant("Side", int(side)),
                "price": price,
                "lots": lots,
                "client_order_id": client_order_id,
                "expires_at": expires_at,
                "rollover": rollover,
            },
            {
                "trader": trader.pubkey,
                "registry_config": client.registry_config(),
                "user": client.registry_user(trader.pubkey),
                "zone": client.registry_zone(ZONE_ID),
                "market": self.address,
                "epoch_0": self.slot_account(0),
                "epoch_1": self.slot_account(1),
                "system_program": SYSTEM_PROGRAM_ID,
                **self._events(),
            },
        )

    def place(self, trader: Trader, side: Side, price: int, lots: int, **extra: Any) -> Placed:
        sent = self.env.record(
            "place_auction_order",
            self.env.send([self.place_ix(trader, side, price, lots, **extra)], [trader.wallet]),
        )
        return Placed(sent, one_event(self.env, sent, "AuctionOrderPlaced"))

    def cancel_ix(
        self,
        trader: Trader,
        epoch: int,
        index: int,
        order_id: int,
        *,
        seat: int | None = None,
        epoch_account: Pubkey | None = None,
    ) -> Instruction:
        return self.env.client.coder.instruction(
            "cancel_auction_order",
            {
                "seat": trader.seat if seat is None else seat,
                "epoch": epoch,
                "index": index,
                "order_id": order_id,
            },
            {
                "trader": trader.pubkey,
                "registry_config": self.env.client.registry_config(),
                "zone": self.env.client.registry_zone(ZONE_ID),
                "market": self.address,
                "epoch_account": epoch_account or self.account_of(epoch),
                **self._events(),
            },
        )

    def cancel(self, trader: Trader, placed: Placed) -> Any:
        ix = self.cancel_ix(trader, placed.epoch, placed.index, placed.order_id)
        sent = self.env.record("cancel_auction_order", self.env.send([ix], [trader.wallet]))
        return one_event(self.env, sent, "AuctionOrderCancelled")

    def clear_ix(
        self, epoch: int, *, epoch_account: Pubkey | None = None, other: Pubkey | None = None
    ) -> Instruction:
        return self.env.client.coder.instruction(
            "clear_epoch",
            {"epoch": epoch},
            {
                "registry_config": self.env.client.registry_config(),
                "zone": self.env.client.registry_zone(ZONE_ID),
                "market": self.address,
                "epoch_account": epoch_account or self.account_of(epoch),
                "other_epoch_account": other or self.account_of(epoch + 1),
                **self._events(),
            },
        )

    def clear(self, epoch: int) -> Any:
        sent = self.env.record("clear_epoch", self.env.send([self.clear_ix(epoch)]))
        return one_event(self.env, sent, "EpochCleared")

    def settle_ix(
        self,
        epoch: int,
        cursor: int,
        max_orders: int = MAX_CHUNK,
        *,
        payer: Pubkey | None = None,
        epoch_account: Pubkey | None = None,
        next_account: Pubkey | None = None,
    ) -> Instruction:
        return self.env.client.coder.instruction(
            "settle_epoch",
            {"epoch": epoch, "cursor": cursor, "max_orders": max_orders},
            {
                "payer": payer or self.env.payer.pubkey(),
                "market": self.address,
                "epoch_account": epoch_account or self.account_of(epoch),
                "next_epoch_account": next_account or self.account_of(epoch + 1),
                "system_program": SYSTEM_PROGRAM_ID,
                **self._events(),
            },
        )

    def settle_chunk(
        self, epoch: int, max_orders: int = MAX_CHUNK, payer: Keypair | None = None
    ) -> KeyedSent:
        cursor = self.epoch_view(epoch % 2).cursor
        ix = self.settle_ix(epoch, cursor, max_orders, payer=payer.pubkey() if payer else None)
        signers = [payer] if payer else []
        return self.env.record("settle_epoch", self.env.send([ix], signers))

    def settle_all(self, epoch: int, max_orders: int = MAX_CHUNK) -> list[Any]:
        """Settles ``epoch`` chunk by chunk, checking conservation after each; returns the events."""
        events = []
        while True:
            sent = self.settle_chunk(epoch, max_orders)
            event = one_event(self.env, sent, "EpochSettled")
            events.append(event)
            self.assert_conserved()
            if event.done:
                return events

    def _events(self) -> dict[str, Pubkey]:
        client = self.env.client
        return {
            "config": client.config_pda().address,
            "event_authority": client.event_authority_pda().address,
            "program": client.program_id,
        }

    # -- reading ------------------------------------------------------------------------------------

    def periodic(self) -> MarketPeriodic:
        data = self.env.registry.data(self.address)
        secs, orders, last_price, last_epoch, settled, b0, b1, _ = MARKET_PERIODIC.unpack_from(
            data, MARKET_PERIODIC_AT
        )
        return MarketPeriodic(secs, orders, last_price, last_epoch, settled, (b0, b1))

    def epoch_view(self, slot: int) -> EpochView:
        address = self.slot_account(slot)
        data = self.env.registry.data(address)
        header = self.env.client.coder.decode_account("AuctionEpoch", data[:EPOCH_DATA_AT])
        region = data[EPOCH_DATA_AT:]
        assert len(region) == header.region_len
        levels: list[tuple[int, int, int]] = [
            LEVEL.unpack_from(region, i * LEVEL.size) for i in range(header.level_count)
        ]
        orders = []
        for i in range(header.order_count):
            fields = ORDER.unpack_from(region, len(region) - (i + 1) * ORDER.size)
            price, order_id, lots, initial, client_id, expires_at, seat, side, flags, fee_bps = fields
            orders.append(
                AuctionOrder(
                    i, price, order_id, lots, initial, client_id, expires_at, seat, Side(side), flags, fee_bps
                )
            )
        return EpochView(address, header, levels, orders, len(data))

    def holding(self, epoch: int) -> EpochView:
        view = self.epoch_view(epoch % 2)
        assert view.epoch == epoch and view.state != EMPTY, (view.epoch, view.state)
        return view

    # -- invariants ---------------------------------------------------------------------------------

    def assert_conserved(self) -> None:
        """The SPL vaults hold exactly the seats' free and locked balances, the accrued fees and the
        tokens in transit in an epoch under settlement; every seat locks exactly what its waiting
        auction orders lock; the levels are the live orders' aggregates; the market counts them."""
        env = self.env
        state = env.market_state(self.address)
        h = state.header
        views = [self.epoch_view(0), self.epoch_view(1)]
        base_transit = sum(v.header.base_delivered - v.header.base_received for v in views)
        quote_transit = sum(v.header.quote_paid - v.header.quote_received for v in views)
        for v in views:
            if v.state == SETTLED:
                assert v.header.base_delivered == v.header.base_received
                assert v.header.quote_paid == v.header.quote_received
        base = sum(s.base_free + s.base_locked for s in state.seats) + base_transit
        quote = sum(s.quote_free + s.quote_locked for s in state.seats) + h.fees_accrued + quote_transit
        assert env.token_balance(h.base_vault) == base, "base vault != seats + transit"
        assert env.token_balance(h.quote_vault) == quote, "quote vault != seats + fees + transit"
        pending = [o for v in views for o in v.pending()]
        for seat in state.seats:
            mine = [o for o in pending if o.seat == seat.index]
            asks = sum(
                locked_by(o, h.base_atoms_per_lot, h.quote_per_lot_tick) for o in mine if o.side == Side.ASK
            )
            bids = sum(
                locked_by(o, h.base_atoms_per_lot, h.quote_per_lot_tick) for o in mine if o.side == Side.BID
            )
            assert (seat.base_locked, seat.quote_locked) == (asks, bids), f"seat {seat.index} locks"
            assert seat.open_orders == len(mine), f"seat {seat.index} open_orders"
        assert self.periodic().auction_orders == len(pending)
        for v in views:
            if v.state != COLLECTING:
                continue
            live = [o for o in v.orders if o.live]
            expected: dict[int, list[int]] = {}
            for o in live:
                level = expected.setdefault(o.price, [0, 0])
                level[0 if o.side == Side.BID else 1] += o.lots
            assert v.levels == [(p, b, a) for p, (b, a) in sorted(expected.items())], "levels"
            assert v.header.live_orders == len(live)
            assert v.header.total_bid_lots == sum(o.lots for o in live if o.side == Side.BID)
            assert v.header.total_ask_lots == sum(o.lots for o in live if o.side == Side.ASK)


# -- the reference model ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Clearing:
    price: int
    volume: int
    demand: int
    supply: int


def reference_clearing(orders: Sequence[tuple[Side, int, int]], reference: int = 0) -> Clearing:
    """The clearing of live orders ``(side, price, lots)`` by brute force over every price from 1 to
    the highest limit + 1: most volume, then least surplus, then market pressure (only prices where
    the bids above and the asks below the price all fill: ``D(p + 1) <= V`` and ``S(p - 1) <= V``),
    then closest to ``reference`` (no reference: the middle of what is left, rounded down). Checks
    the rule's property on the allocation: every order priced beyond the price fills completely."""
    if not orders:
        return Clearing(0, 0, 0, 0)
    top = max(p for _, p, _ in orders) + 1

    def demand(p: int) -> int:
        return sum(lots for side, price, lots in orders if side == Side.BID and price >= p)

    def supply(p: int) -> int:
        return sum(lots for side, price, lots in orders if side == Side.ASK and price <= p)

    rows = []
    for p in range(1, top + 1):
        d, s = demand(p), supply(p)
        rows.append((p, min(d, s), abs(d - s), d, s))
    best_volume = max(r[1] for r in rows)
    if best_volume == 0:
        return Clearing(0, 0, 0, 0)
    best_surplus = min(r[2] for r in rows if r[1] == best_volume)
    optimal = [r for r in rows if r[1] == best_volume and r[2] == best_surplus]
    lo, hi = optimal[0][0], optimal[-1][0]
    assert [r[0] for r in optimal] == list(range(lo, hi + 1)), "the optimal prices are one interval"
    pressure = [r[0] for r in optimal if demand(r[0] + 1) <= best_volume and supply(r[0] - 1) <= best_volume]
    assert pressure and pressure == list(range(pressure[0], pressure[-1] + 1)), "pressure: one interval"
    lo, hi = pressure[0], pressure[-1]
    price = lo + (hi - lo) // 2 if reference == 0 else min(max(reference, lo), hi)
    for (side, limit, lots), filled in zip(orders, reference_fills(orders, best_volume), strict=True):
        if limit > price if side == Side.BID else limit < price:
            assert filled == lots, f"an order priced beyond {price} is rationed"
    row = next(r for r in rows if r[0] == price)
    return Clearing(price, best_volume, row[3], row[4])


def reference_fills(orders: Sequence[tuple[Side, int, int]], volume: int) -> list[int]:
    """Each order's fill (same order as ``orders``, which is time priority) when each side executes
    ``volume`` lots by price-time priority: better prices first, then earlier orders."""
    fills = [0] * len(orders)
    for side in (Side.BID, Side.ASK):
        ranked = sorted(
            (i for i, o in enumerate(orders) if o[0] == side),
            key=lambda i: (-orders[i][1] if side == Side.BID else orders[i][1], i),
        )
        left = volume
        for i in ranked:
            take = min(left, orders[i][2])
            fills[i] = take
            left -= take
    return fills


__all__ = [
    "COLLECTING",
    "EMPTY",
    "EPOCH_SECS",
    "PRICE_FIXED",
    "SETTLED",
    "AuctionOrder",
    "Clearing",
    "EpochView",
    "PeriodicMarket",
    "Placed",
    "locked_by",
    "one_event",
    "raw_events",
    "reference_clearing",
    "reference_fills",
]

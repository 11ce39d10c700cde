"""Compute units and rent of the trading program, measured in the in-process LiteSVM against issue 12's goals.

Usage: ``.venv/bin/python bench/trading_cu.py [path/to/trading.so [path/to/registry.so]]`` (defaults
``target/deploy/<name>.so``) prints one JSON object with every measurement.

:func:`measure` is what ``bench/run.py`` imports. The set-up is the tests' own
(``tests/programs/trading_harness.py``): the registry (config, three regulators with threshold 2, zone 7,
verified prosumers) and trading (its Config, a 9-decimal base mint standing in for GRID, a 6-decimal
test stablecoin) in one VM, with trading deployed through BPFLoaderUpgradeable at its IDL address and the
registry loaded beside it. One market with the default fees (taker 25 bps, maker 0), 0.001 quote per kWh
ticks and 1 Wh lots; its per-epoch order limit is raised so that two filler traders can rest the deep
books (the limit is checked all the same). What is measured, all CU of the top-level trading
instruction (so its self-CPI event and any growth CPI included):

* a resting limit order: the market's first (it grows the account by 8 order slots), then with a free
  slot on a book of 0, 100, 1,000 resting orders per side, inserted at the top of its side (nothing
  moves), in the middle and at the bottom (every order of its side moves one slot: a ``memmove``);
* cancelling that same order again (front, middle, deep);
* a limit bid crossing ``n`` asks of ``n`` different makers, every one filled and settled, for
  ``n`` in 1, 2, 8, 32, 64 and the match limit (80); the marginal cost of a fill is
  ``(CU(n) - CU(1)) / (n - 1)``, and the ``OrderPlaced`` event must list exactly ``n`` fills;
* create_market (and its rent: market account and two vaults), claim_seat (and the rent of a seat),
  the rent of 8 order slots, deposit, withdraw and prune_expired (per removed order);
* two markets of two zones: the writable accounts of their place_order, cancel_order, withdraw and
  deposit transactions, as compiled, share nothing but the fee payer.

Numbers are deterministic: the payer, the mints and every trader come from fixed seeds, and the
cluster clock is pinned.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "programs"))  # the tests' LiteSVM harness

from registry_harness import LAMPORTS, RegistryEnv  # noqa: E402
from solders.hash import Hash  # noqa: E402
from solders.instruction import Instruction  # noqa: E402
from solders.keypair import Keypair  # noqa: E402
from solders.message import Message  # noqa: E402
from solders.pubkey import Pubkey  # noqa: E402
from trading_harness import (  # noqa: E402
    LOT_SIZE_WH,
    TICK_SIZE,
    KeyedSent,
    Trader,
    TradingEnv,
    trading_keypair,
)

from solgrid.localnet.svm import deploy, features_blocking_deploy, new_svm  # noqa: E402
from solgrid.localnet.txmeta import resolve_account_keys  # noqa: E402
from solgrid.sdk.registry import RegistryClient, UserRole  # noqa: E402
from solgrid.sdk.trading import (  # noqa: E402
    Fill,
    MarketParams,
    OrderPlaced,
    TradingClient,
)
from solgrid.sdk.trading.events import OrderCancelled, OrdersExpired  # noqa: E402
from solgrid.sdk.trading.units import MAX_MATCHES, OrderState, Side  # noqa: E402

MODES = ("add_program", "deploy")
ZONE_ID = 7  # the harness's zone
OTHER_ZONE_ID = 8
LAMPORTS_PER_SOL = 10**9
MAX_ORDERS_PER_EPOCH = 1_000_000
BID_TOP = 9_000  # ticks: the fillers' bids go down from here, their asks up from ASK_TOP
ASK_TOP = 11_000
SWEEP_FROM = 10_000  # the swept asks sit between the two books
LOTS = 10
ORDERS_PER_TX = 10
SLOTS_PER_GROW = 128  # 7,168 bytes: within the 10,240 bytes one instruction may add to an account
MAX_FREE_ORDER_SLOTS = 256  # the most free order slots grow_market may leave
EXPIRY_SECS = 60
BASE_FUNDS = 10**14  # atoms: 100,000 GRID
QUOTE_FUNDS = 10**12


@dataclass(frozen=True)
class Sizes:
    """What to measure: book depths (resting orders per side), sweep sizes and prune sizes."""

    depths: tuple[int, ...] = (0, 100, 1_000)
    sweeps: tuple[int, ...] = (1, 2, 8, 32, 64, MAX_MATCHES)
    prunes: tuple[int, ...] = (1, 32)


@dataclass(frozen=True)
class Placement:
    """A resting order placed on a book of ``depth`` orders per side, then cancelled again."""

    side: str
    depth: int
    position: str
    """``top`` (the new best, nothing moves), ``middle`` or ``bottom`` (its side's worst)."""
    moved: int
    """Orders of its side that moved one slot when it was inserted (and again when it was cancelled)."""
    place_cu: int
    cancel_cu: int


@dataclass(frozen=True)
class Sweep:
    """A limit bid that crosses ``makers`` asks of as many makers and fills them all."""

    makers: int
    cu: int
    fills_in_event: int
    """Fill steps of the transaction's ``OrderPlaced`` event, each naming its maker in book order."""


@dataclass(frozen=True)
class Rent:
    """Lamports of rent (rent-exempt minimums) a market costs and how it grows."""

    market: int
    base_vault: int
    quote_vault: int
    per_seat: int
    per_8_order_slots: int
    market_bytes: int
    """The market account's size when created (no seat, no order slot)."""
    seat_bytes: int
    order_slot_bytes: int

    @property
    def create_market(self) -> int:
        return self.market + self.base_vault + self.quote_vault


@dataclass(frozen=True)
class ZoneIsolation:
    """Writable accounts of the same instructions on the markets of two zones, as compiled."""

    instructions: tuple[str, ...]
    fee_payer: str
    writable: tuple[tuple[str, ...], tuple[str, ...]]
    shared: tuple[str, ...]
    """Writable in both, the fee payer left out (the goal: none)."""

    @property
    def disjoint(self) -> bool:
        return not self.shared


@dataclass(frozen=True)
class TradingBench:
    first_order_growing: int
    """CU of the market's first resting order, which grows the account by 8 order slots."""
    placements: list[Placement]
    sweeps: list[Sweep]
    rent: Rent
    zones: ZoneIsolation
    event_handler_cu: int
    """CU of the event's self-CPI handler (the runtime charges the caller 1,000 more for the invocation)."""
    prunes: dict[int, int]
    """CU of prune_expired removing ``k`` expired orders, by ``k`` (on the deep book: see the module docs)."""
    other: dict[str, int] = field(default_factory=dict)
    """CU of create_market, claim_seat, deposit and withdraw."""

    def marginal_fill_cu(self) -> dict[int, float]:
        """``(CU(n) - CU(1)) / (n - 1)`` for every measured sweep of ``n > 1`` makers."""
        one = next(s.cu for s in self.sweeps if s.makers == 1)
        return {s.makers: (s.cu - one) / (s.makers - 1) for s in self.sweeps if s.makers > 1}

    def prune_per_order_cu(self) -> float:
        """Marginal CU of one more removed order: between the smallest and the largest prune measured."""
        low, high = min(self.prunes), max(self.prunes)
        return (self.prunes[high] - self.prunes[low]) / (high - low)

    def to_json(self) -> dict[str, object]:
        report = asdict(self)
        report["rent"]["create_market"] = self.rent.create_market
        report["zones"]["disjoint"] = self.zones.disjoint
        report["marginal_fill_cu"] = self.marginal_fill_cu()
        report["prune_per_order_cu"] = self.prune_per_order_cu()
        return report


def _seeded(n: int) -> Keypair:
    return Keypair.from_seed(n.to_bytes(32, "little"))


class _Seeds:
    """Fixed-seed keypairs, each seed used once."""

    def __init__(self, start: int) -> None:
        self._next = start

    def __call__(self) -> Keypair:
        self._next += 1
        return _seeded(self._next)


def new_env(trading_elf: bytes, registry_elf: bytes, mode: str = "deploy") -> TradingEnv:
    """The harness's VM with the registry (added) and trading (added or deployed) at their IDL addresses,
    set up by :meth:`TradingEnv.setup` with a fixed-seed payer and mints."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    svm = new_svm(deactivate=features_blocking_deploy(registry_elf, trading_elf))
    payer = _seeded(1)
    svm.airdrop(payer.pubkey(), LAMPORTS)
    registry = RegistryClient()
    svm.add_program(registry.program_id, registry_elf)
    client = TradingClient()
    if mode == "add_program":
        svm.add_program(client.program_id, trading_elf)
    else:
        deploy(svm, payer, trading_elf, trading_keypair())
    env = TradingEnv(
        RegistryEnv(svm, payer, registry, "add_program"), client, base_mint=_seeded(2), quote_mint=_seeded(3)
    )
    env.setup()
    return env


class _Session:
    """One market of zone 7 and the traders the measurements use."""

    def __init__(self, env: TradingEnv) -> None:
        self.env = env
        self.client = env.client
        self.seeds = _Seeds(1_000)
        self.other: dict[str, int] = {}
        self.market = env.create_market(self.params())
        self.zone_of = {self.market: ZONE_ID}
        self.other["create_market"] = env.cu["create_market"][-1]
        header = env.market_state(self.market).header
        self.base_vault, self.quote_vault = header.base_vault, header.quote_vault
        self.created_rent = tuple(self.lamports(a) for a in (self.market, self.base_vault, self.quote_vault))
        self.created_bytes = self.size()
        self.placer = self.trader()
        self.rent_per_seat = self.lamports(self.market) - self.created_rent[0]
        self.seat_bytes = self.size() - self.created_bytes
        self.rent_per_8_slots = self.order_slot_bytes = 0  # measured by the market's first resting order
        self.event_handler_cu = 0  # measured by every cancel
        self.other["claim_seat (grows the market by a seat)"] = env.cu["claim_seat"][-1]
        self.other["deposit"] = env.cu["deposit"][-1]
        self.other[f"withdraw (market of {self.size():,} bytes)"] = self.withdraw()
        self.fillers = {Side.BID: self.trader(), Side.ASK: self.trader()}
        self.price_of: dict[int, tuple[Side, int]] = {}  # order id -> (side, price) of resting orders

    def params(self) -> MarketParams:
        return MarketParams(
            tick_size=TICK_SIZE,
            lot_size_wh=LOT_SIZE_WH,
            fee_recipient=self.env.payer.pubkey(),
            max_orders_per_epoch=MAX_ORDERS_PER_EPOCH,
        )

    def lamports(self, address: Pubkey) -> int:
        return self.env.registry.balance(address)

    def size(self) -> int:
        return len(self.env.registry.data(self.market))

    def wallet(self, zone_id: int = ZONE_ID) -> Keypair:
        wallet = self.seeds()
        self.env.svm.airdrop(wallet.pubkey(), LAMPORTS)
        self.env.registry.register(wallet, UserRole.PROSUMER, zone_id)
        self.env.registry.verify(wallet.pubkey())
        return wallet

    def trader(self, market: Pubkey | None = None, zone_id: int = ZONE_ID) -> Trader:
        return self.env.trader(
            market or self.market, base=BASE_FUNDS, quote=QUOTE_FUNDS, wallet=self.wallet(zone_id)
        )

    def place_ix(
        self,
        trader: Trader,
        side: Side,
        price: int,
        lots: int = LOTS,
        *,
        market: Pubkey | None = None,
        max_matches: int = MAX_MATCHES,
        expires_at: int = 0,
    ) -> Instruction:
        market = market or self.market
        return self.client.place_order(
            trader=trader.pubkey,
            market=market,
            zone_id=self.zone_of[market],
            seat=trader.seat,
            side=side,
            price=price,
            lots=lots,
            max_matches=max_matches,
            expires_at=expires_at,
        )

    def cancel_ix(self, trader: Trader, order_id: int, market: Pubkey | None = None) -> Instruction:
        side, price = self.price_of[order_id]
        return self.client.cancel_order(
            trader=trader.pubkey,
            market=market or self.market,
            seat=trader.seat,
            side=side,
            price=price,
            order_id=order_id,
        )

    def placed(self, sent: KeyedSent) -> OrderPlaced:
        [event] = self.env.events(sent)
        assert isinstance(event, OrderPlaced), event
        if event.rested_lots:
            self.price_of[event.order_id] = (event.side, event.price)
        return event

    def place(self, trader: Trader, side: Side, price: int, expires_at: int = 0) -> tuple[int, int]:
        """Places one order of LOTS alone in its transaction; returns (CU, order id)."""
        sent = self.env.send([self.place_ix(trader, side, price, expires_at=expires_at)], [trader.wallet])
        return sent.program_cu(self.client.program_id), self.placed(sent).order_id

    def cancel(self, trader: Trader, order_id: int) -> int:
        sent = self.env.send([self.cancel_ix(trader, order_id)], [trader.wallet])
        [event] = self.env.events(sent)
        assert isinstance(event, OrderCancelled) and event.order_id == order_id, event
        del self.price_of[order_id]
        self.event_handler_cu = self_cpi_cu(sent, self.client.program_id)
        return sent.program_cu(self.client.program_id)

    def place_many(self, trader: Trader, orders: Sequence[tuple[Side, int]]) -> None:
        """Rests ``orders`` (side, price), several per transaction."""
        for at in range(0, len(orders), ORDERS_PER_TX):
            chunk = orders[at : at + ORDERS_PER_TX]
            if self.free_slots() < len(chunk):
                self.reserve(MAX_FREE_ORDER_SLOTS)
            sent = self.env.send(
                [self.place_ix(trader, side, price) for side, price in chunk], [trader.wallet]
            )
            events = self.env.events(sent)
            assert len(events) == len(chunk)
            for event in events:
                assert isinstance(event, OrderPlaced) and event.rested_lots == LOTS, event
                self.price_of[event.order_id] = (event.side, event.price)

    def reserve(self, order_slots: int) -> None:
        """Grows the market (the payer pays) until ``order_slots`` order slots are free, at most the
        256 a market may keep free (so that the measured placements never grow it)."""
        missing = min(order_slots, MAX_FREE_ORDER_SLOTS) - self.free_slots()
        ixs = [
            self.client.grow_market(
                payer=self.env.payer.pubkey(),
                market=self.market,
                extra_seats=0,
                extra_orders=min(SLOTS_PER_GROW, missing - at),
            )
            for at in range(0, missing, SLOTS_PER_GROW)
        ]
        if ixs:
            self.env.send(ixs)

    def withdraw(self) -> int:
        """CU of a withdrawal of quote (the market PDA signs the vault's transfer)."""
        trader = self.placer
        ix = self.client.withdraw(
            trader=trader.pubkey,
            market=self.market,
            seat=trader.seat,
            vault=self.quote_vault,
            destination=trader.quote_account,
            amount=1_000,
        )
        return self.env.send([ix], [trader.wallet]).program_cu(self.client.program_id)

    def free_slots(self) -> int:
        header = self.env.market_state(self.market).header
        return header.order_capacity - header.bid_count - header.ask_count


def _filler_prices(side: Side, start: int, stop: int) -> list[tuple[Side, int]]:
    """Resting orders ``start .. stop`` of a filler: one per price, each worse than the last."""
    step = -1 if side == Side.BID else 1
    top = BID_TOP if side == Side.BID else ASK_TOP
    return [(side, top + step * i) for i in range(start, stop)]


def _positions(side: Side, depth: int) -> list[tuple[str, int, int]]:
    """(position, price, orders moved) of an order inserted into a side of ``depth`` filler orders.

    The filler's orders sit at one price each from the top down; an order at an existing price goes
    behind it (time priority)."""
    better, worse = (1, -1) if side == Side.BID else (-1, 1)
    top = BID_TOP if side == Side.BID else ASK_TOP
    positions = [("top", top + better, 0)]
    if depth:
        middle = depth // 2
        positions += [
            ("middle", top + worse * middle, depth - middle - 1),
            ("bottom", top + worse * depth, depth),
        ]
    return positions


def _measure_placements(s: _Session, depths: Sequence[int]) -> tuple[int, list[Placement]]:
    # The market's first resting order finds no order slot: it grows the account by 8.
    before, size = s.lamports(s.market), s.size()
    first_cu, first_id = s.place(s.placer, Side.BID, BID_TOP + 1)
    s.rent_per_8_slots = s.lamports(s.market) - before
    s.order_slot_bytes = (s.size() - size) // 8
    s.cancel(s.placer, first_id)
    placements: list[Placement] = []
    rested = 0
    for depth in sorted(depths):
        for side, filler in s.fillers.items():
            s.place_many(filler, _filler_prices(side, rested, depth))
        rested = depth
        s.reserve(1)  # each measured order rests in a free slot (and is cancelled again)
        for side in (Side.BID, Side.ASK):
            for position, price, moved in _positions(side, depth):
                place_cu, order_id = s.place(s.placer, side, price)
                cancel_cu = s.cancel(s.placer, order_id)
                placements.append(Placement(side.name.lower(), depth, position, moved, place_cu, cancel_cu))
    return first_cu, placements


def _measure_sweeps(s: _Session, sizes: Sequence[int]) -> list[Sweep]:
    makers = [s.trader() for _ in range(max(sizes))]
    taker = s.placer
    sweeps: list[Sweep] = []
    for n in sizes:
        for i, maker in enumerate(makers[:n]):
            s.place(maker, Side.ASK, SWEEP_FROM + i)
        ix = s.place_ix(taker, Side.BID, SWEEP_FROM + n - 1, LOTS * n, max_matches=n)
        sent = s.env.send([ix], [taker.wallet])
        event = s.placed(sent)
        fills = [step for step in event.steps if isinstance(step, Fill)]
        assert event.state == OrderState.FILLED and event.filled_lots == LOTS * n, event
        assert len(fills) == len(event.steps) == n, f"{len(fills)} fills of {n} in the event"
        assert [f.maker for f in fills] == [m.pubkey for m in makers[:n]]
        assert [f.price for f in fills] == [SWEEP_FROM + i for i in range(n)]
        for fill in fills:
            del s.price_of[fill.maker_order_id]
        sweeps.append(Sweep(n, sent.program_cu(s.client.program_id), len(fills)))
    return sweeps


def _measure_prunes(s: _Session, sizes: Sequence[int]) -> dict[int, int]:
    """prune_expired of ``k`` expired asks at the top of a book that still holds the fillers' orders (the
    prune looks at every bid, as none of them expired, before it reaches the asks)."""
    cu: dict[int, int] = {}
    for k in sizes:
        now = s.env.registry.now()
        for i in range(k):
            s.place(s.placer, Side.ASK, SWEEP_FROM + i, expires_at=now + EXPIRY_SECS)
        s.env.registry.set_unix_time(now + EXPIRY_SECS)
        sent = s.env.send([s.client.prune_expired(market=s.market, max_orders=k)])
        [event] = s.env.events(sent)
        assert isinstance(event, OrdersExpired) and len(event.orders) == k, event
        for removal in event.orders:
            del s.price_of[removal.order_id]
        cu[k] = sent.program_cu(s.client.program_id)
    return cu


def self_cpi_cu(sent: KeyedSent, program_id: Pubkey) -> int:
    """CU of the program's self-CPI (its event): the 'consumed' line of its inner invocation."""
    invoke = f"Program {program_id} invoke [2]"
    consumed = f"Program {program_id} consumed "
    inside = False
    for line in sent.logs:
        if line == invoke:
            inside = True
        elif inside and line.startswith(consumed):
            return int(line[len(consumed) :].split()[0])
    raise LookupError(f"no self-CPI of {program_id}")


def writable_accounts(instructions: Sequence[Instruction], fee_payer: Pubkey) -> set[Pubkey]:
    """The accounts a transaction of ``instructions`` paid by ``fee_payer`` may write, as the runtime reads
    its compiled message (writable and not invoked as a program)."""
    message = Message.new_with_blockhash(list(instructions), fee_payer, Hash.default())
    keys = resolve_account_keys(message, lambda _table: None)
    assert keys is not None
    return {keys.keys[i] for i in keys.written()}


def _zone_isolation(s: _Session) -> ZoneIsolation:
    """A market of another zone with its own trader: the same orders on both markets write disjoint
    accounts apart from the fee payer, so the runtime may run them in parallel."""
    env = s.env
    quorum = env.registry.quorum()
    env.send(
        [
            env.registry.client.create_zone(
                payer=env.payer.pubkey(),
                zone_id=OTHER_ZONE_ID,
                name="south",
                max_capacity_kw=5_000,
                cosigners=[r.pubkey() for r in quorum],
            )
        ],
        quorum,
    )
    other_market = env.create_market(s.params(), zone_id=OTHER_ZONE_ID)
    s.zone_of[other_market] = OTHER_ZONE_ID
    other_trader = s.trader(other_market, OTHER_ZONE_ID)
    markets = ((s.market, s.placer), (other_market, other_trader))
    fee_payer = env.payer.pubkey()
    names = ("place_order", "cancel_order", "withdraw", "deposit")
    writable: list[set[Pubkey]] = []
    for market, trader in markets:
        vault = env.market_state(market).header.quote_vault
        deposit = s.client.deposit(
            trader=trader.pubkey,
            market=market,
            seat=trader.seat,
            vault=vault,
            source=trader.quote_account,
            amount=1,
        )
        place = s.place_ix(trader, Side.BID, BID_TOP + 1, market=market)
        order_id = s.placed(env.send([place], [trader.wallet])).order_id
        cancel = s.cancel_ix(trader, order_id, market)
        withdraw = s.client.withdraw(
            trader=trader.pubkey,
            market=market,
            seat=trader.seat,
            vault=vault,
            destination=trader.quote_account,
            amount=1,
        )
        for ix in (cancel, withdraw, deposit):  # the traders deposited all they had: withdraw first
            env.send([ix], [trader.wallet])
        del s.price_of[order_id]
        writable.append(
            set().union(*(writable_accounts([ix], fee_payer) for ix in (deposit, place, cancel, withdraw)))
        )
    shared = (writable[0] & writable[1]) - {fee_payer}
    return ZoneIsolation(
        instructions=names,
        fee_payer=str(fee_payer),
        writable=(tuple(sorted(map(str, writable[0]))), tuple(sorted(map(str, writable[1])))),
        shared=tuple(sorted(map(str, shared))),
    )


def measure(
    trading_elf: bytes, registry_elf: bytes, mode: str = "deploy", sizes: Sizes | None = None
) -> TradingBench:
    """Runs every measurement (see the module docs) on a fresh VM."""
    sizes = sizes or Sizes()
    if max(sizes.sweeps) > MAX_MATCHES or max(sizes.prunes) > MAX_MATCHES or 1 not in sizes.sweeps:
        raise ValueError(f"sweeps must include 1; sweeps and prunes are at most {MAX_MATCHES}")
    s = _Session(new_env(trading_elf, registry_elf, mode))
    first, placements = _measure_placements(s, sizes.depths)
    sweeps = _measure_sweeps(s, sizes.sweeps)
    s.other[f"withdraw (market of {s.size():,} bytes)"] = s.withdraw()
    zones = _zone_isolation(s)
    prunes = _measure_prunes(s, sizes.prunes)  # last: it moves the clock on
    market, base_vault, quote_vault = s.created_rent
    rent = Rent(
        market,
        base_vault,
        quote_vault,
        s.rent_per_seat,
        s.rent_per_8_slots,
        s.created_bytes,
        s.seat_bytes,
        s.order_slot_bytes,
    )
    return TradingBench(first, placements, sweeps, rent, zones, s.event_handler_cu, prunes, s.other)


def main(argv: list[str]) -> int:
    so = Path(argv[1]) if len(argv) > 1 else REPO / "target" / "deploy" / "trading.so"
    registry_so = Path(argv[2]) if len(argv) > 2 else REPO / "target" / "deploy" / "registry.so"
    elf = so.read_bytes()
    result = measure(elf, registry_so.read_bytes())
    print(json.dumps({"so_bytes": len(elf), **result.to_json()}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

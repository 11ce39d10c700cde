"""SolGrid's order book (``programs/trading``) driven through :mod:`peers.drivers.workload`'s workload.

:func:`measure` deploys the trading program through BPFLoaderUpgradeable at its IDL address, beside the
registry it trusts (added at its IDL address: it is not measured), and sets both up as the program
tests do (``tests/programs/trading_harness.py``): the registry's config, three regulators of threshold
2, zone 7, and a verified prosumer per trader; trading's Config; a base mint standing in for GRID and a
6-decimal quote mint. Every instruction comes from the SDK's builders (``solgrid.sdk.trading``).

How the workload's steps map onto SolGrid:

1. ``create_market`` of zone 7, continuous, the default fees (taker 25 bps, maker 0), 0.001 quote per
   kWh ticks and 1 Wh lots. ``rent_lamports`` is the rent-exempt minimum of every account the
   transaction created (it had no lamports before, it has some after): the market PDA, created with no
   seat and no order slot, and the two vault token accounts. Not counted: trading's Config (one per
   program, not per market); the seats and order slots the market grows by later (paid by the trader
   that claims a seat, and by the order that finds no free slot: see the notes).
2. A maker and a taker, each a verified prosumer of zone 7, claim a seat and deposit both tokens.
3. The maker fills the book with ``BOOK_DEPTH`` asks of one lot each, at ``FIRST_ASK``, ``FIRST_ASK`` + 1,
   ... ticks, one per transaction.
4. The taker's limit bid for ``n`` lots at the ``n``-th ask's price crosses the ``n`` best asks, for
   ``n`` = 1, 2, 4, ... up to the match limit, then the match limit itself; each fill is checked in the
   transaction's ``OrderPlaced`` event. The maker then places the ``n`` asks taken again (not measured),
   so the book is ``BOOK_DEPTH`` deep again.
5. With the ``BOOK_DEPTH`` asks resting, the maker places one more at the deepest price, then cancels it.
6. The binding limit of fills per transaction is whichever of the three is smallest: the book's own
   (``MAX_MATCHES`` steps per order, checked on the same book: an order asking for one more is refused
   and one crossing one more ask than the limit stops at the limit), the 1.4M compute units
   (extrapolated from the measured marginal cost) or the 1,232-byte transaction (a taker's transaction
   does not grow with its fills: every seat lives in the market account).

The base mint has 9 decimals, not the workload's 6: ``initialize`` refuses any base mint but a
9-decimal one (GRID: 1 Wh = 10^6 atoms). A lot of 1 Wh is 10^6 base atoms; prices are quote atoms per
lot, so the difference changes no instruction's work. Numbers are deterministic (fixed seeds, pinned
clock).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "programs"))  # the program tests' LiteSVM harness

from registry_harness import LAMPORTS, ZONE_ID, RegistryEnv  # noqa: E402
from solders.compute_budget import set_compute_unit_limit  # noqa: E402
from solders.instruction import Instruction  # noqa: E402
from solders.keypair import Keypair  # noqa: E402
from solders.message import Message  # noqa: E402
from solders.pubkey import Pubkey  # noqa: E402
from solders.transaction import VersionedTransaction  # noqa: E402
from solders.transaction_metadata import FailedTransactionMetadata  # noqa: E402
from solders.transaction_status import (  # noqa: E402
    InstructionErrorCustom,
    TransactionErrorInstructionError,
)
from trading_harness import (  # noqa: E402
    ERRORS,
    LOT_SIZE_WH,
    TICK_SIZE,
    KeyedSent,
    Trader,
    TradingEnv,
    trading_keypair,
)

from peers.drivers.workload import (  # noqa: E402
    BOOK_DEPTH,
    COMPUTE_BUDGET_IX_CU,
    MAX_TRANSACTION_BYTES,
    MAX_TRANSACTION_CU,
    BookMeasurements,
)
from solgrid.localnet.svm import (  # noqa: E402
    TransactionFailed,
    deploy,
    features_blocking_deploy,
    new_svm,
)
from solgrid.sdk.registry import RegistryClient, UserRole  # noqa: E402
from solgrid.sdk.trading import Fill, MarketParams, OrderPlaced, TradingClient  # noqa: E402
from solgrid.sdk.trading.events import OrderCancelled  # noqa: E402
from solgrid.sdk.trading.units import MAX_MATCHES, OrderState, Side  # noqa: E402

BOOK = "SolGrid"
MAX_ORDERS_PER_EPOCH = 10_000
"""Raised from the default 100 orders per trader per epoch: the maker places a few hundred."""
FIRST_ASK = 1_000  # ticks: the maker's asks go up from here
BASE_FUNDS = 10**12  # atoms: 1,000 GRID, 10^6 lots
QUOTE_FUNDS = 10**12
DEFAULT_REGISTRY_SO = REPO / "target" / "deploy" / "registry.so"
MATCH_LIMIT = f"the book's own limit: MAX_MATCHES = {MAX_MATCHES} fills and removals per order"


def fill_counts(limit: int = MAX_MATCHES) -> list[int]:
    """1, 2, 4, ... while at most ``limit``, then ``limit`` itself."""
    counts = [1]
    while counts[-1] * 2 <= limit:
        counts.append(counts[-1] * 2)
    return counts if counts[-1] == limit else [*counts, limit]


def _seeded(n: int) -> Keypair:
    return Keypair.from_seed(n.to_bytes(32, "little"))


@dataclass(frozen=True)
class _Measured:
    sent: KeyedSent
    cu: int
    """The transaction's consumed compute units less its one ComputeBudget instruction."""
    tx_bytes: int


class _Book:
    """One SolGrid market, its maker and taker, and the transactions of the workload."""

    def __init__(self, trading_elf: bytes, registry_elf: bytes) -> None:
        svm = new_svm(deactivate=features_blocking_deploy(registry_elf, trading_elf))
        payer = _seeded(1)
        svm.airdrop(payer.pubkey(), LAMPORTS)
        registry = RegistryClient()
        svm.add_program(registry.program_id, registry_elf)
        self.client = TradingClient()
        deploy(svm, payer, trading_elf, trading_keypair())
        self.env = TradingEnv(
            RegistryEnv(svm, payer, registry, "add_program"),
            self.client,
            base_mint=_seeded(2),
            quote_mint=_seeded(3),
            mode="deploy",
        )
        self.env.setup()
        self.next_seed = 100
        self.notes: list[str] = []
        self.grown: list[int] = []
        """CU of the placements that grew the market (no free order slot)."""

    # -- plumbing ------------------------------------------------------------------------------------

    def balance(self, address: Pubkey) -> int:
        return self.env.registry.balance(address)

    def transact(self, instructions: list[Instruction], signers: list[Keypair]) -> _Measured:
        """Sends ``instructions`` after one ComputeBudget instruction (the 1.4M limit), paid by the
        harness payer; returns the transaction, its instructions' compute units and its size."""
        svm = self.env.svm
        payer = self.env.payer
        ixs = [set_compute_unit_limit(MAX_TRANSACTION_CU), *instructions]
        message = Message.new_with_blockhash(ixs, payer.pubkey(), svm.latest_blockhash())
        unique = {bytes(k.pubkey()): k for k in [payer, *signers]}
        tx = VersionedTransaction(message, list(unique.values()))
        result = svm.send_transaction(tx)
        svm.expire_blockhash()
        if isinstance(result, FailedTransactionMetadata):
            raise TransactionFailed(result)
        sent = KeyedSent(result, list(message.account_keys))
        cu = result.compute_units_consumed() - COMPUTE_BUDGET_IX_CU
        if len(instructions) == 1 and instructions[0].program_id == self.client.program_id:
            own = sent.program_cu(self.client.program_id)
            if own != cu:
                raise RuntimeError(f"consumed less the ComputeBudget instruction is {cu}, the log says {own}")
        return _Measured(sent, cu, len(bytes(tx)))

    def refused(self, instruction: Instruction, signers: list[Keypair]) -> str:
        """The name of the trading error that ``instruction`` must fail with."""
        try:
            self.transact([instruction], signers)
        except TransactionFailed as failed:
            err = failed.err
            if isinstance(err, TransactionErrorInstructionError) and isinstance(
                err.err, InstructionErrorCustom
            ):
                [name] = [name for name, code in ERRORS.items() if code == err.err.code]
                return name
            raise
        raise AssertionError("the transaction should have failed")

    # -- the workload's steps ------------------------------------------------------------------------

    def create_market(self) -> int:
        """Creates the market; returns the lamports of the accounts it created (and notes which)."""
        params = MarketParams(
            tick_size=TICK_SIZE,
            lot_size_wh=LOT_SIZE_WH,
            fee_recipient=self.env.payer.pubkey(),
            max_orders_per_epoch=MAX_ORDERS_PER_EPOCH,
        )
        ix = self.env.create_market_ix(params)
        before = {meta.pubkey: self.balance(meta.pubkey) for meta in ix.accounts}
        self.env.send([ix], self.env.registry.quorum())
        self.market = self.client.market_pda(ZONE_ID, self.env.quote_mint.pubkey()).address
        created = {k: self.balance(k) for k, was in before.items() if was == 0 and self.balance(k) > 0}
        header = self.env.market_state(self.market).header
        names = {self.market: "market", header.base_vault: "base vault", header.quote_vault: "quote vault"}
        if set(created) != set(names):
            raise AssertionError(f"create_market created {sorted(map(str, created))}, not {names}")
        parts = ", ".join(
            f"{names[k]} ({len(self.env.registry.data(k)):,} bytes) {lamports:,}"
            for k, lamports in created.items()
        )
        self.notes.append(
            f"Rent counts the accounts create_market creates: {parts} lamports. The market is created with "
            "no seat and no order slot and grows with use, paid by whoever needs the room (not counted)."
        )
        return sum(created.values())

    def trader(self) -> Trader:
        wallet = _seeded(self.next_seed)
        self.next_seed += 1
        self.env.svm.airdrop(wallet.pubkey(), LAMPORTS)
        self.env.registry.register(wallet, UserRole.PROSUMER, ZONE_ID)
        self.env.registry.verify(wallet.pubkey())
        size = len(self.env.registry.data(self.market))
        rent = self.balance(self.market)
        trader = self.env.trader(self.market, base=BASE_FUNDS, quote=QUOTE_FUNDS, wallet=wallet)
        self.seat_bytes = len(self.env.registry.data(self.market)) - size
        self.seat_rent = self.balance(self.market) - rent
        return trader

    def place_ix(self, trader: Trader, side: Side, price: int, lots: int, max_matches: int) -> Instruction:
        return self.client.place_order(
            trader=trader.pubkey,
            market=self.market,
            zone_id=ZONE_ID,
            seat=trader.seat,
            side=side,
            price=price,
            lots=lots,
            max_matches=max_matches,
        )

    def placed(self, sent: KeyedSent) -> OrderPlaced:
        [event] = self.env.events(sent)
        if not isinstance(event, OrderPlaced):
            raise AssertionError(f"expected OrderPlaced, got {event}")
        return event

    def rest_asks(
        self, maker: Trader, levels: range, record: bool = True
    ) -> tuple[list[_Measured], list[int]]:
        """Asks of one lot at ``FIRST_ASK + level`` for each of ``levels``; their transactions and order ids.
        With ``record``, the placements that grew the market are counted in :attr:`grown`."""
        sent: list[_Measured] = []
        ids: list[int] = []
        for level in levels:
            capacity = self.env.market_state(self.market).header.order_capacity
            m = self.transact(
                [self.place_ix(maker, Side.ASK, FIRST_ASK + level, 1, MAX_MATCHES)], [maker.wallet]
            )
            event = self.placed(m.sent)
            if event.rested_lots != 1 or event.filled_lots:
                raise AssertionError(f"the ask at level {level} did not rest whole: {event}")
            if record and self.env.market_state(self.market).header.order_capacity != capacity:
                self.grown.append(m.cu)
            sent.append(m)
            ids.append(event.order_id)
        return sent, ids

    def cancel(self, maker: Trader, order_id: int) -> _Measured:
        """The maker cancels its resting ask ``order_id``; checks the event."""
        [rest] = [o for o in self.env.market_state(self.market).asks if o.order_id == order_id]
        ix = self.client.cancel_order(
            trader=maker.pubkey,
            market=self.market,
            seat=maker.seat,
            side=rest.side,
            price=rest.price,
            order_id=rest.order_id,
        )
        m = self.transact([ix], [maker.wallet])
        [event] = self.env.events(m.sent)
        if not isinstance(event, OrderCancelled) or event.order_id != order_id:
            raise AssertionError(f"expected the cancel of {order_id}: {event}")
        if self.resting_asks() != BOOK_DEPTH:
            raise AssertionError(f"{self.resting_asks()} asks rest after the cancel, not {BOOK_DEPTH}")
        return m

    def resting_asks(self) -> int:
        return len(self.env.market_state(self.market).asks)

    def take(self, taker: Trader, makers_order_ids: list[int], lots: int, max_matches: int) -> _Measured:
        """A limit bid for ``lots`` at the price of the last of ``makers_order_ids``' asks; checks that it
        fills exactly the first ``max_matches`` of them, one lot each, in price order."""
        n = len(makers_order_ids)
        m = self.transact(
            [self.place_ix(taker, Side.BID, FIRST_ASK + n - 1, lots, max_matches)], [taker.wallet]
        )
        event = self.placed(m.sent)
        fills = [step for step in event.steps if isinstance(step, Fill)]
        want = min(n, max_matches, lots)
        if [f.maker_order_id for f in fills] != makers_order_ids[:want] or len(event.steps) != want:
            raise AssertionError(f"{len(fills)} fills of the {want} asks wanted: {event}")
        if event.filled_lots != want or event.rested_lots:
            raise AssertionError(f"the taker filled {event.filled_lots} of {want} lots: {event}")
        if want == lots and event.state != OrderState.FILLED:
            raise AssertionError(f"a whole fill should be FILLED: {event}")
        return m


def measure(elf: bytes, registry_elf: bytes | None = None) -> BookMeasurements:
    """The workload on SolGrid's trading program ``elf`` (and the registry, default
    ``target/deploy/registry.so``)."""
    book = _Book(elf, registry_elf if registry_elf is not None else DEFAULT_REGISTRY_SO.read_bytes())
    rent = book.create_market()
    maker, taker = book.trader(), book.trader()
    if BOOK_DEPTH <= MAX_MATCHES:
        raise AssertionError(f"the match-limit probe needs more than {MAX_MATCHES} asks on the book")

    # 3. The book: BOOK_DEPTH asks, the i-th placed on i resting ones.
    asks, ids = book.rest_asks(maker, range(BOOK_DEPTH))
    placements = [m.cu for m in asks]
    tx_bytes = {"place": asks[0].tx_bytes}

    # 4. Takers crossing the n best asks of the full book, which is then refilled at the same prices.
    take_cu: dict[int, int] = {}
    for n in fill_counts(min(MAX_MATCHES, BOOK_DEPTH)):
        if book.resting_asks() != BOOK_DEPTH:
            raise AssertionError(f"{book.resting_asks()} asks rest before the take of {n}, not {BOOK_DEPTH}")
        m = book.take(taker, ids[:n], n, MAX_MATCHES)
        take_cu[n] = m.cu
        if n == 1:
            tx_bytes["take"] = m.tx_bytes
        elif m.tx_bytes != tx_bytes["take"]:
            raise AssertionError(f"a take of {n} fills is {m.tx_bytes} bytes, of one {tx_bytes['take']}")
        ids[:n] = book.rest_asks(maker, range(n), record=False)[1]

    # 5. One more ask at the deepest price on the BOOK_DEPTH-deep book, then its cancel.
    if book.resting_asks() != BOOK_DEPTH:
        raise AssertionError(f"{book.resting_asks()} asks rest before the placement, not {BOOK_DEPTH}")
    grown_before = len(book.grown)
    capacity = book.env.market_state(book.market).header.order_capacity
    [deep], [deep_id] = book.rest_asks(maker, range(BOOK_DEPTH, BOOK_DEPTH + 1))
    deep_grew = len(book.grown) > grown_before
    cancel = book.cancel(maker, deep_id)
    tx_bytes["cancel"] = cancel.tx_bytes
    slots = book.env.market_state(book.market).header.order_capacity
    if deep_grew:
        # The same placement again, now that the cancel left a free slot (a note, beside the number).
        [again], [again_id] = book.rest_asks(maker, range(BOOK_DEPTH, BOOK_DEPTH + 1), record=False)
        cancel_again = book.cancel(maker, again_id)
        book.notes.append(
            f"The ask placed on the {BOOK_DEPTH}-ask book found no free order slot (the market held "
            f"{capacity} slots): it grew the market by 8 ({deep.cu:,} CU). Placed again once its cancel "
            f"had freed the slot: {again.cu:,} CU, and its cancel {cancel_again.cu:,} CU."
        )

    # 6. The match limit, on the same book: a bid crossing one more ask than it fills exactly MAX_MATCHES
    # (the rest is cancelled, lest the book stay crossed), and an order may not ask for more.
    over = book.take(taker, ids[: MAX_MATCHES + 1], MAX_MATCHES + 1, MAX_MATCHES)
    error = book.refused(
        book.place_ix(taker, Side.BID, FIRST_ASK + MAX_MATCHES, 1, MAX_MATCHES + 1), [taker.wallet]
    )
    if error != "InvalidMatchLimit":
        raise AssertionError(f"max_matches = {MAX_MATCHES + 1} failed with {error}, not InvalidMatchLimit")
    book.notes.append(
        f"A bid crossing {MAX_MATCHES + 1} asks fills {MAX_MATCHES} ({over.cu:,} CU) and cancels the rest; "
        f"max_matches = {MAX_MATCHES + 1} is refused ({error})."
    )
    marginal = (take_cu[MAX_MATCHES] - take_cu[1]) / (MAX_MATCHES - 1)
    by_cu = 1 + int((MAX_TRANSACTION_CU - take_cu[1]) // marginal)
    if by_cu <= MAX_MATCHES or tx_bytes["take"] > MAX_TRANSACTION_BYTES:
        raise AssertionError(f"the match limit should bind first: {by_cu:,} fills fit 1.4M CU")
    limit = (
        f"{MATCH_LIMIT} (1.4M CU would fit about {by_cu:,}; the take transaction is "
        f"{tx_bytes['take']:,} bytes whatever its fills; the book held {BOOK_DEPTH:,} asks)"
    )

    measured = len(placements) + 1
    book.notes += [
        f"Each trader's seat grows the market by {book.seat_bytes} bytes ({book.seat_rent:,} lamports, paid "
        "by the trader); an order that finds no free order slot grows it by 8 slots (its trader pays): "
        f"{len(book.grown)} of the {measured} measured placements did ({min(book.grown):,} to "
        f"{max(book.grown):,} CU), the first among them; the market ended with {slots} slots.",
        "Every instruction emits its event by a self-CPI (1,000 CU of invocation, in every number).",
        "Base mint of 9 decimals (GRID's: the program refuses others); lots of 1 Wh (10^6 atoms); "
        f"max_orders_per_epoch raised to {MAX_ORDERS_PER_EPOCH:,} for the maker's placements.",
    ]
    return BookMeasurements(
        book=BOOK,
        rent_lamports=rent,
        place_resting_cu=placements,
        place_at_depth_cu=deep.cu,
        take_cu=take_cu,
        max_fills=MAX_MATCHES,
        max_fills_limit=limit,
        cancel_cu=cancel.cu,
        depth=BOOK_DEPTH,
        tx_bytes=tx_bytes,
        notes=book.notes,
    )

"""Phoenix (``phoenix-v1`` 0.2.4) driven in LiteSVM: deploy, a market with its authority, seats, funds,
orders; and ``measure``, the side-by-side workload of ``workload.py`` on Phoenix.

Phoenix's instructions are in ``phoenix_instructions``. A Phoenix market has an authority (its creator)
that must approve each trader's seat before the trader can deposit or place orders, and that must
move the market from PostOnly (where every market starts) to Active before orders may cross.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace

from solders.account import Account
from solders.compute_budget import set_compute_unit_limit
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.message import Message
from solders.pubkey import Pubkey
from solders.system_program import CreateAccountParams, create_account
from solders.transaction import VersionedTransaction
from solders.transaction_metadata import FailedTransactionMetadata, TransactionMetadata
from spl.token.instructions import get_associated_token_address

from peers.drivers.phoenix_instructions import (
    MARKET_SIZES,
    PHOENIX_ID,
    TOKEN_ACCOUNT_LEN,
    MarketKeys,
    MarketParams,
    MarketStatus,
    OrderId,
    SeatStatus,
    Side,
    cancel_orders_by_id_with_free_funds,
    change_market_status,
    change_seat_status,
    decode_order_ids,
    deposit_funds,
    immediate_or_cancel,
    initialize_market,
    market_account_len,
    place_asks_with_free_funds,
    place_limit_order_with_free_funds,
    post_only,
    request_seat,
    swap,
    swap_with_free_funds,
)
from peers.drivers.workload import (
    BOOK_DEPTH,
    COMPUTE_BUDGET_IX_CU,
    MAX_TRANSACTION_BYTES,
    MAX_TRANSACTION_CU,
    BookMeasurements,
)
from solgrid.localnet.engine import Engine
from solgrid.localnet.svm import WRITE_CHUNK, TransactionFailed, features_blocking_deploy, new_svm
from solgrid.sdk import loader
from solgrid.sdk.mints import MINT_LEN, create_mint_instructions, mint_to_owner_instructions

BOOK = "Phoenix 0.2.4"
DECIMALS = 6
#: Ask prices of the workload: the i-th ask at ``FIRST_ASK_TICKS + i`` ticks.
FIRST_ASK_TICKS = 1_000


@dataclass(frozen=True)
class Sent:
    """A processed transaction: its metadata and serialized size."""

    meta: TransactionMetadata
    tx_bytes: int

    @property
    def cu(self) -> int:
        """The instructions' compute units: the transaction's less its ComputeBudget instruction."""
        return int(self.meta.compute_units_consumed()) - COMPUTE_BUDGET_IX_CU

    @property
    def logs(self) -> list[str]:
        return list(self.meta.logs())


def _transaction(
    svm: Engine, payer: Keypair, ixs: Sequence[Instruction], signers: Sequence[Keypair]
) -> VersionedTransaction:
    msg = Message.new_with_blockhash(
        [set_compute_unit_limit(MAX_TRANSACTION_CU), *ixs], payer.pubkey(), svm.latest_blockhash()
    )
    unique = {bytes(k.pubkey()): k for k in [payer, *signers]}
    return VersionedTransaction(msg, list(unique.values()))


def send(svm: Engine, payer: Keypair, ixs: Sequence[Instruction], signers: Sequence[Keypair] = ()) -> Sent:
    """Send ``ixs`` after a ComputeBudget instruction (1.4M units); raise TransactionFailed on failure."""
    tx = _transaction(svm, payer, ixs, signers)
    result = svm.send_transaction(tx)
    svm.expire_blockhash()
    if isinstance(result, FailedTransactionMetadata):
        raise TransactionFailed(result)
    return Sent(result, len(bytes(tx)))


def fits(svm: Engine, payer: Keypair, ixs: Sequence[Instruction], signers: Sequence[Keypair] = ()) -> bool:
    """Whether ``ixs`` would succeed in one transaction (simulated: nothing changes)."""
    tx = _transaction(svm, payer, ixs, signers)
    return len(bytes(tx)) <= MAX_TRANSACTION_BYTES and svm.simulate(tx).err is None


def deploy_phoenix(svm: Engine, payer: Keypair, elf: bytes) -> None:
    """Deploy ``elf`` through BPFLoaderUpgradeable at ``PHOENIX_ID``.

    Phoenix's addresses (log authority, seats, vaults) derive from its declared id, so it must run
    there, and only Ellipsis Labs holds that key. The program account is therefore installed as the
    System Program's ``create_account`` signed by that key would leave it (uninitialised, owned by the
    loader, rent-exempt); the buffer, its writes and ``DeployWithMaxDataLen`` (which does not need the
    program's signature) go through the loader as for any program.
    """
    rent = svm.minimum_balance_for_rent_exemption(loader.PROGRAM_ACCOUNT_LEN)
    uninitialised = Account(
        lamports=rent,
        data=bytes(loader.PROGRAM_ACCOUNT_LEN),
        owner=loader.LOADER_V3,
        executable=False,
        rent_epoch=0,
    )
    svm.set_account(PHOENIX_ID, uninitialised)
    buffer = Keypair()
    buffer_rent = svm.minimum_balance_for_rent_exemption(loader.BUFFER_HEADER_LEN + len(elf))
    create = loader.create_buffer(payer.pubkey(), buffer.pubkey(), buffer_rent, len(elf))
    send(svm, payer, [create, loader.initialize_buffer(buffer.pubkey(), payer.pubkey())], [buffer])
    for offset in range(0, len(elf), WRITE_CHUNK):
        chunk = elf[offset : offset + WRITE_CHUNK]
        send(svm, payer, [loader.write(buffer.pubkey(), payer.pubkey(), offset, chunk)])
    deploy = loader.deploy_with_max_data_len(
        payer.pubkey(), PHOENIX_ID, buffer.pubkey(), payer.pubkey(), len(elf)
    )
    send(svm, payer, [deploy])


def new_chain(elf: bytes) -> tuple[Engine, Keypair]:
    """An engine with Phoenix deployed at its id, and a funded fee payer."""
    svm = new_svm(deactivate=features_blocking_deploy(elf))
    payer = Keypair()
    svm.airdrop(payer.pubkey(), 10**12)
    deploy_phoenix(svm, payer, elf)
    return svm, payer


@dataclass(frozen=True)
class Market:
    """A Phoenix market and its authority (its creator, who approves seats)."""

    keys: MarketKeys
    authority: Keypair
    params: MarketParams
    mint_authority: Keypair

    @property
    def base_lot_atoms(self) -> int:
        return int(10**DECIMALS) // self.params.base_lots_per_base_unit

    @property
    def quote_lot_atoms(self) -> int:
        return int(10**DECIMALS) // self.params.quote_lots_per_quote_unit

    def quote_atoms(self, price_in_ticks: int, base_lots: int) -> int:
        """What ``base_lots`` cost at ``price_in_ticks``, in quote atoms."""
        quote_lots = (
            price_in_ticks
            * self.params.tick_size_in_quote_lots_per_base_unit
            * base_lots
            // self.params.base_lots_per_base_unit
        )
        return quote_lots * self.quote_lot_atoms


@dataclass(frozen=True)
class Trader:
    keypair: Keypair
    base_account: Pubkey
    quote_account: Pubkey

    @property
    def pubkey(self) -> Pubkey:
        return self.keypair.pubkey()


def create_market(
    svm: Engine, payer: Keypair, params: MarketParams | None = None, *, seed: str | None = None
) -> tuple[Market, Sent]:
    """Two 6-decimal mints, the market account (allocated, owned by Phoenix) and ``InitializeMarket``
    by a new authority, who then makes the market Active. Returns the market and the initialize
    transaction."""
    params = params or MarketParams()
    made = [Keypair() if seed is None else seeded(f"{seed}/{role}") for role in ROLES]
    mint_authority, authority, base, quote, market = made
    svm.airdrop(authority.pubkey(), 10**11)
    mint_rent = svm.minimum_balance_for_rent_exemption(MINT_LEN)
    for mint in (base, quote):
        ixs = create_mint_instructions(payer.pubkey(), mint, DECIMALS, mint_authority.pubkey(), mint_rent)
        send(svm, payer, ixs, [mint])
    keys = MarketKeys(market.pubkey(), base.pubkey(), quote.pubkey())
    space = market_account_len(params.bids, params.asks, params.seats)
    allocate = create_account(
        CreateAccountParams(
            from_pubkey=authority.pubkey(),
            to_pubkey=market.pubkey(),
            lamports=svm.minimum_balance_for_rent_exemption(space),
            space=space,
            owner=PHOENIX_ID,
        )
    )
    initialized = send(
        svm, authority, [allocate, initialize_market(keys, authority.pubkey(), params)], [market]
    )
    send(svm, authority, [change_market_status(keys, authority.pubkey(), MarketStatus.ACTIVE)])
    return Market(keys, authority, params, mint_authority), initialized


def new_trader(
    svm: Engine,
    payer: Keypair,
    market: Market,
    base_atoms: int,
    quote_atoms: int,
    owner: Keypair | None = None,
) -> Trader:
    """A funded wallet with associated token accounts holding ``base_atoms`` and ``quote_atoms``."""
    owner = owner or Keypair()
    svm.airdrop(owner.pubkey(), 10**10)
    keys = market.keys
    for mint, amount in ((keys.base_mint, base_atoms), (keys.quote_mint, quote_atoms)):
        ixs = mint_to_owner_instructions(
            payer.pubkey(), mint, owner.pubkey(), market.mint_authority.pubkey(), amount
        )
        send(svm, payer, ixs, [market.mint_authority] if amount else [])
    base = get_associated_token_address(owner.pubkey(), keys.base_mint)
    quote = get_associated_token_address(owner.pubkey(), keys.quote_mint)
    return Trader(owner, base, quote)


def seat_trader(svm: Engine, market: Market, trader: Trader) -> None:
    """The trader requests a seat and the market authority approves it."""
    send(svm, trader.keypair, [request_seat(market.keys, trader.pubkey)])
    approve = change_seat_status(market.keys, market.authority.pubkey(), trader.pubkey, SeatStatus.APPROVED)
    send(svm, market.authority, [approve])


def deposit(svm: Engine, market: Market, trader: Trader, quote_lots: int, base_lots: int) -> Sent:
    ix = deposit_funds(
        market.keys, trader.pubkey, trader.base_account, trader.quote_account, quote_lots, base_lots
    )
    return send(svm, trader.keypair, [ix])


def place_ask(
    svm: Engine, payer: Keypair, market: Market, maker: Trader, price_in_ticks: int, base_lots: int = 1
) -> tuple[OrderId, Sent]:
    """A post-only ask from the maker's deposited funds; returns the resting order's id."""
    packet = post_only(Side.ASK, price_in_ticks, base_lots, deposited=True)
    sent = send(
        svm, payer, [place_limit_order_with_free_funds(market.keys, maker.pubkey, packet)], [maker.keypair]
    )
    return _only_order(sent), sent


def _only_order(sent: Sent) -> OrderId:
    """The id of the one order an instruction placed: its return data, as the runtime logs it."""
    prefix = f"Program return: {PHOENIX_ID} "
    returned = [line[len(prefix) :] for line in sent.logs if line.startswith(prefix)]
    if not returned:
        raise ValueError("no order id returned: the order did not rest")
    [order] = decode_order_ids(base64.b64decode(returned[-1]))
    return order


def take_asks(
    market: Market, taker: Trader, limit_ticks: int, base_lots: int, *, deposited: bool
) -> Instruction:
    """A buy IOC order up to ``limit_ticks`` for ``base_lots`` (all of them or fail): from the taker's
    deposited funds (``SwapWithFreeFunds``) or its token accounts (``Swap``)."""
    packet = immediate_or_cancel(
        Side.BID, limit_ticks, base_lots, min_base_lots_to_fill=base_lots, deposited=deposited
    )
    if deposited:
        return swap_with_free_funds(market.keys, taker.pubkey, packet)
    return swap(market.keys, taker.pubkey, taker.base_account, taker.quote_account, packet)


# -- the side-by-side workload -----------------------------------------------------------------------


def _rent(svm: Engine, params: MarketParams) -> int:
    market = market_account_len(params.bids, params.asks, params.seats)
    return svm.minimum_balance_for_rent_exemption(market) + 2 * svm.minimum_balance_for_rent_exemption(
        TOKEN_ACCOUNT_LEN
    )


#: Asks per transaction when filling a book that is not measured (refills, the probe's books).
ASKS_PER_SETUP_TX = 20


#: The keypairs ``create_market`` makes: the mints' authority, the market's, the mints, the market.
ROLES = ("mint-authority", "authority", "base-mint", "quote-mint", "market")


def seeded(label: str) -> Keypair:
    """A keypair derived from ``label``: the workload's accounts are the same in every run."""
    return Keypair.from_seed(hashlib.sha256(label.encode()).digest())


def first_bump_trader(market: Pubkey, role: str) -> Keypair:
    """The first seeded keypair for ``role`` whose seat in ``market`` has bump 255.

    Phoenix re-derives a trader's seat address (``find_program_address``) in every order it places or
    takes from deposited funds, at 1,500 CU per bump tried, so that cost depends on the trader's key;
    the workload's traders are the ones for which the first bump is the seat's, Phoenix's best case.
    """
    for attempt in range(1_000):
        keypair = seeded(f"{market}/{role}/{attempt}")
        seeds = [b"seat", bytes(market), bytes(keypair.pubkey())]
        if Pubkey.find_program_address(seeds, PHOENIX_ID)[1] == 255:
            return keypair
    raise RuntimeError(f"no {role} keypair among 1,000 has a seat with bump 255")


def _seated_pair(svm: Engine, payer: Keypair, market: Market, asks: int) -> tuple[Trader, Trader]:
    """A maker with ``asks`` base lots deposited and a taker with enough quote to buy them all at up to
    ``FIRST_ASK_TICKS + asks`` ticks deposited, and as much again in its token account."""
    maker_key, taker_key = (first_bump_trader(market.keys.market, role) for role in ("maker", "taker"))
    maker = new_trader(svm, payer, market, asks * market.base_lot_atoms, 0, maker_key)
    quote = market.quote_atoms(FIRST_ASK_TICKS + asks, asks)
    taker = new_trader(svm, payer, market, 0, 2 * quote, taker_key)
    for trader, quote_lots, base_lots in ((maker, 0, asks), (taker, quote // market.quote_lot_atoms, 0)):
        seat_trader(svm, market, trader)
        deposit(svm, market, trader, quote_lots, base_lots)
    return maker, taker


def _rest_many(svm: Engine, payer: Keypair, market: Market, maker: Trader, levels: range) -> None:
    """Asks of one lot at ``FIRST_ASK_TICKS + level`` for each of ``levels``, in batches (not measured)."""
    for start in range(levels.start, levels.stop, ASKS_PER_SETUP_TX):
        batch = [
            (FIRST_ASK_TICKS + level, 1)
            for level in range(start, min(levels.stop, start + ASKS_PER_SETUP_TX))
        ]
        send(svm, payer, [place_asks_with_free_funds(market.keys, maker.pubkey, batch)], [maker.keypair])


def measure(elf: bytes) -> BookMeasurements:
    """``workload.py``'s workload on Phoenix built as ``elf`` (``NOTES`` says how it was driven)."""
    svm, payer = new_chain(elf)
    params = MarketParams()
    if params.asks < BOOK_DEPTH + 1:
        raise RuntimeError(f"the workload's {BOOK_DEPTH} + 1 asks do not fit a {params.asks}-ask market")
    market, _ = create_market(svm, payer, params, seed="workload")
    # The maker's base lots: the book, the refills (2 * BOOK_DEPTH - 1 in all, for n = 1, 2, ...,
    # BOOK_DEPTH), the Swap's and the deepest ask; the taker's quote buys as many.
    maker, taker = _seated_pair(svm, payer, market, 4 * BOOK_DEPTH)

    # 3. the book: BOOK_DEPTH asks, one per level and transaction.
    place_cu: list[int] = []
    bytes_of: dict[str, int] = {}
    for level in range(BOOK_DEPTH):
        _, sent = place_ask(svm, payer, market, maker, FIRST_ASK_TICKS + level)
        place_cu.append(sent.cu)
        bytes_of.setdefault("place", sent.tx_bytes)

    # 4. takers crossing the n best asks (all n lots or the order fails), the book refilled after each.
    take_cu: dict[int, int] = {}
    n = 1
    while n <= BOOK_DEPTH:
        ix = take_asks(market, taker, FIRST_ASK_TICKS + n - 1, n, deposited=True)
        if not fits(svm, payer, [ix], [taker.keypair]):
            break
        sent = send(svm, payer, [ix], [taker.keypair])
        take_cu[n] = sent.cu
        bytes_of.setdefault("take", sent.tx_bytes)
        _rest_many(svm, payer, market, maker, range(n))
        n *= 2
    # For comparison with books whose takers settle from token accounts: Swap crossing the best ask.
    swap_ix = take_asks(market, taker, FIRST_ASK_TICKS, 1, deposited=False)
    swap_cu = send(svm, payer, [swap_ix], [taker.keypair]).cu
    _rest_many(svm, payer, market, maker, range(1))

    # 5. one more ask at the deepest price on the BOOK_DEPTH-deep book, then its cancel.
    deep, placed = place_ask(svm, payer, market, maker, FIRST_ASK_TICKS + BOOK_DEPTH)
    cancel_ix = cancel_orders_by_id_with_free_funds(market.keys, maker.pubkey, [deep])
    cancel = send(svm, payer, [cancel_ix], [maker.keypair])
    bytes_of["cancel"] = cancel.tx_bytes

    probes = _most_fills(elf)
    asks, (max_fills, limit) = max(probes.items(), key=lambda probe: probe[1][0])
    bound = "; ".join(f"{size:,}-ask market: {fills:,} ({why})" for size, (fills, why) in probes.items())
    others = ", ".join(f"{size:,}-ask {fills:,} ({SHORT[why]})" for size, (fills, why) in probes.items())
    return BookMeasurements(
        book=BOOK,
        rent_lamports=_rent(svm, params),
        place_resting_cu=place_cu,
        place_at_depth_cu=placed.cu,
        take_cu=take_cu,
        max_fills=max_fills,
        max_fills_limit=f"{limit}, on a {asks:,}-ask market (by market size: {others})",
        cancel_cu=cancel.cu,
        depth=BOOK_DEPTH,
        tx_bytes=bytes_of,
        notes=[
            *NOTES,
            f"Swap (the taker's token accounts, two SPL Token transfers) crossing one ask: {swap_cu:,} CU.",
            "Max fills, bisected by simulation on a full book of each market size Phoenix has (128 seats): "
            + bound
            + ".",
        ],
    )


CAPACITY = "the market's capacity: it crosses every ask the market holds"
COMPUTE_LIMIT = "the 1.4M compute-unit limit"
TRANSACTION_SIZE = "the 1,232-byte transaction"
SHORT = {CAPACITY: "capacity", COMPUTE_LIMIT: "1.4M CU", TRANSACTION_SIZE: "1,232 bytes"}


def _most_fills(elf: bytes) -> dict[int, tuple[int, str]]:
    """By ask capacity of each market size Phoenix has (128 seats): the most one-lot asks one taker order
    crosses on a full book of that size, bisected by simulation, and what stops it there."""
    svm, payer = new_chain(elf)
    found: dict[int, tuple[int, str]] = {}
    for bids, asks, seats in MARKET_SIZES:
        if seats != MarketParams().seats:
            continue
        params = replace(MarketParams(), bids=bids, asks=asks, seats=seats)
        market, _ = create_market(svm, payer, params, seed=f"deep-{asks}")
        maker, taker = _seated_pair(svm, payer, market, asks)
        _rest_many(svm, payer, market, maker, range(asks))

        def order(n: int, market: Market = market, taker: Trader = taker) -> list[Instruction]:
            return [take_asks(market, taker, FIRST_ASK_TICKS + n - 1, n, deposited=True)]

        if fits(svm, payer, order(asks), [taker.keypair]):
            found[asks] = (asks, CAPACITY)
            continue
        low, high = 1, asks
        while high - low > 1:
            mid = (low + high) // 2
            low, high = (mid, high) if fits(svm, payer, order(mid), [taker.keypair]) else (low, mid)
        found[asks] = (low, _what_stops(svm, payer, order(high), taker))
    return found


def _what_stops(svm: Engine, payer: Keypair, ixs: list[Instruction], taker: Trader) -> str:
    tx = _transaction(svm, payer, ixs, [taker.keypair])
    if len(bytes(tx)) > MAX_TRANSACTION_BYTES:
        return TRANSACTION_SIZE
    failed = svm.simulate(tx)
    text = f"{failed.err} {failed.result}"
    if f"compute_units_consumed: {MAX_TRANSACTION_CU}" in text or "ComputationalBudgetExceeded" in text:
        return COMPUTE_LIMIT
    raise RuntimeError(f"a taker order failed for another reason than its limits: {text[-3000:]}")


NOTES = [
    "Asks placed by PlaceLimitOrderWithFreeFunds (PostOnly, one base lot, the maker's deposited funds);"
    " the taker's order is an ImmediateOrCancel buy with a limit price (the n-th ask's) by"
    " SwapWithFreeFunds, from its deposited funds (Phoenix's Swap settles from token accounts instead);"
    " cancel is CancelMultipleOrdersByIdWithFreeFunds of one order.",
    "Market: 512 bids, 512 asks, 128 seats (Phoenix's smallest), 0 bps taker fee; rent_lamports is the"
    " market account and its two vaults (seats excluded). The refills after each taker and the probes'"
    " books are placed by PlaceMultiplePostOnlyOrdersWithFreeFunds (not measured).",
    "Phoenix runs at its declared id (its PDAs derive from it): the program account is installed"
    " uninitialised, then deployed through BPFLoaderUpgradeable.",
    "Every market instruction also CPIs into Phoenix itself to record its events (the log authority).",
    "Phoenix re-derives the trader's seat PDA in each placement and free-funds take (1,500 CU per bump"
    " tried): the maker and taker keys are chosen so that the first bump is the seat's (its best case;"
    " a random key costs 1,500 CU more half of the time, 3,000 a quarter, ...).",
]

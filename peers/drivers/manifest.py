"""Manifest (``manifest-dex`` 2.0.1, CKS Systems, GPL-2.0-or-later) driven in LiteSVM with solders.

The instruction layouts follow Manifest's published source (``program/instruction.rs`` and the
processors' borsh parameter structs); this module is SolGrid's own code. Manifest checks that its
market accounts are owned by its declared id, so the program is deployed at that id: the program account
is put in place uninitialised (as a cluster's genesis would) and the ELF goes through
BPFLoaderUpgradeable's buffer and ``DeployWithMaxDataLen``, where the loader verifies it.

:func:`measure` runs ``workload.py``'s workload. Its taker order is a crossing ``BatchUpdate`` (an
immediate-or-cancel bid settled against the taker's deposited balances), as the other books' takers
trade from deposited funds: that is what ``take_cu`` and ``max_fills`` measure. ``Swap``, what Manifest's
takers usually send (no seat or deposit needed: it claims a temporary seat, and moves the tokens between
wallet and vaults in the same instruction), is measured beside it on the same book and reported in
``notes``.
"""

from __future__ import annotations

import base64
import hashlib
import struct
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path

from solders.account import Account
from solders.compute_budget import set_compute_unit_limit
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.message import Message
from solders.pubkey import Pubkey
from solders.system_program import ID as SYSTEM_PROGRAM
from solders.system_program import CreateAccountParams, create_account
from solders.transaction import VersionedTransaction
from solders.transaction_metadata import FailedTransactionMetadata
from spl.token.constants import TOKEN_2022_PROGRAM_ID, TOKEN_PROGRAM_ID
from spl.token.instructions import get_associated_token_address

from peers.drivers.workload import (
    BOOK_DEPTH,
    COMPUTE_BUDGET_IX_CU,
    MAX_TRANSACTION_BYTES,
    MAX_TRANSACTION_CU,
    BookMeasurements,
)
from solgrid.localnet.engine import Engine
from solgrid.localnet.svm import MAX_COMPUTE_UNITS, Sent, TransactionFailed, new_svm, send
from solgrid.sdk import loader
from solgrid.sdk.mints import MINT_LEN, create_mint_instructions, mint_to_owner_instructions

BOOK = "Manifest 2.0.1"
PROGRAM_ID = Pubkey.from_string("MNFSTqtC93rEfYHB6hF82sKdZpUDFWkViLByLd1k1Ms")
"""``declare_id!`` in manifest-dex: the program checks that markets are owned by this id."""
MANIFEST_WORKSPACE = Path(__file__).resolve().parents[1] / "manifest" / "Cargo.toml"
LIB_NAME = "manifest_peer"

MARKET_FIXED_SIZE = 256
MARKET_BLOCK_SIZE = 80
RB_NODE_HEADER = 16
"""A tree node: left, right, parent (u32 each), colour, payload type, padding; then the payload."""
NIL = 0xFFFF_FFFF
TOKEN_ACCOUNT_LEN = 165


class Tag(IntEnum):
    """``ManifestInstruction``: the first byte of instruction data."""

    CREATE_MARKET = 0
    CLAIM_SEAT = 1
    DEPOSIT = 2
    WITHDRAW = 3
    SWAP = 4
    EXPAND = 5
    BATCH_UPDATE = 6


class OrderType(IntEnum):
    LIMIT = 0
    IMMEDIATE_OR_CANCEL = 1
    POST_ONLY = 2


class ManifestError(IntEnum):
    """``ManifestError``: the custom error codes the program returns (those the tests meet)."""

    INVALID_MARKET_PARAMETERS = 0
    INVALID_DEPOSIT_ACCOUNTS = 1
    INVALID_CANCEL = 3
    ALREADY_CLAIMED_SEAT = 5
    POST_ONLY_CROSSES = 6
    INSUFFICIENT_OUT = 8
    WRONG_INDEX_HINT_PARAMS = 10


# -- borsh encodings -------------------------------------------------------------------------------------


def _option_u32(value: int | None) -> bytes:
    return b"\x00" if value is None else struct.pack("<BI", 1, value)


@dataclass(frozen=True)
class PlaceOrder:
    """``PlaceOrderParams``: price is ``mantissa * 10**exponent`` quote atoms per base atom."""

    base_atoms: int
    price_mantissa: int
    price_exponent: int
    is_bid: bool
    order_type: OrderType = OrderType.LIMIT
    last_valid_slot: int = 0

    def encode(self) -> bytes:
        return struct.pack(
            "<QIb?IB",
            self.base_atoms,
            self.price_mantissa,
            self.price_exponent,
            self.is_bid,
            self.last_valid_slot,
            self.order_type,
        )


@dataclass(frozen=True)
class CancelOrder:
    """``CancelOrderParams``: the order's sequence number, and where it is when known (O(1) lookup)."""

    sequence_number: int
    index_hint: int | None = None

    def encode(self) -> bytes:
        return struct.pack("<Q", self.sequence_number) + _option_u32(self.index_hint)


# -- addresses and instructions --------------------------------------------------------------------------


def vault_address(market: Pubkey, mint: Pubkey) -> Pubkey:
    return Pubkey.find_program_address([b"vault", bytes(market), bytes(mint)], PROGRAM_ID)[0]


def create_market_instructions(
    payer: Pubkey, market: Pubkey, base_mint: Pubkey, quote_mint: Pubkey, market_lamports: int
) -> list[Instruction]:
    """Allocate the market (256 bytes, owned by Manifest; ``market`` signs) and ``CreateMarket``, which
    creates both vaults by CPI."""
    metas = [
        AccountMeta(payer, True, True),
        AccountMeta(market, False, True),
        AccountMeta(SYSTEM_PROGRAM, False, False),
        AccountMeta(base_mint, False, False),
        AccountMeta(quote_mint, False, False),
        AccountMeta(vault_address(market, base_mint), False, True),
        AccountMeta(vault_address(market, quote_mint), False, True),
        AccountMeta(TOKEN_PROGRAM_ID, False, False),
        AccountMeta(TOKEN_2022_PROGRAM_ID, False, False),
    ]
    allocate = create_account(
        CreateAccountParams(
            from_pubkey=payer,
            to_pubkey=market,
            lamports=market_lamports,
            space=MARKET_FIXED_SIZE,
            owner=PROGRAM_ID,
        )
    )
    return [allocate, Instruction(PROGRAM_ID, bytes([Tag.CREATE_MARKET]), metas)]


def claim_seat(trader: Pubkey, market: Pubkey) -> Instruction:
    metas = [
        AccountMeta(trader, True, True),
        AccountMeta(market, False, True),
        AccountMeta(SYSTEM_PROGRAM, False, False),
    ]
    return Instruction(PROGRAM_ID, bytes([Tag.CLAIM_SEAT]), metas)


def _transfer_metas(trader: Pubkey, market: Pubkey, mint: Pubkey) -> list[AccountMeta]:
    return [
        AccountMeta(trader, True, False),
        AccountMeta(market, False, True),
        AccountMeta(get_associated_token_address(trader, mint), False, True),
        AccountMeta(vault_address(market, mint), False, True),
        AccountMeta(TOKEN_PROGRAM_ID, False, False),
        AccountMeta(mint, False, False),
    ]


def deposit(
    trader: Pubkey, market: Pubkey, mint: Pubkey, atoms: int, seat_hint: int | None = None
) -> Instruction:
    """Move ``atoms`` of ``mint`` from the trader's associated token account to its seat."""
    data = bytes([Tag.DEPOSIT]) + struct.pack("<Q", atoms) + _option_u32(seat_hint)
    return Instruction(PROGRAM_ID, data, _transfer_metas(trader, market, mint))


def withdraw(
    trader: Pubkey, market: Pubkey, mint: Pubkey, atoms: int, seat_hint: int | None = None
) -> Instruction:
    data = bytes([Tag.WITHDRAW]) + struct.pack("<Q", atoms) + _option_u32(seat_hint)
    return Instruction(PROGRAM_ID, data, _transfer_metas(trader, market, mint))


def batch_update(
    trader: Pubkey,
    market: Pubkey,
    cancels: Sequence[CancelOrder] = (),
    orders: Sequence[PlaceOrder] = (),
    seat_hint: int | None = None,
) -> Instruction:
    """Cancels, then placements, from the trader's seat (no global orders: no optional accounts)."""
    data = bytearray([Tag.BATCH_UPDATE])
    data += _option_u32(seat_hint)
    data += struct.pack("<I", len(cancels)) + b"".join(c.encode() for c in cancels)
    data += struct.pack("<I", len(orders)) + b"".join(o.encode() for o in orders)
    metas = [
        AccountMeta(trader, True, True),
        AccountMeta(market, False, True),
        AccountMeta(SYSTEM_PROGRAM, False, False),
    ]
    return Instruction(PROGRAM_ID, bytes(data), metas)


def swap(
    trader: Pubkey,
    market: Pubkey,
    base_mint: Pubkey,
    quote_mint: Pubkey,
    in_atoms: int,
    out_atoms: int,
    *,
    is_base_in: bool,
    is_exact_in: bool,
) -> Instruction:
    """``Swap`` between the trader's associated token accounts (SPL Token mints, no global orders).

    A buy of exactly ``out_atoms`` base for at most ``in_atoms`` quote is ``is_base_in=False,
    is_exact_in=False``. The trader is writable: Manifest may grow the market for a temporary seat."""
    data = bytes([Tag.SWAP]) + struct.pack("<QQ??", in_atoms, out_atoms, is_base_in, is_exact_in)
    metas = [
        AccountMeta(trader, True, True),
        AccountMeta(market, False, True),
        AccountMeta(SYSTEM_PROGRAM, False, False),
        AccountMeta(get_associated_token_address(trader, base_mint), False, True),
        AccountMeta(get_associated_token_address(trader, quote_mint), False, True),
        AccountMeta(vault_address(market, base_mint), False, True),
        AccountMeta(vault_address(market, quote_mint), False, True),
        AccountMeta(TOKEN_PROGRAM_ID, False, False),
    ]
    return Instruction(PROGRAM_ID, data, metas)


def placed_orders(sent: Sent) -> list[tuple[int, int]]:
    """``BatchUpdateReturn``: (sequence number, index) of each order placed, from the return data (the
    runtime logs it as ``Program return: <program> <base64>``)."""
    prefix = f"Program return: {PROGRAM_ID} "
    returned = [line[len(prefix) :] for line in sent.logs if line.startswith(prefix)]
    if not returned:
        raise LookupError("no return data from Manifest")
    raw = base64.b64decode(returned[-1])
    (count,) = struct.unpack_from("<I", raw)
    return [struct.unpack_from("<QI", raw, 4 + 12 * i) for i in range(count)]


# -- reading a market ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seat:
    trader: Pubkey
    base_atoms: int
    quote_atoms: int
    index: int


@dataclass(frozen=True)
class RestingOrder:
    price: int
    """Quote atoms per base atom, scaled by 10**18."""
    base_atoms: int
    sequence_number: int
    trader_index: int
    is_bid: bool
    index: int


@dataclass(frozen=True)
class MarketState:
    base_mint: Pubkey
    quote_mint: Pubkey
    base_vault: Pubkey
    quote_vault: Pubkey
    next_sequence_number: int
    seats: list[Seat]
    bids: list[RestingOrder]
    asks: list[RestingOrder]

    def seat(self, trader: Pubkey) -> Seat:
        for seat in self.seats:
            if seat.trader == trader:
                return seat
        raise LookupError(f"{trader} has no seat")


def _tree(dynamic: bytes, root: int) -> Iterator[int]:
    """Indices of a red-black tree's nodes, in key order."""
    stack: list[int] = []
    node = root
    while stack or node != NIL:
        while node != NIL:
            stack.append(node)
            (node,) = struct.unpack_from("<I", dynamic, node)
        node = stack.pop()
        yield node
        (node,) = struct.unpack_from("<I", dynamic, node + 4)


def _order(dynamic: bytes, index: int) -> RestingOrder:
    low, high, atoms, seq, trader, _slot, is_bid = struct.unpack_from(
        "<QQQQII?", dynamic, index + RB_NODE_HEADER
    )
    return RestingOrder(low | high << 64, atoms, seq, trader, is_bid, index)


def read_market(svm: Engine, market: Pubkey) -> MarketState:
    account = svm.get_account(market)
    if account is None or account.owner != PROGRAM_ID:
        raise LookupError(f"{market} is not a Manifest account")
    data = bytes(account.data)
    keys = [Pubkey.from_bytes(data[o : o + 32]) for o in range(16, 144, 32)]
    seq, _allocated, bids_root, _bids_best, asks_root, _asks_best, seats_root = struct.unpack_from(
        "<QIIIIII", data, 144
    )
    dynamic = data[MARKET_FIXED_SIZE:]
    seats = []
    for i in _tree(dynamic, seats_root):
        trader = Pubkey.from_bytes(dynamic[i + RB_NODE_HEADER : i + RB_NODE_HEADER + 32])
        base, quote = struct.unpack_from("<QQ", dynamic, i + RB_NODE_HEADER + 32)
        seats.append(Seat(trader, base, quote, i))
    # The bid tree is ordered best first, as is the ask tree.
    bids = [_order(dynamic, i) for i in _tree(dynamic, bids_root)]
    asks = [_order(dynamic, i) for i in _tree(dynamic, asks_root)]
    base_mint, quote_mint, base_vault, quote_vault = keys
    return MarketState(base_mint, quote_mint, base_vault, quote_vault, seq, seats, bids, asks)


def token_balance(svm: Engine, token_account: Pubkey) -> int:
    account = svm.get_account(token_account)
    if account is None:
        raise LookupError(f"no token account {token_account}")
    (amount,) = struct.unpack_from("<Q", bytes(account.data), 64)
    return int(amount)


# -- a market in LiteSVM ---------------------------------------------------------------------------------


def keypair(label: str, seed: str | None) -> Keypair:
    """A fresh key, or with ``seed`` the same key on every run (deterministic measurements)."""
    if seed is None:
        return Keypair()
    return Keypair.from_seed(hashlib.sha256(f"{seed}/{label}".encode()).digest())


def deploy_manifest(svm: Engine, payer: Keypair, elf: bytes) -> Pubkey:
    """Deploy ``elf`` at Manifest's id through BPFLoaderUpgradeable (buffer, writes, DeployWithMaxDataLen).

    Nobody holds the id's key, so the uninitialised program account (what the id's signature would have
    created) is set directly; the loader then deploys into it and verifies the ELF."""
    svm.set_account(
        PROGRAM_ID,
        Account(
            lamports=svm.minimum_balance_for_rent_exemption(loader.PROGRAM_ACCOUNT_LEN),
            data=bytes(loader.PROGRAM_ACCOUNT_LEN),
            owner=loader.LOADER_V3,
            executable=False,
            rent_epoch=0,
        ),
    )
    buffer = Keypair()
    rent = svm.minimum_balance_for_rent_exemption(loader.BUFFER_HEADER_LEN + len(elf))
    send(
        svm,
        payer,
        [
            loader.create_buffer(payer.pubkey(), buffer.pubkey(), rent, len(elf)),
            loader.initialize_buffer(buffer.pubkey(), payer.pubkey()),
        ],
        [buffer],
    )
    chunk = 900
    for offset in range(0, len(elf), chunk):
        send(
            svm, payer, [loader.write(buffer.pubkey(), payer.pubkey(), offset, elf[offset : offset + chunk])]
        )
    send(
        svm,
        payer,
        [
            loader.deploy_with_max_data_len(
                payer.pubkey(), PROGRAM_ID, buffer.pubkey(), payer.pubkey(), len(elf)
            )
        ],
    )
    return PROGRAM_ID


@dataclass
class Market:
    """One Manifest market in an engine: its mints (6 decimals each), vaults, and a mint authority."""

    svm: Engine
    payer: Keypair
    key: Pubkey
    base_mint: Pubkey
    quote_mint: Pubkey
    authority: Keypair
    create_cu: int
    create_tx_bytes: int

    seed: str | None = None

    @classmethod
    def create(cls, svm: Engine, payer: Keypair, decimals: int = 6, seed: str | None = None) -> Market:
        """A market of two new mints; with ``seed``, every key it makes is the same on every run."""
        authority = keypair("mint authority", seed)
        mints = [keypair("base mint", seed), keypair("quote mint", seed)]
        mint_rent = svm.minimum_balance_for_rent_exemption(MINT_LEN)
        for mint in mints:
            ixs = create_mint_instructions(payer.pubkey(), mint, decimals, authority.pubkey(), mint_rent)
            send(svm, payer, ixs, [mint])
        market = keypair("market", seed)
        base, quote = (m.pubkey() for m in mints)
        ixs = create_market_instructions(
            payer.pubkey(),
            market.pubkey(),
            base,
            quote,
            svm.minimum_balance_for_rent_exemption(MARKET_FIXED_SIZE),
        )
        sent, size = send_measured(svm, payer, ixs, [market])
        create_cu = sent.program_cu(PROGRAM_ID)
        return cls(svm, payer, market.pubkey(), base, quote, authority, create_cu, size, seed)

    def vaults(self) -> tuple[Pubkey, Pubkey]:
        return vault_address(self.key, self.base_mint), vault_address(self.key, self.quote_mint)

    def rent_lamports(self) -> int:
        """Lamports held by the market account and its two vaults."""
        total = 0
        for key in (self.key, *self.vaults()):
            account = self.svm.get_account(key)
            if account is None:
                raise LookupError(f"market account {key} missing")
            total += account.lamports
        return total

    def trader(self, base_atoms: int, quote_atoms: int, name: str = "trader") -> Keypair:
        """A funded wallet holding ``base_atoms`` and ``quote_atoms`` in associated token accounts (``name``
        tells apart the traders of a seeded market)."""
        trader = keypair(name, self.seed)
        self.svm.airdrop(trader.pubkey(), 10**11)
        for mint, amount in ((self.base_mint, base_atoms), (self.quote_mint, quote_atoms)):
            ixs = mint_to_owner_instructions(
                self.payer.pubkey(), mint, trader.pubkey(), self.authority.pubkey(), amount
            )
            send(self.svm, self.payer, ixs, [self.authority] if amount else [])
        return trader

    def wallet(self, trader: Pubkey) -> tuple[int, int]:
        """The trader's base and quote token balances."""
        return (
            token_balance(self.svm, get_associated_token_address(trader, self.base_mint)),
            token_balance(self.svm, get_associated_token_address(trader, self.quote_mint)),
        )

    def state(self) -> MarketState:
        return read_market(self.svm, self.key)

    def run(self, trader: Keypair, ixs: Sequence[Instruction]) -> tuple[Sent, int]:
        """Send ``ixs`` signed by the fee payer and ``trader``: the result and the transaction's size."""
        return send_measured(self.svm, self.payer, ixs, [trader])

    def claim_seat(self, trader: Keypair) -> Sent:
        return self.run(trader, [claim_seat(trader.pubkey(), self.key)])[0]

    def deposit(self, trader: Keypair, base_atoms: int, quote_atoms: int) -> list[Sent]:
        pairs = ((self.base_mint, base_atoms), (self.quote_mint, quote_atoms))
        return [self.run(trader, [deposit(trader.pubkey(), self.key, m, a)])[0] for m, a in pairs if a]

    def place(self, trader: Keypair, *orders: PlaceOrder) -> tuple[Sent, int]:
        return self.run(trader, [batch_update(trader.pubkey(), self.key, orders=orders)])

    def cancel(self, trader: Keypair, *cancels: CancelOrder) -> tuple[Sent, int]:
        return self.run(trader, [batch_update(trader.pubkey(), self.key, cancels=cancels)])

    def buy(self, trader: Keypair, base_atoms: int, max_quote_atoms: int) -> tuple[Sent, int]:
        """A taker's ``Swap``: exactly ``base_atoms`` for at most ``max_quote_atoms``, wallet to wallet."""
        ix = swap(
            trader.pubkey(),
            self.key,
            self.base_mint,
            self.quote_mint,
            max_quote_atoms,
            base_atoms,
            is_base_in=False,
            is_exact_in=False,
        )
        return self.run(trader, [ix])


def own_cu(sent: Sent) -> int:
    """The compute units of the transaction's instructions but its ComputeBudget one (the program's log
    lines, which say the same, are truncated once a taker's fills have logged 10 KB)."""
    return int(sent.meta.compute_units_consumed()) - COMPUTE_BUDGET_IX_CU


def send_measured(
    svm: Engine, payer: Keypair, ixs: Sequence[Instruction], signers: Sequence[Keypair] = ()
) -> tuple[Sent, int]:
    """:func:`send`, and the size of the transaction it sent (compute-budget instruction included)."""
    size = len(bytes(_transaction(svm, payer, ixs, signers)))
    return send(svm, payer, ixs, signers), size


def _transaction(
    svm: Engine,
    payer: Keypair,
    ixs: Sequence[Instruction],
    signers: Sequence[Keypair],
    cu: int = MAX_COMPUTE_UNITS,
) -> VersionedTransaction:
    msg = Message.new_with_blockhash(
        [set_compute_unit_limit(cu), *ixs], payer.pubkey(), svm.latest_blockhash()
    )
    unique = {bytes(k.pubkey()): k for k in [payer, *signers]}
    return VersionedTransaction(msg, list(unique.values()))


def fits_compute_limit(
    svm: Engine, payer: Keypair, ixs: Sequence[Instruction], signers: Sequence[Keypair]
) -> bool:
    """Whether the transaction succeeds within the 1.4M compute-unit limit (simulated: nothing changes).

    Running out shows as ``ComputationalBudgetExceeded``, or as ``ProgramFailedToComplete`` when the meter
    runs out inside a CPI or syscall: either way the whole budget is consumed. Any other failure is raised:
    it is not a measurement."""
    result = svm.simulate(_transaction(svm, payer, ixs, signers, MAX_TRANSACTION_CU)).result
    if not isinstance(result, FailedTransactionMetadata):
        return True
    if result.meta().compute_units_consumed() >= MAX_TRANSACTION_CU:
        return False
    raise TransactionFailed(result)


# -- the workload ----------------------------------------------------------------------------------------

ASK_ATOMS = 1_000_000
"""One base lot: Manifest has no lots, so one whole token (6 decimals)."""
FIRST_ASK_MANTISSA = 100
"""Ask ``level`` is at ``(100 + level) / 100`` quote per base: exact quote amounts, no rounding."""
PRICE_EXPONENT = -2
PROBE_DEPTH = 1024
"""Asks resting for the max-fills probe: more than one transaction can cross (checked)."""
SEED = "solgrid peers: manifest"
"""Every key of the workload derives from it: PDA bumps and tree shapes, so the numbers repeat."""
REFILL_BATCH = 32
"""Asks per BatchUpdate when the book is refilled between takers."""


def ask(level: int) -> PlaceOrder:
    return PlaceOrder(ASK_ATOMS, FIRST_ASK_MANTISSA + level, PRICE_EXPONENT, is_bid=False)


def ask_quote_atoms(level: int) -> int:
    """What a taker pays for the ask at ``level``."""
    return ASK_ATOMS * (FIRST_ASK_MANTISSA + level) // 100


def cost_of_best(count: int) -> int:
    """What a taker pays for the ``count`` best asks of a full book."""
    return sum(ask_quote_atoms(level) for level in range(count))


def buy_instruction(market: Market, taker: Pubkey, fills: int) -> Instruction:
    """A ``Swap`` buying exactly the ``fills`` best asks, for at most what they cost."""
    return swap(
        taker,
        market.key,
        market.base_mint,
        market.quote_mint,
        cost_of_best(fills),
        fills * ASK_ATOMS,
        is_base_in=False,
        is_exact_in=False,
    )


def crossing_bid(market: Market, taker: Pubkey, fills: int) -> Instruction:
    """A ``BatchUpdate`` with an immediate-or-cancel bid up to the ``fills``-th best ask, from deposits."""
    bid = PlaceOrder(
        fills * ASK_ATOMS,
        FIRST_ASK_MANTISSA + fills - 1,
        PRICE_EXPONENT,
        is_bid=True,
        order_type=OrderType.IMMEDIATE_OR_CANCEL,
    )
    return batch_update(taker, market.key, orders=[bid])


def _most_fills(svm: Engine, payer: Keypair, order: Callable[[int], Instruction], signer: Keypair) -> int:
    """The most fills ``order(n)`` takes within 1.4M CU on a ``PROBE_DEPTH``-deep book, bisected by
    simulation (nothing changes); raises if the whole book fits (then the book, not the limit, binds)."""
    if fits_compute_limit(svm, payer, [order(PROBE_DEPTH)], [signer]):
        raise RuntimeError(f"a taker crosses all {PROBE_DEPTH} resting asks: deepen the probe's book")
    low, high = 1, PROBE_DEPTH
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (mid, high) if fits_compute_limit(svm, payer, [order(mid)], [signer]) else (low, mid)
    return low


def measure(elf: bytes) -> BookMeasurements:
    """``workload.py``'s workload on Manifest built as ``elf``, deployed in a fresh engine."""
    svm = new_svm()
    payer = keypair("payer", SEED)
    svm.airdrop(payer.pubkey(), 10**13)
    deploy_manifest(svm, payer, elf)
    # 1. the market: its account and two vaults.
    market = Market.create(svm, payer, seed=SEED)
    rent = market.rent_lamports()

    # 2. seats and deposits; the wallets keep as much again (the Swap pays from the wallet).
    base_atoms = 8 * PROBE_DEPTH * ASK_ATOMS
    quote_atoms = 4 * cost_of_best(PROBE_DEPTH)
    maker = market.trader(base_atoms, quote_atoms, "maker")
    taker = market.trader(base_atoms, quote_atoms, "taker")
    for trader in (maker, taker):
        market.claim_seat(trader)
        market.deposit(trader, base_atoms // 2, quote_atoms // 2)

    def resting() -> int:
        return len(market.state().asks)

    def expect_depth(when: str, depth: int = BOOK_DEPTH) -> None:
        if resting() != depth:
            raise RuntimeError(f"{resting()} asks rest {when}, not {depth}")

    # 3. the book: BOOK_DEPTH resting asks, one per level and transaction.
    place_cu: list[int] = []
    place_bytes = 0
    for level in range(BOOK_DEPTH):
        sent, place_bytes = market.place(maker, ask(level))
        place_cu.append(own_cu(sent))

    def refill(start: int, stop: int) -> None:
        # The maker rests the asks of levels start .. stop - 1 (again), in batches (not measured).
        for first in range(start, stop, REFILL_BATCH):
            market.place(maker, *(ask(level) for level in range(first, min(stop, first + REFILL_BATCH))))

    # 4. takers crossing the n best asks, n = 1, 2, 4, ... up to BOOK_DEPTH while the transaction fits
    # 1.4M CU; the book is refilled after each. take_cu: a crossing BatchUpdate (deposited balances);
    # swap_cu: a Swap (wallet to wallet) on the same book, for the notes.
    take_cu: dict[int, int] = {}
    swap_cu: dict[int, int] = {}
    take_bytes = swap_bytes = 0
    n = 1
    while n <= BOOK_DEPTH:
        crossing = crossing_bid(market, taker.pubkey(), n)
        if not fits_compute_limit(svm, payer, [crossing], [taker]):
            break
        expect_depth(f"before the take of {n}")
        sent, size = market.run(taker, [crossing])
        expect_depth(f"after the take of {n}", BOOK_DEPTH - n)
        take_cu[n] = own_cu(sent)
        take_bytes = take_bytes or size
        refill(0, n)
        swap_ix = buy_instruction(market, taker.pubkey(), n)
        if fits_compute_limit(svm, payer, [swap_ix], [taker]):
            sent, size = market.run(taker, [swap_ix])
            swap_cu[n] = own_cu(sent)
            swap_bytes = swap_bytes or size
            refill(0, n)
        n *= 2

    # 5. one more ask at the deepest level on the BOOK_DEPTH-deep book; the maker cancels it, by sequence
    # number with its index as hint.
    expect_depth("before the placement")
    sent, _ = market.place(maker, ask(BOOK_DEPTH))
    place_at_depth_cu = own_cu(sent)
    [(sequence_number, index)] = placed_orders(sent)
    sent, cancel_bytes = market.cancel(maker, CancelOrder(sequence_number, index))
    cancel_cu = own_cu(sent)
    expect_depth("after the cancel")

    # 6. the most fills in one taker order, on a book deepened to PROBE_DEPTH asks (a taker's transaction
    # does not grow with its fills: the compute limit is what stops it).
    refill(BOOK_DEPTH, PROBE_DEPTH)
    expect_depth("for the probe", PROBE_DEPTH)
    max_fills = _most_fills(svm, payer, lambda k: crossing_bid(market, taker.pubkey(), k), taker)
    max_swap = _most_fills(svm, payer, lambda k: buy_instruction(market, taker.pubkey(), k), taker)
    if max(take_bytes, swap_bytes) > MAX_TRANSACTION_BYTES:
        raise RuntimeError(f"a taker's transaction is {max(take_bytes, swap_bytes)} bytes")

    notes = [
        "taker order = a crossing BatchUpdate: an immediate-or-cancel bid up to the n-th ask, settled "
        "against the taker's deposited balances (no token transfer), as the other books' takers",
        "Swap, what Manifest's takers usually send (exact base out for at most the quote the asks cost, "
        "wallet to wallet: two SPL Token transfers by CPI, no seat or deposit needed), on the same "
        f"{BOOK_DEPTH}-ask book: "
        + ", ".join(f"{k} fills {v:,}" for k, v in swap_cu.items())
        + f" CU; {swap_bytes:,} bytes; at most {max_swap:,} fills within 1.4M CU",
        f"max fills: bisected by simulation on the same market deepened to {PROBE_DEPTH:,} asks (a taker "
        "crossing all of them runs out of compute units: the book does not bind)",
        "one lot = 1 base token (10^6 atoms): Manifest has no lots",
        "cancel: BatchUpdate by sequence number with the order's index as hint",
        "a placement that takes the market's last free block grows the account by one 80-byte block "
        "(a System transfer CPI for its rent): every placement on a growing book does",
        f"rent: market account (header and its first free block) and two vaults; CreateMarket "
        f"{market.create_cu:,} CU",
        f"CU: the transaction's less {COMPUTE_BUDGET_IX_CU} for its ComputeBudget instruction",
    ]
    return BookMeasurements(
        book=BOOK,
        rent_lamports=rent,
        place_resting_cu=place_cu,
        place_at_depth_cu=place_at_depth_cu,
        take_cu=take_cu,
        max_fills=max_fills,
        max_fills_limit="1.4M compute units",
        cancel_cu=cancel_cu,
        depth=BOOK_DEPTH,
        tx_bytes={"place": place_bytes, "take": take_bytes, "cancel": cancel_bytes},
        notes=notes,
    )

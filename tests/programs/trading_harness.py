"""Test harness for the trading program in the in-process LiteSVM, next to the registry it trusts.

:class:`TradingEnv` extends the registry's :class:`RegistryEnv` (config, regulators, zone, verified
users) with the trading program, a 9-decimal base mint standing in for GRID and a 6-decimal test
stablecoin (SPL Token mints whose authority is the payer, so tests can fund traders), and helpers for
markets, seats, deposits and orders. Every trading instruction's event is read back from the inner
instructions of the transaction (the program's self-CPI).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import pytest
from instruction_edits import with_account
from registry_harness import REPO, ZONE_ID, RegistryEnv
from solders.account import Account
from solders.compute_budget import set_compute_unit_limit
from solders.hash import Hash
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.message import Message
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.transaction import VersionedTransaction
from solders.transaction_metadata import FailedTransactionMetadata
from solders.transaction_status import InstructionErrorCustom, TransactionErrorInstructionError
from spl.token.constants import TOKEN_PROGRAM_ID
from spl.token.instructions import (
    get_associated_token_address,
)

from solgrid.localnet.svm import MAX_COMPUTE_UNITS, Sent, TransactionFailed, send
from solgrid.localnet.tokens import parse_token_account
from solgrid.sdk.idl import load_idl_json
from solgrid.sdk.mints import create_mint_instructions, mint_to_owner_instructions
from solgrid.sdk.registry import UserRole, ZoneStatus
from solgrid.sdk.trading import (
    MarketParams,
    MarketState,
    OrderPlaced,
    RestingOrder,
    TradingClient,
    TradingEvent,
    decode_event,
)
from solgrid.sdk.trading.market import MarketHeader
from solgrid.sdk.trading.units import MAX_MATCHES, MarketStatus, OrderKind, SelfTradeMode, Side, fee

S = TypeVar("S", bound=Sent)
IDL = load_idl_json("trading")
ERRORS: dict[str, int] = {e["name"]: e["code"] for e in IDL["errors"]}
MINT_LEN = 82
MINT_RENT = 1_461_600
QUOTE_DECIMALS = 6
# 0.001 quote per kWh ticks and 1 Wh lots: one lot at one tick is 1 quote atom.
TICK_SIZE = 1_000
LOT_SIZE_WH = 1
PAUSE_TRADING = 4
"""The registry's TRADING pause flag (READINGS 1, MINTING 2)."""


def code(name: str) -> int:
    return ERRORS[name]


def trading_keypair() -> Keypair:
    return Keypair.from_bytes(bytes(json.loads((REPO / "keys" / "trading-keypair.json").read_text())))


@dataclass(frozen=True)
class KeyedSent(Sent):
    """A sent transaction with its message's account keys (to resolve inner instructions)."""

    keys: list[Pubkey]


@dataclass
class Trader:
    wallet: Keypair
    seat: int
    base_account: Pubkey
    quote_account: Pubkey

    @property
    def pubkey(self) -> Pubkey:
        return self.wallet.pubkey()


@dataclass
class TradingEnv:
    """A registry market (config, regulators, zone) plus trading, its Config and two mints."""

    registry: RegistryEnv
    client: TradingClient
    base_mint: Keypair = field(default_factory=Keypair)
    quote_mint: Keypair = field(default_factory=Keypair)
    cu: dict[str, list[int]] = field(default_factory=dict)
    mode: str = "add_program"
    """How trading was loaded: ``add_program`` or ``deploy`` (BPFLoaderUpgradeable, payer the authority)."""

    @property
    def svm(self):  # type: ignore[no-untyped-def]
        return self.registry.svm

    @property
    def payer(self) -> Keypair:
        return self.registry.payer

    # -- plumbing --------------------------------------------------------------------------------

    def send(
        self,
        instructions: Sequence[Instruction],
        signers: Sequence[Keypair] = (),
        payer: Keypair | None = None,
    ) -> KeyedSent:
        """Sends ``instructions`` paid by the harness payer (or ``payer``)."""
        payer = payer or self.payer
        sent = send(self.svm, payer, instructions, signers)
        # The same message `send` built (the blockhash does not change the order of the keys).
        ixs = [set_compute_unit_limit(MAX_COMPUTE_UNITS), *instructions]
        keys = list(Message.new_with_blockhash(ixs, payer.pubkey(), Hash.default()).account_keys)
        return KeyedSent(sent.meta, keys)

    def fail(self, instructions: Sequence[Instruction], signers: Sequence[Keypair] = ()) -> int:
        return self.registry.fail(instructions, signers)

    def send_signed_by_pda(
        self, instructions: Sequence[Instruction], signers: Sequence[Keypair] = ()
    ) -> KeyedSent:
        """Sends ``instructions``, whose metas may mark PDAs as signers, paid by the harness payer: the
        keypairs sign, each PDA gets a placeholder signature. Only a VM that skips signature checks
        (``new_svm(sigverify=False)``) runs it; there the programs see each PDA as a signer exactly as
        when its program signs for it through ``invoke_signed`` (the governance program executing a
        proposal). Raises ``TransactionFailed`` on failure."""
        ixs = [set_compute_unit_limit(MAX_COMPUTE_UNITS), *instructions]
        msg = Message.new_with_blockhash(ixs, self.payer.pubkey(), self.svm.latest_blockhash())
        keypairs = {k.pubkey(): k for k in [self.payer, *signers]}
        required = msg.account_keys[: msg.header.num_required_signatures]
        signatures = [
            keypairs[key].sign_message(bytes(msg)) if key in keypairs else Signature.default()
            for key in required
        ]
        result = self.svm.send_transaction(VersionedTransaction.populate(msg, signatures))
        self.svm.expire_blockhash()
        if isinstance(result, FailedTransactionMetadata):
            raise TransactionFailed(result)
        return KeyedSent(result, list(msg.account_keys))

    def fail_signed_by_pda(self, instructions: Sequence[Instruction], signers: Sequence[Keypair] = ()) -> int:
        """As :meth:`send_signed_by_pda` for a transaction that must fail in its last instruction with a
        custom error; returns it."""
        with pytest.raises(TransactionFailed) as failed:
            self.send_signed_by_pda(instructions, signers)
        err = failed.value.err
        assert isinstance(err, TransactionErrorInstructionError), failed.value
        assert err.index == len(instructions), failed.value  # after the compute-budget instruction
        assert isinstance(err.err, InstructionErrorCustom), failed.value
        return err.err.code

    def record(self, name: str, sent: S) -> S:
        self.cu.setdefault(name, []).append(sent.program_cu(self.client.program_id))
        return sent

    def events(self, sent: KeyedSent) -> list[TradingEvent]:
        """The trading events of a transaction: its inner instructions that are the program's self-CPIs
        (signed by its event authority, the first account)."""
        authority = self.client.event_authority_pda().address
        found: list[TradingEvent] = []
        for group in sent.meta.inner_instructions():
            for inner in group:
                ix = inner.instruction()
                if sent.keys[ix.program_id_index] != self.client.program_id:
                    continue
                if not bytes(ix.accounts) or sent.keys[bytes(ix.accounts)[0]] != authority:
                    continue
                event = decode_event(self.client.coder, bytes(ix.data))
                if event is not None:
                    found.append(event)
        return found

    def market_state(self, market: Pubkey) -> MarketState:
        return self.client.decode_market(market, self.registry.data(market))

    def token_balance(self, account: Pubkey) -> int:
        parsed = parse_token_account(TOKEN_PROGRAM_ID, self.registry.data(account))
        assert parsed is not None
        return parsed.amount

    # -- setup -----------------------------------------------------------------------------------

    def create_mint(self, mint: Keypair, decimals: int) -> None:
        payer = self.payer.pubkey()
        self.send(create_mint_instructions(payer, mint, decimals, payer, MINT_RENT), [mint])

    def setup(self) -> None:
        """Registry market (T0, 3 regulators threshold 2, zone ZONE_ID), both mints, trading Config."""
        self.prepare()
        self.record("initialize", self.send([self.initialize_ix()]))

    def prepare(self) -> None:
        """Everything :meth:`setup` does but initialising trading."""
        self.registry.market()
        self.create_mint(self.base_mint, 9)
        self.create_mint(self.quote_mint, QUOTE_DECIMALS)

    def initialize_ix(self, authority: Pubkey | None = None, base_mint: Pubkey | None = None) -> Instruction:
        authority = authority or self.payer.pubkey()
        return self.client.initialize(
            payer=self.payer.pubkey(), authority=authority, base_mint=base_mint or self.base_mint.pubkey()
        )

    def default_params(self, **changes: int | Pubkey) -> MarketParams:
        """The harness market: 1-atom lot-ticks, default fees and limits, the payer collects fees."""
        params = MarketParams(tick_size=TICK_SIZE, lot_size_wh=LOT_SIZE_WH, fee_recipient=self.payer.pubkey())
        return dataclasses.replace(params, **changes)  # type: ignore[arg-type]

    def create_market_ix(
        self,
        params: MarketParams | None = None,
        zone_id: int = ZONE_ID,
        quote_mint: Pubkey | None = None,
        cosigners: Sequence[Pubkey] | None = None,
    ) -> Instruction:
        return self.client.create_market(
            payer=self.payer.pubkey(),
            zone_id=zone_id,
            base_mint=self.base_mint.pubkey(),
            quote_mint=quote_mint or self.quote_mint.pubkey(),
            params=params or self.default_params(),
            cosigners=[r.pubkey() for r in self.registry.quorum()] if cosigners is None else cosigners,
        )

    def create_market(
        self, params: MarketParams | None = None, zone_id: int = ZONE_ID, quote_mint: Pubkey | None = None
    ) -> Pubkey:
        ix = self.create_market_ix(params, zone_id, quote_mint)
        self.record("create_market", self.send([ix], self.registry.quorum()))
        return self.client.market_pda(zone_id, quote_mint or self.quote_mint.pubkey()).address

    def fund(self, owner: Pubkey, mint: Keypair, amount: int) -> Pubkey:
        payer = self.payer.pubkey()
        self.send(mint_to_owner_instructions(payer, mint.pubkey(), owner, payer, amount))
        return get_associated_token_address(owner, mint.pubkey())

    def trader(self, market: Pubkey, base: int = 0, quote: int = 0, wallet: Keypair | None = None) -> Trader:
        """A verified prosumer in ZONE_ID with a seat and ``base``/``quote`` atoms deposited."""
        wallet = wallet or self.registry.verified_wallet()
        base_account = self.fund(wallet.pubkey(), self.base_mint, base)
        quote_account = self.fund(wallet.pubkey(), self.quote_mint, quote)
        self.record(
            "claim_seat", self.send([self.client.claim_seat(trader=wallet.pubkey(), market=market)], [wallet])
        )
        seat = self.market_state(market).seat_of(wallet.pubkey())
        assert seat is not None
        trader = Trader(wallet, seat.index, base_account, quote_account)
        header = self.market_state(market).header
        for amount, vault, source in (
            (base, header.base_vault, base_account),
            (quote, header.quote_vault, quote_account),
        ):
            if amount:
                self.deposit(market, trader, vault, source, amount)
        return trader

    def deposit(
        self, market: Pubkey, trader: Trader, vault: Pubkey, source: Pubkey, amount: int
    ) -> KeyedSent:
        ix = self.client.deposit(
            trader=trader.pubkey, market=market, seat=trader.seat, vault=vault, source=source, amount=amount
        )
        return self.record("deposit", self.send([ix], [trader.wallet]))

    def place(
        self,
        market: Pubkey,
        trader: Trader,
        side: Side,
        price: int,
        lots: int,
        kind: OrderKind = OrderKind.LIMIT,
        name: str = "place_order",
        **extra: object,
    ) -> KeyedSent:
        ix = self.client.place_order(
            trader=trader.pubkey,
            market=market,
            zone_id=ZONE_ID,
            seat=trader.seat,
            side=side,
            price=price,
            lots=lots,
            kind=kind,
            **extra,  # type: ignore[arg-type]
        )
        return self.record(name, self.send([ix], [trader.wallet]))

    # -- more instructions -----------------------------------------------------------------------

    def place_ix(
        self,
        market: Pubkey,
        trader: Trader,
        side: Side,
        price: int,
        lots: int,
        kind: OrderKind = OrderKind.LIMIT,
        *,
        seat: int | None = None,
        client_order_id: int = 0,
        expires_at: int = 0,
        self_trade: SelfTradeMode = SelfTradeMode.CANCEL_RESTING,
        max_matches: int = MAX_MATCHES,
        zone_id: int = ZONE_ID,
    ) -> Instruction:
        return self.client.place_order(
            trader=trader.pubkey,
            market=market,
            zone_id=zone_id,
            seat=trader.seat if seat is None else seat,
            side=side,
            price=price,
            lots=lots,
            kind=kind,
            client_order_id=client_order_id,
            expires_at=expires_at,
            self_trade=self_trade,
            max_matches=max_matches,
        )

    def placed(self, sent: KeyedSent) -> OrderPlaced:
        """The one event of a ``place_order`` transaction."""
        [event] = self.events(sent)
        assert isinstance(event, OrderPlaced)
        return event

    def vault(self, market: Pubkey, side: Side) -> Pubkey:
        """The vault an order of ``side`` spends from (bid: quote, ask: base)."""
        header = self.market_state(market).header
        return header.quote_vault if side == Side.BID else header.base_vault

    def withdraw_ix(
        self,
        market: Pubkey,
        trader: Trader,
        vault: Pubkey,
        amount: int,
        destination: Pubkey | None = None,
        seat: int | None = None,
    ) -> Instruction:
        if destination is None:
            header = self.market_state(market).header
            destination = trader.base_account if vault == header.base_vault else trader.quote_account
        return self.client.withdraw(
            trader=trader.pubkey,
            market=market,
            seat=trader.seat if seat is None else seat,
            vault=vault,
            destination=destination,
            amount=amount,
        )

    def withdraw(self, market: Pubkey, trader: Trader, vault: Pubkey, amount: int) -> KeyedSent:
        ix = self.withdraw_ix(market, trader, vault, amount)
        return self.record("withdraw", self.send([ix], [trader.wallet]))

    def cancel_ix(
        self, market: Pubkey, trader: Trader, order: RestingOrder, seat: int | None = None
    ) -> Instruction:
        return self.client.cancel_order(
            trader=trader.pubkey,
            market=market,
            seat=trader.seat if seat is None else seat,
            side=order.side,
            price=order.price,
            order_id=order.order_id,
        )

    def cancel(self, market: Pubkey, trader: Trader, order: RestingOrder) -> KeyedSent:
        return self.record(
            "cancel_order", self.send([self.cancel_ix(market, trader, order)], [trader.wallet])
        )

    def prune(self, market: Pubkey, max_orders: int = MAX_MATCHES) -> KeyedSent:
        ix = self.client.prune_expired(market=market, max_orders=max_orders)
        return self.record("prune_expired", self.send([ix]))

    def collect_fees_ix(self, market: Pubkey, recipient: Pubkey, destination: Pubkey) -> Instruction:
        header = self.market_state(market).header
        return self.client.collect_fees(
            fee_recipient=recipient, market=market, quote_vault=header.quote_vault, destination=destination
        )

    def update_market_ix(
        self,
        market: Pubkey,
        *,
        tick_size: int | None = None,
        lot_size_wh: int | None = None,
        min_order_lots: int | None = None,
        taker_fee_bps: int | None = None,
        maker_fee_bps: int | None = None,
        max_orders_per_epoch: int | None = None,
        fee_recipient: Pubkey | None = None,
        status: MarketStatus | None = None,
        cosigners: Sequence[Pubkey] | None = None,
    ) -> Instruction:
        """``update_market`` keeping every parameter not given (cosigners: the registry quorum)."""
        h = self.market_state(market).header
        return self.client.update_market(
            market=market,
            tick_size=h.tick_size if tick_size is None else tick_size,
            lot_size_wh=h.lot_size_wh if lot_size_wh is None else lot_size_wh,
            min_order_lots=h.min_order_lots if min_order_lots is None else min_order_lots,
            taker_fee_bps=h.taker_fee_bps if taker_fee_bps is None else taker_fee_bps,
            maker_fee_bps=h.maker_fee_bps if maker_fee_bps is None else maker_fee_bps,
            max_orders_per_epoch=h.max_orders_per_epoch
            if max_orders_per_epoch is None
            else max_orders_per_epoch,
            fee_recipient=fee_recipient or h.fee_recipient,
            status=h.status if status is None else status,
            cosigners=[r.pubkey() for r in self.registry.quorum()] if cosigners is None else cosigners,
        )

    def update_market(self, market: Pubkey, **changes: int | MarketStatus | Pubkey) -> KeyedSent:
        ix = self.update_market_ix(market, **changes)  # type: ignore[arg-type]
        return self.record("update_market", self.send([ix], self.registry.quorum()))

    def set_market_maker_ix(
        self, market: Pubkey, trader: Pubkey, enabled: bool = True, cosigners: Sequence[Pubkey] | None = None
    ) -> Instruction:
        return self.client.set_market_maker(
            payer=self.payer.pubkey(),
            market=market,
            trader=trader,
            enabled=enabled,
            cosigners=[r.pubkey() for r in self.registry.quorum()] if cosigners is None else cosigners,
        )

    def set_market_maker(self, market: Pubkey, trader: Pubkey, enabled: bool = True) -> KeyedSent:
        ix = self.set_market_maker_ix(market, trader, enabled)
        return self.record("set_market_maker", self.send([ix], self.registry.quorum()))

    # -- registry standing and time --------------------------------------------------------------

    def wallet(
        self, role: UserRole = UserRole.PROSUMER, zone_id: int = ZONE_ID, verified: bool = True
    ) -> Keypair:
        """A funded wallet registered in ``zone_id`` with ``role`` (verified by a regulator, or pending)."""
        wallet = self.registry.wallet()
        self.registry.register(wallet, role, zone_id)
        if verified:
            self.registry.verify(wallet.pubkey())
        return wallet

    def suspend(self, wallet: Pubkey) -> None:
        regulator = self.registry.regulators[0]
        self.send(
            [self.registry.client.suspend_user(regulator=regulator.pubkey(), wallet=wallet)], [regulator]
        )

    def set_zone_status(self, status: ZoneStatus, zone_id: int = ZONE_ID) -> None:
        quorum = self.registry.quorum()
        ix = self.registry.client.set_zone_status(
            zone_id=zone_id, status=status, cosigners=[r.pubkey() for r in quorum]
        )
        self.send([ix], quorum)

    # -- registry pauses and governance ----------------------------------------------------------

    def pause(self, flags: int = PAUSE_TRADING, zone_id: int | None = ZONE_ID) -> None:
        """One regulator pauses ``flags`` in ``zone_id``, or market-wide when None (the registry's
        ``pause_zone`` / ``pause_market``)."""
        regulator = self.registry.regulators[0]
        self.send([self.registry_pause_ix("pause", flags, zone_id, [regulator.pubkey()])], [regulator])

    def resume(self, flags: int = PAUSE_TRADING, zone_id: int | None = ZONE_ID) -> None:
        """A regulator quorum resumes ``flags`` in ``zone_id``, or market-wide when None."""
        quorum = self.registry.quorum()
        self.send([self.registry_pause_ix("resume", flags, zone_id, [r.pubkey() for r in quorum])], quorum)

    def registry_pause_ix(
        self, verb: str, flags: int, zone_id: int | None, signers: Sequence[Pubkey]
    ) -> Instruction:
        """``pause_*`` (one regulator, the first of ``signers``) or ``resume_*`` (``signers`` co-sign) of
        the registry, for ``zone_id`` or market-wide."""
        coder = self.registry.client.coder
        accounts: dict[str, Pubkey] = {"config": self.client.registry_config()}
        if zone_id is not None:
            accounts["zone"] = self.client.registry_zone(zone_id)
        name = f"{verb}_{'market' if zone_id is None else 'zone'}"
        if verb == "pause":
            return coder.instruction(name, {"flags": flags}, {"regulator": signers[0], **accounts})
        ix = coder.instruction(name, {"flags": flags}, accounts)
        metas = [*ix.accounts, *(AccountMeta(s, is_signer=True, is_writable=False) for s in signers)]
        return Instruction(ix.program_id, ix.data, metas)

    def now(self) -> int:
        return self.registry.now()

    def advance(self, seconds: int) -> None:
        """Moves the cluster clock ``seconds`` forward."""
        self.registry.set_unix_time(self.now() + seconds)

    def forge(self, address: Pubkey, data: bytes, owner: Pubkey) -> None:
        """Puts an account with ``data`` owned by ``owner`` at ``address`` (what an attacker can create)."""
        lamports = self.svm.minimum_balance_for_rent_exemption(len(data))
        self.svm.set_account(address, Account(lamports, data, owner, False, 0))

    # -- invariants ------------------------------------------------------------------------------

    def assert_conserved(self, market: Pubkey) -> MarketState:
        """The vaults hold exactly the seats' free and locked balances (and the accrued fees in quote),
        every seat locks exactly what its resting orders lock, and the book is sorted and not crossed."""
        state = self.market_state(market)
        h = state.header
        base = sum(s.base_free + s.base_locked for s in state.seats)
        quote = sum(s.quote_free + s.quote_locked for s in state.seats) + h.fees_accrued
        assert self.token_balance(h.base_vault) == base, "base vault != seats' base"
        assert self.token_balance(h.quote_vault) == quote, "quote vault != seats' quote + fees"
        for seat in state.seats:
            orders = [o for o in (*state.bids, *state.asks) if o.seat == seat.index]
            assert seat.open_orders == len(orders), f"seat {seat.index} open_orders"
            asks = sum(locked_by(o, h) for o in orders if o.side == Side.ASK)
            bids = sum(locked_by(o, h) for o in orders if o.side == Side.BID)
            assert (seat.base_locked, seat.quote_locked) == (asks, bids), f"seat {seat.index} locked"
        bid_keys = [(-o.price, o.order_id) for o in state.bids]
        ask_keys = [(o.price, o.order_id) for o in state.asks]
        assert bid_keys == sorted(bid_keys) and ask_keys == sorted(ask_keys), "book out of priority order"
        if state.bids and state.asks:
            assert state.bids[0].price < state.asks[0].price, "crossed book"
        return state


def account_index(ix: Instruction, name: str) -> int:
    """Position of IDL account ``name`` in instruction ``ix`` of the trading program."""
    discriminator = bytes(ix.data)[:8]
    for spec in IDL["instructions"]:
        if bytes(spec["discriminator"]) == discriminator:
            names = [a["name"] for a in spec["accounts"]]
            return names.index(name)
    raise KeyError(f"no trading instruction with discriminator {discriminator.hex()}")


def replace_account(ix: Instruction, name: str, address: Pubkey) -> Instruction:
    return with_account(ix, account_index(ix, name), address)


def locked_by(order: RestingOrder, header: MarketHeader) -> int:
    """What a resting order locks: an ask its base atoms; a bid its quote and the maker fee it may still
    owe on the rest of its fill (``crates/order-book/src/escrow.rs``)."""
    if order.side == Side.ASK:
        return order.lots * header.base_atoms_per_lot
    unit = order.price * header.quote_per_lot_tick
    initial = order.initial_lots * unit
    rest = order.lots * unit
    return rest + fee(initial, order.maker_fee_bps) - fee(initial - rest, order.maker_fee_bps)


__all__ = [
    "SelfTradeMode",
    "Trader",
    "TradingEnv",
    "account_index",
    "code",
    "locked_by",
    "replace_account",
    "trading_keypair",
]

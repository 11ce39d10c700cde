"""Test harness for the trading program in the in-process LiteSVM, next to the registry it trusts.

:class:`TradingEnv` extends the registry's :class:`RegistryEnv` (config, regulators, zone, verified
users) with the trading program, a 9-decimal base mint standing in for GRID and a 6-decimal test
stablecoin (SPL Token mints whose authority is the payer, so tests can fund traders), and helpers for
markets, seats, deposits and orders. Every trading instruction's event is read back from the inner
instructions of the transaction (the program's self-CPI).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from registry_harness import REPO, ZONE_ID, RegistryEnv
from solders.compute_budget import set_compute_unit_limit
from solders.hash import Hash
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.message import Message
from solders.pubkey import Pubkey
from solders.system_program import CreateAccountParams, create_account
from spl.token.constants import TOKEN_PROGRAM_ID
from spl.token.instructions import (
    InitializeMintParams,
    MintToParams,
    create_idempotent_associated_token_account,
    get_associated_token_address,
    initialize_mint,
    mint_to,
)

from solgrid.localnet.svm import MAX_COMPUTE_UNITS, Sent
from solgrid.localnet.tokens import parse_token_account
from solgrid.sdk.idl import load_idl_json
from solgrid.sdk.trading import MarketParams, MarketState, TradingClient, TradingEvent, decode_event
from solgrid.sdk.trading.units import OrderKind, SelfTradeMode, Side

S = TypeVar("S", bound=Sent)
ERRORS: dict[str, int] = {e["name"]: e["code"] for e in load_idl_json("trading")["errors"]}
MINT_LEN = 82
MINT_RENT = 1_461_600
QUOTE_DECIMALS = 6
# 0.001 quote per kWh ticks and 1 Wh lots: one lot at one tick is 1 quote atom.
TICK_SIZE = 1_000
LOT_SIZE_WH = 1


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

    @property
    def svm(self):  # type: ignore[no-untyped-def]
        return self.registry.svm

    @property
    def payer(self) -> Keypair:
        return self.registry.payer

    # -- plumbing --------------------------------------------------------------------------------

    def send(self, instructions: Sequence[Instruction], signers: Sequence[Keypair] = ()) -> KeyedSent:
        sent = self.registry.send(instructions, signers)
        # The same message `send` built (the blockhash does not change the order of the keys).
        ixs = [set_compute_unit_limit(MAX_COMPUTE_UNITS), *instructions]
        keys = list(Message.new_with_blockhash(ixs, self.payer.pubkey(), Hash.default()).account_keys)
        return KeyedSent(sent.meta, keys)

    def fail(self, instructions: Sequence[Instruction], signers: Sequence[Keypair] = ()) -> int:
        return self.registry.fail(instructions, signers)

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
        self.send(
            [
                create_account(
                    CreateAccountParams(
                        from_pubkey=payer,
                        to_pubkey=mint.pubkey(),
                        lamports=MINT_RENT,
                        space=MINT_LEN,
                        owner=TOKEN_PROGRAM_ID,
                    )
                ),
                initialize_mint(
                    InitializeMintParams(
                        program_id=TOKEN_PROGRAM_ID,
                        mint=mint.pubkey(),
                        decimals=decimals,
                        mint_authority=payer,
                    )
                ),
            ],
            [mint],
        )

    def setup(self) -> None:
        """Registry market (T0, 3 regulators threshold 2, zone ZONE_ID), both mints, trading Config."""
        self.registry.market()
        self.create_mint(self.base_mint, 9)
        self.create_mint(self.quote_mint, QUOTE_DECIMALS)
        ix = self.client.initialize(
            payer=self.payer.pubkey(), authority=self.payer.pubkey(), base_mint=self.base_mint.pubkey()
        )
        self.record("initialize", self.send([ix]))

    def create_market(self, params: MarketParams | None = None, zone_id: int = ZONE_ID) -> Pubkey:
        params = params or MarketParams(
            tick_size=TICK_SIZE, lot_size_wh=LOT_SIZE_WH, fee_recipient=self.payer.pubkey()
        )
        quorum = self.registry.quorum()
        ix = self.client.create_market(
            payer=self.payer.pubkey(),
            zone_id=zone_id,
            base_mint=self.base_mint.pubkey(),
            quote_mint=self.quote_mint.pubkey(),
            params=params,
            cosigners=[r.pubkey() for r in quorum],
        )
        self.record("create_market", self.send([ix], quorum))
        return self.client.market_pda(zone_id, self.quote_mint.pubkey()).address

    def fund(self, owner: Pubkey, mint: Keypair, amount: int) -> Pubkey:
        ata = get_associated_token_address(owner, mint.pubkey())
        ixs = [create_idempotent_associated_token_account(self.payer.pubkey(), owner, mint.pubkey())]
        if amount:
            ixs.append(
                mint_to(
                    MintToParams(
                        program_id=TOKEN_PROGRAM_ID,
                        mint=mint.pubkey(),
                        dest=ata,
                        mint_authority=self.payer.pubkey(),
                        amount=amount,
                    )
                )
            )
        self.send(ixs)
        return ata

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

    def deposit(self, market: Pubkey, trader: Trader, vault: Pubkey, source: Pubkey, amount: int) -> Sent:
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


__all__ = ["SelfTradeMode", "Trader", "TradingEnv", "code", "trading_keypair"]

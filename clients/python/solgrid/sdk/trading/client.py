"""Typed client of the trading program: PDAs, instruction builders and account reads.

PDAs (under the trading program unless noted):

* Config ``["config"]``; event authority ``["__event_authority"]`` (Anchor's ``emit_cpi`` seed);
* market ``["market", zone_id u32 LE, quote_mint]``; vaults ``["vault", market, mint]``; the two epoch
  accounts of a periodic market ``["epoch", market, [slot]]`` (slot 0 and 1);
* the registry's Config ``["config"]``, Zone ``["zone", zone_id LE]`` and User ``["user", wallet]``
  under the registry program.

A periodic market's auction instructions are under "periodic markets" below; the crank that finishes an
epoch is :mod:`solgrid.sdk.trading.crank`.

Instructions that act for a trader name its seat (an index into the market's seats): read it with
:meth:`TradingClient.fetch_market` and :meth:`MarketState.seat_of`, or take it from ``SeatClaimed`` (or
``MarketMakerSet`` when that instruction gave the trader its seat).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

import base58
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Commitment, Confirmed
from solana.rpc.types import MemcmpOpts
from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey
from solders.system_program import ID as SYSTEM_PROGRAM_ID
from spl.token.constants import TOKEN_PROGRAM_ID

from solgrid.sdk import loader
from solgrid.sdk.anchor import AccountDecodeError, ProgramCoder
from solgrid.sdk.idl import load_idl
from solgrid.sdk.pda import Pda, find_pda
from solgrid.sdk.trading.epoch_account import AuctionEpoch, decode_epoch
from solgrid.sdk.trading.epochs import slot_of
from solgrid.sdk.trading.market import ZONE_ID_OFFSET, MarketState, decode_market
from solgrid.sdk.trading.units import (
    DEFAULT_MAKER_FEE_BPS,
    DEFAULT_MAX_ORDERS_PER_EPOCH,
    DEFAULT_TAKER_FEE_BPS,
    MAX_MATCHES,
    MAX_SETTLE_CHUNK,
    U64_MAX,
    MarketStatus,
    OrderKind,
    SelfTradeMode,
    Side,
)

PROGRAM_NAME = "trading"
REGISTRY_PROGRAM_NAME = "registry"
CONFIG_SEED = b"config"
MARKET_SEED = b"market"
VAULT_SEED = b"vault"
EPOCH_SEED = b"epoch"
EVENT_AUTHORITY_SEED = b"__event_authority"
REGISTRY_CONFIG_SEED = b"config"
REGISTRY_ZONE_SEED = b"zone"
REGISTRY_USER_SEED = b"user"


@dataclass(frozen=True)
class MarketParams:
    """A market's parameters (``create_market``). Defaults: taker 25 bps, maker 0, 100 orders per
    trader per 15-minute epoch."""

    tick_size: int
    """Quote atoms per kWh of one price tick."""
    lot_size_wh: int
    fee_recipient: Pubkey
    min_order_lots: int = 1
    taker_fee_bps: int = DEFAULT_TAKER_FEE_BPS
    maker_fee_bps: int = DEFAULT_MAKER_FEE_BPS
    max_orders_per_epoch: int = DEFAULT_MAX_ORDERS_PER_EPOCH


@dataclass(frozen=True)
class Config:
    authority: Pubkey
    registry_program: Pubkey
    base_mint: Pubkey
    event_authority: Pubkey
    bump: int
    event_authority_bump: int


def _idl_address(program: str) -> Pubkey:
    address = load_idl(program).address
    if address is None:
        raise ValueError(f"the {program} IDL has no address; pass the program id")
    return Pubkey.from_string(address)


def _u64(name: str, value: int) -> int:
    if not 0 <= value <= U64_MAX:
        raise ValueError(f"{name} must fit in a u64, got {value}")
    return value


class TradingClient:
    """Builds trading instructions and reads its accounts.

    ``registry_program_id`` is the registry the deployment trusts (default: the registry IDL's
    address); the registry PDAs that instructions pass are derived under it.
    """

    def __init__(self, program_id: Pubkey | None = None, registry_program_id: Pubkey | None = None) -> None:
        self.program_id = program_id or _idl_address(PROGRAM_NAME)
        self.registry_program_id = registry_program_id or _idl_address(REGISTRY_PROGRAM_NAME)
        self.coder = ProgramCoder(load_idl(PROGRAM_NAME), self.program_id)

    # -- addresses ---------------------------------------------------------------------------------

    def config_pda(self) -> Pda:
        return find_pda([CONFIG_SEED], self.program_id)

    def event_authority_pda(self) -> Pda:
        return find_pda([EVENT_AUTHORITY_SEED], self.program_id)

    def market_pda(self, zone_id: int, quote_mint: Pubkey) -> Pda:
        return find_pda([MARKET_SEED, struct.pack("<I", zone_id), bytes(quote_mint)], self.program_id)

    def vault_pda(self, market: Pubkey, mint: Pubkey) -> Pda:
        return find_pda([VAULT_SEED, bytes(market), bytes(mint)], self.program_id)

    def epoch_pda(self, market: Pubkey, slot: int) -> Pda:
        """The epoch account of ``slot`` (0 or 1) of a periodic market: epoch E lives in slot E % 2."""
        if slot not in (0, 1):
            raise ValueError(f"an epoch slot is 0 or 1, got {slot}")
        return find_pda([EPOCH_SEED, bytes(market), bytes([slot])], self.program_id)

    def registry_config(self) -> Pubkey:
        return find_pda([REGISTRY_CONFIG_SEED], self.registry_program_id).address

    def registry_zone(self, zone_id: int) -> Pubkey:
        return find_pda([REGISTRY_ZONE_SEED, struct.pack("<I", zone_id)], self.registry_program_id).address

    def registry_user(self, wallet: Pubkey) -> Pubkey:
        return find_pda([REGISTRY_USER_SEED, bytes(wallet)], self.registry_program_id).address

    def _events(self) -> dict[str, Pubkey]:
        return {
            "config": self.config_pda().address,
            "event_authority": self.event_authority_pda().address,
            "program": self.program_id,
        }

    @staticmethod
    def _cosigners(instruction: Instruction, cosigners: Sequence[Pubkey]) -> Instruction:
        metas = list(instruction.accounts) + [
            AccountMeta(c, is_signer=True, is_writable=False) for c in cosigners
        ]
        return Instruction(instruction.program_id, instruction.data, metas)

    # -- administration ----------------------------------------------------------------------------

    def initialize(self, *, payer: Pubkey, authority: Pubkey, base_mint: Pubkey) -> Instruction:
        """Creates the Config; ``authority`` must sign (and be the upgrade authority if upgradeable)."""
        return self.coder.instruction(
            "initialize",
            {},
            {
                "payer": payer,
                "authority": authority,
                "config": self.config_pda().address,
                "registry_program": self.registry_program_id,
                "base_mint": base_mint,
                "event_authority": self.event_authority_pda().address,
                "program": self.program_id,
                "program_data": loader.programdata_address(self.program_id),
                "system_program": SYSTEM_PROGRAM_ID,
            },
        )

    def create_market(
        self,
        *,
        payer: Pubkey,
        zone_id: int,
        base_mint: Pubkey,
        quote_mint: Pubkey,
        params: MarketParams,
        cosigners: Sequence[Pubkey],
        epoch_secs: int = 0,
    ) -> Instruction:
        """Opens the market of ``zone_id`` against ``quote_mint`` (regulator quorum ``cosigners`` sign):
        continuous (``epoch_secs`` 0) or a periodic call auction per epoch of ``epoch_secs`` seconds."""
        market = self.market_pda(zone_id, quote_mint).address
        ix = self.coder.instruction(
            "create_market",
            {"zone_id": zone_id, "params": self._params(params), "epoch_secs": epoch_secs},
            {
                "payer": payer,
                "registry_config": self.registry_config(),
                "zone": self.registry_zone(zone_id),
                "market": market,
                "base_mint": base_mint,
                "quote_mint": quote_mint,
                "base_vault": self.vault_pda(market, base_mint).address,
                "quote_vault": self.vault_pda(market, quote_mint).address,
                "system_program": SYSTEM_PROGRAM_ID,
                "token_program": TOKEN_PROGRAM_ID,
                **self._events(),
                "epoch_0": self.epoch_pda(market, 0).address,
                "epoch_1": self.epoch_pda(market, 1).address,
            },
        )
        return self._cosigners(ix, cosigners)

    @staticmethod
    def _params(params: MarketParams) -> dict[str, object]:
        return {
            "tick_size": _u64("tick_size", params.tick_size),
            "lot_size_wh": _u64("lot_size_wh", params.lot_size_wh),
            "min_order_lots": _u64("min_order_lots", params.min_order_lots),
            "taker_fee_bps": params.taker_fee_bps,
            "maker_fee_bps": params.maker_fee_bps,
            "max_orders_per_epoch": params.max_orders_per_epoch,
            "fee_recipient": params.fee_recipient,
        }

    def update_market(
        self,
        *,
        market: Pubkey,
        tick_size: int,
        lot_size_wh: int,
        min_order_lots: int,
        taker_fee_bps: int,
        maker_fee_bps: int,
        max_orders_per_epoch: int,
        fee_recipient: Pubkey,
        status: MarketStatus,
        cosigners: Sequence[Pubkey],
    ) -> Instruction:
        """Sets every parameter of ``market`` (regulator quorum ``cosigners`` sign): pass the current
        values of those that stay. Tick and lot size change only while no order rests."""
        ix = self.coder.instruction(
            "update_market",
            {
                "tick_size": _u64("tick_size", tick_size),
                "lot_size_wh": _u64("lot_size_wh", lot_size_wh),
                "min_order_lots": _u64("min_order_lots", min_order_lots),
                "taker_fee_bps": taker_fee_bps,
                "maker_fee_bps": maker_fee_bps,
                "max_orders_per_epoch": max_orders_per_epoch,
                "fee_recipient": fee_recipient,
                "status": self.coder.unit_variant("MarketStatus", int(status)),
            },
            {"registry_config": self.registry_config(), "market": market, **self._events()},
        )
        return self._cosigners(ix, cosigners)

    def set_market_maker(
        self, *, payer: Pubkey, market: Pubkey, trader: Pubkey, enabled: bool, cosigners: Sequence[Pubkey]
    ) -> Instruction:
        ix = self.coder.instruction(
            "set_market_maker",
            {"trader": trader, "enabled": enabled},
            {
                "payer": payer,
                "registry_config": self.registry_config(),
                "market": market,
                "system_program": SYSTEM_PROGRAM_ID,
                **self._events(),
            },
        )
        return self._cosigners(ix, cosigners)

    def grow_market(
        self, *, payer: Pubkey, market: Pubkey, extra_seats: int, extra_orders: int
    ) -> Instruction:
        """``payer`` adds seat and order slots to ``market`` ahead of use (emits ``MarketGrown``); the
        program refuses a growth that would leave more than 32 free seat slots or 256 free order
        slots (``TooMuchFreeCapacity``)."""
        return self.coder.instruction(
            "grow_market",
            {"extra_seats": extra_seats, "extra_orders": extra_orders},
            {"payer": payer, "market": market, "system_program": SYSTEM_PROGRAM_ID, **self._events()},
        )

    # -- traders -----------------------------------------------------------------------------------

    def claim_seat(self, *, trader: Pubkey, market: Pubkey) -> Instruction:
        return self.coder.instruction(
            "claim_seat",
            {},
            {
                "trader": trader,
                "user": self.registry_user(trader),
                "market": market,
                "system_program": SYSTEM_PROGRAM_ID,
                **self._events(),
            },
        )

    def deposit(
        self, *, trader: Pubkey, market: Pubkey, seat: int, vault: Pubkey, source: Pubkey, amount: int
    ) -> Instruction:
        """Deposits ``amount`` atoms from ``source`` into ``vault`` (the market's base or quote vault)."""
        return self.coder.instruction(
            "deposit",
            {"seat": seat, "amount": _u64("amount", amount)},
            {
                "trader": trader,
                "user": self.registry_user(trader),
                "market": market,
                "source": source,
                "vault": vault,
                "token_program": TOKEN_PROGRAM_ID,
                **self._events(),
            },
        )

    def withdraw(
        self, *, trader: Pubkey, market: Pubkey, seat: int, vault: Pubkey, destination: Pubkey, amount: int
    ) -> Instruction:
        return self.coder.instruction(
            "withdraw",
            {"seat": seat, "amount": _u64("amount", amount)},
            {
                "trader": trader,
                "market": market,
                "vault": vault,
                "destination": destination,
                "token_program": TOKEN_PROGRAM_ID,
                **self._events(),
            },
        )

    def place_order(
        self,
        *,
        trader: Pubkey,
        market: Pubkey,
        zone_id: int,
        seat: int,
        side: Side,
        price: int,
        lots: int,
        kind: OrderKind = OrderKind.LIMIT,
        client_order_id: int = 0,
        expires_at: int = 0,
        self_trade: SelfTradeMode = SelfTradeMode.CANCEL_RESTING,
        max_matches: int = MAX_MATCHES,
    ) -> Instruction:
        """Places an order of ``lots`` at ``price`` ticks (see :mod:`solgrid.sdk.trading.units`)."""
        return self.coder.instruction(
            "place_order",
            {
                "seat": seat,
                "side": self.coder.unit_variant("Side", int(side)),
                "kind": self.coder.unit_variant("OrderKind", int(kind)),
                "self_trade": self.coder.unit_variant("SelfTradeMode", int(self_trade)),
                "price": _u64("price", price),
                "lots": _u64("lots", lots),
                "client_order_id": _u64("client_order_id", client_order_id),
                "expires_at": expires_at,
                "max_matches": max_matches,
            },
            {
                "trader": trader,
                "registry_config": self.registry_config(),
                "user": self.registry_user(trader),
                "zone": self.registry_zone(zone_id),
                "market": market,
                "system_program": SYSTEM_PROGRAM_ID,
                **self._events(),
            },
        )

    def cancel_order(
        self, *, trader: Pubkey, market: Pubkey, seat: int, side: Side, price: int, order_id: int
    ) -> Instruction:
        return self.coder.instruction(
            "cancel_order",
            {
                "seat": seat,
                "side": self.coder.unit_variant("Side", int(side)),
                "price": _u64("price", price),
                "order_id": _u64("order_id", order_id),
            },
            {"trader": trader, "market": market, **self._events()},
        )

    def prune_expired(self, *, market: Pubkey, max_orders: int = MAX_MATCHES) -> Instruction:
        return self.coder.instruction(
            "prune_expired", {"max": max_orders}, {"market": market, **self._events()}
        )

    def collect_fees(
        self, *, fee_recipient: Pubkey, market: Pubkey, quote_vault: Pubkey, destination: Pubkey
    ) -> Instruction:
        return self.coder.instruction(
            "collect_fees",
            {},
            {
                "fee_recipient": fee_recipient,
                "market": market,
                "quote_vault": quote_vault,
                "destination": destination,
                "token_program": TOKEN_PROGRAM_ID,
                **self._events(),
            },
        )

    # -- periodic markets (call auction) ---------------------------------------------------------------

    def place_auction_order(
        self,
        *,
        trader: Pubkey,
        market: Pubkey,
        zone_id: int,
        seat: int,
        side: Side,
        price: int,
        lots: int,
        client_order_id: int = 0,
        expires_at: int = 0,
        rollover: bool = True,
    ) -> Instruction:
        """Joins the auction of the current epoch with ``lots`` at limit ``price`` ticks (locks the funds
        as a resting order does). With ``rollover`` what the auction does not match rolls into the next
        epoch (until filled, cancelled or expired); without, it is refunded at the end of this one.
        ``expires_at`` is 0 or not before the epoch's end. The trader pays the epoch account's growth."""
        return self.coder.instruction(
            "place_auction_order",
            {
                "seat": seat,
                "side": self.coder.unit_variant("Side", int(side)),
                "price": _u64("price", price),
                "lots": _u64("lots", lots),
                "client_order_id": _u64("client_order_id", client_order_id),
                "expires_at": expires_at,
                "rollover": rollover,
            },
            {
                "trader": trader,
                "registry_config": self.registry_config(),
                "user": self.registry_user(trader),
                "zone": self.registry_zone(zone_id),
                "market": market,
                "epoch_0": self.epoch_pda(market, 0).address,
                "epoch_1": self.epoch_pda(market, 1).address,
                "system_program": SYSTEM_PROGRAM_ID,
                **self._events(),
            },
        )

    def cancel_auction_order(
        self,
        *,
        trader: Pubkey,
        market: Pubkey,
        zone_id: int,
        seat: int,
        epoch: int,
        index: int,
        order_id: int,
    ) -> Instruction:
        """Cancels the trader's order ``order_id`` at ``index`` of ``epoch``'s auction in the market of
        grid zone ``zone_id`` (before the epoch's end, or any time while the market is paused or the
        registry pauses trading in the zone or market-wide)."""
        return self.coder.instruction(
            "cancel_auction_order",
            {
                "seat": seat,
                "epoch": _u64("epoch", epoch),
                "index": index,
                "order_id": _u64("order_id", order_id),
            },
            {
                "trader": trader,
                "registry_config": self.registry_config(),
                "zone": self.registry_zone(zone_id),
                "market": market,
                "epoch_account": self.epoch_pda(market, slot_of(epoch)).address,
                **self._events(),
            },
        )

    def clear_epoch(self, *, market: Pubkey, zone_id: int, epoch: int) -> Instruction:
        """Fixes ``epoch``'s clearing price (anyone, once the epoch ended and while trading is not paused;
        emits ``EpochCleared``)."""
        return self.coder.instruction(
            "clear_epoch",
            {"epoch": _u64("epoch", epoch)},
            {
                "registry_config": self.registry_config(),
                "zone": self.registry_zone(zone_id),
                "market": market,
                "epoch_account": self.epoch_pda(market, slot_of(epoch)).address,
                "other_epoch_account": self.epoch_pda(market, slot_of(epoch + 1)).address,
                **self._events(),
            },
        )

    def settle_epoch(
        self, *, payer: Pubkey, market: Pubkey, epoch: int, cursor: int, max_orders: int = MAX_SETTLE_CHUNK
    ) -> Instruction:
        """Settles up to ``max_orders`` (1 to 64) orders of cleared ``epoch`` from index ``cursor``, which
        must be where its settlement stands (anyone; ``payer`` pays the next epoch account's growth
        for orders that roll into it; emits ``EpochSettled``)."""
        if not 1 <= max_orders <= MAX_SETTLE_CHUNK:
            raise ValueError(f"a settlement chunk is 1 to {MAX_SETTLE_CHUNK} orders, got {max_orders}")
        return self.coder.instruction(
            "settle_epoch",
            {"epoch": _u64("epoch", epoch), "cursor": cursor, "max_orders": max_orders},
            {
                "payer": payer,
                "market": market,
                "epoch_account": self.epoch_pda(market, slot_of(epoch)).address,
                "next_epoch_account": self.epoch_pda(market, slot_of(epoch + 1)).address,
                "system_program": SYSTEM_PROGRAM_ID,
                **self._events(),
            },
        )

    # -- accounts ----------------------------------------------------------------------------------

    def decode_config(self, data: bytes) -> Config:
        raw = self.coder.decode_account("Config", data)
        return Config(
            authority=raw.authority,
            registry_program=raw.registry_program,
            base_mint=raw.base_mint,
            event_authority=raw.event_authority,
            bump=raw.bump,
            event_authority_bump=raw.event_authority_bump,
        )

    def decode_market(self, address: Pubkey, data: bytes) -> MarketState:
        return decode_market(address, data, self.coder.account_discriminator("Market"))

    def decode_epoch(self, address: Pubkey, data: bytes, market: MarketState | None = None) -> AuctionEpoch:
        """An epoch account; with its ``market``, each order names its trader."""
        seats = market.seats if market is not None else ()
        return decode_epoch(address, data, self.coder.account_discriminator("AuctionEpoch"), seats)

    async def fetch_config(
        self, connection: AsyncClient, commitment: Commitment = Confirmed
    ) -> Config | None:
        account = (await connection.get_account_info(self.config_pda().address, commitment=commitment)).value
        if account is None:
            return None
        if account.owner != self.program_id:
            raise AccountDecodeError(f"the trading Config is owned by {account.owner}, not {self.program_id}")
        return self.decode_config(bytes(account.data))

    async def fetch_market(
        self, connection: AsyncClient, market: Pubkey, commitment: Commitment = Confirmed
    ) -> MarketState | None:
        """The market (header, seats, book), or None when it does not exist."""
        account = (await connection.get_account_info(market, commitment=commitment)).value
        if account is None:
            return None
        if account.owner != self.program_id:
            raise AccountDecodeError(
                f"{market} is owned by {account.owner}, not the trading program {self.program_id}"
            )
        return self.decode_market(market, bytes(account.data))

    async def fetch_markets(
        self, connection: AsyncClient, commitment: Commitment = Confirmed, *, zone_id: int | None = None
    ) -> list[MarketState]:
        """Every market of the program, or of grid zone ``zone_id`` (``getProgramAccounts`` filtered on
        the Market discriminator and the header's zone id), by zone then quote mint."""
        discriminator = self.coder.account_discriminator("Market")
        filters = [MemcmpOpts(offset=0, bytes=base58.b58encode(discriminator).decode())]
        if zone_id is not None:
            zone = base58.b58encode(struct.pack("<I", zone_id)).decode()
            filters.append(MemcmpOpts(offset=ZONE_ID_OFFSET, bytes=zone))
        reply = await connection.get_program_accounts(
            self.program_id, commitment=commitment, encoding="base64", filters=filters
        )
        return sorted(
            (self.decode_market(item.pubkey, bytes(item.account.data)) for item in reply.value),
            key=lambda m: (m.header.zone_id, str(m.header.quote_mint)),
        )

    async def fetch_epochs(
        self, connection: AsyncClient, market: MarketState, commitment: Commitment = Confirmed
    ) -> list[AuctionEpoch]:
        """The epoch accounts of a periodic market (slot 0, then slot 1; none for a continuous market)."""
        addresses = [self.epoch_pda(market.address, slot).address for slot in (0, 1)]
        reply = (await connection.get_multiple_accounts(addresses, commitment=commitment)).value
        found = []
        for address, account in zip(addresses, reply, strict=True):
            if account is None:
                continue
            if account.owner != self.program_id:
                raise AccountDecodeError(
                    f"{address} is owned by {account.owner}, not the trading program {self.program_id}"
                )
            found.append(self.decode_epoch(address, bytes(account.data), market))
        return found

    async def fetch_epoch(
        self, connection: AsyncClient, market: MarketState, epoch: int, commitment: Commitment = Confirmed
    ) -> AuctionEpoch | None:
        """The epoch account holding ``epoch``, or None when its slot holds another epoch (not started,
        or reused since by a later epoch of the same parity) or does not exist."""
        for account in await self.fetch_epochs(connection, market, commitment):
            if account.holds(epoch):
                return account
        return None

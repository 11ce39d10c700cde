"""The attack table: every way an attacker might try to move someone else's funds, trade without
standing, or forge the program's accounts and events, each with the error that stops it.

Tick and lot violations: prices and quantities travel as whole ticks and lots (integers), so an
off-tick price cannot even be expressed on chain; what remains are zero, dust (below the minimum order)
and out-of-range prices (0, above 2^40 ticks), which the table covers, while the SDK and CLI refuse a
price or quantity that is not a whole number of ticks or lots before anything is sent
(``tests/cli/test_trading_units.py``).

Each attack runs in a fresh market (:func:`scene`) where a victim rests orders and holds balances, an
attacker is a verified trader with a seat and funds, and fees have accrued. After the refused
transaction the victim's seat, the vaults and the accrued fees are exactly as before, and the market
still conserves its funds.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass

import pytest
import spl.token.instructions as spl_token
from instruction_edits import with_meta
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from spl.token.constants import TOKEN_PROGRAM_ID
from trading_harness import PAUSE_TRADING, KeyedSent, Trader, TradingEnv, code, replace_account

from solgrid.sdk.registry import UserRole, ZoneStatus
from solgrid.sdk.trading import MarketStatus, RestingOrder, Side
from solgrid.sdk.trading.events import EVENT_IX_TAG_LE
from solgrid.sdk.trading.units import MAX_PRICE_TICKS

GRID = 10**9
OTHER_ZONE = 8
MIN_ORDER_LOTS = 5
# Market account layout: discriminator, header, then the seats (base_free follows the 32-byte trader).
SEATS_AT = 8 + 424
SEAT_LEN = 96


@dataclass
class Scene:
    env: TradingEnv
    market: Pubkey
    victim: Trader
    attacker: Trader
    recipient: Keypair
    """The market's fee recipient."""
    other_quote: Keypair
    other_market: Pubkey
    """The market of the same zone against ``other_quote``."""
    attacker_there: Trader
    """The attacker's seat in ``other_market``."""
    deposit_event: bytes
    """Instruction data of a real self-CPI event (the victim's deposit)."""

    @property
    def base_vault(self) -> Pubkey:
        return self.env.market_state(self.market).header.base_vault

    @property
    def quote_vault(self) -> Pubkey:
        return self.env.market_state(self.market).header.quote_vault

    @property
    def victim_ask(self) -> RestingOrder:
        return next(o for o in self.env.market_state(self.market).asks if o.trader == self.victim.pubkey)

    def place(self, trader: Trader | None = None, side: Side = Side.BID, price: int = 90, lots: int = 10,
              **extra: int) -> Instruction:  # fmt: skip
        trader = trader or self.attacker
        return self.env.place_ix(self.market, trader, side, price, lots, **extra)  # type: ignore[arg-type]

    def withdraw(self, vault: Pubkey | None = None, amount: int = GRID, **extra: Pubkey | int) -> Instruction:
        return self.env.withdraw_ix(self.market, self.attacker, vault or self.base_vault, amount, **extra)  # type: ignore[arg-type]

    def deposit(self, vault: Pubkey | None = None, source: Pubkey | None = None, amount: int = GRID,
                seat: int | None = None) -> Instruction:  # fmt: skip
        return self.env.client.deposit(
            trader=self.attacker.pubkey,
            market=self.market,
            seat=self.attacker.seat if seat is None else seat,
            vault=vault or self.base_vault,
            source=source or self.attacker.base_account,
            amount=amount,
        )

    def collect(self, recipient: Pubkey, destination: Pubkey) -> Instruction:
        return self.env.collect_fees_ix(self.market, recipient, destination)

    def copied_market(self, owner: Pubkey | None = None) -> Pubkey:
        """A byte-for-byte copy of the market, owned by another program (the attacker's), in which the
        attacker's seat holds 1,000 GRID free."""
        data = bytearray(self.env.registry.data(self.market))
        at = SEATS_AT + self.attacker.seat * SEAT_LEN + 32
        data[at : at + 8] = struct.pack("<Q", 1_000 * GRID)
        fake = Keypair().pubkey()
        self.env.forge(fake, bytes(data), owner or Keypair().pubkey())
        return fake

    def forged_user(self, wallet: Pubkey) -> Pubkey:
        """A registry User for ``wallet`` (Verified, prosumer, this zone) owned by another program."""
        data = bytearray(self.env.registry.data(self.env.client.registry_user(self.victim.pubkey)))
        data[8:40] = bytes(wallet)
        fake = Keypair().pubkey()
        self.env.forge(fake, bytes(data), Keypair().pubkey())
        return fake


def scene(env: TradingEnv) -> Scene:
    recipient = env.registry.wallet()
    market = env.create_market(
        env.default_params(min_order_lots=MIN_ORDER_LOTS, fee_recipient=recipient.pubkey())
    )
    victim = env.trader(market, base=10 * GRID, quote=1_000_000)
    env.fund(victim.pubkey, env.quote_mint, 1)
    deposit_event = inner_event(
        env, env.deposit(market, victim, env.vault(market, Side.BID), victim.quote_account, 1)
    )
    env.place(market, victim, Side.ASK, price=100, lots=50)
    env.place(market, victim, Side.BID, price=80, lots=50)
    attacker = env.trader(market, base=GRID, quote=100_000)
    env.fund(attacker.pubkey, env.base_mint, 5 * GRID)
    env.fund(attacker.pubkey, env.quote_mint, 500_000)
    env.place(market, attacker, Side.BID, price=100, lots=10)  # fees accrue
    other_quote = Keypair()
    env.create_mint(other_quote, 6)
    other_market = env.create_market(quote_mint=other_quote.pubkey())
    attacker_there = env.trader(other_market, base=GRID, wallet=attacker.wallet)
    return Scene(
        env, market, victim, attacker, recipient, other_quote, other_market, attacker_there, deposit_event
    )


def inner_event(env: TradingEnv, sent: KeyedSent) -> bytes:
    """The instruction data of a transaction's (only) self-CPI event."""
    for group in sent.meta.inner_instructions():
        for inner in group:
            ix = inner.instruction()
            if sent.keys[ix.program_id_index] == env.client.program_id:
                return bytes(ix.data)
    raise AssertionError("no self-CPI event")


Attack = Callable[[Scene], tuple[list[Instruction], list[Keypair]]]
ATTACKS: list[tuple[str, str | int, Attack]] = []


def attack(name: str, error: str | int) -> Callable[[Attack], Attack]:
    def register(build: Attack) -> Attack:
        ATTACKS.append((name, error, build))
        return build

    return register


# -- fake markets ----------------------------------------------------------------------------------------


@attack("place on a copy of the market owned by another program", "InvalidOwner")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    ix = replace_account(s.place(), "market", s.copied_market())
    return [ix], [s.attacker.wallet]


@attack("withdraw through a copied market that credits the attacker", "InvalidOwner")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    ix = replace_account(s.withdraw(amount=100 * GRID), "market", s.copied_market())
    return [ix], [s.attacker.wallet]


@attack("withdraw through a system account posing as the market", "InvalidOwner")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    return [replace_account(s.withdraw(), "market", s.attacker.pubkey)], [s.attacker.wallet]


@attack("deposit into a copied market", "InvalidOwner")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    return [replace_account(s.deposit(), "market", s.copied_market())], [s.attacker.wallet]


@attack("cancel the victim's order in a copied market", "InvalidOwner")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    ix = replace_account(s.env.cancel_ix(s.market, s.attacker, s.victim_ask), "market", s.copied_market())
    return [ix], [s.attacker.wallet]


@attack("collect fees from a copied market naming the attacker as fee recipient", "InvalidOwner")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    data = bytearray(s.env.registry.data(s.market))
    recipient_at = 8 + 6 * 32
    data[recipient_at : recipient_at + 32] = bytes(s.attacker.pubkey)
    fake = Keypair().pubkey()
    s.env.forge(fake, bytes(data), Keypair().pubkey())
    ix = replace_account(s.collect(s.attacker.pubkey, s.attacker.quote_account), "market", fake)
    return [ix], [s.attacker.wallet]


@attack("grow a copied market", "InvalidOwner")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    ix = s.env.client.grow_market(
        payer=s.attacker.pubkey, market=s.copied_market(), extra_seats=1, extra_orders=0
    )
    return [ix], [s.attacker.wallet]


@attack("withdraw this market's vault through another market of the program", "InvalidVault")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    ix = s.env.withdraw_ix(s.other_market, s.attacker_there, s.base_vault, GRID)
    return [ix], [s.attacker.wallet]


# -- fake vaults -----------------------------------------------------------------------------------------


@attack("deposit into the attacker's own token account posing as the vault", "InvalidVault")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    own = s.env.fund(Keypair().pubkey(), s.env.base_mint, 0)
    return [s.deposit(vault=own)], [s.attacker.wallet]


@attack("withdraw from a token account posing as the vault", "InvalidVault")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    fake = s.env.fund(Keypair().pubkey(), s.env.base_mint, 10 * GRID)
    return [s.withdraw(vault=fake, destination=s.attacker.base_account)], [s.attacker.wallet]


@attack("withdraw from another market's vault", "InvalidVault")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    other = s.env.market_state(s.other_market).header.base_vault
    return [s.withdraw(vault=other)], [s.attacker.wallet]


@attack("collect fees from a token account posing as the quote vault", "InvalidVault")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    fake = s.env.fund(Keypair().pubkey(), s.env.quote_mint, 10**6)
    destination = s.env.fund(s.recipient.pubkey(), s.env.quote_mint, 0)
    ix = replace_account(s.collect(s.recipient.pubkey(), destination), "quote_vault", fake)
    return [ix], [s.recipient]


@attack("withdraw into the vault itself", "InvalidVault")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    return [s.withdraw(destination=s.base_vault)], [s.attacker.wallet]


# -- bloating a market ----------------------------------------------------------------------------------


def fill_up(s: Scene, seats: bool) -> Instruction:
    """grow_market paid by the attacker up to the free capacity a market may have (32 seat slots or 256
    order slots), then one slot more."""
    header = s.env.market_state(s.market).header
    free = (
        header.seat_capacity - header.seat_count
        if seats
        else header.order_capacity - header.bid_count - header.ask_count
    )
    room, step = (32 - free, 100) if seats else (256 - free, 180)

    def grow(n: int) -> Instruction:
        return s.env.client.grow_market(
            payer=s.attacker.pubkey,
            market=s.market,
            extra_seats=n if seats else 0,
            extra_orders=0 if seats else n,
        )

    for at in range(0, room, step):
        s.env.send([grow(min(step, room - at))], [s.attacker.wallet])
    return grow(1)


@attack("bloat a market with free seat slots", "TooMuchFreeCapacity")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    return [fill_up(s, seats=True)], [s.attacker.wallet]


@attack("bloat a market with free order slots", "TooMuchFreeCapacity")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    return [fill_up(s, seats=False)], [s.attacker.wallet]


# -- other traders' seats and orders ----------------------------------------------------------------------


@attack("withdraw from the victim's seat", "WrongSeat")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    return [s.withdraw(seat=s.victim.seat)], [s.attacker.wallet]


@attack("withdraw from a seat index beyond the seats", "WrongSeat")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    return [s.withdraw(seat=1_000)], [s.attacker.wallet]


@attack("place an order from the victim's seat", "WrongSeat")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    return [s.place(seat=s.victim.seat)], [s.attacker.wallet]


@attack("deposit into the victim's seat", "WrongSeat")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    return [s.deposit(seat=s.victim.seat)], [s.attacker.wallet]


@attack("cancel the victim's order naming the victim's seat", "WrongSeat")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    ix = s.env.cancel_ix(s.market, s.attacker, s.victim_ask, seat=s.victim.seat)
    return [ix], [s.attacker.wallet]


@attack("cancel the victim's order from the attacker's seat", "NotOrderOwner")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    return [s.env.cancel_ix(s.market, s.attacker, s.victim_ask)], [s.attacker.wallet]


@attack("use the attacker's seat index of another market", "WrongSeat")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    return [s.place(seat=s.attacker_there.seat)], [s.attacker.wallet]


# -- wrong mints -----------------------------------------------------------------------------------------


@attack("deposit quote tokens into the base vault", "WrongTokenMint")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    return [s.deposit(source=s.attacker.quote_account, amount=1_000)], [s.attacker.wallet]


@attack("deposit the other market's quote mint into this market's quote vault", "WrongTokenMint")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    source = s.env.fund(s.attacker.pubkey, s.other_quote, 1_000)
    return [s.deposit(vault=s.quote_vault, source=source, amount=1_000)], [s.attacker.wallet]


@attack("deposit from a forged token account (SPL Token's layout, another owner program)", "WrongTokenMint")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    fake = Keypair().pubkey()
    s.env.forge(fake, s.env.registry.data(s.attacker.base_account), Keypair().pubkey())
    return [s.deposit(source=fake)], [s.attacker.wallet]


@attack("withdraw base into a quote token account", "WrongTokenMint")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    return [s.withdraw(destination=s.attacker.quote_account, amount=1)], [s.attacker.wallet]


@attack("withdraw into a wallet (no token account)", "WrongTokenMint")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    return [s.withdraw(destination=s.attacker.pubkey, amount=1)], [s.attacker.wallet]


@attack("collect quote fees into a base token account", "WrongTokenMint")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    destination = s.env.fund(s.recipient.pubkey(), s.env.base_mint, 0)
    return [s.collect(s.recipient.pubkey(), destination)], [s.recipient]


@attack("collect fees into the quote mint itself", "WrongTokenMint")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    return [s.collect(s.recipient.pubkey(), s.env.quote_mint.pubkey())], [s.recipient]


# -- token account owners --------------------------------------------------------------------------------


@attack("deposit from the victim's token account into the attacker's seat", "WrongTokenOwner")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    return [s.deposit(source=s.victim.base_account, amount=1)], [s.attacker.wallet]


@attack("deposit from a victim's account the attacker is only a delegate of", "WrongTokenOwner")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    """SPL Token alone would let the delegate move the victim's GRID; the program takes deposits from
    their owner only."""
    s.env.fund(s.victim.pubkey, s.env.base_mint, GRID)
    approve = spl_token.approve(
        spl_token.ApproveParams(
            program_id=TOKEN_PROGRAM_ID,
            source=s.victim.base_account,
            delegate=s.attacker.pubkey,
            owner=s.victim.pubkey,
            amount=GRID,
        )
    )
    s.env.send([approve], [s.victim.wallet])
    return [s.deposit(source=s.victim.base_account, amount=GRID)], [s.attacker.wallet]


# -- registry standing -----------------------------------------------------------------------------------


@attack("an unregistered wallet with a market-maker seat places", "InvalidUser")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    wallet = s.env.registry.wallet()
    s.env.set_market_maker(s.market, wallet.pubkey())
    seat = s.env.market_state(s.market).seat_of(wallet.pubkey())
    assert seat is not None
    trader = Trader(wallet, seat.index, s.attacker.base_account, s.attacker.quote_account)
    return [s.place(trader)], [wallet]


@attack("a pending (unverified) user claims a seat", "UserNotVerified")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    wallet = s.env.wallet(verified=False)
    return [s.env.client.claim_seat(trader=wallet.pubkey(), market=s.market)], [wallet]


@attack("a pending (unverified) market maker places", "UserNotVerified")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    wallet = s.env.wallet(verified=False)
    s.env.set_market_maker(s.market, wallet.pubkey())
    seat = s.env.market_state(s.market).seat_of(wallet.pubkey())
    assert seat is not None
    trader = Trader(wallet, seat.index, s.attacker.base_account, s.attacker.quote_account)
    return [s.place(trader)], [wallet]


@attack("a suspended trader places", "UserNotVerified")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    s.env.suspend(s.attacker.pubkey)
    return [s.place()], [s.attacker.wallet]


@attack("a suspended trader deposits", "UserNotVerified")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    s.env.suspend(s.attacker.pubkey)
    return [s.deposit()], [s.attacker.wallet]


@attack("a suspended trader passes the victim's verified User", "InvalidUser")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    s.env.suspend(s.attacker.pubkey)
    ix = replace_account(s.place(), "user", s.env.client.registry_user(s.victim.pubkey))
    return [ix], [s.attacker.wallet]


@attack("place with a forged User (registry layout, Verified, another owner)", "InvalidUser")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    s.env.suspend(s.attacker.pubkey)
    ix = replace_account(s.place(), "user", s.forged_user(s.attacker.pubkey))
    return [ix], [s.attacker.wallet]


@attack("claim a seat with a forged User", "InvalidUser")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    wallet = s.env.registry.wallet()
    ix = s.env.client.claim_seat(trader=wallet.pubkey(), market=s.market)
    return [replace_account(ix, "user", s.forged_user(wallet.pubkey()))], [wallet]


@attack("deposit with a forged User", "InvalidUser")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    s.env.suspend(s.attacker.pubkey)
    return [replace_account(s.deposit(), "user", s.forged_user(s.attacker.pubkey))], [s.attacker.wallet]


@attack("a consumer sells", "RoleCannotSell")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    consumer = s.env.trader(s.market, base=GRID, wallet=s.env.wallet(UserRole.CONSUMER))
    return [s.place(consumer, Side.ASK, price=200)], [consumer.wallet]


@attack("a trader of another zone sells", "WrongZone")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    s.env.registry.create_zone(OTHER_ZONE, "south")
    stranger = s.env.trader(s.market, base=GRID, wallet=s.env.wallet(zone_id=OTHER_ZONE))
    return [s.place(stranger, Side.ASK, price=200)], [stranger.wallet]


@attack("a consumer registered as market maker sells", "RoleCannotSell")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    consumer = s.env.trader(s.market, base=GRID, wallet=s.env.wallet(UserRole.CONSUMER))
    s.env.set_market_maker(s.market, consumer.pubkey)
    return [s.place(consumer, Side.ASK, price=200)], [consumer.wallet]


@attack("a market maker of another zone sells", "WrongZone")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    s.env.registry.create_zone(OTHER_ZONE, "south")
    stranger = s.env.trader(s.market, base=GRID, wallet=s.env.wallet(zone_id=OTHER_ZONE))
    s.env.set_market_maker(s.market, stranger.pubkey)
    return [s.place(stranger, Side.ASK, price=200)], [stranger.wallet]


@attack("place while the zone is halted", "ZoneHalted")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    s.env.set_zone_status(ZoneStatus.HALTED)
    return [s.place(lots=MIN_ORDER_LOTS)], [s.attacker.wallet]


@attack("place in a halted zone with a copy of the zone as it was", "InvalidZone")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    zone = s.env.client.registry_zone(s.env.market_state(s.market).header.zone_id)
    fake = Keypair().pubkey()
    s.env.forge(fake, s.env.registry.data(zone), s.env.registry.program_id)
    s.env.set_zone_status(ZoneStatus.HALTED)
    return [replace_account(s.place(), "zone", fake)], [s.attacker.wallet]


@attack("place in a halted zone naming another, open zone", "InvalidZone")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    s.env.registry.create_zone(OTHER_ZONE, "south")
    s.env.set_zone_status(ZoneStatus.HALTED)
    ix = replace_account(s.place(), "zone", s.env.client.registry_zone(OTHER_ZONE))
    return [ix], [s.attacker.wallet]


@attack("place while governance paused trading in the zone", "TradingPaused")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    s.env.pause(PAUSE_TRADING)
    return [s.place()], [s.attacker.wallet]


@attack(
    "place while trading is paused market-wide with a copy of the registry Config as it was",
    "InvalidRegistryConfig",
)
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    before = s.env.registry.data(s.env.client.registry_config())
    fake = Keypair().pubkey()
    s.env.forge(fake, before, Keypair().pubkey())
    s.env.pause(PAUSE_TRADING, None)
    return [replace_account(s.place(), "registry_config", fake)], [s.attacker.wallet]


@attack("place in a paused market", "MarketPaused")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    s.env.update_market(s.market, status=MarketStatus.PAUSED)
    return [s.place()], [s.attacker.wallet]


# -- signatures ------------------------------------------------------------------------------------------


@attack("place for the victim without its signature", "MissingSigner")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    return [with_meta(s.place(s.victim, Side.ASK, price=1, lots=50), 0, signer=False)], []


@attack("cancel the victim's order without its signature", "MissingSigner")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    return [with_meta(s.env.cancel_ix(s.market, s.victim, s.victim_ask), 0, signer=False)], []


@attack("withdraw the victim's funds to the attacker without its signature", "MissingSigner")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    ix = s.env.withdraw_ix(s.market, s.victim, s.base_vault, GRID, destination=s.attacker.base_account)
    return [with_meta(ix, 0, signer=False)], []


@attack("deposit from the victim's account without its signature", "MissingSigner")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    ix = s.env.client.deposit(
        trader=s.victim.pubkey,
        market=s.market,
        seat=s.victim.seat,
        vault=s.quote_vault,
        source=s.victim.quote_account,
        amount=1,
    )
    return [with_meta(ix, 0, signer=False)], []


@attack("collect fees without the recipient's signature", "MissingSigner")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    ix = s.collect(s.recipient.pubkey(), s.attacker.quote_account)
    return [with_meta(ix, 0, signer=False)], []


@attack("collect fees as the attacker", "NotFeeRecipient")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    return [s.collect(s.attacker.pubkey, s.attacker.quote_account)], [s.attacker.wallet]


@attack("register oneself as market maker", "RegulatorThresholdNotMet")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    ix = s.env.set_market_maker_ix(s.market, s.attacker.pubkey, cosigners=[s.attacker.pubkey])
    return [ix], [s.attacker.wallet]


@attack("redirect the fees with one regulator signing twice", "RegulatorThresholdNotMet")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    one = s.env.registry.regulators[0]
    ix = s.env.update_market_ix(
        s.market, fee_recipient=s.attacker.pubkey, cosigners=[one.pubkey(), one.pubkey()]
    )
    return [ix], [one]


# -- events and the program's own accounts ----------------------------------------------------------------


@attack("place with the event authority replaced", "InvalidEventAuthority")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    return [replace_account(s.place(), "event_authority", s.attacker.pubkey)], [s.attacker.wallet]


@attack("withdraw with the program account replaced", "InvalidEventAuthority")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    return [replace_account(s.withdraw(), "program", s.env.registry.program_id)], [s.attacker.wallet]


@attack("place with a system account as Config", "InvalidOwner")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    return [replace_account(s.place(), "config", s.attacker.pubkey)], [s.attacker.wallet]


@attack("withdraw with a copy of Config owned by another program", "InvalidOwner")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    fake = Keypair().pubkey()
    s.env.forge(fake, s.env.registry.data(s.env.client.config_pda().address), Keypair().pubkey())
    return [replace_account(s.withdraw(), "config", fake)], [s.attacker.wallet]


@attack("withdraw with another token program", "InvalidTokenProgram")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    return [replace_account(s.withdraw(), "token_program", s.env.registry.program_id)], [s.attacker.wallet]


def event_instruction(s: Scene, first: AccountMeta, config: Pubkey | None = None) -> Instruction:
    """The event instruction sent top-level, replaying a real event's data."""
    assert s.deposit_event[:8] == EVENT_IX_TAG_LE
    config_meta = AccountMeta(config or s.env.client.config_pda().address, False, False)
    return Instruction(s.env.client.program_id, s.deposit_event, [first, config_meta])


@attack("emit an event top-level signed by a wallet", "InvalidEventAuthority")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    return [event_instruction(s, AccountMeta(s.attacker.pubkey, True, False))], [s.attacker.wallet]


@attack("emit an event top-level naming the event authority, which cannot sign", "MissingSigner")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    authority = s.env.client.event_authority_pda().address
    return [event_instruction(s, AccountMeta(authority, False, False))], []


@attack("emit an event top-level with a forged Config naming the wallet", "InvalidOwner")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    data = bytearray(s.env.registry.data(s.env.client.config_pda().address))
    data[8 + 3 * 32 : 8 + 4 * 32] = bytes(s.attacker.pubkey)  # Config.event_authority
    fake = Keypair().pubkey()
    s.env.forge(fake, bytes(data), Keypair().pubkey())
    return [event_instruction(s, AccountMeta(s.attacker.pubkey, True, False), fake)], [s.attacker.wallet]


# -- quantities and prices -------------------------------------------------------------------------------


@attack("place zero lots", "ZeroQuantity")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    return [s.place(lots=0)], [s.attacker.wallet]


@attack("place dust below the minimum order", "BelowMinimumOrder")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    return [s.place(lots=MIN_ORDER_LOTS - 1)], [s.attacker.wallet]


@attack("deposit zero", "ZeroQuantity")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    return [s.deposit(amount=0)], [s.attacker.wallet]


@attack("withdraw zero", "ZeroQuantity")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    return [s.withdraw(amount=0)], [s.attacker.wallet]


@attack("withdraw more than the seat holds", "InsufficientFunds")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    free = s.env.market_state(s.market).seats[s.attacker.seat].base_free
    return [s.withdraw(amount=free + 1)], [s.attacker.wallet]


@attack("place at price zero", "InvalidPrice")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    return [s.place(price=0)], [s.attacker.wallet]


@attack("place above the highest price", "InvalidPrice")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    return [s.place(side=Side.ASK, price=MAX_PRICE_TICKS + 1)], [s.attacker.wallet]


@attack("place an order whose quote overflows 64 bits", "ArithmeticOverflow")
def _(s: Scene) -> tuple[list[Instruction], list[Keypair]]:
    return [s.place(price=MAX_PRICE_TICKS, lots=2**24)], [s.attacker.wallet]


@pytest.mark.parametrize(("name", "error", "build"), ATTACKS, ids=[a[0] for a in ATTACKS])
def test_attack_is_refused(trading: TradingEnv, name: str, error: str | int, build: Attack) -> None:
    env = trading
    s = scene(env)
    instructions, signers = build(s)
    before = env.market_state(s.market)
    vaults = (env.token_balance(s.base_vault), env.token_balance(s.quote_vault))
    expected = code(error) if isinstance(error, str) else error
    assert env.fail(instructions, signers) == expected, name
    after = env.market_state(s.market)
    assert after.seats[s.victim.seat] == before.seats[s.victim.seat]
    assert after.seats[s.attacker.seat].base_free == before.seats[s.attacker.seat].base_free
    assert (after.bids, after.asks) == (before.bids, before.asks)
    assert after.header.fees_accrued == before.header.fees_accrued
    assert (env.token_balance(s.base_vault), env.token_balance(s.quote_vault)) == vaults
    env.assert_conserved(s.market)


def test_the_table_covers_the_issues_attacks() -> None:
    names = " ".join(name for name, _, _ in ATTACKS)
    topics = [
        "copied market",
        "posing as the vault",
        "victim's seat",
        "quote tokens",
        "victim's token account",
        "delegate",
        "pending",
        "suspended",
        "halted",
        "paused trading",
        "without its signature",
        "event authority",
        "Config",
        "forged User",
        "zero",
        "dust",
        "price",
        "bloat",
    ]
    for topic in topics:
        assert topic in names, topic
    assert len({name for name, _, _ in ATTACKS}) == len(ATTACKS)

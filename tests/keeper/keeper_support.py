"""A market on a node of the test's own, many traders placing auction orders, the node's clock moved
epoch by epoch, and what the chain says happened (events, balances) to check a keeper against.

The node belongs to the test (its clock is moved forward, which a shared node must not see). The
authority the node funds is the registry's only regulator; it creates one zone, a 9-decimal base mint
standing in for GRID, a 6-decimal stablecoin, the trading Config and one market (periodic, or
continuous with ``epoch_secs`` 0). Traders are verified users (half prosumers, who sell and buy; half
consumers, who buy) with a seat and deposits.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from solana.rpc.async_api import AsyncClient
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.system_program import TransferParams, transfer
from spl.token.instructions import get_associated_token_address

from solgrid.sdk.clock import cluster_time
from solgrid.sdk.keys import write_keypair
from solgrid.sdk.mints import MINT_LEN, create_mint_instructions, mint_to_owner_instructions
from solgrid.sdk.registry import Limits, RegistryClient, UserRole
from solgrid.sdk.trading import EpochCleared, EpochSettled, MarketParams, TradingClient
from solgrid.sdk.trading.funding import auction_requirement
from solgrid.sdk.trading.trades import transaction_events
from solgrid.sdk.trading.units import Side
from solgrid.sdk.transactions import send_and_confirm

ZONE = 4
BASE_EACH = 20_000 * 10**6  # 20 kWh of "GRID" per prosumer
QUOTE_EACH = 50_000_000  # 50.0 of the stablecoin per trader
SOL = 10**9
PRICES = (95, 105)
"""Limit prices of the random orders, ticks (bids and asks overlap around 100)."""


@dataclass
class Trader:
    wallet: Keypair
    seller: bool
    seat: int = -1

    @property
    def key(self) -> Pubkey:
        return self.wallet.pubkey()


@dataclass
class AuctionScene:
    url: str
    authority: Keypair
    market: Pubkey
    base_mint: Pubkey
    quote_mint: Pubkey
    epoch_secs: int
    traders: list[Trader]
    minted: dict[Pubkey, int] = field(default_factory=dict)
    trading: TradingClient = field(default_factory=TradingClient)
    registry: RegistryClient = field(default_factory=RegistryClient)


async def rpc_call(url: str, method: str, params: list[object]) -> object:
    async with httpx.AsyncClient() as http:
        answer = (
            await http.post(url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
        ).json()
    assert "result" in answer, answer
    return answer["result"]


async def set_clock(url: str, unix_timestamp: int) -> None:
    """Move the node's clock forward to ``unix_timestamp`` (it then runs on with real time)."""
    await rpc_call(url, "solgrid_setClock", [{"unixTimestamp": unix_timestamp}])


async def start_of_next_epoch(rpc: AsyncClient, url: str, epoch_secs: int) -> int:
    """Move the clock to one second into the next epoch; that epoch's number."""
    epoch = await cluster_time(rpc) // epoch_secs + 1
    await set_clock(url, epoch * epoch_secs + 1)
    return epoch


async def _mint(rpc: AsyncClient, authority: Keypair, decimals: int) -> Pubkey:
    mint = Keypair()
    lamports = (await rpc.get_minimum_balance_for_rent_exemption(MINT_LEN)).value
    me = authority.pubkey()
    await send_and_confirm(rpc, create_mint_instructions(me, mint, decimals, me, lamports), authority, [mint])
    return mint.pubkey()


async def auction_scene(
    rpc: AsyncClient, url: str, authority: Keypair, *, traders: int, epoch_secs: int, maker_fee_bps: int = 10
) -> AuctionScene:
    """Registry, zone, mints, trading Config, a market (periodic with ``epoch_secs``, continuous with 0)
    and ``traders`` funded traders with seats and deposits (every other one a prosumer)."""
    registry, trading = RegistryClient(), TradingClient()
    me = authority.pubkey()
    await send_and_confirm(
        rpc,
        [
            registry.initialize(payer=me, authority=me, limits=Limits()),
            registry.set_regulators(regulators=[me], threshold=1, cosigners=[me]),
            registry.create_zone(
                payer=me, zone_id=ZONE, name="keeper", max_capacity_kw=1_000, cosigners=[me]
            ),
        ],
        authority,
    )
    base_mint = await _mint(rpc, authority, 9)
    quote_mint = await _mint(rpc, authority, 6)
    await send_and_confirm(rpc, [trading.initialize(payer=me, authority=me, base_mint=base_mint)], authority)
    params = MarketParams(tick_size=1_000, lot_size_wh=100, fee_recipient=me, maker_fee_bps=maker_fee_bps)
    create = trading.create_market(
        payer=me,
        zone_id=ZONE,
        base_mint=base_mint,
        quote_mint=quote_mint,
        params=params,
        cosigners=[me],
        epoch_secs=epoch_secs,
    )
    await send_and_confirm(rpc, [create], authority)
    market = trading.market_pda(ZONE, quote_mint).address
    scene = AuctionScene(
        url, authority, market, base_mint, quote_mint, epoch_secs, [], {base_mint: 0, quote_mint: 0}
    )
    for i in range(traders):
        trader = Trader(Keypair(), seller=i % 2 == 0)
        role = UserRole.PROSUMER if trader.seller else UserRole.CONSUMER
        ixs: list[Instruction] = [
            transfer(TransferParams(from_pubkey=me, to_pubkey=trader.key, lamports=SOL // 2)),
            registry.register_user(payer=trader.key, authority=trader.key, role=role, zone_id=ZONE),
            registry.verify_user(regulator=me, wallet=trader.key),
            trading.claim_seat(trader=trader.key, market=market),
        ]
        for mint, amount in ((base_mint, BASE_EACH if trader.seller else 0), (quote_mint, QUOTE_EACH)):
            ixs += mint_to_owner_instructions(me, mint, trader.key, me, amount)
            scene.minted[mint] += amount
        await send_and_confirm(rpc, ixs, authority, [trader.wallet])
        scene.traders.append(trader)
    state = await trading.fetch_market(rpc, market)
    assert state is not None
    for trader in scene.traders:
        seat = state.seat_of(trader.key)
        assert seat is not None
        trader.seat = seat.index
        deposits = [
            trading.deposit(
                trader=trader.key,
                market=market,
                seat=trader.seat,
                vault=state.header.quote_vault,
                source=get_associated_token_address(trader.key, quote_mint),
                amount=QUOTE_EACH,
            )
        ]
        if trader.seller:
            deposits.append(
                trading.deposit(
                    trader=trader.key,
                    market=market,
                    seat=trader.seat,
                    vault=state.header.base_vault,
                    source=get_associated_token_address(trader.key, base_mint),
                    amount=BASE_EACH,
                )
            )
        await send_and_confirm(rpc, deposits, trader.wallet)
    return scene


@dataclass(frozen=True)
class Placed:
    trader: Pubkey
    side: Side
    price: int
    lots: int
    rollover: bool


async def place_orders(
    rpc: AsyncClient, scene: AuctionScene, rng: random.Random, count: int, epoch: int, *, per_tx: int = 4
) -> list[Placed]:
    """``count`` random auction orders of random traders (asks by prosumers only) in ``epoch``, up to
    ``per_tx`` of one trader per transaction, each funded from the seat's deposit. Half of them roll
    over, for one more epoch at most (they expire at the end of the next one)."""
    rolls_until = (epoch + 2) * scene.epoch_secs
    state = await scene.trading.fetch_market(rpc, scene.market)
    assert state is not None
    placed: list[Placed] = []
    while len(placed) < count:
        trader = rng.choice(scene.traders)
        batch: list[Instruction] = []
        for _ in range(min(per_tx, count - len(placed))):
            side = Side.ASK if trader.seller and rng.random() < 0.6 else Side.BID
            order = Placed(trader.key, side, rng.randint(*PRICES), rng.randint(1, 8), rng.random() < 0.5)
            assert auction_requirement(state.header, order.side, order.price, order.lots).amount > 0
            batch.append(
                scene.trading.place_auction_order(
                    trader=trader.key,
                    market=scene.market,
                    zone_id=ZONE,
                    seat=trader.seat,
                    side=order.side,
                    price=order.price,
                    lots=order.lots,
                    rollover=order.rollover,
                    expires_at=rolls_until if order.rollover else 0,
                )
            )
            placed.append(order)
        await send_and_confirm(rpc, batch, trader.wallet, coders=[scene.trading.coder])
    return placed


async def market_events(
    rpc: AsyncClient, scene: AuctionScene
) -> tuple[list[EpochCleared], list[EpochSettled]]:
    """Every ``EpochCleared`` and ``EpochSettled`` of the market's transactions, oldest first."""
    signatures = []
    before = None
    while True:
        page = (await rpc.get_signatures_for_address(scene.market, before=before, limit=1000)).value
        signatures += [s.signature for s in page if s.err is None]
        if len(page) < 1000:
            break
        before = page[-1].signature
    cleared: list[EpochCleared] = []
    settled: list[EpochSettled] = []
    for signature in reversed(signatures):
        for event in await transaction_events(rpc, scene.trading, signature):
            if isinstance(event, EpochCleared):
                cleared.append(event)
            elif isinstance(event, EpochSettled):
                settled.append(event)
    return cleared, settled


def settled_once(settled: list[EpochSettled]) -> Counter[tuple[int, int]]:
    """How many times each (epoch, order index) was settled."""
    return Counter((chunk.epoch, s.index) for chunk in settled for s in chunk.settlements)


async def token_amount(rpc: AsyncClient, account: Pubkey) -> int:
    return int((await rpc.get_token_account_balance(account)).value.amount)


async def check_conservation(rpc: AsyncClient, scene: AuctionScene) -> None:
    """Every auction settled: the vaults hold exactly the seats' free and locked balances and the fees,
    and no token was created or destroyed (wallets + vaults == minted)."""
    state = await scene.trading.fetch_market(rpc, scene.market)
    assert state is not None
    h = state.header
    base_vault, quote_vault = await token_amount(rpc, h.base_vault), await token_amount(rpc, h.quote_vault)
    assert base_vault == sum(s.base_free + s.base_locked for s in state.seats)
    assert quote_vault == sum(s.quote_free + s.quote_locked for s in state.seats) + h.fees_accrued
    for mint, vault in ((scene.base_mint, base_vault), (scene.quote_mint, quote_vault)):
        wallets = 0
        for trader in scene.traders:
            wallets += await token_amount(rpc, get_associated_token_address(trader.key, mint))
        assert wallets + vault == scene.minted[mint]


def write_keeper_config(directory: Path, url: str, payer: Keypair, market: Pubkey, extra: str = "") -> Path:
    """A keeper config keeping ``market``, paid by ``payer`` (its key written beside it)."""
    write_keypair(directory / "keeper-payer.json", payer)
    path = directory / "keeper.toml"
    path.write_text(
        f'cluster = "{url}"\npayer = "keeper-payer.json"\nmarkets = ["{market}"]\n'
        f'status_file = "keeper-status.json"\nstatus_interval_secs = 0.5\npoll_secs = 0.2\n{extra}'
    )
    return path

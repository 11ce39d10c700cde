"""Conservation through the local node, with the SDK: many traders, a randomized run, then the books.

A node of the test's own (nothing initialised) gets a registry (one regulator, one zone), a 9-decimal base
mint standing in for GRID and a 6-decimal stablecoin, the trading Config and one market. Eight verified
traders (four prosumers who sell and buy, four consumers who buy) take seats and deposit; then a seeded
random run (the seed is printed; ``SOLGRID_TRADING_SEED`` replays it) places limit, post-only and IOC orders
with random prices, sizes, expiries, client ids and self-trade modes, cancels, withdraws and deposits
more, each as its own transaction over JSON-RPC. Refused transactions are part of the run (they must
change nothing). At the end:

* the vaults hold exactly what the seats' free and locked balances and the accrued fees add up to;
* every seat's locked balance is what its resting orders lock, and its open-order count theirs;
* no token was created or destroyed: wallets + vaults + collected fees equal what was minted;
* the fills the ``OrderPlaced`` events reported (read from each transaction's self-CPI) add up to the
  market's trade count and volumes, and each fill's price lies within both orders' limits.
"""

from __future__ import annotations

import os
import random
import re
from collections import defaultdict
from dataclasses import dataclass

import httpx
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from spl.token.instructions import (
    get_associated_token_address,
)

from node_market import funded
from solgrid.sdk.clock import cluster_time
from solgrid.sdk.cpi_events import cpi_events
from solgrid.sdk.mints import MINT_LEN, create_mint_instructions, mint_to_owner_instructions
from solgrid.sdk.registry import Limits, RegistryClient, UserRole
from solgrid.sdk.trading import MarketParams, OrderPlaced, TradingClient
from solgrid.sdk.trading.events import from_anchor
from solgrid.sdk.trading.market import MarketState, locked_by
from solgrid.sdk.trading.units import OrderKind, SelfTradeMode, Side
from solgrid.sdk.transactions import TransactionFailed, send_and_confirm

ZONE = 3
OPERATIONS = 200
BASE_EACH = 5_000 * 10**6  # 5 kWh of "GRID" per prosumer
QUOTE_EACH = 2_000_000  # 2.0 of the stablecoin per trader


@dataclass
class Trader:
    wallet: Keypair
    seller: bool
    seat: int = -1

    @property
    def key(self) -> Pubkey:
        return self.wallet.pubkey()


async def _transaction(url: str, signature: str) -> dict[str, object]:
    async with httpx.AsyncClient() as http:
        reply = await http.post(
            url,
            json={
                "jsonrpc": "2.0",
                "id": 1,
                "method": "getTransaction",
                "params": [
                    signature,
                    {"encoding": "json", "commitment": "confirmed", "maxSupportedTransactionVersion": 0},
                ],
            },
        )
    result: dict[str, object] = reply.json()["result"]
    return result


async def _mint(rpc: AsyncClient, authority: Keypair, decimals: int) -> Pubkey:
    mint = Keypair()
    lamports = (await rpc.get_minimum_balance_for_rent_exemption(MINT_LEN)).value
    me = authority.pubkey()
    await send_and_confirm(rpc, create_mint_instructions(me, mint, decimals, me, lamports), authority, [mint])
    return mint.pubkey()


async def _token_amount(rpc: AsyncClient, account: Pubkey) -> int:
    return int((await rpc.get_token_account_balance(account)).value.amount)


async def test_randomized_run_conserves_every_token(fresh_rpc_url: str, upgrade_authority: Keypair) -> None:
    seed = int(os.environ.get("SOLGRID_TRADING_SEED", random.randrange(2**32)))
    print(f"SOLGRID_TRADING_SEED={seed}")
    rng = random.Random(seed)
    registry, trading = RegistryClient(), TradingClient()
    authority = upgrade_authority
    me = authority.pubkey()
    async with AsyncClient(fresh_rpc_url, Confirmed) as rpc:
        await rpc.confirm_transaction((await rpc.request_airdrop(me, 10**11)).value, Confirmed)
        await send_and_confirm(
            rpc,
            [
                registry.initialize(payer=me, authority=me, limits=Limits()),
                registry.set_regulators(regulators=[me], threshold=1, cosigners=[me]),
                registry.create_zone(
                    payer=me, zone_id=ZONE, name="conservation", max_capacity_kw=1_000, cosigners=[me]
                ),
            ],
            authority,
        )
        base_mint = await _mint(rpc, authority, 9)
        quote_mint = await _mint(rpc, authority, 6)
        await send_and_confirm(
            rpc, [trading.initialize(payer=me, authority=me, base_mint=base_mint)], authority
        )
        params = MarketParams(
            tick_size=1_000, lot_size_wh=10, fee_recipient=me, taker_fee_bps=25, maker_fee_bps=5
        )
        await send_and_confirm(
            rpc,
            [
                trading.create_market(
                    payer=me,
                    zone_id=ZONE,
                    base_mint=base_mint,
                    quote_mint=quote_mint,
                    params=params,
                    cosigners=[me],
                )
            ],
            authority,
        )
        market = trading.market_pda(ZONE, quote_mint).address

        traders = [Trader(await funded(rpc), seller=i < 4) for i in range(8)]
        minted = {base_mint: 0, quote_mint: 0}
        for trader in traders:
            role = UserRole.PROSUMER if trader.seller else UserRole.CONSUMER
            ixs: list[Instruction] = [
                registry.register_user(payer=trader.key, authority=trader.key, role=role, zone_id=ZONE),
                registry.verify_user(regulator=me, wallet=trader.key),
                trading.claim_seat(trader=trader.key, market=market),
            ]
            for mint, amount in ((base_mint, BASE_EACH if trader.seller else 0), (quote_mint, QUOTE_EACH)):
                ixs += mint_to_owner_instructions(me, mint, trader.key, me, amount)
                minted[mint] += amount
            await send_and_confirm(rpc, ixs, authority, [trader.wallet])
        state = await trading.fetch_market(rpc, market)
        assert state is not None
        header = state.header
        for trader in traders:
            seat = state.seat_of(trader.key)
            assert seat is not None
            trader.seat = seat.index
            deposits = [
                trading.deposit(
                    trader=trader.key, market=market, seat=trader.seat, vault=header.quote_vault,
                    source=get_associated_token_address(trader.key, quote_mint), amount=QUOTE_EACH // 2,
                )
            ]  # fmt: skip
            if trader.seller:
                deposits.append(
                    trading.deposit(
                        trader=trader.key, market=market, seat=trader.seat, vault=header.base_vault,
                        source=get_associated_token_address(trader.key, base_mint), amount=BASE_EACH // 2,
                    )
                )  # fmt: skip
            await send_and_confirm(rpc, deposits, trader.wallet)

        placed: list[OrderPlaced] = []
        limits: dict[int, tuple[Side, int]] = {}
        outcomes: dict[str, int] = defaultdict(int)
        client_ids: dict[Pubkey, int] = defaultdict(int)
        now = await cluster_time(rpc)
        for _ in range(OPERATIONS):
            trader = rng.choice(traders)
            op = rng.choices(["place", "cancel", "withdraw", "deposit"], [12, 3, 1, 1])[0]
            ix: Instruction | None = None
            if op == "place":
                side = Side.ASK if trader.seller and rng.random() < 0.5 else Side.BID
                client_id = 0
                if rng.random() < 0.5:
                    client_ids[trader.key] += rng.choice([1, 1, 2])
                    client_id = client_ids[trader.key] - rng.choice([0, 0, 0, 1])  # sometimes a reused id
                ix = trading.place_order(
                    trader=trader.key, market=market, zone_id=ZONE, seat=trader.seat, side=side,
                    price=rng.randint(90, 110), lots=rng.randint(1, 60),
                    kind=rng.choices(list(OrderKind), [6, 2, 2])[0],
                    client_order_id=client_id,
                    expires_at=rng.choice([0, 0, 0, now + rng.randint(1, 20), now + 3_600]),
                    self_trade=rng.choice(list(SelfTradeMode)), max_matches=rng.choice([1, 3, 80]),
                )  # fmt: skip
            elif op == "cancel":
                state = await trading.fetch_market(rpc, market)
                assert state is not None
                mine = state.orders_of(trader.key)
                if mine:
                    order = rng.choice(mine)
                    ix = trading.cancel_order(
                        trader=trader.key,
                        market=market,
                        seat=trader.seat,
                        side=order.side,
                        price=order.price,
                        order_id=order.order_id,
                    )
            elif op in ("withdraw", "deposit"):
                use_base = trader.seller and rng.random() < 0.5
                mint = base_mint if use_base else quote_mint
                vault = header.base_vault if use_base else header.quote_vault
                account = get_associated_token_address(trader.key, mint)
                amount = rng.randint(1, (BASE_EACH if use_base else QUOTE_EACH) // 10)
                if op == "withdraw":
                    ix = trading.withdraw(
                        trader=trader.key,
                        market=market,
                        seat=trader.seat,
                        vault=vault,
                        destination=account,
                        amount=amount,
                    )
                else:
                    ix = trading.deposit(
                        trader=trader.key,
                        market=market,
                        seat=trader.seat,
                        vault=vault,
                        source=account,
                        amount=amount,
                    )
            if ix is None:
                continue
            try:
                landed = await send_and_confirm(rpc, [ix], trader.wallet, coders=[trading.coder])
            except TransactionFailed as refused:
                named = re.search(r"(\w+) \(6\d{3}\)", str(refused))
                assert named is not None, refused  # every refusal is one of the program's typed errors
                outcomes[f"{op} refused: {named[1]}"] += 1
                continue
            outcomes[f"{op} landed"] += 1
            tx = await _transaction(fresh_rpc_url, str(landed.signature))
            for event in cpi_events(trading.coder, tx):
                typed = from_anchor(event.name, event.data)
                if isinstance(typed, OrderPlaced):
                    placed.append(typed)
                    limits[typed.order_id] = (typed.side, typed.price)
        print(dict(outcomes))
        assert outcomes["place landed"] > 10

        state = await trading.fetch_market(rpc, market)
        assert state is not None
        _check_books(state)
        h = state.header
        assert await _token_amount(rpc, h.base_vault) == sum(s.base_free + s.base_locked for s in state.seats)
        assert (
            await _token_amount(rpc, h.quote_vault)
            == sum(s.quote_free + s.quote_locked for s in state.seats) + h.fees_accrued
        )

        wallets = {mint: 0 for mint in minted}
        for trader in traders:
            for mint in minted:
                wallets[mint] += await _token_amount(rpc, get_associated_token_address(trader.key, mint))
        assert wallets[base_mint] + await _token_amount(rpc, h.base_vault) == minted[base_mint]
        assert wallets[quote_mint] + await _token_amount(rpc, h.quote_vault) == minted[quote_mint]

        fills = [(order, fill) for order in placed for fill in order.fills]
        assert h.trade_count == len(fills)
        assert h.base_volume == sum(f.base_amount for _, f in fills)
        assert h.quote_volume == sum(f.quote_amount for _, f in fills)
        assert h.fees_accrued == sum(f.maker_fee + f.taker_fee for _, f in fills)
        for taker, fill in fills:
            maker_side, maker_price = limits[fill.maker_order_id]
            assert fill.price == maker_price and maker_side != taker.side
            assert fill.price <= taker.price if taker.side == Side.BID else fill.price >= taker.price
            assert fill.quote_amount == fill.lots * fill.price * h.quote_per_lot_tick
            assert fill.base_amount == fill.lots * h.base_atoms_per_lot


def _check_books(state: MarketState) -> None:
    """Every seat's locks and open orders match its resting orders; the book is sorted, not crossed."""
    header = state.header
    for seat in state.seats:
        orders = state.orders_of(seat.trader)
        assert seat.open_orders == len(orders)
        assert seat.base_locked == sum(locked_by(o, header) for o in orders if o.side == Side.ASK)
        assert seat.quote_locked == sum(locked_by(o, header) for o in orders if o.side == Side.BID)
    bids = [(-o.price, o.order_id) for o in state.bids]
    asks = [(o.price, o.order_id) for o in state.asks]
    assert bids == sorted(bids) and asks == sorted(asks)
    if state.bids and state.asks:
        assert state.best_bid is not None and state.best_ask is not None
        assert state.best_bid < state.best_ask

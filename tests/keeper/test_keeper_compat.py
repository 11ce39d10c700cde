"""The keeper's transactions as a cluster runs them: on the local node and on a real
``solana-test-validator`` alike, an auction epoch of a few seconds ends on the cluster's real clock
(nothing is warped) and ``keeper run --once`` clears and settles it: compute budgets, account sizes and
the chunks in a real validator's limits.

The shared nodes' trading program trades GRID, which only meters' surplus mints, so the auction holds
bids only (a stablecoin of the test's own): it clears with no trade and settles by refunding every bid.
Matching and rolling are tested on the local node (``test_keeper_node.py``).
"""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

from keeper_support import token_amount, write_keeper_config
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.system_program import TransferParams, transfer
from spl.token.instructions import get_associated_token_address

from node_market import ensure_market, funded
from solgrid.automation.status import read_status
from solgrid.keeper.config import load_config
from solgrid.keeper.service import Keeper
from solgrid.sdk.clock import cluster_time
from solgrid.sdk.energy_token import EnergyTokenClient
from solgrid.sdk.mints import MINT_LEN, create_mint_instructions, mint_to_owner_instructions
from solgrid.sdk.registry import RegistryClient, UserRole
from solgrid.sdk.trading import MarketParams, TradingClient
from solgrid.sdk.trading.units import EpochState, Side
from solgrid.sdk.transactions import send_and_confirm

EPOCH_SECS = 3
TRADERS = 3
QUOTE_EACH = 10_000_000


async def test_the_keeper_settles_an_auction_on_both_nodes(
    any_rpc_url: str, upgrade_authority: Keypair, tmp_path: Path
) -> None:
    registry, token, trading = RegistryClient(), EnergyTokenClient(), TradingClient()
    me = upgrade_authority.pubkey()
    async with AsyncClient(any_rpc_url, Confirmed) as rpc:
        await ensure_market(rpc, registry, upgrade_authority)
        if await token.fetch_config(rpc) is None:
            await send_and_confirm(rpc, [token.initialize(payer=me, authority=me)], upgrade_authority)
        if await trading.fetch_config(rpc) is None:
            ix = trading.initialize(payer=me, authority=me, base_mint=token.mint)
            await send_and_confirm(rpc, [ix], upgrade_authority)
        zone = random.randrange(10_000, 2**32)
        quote = Keypair()
        rent = (await rpc.get_minimum_balance_for_rent_exemption(MINT_LEN)).value
        await send_and_confirm(
            rpc,
            [
                registry.create_zone(
                    payer=me, zone_id=zone, name=f"keeper-{zone}", max_capacity_kw=100, cosigners=[me]
                ),
                *create_mint_instructions(me, quote, 6, me, rent),
            ],
            upgrade_authority,
            [quote],
        )
        params = MarketParams(tick_size=1_000, lot_size_wh=100, fee_recipient=me, maker_fee_bps=10)
        create = trading.create_market(
            payer=me,
            zone_id=zone,
            base_mint=token.mint,
            quote_mint=quote.pubkey(),
            params=params,
            cosigners=[me],
            epoch_secs=EPOCH_SECS,
        )
        await send_and_confirm(rpc, [create], upgrade_authority)
        market = trading.market_pda(zone, quote.pubkey()).address

        traders = [Keypair() for _ in range(TRADERS)]
        for trader in traders:
            setup: list[Instruction] = [
                transfer(TransferParams(from_pubkey=me, to_pubkey=trader.pubkey(), lamports=10**8)),
                registry.register_user(
                    payer=trader.pubkey(), authority=trader.pubkey(), role=UserRole.CONSUMER, zone_id=zone
                ),
                registry.verify_user(regulator=me, wallet=trader.pubkey()),
                trading.claim_seat(trader=trader.pubkey(), market=market),
                *mint_to_owner_instructions(me, quote.pubkey(), trader.pubkey(), me, QUOTE_EACH),
            ]
            await send_and_confirm(rpc, setup, upgrade_authority, [trader])
        state = await trading.fetch_market(rpc, market)
        assert state is not None
        last_epoch = 0
        for i, trader in enumerate(traders):
            seat = state.seat_of(trader.pubkey())
            assert seat is not None
            ixs = [
                trading.deposit(
                    trader=trader.pubkey(),
                    market=market,
                    seat=seat.index,
                    vault=state.header.quote_vault,
                    source=get_associated_token_address(trader.pubkey(), quote.pubkey()),
                    amount=QUOTE_EACH,
                ),
                *(
                    trading.place_auction_order(
                        trader=trader.pubkey(),
                        market=market,
                        zone_id=zone,
                        seat=seat.index,
                        side=Side.BID,
                        price=100 + i + k,
                        lots=2,
                        rollover=False,
                    )
                    for k in range(2)
                ),
            ]
            await send_and_confirm(rpc, ixs, trader)
            last_epoch = max(last_epoch, await cluster_time(rpc) // EPOCH_SECS)
        while await cluster_time(rpc) < (last_epoch + 1) * EPOCH_SECS:  # the auction's real end
            await asyncio.sleep(0.5)

        payer = await funded(rpc)
        config = load_config(
            write_keeper_config(tmp_path, any_rpc_url, payer, market, "max_orders_per_chunk = 4\n")
        )
        await Keeper(config, once=True).run()

        state = await trading.fetch_market(rpc, market)
        assert state is not None and state.header.auction_orders == 0
        epochs = await trading.fetch_epochs(rpc, state)
        assert epochs and all(e.header.state in (EpochState.EMPTY, EpochState.SETTLED) for e in epochs)
        settled = [e for e in epochs if e.header.state is EpochState.SETTLED]
        assert sum(e.header.order_count for e in settled) == 2 * TRADERS
        assert all(e.header.volume_lots == 0 and e.header.clearing_price == 0 for e in settled)
        assert state.header.auctions_settled == len(settled)
        for seat in state.seats:  # every bid refunded: nothing locked, no fee charged
            assert (seat.quote_free, seat.quote_locked) == (QUOTE_EACH, 0)
        assert await token_amount(rpc, state.header.quote_vault) == QUOTE_EACH * TRADERS
    status = read_status(tmp_path / "keeper-status.json", "keeper")
    report = status["markets"][str(market)]
    assert report["epochs_cleared_this_run"] == len(settled) and report["errors"] == 0
    assert report["orders_settled_this_run"] == 2 * TRADERS

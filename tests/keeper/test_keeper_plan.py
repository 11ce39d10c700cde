"""The keeper's decisions, a pure function of decoded accounts and the cluster clock: the oldest ended
epoch first, clear then settle from the on-chain cursor, never clear a paused market's or a halted
zone's epoch (but settle a price already fixed), prune a continuous market only when orders expired,
and the backlog and last settled epoch the keeper reports."""

from __future__ import annotations

import struct
from dataclasses import replace

from solders.instruction import Instruction
from solders.pubkey import Pubkey

from solgrid.keeper.plan import Backlog, backlog, expired_orders, latest_settled, next_step
from solgrid.sdk.idl import load_idl_json
from solgrid.sdk.registry import ZoneStatus
from solgrid.sdk.trading import AuctionEpoch, MarketState, MarketStatus, RestingOrder, Side, TradingClient
from solgrid.sdk.trading.epoch_account import EPOCH_HEADER, decode_epoch_header
from solgrid.sdk.trading.market import DISCRIMINATOR_LEN, HEADER, decode_header
from solgrid.sdk.trading.units import EpochState

CLIENT = TradingClient()
PAYER = Pubkey.new_unique()
MARKET = Pubkey.new_unique()
SECS = 60
E = 29_000_000  # an epoch number of 2025 with 60-second epochs
CHUNK = 16


def market(
    *, periodic: bool = True, status: MarketStatus = MarketStatus.ACTIVE, orders: int = 0
) -> MarketState:
    header = replace(
        decode_header(bytes(DISCRIMINATOR_LEN + HEADER.size)),
        zone_id=7,
        epoch_secs=SECS if periodic else 0,
        status=status,
    )
    bids = [
        RestingOrder(Side.BID, 10, i + 1, 1, 1, 0, 1000 + i, 0, Pubkey.default(), False, 0)
        for i in range(orders)
    ]
    return MarketState(MARKET, header, [], bids, [])


def epoch(
    number: int, state: EpochState, *, orders: int = 0, cursor: int = 0, settled_at: int = 0
) -> AuctionEpoch:
    header = replace(
        decode_epoch_header(bytes(DISCRIMINATOR_LEN + EPOCH_HEADER.size)),
        market=MARKET,
        epoch=number,
        starts_at=number * SECS,
        ends_at=(number + 1) * SECS,
        state=state,
        order_count=orders,
        cursor=cursor,
        slot=number % 2,
        clearing_price=42,
        volume_lots=5,
        settled_at=settled_at,
    )
    return AuctionEpoch(CLIENT.epoch_pda(MARKET, number % 2).address, header, [], [])


def end(number: int) -> int:
    return (number + 1) * SECS


def plan(
    state: MarketState,
    epochs: list[AuctionEpoch],
    now: int,
    zone: ZoneStatus | None = ZoneStatus.ACTIVE,
    *,
    trading_paused: bool = False,
):
    return next_step(
        CLIENT, state, zone, epochs, now, PAYER, chunk=CHUNK, prune_max=80, trading_paused=trading_paused
    )


def args(ix: Instruction, name: str, layout: str) -> tuple[int, ...]:
    """The arguments of trading instruction ``name`` (its discriminator checked)."""
    data = bytes(ix.data)
    (spec,) = [i for i in load_idl_json("trading")["instructions"] if i["name"] == name]
    assert ix.program_id == CLIENT.program_id and data[:8] == bytes(spec["discriminator"])
    return struct.unpack_from(layout, data, 8)


def the_trading_instruction(step_instructions: list[Instruction]) -> Instruction:
    (ix,) = [ix for ix in step_instructions if ix.program_id == CLIENT.program_id]
    return ix


def test_nothing_to_do_while_auctions_are_open() -> None:
    assert plan(market(), [], end(E)) is None  # no epoch account yet
    open_ = [epoch(E, EpochState.COLLECTING, orders=3)]
    assert plan(market(), open_, end(E) - 1) is None
    assert backlog(open_, end(E) - 1) == Backlog()
    assert plan(market(), [epoch(E - 1, EpochState.SETTLED), epoch(E, EpochState.EMPTY)], end(E)) is None


def test_an_ended_epoch_is_cleared_at_its_end_then_settled_from_zero() -> None:
    ended = [epoch(E, EpochState.COLLECTING, orders=40)]
    step = plan(market(), ended, end(E))
    assert step is not None and (step.kind, step.epoch, step.cursor) == ("clear", E, 0)
    clear = the_trading_instruction(step.instructions)
    assert args(clear, "clear_epoch", "<Q") == (E,)
    assert clear.accounts[1].pubkey == CLIENT.registry_config()  # registry_config (its pause flags)
    assert clear.accounts[4].pubkey == CLIENT.epoch_pda(MARKET, E % 2).address  # epoch_account
    assert clear.accounts[5].pubkey == CLIENT.epoch_pda(MARKET, (E + 1) % 2).address  # the other one
    assert backlog(ended, end(E) + 30) == Backlog(epochs=1, orders=40, oldest_end=end(E))
    assert backlog(ended, end(E) + 30).age(end(E) + 30) == 30

    fixed = [epoch(E, EpochState.PRICE_FIXED, orders=40)]
    step = plan(market(), fixed, end(E) + 1)
    assert step is not None and (step.kind, step.cursor) == ("settle", 0)
    assert args(the_trading_instruction(step.instructions), "settle_epoch", "<QIB") == (E, 0, CHUNK)


def test_a_half_settled_epoch_goes_on_from_its_cursor() -> None:
    """What a restarted keeper does after a kill in the middle of a settlement."""
    half = [epoch(E, EpochState.PRICE_FIXED, orders=40, cursor=32)]
    step = plan(market(), half, end(E) + 5)
    assert step is not None and (step.kind, step.epoch, step.cursor) == ("settle", E, 32)
    settle = the_trading_instruction(step.instructions)
    assert args(settle, "settle_epoch", "<QIB") == (E, 32, CHUNK)
    assert settle.accounts[3].pubkey == CLIENT.epoch_pda(MARKET, E % 2).address
    assert settle.accounts[4].pubkey == CLIENT.epoch_pda(MARKET, (E + 1) % 2).address  # rolls go there
    assert backlog(half, end(E) + 5) == Backlog(epochs=1, orders=8, oldest_end=end(E))


def test_an_empty_auction_still_needs_its_one_chunk() -> None:
    step = plan(market(), [epoch(E, EpochState.PRICE_FIXED)], end(E))
    assert step is not None and (step.kind, step.cursor) == ("settle", 0)


def test_the_oldest_epoch_first() -> None:
    # E was cleared and is half settled; E + 1 ended meanwhile (the keeper was down): settle E first.
    both = [
        epoch(E + 1, EpochState.COLLECTING, orders=9),
        epoch(E, EpochState.PRICE_FIXED, orders=20, cursor=16),
    ]
    step = plan(market(), both, end(E + 1) + 3)
    assert step is not None and (step.kind, step.epoch, step.cursor) == ("settle", E, 16)
    assert backlog(both, end(E + 1) + 3) == Backlog(epochs=2, orders=4 + 9, oldest_end=end(E))
    # Two ended auctions, neither cleared: E clears before E + 1.
    both = [epoch(E + 1, EpochState.COLLECTING, orders=9), epoch(E, EpochState.COLLECTING, orders=3)]
    step = plan(market(), both, end(E + 1))
    assert step is not None and (step.kind, step.epoch) == ("clear", E)
    # E settled: now E + 1.
    both = [epoch(E + 1, EpochState.COLLECTING, orders=9), epoch(E, EpochState.SETTLED, orders=3)]
    step = plan(market(), both, end(E + 1))
    assert step is not None and (step.kind, step.epoch) == ("clear", E + 1)


def test_a_paused_market_or_halted_zone_is_not_cleared_but_a_fixed_price_is_settled() -> None:
    ended = [epoch(E, EpochState.COLLECTING, orders=4)]
    assert plan(market(status=MarketStatus.PAUSED), ended, end(E)) is None
    assert plan(market(), ended, end(E), ZoneStatus.HALTED) is None
    assert backlog(ended, end(E)).epochs == 1  # still reported as waiting
    step = plan(market(), ended, end(E), ZoneStatus.MAINTENANCE)
    assert step is not None and step.kind == "clear"
    fixed = [epoch(E, EpochState.PRICE_FIXED, orders=4, cursor=1)]
    step = plan(market(status=MarketStatus.PAUSED), fixed, end(E), ZoneStatus.HALTED)
    assert step is not None and (step.kind, step.cursor) == ("settle", 1)
    # A fixed price before a paused market's ended auction: settled; the next one waits.
    both = [
        epoch(E, EpochState.PRICE_FIXED, orders=4, cursor=4 - 1),
        epoch(E + 1, EpochState.COLLECTING, orders=2),
    ]
    step = plan(market(status=MarketStatus.PAUSED), both, end(E + 1))
    assert step is not None and (step.kind, step.epoch) == ("settle", E)


def test_an_ended_auction_waits_while_the_registry_pauses_trading_but_a_fixed_price_settles() -> None:
    ended = [epoch(E, EpochState.COLLECTING, orders=4)]
    assert plan(market(), ended, end(E), trading_paused=True) is None
    step = plan(market(), ended, end(E), trading_paused=False)
    assert step is not None and step.kind == "clear"
    fixed = [epoch(E, EpochState.PRICE_FIXED, orders=4, cursor=2)]
    step = plan(market(), fixed, end(E), trading_paused=True)
    assert step is not None and (step.kind, step.cursor) == ("settle", 2)


def test_the_chunk_size_is_the_configured_one() -> None:
    step = next_step(
        CLIENT,
        market(),
        None,
        [epoch(E, EpochState.PRICE_FIXED, orders=500)],
        end(E),
        PAYER,
        chunk=3,
        prune_max=80,
    )
    assert step is not None
    assert args(the_trading_instruction(step.instructions), "settle_epoch", "<QIB") == (E, 0, 3)


def test_continuous_markets_are_pruned_only_when_orders_expired() -> None:
    book = market(periodic=False, orders=3)  # orders expire at 1000, 1001, 1002
    assert plan(book, [], 999) is None and expired_orders(book, 999) == 0
    step = plan(book, [], 1001)
    assert expired_orders(book, 1001) == 2
    assert step is not None and step.kind == "prune"
    assert args(the_trading_instruction(step.instructions), "prune_expired", "<H") == (80,)
    assert plan(market(periodic=False), [], 10**9) is None


def test_the_latest_settled_epoch() -> None:
    assert latest_settled([epoch(E, EpochState.COLLECTING)]) is None
    pair = [epoch(E, EpochState.SETTLED, settled_at=end(E) + 4), epoch(E + 1, EpochState.SETTLED)]
    latest = latest_settled(pair)
    assert latest is not None and latest.header.epoch == E + 1

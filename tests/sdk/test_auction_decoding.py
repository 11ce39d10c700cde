"""The periodic market's accounts and events decoded from bytes built per the IDL: a market's periodic
fields, an epoch account (header, levels from the region's start, orders from its end with their
indices, tombstones and flags), the four auction events, and the epoch math."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from idl_samples import CODER, TYPES, Sampler, encode_event, encode_type, plain
from solders.pubkey import Pubkey

from solgrid.sdk.anchor import AccountDecodeError
from solgrid.sdk.trading import (
    AuctionLevel,
    AuctionOrderCancelled,
    AuctionOrderPlaced,
    EpochCleared,
    EpochSettled,
    EpochState,
    Seat,
    SettlementOutcome,
    Side,
    TradingClient,
    decode_event,
)
from solgrid.sdk.trading.epoch_account import EPOCH_HEADER, FLAG_ROLLED_IN, FLAG_ROLLOVER, LEVEL
from solgrid.sdk.trading.epochs import current_window, ends_at, epoch_at, slot_of, starts_at, window
from solgrid.sdk.trading.market import HEADER, ORDER, decode_header

CLIENT = TradingClient()
SKIPPED = {"padding", "reserved"}


def compare(decoded: Any, values: dict[str, Any], renamed: dict[str, str] | None = None) -> None:
    """Every IDL field (but padding) equals the dataclass attribute of the same name."""
    for name, value in values.items():
        if name in SKIPPED:
            continue
        got = getattr(decoded, (renamed or {}).get(name, name))
        if isinstance(got, tuple):
            got = list(got)
        assert plain(got) == plain(value), name


def test_the_fixed_layouts_are_the_idls() -> None:
    assert HEADER.size == len(encode_type("Market", Sampler().struct("Market")))
    assert EPOCH_HEADER.size == len(encode_type("AuctionEpoch", Sampler().struct("AuctionEpoch")))
    assert LEVEL.size == len(encode_type("Level", Sampler().struct("Level")))
    assert ORDER.size == len(encode_type("Order", Sampler().struct("Order")))


def test_a_periodic_markets_header() -> None:
    values = Sampler().struct("Market")
    values["status"] = CODER.unit_variant("MarketStatus", 1)
    data = CLIENT.coder.account_discriminator("Market") + encode_type("Market", values)
    header = decode_header(data)
    compare(header, values)
    assert header.periodic == (values["epoch_secs"] > 0)
    assert not dataclasses.replace(header, epoch_secs=0).periodic


def epoch_account(
    header: dict[str, Any], levels: list[dict[str, Any]], orders: list[dict[str, Any]], free: int
) -> bytes:
    """An epoch account's data as the program lays it out: levels from the region's start, ``free``
    zero bytes, orders from the region's end (index 0 last). ``header`` gets the region's length and
    counts."""
    region = b"".join(encode_type("Level", lv) for lv in levels) + bytes(free)
    region += b"".join(encode_type("Order", o) for o in reversed(orders))
    header.update(region_len=len(region), level_count=len(levels), order_count=len(orders))
    return CLIENT.coder.account_discriminator("AuctionEpoch") + encode_type("AuctionEpoch", header) + region


def test_an_epoch_account() -> None:
    header = Sampler().struct("AuctionEpoch")
    header["state"] = CODER.unit_variant("EpochState", 2)
    header["slot"] = 1
    levels = [
        {"price": p, "bid_lots": b, "ask_lots": a} for p, b, a in [(90, 0, 5), (100, 7, 2), (120, 3, 0)]
    ]
    seats = [
        Seat(i, Pubkey.new_unique(), 0, 0, 0, 0, 0, 0, 0, 0, False)  # only the trader matters here
        for i in range(3)
    ]
    orders = []
    for i, (side, price, lots, seat, flags) in enumerate(
        [
            (0, 100, 7, 2, FLAG_ROLLOVER),
            (1, 90, 5, 0, 0),
            (0, 110, 0, 1, 0),
            (0, 120, 3, 1, FLAG_ROLLED_IN | FLAG_ROLLOVER),
        ]
    ):
        order = Sampler(start=1000 * (i + 1)).struct("Order")
        order.update(side=CODER.unit_variant("Side", side), price=price, lots=lots, seat=seat, flags=flags)
        orders.append(order)
    address = Pubkey.new_unique()
    data = epoch_account(header, levels, orders, free=24 * 2 + 56)
    account = CLIENT.decode_epoch(address, data)
    compare(account.header, header)
    assert account.header.state is EpochState.PRICE_FIXED and account.header.slot == 1
    assert (account.header.order_count, account.header.level_count) == (4, 3)
    assert account.levels == [AuctionLevel(90, 0, 5), AuctionLevel(100, 7, 2), AuctionLevel(120, 3, 0)]
    assert [o.index for o in account.orders] == [0, 1, 2, 3]
    for decoded, raw in zip(account.orders, orders, strict=True):
        assert (decoded.side, decoded.price, decoded.lots, decoded.seat) == (
            Side(plain(raw["side"])),
            raw["price"],
            raw["lots"],
            raw["seat"],
        )
        assert (decoded.order_id, decoded.initial_lots, decoded.client_order_id) == (
            raw["order_id"],
            raw["initial_lots"],
            raw["client_order_id"],
        )
        assert (decoded.expires_at, decoded.maker_fee_bps) == (raw["expires_at"], raw["maker_fee_bps"])
        assert decoded.trader == Pubkey.default()  # no seats given
    assert [(o.rollover, o.rolled_in) for o in account.orders] == [
        (True, False),
        (False, False),
        (False, False),
        (True, True),
    ]
    assert account.orders[2].cancelled and [o.index for o in account.live] == [0, 1, 3]

    # With the market's seats each order names its trader.
    class Market:
        pass

    market: Any = Market()
    market.seats = seats
    named = CLIENT.decode_epoch(address, data, market)
    assert [o.trader for o in named.orders] == [
        seats[2].trader,
        seats[0].trader,
        seats[1].trader,
        seats[1].trader,
    ]
    assert [o.index for o in named.orders_of(seats[1].trader)] == [3]  # the cancelled one is not live
    assert named.order_by_id(orders[3]["order_id"]) == named.orders[3]
    assert named.holds(header["epoch"]) and not named.holds(header["epoch"] + 1)
    assert named.clearing(0).volume == 7  # D(100) = 10, S(100) = 7


def test_epoch_accounts_that_do_not_add_up_are_refused() -> None:
    header = Sampler().struct("AuctionEpoch")
    header["state"] = CODER.unit_variant("EpochState", 1)
    level = {"price": 5, "bid_lots": 1, "ask_lots": 0}
    good = epoch_account(header, [level], [], free=0)
    address = Pubkey.new_unique()
    assert CLIENT.decode_epoch(address, good).levels == [AuctionLevel(5, 1, 0)]
    with pytest.raises(AccountDecodeError, match="not a trading AuctionEpoch"):
        CLIENT.decode_epoch(address, CLIENT.coder.account_discriminator("Market") + good[8:])
    with pytest.raises(AccountDecodeError, match="does not match"):
        CLIENT.decode_epoch(address, good + bytes(8))
    bad_state = bytearray(good)
    bad_state[8 + EPOCH_HEADER.size - 16 - 5 - 2] = 9  # the state byte
    with pytest.raises(AccountDecodeError, match="unknown epoch state"):
        CLIENT.decode_epoch(address, bytes(bad_state))


def event_values(name: str) -> dict[str, Any]:
    return Sampler(variant=1).struct(name)


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("AuctionOrderPlaced", AuctionOrderPlaced),
        ("AuctionOrderCancelled", AuctionOrderCancelled),
        ("EpochCleared", EpochCleared),
    ],
)
def test_the_auction_events(name: str, cls: type) -> None:
    values = event_values(name)
    event = decode_event(CLIENT.coder, encode_event(name, values))
    assert isinstance(event, cls)
    compare(event, values)


def test_epoch_settled_with_its_settlements() -> None:
    values = event_values("EpochSettled")
    for i, settlement in enumerate(values["settlements"]):
        settlement["outcome"] = CODER.unit_variant("SettlementOutcome", i + 2)
        settlement["rolled_index"] = 2**32 - 1 if i else 7
    event = decode_event(CLIENT.coder, encode_event("EpochSettled", values))
    assert isinstance(event, EpochSettled)
    compare(event, {k: v for k, v in values.items() if k != "settlements"})
    assert len(event.settlements) == 3
    for decoded, raw in zip(event.settlements, values["settlements"], strict=True):
        compare(decoded, raw)
    assert [s.outcome for s in event.settlements] == [
        SettlementOutcome.PARTIALLY_FILLED_EXPIRED,
        SettlementOutcome.ROLLED,
        SettlementOutcome.EXPIRED,
    ]
    assert [s.rolled for s in event.settlements] == [True, False, False]


def test_every_idl_event_has_a_typed_class() -> None:
    for event in CODER.idl.events:
        values = Sampler().struct(event.name)
        assert decode_event(CLIENT.coder, encode_event(event.name, values)) is not None, event.name
    assert set(TYPES) >= {"AuctionEpoch", "Level", "Settlement", "EpochState", "SettlementOutcome"}


def test_epoch_math() -> None:
    assert epoch_at(1_700_000_000, 900) == 1_888_888 and epoch_at(-5, 900) == 0
    assert (starts_at(1_888_888, 900), ends_at(1_888_888, 900)) == (1_699_999_200, 1_700_000_100)
    assert epoch_at(ends_at(7, 60) - 1, 60) == 7 and epoch_at(ends_at(7, 60), 60) == 8
    assert (slot_of(10), slot_of(11)) == (0, 1)
    current = current_window(1_700_000_000, 900)
    assert current == window(1_888_888, 900) and current.slot == 0 and current.remaining(1_700_000_000) == 100
    assert current.remaining(1_800_000_000) == 0
    with pytest.raises(ValueError, match="positive"):
        epoch_at(5, 0)
    market = Pubkey.new_unique()
    pdas = {CLIENT.epoch_pda(market, s).address for s in (0, 1)}
    assert len(pdas) == 2
    assert (
        CLIENT.epoch_pda(market, 0).address
        == Pubkey.find_program_address([b"epoch", bytes(market), b"\x00"], CLIENT.program_id)[0]
    )
    with pytest.raises(ValueError):
        CLIENT.epoch_pda(market, 2)

"""The trading commands' units: prices and quantities parsed exactly into ticks and lots (refusing
anything that is not whole), token amounts into atoms, times, and the fixed-decimal text they print."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import click
import pytest
from solders.pubkey import Pubkey

from solgrid.cli.trading_units import (
    format_amount,
    format_base_kwh,
    format_fill_price,
    format_kwh,
    format_price,
    format_time,
    parse_amount,
    parse_kwh,
    parse_price,
    parse_time,
)
from solgrid.sdk.idl import account_field_offset
from solgrid.sdk.trading.funding import Asset
from solgrid.sdk.trading.market import ZONE_ID_OFFSET, MarketHeader
from solgrid.sdk.trading.units import MarketStatus, units_to_atoms

KEY = Pubkey.default()
HEADER = MarketHeader(
    *[KEY] * 7,
    tick_size=1000,
    lot_size_wh=100,
    base_atoms_per_lot=100 * 10**6,
    quote_per_lot_tick=100,
    min_order_lots=1,
    next_order_id=0,
    fees_accrued=0,
    fees_collected=0,
    base_volume=0,
    quote_volume=0,
    trade_count=0,
    created_at=0,
    zone_id=1,
    max_orders_per_epoch=100,
    seat_count=0,
    seat_capacity=0,
    bid_count=0,
    ask_count=0,
    order_capacity=0,
    taker_fee_bps=25,
    maker_fee_bps=0,
    status=MarketStatus.ACTIVE,
    bump=0,
    base_vault_bump=0,
    quote_vault_bump=0,
    quote_decimals=6,
)


def test_prices_are_whole_ticks() -> None:
    assert parse_price("0.12", HEADER) == 120
    assert parse_price("1", HEADER) == 1000 and parse_price("0.001", HEADER) == 1
    assert parse_price("1.2e-1", HEADER) == 120
    for bad in ("0.1205", "0", "-0.1", "0.0005"):
        with pytest.raises(click.BadParameter, match=r"whole number of the market.s 0\.001000 ticks"):
            parse_price(bad, HEADER)
    for bad in ("abc", "nan", "inf"):
        with pytest.raises(click.BadParameter, match="is not a number"):
            parse_price(bad, HEADER)
    assert format_price(120, HEADER) == "0.120000"
    coarse = replace(HEADER, tick_size=25, quote_decimals=2)
    assert parse_price("0.75", coarse) == 3 and format_price(3, coarse) == "0.75"
    with pytest.raises(click.BadParameter, match=r"0\.25 ticks"):
        parse_price("0.70", coarse)


def test_quantities_are_whole_lots() -> None:
    assert parse_kwh("1.5", HEADER) == 15 and parse_kwh("0.1", HEADER) == 1
    for bad in ("0.05", "0", "-1", "0.15"):
        with pytest.raises(click.BadParameter, match="100 Wh lots"):
            parse_kwh(bad, HEADER)
    assert format_kwh(15, HEADER) == "1.500" and format_base_kwh(1_500_000_000) == "1.500"


def test_a_fills_price_comes_from_its_amounts() -> None:
    """A fill made before the market's tick or lot size changed prints at its own price: 3 lots of
    100 Wh at 120 ticks of 1,000 atoms per kWh are 36,000 atoms, whatever the header says now."""
    assert format_fill_price(300 * 10**6, 36_000, HEADER) == "0.120000"
    assert format_fill_price(300 * 10**6, 36_000, replace(HEADER, tick_size=5, lot_size_wh=200)) == "0.120000"
    assert format_fill_price(0, 0, HEADER) == "0.000000"


def test_token_amounts_are_whole_atoms() -> None:
    assert parse_amount("1.5", Asset.GRID, HEADER) == 1_500_000_000
    assert parse_amount("0.000000001", Asset.GRID, HEADER) == 1
    assert parse_amount("0.18", Asset.QUOTE, HEADER) == 180_000
    with pytest.raises(click.BadParameter, match="at most 6 decimals"):
        parse_amount("0.0000001", Asset.QUOTE, HEADER)
    with pytest.raises(click.BadParameter, match="a GRID amount is positive") as refused:
        parse_amount("0", Asset.GRID, HEADER)
    assert refused.value.param_hint == "--grid"
    assert format_amount(180_000, Asset.QUOTE, HEADER) == "0.180000"
    assert format_amount(1, Asset.GRID, HEADER) == "0.000000001"
    assert units_to_atoms(Decimal("2"), 0) == 2 and units_to_atoms(Decimal("1E+3"), 0) == 1000
    with pytest.raises(ValueError):
        units_to_atoms(Decimal("2.5"), 0)


def test_times() -> None:
    assert parse_time("1700000000") == 1_700_000_000
    assert parse_time("2023-11-14T22:13:20") == 1_700_000_000  # UTC unless an offset is given
    assert parse_time("2023-11-15T00:13:20+02:00") == 1_700_000_000
    assert format_time(1_700_000_000) == "2023-11-14T22:13:20Z"
    with pytest.raises(click.BadParameter, match="neither a Unix time nor an ISO 8601"):
        parse_time("tomorrow")


def test_the_zone_filter_offset_is_the_idls() -> None:
    assert account_field_offset("trading", "Market", "zone_id") == ZONE_ID_OFFSET

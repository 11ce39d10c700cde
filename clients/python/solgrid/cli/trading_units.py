"""Prices, quantities and token amounts of the trading commands: parsed exactly from what users type,
and printed as fixed-decimal text that never loses precision.

A price is quote units per kWh (``0.12``), a whole number of the market's ticks; a quantity is kWh
(``1.5``), a whole number of its lots. GRID amounts have 9 decimals, quote amounts the quote mint's.
Values that are not whole ticks, lots or atoms are refused (usage error naming the option).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

import click

from solgrid.sdk.trading.funding import Asset
from solgrid.sdk.trading.market import MarketHeader
from solgrid.sdk.trading.units import (
    BASE_ATOMS_PER_WH,
    BASE_DECIMALS,
    Side,
    atoms_to_units,
    kwh_to_lots,
    lots_to_kwh,
    price_to_ticks,
    ticks_to_price,
    units_to_atoms,
)

SIDE_NAMES = {Side.BID: "BUY", Side.ASK: "SELL"}


def decimal(text: str, option: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise click.BadParameter(f"{text!r} is not a number", param_hint=option) from None
    if not value.is_finite():
        raise click.BadParameter(f"{text!r} is not a number", param_hint=option)
    return value


def parse_price(text: str, header: MarketHeader) -> int:
    """``--price`` (quote units per kWh) as ticks of the market."""
    try:
        return price_to_ticks(decimal(text, "--price"), header.tick_size, header.quote_decimals)
    except ValueError:
        tick = format_price(1, header)
        raise click.BadParameter(
            f"{text} is not a positive whole number of the market's {tick} ticks", param_hint="--price"
        ) from None


def parse_kwh(text: str, header: MarketHeader) -> int:
    """``--kwh`` as lots of the market."""
    try:
        return kwh_to_lots(decimal(text, "--kwh"), header.lot_size_wh)
    except ValueError:
        raise click.BadParameter(
            f"{text} is not a positive whole number of the market's {header.lot_size_wh} Wh lots",
            param_hint="--kwh",
        ) from None


def decimals_of(asset: Asset, header: MarketHeader) -> int:
    return BASE_DECIMALS if asset is Asset.GRID else header.quote_decimals


def parse_amount(text: str, asset: Asset, header: MarketHeader) -> int:
    """``--grid``/``--quote`` as atoms of the asset's mint."""
    option = f"--{asset.value.lower()}"
    decimals = decimals_of(asset, header)
    try:
        return units_to_atoms(decimal(text, option), decimals)
    except ValueError:
        raise click.BadParameter(
            f"{text}: a {asset.value} amount is positive with at most {decimals} decimals", param_hint=option
        ) from None


def format_price(ticks: int, header: MarketHeader) -> str:
    """Ticks as quote units per kWh with the quote mint's decimals (``0.120000``)."""
    return f"{ticks_to_price(ticks, header.tick_size, header.quote_decimals):.{header.quote_decimals}f}"


def format_fill_price(base_amount: int, quote_amount: int, header: MarketHeader) -> str:
    """A fill's price per kWh from its amounts (exact: the quote of whole Wh at a whole tick), so it
    stays right after the market's tick or lot size changed."""
    wh = base_amount // BASE_ATOMS_PER_WH
    atoms_per_kwh = quote_amount * 1000 // wh if wh else 0
    return f"{atoms_to_units(atoms_per_kwh, header.quote_decimals):.{header.quote_decimals}f}"


def format_kwh(lots: int, header: MarketHeader) -> str:
    """Lots as kWh with 3 decimals (whole Wh)."""
    return f"{lots_to_kwh(lots, header.lot_size_wh):.3f}"


def format_base_kwh(base_atoms: int) -> str:
    """GRID atoms (10^6 per Wh) as kWh with 3 decimals."""
    return f"{atoms_to_units(base_atoms, BASE_DECIMALS):.3f}"


def format_amount(atoms: int, asset: Asset, header: MarketHeader) -> str:
    """Atoms of ``asset`` as units with the mint's decimals."""
    decimals = decimals_of(asset, header)
    return f"{atoms_to_units(atoms, decimals):.{decimals}f}"


def format_quote(atoms: int, header: MarketHeader) -> str:
    return format_amount(atoms, Asset.QUOTE, header)


def format_time(timestamp: int) -> str:
    """A Unix time as ISO 8601 UTC (``2025-01-31T12:00:00Z``)."""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> int:
    """``--expires-at``: a Unix time, or an ISO 8601 date and time (UTC unless it names an offset)."""
    if text.isdigit():
        return int(text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(
            f"{text!r} is neither a Unix time nor an ISO 8601 date and time", param_hint="--expires-at"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())

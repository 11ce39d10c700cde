"""The keeper's configuration file (TOML), parsed into typed settings.

Same conventions as the oracle worker's (:mod:`solgrid.automation.config`): relative paths are relative
to the file's directory, a misspelt key is an error, every problem is one :class:`KeeperConfigError`
line naming the key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from solders.pubkey import Pubkey

from solgrid.automation.config import ConfigError, ConfigReader
from solgrid.automation.meter_settlement import SettleConfig
from solgrid.sdk.trading.units import MAX_SETTLE_CHUNK

MAX_CHUNK_ORDERS = MAX_SETTLE_CHUNK
"""``settle_epoch`` settles 1 to 64 orders per transaction."""
MAX_PRUNE_ORDERS = 80
"""``prune_expired`` removes 1 to 80 orders per transaction."""
DEFAULT_CHUNK_ORDERS = MAX_SETTLE_CHUNK
"""The program's largest chunk: an epoch of 1,000 orders settles in 16 settle_epoch transactions
(chunks of 32 need 32)."""
DEFAULT_STATUS_FILE = "keeper-status.json"


class KeeperConfigError(ConfigError):
    """The keeper configuration file is missing, not TOML, or has an invalid value."""


@dataclass(frozen=True)
class MeterSettleConfig:
    """``[settle]``: settle meters' surplus as the oracle worker does (off by default)."""

    policy: SettleConfig = field(default_factory=lambda: SettleConfig(enabled=False, interval_secs=60.0))
    meters: tuple[str, ...] = ()
    """Serials to settle (empty: every meter of the registry)."""


@dataclass(frozen=True)
class KeeperConfig:
    cluster: str
    payer_path: Path
    markets: tuple[Pubkey, ...] = ()
    """The markets to keep (empty: every market of the trading program, found again every
    ``discover_secs``)."""
    max_orders_per_chunk: int = DEFAULT_CHUNK_ORDERS
    prune: bool = True
    prune_max_orders: int = MAX_PRUNE_ORDERS
    poll_secs: float = 2.0
    discover_secs: float = 60.0
    status_path: Path | None = None
    status_interval_secs: float = 10.0
    settle: MeterSettleConfig = field(default_factory=MeterSettleConfig)


TOP_KEYS = (
    "cluster", "payer", "markets", "max_orders_per_chunk", "prune", "prune_max_orders", "poll_secs",
    "discover_secs", "status_file", "status_interval_secs", "settle",
)  # fmt: skip
SETTLE_KEYS = ("enabled", "meters", "min_surplus_wh", "interval_secs")

_read = ConfigReader(KeeperConfigError, "keeper config")


def _bounded(data: dict[str, Any], key: str, default: int, high: int) -> int:
    value: int = _read.get(data, key, int, "config", default)
    if not 1 <= value <= high:
        raise KeeperConfigError(f"{key} must be 1..{high}")
    return value


def _markets(data: dict[str, Any]) -> tuple[Pubkey, ...]:
    listed = _read.get(data, "markets", list, "config", [])
    markets: list[Pubkey] = []
    for i, text in enumerate(listed):
        if not isinstance(text, str):
            raise KeeperConfigError(f"markets[{i}] must be a market address (a string)")
        market = _read.pubkey(text, f"markets[{i}]")
        if market in markets:
            raise KeeperConfigError(f"markets[{i}] {text} is listed twice")
        markets.append(market)
    return tuple(markets)


def _settle(data: dict[str, Any]) -> MeterSettleConfig:
    raw = _read.get(data, "settle", dict, "config", {})
    _read.known(raw, SETTLE_KEYS, "[settle]")
    serials = _read.get(raw, "meters", list, "settle", [])
    for i, serial in enumerate(serials):
        if not isinstance(serial, str) or not 1 <= len(serial.encode()) <= 32:
            raise KeeperConfigError(f"settle.meters[{i}] must be a meter serial of 1 to 32 bytes")
    minimum = _read.get(raw, "min_surplus_wh", int, "settle", 1)
    if minimum < 1:
        raise KeeperConfigError("settle.min_surplus_wh must be >= 1")
    policy = SettleConfig(
        _read.get(raw, "enabled", bool, "settle", False),
        minimum,
        _read.number(raw, "interval_secs", "settle", 60.0, minimum=0.1),
    )
    return MeterSettleConfig(policy, tuple(dict.fromkeys(serials)))


def parse_config(data: dict[str, Any], base: Path) -> KeeperConfig:
    """The settings of a parsed TOML document whose relative paths are relative to ``base``."""
    _read.known(data, TOP_KEYS, "config")
    status = _read.get(data, "status_file", str, "config", DEFAULT_STATUS_FILE)
    return KeeperConfig(
        cluster=_read.cluster(_read.required(data, "cluster", str, "config")),
        payer_path=base / _read.required(data, "payer", str, "config"),
        markets=_markets(data),
        max_orders_per_chunk=_bounded(data, "max_orders_per_chunk", DEFAULT_CHUNK_ORDERS, MAX_CHUNK_ORDERS),
        prune=_read.get(data, "prune", bool, "config", True),
        prune_max_orders=_bounded(data, "prune_max_orders", MAX_PRUNE_ORDERS, MAX_PRUNE_ORDERS),
        poll_secs=_read.number(data, "poll_secs", "config", 2.0, minimum=0.01),
        discover_secs=_read.number(data, "discover_secs", "config", 60.0, minimum=0.01),
        status_path=base / status if status else None,
        status_interval_secs=_read.number(data, "status_interval_secs", "config", 10.0, minimum=0.1),
        settle=_settle(data),
    )


def load_config(path: Path) -> KeeperConfig:
    return parse_config(_read.load(path), path.resolve().parent)

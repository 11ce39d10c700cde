"""The oracle operator's one configuration file (TOML), parsed into typed settings.

Relative paths in the file are resolved against the file's directory, so a config directory can be moved
as a whole. Every problem is reported as one :class:`OracleConfigError` line naming the offending key.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from solders.pubkey import Pubkey

from solgrid.automation.config import ConfigError, ConfigReader
from solgrid.automation.meter_settlement import SettleConfig
from solgrid.sdk.readings import DeviceSigner

PROFILES = ("solar", "wind", "hydro", "consumer")
MAX_BATCH = 6
"""Readings per v0 transaction with a lookup table: a seventh signature no longer fits 1232 bytes."""

__all__ = ["MAX_BATCH", "MeterConfig", "OracleConfig", "OracleConfigError", "SettleConfig", "SimulatorConfig"]


class OracleConfigError(ConfigError):
    """The oracle configuration file is missing, not TOML, or has an invalid value."""


@dataclass(frozen=True)
class MeterConfig:
    serial: str
    owner: Pubkey
    zone: int
    device: DeviceSigner | None
    """The device key the worker signs simulated and CSV readings with (None: push-only meter)."""
    device_pubkey: bytes
    profile: str = "solar"
    capacity_w: int = 5_000
    daily_consumption_wh: int = 10_000


@dataclass(frozen=True)
class SimulatorConfig:
    seed: int = 0
    window_secs: int = 900
    windows: int | None = None
    """Stop after this many windows per meter (None: keep up with the cluster clock forever)."""
    meters: tuple[str, ...] = ()
    """Serials to simulate (empty: every meter with a device key)."""


@dataclass(frozen=True)
class OracleConfig:
    cluster: str
    payer_path: Path
    queue_path: Path
    meters: dict[str, MeterConfig]
    simulator: SimulatorConfig | None = None
    csv_paths: tuple[Path, ...] = ()
    http_listen: tuple[str, int] | None = None
    batch_size: int = MAX_BATCH
    lanes: int = 4
    poll_secs: float = 0.5
    status_path: Path | None = None
    status_interval_secs: float = 10.0
    settle: SettleConfig = field(default_factory=SettleConfig)


TOP_KEYS = (
    "cluster", "payer", "queue", "batch_size", "lanes", "poll_secs", "status_file", "status_interval_secs",
    "csv", "http", "simulator", "settle", "meters",
)  # fmt: skip
METER_KEYS = (
    "serial", "owner", "zone", "device_key", "device_pubkey", "profile", "capacity_w", "daily_consumption_wh",
)  # fmt: skip
TABLE_KEYS = {
    "http": ("listen",),
    "simulator": ("enabled", "seed", "window_secs", "windows", "meters"),
    "settle": ("enabled", "min_surplus_wh", "interval_secs"),
}


_read = ConfigReader(OracleConfigError, "oracle config")


def read_device_key(path: Path) -> DeviceSigner:
    """A device key file: a Solana CLI keypair (JSON array of 64 bytes; the first 32 are the seed)."""
    try:
        raw = bytes(json.loads(path.read_text()))
    except FileNotFoundError:
        raise OracleConfigError(f"device key file {path} not found") from None
    except (OSError, ValueError, TypeError) as e:
        raise OracleConfigError(f"device key file {path} is not a keypair file: {e}") from None
    if len(raw) != 64:
        raise OracleConfigError(f"device key file {path} holds {len(raw)} bytes, not 64")
    signer = DeviceSigner.from_seed(raw[:32])
    if signer.public_key != raw[32:]:
        raise OracleConfigError(f"device key file {path}: public half does not match the secret")
    return signer


def _meter(raw: dict[str, Any], base: Path, index: int) -> MeterConfig:
    where = f"meters[{index}]"
    _read.known(raw, METER_KEYS, where)
    serial = _read.required(raw, "serial", str, where)
    if not 1 <= len(serial.encode()) <= 32:
        raise OracleConfigError(f"{where}.serial must be 1 to 32 bytes")
    owner = _read.pubkey(_read.required(raw, "owner", str, where), f"{where}.owner")
    zone = _read.required(raw, "zone", int, where)
    key_file = _read.get(raw, "device_key", str, where)
    device = read_device_key(base / key_file) if key_file else None
    pubkey_text = _read.get(raw, "device_pubkey", str, where)
    if device is None and pubkey_text is None:
        raise OracleConfigError(f"{where} needs device_key (a key file) or device_pubkey")
    if device is not None:
        device_pubkey = device.public_key
    else:
        device_pubkey = bytes(_read.pubkey(pubkey_text, f"{where}.device_pubkey"))
    if (
        device is not None
        and pubkey_text is not None
        and bytes(_read.pubkey(pubkey_text, where)) != device_pubkey
    ):
        raise OracleConfigError(f"{where}.device_pubkey does not match device_key")
    profile = _read.get(raw, "profile", str, where, "solar")
    if profile not in PROFILES:
        raise OracleConfigError(f"{where}.profile must be one of {', '.join(PROFILES)}")
    capacity = _read.get(raw, "capacity_w", int, where, 5_000)
    daily = _read.get(raw, "daily_consumption_wh", int, where, 10_000)
    if capacity < 1 or daily < 0:
        raise OracleConfigError(f"{where}: capacity_w must be >= 1 and daily_consumption_wh >= 0")
    return MeterConfig(serial, owner, zone, device, device_pubkey, profile, capacity, daily)


def _listen(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise OracleConfigError(f"http.listen must be HOST:PORT, not {text!r}")
    return host, int(port)


def parse_config(data: dict[str, Any], base: Path) -> OracleConfig:
    """The settings of a parsed TOML document whose relative paths are relative to ``base``."""
    _read.known(data, TOP_KEYS, "config")
    for name, keys in TABLE_KEYS.items():
        if isinstance(data.get(name), dict):
            _read.known(data[name], keys, f"[{name}]")
    meters_raw = _read.get(data, "meters", list, "config", [])
    meters: dict[str, MeterConfig] = {}
    for i, raw in enumerate(meters_raw):
        if not isinstance(raw, dict):
            raise OracleConfigError(f"meters[{i}] must be a table")
        meter = _meter(raw, base, i)
        if meter.serial in meters:
            raise OracleConfigError(f"meters[{i}].serial {meter.serial!r} is listed twice")
        meters[meter.serial] = meter
    if not meters:
        raise OracleConfigError("config lists no [[meters]]")

    simulator = None
    if (sim := _read.get(data, "simulator", dict, "config")) is not None and _read.get(
        sim, "enabled", bool, "simulator", True
    ):
        serials = tuple(_read.get(sim, "meters", list, "simulator", []))
        for s in serials:
            if s not in meters or meters[s].device is None:
                raise OracleConfigError(
                    f"simulator.meters: {s!r} is not a configured meter with a device_key"
                )
        window = _read.get(sim, "window_secs", int, "simulator", 900)
        windows = _read.get(sim, "windows", int, "simulator")
        if not 60 <= window <= 3600 or (windows is not None and windows < 0):
            raise OracleConfigError("simulator.window_secs must be 60..3600 and windows >= 0")
        simulator = SimulatorConfig(_read.get(sim, "seed", int, "simulator", 0), window, windows, serials)

    csv_paths = tuple(base / p for p in _read.get(data, "csv", list, "config", []))
    http = _read.get(data, "http", dict, "config", {})
    listen = _read.get(http, "listen", str, "http")
    settle_raw = _read.get(data, "settle", dict, "config", {})
    settle = SettleConfig(
        _read.get(settle_raw, "enabled", bool, "settle", True),
        _read.get(settle_raw, "min_surplus_wh", int, "settle", 1),
        float(_read.get(settle_raw, "interval_secs", (int, float), "settle", 10.0)),
    )
    batch = _read.get(data, "batch_size", int, "config", MAX_BATCH)
    if not 1 <= batch <= MAX_BATCH:
        raise OracleConfigError(f"batch_size must be 1..{MAX_BATCH}")
    lanes = _read.get(data, "lanes", int, "config", 4)
    if lanes < 1:
        raise OracleConfigError("lanes must be >= 1")
    status = _read.get(data, "status_file", str, "config")
    return OracleConfig(
        cluster=_read.cluster(_read.required(data, "cluster", str, "config")),
        payer_path=base / _read.required(data, "payer", str, "config"),
        queue_path=base / _read.get(data, "queue", str, "config", "oracle-queue.sqlite"),
        meters=meters,
        simulator=simulator,
        csv_paths=csv_paths,
        http_listen=_listen(listen) if listen else None,
        batch_size=batch,
        lanes=lanes,
        poll_secs=float(_read.get(data, "poll_secs", (int, float), "config", 0.5)),
        status_path=base / status if status else None,
        status_interval_secs=float(_read.get(data, "status_interval_secs", (int, float), "config", 10.0)),
        settle=settle,
    )


def check_drain(config: OracleConfig) -> None:
    """Refuse a config that ``--drain`` could never finish: a simulator without ``windows``."""
    if config.simulator is not None and config.simulator.windows is None:
        raise OracleConfigError(
            "--drain needs simulator.windows: a simulator without it never ends (set windows, or run "
            "without --drain)"
        )


def load_config(path: Path) -> OracleConfig:
    return parse_config(_read.load(path), path.resolve().parent)

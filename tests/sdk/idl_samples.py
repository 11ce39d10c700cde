"""Values of the trading IDL's types, built from the IDL alone (every field a distinct value), and their
borsh bytes as anchorpy encodes them: the decoding tests compare what the SDK reads from those bytes with
the values, so a layout that drifts from the IDL fails."""

from __future__ import annotations

import itertools
from typing import Any

from solders.pubkey import Pubkey

from solgrid.sdk.idl import load_idl_json
from solgrid.sdk.trading import TradingClient

IDL = load_idl_json("trading")
TYPES = {t["name"]: t["type"] for t in IDL["types"]}
CODER = TradingClient().coder
INTEGER_BITS = {"u8": 8, "u16": 16, "u32": 32, "u64": 64, "i64": 63}


class Sampler:
    """Distinct values per field: integers count up from ``start`` (within each type's range), keys
    are fresh, enums take ``variant`` (modulo their size)."""

    def __init__(self, start: int = 1, variant: int = 1) -> None:
        self.counter = itertools.count(start)
        self.variant = variant

    def value(self, ty: Any) -> Any:
        if ty == "pubkey":
            return Pubkey.new_unique()
        if ty == "bool":
            return next(self.counter) % 2 == 1
        if isinstance(ty, str):
            return next(self.counter) % (1 << INTEGER_BITS[ty])
        if "array" in ty:
            item, count = ty["array"]
            return [self.value(item) for _ in range(count)]
        if "vec" in ty:
            item = ty["vec"]
            if _data_enum(item):
                return []  # enums with fields (MatchStep) are not sampled
            return [self.value(item) for _ in range(3)]
        name = ty["defined"]["name"]
        definition = TYPES[name]
        if definition["kind"] == "enum":
            return CODER.unit_variant(name, self.variant % len(definition["variants"]))
        return self.struct(name)

    def struct(self, name: str) -> dict[str, Any]:
        return {f["name"]: self.value(f["type"]) for f in TYPES[name]["fields"]}


def _data_enum(ty: Any) -> bool:
    if not isinstance(ty, dict) or "defined" not in ty:
        return False
    definition = TYPES[ty["defined"]["name"]]
    return definition["kind"] == "enum" and any("fields" in v for v in definition["variants"])


def encode_type(name: str, values: dict[str, Any]) -> bytes:
    encoded: bytes = CODER.coder.types.encode(name, values)
    return encoded


def encode_event(name: str, values: dict[str, Any]) -> bytes:
    """The data of the self-CPI that carries event ``name``: tag, discriminator, borsh."""
    from solgrid.sdk.trading.events import EVENT_IX_TAG_LE

    events = CODER.coder.events
    discriminator = next(d for d, n in events.discriminators.items() if n == name)
    return EVENT_IX_TAG_LE + discriminator + events.layouts[name].build(values)


def plain(value: Any) -> Any:
    """A sampled value as the SDK's dataclasses hold it (enums as their variant index)."""
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if hasattr(type(value), "index"):
        return type(value).index
    return value

"""What the demo's periodic market must clear at: its planned orders (``scripts/demo.py``'s
``AUCTION_ORDERS``) through the SDK's reference of the clearing rule, so that the demo tests follow the
rule rather than copy its result."""

from __future__ import annotations

import importlib.util
import re
import sys
from decimal import Decimal
from pathlib import Path
from types import ModuleType

from solgrid.sdk.trading.clearing import BookOrder, Clearing, aggregate, clear

REPO = Path(__file__).resolve().parents[1]


def auction_clearing() -> Clearing:
    """The clearing of the demo's planned auction orders in 1 kWh units (1 Wh lots, 0.001 ticks), by the
    SDK's reference of the rule (the market's first clearing: no reference price)."""
    book = [
        BookOrder(o.side, int(Decimal(o.price) * 1000), o.units * 1000) for o in demo_module().AUCTION_ORDERS
    ]
    return clear(aggregate(book), 0)


def demo_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("demo_script", REPO / "scripts" / "demo.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def ends_with_the_dashboard(out: str) -> bool:
    """The demo's output ends with everything stopped, then the dashboard's URL (stopped with it)."""
    last = out.rstrip().splitlines()[-3:]
    url = r"dashboard: http://127\.0\.0\.1:\d+/ \(stopped with the demo: make demo ARGS=--serve keeps it up\)"
    return (
        len(last) == 3 and last[:2] == ["everything stopped", ""] and re.fullmatch(url, last[2]) is not None
    )

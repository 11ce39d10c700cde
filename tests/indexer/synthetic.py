"""Transactions whose logs are built from the real IDLs' event layouts, for store/decoder tests that
need shapes the programs do not produce on demand (truncated logs, forged data, gaps)."""

from __future__ import annotations

import base64
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from solders.keypair import Keypair
from solders.pubkey import Pubkey

from solgrid.indexer.chain import SignatureInfo
from solgrid.indexer.store import FetchedTransaction
from solgrid.sdk.anchor import ProgramCoder
from solgrid.sdk.energy_token import EnergyTokenClient
from solgrid.sdk.registry import RegistryClient

REGISTRY = RegistryClient().coder
TOKEN = EnergyTokenClient().coder
_serial = itertools.count(1)


def data_line(coder: ProgramCoder, name: str, fields: dict[str, Any]) -> str:
    events = coder.coder.events
    disc = next(d for d, n in events.discriminators.items() if n == name)
    return "Program data: " + base64.b64encode(disc + events.layouts[name].build(fields)).decode()


def invoke(program: Pubkey | str, depth: int, body: Sequence[str]) -> list[str]:
    return [f"Program {program} invoke [{depth}]", *body, f"Program {program} success"]


def reading(meter: Pubkey, start: int, produced: int) -> tuple[ProgramCoder, str, dict[str, Any]]:
    return (
        REGISTRY,
        "ReadingAccepted",
        {
            "meter": meter,
            "window_start": start,
            "window_end": start + 600,
            "production_wh": 100,
            "consumption_wh": 40,
            "produced_wh": produced,
            "consumed_wh": produced * 2 // 5,
        },
    )


def signature() -> str:
    return str(Keypair().sign_message(next(_serial).to_bytes(8, "little")))


def tx(logs: list[str], slot: int = 10, succeeded: bool = True) -> FetchedTransaction:
    return FetchedTransaction(signature(), slot, 1_700_000_000, succeeded, logs)


@dataclass
class FakeChain:
    """A ChainReader whose history the test controls; ``missing`` signatures are not fetchable yet."""

    history: dict[str, list[FetchedTransaction]] = field(default_factory=dict)
    missing: set[str] = field(default_factory=set)
    final: int | None = None
    """The finalized slot (None: everything listed is final, as at ``finalized`` commitment)."""
    fetched: list[str] = field(default_factory=list)
    """Every getTransaction asked for, in order."""
    listed_until: list[str | None] = field(default_factory=list)
    """The ``until`` of every getSignaturesForAddress page."""

    async def final_slot(self) -> int | None:
        return self.final

    async def signatures(
        self, program: str, *, until: str | None, before: str | None, limit: int
    ) -> list[SignatureInfo]:
        self.listed_until.append(until)
        ordered = sorted(self.history.get(program, []), key=lambda t: t.slot)  # stable within a slot
        newest_first = [SignatureInfo(t.signature, t.slot) for t in reversed(ordered)]
        sigs = [i.signature for i in newest_first]
        if before is not None:
            newest_first = newest_first[sigs.index(before) + 1 :]
            sigs = [i.signature for i in newest_first]
        if until is not None and until in sigs:
            newest_first = newest_first[: sigs.index(until)]
        return newest_first[:limit]

    async def transaction(self, signature: str) -> FetchedTransaction | None:
        self.fetched.append(signature)
        if signature in self.missing:
            return None
        for txs in self.history.values():
            for t in txs:
                if t.signature == signature:
                    return t
        return None

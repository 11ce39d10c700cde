"""Transactions whose logs are built from the real IDLs' event layouts, for store/decoder tests that
need shapes the programs do not produce on demand (truncated logs, forged data, gaps)."""

from __future__ import annotations

import base64
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from solgrid.indexer.chain import HistoryUnavailable, SignatureInfo
from solgrid.indexer.recover import ExecutedInstruction, Execution
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


def executed(index: int, ix: Instruction, depth: int = 1) -> ExecutedInstruction:
    """``ix`` as getTransaction shows it run: under top-level instruction ``index`` at stack ``depth``."""
    return ExecutedInstruction(
        index, depth, str(ix.program_id), tuple(str(a.pubkey) for a in ix.accounts), bytes(ix.data)
    )


def run_tx(
    logs: list[str],
    instructions: Sequence[ExecutedInstruction],
    slot: int = 10,
    owners: Sequence[tuple[str, str]] = (),
) -> FetchedTransaction:
    """A successful transaction with its message and the instructions it ran (CPIs included)."""
    return FetchedTransaction(
        signature(),
        slot,
        1_700_000_000,
        True,
        logs,
        tuple(ix.program for ix in instructions if ix.depth == 1),
        Execution(tuple(instructions), tuple(owners)),
    )


@dataclass
class FakeChain:
    """A ChainReader whose history the test controls; ``missing`` signatures are not fetchable yet.

    Like a validator, it answers a ``before``/``until`` signature it does not have (never listed, or in
    a slot before ``first_available``: pruned) with :class:`HistoryUnavailable`."""

    history: dict[str, list[FetchedTransaction]] = field(default_factory=dict)
    missing: set[str] = field(default_factory=set)
    final: int | None = None
    """The finalized slot (None: everything listed is final, as at ``finalized`` commitment)."""
    first_available: int = 0
    """Transactions in earlier slots are pruned: not listed, not fetchable."""
    fetched: list[str] = field(default_factory=list)
    """Every getTransaction asked for, in order."""
    listed_until: list[str | None] = field(default_factory=list)
    """The ``until`` of every getSignaturesForAddress page."""

    async def final_slot(self) -> int | None:
        return self.final

    async def finalized_slot(self) -> int:
        if self.final is not None:
            return self.final
        return max((t.slot for txs in self.history.values() for t in txs), default=0)

    async def first_available_slot(self) -> int:
        return self.first_available

    def _served(self) -> list[FetchedTransaction]:
        return [t for txs in self.history.values() for t in txs if t.slot >= self.first_available]

    async def signatures(
        self, program: str, *, until: str | None, before: str | None, limit: int
    ) -> list[SignatureInfo]:
        self.listed_until.append(until)
        served = {t.signature for t in self._served()}
        for bound in (before, until):
            if bound is not None and bound not in served:
                raise HistoryUnavailable(f"getSignaturesForAddress failed: Transaction {bound} not found")
        kept = [t for t in self.history.get(program, []) if t.slot >= self.first_available]
        ordered = sorted(kept, key=lambda t: t.slot)  # stable within a slot
        newest_first = [SignatureInfo(t.signature, t.slot) for t in reversed(ordered)]
        sigs = [i.signature for i in newest_first]
        if before is not None:
            newest_first = newest_first[sigs.index(before) + 1 :] if before in sigs else []
            sigs = [i.signature for i in newest_first]
        if until is not None and until in sigs:
            newest_first = newest_first[: sigs.index(until)]
        return newest_first[:limit]

    async def transaction(self, signature: str) -> FetchedTransaction | None:
        self.fetched.append(signature)
        if signature in self.missing:
            return None
        for t in self._served():
            if t.signature == signature:
                return t
        return None


# -- a zone, a user and a meter, and their transactions ------------------------------------------

OWNER = Pubkey.new_unique()
METER = Pubkey.new_unique()
ZONE = Pubkey.new_unique()
USER = Pubkey.new_unique()
REG = str(REGISTRY.program_id)
TOK = str(TOKEN.program_id)


def registration_logs() -> list[str]:
    zone = {
        "zone": ZONE,
        "zone_id": 7,
        "name": list(b"north".ljust(32, b"\0")),
        "max_capacity_kw": 500,
        "timestamp": 1,
    }
    user = {
        "user": USER,
        "authority": OWNER,
        "role": REGISTRY.unit_variant("UserRole", 0),
        "zone_id": 7,
        "user_index": 0,
        "timestamp": 2,
    }
    meter = {
        "meter": METER,
        "serial": list(b"M-1".ljust(32, b"\0")),
        "owner": OWNER,
        "zone_id": 7,
        "device_key": [3] * 32,
        "source": REGISTRY.unit_variant("EnergySource", 0),
        "capacity_w": 5000,
        "timestamp": 3,
    }
    return [
        *invoke(REGISTRY.program_id, 1, [data_line(REGISTRY, "ZoneCreated", zone)]),
        *invoke(
            REGISTRY.program_id,
            1,
            [data_line(REGISTRY, "UserRegistered", user), data_line(REGISTRY, "MeterRegistered", meter)],
        ),
    ]


def settle_logs() -> list[str]:
    settled = {"meter": METER, "owner": OWNER, "amount_wh": 60, "settled_wh": 60}
    minted = {
        "meter": METER,
        "owner": OWNER,
        "destination": Pubkey.new_unique(),
        "amount_wh": 60,
        "amount": 60_000,
    }
    cpi = invoke(REGISTRY.program_id, 2, [data_line(REGISTRY, "MeterSettled", settled)])
    return invoke(TOKEN.program_id, 1, [*cpi, data_line(TOKEN, "GridMinted", minted)])


def reading_tx(i: int, slot: int) -> Any:
    """One ReadingAccepted for window ``i`` of METER (cumulative production 100 * (i + 1))."""
    coder, name, fields = reading(METER, 600 * i, 100 * (i + 1))
    return tx(invoke(REGISTRY.program_id, 1, [data_line(coder, name, fields)]), slot=slot)

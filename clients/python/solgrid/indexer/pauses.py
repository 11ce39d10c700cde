"""The registry's emergency pauses as the ``pauses`` table: one row per Paused / Resumed, of a zone or
of the whole market, with what it changed, the flags left set, and who did it.

A pause names its regulator (``by``; the governance PDA when a proposal paused). A resume takes a
quorum and its event names nobody: it was either an executed proposal (``by`` = the governance PDA,
``proposal`` = the proposal) or regulators co-signing (``cosigners``), read from the transaction by
:mod:`solgrid.indexer.authority`. The scope's state after a row is its ``paused``; the latest row of a
zone (or of the market, ``zone_id`` NULL) is its state now.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from solgrid.indexer.authority import Authority
from solgrid.indexer.trading import Position
from solgrid.sdk.registry_governance import flag_names

PAUSE_EVENTS = frozenset({"Paused", "Resumed"})


def pause_row(
    name: str, d: Mapping[str, Any], position: Position, block_time: int | None, authority: Authority
) -> dict[str, Any]:
    """The ``pauses`` row of a Paused / Resumed event (fields ``d``)."""
    by = d.get("by") if name == "Paused" else authority.by
    return {
        "signature": position.signature,
        "instruction_index": position.instruction_index,
        "event_index": position.event_index,
        "action": "pause" if name == "Paused" else "resume",
        "zone_id": d.get("zone_id"),
        "flags": d["flags"],
        "paused": d["paused"],
        "by": by,
        "cosigners": None if name == "Paused" or authority.cosigners is None else list(authority.cosigners),
        "proposal": authority.proposal,
        "slot": position.slot,
        "timestamp": block_time,
    }


def pause_frame(row: Mapping[str, Any]) -> dict[str, Any]:
    """A ``pause`` frame of the feed: the row, with the flags by name."""
    return {
        **row,
        "flag_names": flag_names(int(row["flags"])),
        "paused_names": flag_names(int(row["paused"])),
    }

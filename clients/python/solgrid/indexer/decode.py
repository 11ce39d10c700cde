"""Turns a transaction's log messages into the events the indexer stores, each with its position.

Anchor-style events are ``Program data: <base64>`` lines logged by the emitting program. The position
key ``(instruction_index, event_index)`` is derived from the runtime's ``invoke [1]`` lines: every
top-level instruction that runs a program starts one, and everything logged until the next one (CPIs
included) belongs to it. Precompiles (Ed25519, secp256k1, secp256r1 signature checks) log nothing, so
each ``invoke [1]`` is matched to the next message instruction of the same program id:
``instruction_index`` is the instruction's index in the transaction message, as explorers show it.
``event_index`` counts the events of that instruction (its CPIs included) from 0. Only data lines
logged while a known program is on top of the invoke stack count, so another program cannot forge our
events by logging the same bytes.

Log truncation. The runtime keeps at most 10,000 bytes of log text per transaction (agave's log
collector limit): the first message that does not fit is replaced by a single ``Log truncated`` line
and dropped, and so is every later message that does not fit either; a later *shorter* message can
still be kept (measured on LiteSVM: after ``Log truncated`` a short ``Program log:`` line of the next
instruction appears without its ``invoke`` line). So only the lines before ``Log truncated`` can be
attributed to instructions; :meth:`EventDecoder.decode_logs` stops there and reports ``truncated``,
with the events that survived (all before the cut, each exact) and ``complete``: the top-level
instructions whose whole run is in the logs. Anyone can force truncation (``settle_and_mint`` is
permissionless and any fee payer can put chatty instructions first), so the events the cut removed
are rebuilt from the transaction's instructions by :mod:`solgrid.indexer.recover`.

Events emitted through a self-CPI (Anchor's ``emit_cpi`` format, :mod:`solgrid.sdk.cpi_events`) are
read from the transaction's inner instructions (:meth:`EventDecoder.cpi_events`), which the runtime
records in full however long the logs are, and placed among the logged events of the same top-level
instruction by :func:`interleave`: the runtime logs one ``invoke [n]`` line (n >= 2) per inner
instruction, in the order ``meta.innerInstructions`` lists them, so a logged event that followed k such
lines of its instruction's run came after the events of inner instructions 0..k-1 and before the
others. :meth:`EventDecoder.decode_logs` records that k per logged event (``inner``) and, per
instruction, how many such lines the logs hold (``inner_seen``, up to a cut). What this guarantees:

- an instruction whose run the logs show completely: every event, logged or self-CPI'd, at its exact
  execution position (``event_index`` 0, 1, ... in the order they were emitted);
- an instruction a log truncation cut: the logged events that survived and the self-CPI events whose
  ``invoke`` line is before the cut, exact and in order, first; then every self-CPI event after the cut
  (they are all there: inner instructions are never truncated), exact, in execution order among
  themselves. How they are ordered with the logged events the cut removed is
  :mod:`solgrid.indexer.recover`'s business.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import keyword
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from solders.pubkey import Pubkey

from solgrid.sdk.anchor import DISCRIMINATOR_LEN, ProgramCoder
from solgrid.sdk.cpi_events import InvokedInstruction, decode_cpi_events

INVOKE = re.compile(r"^Program (?P<program>\w+) invoke \[(?P<depth>\d+)\]$")
EXIT = re.compile(r"^Program \w+ (success$|failed)")
DATA = "Program data: "
TRUNCATED = "Log truncated"


@dataclass(frozen=True)
class DecodedEvent:
    program: str
    name: str
    instruction_index: int
    event_index: int
    data: dict[str, Any]
    recovered: bool = False
    """Rebuilt from the transaction's instructions because the logs were cut (see :mod:`recover`)."""
    inner: int = 0
    """Where the event happened among its instruction's inner instructions: for a logged event, how many
    of them had been invoked when it was logged; for a self-CPI event, the index of its own."""
    via_cpi: bool = False
    """Emitted through a self-CPI (read from the inner instructions), not logged."""


@dataclass(frozen=True)
class DecodedLogs:
    events: list[DecodedEvent]
    truncated: bool
    complete: frozenset[int] = frozenset()
    """Top-level instructions whose run ended (success line) before any truncation: their logged
    events in ``events`` are all of them."""
    inner_seen: Mapping[int, int] = field(default_factory=dict)
    """Per top-level instruction, how many ``invoke [n]`` lines (n >= 2) of its run the logs hold (up
    to a cut): its first that many inner instructions ran before the cut."""


class EventDecoder:
    """Decodes the events of every program it knows (one :class:`ProgramCoder` per program id)."""

    def __init__(self, coders: Iterable[ProgramCoder]) -> None:
        self._coders: dict[str, ProgramCoder] = {str(c.program_id): c for c in coders}
        self._names: dict[str, Mapping[bytes, str]] = {
            pid: c.coder.events.discriminators for pid, c in self._coders.items()
        }

    @property
    def program_ids(self) -> list[Pubkey]:
        return [c.program_id for c in self._coders.values()]

    @property
    def coders(self) -> list[ProgramCoder]:
        return list(self._coders.values())

    def decode_logs(
        self, logs: Sequence[str], instruction_programs: Sequence[str] | None = None
    ) -> DecodedLogs:
        """The events in ``logs``; ``instruction_programs`` (the message's top-level program ids) turns
        the count of ``invoke [1]`` lines into message instruction indexes."""
        events: list[DecodedEvent] = []
        stack: list[str] = []
        instruction = -1
        per_instruction = 0
        complete: set[int] = set()
        inner_seen: dict[int, int] = {}
        for line in logs:
            if line.startswith(TRUNCATED):
                return DecodedLogs(events, True, frozenset(complete), inner_seen)
            if match := INVOKE.match(line):
                if match["depth"] == "1":
                    instruction = _instruction_of(match["program"], instruction + 1, instruction_programs)
                    per_instruction = 0
                    stack.clear()
                    inner_seen[instruction] = 0
                else:
                    inner_seen[instruction] = inner_seen.get(instruction, 0) + 1
                stack.append(match["program"])
            elif EXIT.match(line):
                if stack:
                    stack.pop()
                    if not stack:
                        complete.add(instruction)
            elif line.startswith(DATA):
                if not stack or stack[-1] not in self._coders:
                    continue
                for chunk in line[len(DATA) :].split():
                    decoded = self._decode(stack[-1], chunk)
                    if decoded is not None:
                        name, data = decoded
                        events.append(
                            DecodedEvent(
                                stack[-1],
                                name,
                                instruction,
                                per_instruction,
                                data,
                                inner=inner_seen.get(instruction, 0),
                            )
                        )
                        per_instruction += 1
        return DecodedLogs(events, False, frozenset(complete), inner_seen)

    def cpi_events(self, instructions: Sequence[InvokedInstruction]) -> list[DecodedEvent]:
        """The self-CPI events of every known program among a successful transaction's
        ``instructions``, in execution order, each with ``inner`` set (``event_index`` is a
        placeholder until :func:`interleave` or the recovery places it)."""
        found = [
            DecodedEvent(
                event.program,
                event.name,
                event.instruction_index,
                -1,
                plain_fields(event.data),
                inner=event.inner_index,
                via_cpi=True,
            )
            for coder in self._coders.values()
            for event in decode_cpi_events(coder, instructions)
        ]
        found.sort(key=lambda e: (e.instruction_index, e.inner))
        return found

    def _decode(self, program: str, chunk: str) -> tuple[str, dict[str, Any]] | None:
        try:
            raw = base64.b64decode(chunk, validate=True)
        except binascii.Error:
            return None
        name = self._names[program].get(raw[:DISCRIMINATOR_LEN])
        if name is None:
            return None
        event = self._coders[program].coder.events.parse(raw)
        if event is None:
            return None
        return name, plain_fields(event.data)


def interleave(logged: Sequence[DecodedEvent], cpi: Sequence[DecodedEvent]) -> list[DecodedEvent]:
    """The logged and self-CPI events of whole instruction runs in execution order, each instruction's
    numbered from 0 (with no self-CPI event: the logged events as they are).

    A self-CPI event is the ``inner``-th inner instruction, so it came after the logged events that
    followed fewer than ``inner + 1`` ``invoke`` lines and before the others."""
    if not cpi:
        return list(logged)
    merged = sorted([*logged, *cpi], key=execution_order)
    placed: list[DecodedEvent] = []
    for event in merged:
        same = placed and placed[-1].instruction_index == event.instruction_index
        position = placed[-1].event_index + 1 if same else 0
        placed.append(dataclasses.replace(event, event_index=position))
    return placed


def execution_order(event: DecodedEvent) -> tuple[int, int, int, int]:
    """Sort key of a top-level instruction's events in the order they were emitted (see
    :func:`interleave`)."""
    if event.via_cpi:
        return event.instruction_index, event.inner + 1, 0, 0
    return event.instruction_index, event.inner, 1, event.event_index


def _instruction_of(program: str, start: int, instruction_programs: Sequence[str] | None) -> int:
    """Index of the first instruction of ``program`` at or after ``start`` (``start`` when the message
    is unknown or disagrees with the logs, which keeps positions unique and increasing)."""
    if instruction_programs is not None:
        for index in range(start, len(instruction_programs)):
            if instruction_programs[index] == program:
                return index
    return start


def plain_fields(container: Any) -> dict[str, Any]:
    """An anchorpy event/struct (a dataclass, or a mapping) as JSON-ready fields (see :func:`plain`),
    named as in the IDL (anchorpy renames a field named like a Python keyword, ``from`` -> ``from_``)."""
    if dataclasses.is_dataclass(container) and not isinstance(container, type):
        items = [(f.name, getattr(container, f.name)) for f in dataclasses.fields(container)]
    else:
        items = list(dict(container).items())
    return {_idl_name(key): plain(value) for key, value in items if not key.startswith("_")}


def _idl_name(key: str) -> str:
    return key[:-1] if key.endswith("_") and keyword.iskeyword(key[:-1]) else key


def plain(value: Any) -> Any:
    """JSON-ready: pubkeys and 32-byte keys in base58, byte strings (serials, names) as text when
    printable UTF-8 else hex, enum variants by name (a variant with fields as ``{"Variant": {fields}}``, as
    serde writes it), nested structs as objects. u64 stays an int (exact)."""
    if isinstance(value, Pubkey):
        return str(value)
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, list | tuple):
        if value and all(isinstance(v, int) and 0 <= v <= 255 for v in value):
            return bytes_text(bytes(value))
        return [plain(v) for v in value]
    if isinstance(value, bytes):
        return bytes_text(value)
    if hasattr(value, "items") or (dataclasses.is_dataclass(value) and not isinstance(value, type)):
        return plain_fields(value)
    variant_fields = getattr(type(value), "__attrs_attrs__", ())  # anchorpy's enum variants (attrs)
    if variant_fields:
        return {type(value).__name__: {f.name: plain(getattr(value, f.name)) for f in variant_fields}}
    return type(value).__name__


def bytes_text(raw: bytes) -> str:
    """Zero-padded UTF-8 text as text (names, titles, reasons), a 32-byte key in base58, else hex."""
    text = raw.rstrip(b"\0")
    try:
        decoded = text.decode()
    except UnicodeDecodeError:
        decoded = ""
    if decoded and decoded.isprintable():
        return decoded
    if len(raw) == 32:
        return str(Pubkey.from_bytes(raw))
    return raw.hex()

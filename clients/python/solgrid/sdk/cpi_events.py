"""Events a program emits through a self-CPI (Anchor's ``emit_cpi`` wire format), read from a
transaction as JSON-RPC ``getTransaction`` returns it (``json`` encoding).

Logged events (``Program data:`` lines, :meth:`solgrid.sdk.anchor.ProgramCoder.events`) are lost when a
transaction's logs pass the runtime's 10,000-byte limit. A program that emits many events per
transaction therefore invokes *itself* once per event instead: the inner instruction has the program's
event-authority PDA (seeds ``[b"__event_authority"]``) as its first account, signed by the program, and
its data is ``EVENT_IX_TAG`` (8 bytes), the event's discriminator (``sha256("event:<Name>")[..8]``)
and the event's borsh bytes. Inner instructions are recorded in ``meta.innerInstructions`` in full,
whatever the logs hold.

Trust. Anyone can put the same bytes into an instruction, so an inner instruction counts as one of
program P's events only if:

- it is an inner instruction (never a top-level one: nobody can sign for a PDA at the top level);
- its program id is P and its data starts with ``EVENT_IX_TAG``;
- its first account is P's event authority (only P can sign for it, and P's event handler refuses the
  instruction unless it is signed, so in a successful transaction P signed it);
- P itself invoked it: its caller, the nearest preceding instruction of the same top-level instruction
  with a stack height one less (the top-level instruction for stack height 2), is P. The stack heights
  are ``meta.innerInstructions[*].instructions[*].stackHeight`` (agave returns them since 1.16). When a
  node gives no stack height (an old RPC node), the caller cannot be told, and the event authority
  check alone decides; :attr:`CpiEvent.caller_checked` is then False.

Only a successful transaction emitted anything: :func:`cpi_events` returns no event for a failed one.
Data with the tag whose discriminator is not an event of the IDL is not reported (an IDL older than the
program); data whose discriminator is in the IDL but whose bytes do not match the event's layout
exactly raises :class:`CpiEventDecodeError` (the IDL does not describe the deployed program).
"""

from __future__ import annotations

import functools
import io
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import base58
from construct import ConstructError
from solders.pubkey import Pubkey

from solgrid.errors import UserFacingError
from solgrid.sdk.anchor import DISCRIMINATOR_LEN, ProgramCoder
from solgrid.sdk.pda import Pda, find_pda

EVENT_IX_TAG = (0x1D9ACB512EA545E4).to_bytes(8, "little")
"""Anchor's ``EVENT_IX_TAG_LE``: the first 8 bytes of every self-CPI event instruction."""
EVENT_AUTHORITY_SEED = b"__event_authority"


class CpiEventDecodeError(UserFacingError):
    """A self-CPI event of the program whose bytes do not match the IDL's layout of that event."""


@functools.cache
def event_authority(program_id: Pubkey) -> Pda:
    """The event-authority PDA of ``program_id`` (seeds ``[b"__event_authority"]``)."""
    return find_pda([EVENT_AUTHORITY_SEED], program_id)


@dataclass(frozen=True)
class InvokedInstruction:
    """An instruction a transaction ran: a top-level one (``depth`` 1) or an inner one (a CPI) made
    while top-level instruction ``index`` ran."""

    index: int
    """The top-level instruction's index in the message."""
    depth: int | None
    """The runtime's stack height: 1 for a top-level instruction, 2 for a CPI it made, and so on; None
    for an inner instruction whose node gave no ``stackHeight``."""
    program: str
    accounts: tuple[str, ...]
    data: bytes


@dataclass(frozen=True)
class CpiEvent:
    """One event a program emitted through a self-CPI."""

    program: str
    name: str
    data: Any
    """The event's fields as anchorpy decodes them from the IDL (a construct container)."""
    instruction_index: int
    """The top-level instruction (index in the message) whose run emitted the event."""
    inner_index: int
    """The position of the event's instruction among that top-level instruction's inner instructions
    (``meta.innerInstructions``), which is also the position of its ``invoke [n]`` (n >= 2) line among
    the instruction's log lines of that kind."""
    caller_checked: bool = True
    """False when the transaction gave no stack heights, so only the event authority vouches for it."""


def account_keys(transaction: Mapping[str, Any]) -> list[str]:
    """The accounts an instruction's indexes refer to: the message's ``accountKeys``, then (v0) the
    addresses loaded from lookup tables, ``meta.loadedAddresses`` writable then readonly."""
    meta = transaction.get("meta") or {}
    loaded = meta.get("loadedAddresses") or {}
    message = transaction["transaction"]["message"]
    return [*message["accountKeys"], *loaded.get("writable", []), *loaded.get("readonly", [])]


def invoked_instructions(transaction: Mapping[str, Any]) -> list[InvokedInstruction]:
    """Every instruction of a ``getTransaction`` result (``json`` encoding) in execution order: each
    top-level instruction, then the inner instructions made while it ran."""
    keys = account_keys(transaction)
    meta = transaction.get("meta") or {}
    inner = {entry["index"]: entry["instructions"] for entry in meta.get("innerInstructions") or []}
    found: list[InvokedInstruction] = []
    for index, top in enumerate(transaction["transaction"]["message"]["instructions"]):
        found.append(_invoked(keys, index, 1, top))
        for cpi in inner.get(index, []):
            height = cpi.get("stackHeight")
            found.append(_invoked(keys, index, None if height is None else int(height), cpi))
    return found


def _invoked(
    keys: Sequence[str], index: int, depth: int | None, raw: Mapping[str, Any]
) -> InvokedInstruction:
    return InvokedInstruction(
        index=index,
        depth=depth,
        program=keys[raw["programIdIndex"]],
        accounts=tuple(keys[i] for i in raw["accounts"]),
        data=base58.b58decode(raw["data"]),
    )


def cpi_events(coder: ProgramCoder, transaction: Mapping[str, Any]) -> list[CpiEvent]:
    """The self-CPI events of ``coder``'s program in a ``getTransaction`` result (``json`` encoding,
    ``maxSupportedTransactionVersion`` 0), in execution order; none for a failed transaction."""
    if (transaction.get("meta") or {}).get("err") is not None:
        return []
    return decode_cpi_events(coder, invoked_instructions(transaction))


def decode_cpi_events(coder: ProgramCoder, instructions: Sequence[InvokedInstruction]) -> list[CpiEvent]:
    """The self-CPI events of ``coder``'s program among a *successful* transaction's ``instructions``
    (as :func:`invoked_instructions` gives them), in execution order."""
    found: list[CpiEvent] = []
    for index, inner_index, caller_checked, payload in event_payloads(coder.program_id, instructions):
        name = coder.coder.events.discriminators.get(payload[:DISCRIMINATOR_LEN])
        if name is None:
            continue
        data = _decode(coder, name, payload, index, inner_index)
        found.append(CpiEvent(str(coder.program_id), name, data, index, inner_index, caller_checked))
    return found


def event_payloads(
    program_id: Pubkey, instructions: Sequence[InvokedInstruction]
) -> Iterator[tuple[int, int, bool, bytes]]:
    """(top-level index, inner index, caller checked, discriminator + borsh) of every inner instruction
    that passes the trust rules of this module as an event of ``program_id``."""
    program = str(program_id)
    authority = str(event_authority(program_id).address)
    group: list[InvokedInstruction] = []
    inner_index = -1
    for ix in instructions:
        if ix.depth == 1 or not group or group[0].index != ix.index:
            group, inner_index = [ix], -1
            continue
        inner_index += 1
        group.append(ix)
        if ix.program != program or not ix.data.startswith(EVENT_IX_TAG):
            continue
        if not ix.accounts or ix.accounts[0] != authority:
            continue
        caller = _caller(group)
        if caller is False:
            continue
        yield ix.index, inner_index, caller is True, ix.data[len(EVENT_IX_TAG) :]


def _caller(group: Sequence[InvokedInstruction]) -> bool | None:
    """Whether the last of ``group`` (a top-level instruction and its inner instructions so far) was
    invoked by its own program: True or False, or None when stack heights are missing."""
    ix = group[-1]
    if ix.depth is None:
        return None
    for earlier in reversed(group[:-1]):
        if earlier.depth is None:
            return None
        if earlier.depth < ix.depth:
            return earlier.depth == ix.depth - 1 and earlier.program == ix.program
    return False


def _decode(coder: ProgramCoder, name: str, payload: bytes, index: int, inner_index: int) -> Any:
    stream = io.BytesIO(payload[DISCRIMINATOR_LEN:])
    where = f"{coder.idl.name} event {name} (instruction {index}, inner instruction {inner_index})"
    try:
        data = coder.coder.events.layouts[name].parse_stream(stream)
    except ConstructError as e:
        raise CpiEventDecodeError(f"{where} does not decode with the IDL: {e}") from None
    extra = len(payload) - DISCRIMINATOR_LEN - stream.tell()
    if extra:
        raise CpiEventDecodeError(f"{where} has {extra} byte(s) after the fields the IDL lists")
    return data

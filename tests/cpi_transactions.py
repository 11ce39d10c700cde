"""``getTransaction`` results (``json`` encoding) with self-CPI events, built by hand for the SDK's and
the indexer's decoding tests.

The events are encoded by anchorpy from ``tests/fills_idl.json``, a test-only IDL of a tiny order book
(``fills``) whose ``OrderFilled`` event holds a ``vec`` of fills. A transaction is described as
top-level instructions, each with the inner instructions it made (with their stack heights), and the
builder lays out the account keys as a node does: static keys first (fee payer at 0), then the
addresses loaded from lookup tables (``meta.loadedAddresses`` writable, then readonly) for v0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import base58
from anchorpy.idl_adapter import Idl
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from solgrid.sdk.anchor import ProgramCoder
from solgrid.sdk.cpi_events import EVENT_IX_TAG, event_authority

IDL_PATH = Path(__file__).with_name("fills_idl.json")
_IDL = Idl.from_json(IDL_PATH.read_text())
FILLS = ProgramCoder(_IDL, Pubkey.from_string(_IDL.address))
FILLS_ID = str(FILLS.program_id)
AUTHORITY = str(event_authority(FILLS.program_id).address)
TOKEN_PROGRAM = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA"
COMPUTE_BUDGET = "ComputeBudget111111111111111111111111111111"

Key = Pubkey | str


def event_bytes(coder: ProgramCoder, name: str, fields: Mapping[str, Any]) -> bytes:
    """The event's discriminator and borsh bytes, as anchorpy encodes them from the IDL."""
    events = coder.coder.events
    disc = next(d for d, n in events.discriminators.items() if n == name)
    return disc + events.layouts[name].build(dict(fields))


def event_data(coder: ProgramCoder, name: str, fields: Mapping[str, Any]) -> bytes:
    """The data of a self-CPI event instruction: tag, discriminator, borsh."""
    return EVENT_IX_TAG + event_bytes(coder, name, fields)


@dataclass(frozen=True)
class Ix:
    program: Key
    accounts: Sequence[Key]
    data: bytes
    stack_height: int | None = None
    """Of an inner instruction (None: the node gave none)."""


def emit(name: str, fields: Mapping[str, Any], stack_height: int | None = 2, first: Key = AUTHORITY) -> Ix:
    """A self-CPI of ``fills`` carrying event ``name``, with the event authority (or ``first``) first and
    the book's config read-only second, as the trading program passes them."""
    return Ix(FILLS_ID, [first, BOOK], event_data(FILLS, name, fields), stack_height)


def placed(order_id: int, trader: Key | None = None) -> dict[str, Any]:
    return {"order_id": order_id, "trader": _pubkey(trader or TRADER), "price": 7, "quantity": 100 + order_id}


def filled(*makers: tuple[Key, int]) -> dict[str, Any]:
    return {
        "taker": _pubkey(TRADER),
        "fills": [
            {"maker": _pubkey(maker), "maker_order_id": order, "price": 7, "quantity": 10 * (i + 1)}
            for i, (maker, order) in enumerate(makers)
        ],
    }


def place_order(price: int = 7, quantity: int = 100) -> Ix:
    """``fills.place_order`` as a top-level instruction."""
    data = FILLS.coder.instruction.encode("place_order", {"price": price, "quantity": quantity})
    return Ix(FILLS_ID, [TRADER, BOOK, AUTHORITY, FILLS_ID], data)


def match_orders() -> Ix:
    return Ix(FILLS_ID, [BOOK, AUTHORITY, FILLS_ID], FILLS.coder.instruction.encode("match_orders", {}))


def token_transfer(stack_height: int | None = 2) -> Ix:
    return Ix(TOKEN_PROGRAM, [VAULT, BOOK, AUTHORITY], bytes([3]) + (5).to_bytes(8, "little"), stack_height)


TRADER = str(Keypair().pubkey())
BOOK = str(Keypair().pubkey())
VAULT = str(Keypair().pubkey())
MAKER_A = str(Keypair().pubkey())
MAKER_B = str(Keypair().pubkey())


@dataclass
class TransactionJson:
    """Top-level instructions with their inner instructions, and what the node says about them."""

    steps: list[tuple[Ix, list[Ix]]] = field(default_factory=list)
    loaded_writable: list[str] = field(default_factory=list)
    loaded_readonly: list[str] = field(default_factory=list)
    payer: str = field(default_factory=lambda: str(Keypair().pubkey()))

    def add(self, top: Ix, *inner: Ix) -> TransactionJson:
        self.steps.append((top, list(inner)))
        return self

    def result(
        self, logs: Sequence[str] = (), *, slot: int = 10, err: Any = None, version: int | str | None = None
    ) -> dict[str, Any]:
        """The ``getTransaction`` result; ``version`` defaults to 0 when addresses are loaded."""
        loaded = [*self.loaded_writable, *self.loaded_readonly]
        static: list[str] = [self.payer]
        for top, inner in self.steps:
            for ix in (top, *inner):
                for key in (str(ix.program), *(str(a) for a in ix.accounts)):
                    if key not in static and key not in loaded:
                        static.append(key)
        every = [*static, *loaded]

        def compiled(ix: Ix, inner: bool) -> dict[str, Any]:
            out: dict[str, Any] = {
                "programIdIndex": every.index(str(ix.program)),
                "accounts": [every.index(str(a)) for a in ix.accounts],
                "data": base58.b58encode(ix.data).decode(),
            }
            if inner:
                if ix.stack_height is not None:
                    out["stackHeight"] = ix.stack_height
            else:
                out["stackHeight"] = None
            return out

        message: dict[str, Any] = {
            "accountKeys": static,
            "header": {
                "numRequiredSignatures": 1,
                "numReadonlySignedAccounts": 0,
                "numReadonlyUnsignedAccounts": 0,
            },
            "recentBlockhash": "11111111111111111111111111111111",
            "instructions": [compiled(top, False) for top, _ in self.steps],
        }
        if loaded:
            message["addressTableLookups"] = [
                {
                    "accountKey": str(Keypair().pubkey()),
                    "writableIndexes": list(range(len(self.loaded_writable))),
                    "readonlyIndexes": list(range(len(self.loaded_readonly))),
                }
            ]
        meta: dict[str, Any] = {
            "err": err,
            "status": {"Ok": None} if err is None else {"Err": err},
            "fee": 5000,
            "logMessages": list(logs),
            "innerInstructions": [
                {"index": i, "instructions": [compiled(ix, True) for ix in inner]}
                for i, (_, inner) in enumerate(self.steps)
                if inner
            ],
            "preTokenBalances": [],
            "postTokenBalances": [],
            "loadedAddresses": {"writable": self.loaded_writable, "readonly": self.loaded_readonly},
        }
        if version is None:
            version = 0 if loaded else "legacy"
        return {
            "slot": slot,
            "blockTime": 1_700_000_000,
            "version": version,
            "meta": meta,
            "transaction": {"signatures": [str(Keypair().sign_message(b"x"))], "message": message},
        }


def runs(*programs: tuple[Key, Sequence[str]]) -> list[str]:
    """Log lines of top-level instruction runs: each program's ``invoke [1]``, its lines, ``success``."""
    lines: list[str] = []
    for program, body in programs:
        lines += [f"Program {program} invoke [1]", *body, f"Program {program} success"]
    return lines


def cpi_lines(program: Key, depth: int = 2, body: Sequence[str] = ()) -> list[str]:
    """The log lines of one inner instruction: ``invoke [depth]``, its lines, ``success``."""
    return [f"Program {program} invoke [{depth}]", *body, f"Program {program} success"]


def _pubkey(key: Key) -> Pubkey:
    return key if isinstance(key, Pubkey) else Pubkey.from_string(key)

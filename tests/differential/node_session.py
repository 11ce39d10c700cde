"""One node's side of the differential run: the stream's transactions sent over plain JSON-RPC, and what
the node answered, recorded in a form two nodes can be compared in.

Everything a client can observe is recorded: the RPC reply to ``sendTransaction`` or
``simulateTransaction`` (error code, message and data), whether the transaction landed, its
``getTransaction`` meta (error, fee, balances, logs, compute units, token balances, loaded addresses,
return data, ...), and every account it touched (lamports, owner, executable, rent epoch, data).
What differs between two nodes by design is normalised here, and only this: signatures, blockhashes and
slots (each node has its own: the ``context.slot`` of replies, a lookup table's last extended slot),
addresses registered as aliases (a lookup table's address derives from a slot), and the clock fields of
SolGrid's accounts and events (each node has its own clock); the clock values themselves are kept apart
and checked to be plausible times.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import base58
import httpx
from solders.address_lookup_table_account import AddressLookupTableAccount
from solders.hash import Hash
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.message import Message, MessageV0
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction

from clock_fields import mask_clock_fields
from solgrid.sdk.cpi_events import EVENT_IX_TAG

CONFIRM_SECONDS = 50.0
"""How long a transaction the node accepted may take to reach ``confirmed`` (within its blockhash's
lifetime of 150 slots, about 60 s)."""
REBROADCAST_SECONDS = 2.0
DROPPED_SECONDS = 4.0
"""How long to watch a transaction that is expected never to land (about ten slots)."""
INLINE_DATA_BYTES = 512
"""Account data up to this size is recorded as hex; larger (program ELFs) as its sha256."""
_PROGRAM_DATA = "Program data: "


CLOCK_SYSVAR = "SysvarC1ock11111111111111111111111111111111"
LOOKUP_TABLE_PROGRAM = "AddressLookupTab1e1111111111111111111111111"
_LAST_EXTENDED_SLOT = slice(12, 20)


def _mask_slots(account: dict[str, Any] | None) -> dict[str, Any] | None:
    """A lookup table's ``last_extended_slot`` is the node's own slot: zeroed."""
    if account is None or account["owner"] != LOOKUP_TABLE_PROGRAM:
        return account
    data = bytearray(base64.b64decode(account["data"][0]))
    data[_LAST_EXTENDED_SLOT] = bytes(8)
    return {**account, "data": [base64.b64encode(data).decode(), "base64"]}


_CONSUMED = re.compile(r"^(Program \w+ consumed )\d+ of \d+( compute units)$")


def _mask_units(meta: dict[str, Any]) -> dict[str, Any]:
    """``meta`` without its compute units (and the cost units that include them)."""
    logs = [_CONSUMED.sub(r"\1<units> of <units>\2", line) for line in meta.get("logMessages") or []]
    masked = {**meta, "logMessages": logs}
    for key in ("computeUnitsConsumed", "costUnits"):
        if key in masked:
            masked[key] = "<units>"
    return masked


def _describe(tx: VersionedTransaction) -> str:
    message = tx.message
    keys = message.account_keys
    instructions = "; ".join(
        f"{keys[ix.program_id_index]} {bytes(ix.data).hex()[:64]}" for ix in message.instructions
    )
    return f"{tx.signatures[0]}: {instructions}"


@dataclass(frozen=True)
class Observation:
    step: int
    step_name: str
    what: str
    value: Any
    detail: str = field(default="", compare=False)
    """What was sent (signature and instructions), for the failure message; not compared."""


@dataclass
class Session:
    """Sends to one node and records what it answered."""

    name: str
    url: str
    http: httpx.AsyncClient
    observations: list[Observation] = field(default_factory=list)
    aliases: dict[str, str] = field(default_factory=dict)
    clock_values: list[tuple[str, int, int]] = field(default_factory=list)
    """(field, value, step) of every clock field seen, for the plausibility check."""
    state: dict[str, Any] = field(default_factory=dict)
    """What a step leaves for a later one on this node (a lookup table, the first blockhash)."""
    exact_times: frozenset[int] = frozenset()
    """Clock-field values compared exactly (the stream's reading window ends)."""
    step: int = -1
    step_name: str = ""
    _sent_messages: set[bytes] = field(default_factory=set)

    # -- plumbing ---------------------------------------------------------------------------------------

    async def call(self, method: str, params: list[Any]) -> dict[str, Any]:
        """The node's whole reply (``result`` or ``error``) to one JSON-RPC request."""
        reply = (
            await self.http.post(
                self.url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
            )
        ).json()
        return {k: v for k, v in reply.items() if k in ("result", "error")}

    async def result(self, method: str, params: list[Any]) -> Any:
        reply = await self.call(method, params)
        if "error" in reply:
            raise RuntimeError(f"{self.name}: {method} failed: {reply['error']}")
        return reply["result"]

    def record(self, what: str, value: Any, detail: str = "") -> None:
        self.observations.append(Observation(self.step, self.step_name, what, self.normalise(value), detail))

    def alias(self, address: Pubkey, name: str) -> None:
        """``address`` differs from the other node's by design; both are recorded as ``<name>``."""
        self.aliases[str(address)] = f"<{name}>"

    async def blockhash(self) -> Hash:
        value = (await self.result("getLatestBlockhash", [{"commitment": "confirmed"}]))["value"]
        return Hash.from_string(value["blockhash"])

    async def slot(self, commitment: str = "confirmed") -> int:
        slot: int = await self.result("getSlot", [{"commitment": commitment}])
        return slot

    async def block_height(self) -> int:
        height: int = await self.result("getBlockHeight", [{"commitment": "confirmed"}])
        return height

    async def unix_time(self) -> int:
        """The Clock sysvar's ``unix_timestamp`` at the confirmed slot."""
        config = {"encoding": "base64", "commitment": "confirmed"}
        clock = (await self.result("getAccountInfo", [CLOCK_SYSVAR, config]))["value"]
        return int.from_bytes(base64.b64decode(clock["data"][0])[32:40], "little", signed=True)

    async def wait_for_clock_after(self, when: int) -> None:
        """Until the node's clock reads a later second than ``when``."""
        while await self.unix_time() <= when:
            await asyncio.sleep(0.2)

    # -- building ---------------------------------------------------------------------------------------

    async def sign(
        self,
        instructions: Sequence[Instruction],
        payer: Keypair,
        signers: Sequence[Keypair] = (),
        *,
        tables: Sequence[AddressLookupTableAccount] = (),
        blockhash: Hash | None = None,
        legacy: bool = False,
    ) -> VersionedTransaction:
        """A transaction paid by ``payer`` on this node's latest blockhash (v0 with ``tables``)."""
        recent = blockhash or await self.blockhash()
        keys = {bytes(k.pubkey()): k for k in [payer, *signers]}
        if legacy and not tables:
            message: Message | MessageV0 = Message.new_with_blockhash(instructions, payer.pubkey(), recent)
        else:
            message = MessageV0.try_compile(payer.pubkey(), instructions, list(tables), recent)
        return VersionedTransaction(message, list(keys.values()))

    # -- sending ----------------------------------------------------------------------------------------

    def _check_unique(self, tx: VersionedTransaction, duplicate: bool) -> None:
        """The stream never repeats a transaction by accident: on a node whose blockhash did not move in
        between, the repeat would be a duplicate there and a new transaction on the other node."""
        message = tx.message
        body = bytes(message).replace(bytes(message.recent_blockhash), b"")
        if body in self._sent_messages and not duplicate:
            raise AssertionError(f"step {self.step} {self.step_name}: the stream repeats a transaction")
        self._sent_messages.add(body)

    async def send(
        self,
        tx: VersionedTransaction,
        *,
        preflight: bool = True,
        lands: bool = True,
        duplicate: bool = False,
        units_depend_on_slot: bool = False,
    ) -> bool:
        """Send ``tx``; record the reply, whether it landed, its meta and the accounts it touched.

        ``lands=False``: the node is expected to drop it (expired blockhash), so it is watched for a short
        while only. ``units_depend_on_slot``: the compute units it consumes depend on slot timing (a
        lookup table's CreateLookupTable searches SlotHashes for its recent slot), so they are masked.
        Returns whether it landed."""
        self._check_unique(tx, duplicate)
        encoded = base64.b64encode(bytes(tx)).decode()
        config = {"encoding": "base64", "skipPreflight": not preflight, "preflightCommitment": "confirmed"}
        reply = await self.call("sendTransaction", [encoded, config])
        signature = str(tx.signatures[0])
        detail = _describe(tx)
        if "error" in reply:
            self.record("sendTransaction", reply, detail)
            await self.record_accounts([str(tx.message.account_keys[0])])  # nothing charged
            return False
        result = {"result": "signature" if reply["result"] == signature else reply}
        self.record("sendTransaction", result, detail)
        if lands:
            status = await self._wait(signature, CONFIRM_SECONDS, rebroadcast=encoded)
        else:
            status = await self._wait(signature, DROPPED_SECONDS)
        self.record("status", status and {"err": status["err"]}, detail)
        if status is None:
            await self.record_accounts([str(tx.message.account_keys[0])])  # dropped: nothing charged
            return False
        await self._record_landed(signature, units_depend_on_slot)
        self.state.setdefault("first_signature", signature)
        return True

    async def send_raw(self, wire: bytes, *, preflight: bool = True) -> None:
        """Send bytes that need not be a valid transaction (oversize, garbage); record the reply."""
        encoded = base64.b64encode(wire).decode()
        config = {"encoding": "base64", "skipPreflight": not preflight, "preflightCommitment": "confirmed"}
        reply = await self.call("sendTransaction", [encoded, config])
        self.record("sendTransaction", reply)

    async def simulate(self, tx: VersionedTransaction, config: dict[str, Any]) -> None:
        encoded = base64.b64encode(bytes(tx)).decode()
        reply = await self.call("simulateTransaction", [encoded, {"encoding": "base64", **config}])
        self.record(f"simulateTransaction {sorted(config.items())}", reply)

    async def _wait(
        self, signature: str, seconds: float, rebroadcast: str | None = None
    ) -> dict[str, Any] | None:
        """The status once ``confirmed``, or None after ``seconds``. ``rebroadcast``: the transaction
        (base64), sent again every REBROADCAST_SECONDS while it has no status, as clients do (a busy
        validator can lose one on its way to the leader; the same signature cannot land twice)."""
        deadline = time.monotonic() + seconds
        next_broadcast = time.monotonic() + REBROADCAST_SECONDS
        while True:
            value = (await self.result("getSignatureStatuses", [[signature]]))["value"][0]
            if value is not None and value["confirmationStatus"] in ("confirmed", "finalized"):
                return dict(value)
            now = time.monotonic()
            if now > deadline:
                if value is not None:
                    raise AssertionError(f"{self.name}: {signature} stuck at {value}")
                return None
            if rebroadcast is not None and value is None and now > next_broadcast:
                config = {"encoding": "base64", "skipPreflight": True}
                await self.call("sendTransaction", [rebroadcast, config])
                next_broadcast = now + REBROADCAST_SECONDS
            await asyncio.sleep(0.05)

    async def _record_landed(self, signature: str, units_depend_on_slot: bool) -> None:
        config = {"encoding": "base64", "commitment": "confirmed", "maxSupportedTransactionVersion": 0}
        landed = None
        for _ in range(100):
            landed = await self.result("getTransaction", [signature, config])
            if landed is not None:
                break
            await asyncio.sleep(0.05)
        if landed is None:
            raise AssertionError(f"{self.name}: {signature} confirmed but getTransaction has nothing")
        meta = dict(landed["meta"])
        if units_depend_on_slot:
            meta = _mask_units(meta)
        self.record("version", landed.get("version"))
        self.record("meta", meta)
        tx = VersionedTransaction.from_bytes(base64.b64decode(landed["transaction"][0]))
        keys = [str(k) for k in tx.message.account_keys]
        loaded = meta.get("loadedAddresses") or {}
        keys += [*loaded.get("writable", []), *loaded.get("readonly", [])]
        await self.record_accounts(keys)

    async def record_accounts(self, keys: Sequence[str]) -> None:
        """The accounts ``keys`` as the node has them now (sysvars excluded: they are the node's clock)."""
        keys = [k for k in dict.fromkeys(keys) if not k.startswith("Sysvar")]
        config = {"encoding": "base64", "commitment": "confirmed"}
        value = (await self.result("getMultipleAccounts", [keys, config]))["value"]
        self.record("accounts", {k: _mask_slots(account) for k, account in zip(keys, value, strict=True)})

    # -- normalising ------------------------------------------------------------------------------------

    def normalise(self, value: Any) -> Any:
        if isinstance(value, dict):
            out: dict[Any, Any] = {}
            for key, item in value.items():
                if key == "data" and isinstance(item, list) and len(item) == 2 and item[1] == "base64":
                    out[key] = self._data(base64.b64decode(item[0]))
                elif key == "data" and isinstance(item, str) and "programIdIndex" in value:
                    out[key] = self._instruction_data(item)
                elif key == "replacementBlockhash" and isinstance(item, dict):
                    out[key] = {k: f"<{k}>" for k in item}
                elif key == "context" and isinstance(item, dict):
                    out[key] = {k: f"<{k}>" if k == "slot" else v for k, v in item.items()}
                else:
                    out[self.normalise(key)] = self.normalise(item)
            return out
        if isinstance(value, list):
            return [self.normalise(item) for item in value]
        if isinstance(value, str):
            if value.startswith(_PROGRAM_DATA):
                return _PROGRAM_DATA + self._data(base64.b64decode(value[len(_PROGRAM_DATA) :]))
            for address, name in self.aliases.items():
                value = value.replace(address, name)
            return value
        return value

    def _instruction_data(self, encoded: str) -> str:
        """An inner instruction's data (base58): a self-CPI event has its clock fields masked."""
        data = base58.b58decode(encoded)
        if data[:8] != EVENT_IX_TAG:
            return encoded
        return "<event> " + self._data(data[8:])

    def _data(self, data: bytes) -> str:
        masked, values = mask_clock_fields(data, self.exact_times)
        self.clock_values += [(name, when, self.step) for name, when in values]
        if len(masked) > INLINE_DATA_BYTES:
            return f"{len(masked)} bytes sha256:{hashlib.sha256(masked).hexdigest()}"
        text = masked.hex()
        for address, name in self.aliases.items():
            text = text.replace(bytes(Pubkey.from_string(address)).hex(), name)
        return text

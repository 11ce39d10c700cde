"""Sending a service's transactions and classifying what went wrong.

A failure is either *permanent* (:class:`ProgramRejected`: the program or the runtime refused the
transaction; resending the same one cannot help) or *transient* (anything else: RPC down, blockhash
expired, not confirmed in time), which the caller retries with backoff after checking the chain: a
transient failure says nothing about whether the transaction landed.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable, Collection, Sequence

from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solana.rpc.core import RPCException
from solana.rpc.types import TxOpts
from solders.address_lookup_table_account import AddressLookupTableAccount
from solders.hash import Hash
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.transaction import VersionedTransaction
from solders.transaction_status import TransactionConfirmationStatus, TransactionStatus

from solgrid.automation.program_errors import ProgramError
from solgrid.errors import UserFacingError
from solgrid.sdk.anchor import ProgramCoder
from solgrid.sdk.clock import cluster_time as sdk_cluster_time
from solgrid.sdk.transactions import build_transaction

BLOCKHASH_MAX_AGE_SECS = 5.0
CONFIRM_TIMEOUT_SECS = 30.0
CONFIRM_POLL_SECS = 0.02
FRESH_BLOCKHASH_POLL_SECS = 0.1
MAX_SIGNATURE_STATUSES = 256
"""Signatures per getSignatureStatuses request (the RPC's limit)."""
_CUSTOM_ERROR = re.compile(r"Program (\w+) failed: custom program error: 0x([0-9a-fA-F]+)")
_CONFIRMED = (TransactionConfirmationStatus.Confirmed, TransactionConfirmationStatus.Finalized)


def _succeeded(status: TransactionStatus | None) -> bool:
    return status is not None and status.err is None


class ProgramRejected(Exception):
    """The transaction was refused by a program. ``program_id`` and ``code`` name the custom error of the
    program where it arose (the innermost one, when a program relays a CPI's failure), when there is one."""

    def __init__(self, message: str, program_id: Pubkey | None = None, code: int | None = None) -> None:
        super().__init__(message)
        self.program_id = program_id
        self.code = code

    def is_(self, error: ProgramError) -> bool:
        return self.program_id == error.program_id and self.code == error.code


class Transient(Exception):
    """The transaction may or may not have landed; check the chain and retry."""


def describe(message: str, logs: Sequence[str], coders: Sequence[ProgramCoder]) -> ProgramRejected:
    """The refusal that ``logs`` report. The first ``custom program error`` line is the program that
    raised it: programs that called it through CPI fail after it, repeating the code as their own."""
    for line in logs:
        m = _CUSTOM_ERROR.search(line)
        if m is None:
            continue
        try:
            program_id, code = Pubkey.from_string(m.group(1)), int(m.group(2), 16)
        except ValueError:
            continue
        for coder in coders:
            if coder.program_id == program_id and (info := coder.error(code)) is not None:
                return ProgramRejected(f"{coder.idl.metadata['name']}: {info}", program_id, code)
        return ProgramRejected(f"{message} (program {program_id}, custom error {code})", program_id, code)
    return ProgramRejected(message)


class Sender:
    """Signs with the service's ``payer``, sends and waits for confirmation; ``coders`` name the custom
    errors of the programs the service calls."""

    def __init__(self, rpc: AsyncClient, payer: Keypair, coders: Sequence[ProgramCoder]) -> None:
        self.rpc = rpc
        self.payer = payer
        self.coders = list(coders)
        self._blockhash: tuple[Hash, float] | None = None

    async def blockhash(self) -> Hash:
        """A recent blockhash, shared by concurrent sends for a few seconds (one RPC call, not one per tx)."""
        if self._blockhash is None or time.monotonic() - self._blockhash[1] > BLOCKHASH_MAX_AGE_SECS:
            value = (await self.rpc.get_latest_blockhash(Confirmed)).value.blockhash
            self._blockhash = (value, time.monotonic())
        return self._blockhash[0]

    async def fresh_blockhash(self, timeout: float = BLOCKHASH_MAX_AGE_SECS) -> None:
        """Sign the next transactions with a blockhash newer than the cached one (waiting up to
        ``timeout`` for the cluster to produce one): the very same instructions sent again with the same
        blockhash would be the same transaction, which the cluster executes only once."""
        old = self._blockhash[0] if self._blockhash is not None else None
        deadline = time.monotonic() + timeout
        while True:
            value = (await self.rpc.get_latest_blockhash(Confirmed)).value.blockhash
            if value != old or time.monotonic() >= deadline:
                self._blockhash = (value, time.monotonic())
                return
            await asyncio.sleep(FRESH_BLOCKHASH_POLL_SECS)

    async def send(
        self,
        instructions: Sequence[Instruction],
        tables: Sequence[AddressLookupTableAccount] = (),
        before_send: Callable[[Signature], Awaitable[None]] | None = None,
    ) -> Signature:
        """Sign, send, wait for confirmation; the signature, or :class:`ProgramRejected` /
        :class:`Transient`. ``before_send`` gets the signature once the transaction is signed and before
        it goes out (what it raises propagates: nothing is sent then)."""
        try:
            tx = build_transaction(instructions, self.payer, [], await self.blockhash(), tables)
        except Exception as e:  # httpx / solana-py transport errors, malformed answers of a node going down
            raise Transient(f"{type(e).__name__}: {e}") from None
        if before_send is not None:
            await before_send(tx.signatures[0])
        try:
            return await self._send(tx)
        except (ProgramRejected, Transient):
            raise
        except Exception as e:
            raise Transient(f"{type(e).__name__}: {e}") from None

    async def _send(self, tx: VersionedTransaction) -> Signature:
        try:
            sent = await self.rpc.send_raw_transaction(bytes(tx), TxOpts(preflight_commitment=Confirmed))
        except RPCException as e:
            detail = e.args[0] if e.args else e
            message = str(getattr(detail, "message", detail))
            logs = list(getattr(getattr(detail, "data", None), "logs", None) or [])
            if "blockhash" in message.lower():
                self._blockhash = None
                raise Transient(message) from None
            if logs:
                raise describe(message, logs, self.coders) from None
            raise Transient(message) from None
        signature = sent.value
        deadline = time.monotonic() + CONFIRM_TIMEOUT_SECS
        while time.monotonic() < deadline:
            status = (await self.rpc.get_signature_statuses([signature])).value[0]
            if status is not None and status.confirmation_status in _CONFIRMED:
                if status.err is not None:
                    raise await self._failure(signature, str(status.err))
                return signature
            await asyncio.sleep(CONFIRM_POLL_SECS)
        self._blockhash = None
        raise Transient(f"transaction {signature} not confirmed within {CONFIRM_TIMEOUT_SECS:.0f} s")

    async def landed(self, signatures: Collection[str]) -> set[str]:
        """Those of ``signatures`` whose transaction the cluster executed successfully (the node's
        status cache and, past it, its transaction history); raises on RPC failure."""
        wanted = sorted(set(signatures))
        found: set[str] = set()
        for start in range(0, len(wanted), MAX_SIGNATURE_STATUSES):
            chunk = wanted[start : start + MAX_SIGNATURE_STATUSES]
            answer = await self.rpc.get_signature_statuses(
                [Signature.from_string(s) for s in chunk], search_transaction_history=True
            )
            found |= {s for s, status in zip(chunk, answer.value, strict=True) if _succeeded(status)}
        return found

    async def _failure(self, signature: Signature, err: str) -> ProgramRejected:
        fetched = await self.rpc.get_transaction(
            signature, "json", Confirmed, max_supported_transaction_version=0
        )
        meta = fetched.value.transaction.meta if fetched.value is not None else None
        logs = list(meta.log_messages or []) if meta is not None else []
        return describe(err, logs, self.coders)

    async def cluster_time(self) -> int:
        return await cluster_time(self.rpc)


async def cluster_time(rpc: AsyncClient) -> int:
    """The cluster's Unix time (the Clock sysvar), which programs check windows and epochs against; a
    node without the sysvar is a transient failure for a service."""
    try:
        return await sdk_cluster_time(rpc, Confirmed)
    except UserFacingError as e:
        raise Transient(str(e)) from None

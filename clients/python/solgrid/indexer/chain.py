"""The JSON-RPC reads the indexer's history path needs, over one aiohttp session.

Plain JSON (not solana-py's typed responses): the indexer only needs signatures, slots, errors, log
messages and the instructions that ran, and skipping the typed parse keeps backfill cheap.

``commitment`` is the level history is read at: ``confirmed`` (default; events within a second or so)
or ``finalized`` (only rooted blocks, ~13 s behind on a real cluster). At ``confirmed``,
:meth:`RpcChainReader.final_slot` tells catch-up which part of what it read can no longer change.

Nodes prune old history. A listing whose ``before`` or ``until`` signature the node no longer has fails
with JSON-RPC error -32020 ``Transaction <signature> not found`` (agave 4.2), raised here as
:class:`HistoryUnavailable`; :meth:`RpcChainReader.first_available_slot` tells from which slot on the
node still has blocks (``getFirstAvailableBlock``).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal, Protocol, get_args

import aiohttp

from solgrid.errors import UserFacingError
from solgrid.indexer.recover import execution_of
from solgrid.indexer.store import FetchedTransaction

Commitment = Literal["confirmed", "finalized"]
COMMITMENTS: tuple[str, ...] = get_args(Commitment)


TRANSACTION_NOT_FOUND = -32020
"""agave's answer to getSignaturesForAddress naming a ``before``/``until`` signature it does not have."""
METHOD_NOT_FOUND = -32601


class ChainError(UserFacingError):
    """The node answered with an error (``code``) or could not be reached (``code`` None)."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class HistoryUnavailable(ChainError):
    """The node does not have a signature the request started or ended at (pruned from its history)."""


@dataclass(frozen=True)
class SignatureInfo:
    signature: str
    slot: int


class ChainReader(Protocol):
    async def signatures(
        self, program: str, *, until: str | None, before: str | None, limit: int
    ) -> list[SignatureInfo]: ...

    async def transaction(self, signature: str) -> FetchedTransaction | None: ...

    async def final_slot(self) -> int | None:
        """The newest slot whose transactions can no longer change (finalized), or None when
        everything :meth:`signatures` lists is already final."""
        ...

    async def finalized_slot(self) -> int:
        """The newest finalized slot."""
        ...

    async def first_available_slot(self) -> int:
        """The oldest slot whose transactions the node still has (0: its history is complete)."""
        ...


class RpcChainReader:
    """:class:`ChainReader` over a JSON-RPC endpoint."""

    def __init__(self, url: str, commitment: Commitment = "confirmed", timeout: float = 30.0) -> None:
        self.url = url
        self.commitment = commitment
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None
        self._ids = itertools.count(1)

    async def __aenter__(self) -> RpcChainReader:
        self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def call(self, method: str, params: list[Any]) -> Any:
        if self._session is None:
            raise RuntimeError("RpcChainReader is not open (use `async with`)")
        body = {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params}
        try:
            async with self._session.post(self.url, json=body) as response:
                reply = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError) as e:
            raise ChainError(f"{method} to {self.url} failed: {e or type(e).__name__}") from None
        if "error" in reply:
            error = reply["error"]
            code = error.get("code") if isinstance(error, dict) else None
            detail = error.get("message", error) if isinstance(error, dict) else error
            raise ChainError(f"{method} failed: {detail}", code if isinstance(code, int) else None)
        return reply["result"]

    async def signatures(
        self, program: str, *, until: str | None, before: str | None, limit: int
    ) -> list[SignatureInfo]:
        options: dict[str, Any] = {"limit": limit, "commitment": self.commitment}
        if until:
            options["until"] = until
        if before:
            options["before"] = before
        try:
            result = await self.call("getSignaturesForAddress", [program, options])
        except ChainError as e:
            if e.code == TRANSACTION_NOT_FOUND and (until or before):
                raise HistoryUnavailable(f"{self.url}: {e}", e.code) from None
            raise
        return [SignatureInfo(item["signature"], int(item["slot"])) for item in result]

    async def final_slot(self) -> int | None:
        if self.commitment == "finalized":
            return None
        return await self.finalized_slot()

    async def finalized_slot(self) -> int:
        return int(await self.call("getSlot", [{"commitment": "finalized"}]))

    async def first_available_slot(self) -> int:
        try:
            return int(await self.call("getFirstAvailableBlock", []))
        except ChainError as e:
            if e.code == METHOD_NOT_FOUND:  # a node that cannot say: only -32020 reveals pruning
                return 0
            raise

    async def transaction(self, signature: str) -> FetchedTransaction | None:
        options = {"encoding": "json", "commitment": self.commitment, "maxSupportedTransactionVersion": 0}
        result = await self.call("getTransaction", [signature, options])
        if result is None:
            return None
        return fetched_transaction(signature, result)


def fetched_transaction(signature: str, result: Mapping[str, Any]) -> FetchedTransaction:
    """What the indexer keeps of a ``getTransaction`` result (``json`` encoding, versions up to 0): the
    logs, and every instruction that ran with its accounts (lookup-table addresses resolved) and data,
    from which truncated logs are repaired and self-CPI events are read."""
    meta = result.get("meta") or {}
    message = result["transaction"]["message"]
    keys = message["accountKeys"]  # program ids are always static keys, never from lookup tables
    return FetchedTransaction(
        signature=signature,
        slot=int(result["slot"]),
        block_time=result.get("blockTime"),
        succeeded=meta.get("err") is None,
        logs=list(meta.get("logMessages") or []),
        instruction_programs=tuple(keys[ix["programIdIndex"]] for ix in message["instructions"]),
        execution=execution_of(result),
    )

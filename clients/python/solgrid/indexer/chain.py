"""The JSON-RPC reads the indexer's history path needs, over one aiohttp session.

Plain JSON (not solana-py's typed responses): the indexer only needs signatures, slots, errors and
log messages, and skipping the typed parse keeps backfill cheap.

``commitment`` is the level history is read at: ``confirmed`` (default; events within a second or so)
or ``finalized`` (only rooted blocks, ~13 s behind on a real cluster). At ``confirmed``,
:meth:`RpcChainReader.final_slot` tells catch-up which part of what it read can no longer change.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal, Protocol, get_args

import aiohttp

from solgrid.errors import UserFacingError
from solgrid.indexer.recover import execution_of
from solgrid.indexer.store import FetchedTransaction

Commitment = Literal["confirmed", "finalized"]
COMMITMENTS: tuple[str, ...] = get_args(Commitment)


class ChainError(UserFacingError):
    """The node answered with an error or could not be reached."""


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
            raise ChainError(f"{method} failed: {reply['error'].get('message', reply['error'])}")
        return reply["result"]

    async def signatures(
        self, program: str, *, until: str | None, before: str | None, limit: int
    ) -> list[SignatureInfo]:
        options: dict[str, Any] = {"limit": limit, "commitment": self.commitment}
        if until:
            options["until"] = until
        if before:
            options["before"] = before
        result = await self.call("getSignaturesForAddress", [program, options])
        return [SignatureInfo(item["signature"], int(item["slot"])) for item in result]

    async def final_slot(self) -> int | None:
        if self.commitment == "finalized":
            return None
        return int(await self.call("getSlot", [{"commitment": "finalized"}]))

    async def transaction(self, signature: str) -> FetchedTransaction | None:
        options = {"encoding": "json", "commitment": self.commitment, "maxSupportedTransactionVersion": 0}
        result = await self.call("getTransaction", [signature, options])
        if result is None:
            return None
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

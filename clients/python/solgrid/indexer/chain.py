"""The two JSON-RPC reads the indexer's history path needs, over one aiohttp session.

Plain JSON (not solana-py's typed responses): the indexer only needs signatures, slots, errors and
log messages, and skipping the typed parse keeps backfill cheap.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Protocol

import aiohttp

from solgrid.errors import UserFacingError
from solgrid.indexer.store import FetchedTransaction

COMMITMENT = "confirmed"


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


class RpcChainReader:
    """:class:`ChainReader` over a JSON-RPC endpoint."""

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        self.url = url
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
        options: dict[str, Any] = {"limit": limit, "commitment": COMMITMENT}
        if until:
            options["until"] = until
        if before:
            options["before"] = before
        result = await self.call("getSignaturesForAddress", [program, options])
        return [SignatureInfo(item["signature"], int(item["slot"])) for item in result]

    async def transaction(self, signature: str) -> FetchedTransaction | None:
        options = {"encoding": "json", "commitment": COMMITMENT, "maxSupportedTransactionVersion": 0}
        result = await self.call("getTransaction", [signature, options])
        if result is None:
            return None
        meta = result.get("meta") or {}
        return FetchedTransaction(
            signature=signature,
            slot=int(result["slot"]),
            block_time=result.get("blockTime"),
            succeeded=meta.get("err") is None,
            logs=list(meta.get("logMessages") or []),
        )

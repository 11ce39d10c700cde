"""What an API process serves and reads (``solgrid api run``'s options)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

STATIC_DIR = Path(__file__).resolve().parent / "static"
"""The dashboard's built front end (``dashboard/``, built by ``scripts/setup.sh``; not in git)."""


@dataclass(frozen=True)
class ApiSettings:
    db_url: str
    """The indexer's database (``sqlite+aiosqlite:///PATH`` or ``postgresql+asyncpg://...``)."""
    feed_url: str | None = None
    """The indexer's websocket feed, relayed at ``/feed``; None: no live updates (``/feed`` refuses)."""
    rpc_url: str | None = None
    """A node's JSON-RPC, for the chain slot on the status endpoint; None: the slot is null."""
    static_dir: Path | None = STATIC_DIR
    """The dashboard to serve at ``/``; None (or a directory without index.html): the API only."""
    cache_secs: float = 1.0
    """How long the book endpoints may reuse an answer while nothing new is indexed (0: never; see
    :mod:`solgrid.api.response_cache`)."""


def shown(url: str) -> str:
    """``url`` without the user and password it may hold (what the API shows anyone: status, errors)."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port is not None else host
    return urlunsplit(parts._replace(netloc=netloc))

"""The per-machine cache of what setup fetches or builds once (the real validator, the validator's
genesis program binaries): ``$SOLGRID_CACHE_DIR``, else ``$XDG_CACHE_HOME/solgrid``, else
``~/.cache/solgrid``; and the checksum setup verifies what it fetched with."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def cache_dir() -> Path:
    explicit = os.environ.get("SOLGRID_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "solgrid"


def file_sha256(path: Path) -> str:
    """The SHA-256 (hex) of a file setup fetched, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()

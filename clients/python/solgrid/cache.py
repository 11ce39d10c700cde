"""The per-machine cache of what setup fetches or builds once (the real validator, the validator's
genesis program binaries): ``$SOLGRID_CACHE_DIR``, else ``$XDG_CACHE_HOME/solgrid``, else
``~/.cache/solgrid``."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    explicit = os.environ.get("SOLGRID_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "solgrid"

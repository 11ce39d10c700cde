"""Keypair files in the Solana CLI format: a JSON array of the 64 secret-key bytes."""

from __future__ import annotations

import json
import os
from pathlib import Path

from solders.keypair import Keypair

from solgrid.errors import UserFacingError

DEFAULT_KEYPAIR = Path("~/.config/solana/id.json")


class KeypairFileError(UserFacingError):
    """A keypair file is missing or not a Solana keypair."""


def read_keypair(path: Path) -> Keypair:
    """A keypair file in the Solana CLI format (a JSON array of 64 bytes)."""
    try:
        raw = json.loads(path.read_text())
        return Keypair.from_bytes(bytes(raw))
    except FileNotFoundError:
        raise KeypairFileError(f"keypair file {path} not found") from None
    except (OSError, ValueError, TypeError) as e:
        raise KeypairFileError(f"keypair file {path} is not a Solana keypair: {e}") from None


def write_keypair(path: Path, keypair: Keypair) -> None:
    """Write ``keypair`` readable by its owner only (the Solana CLI's format)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(list(bytes(keypair)), f)

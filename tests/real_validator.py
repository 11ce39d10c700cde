"""The compat suite's real ``solana-test-validator``: :mod:`solgrid.localnet.validator` (shared with
``make bench``), deploying this repository's workspace by default."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from solgrid.localnet.validator import BINARY, ValidatorUnavailable
from solgrid.localnet.validator import RealValidator as _RealValidator

REPO = Path(__file__).resolve().parents[1]

__all__ = ["BINARY", "REPO", "RealValidator", "ValidatorUnavailable"]


class RealValidator(_RealValidator):
    def deploy_workspace(self, programs: Sequence[str] = (), workspace: Path | None = REPO) -> str:
        return super().deploy_workspace(programs, workspace)

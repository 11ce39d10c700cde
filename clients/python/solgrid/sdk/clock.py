"""The cluster's clock: the Unix time programs see (the Clock sysvar), which need not be the local
machine's (a test node's clock can be moved forward)."""

from __future__ import annotations

import struct
from datetime import UTC, datetime

from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Commitment, Confirmed
from solders.sysvar import CLOCK

from solgrid.errors import UserFacingError

UNIX_TIMESTAMP_OFFSET = 32
"""Clock sysvar layout: slot, epoch_start_timestamp, epoch, leader_schedule_epoch (u64/i64 each), then
unix_timestamp (i64)."""


async def cluster_time(connection: AsyncClient, commitment: Commitment = Confirmed) -> int:
    """The cluster's Unix time at ``commitment``."""
    info = (await connection.get_account_info(CLOCK, commitment)).value
    if info is None:
        raise UserFacingError("the cluster has no Clock sysvar")
    timestamp: int = struct.unpack_from("<q", bytes(info.data), UNIX_TIMESTAMP_OFFSET)[0]
    return timestamp


def utc(timestamp: int) -> str:
    """A Unix time as ISO 8601 UTC (``2026-01-31T12:00:00Z``)."""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def duration(seconds: int) -> str:
    """``seconds`` in its two largest units: ``1d 2h``, ``59m 30s``, ``1h``, ``45s``."""
    units = (("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1))
    rest = max(0, seconds)
    for i, (suffix, size) in enumerate(units):
        if rest >= size or suffix == "s":
            text = f"{rest // size}{suffix}"
            if i + 1 < len(units):
                next_suffix, next_size = units[i + 1]
                if second := (rest % size) // next_size:
                    text += f" {second}{next_suffix}"
            return text
    raise AssertionError("unreachable: the last unit is one second")

"""The cluster's clock: the Unix time programs see (the Clock sysvar), which need not be the local
machine's (a test node's clock can be moved forward)."""

from __future__ import annotations

import struct

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

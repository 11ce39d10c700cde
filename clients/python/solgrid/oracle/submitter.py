"""The oracle worker's sender: :class:`~solgrid.automation.sender.Sender` (signing, sending,
confirmation, and the permanent/transient classification of failures) plus the chain reads the worker
needs (meters, lookup tables).
"""

from __future__ import annotations

from collections.abc import Sequence

from solana.rpc.commitment import Confirmed
from solders.pubkey import Pubkey

from solgrid.automation.meter_settlement import fetch_meters
from solgrid.automation.sender import ProgramRejected, Sender, Transient, cluster_time
from solgrid.sdk.lookup_tables import ADDRESS_LOOKUP_TABLE_PROGRAM_ID
from solgrid.sdk.registry import Meter, RegistryClient

LOOKUP_TABLE_META_SIZE = 56

__all__ = ["ProgramRejected", "Submitter", "Transient", "cluster_time", "fetch_meters"]


class Submitter(Sender):
    """Sends the worker's transactions; reads meters and lookup tables."""

    async def meters(self, registry: RegistryClient, addresses: Sequence[Pubkey]) -> list[Meter | None]:
        return await fetch_meters(self.rpc, registry, addresses)

    async def table_addresses(self, address: Pubkey) -> list[Pubkey] | None:
        """The addresses stored in lookup table ``address`` (None when there is no such table)."""
        info = (await self.rpc.get_account_info(address, Confirmed)).value
        if info is None or info.owner != ADDRESS_LOOKUP_TABLE_PROGRAM_ID:
            return None
        data = bytes(info.data)[LOOKUP_TABLE_META_SIZE:]
        return [Pubkey.from_bytes(data[i : i + 32]) for i in range(0, len(data) - 31, 32)]

"""Program-derived addresses with their bumps.

On-chain, SolGrid programs search for a PDA's canonical bump only when they create the account and
store it there; every later instruction re-derives the address from the stored bump. Clients do the
search once here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from solders.pubkey import Pubkey


@dataclass(frozen=True)
class Pda:
    address: Pubkey
    bump: int


def find_pda(seeds: Sequence[bytes], program_id: Pubkey) -> Pda:
    """The canonical PDA of ``seeds`` under ``program_id``."""
    address, bump = Pubkey.find_program_address(list(seeds), program_id)
    return Pda(address, bump)

"""Cranks energy_token ``settle_and_mint`` for meters whose unsettled surplus reached the policy's
threshold (the oracle worker does it for its meters; the keeper, when configured, for the meters it
is told). Anyone may crank it and the surplus always goes to the meter owner's GRID account, so the
cranker's payer only pays fees (and creates the owner's GRID account the first time)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solders.pubkey import Pubkey

from solgrid.automation.program_errors import program_error
from solgrid.automation.sender import ProgramRejected, Sender, Transient
from solgrid.sdk.energy_token import EnergyTokenClient
from solgrid.sdk.registry import Meter, RegistryClient


@dataclass(frozen=True)
class SettleConfig:
    """When to crank: ``enabled``, once a meter's unsettled surplus reaches ``min_surplus_wh``, checked
    every ``interval_secs``."""

    enabled: bool = True
    min_surplus_wh: int = 1
    interval_secs: float = 10.0


async def fetch_meters(
    rpc: AsyncClient, registry: RegistryClient, addresses: Sequence[Pubkey]
) -> list[Meter | None]:
    """The registry Meter accounts at ``addresses`` (None where there is none)."""
    found: list[Meter | None] = []
    for start in range(0, len(addresses), 100):
        chunk = list(addresses[start : start + 100])
        infos = (await rpc.get_multiple_accounts(chunk, Confirmed)).value
        for info in infos:
            ok = info is not None and info.owner == registry.program_id
            found.append(registry.decode_meter(bytes(info.data)) if ok and info is not None else None)
    return found


class Settler:
    """Settles meters by serial; ``owners`` maps each serial to its owner's wallet (whose GRID account
    the surplus goes to). Log lines go to the service's ``log``; ``service`` names it if the registry's
    IDL lacks an error it needs."""

    def __init__(
        self,
        sender: Sender,
        registry: RegistryClient,
        token: EnergyTokenClient,
        owners: Mapping[str, Pubkey],
        policy: SettleConfig,
        log: logging.Logger,
        service: str,
    ) -> None:
        self.sender = sender
        self.registry = registry
        self.nothing_to_settle = program_error(registry.coder, "NothingToSettle", service)
        self.token = token
        self.owners = owners
        self.policy = policy
        self.log = log
        self.dirty: set[str] = set()
        self.settled_wh = 0
        self.settlements = 0

    async def settle(self, serials: Iterable[str]) -> set[str]:
        """Settle those of ``serials`` with enough surplus; returns the serials to try again later."""
        wanted = sorted(set(serials))
        addresses = [self.registry.meter_pda(s).address for s in wanted]
        try:
            states = await fetch_meters(self.sender.rpc, self.registry, addresses)
        except Exception as e:
            self.log.warning("settlement postponed: cannot read meters (%s)", e)
            return set(wanted)
        retry: set[str] = set()
        payer = self.sender.payer.pubkey()
        for serial, address, state in zip(wanted, addresses, states, strict=True):
            if state is None or state.unsettled_wh < max(1, self.policy.min_surplus_wh):
                continue
            owner = self.owners[serial]
            ixs = [
                self.token.create_grid_account(payer=payer, owner=owner),
                self.token.settle_and_mint(meter=address, owner=owner, zone_id=state.zone_id),
            ]
            try:
                signature = await self.sender.send(ixs)
            except Transient as e:
                self.log.warning("settlement of %s postponed: %s", serial, e)
                retry.add(serial)
                continue
            except ProgramRejected as e:
                if not e.is_(self.nothing_to_settle):
                    self.log.warning("settlement of %s refused: %s", serial, e)
                continue
            self.settled_wh += state.unsettled_wh
            self.settlements += 1
            self.log.info(
                "settled %s: %d Wh minted as GRID to %s (%s)", serial, state.unsettled_wh, owner, signature
            )
        return retry

    async def settle_dirty(self) -> None:
        """Settle the meters marked dirty since the last call (the set is shared with whoever marks
        them, so it is emptied in place; meters that could not be settled now are marked again)."""
        dirty = set(self.dirty)
        self.dirty.clear()
        self.dirty |= await self.settle(dirty)

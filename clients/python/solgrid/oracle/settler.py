"""Cranks energy_token ``settle_and_mint`` for meters whose unsettled surplus reached the policy's
threshold. Anyone may crank it and the surplus always goes to the meter owner's GRID account, so the
worker's payer only pays fees (and creates the owner's GRID account the first time)."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from solgrid.oracle.config import MeterConfig, SettleConfig
from solgrid.oracle.program_errors import RegistryErrors
from solgrid.oracle.submitter import ProgramRejected, Submitter, Transient
from solgrid.sdk.energy_token import EnergyTokenClient
from solgrid.sdk.registry import RegistryClient

log = logging.getLogger("solgrid.oracle")


class Settler:
    def __init__(
        self,
        submitter: Submitter,
        registry: RegistryClient,
        token: EnergyTokenClient,
        meters: dict[str, MeterConfig],
        policy: SettleConfig,
    ) -> None:
        self.submitter = submitter
        self.registry = registry
        self.errors = RegistryErrors.of(registry.coder)
        self.token = token
        self.meters = meters
        self.policy = policy
        self.dirty: set[str] = set()
        self.settled_wh = 0
        self.settlements = 0

    async def settle(self, serials: Iterable[str]) -> set[str]:
        """Settle those of ``serials`` with enough surplus; returns the serials to try again later."""
        wanted = sorted(set(serials))
        addresses = [self.registry.meter_pda(s).address for s in wanted]
        try:
            states = await self.submitter.meters(self.registry, addresses)
        except Exception as e:
            log.warning("settlement postponed: cannot read meters (%s)", e)
            return set(wanted)
        retry: set[str] = set()
        payer = self.submitter.payer.pubkey()
        for serial, address, state in zip(wanted, addresses, states, strict=True):
            if state is None or state.unsettled_wh < max(1, self.policy.min_surplus_wh):
                continue
            owner = self.meters[serial].owner
            ixs = [
                self.token.create_grid_account(payer=payer, owner=owner),
                self.token.settle_and_mint(meter=address, owner=owner),
            ]
            try:
                signature = await self.submitter.send(ixs)
            except Transient as e:
                log.warning("settlement of %s postponed: %s", serial, e)
                retry.add(serial)
                continue
            except ProgramRejected as e:
                if not e.is_(self.errors.nothing_to_settle):
                    log.warning("settlement of %s refused: %s", serial, e)
                continue
            self.settled_wh += state.unsettled_wh
            self.settlements += 1
            log.info(
                "settled %s: %d Wh minted as GRID to %s (%s)", serial, state.unsettled_wh, owner, signature
            )
        return retry

    async def settle_dirty(self) -> None:
        """Settle the meters marked dirty since the last call (the set is shared with the lanes, so it
        is emptied in place; meters that could not be settled now are marked again)."""
        dirty = set(self.dirty)
        self.dirty.clear()
        self.dirty |= await self.settle(dirty)

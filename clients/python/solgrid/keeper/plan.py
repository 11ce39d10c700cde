"""What the keeper sends next for one market, decided from chain state alone: a pure function of the
decoded accounts and the cluster clock, so a restarted keeper decides exactly what the one before it
would have (nothing is remembered across restarts).

A periodic market's epochs are finished by the SDK's crank (:mod:`solgrid.sdk.trading.crank`): the
oldest epoch whose auction closed is cleared, then settled chunk by chunk from its on-chain cursor. The
keeper sends only the first of those transactions and plans again from the chain, since what a chunk
settles and rolls changes the next epoch. It adds what the crank leaves to its caller: an epoch is not
cleared while its market is paused, its zone halted or trading paused there by the registry (the
program would refuse; a price already fixed is still settled), and a continuous market is pruned when
expired orders rest in it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from solders.instruction import Instruction
from solders.pubkey import Pubkey

from solgrid.sdk.registry import ZoneStatus
from solgrid.sdk.trading import AuctionEpoch, MarketState, MarketStatus, TradingClient
from solgrid.sdk.trading.crank import Action, epoch_steps, needs_crank, next_to_crank
from solgrid.sdk.trading.units import EpochState


@dataclass(frozen=True)
class Step:
    """One transaction for the keeper to send: what it does (``clear``, ``settle`` or ``prune``), for
    which epoch and from which cursor (0 for a clearing or a prune)."""

    kind: Literal["clear", "settle", "prune"]
    market: Pubkey
    epoch: int
    cursor: int
    instructions: list[Instruction]


@dataclass(frozen=True)
class Backlog:
    """Ended epochs not settled yet: how many, their orders not settled yet, and the oldest one's end
    (None when none waits)."""

    epochs: int = 0
    orders: int = 0
    oldest_end: int | None = None

    def age(self, now: int) -> int:
        """How long the oldest ended epoch has waited, seconds (0: none waits)."""
        return 0 if self.oldest_end is None else max(0, now - self.oldest_end)

    def __add__(self, other: Backlog) -> Backlog:
        ends = [e for e in (self.oldest_end, other.oldest_end) if e is not None]
        return Backlog(self.epochs + other.epochs, self.orders + other.orders, min(ends) if ends else None)


def clearable(market: MarketState, zone_status: ZoneStatus | None, trading_paused: bool = False) -> bool:
    """``clear_epoch`` can fix a price now: the market is active, its zone not halted and trading not
    paused by the registry (in the zone or market-wide)."""
    return (
        market.header.status == MarketStatus.ACTIVE
        and zone_status != ZoneStatus.HALTED
        and not trading_paused
    )


def next_step(
    client: TradingClient,
    market: MarketState,
    zone_status: ZoneStatus | None,
    epochs: Sequence[AuctionEpoch],
    now: int,
    payer: Pubkey,
    *,
    chunk: int,
    prune_max: int,
    trading_paused: bool = False,
) -> Step | None:
    """The keeper's next transaction for ``market`` at cluster time ``now`` (None: nothing to do):
    the first step of the oldest epoch to finish (periodic), or a prune (continuous).
    ``trading_paused``: the registry pauses trading in the market's zone or market-wide."""
    if not market.header.periodic:
        if expired_orders(market, now) == 0:
            return None
        prune = client.prune_expired(market=market.address, max_orders=prune_max)
        return Step("prune", market.address, 0, 0, [prune])
    oldest = next_to_crank(epochs, now)
    if oldest is None:
        return None
    if oldest.header.state is EpochState.COLLECTING and not clearable(market, zone_status, trading_paused):
        return None
    first = epoch_steps(client, market, oldest, now, payer, chunk=chunk)[0]
    kind: Literal["clear", "settle"] = "clear" if first.action is Action.CLEAR else "settle"
    return Step(kind, market.address, first.epoch, first.cursor, first.instructions)


def backlog(epochs: Sequence[AuctionEpoch], now: int) -> Backlog:
    """The market's epochs whose auction closed and that are not settled yet."""
    waiting = [e.header for e in epochs if needs_crank(e, now)]
    return Backlog(
        epochs=len(waiting),
        orders=sum(max(0, h.order_count - h.cursor) for h in waiting),
        oldest_end=min((h.ends_at for h in waiting), default=None),
    )


def latest_settled(epochs: Sequence[AuctionEpoch]) -> AuctionEpoch | None:
    """The most recent settled epoch still held by one of the market's epoch accounts."""
    settled = [e for e in epochs if e.header.state is EpochState.SETTLED]
    return max(settled, key=lambda e: e.header.epoch, default=None)


def expired_orders(market: MarketState, now: int) -> int:
    """Resting orders of a continuous market that expired by ``now`` (``prune_expired`` removes them)."""
    return sum(1 for order in (*market.bids, *market.asks) if order.expired(now))

"""What the keeper reports, in its log and its JSON status file: per market what it cranked this run,
the last settled epoch the chain holds (price, volume, lag), the backlog, and errors; over all markets
the totals, the backlog and the shared figures (retries, uptime).

*Lag* of a settled epoch is how long after its end (gate closure) its last chunk landed, in cluster
time (``settled_at - ends_at`` from its account). The *backlog* is the epochs whose auction closed and
that are not settled yet, with their orders not settled yet and how long the oldest has waited.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from solgrid.automation.metrics import Rate, rounded_rate, run_figures
from solgrid.keeper.plan import Backlog
from solgrid.sdk.registry import ZoneStatus
from solgrid.sdk.trading import AuctionEpoch, MarketState, MarketStatus


def utc(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def settled_epoch(account: AuctionEpoch, chunks: int) -> dict[str, Any]:
    """A settled epoch as the status file shows it; ``chunks``: the settlement transactions this run
    of the keeper sent for it (0: settled by another crank, or by an earlier run)."""
    h = account.header
    return {
        "epoch": h.epoch,
        "ends_at": h.ends_at,
        "price": h.clearing_price,
        "volume_lots": h.volume_lots,
        "orders": h.order_count,
        "matched_orders": h.matched_orders,
        "rolled_orders": h.rolled_orders,
        "chunks": chunks,
        "cleared_at": h.cleared_at,
        "settled_at": h.settled_at,
        "lag_secs": max(0, h.settled_at - h.ends_at),
    }


@dataclass
class MarketReport:
    """One market's part of the status."""

    address: str
    zone_id: int = 0
    epoch_secs: int = 0
    status: str = "unknown"
    """``active``, ``paused``, ``zone halted`` or ``trading paused`` (by the registry)."""
    last_settled: dict[str, Any] | None = None
    backlog: Backlog = field(default_factory=Backlog)
    expired_orders: int = 0
    cleared: int = 0
    chunks: int = 0
    orders_settled: int = 0
    prunes: int = 0
    lost_races: int = 0
    errors: int = 0
    last_error: str | None = None
    last_error_at: str | None = None
    updated_at: str | None = None
    chunks_by_epoch: dict[int, int] = field(default_factory=dict)

    def observe(
        self,
        market: MarketState,
        zone_status: ZoneStatus | None,
        latest: AuctionEpoch | None,
        now: int,
        trading_paused: bool = False,
    ) -> None:
        """What the chain shows of the market now."""
        h = market.header
        self.zone_id, self.epoch_secs = h.zone_id, h.epoch_secs
        if zone_status == ZoneStatus.HALTED:
            self.status = "zone halted"
        elif trading_paused:
            self.status = "trading paused"
        else:
            self.status = "active" if h.status == MarketStatus.ACTIVE else "paused"
        if latest is not None:
            self.last_settled = settled_epoch(latest, self.chunks_by_epoch.get(latest.header.epoch, 0))
        self.updated_at = utc(now)

    def failed(self, message: str, now: float) -> None:
        self.errors += 1
        self.last_error = message
        self.last_error_at = utc(now)

    def document(self, now: int) -> dict[str, Any]:
        return {
            "zone_id": self.zone_id,
            "mode": "periodic" if self.epoch_secs else "continuous",
            "epoch_secs": self.epoch_secs,
            "status": self.status,
            "last_settled": self.last_settled,
            "backlog_epochs": self.backlog.epochs,
            "backlog_orders": self.backlog.orders,
            "backlog_secs": self.backlog.age(now),
            "expired_orders": self.expired_orders,
            "epochs_cleared_this_run": self.cleared,
            "chunks_this_run": self.chunks,
            "orders_settled_this_run": self.orders_settled,
            "prunes_this_run": self.prunes,
            "lost_races": self.lost_races,
            "errors": self.errors,
            "last_error": self.last_error,
            "last_error_at": self.last_error_at,
            "updated_at": self.updated_at,
        }


@dataclass
class KeeperMetrics:
    """Totals over the markets, and the keeper's run figures."""

    orders: Rate = field(default_factory=Rate)
    """Auction orders settled this run."""
    transactions: int = 0
    retries: int = 0

    def snapshot(
        self,
        markets: dict[str, MarketReport],
        cluster_now: int,
        wall_now: float,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        backlog = sum((m.backlog for m in markets.values()), Backlog())
        reports = markets.values()
        return {
            "updated_at": utc(wall_now),
            "cluster_time": cluster_now,
            "markets": {address: m.document(cluster_now) for address, m in sorted(markets.items())},
            "backlog_epochs": backlog.epochs,
            "backlog_orders": backlog.orders,
            "backlog_secs": backlog.age(cluster_now),
            "epochs_cleared_this_run": sum(m.cleared for m in reports),
            "chunks_this_run": sum(m.chunks for m in reports),
            "orders_settled_this_run": self.orders.count,
            "orders_settled_per_sec": rounded_rate(self.orders.per_sec),
            "prunes_this_run": sum(m.prunes for m in reports),
            "transactions_this_run": self.transactions,
            "errors": sum(m.errors for m in reports),
            **run_figures(self.orders, self.retries),
            **(extra or {}),
        }

    @staticmethod
    def line(snap: dict[str, Any]) -> str:
        return (
            f"{len(snap['markets'])} market(s): {snap['epochs_cleared_this_run']} epoch(s) cleared, "
            f"{snap['chunks_this_run']} chunk(s) ({snap['orders_settled_this_run']} orders) settled, "
            f"{snap['prunes_this_run']} prune(s) this run; backlog {snap['backlog_epochs']} epoch(s) "
            f"({snap['backlog_orders']} orders, oldest {snap['backlog_secs']} s), retries {snap['retries']}, "
            f"errors {snap['errors']}"
        )

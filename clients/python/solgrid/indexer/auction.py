"""The call auction's events as rows: what ``AuctionOrderPlaced``, ``AuctionOrderCancelled``,
``EpochCleared`` and ``EpochSettled`` add to ``orders``, ``order_states``, ``trades`` and
``epoch_settlements``, the epochs' clearing and settlement columns, and the feed's auction summaries
(:mod:`.epochs` writes the epochs and recomputes them; :mod:`.trading` the rest).

Rows by event:

- ``AuctionOrderPlaced``: an ``orders`` row (kind ``Auction``) and its ``placed`` change in epoch E at
  its index;
- ``AuctionOrderCancelled``: a ``cancelled`` change;
- ``EpochCleared``: the epoch's clearing columns;
- ``EpochSettled``: per settled order an ``epoch_settlements`` row; when it traded a ``filled`` change
  (step 2i) and a ``trades`` row (step i); what it did not trade either ``rolled`` (step 2i + 1, in
  epoch E + 1 at its new index: the same order continues there) or ``expired`` (step 2i + 1: refunded).

The rows are insert-only and keyed by event position, like the rest of the trading tables. A fill's
``price_ticks`` is its epoch's clearing price when the EpochCleared is already known (else
:mod:`.epochs` fills it in once it is). Integers only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from solgrid.indexer.models import Epoch

AUCTION_KIND = "Auction"
"""``orders.kind`` of an auction order."""
AUCTION_EVENTS = frozenset({"AuctionOrderPlaced", "AuctionOrderCancelled", "EpochCleared", "EpochSettled"})
NOT_ROLLED = 2**32 - 1
BASE_ATOMS_PER_WH = 10**6

CLEARED_FIELDS = {
    "price": "price",
    "reference_price": "reference_price",
    "volume_lots": "volume_lots",
    "demand_lots": "demand_lots",
    "supply_lots": "supply_lots",
    "total_bid_lots": "total_bid_lots",
    "total_ask_lots": "total_ask_lots",
    "bid_marginal_price": "bid_marginal_price",
    "bid_marginal_lots": "bid_marginal_lots",
    "ask_marginal_price": "ask_marginal_price",
    "ask_marginal_lots": "ask_marginal_lots",
    "cleared_orders": "orders",
    "cleared_levels": "levels",
}
"""``epochs`` column -> EpochCleared field."""


@dataclass
class AuctionBatch:
    """The auction rows of one batch (written by :func:`apply`)."""

    settlements: list[dict[str, Any]] = field(default_factory=list)
    clearings: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)
    """(market, epoch) -> the epoch's clearing columns."""
    settled: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)
    """(market, epoch) -> where its last settlement chunk was."""
    epochs: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    """Market -> epochs to recompute."""
    markets: set[str] = field(default_factory=set)
    """Markets whose every epoch is recomputed (their units or zone became known or changed)."""
    zones: dict[str, int | None] = field(default_factory=dict)
    """Market -> zone as the projection knew it (for new epoch rows)."""


@dataclass
class AuctionRows:
    """What one auction event adds: an order, order changes, fills, and its feed summary."""

    order: dict[str, Any] | None = None
    states: list[dict[str, Any]] = field(default_factory=list)
    trades: list[dict[str, Any]] = field(default_factory=list)
    summary: dict[str, Any] | None = None


def project(
    batch: AuctionBatch,
    name: str,
    d: Mapping[str, Any],
    key: Mapping[str, Any],
    slot: int,
    zone: int | None,
    clearing_price: int | None,
) -> AuctionRows:
    """The rows of auction event ``name`` (fields ``d``) at event position ``key`` (signature,
    instruction and event index) in ``slot``; ``clearing_price`` is the ticks of the settled epoch's
    clearing when known."""
    market, epoch = d["market"], int(d["epoch"])
    if zone is not None:
        batch.zones[market] = zone
    batch.epochs[market].add(epoch)
    where = {k: key[k] for k in ("signature", "instruction_index", "event_index")}
    if name == "AuctionOrderPlaced":
        return _placed(d, where, slot)
    if name == "AuctionOrderCancelled":
        change = _change(d, where, -1, slot, "cancelled", cancelled=d["lots"], remaining=0, state="Cancelled")
        return AuctionRows(states=[change])
    if name == "EpochCleared":
        columns = {column: d[source] for column, source in CLEARED_FIELDS.items()}
        batch.clearings[(market, epoch)] = {
            **columns,
            "zone_id": d["zone_id"],
            "starts_at": d["starts_at"],
            "ends_at": d["ends_at"],
            "cleared_signature": where["signature"],
            "cleared_instruction_index": where["instruction_index"],
            "cleared_event_index": where["event_index"],
            "cleared_slot": slot,
            "cleared_at": d["timestamp"],
        }
        summary = {
            "kind": "cleared",
            **where,
            "slot": slot,
            "market": market,
            "zone_id": zone,
            "epoch": epoch,
            "starts_at": d["starts_at"],
            "ends_at": d["ends_at"],
            **columns,
            "timestamp": d["timestamp"],
        }
        return AuctionRows(summary=summary)
    if name == "EpochSettled":
        return _settled(batch, d, where, slot, zone, clearing_price)
    raise ValueError(f"not an auction event: {name}")


def _placed(d: Mapping[str, Any], where: Mapping[str, Any], slot: int) -> AuctionRows:
    order = {
        "market": d["market"],
        "order_id": d["order_id"],
        "trader": d["trader"],
        "seat": d["seat"],
        "side": d["side"],
        "kind": AUCTION_KIND,
        "self_trade": None,
        "price": d["price"],
        "lots": d["lots"],
        "filled_lots": 0,
        "cancelled_lots": 0,
        "remaining_lots": d["lots"],
        "client_order_id": d["client_order_id"],
        "expires_at": d["expires_at"],
        "state": "Active",
        "epoch": d["epoch"],
        "auction_index": d["index"],
        "rollover": bool(d["rollover"]),
        "signature": where["signature"],
        "placed_slot": slot,
        "placed_at": d["timestamp"],
        "updated_slot": slot,
        "updated_at": d["timestamp"],
    }
    placed = _change(d, where, -1, slot, "placed", remaining=d["lots"], state="Active")
    return AuctionRows(order=order, states=[placed])


def _change(
    d: Mapping[str, Any],
    where: Mapping[str, Any],
    step: int,
    slot: int,
    change: str,
    *,
    remaining: int,
    state: str,
    filled: int = 0,
    cancelled: int = 0,
) -> dict[str, Any]:
    """A change of the event's own order (placed, cancelled)."""
    return {
        **where,
        "step": step,
        "market": d["market"],
        "order_id": d["order_id"],
        "trader": d["trader"],
        "side": d["side"],
        "price": d["price"],
        "change": change,
        "filled_lots": filled,
        "cancelled_lots": cancelled,
        "remaining_lots": remaining,
        "state": state,
        "epoch": d["epoch"],
        "auction_index": d["index"],
        "slot": slot,
        "timestamp": d["timestamp"],
    }


def _settled(
    batch: AuctionBatch,
    d: Mapping[str, Any],
    where: Mapping[str, Any],
    slot: int,
    zone: int | None,
    clearing_price: int | None,
) -> AuctionRows:
    market, epoch, timestamp = d["market"], int(d["epoch"]), d["timestamp"]
    rows = AuctionRows()
    totals = {"matched": 0, "rolled": 0, "expired": 0, "lots": 0, "quote": 0, "fees": 0}
    for i, s in enumerate(d["settlements"]):
        rolled = s["rolled_index"] != NOT_ROLLED
        filled, rest = int(s["filled_lots"]), int(s["remaining_lots"])
        batch.settlements.append(
            {
                **where,
                "step": i,
                "market": market,
                "epoch": epoch,
                "auction_index": s["index"],
                "order_id": s["order_id"],
                "trader": s["trader"],
                "client_order_id": s["client_order_id"],
                "side": s["side"],
                "price": s["price"],
                "filled_lots": filled,
                "base_amount": s["base_amount"],
                "quote_amount": s["quote_amount"],
                "fee": s["fee"],
                "base_released": s["base_released"],
                "quote_released": s["quote_released"],
                "remaining_lots": rest,
                "rolled_index": s["rolled_index"] if rolled else None,
                "outcome": s["outcome"],
                "slot": slot,
                "timestamp": timestamp,
            }
        )
        base = {
            **where,
            "market": market,
            "order_id": s["order_id"],
            "trader": s["trader"],
            "side": s["side"],
            "price": s["price"],
            "slot": slot,
            "timestamp": timestamp,
        }
        totals["fees"] += int(s["fee"])
        if filled:
            totals["matched"] += 1
            if s["side"] == "Bid":
                totals["lots"] += filled
                totals["quote"] += int(s["quote_amount"])
            rows.states.append(
                {
                    **base,
                    "step": 2 * i,
                    "change": "filled",
                    "filled_lots": filled,
                    "cancelled_lots": 0,
                    "remaining_lots": rest,
                    "state": "PartiallyFilled" if rest else "Filled",
                    "epoch": epoch,
                    "auction_index": s["index"],
                }
            )
            rows.trades.append(_fill(s, where, i, market, zone, epoch, clearing_price, slot, timestamp))
        if rest and rolled:
            totals["rolled"] += 1
            batch.epochs[market].add(epoch + 1)
            rows.states.append(
                {
                    **base,
                    "step": 2 * i + 1,
                    "change": "rolled",
                    "filled_lots": 0,
                    "cancelled_lots": 0,
                    "remaining_lots": rest,
                    # an earlier fill (another epoch's) is only known to the recomputation
                    "state": "PartiallyFilled" if filled else "Active",
                    "epoch": epoch + 1,
                    "auction_index": s["rolled_index"],
                }
            )
        elif rest:
            totals["expired"] += 1
            rows.states.append(
                {
                    **base,
                    "step": 2 * i + 1,
                    "change": "expired",
                    "filled_lots": 0,
                    "cancelled_lots": rest,
                    "remaining_lots": 0,
                    "state": "Expired",
                    "epoch": epoch,
                    "auction_index": s["index"],
                }
            )
    if d["done"]:
        batch.settled[(market, epoch)] = {
            "settled_signature": where["signature"],
            "settled_instruction_index": where["instruction_index"],
            "settled_event_index": where["event_index"],
            "settled_slot": slot,
            "settled_at": timestamp,
        }
    rows.summary = {
        "kind": "settled",
        **where,
        "slot": slot,
        "market": market,
        "zone_id": zone,
        "epoch": epoch,
        "price": clearing_price,
        "from_index": d["from_index"],
        "to_index": d["to_index"],
        "done": bool(d["done"]),
        "settled_orders": len(d["settlements"]),
        "matched_orders": totals["matched"],
        "rolled_orders": totals["rolled"],
        "expired_orders": totals["expired"],
        "volume_lots": totals["lots"],
        "quote_amount": totals["quote"],
        "fees": totals["fees"],
        "timestamp": timestamp,
    }
    return rows


def _fill(
    s: Mapping[str, Any],
    where: Mapping[str, Any],
    step: int,
    market: str,
    zone: int | None,
    epoch: int,
    clearing_price: int | None,
    slot: int,
    timestamp: int,
) -> dict[str, Any]:
    """The ``trades`` row of an auction order's fill: the order in the maker columns, no taker."""
    wh = int(s["base_amount"]) // BASE_ATOMS_PER_WH
    return {
        **where,
        "step": step,
        "market": market,
        "zone_id": zone,
        "maker": s["trader"],
        "taker": None,
        "maker_order_id": s["order_id"],
        "taker_order_id": None,
        "maker_side": s["side"],
        "taker_side": None,
        "epoch": epoch,
        "price_ticks": clearing_price,
        "price": int(s["quote_amount"]) * 1000 // wh if wh else 0,
        "lots": s["filled_lots"],
        "energy_wh": wh,
        "base_amount": s["base_amount"],
        "quote_amount": s["quote_amount"],
        "maker_fee": s["fee"],
        "taker_fee": 0,
        "slot": slot,
        "timestamp": timestamp,
    }


async def clearing_price(session: AsyncSession, batch: AuctionBatch, market: str, epoch: int) -> int | None:
    """The clearing price (ticks) of ``market``'s ``epoch`` if its EpochCleared is in the batch or stored."""
    cleared = batch.clearings.get((market, epoch))
    if cleared is not None:
        return int(cleared["price"])
    price = await session.scalar(
        select(Epoch.price).where(
            Epoch.market == market, Epoch.epoch == epoch, Epoch.cleared_signature.is_not(None)
        )
    )
    return None if price is None else int(price)

"""Trading events and fills read back from the chain over plain JSON-RPC (no indexer needed).

The program emits each instruction's event through a self-CPI, so events are read from a transaction's
inner instructions (:func:`solgrid.sdk.cpi_events.cpi_events` on the ``getTransaction`` result), never
from its logs. A market's trades are the fills of the ``OrderPlaced`` events in the transactions that
name the market (``getSignaturesForAddress``), newest first.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Commitment, Confirmed
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.signature import Signature

from solgrid.sdk.anchor import ProgramCoder
from solgrid.sdk.cpi_events import cpi_events
from solgrid.sdk.trading.client import TradingClient
from solgrid.sdk.trading.events import Fill, OrderPlaced, TradingEvent, from_anchor
from solgrid.sdk.trading.units import Side
from solgrid.sdk.transactions import Landed, send_and_confirm

SIGNATURE_PAGE = 100
"""Signatures asked for per ``getSignaturesForAddress`` call while collecting trades."""


def trading_events(client: TradingClient, transaction: Mapping[str, Any]) -> list[TradingEvent]:
    """The trading events of a ``getTransaction`` result (``json`` encoding), in execution order; none
    for a failed transaction."""
    found: list[TradingEvent] = []
    for event in cpi_events(client.coder, transaction):
        typed = from_anchor(event.name, event.data)
        if typed is not None:
            found.append(typed)
    return found


async def fetch_transaction(
    connection: AsyncClient, signature: Signature, commitment: Commitment = Confirmed
) -> dict[str, Any] | None:
    """``getTransaction`` of ``signature`` (``json`` encoding, versions up to 0) as the JSON-RPC result
    object, or None when the node has no record of it."""
    fetched = await connection.get_transaction(
        signature, "json", commitment, max_supported_transaction_version=0
    )
    if fetched.value is None:
        return None
    result: dict[str, Any] = json.loads(fetched.value.to_json())
    return result


async def transaction_events(
    connection: AsyncClient, client: TradingClient, signature: Signature, commitment: Commitment = Confirmed
) -> list[TradingEvent]:
    """The trading events of a landed transaction."""
    transaction = await fetch_transaction(connection, signature, commitment)
    return [] if transaction is None else trading_events(client, transaction)


async def send_and_events(
    connection: AsyncClient,
    client: TradingClient,
    instructions: Sequence[Instruction],
    payer: Keypair,
    signers: Sequence[Keypair] = (),
    *,
    commitment: Commitment = Confirmed,
    coders: Sequence[ProgramCoder] = (),
) -> tuple[Landed, list[TradingEvent]]:
    """Send ``instructions`` (:func:`solgrid.sdk.transactions.send_and_confirm`; the trading program's
    errors are named from its IDL) and return the landed transaction with its trading events."""
    landed = await send_and_confirm(
        connection, instructions, payer, signers, commitment=commitment, coders=[client.coder, *coders]
    )
    return landed, await transaction_events(connection, client, landed.signature, commitment)


@dataclass(frozen=True)
class Trade:
    """One fill: an incoming (taker) order traded with a resting (maker) order at the maker's price."""

    signature: str
    slot: int
    market: Pubkey
    taker: Pubkey
    taker_side: Side
    taker_order_id: int
    timestamp: int
    """The cluster's Unix time when the order was placed (the event's)."""
    fill: Fill


def trades_of(placed: OrderPlaced, signature: str, slot: int) -> list[Trade]:
    """The fills of one ``OrderPlaced`` event, in execution order."""
    return [
        Trade(
            signature, slot, placed.market, placed.trader, placed.side, placed.order_id, placed.timestamp, f
        )
        for f in placed.fills
    ]


async def market_trades(
    connection: AsyncClient,
    client: TradingClient,
    market: Pubkey,
    *,
    limit: int,
    commitment: Commitment = Confirmed,
) -> list[Trade]:
    """The ``limit`` most recent fills of ``market``, newest first (within a transaction, the last fill
    first), from the transactions the node lists for the market's address."""
    trades: list[Trade] = []
    before: Signature | None = None
    while len(trades) < limit:
        page = (
            await connection.get_signatures_for_address(
                market, before=before, limit=SIGNATURE_PAGE, commitment=commitment
            )
        ).value
        for status in page:
            if status.err is not None:
                continue
            transaction = await fetch_transaction(connection, status.signature, commitment)
            if transaction is None:
                continue
            found: list[Trade] = []
            for event in trading_events(client, transaction):
                if isinstance(event, OrderPlaced) and event.market == market:
                    found.extend(trades_of(event, str(status.signature), status.slot))
            trades.extend(reversed(found))
            if len(trades) >= limit:
                break
        if len(page) < SIGNATURE_PAGE:
            break
        before = page[-1].signature
    return trades[:limit]

"""The status of what the API shows: the chain's slot, how far the indexer got (per program), what it
indexed, and the live feed."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from solgrid.api.deps import Session
from solgrid.api.settings import shown
from solgrid.api.status import probes_of, program_names
from solgrid.indexer.models import Checkpoint

router = APIRouter(tags=["status"])


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CheckpointOut(Strict):
    program: str
    name: str | None
    """registry, energy_token, trading or governance (null: a program this version does not know)."""
    slot: int | None
    """The slot of the newest transaction indexed without a hole before it (null: none yet)."""
    covered_slot: int
    """Every transaction of the program up to this slot is indexed (or in a recorded history gap)."""
    lag_slots: int | None
    """chain_slot - covered_slot (null without the chain's slot)."""


class LastEvent(Strict):
    slot: int
    block_time: int | None


class FeedOut(Strict):
    url: str | None
    """The indexer feed this API relays at /feed (null: none configured, no live updates)."""
    connected: bool
    """Whether the feed answered its status request (within about a second, cached a second)."""
    clients: int | None
    """The feed's connections (this API's relayed clients among them); null when not connected."""
    subscriptions: int | None
    events_pushed: int | None
    """Indexed events the feed published since it started."""
    relay_clients: int
    """Websocket clients of this API process's /feed relay now."""


class Status(Strict):
    chain_slot: int | None
    """The node's slot (getSlot on --rpc-url, cached a second; null without one or when it fails)."""
    checkpoints: list[CheckpointOut]
    events: int
    """Events indexed (cached a second)."""
    last_event: LastEvent | None
    """The newest indexed event's slot and its block time (cached a second)."""
    feed: FeedOut
    database: str
    """sqlite or postgresql."""
    server_time: int
    """The API server's clock (unix seconds)."""


@router.get("/status", response_model=Status, summary="Status of the chain, the indexer and the feed")
async def status(request: Request, session: Session) -> dict[str, Any]:
    """The chain's slot, each program's indexer checkpoint and its lag, the indexed events and the
    newest one, and the live feed (whether it answers, its clients, this process's relay clients)."""
    probes = probes_of(request.app)
    slot = await probes.slot.get()
    names = program_names()
    checkpoints = [
        {
            "program": c.program,
            "name": names.get(c.program),
            "slot": c.slot,
            "covered_slot": c.covered_slot,
            "lag_slots": None if slot is None else slot - c.covered_slot,
        }
        for c in await session.scalars(select(Checkpoint).order_by(Checkpoint.program))
    ]
    events = await probes.events.get()
    count, newest = (0, None) if events is None else events
    feed = await probes.feed.get()
    return {
        "chain_slot": slot,
        "checkpoints": checkpoints,
        "events": count,
        "last_event": newest,
        "feed": {
            "url": None if probes.settings.feed_url is None else shown(probes.settings.feed_url),
            "connected": feed is not None,
            "clients": None if feed is None else feed.get("clients"),
            "subscriptions": None if feed is None else feed.get("subscriptions"),
            "events_pushed": None if feed is None else feed.get("events_pushed"),
            "relay_clients": probes.relay_clients,
        },
        "database": request.app.state.dialect,
        "server_time": int(time.time()),
    }

"""The websocket feed: pushes every newly indexed event to the subscribers whose filters match.

Protocol (JSON text frames; one object per frame):

client -> server
    {"op": "subscribe", "id": "<your id>", "filter": {<topics>}}
    {"op": "unsubscribe", "id": "<your id>"}
    {"op": "status"}   ("id" optional, echoed): how the feed is doing, for monitoring (the API's
                       /api/v1/status asks it)
  ``filter`` is optional; each topic is optional and is a value or a list of values, and an event
  matches when every topic given matches (values of one topic are alternatives):
    "program": program id or name ("registry", "energy_token", "trading", "governance"); anything
               else is an error
    "event":   event name, e.g. "ReadingAccepted"; a name no indexed IDL declares is an error
    "user":    a wallet / User PDA appearing as user, authority, owner, holder, regulator,
               new_authority or by; meter events also match the meter's owner; certificate events
               match the owners, the issuer and the beneficiary they name (a revocation also the
               owners of the valid certificates split off the revoked one), proposal events the
               proposer, voter or canceller
    "meter":   meter address
    "zone":    zone id (int); meter events match the meter's zone, user events (``user`` or
               ``holder`` field) the user's zone, trading events their market's zone, certificate
               events their certificate's zone, Paused / Resumed their zone
  or, instead of those event topics, the streams of zones (ints):
    "trades":   one "trade" frame per fill in the zone's markets
    "book":     one "book" frame per change of a resting order (placed, filled, removed, reduced) or
                of an order waiting in an auction (placed, filled, rolled, expired, cancelled)
    "auctions": one "auction" frame per epoch cleared and per settlement chunk in the zone's periodic
                markets
  and the governance streams, each ``true`` (all) or zone ids (proposal ids for "proposals"):
    "certificates": one "certificate" frame per change of a certificate of the zone (requested,
                validated, transferred, split, split_from, retired, revoked, expired), with the
                certificate after it; a revocation also sends one "original_revoked" frame per Valid
                certificate split off the revoked one (its status stays Valid, its
                "effective_status" is Revoked, "related" is the revoked original)
    "proposals": one "proposal" frame per proposal change (created, approved, rejected, executed,
                cancelled, closed)
    "pauses":   one "pause" frame per pause or resume of the zone; a market-wide one goes to every
                "pauses" subscription

server -> client
    {"type": "subscribed", "id": ...} / {"type": "unsubscribed", "id": ...}
    {"type": "status", "clients": <connections now>, "subscriptions": <their subscriptions>,
     "events_pushed": <indexed events published since the feed started>,
     "frames_sent": <frames sent to subscribers since then>}
    {"type": "error", "id": ..., "message": "..."}   (bad request; "id" when it had a valid one;
                                                      the connection stays open)
    {"type": "event", "subscriptions": [ids as strings], "event": {
        "signature", "slot", "block_time", "program", "name", "instruction_index", "event_index",
        "data": {event fields: pubkeys base58, enums by variant name, u64 as JSON numbers},
        "recovered": true when rebuilt from the instructions of a transaction with truncated logs}}
    {"type": "trade", "subscriptions": [...], "trade": {a ``trades`` row}}
    {"type": "book", "subscriptions": [...], "book": {an ``order_states`` row with "zone_id"}}
    {"type": "auction", "subscriptions": [...], "auction": {"kind": "cleared" | "settled", ...}}
    {"type": "certificate", "subscriptions": [...], "certificate": {a ``certificates`` row after the
        change, plus "change", "related", "actor", "proposal", "signature", "instruction_index",
        "event_index", "slot", "timestamp"}}
    {"type": "proposal", "subscriptions": [...], "proposal": {"change", "proposal", "proposal_id",
        "status" (after it), "actor", "signature", "instruction_index", "event_index", "slot",
        "timestamp", "data": {the event's fields}}}
    {"type": "pause", "subscriptions": [...], "pause": {a ``pauses`` row, plus "flag_names" and
        "paused_names"}}

Events are pushed after they are committed to the database, in the order they were indexed (chain
order, except a transaction that became visible late in an older slot; see :mod:`backfill`), so what a
subscriber sees is always also in the ``events`` table. Delivery is live only and at most once: there
is no replay, and events committed while a client is disconnected (or just before a crash) are only
in the database. The full protocol, with an example client, is in docs/indexer.md.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, broadcast, serve
from websockets.exceptions import ConnectionClosed

from solgrid.errors import UserFacingError
from solgrid.indexer.store import StoredEvent

log = logging.getLogger(__name__)
EVENT_TOPICS = ("program", "event", "user", "meter", "zone")
TRADING_TOPICS = ("trades", "book", "auctions")
GOVERNANCE_TOPICS = ("certificates", "proposals", "pauses")
STREAM_TOPICS = TRADING_TOPICS + GOVERNANCE_TOPICS
"""Topics whose subscriptions receive rows (``trade`` / ``book`` / ``auction`` / ``certificate`` /
``proposal`` / ``pause`` frames) instead of events."""
STREAM_FRAMES = {
    "trade": "trades",
    "book": "book",
    "auction": "auctions",
    "certificate": "certificates",
    "proposal": "proposals",
    "pause": "pauses",
}
"""Frame type -> the topic whose subscriptions receive it."""
TOPICS = EVENT_TOPICS + STREAM_TOPICS


@dataclass(frozen=True)
class Selection:
    """What a governance stream subscription selects: ``values`` (zone or proposal ids), or everything
    (None)."""

    values: frozenset[int] | None = None

    def __contains__(self, key: object) -> bool:
        return self.values is None or key in self.values


class FilterError(ValueError):
    pass


class FeedError(UserFacingError):
    """The feed cannot listen (port taken, bad host)."""


@dataclass(frozen=True)
class TopicFilter:
    programs: frozenset[str] = frozenset()
    events: frozenset[str] = frozenset()
    users: frozenset[str] = frozenset()
    meters: frozenset[str] = frozenset()
    zones: frozenset[int] = frozenset()
    trade_zones: frozenset[int] | None = None
    """Zones whose trades the subscription receives (None: it receives events, not trades)."""
    book_zones: frozenset[int] | None = None
    """Zones whose book changes the subscription receives (None: none)."""
    auction_zones: frozenset[int] | None = None
    """Zones whose auction summaries the subscription receives (None: none)."""
    certificates: Selection | None = None
    """Zones whose certificate changes the subscription receives (None: none)."""
    proposals: Selection | None = None
    """Proposals whose changes the subscription receives (None: none)."""
    pauses: Selection | None = None
    """Zones whose pauses and resumes the subscription receives, market-wide ones included (None: none)."""

    @classmethod
    def parse(cls, raw: Any, program_names: Mapping[str, str], event_names: Iterable[str]) -> TopicFilter:
        """The filter of a subscribe request; ``program_names`` maps names to ids, ``event_names`` are
        the events the indexed programs can emit (names or ids outside them are refused)."""
        if raw is None:
            return cls()
        if not isinstance(raw, dict):
            raise FilterError("filter must be an object")
        unknown = set(raw) - set(TOPICS)
        if unknown:
            raise FilterError(f"unknown filter topic(s): {', '.join(sorted(unknown))}")

        def values(topic: str) -> list[Any]:
            value = raw.get(topic)
            if value is None:
                return []
            return list(value) if isinstance(value, list) else [value]

        streams = [t for t in STREAM_TOPICS if t in raw]
        if streams:
            mixed = sorted(t for t in EVENT_TOPICS if t in raw)
            if mixed:
                raise FilterError(
                    "trades, book, auctions, certificates, proposals and pauses cannot be combined with "
                    f"event topics ({', '.join(mixed)})"
                )
            zones_of = {t: frozenset(_zones(t, values(t))) for t in streams if t in TRADING_TOPICS}
            selected = {t: _selection(t, raw[t]) for t in streams if t in GOVERNANCE_TOPICS}
            return cls(
                trade_zones=zones_of.get("trades"),
                book_zones=zones_of.get("book"),
                auction_zones=zones_of.get("auctions"),
                certificates=selected.get("certificates"),
                proposals=selected.get("proposals"),
                pauses=selected.get("pauses"),
            )
        zones = _zones("zone", values("zone"))
        texts = {t: values(t) for t in ("program", "event", "user", "meter")}
        for topic, items in texts.items():
            if not all(isinstance(v, str) for v in items):
                raise FilterError(f"{topic} must be a string (or a list of strings)")
        return cls(
            programs=frozenset(_program_ids(texts["program"], program_names)),
            events=frozenset(_known(texts["event"], set(event_names))),
            users=frozenset(texts["user"]),
            meters=frozenset(texts["meter"]),
            zones=frozenset(zones),
        )

    @property
    def streams(self) -> bool:
        return any(
            z is not None
            for z in (
                self.trade_zones,
                self.book_zones,
                self.auction_zones,
                self.certificates,
                self.proposals,
                self.pauses,
            )
        )

    def wants(self, kind: str, row: Mapping[str, Any]) -> bool:
        """Whether a frame of type ``kind`` carrying ``row`` goes to this subscription."""
        if kind == "proposal":
            return self.proposals is not None and row["proposal_id"] in self.proposals
        if kind == "certificate":
            return self.certificates is not None and row["zone_id"] in self.certificates
        if kind == "pause":  # a market-wide pause (no zone) concerns every zone
            return self.pauses is not None and (row["zone_id"] is None or row["zone_id"] in self.pauses)
        zones = {"trades": self.trade_zones, "book": self.book_zones, "auctions": self.auction_zones}[
            STREAM_FRAMES[kind]
        ]
        return zones is not None and row["zone_id"] in zones

    def matches(self, event: StoredEvent) -> bool:
        return not self.streams and (
            (not self.programs or event.program in self.programs)
            and (not self.events or event.name in self.events)
            and (not self.users or bool(self.users & event.users))
            and (not self.meters or event.meter in self.meters)
            and (not self.zones or event.zone in self.zones)
        )


def _selection(topic: str, raw: Any) -> Selection:
    """A governance stream's value: ``true`` (everything), or ids (an int or a list of them)."""
    if raw is True:
        return Selection()
    ids = "proposal ids" if topic == "proposals" else "zone ids"
    items = raw if isinstance(raw, list) else [raw]
    if not items or not all(isinstance(v, int) and not isinstance(v, bool) for v in items):
        raise FilterError(f"{topic} must be true or {ids} (an integer or a list of them)")
    return Selection(frozenset(items))


def _zones(topic: str, values: list[Any]) -> list[int]:
    if not all(isinstance(z, int) and not isinstance(z, bool) for z in values):
        raise FilterError(f"{topic} must be an integer zone id (or a list of them)")
    return values


def _program_ids(values: list[str], program_names: Mapping[str, str]) -> list[str]:
    ids = set(program_names.values())
    unknown = [v for v in values if v not in program_names and v not in ids]
    if unknown:
        known = ", ".join(program_names)
        raise FilterError(f"unknown program {unknown[0]!r} (use {known} or their program ids)")
    return [program_names.get(v, v) for v in values]


def _known(values: list[str], event_names: set[str]) -> list[str]:
    unknown = [v for v in values if v not in event_names]
    if unknown:
        raise FilterError(f"unknown event {unknown[0]!r} (events: {', '.join(sorted(event_names))})")
    return values


@dataclass
class _Client:
    subscriptions: dict[str, TopicFilter] = field(default_factory=dict)


class EventFeed:
    """A websockets 15 server; :meth:`publish` fans events out to matching subscriptions."""

    def __init__(self, program_names: Mapping[str, str], event_names: Iterable[str]) -> None:
        self.program_names = dict(program_names)
        self.event_names = frozenset(event_names)
        self._clients: dict[ServerConnection, _Client] = {}
        self._server: Server | None = None
        self.events_pushed = 0
        """Indexed events published since the feed started (matched by a subscription or not)."""
        self.frames_sent = 0
        """Event and row frames sent to subscribers since the feed started."""

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the feed is not serving")
        port: int = next(iter(self._server.sockets)).getsockname()[1]
        return port

    async def start(self, host: str, port: int) -> None:
        try:
            self._server = await serve(self._handle, host, port)
        except OSError as e:
            raise FeedError(f"cannot serve the websocket feed on {host}:{port}: {e.strerror or e}") from None

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def publish(self, events: Sequence[StoredEvent]) -> None:
        self.events_pushed += len(events)
        for connection, client in list(self._clients.items()):
            for event in events:
                ids = [sid for sid, f in client.subscriptions.items() if f.matches(event)]
                if ids:
                    message = {"type": "event", "subscriptions": ids, "event": event.message()}
                    broadcast([connection], json.dumps(message))
                    self.frames_sent += 1
                for kind, rows in (
                    ("trade", event.trades),
                    ("book", event.book),
                    ("auction", event.auctions),
                    ("certificate", event.certificates),
                    ("proposal", event.proposals),
                    ("pause", event.pauses),
                ):
                    for row in rows:
                        ids = [sid for sid, f in client.subscriptions.items() if f.wants(kind, row)]
                        if ids:
                            message = {"type": kind, "subscriptions": ids, kind: row}
                            broadcast([connection], json.dumps(message))
                            self.frames_sent += 1

    async def _handle(self, connection: ServerConnection) -> None:
        client = self._clients[connection] = _Client()
        try:
            async for raw in connection:
                await connection.send(json.dumps(self._request(client, raw)))
        except ConnectionClosed:
            pass
        finally:
            del self._clients[connection]

    def _request(self, client: _Client, raw: str | bytes) -> dict[str, Any]:
        try:
            message = json.loads(raw)
        except ValueError:
            return {"type": "error", "message": "not JSON"}
        if not isinstance(message, dict):
            return {"type": "error", "message": "a request is a JSON object"}
        op, sid = message.get("op"), message.get("id")
        if op == "status" and (sid is None or (isinstance(sid, str | int) and not isinstance(sid, bool))):
            return self.status() | ({} if sid is None else {"id": sid})
        if not isinstance(sid, str | int) or isinstance(sid, bool):
            return {"type": "error", "message": "id must be a string or an integer"}
        key = str(sid)
        if op == "subscribe":
            try:
                client.subscriptions[key] = TopicFilter.parse(
                    message.get("filter"), self.program_names, self.event_names
                )
            except FilterError as e:
                return {"type": "error", "id": sid, "message": str(e)}
            return {"type": "subscribed", "id": sid}
        if op == "unsubscribe":
            if client.subscriptions.pop(key, None) is None:
                return {"type": "error", "id": sid, "message": f"no subscription {sid!r}"}
            return {"type": "unsubscribed", "id": sid}
        return {"type": "error", "id": sid, "message": f"unknown op {op!r} (subscribe, unsubscribe, status)"}

    def status(self) -> dict[str, Any]:
        """The answer to ``{"op": "status"}``."""
        return {
            "type": "status",
            "clients": len(self._clients),
            "subscriptions": sum(len(c.subscriptions) for c in self._clients.values()),
            "events_pushed": self.events_pushed,
            "frames_sent": self.frames_sent,
        }

"""Writes fetched transactions into the database: once, atomically, together with the checkpoint.

A batch is one database transaction: the new ``transactions`` rows, the audit ``events``, the domain
projections and the program's checkpoint commit together or not at all, so a crash (kill -9) leaves
either the whole batch or none of it. A signature already in ``transactions`` is skipped entirely,
which makes indexing the same transaction twice (backfill overlapping live, a restart replaying a
page, two programs' histories both listing a settle_and_mint) a no-op. The ``transactions`` insert is
``ON CONFLICT DO NOTHING RETURNING``: when another indexer on the same database committed some of the
batch after the check, only the transactions this insert added get their events and rows.

Projections only ever move forward: meter totals are the chain's cumulative counters carried by the
events and are only raised (``WHERE produced_wh <= new``), so replaying an older event cannot regress
a row.

Events come from the logs (``Program data:``) and from self-CPI inner instructions (Anchor's
``emit_cpi``), placed by execution order within each top-level instruction (:mod:`decode`).
A transaction whose logs were truncated gets its lost events rebuilt from its instructions
(:mod:`solgrid.indexer.recover`), an ``alerts`` row and a WARNING. A rebuilt event cannot show the
chain's cumulative counters, so the store derives them: a reading's ``produced_wh`` / ``consumed_wh``
from the meter's previous reading (in this batch or stored), a settlement's ``settled_wh`` from the
meter's latest settlement. That is exact when those are indexed (catch-up walks oldest first), and
otherwise too low, never too high, which the monotonic meter totals then correct.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from solgrid.indexer import proposals
from solgrid.indexer.authority import AuthorityReader
from solgrid.indexer.certificates import CERTIFICATE_EVENTS, CertificateBatch, CertificateProjection
from solgrid.indexer.db import dialect_insert as _insert
from solgrid.indexer.decode import DecodedEvent, EventDecoder
from solgrid.indexer.event_users import USER_FIELDS, ZONE_USER_FIELDS
from solgrid.indexer.models import (
    Alert,
    Burn,
    Checkpoint,
    Event,
    GridZone,
    Meter,
    MeterReading,
    Pause,
    Proposal,
    Settlement,
    TokenMint,
    Transaction,
    User,
    table_of,
)
from solgrid.indexer.pauses import PAUSE_EVENTS, pause_frame, pause_row
from solgrid.indexer.proposals import PROPOSAL_EVENTS, ProposalBatch
from solgrid.indexer.recover import EventRecoverer, Execution
from solgrid.indexer.trading import Position, TradingBatch, TradingProjection

log = logging.getLogger(__name__)
TRADING_PROGRAM = "trading"
"""The IDL name of the program whose events :mod:`solgrid.indexer.trading` turns into tables."""
GOVERNANCE_PROGRAM = "governance"
"""The IDL name of the program whose events :mod:`solgrid.indexer.certificates` and
:mod:`solgrid.indexer.proposals` turn into tables."""

MONOTONIC = frozenset({"produced_wh", "consumed_wh", "settled_wh"})
"""Cumulative on-chain counters: an UPDATE never lowers them."""


@dataclass(frozen=True)
class FetchedTransaction:
    """What the indexer needs from ``getTransaction``."""

    signature: str
    slot: int
    block_time: int | None
    succeeded: bool
    logs: list[str]
    instruction_programs: tuple[str, ...] | None = None
    """The program id of each top-level instruction of the message, in order (None: unknown, and
    instruction indexes are then counted from the logs alone)."""
    execution: Execution | None = None
    """The instructions that ran, CPIs included (None: unknown; the events a log truncation removed
    are then not rebuilt, and self-CPI events are not seen)."""


@dataclass(frozen=True)
class StoredEvent:
    """An event as committed, with the topics the websocket feed filters on."""

    signature: str
    slot: int
    block_time: int | None
    program: str
    name: str
    instruction_index: int
    event_index: int
    data: dict[str, Any]
    users: frozenset[str]
    meter: str | None
    zone: int | None
    recovered: bool = False
    """Rebuilt from the transaction's instructions (its logs were truncated), see :mod:`recover`."""
    trades: tuple[dict[str, Any], ...] = ()
    """The ``trades`` rows of a trading event (its fills), for the feed's ``trades`` topic."""
    book: tuple[dict[str, Any], ...] = ()
    """The changes it made to resting orders (``order_states`` rows with ``zone_id``), for the feed's
    ``book`` topic."""
    auctions: tuple[dict[str, Any], ...] = ()
    """An auction event's summary (an epoch cleared, a settlement chunk), for the feed's ``auctions``
    topic."""
    certificates: tuple[dict[str, Any], ...] = ()
    """A certificate event's changes (the certificate after each), for the feed's ``certificates``
    topic."""
    proposals: tuple[dict[str, Any], ...] = ()
    """A proposal event's change, for the feed's ``proposals`` topic."""
    pauses: tuple[dict[str, Any], ...] = ()
    """A pause or resume (its ``pauses`` row), for the feed's ``pauses`` topic."""

    def message(self) -> dict[str, Any]:
        return {
            "signature": self.signature,
            "slot": self.slot,
            "block_time": self.block_time,
            "program": self.program,
            "name": self.name,
            "instruction_index": self.instruction_index,
            "event_index": self.event_index,
            "data": self.data,
            "recovered": self.recovered,
        }


@dataclass
class _Batch:
    registrations: list[tuple[Table, dict[str, Any]]] = field(default_factory=list)
    appends: dict[Table, list[dict[str, Any]]] = field(default_factory=dict)
    updates: list[tuple[Table, str, Any, dict[str, Any]]] = field(default_factory=list)
    meters: list[str] = field(default_factory=list)
    """Meters registered in this batch."""
    readings: dict[str, tuple[int, int | None, int | None]] = field(default_factory=dict)
    """Meter -> (window_start, produced_wh, consumed_wh) of its latest reading in this batch."""
    settled: dict[str, int] = field(default_factory=dict)
    """Meter -> settled_wh of its latest settlement in this batch."""
    warnings: list[str] = field(default_factory=list)
    trading: TradingBatch = field(default_factory=TradingBatch)
    certificates: CertificateBatch = field(default_factory=CertificateBatch)
    proposals: ProposalBatch = field(default_factory=ProposalBatch)
    emission_zones: set[int] = field(default_factory=set)
    """Zones with an EmissionFactorSet in the batch (their factor is recomputed)."""

    def append(self, table: Table, row: dict[str, Any]) -> None:
        self.appends.setdefault(table, []).append(row)


class Store:
    """Applies batches of transactions; keeps a meter -> (zone, owner) cache for the feed's zone and
    user topics (a meter event matches its meter's zone and owner) and a user -> zone cache (a user
    event matches its user's zone)."""

    def __init__(self, decoder: EventDecoder) -> None:
        self.decoder = decoder
        self.recoverer = EventRecoverer(decoder.coders)
        self._meters: dict[str, tuple[int, str] | None] = {}
        """Meters are registered before their readings (in chain order), so a miss stays a miss until
        this store indexes the MeterRegistered, which fills the entry."""
        self._user_zones: dict[str, int | None] = {}
        """User PDA or wallet -> zone; misses are kept like the meters'."""
        trading = [c for c in decoder.coders if c.idl.name == TRADING_PROGRAM]
        self.trading = TradingProjection(str(trading[0].program_id)) if trading else None
        governance = [str(c.program_id) for c in decoder.coders if c.idl.name == GOVERNANCE_PROGRAM]
        self.governance = governance[0] if governance else None
        self.authority = AuthorityReader(decoder.coders, self.governance)
        self.certificates = CertificateProjection()

    async def store(
        self,
        session: AsyncSession,
        transactions: Sequence[FetchedTransaction],
        checkpoint: tuple[str, str, int] | None = None,
    ) -> list[StoredEvent]:
        """Stores the transactions not stored yet and moves ``checkpoint`` = (program, signature, slot),
        all in ``session``'s transaction (the caller commits). Returns the newly stored events."""
        seen = await self.indexed(session, [t.signature for t in transactions])
        fresh: list[FetchedTransaction] = []
        for tx in transactions:
            if tx.signature not in seen:
                seen.add(tx.signature)
                fresh.append(tx)
        batch, stored, rows = await self._prepare(session, fresh)
        inserted = await self._insert_transactions(session, rows)
        if len(inserted) < len(fresh):  # another indexer committed some of them since `indexed` looked
            fresh = [tx for tx in fresh if tx.signature in inserted]
            batch, stored, _ = await self._prepare(session, fresh)
        await self._apply(session, batch)
        for warning in batch.warnings:
            log.warning("%s", warning)
        if checkpoint is not None:
            await self._move_checkpoint(session, *checkpoint)
        return stored

    async def _prepare(
        self, session: AsyncSession, transactions: Sequence[FetchedTransaction]
    ) -> tuple[_Batch, list[StoredEvent], list[dict[str, Any]]]:
        """The rows ``transactions`` add (in a batch, not written yet), their events and their
        ``transactions`` rows."""
        batch = _Batch()
        stored: list[StoredEvent] = []
        tx_rows = []
        for tx in transactions:
            events, truncated = self._events_of(batch, tx)
            tx_rows.append(
                {
                    "signature": tx.signature,
                    "slot": tx.slot,
                    "block_time": tx.block_time,
                    "succeeded": tx.succeeded,
                    "logs_truncated": truncated,
                    "event_count": len(events),
                }
            )
            for event in events:
                stored.append(await self._project(session, batch, tx, event, events))
        return batch, stored, tx_rows

    def _events_of(self, batch: _Batch, tx: FetchedTransaction) -> tuple[list[DecodedEvent], bool]:
        """The transaction's events, those its truncated logs lost rebuilt (with an alert and a
        warning), and whether its logs were truncated."""
        if not tx.succeeded:
            return [], False
        decoded = self.decoder.decode_logs(tx.logs, tx.instruction_programs)
        cpi = [] if tx.execution is None else self.decoder.cpi_events(tx.execution.instructions)
        recovered = self.recoverer.recover(decoded, tx.execution, cpi)
        if not decoded.truncated:
            return recovered.events, False
        message = (
            f"transaction {tx.signature} (slot {tx.slot}) had its logs truncated by the runtime: "
            f"{len(recovered.events) - recovered.rebuilt - len(cpi)} event(s) from the logs, "
            f"{recovered.rebuilt} rebuilt from its instructions"
        )
        if cpi:
            message += f", {len(cpi)} from self-CPI inner instructions (complete)"
        if recovered.missing:
            message += "; not rebuilt: " + "; ".join(recovered.missing)
        batch.append(_table(Alert), {"signature": tx.signature, "kind": "logs_truncated", "message": message})
        batch.warnings.append(message)
        return recovered.events, True

    async def _insert_transactions(self, session: AsyncSession, rows: list[dict[str, Any]]) -> set[str]:
        """Inserts the ``transactions`` rows; returns the signatures this call inserted (a row another
        indexer committed meanwhile is left alone: ON CONFLICT DO NOTHING)."""
        if not rows:
            return set()
        table = _table(Transaction)
        statement = _insert(session, table).on_conflict_do_nothing(index_elements=["signature"])
        result = await session.execute(statement.returning(table.c.signature), rows)
        return set(result.scalars())

    async def _apply(self, session: AsyncSession, batch: _Batch) -> None:
        for table, row in batch.registrations:
            await session.execute(_insert(session, table).on_conflict_do_nothing(), [row])
        for table, rows in batch.appends.items():
            await session.execute(_insert(session, table).on_conflict_do_nothing(), rows)
        for meter in batch.meters:
            await _start_counters(session, meter)
        for (table, key, value, guarded), values in _merged(batch.updates).items():
            statement = update(table).where(table.c[key] == value)
            for column in guarded:
                statement = statement.where(table.c[column] <= values[column])
            await session.execute(statement.values(**values))
        if self.trading is not None:
            await self.trading.apply(session, batch.trading)
        await self.certificates.apply(session, batch.certificates)
        await proposals.apply(session, batch.proposals)
        for zone in sorted(batch.emission_zones):
            await _latest_emission_factor(session, zone)

    async def indexed(self, session: AsyncSession, signatures: Sequence[str]) -> set[str]:
        """Which of ``signatures`` are already stored."""
        found: set[str] = set()
        for start in range(0, len(signatures), 500):
            chunk = signatures[start : start + 500]
            rows = await session.execute(
                select(Transaction.signature).where(Transaction.signature.in_(chunk))
            )
            found.update(rows.scalars())
        return found

    async def alert_once(self, session: AsyncSession, signature: str, kind: str, message: str) -> None:
        """Writes an ``alerts`` row unless one of this ``kind`` already names ``signature``."""
        exists = await session.scalar(
            select(func.count()).select_from(Alert).where(Alert.signature == signature, Alert.kind == kind)
        )
        if not exists:
            session.add(Alert(signature=signature, kind=kind, message=message))

    async def _move_checkpoint(self, session: AsyncSession, program: str, signature: str, slot: int) -> None:
        statement = _insert(session, _table(Checkpoint)).values(
            program=program, signature=signature, slot=slot, covered_slot=slot - 1
        )
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["program"],
                set_={"signature": signature, "slot": slot, "updated_at": func.now()},
            )
        )

    async def cover(self, session: AsyncSession, program: str, slot: int) -> None:
        """Records that every transaction of ``program`` up to ``slot`` is stored or in a recorded gap
        (``checkpoints.covered_slot`` only ever rises)."""
        table = _table(Checkpoint)
        statement = _insert(session, table).values(program=program, covered_slot=slot)
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["program"],
                set_={
                    "covered_slot": case(
                        (table.c.covered_slot > statement.excluded.covered_slot, table.c.covered_slot),
                        else_=statement.excluded.covered_slot,
                    ),
                    "updated_at": func.now(),
                },
            )
        )

    async def _meter_of(self, session: AsyncSession, meter: str) -> tuple[int, str] | None:
        if meter not in self._meters:
            row = (
                await session.execute(select(Meter.zone_id, Meter.owner).where(Meter.address == meter))
            ).first()
            self._meters[meter] = None if row is None else (int(row.zone_id), str(row.owner))
        return self._meters[meter]

    async def _zone_of_user(self, session: AsyncSession, d: dict[str, Any]) -> int | None:
        for field_name, column in ZONE_USER_FIELDS:
            key = d.get(field_name)
            if not isinstance(key, str):
                continue
            if key not in self._user_zones:
                condition = User.address == key if column == "address" else User.authority == key
                self._user_zones[key] = await session.scalar(select(User.zone_id).where(condition).limit(1))
            if (zone := self._user_zones[key]) is not None:
                return int(zone)
        return None

    async def _reading(
        self, session: AsyncSession, batch: _Batch, tx: FetchedTransaction, d: dict[str, Any]
    ) -> None:
        meter = d["meter"]
        if d["produced_wh"] is None:  # rebuilt: add this reading to the meter's previous totals
            produced, consumed = await self._totals_before(session, batch, meter, d["window_start"])
            d["produced_wh"] = None if produced is None else produced + d["production_wh"]
            d["consumed_wh"] = None if consumed is None else consumed + d["consumption_wh"]
        batch.readings[meter] = (d["window_start"], d["produced_wh"], d["consumed_wh"])
        batch.append(
            _table(MeterReading),
            {
                "meter": meter,
                "window_start": d["window_start"],
                "window_end": d["window_end"],
                "production_wh": d["production_wh"],
                "consumption_wh": d["consumption_wh"],
                "produced_wh": d["produced_wh"],
                "consumed_wh": d["consumed_wh"],
                "signature": tx.signature,
                "slot": tx.slot,
            },
        )
        totals = {k: d[k] for k in ("produced_wh", "consumed_wh") if d[k] is not None}
        if totals:
            batch.updates.append((_table(Meter), "address", meter, totals))

    async def _totals_before(
        self, session: AsyncSession, batch: _Batch, meter: str, start: int
    ) -> tuple[int | None, int | None]:
        """The meter's cumulative totals before its reading at ``start``: those of its newest earlier
        reading (in this batch or stored), or 0 when it has none."""
        row = (
            await session.execute(
                select(MeterReading.window_start, MeterReading.produced_wh, MeterReading.consumed_wh)
                .where(MeterReading.meter == meter, MeterReading.window_start < start)
                .order_by(MeterReading.window_start.desc())
                .limit(1)
            )
        ).first()
        earlier: list[tuple[int, int | None, int | None]] = []
        if row is not None:
            earlier.append((int(row.window_start), row.produced_wh, row.consumed_wh))
        if (latest := batch.readings.get(meter)) is not None and latest[0] < start:
            earlier.append(latest)
        if not earlier:
            return 0, 0
        _, produced, consumed = max(earlier, key=lambda c: c[0])
        return produced, consumed

    async def _settlement(
        self,
        session: AsyncSession,
        batch: _Batch,
        where: dict[str, Any],
        tx: FetchedTransaction,
        d: dict[str, Any],
    ) -> None:
        meter = d["meter"]
        if d["settled_wh"] is None:  # rebuilt: add this amount to the meter's previous settlements
            stored = await session.scalar(
                select(func.max(Settlement.settled_wh)).where(Settlement.meter == meter)
            )
            d["settled_wh"] = max(int(stored or 0), batch.settled.get(meter, 0)) + d["amount_wh"]
        batch.settled[meter] = d["settled_wh"]
        batch.append(
            _table(Settlement),
            {
                **where,
                "meter": meter,
                "owner": d["owner"],
                "amount_wh": d["amount_wh"],
                "settled_wh": d["settled_wh"],
                "slot": tx.slot,
            },
        )
        batch.updates.append((_table(Meter), "address", meter, {"settled_wh": d["settled_wh"]}))

    async def _trading_event(
        self, session: AsyncSession, batch: _Batch, tx: FetchedTransaction, event: DecodedEvent
    ) -> StoredEvent:
        """A trading event's rows (:mod:`solgrid.indexer.trading`) and feed topics: the market's zone,
        the traders it names (makers of its fills included)."""
        assert self.trading is not None
        position = Position(tx.signature, event.instruction_index, event.event_index, tx.slot)
        projected = await self.trading.project(
            session, batch.trading, event.name, event.data, position, _mint_decimals(tx)
        )
        return StoredEvent(
            signature=tx.signature,
            slot=tx.slot,
            block_time=tx.block_time,
            program=event.program,
            name=event.name,
            instruction_index=event.instruction_index,
            event_index=event.event_index,
            data=event.data,
            users=projected.users,
            meter=None,
            zone=projected.zone,
            recovered=event.recovered,
            trades=projected.trades,
            book=projected.book,
            auctions=projected.auctions,
        )

    async def _governance_event(
        self,
        session: AsyncSession,
        batch: _Batch,
        tx: FetchedTransaction,
        event: DecodedEvent,
        events: Sequence[DecodedEvent],
    ) -> StoredEvent:
        """A governance event's rows (:mod:`solgrid.indexer.certificates`, :mod:`solgrid.indexer.proposals`)
        and feed topics: a certificate's meter and zone, the wallets the event names."""
        d = event.data
        position = Position(tx.signature, event.instruction_index, event.event_index, tx.slot)
        meter: str | None = None
        zone: int | None = None
        users: frozenset[str] = frozenset()
        certificates: tuple[dict[str, Any], ...] = ()
        changes: tuple[dict[str, Any], ...] = ()
        if event.name in CERTIFICATE_EVENTS:
            authority = None
            if event.name == "CertificateRevoked":
                authority = self.authority.of(event, events, tx.execution)
            projected = await self.certificates.project(
                session,
                batch.certificates,
                event.name,
                d,
                position,
                tx.block_time,
                event.recovered,
                authority,
            )
            meter, zone, users, certificates = (
                projected.meter,
                projected.zone,
                projected.users,
                projected.frames,
            )
        elif event.name in PROPOSAL_EVENTS:
            if event.recovered:
                await _derive_proposal(session, event.name, d, tx.block_time)
            voted = proposals.project(batch.proposals, event.name, d, position, tx.block_time)
            users, changes = voted.users, (voted.frame,)
        return StoredEvent(
            signature=tx.signature,
            slot=tx.slot,
            block_time=tx.block_time,
            program=event.program,
            name=event.name,
            instruction_index=event.instruction_index,
            event_index=event.event_index,
            data=d,
            users=users,
            meter=meter,
            zone=zone,
            recovered=event.recovered,
            certificates=certificates,
            proposals=changes,
        )

    async def _project(
        self,
        session: AsyncSession,
        batch: _Batch,
        tx: FetchedTransaction,
        event: DecodedEvent,
        events: Sequence[DecodedEvent],
    ) -> StoredEvent:
        """The rows of ``event``, one of ``events`` (its transaction's)."""
        d = event.data
        where = {
            "signature": tx.signature,
            "instruction_index": event.instruction_index,
            "event_index": event.event_index,
        }
        batch.append(
            _table(Event),
            {
                **where,
                "slot": tx.slot,
                "program": event.program,
                "name": event.name,
                "data": d,
                "recovered": event.recovered,
            },
        )
        name = event.name
        if self.trading is not None and event.program == self.trading.program:
            return await self._trading_event(session, batch, tx, event)
        if self.governance is not None and event.program == self.governance:
            return await self._governance_event(session, batch, tx, event, events)
        pauses: tuple[dict[str, Any], ...] = ()
        if name == "ZoneCreated":
            batch.emission_zones.add(int(d["zone_id"]))  # a factor stored before the zone applies now
            batch.registrations.append(
                (
                    _table(GridZone),
                    {
                        "zone_id": d["zone_id"],
                        "address": d["zone"],
                        "name": d["name"],
                        "max_capacity_kw": d["max_capacity_kw"],
                        "status": "Active",
                        "created_at": d["timestamp"],
                    },
                )
            )
        elif name == "ZoneStatusChanged":
            batch.updates.append((_table(GridZone), "zone_id", d["zone_id"], {"status": d["new_status"]}))
        elif name == "UserRegistered":
            self._user_zones[d["user"]] = self._user_zones[d["authority"]] = d["zone_id"]
            batch.registrations.append(
                (
                    _table(User),
                    {
                        "address": d["user"],
                        "authority": d["authority"],
                        "role": d["role"],
                        "zone_id": d["zone_id"],
                        "user_index": d["user_index"],
                        "status": "Pending",
                        "registered_at": d["timestamp"],
                    },
                )
            )
        elif name == "UserStatusChanged":
            batch.updates.append((_table(User), "address", d["user"], {"status": d["new_status"]}))
        elif name == "MeterRegistered":
            self._meters[d["meter"]] = (d["zone_id"], d["owner"])
            batch.meters.append(d["meter"])
            batch.certificates.meters.add(d["meter"])  # certificates stored before it count
            batch.registrations.append(
                (
                    _table(Meter),
                    {
                        "address": d["meter"],
                        "serial": d["serial"],
                        "owner": d["owner"],
                        "zone_id": d["zone_id"],
                        "device_key": d["device_key"],
                        "source": d["source"],
                        "capacity_w": d["capacity_w"],
                        "status": "Inactive",
                        "produced_wh": 0,
                        "consumed_wh": 0,
                        "settled_wh": 0,
                        "registered_at": d["timestamp"],
                    },
                )
            )
        elif name == "MeterStatusChanged":
            batch.updates.append((_table(Meter), "address", d["meter"], {"status": d["new_status"]}))
        elif name == "DeviceKeyRotated":
            batch.updates.append((_table(Meter), "address", d["meter"], {"device_key": d["new_key"]}))
        elif name == "ReadingAccepted":
            await self._reading(session, batch, tx, d)
        elif name == "MeterSettled":
            await self._settlement(session, batch, where, tx, d)
        elif name == "GridMinted":
            batch.append(
                _table(TokenMint),
                {
                    **where,
                    "meter": d["meter"],
                    "owner": d["owner"],
                    "destination": d["destination"],
                    "amount_wh": d["amount_wh"],
                    "amount": d["amount"],
                    "slot": tx.slot,
                },
            )
        elif name in PAUSE_EVENTS:
            row = pause_row(
                name,
                d,
                Position(tx.signature, event.instruction_index, event.event_index, tx.slot),
                tx.block_time,
                self.authority.of(event, events, tx.execution),
            )
            batch.append(_table(Pause), row)
            pauses = (pause_frame(row),)
        elif name == "EmissionFactorSet":
            batch.emission_zones.add(int(d["zone_id"]))
        elif name == "GridBurned":
            batch.append(
                _table(Burn),
                {
                    **where,
                    "holder": d["holder"],
                    "token_account": d["token_account"],
                    "amount": d["amount"],
                    "slot": tx.slot,
                },
            )
        meter = d.get("meter")
        zone = d.get("zone_id")
        users = {str(d[k]) for k in USER_FIELDS if isinstance(d.get(k), str)}
        if isinstance(meter, str) and (known := await self._meter_of(session, meter)) is not None:
            zone = known[0] if zone is None else zone
            users.add(known[1])
        if zone is None:
            zone = await self._zone_of_user(session, d)
        return StoredEvent(
            signature=tx.signature,
            slot=tx.slot,
            block_time=tx.block_time,
            program=event.program,
            name=name,
            instruction_index=event.instruction_index,
            event_index=event.event_index,
            data=d,
            users=frozenset(users),
            meter=meter if isinstance(meter, str) else None,
            zone=zone,
            recovered=event.recovered,
            pauses=pauses,
        )


async def _derive_proposal(
    session: AsyncSession, name: str, d: dict[str, Any], block_time: int | None
) -> None:
    """Fills what a rebuilt proposal event could not give: the proposal's id (from its row, when it is
    indexed) and the time (the block's)."""
    if d.get("id") is None:
        d["id"] = await session.scalar(select(Proposal.proposal_id).where(Proposal.address == d["proposal"]))
    for key in ("executed_at", "timestamp"):
        if key in d and d[key] is None:
            d[key] = block_time


async def _latest_emission_factor(session: AsyncSession, zone: int) -> None:
    """Sets the zone's emission factor to that of its latest EmissionFactorSet (by slot, then as
    indexed): the registry's factor, whatever order the transactions were stored in."""
    latest = await session.scalar(
        select(Event.data)
        .where(Event.name == "EmissionFactorSet", Event.data["zone_id"].as_integer() == zone)
        .order_by(Event.slot.desc(), Event.id.desc())
        .limit(1)
    )
    if latest is not None:
        zones = _table(GridZone)
        await session.execute(
            update(zones).where(zones.c.zone_id == zone).values(emission_factor=latest["emission_factor"])
        )


async def _start_counters(session: AsyncSession, meter: str) -> None:
    """Raises a meter's counters to the newest totals already stored for it. A MeterRegistered inserts
    them as 0, but a settlement or reading of the meter may have been stored before it: the energy_token
    catch-up can reach a settle_and_mint (which both programs list) while the registry catch-up is
    still held up before the meter's registration. Those rows are never projected again, so the
    meter starts from them; with nothing stored before it this changes nothing."""
    meters = _table(Meter)
    sources = {
        "settled_wh": select(func.max(Settlement.settled_wh)).where(Settlement.meter == meter),
        "produced_wh": select(func.max(MeterReading.produced_wh)).where(MeterReading.meter == meter),
        "consumed_wh": select(func.max(MeterReading.consumed_wh)).where(MeterReading.meter == meter),
    }
    for column, query in sources.items():
        latest = query.scalar_subquery()
        statement = update(meters).where(meters.c.address == meter, meters.c[column] < latest)
        await session.execute(statement.values({column: latest}))


def _mint_decimals(tx: FetchedTransaction) -> dict[str, int]:
    return {} if tx.execution is None else dict(tx.execution.mint_decimals)


def _merged(
    updates: list[tuple[Table, str, Any, dict[str, Any]]],
) -> dict[tuple[Table, str, Any, tuple[str, ...]], dict[str, Any]]:
    """One UPDATE per row and kind: a batch's many ReadingAccepted of one meter become a single write
    of its final totals (later events win; the counters only grow, so the last is the largest)."""
    merged: dict[tuple[Table, str, Any, tuple[str, ...]], dict[str, Any]] = {}
    for table, key, value, values in updates:
        guarded = tuple(sorted(c for c in values if c in MONOTONIC))
        merged.setdefault((table, key, value, guarded), {}).update(values)
    return merged


_table = table_of

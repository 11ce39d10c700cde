"""The governance program's certificate events as tables: ``certificates`` (one row per certificate in
its current state, split children included), their history ``certificate_events`` and
``retirements``; the ``carbon_credits`` view sums the certificates' CO2 per owner, meter and zone (held
before their expiry, lapsed from it on, void when split off a revoked original, retired, or retired
from a lineage revoked afterwards) at the database's clock, :func:`solgrid.indexer.credits.credit_rows`
at any time.

Revoking a requested certificate leaves the stored status of the certificates split from it Valid, as on
chain, but the program refuses to transfer, split or retire them from then on. That holds whatever the
original's status: a Retired or Expired original is revoked as a lineage (the event's ``status`` is its
status unchanged; its row keeps it, a retirement stays in ``retirements``, and ``revoke_reason`` is set,
as on chain where ``lineage_revoked`` is). Their ``effective_status`` says so (Revoked;
:func:`effective_status`), set after every batch for the
certificates it touched and those split from them (:func:`effective_statuses`), whichever of the
revocation and the split is indexed first; the feed's ``certificates`` stream sends an
``original_revoked`` frame for each Valid one indexed when its original is revoked. Their history
(``certificate_events``) has no row for it: nothing happened to them on chain.

``certificate_events`` and ``retirements`` are insert-only and keyed by the event that caused them, so a
transaction indexed twice adds nothing. A certificate's row is recomputed from its whole history for
every certificate a batch touched (:func:`fold`), so it does not depend on the order transactions were
stored in: a ``request_certificate`` also runs the registry's ``certify_meter``, so the registry's
catch-up can store it before the governance catch-up stores older governance transactions, and a
history gap backfilled from an archive node arrives after what followed it. Within a certificate the
changes are ordered by slot, then by the state machine (requested before validated before transfers
and splits before the final change), then as indexed. A split child copies its parent's header (meter,
zone, source, generation interval, request, issuance, expiry, original); when a recomputation changes
a parent's header, its children are recomputed too.

The state a batch has reached so far is also kept per certificate for what is published on the feed
(the frame of a change carries the certificate after it) and for events rebuilt from a transaction
whose logs were truncated: their fields that need the certificate's state (volumes, CO2, the split's
index, the status before a revocation) come from it, and times from the block (see
:mod:`solgrid.indexer.recover`). As with the store's reading totals, that is exact when the certificate's
earlier history is indexed first, which is how catch-up walks.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, bindparam, case, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from solgrid.indexer.authority import Authority
from solgrid.indexer.credits import original_revoked
from solgrid.indexer.db import dialect_insert
from solgrid.indexer.event_users import CERTIFICATE_USER_FIELDS
from solgrid.indexer.models import (
    CERTIFICATE_CHANGES,
    Certificate,
    CertificateChange,
    Meter,
    Retirement,
    table_of,
)
from solgrid.indexer.trading import Position, uniform

CERTIFICATE_EVENTS = frozenset(
    {
        "CertificateRequested",
        "CertificateValidated",
        "CertificateTransferred",
        "CertificateSplit",
        "CertificateRetired",
        "CertificateRevoked",
        "CertificateExpired",
    }
)
CHANGE_OF = {
    "CertificateRequested": "requested",
    "CertificateValidated": "validated",
    "CertificateTransferred": "transferred",
    "CertificateRetired": "retired",
    "CertificateRevoked": "revoked",
    "CertificateExpired": "expired",
}
"""The change each single-certificate event makes (CertificateSplit makes ``split`` and ``split_from``)."""
RANK = {
    "requested": 0,
    "split_from": 0,
    "validated": 1,
    "transferred": 2,
    "split": 2,
    "retired": 3,
    "revoked": 3,
    "expired": 3,
}
"""Order of the changes of one certificate within a slot: its state machine's."""
assert set(RANK) == set(CERTIFICATE_CHANGES)
HEADER = (
    "original",
    "meter",
    "zone_id",
    "source",
    "generation_start",
    "generation_end",
    "requested_at",
    "issued_at",
    "issuer",
    "expires_at",
    "emission_factor",
)
"""What a split child copies from its parent."""
COLUMNS = tuple(c.name for c in table_of(Certificate).columns)
CHUNK = 500


@dataclass(frozen=True)
class Change:
    """One change of one certificate, as the fold reads it."""

    certificate: str
    change: str
    data: Mapping[str, Any]
    related: str | None
    signature: str
    slot: int
    timestamp: int | None


@dataclass
class CertificateBatch:
    """The certificate rows of one batch, written by :meth:`CertificateProjection.apply`."""

    changes: list[dict[str, Any]] = field(default_factory=list)
    retirements: list[dict[str, Any]] = field(default_factory=list)
    touched: set[str] = field(default_factory=set)
    meters: set[str] = field(default_factory=set)
    """Meters with a certificate requested in the batch (their certificate counters are recomputed)."""
    states: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    """Certificate -> its row after the batch's events so far (None: unknown), for the feed."""


@dataclass(frozen=True)
class Projected:
    """What one certificate event adds to the feed: the certificate's meter, zone and the wallets the
    change names, and one frame per certificate it changed (a split changes two)."""

    meter: str | None
    zone: int | None
    users: frozenset[str]
    frames: tuple[dict[str, Any], ...]


def blank(address: str) -> dict[str, Any]:
    """A certificate nothing is known of yet."""
    row: dict[str, Any] = dict.fromkeys(COLUMNS)
    row.update(
        address=address,
        volume_wh=0,
        co2_avoided_g=0,
        status="Pending",
        effective_status="Pending",
        split_count=0,
        updated_slot=0,
    )
    return row


def lineage_revoked(original: Mapping[str, Any]) -> bool:
    """Whether a requested certificate's row says a quorum revoked it, and so every certificate split from
    it (the program's ``lineage_revoked``): Revoked, or revoked when Retired or Expired (its status kept,
    its ``revoke_reason`` set: only a revocation sets it)."""
    return original["status"] == "Revoked" or original.get("revoke_reason") is not None


def revoked_status(before: str | None) -> str:
    """The status a revocation leaves when its event does not say (rebuilt from a transaction whose logs
    were truncated): Revoked from Pending or Valid; a Retired or Expired original keeps its status."""
    return before if before in ("Retired", "Expired") else "Revoked"


def effective_status(row: Mapping[str, Any], original: Mapping[str, Any] | None) -> str:
    """``row``'s status as the program acts on it (``certificates.effective_status``): Revoked for a Valid
    certificate split off an original (``original``: that certificate's row, None when not indexed) that
    was revoked (:func:`lineage_revoked`: whatever the original's own status), else its stored status."""
    split_off = row.get("original") is not None and row["original"] != row["address"]
    if row["status"] == "Valid" and split_off and original is not None and lineage_revoked(original):
        return "Revoked"
    return str(row["status"])


def step(state: Mapping[str, Any] | None, change: Change, parent: Mapping[str, Any] | None) -> dict[str, Any]:
    """The certificate after ``change`` (``parent``: the split parent's row, for ``split_from``).
    Fields a rebuilt event could not give (None) leave the certificate's as they were."""
    row = dict(state) if state is not None else blank(change.certificate)
    d = change.data

    def put(**values: Any) -> None:
        row.update({key: value for key, value in values.items() if value is not None})

    kind = change.change
    if kind == "requested":
        put(
            original=change.certificate,
            meter=d.get("meter"),
            zone_id=d.get("zone_id"),
            source=d.get("source"),
            generation_start=d.get("generation_start"),
            generation_end=d.get("generation_end"),
            initial_volume_wh=d.get("volume_wh"),
            volume_wh=d.get("volume_wh"),
            owner=d.get("owner"),
            requested_at=d.get("requested_at"),
            status="Pending",
            created_signature=change.signature,
            created_slot=change.slot,
        )
        row.update(parent=None, split_index=None)
    elif kind == "split_from":
        if parent is not None:
            put(**{key: parent.get(key) for key in HEADER})
        put(
            parent=change.related,
            split_index=d.get("split_index"),
            owner=d.get("new_owner"),
            initial_volume_wh=d.get("volume_wh"),
            volume_wh=d.get("volume_wh"),
            co2_avoided_g=d.get("co2_avoided_g"),
            status="Valid",
            created_signature=change.signature,
            created_slot=change.slot,
        )
    elif kind == "validated":
        put(
            status="Valid",
            issuer=d.get("issuer"),
            issued_at=d.get("issued_at"),
            expires_at=d.get("expires_at"),
            emission_factor=d.get("emission_factor"),
            co2_avoided_g=d.get("co2_avoided_g"),
            volume_wh=d.get("volume_wh"),
        )
    elif kind == "transferred":  # only a Valid certificate moves
        put(status="Valid", owner=d.get("to"))
    elif kind == "split":
        index = d.get("split_index")
        put(
            status="Valid",
            owner=d.get("owner"),
            volume_wh=d.get("parent_volume_wh"),
            co2_avoided_g=d.get("parent_co2_avoided_g"),
            split_count=None if index is None else max(int(row["split_count"] or 0), int(index) + 1),
        )
    elif kind == "retired":
        retirement = d.get("retirement") or {}
        put(status="Retired", owner=d.get("owner"), retired_at=retirement.get("retired_at"))
    elif kind == "revoked":  # a Retired or Expired original keeps its status (its lineage is revoked)
        put(status=d.get("status") or revoked_status(row["status"]), revoke_reason=d.get("reason"))
    elif kind == "expired":
        put(status="Expired")
    row["updated_slot"] = max(int(row["updated_slot"] or 0), change.slot)
    put(updated_at=change.timestamp)
    row["effective_status"] = row["status"]  # the original's status is applied by the caller
    return row


def changes_of(name: str, d: Mapping[str, Any]) -> list[tuple[str, str, str | None, int]]:
    """(certificate, change, related certificate, step) for each certificate event ``name`` changes."""
    if name == "CertificateSplit":
        return [(d["parent"], "split", d["child"], 0), (d["child"], "split_from", d["parent"], 1)]
    return [(d["certificate"], CHANGE_OF[name], None, 0)]


def timestamp_of(change: str, d: Mapping[str, Any], block_time: int | None) -> int | None:
    """When a change happened: the event's clock where it carries one, else the block time."""
    value = {
        "requested": d.get("requested_at"),
        "validated": d.get("issued_at"),
        "retired": (d.get("retirement") or {}).get("retired_at"),
        "revoked": d.get("timestamp"),
        "expired": d.get("timestamp"),
    }.get(change)
    return int(value) if value is not None else block_time


def actor_of(change: str, d: Mapping[str, Any], authority: Authority | None) -> str | None:
    if change in ("requested", "split", "split_from", "retired"):
        return _text(d.get("owner"))
    if change == "validated":
        return _text(d.get("issuer"))
    if change == "transferred":
        return _text(d.get("from"))
    if change == "revoked" and authority is not None:
        return authority.by
    return None


def split_volumes(parent_volume: int, parent_co2: int, part: int) -> tuple[int, int, int]:
    """The program's split of volume and CO2 (governance-core ``split_volumes``): (parent volume, parent
    CO2, child CO2) after moving ``part`` Wh to a child; the CO2 is shared pro rata, rounded down for
    the child."""
    child_co2 = parent_co2 * part // parent_volume if parent_volume else 0
    return parent_volume - part, parent_co2 - child_co2, child_co2


def derive(name: str, d: dict[str, Any], state: Mapping[str, Any] | None, block_time: int | None) -> None:
    """Fills the fields a rebuilt event left None from the certificate's state before it (``state``)
    and the block time."""
    retirement = d.get("retirement") if name == "CertificateRetired" else None
    if retirement is not None and retirement.get("retired_at") is None:
        retirement["retired_at"] = block_time
    if name in ("CertificateRevoked", "CertificateExpired") and d.get("timestamp") is None:
        d["timestamp"] = block_time
    if state is None:
        return
    if name == "CertificateSplit":
        volume, co2, part = state["volume_wh"], state["co2_avoided_g"], d.get("volume_wh")
        if d.get("split_index") is None:
            d["split_index"] = int(state["split_count"])
        if part is not None and d.get("parent_volume_wh") is None and int(part) < int(volume):
            rest, rest_co2, child_co2 = split_volumes(int(volume), int(co2), int(part))
            d.update(parent_volume_wh=rest, parent_co2_avoided_g=rest_co2, co2_avoided_g=child_co2)
        return
    fill = {
        "volume_wh": state["volume_wh"],
        "co2_avoided_g": state["co2_avoided_g"],
        "owner": state["owner"],
        "previous_status": state["status"],
        "status": revoked_status(state["status"]) if name == "CertificateRevoked" else None,
    }
    for key, value in fill.items():
        if key in d and d[key] is None:
            d[key] = value


class CertificateProjection:
    """Projects the governance program's certificate events (see the module docstring)."""

    async def state(
        self, session: AsyncSession, batch: CertificateBatch, address: str
    ) -> dict[str, Any] | None:
        """The certificate as indexed so far (this batch's events included)."""
        if address not in batch.states:
            row = (
                await session.execute(
                    select(*table_of(Certificate).columns).where(Certificate.address == address)
                )
            ).first()
            batch.states[address] = None if row is None else dict(row._mapping)
        return batch.states[address]

    async def original(
        self, session: AsyncSession, batch: CertificateBatch, row: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        """The row of ``row``'s original when it is another certificate (None for a requested one, or
        when the original is not indexed)."""
        original = row.get("original")
        if original is None or original == row["address"]:
            return None
        return await self.state(session, batch, str(original))

    async def stopped(
        self, session: AsyncSession, batch: CertificateBatch, revoked: str
    ) -> list[dict[str, Any]]:
        """The Valid certificates split off ``revoked`` (just revoked) as indexed so far, each now with
        ``effective_status`` Revoked (kept in the batch's states; the table's is recomputed by
        :meth:`apply`)."""
        stored = await session.scalars(
            select(Certificate.address).where(Certificate.original == revoked, Certificate.address != revoked)
        )
        candidates = set(stored) | {
            address
            for address, row in batch.states.items()
            if row is not None and row.get("original") == revoked and address != revoked
        }
        found = []
        for address in sorted(candidates):
            row = await self.state(session, batch, address)
            if row is not None and row["original"] == revoked and row["status"] == "Valid":
                row = batch.states[address] = {**row, "effective_status": "Revoked"}
                found.append(row)
        return found

    async def project(
        self,
        session: AsyncSession,
        batch: CertificateBatch,
        name: str,
        d: dict[str, Any],
        position: Position,
        block_time: int | None,
        recovered: bool,
        authority: Authority | None,
    ) -> Projected:
        """Adds the rows of certificate event ``name`` (fields ``d``, filled in place when ``recovered``)
        to ``batch``."""
        changed = changes_of(name, d)
        if recovered:
            derive(name, d, await self.state(session, batch, changed[0][0]), block_time)
        frames: list[dict[str, Any]] = []
        users = {value for key in CERTIFICATE_USER_FIELDS if isinstance(value := d.get(key), str)}
        if name == "CertificateRetired":
            users.add(d["retirement"]["beneficiary"])
            batch.retirements.append(_retirement(d, position))
        for certificate, kind, related, index in changed:
            timestamp = timestamp_of(kind, d, block_time)
            before = await self.state(session, batch, certificate)
            parent = await self.state(session, batch, related) if kind == "split_from" and related else None
            change = Change(certificate, kind, d, related, position.signature, position.slot, timestamp)
            after = step(before, change, parent)
            after["effective_status"] = effective_status(after, await self.original(session, batch, after))
            batch.states[certificate] = after
            batch.touched.add(certificate)
            if kind == "requested" and isinstance(d.get("meter"), str):
                batch.meters.add(d["meter"])
            history = {
                **position.key(index),
                "certificate": certificate,
                "change": kind,
                "related": related,
                "actor": actor_of(kind, d, authority),
                "cosigners": None
                if authority is None or authority.cosigners is None
                else list(authority.cosigners),
                "proposal": None if authority is None else authority.proposal,
                "status": after["status"],
                "owner": after["owner"],
                "volume_wh": after["volume_wh"],
                "co2_avoided_g": after["co2_avoided_g"],
                "data": d,
                "recovered": recovered,
                "slot": position.slot,
                "timestamp": timestamp,
            }
            batch.changes.append(history)
            frames.append(_frame(history, after))
            if kind == "revoked":
                for child in await self.stopped(session, batch, certificate):
                    if isinstance(child["owner"], str):
                        users.add(child["owner"])
                    frames.append(
                        _frame({**history, "change": "original_revoked", "related": certificate}, child)
                    )
        first = batch.states[changed[0][0]] or {}
        meter, zone = first.get("meter"), first.get("zone_id")
        return Projected(
            meter if isinstance(meter, str) else None,
            None if zone is None else int(zone),
            frozenset(users),
            tuple(frames),
        )

    async def apply(self, session: AsyncSession, batch: CertificateBatch) -> None:
        """Writes ``batch`` and recomputes the certificates it touched and their meters' counters."""
        for model, rows in ((CertificateChange, batch.changes), (Retirement, batch.retirements)):
            if rows:
                await session.execute(
                    dialect_insert(session, table_of(model)).on_conflict_do_nothing(), uniform(rows)
                )
        if batch.touched:
            await effective_statuses(session, await recompute(session, batch.touched))
        if batch.meters:
            await _meter_counters(session, sorted(batch.meters))


async def recompute(session: AsyncSession, touched: Iterable[str]) -> set[str]:
    """Recomputes the rows of ``touched`` certificates from their histories, and of the children of any
    whose header changed (after their parents); returns every certificate recomputed."""
    pending = set(touched)
    done: set[str] = set()
    while pending:
        histories = await _histories(session, sorted(pending))
        parents = {
            certificate: next((c.related for c in changes if c.change == "split_from"), None)
            for certificate, changes in histories.items()
        }
        before = await _rows(session, sorted(pending))
        rows: dict[str, dict[str, Any]] = {}
        after_changes: list[dict[str, Any]] = []
        for certificate in _parents_first(sorted(histories), parents):
            parent_address = parents[certificate]
            parent = None
            if parent_address is not None:
                parent = rows.get(parent_address) or (await _rows(session, [parent_address])).get(
                    parent_address
                )
            row, afters = fold(certificate, histories[certificate], parent)
            rows[certificate] = row
            after_changes += afters
        await _write(session, rows, after_changes)
        done |= set(rows)
        moved = [c for c, row in rows.items() if _header(before.get(c)) != _header(row)]
        pending = await _children(session, moved) - done
    return done


async def effective_statuses(session: AsyncSession, certificates: Iterable[str]) -> None:
    """Sets ``effective_status`` (:func:`effective_status`, in SQL) of ``certificates`` and of every
    certificate whose original is one of them: after their rows are written, whatever order their
    histories were indexed in (a split part indexed after its original's revocation, or before it)."""
    table = table_of(Certificate)
    stopped = and_(
        table.c.status == "Valid",
        table.c.original.is_not(None),
        table.c.original != table.c.address,
        original_revoked(table.c.original),
    )
    value = case((stopped, "Revoked"), else_=table.c.status)
    addresses = sorted(set(certificates))
    for start in range(0, len(addresses), CHUNK):
        chunk = addresses[start : start + CHUNK]
        await session.execute(
            update(table)
            .where(or_(table.c.address.in_(chunk), table.c.original.in_(chunk)))
            .values(effective_status=value)
            .execution_options(synchronize_session=False)
        )


def fold(
    certificate: str, history: Sequence[Any], parent: Mapping[str, Any] | None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The certificate's row from its history (``certificate_events`` rows), and each history row's
    state after its change where it differs from what is stored."""
    state: dict[str, Any] | None = None
    updates: list[dict[str, Any]] = []
    for c in sorted(history, key=lambda c: (int(c.slot), RANK[c.change], int(c.id))):
        change = Change(certificate, c.change, c.data, c.related, c.signature, int(c.slot), c.timestamp)
        state = step(state, change, parent if c.change == "split_from" else None)
        after = (state["status"], state["owner"], int(state["volume_wh"]), int(state["co2_avoided_g"]))
        if (c.status, c.owner, int(c.volume_wh), int(c.co2_avoided_g)) != after:
            updates.append(
                {
                    "b_id": c.id,
                    "b_status": after[0],
                    "b_owner": after[1],
                    "b_volume": after[2],
                    "b_co2": after[3],
                }
            )
    return state or blank(certificate), updates


def _parents_first(certificates: Sequence[str], parents: Mapping[str, str | None]) -> list[str]:
    """``certificates`` ordered so that a certificate's parent among them comes before it."""
    placed: dict[str, None] = {}
    members = set(certificates)
    for certificate in certificates:
        chain = []
        node: str | None = certificate
        while node is not None and node in members and node not in placed and node not in chain:
            chain.append(node)
            node = parents.get(node)
        for item in reversed(chain):
            placed[item] = None
    return list(placed)


def _header(row: Mapping[str, Any] | None) -> tuple[Any, ...] | None:
    return None if row is None else tuple(row.get(key) for key in HEADER)


async def _histories(session: AsyncSession, certificates: Sequence[str]) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = defaultdict(list)
    for start in range(0, len(certificates), CHUNK):
        chunk = certificates[start : start + CHUNK]
        rows = await session.execute(
            select(*table_of(CertificateChange).columns).where(CertificateChange.certificate.in_(chunk))
        )
        for row in rows:
            found[row.certificate].append(row)
    return found


async def _rows(session: AsyncSession, certificates: Sequence[str]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(certificates), CHUNK):
        chunk = certificates[start : start + CHUNK]
        rows = await session.execute(
            select(*table_of(Certificate).columns).where(Certificate.address.in_(chunk))
        )
        found.update({row.address: dict(row._mapping) for row in rows})
    return found


async def _children(session: AsyncSession, parents: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(parents), CHUNK):
        chunk = parents[start : start + CHUNK]
        rows = await session.scalars(
            select(CertificateChange.certificate).where(
                CertificateChange.change == "split_from", CertificateChange.related.in_(chunk)
            )
        )
        found.update(rows)
    return found


async def _write(
    session: AsyncSession, rows: Mapping[str, dict[str, Any]], changes: list[dict[str, Any]]
) -> None:
    if rows:
        table = table_of(Certificate)
        statement = dialect_insert(session, table)
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["address"],
                set_={c: statement.excluded[c] for c in COLUMNS if c != "address"},
            ),
            list(rows.values()),
        )
        retired = [
            {
                "b_certificate": c,
                "b_meter": row["meter"],
                "b_zone": row["zone_id"],
                "b_volume": row["volume_wh"],
                "b_co2": row["co2_avoided_g"],
            }
            for c, row in rows.items()
            if row["status"] == "Retired"
        ]
        if retired:  # final: its volume and CO2 are those it was retired with
            retirements = table_of(Retirement)
            await session.execute(
                update(retirements)
                .where(retirements.c.certificate == bindparam("b_certificate"))
                .values(
                    meter=bindparam("b_meter"),
                    zone_id=bindparam("b_zone"),
                    volume_wh=bindparam("b_volume"),
                    co2_avoided_g=bindparam("b_co2"),
                )
                .execution_options(synchronize_session=False),
                retired,
            )
    if changes:
        history = table_of(CertificateChange)
        await session.execute(
            update(history)
            .where(history.c.id == bindparam("b_id"))
            .values(
                status=bindparam("b_status"),
                owner=bindparam("b_owner"),
                volume_wh=bindparam("b_volume"),
                co2_avoided_g=bindparam("b_co2"),
            )
            .execution_options(synchronize_session=False),
            changes,
        )


async def _meter_counters(session: AsyncSession, meters: Sequence[str]) -> None:
    """A meter's ``certificate_wh`` / ``certificate_until``: the sum of its requested certificates'
    volumes and the end of the last one (what the registry's ``certify_meter`` moved)."""
    table = table_of(Meter)
    for meter in meters:
        originals = (Certificate.meter == meter, Certificate.parent.is_(None))
        total = select(func.coalesce(func.sum(Certificate.initial_volume_wh), 0)).where(*originals)
        until = select(func.max(Certificate.generation_end)).where(*originals)
        await session.execute(
            update(table)
            .where(table.c.address == meter)
            .values(certificate_wh=total.scalar_subquery(), certificate_until=until.scalar_subquery())
        )


def _retirement(d: Mapping[str, Any], position: Position) -> dict[str, Any]:
    r = d["retirement"]
    return {
        "signature": position.signature,
        "instruction_index": position.instruction_index,
        "event_index": position.event_index,
        "certificate": d["certificate"],
        "owner": d["owner"],
        "beneficiary": r["beneficiary"],
        "beneficiary_name": r["beneficiary_name"],
        "purpose": r["purpose"],
        "consumption_start": r["consumption_start"],
        "consumption_end": r["consumption_end"],
        "retired_at": r["retired_at"],
        "volume_wh": d["volume_wh"] or 0,  # rebuilt without a known state: set by the recomputation
        "co2_avoided_g": d["co2_avoided_g"] or 0,
        "meter": None,
        "zone_id": None,
        "slot": position.slot,
    }


def _frame(history: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """A ``certificate`` frame of the feed: the change and the certificate after it."""
    return {
        **{key: value for key, value in after.items()},
        "change": history["change"],
        "related": history["related"],
        "actor": history["actor"],
        "proposal": history["proposal"],
        "signature": history["signature"],
        "instruction_index": history["instruction_index"],
        "event_index": history["event_index"],
        "slot": history["slot"],
        "timestamp": history["timestamp"],
    }


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None

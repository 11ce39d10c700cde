"""The oracle worker: sources -> durable queue -> lanes of batched transactions -> settlement.

Crash safety rests on three facts: a reading is committed to the queue before it is ever sent, the
signature of each transaction is committed on its readings before it goes out, and the chain records
each meter's ``last_window_end``. On start-up (and after any failure whose outcome is unknown) the
pending readings whose window the chain's record already covers are settled instead of being resent:
applied if one of their transactions landed, rejected if none did (they never can land); a replay that
slips through is refused by the registry with ``WindowNotAfterLast``, which is handled the same way.
The program errors the worker reacts to are looked up by name in the IDLs (:mod:`.program_errors`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Sequence
from typing import Any

from aiohttp import web
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solders.address_lookup_table_account import AddressLookupTableAccount
from solders.pubkey import Pubkey
from solders.signature import Signature

from solgrid.automation.backoff import Backoff, until_ok
from solgrid.automation.committed import commit_then
from solgrid.automation.meter_settlement import Settler
from solgrid.automation.sender import ProgramRejected, Transient
from solgrid.automation.status import StatusWriter
from solgrid.oracle.batcher import Batcher, lanes_of, table_digest
from solgrid.oracle.config import MeterConfig, OracleConfig, OracleConfigError, check_drain
from solgrid.oracle.csv_source import CsvSource
from solgrid.oracle.http_source import build_app
from solgrid.oracle.intake import Intake
from solgrid.oracle.metrics import Metrics
from solgrid.oracle.program_errors import SERVICE, RegistryErrors
from solgrid.oracle.queue import QueuedReading, ReadingQueue
from solgrid.oracle.simulator import first_fresh_window, simulate, windows_due
from solgrid.oracle.submitter import Submitter
from solgrid.sdk.energy_token import EnergyTokenClient
from solgrid.sdk.keys import read_keypair
from solgrid.sdk.lookup_tables import create_lookup_table_rpc
from solgrid.sdk.registry import Meter, MeterStatus, RegistryClient

log = logging.getLogger("solgrid.oracle")
SIMULATED_WINDOWS_PER_TICK = 500
CLOCK_REFRESH_SECS = 1.0
UNREGISTERED_RECHECK_SECS = 5.0
PAUSED_RETRY_SECS = 2.0
"""How often the simulator looks up configured meters the chain did not have."""
COVERED_NOT_APPLIED = "window already covered on chain; not applied by this worker"
"""Why a pending reading is rejected when the meter's on-chain record moved past its window (the meter
was activated again, or a later window landed first) and no transaction carrying it landed."""


def config_mismatches(meter: MeterConfig, state: Meter | None) -> list[str]:
    """How the config's view of a meter differs from the chain's, in words (empty: it agrees)."""
    if state is None:
        return ["not registered on chain"]
    problems = []
    if state.owner != meter.owner:
        problems.append(f"the config says owner {meter.owner}, the chain {state.owner}")
    if state.zone_id != meter.zone:
        problems.append(f"the config says zone {meter.zone}, the chain {state.zone_id}")
    if state.device_key != meter.device_pubkey:
        problems.append(
            f"the config's device key is not the one registered on chain ({Pubkey(state.device_key)})"
        )
    if state.status != MeterStatus.ACTIVE:
        problems.append(f"{state.status.name.lower()} on chain, not active")
    return problems


class Worker:
    def __init__(self, config: OracleConfig, *, drain: bool = False) -> None:
        """``drain``: stop once the simulator's windows and the CSV files are exhausted, the queue is
        empty and settlement ran (the HTTP endpoint, if any, serves until then); a config it could never
        finish is an :class:`OracleConfigError`."""
        if drain:
            check_drain(config)
        self.config = config
        self.drain = drain
        self.registry = RegistryClient()
        self.token = EnergyTokenClient()
        self.errors = RegistryErrors.of(self.registry.coder)
        self.queue = ReadingQueue(config.queue_path)
        self.intake = Intake(self.registry.program_id, config.meters, self.queue)
        self.batcher = Batcher(self.registry, config.meters)
        self.metrics = Metrics(self.queue)
        self.sources_done = asyncio.Event()
        self.chain_last_end: dict[str, int] = {}
        self.table_lock = asyncio.Lock()
        self.settler_dirty: set[str] = set()
        """Meters with newly applied readings, for the settler."""
        self.max_reading_age_secs: int | None = None
        """The registry's limit, read at start-up (None: no registry config found)."""
        self.max_clock_skew_secs = 0
        """How far past the cluster clock a window may end (the registry's limit, read at start-up)."""
        self._clock: tuple[int, float] | None = None
        self._last_clock: tuple[int, float] | None = None
        """The last cluster clock reading (``_clock`` is dropped to force a new one)."""
        self.unregistered: set[str] = set()
        """Meters the chain did not have when last checked (their readings are no lag)."""
        self.status_file = StatusWriter(config.status_path, log)

    # -- set-up -------------------------------------------------------------------------------------

    async def reconcile(self, submitter: Submitter, serials: Sequence[str]) -> dict[str, Meter | None]:
        """Settle the pending readings whose window the chain's record of their meter already covers:
        applied if one of the transactions they were sent in landed, rejected otherwise (raises on RPC
        failure). Returns the meters' on-chain state (None: not registered)."""
        wanted = sorted(set(serials))
        addresses = [self.intake.addresses[s] for s in wanted]
        states = dict(zip(wanted, await submitter.meters(self.registry, addresses), strict=True))
        for serial, state in states.items():
            if state is None:
                self.unregistered.add(serial)
                continue
            self.unregistered.discard(serial)
            self.chain_last_end[serial] = state.last_window_end
            covered = self.queue.covered(serial, state.last_window_end)
            if covered:
                await self._resolve_covered(submitter, serial, state.last_window_end, covered)
        return states

    async def _resolve_covered(
        self, submitter: Submitter, serial: str, last_window_end: int, covered: dict[int, list[str]]
    ) -> None:
        landed = await submitter.landed([tx for txs in covered.values() for tx in txs])
        outcome = {i: next((tx for tx in txs if tx in landed), None) for i, txs in covered.items()}
        applied, rejected = await commit_then(
            lambda: self.queue.resolve_covered(outcome, COVERED_NOT_APPLIED), self._count_resolved
        )
        if applied:
            log.info("%s: %d pending reading(s) already on chain, marked applied", serial, applied)
        if rejected:
            log.warning(
                "%s: %d pending reading(s) end by %d, where the meter's on-chain record already is, and"
                " none of their transactions landed: rejected (see `solgrid oracle rejected`)",
                serial,
                rejected,
                last_window_end,
            )

    def _count_resolved(self, outcome: tuple[int, int]) -> None:
        applied, rejected = outcome
        self.metrics.found_applied(applied)
        self.metrics.rejected_on_chain += rejected

    async def due_by(self, submitter: Submitter) -> int:
        """Readings whose window ends by this cluster time can be sent; later ones wait in the queue
        (the cluster clock, refreshed every second, plus the registry's allowed skew)."""
        now = time.monotonic()
        if self._clock is None or now - self._clock[1] > CLOCK_REFRESH_SECS:
            self._clock = self._last_clock = (await submitter.cluster_time(), now)
        return self._clock[0] + self.max_clock_skew_secs

    def due_now(self) -> int:
        """:meth:`due_by` without asking the cluster: its clock extrapolated from the last reading (the
        local clock before the first), for the metrics."""
        if self._last_clock is None:
            now = time.time()
        else:
            cluster, read_at = self._last_clock
            now = cluster + time.monotonic() - read_at
        return int(now) + self.max_clock_skew_secs

    async def table_for(self, submitter: Submitter, serials: Sequence[str]) -> AddressLookupTableAccount:
        """The lane's lookup table: reused from the queue database when it still holds the lane's
        addresses on chain. Tables are created one at a time: a table's address derives from the payer
        and a recent slot, so two lanes creating theirs in the same slot would collide."""
        addresses = self.batcher.lookup_addresses(serials)
        digest = table_digest(addresses)
        known = self.queue.lookup_table(digest)
        if known is not None and await submitter.table_addresses(Pubkey.from_string(known)) == addresses:
            return AddressLookupTableAccount(Pubkey.from_string(known), addresses)
        async with self.table_lock:
            table = await create_lookup_table_rpc(
                submitter.rpc, submitter.payer, addresses, commitment=Confirmed
            )
            if await submitter.table_addresses(table.key) != addresses:
                raise Transient(f"lookup table {table.key} does not hold the lane's addresses")
        self.queue.save_lookup_table(digest, str(table.key))
        log.info("lookup table %s created for %d meter(s)", table.key, len(serials))
        return table

    async def _until_ok(self, what: str, action: Any) -> Any:
        """Retry ``action()`` with backoff while the cluster is unreachable."""
        return await until_ok(what, action, log, self._count_retry)

    def _count_retry(self) -> None:
        self.metrics.retries += 1

    # -- sources ------------------------------------------------------------------------------------

    async def run_simulator(self, submitter: Submitter) -> None:
        """Simulate the meters' windows as they end on the cluster clock. A meter the chain does not
        have yet has nothing to start from: it is looked up again every ``UNREGISTERED_RECHECK_SECS``
        and simulated once it is registered (a draining worker does not wait for it)."""
        sim = self.config.simulator
        assert sim is not None
        serials = list(sim.meters) or [s for s, m in self.config.meters.items() if m.device is not None]
        loop = asyncio.get_running_loop()
        recheck_at = loop.time() + UNREGISTERED_RECHECK_SECS  # start-up has just looked them all up
        while True:
            now = await self._until_ok("reading the cluster clock", submitter.cluster_time)
            missing = [s for s in serials if self._simulation_start(s) is None]
            if missing and loop.time() >= recheck_at:
                await self._recheck_unregistered(submitter, missing)
                recheck_at = loop.time() + UNREGISTERED_RECHECK_SECS
            finished = True
            for serial in serials:
                start = self._simulation_start(serial)
                if start is None:
                    finished = finished and self.drain
                elif not await self._simulate_due(serial, start, now):
                    finished = False
            if finished:
                return
            await asyncio.sleep(self.config.poll_secs)

    def _simulation_start(self, serial: str) -> int | None:
        """Where ``serial``'s next simulated window starts (None: the meter is not on chain yet)."""
        return self.queue.last_window_end(serial) or self.chain_last_end.get(serial)

    async def _recheck_unregistered(self, submitter: Submitter, serials: Sequence[str]) -> None:
        try:
            states = await self.reconcile(submitter, serials)
        except Exception as e:
            log.debug("cannot look up meters %s on chain (%s); trying again later", ", ".join(serials), e)
            return
        for serial, state in states.items():
            if state is None:
                continue
            log.info("meter %s is registered on chain now: simulating it", serial)
            for problem in config_mismatches(self.config.meters[serial], state):
                log.warning("meter %s: %s; its readings will be refused", serial, problem)

    async def _simulate_due(self, serial: str, start: int, now: int) -> bool:
        """Queue ``serial``'s windows from ``start`` that have ended by ``now``; whether the meter's
        ``windows`` are all queued."""
        sim = self.config.simulator
        assert sim is not None
        if self.max_reading_age_secs is not None:
            fresh = first_fresh_window(start, sim.window_secs, now, self.max_reading_age_secs)
            if fresh != start:
                log.warning(
                    "simulator %s: skipping %d window(s) older than the registry accepts",
                    serial,
                    (fresh - start) // sim.window_secs,
                )
                start = fresh
        remaining = None if sim.windows is None else sim.windows - self.queue.count(serial, "simulator")
        due = windows_due(start, sim.window_secs, now, remaining)[:SIMULATED_WINDOWS_PER_TICK]
        # Signing up to 500 windows and the commit run in a thread (awaited: the next tick starts
        # after what this one queued).
        await asyncio.to_thread(self._simulate, serial, due)
        return remaining is not None and remaining <= len(due)

    def _simulate(self, serial: str, starts: Sequence[int]) -> None:
        """Sign and queue the simulated windows of ``serial`` starting at ``starts``."""
        sim = self.config.simulator
        assert sim is not None
        meter = self.config.meters[serial]
        signed = [
            self.intake.sign(
                f"simulator {serial}", serial, simulate(meter, sim.seed, s, sim.window_secs), "simulator"
            )
            for s in starts
        ]
        self.intake.enqueue([r for r in signed if r is not None])

    async def run_csv(self) -> None:
        sources = [CsvSource(p, self.intake) for p in self.config.csv_paths]
        while True:
            for source in sources:
                await asyncio.to_thread(source.poll)  # reading, signing and committing a chunk
            if any(source.behind for source in sources):
                await asyncio.sleep(0)  # let the lanes and the HTTP endpoint run, then read on
                continue
            if self.drain:
                return
            await asyncio.sleep(self.config.poll_secs)

    # -- submission ---------------------------------------------------------------------------------

    async def run_lane(self, index: int, submitter: Submitter, serials: list[str]) -> None:
        table = await self._until_ok(
            f"lane {index}: lookup table", lambda: self.table_for(submitter, serials)
        )
        backoff = Backoff()
        while True:
            try:
                due_by = await self.due_by(submitter)
            except Exception as e:
                self.metrics.retries += 1
                delay = backoff.advance()
                log.warning(
                    "lane %d: cannot read the cluster clock (%s); retrying in %.1f s", index, e, delay
                )
                await asyncio.sleep(delay)
                continue
            rows = self.queue.next_batch(serials, self.config.batch_size, due_by)
            if not rows:
                if self.sources_done.is_set():
                    return
                await asyncio.sleep(self.config.poll_secs)
                continue
            rows = rows[: self.batcher.fit(rows, submitter.payer, table)]
            self.metrics.sending()
            try:
                signature = await self.send_readings(submitter, table, rows)
            except Transient as e:
                self.metrics.retries += 1
                delay = backoff.advance()
                log.warning(
                    "lane %d: %d reading(s) not confirmed (%s); retrying in %.1f s",
                    index,
                    len(rows),
                    e,
                    delay,
                )
                await asyncio.sleep(delay)
                with contextlib.suppress(Exception):
                    await self.reconcile(submitter, [r.serial for r in rows])
                continue
            except ProgramRejected as e:
                await self.rejected(index, submitter, table, rows, e)
                continue
            backoff.reset()
            await self.applied(rows, signature)

    async def applied(self, rows: Sequence[QueuedReading], signature: Signature) -> None:
        """Mark ``rows`` applied and count them, as one step even when the lane is cancelled meanwhile
        (SIGTERM): the last status never misses readings the queue holds as applied."""
        ids = [r.id for r in rows]
        await commit_then(
            lambda: self.queue.mark_applied(ids, str(signature)), lambda _: self._count_applied(rows)
        )

    def _count_rejected(self) -> None:
        self.metrics.rejected_on_chain += 1

    def _count_applied(self, rows: Sequence[QueuedReading]) -> None:
        self.metrics.landed(len(rows))
        self.settler_dirty.update(r.serial for r in rows)

    async def send_readings(
        self, submitter: Submitter, table: AddressLookupTableAccount, rows: Sequence[QueuedReading]
    ) -> Signature:
        """Send ``rows`` in one transaction, its signature recorded on them before it goes out."""
        ids = [r.id for r in rows]

        async def record(signature: Signature) -> None:
            await asyncio.to_thread(self.queue.record_attempt, ids, str(signature))

        return await submitter.send(self.batcher.instructions(rows), [table], before_send=record)

    async def rejected(
        self,
        index: int,
        submitter: Submitter,
        table: AddressLookupTableAccount,
        rows: list[QueuedReading],
        error: ProgramRejected,
    ) -> None:
        """A refused batch: drop what the chain already has, then find the culprit one reading at a time."""
        try:
            states = await self.reconcile(submitter, [r.serial for r in rows])
        except Exception as e:
            log.warning("lane %d: cannot check the chain after a refusal (%s)", index, e)
            await asyncio.sleep(self.config.poll_secs)
            return
        still = [r for r in rows if self.queue.is_pending(r.id)]
        if len(still) < len(rows):
            return  # some were already on chain (a replay): the rest is retried as a fresh batch
        if error.is_(self.errors.readings_paused):
            # Readings stay pending through an emergency pause and land once a quorum resumes.
            log.warning("lane %d: readings are paused by a regulator; waiting (%s)", index, error)
            await asyncio.sleep(max(PAUSED_RETRY_SECS, self.config.poll_secs))
            return
        if error.is_(self.errors.window_in_future):
            log.warning("lane %d: a window ends in the cluster's future; waiting (%s)", index, error)
            self._clock = None
            await asyncio.sleep(max(1.0, self.config.poll_secs))
            return
        if len(still) > 1:
            for row in still:
                try:
                    signature = await self.send_readings(submitter, table, [row])
                except Transient:
                    return  # the lane loop retries what is left
                except ProgramRejected as single:
                    await self.rejected(index, submitter, table, [row], single)
                    continue
                await self.applied([row], signature)
            return
        row = still[0]
        reason = str(error)
        if error.is_(self.errors.window_not_after_last):
            reason = "its window overlaps one the meter already reported (not applied)"
        elif states.get(row.serial) is None:
            reason = f"meter {row.serial!r} is not registered on chain ({error})"
        await commit_then(lambda: self.queue.reject(row.id, reason), lambda _: self._count_rejected())
        log.warning(
            "rejected %s window %d..%d: %s",
            row.serial,
            row.reading.window_start,
            row.reading.window_end,
            reason,
        )

    # -- the whole worker ---------------------------------------------------------------------------

    def status(self, settler: Settler | None) -> dict[str, Any]:
        extra: dict[str, Any] = {"rejected_at_intake": self.intake.rejected}
        if settler is not None:
            extra |= {"settlements": settler.settlements, "settled_wh": settler.settled_wh}
        return self.metrics.snapshot(extra, due_by=self.due_now(), unregistered=self.unregistered)

    async def report(self, settler: Settler | None) -> None:
        snap = self.status(settler)
        log.info("%s", self.metrics.line(snap))
        self.status_file.write(snap)

    async def run(self) -> None:
        """Serve pushes at once (they only need the queue), then check the chain and start the lanes;
        on the way out (drained, cancelled, SIGTERM) write the last status and close the queue."""
        try:
            payer = read_keypair(self.config.payer_path)
        except Exception:
            self.queue.close()
            raise
        async with AsyncClient(self.config.cluster, Confirmed) as rpc:
            submitter = Submitter(rpc, payer, [self.registry.coder, self.token.coder])
            owners = {serial: meter.owner for serial, meter in self.config.meters.items()}
            settler = Settler(submitter, self.registry, self.token, owners, self.config.settle, log, SERVICE)
            settler.dirty = self.settler_dirty
            runner: web.AppRunner | None = None
            try:
                runner = await self._serve(settler)
                await self._start(submitter, rpc)
                await self._run_tasks(submitter, settler)
            finally:
                if runner is not None:
                    await runner.cleanup()
                await self.report(settler)
                self.queue.close()

    async def _start(self, submitter: Submitter, rpc: AsyncClient) -> None:
        """What the chain already has, the registry's limits, and one warning per misconfigured meter
        (each retried with backoff while the cluster is unreachable)."""
        serials = sorted(self.config.meters)
        states = await self._until_ok(
            "checking the chain for applied readings", lambda: self.reconcile(submitter, serials)
        )
        config = await self._until_ok("reading the registry config", lambda: self.registry.fetch_config(rpc))
        if config is not None:
            self.max_reading_age_secs = config.limits.max_reading_age_secs
            self.max_clock_skew_secs = config.limits.max_clock_skew_secs
        else:
            log.warning("the registry has no config on %s: readings will be refused", self.config.cluster)
        for serial, state in states.items():
            for problem in config_mismatches(self.config.meters[serial], state):
                log.warning("meter %s: %s; its readings will be refused", serial, problem)
        # Surplus already on chain (readings an earlier run landed but did not settle, or found on
        # chain just now) is settled at the first interval, not when the meter next reports.
        self.settler_dirty.update(serials)

    async def _serve(self, settler: Settler) -> web.AppRunner | None:
        if self.config.http_listen is None:
            return None
        app = build_app(self.intake, lambda: self.status(settler))
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        host, port = self.config.http_listen
        try:
            await web.TCPSite(runner, host, port).start()
        except OSError as e:
            await runner.cleanup()
            reason = os.strerror(e.errno) if e.errno else str(e)
            raise OracleConfigError(f"http.listen: cannot listen on {host}:{port}: {reason}") from None
        log.info("listening for pushed readings on http://%s:%d/readings", host, port)
        return runner

    async def _run_tasks(self, submitter: Submitter, settler: Settler) -> None:
        sources: list[asyncio.Task[None]] = []
        if self.config.simulator is not None:
            sources.append(asyncio.create_task(self.run_simulator(submitter)))
        if self.config.csv_paths:
            sources.append(asyncio.create_task(self.run_csv()))
        lanes = [
            asyncio.create_task(self.run_lane(i, submitter, lane))
            for i, lane in enumerate(lanes_of(sorted(self.config.meters), self.config.lanes))
        ]
        background = [asyncio.create_task(self._periodic(settler))]
        try:
            if not self.drain:
                await asyncio.gather(*sources, *lanes, *background)
                return
            await asyncio.gather(*sources)
            self.sources_done.set()
            await asyncio.gather(*lanes)
            if waiting := self.queue.pending():
                log.warning("%d reading(s) left pending: their windows end after the cluster clock", waiting)
            if self.config.settle.enabled:
                pending = set(self.config.meters)
                while pending:
                    pending = await settler.settle(pending)
                    if pending:
                        await asyncio.sleep(self.config.poll_secs)
        finally:
            for task in [*sources, *lanes, *background]:
                task.cancel()
            await asyncio.gather(*sources, *lanes, *background, return_exceptions=True)

    async def _periodic(self, settler: Settler) -> None:
        loop = asyncio.get_running_loop()
        next_report = next_settle = loop.time()
        while True:
            now = loop.time()
            if now >= next_report:
                self.metrics.tick()
                await self.report(settler)
                next_report = now + self.config.status_interval_secs
            if self.config.settle.enabled and now >= next_settle:
                await settler.settle_dirty()
                next_settle = now + self.config.settle.interval_secs
            await asyncio.sleep(min(self.config.poll_secs, 1.0))

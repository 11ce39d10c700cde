"""The keeper: one task per market cranks what is due on it, a periodic task reports (log line and status
file) and, when configured, settles meters' surplus.

Nothing is kept across restarts: every decision comes from the chain (:mod:`.plan`), so ``kill -9`` at
any moment loses nothing. A transaction whose outcome is unknown (no confirmation, node down) is not
retried as such: the market is read again and the next step planned from what landed. A refusal that
means another crank got there first (``ChunkOutOfOrder``, ``EpochAlreadyCleared``, ...) is no error:
the market is read again at once. Any other failure backs the market off (0.5 s doubling to 10 s) and
is reported; the other markets go on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from enum import Enum
from typing import Any

from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solders.instruction import Instruction
from solders.pubkey import Pubkey
from solders.signature import Signature

from solgrid.automation.backoff import Backoff
from solgrid.automation.meter_settlement import Settler
from solgrid.automation.program_errors import ProgramError, program_error
from solgrid.automation.sender import ProgramRejected, Sender, Transient
from solgrid.automation.status import StatusWriter
from solgrid.errors import UserFacingError
from solgrid.keeper.chain import MarketGone, MarketSnapshot, market_addresses, meter_owners, read_market
from solgrid.keeper.config import KeeperConfig
from solgrid.keeper.plan import Backlog, Step, backlog, expired_orders, latest_settled, next_step
from solgrid.keeper.report import KeeperMetrics, MarketReport
from solgrid.sdk.anchor import ProgramCoder
from solgrid.sdk.energy_token import EnergyTokenClient
from solgrid.sdk.keys import read_keypair
from solgrid.sdk.registry import RegistryClient
from solgrid.sdk.trading import TradingClient
from solgrid.sdk.trading.crank import RACES
from solgrid.sdk.trading.units import EpochState

log = logging.getLogger("solgrid.keeper")
SERVICE = "the keeper"
MAX_RACES_PER_PASS = 16
"""Refusals in a row that say another crank was first, before the market backs off."""
ONCE_ATTEMPTS = 5
"""With ``--once``: how many times a market (or the discovery) is tried after transient failures."""
KEPT_EPOCHS = 8
"""Epochs per market whose chunk counts the report keeps."""


class KeeperIncomplete(UserFacingError):
    """``keeper run --once`` could not finish every market."""


class Outcome(Enum):
    DONE = "done"
    """Nothing left to do on the market now."""
    RETRY = "retry"
    """A transient failure (the cluster unreachable, a transaction not confirmed): try again later."""
    FAILED = "failed"
    """The program refused a step: reported, tried again later."""
    GONE = "gone"
    """The market account is gone."""


class MarketKeeper:
    """Keeps one market: :meth:`crank` sends what is due until nothing is."""

    def __init__(self, keeper: Keeper, address: Pubkey) -> None:
        self.keeper = keeper
        self.address = address
        self.report = MarketReport(str(address))
        self.backoff = Backoff()
        self._last_landed: list[Instruction] | None = None
        self._finishing: dict[int, float] = {}
        """Epochs whose last chunk this keeper landed, until the chain shows them settled (then logged)."""

    async def run(self) -> None:
        """Crank the market every ``poll_secs`` (after a failure, with backoff) until it is gone."""
        while True:
            outcome = await self.attempt()
            if outcome is Outcome.GONE:
                return
            if outcome is Outcome.DONE:
                self.backoff.reset()
                await asyncio.sleep(self.keeper.config.poll_secs)
            else:
                await asyncio.sleep(self.backoff.advance())

    async def attempt(self) -> Outcome:
        """:meth:`crank`, with anything unexpected (a bug, an answer nobody foresaw) reported as a failure
        of this market rather than the end of its task."""
        try:
            return await self.crank()
        except Exception as e:
            log.exception("market %s: unexpected failure", self.address)
            self.report.failed(f"{type(e).__name__}: {e}", time.time())
            return Outcome.FAILED

    async def refresh(self) -> None:
        """Read the market once more and report what the chain shows (the keeper's last status on stopping
        then includes a settlement that landed after the last pass read the chain)."""
        keeper = self.keeper
        snapshot = await read_market(keeper.rpc, keeper.trading, keeper.registry, self.address)
        now = await keeper.sender.cluster_time()
        keeper.cluster_now = max(keeper.cluster_now, now)
        self.observe(snapshot, now)

    async def crank(self) -> Outcome:
        """Send the market's due steps one at a time, each planned from a fresh read of the chain."""
        keeper = self.keeper
        races = 0
        while True:
            try:
                snapshot = await read_market(keeper.rpc, keeper.trading, keeper.registry, self.address)
                now = await keeper.sender.cluster_time()
            except MarketGone as e:
                log.warning("market %s: %s", self.address, e)
                self.report.failed(str(e), time.time())
                return Outcome.GONE
            except Exception as e:
                keeper.metrics.retries += 1
                log.warning("market %s: cannot read the chain (%s)", self.address, e)
                return Outcome.RETRY
            keeper.cluster_now = max(keeper.cluster_now, now)
            self.observe(snapshot, now)
            step = next_step(
                keeper.trading,
                snapshot.market,
                snapshot.zone_status,
                snapshot.epochs,
                now,
                keeper.sender.payer.pubkey(),
                chunk=keeper.config.max_orders_per_chunk,
                prune_max=keeper.config.prune_max_orders,
                trading_paused=snapshot.trading_paused,
            )
            if step is None or (step.kind == "prune" and not keeper.config.prune):
                return Outcome.DONE
            try:
                signature = await self.send(step)
            except ProgramRejected as e:
                if any(e.is_(race) for race in keeper.races):
                    races += 1
                    self.report.lost_races += 1
                    log.info("market %s: %s: another crank was first; reading it again", self.address, e)
                    if races < MAX_RACES_PER_PASS:
                        continue
                self.report.failed(str(e), time.time())
                log.warning("market %s: %s refused: %s", self.address, describe(step), e)
                return Outcome.FAILED
            except Transient as e:
                keeper.metrics.retries += 1
                log.warning("market %s: %s not confirmed (%s)", self.address, describe(step), e)
                return Outcome.RETRY
            races = 0
            self.landed(step, snapshot, signature)

    async def send(self, step: Step) -> Signature:
        if step.instructions == self._last_landed:
            # The same instructions again (a second prune): a new blockhash makes it a new transaction.
            try:
                await self.keeper.sender.fresh_blockhash()
            except Exception as e:
                raise Transient(f"cannot get a new blockhash: {e}") from None
        signature = await self.keeper.sender.send(step.instructions)
        self._last_landed = step.instructions
        return signature

    def observe(self, snapshot: MarketSnapshot, now: int) -> None:
        market, epochs = snapshot.market, snapshot.epochs
        self.report.observe(
            market, snapshot.zone_status, latest_settled(epochs), now, snapshot.trading_paused
        )
        self.report.backlog = backlog(epochs, now) if market.header.periodic else Backlog()
        self.report.expired_orders = 0 if market.header.periodic else expired_orders(market, now)
        held = {e.header.epoch: e for e in epochs}
        for epoch in list(self._finishing):
            account = held.get(epoch)
            if account is None:
                del self._finishing[epoch]
            elif account.header.state is EpochState.SETTLED:
                del self._finishing[epoch]
                h = account.header
                result = (
                    f"at {h.clearing_price} ticks, {h.volume_lots} lots" if h.volume_lots else "with no trade"
                )
                log.info(
                    "market %s: epoch %d settled %s, %d order(s) (%d matched, %d rolled) in %d chunk(s); "
                    "lag %d s",
                    self.address,
                    h.epoch,
                    result,
                    h.order_count,
                    h.matched_orders,
                    h.rolled_orders,
                    self.report.chunks_by_epoch.get(h.epoch, 0),
                    max(0, h.settled_at - h.ends_at),
                )

    def landed(self, step: Step, snapshot: MarketSnapshot, signature: Signature) -> None:
        keeper, report = self.keeper, self.report
        keeper.metrics.transactions += 1
        if step.kind == "prune":
            report.prunes += 1
            log.info("market %s: pruned expired orders (%s)", self.address, signature)
            return
        if step.kind == "clear":
            report.cleared += 1
            log.info("market %s: epoch %d cleared (%s)", self.address, step.epoch, signature)
            return
        account = next(e for e in snapshot.epochs if e.header.epoch == step.epoch)
        walked = min(keeper.config.max_orders_per_chunk, max(0, account.header.order_count - step.cursor))
        report.chunks += 1
        report.orders_settled += walked
        keeper.metrics.orders.add(walked)
        report.chunks_by_epoch[step.epoch] = report.chunks_by_epoch.get(step.epoch, 0) + 1
        for old in sorted(report.chunks_by_epoch)[:-KEPT_EPOCHS]:
            del report.chunks_by_epoch[old]
        if step.cursor + walked >= account.header.order_count:
            self._finishing[step.epoch] = time.monotonic()
        log.debug(
            "market %s: epoch %d orders %d..%d settled (%s)",
            self.address,
            step.epoch,
            step.cursor,
            step.cursor + walked,
            signature,
        )


def describe(step: Step) -> str:
    if step.kind == "prune":
        return "prune_expired"
    if step.kind == "clear":
        return f"clear_epoch of epoch {step.epoch}"
    return f"settle_epoch of epoch {step.epoch} from order {step.cursor}"


def race_errors(coder: ProgramCoder) -> tuple[ProgramError, ...]:
    """The trading errors that mean another crank got there first (looked up by name in the IDL)."""
    return tuple(program_error(coder, name, SERVICE) for name in RACES)


class Keeper:
    def __init__(self, config: KeeperConfig, *, once: bool = False) -> None:
        """``once``: crank what is due on every market (and settle meters, if configured) once, then
        return; a market left unfinished is a :class:`KeeperIncomplete`."""
        self.config = config
        self.once = once
        self.trading = TradingClient()
        self.registry = RegistryClient()
        self.token = EnergyTokenClient()
        self.races = race_errors(self.trading.coder)
        self.metrics = KeeperMetrics()
        self.markets: dict[Pubkey, MarketKeeper] = {}
        self.tasks: dict[Pubkey, asyncio.Task[None]] = {}
        self.status_file = StatusWriter(config.status_path, log)
        self.cluster_now = 0
        self.payer_lamports: int | None = None
        self.settler: Settler | None = None
        self._missing_meters: set[str] = set()
        """Configured meters the registry did not have at the last settlement (warned about once)."""
        self._rpc: AsyncClient | None = None
        self._sender: Sender | None = None

    @property
    def rpc(self) -> AsyncClient:
        assert self._rpc is not None, "the keeper is not running"
        return self._rpc

    @property
    def sender(self) -> Sender:
        assert self._sender is not None, "the keeper is not running"
        return self._sender

    async def run(self) -> None:
        payer = read_keypair(self.config.payer_path)
        async with AsyncClient(self.config.cluster, Confirmed) as rpc:
            self._rpc = rpc
            self._sender = Sender(rpc, payer, [self.trading.coder, self.registry.coder, self.token.coder])
            if self.config.settle.policy.enabled:
                self.settler = Settler(
                    self._sender, self.registry, self.token, {}, self.config.settle.policy, log, SERVICE
                )
            log.info(
                "keeper %s on %s: %s, chunks of %d orders",
                payer.pubkey(),
                self.config.cluster,
                f"{len(self.config.markets)} market(s)" if self.config.markets else "every market",
                self.config.max_orders_per_chunk,
            )
            try:
                if self.once:
                    await self._run_once()
                else:
                    await self._run_forever()
            finally:
                for task in self.tasks.values():
                    task.cancel()
                await asyncio.gather(*self.tasks.values(), return_exceptions=True)
                with contextlib.suppress(Exception):
                    await self._read_balance()
                for market in self.markets.values():
                    try:
                        await market.refresh()
                    except Exception as e:  # the status keeps what the last pass read
                        log.warning("market %s: cannot read it for the last status (%s)", market.address, e)
                self.report_status()

    # -- markets -----------------------------------------------------------------------------------

    async def discover(self) -> list[Pubkey]:
        """The markets to keep: the configured ones, or every market of the program."""
        if self.config.markets:
            return list(self.config.markets)
        return await market_addresses(self.rpc, self.trading)

    def keep(self, addresses: Sequence[Pubkey]) -> list[MarketKeeper]:
        new = [a for a in addresses if a not in self.markets]
        for address in new:
            self.markets[address] = MarketKeeper(self, address)
        if new:
            log.info("keeping %d new market(s): %s", len(new), ", ".join(map(str, new)))
        return [self.markets[a] for a in addresses]

    async def _run_forever(self) -> None:
        await asyncio.gather(self._supervise(), self._periodic())

    async def _supervise(self) -> None:
        """Start a task per market, finding new markets every ``discover_secs``."""
        backoff = Backoff()
        while True:
            try:
                addresses = await self.discover()
            except Exception as e:
                self.metrics.retries += 1
                delay = backoff.advance()
                log.warning("cannot list the markets (%s); retrying in %.1f s", e, delay)
                await asyncio.sleep(delay)
                continue
            backoff.reset()
            for market in self.keep(addresses):
                task = self.tasks.get(market.address)
                if task is None or task.done():
                    self.tasks[market.address] = asyncio.create_task(market.run())
            await asyncio.sleep(self.config.discover_secs)

    async def _periodic(self) -> None:
        loop = asyncio.get_running_loop()
        next_report = next_settle = loop.time()
        settle = self.config.settle.policy
        while True:
            now = loop.time()
            if now >= next_report:
                self.metrics.orders.tick()
                with contextlib.suppress(Exception):
                    await self._read_balance()
                self.report_status()
                next_report = now + self.config.status_interval_secs
            if self.settler is not None and now >= next_settle:
                await self.settle_meters()
                next_settle = now + settle.interval_secs
            await asyncio.sleep(min(self.config.poll_secs, 1.0))

    async def _run_once(self) -> None:
        addresses = await self._once_attempts("listing the markets", self.discover)
        markets = self.keep(addresses)
        outcomes = await asyncio.gather(*(self._once_market(m) for m in markets))
        if self.settler is not None:
            await self.settle_meters()
        unfinished = [m for m, ok in zip(markets, outcomes, strict=True) if not ok]
        if unfinished:
            listed = "; ".join(
                f"{m.address}: {m.report.last_error or 'cluster unreachable'}" for m in unfinished
            )
            raise KeeperIncomplete(f"{len(unfinished)} market(s) not finished: {listed}")

    async def _once_market(self, market: MarketKeeper) -> bool:
        for _ in range(ONCE_ATTEMPTS):
            outcome = await market.attempt()
            if outcome is Outcome.DONE:
                return True
            if outcome in (Outcome.FAILED, Outcome.GONE):
                return False
            await asyncio.sleep(market.backoff.advance())
        return False

    async def _once_attempts(self, what: str, action: Any) -> Any:
        backoff = Backoff()
        for attempt in range(ONCE_ATTEMPTS):
            try:
                return await action()
            except Exception as e:
                if attempt + 1 == ONCE_ATTEMPTS:
                    raise KeeperIncomplete(f"{what} failed: {e}") from None
                self.metrics.retries += 1
                delay = backoff.advance()
                log.warning("%s failed (%s); retrying in %.1f s", what, e, delay)
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")

    # -- meters ------------------------------------------------------------------------------------

    async def settle_meters(self) -> None:
        """Settle the configured meters (every meter of the registry when none is listed)."""
        assert self.settler is not None
        try:
            owners = await meter_owners(self.rpc, self.registry, self.config.settle.meters)
        except Exception as e:
            self.metrics.retries += 1
            log.warning("meter settlement postponed: cannot read the meters (%s)", e)
            return
        missing = sorted(set(self.config.settle.meters) - set(owners) - self._missing_meters)
        if missing:
            log.warning("meter(s) %s not in the registry: not settled", ", ".join(missing))
        self._missing_meters = set(self.config.settle.meters) - set(owners)
        self.settler.owners = owners
        await self.settler.settle(owners)

    # -- reporting ---------------------------------------------------------------------------------

    async def _read_balance(self) -> None:
        self.payer_lamports = (await self.rpc.get_balance(self.sender.payer.pubkey(), Confirmed)).value

    def status(self) -> dict[str, Any]:
        extra: dict[str, Any] = {
            "payer": str(self.sender.payer.pubkey()),
            "payer_lamports": self.payer_lamports,
        }
        if self.settler is not None:
            extra |= {"meter_settlements": self.settler.settlements, "settled_wh": self.settler.settled_wh}
        reports = {str(a): m.report for a, m in self.markets.items()}
        return self.metrics.snapshot(reports, self.cluster_now, time.time(), extra)

    def report_status(self) -> None:
        snap = self.status()
        log.info("%s", self.metrics.line(snap))
        self.status_file.write(snap)

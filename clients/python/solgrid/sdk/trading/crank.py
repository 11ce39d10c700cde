"""The crank of a periodic market: the transactions that finish an epoch once its auction closed, and a
driver that sends them.

Finishing epoch ``E`` is ``clear_epoch`` (if its price is not fixed yet), then ``settle_epoch`` chunks of
up to 64 orders from the on-chain cursor until every order is settled. Anyone may crank and nothing is
taken from instruction arguments but the epoch, the cursor and the chunk size: the program refuses a
chunk whose cursor is not where the settlement stands (``ChunkOutOfOrder``) and a second clearing
(``EpochAlreadyCleared``), so racing or retried cranks cannot settle anything twice. Epochs finish in
order: ``E + 1`` clears only once ``E`` is settled, and settling ``E`` may roll orders into ``E + 1``, so
the steps of an epoch are planned from its account as it is when its turn comes
(:func:`next_to_crank`, :func:`epoch_steps`). Each transaction starts with a compute-budget
instruction sized for what it does (:func:`settle_compute_units`, :func:`clear_compute_units`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum

from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Commitment, Confirmed
from solders.compute_budget import set_compute_unit_limit, set_compute_unit_price
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from solgrid.errors import UserFacingError
from solgrid.sdk.clock import cluster_time
from solgrid.sdk.trading.client import TradingClient
from solgrid.sdk.trading.epoch_account import AuctionEpoch
from solgrid.sdk.trading.events import EpochCleared, EpochSettled
from solgrid.sdk.trading.market import MarketState
from solgrid.sdk.trading.trades import send_and_events
from solgrid.sdk.trading.units import MAX_SETTLE_CHUNK, EpochState
from solgrid.sdk.transactions import TransactionFailed

MAX_COMPUTE_UNITS = 1_400_000
CLEAR_BASE_COMPUTE_UNITS = 30_000
CLEAR_COMPUTE_UNITS_PER_LEVEL = 100
SETTLE_BASE_COMPUTE_UNITS = 40_000
"""Account checks, the event's self-CPI and growing the next epoch account for rolled orders."""
SETTLE_COMPUTE_UNITS_PER_ORDER = 2_000
"""A settled order (fill, fee, release, roll): the program's goal, well above what it uses (about 750
for a chunk of 64, growth of the next epoch account included)."""
RACES = (
    "ChunkOutOfOrder",
    "EpochAlreadyCleared",
    "EpochAlreadySettled",
    "EpochNotPriceFixed",
)
"""The program's errors that mean another crank got there first: read the account again and go on."""
DUPLICATE_TRANSACTION = "already been processed"
"""The cluster's answer to this very transaction sent before with the same blockhash (it landed):
read the account again and go on, as after a race."""
RACE_PAUSE_SECONDS = 0.2
"""Pause before reading the account again after a lost race (the node may not show the winner yet)."""
MAX_RACES_IN_A_ROW = 20


def settle_compute_units(max_orders: int = MAX_SETTLE_CHUNK) -> int:
    """The compute-unit limit of a ``settle_epoch`` transaction of ``max_orders`` orders."""
    return min(SETTLE_BASE_COMPUTE_UNITS + SETTLE_COMPUTE_UNITS_PER_ORDER * max_orders, MAX_COMPUTE_UNITS)


def clear_compute_units(levels: int) -> int:
    """The compute-unit limit of a ``clear_epoch`` transaction over ``levels`` price levels."""
    return min(CLEAR_BASE_COMPUTE_UNITS + CLEAR_COMPUTE_UNITS_PER_LEVEL * levels, MAX_COMPUTE_UNITS)


class Action(Enum):
    CLEAR = "clear"
    SETTLE = "settle"


@dataclass(frozen=True)
class CrankStep:
    """One transaction of the crank."""

    action: Action
    epoch: int
    cursor: int
    """First order the chunk settles (0 for the clearing)."""
    instructions: list[Instruction]


def needs_crank(account: AuctionEpoch, now: int) -> bool:
    """The account holds an epoch whose auction closed and that is not settled yet."""
    state = account.header.state
    return state is EpochState.PRICE_FIXED or account.header.ready_to_clear(now)


def next_to_crank(accounts: Sequence[AuctionEpoch], now: int) -> AuctionEpoch | None:
    """The oldest epoch of ``accounts`` (a market's two epoch accounts) that needs cranking at ``now``."""
    pending = [a for a in accounts if needs_crank(a, now)]
    return min(pending, key=lambda a: a.header.epoch, default=None)


def _budget(units: int, priority_micro_lamports: int) -> list[Instruction]:
    budget = [set_compute_unit_limit(units)]
    if priority_micro_lamports:
        budget.append(set_compute_unit_price(priority_micro_lamports))
    return budget


def epoch_steps(
    client: TradingClient,
    market: MarketState,
    account: AuctionEpoch,
    now: int,
    payer: Pubkey,
    *,
    chunk: int = MAX_SETTLE_CHUNK,
    priority_micro_lamports: int = 0,
) -> list[CrankStep]:
    """The transactions that finish the epoch ``account`` holds, from its state on chain: the clearing
    if its auction closed and it is not cleared, then the settlement chunks from its cursor. None while
    its auction is open or once it is settled. Send them in order, one at a time."""
    if not needs_crank(account, now):
        return []
    h = account.header
    steps = []
    cursor = h.cursor
    if h.state is EpochState.COLLECTING:
        clear = client.clear_epoch(market=market.address, zone_id=market.header.zone_id, epoch=h.epoch)
        budget = _budget(clear_compute_units(h.level_count), priority_micro_lamports)
        steps.append(CrankStep(Action.CLEAR, h.epoch, 0, [*budget, clear]))
        cursor = 0
    budget = _budget(settle_compute_units(chunk), priority_micro_lamports)
    while True:
        settle = client.settle_epoch(
            payer=payer, market=market.address, epoch=h.epoch, cursor=cursor, max_orders=chunk
        )
        steps.append(CrankStep(Action.SETTLE, h.epoch, cursor, [*budget, settle]))
        cursor += chunk
        if cursor >= h.order_count:
            return steps


@dataclass
class CrankReport:
    """What one run of :func:`crank_epoch` sent."""

    epoch: int
    cleared: EpochCleared | None = None
    """The clearing this run made (None when another crank had made it)."""
    chunks: list[EpochSettled] = field(default_factory=list)
    signatures: list[str] = field(default_factory=list)
    settled: bool = False
    """The epoch is settled (by this run or before it)."""
    lost_races: int = 0
    """Transactions another crank made useless (its chunk or clearing landed first)."""


class CrankError(UserFacingError):
    """The epoch cannot be cranked (its auction is still open, or its slot holds another epoch)."""


async def crank_epoch(
    connection: AsyncClient,
    client: TradingClient,
    market: Pubkey,
    epoch: int,
    payer: Keypair,
    *,
    chunk: int = MAX_SETTLE_CHUNK,
    priority_micro_lamports: int = 0,
    commitment: Commitment = Confirmed,
) -> CrankReport:
    """Clears (if needed) and settles ``market``'s ``epoch`` to the end, ``payer`` paying, one transaction
    at a time from the account's state on chain. A chunk or clearing that another crank landed first
    is not an error: the account is read again and the run goes on from where it stands. An epoch
    already settled (or whose slot moved on to a later epoch) returns a report with ``settled``."""
    report = CrankReport(epoch)
    races = 0
    while True:
        state = await client.fetch_market(connection, market, commitment)
        if state is None:
            raise CrankError(f"market {market} does not exist")
        account = await client.fetch_epoch(connection, state, epoch, commitment)
        if account is None or account.header.state is EpochState.SETTLED:
            if account is None and not _settled_before(state, epoch):
                raise CrankError(f"no epoch account of market {market} holds epoch {epoch}")
            report.settled = True
            return report
        now = await cluster_time(connection, commitment)
        steps = epoch_steps(
            client,
            state,
            account,
            now,
            payer.pubkey(),
            chunk=chunk,
            priority_micro_lamports=priority_micro_lamports,
        )
        if not steps:
            raise CrankError(
                f"epoch {epoch} of market {market} is still collecting orders until {account.header.ends_at} "
                f"(cluster time {now})"
            )
        if not await send_steps(connection, client, payer, steps, report, commitment):
            races += 1
            if races > MAX_RACES_IN_A_ROW:
                raise CrankError(
                    f"epoch {epoch} of market {market}: {races} transactions in a row found their work done "
                    "by others, and the account read back does not show it"
                )
            await asyncio.sleep(RACE_PAUSE_SECONDS)
        else:
            races = 0


def _settled_before(market: MarketState, epoch: int) -> bool:
    h = market.header
    return h.auctions_settled > 0 and h.last_settled_epoch >= epoch


async def send_steps(
    connection: AsyncClient,
    client: TradingClient,
    payer: Keypair,
    steps: Sequence[CrankStep],
    report: CrankReport,
    commitment: Commitment = Confirmed,
) -> bool:
    """Sends ``steps`` in order, recording what landed in ``report``. Returns False at the first one
    another crank made useless (its chunk or clearing landed first: ``report.lost_races`` counts it);
    plan again from the account then. Other failures raise."""
    for step in steps:
        try:
            landed, events = await send_and_events(
                connection, client, step.instructions, payer, commitment=commitment
            )
        except TransactionFailed as e:
            if any(race in str(e) for race in (*RACES, DUPLICATE_TRANSACTION)):
                report.lost_races += 1
                return False
            raise
        report.signatures.append(str(landed.signature))
        for event in events:
            if isinstance(event, EpochCleared):
                report.cleared = event
            elif isinstance(event, EpochSettled):
                report.chunks.append(event)
                report.settled = report.settled or event.done
    return True


async def crank_market(
    connection: AsyncClient,
    client: TradingClient,
    market: Pubkey,
    payer: Keypair,
    *,
    chunk: int = MAX_SETTLE_CHUNK,
    priority_micro_lamports: int = 0,
    commitment: Commitment = Confirmed,
) -> list[CrankReport]:
    """Finishes every epoch of ``market`` whose auction closed, oldest first (at most the two its
    accounts hold; settling one may close the next)."""
    reports: list[CrankReport] = []
    while True:
        state = await client.fetch_market(connection, market, commitment)
        if state is None:
            raise CrankError(f"market {market} does not exist")
        accounts = await client.fetch_epochs(connection, state, commitment)
        oldest = next_to_crank(accounts, await cluster_time(connection, commitment))
        if oldest is None:
            return reports
        reports.append(
            await crank_epoch(
                connection,
                client,
                market,
                oldest.header.epoch,
                payer,
                chunk=chunk,
                priority_micro_lamports=priority_micro_lamports,
                commitment=commitment,
            )
        )

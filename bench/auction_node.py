"""A 1,000-order call auction through a node: the SDK's crank and the keeper clear and settle it.

Starts a fresh node (``bench/nodes.py``: ``solgrid localnet`` or ``solana-test-validator``, a process of its
own with the programs at genesis), sets up a registry zone, a 9-decimal mint standing in for GRID, a
6-decimal stablecoin and a periodic market of ``--epoch-secs`` (60) second epochs, and ``--traders`` (100)
verified traders with seats and deposits. Nothing moves either node's clock: the bench waits for an epoch
to start on the cluster clock, then

1. the traders place ``--orders`` (1,000) auction orders (random sides, limit prices around a crossing,
   1 to 30 lots, half of them rolling over once), several of one trader per transaction, all traders at
   once; after the epoch's end the SDK's crank (:func:`solgrid.sdk.trading.crank.crank_epoch`, chunks of
   64, what ``solgrid auction crank`` runs) clears and settles it;
2. the next epoch, ``--orders`` too with those the first one rolls into it, is cleared and settled by
   ``solgrid keeper run --once`` (a process, its default chunk of 64 orders) after its end.

For each: the transactions it took, the seconds (crank: the call; keeper: its process from launch to
exit), the compute units the transactions consumed per order, and the cluster seconds from the launch to
the last chunk (``settled_at``). Each epoch must end settled with every order settled exactly once. The
second epoch's new orders are placed before the first is cranked, as many as leave room for the orders
the first one rolls into it (the SDK's reference of the clearing rule tells how many). No assertion on
the numbers.

    .venv/bin/python bench/auction_node.py [--node ours|validator|both] [--orders 1000] [--traders 100]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from solana.exceptions import SolanaRpcException
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solana.rpc.types import TxOpts
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.system_program import TransferParams, transfer
from spl.token.instructions import get_associated_token_address

from solgrid.keeper.config import DEFAULT_CHUNK_ORDERS
from solgrid.sdk.clock import cluster_time
from solgrid.sdk.keys import write_keypair
from solgrid.sdk.mints import MINT_LEN, create_mint_instructions, mint_to_owner_instructions
from solgrid.sdk.registry import Limits, RegistryClient, UserRole
from solgrid.sdk.trading import AuctionEpoch, EpochSettled, MarketParams, TradingClient
from solgrid.sdk.trading.clearing import fills
from solgrid.sdk.trading.crank import crank_epoch
from solgrid.sdk.trading.trades import fetch_transaction, trading_events
from solgrid.sdk.trading.units import MAX_SETTLE_CHUNK, EpochState, Side
from solgrid.sdk.transactions import build_transaction

sys.path.insert(0, str(Path(__file__).parent))
import nodes

ZONE = 3
SOL = 10**9
BASE_EACH = 10**15  # atoms of the 9-decimal stand-in for GRID each trader deposits
QUOTE_EACH = 10**12
ORDERS_PER_TX = 5
IN_FLIGHT = 16
KEEPER_CHUNK = DEFAULT_CHUNK_ORDERS
"""The keeper's default ``max_orders_per_chunk`` (docs/keeper.md)."""
SEED = 2026


@dataclass(frozen=True)
class Crank:
    """One epoch cleared and settled through the node."""

    by: str
    epoch: int
    orders: int
    chunk: int
    transactions: int
    settle_transactions: int
    seconds: float
    transaction_cu: int
    """computeUnitsConsumed of every clearing and settlement transaction."""
    settle_cu: int
    """The same for the settlement transactions alone."""
    lag_secs: int
    """``settled_at`` less the cluster time when the crank (or the keeper) was launched."""

    @property
    def cu_per_order(self) -> float:
        return self.settle_cu / self.orders


@dataclass(frozen=True)
class NodeAuction:
    node: str
    traders: int
    placement_secs: float
    """Placing the first epoch's orders, all traders at once."""
    placed: int
    crank: Crank
    keeper: Crank


@dataclass
class _Scene:
    rpc: AsyncClient
    url: str
    operator: Keypair
    market: Pubkey
    epoch_secs: int
    traders: list[tuple[Keypair, int]]
    trading: TradingClient


async def _send(
    rpc: AsyncClient, instructions: Sequence[Instruction], payer: Keypair, signers: Sequence[Keypair] = ()
) -> None:
    """Sends one transaction and waits until it is confirmed without error. Unlike the SDK's
    ``send_and_confirm`` it does not fetch the transaction afterwards: a loaded solana-test-validator may
    confirm a signature a moment before ``getTransaction`` has it."""
    blockhash = (await rpc.get_latest_blockhash(Confirmed)).value.blockhash
    tx = build_transaction(instructions, payer, signers, blockhash)
    signature = (await rpc.send_transaction(tx, opts=TxOpts(preflight_commitment=Confirmed))).value
    await rpc.confirm_transaction(signature, Confirmed)
    status = (await rpc.get_signature_statuses([signature])).value[0]
    if status is None or status.err is not None:
        raise RuntimeError(f"transaction {signature} failed: {status.err if status else 'no status'}")


async def _mint(rpc: AsyncClient, operator: Keypair, decimals: int) -> Pubkey:
    mint = Keypair()
    lamports = (await rpc.get_minimum_balance_for_rent_exemption(MINT_LEN)).value
    me = operator.pubkey()
    await _send(rpc, create_mint_instructions(me, mint, decimals, me, lamports), operator, [mint])
    return mint.pubkey()


async def _setup(rpc: AsyncClient, url: str, operator: Keypair, traders: int, epoch_secs: int) -> _Scene:
    """Registry zone, mints, trading Config, the periodic market and ``traders`` funded traders."""
    registry, trading = RegistryClient(), TradingClient()
    me = operator.pubkey()
    await _send(
        rpc,
        [
            registry.initialize(payer=me, authority=me, limits=Limits()),
            registry.set_regulators(regulators=[me], threshold=1, cosigners=[me]),
            registry.create_zone(payer=me, zone_id=ZONE, name="bench", max_capacity_kw=1_000, cosigners=[me]),
        ],
        operator,
    )
    base_mint, quote_mint = await _mint(rpc, operator, 9), await _mint(rpc, operator, 6)
    await _send(rpc, [trading.initialize(payer=me, authority=me, base_mint=base_mint)], operator)
    params = MarketParams(tick_size=1_000, lot_size_wh=100, fee_recipient=me, maker_fee_bps=25)
    create = trading.create_market(
        payer=me,
        zone_id=ZONE,
        base_mint=base_mint,
        quote_mint=quote_mint,
        params=params,
        cosigners=[me],
        epoch_secs=epoch_secs,
    )
    await _send(rpc, [create], operator)
    market = trading.market_pda(ZONE, quote_mint).address
    wallets = [Keypair() for _ in range(traders)]
    gate = asyncio.Semaphore(IN_FLIGHT)

    async def join(wallet: Keypair) -> None:
        key = wallet.pubkey()
        ixs: list[Instruction] = [
            transfer(TransferParams(from_pubkey=me, to_pubkey=key, lamports=SOL // 2)),
            registry.register_user(payer=key, authority=key, role=UserRole.PROSUMER, zone_id=ZONE),
            registry.verify_user(regulator=me, wallet=key),
            trading.claim_seat(trader=key, market=market),
            *mint_to_owner_instructions(me, base_mint, key, me, BASE_EACH),
            *mint_to_owner_instructions(me, quote_mint, key, me, QUOTE_EACH),
        ]
        async with gate:
            await _send(rpc, ixs, operator, [wallet])

    await asyncio.gather(*(join(w) for w in wallets))
    state = await trading.fetch_market(rpc, market)
    assert state is not None
    seated = []
    for wallet in wallets:
        seat = state.seat_of(wallet.pubkey())
        assert seat is not None
        seated.append((wallet, seat.index))

    async def deposit(wallet: Keypair, seat: int) -> None:
        key = wallet.pubkey()
        ixs = [
            trading.deposit(
                trader=key,
                market=market,
                seat=seat,
                vault=vault,
                source=get_associated_token_address(key, mint),
                amount=amount,
            )
            for vault, mint, amount in (
                (state.header.base_vault, base_mint, BASE_EACH),
                (state.header.quote_vault, quote_mint, QUOTE_EACH),
            )
        ]
        async with gate:
            await _send(rpc, ixs, wallet)

    await asyncio.gather(*(deposit(w, s) for w, s in seated))
    return _Scene(rpc, url, operator, market, epoch_secs, seated, trading)


async def _wait_until(rpc: AsyncClient, unix_time: int) -> None:
    """Until the cluster clock reaches ``unix_time`` (a node that does not answer one poll, as a loaded
    machine's may not, is asked again)."""
    misses = 0
    while True:
        try:
            if await cluster_time(rpc) >= unix_time:
                return
            misses = 0
        except SolanaRpcException:
            misses += 1
            if misses > 10:
                raise
        await asyncio.sleep(0.2)


async def _place(scene: _Scene, count: int, epoch: int, rng: random.Random) -> None:
    """``count`` random orders spread over the traders, all joining ``epoch``'s auction."""
    rolls_once = (epoch + 2) * scene.epoch_secs  # the end of the next epoch
    per_trader: dict[int, list[Instruction]] = {}
    for i in range(count):
        wallet, seat = scene.traders[i % len(scene.traders)]
        rollover = rng.random() < 0.5
        per_trader.setdefault(i % len(scene.traders), []).append(
            scene.trading.place_auction_order(
                trader=wallet.pubkey(),
                market=scene.market,
                zone_id=ZONE,
                seat=seat,
                side=rng.choice((Side.BID, Side.ASK)),
                price=rng.randint(95, 125),
                lots=rng.randint(1, 30),
                rollover=rollover,
                expires_at=rolls_once if rollover else 0,
            )
        )
    gate = asyncio.Semaphore(IN_FLIGHT)

    async def send(wallet: Keypair, ixs: Sequence[Instruction]) -> None:
        async with gate:
            await _send(scene.rpc, ixs, wallet)

    await asyncio.gather(
        *(
            send(scene.traders[t][0], ixs[at : at + ORDERS_PER_TX])
            for t, ixs in per_trader.items()
            for at in range(0, len(ixs), ORDERS_PER_TX)
        )
    )


async def _epoch(scene: _Scene, epoch: int) -> AuctionEpoch:
    state = await scene.trading.fetch_market(scene.rpc, scene.market)
    assert state is not None
    account = await scene.trading.fetch_epoch(scene.rpc, state, epoch)
    if account is None:
        raise RuntimeError(f"no epoch account holds epoch {epoch}")
    return account


async def _rolls(scene: _Scene, epoch: int) -> int:
    """How many of ``epoch``'s orders (its auction closed) its settlement will roll into the next epoch: the
    rule's allotment (the SDK's reference) leaves them lots, and they roll over (once, which the next
    epoch's end allows)."""
    state = await scene.trading.fetch_market(scene.rpc, scene.market)
    assert state is not None
    account = await _epoch(scene, epoch)
    book = [o.book_order() for o in account.orders]
    allotted = fills(book, account.clearing(state.header.last_clearing_price))
    return sum(o.rollover and filled < o.lots for o, filled in zip(account.orders, allotted, strict=True))


async def _collected(scene: _Scene, epoch: int, orders: int) -> None:
    """Every order joined ``epoch`` (placing did not outlast it)."""
    h = (await _epoch(scene, epoch)).header
    if h.state is not EpochState.COLLECTING or h.order_count != orders:
        raise RuntimeError(
            f"epoch {epoch} holds {h.order_count} of the {orders} orders ({h.state.name}): placing them "
            f"outlasted its {scene.epoch_secs} s; run with a longer --epoch-secs"
        )


async def _settlements(
    scene: _Scene, signatures: Sequence[Signature], epoch: int
) -> tuple[int, int, int, Counter[int]]:
    """(transactions of ``epoch``'s crank, their CU, the settlement transactions' CU, settlements per
    order index) among ``signatures``."""
    transactions = total_cu = settle_cu = 0
    settled: Counter[int] = Counter()
    for signature in signatures:
        tx = await fetch_transaction(scene.rpc, signature)
        for _ in range(50):  # a loaded validator may answer null just after the confirmation
            if tx is not None:
                break
            await asyncio.sleep(0.2)
            tx = await fetch_transaction(scene.rpc, signature)
        if tx is None:
            raise RuntimeError(f"the node has no record of transaction {signature}")
        events = [e for e in trading_events(scene.trading, tx) if getattr(e, "epoch", None) == epoch]
        if not events:
            continue
        cu = int(tx["meta"]["computeUnitsConsumed"])
        transactions += 1
        total_cu += cu
        chunks = [e for e in events if isinstance(e, EpochSettled)]
        if chunks:
            settle_cu += cu
        settled.update(s.index for chunk in chunks for s in chunk.settlements)
    return transactions, total_cu, settle_cu, settled


async def _result(
    scene: _Scene,
    by: str,
    epoch: int,
    chunk: int,
    seconds: float,
    launched: int,
    signatures: Sequence[Signature],
) -> Crank:
    account = await _epoch(scene, epoch)
    h = account.header
    if h.state is not EpochState.SETTLED:
        raise RuntimeError(f"{by} left epoch {epoch} {h.state.name}")
    transactions, total_cu, settle_cu, settled = await _settlements(scene, signatures, epoch)
    live = {o.index for o in account.live}
    if set(settled) != live or set(settled.values()) != {1}:
        raise RuntimeError(f"{by}: the orders of epoch {epoch} were not each settled exactly once")
    settle_transactions = transactions - 1  # one clearing
    return Crank(
        by, epoch, h.order_count, chunk, transactions, settle_transactions, seconds, total_cu, settle_cu,
        h.settled_at - launched,
    )  # fmt: skip


async def _keeper_signatures(rpc: AsyncClient, payer: Pubkey) -> list[Signature]:
    page = (await rpc.get_signatures_for_address(payer, limit=1000, commitment=Confirmed)).value
    return [s.signature for s in reversed(page) if s.err is None]


async def run(
    running: nodes.RunningNode, workdir: Path, orders: int, traders: int, epoch_secs: int
) -> NodeAuction:
    rng = random.Random(SEED)
    async with AsyncClient(running.rpc_url, Confirmed) as rpc:
        scene = await _setup(rpc, running.rpc_url, running.operator, traders, epoch_secs)
        cranker = Keypair()
        keeper = Keypair()
        for wallet in (cranker, keeper):
            ix = transfer(
                TransferParams(
                    from_pubkey=running.operator.pubkey(), to_pubkey=wallet.pubkey(), lamports=5 * SOL
                )
            )
            await _send(rpc, [ix], running.operator)

        # 1. The SDK's crank. Before it runs, the next epoch gets its new orders: with those the first
        # epoch's settlement rolls into it, it holds `orders` for the keeper.
        epoch = await cluster_time(rpc) // epoch_secs + 1
        await _wait_until(rpc, epoch * epoch_secs)
        started = time.perf_counter()
        await _place(scene, orders, epoch, rng)
        placement_secs = time.perf_counter() - started
        await _collected(scene, epoch, orders)
        nxt = epoch + 1
        await _wait_until(rpc, nxt * epoch_secs)
        await _place(scene, orders - await _rolls(scene, epoch), nxt, rng)
        launched = await cluster_time(rpc)
        started = time.perf_counter()
        report = await crank_epoch(rpc, scene.trading, scene.market, epoch, cranker, chunk=MAX_SETTLE_CHUNK)
        seconds = time.perf_counter() - started
        assert report.settled
        signatures = [Signature.from_string(s) for s in report.signatures]
        crank = await _result(scene, "crank", epoch, MAX_SETTLE_CHUNK, seconds, launched, signatures)

        # 2. The keeper, on the next epoch.
        await _collected(scene, nxt, orders)
        await _wait_until(rpc, (nxt + 1) * epoch_secs)
        launched = await cluster_time(rpc)
        seconds = await _keeper_once(workdir, running.rpc_url, keeper, scene.market)
        signatures = await _keeper_signatures(rpc, keeper.pubkey())
        kept = await _result(scene, "keeper", nxt, KEEPER_CHUNK, seconds, launched, signatures)
    return NodeAuction(running.node.value, traders, placement_secs, orders, crank, kept)


async def _keeper_once(workdir: Path, url: str, payer: Keypair, market: Pubkey) -> float:
    """``solgrid keeper run --once`` on ``market``; its seconds from launch to exit."""
    write_keypair(workdir / "keeper-payer.json", payer)
    config = workdir / "keeper.toml"
    config.write_text(
        f'cluster = "{url}"\npayer = "keeper-payer.json"\nmarkets = ["{market}"]\nstatus_file = ""\n'
    )
    solgrid = Path(sys.executable).with_name("solgrid")
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        str(solgrid), "keeper", "run", "--config", str(config), "--once",
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, err = await process.communicate()
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"solgrid keeper run --once exited {process.returncode}: {err.decode()[-2000:]}")
    return seconds


async def on_node(node: nodes.Node, orders: int, traders: int, epoch_secs: int) -> NodeAuction:
    with tempfile.TemporaryDirectory(prefix="solgrid-bench-auction-") as tmp:
        async with nodes.fresh(node, Path(tmp) / "node") as running:
            return await run(running, Path(tmp), orders, traders, epoch_secs)


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--node", choices=["ours", "validator", "both"], default="ours")
    parser.add_argument("--orders", type=int, default=1_000)
    parser.add_argument("--traders", type=int, default=100)
    parser.add_argument("--epoch-secs", type=int, default=60)
    args = parser.parse_args(argv)
    for node in nodes.chosen(args.node):
        result = asyncio.run(on_node(node, args.orders, args.traders, args.epoch_secs))
        report = asdict(result)
        for name in ("crank", "keeper"):
            report[name]["cu_per_order"] = getattr(result, name).cu_per_order
        print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Oracle worker throughput through a node: readings applied on-chain per second.

Starts a fresh node (``bench/nodes.py``: ``solgrid localnet`` or ``solana-test-validator``, a process of
its own with both programs at genesis), sets up a market with ``--meters`` prosumer meters, then runs the
worker with ``--drain`` in this process and prints readings/s (from the first submission to the last
confirmation), the whole run's rate and the readings recorded on chain. The lanes' lookup tables are
created beforehand by a first worker run with nothing to send, as a worker that has been running has
them (on a fresh node each would wait for a finalized slot of its own).
No assertion: the goal of >= 50 readings/s is read off the output.

No clock warp (a validator has none): the market allows window ends up to an hour ahead of the cluster
clock (``max_clock_skew_secs``, the registry's limit), and the readings are the simulator's model
(:func:`solgrid.oracle.simulator.simulate`) for ``--windows`` (at most 59) one-minute windows (the
registry's shortest) of every meter from its activation on, handed to the worker as a CSV file (the
worker's simulator only simulates windows that have ended): all of them are due at once, on either node.
The worker signs them with the device keys, as it signs simulated readings.

    .venv/bin/python bench/oracle_bench.py [--node ours|validator|both] [--meters 12] [--windows 50]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solders.keypair import Keypair

from solgrid.oracle.config import MeterConfig, load_config
from solgrid.oracle.simulator import simulate
from solgrid.oracle.worker import Worker
from solgrid.sdk.energy_token import EnergyTokenClient
from solgrid.sdk.keys import write_keypair
from solgrid.sdk.readings import DeviceSigner
from solgrid.sdk.registry import EnergySource, Limits, RegistryClient, UserRole
from solgrid.sdk.transactions import send_and_confirm

sys.path.insert(0, str(Path(__file__).parent))
import nodes  # sibling module of this directory

ZONE = 1
SEED = 1
WINDOW = 60
"""Seconds per simulated window: the registry's shortest (``Limits.min_window_secs``)."""
LIMITS = Limits(min_window_secs=WINDOW, max_clock_skew_secs=3600)
"""Window ends may lie up to an hour ahead of the cluster clock (the registry's largest skew)."""
MAX_WINDOWS = LIMITS.max_clock_skew_secs // WINDOW - 1
"""Windows per meter that are due at once (one spare: the clock moves on during setup)."""


async def market(rpc: AsyncClient, operator: Keypair, directory: Path, meters: int) -> str:
    """The market and ``meters`` active solar meters; returns the config's [[meters]] tables."""
    registry, token = RegistryClient(), EnergyTokenClient()
    me = operator.pubkey()
    setup = [
        registry.initialize(payer=me, authority=me, limits=LIMITS),
        registry.set_regulators(regulators=[me], threshold=1, cosigners=[me]),
        registry.create_zone(payer=me, zone_id=ZONE, name="bench", max_capacity_kw=1_000_000, cosigners=[me]),
        registry.set_settlement_authority(
            settlement_authority=token.settlement_pda().address, cosigners=[me]
        ),
    ]
    await send_and_confirm(rpc, setup, operator)
    await send_and_confirm(rpc, [token.initialize(payer=me, authority=me)], operator)
    return "".join(await asyncio.gather(*(_meter(rpc, operator, directory, i) for i in range(meters))))


async def _meter(rpc: AsyncClient, operator: Keypair, directory: Path, i: int) -> str:
    """Registers, verifies and activates meter ``i``; returns its [[meters]] table."""
    registry, me = RegistryClient(), operator.pubkey()
    owner, device_pair = Keypair(), Keypair()
    write_keypair(directory / f"device-{i}.json", device_pair)
    serial = f"BENCH-{i:03}"
    await rpc.confirm_transaction((await rpc.request_airdrop(owner.pubkey(), 10**9)).value, Confirmed)
    ixs = [
        registry.register_user(
            payer=owner.pubkey(), authority=owner.pubkey(), role=UserRole.PROSUMER, zone_id=ZONE
        ),
        registry.verify_user(regulator=me, wallet=owner.pubkey()),
        registry.register_meter(
            payer=owner.pubkey(),
            owner=owner.pubkey(),
            zone_id=ZONE,
            serial=serial,
            device_key=DeviceSigner.from_seed(bytes(device_pair)[:32]).public_key,
            source=EnergySource.SOLAR,
            capacity_w=10_000,
        ),
        registry.activate_meter(regulator=me, meter=registry.meter_pda(serial).address),
    ]
    await send_and_confirm(rpc, ixs, owner, [operator])
    return (
        f'[[meters]]\nserial = "{serial}"\nowner = "{owner.pubkey()}"\nzone = {ZONE}\n'
        f'device_key = "device-{i}.json"\nprofile = "solar"\ncapacity_w = 10000\n'
    )


@dataclass(frozen=True)
class OracleResult:
    meters: int
    lanes: int
    readings: int
    transactions: int
    elapsed_secs: float
    submit_rate: float
    on_chain: int
    retries: int
    """Sends the worker retried (a confirmation that timed out, a transient RPC error)."""

    @property
    def overall_rate(self) -> float:
        return self.readings / self.elapsed_secs

    def lines(self) -> list[str]:
        return [
            f"{self.readings} readings from {self.meters} meters in {self.transactions} transactions",
            f"worker run (tables made beforehand; submission, settlement): {self.elapsed_secs:.2f} s",
            f"submission throughput: {self.submit_rate:.1f} readings/s",
            f"overall: {self.overall_rate:.1f} readings/s",
            f"readings recorded on-chain: {self.on_chain} (expected {self.readings})",
            f"retried sends: {self.retries}",
        ]


async def write_readings(
    rpc: AsyncClient, meters: Mapping[str, MeterConfig], path: Path, windows: int
) -> None:
    """``windows`` simulated one-minute readings of each meter, from where its chain state starts."""
    registry, rows = RegistryClient(), ["meter,window_start,window_end,production_wh,consumption_wh"]
    for serial, meter in meters.items():
        state = await registry.fetch_meter(rpc, serial)
        assert state is not None, serial
        for n in range(windows):
            r = simulate(meter, SEED, state.last_window_end + n * WINDOW, WINDOW)
            rows.append(f"{serial},{r.window_start},{r.window_end},{r.production_wh},{r.consumption_wh}")
    path.write_text("\n".join(rows) + "\n")


async def run_worker(
    node: nodes.RunningNode, directory: Path, meters: int, windows: int, lanes: int
) -> OracleResult:
    """The market on ``node``, then the draining worker over ``windows`` windows of each meter."""
    if not 1 <= windows <= MAX_WINDOWS:
        raise ValueError(f"windows must be 1 ..= {MAX_WINDOWS} (one-minute windows up to an hour ahead)")
    async with AsyncClient(node.rpc_url, Confirmed) as rpc:
        tables = await market(rpc, node.operator, directory, meters)
        config = directory / "oracle.toml"
        config.write_text(
            f'cluster = "{node.rpc_url}"\npayer = "{node.operator_file}"\nlanes = {lanes}\n'
            f'status_interval_secs = 5\ncsv = ["readings.csv"]\n{tables}'
        )
        loaded = load_config(config)
        # A first run with nothing to send creates the lanes' lookup tables, as a worker that has been
        # running has them: on a fresh node each table waits for a finalized slot of its own (the root
        # trails the tip by 31 slots), which would otherwise be timed as submission.
        (directory / "readings.csv").write_text("")
        await Worker(loaded, drain=True).run()
        await write_readings(rpc, loaded.meters, directory / "readings.csv", windows)
        worker = Worker(loaded, drain=True)
        started = time.perf_counter()
        await worker.run()
        elapsed = time.perf_counter() - started
        rate = worker.metrics.applied / max(worker.metrics.submit_seconds, 1e-9)
        registry = RegistryClient()
        on_chain = 0
        for i in range(meters):
            state = await registry.fetch_meter(rpc, f"BENCH-{i:03}")
            on_chain += state.reading_count if state is not None else 0
    return OracleResult(
        meters=meters,
        lanes=lanes,
        readings=meters * windows,
        transactions=worker.metrics.transactions,
        elapsed_secs=elapsed,
        submit_rate=rate,
        on_chain=on_chain,
        retries=worker.metrics.retries,
    )


async def bench(node: nodes.Node, meters: int, windows: int, lanes: int) -> OracleResult:
    """:func:`run_worker` on a fresh ``node``."""
    with tempfile.TemporaryDirectory(prefix="solgrid-oracle-bench-") as tmp:
        async with nodes.fresh(node, Path(tmp) / "node") as running:
            return await run_worker(running, Path(tmp), meters, windows, lanes)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--node", choices=[*nodes.CHOICES, "both"], default="both")
    parser.add_argument("--meters", type=int, default=12)
    parser.add_argument(
        "--windows", type=int, choices=range(1, MAX_WINDOWS + 1), default=50, metavar=f"1..{MAX_WINDOWS}"
    )
    parser.add_argument("--lanes", type=int, default=4)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    for node in nodes.chosen(args.node):
        print(f"{node.value}:")
        print("\n".join(asyncio.run(bench(node, args.meters, args.windows, args.lanes)).lines()))


if __name__ == "__main__":
    main()

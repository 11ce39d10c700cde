"""Oracle worker throughput through the local node: readings applied on-chain per second.

Starts ``solgrid localnet`` (a separate process, both programs at genesis), sets up a market with
``--meters`` prosumer meters, moves the node's clock forward so that ``--windows`` simulated windows per
meter are in the past, then runs the worker with ``--drain`` in this process and prints readings/s
(from the first submission to the last confirmation, lookup-table creation excluded) and the settlement
count. No assertion: the goal of >= 50 readings/s is read off the output.

    .venv/bin/python bench/oracle_bench.py [--meters 12] [--windows 50] [--lanes 4]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solders.keypair import Keypair

from solgrid.localnet.process import node_process
from solgrid.oracle.config import load_config
from solgrid.oracle.worker import Worker
from solgrid.sdk.energy_token import EnergyTokenClient
from solgrid.sdk.keys import write_keypair
from solgrid.sdk.readings import DeviceSigner
from solgrid.sdk.registry import EnergySource, Limits, RegistryClient, UserRole
from solgrid.sdk.transactions import send_and_confirm

REPO = Path(__file__).resolve().parents[1]
ZONE = 1
WINDOW = 900


async def market(rpc: AsyncClient, operator: Keypair, directory: Path, meters: int) -> str:
    """The market and ``meters`` active solar meters; returns the config's [[meters]] tables."""
    registry, token = RegistryClient(), EnergyTokenClient()
    me = operator.pubkey()
    setup = [
        registry.initialize(payer=me, authority=me, limits=Limits()),
        registry.set_regulators(regulators=[me], threshold=1, cosigners=[me]),
        registry.create_zone(payer=me, zone_id=ZONE, name="bench", max_capacity_kw=1_000_000, cosigners=[me]),
        registry.set_settlement_authority(
            settlement_authority=token.settlement_pda().address, cosigners=[me]
        ),
    ]
    await send_and_confirm(rpc, setup, operator)
    await send_and_confirm(rpc, [token.initialize(payer=me, authority=me)], operator)
    tables = ""
    for i in range(meters):
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
        tables += (
            f'[[meters]]\nserial = "{serial}"\nowner = "{owner.pubkey()}"\nzone = {ZONE}\n'
            f'device_key = "device-{i}.json"\nprofile = "solar"\ncapacity_w = 10000\n'
        )
    return tables


@dataclass(frozen=True)
class OracleResult:
    meters: int
    lanes: int
    readings: int
    transactions: int
    elapsed_secs: float
    submit_rate: float
    on_chain: int

    @property
    def overall_rate(self) -> float:
        return self.readings / self.elapsed_secs

    def lines(self) -> list[str]:
        return [
            f"{self.readings} readings from {self.meters} meters in {self.transactions} transactions",
            f"worker run (lookup tables, submission, settlement): {self.elapsed_secs:.2f} s",
            f"submission throughput: {self.submit_rate:.1f} readings/s",
            f"overall: {self.overall_rate:.1f} readings/s",
            f"readings recorded on-chain: {self.on_chain} (expected {self.readings})",
        ]


async def bench(meters: int, windows: int, lanes: int) -> OracleResult:
    with tempfile.TemporaryDirectory(prefix="solgrid-oracle-bench-") as tmp:
        directory = Path(tmp)
        operator = Keypair()
        write_keypair(directory / "operator.json", operator)
        args = ["--ledger", str(directory / "ledger"), "--workspace", str(REPO)]
        args += [
            "--upgrade-authority",
            str(directory / "operator.json"),
            "--mint",
            str(directory / "operator.json"),
        ]
        async with node_process(args) as node, AsyncClient(node.rpc_url, Confirmed) as rpc:
            tables = await market(rpc, operator, directory, meters)
            async with httpx.AsyncClient() as http:
                body = {
                    "jsonrpc": "2.0",
                    "id": 1,
                    "method": "solgrid_advanceTime",
                    "params": [WINDOW * windows + 60],
                }
                (await http.post(node.rpc_url, json=body)).raise_for_status()
            config = directory / "oracle.toml"
            config.write_text(
                f'cluster = "{node.rpc_url}"\npayer = "operator.json"\nlanes = {lanes}\n'
                "status_interval_secs = 5\n"
                f"[simulator]\nseed = 1\nwindow_secs = {WINDOW}\nwindows = {windows}\n{tables}"
            )
            worker = Worker(load_config(config), drain=True)
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
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--meters", type=int, default=12)
    parser.add_argument("--windows", type=int, default=50)
    parser.add_argument("--lanes", type=int, default=4)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    print("\n".join(asyncio.run(bench(args.meters, args.windows, args.lanes)).lines()))


if __name__ == "__main__":
    main()

"""Throughput of the local node: simple SOL transfers sent over JSON-RPC by concurrent solana-py clients.

Each client is its own ``AsyncClient`` (its own HTTP connection pool) with its own funded payer; it
signs transfers and keeps ``in_flight`` ``sendTransaction`` requests outstanding (preflight on, at
``confirmed`` as clients use it). After every send has returned, all signatures are confirmed with
getSignatureStatuses. Reported: sends per second (RPC accepted and executed) and end-to-end
transactions per second including confirmation.

Without a URL the node is started as a separate process (``solgrid localnet``), so the clients and
the node do not share one Python thread. Run ``python -m solgrid.localnet.bench [--url URL]``.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from dataclasses import dataclass

from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solana.rpc.types import TxOpts
from solders.hash import Hash
from solders.keypair import Keypair
from solders.message import Message
from solders.signature import Signature
from solders.system_program import TransferParams, transfer
from solders.transaction import VersionedTransaction

from solgrid.localnet.process import node_process

STATUS_BATCH = 256
BLOCKHASH_REFRESH_SECONDS = 10.0
FUNDING_LAMPORTS = 10**12


@dataclass(frozen=True)
class BenchResult:
    transactions: int
    clients: int
    in_flight: int
    send_seconds: float
    total_seconds: float
    confirmed: int
    failed: int

    @property
    def send_tps(self) -> float:
        return self.transactions / self.send_seconds

    @property
    def confirmed_tps(self) -> float:
        return self.confirmed / self.total_seconds

    def summary(self) -> str:
        return (
            f"{self.transactions} transfers, {self.clients} clients x {self.in_flight} in flight: "
            f"sent {self.send_tps:.0f} tx/s, confirmed {self.confirmed_tps:.0f} tx/s "
            f"({self.confirmed} confirmed, {self.failed} failed, {self.total_seconds:.2f} s)"
        )


async def _fund(client: AsyncClient, count: int) -> list[Keypair]:
    payers = [Keypair() for _ in range(count)]
    signatures = [(await client.request_airdrop(p.pubkey(), FUNDING_LAMPORTS)).value for p in payers]
    for signature in signatures:
        await client.confirm_transaction(signature)
    return payers


class _Sender:
    """One client: a payer, a recipient, and its share of the transfers."""

    def __init__(self, url: str, payer: Keypair, count: int, in_flight: int) -> None:
        self.url = url
        self.payer = payer
        self.count = count
        self.in_flight = in_flight
        self.recipient = Keypair().pubkey()
        self.signatures: list[Signature] = []
        self._blockhash = Hash.default()
        self._blockhash_at = 0.0

    async def _current_blockhash(self, client: AsyncClient) -> Hash:
        if time.monotonic() - self._blockhash_at > BLOCKHASH_REFRESH_SECONDS:
            self._blockhash = (await client.get_latest_blockhash()).value.blockhash
            self._blockhash_at = time.monotonic()
        return self._blockhash

    def _transfer(self, blockhash: Hash, lamports: int) -> VersionedTransaction:
        ix = transfer(
            TransferParams(from_pubkey=self.payer.pubkey(), to_pubkey=self.recipient, lamports=lamports)
        )
        return VersionedTransaction(
            Message.new_with_blockhash([ix], self.payer.pubkey(), blockhash), [self.payer]
        )

    async def run(self) -> None:
        async with AsyncClient(self.url, Confirmed) as client:
            await self._current_blockhash(client)
            # Distinct amounts (distinct signatures per blockhash), none below what a new account must
            # hold: whichever lands first creates the recipient (less is InsufficientFundsForRent).
            least = (await client.get_minimum_balance_for_rent_exemption(0)).value
            amounts = iter(range(least, least + self.count))
            opts = TxOpts(skip_confirmation=True, preflight_commitment=Confirmed)

            async def worker() -> None:
                for lamports in amounts:
                    tx = self._transfer(await self._current_blockhash(client), lamports)
                    self.signatures.append((await client.send_transaction(tx, opts)).value)

            await asyncio.gather(*(worker() for _ in range(self.in_flight)))


async def _confirm_all(client: AsyncClient, signatures: list[Signature]) -> tuple[int, int]:
    confirmed = failed = 0
    waiting = list(signatures)
    while waiting:
        still: list[Signature] = []
        for start in range(0, len(waiting), STATUS_BATCH):
            batch = waiting[start : start + STATUS_BATCH]
            for signature, status in zip(
                batch, (await client.get_signature_statuses(batch)).value, strict=True
            ):
                if status is None:
                    still.append(signature)
                elif status.err is None:
                    confirmed += 1
                else:
                    failed += 1
        if still and len(still) == len(waiting):
            await asyncio.sleep(0.1)
        waiting = still
    return confirmed, failed


async def transfer_throughput(
    url: str, *, clients: int = 4, transactions: int = 2000, in_flight: int = 2
) -> BenchResult:
    """Measure transfers through the RPC node at ``url``; see the module docstring."""
    async with AsyncClient(url, Confirmed) as funding:
        payers = await _fund(funding, clients)
        share, extra = divmod(transactions, clients)
        senders = [_Sender(url, p, share + (1 if i < extra else 0), in_flight) for i, p in enumerate(payers)]
        started = time.perf_counter()
        await asyncio.gather(*(s.run() for s in senders))
        sent = time.perf_counter()
        signatures = [sig for s in senders for sig in s.signatures]
        confirmed, failed = await _confirm_all(funding, signatures)
        finished = time.perf_counter()
    return BenchResult(
        transactions=len(signatures),
        clients=clients,
        in_flight=in_flight,
        send_seconds=sent - started,
        total_seconds=finished - started,
        confirmed=confirmed,
        failed=failed,
    )


async def run(url: str | None, clients: int, transactions: int, in_flight: int) -> BenchResult:
    if url is not None:
        return await transfer_throughput(url, clients=clients, transactions=transactions, in_flight=in_flight)
    with tempfile.TemporaryDirectory() as empty_workspace:
        async with node_process(["--no-programs", "--workspace", empty_workspace]) as node:
            return await transfer_throughput(
                node.rpc_url, clients=clients, transactions=transactions, in_flight=in_flight
            )


def main(argv: list[str] | None = None) -> BenchResult:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="an already running node (default: start one)")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--transactions", type=int, default=2000)
    parser.add_argument("--in-flight", type=int, default=2)
    args = parser.parse_args(argv)
    result = asyncio.run(run(args.url, args.clients, args.transactions, args.in_flight))
    print(result.summary())
    return result


if __name__ == "__main__":
    main()

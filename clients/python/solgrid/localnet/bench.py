"""Throughput of the local node: simple SOL transfers sent over JSON-RPC by concurrent solana-py clients.

Each client is its own ``AsyncClient`` (its own HTTP connection pool) with its own funded payer; it
signs transfers to one new recipient and keeps ``in_flight`` ``sendTransaction`` requests outstanding
(preflight on, at ``confirmed`` as clients use it). Every amount is at least the rent-exempt minimum of an
empty account, so whichever transfer lands first may create the recipient on any node (a validator
refuses less: ``InsufficientFundsForRent``). After every send has returned, all signatures are polled
with getSignatureStatuses until each is ``confirmed`` (or finalized), with or without an error, or can no
longer land (the finalized block height is past its blockhash's last valid height: dropped). A transfer
counts as confirmed only if it succeeded, and each recipient must then hold exactly the sum of its
confirmed transfers (else the run fails). Reported: sends per second (accepted by the RPC node: executed
on our node, preflighted and forwarded on a validator) and confirmed successful transfers per second, end
to end. Works against any node (``--url``): the same clients and transactions on our node and a validator.

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
from solana.rpc.commitment import Confirmed, Finalized
from solana.rpc.types import TxOpts
from solders.hash import Hash
from solders.keypair import Keypair
from solders.message import Message
from solders.signature import Signature
from solders.system_program import TransferParams, transfer
from solders.transaction import VersionedTransaction
from solders.transaction_status import TransactionConfirmationStatus

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
    dropped: int = 0

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
            f"({self.confirmed} confirmed, {self.failed} failed, {self.dropped} dropped, "
            f"{self.total_seconds:.2f} s)"
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
        self.sent: dict[Signature, int] = {}
        """Lamports of each transfer the node accepted, by signature."""
        self.last_valid_height = 0
        """The highest last valid block height of the blockhashes used."""
        self._blockhash = Hash.default()
        self._blockhash_at = 0.0

    async def _current_blockhash(self, client: AsyncClient) -> Hash:
        if time.monotonic() - self._blockhash_at > BLOCKHASH_REFRESH_SECONDS:
            latest = (await client.get_latest_blockhash()).value
            self._blockhash, self._blockhash_at = latest.blockhash, time.monotonic()
            self.last_valid_height = max(self.last_valid_height, latest.last_valid_block_height)
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
                    self.sent[(await client.send_transaction(tx, opts)).value] = lamports

            await asyncio.gather(*(worker() for _ in range(self.in_flight)))


@dataclass
class Outcomes:
    succeeded: set[Signature]
    failed: int
    dropped: int


def settled(status: TransactionConfirmationStatus | None) -> bool:
    """Whether a signature's status counts: confirmed or finalized (a processed one may still be lost)."""
    return status in (TransactionConfirmationStatus.Confirmed, TransactionConfirmationStatus.Finalized)


async def _confirm_all(client: AsyncClient, signatures: list[Signature], last_valid_height: int) -> Outcomes:
    """Polls until each signature is confirmed (succeeded or failed), or can no longer land: still
    unconfirmed when the finalized block height is past ``last_valid_height`` (dropped)."""
    outcomes = Outcomes(set(), 0, 0)
    waiting = list(signatures)
    while waiting:
        still: list[Signature] = []
        for start in range(0, len(waiting), STATUS_BATCH):
            batch = waiting[start : start + STATUS_BATCH]
            for signature, status in zip(
                batch, (await client.get_signature_statuses(batch)).value, strict=True
            ):
                if status is None or not settled(status.confirmation_status):
                    still.append(signature)
                elif status.err is None:
                    outcomes.succeeded.add(signature)
                else:
                    outcomes.failed += 1
        if still and len(still) == len(waiting):
            if (await client.get_block_height(Finalized)).value > last_valid_height:
                outcomes.dropped = len(still)
                break
            await asyncio.sleep(0.1)
        waiting = still
    return outcomes


async def _check_balances(client: AsyncClient, senders: list[_Sender], succeeded: set[Signature]) -> None:
    """Each recipient holds exactly what its successful transfers sent (else the statuses were wrong)."""
    for sender in senders:
        expected = sum(lamports for sig, lamports in sender.sent.items() if sig in succeeded)
        held = (await client.get_balance(sender.recipient, Confirmed)).value
        if held != expected:
            raise RuntimeError(
                f"recipient {sender.recipient} holds {held} lamports, but its transfers confirmed as "
                f"successful sent {expected}"
            )


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
        signatures = [sig for s in senders for sig in s.sent]
        outcomes = await _confirm_all(funding, signatures, max(s.last_valid_height for s in senders))
        finished = time.perf_counter()
        await _check_balances(funding, senders, outcomes.succeeded)
    return BenchResult(
        transactions=len(signatures),
        clients=clients,
        in_flight=in_flight,
        send_seconds=sent - started,
        total_seconds=finished - started,
        confirmed=len(outcomes.succeeded),
        failed=outcomes.failed,
        dropped=outcomes.dropped,
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

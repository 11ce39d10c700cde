"""Deploy or upgrade a program over JSON-RPC through BPFLoaderUpgradeable (loader v3).

Works against any RPC node (``solgrid localnet``, solana-test-validator, devnet), using only standard
methods. A deploy is:

1. create and initialize a buffer account sized for the ELF;
2. write the ELF into it in chunks, one transaction each, as large as a transaction allows; the writes
   are independent, so they are all sent concurrently and then confirmed together (any that expire are
   re-sent with a fresh blockhash);
3. either ``DeployWithMaxDataLen`` for a new program (the program keypair signs its creation), or
   ``Upgrade`` of an existing one by its upgrade authority, after ``ExtendProgram`` when the new ELF no
   longer fits the ProgramData account (by at least 10,240 bytes, the least agave 4's loader accepts).

The loader verifies the ELF in step 3, so a broken ELF fails there with the loader's logs.
"""

from __future__ import annotations

import asyncio
import struct
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Commitment, Confirmed
from solana.rpc.core import RPCException
from solana.rpc.types import TxOpts
from solders.hash import Hash
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.message import Message
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.transaction import VersionedTransaction

from solgrid.errors import UserFacingError
from solgrid.sdk import loader

PACKET_DATA_SIZE = 1232
"""Largest serialized transaction a cluster accepts."""
STATUS_BATCH = 256
"""getSignatureStatuses accepts at most this many signatures per call."""
POLL_SECONDS = 0.2
STALLED_SECONDS = 180.0
"""How long a node's slot may stand still before a deploy waiting for the next slot gives up (three
times the longest slot ``solgrid localnet --slot-ms`` allows)."""
MAX_ROUNDS = 5
"""How many times unconfirmed writes are re-sent with a fresh blockhash before giving up."""

_CONFIRMATION_RANK = {
    "processed": 0,
    "confirmed": 1,
    "finalized": 2,
}


class DeployError(UserFacingError):
    """The program could not be deployed; the message says which step failed and why."""


@dataclass(frozen=True)
class DeployResult:
    program_id: Pubkey
    programdata: Pubkey
    upgraded: bool
    signature: Signature
    """The DeployWithMaxDataLen or Upgrade transaction."""
    elf_len: int
    write_transactions: int


Progress = Callable[[str], None]


def _quiet(_message: str) -> None:
    return None


async def deploy_program(
    client: AsyncClient,
    payer: Keypair,
    elf: bytes,
    program: Keypair | Pubkey,
    *,
    authority: Keypair | None = None,
    max_data_len: int | None = None,
    concurrency: int = 32,
    commitment: Commitment = Confirmed,
    progress: Progress = _quiet,
) -> DeployResult:
    """Deploy ``elf`` as ``program`` or upgrade it if it already exists; return what was done.

    ``authority`` (default: ``payer``) becomes the upgrade authority of a new program, and must be the
    upgrade authority of an existing one. A new program needs ``program`` as a Keypair (it signs its
    creation); an upgrade only needs its address.
    """
    authority = authority or payer
    program_id = program.pubkey() if isinstance(program, Keypair) else program
    deployer = _Deployer(client, payer, authority, commitment, concurrency, progress)
    existing = await deployer.existing_programdata_capacity(program_id)
    if existing is None and not isinstance(program, Keypair):
        raise DeployError(f"program {program_id} does not exist; deploying it needs its keypair")
    buffer, writes = await deployer.write_buffer(elf)
    if existing is None:
        assert isinstance(program, Keypair)
        progress(f"deploying {program_id}")
        rent = await deployer.rent(loader.PROGRAM_ACCOUNT_LEN)
        signature = await deployer.send_and_confirm(
            [
                loader.create_program_account(payer.pubkey(), program_id, rent),
                loader.deploy_with_max_data_len(
                    payer.pubkey(), program_id, buffer, authority.pubkey(), max(max_data_len or 0, len(elf))
                ),
            ],
            [program],
            "deploy",
        )
    else:
        capacity, last_deployed = existing
        # The loader refuses to extend or upgrade in the slot the program was deployed, upgraded or
        # extended in.
        await deployer.wait_for_slot_after(last_deployed)
        if len(elf) > capacity:
            extension = loader.extension_for(capacity, len(elf))
            progress(f"extending {program_id} by {extension} bytes")
            await deployer.send_and_confirm(
                [loader.extend_program(program_id, payer.pubkey(), extension)], [], "extend"
            )
            await deployer.wait_for_slot_after(await deployer.current_slot())
        progress(f"upgrading {program_id}")
        signature = await deployer.send_and_confirm(
            [loader.upgrade(program_id, buffer, payer.pubkey(), authority.pubkey())], [], "upgrade"
        )
    return DeployResult(
        program_id=program_id,
        programdata=loader.programdata_address(program_id),
        upgraded=existing is not None,
        signature=signature,
        elf_len=len(elf),
        write_transactions=writes,
    )


async def wait_until_invocable(
    client: AsyncClient, program_id: Pubkey, commitment: Commitment = Confirmed
) -> None:
    """Wait until a program just deployed or upgraded through loader v3 can be invoked: a validator
    refuses it ("Unsupported program id") in the slot of its ProgramData's deployment."""
    account = (await client.get_account_info(loader.programdata_address(program_id), commitment)).value
    if account is None or len(account.data) < loader.PROGRAMDATA_HEADER_LEN:
        return
    (deployed,) = struct.unpack_from("<Q", bytes(account.data), 4)
    await wait_past_slot(client, deployed, commitment)


async def wait_past_slot(
    client: AsyncClient,
    slot: int,
    commitment: Commitment = Confirmed,
    *,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Wait until the node's slot (at ``commitment``) is past ``slot``; a node whose slot does not move
    for ``STALLED_SECONDS`` (by ``clock``) is reported instead of waited for forever."""
    deadline = clock() + STALLED_SECONDS
    last = (await client.get_slot(commitment)).value
    while last <= slot:
        await asyncio.sleep(POLL_SECONDS)
        now = (await client.get_slot(commitment)).value
        if now != last:
            last, deadline = now, clock() + STALLED_SECONDS
        elif clock() > deadline:
            raise DeployError(
                f"the node's {commitment} slot stayed at {last} for {STALLED_SECONDS:g} s "
                f"(waiting for a slot after {slot}): is it producing blocks?"
            )


async def write_buffer(
    client: AsyncClient,
    payer: Keypair,
    elf: bytes,
    *,
    concurrency: int = 32,
    commitment: Commitment = Confirmed,
    progress: Progress = _quiet,
    buffer: Keypair | None = None,
) -> Pubkey:
    """A new loader buffer holding ``elf``, ``payer`` its authority (steps 1 and 2 of a deploy), at
    ``buffer``'s address (default: a new keypair's); for an upgrade by someone else, hand it over with
    :func:`solgrid.sdk.loader.set_buffer_authority`."""
    deployer = _Deployer(client, payer, payer, commitment, concurrency, progress)
    address, _ = await deployer.write_buffer(elf, buffer)
    return address


class _Deployer:
    """The RPC conversation of one deploy."""

    def __init__(
        self,
        client: AsyncClient,
        payer: Keypair,
        authority: Keypair,
        commitment: Commitment,
        concurrency: int,
        progress: Progress,
    ) -> None:
        self.client = client
        self.payer = payer
        self.authority = authority
        self.commitment = commitment
        self.concurrency = max(1, concurrency)
        self.progress = progress

    def _signers(self, extra: Sequence[Keypair]) -> list[Keypair]:
        unique = {bytes(k.pubkey()): k for k in [self.payer, self.authority, *extra]}
        return list(unique.values())

    def _transaction(
        self, instructions: Sequence[Instruction], extra: Sequence[Keypair], blockhash: Hash
    ) -> VersionedTransaction:
        message = Message.new_with_blockhash(list(instructions), self.payer.pubkey(), blockhash)
        required = set(message.account_keys[: message.header.num_required_signatures])
        return VersionedTransaction(message, [k for k in self._signers(extra) if k.pubkey() in required])

    async def rent(self, data_len: int) -> int:
        return (await self.client.get_minimum_balance_for_rent_exemption(data_len, self.commitment)).value

    async def existing_programdata_capacity(self, program_id: Pubkey) -> tuple[int, int] | None:
        """None for a new program; for an upgradeable one, the ELF bytes its ProgramData can hold and
        the slot it was last deployed (or upgraded, or extended) in.

        Raises DeployError if the address holds something else or the authority does not match.
        """
        account = (await self.client.get_account_info(program_id, self.commitment)).value
        if account is None:
            return None
        data = bytes(account.data)
        if account.owner != loader.LOADER_V3 or len(data) < 4 or struct.unpack_from("<I", data)[0] != 2:
            raise DeployError(f"{program_id} exists and is not a BPFLoaderUpgradeable program")
        programdata = loader.programdata_address(program_id)
        pd_account = (await self.client.get_account_info(programdata, self.commitment)).value
        if pd_account is None:
            raise DeployError(f"program {program_id} has no ProgramData account {programdata}")
        pd = bytes(pd_account.data)
        if len(pd) < loader.PROGRAMDATA_HEADER_LEN or pd[12] != 1:
            raise DeployError(f"program {program_id} is immutable (it has no upgrade authority)")
        current = Pubkey.from_bytes(pd[13:45])
        if current != self.authority.pubkey():
            raise DeployError(
                f"program {program_id} has upgrade authority {current}, not {self.authority.pubkey()}"
            )
        (slot,) = struct.unpack_from("<Q", pd, 4)
        return len(pd) - loader.PROGRAMDATA_HEADER_LEN, int(slot)

    def _chunk_size(self, buffer: Pubkey, blockhash: Hash) -> int:
        """The largest write chunk whose transaction still fits in a packet."""
        size = PACKET_DATA_SIZE
        while size > 0:
            ix = loader.write(buffer, self.authority.pubkey(), 0, bytes(size))
            if len(bytes(self._transaction([ix], [], blockhash))) <= PACKET_DATA_SIZE:
                return size
            size -= 1
        raise DeployError("no room for program bytes in a write transaction")

    async def write_buffer(self, elf: bytes, buffer: Keypair | None = None) -> tuple[Pubkey, int]:
        buffer = Keypair() if buffer is None else buffer
        rent = await self.rent(loader.BUFFER_HEADER_LEN + len(elf))
        self.progress(f"creating buffer {buffer.pubkey()} ({len(elf)} bytes)")
        await self.send_and_confirm(
            [
                loader.create_buffer(self.payer.pubkey(), buffer.pubkey(), rent, len(elf)),
                loader.initialize_buffer(buffer.pubkey(), self.authority.pubkey()),
            ],
            [buffer],
            "create buffer",
        )
        blockhash = (await self.client.get_latest_blockhash(self.commitment)).value.blockhash
        chunk = self._chunk_size(buffer.pubkey(), blockhash)
        pending = [
            loader.write(buffer.pubkey(), self.authority.pubkey(), offset, elf[offset : offset + chunk])
            for offset in range(0, len(elf), chunk)
        ]
        self.progress(f"writing {len(pending)} chunks of up to {chunk} bytes")
        total = len(pending)
        for _round in range(MAX_ROUNDS):
            pending = await self._send_round(pending)
            if not pending:
                return buffer.pubkey(), total
            self.progress(f"{len(pending)} writes expired; sending them again")
        raise DeployError(f"{len(pending)} buffer writes did not confirm after {MAX_ROUNDS} attempts")

    async def _send_round(self, instructions: list[Instruction]) -> list[Instruction]:
        """Send one transaction per instruction concurrently; return the ones that expired unconfirmed."""
        latest = (await self.client.get_latest_blockhash(self.commitment)).value
        limit = asyncio.Semaphore(self.concurrency)

        async def send(ix: Instruction) -> Signature:
            async with limit:
                tx = self._transaction([ix], [], latest.blockhash)
                return await self._send(tx, "write")

        signatures = await asyncio.gather(*(send(ix) for ix in instructions))
        unconfirmed = await self._confirm(list(signatures), latest.last_valid_block_height, "write")
        return [ix for ix, sig in zip(instructions, signatures, strict=True) if sig in unconfirmed]

    async def _send(self, tx: VersionedTransaction, what: str) -> Signature:
        opts = TxOpts(skip_confirmation=True, preflight_commitment=self.commitment)
        try:
            return (await self.client.send_raw_transaction(bytes(tx), opts)).value
        except RPCException as e:
            raise DeployError(f"{what} transaction rejected: {_rpc_error_text(e)}") from None

    async def _confirm(self, signatures: list[Signature], last_valid: int, what: str) -> set[Signature]:
        """Wait until every signature reaches the commitment; return those still unconfirmed when their
        blockhash expired. A committed failure raises DeployError."""
        wanted = _CONFIRMATION_RANK[str(self.commitment)]
        waiting = set(signatures)
        while waiting:
            batch_sigs = list(waiting)
            for start in range(0, len(batch_sigs), STATUS_BATCH):
                batch = batch_sigs[start : start + STATUS_BATCH]
                statuses = (await self.client.get_signature_statuses(batch)).value
                for sig, status in zip(batch, statuses, strict=True):
                    if status is None:
                        continue
                    if status.err is not None:
                        raise DeployError(f"{what} transaction {sig} failed: {status.err}")
                    # A node that reports no confirmation status has rooted the transaction.
                    level = status.confirmation_status
                    if level is None or int(level) >= wanted:
                        waiting.discard(sig)
            if not waiting:
                break
            height = (await self.client.get_block_height(self.commitment)).value
            if height > last_valid:
                return waiting
            await asyncio.sleep(POLL_SECONDS)
        return set()

    async def send_and_confirm(
        self, instructions: Sequence[Instruction], extra: Sequence[Keypair], what: str
    ) -> Signature:
        for _round in range(MAX_ROUNDS):
            latest = (await self.client.get_latest_blockhash(self.commitment)).value
            signature = await self._send(self._transaction(instructions, extra, latest.blockhash), what)
            if not await self._confirm([signature], latest.last_valid_block_height, what):
                return signature
        raise DeployError(f"{what} transaction did not confirm after {MAX_ROUNDS} attempts")

    async def current_slot(self) -> int:
        return (await self.client.get_slot(self.commitment)).value

    async def wait_for_slot_after(self, slot: int) -> None:
        await wait_past_slot(self.client, slot, self.commitment)


def _rpc_error_text(error: RPCException) -> str:
    """The message of an RPC error, with the program logs of a failed preflight."""
    detail = error.args[0] if error.args else error
    message = getattr(detail, "message", str(detail))
    data = getattr(detail, "data", None)
    logs = getattr(data, "logs", None) or []
    return message + "".join(f"\n  {line}" for line in logs)

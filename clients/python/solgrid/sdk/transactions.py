"""Sending SolGrid transactions over any standard JSON-RPC endpoint and reading back what they did.

Works the same against the local node, ``solana-test-validator`` and a cluster: sign with the payer and
the extra signers, send with preflight, wait for the requested commitment, then fetch the transaction's
log messages (events are decoded from them).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from solana.exceptions import SolanaRpcException
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Commitment, Confirmed
from solana.rpc.core import RPCException
from solana.rpc.types import TxOpts
from solders.address_lookup_table_account import AddressLookupTableAccount
from solders.hash import Hash
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.message import Message, MessageV0
from solders.signature import Signature
from solders.transaction import VersionedTransaction

from solgrid.errors import UserFacingError
from solgrid.sdk.anchor import ProgramCoder

_CUSTOM_ERROR = re.compile(r"Program (\w+) failed: custom program error: 0x([0-9a-fA-F]+)")


class TransactionFailed(UserFacingError):
    """The cluster rejected a transaction; the message names the program error where one is known."""

    def __init__(self, message: str, logs: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.logs = list(logs)


@dataclass(frozen=True)
class Landed:
    signature: Signature
    slot: int
    logs: list[str]


async def send_and_confirm(
    connection: AsyncClient,
    instructions: Sequence[Instruction],
    payer: Keypair,
    signers: Sequence[Keypair] = (),
    *,
    tables: Sequence[AddressLookupTableAccount] = (),
    commitment: Commitment = Confirmed,
    coders: Sequence[ProgramCoder] = (),
) -> Landed:
    """Send ``instructions`` in one transaction paid by ``payer``; return its signature, slot and logs.

    With lookup ``tables`` the transaction is a v0 one resolving non-signer accounts through them
    (:mod:`solgrid.sdk.lookup_tables`); without, a legacy one. ``coders`` turn a custom program error
    into its IDL name and message.
    """
    try:
        return await _send_and_confirm(connection, instructions, payer, signers, tables, commitment, coders)
    except SolanaRpcException as e:
        raise TransactionFailed(f"cannot reach the RPC endpoint: {e.__cause__ or e}") from None


async def _send_and_confirm(
    connection: AsyncClient,
    instructions: Sequence[Instruction],
    payer: Keypair,
    signers: Sequence[Keypair],
    tables: Sequence[AddressLookupTableAccount],
    commitment: Commitment,
    coders: Sequence[ProgramCoder],
) -> Landed:
    blockhash = (await connection.get_latest_blockhash(commitment)).value.blockhash
    tx = build_transaction(instructions, payer, signers, blockhash, tables)
    try:
        sent = await connection.send_transaction(tx, opts=TxOpts(preflight_commitment=commitment))
    except RPCException as e:
        logs = _preflight_logs(e)
        raise TransactionFailed(_describe_failure(_rpc_message(e), logs, coders), logs) from None
    signature = sent.value
    await connection.confirm_transaction(signature, commitment)
    fetched = await connection.get_transaction(
        signature, "json", commitment, max_supported_transaction_version=0
    )
    if fetched.value is None:
        raise TransactionFailed(f"transaction {signature} confirmed but the node has no record of it")
    meta = fetched.value.transaction.meta
    logs = list(meta.log_messages or []) if meta is not None else []
    if meta is not None and meta.err is not None:
        raise TransactionFailed(_describe_failure(str(meta.err), logs, coders), logs)
    return Landed(signature=signature, slot=fetched.value.slot, logs=logs)


def build_transaction(
    instructions: Sequence[Instruction],
    payer: Keypair,
    signers: Sequence[Keypair],
    blockhash: Hash,
    tables: Sequence[AddressLookupTableAccount] = (),
) -> VersionedTransaction:
    """A signed transaction, payer first: v0 through ``tables`` when given, else legacy."""
    message: Message | MessageV0
    if tables:
        message = MessageV0.try_compile(payer.pubkey(), list(instructions), list(tables), blockhash)
    else:
        message = Message.new_with_blockhash(list(instructions), payer.pubkey(), blockhash)
    keypairs = {bytes(k.pubkey()): k for k in (payer, *signers)}
    return VersionedTransaction(message, list(keypairs.values()))


def _rpc_message(error: RPCException) -> str:
    detail = error.args[0] if error.args else error
    return str(getattr(detail, "message", detail))


def _preflight_logs(error: RPCException) -> list[str]:
    detail = error.args[0] if error.args else None
    data = getattr(detail, "data", None)
    return list(getattr(data, "logs", None) or [])


def _describe_failure(message: str, logs: Sequence[str], coders: Sequence[ProgramCoder]) -> str:
    """``message``, with the failing program's IDL error (name and text) when the logs give its code. The
    first ``failed`` line is the program that raised it: callers up a CPI chain log the same code after."""
    for line in logs:
        m = _CUSTOM_ERROR.search(line)
        if not m:
            continue
        code = int(m.group(2), 16)
        for coder in coders:
            if str(coder.program_id) == m.group(1) and (info := coder.error(code)) is not None:
                return f"{coder.idl.metadata['name']}: {info}"
        return f"{message} (program {m.group(1)}, custom error {code})"
    return message

"""Helpers shared by the local node tests (plain functions over solana-py and raw JSON-RPC)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import httpx
from solana.rpc.async_api import AsyncClient
from solana.rpc.types import TxOpts
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.message import Message
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.system_program import TransferParams, transfer
from solders.transaction import VersionedTransaction

SOL = 10**9
NEW_ACCOUNT_MINIMUM = 890_880
"""The least a transfer may leave in a new account: its rent-exempt minimum (0 bytes of data). A
validator refuses less (InsufficientFundsForRent), and so does the node."""


async def funded(client: AsyncClient, lamports: int = 10 * SOL) -> Keypair:
    """A new keypair funded by an airdrop (confirmed)."""
    keypair = Keypair()
    signature = (await client.request_airdrop(keypair.pubkey(), lamports)).value
    await client.confirm_transaction(signature)
    return keypair


async def build_tx(
    client: AsyncClient, payer: Keypair, instructions: Sequence[Instruction], signers: Sequence[Keypair] = ()
) -> VersionedTransaction:
    blockhash = (await client.get_latest_blockhash()).value.blockhash
    message = Message.new_with_blockhash(list(instructions), payer.pubkey(), blockhash)
    unique = {bytes(k.pubkey()): k for k in [payer, *signers]}
    return VersionedTransaction(message, list(unique.values()))


async def send(
    client: AsyncClient,
    payer: Keypair,
    instructions: Sequence[Instruction],
    signers: Sequence[Keypair] = (),
    *,
    skip_preflight: bool = False,
) -> Signature:
    """Send (preflight at the client's commitment) and confirm; returns the signature."""
    tx = await build_tx(client, payer, instructions, signers)
    opts = TxOpts(skip_preflight=skip_preflight, preflight_commitment=client.commitment)
    signature = (await client.send_transaction(tx, opts)).value
    await client.confirm_transaction(signature)
    return signature


def transfer_ix(source: Keypair, destination: Pubkey, lamports: int) -> Instruction:
    return transfer(TransferParams(from_pubkey=source.pubkey(), to_pubkey=destination, lamports=lamports))


async def raw_rpc(url: str, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    """POST a JSON-RPC body (an object, a list, or raw bytes) without any client library."""
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    async with httpx.AsyncClient() as http:
        return await http.post(
            url, content=content, headers={"Content-Type": "application/json", **(headers or {})}
        )


async def call(url: str, method: str, params: list[Any] | None = None) -> Any:
    """One JSON-RPC call; returns the response object (with "result" or "error")."""
    response = await raw_rpc(url, {"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []})
    return response.json()


async def invoke_logs(client: AsyncClient, payer: Keypair, program_id: Pubkey) -> list[str]:
    """Invoke ``program_id`` with no accounts and empty data in a committed transaction (whatever the
    program answers) and return the transaction's logs."""
    signature = await send(client, payer, [Instruction(program_id, b"", [])], skip_preflight=True)
    result = (await client.get_transaction(signature)).value
    assert result is not None and result.transaction.meta is not None
    return list(result.transaction.meta.log_messages or [])


def program_ran(logs: list[str], program_id: Pubkey) -> bool:
    """True when the VM executed the program: only then does the runtime log its compute units."""
    return any(line.startswith(f"Program {program_id} consumed ") for line in logs)

"""Transactions as getTransaction (json, jsonParsed, base64, base58) and getSignaturesForAddress show them."""

from __future__ import annotations

import base64
from typing import Any

import base58
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction

from solgrid.localnet import parsed_instructions, txmeta
from solgrid.localnet.rpc_errors import invalid_param
from solgrid.localnet.store import StoredTransaction

TOP_LEVEL_STACK_HEIGHT = 1
"""The ``stackHeight`` agave 4.2.2 gives a transaction's own instructions in the "json" encoding."""
TRANSACTION_ENCODINGS = frozenset({"json", "jsonParsed", "base64", "base58", "binary"})


def transaction_version(tx: VersionedTransaction) -> Any:
    version = tx.version()
    return version if isinstance(version, int) else "legacy"


def _header_json(tx: VersionedTransaction) -> dict[str, int]:
    header = tx.message.header
    return {
        "numRequiredSignatures": header.num_required_signatures,
        "numReadonlySignedAccounts": header.num_readonly_signed_accounts,
        "numReadonlyUnsignedAccounts": header.num_readonly_unsigned_accounts,
    }


def _lookups_json(message: MessageV0) -> list[dict[str, Any]]:
    return [
        {
            "accountKey": str(lookup.account_key),
            "writableIndexes": list(bytes(lookup.writable_indexes)),
            "readonlyIndexes": list(bytes(lookup.readonly_indexes)),
        }
        for lookup in message.address_table_lookups
    ]


def transaction_json(tx: VersionedTransaction) -> dict[str, Any]:
    """UiTransaction with a raw message (encoding "json")."""
    message = tx.message
    ui_message: dict[str, Any] = {
        "header": _header_json(tx),
        "accountKeys": [str(k) for k in message.account_keys],
        "recentBlockhash": str(message.recent_blockhash),
        "instructions": [
            txmeta.compiled_instruction_json(
                ix.program_id_index, bytes(ix.accounts), bytes(ix.data), TOP_LEVEL_STACK_HEIGHT
            )
            for ix in message.instructions
        ],
    }
    if isinstance(message, MessageV0):
        ui_message["addressTableLookups"] = _lookups_json(message)
    return {"signatures": [str(s) for s in tx.signatures], "message": ui_message}


def transaction_json_parsed(
    tx: VersionedTransaction, meta: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """UiTransaction with a parsed message (encoding "jsonParsed") and the meta with parsed inner
    instructions: each parsed as :mod:`solgrid.localnet.parsed_instructions` does, or partially decoded
    (program, accounts, base-58 data) when its program has no parser or it does not parse."""
    message = tx.message
    keys = txmeta.resolve_account_keys(message, lambda _: None)
    static = [str(k) for k in message.account_keys]
    loaded = meta.get("loadedAddresses") or {"writable": [], "readonly": []}
    all_keys = static + list(loaded["writable"]) + list(loaded["readonly"])
    writable = (
        (keys.writable if keys is not None else [False] * len(static))
        + [True] * len(loaded["writable"])
        + [False] * len(loaded["readonly"])
    )
    programs = {ix.program_id_index for ix in message.instructions}
    signed = message.header.num_required_signatures
    account_keys = [
        {
            "pubkey": key,
            "writable": writable[i] and i not in programs,
            "signer": i < signed,
            "source": "transaction" if i < len(static) else "lookupTable",
        }
        for i, key in enumerate(all_keys)
    ]
    pubkeys = [Pubkey.from_string(k) for k in all_keys]
    instructions = [
        parsed_instructions.ui_instruction(
            pubkeys[ix.program_id_index], [all_keys[i] for i in bytes(ix.accounts)], bytes(ix.data), 1
        )
        for ix in message.instructions
    ]
    ui_message: dict[str, Any] = {
        "accountKeys": account_keys,
        "recentBlockhash": str(message.recent_blockhash),
        "instructions": instructions,
    }
    if isinstance(message, MessageV0):
        ui_message["addressTableLookups"] = _lookups_json(message)
    parsed_meta = dict(meta)
    parsed_meta["innerInstructions"] = (
        None
        if meta.get("innerInstructions") is None
        else parsed_instructions.parsed_inner_instructions(pubkeys, meta["innerInstructions"])
    )
    parsed_meta.pop("loadedAddresses", None)
    return {"signatures": [str(s) for s in tx.signatures], "message": ui_message}, parsed_meta


def confirmed_transaction(stored: StoredTransaction, encoding: str, include_version: bool) -> dict[str, Any]:
    """EncodedConfirmedTransactionWithStatusMeta for getTransaction."""
    if encoding not in TRANSACTION_ENCODINGS:
        raise invalid_param(f"unsupported transaction encoding `{encoding}`")
    tx = VersionedTransaction.from_bytes(stored.raw)
    meta = stored.meta
    transaction: Any
    if encoding == "json":
        transaction = transaction_json(tx)
    elif encoding == "jsonParsed":
        transaction, meta = transaction_json_parsed(tx, meta)
    elif encoding == "base64":
        transaction = [base64.b64encode(stored.raw).decode(), "base64"]
    elif encoding == "base58":
        transaction = [base58.b58encode(stored.raw).decode(), "base58"]
    else:
        transaction = base58.b58encode(stored.raw).decode()
    result: dict[str, Any] = {
        "slot": stored.slot,
        "blockTime": stored.block_time,
        "transaction": transaction,
        "meta": meta,
    }
    if include_version:
        result["version"] = transaction_version(tx)
    return result


def confirmation_status(slot: int, root: int) -> str:
    """A committed transaction's status: finalized once its slot is rooted (it is confirmed at once)."""
    return "finalized" if slot <= root else "confirmed"


def signature_info(stored: StoredTransaction, root: int) -> dict[str, Any]:
    """RpcConfirmedTransactionStatusWithSignature for getSignaturesForAddress."""
    tx = VersionedTransaction.from_bytes(stored.raw)
    return {
        "signature": str(tx.signatures[0]),
        "slot": stored.slot,
        "err": stored.err,
        "memo": txmeta.memo_text(tx.message),
        "blockTime": stored.block_time,
        "confirmationStatus": confirmation_status(stored.slot, root),
    }


def is_v0(stored: StoredTransaction) -> bool:
    return isinstance(VersionedTransaction.from_bytes(stored.raw).message, MessageV0)

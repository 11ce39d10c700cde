"""simulateTransaction's answer (RpcSimulateTransactionResult) and sendTransaction's preflight failure, as
agave 4.2.2 shapes them, and which errors mean a transaction was refused before it was processed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from solders.hash import Hash
from solders.message import Message, MessageV0

NOT_PROCESSED_ERRORS = frozenset(
    {
        "AccountNotFound",
        "InsufficientFundsForFee",
        "InvalidAccountForFee",
        "AlreadyProcessed",
        "BlockhashNotFound",
        "SignatureFailure",
        "MissingSignatureForFee",
        "SanitizeFailure",
        "AccountLoadedTwice",
        "TooManyAccountLocks",
        "UnsupportedVersion",
        "AddressLookupTableNotFound",
        "InvalidAddressLookupTableOwner",
        "InvalidAddressLookupTableData",
        "InvalidAddressLookupTableIndex",
        "DuplicateInstruction",
        "InvalidLoadedAccountsDataSizeLimit",
    }
)
"""Errors of a transaction refused before it was processed: it paid no fee and loaded nothing, and a
simulation of it reports neither (``fee`` null, ``loadedAccountsDataSize`` 0)."""


def was_processed(err: Any) -> bool:
    name = next(iter(err)) if isinstance(err, dict) else err
    return err is None or name not in NOT_PROCESSED_ERRORS


def simulation_result(
    err: Any,
    logs: Sequence[str] = (),
    units: int = 0,
    return_data: dict[str, Any] | None = None,
    accounts: list[Any] | None = None,
    inner: list[dict[str, Any]] | None = None,
    replacement: dict[str, Any] | None = None,
    *,
    fee: int | None = None,
    loaded_size: int = 0,
    loaded_addresses: dict[str, list[str]] | None = None,
    balances: tuple[list[int], list[int]] | None = None,
    token_balances: tuple[list[dict[str, Any]], list[dict[str, Any]]] | None = None,
) -> dict[str, Any]:
    """RpcSimulateTransactionResult as agave 4.2.2 answers it; a preflight failure's ``data`` leaves
    ``loadedAddresses`` and the balances null."""
    return {
        "err": err,
        "logs": list(logs),
        "accounts": accounts,
        "unitsConsumed": units,
        "loadedAccountsDataSize": loaded_size,
        "returnData": return_data,
        "innerInstructions": inner,
        "replacementBlockhash": replacement,
        "fee": fee,
        "loadedAddresses": loaded_addresses,
        "preBalances": None if balances is None else balances[0],
        "postBalances": None if balances is None else balances[1],
        "preTokenBalances": None if token_balances is None else token_balances[0],
        "postTokenBalances": None if token_balances is None else token_balances[1],
    }


def as_preflight(simulation: dict[str, Any]) -> dict[str, Any]:
    """A simulation as sendTransaction's preflight failure carries it (no loaded addresses, no balances)."""
    nulls = ("loadedAddresses", "preBalances", "postBalances", "preTokenBalances", "postTokenBalances")
    return {**simulation, **dict.fromkeys(nulls)}


def with_blockhash(message: Message | MessageV0, blockhash: Hash) -> Message | MessageV0:
    """``message`` with another recent blockhash (simulateTransaction's ``replaceRecentBlockhash``)."""
    if isinstance(message, MessageV0):
        return MessageV0(
            message.header,
            list(message.account_keys),
            blockhash,
            list(message.instructions),
            list(message.address_table_lookups),
        )
    header = message.header
    return Message.new_with_compiled_instructions(
        header.num_required_signatures,
        header.num_readonly_signed_accounts,
        header.num_readonly_unsigned_accounts,
        list(message.account_keys),
        blockhash,
        list(message.instructions),
    )

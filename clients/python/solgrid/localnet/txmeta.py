"""What a validator records about a transaction: account keys, fee, balances, token balances and meta.

The meta is kept in the RPC's JSON form (UiTransactionStatusMeta: ``err``, ``status``, ``fee``,
``pre/postBalances``, ``pre/postTokenBalances``, ``innerInstructions``, ``logMessages``,
``loadedAddresses``, ``returnData``, ``computeUnitsConsumed``), so getTransaction serves it as stored.
"""

from __future__ import annotations

import base64
import struct
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import base58
from solders.account import Account
from solders.address_lookup_table_account import AddressLookupTable
from solders.message import Message, MessageV0
from solders.pubkey import Pubkey
from solders.transaction_metadata import InnerInstruction, TransactionMetadata
from solders.transaction_status import TransactionReturnData

from solgrid.localnet import tokens

LAMPORTS_PER_SIGNATURE = 5000
"""Charged per transaction signature and per precompile-verified signature (agave's fee structure)."""
MICRO_LAMPORTS_PER_LAMPORT = 1_000_000
MAX_COMPUTE_UNIT_LIMIT = 1_400_000
DEFAULT_INSTRUCTION_COMPUTE_UNIT_LIMIT = 200_000
MAX_BUILTIN_ALLOCATION_COMPUTE_UNIT_LIMIT = 3_000
"""The default compute-unit limit of a transaction without SetComputeUnitLimit: this per builtin
instruction, DEFAULT_INSTRUCTION_COMPUTE_UNIT_LIMIT per other instruction (agave 4)."""

ED25519_PROGRAM_ID = Pubkey.from_string("Ed25519SigVerify111111111111111111111111111")
SECP256K1_PROGRAM_ID = Pubkey.from_string("KeccakSecp256k11111111111111111111111111111")
SECP256R1_PROGRAM_ID = Pubkey.from_string("Secp256r1SigVerify1111111111111111111111111")
PRECOMPILES = frozenset({ED25519_PROGRAM_ID, SECP256K1_PROGRAM_ID, SECP256R1_PROGRAM_ID})
SYSTEM_PROGRAM_ID = Pubkey.from_string("11111111111111111111111111111111")
COMPUTE_BUDGET_PROGRAM_ID = Pubkey.from_string("ComputeBudget111111111111111111111111111111")
BUILTIN_PROGRAM_IDS = frozenset(
    {
        Pubkey.from_string("Vote111111111111111111111111111111111111111"),
        SYSTEM_PROGRAM_ID,
        COMPUTE_BUDGET_PROGRAM_ID,
        Pubkey.from_string("BPFLoaderUpgradeab1e11111111111111111111111"),
        Pubkey.from_string("BPFLoader1111111111111111111111111111111111"),
        Pubkey.from_string("BPFLoader2111111111111111111111111111111111"),
        Pubkey.from_string("LoaderV411111111111111111111111111111111111"),
        SECP256K1_PROGRAM_ID,
        ED25519_PROGRAM_ID,
    }
)
"""The programs agave's compute budget counts as builtins (solana-builtins-default-costs)."""
ADDRESS_LOOKUP_TABLE_PROGRAM_ID = Pubkey.from_string("AddressLookupTab1e1111111111111111111111111")
MEMO_PROGRAM_IDS = frozenset(
    {
        Pubkey.from_string("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr"),
        Pubkey.from_string("Memo1UhkJRfHyvLMcVucJwxXeuD728EqVDDwQDxFMNo"),
    }
)

AnyMessage = Message | MessageV0
AccountLookup = Callable[[Pubkey], "Account | None"]


@dataclass(frozen=True)
class AccountKeys:
    """All account keys of a message (static, then loaded writable, then loaded readonly)."""

    keys: list[Pubkey]
    writable: list[bool]
    program_indexes: frozenset[int]
    loaded_writable: list[Pubkey]
    loaded_readonly: list[Pubkey]

    def written(self) -> list[int]:
        """Indexes of the keys a successful transaction may have written (writable, not invoked)."""
        return [i for i, w in enumerate(self.writable) if w and i not in self.program_indexes]


def _static_writable(message: AnyMessage, count: int) -> list[bool]:
    header = message.header
    signed = header.num_required_signatures
    writable_signed = signed - header.num_readonly_signed_accounts
    writable_unsigned_end = count - header.num_readonly_unsigned_accounts
    return [(i < writable_signed) if i < signed else (i < writable_unsigned_end) for i in range(count)]


def resolve_account_keys(message: AnyMessage, lookup: AccountLookup) -> AccountKeys | None:
    """The message's keys with address-table lookups resolved; None if a table or index is missing
    (the transaction then fails to load and LiteSVM reports the error)."""
    static = list(message.account_keys)
    writable = _static_writable(message, len(static))
    loaded_writable: list[Pubkey] = []
    loaded_readonly: list[Pubkey] = []
    if isinstance(message, MessageV0):
        for table_lookup in message.address_table_lookups:
            table = lookup(table_lookup.account_key)
            if table is None or table.owner != ADDRESS_LOOKUP_TABLE_PROGRAM_ID:
                return None
            try:
                addresses = AddressLookupTable.deserialize(bytes(table.data)).addresses
                loaded_writable += [addresses[i] for i in bytes(table_lookup.writable_indexes)]
                loaded_readonly += [addresses[i] for i in bytes(table_lookup.readonly_indexes)]
            except (IndexError, ValueError):
                return None
    keys = static + loaded_writable + loaded_readonly
    writable += [True] * len(loaded_writable) + [False] * len(loaded_readonly)
    programs = frozenset(ix.program_id_index for ix in message.instructions)
    return AccountKeys(keys, writable, programs, loaded_writable, loaded_readonly)


def _program_ids(message: AnyMessage) -> list[Pubkey | None]:
    keys = message.account_keys
    return [
        keys[ix.program_id_index] if ix.program_id_index < len(keys) else None for ix in message.instructions
    ]


SET_LOADED_ACCOUNTS_DATA_SIZE_LIMIT = 4
"""The ComputeBudget instruction discriminant of SetLoadedAccountsDataSizeLimit."""


def compute_budget_requests(message: AnyMessage) -> dict[int, int] | None:
    """The value each ComputeBudget instruction of the message asks for, by discriminant (1 heap frame,
    2 unit limit, 3 unit price, 4 loaded-data limit); None when they are invalid (the transaction then
    fails)."""
    requested: dict[int, int] = {}
    for program_id, ix in zip(_program_ids(message), message.instructions, strict=True):
        if program_id != COMPUTE_BUDGET_PROGRAM_ID:
            continue
        data = bytes(ix.data)
        size = {1: 4, 2: 4, 3: 8, 4: 4}.get(data[0] if data else -1)
        if size is None or len(data) < 1 + size or data[0] in requested:
            return None
        requested[data[0]] = int.from_bytes(data[1 : 1 + size], "little")
    heap = requested.get(1)
    if heap is not None and not (32 * 1024 <= heap <= 256 * 1024 and heap % 1024 == 0):
        return None
    if requested.get(SET_LOADED_ACCOUNTS_DATA_SIZE_LIMIT) == 0:
        return None
    return requested


def compute_budget(message: AnyMessage) -> tuple[int, int] | None:
    """(compute-unit limit, compute-unit price in micro-lamports) as agave 4 derives them from the
    message's ComputeBudget instructions; None when those are invalid (the transaction then fails)."""
    requested = compute_budget_requests(message)
    if requested is None:
        return None
    limit = requested.get(2)
    if limit is None:
        kinds = [p in BUILTIN_PROGRAM_IDS for p in _program_ids(message)]
        builtins = sum(kinds)
        limit = (
            builtins * MAX_BUILTIN_ALLOCATION_COMPUTE_UNIT_LIMIT
            + (len(kinds) - builtins) * DEFAULT_INSTRUCTION_COMPUTE_UNIT_LIMIT
        )
    return min(limit, MAX_COMPUTE_UNIT_LIMIT), requested.get(3, 0)


def prioritization_fee(message: AnyMessage) -> int | None:
    """Compute-unit price times limit, in lamports rounded up; None when the budget is invalid."""
    budget = compute_budget(message)
    if budget is None:
        return None
    limit, price = budget
    return -(-(price * limit) // MICRO_LAMPORTS_PER_LAMPORT)


def compute_fee(message: AnyMessage) -> int | None:
    """The fee agave 4 charges: per transaction signature and per precompile-verified signature, plus
    the prioritization fee. None when the ComputeBudget instructions are invalid: such a transaction
    fails without paying, and getFeeForMessage answers null (as solana-test-validator 4.2.2 does)."""
    priority = prioritization_fee(message)
    if priority is None:
        return None
    signatures = message.header.num_required_signatures
    for program_id, ix in zip(_program_ids(message), message.instructions, strict=True):
        if program_id in PRECOMPILES and ix.data:
            signatures += bytes(ix.data)[0]
    return signatures * LAMPORTS_PER_SIGNATURE + priority


def compiled_instruction_json(program_id_index: int, accounts: bytes, data: bytes, stack_height: Any) -> Any:
    return {
        "programIdIndex": program_id_index,
        "accounts": list(accounts),
        "data": base58.b58encode(data).decode(),
        "stackHeight": stack_height,
    }


def inner_instructions_json(inner: Sequence[Sequence[InnerInstruction]]) -> list[dict[str, Any]]:
    """UiInnerInstructions for the top-level instructions that made CPIs (others are omitted)."""
    result = []
    for index, instructions in enumerate(inner):
        if not instructions:
            continue
        result.append(
            {
                "index": index,
                "instructions": [
                    compiled_instruction_json(
                        ii.instruction().program_id_index,
                        bytes(ii.instruction().accounts),
                        bytes(ii.instruction().data),
                        ii.stack_height(),  # type: ignore[attr-defined]  # missing from solders' stub
                    )
                    for ii in instructions
                ],
            }
        )
    return result


def return_data_json(meta: TransactionMetadata) -> dict[str, Any] | None:
    """The transaction's return data, or None when it is empty."""
    # solders 0.26's stub names the method transaction_return_data; the extension module has return_data.
    return_data: TransactionReturnData = meta.return_data()  # type: ignore[attr-defined]
    if not return_data.data:  # a validator records return data only when a program set some
        return None
    return {
        "programId": str(return_data.program_id),
        "data": [base64.b64encode(bytes(return_data.data)).decode(), "base64"],
    }


def token_balances(
    keys: Sequence[Pubkey], accounts: Sequence[Account | None], lookup: AccountLookup, *, stored: bool = False
) -> list[dict[str, Any]]:
    """UiTransactionTokenBalance entries for every initialized token account among ``accounts``;
    ``stored``: as a validator answers them from its ledger (``stored_ui_token_amount``)."""
    balances = []
    decimals_cache: dict[Pubkey, int | None] = {}
    for index, account in enumerate(accounts):
        if account is None or account.owner not in tokens.TOKEN_PROGRAM_IDS:
            continue
        parsed = tokens.parse_token_account(account.owner, bytes(account.data))
        if parsed is None:
            continue
        if parsed.mint not in decimals_cache:
            decimals_cache[parsed.mint] = mint_decimals(lookup, parsed.mint)
        decimals = decimals_cache[parsed.mint]
        if decimals is None:
            continue
        balances.append(
            {
                "accountIndex": index,
                "mint": str(parsed.mint),
                "uiTokenAmount": (stored_ui_token_amount if stored else tokens.ui_token_amount)(
                    parsed.amount, decimals
                ),
                "owner": str(parsed.owner),
                "programId": str(account.owner),
            }
        )
    return balances


def stored_ui_token_amount(amount: int, decimals: int) -> dict[str, Any]:
    """A UiTokenAmount as it comes back from a validator's ledger (agave's storage conversion): a
    ``uiAmount`` within f64 epsilon of zero is stored as 0.0 and read back as null."""
    ui = tokens.ui_token_amount(amount, decimals)
    if abs(ui["uiAmount"]) <= sys.float_info.epsilon:
        ui["uiAmount"] = None
    return ui


def mint_decimals(lookup: AccountLookup, mint: Pubkey) -> int | None:
    account = lookup(mint)
    if account is None:
        return None
    parsed = tokens.parse_mint(account.owner, bytes(account.data))
    return None if parsed is None else parsed.decimals


def has_token_accounts(accounts: Sequence[Account | None]) -> bool:
    return any(a is not None and a.owner in tokens.TOKEN_PROGRAM_IDS for a in accounts)


def memo_text(message: AnyMessage) -> str | None:
    """The memos of a transaction as getSignaturesForAddress shows them ("[len] text; ...")."""
    keys = message.account_keys
    memos = []
    for ix in message.instructions:
        if ix.program_id_index < len(keys) and keys[ix.program_id_index] in MEMO_PROGRAM_IDS:
            data = bytes(ix.data)
            memos.append(f"[{len(data)}] {data.decode('utf-8', errors='replace')}")
    return "; ".join(memos) if memos else None


def nonce_of(data: bytes) -> bytes | None:
    """The durable nonce stored in an initialized nonce account, or None."""
    if len(data) < 72:
        return None
    _version, state = struct.unpack_from("<II", data, 0)
    return data[40:72] if state == 1 else None


def advance_nonce_account(message: AnyMessage) -> Pubkey | None:
    """The nonce account if the first instruction is SystemProgram.AdvanceNonceAccount."""
    if not message.instructions:
        return None
    first = message.instructions[0]
    keys = message.account_keys
    data = bytes(first.data)
    accounts = bytes(first.accounts)
    if (
        first.program_id_index < len(keys)
        and keys[first.program_id_index] == SYSTEM_PROGRAM_ID
        and data[:4] == struct.pack("<I", 4)
        and accounts
        and accounts[0] < len(keys)
    ):
        return keys[accounts[0]]
    return None

"""Blocks as getBlock answers them (UiConfirmedBlock), from the node's ledger.

Every slot of the node has a block: the one it produced, or, for the slots a warp passed over, the empty
block the warp stands for (``timeline``): its blockhash is the stand-in SlotHashes lists
(``empty_slot_hash``), its parent the slot before it, its time that of the block the warp produced. The
block height equals the slot, as everywhere on this node.

The shapes are agave 4.2.2's (``transactionDetails`` full, accounts, signatures or none; the encodings of
getTransaction; ``rewards`` on or off; a v0 transaction needs ``maxSupportedTransactionVersion``). The
node pays no one fees or rewards, so ``rewards`` is always empty.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from solders.transaction import VersionedTransaction

from solgrid.localnet import render
from solgrid.localnet.rpc_errors import UNSUPPORTED_TRANSACTION_VERSION, RpcError, invalid_params
from solgrid.localnet.slot_hashes import empty_slot_hash
from solgrid.localnet.store import LedgerStore, StoredBlock, StoredTransaction

TRANSACTION_DETAILS = frozenset({"full", "accounts", "signatures", "none"})
BLOCK_ENCODINGS = frozenset({"json", "jsonParsed", "base64", "base58", "binary"})
MAX_TRANSACTION_VERSION = 255
_SIMPLE_META_KEYS = (
    "err",
    "status",
    "fee",
    "preBalances",
    "postBalances",
    "preTokenBalances",
    "postTokenBalances",
)
"""What ``transactionDetails: accounts`` keeps of a transaction's meta (besides rewards)."""
_BAD_CONFIG = "data did not match any variant of untagged enum RpcEncodingConfigWrapper."


@dataclass(frozen=True)
class Block:
    slot: int
    parent_slot: int
    blockhash: str
    previous_blockhash: str
    block_time: int

    @property
    def block_height(self) -> int:
        return self.slot


@dataclass(frozen=True)
class BlockOptions:
    """A getBlock config: encoding, transactionDetails, rewards, maxSupportedTransactionVersion."""

    encoding: str = "json"
    details: str = "full"
    rewards: bool = True
    max_version: int | None = None

    @classmethod
    def parse(cls, config: dict[str, Any]) -> BlockOptions:
        """The options of a getBlock config; a wrong value is the validator's -32602."""
        encoding = config.get("encoding") or "json"
        details = config.get("transactionDetails") or "full"
        rewards = config.get("rewards")
        max_version = config.get("maxSupportedTransactionVersion")
        if (
            encoding not in BLOCK_ENCODINGS
            or details not in TRANSACTION_DETAILS
            or (rewards is not None and not isinstance(rewards, bool))
            or (
                max_version is not None
                and (
                    not isinstance(max_version, int)
                    or isinstance(max_version, bool)
                    or not 0 <= max_version <= MAX_TRANSACTION_VERSION
                )
            )
        ):
            raise invalid_params(_BAD_CONFIG)
        return cls(str(encoding), str(details), True if rewards is None else rewards, max_version)


def block_at(store: LedgerStore, slot: int) -> Block | None:
    """The block of ``slot`` (produced, or passed over by a warp); None when the ledger has none (not
    produced yet, or a ledger written before blocks were recorded)."""
    stored = store.block_at_or_after(slot)
    if stored is None:
        return None
    if stored.slot == slot:
        return _block(stored)
    if stored.parent_slot >= slot:
        return None
    # A slot a warp passed over, on the way from ``stored.parent_slot`` to ``stored.slot``.
    if slot - 1 == stored.parent_slot:
        parent = store.block_at_or_after(stored.parent_slot)
        previous = parent.blockhash if parent is not None and parent.slot == slot - 1 else ""
    else:
        previous = str(empty_slot_hash(slot - 1))
    return Block(slot, slot - 1, str(empty_slot_hash(slot)), previous, stored.block_time)


def _block(stored: StoredBlock) -> Block:
    parent = stored.slot - 1 if stored.slot > 0 else 0
    return Block(stored.slot, parent, stored.blockhash, stored.previous_blockhash, stored.block_time)


def lowest_block_slot(store: LedgerStore) -> int:
    """The oldest slot whose block the ledger has (its first row, or the warped slots before it)."""
    lowest = store.lowest_block_slot()
    if lowest is None:
        return 0
    first = store.block_at_or_after(lowest)
    assert first is not None
    return first.slot if first.slot == 0 else min(first.slot, first.parent_slot + 1)


def unsupported_version(version: int) -> RpcError:
    return RpcError(
        UNSUPPORTED_TRANSACTION_VERSION,
        f"Transaction version ({version}) is not supported by the requesting client. Please try the "
        f'request again with the following configuration parameter: "maxSupportedTransactionVersion": '
        f"{version}",
    )


def ui_block(block: Block, transactions: list[StoredTransaction], options: BlockOptions) -> dict[str, Any]:
    """UiConfirmedBlock as agave 4.2.2 encodes it."""
    result: dict[str, Any] = {
        "blockHeight": block.block_height,
        "blockTime": block.block_time,
        "blockhash": block.blockhash,
        "parentSlot": block.parent_slot,
        "previousBlockhash": block.previous_blockhash,
    }
    if options.details in ("full", "accounts"):
        result["transactions"] = [_transaction(stored, options) for stored in transactions]
    elif options.details == "signatures":
        result["signatures"] = [
            str(VersionedTransaction.from_bytes(stored.raw).signatures[0]) for stored in transactions
        ]
    if options.rewards:
        result["rewards"] = []
    return result


def _transaction(stored: StoredTransaction, options: BlockOptions) -> dict[str, Any]:
    tx = VersionedTransaction.from_bytes(stored.raw)
    version = render.transaction_version(tx)
    if version != "legacy" and (options.max_version is None or version > options.max_version):
        raise unsupported_version(version)
    if options.details == "full":
        encoded = render.confirmed_transaction(stored, options.encoding, options.max_version is not None)
        del encoded["slot"], encoded["blockTime"]
        if not options.rewards:  # the meta says it has none to show
            encoded["meta"] = {**encoded["meta"], "rewards": None}
        return encoded
    parsed, _ = render.transaction_json_parsed(tx, stored.meta)
    meta = {key: stored.meta[key] for key in _SIMPLE_META_KEYS if key in stored.meta}
    if options.rewards:
        meta["rewards"] = stored.meta.get("rewards", [])
    result: dict[str, Any] = {
        "transaction": {"signatures": parsed["signatures"], "accountKeys": parsed["message"]["accountKeys"]},
        "meta": meta,
    }
    if options.max_version is not None:
        result["version"] = version
    return result

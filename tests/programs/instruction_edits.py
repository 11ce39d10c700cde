"""Variants of an instruction for failure-path tests: one account's flags flipped, one account replaced,
or other data, everything else as the SDK built it."""

from __future__ import annotations

from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey


def with_meta(
    ix: Instruction, index: int, *, signer: bool | None = None, writable: bool | None = None
) -> Instruction:
    """``ix`` with the flags of account ``index`` changed."""
    metas = list(ix.accounts)
    old = metas[index]
    metas[index] = AccountMeta(
        old.pubkey,
        old.is_signer if signer is None else signer,
        old.is_writable if writable is None else writable,
    )
    return Instruction(ix.program_id, bytes(ix.data), metas)


def with_account(ix: Instruction, index: int, address: Pubkey) -> Instruction:
    """``ix`` with account ``index`` replaced by ``address`` (same flags)."""
    metas = list(ix.accounts)
    metas[index] = AccountMeta(address, metas[index].is_signer, metas[index].is_writable)
    return Instruction(ix.program_id, bytes(ix.data), metas)


def with_data(ix: Instruction, data: bytes) -> Instruction:
    """``ix`` with instruction data ``data``."""
    return Instruction(ix.program_id, data, list(ix.accounts))

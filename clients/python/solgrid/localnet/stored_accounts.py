"""Account rules of the chain's storage: which accounts exist, which the ledger persists, and the rent
epoch agave stores for a written account."""

from __future__ import annotations

from collections.abc import Callable

from solders.account import Account

from solgrid.localnet.native_accounts import SYSVAR_OWNER
from solgrid.localnet.program_binaries import RENT_EXEMPT_RENT_EPOCH
from solgrid.sdk import loader


def existing(account: Account | None) -> Account | None:
    """The account, or None when it does not exist (LiteSVM keeps closed accounts at 0 lamports)."""
    return None if account is None or account.lamports == 0 else account


def rent_epoch_after_write(pre: Account | None, minimum_balance: Callable[[int], int]) -> int:
    """The ``rent_epoch`` agave 4 stores for a writable account of a successful transaction, from its state
    when loaded: u64::MAX for a new account or a rent-exempt one, else (rent-paying) the one it had."""
    if pre is None or pre.lamports == 0 or pre.rent_epoch == RENT_EXEMPT_RENT_EPOCH:
        return RENT_EXEMPT_RENT_EPOCH
    if pre.lamports >= minimum_balance(len(pre.data)):
        return RENT_EXEMPT_RENT_EPOCH
    return int(pre.rent_epoch)


def persistable(account: Account | None) -> bool:
    """Sysvars and the engine's built-in programs are recreated by the engine itself; everything else is
    kept."""
    if account is None:
        return True
    if account.owner == SYSVAR_OWNER:
        return False
    return not account.executable or account.owner == loader.LOADER_V3

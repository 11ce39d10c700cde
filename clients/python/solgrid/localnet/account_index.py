"""The node's index of every account key it has seen, owner by owner (getProgramAccounts, the token
queries, getSupply), seeded with the accounts the engine creates itself."""

from __future__ import annotations

import collections
from collections.abc import Callable, Iterable

from solders.account import Account
from solders.pubkey import Pubkey

from solgrid.localnet import native_accounts
from solgrid.localnet.engine import known_features
from solgrid.localnet.program_binaries import LOADER_V3, PROGRAMS, programdata_address


class AccountIndex:
    """The owner of each existing account the node has seen, and the accounts of each owner."""

    def __init__(self) -> None:
        self._owners: dict[Pubkey, Pubkey] = {}
        self._by_owner: dict[Pubkey, set[Pubkey]] = collections.defaultdict(set)

    def keys(self) -> set[Pubkey]:
        """Every indexed account (existing when it was last indexed)."""
        return set(self._owners)

    def owned_by(self, owner: Pubkey) -> set[Pubkey]:
        return set(self._by_owner.get(owner, ()))

    def index(self, pubkey: Pubkey, account: Account | None) -> None:
        """``pubkey`` now holds ``account`` (None or 0 lamports: it does not exist)."""
        old = self._owners.get(pubkey)
        new = None if account is None or account.lamports == 0 else account.owner
        if old == new:
            return
        if old is not None:
            self._by_owner[old].discard(pubkey)
        if new is None:
            self._owners.pop(pubkey, None)
        else:
            self._owners[pubkey] = new
            self._by_owner[new].add(pubkey)

    def note_seen(self, keys: Iterable[Pubkey], get_account: Callable[[Pubkey], Account | None]) -> None:
        """Index the accounts of ``keys`` not indexed yet, as ``get_account`` reads them."""
        for pubkey in keys:
            if pubkey not in self._owners:
                self.index(pubkey, get_account(pubkey))


def engine_genesis_keys() -> list[Pubkey]:
    """The accounts the engine creates itself (builtins, sysvars, feature accounts, the validator's
    genesis programs), so that the node's account index knows them too."""
    keys = [*native_accounts.BUILTIN_DATA, *native_accounts.SYSVARS, *native_accounts.BANK_SYSVARS]
    for program in PROGRAMS:
        keys.append(program.program_id)
        if program.loader == LOADER_V3:
            keys.append(programdata_address(program.program_id))
    return [*keys, *known_features()]

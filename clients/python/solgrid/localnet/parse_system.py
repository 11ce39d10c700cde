"""System program instructions as jsonParsed shows them (bincode data, u32 variant tag)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from solgrid.localnet.instruction_data import Info, NotParsable, Parsed, Reader, named, need_accounts

A = Sequence[str]


def _create_account(r: Reader, a: A) -> Info:
    info = named(a, ("source", "newAccount"))
    return {**info, "lamports": r.u64(), "space": r.u64(), "owner": r.pubkey()}


def _assign(r: Reader, a: A) -> Info:
    return {**named(a, ("account",)), "owner": r.pubkey()}


def _transfer(r: Reader, a: A) -> Info:
    return {**named(a, ("source", "destination")), "lamports": r.u64()}


def _create_account_with_seed(r: Reader, a: A) -> Info:
    info = named(a, ("source", "newAccount"))
    base, seed = r.pubkey(), r.bincode_string()
    return {**info, "base": base, "seed": seed, "lamports": r.u64(), "space": r.u64(), "owner": r.pubkey()}


def _advance_nonce(r: Reader, a: A) -> Info:
    return named(a, ("nonceAccount", "recentBlockhashesSysvar", "nonceAuthority"))


def _withdraw_nonce(r: Reader, a: A) -> Info:
    names = ("nonceAccount", "destination", "recentBlockhashesSysvar", "rentSysvar", "nonceAuthority")
    return {**named(a, names), "lamports": r.u64()}


def _initialize_nonce(r: Reader, a: A) -> Info:
    info = named(a, ("nonceAccount", "recentBlockhashesSysvar", "rentSysvar"))
    return {**info, "nonceAuthority": r.pubkey()}


def _authorize_nonce(r: Reader, a: A) -> Info:
    return {**named(a, ("nonceAccount", "nonceAuthority")), "newAuthorized": r.pubkey()}


def _allocate(r: Reader, a: A) -> Info:
    return {**named(a, ("account",)), "space": r.u64()}


def _allocate_with_seed(r: Reader, a: A) -> Info:
    info = named(a, ("account",), required=2)  # the base signs too, but is not shown
    return {**info, "base": r.pubkey(), "seed": r.bincode_string(), "space": r.u64(), "owner": r.pubkey()}


def _assign_with_seed(r: Reader, a: A) -> Info:
    info = named(a, ("account",), required=2)
    return {**info, "base": r.pubkey(), "seed": r.bincode_string(), "owner": r.pubkey()}


def _transfer_with_seed(r: Reader, a: A) -> Info:
    info = named(a, ("source", "sourceBase", "destination"))
    return {**info, "lamports": r.u64(), "sourceSeed": r.bincode_string(), "sourceOwner": r.pubkey()}


def _upgrade_nonce(r: Reader, a: A) -> Info:
    return named(a, ("nonceAccount",))


def _create_account_allow_prefund(r: Reader, a: A) -> Info:
    lamports, space, owner = r.u64(), r.u64(), r.pubkey()
    if lamports == 0:  # nothing to pay: no source account
        return {**named(a, ("newAccount",)), "space": space, "owner": owner}
    info = named(a, ("newAccount", "source"))
    return {**info, "lamports": lamports, "space": space, "owner": owner}


_INSTRUCTIONS: dict[int, tuple[str, Callable[[Reader, A], Info]]] = {
    0: ("createAccount", _create_account),
    1: ("assign", _assign),
    2: ("transfer", _transfer),
    3: ("createAccountWithSeed", _create_account_with_seed),
    4: ("advanceNonce", _advance_nonce),
    5: ("withdrawFromNonce", _withdraw_nonce),
    6: ("initializeNonce", _initialize_nonce),
    7: ("authorizeNonce", _authorize_nonce),
    8: ("allocate", _allocate),
    9: ("allocateWithSeed", _allocate_with_seed),
    10: ("assignWithSeed", _assign_with_seed),
    11: ("transferWithSeed", _transfer_with_seed),
    12: ("upgradeNonce", _upgrade_nonce),
    13: ("createAccountAllowPrefund", _create_account_allow_prefund),
}


def parse_system(data: bytes, accounts: Sequence[str]) -> Parsed:
    reader = Reader(data)
    entry = _INSTRUCTIONS.get(reader.u32())
    if entry is None:
        raise NotParsable("unknown system instruction")
    kind, parse = entry
    need_accounts(accounts)
    return {"info": parse(reader, accounts), "type": kind}

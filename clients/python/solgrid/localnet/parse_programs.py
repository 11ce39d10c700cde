"""jsonParsed forms of the Associated Token Account, Memo, address-lookup-table and BPF loader
programs' instructions (as agave's transaction-status crate shows them)."""

from __future__ import annotations

import base64
from collections.abc import Sequence

from solgrid.localnet.instruction_data import (
    Info,
    NotParsable,
    Parsed,
    Reader,
    named,
    need_accounts,
    optional,
)

A = Sequence[str]

_ATA_CREATE = ("source", "account", "wallet", "mint", "systemProgram", "tokenProgram")
_ATA_RECOVER = (
    "nestedSource",
    "nestedMint",
    "destination",
    "nestedOwner",
    "ownerMint",
    "wallet",
    "tokenProgram",
)


def parse_associated_token(data: bytes, accounts: A) -> Parsed:
    """Borsh, u8 variant tag, nothing after it; no data at all is the original ``create``."""
    need_accounts(accounts)
    if len(data) > 1:
        raise NotParsable("trailing data")
    tag = data[0] if data else 0
    if tag == 0:
        return {"info": named(accounts, _ATA_CREATE), "type": "create"}
    if tag == 1:
        return {"info": named(accounts, _ATA_CREATE), "type": "createIdempotent"}
    if tag == 2:
        return {"info": named(accounts, _ATA_RECOVER), "type": "recoverNested"}
    raise NotParsable("unknown associated token instruction")


def parse_memo(data: bytes, accounts: A) -> str:
    """The memo text: the whole data as UTF-8."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise NotParsable("memo is not UTF-8") from None


_TABLE = ("lookupTableAccount", "lookupTableAuthority")


def parse_address_lookup_table(data: bytes, accounts: A) -> Parsed:
    """bincode, u32 variant tag."""
    need_accounts(accounts)
    r = Reader(data)
    tag = r.u32()
    if tag == 0:
        recent_slot, bump_seed = r.u64(), r.u8()
        info: Info = {
            **named(accounts, (*_TABLE, "payerAccount", "systemProgram")),
            "recentSlot": recent_slot,
            "bumpSeed": bump_seed,
        }
        return {"info": info, "type": "createLookupTable"}
    if tag == 1:
        return {"info": named(accounts, _TABLE), "type": "freezeLookupTable"}
    if tag == 2:
        addresses = [r.pubkey() for _ in range(r.u64())]
        info = {**named(accounts, _TABLE), "newAddresses": addresses}
        if len(accounts) >= 4:
            info["payerAccount"], info["systemProgram"] = accounts[2], accounts[3]
        return {"info": info, "type": "extendLookupTable"}
    if tag == 3:
        return {"info": named(accounts, _TABLE), "type": "deactivateLookupTable"}
    if tag == 4:
        return {"info": named(accounts, (*_TABLE, "recipient")), "type": "closeLookupTable"}
    raise NotParsable("unknown lookup table instruction")


def parse_bpf_loader(data: bytes, accounts: A) -> Parsed:
    """The original (v2) loader: write and finalize, bincode with a u32 variant tag."""
    r = Reader(data)
    tag = r.u32()
    if tag == 0:
        offset, chunk = r.u32(), r.bincode_bytes()
        need_accounts(accounts)
        encoded = base64.b64encode(chunk).decode()
        return {"info": {"offset": offset, "bytes": encoded, "account": accounts[0]}, "type": "write"}
    if tag == 1:
        info = named(accounts, ("account",), required=2)
        return {"info": info, "type": "finalize"}
    raise NotParsable("unknown loader instruction")


def _upgradeable(tag: int, r: Reader, a: A) -> tuple[str, Info]:
    if tag == 0:
        info = named(a, ("account",))
        if len(a) > 1:
            info["authority"] = a[1]
        return "initializeBuffer", info
    if tag == 1:
        offset, chunk = r.u32(), base64.b64encode(r.bincode_bytes()).decode()
        return "write", {"offset": offset, "bytes": chunk, **named(a, ("account", "authority"))}
    if tag == 2:
        max_data_len = r.u64()
        names: tuple[str, ...] = (
            "payerAccount",
            "programDataAccount",
            "programAccount",
            "bufferAccount",
            "rentSysvar",
            "clockSysvar",
            "systemProgram",
            "authority",
        )
        return "deployWithMaxDataLen", {"maxDataLen": max_data_len, **named(a, names)}
    if tag == 3:
        names = (
            "programDataAccount",
            "programAccount",
            "bufferAccount",
            "spillAccount",
            "rentSysvar",
            "clockSysvar",
            "authority",
        )
        return "upgrade", named(a, names)
    if tag == 4:
        return "setAuthority", {**named(a, ("account", "authority")), "newAuthority": optional(a, 2)}
    if tag == 5:
        info = {**named(a, ("account", "recipient", "authority")), "programAccount": optional(a, 3)}
        return "close", info
    if tag == 6:
        additional = r.u32()
        info = {
            "additionalBytes": additional,
            **named(a, ("programDataAccount", "programAccount")),
            "systemProgram": optional(a, 2),
            "payerAccount": optional(a, 3),
        }
        return "extendProgram", info
    if tag == 7:
        return "setAuthorityChecked", named(a, ("account", "authority", "newAuthority"))
    raise NotParsable("unknown upgradeable loader instruction")


def parse_bpf_upgradeable_loader(data: bytes, accounts: A) -> Parsed:
    """The upgradeable (v3) loader, bincode with a u32 variant tag."""
    need_accounts(accounts)
    r = Reader(data)
    kind, info = _upgradeable(r.u32(), r, accounts)
    return {"info": info, "type": kind}

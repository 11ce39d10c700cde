"""SPL Token and Token-2022 instructions as jsonParsed shows them (program ``spl-token``).

The base instructions (and Token-2022's own that carry no extension sub-instruction) are parsed as
agave's transaction-status crate does; an instruction of a Token-2022 extension (transfer fees,
confidential transfers, pointers, ...) and the token-group / token-metadata interfaces are not, and
stay partially decoded (a difference from the validator listed in the README). Amounts of the
``*Checked`` instructions are UiTokenAmount objects with the decimals the instruction carries.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from solgrid.localnet import tokens
from solgrid.localnet.instruction_data import Info, NotParsable, Parsed, Reader, named, need_accounts

A = Sequence[str]

AUTHORITY_TYPES = (
    "mintTokens",
    "freezeAccount",
    "accountOwner",
    "closeAccount",
    "transferFeeConfig",
    "withheldWithdraw",
    "closeMint",
    "interestRate",
    "permanentDelegate",
    "confidentialTransferMint",
    "transferHookProgramId",
    "confidentialTransferFeeConfig",
    "metadataPointer",
    "groupPointer",
    "groupMemberPointer",
    "scaledUiAmount",
    "pause",
    "permissionedBurn",
)
_ACCOUNT_AUTHORITIES = frozenset({"accountOwner", "closeAccount"})

EXTENSION_TYPES = (
    "uninitialized",
    "transferFeeConfig",
    "transferFeeAmount",
    "mintCloseAuthority",
    "confidentialTransferMint",
    "confidentialTransferAccount",
    "defaultAccountState",
    "immutableOwner",
    "memoTransfer",
    "nonTransferable",
    "interestBearingConfig",
    "cpiGuard",
    "permanentDelegate",
    "nonTransferableAccount",
    "transferHook",
    "transferHookAccount",
    "confidentialTransferFeeConfig",
    "confidentialTransferFeeAmount",
    "metadataPointer",
    "tokenMetadata",
    "groupPointer",
    "tokenGroup",
    "groupMemberPointer",
    "tokenGroupMember",
    "confidentialMintBurn",
    "scaledUiAmount",
    "pausable",
    "pausableAccount",
    "permissionedBurn",
)
"""Token-2022's ExtensionType values (u16) in order, as the parser names them."""


def _with_signers(info: Info, a: A, last_nonsigner: int, owner: str, multisig: str) -> Info:
    """The authority at ``last_nonsigner``: a single one under ``owner``, or a multisig under
    ``multisig`` with the accounts after it as ``signers``."""
    authority = a[last_nonsigner] if last_nonsigner < len(a) else None
    if len(a) > last_nonsigner + 1:
        if authority is not None:
            info[multisig] = authority
        info["signers"] = list(a[last_nonsigner + 1 :])
    elif authority is not None:
        info[owner] = authority
    return info


def _extension_types(data: bytes) -> list[str]:
    if len(data) % 2:
        raise NotParsable("extension type list of odd length")
    names = []
    for at in range(0, len(data), 2):
        value = int.from_bytes(data[at : at + 2], "little")
        if value >= len(EXTENSION_TYPES):
            raise NotParsable("unknown extension type")
        names.append(EXTENSION_TYPES[value])
    return names


def _initialize_mint(r: Reader, a: A) -> Info:
    decimals, authority, freeze = r.u8(), r.pubkey(), r.option_pubkey()
    info = named(a, ("mint", "rentSysvar"))
    info = {
        "mint": info["mint"],
        "decimals": decimals,
        "mintAuthority": authority,
        "rentSysvar": info["rentSysvar"],
    }
    if freeze is not None:
        info["freezeAuthority"] = freeze
    return info


def _initialize_mint2(r: Reader, a: A) -> Info:
    decimals, authority, freeze = r.u8(), r.pubkey(), r.option_pubkey()
    info: Info = {**named(a, ("mint",)), "decimals": decimals, "mintAuthority": authority}
    if freeze is not None:
        info["freezeAuthority"] = freeze
    return info


def _initialize_account(r: Reader, a: A) -> Info:
    return named(a, ("account", "mint", "owner", "rentSysvar"))


def _initialize_account2(r: Reader, a: A) -> Info:
    owner = r.pubkey()
    info = named(a, ("account", "mint", "rentSysvar"))
    return {
        "account": info["account"],
        "mint": info["mint"],
        "owner": owner,
        "rentSysvar": info["rentSysvar"],
    }


def _initialize_account3(r: Reader, a: A) -> Info:
    owner = r.pubkey()
    return {**named(a, ("account", "mint")), "owner": owner}


def _initialize_multisig(r: Reader, a: A) -> Info:
    m = r.u8()
    info = named(a, ("multisig", "rentSysvar"), required=3)
    return {**info, "signers": list(a[2:]), "m": m}


def _initialize_multisig2(r: Reader, a: A) -> Info:
    m = r.u8()
    info = named(a, ("multisig",), required=2)
    return {**info, "signers": list(a[1:]), "m": m}


def _amount(names: tuple[str, str], owner: str, multisig: str) -> Callable[[Reader, A], Info]:
    def parse(r: Reader, a: A) -> Info:
        amount = r.u64()
        info = {**named(a, names, required=3), "amount": str(amount)}
        return _with_signers(info, a, 2, owner, multisig)

    return parse


def _checked(names: tuple[str, ...], owner: str, multisig: str) -> Callable[[Reader, A], Info]:
    def parse(r: Reader, a: A) -> Info:
        amount, decimals = r.u64(), r.u8()
        info = {
            **named(a, names, required=len(names) + 1),
            "tokenAmount": tokens.ui_token_amount(amount, decimals),
        }
        return _with_signers(info, a, len(names), owner, multisig)

    return parse


def _signed(names: tuple[str, ...], owner: str, multisig: str) -> Callable[[Reader, A], Info]:
    """An instruction without data whose accounts are ``names`` then the authority."""

    def parse(r: Reader, a: A) -> Info:
        info = named(a, names, required=len(names) + 1)
        return _with_signers(info, a, len(names), owner, multisig)

    return parse


def _set_authority(r: Reader, a: A) -> Info:
    value = r.u8()
    if value >= len(AUTHORITY_TYPES):
        raise NotParsable("unknown authority type")
    kind, new_authority = AUTHORITY_TYPES[value], r.option_pubkey()
    owned = "account" if kind in _ACCOUNT_AUTHORITIES else "mint"
    info: Info = {**named(a, (owned,), required=2), "authorityType": kind, "newAuthority": new_authority}
    return _with_signers(info, a, 1, "authority", "multisigAuthority")


def _one(name: str) -> Callable[[Reader, A], Info]:
    return lambda r, a: named(a, (name,))


def _get_account_data_size(r: Reader, a: A) -> Info:
    extensions = _extension_types(r.rest())
    info = named(a, ("mint",))
    if extensions:
        info["extensionTypes"] = extensions
    return info


def _amount_to_ui_amount(r: Reader, a: A) -> Info:
    amount = r.u64()
    return {**named(a, ("mint",)), "amount": str(amount)}


def _ui_amount_to_amount(r: Reader, a: A) -> Info:
    try:
        ui_amount = r.rest().decode("utf-8")
    except UnicodeDecodeError:
        raise NotParsable("ui amount is not UTF-8") from None
    return {**named(a, ("mint",)), "uiAmount": ui_amount}


def _initialize_mint_close_authority(r: Reader, a: A) -> Info:
    authority = r.option_pubkey()
    return {**named(a, ("mint",)), "newAuthority": authority}


def _reallocate(r: Reader, a: A) -> Info:
    extensions = _extension_types(r.rest())
    info = {**named(a, ("account", "payer", "systemProgram"), required=4), "extensionTypes": extensions}
    return _with_signers(info, a, 3, "owner", "multisigOwner")


def _create_native_mint(r: Reader, a: A) -> Info:
    return named(a, ("payer", "nativeMint", "systemProgram"))


def _initialize_permanent_delegate(r: Reader, a: A) -> Info:
    delegate = r.pubkey()
    return {**named(a, ("mint",)), "delegate": delegate}


def _unwrap_lamports(r: Reader, a: A) -> Info:
    amount = r.option_u64()
    info = named(a, ("source", "destination"), required=3)
    if amount is not None:
        info["amount"] = str(amount)
    return _with_signers(info, a, 2, "authority", "multisigAuthority")


def _batch(r: Reader, a: A) -> Info:
    """Instructions run one after the other: per instruction an account count and a data length (u8
    each) then the data; the accounts are theirs in order."""
    data, accounts_at, instructions = r.rest(), 0, []
    at = 0
    while at < len(data):
        if at + 2 > len(data):
            raise NotParsable("batch header cut short")
        count, size = data[at], data[at + 1]
        inner = data[at + 2 : at + 2 + size]
        if len(inner) < size or accounts_at + count > len(a):
            raise NotParsable("batch instruction cut short")
        if inner[:1] == b"\xff":
            raise NotParsable("nested batch")
        instructions.append(parse_token(inner, a[accounts_at : accounts_at + count]))
        at, accounts_at = at + 2 + size, accounts_at + count
    return {"instructions": instructions}


_INSTRUCTIONS: dict[int, tuple[str, Callable[[Reader, A], Info]]] = {
    0: ("initializeMint", _initialize_mint),
    1: ("initializeAccount", _initialize_account),
    2: ("initializeMultisig", _initialize_multisig),
    3: ("transfer", _amount(("source", "destination"), "authority", "multisigAuthority")),
    4: ("approve", _amount(("source", "delegate"), "owner", "multisigOwner")),
    5: ("revoke", _signed(("source",), "owner", "multisigOwner")),
    6: ("setAuthority", _set_authority),
    7: ("mintTo", _amount(("mint", "account"), "mintAuthority", "multisigMintAuthority")),
    8: ("burn", _amount(("account", "mint"), "authority", "multisigAuthority")),
    9: ("closeAccount", _signed(("account", "destination"), "owner", "multisigOwner")),
    10: ("freezeAccount", _signed(("account", "mint"), "freezeAuthority", "multisigFreezeAuthority")),
    11: ("thawAccount", _signed(("account", "mint"), "freezeAuthority", "multisigFreezeAuthority")),
    12: ("transferChecked", _checked(("source", "mint", "destination"), "authority", "multisigAuthority")),
    13: ("approveChecked", _checked(("source", "mint", "delegate"), "owner", "multisigOwner")),
    14: ("mintToChecked", _checked(("mint", "account"), "mintAuthority", "multisigMintAuthority")),
    15: ("burnChecked", _checked(("account", "mint"), "authority", "multisigAuthority")),
    16: ("initializeAccount2", _initialize_account2),
    17: ("syncNative", _one("account")),
    18: ("initializeAccount3", _initialize_account3),
    19: ("initializeMultisig2", _initialize_multisig2),
    20: ("initializeMint2", _initialize_mint2),
    21: ("getAccountDataSize", _get_account_data_size),
    22: ("initializeImmutableOwner", _one("account")),
    23: ("amountToUiAmount", _amount_to_ui_amount),
    24: ("uiAmountToAmount", _ui_amount_to_amount),
    25: ("initializeMintCloseAuthority", _initialize_mint_close_authority),
    29: ("reallocate", _reallocate),
    31: ("createNativeMint", _create_native_mint),
    32: ("initializeNonTransferableMint", _one("mint")),
    35: ("initializePermanentDelegate", _initialize_permanent_delegate),
    38: ("withdrawExcessLamports", _signed(("source", "destination"), "authority", "multisigAuthority")),
    45: ("unwrapLamports", _unwrap_lamports),
    255: ("batch", _batch),
}


def parse_token(data: bytes, accounts: Sequence[str]) -> Parsed:
    need_accounts(accounts)
    reader = Reader(data)
    entry = _INSTRUCTIONS.get(reader.u8())
    if entry is None:
        raise NotParsable("token instruction not parsed here")
    kind, parse = entry
    return {"info": parse(reader, accounts), "type": kind}

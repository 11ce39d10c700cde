"""The jsonParsed instruction parsers on fixed instruction bytes (the forms were checked against
solana-test-validator 4.2.2; tests/compat/test_parsed_instructions_on_both_nodes.py keeps them so)."""

from __future__ import annotations

import base64
import struct

from solders.pubkey import Pubkey
from solders.system_program import CreateAccountParams, create_account

from solgrid.localnet import parsed_instructions as pi
from solgrid.localnet import tokens, txmeta

K = [str(Pubkey.new_unique()) for _ in range(8)]
OWNER = Pubkey.new_unique()
TOKEN = tokens.TOKEN_PROGRAM_ID


def parse(program: Pubkey, data: bytes, accounts: list[str]) -> object:
    parsed = pi.parse_instruction(program, data, accounts)
    return None if parsed is None else parsed[1]


def test_system_create_account() -> None:
    ix = create_account(
        CreateAccountParams(
            from_pubkey=Pubkey.from_string(K[0]),
            to_pubkey=Pubkey.from_string(K[1]),
            lamports=1566000,
            space=97,
            owner=OWNER,
        )
    )
    assert parse(txmeta.SYSTEM_PROGRAM_ID, bytes(ix.data), K[:2]) == {
        "info": {"source": K[0], "newAccount": K[1], "lamports": 1566000, "space": 97, "owner": str(OWNER)},
        "type": "createAccount",
    }
    assert parse(txmeta.SYSTEM_PROGRAM_ID, bytes(ix.data), K[:1]) is None
    assert parse(txmeta.SYSTEM_PROGRAM_ID, bytes(ix.data)[:-1], K[:2]) is None


def test_system_seeded_allocation_needs_the_base_account_too() -> None:
    seed = b"s1"
    data = (
        struct.pack("<I", 9)
        + bytes(OWNER)
        + struct.pack("<Q", 2)
        + seed
        + struct.pack("<Q", 10)
        + bytes(OWNER)
    )
    assert parse(txmeta.SYSTEM_PROGRAM_ID, data, K[:1]) is None
    assert parse(txmeta.SYSTEM_PROGRAM_ID, data, K[:2]) == {
        "info": {"account": K[0], "base": str(OWNER), "seed": "s1", "space": 10, "owner": str(OWNER)},
        "type": "allocateWithSeed",
    }


def test_system_create_account_allow_prefund_without_payer() -> None:
    data = struct.pack("<IQQ", 13, 0, 5) + bytes(OWNER)
    assert parse(txmeta.SYSTEM_PROGRAM_ID, data, K[:1]) == {
        "info": {"newAccount": K[0], "space": 5, "owner": str(OWNER)},
        "type": "createAccountAllowPrefund",
    }


def test_token_checked_amounts_are_ui_token_amounts() -> None:
    data = bytes([12]) + struct.pack("<Q", 1_234_567) + bytes([6])
    assert parse(TOKEN, data, K[:4]) == {
        "info": {
            "source": K[0],
            "mint": K[1],
            "destination": K[2],
            "authority": K[3],
            "tokenAmount": {
                "amount": "1234567",
                "decimals": 6,
                "uiAmount": 1.234567,
                "uiAmountString": "1.234567",
            },
        },
        "type": "transferChecked",
    }
    assert parse(TOKEN, data, K[:3]) is None


def test_token_multisig_authority_and_signers() -> None:
    data = bytes([3]) + struct.pack("<Q", 0)
    assert parse(tokens.TOKEN_2022_PROGRAM_ID, data, K[:5]) == {
        "info": {
            "source": K[0],
            "destination": K[1],
            "amount": "0",
            "multisigAuthority": K[2],
            "signers": K[3:5],
        },
        "type": "transfer",
    }


def test_token_set_authority_names_the_owned_account() -> None:
    close = parse(TOKEN, bytes([6, 3, 1]) + bytes(OWNER), K[:2])
    assert close == {
        "info": {
            "account": K[0],
            "authorityType": "closeAccount",
            "newAuthority": str(OWNER),
            "authority": K[1],
        },
        "type": "setAuthority",
    }
    freeze = parse(TOKEN, bytes([6, 1, 0]), K[:2])
    assert freeze == {
        "info": {"mint": K[0], "authorityType": "freezeAccount", "newAuthority": None, "authority": K[1]},
        "type": "setAuthority",
    }
    assert parse(TOKEN, bytes([6, 1, 2]), K[:2]) is None  # a bad option tag


def test_token_account_data_size_extension_types() -> None:
    assert parse(TOKEN, b"\x15\x07\x00", K[:1]) == {
        "info": {"mint": K[0], "extensionTypes": ["immutableOwner"]},
        "type": "getAccountDataSize",
    }
    assert parse(TOKEN, b"\x15", K[:1]) == {"info": {"mint": K[0]}, "type": "getAccountDataSize"}
    assert parse(TOKEN, b"\x15\x07", K[:1]) is None
    assert parse(TOKEN, b"\x15\xff\x00", K[:1]) is None


def test_token_batch_parses_each_instruction() -> None:
    transfer = bytes([3]) + struct.pack("<Q", 1)
    data = b"\xff" + bytes([3, len(transfer)]) + transfer + bytes([1, 1, 17])
    assert parse(TOKEN, data, K[:4]) == {
        "info": {
            "instructions": [
                {
                    "info": {"source": K[0], "destination": K[1], "amount": "1", "authority": K[2]},
                    "type": "transfer",
                },
                {"info": {"account": K[3]}, "type": "syncNative"},
            ]
        },
        "type": "batch",
    }
    assert parse(TOKEN, data, K[:3]) is None  # the second instruction's account is missing


def test_token_without_accounts_or_with_extension_instructions_is_not_parsed() -> None:
    assert parse(TOKEN, b"\x11", []) is None
    assert parse(tokens.TOKEN_2022_PROGRAM_ID, b"\x1a\x00", K[:2]) is None  # transfer-fee extension


def test_associated_token_account() -> None:
    names = ["source", "account", "wallet", "mint", "systemProgram", "tokenProgram"]
    ata = pi.ASSOCIATED_TOKEN_PROGRAM_ID
    assert parse(ata, b"", K[:6]) == {"info": dict(zip(names, K, strict=False)), "type": "create"}
    assert parse(ata, b"\x01", K[:6]) == {
        "info": dict(zip(names, K, strict=False)),
        "type": "createIdempotent",
    }
    assert parse(ata, b"\x01", K[:5]) is None
    assert parse(ata, b"\x00\x00", K[:6]) is None
    recover = parse(ata, b"\x02", K[:7])
    assert recover is not None and recover["type"] == "recoverNested"  # type: ignore[index]


def test_memo() -> None:
    assert parse(pi.MEMO_V1_PROGRAM_ID, "grid ⚡".encode(), []) == "grid ⚡"
    assert parse(pi.MEMO_V3_PROGRAM_ID, b"\xff", []) is None
    ui = pi.ui_instruction(pi.MEMO_V3_PROGRAM_ID, [], b"hi", 1)
    assert ui == {
        "parsed": "hi",
        "program": "spl-memo",
        "programId": str(pi.MEMO_V3_PROGRAM_ID),
        "stackHeight": 1,
    }


def test_lookup_table_extend_shows_the_payer_only_when_given() -> None:
    data = struct.pack("<IQ", 2, 1) + bytes(OWNER)
    alt = txmeta.ADDRESS_LOOKUP_TABLE_PROGRAM_ID
    assert parse(alt, data, K[:2]) == {
        "info": {"lookupTableAccount": K[0], "lookupTableAuthority": K[1], "newAddresses": [str(OWNER)]},
        "type": "extendLookupTable",
    }
    with_payer = parse(alt, data, K[:4])
    assert with_payer["info"]["payerAccount"] == K[2]  # type: ignore[index]


def test_upgradeable_loader() -> None:
    loader = pi.UPGRADEABLE_LOADER_PROGRAM_ID
    write = struct.pack("<IIQ", 1, 900, 3) + b"elf"
    assert parse(loader, write, K[:2]) == {
        "info": {
            "offset": 900,
            "bytes": base64.b64encode(b"elf").decode(),
            "account": K[0],
            "authority": K[1],
        },
        "type": "write",
    }
    assert parse(loader, struct.pack("<I", 4), K[:2]) == {
        "info": {"account": K[0], "authority": K[1], "newAuthority": None},
        "type": "setAuthority",
    }
    assert parse(loader, struct.pack("<I", 8), K[:3]) is None  # migrate: 4.2.2 does not parse it


def test_unparsed_instructions_are_partially_decoded() -> None:
    program = Pubkey.new_unique()
    assert pi.ui_instruction(program, K[:1], b"\x01\x02", 2) == {
        "programId": str(program),
        "accounts": K[:1],
        "data": "5T",
        "stackHeight": 2,
    }

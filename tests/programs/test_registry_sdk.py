"""The registry SDK's pure parts: IDL lookup, PDAs, instruction encoding, event and error decoding."""

from __future__ import annotations

import base64
import hashlib
import struct
from pathlib import Path

import pytest
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.system_program import ID as SYSTEM_PROGRAM_ID

from solgrid.sdk import idl as idl_module
from solgrid.sdk.anchor import AccountDecodeError
from solgrid.sdk.registry import RegistryClient, UserRegistered, UserRole

PROGRAM_ID = Pubkey.from_string("Hu5R8SX8juSQ3cUYxf1daxaPsUSDHKwGza2u5wUiitxg")
LOADER_V3 = Pubkey.from_string("BPFLoaderUpgradeab1e11111111111111111111111")


def sighash(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()[:8]


def user_registered_bytes(user: Pubkey, authority: Pubkey, role: int, index: int, ts: int) -> bytes:
    return (
        sighash("event:UserRegistered")
        + bytes(user)
        + bytes(authority)
        + struct.pack("<BQq", role, index, ts)
    )


def test_client_defaults_to_the_idl_address() -> None:
    assert RegistryClient().program_id == PROGRAM_ID


def test_pdas_use_the_documented_seeds() -> None:
    client = RegistryClient()
    authority = Keypair().pubkey()
    assert client.config_pda().address == Pubkey.find_program_address([b"config"], PROGRAM_ID)[0]
    assert (
        client.user_pda(authority).address
        == Pubkey.find_program_address([b"user", bytes(authority)], PROGRAM_ID)[0]
    )
    assert client.program_data_address() == Pubkey.find_program_address([bytes(PROGRAM_ID)], LOADER_V3)[0]


def test_instruction_encoding_is_anchor_borsh() -> None:
    client = RegistryClient()
    payer, authority = Keypair().pubkey(), Keypair().pubkey()
    ix = client.initialize(payer=payer, authority=authority, max_meters_per_user=16, max_reading_age_secs=900)
    assert bytes(ix.data) == sighash("global:initialize") + struct.pack("<HI", 16, 900)
    assert [(m.pubkey, m.is_signer, m.is_writable) for m in ix.accounts] == [
        (payer, True, True),
        (authority, True, False),
        (client.config_pda().address, False, True),
        (client.program_data_address(), False, False),
        (SYSTEM_PROGRAM_ID, False, False),
    ]
    ix = client.register_user(payer=payer, authority=authority, role=UserRole.PROSUMER)
    assert bytes(ix.data) == sighash("global:register_user") + b"\x02"
    assert [(m.is_signer, m.is_writable) for m in ix.accounts] == [
        (True, True),
        (True, False),
        (False, True),
        (False, True),
        (False, False),
    ]


def test_events_only_from_the_program_itself() -> None:
    client = RegistryClient()
    user, authority = Keypair().pubkey(), Keypair().pubkey()
    event = base64.b64encode(user_registered_bytes(user, authority, 1, 7, 1_700_000_000)).decode()
    other = "11111111111111111111111111111111"
    logs = [
        "Program ComputeBudget111111111111111111111111111111 invoke [1]",
        "Program ComputeBudget111111111111111111111111111111 success",
        f"Program {PROGRAM_ID} invoke [1]",
        f"Program {other} invoke [2]",
        f"Program data: {event}",  # logged by another program during a CPI: not ours
        f"Program {other} success",
        "Program data: !!not-base64!!",
        f"Program data: {base64.b64encode(b'short').decode()}",
        f"Program data: {event}",
        f"Program {PROGRAM_ID} consumed 3878 of 1399850 compute units",
        f"Program {PROGRAM_ID} success",
        f"Program data: {event}",  # after the program returned: not ours
    ]
    assert client.events(logs) == [
        UserRegistered(
            user=user, authority=authority, role=UserRole.PRODUCER, user_index=7, timestamp=1_700_000_000
        )
    ]


def test_decoding_checks_the_discriminator() -> None:
    client = RegistryClient()
    user_data = sighash("account:User") + bytes(89)
    assert client.decode_user(user_data).role == UserRole.CONSUMER
    with pytest.raises(AccountDecodeError):
        client.decode_config(user_data)


def test_errors_come_from_the_idl() -> None:
    client = RegistryClient()
    info = client.coder.error(6100)
    assert info is not None and info.name == "InvalidRole"
    assert client.coder.error(6008) is not None
    assert client.coder.error(1) is None


def test_unit_variants_are_range_checked() -> None:
    client = RegistryClient()
    with pytest.raises(ValueError, match="no variant 3"):
        client.coder.unit_variant("UserRole", 3)
    with pytest.raises(ValueError, match="field-less enum"):
        client.coder.unit_variant("Config", 0)


def test_idl_lookup_order_and_missing_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(idl_module.ENV_IDL_DIR, str(tmp_path))
    (tmp_path / "registry.json").write_text('{"override": true}')
    idl_module.load_idl_json.cache_clear()
    try:
        assert idl_module.idl_path("registry") == tmp_path / "registry.json"
        assert idl_module.load_idl_json("registry") == {"override": True}
        with pytest.raises(idl_module.IdlNotFoundError, match="no IDL for program 'nope'"):
            idl_module.idl_path("nope")
    finally:
        idl_module.load_idl_json.cache_clear()
    monkeypatch.delenv(idl_module.ENV_IDL_DIR)
    assert idl_module.idl_path("registry").parent.name == "idl"

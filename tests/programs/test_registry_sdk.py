"""The registry SDK's pure parts: IDL lookup, PDAs, instruction encoding, event and error decoding."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import struct
from pathlib import Path

import pytest
from solders.address_lookup_table_account import derive_lookup_table_address
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.system_program import ID as SYSTEM_PROGRAM_ID

from solgrid.sdk import idl as idl_module
from solgrid.sdk.anchor import AccountDecodeError
from solgrid.sdk.lookup_tables import create_lookup_table, extend_lookup_table
from solgrid.sdk.readings import (
    ED25519_PROGRAM_ID,
    DeviceSigner,
    Reading,
    ed25519_instruction,
    reading_message,
    verify,
)
from solgrid.sdk.registry import Limits, RegistryClient, UserRegistered, UserRole, serial_bytes

PROGRAM_ID = Pubkey.from_string("Hu5R8SX8juSQ3cUYxf1daxaPsUSDHKwGza2u5wUiitxg")
LOADER_V3 = Pubkey.from_string("BPFLoaderUpgradeab1e11111111111111111111111")


def sighash(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()[:8]


def user_registered_bytes(user: Pubkey, authority: Pubkey, role: int, index: int, ts: int) -> bytes:
    return (
        sighash("event:UserRegistered")
        + bytes(user)
        + bytes(authority)
        + struct.pack("<BIQq", role, 3, index, ts)
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
    ix = client.initialize(payer=payer, authority=authority, limits=Limits(max_meters_per_user=16))
    assert bytes(ix.data) == sighash("global:initialize") + struct.pack(
        "<HIIIIH", 16, 60, 3600, 86_400, 60, 11_000
    )
    assert [(m.pubkey, m.is_signer, m.is_writable) for m in ix.accounts] == [
        (payer, True, True),
        (authority, True, False),
        (client.config_pda().address, False, True),
        (client.program_id, False, False),
        (client.program_data_address(), False, False),
        (SYSTEM_PROGRAM_ID, False, False),
    ]
    ix = client.register_user(payer=payer, authority=authority, role=UserRole.GRID_OPERATOR, zone_id=5)
    assert bytes(ix.data) == sighash("global:register_user") + b"\x02" + struct.pack("<I", 5)
    assert [(m.is_signer, m.is_writable) for m in ix.accounts] == [
        (True, True),
        (True, False),
        (False, True),
        (False, False),
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
            user=user,
            authority=authority,
            role=UserRole.CONSUMER,
            zone_id=3,
            user_index=7,
            timestamp=1_700_000_000,
        )
    ]


def test_decoding_checks_the_discriminator() -> None:
    client = RegistryClient()
    user_data = sighash("account:User") + bytes(89)
    assert client.decode_user(user_data).role == UserRole.PROSUMER
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


# -- new PDAs, readings, lookup tables -----------------------------------------------------------------


def test_zone_and_meter_pdas() -> None:
    client = RegistryClient()
    assert (
        client.zone_pda(7).address
        == Pubkey.find_program_address([b"zone", (7).to_bytes(4, "little")], PROGRAM_ID)[0]
    )
    serial = b"SG-1".ljust(32, b"\0")
    assert client.meter_pda("SG-1").address == Pubkey.find_program_address([b"meter", serial], PROGRAM_ID)[0]
    assert client.meter_pda(b"SG-1") == client.meter_pda("SG-1")
    with pytest.raises(ValueError, match="at most 32 bytes"):
        serial_bytes("x" * 33)


def test_reading_message_and_signature() -> None:
    meter = Keypair().pubkey()
    reading = Reading(1_000, 1_060, 5, 7)
    expected = hashlib.sha256(
        b"solgrid:reading:v1" + bytes(PROGRAM_ID) + bytes(meter) + struct.pack("<IHII", 1_000, 60, 5, 7)
    ).digest()
    assert reading_message(PROGRAM_ID, meter, reading) == expected
    device = DeviceSigner.from_seed(bytes(range(32)))
    signed = device.sign(PROGRAM_ID, meter, reading)
    assert signed.message == expected and verify(signed)
    assert not verify(dataclasses.replace(signed, message=bytes(32)))
    with pytest.raises(ValueError, match="wire format"):
        Reading(1_000, 1_000 + 65_536, 0, 0).to_bytes()
    with pytest.raises(ValueError, match="wire format"):
        Reading(0, 10, -1, 0).to_bytes()


def test_ed25519_instruction_layout_points_into_itself() -> None:
    meter = Keypair().pubkey()
    signed = [DeviceSigner.generate().sign(PROGRAM_ID, meter, Reading(i, i + 60, i, 0)) for i in range(3)]
    ix = ed25519_instruction(signed)
    data = bytes(ix.data)
    assert ix.program_id == ED25519_PROGRAM_ID and not ix.accounts
    assert data[:2] == bytes([3, 0])
    for i, s in enumerate(signed):
        sig, sig_ix, pk, pk_ix, msg, msg_len, msg_ix = struct.unpack_from("<7H", data, 2 + 14 * i)
        assert (sig_ix, pk_ix, msg_ix, msg_len) == (0xFFFF, 0xFFFF, 0xFFFF, 32)
        assert (data[pk : pk + 32], data[sig : sig + 64], data[msg : msg + 32]) == (
            s.public_key,
            s.signature,
            s.message,
        )
    with pytest.raises(ValueError):
        ed25519_instruction([])


def test_submit_readings_accounts_and_lookup_addresses() -> None:
    client = RegistryClient()
    owner = Keypair().pubkey()
    accounts = client.meter_accounts("M", owner, 2)
    ix = client.submit_readings([(accounts, Reading(0, 60, 1, 2))])
    assert (
        bytes(ix.data)
        == sighash("global:submit_readings") + struct.pack("<I", 1) + Reading(0, 60, 1, 2).to_bytes()
    )
    assert [(m.pubkey, m.is_writable) for m in ix.accounts][2:] == [
        (accounts.meter, True),
        (accounts.user, False),
        (accounts.zone, False),
    ]
    addresses = client.lookup_addresses([accounts, accounts])
    assert len(addresses) == 5 and client.program_id not in addresses
    with pytest.raises(ValueError, match="1 to 16"):
        client.submit_readings([])


def test_lookup_table_instructions() -> None:
    authority = Keypair().pubkey()
    create, table = create_lookup_table(authority, authority, 42)
    assert table == derive_lookup_table_address(authority, 42)[0]
    assert bytes(create.data)[:12] == struct.pack("<IQ", 0, 42)
    extend = extend_lookup_table(table, authority, authority, [authority, table])
    assert bytes(extend.data) == struct.pack("<IQ", 2, 2) + bytes(authority) + bytes(table)

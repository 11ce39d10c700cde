"""Node-free pieces of the wallet: command registration, IDL offsets, JSON values, GRID transfers."""

from __future__ import annotations

import struct

import pytest
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from spl.token.constants import TOKEN_PROGRAM_ID
from wallet_support import invoke, one_line_error

from solgrid.cli.main import COMMANDS, cli
from solgrid.sdk.energy_token import DECIMALS, EnergyTokenClient
from solgrid.sdk.registry import EnergySource, RegistryClient
from solgrid.sdk.wallet import account_field_offset, grid_transfer, plain


def test_every_listed_command_is_registered() -> None:
    assert invoke("--help").exit_code == 0
    assert sorted(cli.commands) == sorted(name for _, name in COMMANDS)
    for name in (
        "keys",
        "config",
        "balance",
        "airdrop",
        "transfer",
        "history",
        "user",
        "meter",
        "reading",
        "settle",
        "regulator",
        "indexer",
        "oracle",
    ):
        assert name in cli.commands


def test_meter_owner_offset_matches_the_decoder() -> None:
    registry = RegistryClient()
    offset = account_field_offset("registry", "Meter", "owner")
    assert offset == 8 + 32  # discriminator, then the 32-byte serial
    owner = Keypair().pubkey()
    data = bytearray(registry.coder.account_discriminator("Meter"))
    data += b"SERIAL".ljust(32, b"\0") + bytes(owner) + bytes(32) + struct.pack("<I", 7) + bytes(32)
    data += bytes([int(EnergySource.WIND), 1, 255]) + bytes(8 * 9) + bytes(32)
    meter = registry.decode_meter(bytes(data))
    assert meter.owner == owner and bytes(data[offset : offset + 32]) == bytes(owner) and meter.zone_id == 7
    assert account_field_offset("registry", "Meter", "zone_id") == 8 + 32 + 32 + 32
    with pytest.raises(KeyError):
        account_field_offset("registry", "Meter", "nope")


def test_plain_values_are_json_ready() -> None:
    key = Keypair().pubkey()
    assert plain(key) == str(key)
    assert plain(EnergySource.SOLAR) == "SOLAR"
    assert plain(b"METER-1\0\0\0") == "METER-1"
    assert plain(b"\x01\x02") == "0102"
    device = bytes(Keypair().pubkey())
    assert plain(b"\xff" + device[1:]) == str(Pubkey(b"\xff" + device[1:]))  # a device key, in base58
    assert plain([key, 3]) == [str(key), 3]


def test_grid_transfer_creates_recipient_account_then_transfers_checked() -> None:
    token = EnergyTokenClient()
    sender, recipient = Keypair().pubkey(), Keypair().pubkey()
    create, move = grid_transfer(token, sender=sender, recipient=recipient, amount=5)
    assert create.data == bytes([1])  # CreateIdempotent of the associated token program
    assert move.program_id == TOKEN_PROGRAM_ID
    assert move.data == bytes([12]) + (5).to_bytes(8, "little") + bytes([DECIMALS])  # TransferChecked
    metas = [m.pubkey for m in move.accounts]
    assert metas == [token.grid_account(sender), token.mint, token.grid_account(recipient), sender]
    assert move.accounts[3].is_signer
    with pytest.raises(ValueError):
        grid_transfer(token, sender=sender, recipient=recipient, amount=0)
    assert isinstance(token.grid_account(recipient), Pubkey)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["airdrop", "abc"], "'abc' is not a SOL amount"),
        (["airdrop", "0"], "a SOL amount is positive"),
        (["airdrop", "NaN"], "'NaN' is not a SOL amount"),
        (["transfer", "11111111111111111111111111111111", "0"], "a GRID amount is positive"),
        (["transfer", "11111111111111111111111111111111", "1e-10"], "at most 9 decimals"),
        (["transfer", "bad-key", "1"], "'bad-key' is not a valid address"),
        (["meter", "show", "X" * 33], "SERIAL"),
        (["user", "register", "--role", "landlord", "--zone", "1"], "'landlord' is not one of"),
        (["history", "--limit", "0"], "--limit"),
    ],
)
def test_bad_arguments_are_usage_errors(home: object, args: list[str], message: str) -> None:
    one_line_error(invoke(*args), 2, message)

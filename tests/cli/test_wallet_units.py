"""Node-free pieces of the wallet: command registration, IDL offsets, JSON values, GRID transfers."""

from __future__ import annotations

import struct
from pathlib import Path

import click
import pytest
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from spl.token.constants import TOKEN_PROGRAM_ID
from wallet_support import invoke, one_line_error, run_subprocess, stub_endpoint, write_key

from solgrid.cli.common import format_grid, format_sol
from solgrid.cli.main import COMMANDS, _fail, cli, load_all_commands
from solgrid.sdk.energy_token import DECIMALS, EnergyTokenClient
from solgrid.sdk.idl import account_field_offset
from solgrid.sdk.registry import EnergySource, RegistryClient
from solgrid.sdk.wallet import grid_transfer, merge_newest_first, plain


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


SERIAL_40 = "S" * 40


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["settle", SERIAL_40], "a meter serial is 1 to 32 UTF-8 bytes"),
        (["regulator", "activate-meter", SERIAL_40], "a meter serial is 1 to 32 UTF-8 bytes"),
        (["reading", "submit", SERIAL_40, "--device-key", "k.json", "-r", "1:1"], "SERIAL"),
        (["meter", "register", "", "--device-key", "k", "--source", "solar", "--capacity-w", "1"], "SERIAL"),
        (["reading", "submit", "M", "--device-key", "k.json", "-r", "4294967296:0"], "from 0 to 4294967295"),
        (["reading", "submit", "M", "--device-key", "k.json", "-r", "-1:0"], "from 0 to 4294967295"),
        (["reading", "submit", "M", "--device-key", "k", "-r", "1:0", "--start", "4294967296"], "--start"),
        (["regulator", "create-zone", "1", "--name", "z" * 33, "--max-capacity-kw", "1"], "at most 32"),
        (["regulator", "create-zone", "4294967296", "--name", "z", "--max-capacity-kw", "1"], "ZONE_ID"),
        (["balance", "--commitment", "eventually"], "--commitment"),
        (["keys", "import"], "Missing argument 'SOURCE'"),
    ],
)
def test_more_bad_arguments_are_usage_errors(home: object, args: list[str], message: str) -> None:
    one_line_error(invoke(*args), 2, message)


WALLET_MODULES = {
    "solgrid.cli.keys_cmd",
    "solgrid.cli.config_cmd",
    "solgrid.cli.wallet_cmd",
    "solgrid.cli.user_cmd",
    "solgrid.cli.meter_cmd",
    "solgrid.cli.reading_cmd",
    "solgrid.cli.settle_cmd",
    "solgrid.cli.regulator_cmd",
    "solgrid.cli.gov_cmd",
    "solgrid.cli.cert_cmd",
}


def _leaves(command: click.Command, path: str) -> list[tuple[str, click.Command]]:
    if isinstance(command, click.Group):
        return [leaf for name, sub in command.commands.items() for leaf in _leaves(sub, f"{path} {name}")]
    return [(path, command)]


def wallet_leaf_commands() -> list[tuple[str, click.Command]]:
    root = load_all_commands()
    leaves = []
    for module, name in COMMANDS:
        if module in WALLET_MODULES:
            leaves += _leaves(root.commands[name], f"solgrid {name}")
    return leaves


def test_every_wallet_command_has_json_and_chain_commands_take_cluster_options() -> None:
    leaves = wallet_leaf_commands()
    assert len(leaves) == 58
    for path, command in leaves:
        flags = {opt for param in command.params for opt in param.opts}
        assert "--json" in flags, path
        if not path.startswith(("solgrid keys", "solgrid config")):
            assert {"--url", "-u", "--keypair", "-k", "--commitment"} <= flags, path


@pytest.mark.parametrize(
    ("status", "content_type", "body", "fragment"),
    [
        (429, "text/plain", b"slow down", "answered HTTP 429 Too Many Requests"),
        (200, "text/html", b"<html>a web page</html>", "did not answer as a Solana JSON-RPC endpoint"),
        (
            200,
            "application/json",
            b'{"jsonrpc":"2.0","id":0,"error":{"code":-32601,"message":"Method not found"}}',
            "returned an error: Method not found",
        ),
    ],
)
def test_misbehaving_endpoints_are_one_line_errors(
    home: Path, status: int, content_type: str, body: bytes, fragment: str
) -> None:
    key = write_key(home / "w.json", Keypair())
    with stub_endpoint(status, content_type, body) as url:
        one_line_error(invoke("balance", "--url", url, "-k", str(key), "--json"), 1, fragment)
        env = {"HOME": str(home), "SOLGRID_CONFIG": str(home / "none.toml")}
        one_line_error(run_subprocess("meter", "list", "-u", url, "-k", str(key), env=env), 1, fragment)


def test_multi_line_messages_are_printed_as_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        _fail("first line\n  second line\n\nFor more information check: x", 1)
    assert exited.value.code == 1
    assert capsys.readouterr().err == "error: first line second line For more information check: x\n"


def test_grid_transfer_to_an_existing_account_is_one_instruction() -> None:
    token = EnergyTokenClient()
    sender, recipient = Keypair().pubkey(), Keypair().pubkey()
    (move,) = grid_transfer(
        token, sender=sender, recipient=recipient, amount=7, create_recipient_account=False
    )
    assert move.program_id == TOKEN_PROGRAM_ID and move.data[0] == 12


def test_signed_amounts() -> None:
    assert format_sol(-2_044_280, signed=True) == "-0.002044280"
    assert format_sol(5, signed=True) == "+0.000000005"
    assert format_grid(1_500_000_000, signed=True) == "+1.500000000"
    assert format_grid(0) == "0.000000000"


def test_history_listings_merge_newest_first_without_duplicates() -> None:
    def merge(*listings: list[tuple[str, int]]) -> list[str]:
        return [sig for sig, _ in merge_newest_first(listings, key=lambda s: s[0], slot=lambda s: s[1])]

    # The wallet is named by the transaction creating its GRID account; later transfers name only the
    # GRID account, some in the same slot as that creation.
    wallet = [("create", 2), ("register", 1)]
    grid_account = [("t3", 3), ("t2", 2), ("create", 2)]
    assert merge(wallet, grid_account) == ["t3", "t2", "create", "register"]
    assert merge(grid_account, wallet) == ["t3", "t2", "create", "register"]
    assert merge([("a", 5), ("b", 1)], [("c", 4), ("d", 0)]) == ["a", "c", "b", "d"]
    assert merge([], [("x", 1)]) == ["x"] and merge([], []) == []

"""``solgrid keys`` and ``solgrid config``: files, formats, precedence and one-line errors (no node)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import click
import pytest
from cli_docs import documented_json_keys
from solders.keypair import Keypair
from wallet_support import invoke, invoke_json, one_line_error, run_subprocess, write_key

from solgrid.cli.common import read_config, resolve_settings, toml_string


def test_keys_new_writes_default_solana_keypair_0600(home: Path) -> None:
    created = invoke_json("keys", "new")
    path = home / ".config" / "solana" / "id.json"
    assert created == {"path": str(path), "pubkey": created["pubkey"]}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert str(Keypair.from_bytes(bytes(json.loads(path.read_text()))).pubkey()) == created["pubkey"]
    shown = invoke("keys", "show")
    assert shown.exit_code == 0 and shown.stdout.strip() == created["pubkey"]


def test_keys_new_never_overwrites_without_force(home: Path) -> None:
    first = invoke_json("keys", "new", "-o", str(home / "w.json"))
    one_line_error(invoke("keys", "new", "-o", str(home / "w.json")), 1, "already exists; pass --force")
    assert invoke_json("keys", "show", "-k", str(home / "w.json"))["pubkey"] == first["pubkey"]
    second = invoke_json("keys", "new", "-o", str(home / "w.json"), "--force")
    assert second["pubkey"] != first["pubkey"]
    assert invoke_json("keys", "show", "-k", str(home / "w.json"))["pubkey"] == second["pubkey"]


def test_keys_import_json_file_and_base58_stdin(home: Path) -> None:
    original = Keypair()
    source = write_key(home / "exported.json", original)
    imported = invoke_json("keys", "import", str(source), "-o", str(home / "a.json"))
    assert imported == {"pubkey": str(original.pubkey()), "path": str(home / "a.json")}
    assert set(imported) == documented_json_keys("solgrid keys import")
    other = Keypair()
    result = invoke("keys", "import", "-", "-o", str(home / "b.json"), input=str(other) + "\n")
    assert result.exit_code == 0, result.stderr
    assert str(other.pubkey()) in result.stdout
    assert bytes(json.loads((home / "b.json").read_text())) == bytes(other)
    assert stat.S_IMODE((home / "b.json").stat().st_mode) == 0o600


def test_keys_errors_are_one_line(home: Path) -> None:
    one_line_error(invoke("keys", "show", "-k", str(home / "missing.json")), 1, "not found")
    (home / "junk.json").write_text("[1, 2, 3]")
    one_line_error(invoke("keys", "show", "-k", str(home / "junk.json")), 1, "is not a Solana keypair")
    (home / "junk.txt").write_text("not a key")
    one_line_error(invoke("keys", "import", str(home / "junk.txt"), "-o", str(home / "x.json")), 1, "neither")
    assert not (home / "x.json").exists()


def test_config_set_get_and_precedence(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    defaults = invoke_json("config", "get")
    assert defaults["url"] == "http://127.0.0.1:8899"
    assert defaults["keypair"] == str(home / ".config" / "solana" / "id.json")
    assert defaults["commitment"] == "confirmed"
    saved = invoke(
        "config", "set", "--url", "devnet", "--keypair", str(home / "k.json"), "--commitment", "finalized"
    )
    assert saved.exit_code == 0, saved.stderr
    stored = invoke_json("config", "get")
    assert stored["url"] == "https://api.devnet.solana.com"
    assert stored["keypair"] == str(home / "k.json")
    assert stored["commitment"] == "finalized"
    assert 'url = "devnet"' in (home / "solgrid.toml").read_text()
    monkeypatch.setenv("SOLGRID_URL", "http://127.0.0.1:9")
    assert invoke_json("config", "get")["url"] == "http://127.0.0.1:9"
    text = invoke("config", "get")
    assert text.exit_code == 0 and "url:" in text.stdout and "http://127.0.0.1:9" in text.stdout


def test_config_usage_errors_exit_2(home: Path) -> None:
    one_line_error(invoke("config", "set", "--url", "moonnet"), 2, "unknown cluster 'moonnet'")
    assert not (home / "solgrid.toml").exists()
    one_line_error(invoke("config", "set"), 2, "nothing to set")
    (home / "solgrid.toml").write_text("colour = 'blue'\n")
    one_line_error(invoke("config", "get"), 1, "unknown keys: colour")


def test_help_documents_exit_codes(home: Path) -> None:
    result = invoke("--help")
    assert result.exit_code == 0
    assert "Exit codes: 0 success; 1 user or chain error" in result.stdout
    assert "2 usage error" in result.stdout


def test_keys_new_force_replaces_atomically_owner_only(home: Path) -> None:
    path = home / "w.json"
    first = invoke_json("keys", "new", "-o", str(path))
    path.chmod(0o644)  # e.g. copied around carelessly
    second = invoke_json("keys", "new", "-o", str(path), "--force")
    assert second["pubkey"] != first["pubkey"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in home.iterdir() if p.name.startswith(".w.json")) == []  # no temp left


def test_keys_import_validates_before_writing(home: Path) -> None:
    target = home / "target.json"
    kept = invoke_json("keys", "new", "-o", str(target))
    one_line_error(
        invoke("keys", "import", "-", "-o", str(target), input=str(Keypair())), 1, "already exists"
    )
    a, b = Keypair(), Keypair()
    (home / "halves.json").write_text(json.dumps(list(bytes(a)[:32] + bytes(b)[32:])))
    (home / "short.json").write_text(json.dumps(list(bytes(a)[:32])))
    (home / "binary").write_bytes(bytes(range(256)))
    (home / "huge").write_text(" " * 70_000)
    for source, fragment in [
        ("halves.json", "do not specify same pubkey"),
        ("short.json", "is not a Solana JSON keypair"),
        ("binary", "is not text"),
        ("huge", "too large"),
        ("absent.json", "cannot read"),
    ]:
        out = home / f"from-{source}.json"
        one_line_error(invoke("keys", "import", str(home / source), "-o", str(out)), 1, fragment)
        assert not out.exists()
    assert invoke_json("keys", "show", "-k", str(target))["pubkey"] == kept["pubkey"]


def test_keys_write_failure_is_one_line(home: Path) -> None:
    (home / "a-file").write_text("")
    one_line_error(invoke("keys", "new", "-o", str(home / "a-file" / "id.json")), 1, "cannot write keypair")


def test_keys_as_real_subprocess(home: Path) -> None:
    env = {"HOME": str(home), "SOLGRID_CONFIG": str(home / "solgrid.toml")}
    created = run_subprocess("keys", "new", "--json", env=env)
    assert created.returncode == 0, created.stderr
    pubkey = json.loads(created.stdout)["pubkey"]
    shown = run_subprocess("keys", "show", env=env)
    assert shown.returncode == 0 and shown.stdout.strip() == pubkey
    one_line_error(run_subprocess("keys", "new", env=env), 1, "already exists; pass --force")
    assert run_subprocess("keys", "show", env=env).stdout.strip() == pubkey


def test_settings_precedence_flag_env_file_default(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    default = resolve_settings(None, None)
    assert (default.url, default.commitment) == ("http://127.0.0.1:8899", "confirmed")
    assert invoke("config", "set", "-u", "testnet", "-k", str(home / "f.json"), "--commitment", "processed")
    from_file = resolve_settings(None, None)
    assert from_file.url == "https://api.testnet.solana.com" and from_file.commitment == "processed"
    assert from_file.keypair_path == home / "f.json"
    monkeypatch.setenv("SOLGRID_URL", "devnet")
    monkeypatch.setenv("SOLGRID_KEYPAIR", str(home / "e.json"))
    monkeypatch.setenv("SOLGRID_COMMITMENT", "finalized")
    from_env = resolve_settings(None, None)
    assert (from_env.url, from_env.keypair_path, from_env.commitment) == (
        "https://api.devnet.solana.com",
        home / "e.json",
        "finalized",
    )
    flags = resolve_settings("http://10.0.0.1:8899", home / "x.json", "confirmed")
    assert (flags.url, flags.keypair_path, flags.commitment) == (
        "http://10.0.0.1:8899",
        home / "x.json",
        "confirmed",
    )
    monkeypatch.setenv("SOLGRID_COMMITMENT", "eventually")
    with pytest.raises(click.BadParameter, match="unknown commitment 'eventually'"):
        resolve_settings(None, None)


def test_config_file_round_trips_any_path(home: Path) -> None:
    odd = home / 'dir "quoted" \\ back\tslash é 🔑' / "id.json"
    saved = invoke_json("config", "set", "--keypair", str(odd))
    assert saved == {"config_file": str(home / "solgrid.toml"), "keypair": str(odd)}
    assert read_config() == {"keypair": str(odd)}
    assert invoke_json("config", "get")["keypair"] == str(odd)
    assert toml_string('a"b\\c\x7f') == '"a\\"b\\\\c\\u007F"'


def test_config_write_failure_is_one_line(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (home / "a-file").write_text("")
    monkeypatch.setenv("SOLGRID_CONFIG", str(home / "a-file" / "config.toml"))
    one_line_error(invoke("config", "set", "--url", "devnet"), 1, "cannot write config file")

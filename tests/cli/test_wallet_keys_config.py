"""``solgrid keys`` and ``solgrid config``: files, formats, precedence and one-line errors (no node)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from solders.keypair import Keypair
from wallet_support import invoke, invoke_json, one_line_error, write_key


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
    assert imported["pubkey"] == str(original.pubkey())
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

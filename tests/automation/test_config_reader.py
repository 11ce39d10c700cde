"""The services' TOML conventions: every mistake is one line naming the key, raised as the service's own
error type; monikers name clusters; the file's own problems name the file."""

from __future__ import annotations

from pathlib import Path

import pytest
from solders.keypair import Keypair

from solgrid.automation.config import ConfigError, ConfigReader
from solgrid.errors import UserFacingError


class ServiceConfigError(ConfigError):
    """A service's own error type."""


READ = ConfigReader(ServiceConfigError, "service config")


def refused(call: object, *args: object) -> str:
    assert callable(call)
    with pytest.raises(ServiceConfigError) as raised:
        call(*args)
    assert isinstance(raised.value, UserFacingError) and "\n" not in str(raised.value)
    return str(raised.value)


def test_reads_typed_values_and_defaults() -> None:
    table = {"n": 3, "x": 0.5, "s": "a", "flag": False}
    assert READ.get(table, "n", int, "config") == 3
    assert READ.get(table, "absent", int, "config", 7) == 7
    assert READ.get(table, "absent", int, "config") is None
    assert READ.get(table, "flag", bool, "config", True) is False
    assert READ.number(table, "n", "config", 1.0) == 3.0 and READ.number(table, "x", "config", 1.0) == 0.5
    assert READ.number(table, "absent", "config", 2.5) == 2.5
    assert READ.required(table, "s", str, "[t]") == "a"


def test_mistakes_name_the_key() -> None:
    assert refused(READ.known, {"polls": 1, "a": 2}, ("a", "b"), "config") == (
        "config has unknown key(s) polls (known: a, b)"
    )
    assert refused(READ.get, {"n": "three"}, "n", int, "config") == "config.n has the wrong type: 'three'"
    assert refused(READ.get, {"n": True}, "n", int, "[t]") == "[t].n must be a number, not True"
    assert refused(READ.required, {}, "cluster", str, "config") == "config.cluster is missing"
    assert refused(READ.number, {"x": -1}, "x", "config", 1.0) == "config.x must be >= 0"
    assert refused(READ.pubkey, "nope", "markets[0]") == "markets[0] is not a base58 public key: 'nope'"
    assert refused(READ.cluster, "localhost:8899").startswith("cluster must be an http(s) URL or one of ")


def test_clusters_and_keys() -> None:
    assert READ.cluster("devnet") == "https://api.devnet.solana.com"
    assert READ.cluster("http://127.0.0.1:8899") == "http://127.0.0.1:8899"
    key = Keypair().pubkey()
    assert READ.pubkey(str(key), "k") == key


def test_the_file_itself(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    assert refused(READ.load, path) == f"service config {path} not found"
    path.write_text("cluster = ")
    assert refused(READ.load, path).startswith(f"service config {path} is not valid TOML: ")
    path.write_bytes(b'cluster = "\xff"\n')
    assert refused(READ.load, path).startswith(f"service config {path} is not valid TOML: ")
    path.write_text('cluster = "localnet"\n[settle]\nenabled = true\n')
    assert READ.load(path) == {"cluster": "localnet", "settle": {"enabled": True}}

"""The conventions of the services' TOML configuration files.

A service's file is one TOML document; relative paths in it are resolved against the file's directory
(so a config directory can be moved as a whole); a misspelt key is an error, not a silently ignored
setting; and every problem is one line naming the offending key, raised as the service's own
:class:`ConfigError` subclass (``OracleConfigError``, ``KeeperConfigError``).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from solders.pubkey import Pubkey

from solgrid.errors import UserFacingError
from solgrid.sdk.workspace import CLUSTER_URLS


class ConfigError(UserFacingError):
    """A service's configuration file is missing, not TOML, or has an invalid value."""


@dataclass(frozen=True)
class ConfigReader:
    """Typed reads of a parsed TOML document, each failure raised as ``error``; ``what`` names the file
    in messages about the file as a whole (``oracle config``, ``keeper config``)."""

    error: type[ConfigError]
    what: str

    def load(self, path: Path) -> dict[str, Any]:
        """The TOML document at ``path``."""
        try:
            return tomllib.loads(path.read_text())
        except FileNotFoundError:
            raise self.error(f"{self.what} {path} not found") from None
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
            raise self.error(f"{self.what} {path} is not valid TOML: {e}") from None

    def known(self, table: dict[str, Any], allowed: tuple[str, ...], where: str) -> None:
        """A misspelt key is an error, not a silently ignored setting."""
        unknown = sorted(set(table) - set(allowed))
        if unknown:
            listed = ", ".join(unknown)
            raise self.error(f"{where} has unknown key(s) {listed} (known: {', '.join(allowed)})")

    def get(
        self,
        table: dict[str, Any],
        key: str,
        kind: type | tuple[type, ...],
        where: str,
        default: Any = None,
    ) -> Any:
        """``table[key]`` checked to be a ``kind`` (a bool is not a number), or ``default`` if absent."""
        value = table.get(key, default)
        if value is None:
            if default is None and key in table:
                raise self.error(f"{where}.{key} must not be empty")
            return default
        if isinstance(value, bool) and kind in (int, float, (int, float)):
            raise self.error(f"{where}.{key} must be a number, not {value!r}")
        if not isinstance(value, kind):
            raise self.error(f"{where}.{key} has the wrong type: {value!r}")
        return value

    def required(self, table: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
        if key not in table:
            raise self.error(f"{where}.{key} is missing")
        return self.get(table, key, kind, where)

    def number(
        self, table: dict[str, Any], key: str, where: str, default: float, *, minimum: float = 0.0
    ) -> float:
        """A number of seconds or the like (an int or a float), at least ``minimum``."""
        value = float(self.get(table, key, (int, float), where, default))
        if value < minimum:
            raise self.error(f"{where}.{key} must be >= {minimum:g}")
        return value

    def pubkey(self, text: str, where: str) -> Pubkey:
        try:
            return Pubkey.from_string(text)
        except ValueError:
            raise self.error(f"{where} is not a base58 public key: {text!r}") from None

    def cluster(self, text: str) -> str:
        """An http(s) JSON-RPC URL, or a moniker the Solana CLI knows (localnet, devnet, ...)."""
        if text in CLUSTER_URLS:
            return CLUSTER_URLS[text]
        if not text.startswith(("http://", "https://")):
            monikers = ", ".join(CLUSTER_URLS)
            raise self.error(f"cluster must be an http(s) URL or one of {monikers}, not {text!r}")
        return text

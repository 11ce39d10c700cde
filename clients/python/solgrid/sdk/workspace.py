"""The Anchor workspace layout that ``solgrid deploy``, ``solgrid localnet`` and the SDK share.

Program ids in ``Anchor.toml`` ``[programs.<cluster>]``, the provider's cluster and wallet in
``[provider]``, program keypairs in ``keys/<name>-keypair.json`` and ELFs in ``target/deploy/<name>.so``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from solders.pubkey import Pubkey

from solgrid.errors import UserFacingError

CLUSTER_URLS = {
    "localnet": "http://127.0.0.1:8899",
    "devnet": "https://api.devnet.solana.com",
    "testnet": "https://api.testnet.solana.com",
    "mainnet": "https://api.mainnet-beta.solana.com",
    "mainnet-beta": "https://api.mainnet-beta.solana.com",
}
"""RPC URLs of the cluster monikers (as the Solana CLI knows them)."""


class WorkspaceError(UserFacingError):
    """Anchor.toml is missing, unreadable or inconsistent."""


@dataclass(frozen=True)
class WorkspaceProgram:
    name: str
    program_id: Pubkey
    so_path: Path
    keypair_path: Path


@dataclass(frozen=True)
class Workspace:
    """An Anchor-style workspace: ``Anchor.toml`` at ``root``."""

    root: Path
    config: dict[str, object]

    @classmethod
    def find(cls, start: Path) -> Workspace | None:
        """The workspace containing ``start`` (searching parent directories), or None."""
        for directory in [start.resolve(), *start.resolve().parents]:
            anchor_toml = directory / "Anchor.toml"
            if anchor_toml.is_file():
                return cls.load(directory)
        return None

    @classmethod
    def load(cls, root: Path) -> Workspace:
        path = root / "Anchor.toml"
        try:
            config = tomllib.loads(path.read_text())
        except (OSError, tomllib.TOMLDecodeError) as e:
            raise WorkspaceError(f"cannot read {path}: {e}") from None
        return cls(root, config)

    def _section(self, name: str) -> dict[str, object]:
        value = self.config.get(name, {})
        return value if isinstance(value, dict) else {}

    @property
    def cluster(self) -> str:
        return str(self._section("provider").get("cluster", "localnet"))

    @property
    def wallet_path(self) -> Path:
        return Path(str(self._section("provider").get("wallet", "~/.config/solana/id.json"))).expanduser()

    def programs(self, cluster: str) -> list[WorkspaceProgram]:
        """The programs of ``[programs.<cluster>]`` in file order."""
        table = self._section("programs").get(cluster, {})
        if not isinstance(table, dict):
            raise WorkspaceError(f"Anchor.toml [programs.{cluster}] is not a table")
        programs = []
        for name, address in table.items():
            try:
                program_id = Pubkey.from_string(str(address))
            except ValueError:
                raise WorkspaceError(
                    f"Anchor.toml [programs.{cluster}] {name} = {address!r} is not a pubkey"
                ) from None
            programs.append(
                WorkspaceProgram(
                    name=name,
                    program_id=program_id,
                    so_path=self.root / "target" / "deploy" / f"{name}.so",
                    keypair_path=self.root / "keys" / f"{name}-keypair.json",
                )
            )
        return programs

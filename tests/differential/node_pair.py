"""Our local node and a real solana-test-validator from the same genesis: the workspace programs at their
addresses (upgradeable, ``authority`` as upgrade authority) and the stream's genesis keys funded."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from solders.keypair import Keypair
from solders.pubkey import Pubkey

from real_validator import RealValidator
from solgrid.localnet.background import BackgroundNode
from solgrid.localnet.genesis import GenesisProgram
from solgrid.localnet.server import NodeConfig
from solgrid.sdk.workspace import Workspace

GENESIS_RENT_EPOCH = 0
"""What a validator's genesis gives its ``--mint`` wallet (and our node its funded keys)."""


def _account_file(directory: Path, pubkey: Pubkey, lamports: int) -> Path:
    """A ``--account`` file (the JSON of ``solana account --output json``) of a system wallet, as the
    validator's genesis would fund it."""
    path = directory / f"{pubkey}.json"
    account = {
        "lamports": lamports,
        "data": ["", "base64"],
        "owner": "11111111111111111111111111111111",
        "executable": False,
        "rentEpoch": GENESIS_RENT_EPOCH,
        "space": 0,
    }
    path.write_text(json.dumps({"pubkey": str(pubkey), "account": account}))
    return path


@contextmanager
def local_node(programs: list[GenesisProgram], funded: dict[Pubkey, int]) -> Iterator[str]:
    with BackgroundNode(NodeConfig(rpc_port=0, ws_port=0, programs=programs, funded=funded)) as node:
        yield node.rpc_url


@contextmanager
def real_validator(
    workdir: Path, programs: list[GenesisProgram], elves: dict[str, Path], funded: dict[Pubkey, int]
) -> Iterator[str]:
    args: list[str] = []
    for program in programs:
        assert program.upgrade_authority is not None
        args += ["--upgradeable-program", str(program.program_id), str(elves[program.name])]
        args.append(str(program.upgrade_authority))
    accounts = workdir / "accounts"
    accounts.mkdir(parents=True, exist_ok=True)
    for pubkey, lamports in funded.items():
        args += ["--account", str(pubkey), str(_account_file(accounts, pubkey, lamports))]
    validator = RealValidator.start(workdir, Keypair(), extra_args=args)
    try:
        yield validator.rpc_url
    finally:
        validator.stop()


def workspace_programs(repo: Path, authority: Pubkey) -> tuple[list[GenesisProgram], dict[str, Path]]:
    """The workspace's programs (built into target/deploy) and their ELF files."""
    workspace = Workspace.find(repo)
    assert workspace is not None
    programs, files = [], {}
    for program in workspace.programs("localnet"):
        programs.append(
            GenesisProgram(program.name, program.program_id, program.so_path.read_bytes(), authority)
        )
        files[program.name] = program.so_path
    return programs, files

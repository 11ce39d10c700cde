"""The IDL on-chain from ``solgrid deploy`` and from genesis: after ``solgrid deploy`` of a workspace with
``idl/<name>.json``, anchorpy's ``Program.at`` reads that IDL back; deploying again leaves it alone; and a
node started with the workspace's programs (as ``solgrid localnet`` starts) serves them with their IDL."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from anchorpy.program.core import Program
from anchorpy.provider import Provider, Wallet
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solders.keypair import Keypair
from test_deploy import run_cli, write_workspace

from solgrid.cli.localnet_cmd import genesis_programs
from solgrid.localnet.server import LocalNode, NodeConfig
from solgrid.localnet.svm import features_blocking_deploy
from solgrid.sdk.idl_account import IdlPublishError, decode_idl_account, idl_address
from solgrid.sdk.workspace import Workspace

REPO = Path(__file__).resolve().parents[2]
SOL = 10**9


async def test_solgrid_deploy_publishes_the_idl(elf_of: Callable[[str], bytes], tmp_path: Path) -> None:
    elf = elf_of("energy_token")
    wallet, program = Keypair(), Keypair()
    write_workspace(tmp_path, elf, wallet, program, name="energy_token")
    (tmp_path / "idl").mkdir()
    shutil.copy(REPO / "idl" / "energy_token.json", tmp_path / "idl" / "energy_token.json")
    config = NodeConfig(
        rpc_port=0,
        ws_port=0,
        slot_ms=100,
        funded={wallet.pubkey(): 100 * SOL},
        deactivate_features=features_blocking_deploy(elf),
    )
    async with LocalNode(config) as node, AsyncClient(node.rpc_url, Confirmed) as client:
        code, out, err = await run_cli("deploy", "--url", node.rpc_url, cwd=tmp_path)
        assert code == 0, err
        assert f"energy_token: IDL created at {idl_address(program.pubkey())}" in out
        provider = Provider(client, Wallet(wallet))
        fetched = await Program.at(program.pubkey(), provider)
        assert fetched.program_id == program.pubkey()
        raw = await Program.fetch_raw_idl(program.pubkey(), provider)
        assert json.loads(raw) == json.loads((REPO / "idl" / "energy_token.json").read_text())

        code, out, err = await run_cli("deploy", "--url", node.rpc_url, cwd=tmp_path)
        assert code == 0, err
        assert "energy_token: IDL unchanged" in out

        # A changed IDL is upgraded in place.
        changed = json.loads(raw)
        changed["docs"] = ["republished"]
        (tmp_path / "idl" / "energy_token.json").write_text(json.dumps(changed))
        code, out, err = await run_cli("deploy", "--url", node.rpc_url, cwd=tmp_path)
        assert code == 0, err
        assert "energy_token: IDL upgraded" in out
        assert json.loads(await Program.fetch_raw_idl(program.pubkey(), provider)) == changed


async def test_localnet_genesis_serves_the_idl(
    elf_of: Callable[[str], bytes], upgrade_authority: Keypair
) -> None:
    for name in ("registry", "energy_token", "trading", "governance"):
        elf_of(name)  # builds target/deploy/<name>.so if needed, which genesis_programs reads
    workspace = Workspace.load(REPO)
    programs = genesis_programs(workspace, upgrade_authority.pubkey())
    assert {p.name for p in programs} == {"registry", "energy_token", "trading", "governance"}
    config = NodeConfig(rpc_port=0, ws_port=0, programs=programs, funded={upgrade_authority.pubkey(): SOL})
    async with LocalNode(config) as node, AsyncClient(node.rpc_url, Confirmed) as client:
        provider = Provider(client, Wallet(upgrade_authority))
        for program in programs:
            fetched = await Program.at(program.program_id, provider)
            assert fetched.program_id == program.program_id
            raw = await Program.fetch_raw_idl(program.program_id, provider)
            assert json.loads(raw) == json.loads((REPO / "idl" / f"{program.name}.json").read_text())
            account = (await client.get_account_info(idl_address(program.program_id))).value
            assert account is not None and account.owner == program.program_id
            assert decode_idl_account(bytes(account.data)).authority == upgrade_authority.pubkey()


def test_decode_refuses_other_accounts() -> None:
    with pytest.raises(IdlPublishError, match="not an Anchor IDL account"):
        decode_idl_account(bytes(100))

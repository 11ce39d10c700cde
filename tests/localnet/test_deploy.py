"""Deploying through BPFLoaderUpgradeable over JSON-RPC (``solgrid.sdk.deploy`` and ``solgrid deploy``),
then running the program."""

from __future__ import annotations

import asyncio
import json
import math
import struct
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from localnet_support import SOL, funded, invoke_logs, program_ran
from solana.rpc.async_api import AsyncClient
from solders.keypair import Keypair

from solgrid.localnet.genesis import GenesisProgram
from solgrid.localnet.server import LocalNode, NodeConfig
from solgrid.localnet.svm import features_blocking_deploy
from solgrid.sdk import loader
from solgrid.sdk.deploy import DeployError, deploy_program

pytestmark = pytest.mark.asyncio(loop_scope="module")

GENESIS_AUTHORITY = Keypair()
GENESIS_PROGRAM = Keypair()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def node(program_elf: bytes) -> AsyncIterator[LocalNode]:
    """A node with one program installed at genesis, upgradeable by GENESIS_AUTHORITY, that can deploy
    ``program_elf`` (SIMD-0500 inactive if it is SBPF v0)."""
    genesis = GenesisProgram("genesis", GENESIS_PROGRAM.pubkey(), program_elf, GENESIS_AUTHORITY.pubkey())
    config = NodeConfig(
        rpc_port=0,
        ws_port=0,
        slot_ms=100,
        programs=[genesis],
        funded={GENESIS_AUTHORITY.pubkey(): 100 * SOL},
        deactivate_features=features_blocking_deploy(program_elf),
    )
    async with LocalNode(config) as running:
        yield running


async def programdata(client: AsyncClient, program_id: object) -> bytes:
    account = (await client.get_account_info(loader.programdata_address(program_id))).value  # type: ignore[arg-type]
    assert account is not None
    return bytes(account.data)


async def test_deploy_then_run(client: AsyncClient, program_elf: bytes) -> None:
    payer = await funded(client, 100 * SOL)
    program = Keypair()
    result = await deploy_program(client, payer, program_elf, program)
    assert not result.upgraded and result.program_id == program.pubkey()
    assert result.write_transactions == math.ceil(len(program_elf) / 1012)  # 1012 bytes fit one packet

    account = (await client.get_account_info(program.pubkey())).value
    assert account is not None and account.executable and account.owner == loader.LOADER_V3
    data = await programdata(client, program.pubkey())
    tag, _slot, has_authority = struct.unpack_from("<IQB", data)
    assert (tag, has_authority) == (3, 1)
    assert data[13:45] == bytes(payer.pubkey())
    assert data[45:] == program_elf

    assert program_ran(await invoke_logs(client, payer, program.pubkey()), program.pubkey())
    # Written by the deployment, both report rentEpoch u64::MAX as on a validator (the program account
    # from the block after it).
    for address in (program.pubkey(), loader.programdata_address(program.pubkey())):
        written = (await client.get_account_info(address)).value
        assert written is not None and written.rent_epoch == 2**64 - 1


async def test_upgrade_with_a_larger_elf_extends_the_program(client: AsyncClient, program_elf: bytes) -> None:
    payer = await funded(client, 100 * SOL)
    program = Keypair()
    await deploy_program(client, payer, program_elf, program)
    # No pause: deploy_program waits for the slot after the deployment, which the loader requires.
    larger = program_elf + bytes(2000)  # trailing bytes after the ELF's last section are accepted
    result = await deploy_program(client, payer, larger, program.pubkey())
    assert result.upgraded
    data = await programdata(client, program.pubkey())
    # 2,000 bytes are missing, but the loader extends by no less than 10,240: the rest is zeros.
    assert len(data) == loader.PROGRAMDATA_HEADER_LEN + len(program_elf) + loader.MINIMUM_EXTEND_PROGRAM_BYTES
    assert data[45 : 45 + len(larger)] == larger and not any(data[45 + len(larger) :])
    assert program_ran(await invoke_logs(client, payer, program.pubkey()), program.pubkey())


async def test_upgrade_of_a_genesis_program(client: AsyncClient, program_elf: bytes) -> None:
    assert program_ran(
        await invoke_logs(client, GENESIS_AUTHORITY, GENESIS_PROGRAM.pubkey()), GENESIS_PROGRAM.pubkey()
    )
    result = await deploy_program(client, GENESIS_AUTHORITY, program_elf, GENESIS_PROGRAM.pubkey())
    assert result.upgraded
    assert program_ran(
        await invoke_logs(client, GENESIS_AUTHORITY, GENESIS_PROGRAM.pubkey()), GENESIS_PROGRAM.pubkey()
    )


async def test_deploy_errors(client: AsyncClient, program_elf: bytes) -> None:
    payer = await funded(client, 100 * SOL)
    with pytest.raises(DeployError, match="upgrade authority"):
        await deploy_program(client, payer, program_elf, GENESIS_PROGRAM.pubkey())
    with pytest.raises(DeployError, match="not a BPFLoaderUpgradeable program"):
        await deploy_program(client, payer, program_elf, payer)
    with pytest.raises(DeployError, match="needs its keypair"):
        await deploy_program(client, payer, program_elf, Keypair().pubkey())
    broken = Keypair()
    with pytest.raises(DeployError, match="deploy transaction rejected") as raised:
        await deploy_program(client, payer, b"\x7fELF" + bytes(500), broken)
    assert "BPFLoaderUpgradeab1e11111111111111111111111" in str(raised.value)
    assert (await client.get_account_info(broken.pubkey())).value is None


def write_workspace(
    root: Path, program_elf: bytes, wallet: Keypair, program: Keypair, name: str = "demo"
) -> None:
    (root / "keys").mkdir()
    (root / "target" / "deploy").mkdir(parents=True)
    (root / "keys" / f"{name}-keypair.json").write_text(json.dumps(list(bytes(program))))
    (root / "target" / "deploy" / f"{name}.so").write_bytes(program_elf)
    (root / "wallet.json").write_text(json.dumps(list(bytes(wallet))))
    (root / "Anchor.toml").write_text(
        f'[programs.localnet]\n{name} = "{program.pubkey()}"\n\n'
        f'[provider]\ncluster = "localnet"\nwallet = "{root / "wallet.json"}"\n'
    )


async def run_cli(*args: str, cwd: Path) -> tuple[int, str, str]:
    """``solgrid <args>`` in a child process."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "from solgrid.cli.main import main; main()",
        *args,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_deploy_command(
    node: LocalNode, client: AsyncClient, program_elf: bytes, tmp_path: Path
) -> None:
    wallet, program = await funded(client, 100 * SOL), Keypair()
    write_workspace(tmp_path, program_elf, wallet, program)

    code, out, err = await run_cli("deploy", "--url", node.rpc_url, cwd=tmp_path)
    assert code == 0, err
    assert f"demo: deployed {program.pubkey()}" in out
    assert program_ran(await invoke_logs(client, wallet, program.pubkey()), program.pubkey())

    code, out, err = await run_cli("deploy", "--url", node.rpc_url, "demo", cwd=tmp_path)
    assert code == 0, err
    assert f"demo: upgraded {program.pubkey()}" in out

    code, _out, err = await run_cli("deploy", "--url", node.rpc_url, "nothere", cwd=tmp_path)
    assert code == 1 and err.strip().splitlines() == [err.strip()] and "unknown program(s) nothere" in err

    (tmp_path / "keys" / "demo-keypair.json").write_text(json.dumps(list(bytes(Keypair()))))
    code, _out, err = await run_cli("deploy", "--url", node.rpc_url, cwd=tmp_path)
    assert code == 1 and "keys/demo-keypair.json holds" in err and "Traceback" not in err

"""The IDL on-chain on the local node: :func:`publish_idl` creates each workspace program's Anchor IDL
account (the node's genesis programs are upgradeable by ``upgrade_authority``), and anchorpy's
``Program.at`` then builds a client from it equal to ``idl/<name>.json``. Publishing again sends nothing;
a changed IDL is upgraded through a buffer and ``SetBuffer`` (growing the account), and the buffer is
closed."""

from __future__ import annotations

import json
import zlib
from typing import Any

import pytest
from anchorpy.program.core import Program
from anchorpy.provider import Provider, Wallet
from registry_harness import REPO
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from real_validator import RealValidator
from solgrid.sdk import idl_account as ia
from solgrid.sdk.idl import load_idl_json
from solgrid.sdk.idl_account import (
    IdlAction,
    IdlPublishError,
    create,
    fetch_idl_json,
    idl_address,
    inflate_idl,
    publish_idl,
    write,
)
from solgrid.sdk.transactions import TransactionFailed, send_and_confirm
from solgrid.sdk.workspace import Workspace

PROGRAMS = ("registry", "energy_token", "trading", "governance")


async def test_program_at_reads_the_published_idl(fresh_rpc_url: str, upgrade_authority: Keypair) -> None:
    workspace = Workspace.find(REPO)
    assert workspace is not None
    ids = {p.name: p.program_id for p in workspace.programs("localnet")}
    async with AsyncClient(fresh_rpc_url, Confirmed) as client:
        provider = Provider(client, Wallet(upgrade_authority))
        for name in PROGRAMS:
            program_id = ids[name]
            local = (REPO / "idl" / f"{name}.json").read_bytes()
            assert await fetch_idl_json(client, program_id) is None
            created = await publish_idl(client, upgrade_authority, program_id, local)
            assert created.action is IdlAction.CREATED and created.address == idl_address(program_id)

            raw = await Program.fetch_raw_idl(program_id, provider)
            assert json.loads(raw) == load_idl_json(name)
            program = await Program.at(program_id, provider)
            assert program.program_id == program_id
            assert [ix.name for ix in program.idl.instructions] == [
                ix["name"] for ix in load_idl_json(name)["instructions"]
            ]
            assert [(e.code, e.name) for e in program.idl.errors or []] == [
                (e["code"], e["name"]) for e in load_idl_json(name)["errors"]
            ]

            again = await publish_idl(client, upgrade_authority, program_id, local)
            assert again.action is IdlAction.UNCHANGED and again.transactions == 0

        # An upgrade to a larger IDL grows the account; then back to the original.
        program_id = ids["energy_token"]
        original = (REPO / "idl" / "energy_token.json").read_bytes()
        bigger = json.loads(original)
        bigger["docs"] = [Keypair().pubkey().__str__() * 40 for _ in range(60)]
        bigger_json = json.dumps(bigger).encode()
        before = (await client.get_account_info(idl_address(program_id))).value
        assert before is not None
        upgraded = await publish_idl(client, upgrade_authority, program_id, bigger_json)
        assert upgraded.action is IdlAction.UPGRADED
        assert await fetch_idl_json(client, program_id) == bigger_json
        after = (await client.get_account_info(idl_address(program_id))).value
        assert after is not None and len(after.data) > len(before.data)
        restored = await publish_idl(client, upgrade_authority, program_id, original)
        assert restored.action is IdlAction.UPGRADED
        assert json.loads(await Program.fetch_raw_idl(program_id, provider)) == load_idl_json("energy_token")

        # Another wallet is refused before anything is sent (the program refuses it too: LiteSVM tests).
        stranger = Keypair()
        await client.confirm_transaction(
            (await client.request_airdrop(stranger.pubkey(), 10**9)).value, Confirmed
        )
        with pytest.raises(IdlPublishError, match="authority"):
            await publish_idl(client, stranger, program_id, bigger_json)


async def test_a_publish_stopped_halfway_is_finished_by_the_next(
    fresh_rpc_url: str, upgrade_authority: Keypair
) -> None:
    """Created, then only part of the compressed IDL written: reading it says so in one line, and
    publishing again replaces it through a buffer."""
    workspace = Workspace.find(REPO)
    assert workspace is not None
    program_id = {p.name: p.program_id for p in workspace.programs("localnet")}["energy_token"]
    local = (REPO / "idl" / "energy_token.json").read_bytes()
    compressed = zlib.compress(local, 9)
    assert inflate_idl(compressed) == local and inflate_idl(compressed[:100]) is None
    assert inflate_idl(b"") is None and inflate_idl(compressed + b"x") is None
    async with AsyncClient(fresh_rpc_url, Confirmed) as client:
        authority = upgrade_authority.pubkey()
        await send_and_confirm(client, [create(program_id, authority, len(compressed))], upgrade_authority)
        with pytest.raises(IdlPublishError, match="no whole IDL"):
            await fetch_idl_json(client, program_id)
        partial = write(program_id, idl_address(program_id), authority, compressed[:100])
        await send_and_confirm(client, [partial], upgrade_authority)
        with pytest.raises(IdlPublishError, match="no whole IDL"):
            await fetch_idl_json(client, program_id)
        finished = await publish_idl(client, upgrade_authority, program_id, local)
        assert finished.action is IdlAction.UPGRADED
        assert await fetch_idl_json(client, program_id) == local
        provider = Provider(client, Wallet(upgrade_authority))
        assert json.loads(await Program.fetch_raw_idl(program_id, provider)) == load_idl_json("energy_token")


async def test_an_upgrade_that_fails_closes_its_buffer(
    fresh_rpc_url: str, upgrade_authority: Keypair, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A SetBuffer the program refuses (here: an unknown IDL instruction in its place) leaves the IDL as it
    was, and the buffer's rent goes back to the authority."""
    workspace = Workspace.find(REPO)
    assert workspace is not None
    program_id = {p.name: p.program_id for p in workspace.programs("localnet")}["trading"]
    local = (REPO / "idl" / "trading.json").read_bytes()
    messages: list[str] = []
    async with AsyncClient(fresh_rpc_url, Confirmed) as client:
        await publish_idl(client, upgrade_authority, program_id, local)

        set_buffer = ia.set_buffer

        def refused(program: Pubkey, buffer: Pubkey, authority: Pubkey) -> Instruction:
            good = set_buffer(program, buffer, authority)
            return Instruction(program, ia.IDL_IX_TAG + bytes([9]), list(good.accounts))

        monkeypatch.setattr(ia, "set_buffer", refused)
        changed = json.dumps({**json.loads(local), "docs": ["changed"]}).encode()
        with pytest.raises(TransactionFailed):
            await publish_idl(client, upgrade_authority, program_id, changed, progress=messages.append)
        [buffer] = [m.split("through buffer ")[1].split()[0] for m in messages if "through buffer" in m]
        assert (await client.get_account_info(Pubkey.from_string(buffer))).value is None
        assert await fetch_idl_json(client, program_id) == local


async def test_an_upgrade_whose_confirmation_failed_but_landed_is_reported_done(
    fresh_rpc_url: str, upgrade_authority: Keypair, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SetBuffer and Close landed but their confirmation failed (a timeout): the IDL holds the new JSON and
    the buffer is gone, so the publish is an upgrade, not an error about a buffer left behind."""
    workspace = Workspace.find(REPO)
    assert workspace is not None
    program_id = {p.name: p.program_id for p in workspace.programs("localnet")}["governance"]
    local = (REPO / "idl" / "governance.json").read_bytes()
    async with AsyncClient(fresh_rpc_url, Confirmed) as client:
        await publish_idl(client, upgrade_authority, program_id, local)
        real_send = ia.send_and_confirm
        lost: list[int] = []

        async def send_then_lose_it(*args: Any, **kwargs: Any) -> Any:
            signature = await real_send(*args, **kwargs)
            instructions = args[1]
            if instructions[0].data[8] == ia.SET_BUFFER:
                lost.append(len(instructions))
                raise TransactionFailed("the confirmation timed out")
            return signature

        monkeypatch.setattr(ia, "send_and_confirm", send_then_lose_it)
        changed = json.dumps({**json.loads(local), "docs": ["changed"]}).encode()
        done = await publish_idl(client, upgrade_authority, program_id, changed)
        assert lost == [2] and done.action is IdlAction.UPGRADED
        assert await fetch_idl_json(client, program_id) == changed


@pytest.mark.compat
async def test_program_at_on_the_real_validator(
    real_validator: RealValidator, upgrade_authority: Keypair
) -> None:
    """On a real solana-test-validator, ``solgrid deploy`` (the fixture's deployment) published each IDL."""
    workspace = Workspace.find(REPO)
    assert workspace is not None
    async with AsyncClient(real_validator.rpc_url, Confirmed) as client:
        provider = Provider(client, Wallet(upgrade_authority))
        for program in workspace.programs("localnet"):
            raw = await Program.fetch_raw_idl(program.program_id, provider)
            assert json.loads(raw) == load_idl_json(program.name)
            fetched = await Program.at(program.program_id, provider)
            assert fetched.program_id == program.program_id
            local = (REPO / "idl" / f"{program.name}.json").read_bytes()
            again = await publish_idl(client, upgrade_authority, program.program_id, local)
            assert again.action is IdlAction.UNCHANGED

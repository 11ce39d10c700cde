"""An Anchor program (``examples/anchor-tally``, ``anchor-lang`` from crates.io) built by ``StdBuilder``,
deployed through BPFLoaderUpgradeable over JSON-RPC to the local node, and driven by anchorpy with its
committed IDL: ``init`` of a PDA, ``has_one`` and ``constraint =`` checks, custom errors, and events by
``emit!`` (program logs, anchorpy's EventParser) and ``emit_cpi!`` (a self-CPI, in the inner instructions).

The crate's cargo outputs share ``target/std-fixture/`` with ``tests/build/test_pipeline_solana_program.py``,
so std for the Solana target is built once per checkout.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import base58
import pytest
import pytest_asyncio
from anchorpy import Context, EventParser, Idl, Program, Provider, Wallet
from anchorpy.error import ProgramError
from anchorpy.program.common import Event
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.system_program import ID as SYSTEM_PROGRAM

from solgrid.build.std_build import StdBuilder, manifest_programs
from solgrid.build.toolchain import Toolchain
from solgrid.localnet.server import LocalNode, NodeConfig
from solgrid.sdk.deploy import deploy_program
from solgrid.sdk.keys import read_keypair

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "anchor-tally"
#: Shared with the std fixture's tests: std for the Solana target is built there once.
TARGET_DIR = REPO / "target" / "std-fixture"
IDL = json.loads((EXAMPLE / "idl.json").read_text())
ERRORS = {e["name"]: e for e in IDL["errors"]}
#: Anchor's own error codes (anchor-lang's ErrorCode).
CONSTRAINT_HAS_ONE, CONSTRAINT_RAW, CONSTRAINT_SEEDS, ACCOUNT_NOT_INITIALIZED = 2001, 2003, 2006, 3012
SOL = 10**9


@pytest.fixture(scope="module")
def elf() -> bytes:
    toolchain = Toolchain.locate()
    [program] = manifest_programs(toolchain, EXAMPLE / "Cargo.toml").programs
    assert program.name == "anchor_tally"
    return StdBuilder(EXAMPLE, toolchain, target_dir=TARGET_DIR).build(program).so_path.read_bytes()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def program(elf: bytes) -> AsyncIterator[Program]:
    payer = Keypair()
    config = NodeConfig(rpc_port=0, ws_port=0, funded={payer.pubkey(): 100 * SOL})
    async with LocalNode(config) as node, AsyncClient(node.rpc_url, Confirmed) as client:
        program_keypair = read_keypair(EXAMPLE / "program-keypair.json")
        deployed = await deploy_program(client, payer, elf, program_keypair)
        assert deployed.program_id == Pubkey.from_string(IDL["address"]) and not deployed.upgraded
        yield Program(Idl.from_json(json.dumps(IDL)), deployed.program_id, Provider(client, Wallet(payer)))


def _tally(program: Program, authority: Pubkey) -> Pubkey:
    return Pubkey.find_program_address([b"tally", bytes(authority)], program.program_id)[0]


async def _funded(program: Program) -> Keypair:
    user = Keypair()
    client = program.provider.connection
    await client.confirm_transaction((await client.request_airdrop(user.pubkey(), SOL)).value, Confirmed)
    return user


async def _open(program: Program, user: Keypair, limit: int) -> tuple[Pubkey, Signature]:
    tally = _tally(program, user.pubkey())
    accounts = {"tally": tally, "authority": user.pubkey(), "system_program": SYSTEM_PROGRAM}
    sig = await program.rpc["initialize"](limit, ctx=Context(accounts=accounts, signers=[user]))
    return tally, sig


async def _add(program: Program, user: Keypair, amount: int, tally: Pubkey | None = None) -> Signature:
    accounts = {"tally": tally or _tally(program, user.pubkey()), "authority": user.pubkey()}
    return await program.rpc["add"](amount, ctx=Context(accounts=accounts, signers=[user]))


async def _add_recorded(program: Program, user: Keypair, tally: Pubkey, amount: int) -> Signature:
    accounts = {
        "tally": tally,
        "authority": user.pubkey(),
        "event_authority": Pubkey.find_program_address([b"__event_authority"], program.program_id)[0],
        "program": program.program_id,
    }
    return await program.rpc["add_recorded"](amount, ctx=Context(accounts=accounts, signers=[user]))


async def _events(program: Program, sig: Signature) -> list[Event]:
    tx = await program.provider.connection.get_transaction(sig, commitment=Confirmed)
    assert tx.value is not None and tx.value.transaction.meta is not None
    logs = tx.value.transaction.meta.log_messages or []
    events: list[Event] = []
    EventParser(program.program_id, program.coder).parse_logs(logs, events.append)
    return events


def _fields(event: Event) -> dict[str, Any]:
    return {name: getattr(event.data, name) for name in event.data.__dataclass_fields__}


async def test_initialize_and_add_change_the_tally_and_emit_events(program: Program) -> None:
    user = await _funded(program)
    tally, opened = await _open(program, user, limit=100)
    [event] = await _events(program, opened)
    assert event.name == "TallyOpened"
    assert _fields(event) == {"tally": tally, "authority": user.pubkey(), "limit": 100}

    added = await _add(program, user, 40)
    await _add(program, user, 2)
    state = await program.account["Tally"].fetch(tally)
    assert (state.authority, state.limit, state.count) == (user.pubkey(), 100, 42)
    assert state.bump == Pubkey.find_program_address([b"tally", bytes(user.pubkey())], program.program_id)[1]
    [event] = await _events(program, added)
    assert event.name == "Added"
    assert _fields(event) == {"tally": tally, "amount": 40, "count": 40}


async def test_emit_cpi_records_the_event_in_a_self_cpi(program: Program) -> None:
    user = await _funded(program)
    tally, _ = await _open(program, user, limit=10)
    sig = await _add_recorded(program, user, tally, 7)
    assert (await program.account["Tally"].fetch(tally)).count == 7

    tx = await program.provider.connection.get_transaction(sig, commitment=Confirmed)
    assert tx.value is not None and tx.value.transaction.meta is not None
    [inner] = tx.value.transaction.meta.inner_instructions or []
    [cpi] = inner.instructions
    message = tx.value.transaction.transaction.message  # type: ignore[union-attr]
    assert message.account_keys[cpi.program_id_index] == program.program_id
    data = base58.b58decode(str(cpi.data))
    tag, payload = data[:8], data[8:]
    assert tag == bytes.fromhex("e445a52e51cb9a1d")  # anchor's EVENT_IX_TAG (little-endian)
    event = program.coder.events.parse(payload)
    assert event is not None and event.name == "Added"
    assert _fields(event) == {"tally": tally, "amount": 7, "count": 7}
    assert await _events(program, sig) == []  # nothing in the logs: the event is only in the CPI


async def test_has_one_and_seeds_refuse_another_authority(program: Program) -> None:
    owner, intruder = await _funded(program), await _funded(program)
    tally, _ = await _open(program, owner, limit=10)
    with pytest.raises(ProgramError) as refused:
        await _add(program, intruder, 1, tally=tally)
    assert refused.value.code == CONSTRAINT_HAS_ONE
    assert refused.value.msg == "A has_one constraint was violated"
    # `add_recorded` checks the tally's seeds first (Anchor checks seeds before has_one).
    with pytest.raises(ProgramError) as wrong_seeds:
        await _add_recorded(program, intruder, tally, 1)
    assert (wrong_seeds.value.code, wrong_seeds.value.msg) == (
        CONSTRAINT_SEEDS,
        "A seeds constraint was violated",
    )
    assert (await program.account["Tally"].fetch(tally)).count == 0


async def test_a_raw_constraint_and_a_missing_account_are_refused(program: Program) -> None:
    user = await _funded(program)
    tally, _ = await _open(program, user, limit=3)
    await _add(program, user, 3)
    # `add_recorded`'s `constraint = tally.count < tally.limit` (no custom error): Anchor's ConstraintRaw.
    with pytest.raises(ProgramError) as full:
        await _add_recorded(program, user, tally, 1)
    assert (full.value.code, full.value.msg) == (CONSTRAINT_RAW, "A raw constraint was violated")
    # A tally that was never opened: Anchor's AccountNotInitialized.
    with pytest.raises(ProgramError) as missing:
        await _add(program, await _funded(program), 1)
    assert missing.value.code == ACCOUNT_NOT_INITIALIZED


async def test_custom_errors_by_code_and_name(program: Program) -> None:
    user = await _funded(program)
    with pytest.raises(ProgramError) as zero_limit:
        await _open(program, user, limit=0)
    assert (zero_limit.value.code, zero_limit.value.msg) == (
        ERRORS["ZeroLimit"]["code"],
        ERRORS["ZeroLimit"]["msg"],
    )
    tally, _ = await _open(program, user, limit=5)
    for amount, name in ((0, "ZeroAmount"), (6, "OverLimit"), (2**64 - 1, "OverLimit")):
        with pytest.raises(ProgramError) as refused:
            await _add(program, user, amount)
        assert (refused.value.code, refused.value.msg) == (ERRORS[name]["code"], ERRORS[name]["msg"]), amount
    await _add(program, user, 5)
    # `constraint = tally.count < tally.limit @ TallyError::Full`: a raw constraint with a custom error.
    with pytest.raises(ProgramError) as full:
        await _add(program, user, 1)
    assert (full.value.code, full.value.msg) == (ERRORS["Full"]["code"], ERRORS["Full"]["msg"])
    assert [ERRORS[n]["code"] for n in ("ZeroLimit", "ZeroAmount", "OverLimit", "Full")] == [
        6000,
        6001,
        6002,
        6003,
    ]
    assert (await program.account["Tally"].fetch(tally)).count == 5

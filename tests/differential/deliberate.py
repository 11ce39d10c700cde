"""The deliberate differences between our node and solana-test-validator 4.2.2, as README.md lists them.

Each entry is a bullet of the README's "Deliberate differences" list (its bold name is ``name``). The
differential test holds the node to this list both ways: the stream's records may differ only where an
entry's ``normalise`` says so, every entry's ``probe`` must still observe the difference (a difference
that has gone is removed from the list and the README), and the README lists exactly these names.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey
from solders.system_program import TransferParams, transfer

from node_session import Session
from solgrid.localnet.engine import AGAVE_VERSION
from stream import key

README = Path(__file__).resolve().parents[2] / "README.md"
SECTION = "#### Deliberate differences from solana-test-validator"
VALIDATOR_VERSION = "4.2.2"


@dataclass(frozen=True)
class Deliberate:
    name: str
    probe: Callable[[Session, Session], Awaitable[None]]
    """Asserts that the difference is still there (our node first, then the validator)."""
    normalise: Callable[[Any], Any] | None = None
    """Applied to every recorded value of both nodes before they are compared."""


async def _engine_version(ours: Session, theirs: Session) -> None:
    our_version = (await ours.result("getVersion", []))["solana-core"]
    their_version = (await theirs.result("getVersion", []))["solana-core"]
    assert (our_version, their_version) == (AGAVE_VERSION, VALIDATOR_VERSION), (our_version, their_version)


def _api_version(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: "<agave version>" if k == "apiVersion" else _api_version(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_api_version(v) for v in value]
    return value


async def _test_controls(ours: Session, theirs: Session) -> None:
    assert "result" in await ours.call("solgrid_getClock", [])
    assert (await theirs.call("solgrid_getClock", [])).get("error", {}).get("code") == -32601


async def _history(ours: Session, theirs: Session) -> None:
    """Our node still has the first block and its transactions. (A validator purges its ledger down to
    ``--limit-ledger-size`` shreds, 10,000 by default, which a run of this test does not reach; the
    indexer's tests hold what must survive pruning against a node with a limit.)"""
    assert await ours.result("getFirstAvailableBlock", []) == 0
    first: Any = ours.state.get("first_signature")
    config = {"commitment": "confirmed", "maxSupportedTransactionVersion": 0}
    assert first is not None and await ours.result("getTransaction", [first, config])


async def _immediate_execution(ours: Session, theirs: Session) -> None:
    """Right after sendTransaction returns: confirmed on our node, not yet on the validator."""
    payer = key("payer")
    for session, confirmed in ((ours, True), (theirs, False)):
        ix = transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=key("bob").pubkey(), lamports=61))
        tx = await session.sign([ix], payer)
        wire = base64.b64encode(bytes(tx)).decode()
        await session.result("sendTransaction", [wire, {"encoding": "base64", "skipPreflight": True}])
        (status,) = (await session.result("getSignatureStatuses", [[str(tx.signatures[0])]]))["value"]
        at_once = status is not None and status["confirmationStatus"] in ("confirmed", "finalized")
        assert at_once is confirmed, f"{session.name}: {status}"


STAKE_PROGRAM = Pubkey.from_string("Stake11111111111111111111111111111111111111")
CLOCK = Pubkey.from_string("SysvarC1ock11111111111111111111111111111111")
_DEACTIVATE = (5).to_bytes(4, "little")


async def _unparsed_programs(ours: Session, theirs: Session) -> None:
    """A Stake instruction in getTransaction jsonParsed: partially decoded here, parsed there."""
    stake = key("never-a-stake-account").pubkey()
    payer = key("payer")
    ix = Instruction(
        STAKE_PROGRAM,
        _DEACTIVATE,
        [
            AccountMeta(stake, False, True),
            AccountMeta(CLOCK, False, False),
            AccountMeta(payer.pubkey(), True, False),
        ],
    )
    for session, parsed in ((ours, False), (theirs, True)):
        tx = await session.sign([ix], payer)
        assert await session.send(tx, preflight=False), f"{session.name}: the stake instruction did not land"
        config = {"encoding": "jsonParsed", "commitment": "confirmed", "maxSupportedTransactionVersion": 0}
        landed = await session.result("getTransaction", [str(tx.signatures[0]), config])
        (instruction,) = landed["transaction"]["message"]["instructions"]
        assert ("parsed" in instruction) is parsed, f"{session.name}: {instruction}"


async def _no_votes(ours: Session, theirs: Session) -> None:
    """No vote account, stake, fee rewards or snapshot here; the validator has its own vote account, votes
    every slot, its leader earns half of every fee, and it snapshots every 100 slots."""
    for session, accounts in ((ours, 0), (theirs, 1)):
        votes = await session.result("getVoteAccounts", [])
        assert len(votes["current"]) + len(votes["delinquent"]) == accounts, f"{session.name}: {votes}"
    for session, staked in ((ours, False), (theirs, True)):
        root = await session.slot("finalized")
        commitment = await session.result("getBlockCommitment", [root])
        assert (commitment["totalStake"] > 0) is staked, f"{session.name}: {commitment}"
        recent = [
            await session.result("getBlock", [slot, {"transactionDetails": "none"}])
            for slot in range(max(root - 4, 0), root + 1)
        ]
        assert any(block["rewards"] for block in recent) is staked, f"{session.name}: {recent}"
    assert (await ours.call("getHighestSnapshotSlot", []))["error"]["code"] == -32008
    if await theirs.slot("finalized") >= 200:  # its first full snapshot is of slot 100
        assert (await theirs.result("getHighestSnapshotSlot", []))["full"] >= 100


DELIBERATE = (
    Deliberate("Engine version", _engine_version, _api_version),
    Deliberate("Immediate execution", _immediate_execution),
    Deliberate("Test controls", _test_controls),
    Deliberate("History kept", _history),
    Deliberate("Unparsed programs", _unparsed_programs),
    Deliberate("No votes", _no_votes),
)


def readme_names() -> list[str]:
    """The bold names of the README's list of deliberate differences."""
    text = README.read_text()
    start = text.index(SECTION)
    end = text.find("\n#", start + len(SECTION))
    section = text[start : end if end != -1 else len(text)]
    return re.findall(r"^- \*\*(.+?)\*\*", section, flags=re.MULTILINE)


def normalise(value: Any) -> Any:
    for entry in DELIBERATE:
        if entry.normalise is not None:
            value = entry.normalise(value)
    return value

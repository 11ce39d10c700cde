"""``solgrid gov`` against a governed local node of its own (``governance_support``): a fee change
proposed by one regulator and approved by two of three in separate invocations (one of them a real
subprocess), refused before its quorum and before its timelock with the time it becomes executable, then
executed once; an emergency pause by one regulator and a resume by proposal; proposals listed, shown,
cancelled and closed; the one-line errors of bad input; and the SDK's proposal reads over JSON-RPC."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_docs import documented_json_keys
from governance_support import ZONE_ID, Gov, governed_node, set_up
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solders.keypair import Keypair
from wallet_support import advance_clock, invoke, one_line_error, run_subprocess

from solgrid.sdk.governance import GovernanceClient, ProposalStatus
from solgrid.sdk.registry import RegistryClient

HOUR = 3600


@pytest.fixture(scope="module")
def gov(tmp_path_factory: pytest.TempPathFactory, elf_of: Callable[[str], bytes]) -> Iterator[Gov]:
    authority = Keypair()
    for url in governed_node(authority, elf_of):
        yield set_up(url, authority, tmp_path_factory.mktemp("gov"))


def test_setup_shows_in_status_and_the_old_ways_are_refused(gov: Gov) -> None:
    r0, r1, r2 = gov.regulators
    state = gov.ok(r2, "gov", "status")
    assert set(state) == documented_json_keys("solgrid gov status")
    assert (state["initialized"], state["governed"], state["threshold"]) == (True, True, 2)
    assert state["regulators"] == [r0.address, r1.address, r2.address]
    zone = next(z for z in state["zones"] if z["zone_id"] == ZONE_ID)
    assert (zone["emission_factor"], zone["paused"]) == (400, [])
    executed = gov.ok(r0, "gov", "list", "--state", "executed")["proposals"]
    assert [(p["program"], p["instruction"]) for p in executed] == [
        ("registry", "set_regulators"),
        ("registry", "set_emission_factor"),
        ("trading", "create_market"),
    ]
    assert gov.ok(r0, "market", "show", str(ZONE_ID))["taker_fee_bps"] == 25
    # Co-signing regulators no longer suffice: the CLI says what to do instead, before sending.
    key2 = str(r2.path)
    update = gov.run(r0, "market", "update", str(ZONE_ID), "--taker-fee-bps", "30", "--cosigner", key2)
    one_line_error(update, 1, "the registry hands privileged actions to the governance program")
    zone = gov.run(r0, "regulator", "create-zone", "9", "--name", "x", "--max-capacity-kw", "1")
    one_line_error(zone, 1, "`solgrid gov propose ...`")
    again = gov.ok(r0, "gov", "init")
    assert [s["signature"] for s in again["steps"]] == [None, None]
    assert set(again) == documented_json_keys("solgrid gov init")


def test_a_fee_change_approved_by_two_of_three_in_separate_invocations(gov: Gov) -> None:
    r0, r1, r2 = gov.regulators
    proposed = gov.ok(
        r0,
        "gov",
        "propose",
        "update-market",
        str(ZONE_ID),
        "--taker-fee-bps",
        "30",
        "--timelock",
        "1h",
        "--no-approve",
    )
    pid = str(proposed["proposal"])
    assert (proposed["state"], proposed["approvals"], proposed["threshold"]) == ("open", [], 2)
    assert (proposed["program"], proposed["instruction"], proposed["args"]["taker_fee_bps"]) == (
        "trading",
        "update_market",
        30,
    )
    assert proposed["title"] == "market zone 1: taker fee bps 30" and proposed["timelock_secs"] == HOUR

    first = gov.ok(r1, "gov", "approve", pid)
    assert (first["state"], first["approvals"]) == ("open", [r1.address])
    one_line_error(
        gov.run(r0, "gov", "execute", pid), 1, f"proposal {pid} is not executable: it has 1 of the 2"
    )
    one_line_error(gov.run(r1, "gov", "approve", pid), 1, f"already approved proposal {pid}")

    # The second approval from another process, as another organisation would send it.
    second = run_subprocess("gov", "approve", pid, "--json", *gov.args(r2), env={})
    assert second.returncode == 0, second.stderr
    approved = json.loads(second.stdout)
    assert approved["state"] == "approved" and approved["executable_at"] is not None
    early = gov.run(r0, "gov", "execute", pid)
    one_line_error(
        early,
        1,
        f"proposal {pid} is not executable yet: its timelock ends at {approved['executable_at']} (in",
    )
    assert gov.ok(r0, "market", "show", str(ZONE_ID))["taker_fee_bps"] == 25

    advance_clock(gov.url, HOUR)
    shown = gov.ok(r0, "gov", "show", pid)
    assert shown["state"] == "executable" and set(shown) == documented_json_keys("solgrid gov show")
    assert set(approved) == {"signature"} | documented_json_keys("solgrid gov list", of="proposals")
    executed = gov.ok(r0, "gov", "execute", pid)
    assert executed["state"] == "executed" and executed["executed_at"] is not None
    assert gov.ok(r0, "market", "show", str(ZONE_ID))["taker_fee_bps"] == 30
    one_line_error(gov.run(r0, "gov", "execute", pid), 1, f"proposal {pid} was executed at")
    text = gov.run(r2, "gov", "show", pid)
    assert text.exit_code == 0 and f"proposal {pid} was executed at" in text.stdout

    closed = gov.ok(r2, "gov", "close", pid)
    assert set(closed) == documented_json_keys("solgrid gov close")
    assert closed["proposer"] == r0.address and closed["lamports"] > 0
    one_line_error(gov.run(r0, "gov", "show", pid), 1, f"proposal {pid} was closed")


def test_pause_by_one_regulator_and_resume_by_proposal(gov: Gov, tmp_path: Path) -> None:
    r0, r1, r2 = gov.regulators
    paused = gov.ok(r2, "gov", "pause", "--zone", str(ZONE_ID), "--readings", "--trading")
    assert (paused["zone_id"], paused["flags"], paused["paused"]) == (
        ZONE_ID,
        ["READINGS", "TRADING"],
        ["READINGS", "TRADING"],
    )
    assert set(paused) == documented_json_keys("solgrid gov pause")
    market_wide = gov.ok(r1, "gov", "pause", "--minting")
    assert (market_wide["zone_id"], market_wide["paused"]) == (None, ["MINTING"])
    state = gov.ok(r0, "gov", "status")
    assert state["paused"] == ["MINTING"]
    assert next(z for z in state["zones"] if z["zone_id"] == ZONE_ID)["paused"] == ["READINGS", "TRADING"]

    # Paused readings are refused by the registry, with its error named.
    alice = gov.wallet("pause-alice")
    device = gov.directory / "pause-device.json"
    device.write_text(json.dumps(list(bytes(Keypair()))))
    gov.ok(alice, "user", "register", "--role", "prosumer", "--zone", str(ZONE_ID))
    gov.ok(r0, "regulator", "verify-user", alice.address)
    gov.ok(
        alice,
        "meter",
        "register",
        "PAUSE-1",
        "--device-key",
        str(device),
        "--source",
        "solar",
        "--capacity-w",
        "5000",
    )
    gov.ok(r0, "regulator", "activate-meter", "PAUSE-1")
    advance_clock(gov.url, 1200)
    submit = ["reading", "submit", "PAUSE-1", "--device-key", str(device), "-r", "500:0", "--window", "600"]
    one_line_error(gov.run(alice, *submit), 1, "ReadingsPaused")

    # Resuming takes a quorum: a proposal, approved by a second regulator and executed.
    proposed = gov.ok(r2, "gov", "resume", "--zone", str(ZONE_ID), "--readings")
    assert (proposed["instruction"], proposed["args"], proposed["state"]) == (
        "resume_zone",
        {"flags": 1},
        "open",
    )
    gov.ok(r0, "gov", "approve", str(proposed["proposal"]))
    gov.ok(r1, "gov", "execute", str(proposed["proposal"]))
    zone = next(z for z in gov.ok(r0, "gov", "status")["zones"] if z["zone_id"] == ZONE_ID)
    assert zone["paused"] == ["TRADING"]
    assert gov.ok(alice, *submit)["accepted"] == 1
    gov.enact(r1, "resume", "--zone", str(ZONE_ID), "--trading")
    gov.enact(r1, "resume", "--minting")
    state = gov.ok(r0, "gov", "status")
    assert (
        state["paused"] == [] and next(z for z in state["zones"] if z["zone_id"] == ZONE_ID)["paused"] == []
    )


def test_cancel_reject_and_list(gov: Gov) -> None:
    r0, r1, r2 = gov.regulators
    limits = gov.ok(
        r1, "gov", "propose", "update-limits", "--max-meters-per-user", "4", "--title", "fewer meters"
    )
    pid = str(limits["proposal"])
    assert limits["args"]["limits"]["max_meters_per_user"] == 4 and limits["approvals"] == [r1.address]
    # Governance is set: another regulator, even with a co-signer, cancels only by proposal.
    one_line_error(gov.run(r0, "gov", "cancel", pid), 1, f"`solgrid gov propose cancel {pid}`")
    one_line_error(
        gov.run(r0, "gov", "cancel", pid, "--cosigner", str(r2.path)),
        1,
        "other regulators propose the cancel",
    )
    cancelled = gov.ok(r1, "gov", "cancel", pid)
    assert cancelled["state"] == "cancelled"
    one_line_error(gov.run(r2, "gov", "approve", pid), 1, f"proposal {pid} was cancelled")

    config = gov.ok(r0, "gov", "propose", "update-config", "--min-timelock", "10m", "--no-approve")
    cid = str(config["proposal"])
    gov.ok(r1, "gov", "reject", cid)
    rejected = gov.ok(r2, "gov", "reject", cid)
    assert rejected["state"] == "rejected" and len(rejected["rejections"]) == 2
    listed = {p["proposal"]: p["state"] for p in gov.ok(r0, "gov", "list")["proposals"]}
    assert (listed[int(pid)], listed[int(cid)]) == ("cancelled", "rejected")
    assert gov.ok(r0, "gov", "list", "--state", "open")["proposals"] == []

    # A quorum cancels another regulator's proposal through a proposal of its own.
    other = gov.ok(r2, "gov", "propose", "set-zone-status", str(ZONE_ID), "--status", "maintenance")
    executed = gov.enact(r0, "cancel", str(other["proposal"]))
    assert (executed["program"], executed["instruction"]) == ("governance", "cancel")
    assert gov.ok(r0, "gov", "show", str(other["proposal"]))["state"] == "cancelled"


def test_a_removed_proposer_no_longer_cancels(gov: Gov) -> None:
    r0, r1, r2 = gov.regulators
    pid = str(
        gov.ok(r2, "gov", "propose", "set-zone-status", str(ZONE_ID), "--status", "maintenance")["proposal"]
    )
    gov.enact(r0, "set-regulators", r0.address, r1.address, "--threshold", "2")
    one_line_error(gov.run(r2, "gov", "cancel", pid), 1, f"wallet {r2.address} is not a registry regulator")
    assert gov.ok(r0, "gov", "show", pid)["state"] == "open"
    gov.enact(r0, "cancel", pid)
    assert gov.ok(r0, "gov", "show", pid)["state"] == "cancelled"
    gov.enact(r0, "set-regulators", r0.address, r1.address, r2.address, "--threshold", "2")
    assert gov.ok(r0, "gov", "status")["regulators"] == [r0.address, r1.address, r2.address]


def test_one_line_errors(gov: Gov) -> None:
    r0, _, _ = gov.regulators
    stranger = gov.wallet("stranger", "1")
    count = gov.ok(r0, "gov", "status")["proposal_count"]
    one_line_error(
        gov.run(r0, "gov", "show", "999"), 1, f"no proposal 999 (proposals so far: ids 0 to {count - 1})"
    )
    one_line_error(gov.run(stranger, "gov", "approve", "0"), 1, "is not a registry regulator")
    one_line_error(gov.run(stranger, "gov", "pause"), 1, "is not a registry regulator")
    one_line_error(
        gov.run(stranger, "gov", "propose", "set-emission-factor", "--zone", "1", "--g-per-kwh", "5"),
        1,
        "is not a registry regulator",
    )
    one_line_error(
        gov.run(r0, "gov", "propose", "update-limits", "--max-window-secs", "60", "--timelock", "5x"),
        2,
        "is not a duration",
    )
    one_line_error(
        gov.run(r0, "gov", "propose", "update-limits", "--max-window-secs", "60", "--lifetime", "400d"),
        1,
        "the lifetime must be 1 s to 7d",
    )
    one_line_error(
        gov.run(
            r0,
            "gov",
            "propose",
            "update-limits",
            "--max-window-secs",
            "60",
            "--timelock",
            "2d",
            "--lifetime",
            "1d",
        ),
        1,
        "must be shorter than the lifetime",
    )
    one_line_error(gov.run(r0, "gov", "propose", "update-limits"), 2, "nothing to change")
    one_line_error(
        gov.run(r0, "gov", "propose", "set-emission-factor", "--zone", "77", "--g-per-kwh", "5"),
        1,
        "grid zone 77 does not exist",
    )
    one_line_error(
        gov.run(r0, "gov", "propose", "set-emission-factor", "--zone", "1", "--g-per-kwh", "2001"), 2, "2001"
    )
    one_line_error(
        gov.run(r0, "gov", "propose", "set-regulators", r0.address, "--threshold", "2"), 2, "more than the 1"
    )
    one_line_error(
        gov.run(r0, "gov", "propose", "update-market", "42", "--taker-fee-bps", "1"),
        1,
        "grid zone 42 does not exist",
    )
    still_open = gov.ok(r0, "gov", "propose", "update-limits", "--max-window-secs", "1200", "--no-approve")
    one_line_error(
        gov.run(r0, "gov", "close", str(still_open["proposal"])), 1, "is open: it can be closed once executed"
    )


def test_the_sdk_reads_proposals_over_rpc(gov: Gov) -> None:
    """``GovernanceClient`` over JSON-RPC on the same node: the Config, one proposal, and listings filtered
    by ``memcmp`` on the stored status and the proposer (offsets from the IDL)."""
    r0, r1, _ = gov.regulators
    client = GovernanceClient()

    async def read() -> None:
        async with AsyncClient(gov.url, commitment=Confirmed) as rpc:
            config = await client.fetch_config(rpc)
            assert config is not None and config.targets[0] == RegistryClient().program_id
            everything = await client.fetch_proposals(rpc)
            assert [p.id for p in everything] == sorted(p.id for p in everything) and everything
            executed = await client.fetch_proposals(rpc, status=ProposalStatus.EXECUTED)
            assert executed and all(p.status is ProposalStatus.EXECUTED for p in executed)
            assert {p.id for p in executed} < {p.id for p in everything}
            by_r1 = await client.fetch_proposals(rpc, proposer=r1.keypair.pubkey())
            assert by_r1 and all(p.proposer == r1.keypair.pubkey() for p in by_r1)
            assert {p.id for p in by_r1}.isdisjoint(
                p.id for p in await client.fetch_proposals(rpc, proposer=r0.keypair.pubkey())
            )
            first = await client.fetch_proposal(rpc, everything[0].id)
            assert first == everything[0]
            assert await client.fetch_proposal(rpc, config.proposal_count + 5) is None

    asyncio.run(read())


def test_before_governance_a_quorum_cosigns_the_resume(
    fresh_rpc_url: str, upgrade_authority: Keypair, tmp_path: Path
) -> None:
    """On a node whose registry names no governance program yet (one regulator, threshold 1), ``gov
    resume`` is co-signed at once instead of proposed, and ``gov`` commands that need the governance
    program say how to set it up."""
    key = tmp_path / "operator.json"
    key.write_text(json.dumps(list(bytes(upgrade_authority))))
    common = ["--url", fresh_rpc_url, "-k", str(key)]

    def ok(*args: str) -> Any:
        result = invoke(*args, *common, "--json")
        assert result.exit_code == 0, (args, result.stderr)
        return json.loads(result.stdout)

    one_line_error(invoke("gov", "pause", *common), 1, "the SolGrid registry is not initialized")
    ok("regulator", "init")
    one_line_error(invoke("gov", "list", *common), 1, "governance is not initialized on")
    one_line_error(
        invoke("gov", "propose", "set-emission-factor", "--zone", "1", "--g-per-kwh", "5", *common),
        1,
        "governance is not initialized on",
    )
    assert ok("gov", "pause")["paused"] == ["READINGS", "MINTING", "TRADING"]
    resumed = ok("gov", "resume", "--minting", "--readings")
    assert (resumed["proposal"], resumed["flags"], resumed["paused"]) == (
        None,
        ["READINGS", "MINTING"],
        ["TRADING"],
    )
    status = ok("gov", "status")
    assert (status["initialized"], status["governed"], status["paused"]) == (False, False, ["TRADING"])


def test_a_quorum_made_by_a_lower_threshold_is_recorded(gov: Gov) -> None:
    """r2 alone approves; the threshold drops to 1 (a proposal): the standing approval is a quorum that no
    approval recorded, so ``gov execute`` says to run ``gov record-quorum``, which starts the timelock."""
    r0, r1, r2 = gov.regulators
    proposed = gov.ok(r2, "gov", "propose", "update-limits", "--max-meters-per-user", "6", "--timelock", "1h")
    pid = str(proposed["proposal"])
    regulators = (r0.address, r1.address, r2.address)
    gov.enact(r0, "set-regulators", *regulators, "--threshold", "1")
    try:
        assert gov.ok(r0, "gov", "show", pid)["state"] == "unrecorded"
        one_line_error(gov.run(r0, "gov", "execute", pid), 1, f"solgrid gov record-quorum {pid}")
        stranger = gov.wallet("recorder", "1")  # anyone may
        recorded = gov.ok(stranger, "gov", "record-quorum", pid)
        assert recorded["state"] == "approved" and recorded["quorum_at"] is not None
        assert documented_json_keys("solgrid gov record-quorum") <= set(recorded)
        one_line_error(gov.run(stranger, "gov", "record-quorum", pid), 1, "nothing to record")
        one_line_error(gov.run(r0, "gov", "execute", pid), 1, "its timelock ends at")
    finally:
        proposed = gov.ok(r0, "gov", "propose", "set-regulators", *regulators, "--threshold", "2")
        gov.ok(r0, "gov", "execute", str(proposed["proposal"]))
    assert gov.ok(r0, "gov", "status")["threshold"] == 2

"""Governance and certificates (issue 14) as a cluster runs them: ``governance_scenario`` on a fresh local
node and on a fresh real solana-test-validator 4.2.2 (the compat suite), with the same assertions on both.

Each node is its own: the scenario sets the registry's regulators and hands its privileged actions to the
governance program, which the shared session nodes' other tests (one regulator, threshold 1, co-signing)
must not see. Its workspace programs are at genesis, upgradeable by ``upgrade_authority`` (who initialises
the registry and governance and pays); governance deployed by ``solgrid deploy`` on the shared validator
is ``test_governance_on_both_nodes``'s.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from governance_scenario import (
    EMISSION_FACTOR,
    NEW_LIMITS,
    PRODUCED_WH,
    SPLIT_WH,
    Observed,
    run,
)
from solders.keypair import Keypair

from real_validator import RealValidator
from solgrid.localnet.validator import genesis_program_args
from solgrid.sdk.workspace import Workspace

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(params=["localnet", pytest.param("validator", marks=pytest.mark.compat)])
def node_of_its_own(
    request: pytest.FixtureRequest,
    upgrade_authority: Keypair,
    elf_of: Callable[[str], bytes],
    tmp_path: Path,
) -> Iterator[str]:
    """The JSON-RPC URL of a fresh local node, then of a fresh real validator: the workspace programs at
    genesis, nothing initialised, ``upgrade_authority`` funded."""
    if request.param == "localnet":
        yield request.getfixturevalue("fresh_rpc_url")
        return
    workspace = Workspace.load(REPO)
    for program in workspace.programs("localnet"):
        elf_of(program.name)  # built into target/deploy, which the genesis arguments name
    args = genesis_program_args(workspace, upgrade_authority.pubkey())
    validator = RealValidator.start(tmp_path / "validator", upgrade_authority, extra_args=args)
    try:
        yield validator.rpc_url
    finally:
        validator.stop()


def test_proposals_certificates_and_a_pause(node_of_its_own: str, upgrade_authority: Keypair) -> None:
    seen: Observed = asyncio.run(run(node_of_its_own, upgrade_authority))

    # Once governance is set, co-signing regulators no longer suffice; a proposal does, once.
    assert seen.errors["update_limits co-signed"].startswith("registry: NotGovernance ")
    assert seen.proposals["update_limits"] == ("Executed", 2, 1)
    assert seen.limits == NEW_LIMITS
    assert seen.events["update_limits: approve 1"] == {"governance": ["VoteCast"], "registry": []}
    assert seen.events["update_limits: execute"] == {
        "governance": ["ProposalExecuted"],
        "registry": ["LimitsUpdated"],
    }
    assert seen.errors["update_limits: execute again"].startswith("governance: AlreadyExecuted ")

    # The certificate: the reading's whole volume, validated with the zone's factor, split, retired.
    co2 = PRODUCED_WH * EMISSION_FACTOR // 1000
    child_co2 = co2 * SPLIT_WH // PRODUCED_WH
    parent, child = seen.certificates["parent"], seen.certificates["child"]
    assert (parent["status"], parent["volume_wh"], parent["co2_avoided_g"]) == (
        "Valid",
        PRODUCED_WH - SPLIT_WH,
        co2 - child_co2,
    )
    assert (child["status"], child["volume_wh"], child["co2_avoided_g"]) == ("Retired", SPLIT_WH, child_co2)
    assert parent["generation"] == child["generation"] == (0, 60)  # the reading's window
    assert child["original"] and child["beneficiary_name"] == "Carol's household"
    assert parent["owner"] != child["owner"]
    assert seen.meter == {"certified_wh": PRODUCED_WH, "certificate_wh": PRODUCED_WH}
    assert seen.events["request_certificate"] == {
        "governance": ["CertificateRequested"],
        "registry": ["MeterCertified"],
    }
    assert seen.errors["request_certificate again"].startswith("governance: NothingToCertify ")
    assert seen.errors["validate by a stranger"].startswith("governance: NotRegulator ")
    assert seen.errors["retire by another owner"].startswith("governance: NotCertificateOwner ")

    # One regulator pauses readings and minting at once; a quorum resumes readings through a proposal;
    # minting stays paused, so new production gets no certificate.
    assert seen.zone_paused == [3, 2]
    assert seen.errors["reading while paused"].startswith("registry: ReadingsPaused ")
    assert seen.proposals["resume_zone"] == ("Executed", 2, 1)
    assert seen.events["resume_zone: execute"] == {
        "governance": ["ProposalExecuted"],
        "registry": ["Resumed"],
    }
    assert seen.events["reading after resume"] == {"governance": [], "registry": ["ReadingAccepted"]}
    assert seen.errors["request_certificate while minting is paused"].startswith("registry: MintingPaused ")

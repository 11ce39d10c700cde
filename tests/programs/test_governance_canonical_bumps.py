"""Accounts that governance creates at a PDA whose bump the client passes (a proposal, a requested
certificate, a split child) must sit at the canonical PDA, where every lookup by id or seeds finds
them: a lower bump that also gives a valid (off-curve) address is refused with ``InvalidPda``, and
nothing is created there."""

from __future__ import annotations

import struct
from collections.abc import Sequence

import pytest
from certificates_harness import FACTOR, CertEnv
from governance_harness import GovernanceEnv, code
from instruction_edits import with_account
from solders.pubkey import Pubkey
from test_governance_proposals import NEW_LIMITS

from solgrid.sdk.pda import Pda, find_pda


@pytest.fixture
def env(governance: GovernanceEnv) -> CertEnv:
    cert = CertEnv(governance)
    cert.set_emission_factor(FACTOR)
    return cert


def non_canonical(seeds: Sequence[bytes], program_id: Pubkey) -> Pda:
    """The highest bump below the canonical one that also gives an off-curve address."""
    canonical = find_pda(seeds, program_id).bump
    for bump in range(canonical - 1, -1, -1):
        try:
            return Pda(Pubkey.create_program_address([*seeds, bytes([bump])], program_id), bump)
        except Exception:  # on the curve: no PDA with this bump
            continue
    raise AssertionError("no second off-curve bump")


def test_propose_refuses_a_non_canonical_bump(governance: GovernanceEnv) -> None:
    env = governance
    r0 = env.regulators[0]
    proposal_id = env.config().proposal_count
    seeds = [b"proposal", proposal_id.to_bytes(8, "little")]
    other = non_canonical(seeds, env.program_id)
    ix, _ = env.propose_ix(r0.pubkey(), env.update_limits_ix(NEW_LIMITS), bump=other.bump)
    ix = with_account(ix, 3, other.address)
    assert env.fail([ix], [r0]) == code("InvalidPda")
    assert env.account(other.address) is None
    assert env.config().proposal_count == proposal_id
    # The canonical bump goes through, at the address lookups by id use.
    proposal = env.propose(r0, env.update_limits_ix(NEW_LIMITS))
    assert proposal == env.proposal_pda(proposal_id).address
    assert env.proposal(proposal).id == proposal_id


def test_request_certificate_refuses_a_non_canonical_bump(env: CertEnv) -> None:
    p = env.prosumer()
    env.produce(p)
    start = env.next_start(p.meter)
    seeds = [b"certificate", bytes(p.meter), struct.pack("<q", start)]
    other = non_canonical(seeds, env.program_id)
    ix = env.request_ix(p.wallet.pubkey(), p, certificate=other)
    assert env.fail([ix], [p.wallet]) == code("InvalidPda")
    assert env.registry.account(other.address) is None
    canonical = env.request(p)
    assert canonical == env.certificate_pda(p.meter, start).address


def test_split_certificate_refuses_a_non_canonical_bump(env: CertEnv) -> None:
    owner, certificate = env.valid_certificate()
    carol = env.wallet()
    index = env.certificate(certificate).split_count
    seeds = [b"certificate", bytes(certificate), struct.pack("<H", index)]
    other = non_canonical(seeds, env.program_id)
    ix = env.split_ix(owner.wallet.pubkey(), certificate, 1, carol.pubkey(), child=other)
    assert env.fail([ix], [owner.wallet]) == code("InvalidPda")
    assert env.registry.account(other.address) is None
    assert env.certificate(certificate).split_count == index
    child = env.split(owner.wallet, certificate, 1, carol.pubkey())
    assert child == env.child_pda(certificate, index).address

"""Proposal votes against a changing regulator set, in LiteSVM: a vote is stored with the registry's
``regulators_version`` and counts only while its key has been a regulator without interruption since
(so a removed-then-reappointed regulator's old approval never counts again, while regulators who stay
keep theirs); and ``record_quorum``, which records a quorum that only a change of the set or threshold
made, when no approval can record it any more (every current regulator voted)."""

from __future__ import annotations

from governance_harness import GovernanceEnv, code
from instruction_edits import with_account, with_meta
from solders.account import Account
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from solgrid.sdk.registry import Limits

NEW_LIMITS = Limits(max_meters_per_user=4, max_window_secs=1200)


def limits_proposal(env: GovernanceEnv, **options: object) -> Pubkey:
    return env.propose(env.regulators[0], env.update_limits_ix(NEW_LIMITS), **options)


def reappoint(env: GovernanceEnv, members: list[Keypair], threshold: int) -> None:
    """Enacts ``set_regulators(members, threshold)`` by the current quorum and follows it in the harness."""
    env.enact(env.set_regulators_ix([m.pubkey() for m in members], threshold=threshold))
    env.registry.regulators = list(members)
    assert env.registry.config().regulators == [m.pubkey() for m in members]


# -- regulators_version ----------------------------------------------------------------------------------


def test_the_registry_versions_appointments(governance: GovernanceEnv) -> None:
    env = governance
    r0, r1, r2 = env.regulators
    first = env.registry.config()
    assert first.regulators_version == 1 and first.regulator_since == [1, 1, 1]
    newcomer = env.registry.wallet()
    reappoint(env, [r2, r0, newcomer], 2)  # r1 removed, a newcomer appointed, r2 moved first
    config = env.registry.config()
    assert config.regulators_version == 2 and config.regulator_since == [1, 1, 2]
    reappoint(env, [r2, r0, newcomer], 3)  # only the threshold: no new version
    assert env.registry.config().regulators_version == 2
    reappoint(env, [r2, r0, newcomer, r1], 2)  # r1 appointed again: a new term
    config = env.registry.config()
    assert config.regulators_version == 3 and config.regulator_since == [1, 1, 2, 3]


# -- a reappointed regulator's old vote ------------------------------------------------------------------


def test_a_reappointed_regulators_old_approval_never_counts_again(governance: GovernanceEnv) -> None:
    env = governance
    r0, r1, r2 = env.regulators
    b = limits_proposal(env, timelock_secs=60)
    env.approve(r0, b)
    env.approve(r1, b)
    stored = env.proposal(b)
    assert list(stored.approval_versions[:2]) == [1, 1]
    env.warp(60)
    reappoint(env, [r0, r2], 2)  # r1 removed ...
    reappoint(env, [r0, r2, r1], 2)  # ... and appointed again
    # r1's approval was cast in its earlier term: B has one approval that counts.
    assert env.fail([env.execute_ix(b)]) == code("QuorumNotMet")
    # (its quorum time from before stays recorded until a quorum is reached again from below)
    assert env.fail([env.record_quorum_ix(b)]) == code("QuorumAlreadyRecorded")
    # r1 may approve anew (its old vote does not count): it takes the old slot, at the new version,
    # and the quorum (lost, then reached again from below) restarts the timelock.
    sent = env.approve(r1, b)
    [vote] = env.events(sent)
    assert (vote.data.approvals, vote.data.quorum_at) == (2, env.now())
    stored = env.proposal(b)
    assert stored.approval_count == 2
    assert list(stored.approvals[:2]) == [r0.pubkey(), r1.pubkey()]
    assert list(stored.approval_versions[:2]) == [1, env.registry.config().regulators_version]
    assert env.fail([env.approve_ix(r1.pubkey(), b)], [r1]) == code("AlreadyVoted")
    assert env.fail([env.execute_ix(b)]) == code("TimelockActive")
    env.warp(60)
    executed = env.execute(b)
    [event] = env.events(executed)
    assert event.name == "ProposalExecuted" and event.data.approvals == 2
    assert env.registry.config().limits == NEW_LIMITS


def test_a_reappointed_regulator_may_reject_beside_its_stale_approval(governance: GovernanceEnv) -> None:
    env = governance
    r0, r1, r2 = env.regulators
    b = limits_proposal(env)
    env.approve(r1, b)
    reappoint(env, [r0, r2], 2)
    reappoint(env, [r0, r2, r1], 2)
    sent = env.reject(r1, b)
    [vote] = env.events(sent)
    assert (vote.data.approvals, vote.data.rejections) == (0, 1)
    stored = env.proposal(b)
    assert (stored.approval_count, stored.rejection_count) == (1, 1)
    # Its rejection counts now: a second vote either way is refused.
    assert env.fail([env.approve_ix(r1.pubkey(), b)], [r1]) == code("AlreadyVoted")
    assert env.fail([env.reject_ix(r1.pubkey(), b)], [r1]) == code("AlreadyVoted")


def test_regulators_who_stay_keep_their_votes_when_others_come(governance: GovernanceEnv) -> None:
    env = governance
    r0, r1, r2 = env.regulators
    b = limits_proposal(env)
    env.approve(r0, b)
    newcomer = env.registry.wallet()
    reappoint(env, [r0, r1, r2, newcomer], 2)
    sent = env.approve(newcomer, b)  # r0's approval from before still counts
    [vote] = env.events(sent)
    assert (vote.data.approvals, vote.data.quorum_at) == (2, env.now())
    env.execute(b)
    assert env.registry.config().limits == NEW_LIMITS


# -- record_quorum ---------------------------------------------------------------------------------------


def test_record_quorum_when_every_current_regulator_voted(governance: GovernanceEnv) -> None:
    """Finding 5: four regulators, threshold 3; r0 and r1 approve, r2 rejects; then r3 (who never voted)
    is removed and the threshold drops to 2. The two approvals are a quorum, but every current
    regulator has voted: no approval can record it. record_quorum does (anyone may), and the timelock
    runs from then."""
    env = governance
    r0, r1, r2 = env.regulators
    r3 = env.registry.wallet()
    reappoint(env, [r0, r1, r2, r3], 3)
    b = limits_proposal(env, timelock_secs=120)
    env.approve(r0, b)
    env.approve(r1, b)
    env.reject(r2, b)
    assert env.status(b) == "Open" and env.proposal(b).quorum_at == 0
    reappoint(env, [r0, r1, r2], 2)
    assert env.fail([env.execute_ix(b)]) == code("QuorumNotRecorded")
    for regulator in (r0, r1, r2):
        assert env.fail([env.approve_ix(regulator.pubkey(), b)], [regulator]) == code("AlreadyVoted")
    env.warp(7)
    sent = env.record_quorum(b)
    [event] = env.events(sent)
    assert event.name == "QuorumRecorded"
    assert (event.data.id, event.data.approvals, event.data.threshold, event.data.quorum_at) == (
        env.proposal(b).id,
        2,
        2,
        env.now(),
    )
    assert env.proposal(b).quorum_at == env.now()
    assert env.fail([env.record_quorum_ix(b)]) == code("QuorumAlreadyRecorded")
    env.warp(119)
    assert env.fail([env.execute_ix(b)]) == code("TimelockActive")
    env.warp(1)
    env.execute(b)
    assert env.registry.config().limits == NEW_LIMITS
    assert env.fail([env.record_quorum_ix(b)]) == code("AlreadyExecuted")


def test_record_quorum_refusals(governance: GovernanceEnv) -> None:
    env = governance
    r0, r1, _ = env.regulators
    # No quorum.
    b = limits_proposal(env)
    assert env.fail([env.record_quorum_ix(b)]) == code("QuorumNotMet")
    env.approve(r0, b)
    assert env.fail([env.record_quorum_ix(b)]) == code("QuorumNotMet")
    # Recorded by the approval that made the quorum.
    env.approve(r1, b)
    assert env.fail([env.record_quorum_ix(b)]) == code("QuorumAlreadyRecorded")
    # Cancelled, expired.
    cancelled = limits_proposal(env)
    env.send([env.cancel_ix(r0.pubkey(), cancelled)], [r0])
    assert env.fail([env.record_quorum_ix(cancelled)]) == code("ProposalCancelled")
    expiring = limits_proposal(env, lifetime_secs=100)
    env.warp(100)
    assert env.fail([env.record_quorum_ix(expiring)]) == code("ProposalExpired")
    # Accounts: a read-only proposal, a foreign account, a forged registry Config.
    fresh = limits_proposal(env)
    assert env.fail([with_meta(env.record_quorum_ix(fresh), 2, writable=False)]) == code("AccountNotWritable")
    real = env.account(fresh)
    assert real is not None
    fake = Keypair().pubkey()
    env.svm.set_account(fake, Account(real.lamports, bytes(real.data), Keypair().pubkey(), False, 0))
    assert env.fail([with_account(env.record_quorum_ix(fresh), 2, fake)]) == code("InvalidOwner")
    registry_config = env.account(env.registry_config())
    assert registry_config is not None
    forged = Keypair().pubkey()
    env.svm.set_account(
        forged, Account(registry_config.lamports, bytes(registry_config.data), Keypair().pubkey(), False, 0)
    )
    assert env.fail([with_account(env.record_quorum_ix(fresh), 1, forged)]) == code("InvalidRegistryConfig")
    assert env.proposal(fresh).quorum_at == 0

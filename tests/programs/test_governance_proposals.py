"""Governance proposals in LiteSVM: the lifecycle across separate transactions (propose; approvals by
two of three regulators, each in its own transaction; execute once by CPI signed by the governance PDA)
and the issue's attack table for proposals: execute without quorum, twice, after expiry, before the
timelock, after the approving regulator was removed; approve twice with one key or as a non-regulator;
targets that are not SolGrid's; accounts that differ from the stored ones; cancel and close."""

from __future__ import annotations

import dataclasses

import pytest
from governance_harness import (
    DAY,
    PROGRAM_ID,
    SIGNER,
    SYSTEM_PROGRAM,
    WRITABLE,
    GovernanceEnv,
    code,
    proposal_accounts,
)
from instruction_edits import with_account, with_meta
from registry_harness import code as registry_code
from solders.account import Account
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from spl.token.constants import TOKEN_PROGRAM_ID
from trading_harness import code as trading_code

from solgrid.localnet.svm import TransactionFailed
from solgrid.sdk.registry import Limits

NEW_LIMITS = Limits(max_meters_per_user=3, max_window_secs=1800)


def limits_proposal(env: GovernanceEnv, **options: object) -> Pubkey:
    """A proposal (by the first regulator) to set NEW_LIMITS, not yet approved."""
    return env.propose(env.regulators[0], env.update_limits_ix(NEW_LIMITS), **options)


# -- the lifecycle ---------------------------------------------------------------------------------


def test_registry_update_limits_by_two_of_three_in_separate_transactions(governance: GovernanceEnv) -> None:
    env = governance
    r0, r1, _ = env.regulators
    ix, proposal = env.propose_ix(r0.pubkey(), env.update_limits_ix(NEW_LIMITS), title="tighter limits")
    sent = env.send([ix], [r0])
    created_at = env.now()
    stored = env.proposal(proposal)
    assert (stored.id, stored.proposer, stored.target_program) == (0, r0.pubkey(), env.registry.program_id)
    assert bytes(stored.title).rstrip(b"\0") == b"tighter limits"
    assert (stored.created_at, stored.expires_at, stored.timelock_secs) == (created_at, created_at + DAY, 0)
    assert (stored.approval_count, stored.rejection_count, stored.quorum_at) == (0, 0, 0)
    assert env.status(proposal) == "Open"
    assert env.config().proposal_count == 1
    [created] = env.events(sent)
    assert created.name == "ProposalCreated" and created.data.proposal == proposal
    assert (created.data.account_count, created.data.data_len) == (
        2,
        len(bytes(env.update_limits_ix(NEW_LIMITS).data)),
    )

    # The proposer's approval is not implied; one approval is not a quorum.
    assert env.fail([env.execute_ix(proposal)]) == code("QuorumNotMet")
    first = env.approve(r0, proposal)
    [vote] = env.events(first)
    assert (vote.name, vote.data.approve, vote.data.approvals, vote.data.threshold, vote.data.quorum_at) == (
        "VoteCast",
        True,
        1,
        2,
        0,
    )
    assert env.fail([env.execute_ix(proposal)]) == code("QuorumNotMet")

    env.warp(3600)  # the second regulator approves an hour later, in its own transaction
    second = env.approve(r1, proposal)
    [vote] = env.events(second)
    assert (vote.data.approvals, vote.data.quorum_at) == (2, env.now())
    assert env.proposal(proposal).quorum_at == env.now()

    assert env.registry.config().limits != NEW_LIMITS
    executed = env.execute(proposal)
    assert env.registry.config().limits == NEW_LIMITS
    assert env.status(proposal) == "Executed"
    assert env.proposal(proposal).executed_at == env.now()
    [event] = env.events(executed)
    assert event.name == "ProposalExecuted"
    assert (event.data.id, event.data.target_program, event.data.approvals) == (0, env.registry.program_id, 2)
    # The registry ran inside the CPI and logged its own event.
    assert [type(e).__name__ for e in env.registry.client.events(executed.logs)] == ["LimitsUpdated"]

    # Once, never twice.
    assert env.fail([env.execute_ix(proposal)]) == code("AlreadyExecuted")
    assert env.fail([env.approve_ix(env.regulators[2].pubkey(), proposal)], [env.regulators[2]]) == code(
        "AlreadyExecuted"
    )


def test_trading_update_market_through_a_proposal(governance_unset: GovernanceEnv) -> None:
    env = governance_unset
    market = env.trading.create_market()  # co-signed by the quorum while no governance is set
    env.set_governance()
    fee = env.trading.market_state(market).header.taker_fee_bps + 5
    # Co-signing regulators no longer suffice once governance is set.
    direct = env.trading.update_market_ix(market, taker_fee_bps=fee)
    assert env.fail([direct], env.registry.quorum()) == trading_code("NotGovernance")
    target = env.trading.update_market_ix(market, taker_fee_bps=fee, cosigners=env.gov())
    proposal = env.approved(target)
    sent = env.execute(proposal)
    assert env.trading.market_state(market).header.taker_fee_bps == fee
    # trading logs its event through a self-CPI one level deeper.
    assert [type(e).__name__ for e in env.trading.events(sent)] == ["MarketUpdated"]
    assert env.fail([env.execute_ix(proposal)]) == code("AlreadyExecuted")


def test_a_market_is_created_through_a_proposal_paid_by_the_governance_pda(governance: GovernanceEnv) -> None:
    env = governance
    governance_pda = env.governance_pda().address
    env.svm.airdrop(governance_pda, 10**9)  # the PDA pays rent for what its proposals create
    base = env.trading.create_market_ix(cosigners=env.gov())
    metas = [
        AccountMeta(governance_pda, is_signer=True, is_writable=True) if m.pubkey == env.payer.pubkey() else m
        for m in base.accounts
    ]
    target = Instruction(base.program_id, bytes(base.data), metas)
    env.enact(target)
    market = env.trading.client.market_pda(7, env.trading.quote_mint.pubkey()).address
    assert env.trading.market_state(market).header.zone_id == 7


def test_a_failing_instruction_leaves_the_proposal_open(governance: GovernanceEnv) -> None:
    """If the target refuses, the whole transaction fails: the proposal is not marked Executed."""
    env = governance
    bad = dataclasses.replace(NEW_LIMITS, min_window_secs=0)
    target = env.registry.client.update_limits(limits=bad, cosigners=env.gov())
    proposal = env.approved(target)
    assert env.fail([env.execute_ix(proposal)]) == registry_code("InvalidLimits")
    assert env.status(proposal) == "Open"


# -- execution attacks ------------------------------------------------------------------------------


def test_execute_after_expiry_fails(governance: GovernanceEnv) -> None:
    env = governance
    proposal = limits_proposal(env, lifetime_secs=600)
    env.approve(env.regulators[0], proposal)
    env.warp(599)
    env.approve(env.regulators[1], proposal)
    env.warp(1)
    assert env.fail([env.execute_ix(proposal)]) == code("ProposalExpired")
    assert env.fail([env.approve_ix(env.regulators[2].pubkey(), proposal)], [env.regulators[2]]) == code(
        "ProposalExpired"
    )
    assert env.registry.config().limits != NEW_LIMITS


def test_execute_before_the_timelock_fails(governance: GovernanceEnv) -> None:
    env = governance
    proposal = limits_proposal(env, timelock_secs=3600)
    env.approve(env.regulators[0], proposal)
    env.warp(1800)  # the timelock counts from the quorum, not from creation
    env.approve(env.regulators[1], proposal)
    quorum_at = env.now()
    env.warp(3599)
    assert env.fail([env.execute_ix(proposal)]) == code("TimelockActive")
    env.warp(1)
    assert env.now() == quorum_at + 3600
    env.execute(proposal)
    assert env.registry.config().limits == NEW_LIMITS


def test_approvals_of_a_removed_regulator_no_longer_count(governance: GovernanceEnv) -> None:
    """Regulators r0 and r1 approve proposal B; then a proposal replaces r1 by a newcomer. B now has
    one approval by a current regulator and cannot execute until another current regulator approves
    (its quorum, and so its timelock, start again then)."""
    env = governance
    r0, r1, r2 = env.regulators
    b = limits_proposal(env, timelock_secs=60)
    env.approve(r0, b)
    env.approve(r1, b)
    first_quorum = env.proposal(b).quorum_at

    newcomer = env.registry.wallet()
    rotate = env.set_regulators_ix([r0.pubkey(), r2.pubkey(), newcomer.pubkey()], threshold=2)
    env.execute(env.approved(rotate, approvers=[r0, r1]))
    assert env.registry.config().regulators == [r0.pubkey(), r2.pubkey(), newcomer.pubkey()]
    env.registry.regulators = [r0, r2, newcomer]

    env.warp(60)
    assert env.fail([env.execute_ix(b)]) == code("QuorumNotMet")
    # The removed regulator can neither vote nor cancel any more.
    assert env.fail([env.reject_ix(r1.pubkey(), b)], [r1]) == code("NotRegulator")
    assert env.fail([env.cancel_ix(r1.pubkey(), b)], [r1]) == code("NotGovernance")
    env.warp(5)
    env.approve(newcomer, b)
    assert env.proposal(b).quorum_at == env.now() > first_quorum
    assert env.fail([env.execute_ix(b)]) == code("TimelockActive")
    env.warp(60)
    env.execute(b)
    assert env.registry.config().limits == NEW_LIMITS


def test_a_lower_threshold_counts_but_the_timelock_starts_at_an_approval(governance: GovernanceEnv) -> None:
    """Counted against the current threshold: after it drops to 1, one standing approval is a quorum,
    but the quorum time (from which the timelock runs) is only recorded by an approval (or by
    ``record_quorum``)."""
    env = governance
    r0, r1, r2 = env.regulators
    b = limits_proposal(env, timelock_secs=60)
    env.approve(r2, b)
    assert env.fail([env.execute_ix(b)]) == code("QuorumNotMet")
    env.enact(env.set_regulators_ix([r0.pubkey(), r1.pubkey(), r2.pubkey()], threshold=1))
    assert env.fail([env.execute_ix(b)]) == code("QuorumNotRecorded")
    env.approve(r0, b)
    assert env.proposal(b).quorum_at == env.now()
    env.warp(60)
    env.execute(b)
    assert env.registry.config().limits == NEW_LIMITS


def test_accounts_must_be_the_stored_ones(governance: GovernanceEnv) -> None:
    env = governance
    proposal = env.approved(env.update_limits_ix(NEW_LIMITS))
    good = env.execute_ix(proposal)
    stranger = env.registry.wallet().pubkey()
    fixed = 5
    for index in range(fixed, len(good.accounts)):
        assert env.fail([with_account(good, index, stranger)]) == code("AccountMismatch")
    assert env.fail([Instruction(good.program_id, bytes(good.data), list(good.accounts)[:-1])]) == code(
        "NotEnoughAccounts"
    )
    assert env.fail([with_account(good, 4, env.trading.client.program_id)]) == code("TargetMismatch")
    assert env.fail([with_account(good, 3, stranger)]) == code("InvalidGovernanceAuthority")
    # Writable where stored: the runtime refuses the CPI's privilege escalation.
    with pytest.raises(TransactionFailed) as failed:
        env.send([with_meta(good, fixed, writable=False)])
    assert "PrivilegeEscalation" in str(failed.value.err)
    assert env.status(proposal) == "Open"
    env.send([good])
    assert env.registry.config().limits == NEW_LIMITS


def test_a_forged_registry_config_is_refused(governance: GovernanceEnv) -> None:
    """Regulators come from the registry this deployment trusts: a copy of its Config owned by another
    program (listing an attacker as the only regulator) is refused everywhere."""
    env = governance
    attacker = env.registry.wallet()
    real = env.account(env.registry_config())
    assert real is not None
    forged = Keypair().pubkey()
    data = bytearray(bytes(real.data))
    regulators_offset = 8 + 32 * 3
    data[regulators_offset : regulators_offset + 32] = bytes(attacker.pubkey())
    data[regulators_offset + 32 * 8] = 1  # regulator_count
    data[regulators_offset + 32 * 8 + 1] = 1  # regulator_threshold
    env.svm.set_account(forged, Account(real.lamports, bytes(data), attacker.pubkey(), False, 0))
    ix, proposal = env.propose_ix(attacker.pubkey(), env.update_limits_ix(NEW_LIMITS))
    assert env.fail([with_account(ix, 2, forged)], [attacker]) == code("InvalidRegistryConfig")
    proposal = limits_proposal(env)
    assert env.fail(
        [with_account(env.approve_ix(attacker.pubkey(), proposal), 2, forged)], [attacker]
    ) == code("InvalidRegistryConfig")
    env.approve(env.regulators[0], proposal)
    env.approve(env.regulators[1], proposal)
    assert env.fail([with_account(env.execute_ix(proposal), 2, forged)]) == code("InvalidRegistryConfig")
    assert env.fail(
        [with_account(env.cancel_ix(attacker.pubkey(), proposal), 2, forged)], [attacker]
    ) == code("InvalidRegistryConfig")


# -- votes -----------------------------------------------------------------------------------------


def test_one_key_votes_once(governance: GovernanceEnv) -> None:
    env = governance
    r0 = env.regulators[0]
    proposal = limits_proposal(env)
    env.approve(r0, proposal)
    assert env.fail([env.approve_ix(r0.pubkey(), proposal)], [r0]) == code("AlreadyVoted")
    assert env.fail([env.reject_ix(r0.pubkey(), proposal)], [r0]) == code("AlreadyVoted")
    # Twice in one transaction is the same.
    fresh = limits_proposal(env)
    ix = env.approve_ix(r0.pubkey(), fresh)
    assert env.fail([ix, ix], [r0]) == code("AlreadyVoted")
    assert env.proposal(proposal).approval_count == 1


def test_only_current_regulators_propose_and_vote(governance: GovernanceEnv) -> None:
    env = governance
    stranger = env.registry.wallet()
    ix, _ = env.propose_ix(stranger.pubkey(), env.update_limits_ix(NEW_LIMITS))
    assert env.fail([ix], [stranger]) == code("NotRegulator")
    proposal = limits_proposal(env)
    assert env.fail([env.approve_ix(stranger.pubkey(), proposal)], [stranger]) == code("NotRegulator")
    assert env.fail([env.reject_ix(stranger.pubkey(), proposal)], [stranger]) == code("NotRegulator")
    # A regulator's key that did not sign does not vote.
    unsigned = with_meta(env.approve_ix(env.regulators[1].pubkey(), proposal), 0, signer=False)
    assert env.fail([unsigned]) == code("MissingSigner")


def test_rejections_that_make_quorum_impossible_reject(governance: GovernanceEnv) -> None:
    env = governance
    r0, r1, r2 = env.regulators
    proposal = limits_proposal(env)
    env.approve(r0, proposal)
    sent = env.reject(r1, proposal)
    [vote] = env.events(sent)
    assert (vote.data.approve, vote.data.rejections, type(vote.data.status).__name__) == (False, 1, "Open")
    env.reject(r2, proposal)  # three regulators, threshold 2: two rejections leave one possible approval
    assert env.status(proposal) == "Rejected"
    assert env.fail([env.execute_ix(proposal)]) == code("ProposalRejected")
    assert env.fail([env.approve_ix(r2.pubkey(), proposal)], [r2]) == code("ProposalRejected")


# -- what may be proposed --------------------------------------------------------------------------


def test_only_solgrid_programs_are_targets(governance: GovernanceEnv) -> None:
    env = governance
    r0 = env.regulators[0]
    target = env.update_limits_ix(NEW_LIMITS)
    for program in (SYSTEM_PROGRAM, TOKEN_PROGRAM_ID, Keypair().pubkey()):
        ix, _ = env.propose_ix(r0.pubkey(), target, target_program=program)
        assert env.fail([ix], [r0]) == code("TargetNotSolGrid")
    # A transfer from the governance PDA through the System program cannot be proposed either.
    from solders.system_program import TransferParams, transfer

    drain = transfer(
        TransferParams(from_pubkey=env.governance_pda().address, to_pubkey=r0.pubkey(), lamports=1)
    )
    ix, _ = env.propose_ix(r0.pubkey(), drain)
    assert env.fail([ix], [r0]) == code("TargetNotSolGrid")
    # Each SolGrid program is a target, this one included.
    for program in (
        env.trading.client.program_id,
        env.token_program_id(),
        PROGRAM_ID,
        env.registry.program_id,
    ):
        env.propose(r0, target, target_program=program)


def test_proposal_bounds(governance: GovernanceEnv) -> None:
    env = governance
    r0 = env.regulators[0]
    target = env.update_limits_ix(NEW_LIMITS)
    cases = [
        ({"lifetime_secs": 0}, "InvalidLifetime"),
        ({"lifetime_secs": 7 * DAY + 1}, "InvalidLifetime"),
        ({"timelock_secs": 600, "lifetime_secs": 600}, "TimelockExceedsLifetime"),
        ({"title": "t" * 65}, "TextTooLong"),
        ({"accounts": proposal_accounts(target) * 12 + proposal_accounts(target)[:1]}, "TooManyAccounts"),
        ({"data": bytes(769)}, "DataTooLong"),
        ({"accounts": [{"address": env.registry_config(), "flags": 4}]}, "InvalidAccountFlags"),
        ({"accounts": [{"address": r0.pubkey(), "flags": SIGNER}]}, "SignerNotGovernance"),
    ]
    for options, error in cases:
        ix, _ = env.propose_ix(r0.pubkey(), target, **options)  # type: ignore[arg-type]
        assert env.fail([ix], [r0]) == code(error), error
    # At the limits it is accepted.
    widest = proposal_accounts(target) * 12
    env.propose(r0, target, title="t" * 64, accounts=widest, data=bytes(768), lifetime_secs=7 * DAY)
    stored = env.proposal(env.proposal_pda(0).address)
    assert (stored.account_count, stored.data_len) == (24, 768)
    assert stored.accounts[1].flags == SIGNER and stored.accounts[0].flags == WRITABLE


def test_the_proposal_address_follows_the_count(governance: GovernanceEnv) -> None:
    env = governance
    r0 = env.regulators[0]
    target = env.update_limits_ix(NEW_LIMITS)
    ix, _ = env.propose_ix(r0.pubkey(), target, proposal_id=1)
    assert env.fail([ix], [r0]) == code("InvalidPda")
    # The bump travels with the arguments and must derive the proposal's address.
    canonical = env.proposal_pda(0).bump
    for bump in (canonical - 1, canonical + 1 if canonical < 255 else 0):
        ix, _ = env.propose_ix(r0.pubkey(), target, bump=bump)
        assert env.fail([ix], [r0]) == code("InvalidPda"), bump
    first = env.propose(r0, target)
    second = env.propose(r0, target)
    assert (env.proposal(first).id, env.proposal(second).id) == (0, 1)
    assert second == env.proposal_pda(1).address


# -- cancel and close ------------------------------------------------------------------------------


def test_the_proposer_cancels(governance: GovernanceEnv) -> None:
    env = governance
    r0 = env.regulators[0]
    proposal = limits_proposal(env)
    env.approve(r0, proposal)
    sent = env.send([env.cancel_ix(r0.pubkey(), proposal)], [r0])
    assert env.status(proposal) == "Cancelled"
    [event] = env.events(sent)
    assert (event.name, event.data.cancelled_by) == ("ProposalCancelled", r0.pubkey())
    assert env.fail([env.execute_ix(proposal)]) == code("ProposalCancelled")
    assert env.fail([env.cancel_ix(r0.pubkey(), proposal)], [r0]) == code("ProposalCancelled")


def test_a_removed_proposer_no_longer_cancels(governance: GovernanceEnv) -> None:
    """r1 proposes B, then a proposal removes r1: r1 can no longer cancel B alone (NotRegulator);
    a cancel proposal (the governance PDA) still can."""
    env = governance
    r0, r1, r2 = env.regulators
    b = env.propose(r1, env.update_limits_ix(NEW_LIMITS))
    newcomer = env.registry.wallet()
    rotate = env.set_regulators_ix([r0.pubkey(), r2.pubkey(), newcomer.pubkey()], threshold=2)
    env.execute(env.approved(rotate, approvers=[r0, r2]))
    env.registry.regulators = [r0, r2, newcomer]
    assert env.fail([env.cancel_ix(r1.pubkey(), b)], [r1]) == code("NotRegulator")
    assert env.status(b) == "Open"
    env.execute(env.approved(env.cancel_ix(env.governance_pda().address, b), approvers=[r0, r2]))
    assert env.status(b) == "Cancelled"


def test_someone_else_alone_cannot_cancel(governance_unset: GovernanceEnv) -> None:
    """Before the registry names a governance program, a quorum of co-signers cancels; fewer do not."""
    env = governance_unset
    _, r1, _ = env.regulators
    proposal = limits_proposal(env)
    stranger = env.registry.wallet()
    assert env.fail([env.cancel_ix(stranger.pubkey(), proposal)], [stranger]) == code("CancelNotAllowed")
    assert env.fail([env.cancel_ix(r1.pubkey(), proposal)], [r1]) == code("CancelNotAllowed")
    # One regulator listed twice is still one.
    twice = env.cancel_ix(r1.pubkey(), proposal, [r1.pubkey()])
    assert env.fail([twice], [r1]) == code("CancelNotAllowed")
    # A stranger with one regulator is still one regulator.
    assert env.fail([env.cancel_ix(stranger.pubkey(), proposal, [r1.pubkey()])], [stranger, r1]) == code(
        "CancelNotAllowed"
    )
    assert env.status(proposal) == "Open"


def test_a_quorum_cancels_before_governance_is_set(governance_unset: GovernanceEnv) -> None:
    env = governance_unset
    _, r1, r2 = env.regulators
    proposal = limits_proposal(env)
    env.send([env.cancel_ix(r1.pubkey(), proposal, [r2.pubkey()])], [r1, r2])
    assert env.status(proposal) == "Cancelled"


def test_co_signers_no_longer_cancel_once_governance_is_set(governance_unset: GovernanceEnv) -> None:
    """As the registry's privileged gate: once it names a governance program, co-signing regulators
    (even all of them) are refused; the proposer still cancels, and so does a cancel proposal."""
    env = governance_unset
    r0, r1, r2 = env.regulators
    proposal = limits_proposal(env)
    env.set_governance()
    stranger = env.registry.wallet()
    for authority, cosigners, signers in [
        (r1.pubkey(), [r2.pubkey()], [r1, r2]),
        (r1.pubkey(), [r0.pubkey(), r2.pubkey()], [r0, r1, r2]),
        (r1.pubkey(), [], [r1]),
        (stranger.pubkey(), [r1.pubkey(), r2.pubkey()], [stranger, r1, r2]),
    ]:
        assert env.fail([env.cancel_ix(authority, proposal, cosigners)], signers) == code("NotGovernance")
    assert env.status(proposal) == "Open"
    # The proposer, with or without co-signers.
    env.send([env.cancel_ix(r0.pubkey(), proposal, [r1.pubkey()])], [r0, r1])
    assert env.status(proposal) == "Cancelled"
    # Another regulator cancels by proposal (the governance PDA signs).
    victim = limits_proposal(env)
    env.enact(env.cancel_ix(env.governance_pda().address, victim))
    assert env.status(victim) == "Cancelled"


def test_a_proposal_cancels_another(governance: GovernanceEnv) -> None:
    env = governance
    victim = limits_proposal(env)
    cancel = env.cancel_ix(env.governance_pda().address, victim)
    env.enact(cancel)
    assert env.status(victim) == "Cancelled"


def test_cancel_needs_the_authority_signature(governance: GovernanceEnv) -> None:
    env = governance
    proposal = limits_proposal(env)
    ix = with_meta(env.cancel_ix(env.regulators[0].pubkey(), proposal), 0, signer=False)
    assert env.fail([ix]) == code("MissingSigner")


def test_close_returns_the_rent_to_the_proposer(governance: GovernanceEnv) -> None:
    env = governance
    r0 = env.regulators[0]
    proposal = env.approved(env.update_limits_ix(NEW_LIMITS))
    assert env.fail([env.close_ix(proposal, r0.pubkey())]) == code("ProposalNotFinal")
    env.execute(proposal)
    stranger = env.registry.wallet().pubkey()
    assert env.fail([env.close_ix(proposal, stranger)]) == code("NotProposer")
    rent = env.registry.balance(proposal)
    before = env.registry.balance(r0.pubkey())
    sent = env.send([env.close_ix(proposal, r0.pubkey())])
    assert env.account(proposal) is None
    assert env.registry.balance(r0.pubkey()) == before + rent
    [event] = env.events(sent)
    assert (event.name, event.data.lamports, event.data.expired) == ("ProposalClosed", rent, False)
    assert type(event.data.status).__name__ == "Executed"


def test_close_an_expired_or_cancelled_proposal(governance: GovernanceEnv) -> None:
    env = governance
    r0 = env.regulators[0]
    expiring = limits_proposal(env, lifetime_secs=100)
    cancelled = limits_proposal(env)
    env.send([env.cancel_ix(r0.pubkey(), cancelled)], [r0])
    env.send([env.close_ix(cancelled, r0.pubkey())])
    assert env.account(cancelled) is None
    env.warp(99)
    assert env.fail([env.close_ix(expiring, r0.pubkey())]) == code("ProposalNotFinal")
    env.warp(1)
    sent = env.send([env.close_ix(expiring, r0.pubkey())])
    [event] = env.events(sent)
    assert (event.data.expired, type(event.data.status).__name__) == (True, "Open")
    # A closed proposal is gone: nothing can act on it, and its id is never reused.
    gone = env.execute_ix(expiring, metas=[], target_program=env.registry.program_id)
    assert env.fail([gone]) == code("InvalidOwner")


def test_a_foreign_account_is_not_a_proposal(governance: GovernanceEnv) -> None:
    env = governance
    proposal = env.approved(env.update_limits_ix(NEW_LIMITS))
    real = env.account(proposal)
    assert real is not None
    fake = Keypair().pubkey()
    env.svm.set_account(fake, Account(real.lamports, bytes(real.data), Keypair().pubkey(), False, 0))
    assert env.fail([with_account(env.execute_ix(proposal), 0, fake)]) == code("InvalidOwner")
    r2 = env.regulators[2]
    assert env.fail([with_account(env.approve_ix(r2.pubkey(), proposal), 3, fake)], [r2]) == code(
        "InvalidOwner"
    )

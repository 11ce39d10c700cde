//! Unit tests of the proposal rules: every transition and every error.

use solgrid_governance_core::{
    proposal::{
        appoint, check_new, check_target, Canceller, ProposalState, Regulators, Status, VoteList,
        Votes, MAX_VOTES,
    },
    Key, ProposalError,
};

fn k(n: u8) -> Key {
    let mut key = [0u8; 32];
    key[0] = n;
    key[31] = n.wrapping_mul(7);
    key
}

const NOW: i64 = 1_700_000_000;

fn open(timelock_secs: u32) -> ProposalState {
    ProposalState {
        status: Status::Open,
        expires_at: NOW + 1_000,
        timelock_secs,
        quorum_at: 0,
    }
}

/// Regulators all appointed at version 0 (the registry's version is 0 too).
fn regs(set: &[Key], threshold: u8) -> Regulators<'_, Key> {
    Regulators {
        set,
        since: &[0; 16][..set.len().min(16)],
        version: 0,
        threshold,
    }
}

/// Votes cast at version 0.
fn list(keys: &[Key]) -> VoteList<'_, Key> {
    VoteList {
        keys,
        versions: &[],
    }
}

fn votes<'a>(approvals: &'a [Key], rejections: &'a [Key]) -> Votes<'a, Key> {
    Votes {
        approvals: list(approvals),
        rejections: list(rejections),
    }
}

#[test]
fn status_bytes_round_trip() {
    for status in [
        Status::Open,
        Status::Executed,
        Status::Cancelled,
        Status::Rejected,
    ] {
        assert_eq!(Status::try_from(status as u8), Ok(status));
    }
    assert_eq!(
        (
            Status::Open as u8,
            Status::Executed as u8,
            Status::Cancelled as u8,
            Status::Rejected as u8
        ),
        (0, 1, 2, 3)
    );
    for byte in 4..=u8::MAX {
        assert_eq!(Status::try_from(byte), Err(ProposalError::InvalidStatus));
    }
}

#[test]
fn regulator_set_must_be_usable() {
    let set = [k(1), k(2), k(3)];
    assert_eq!(regs(&[], 1).check(), Err(ProposalError::NoRegulators));
    assert_eq!(regs(&set, 0).check(), Err(ProposalError::InvalidThreshold));
    assert_eq!(regs(&set, 4).check(), Err(ProposalError::InvalidThreshold));
    assert_eq!(regs(&set, 1).check(), Ok(()));
    assert_eq!(regs(&set, 3).check(), Ok(()));
}

#[test]
fn count_ignores_strangers_removed_regulators_and_duplicates() {
    let set = [k(1), k(2), k(3)];
    let r = regs(&set, 2);
    assert_eq!(r.count(&list(&[])), 0);
    assert_eq!(r.count(&list(&[k(1), k(9), k(3)])), 2);
    assert_eq!(r.count(&list(&[k(1), k(1), k(1)])), 1);
    assert!(!r.quorum(&list(&[k(1), k(9)])));
    assert!(r.quorum(&list(&[k(2), k(3)])));
    // A removed regulator's approval stops counting (see `reappointment_never_revives_a_vote`
    // for a reappointment).
    let approvals = [k(1), k(2)];
    assert!(regs(&[k(1), k(2), k(3)], 2).quorum(&list(&approvals)));
    assert!(!regs(&[k(1), k(3)], 2).quorum(&list(&approvals)));
    // Order in the set does not matter.
    assert!(regs(&[k(3), k(2), k(1)], 2).quorum(&list(&approvals)));
    // A lowered threshold applies at once.
    assert!(regs(&[k(1), k(3)], 1).quorum(&list(&approvals)));
    // A zero threshold is never a quorum.
    assert!(!regs(&set, 0).quorum(&list(&set)));
}

#[test]
fn new_proposal_bounds() {
    assert_eq!(check_new(NOW, 60, 3_600, 60, 86_400), Ok(NOW + 3_600));
    assert_eq!(check_new(NOW, 0, 86_400, 0, 86_400), Ok(NOW + 86_400));
    assert_eq!(
        check_new(NOW, 59, 3_600, 60, 86_400),
        Err(ProposalError::TimelockTooShort)
    );
    assert_eq!(
        check_new(NOW, 60, 0, 60, 86_400),
        Err(ProposalError::InvalidLifetime)
    );
    assert_eq!(
        check_new(NOW, 0, 0, 0, 86_400),
        Err(ProposalError::InvalidLifetime)
    );
    assert_eq!(
        check_new(NOW, 60, 86_401, 60, 86_400),
        Err(ProposalError::InvalidLifetime)
    );
    assert_eq!(
        check_new(NOW, 3_600, 3_600, 60, 86_400),
        Err(ProposalError::TimelockExceedsLifetime)
    );
    assert_eq!(
        check_new(NOW, 3_601, 3_600, 60, 86_400),
        Err(ProposalError::TimelockExceedsLifetime)
    );
    assert_eq!(
        check_new(i64::MAX - 10, 0, 11, 0, 100),
        Err(ProposalError::Overflow)
    );
    assert_eq!(check_new(i64::MAX - 10, 0, 10, 0, 100), Ok(i64::MAX));
}

#[test]
fn target_must_be_a_solgrid_program() {
    let programs = [k(100), k(101), k(102), k(103)];
    assert_eq!(check_target(&k(102), &programs), Ok(()));
    assert_eq!(
        check_target(&k(104), &programs),
        Err(ProposalError::TargetNotSolGrid)
    );
    assert_eq!(
        check_target::<Key>(&k(100), &[]),
        Err(ProposalError::TargetNotSolGrid)
    );
}

#[test]
fn approve_records_quorum_when_it_is_reached_from_below() {
    let set = [k(1), k(2), k(3)];
    let r = regs(&set, 2);
    let p = open(100);
    let first = p.approve(NOW, &votes(&[], &[]), &r, &k(1)).unwrap();
    assert_eq!(
        (
            first.slot,
            first.len,
            first.status,
            first.quorum_at,
            first.approvals,
            first.rejections
        ),
        (0, 1, Status::Open, 0, 1, 0)
    );
    let second = p.approve(NOW + 5, &votes(&[k(1)], &[]), &r, &k(2)).unwrap();
    assert_eq!(
        (second.slot, second.len, second.quorum_at, second.approvals),
        (1, 2, NOW + 5, 2)
    );
    // A third approval keeps the recorded quorum time (the timelock does not restart).
    let p = ProposalState {
        quorum_at: NOW + 5,
        ..p
    };
    let third = p
        .approve(NOW + 9, &votes(&[k(1), k(2)], &[]), &r, &k(3))
        .unwrap();
    assert_eq!(
        (third.slot, third.len, third.quorum_at, third.approvals),
        (2, 3, NOW + 5, 3)
    );
}

#[test]
fn approve_after_quorum_was_lost_restarts_the_timelock() {
    // k(2) approved and was removed: the quorum recorded at NOW is no longer standing.
    let p = ProposalState {
        quorum_at: NOW,
        ..open(100)
    };
    let set = [k(1), k(3), k(4)];
    let voted = p
        .approve(NOW + 50, &votes(&[k(1), k(2)], &[]), &regs(&set, 2), &k(3))
        .unwrap();
    assert_eq!((voted.approvals, voted.quorum_at), (2, NOW + 50));
}

#[test]
fn approve_records_a_quorum_that_a_set_change_made() {
    // Threshold lowered from 3 to 1 after one approval: quorum stands but was never recorded.
    let set = [k(1), k(2), k(3)];
    let p = open(100);
    let voted = p
        .approve(NOW + 7, &votes(&[k(1)], &[]), &regs(&set, 1), &k(2))
        .unwrap();
    assert_eq!((voted.approvals, voted.quorum_at), (2, NOW + 7));
}

#[test]
fn approve_refusals() {
    let set = [k(1), k(2), k(3)];
    let r = regs(&set, 2);
    let p = open(0);
    assert_eq!(
        p.approve(NOW, &votes(&[], &[]), &r, &k(9)),
        Err(ProposalError::NotRegulator)
    );
    assert_eq!(
        p.approve(NOW, &votes(&[k(1)], &[]), &r, &k(1)),
        Err(ProposalError::AlreadyVoted)
    );
    assert_eq!(
        p.approve(NOW, &votes(&[], &[k(1)]), &r, &k(1)),
        Err(ProposalError::AlreadyVoted)
    );
    assert_eq!(
        p.approve(NOW, &votes(&[], &[]), &regs(&[], 1), &k(1)),
        Err(ProposalError::NoRegulators)
    );
    assert_eq!(
        p.approve(NOW, &votes(&[], &[]), &regs(&set, 0), &k(1)),
        Err(ProposalError::InvalidThreshold)
    );
    assert_eq!(
        p.approve(p.expires_at, &votes(&[], &[]), &r, &k(1)),
        Err(ProposalError::ProposalExpired)
    );
    assert!(p
        .approve(p.expires_at - 1, &votes(&[], &[]), &r, &k(1))
        .is_ok());
    for (status, error) in [
        (Status::Executed, ProposalError::AlreadyExecuted),
        (Status::Cancelled, ProposalError::ProposalCancelled),
        (Status::Rejected, ProposalError::ProposalRejected),
    ] {
        let p = ProposalState { status, ..p };
        assert_eq!(p.approve(NOW, &votes(&[], &[]), &r, &k(1)), Err(error));
        assert_eq!(p.reject(NOW, &votes(&[], &[]), &r, &k(1)), Err(error));
    }
}

#[test]
fn a_full_vote_list_reuses_the_slot_of_a_vote_that_no_longer_counts() {
    let old: [Key; MAX_VOTES] = core::array::from_fn(|i| k(i as u8 + 1));
    // k(1)..k(8) approved; k(3) was replaced by k(20).
    let set = [k(1), k(2), k(20), k(4), k(5), k(6), k(7), k(8)];
    let voted = open(0)
        .approve(NOW, &votes(&old, &[]), &regs(&set, 8), &k(20))
        .unwrap();
    assert_eq!((voted.slot, voted.len, voted.approvals), (2, 8, 8));
    assert_eq!(voted.quorum_at, NOW);
    // Same for rejections.
    let voted = open(0)
        .reject(NOW, &votes(&[], &old), &regs(&set, 1), &k(20))
        .unwrap();
    assert_eq!((voted.slot, voted.len, voted.rejections), (2, 8, 8));
    // Nine regulators (more than the registry allows) all voted: no slot left.
    let nine: [Key; 9] = core::array::from_fn(|i| k(i as u8 + 1));
    assert_eq!(
        open(0).approve(NOW, &votes(&old, &[]), &regs(&nine, 9), &k(9)),
        Err(ProposalError::VotesFull)
    );
}

#[test]
fn reject_marks_rejected_once_quorum_is_impossible() {
    let set = [k(1), k(2), k(3), k(4)];
    let r = regs(&set, 3);
    let p = open(0);
    // 4 regulators, threshold 3: one rejection leaves 3 possible approvals.
    let first = p.reject(NOW, &votes(&[], &[]), &r, &k(1)).unwrap();
    assert_eq!(
        (first.slot, first.len, first.status, first.rejections),
        (0, 1, Status::Open, 1)
    );
    let second = p.reject(NOW, &votes(&[k(3)], &[k(1)]), &r, &k(2)).unwrap();
    assert_eq!(
        (second.slot, second.len, second.status),
        (1, 2, Status::Rejected)
    );
    assert_eq!((second.approvals, second.rejections), (1, 2));
    // The rejection of a removed regulator does not count.
    let third = p.reject(NOW, &votes(&[], &[k(9)]), &r, &k(2)).unwrap();
    assert_eq!(
        (third.status, third.rejections, third.len),
        (Status::Open, 1, 2)
    );
    // Rejection does not touch the quorum time.
    let p = ProposalState {
        quorum_at: NOW - 3,
        ..p
    };
    assert_eq!(
        p.reject(NOW, &votes(&[], &[]), &r, &k(4))
            .unwrap()
            .quorum_at,
        NOW - 3
    );
    // Threshold 1 of 1: the only regulator's rejection ends it.
    let one = [k(1)];
    assert_eq!(
        open(0)
            .reject(NOW, &votes(&[], &[]), &regs(&one, 1), &k(1))
            .unwrap()
            .status,
        Status::Rejected
    );
}

#[test]
fn reject_refusals() {
    let set = [k(1), k(2)];
    let r = regs(&set, 1);
    let p = open(0);
    assert_eq!(
        p.reject(NOW, &votes(&[], &[]), &r, &k(5)),
        Err(ProposalError::NotRegulator)
    );
    assert_eq!(
        p.reject(NOW, &votes(&[k(1)], &[]), &r, &k(1)),
        Err(ProposalError::AlreadyVoted)
    );
    assert_eq!(
        p.reject(NOW, &votes(&[], &[k(2)]), &r, &k(2)),
        Err(ProposalError::AlreadyVoted)
    );
    assert_eq!(
        p.reject(p.expires_at + 1, &votes(&[], &[]), &r, &k(1)),
        Err(ProposalError::ProposalExpired)
    );
    assert_eq!(
        p.reject(NOW, &votes(&[], &[]), &regs(&[], 0), &k(1)),
        Err(ProposalError::NoRegulators)
    );
}

#[test]
fn execute_needs_a_current_quorum_and_the_timelock() {
    let set = [k(1), k(2), k(3)];
    let r = regs(&set, 2);
    let p = ProposalState {
        quorum_at: NOW,
        ..open(100)
    };
    let approvals = [k(1), k(2)];
    assert_eq!(
        p.can_execute(NOW + 99, &list(&approvals), &r),
        Err(ProposalError::TimelockActive)
    );
    assert_eq!(p.can_execute(NOW + 100, &list(&approvals), &r), Ok(2));
    assert_eq!(
        p.can_execute(p.expires_at - 1, &list(&approvals), &r),
        Ok(2)
    );
    // The count is of the approvals that count (here all three).
    assert_eq!(p.can_execute(NOW + 100, &list(&set), &r), Ok(3));
    assert_eq!(
        p.can_execute(p.expires_at, &list(&approvals), &r),
        Err(ProposalError::ProposalExpired)
    );
    // One approver removed: no quorum any more.
    let after_removal = [k(1), k(3)];
    assert_eq!(
        p.can_execute(NOW + 100, &list(&approvals), &regs(&after_removal, 2)),
        Err(ProposalError::QuorumNotMet)
    );
    // Threshold raised: no quorum.
    assert_eq!(
        p.can_execute(NOW + 100, &list(&approvals), &regs(&set, 3)),
        Err(ProposalError::QuorumNotMet)
    );
    // Only strangers approved.
    assert_eq!(
        p.can_execute(NOW + 100, &list(&[k(7), k(8)]), &r),
        Err(ProposalError::QuorumNotMet)
    );
    // Quorum standing by a set change but never recorded: the timelock has no start.
    let unrecorded = open(0);
    assert_eq!(
        unrecorded.can_execute(NOW, &list(&approvals), &r),
        Err(ProposalError::QuorumNotRecorded)
    );
    // Zero timelock: executable at the quorum time itself.
    let zero = ProposalState {
        quorum_at: NOW,
        ..open(0)
    };
    assert_eq!(zero.can_execute(NOW, &list(&approvals), &r), Ok(2));
    // Final statuses.
    for (status, error) in [
        (Status::Executed, ProposalError::AlreadyExecuted),
        (Status::Cancelled, ProposalError::ProposalCancelled),
        (Status::Rejected, ProposalError::ProposalRejected),
    ] {
        let done = ProposalState { status, ..p };
        assert_eq!(
            done.can_execute(NOW + 100, &list(&approvals), &r),
            Err(error)
        );
    }
    assert_eq!(
        p.can_execute(NOW + 100, &list(&approvals), &regs(&[], 1)),
        Err(ProposalError::NoRegulators)
    );
    let late = ProposalState {
        quorum_at: i64::MAX - 5,
        expires_at: i64::MAX,
        ..open(10)
    };
    assert_eq!(
        late.can_execute(i64::MAX - 1, &list(&approvals), &r),
        Err(ProposalError::Overflow)
    );
}

#[test]
fn cancel_by_proposer_governance_or_quorum() {
    let set = [k(1), k(2), k(3)];
    let r = regs(&set, 2);
    let p = open(0);
    assert_eq!(
        p.can_cancel(NOW, Canceller::Proposer(k(1)), &r, false),
        Ok(())
    );
    assert_eq!(p.can_cancel(NOW, Canceller::Governance, &r, false), Ok(()));
    assert_eq!(
        p.can_cancel(NOW, Canceller::Regulators(2), &r, false),
        Ok(())
    );
    assert_eq!(
        p.can_cancel(NOW, Canceller::Regulators(3), &r, false),
        Ok(())
    );
    assert_eq!(
        p.can_cancel(NOW, Canceller::Regulators(1), &r, false),
        Err(ProposalError::CancelNotAllowed)
    );
    assert_eq!(
        p.can_cancel(NOW, Canceller::Regulators(0), &r, false),
        Err(ProposalError::CancelNotAllowed)
    );
    assert_eq!(
        p.can_cancel(NOW, Canceller::Regulators(3), &regs(&[], 0), false),
        Err(ProposalError::NoRegulators)
    );
    assert_eq!(
        p.can_cancel(p.expires_at, Canceller::Proposer(k(1)), &r, false),
        Err(ProposalError::ProposalExpired)
    );
    // A proposer who is no longer a regulator cannot cancel alone, with or without governance set;
    // a quorum or the governance authority still can.
    let without_proposer = [k(2), k(3)];
    let after_removal = regs(&without_proposer, 2);
    for governance_set in [false, true] {
        assert_eq!(
            p.can_cancel(
                NOW,
                Canceller::Proposer(k(1)),
                &after_removal,
                governance_set
            ),
            Err(ProposalError::NotRegulator)
        );
        assert_eq!(
            p.can_cancel(NOW, Canceller::Governance, &after_removal, governance_set),
            Ok(())
        );
    }
    assert_eq!(
        p.can_cancel(NOW, Canceller::Regulators(2), &after_removal, false),
        Ok(())
    );
    for (status, error) in [
        (Status::Executed, ProposalError::AlreadyExecuted),
        (Status::Cancelled, ProposalError::ProposalCancelled),
        (Status::Rejected, ProposalError::ProposalRejected),
    ] {
        let done = ProposalState { status, ..p };
        assert_eq!(
            done.can_cancel(NOW, Canceller::Governance, &r, false),
            Err(error)
        );
    }
}

#[test]
fn final_expired_and_close() {
    let p = open(0);
    assert!(!p.is_expired(NOW));
    assert!(!p.is_final(NOW));
    assert_eq!(p.can_close(NOW), Err(ProposalError::ProposalNotFinal));
    assert_eq!(p.ensure_open(NOW), Ok(()));
    assert!(p.is_expired(p.expires_at));
    assert!(p.is_final(p.expires_at));
    assert_eq!(p.can_close(p.expires_at), Ok(()));
    for status in [Status::Executed, Status::Cancelled, Status::Rejected] {
        let done = ProposalState { status, ..p };
        assert!(done.is_final(NOW));
        assert!(!done.is_expired(done.expires_at + 1));
        assert_eq!(done.can_close(NOW), Ok(()));
    }
}

#[test]
fn keys_of_another_type_work_too() {
    // A program passes its own 32-byte address type (anything that is `AsRef<[u8]>`).
    struct Address([u8; 32]);
    impl AsRef<[u8]> for Address {
        fn as_ref(&self) -> &[u8] {
            &self.0
        }
    }
    let set = [Address(k(1)), Address(k(2))];
    let approvals = [Address(k(2))];
    let r = Regulators {
        set: &set,
        since: &[0, 0],
        version: 0,
        threshold: 1,
    };
    let approvals = VoteList {
        keys: &approvals,
        versions: &[0],
    };
    assert_eq!(r.count(&approvals), 1);
    let voted = open(0)
        .approve(
            NOW,
            &Votes {
                approvals,
                rejections: VoteList {
                    keys: &[],
                    versions: &[],
                },
            },
            &r,
            &k(1),
        )
        .unwrap();
    assert_eq!((voted.slot, voted.approvals, voted.quorum_at), (1, 2, NOW));
}

#[test]
fn cancel_by_cosigners_stops_once_governance_is_set() {
    let set = [k(1), k(2), k(3)];
    let r = regs(&set, 2);
    let p = open(0);
    // The registry names a governance program: co-signers are refused however many they are.
    for n in [0, 1, 2, 3] {
        assert_eq!(
            p.can_cancel(NOW, Canceller::Regulators(n), &r, true),
            Err(ProposalError::NotGovernance),
            "{n}"
        );
    }
    // The proposer and the governance authority still cancel.
    assert_eq!(
        p.can_cancel(NOW, Canceller::Proposer(k(1)), &r, true),
        Ok(())
    );
    assert_eq!(p.can_cancel(NOW, Canceller::Governance, &r, true), Ok(()));
    // A final or expired proposal gives its own error first.
    assert_eq!(
        p.can_cancel(p.expires_at, Canceller::Regulators(3), &r, true),
        Err(ProposalError::ProposalExpired)
    );
}

#[test]
fn record_quorum_only_for_a_standing_unrecorded_quorum() {
    let set = [k(1), k(2), k(3)];
    let p = open(100);
    // Every current regulator voted (k(1) approved, k(2) and k(3) rejected) and the threshold
    // dropped to 1: quorum stands, no approval can record it, record_quorum does.
    let (yes, no) = ([k(1)], [k(2), k(3)]);
    let v = votes(&yes, &no);
    let low = regs(&set, 1);
    assert_eq!(
        p.approve(NOW, &v, &low, &k(2)),
        Err(ProposalError::AlreadyVoted)
    );
    assert_eq!(
        p.can_execute(NOW, &v.approvals, &low),
        Err(ProposalError::QuorumNotRecorded)
    );
    assert_eq!(p.record_quorum(NOW + 3, &v.approvals, &low), Ok(NOW + 3));
    let recorded = ProposalState {
        quorum_at: NOW + 3,
        ..p
    };
    assert_eq!(
        recorded.can_execute(NOW + 102, &v.approvals, &low),
        Err(ProposalError::TimelockActive)
    );
    assert_eq!(recorded.can_execute(NOW + 103, &v.approvals, &low), Ok(1));
    assert_eq!(
        recorded.record_quorum(NOW + 4, &v.approvals, &low),
        Err(ProposalError::QuorumAlreadyRecorded)
    );
    // No quorum: refused.
    assert_eq!(
        p.record_quorum(NOW, &v.approvals, &regs(&set, 2)),
        Err(ProposalError::QuorumNotMet)
    );
    // An approval by a removed regulator is no quorum.
    assert_eq!(
        p.record_quorum(NOW, &list(&[k(9)]), &low),
        Err(ProposalError::QuorumNotMet)
    );
    // Unusable set, closed or expired proposal.
    assert_eq!(
        p.record_quorum(NOW, &v.approvals, &regs(&[], 1)),
        Err(ProposalError::NoRegulators)
    );
    assert_eq!(
        p.record_quorum(p.expires_at, &v.approvals, &low),
        Err(ProposalError::ProposalExpired)
    );
    for (status, error) in [
        (Status::Executed, ProposalError::AlreadyExecuted),
        (Status::Cancelled, ProposalError::ProposalCancelled),
        (Status::Rejected, ProposalError::ProposalRejected),
    ] {
        let done = ProposalState { status, ..p };
        assert_eq!(done.record_quorum(NOW, &v.approvals, &low), Err(error));
    }
}

#[test]
fn appoint_keeps_members_and_versions_newcomers() {
    let old = [k(1), k(2), k(3)];
    let old_since = [1u16, 1, 4];
    let mut since = [99u16; 8];
    // k(2) removed, k(5) appointed, k(3) moves to the front: version 4 -> 5.
    let new = [k(3), k(1), k(5)];
    assert_eq!(appoint(&old, &old_since, 4, &new, &mut since), Ok(5));
    assert_eq!(since, [4, 1, 5, 0, 0, 0, 0, 0]);
    // Only removals or a reorder: the version stays.
    let mut again = [7u16; 8];
    assert_eq!(
        appoint(&new, &since[..3], 5, &[k(5), k(1)], &mut again),
        Ok(5)
    );
    assert_eq!(again, [5, 1, 0, 0, 0, 0, 0, 0]);
    // k(2), removed at some point, is appointed again: a new version.
    let mut back = [0u16; 8];
    assert_eq!(
        appoint(
            &[k(5), k(1)],
            &again[..2],
            5,
            &[k(5), k(1), k(2)],
            &mut back
        ),
        Ok(6)
    );
    assert_eq!(back[..3], [5, 1, 6]);
    // The first appointment (no regulators yet, version 0).
    let mut first = [0u16; 8];
    assert_eq!(appoint::<Key, Key>(&[], &[], 0, &old, &mut first), Ok(1));
    assert_eq!(first[..3], [1, 1, 1]);
    // The version cannot wrap.
    assert_eq!(
        appoint(&old, &old_since, u16::MAX, &[k(9)], &mut [0u16; 8]),
        Err(ProposalError::VersionExhausted)
    );
    // Without a newcomer the last version still serves.
    assert_eq!(
        appoint(&old, &old_since, u16::MAX, &[k(1)], &mut [0u16; 8]),
        Ok(u16::MAX)
    );
}

#[test]
fn reappointment_never_revives_a_vote() {
    // k(1), k(2), k(3) appointed at version 1; k(1) and k(2) approve at version 1.
    let approvals = [k(1), k(2)];
    let at_one = [1u16, 1];
    let list = VoteList {
        keys: &approvals,
        versions: &at_one,
    };
    let set = [k(1), k(2), k(3)];
    let r = Regulators {
        set: &set,
        since: &[1, 1, 1],
        version: 1,
        threshold: 2,
    };
    assert_eq!(r.count(&list), 2);
    // k(2) removed (no new version), then appointed again at version 2.
    let mut since = [0u16; 8];
    let version = appoint(&set, &[1, 1, 1], 1, &[k(1), k(3)], &mut since).unwrap();
    let removed = Regulators {
        set: &[k(1), k(3)],
        since: &since[..2],
        version,
        threshold: 2,
    };
    assert_eq!(removed.count(&list), 1);
    let mut back = [0u16; 8];
    let version = appoint(
        &[k(1), k(3)],
        &since[..2],
        version,
        &[k(1), k(3), k(2)],
        &mut back,
    )
    .unwrap();
    assert_eq!(version, 2);
    let set_back = [k(1), k(3), k(2)];
    let readded = Regulators {
        set: &set_back,
        since: &back[..3],
        version,
        threshold: 2,
    };
    // Its old approval does not count; k(1)'s still does.
    assert_eq!(readded.count(&list), 1);
    assert!(!readded.quorum(&list));
    assert!(!readded.counts(&k(2), 1) && readded.counts(&k(2), 2) && readded.counts(&k(1), 1));
    let p = ProposalState {
        quorum_at: NOW,
        ..open(0)
    };
    assert_eq!(
        p.can_execute(NOW, &list, &readded),
        Err(ProposalError::QuorumNotMet)
    );
    // The reappointed regulator may vote again: over its own old slot, at the new version.
    let v = Votes {
        approvals: list,
        rejections: VoteList {
            keys: &[],
            versions: &[],
        },
    };
    let again = p.approve(NOW + 1, &v, &readded, &k(2)).unwrap();
    assert_eq!(
        (again.slot, again.len, again.version, again.approvals),
        (1, 2, 2, 2)
    );
    // Quorum was lost and is reached again from below: the timelock restarts.
    assert_eq!(again.quorum_at, NOW + 1);
    // Or reject, although its stale approval stays in the other list: it no longer counts.
    let no = p.reject(NOW + 1, &v, &readded, &k(2)).unwrap();
    assert_eq!(
        (no.slot, no.len, no.version, no.approvals, no.rejections),
        (0, 1, 2, 1, 1)
    );
    // Adding a newcomer does not disturb the votes of regulators who stay.
    let mut grown = [0u16; 8];
    let version = appoint(&set, &[1, 1, 1], 1, &[k(1), k(2), k(3), k(4)], &mut grown).unwrap();
    let four = [k(1), k(2), k(3), k(4)];
    let bigger = Regulators {
        set: &four,
        since: &grown[..4],
        version,
        threshold: 2,
    };
    assert_eq!(bigger.count(&list), 2);
    // A stale vote of the voter's own in a full list is the slot reused.
    let full: [Key; MAX_VOTES] = core::array::from_fn(|i| k(i as u8 + 1));
    let versions = [0u16; MAX_VOTES];
    let since8 = [0, 0, 0, 0, 0, 3, 0, 0];
    let r8 = Regulators {
        set: &full,
        since: &since8,
        version: 3,
        threshold: 8,
    };
    let v = Votes {
        approvals: VoteList {
            keys: &full,
            versions: &versions,
        },
        rejections: VoteList {
            keys: &[],
            versions: &[],
        },
    };
    let voted = open(0).approve(NOW, &v, &r8, &k(6)).unwrap();
    assert_eq!(
        (voted.slot, voted.len, voted.version, voted.approvals),
        (5, 8, 3, 8)
    );
    assert_eq!(voted.quorum_at, NOW);
    // A regulator without a `since` entry counts nothing (defensive: the program passes all).
    let short = Regulators {
        set: &set,
        since: &[1],
        version: 1,
        threshold: 1,
    };
    assert_eq!(short.count(&list), 1);
}

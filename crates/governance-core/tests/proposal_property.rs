//! Property test of proposals: random sequences of proposals, approvals, rejections, executions,
//! cancellations, changes of the regulator set and threshold, and the passing of time, applied
//! with this crate's rules as the governance program applies them (vote lists of
//! [`MAX_VOTES`] slots), and checked after every step against an independent model that counts
//! votes by set intersection:
//! (a) every outcome (and every refusal's specific error) is the one the rules give in that state;
//! (b) an approval or rejection by a regulator who has been removed never counts;
//! (c) a proposal executes at most once, and only with a quorum of current approvals, at or after
//!     its timelock since quorum was reached, and before its deadline;
//! (d) a proposal in a final status never changes again; a key is recorded at most once.

use std::{cell::RefCell, collections::BTreeMap, collections::BTreeSet};

use proptest::{
    prelude::*,
    sample::{subsequence, Index},
    test_runner::{Config, TestCaseError, TestRunner},
};
use solgrid_governance_core::{
    proposal::{check_new, Canceller, ProposalState, Regulators, Status, Votes, MAX_VOTES},
    Key, ProposalError,
};

const KEYS: u8 = 12;
const CASES: u32 = 512;
const OPS: std::ops::RangeInclusive<usize> = 40..=120;
const START: i64 = 1_700_000_000;
const MIN_TIMELOCK: u32 = 10;
const MAX_LIFETIME: u32 = 2_000;

fn key(n: u8) -> Key {
    [n; 32]
}

fn keys() -> Vec<u8> {
    (1..=KEYS).collect()
}

#[derive(Clone, Debug)]
enum Op {
    SetRegulators {
        members: Vec<u8>,
        threshold: Index,
    },
    Propose {
        proposer: u8,
        timelock: u32,
        lifetime: u32,
    },
    Approve {
        proposal: Index,
        voter: Voter,
    },
    Reject {
        proposal: Index,
        voter: Voter,
    },
    Execute {
        proposal: Index,
    },
    Cancel {
        proposal: Index,
        by: By,
    },
    Advance {
        secs: i64,
    },
    /// Moves the clock to a proposal's deadline, or to the end of its timelock when quorum is
    /// recorded, + `offset` (-1, 0 or 1), when that is later.
    AdvanceToBoundary {
        proposal: Index,
        deadline: bool,
        offset: i64,
    },
}

/// Who votes: a current regulator (most of the time), or any key (a stranger, a removed regulator).
#[derive(Clone, Copy, Debug)]
enum Voter {
    Member(Index),
    Any(u8),
}

#[derive(Clone, Copy, Debug)]
enum By {
    Proposer,
    Governance,
    Regulators(u8),
}

fn members() -> impl Strategy<Value = Vec<u8>> {
    subsequence(keys(), 1..=MAX_VOTES).prop_shuffle()
}

fn op() -> impl Strategy<Value = Op> {
    let voter = prop_oneof![
        4 => any::<Index>().prop_map(Voter::Member),
        1 => (1..=KEYS + 1).prop_map(Voter::Any),
    ];
    prop_oneof![
        1 => (members(), any::<Index>()).prop_map(|(members, threshold)| Op::SetRegulators { members, threshold }),
        2 => (1..=KEYS,
              prop_oneof![8 => MIN_TIMELOCK..=MIN_TIMELOCK * 12, 1 => Just(MIN_TIMELOCK - 1), 1 => Just(0u32),
                          1 => MAX_LIFETIME - 10..=MAX_LIFETIME + 10],
              prop_oneof![8 => MAX_LIFETIME / 4..=MAX_LIFETIME, 1 => Just(0u32), 1 => Just(MAX_LIFETIME + 1),
                          1 => 1..=MIN_TIMELOCK * 12])
            .prop_map(|(proposer, timelock, lifetime)| Op::Propose { proposer, timelock, lifetime }),
        12 => (any::<Index>(), voter.clone()).prop_map(|(proposal, voter)| Op::Approve { proposal, voter }),
        2 => (any::<Index>(), voter).prop_map(|(proposal, voter)| Op::Reject { proposal, voter }),
        4 => any::<Index>().prop_map(|proposal| Op::Execute { proposal }),
        1 => (any::<Index>(), prop_oneof![
                1 => Just(By::Proposer), 1 => Just(By::Governance), 3 => (0..=MAX_VOTES as u8).prop_map(By::Regulators)
             ]).prop_map(|(proposal, by)| Op::Cancel { proposal, by }),
        3 => prop_oneof![0..60i64, 0..600i64].prop_map(|secs| Op::Advance { secs }),
        2 => (any::<Index>(), any::<bool>(), -1..=1i64)
            .prop_map(|(proposal, deadline, offset)| Op::AdvanceToBoundary { proposal, deadline, offset }),
    ]
}

/// A proposal as the program stores it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Stored {
    state: ProposalState,
    approvals: [Key; MAX_VOTES],
    approval_count: u8,
    rejections: [Key; MAX_VOTES],
    rejection_count: u8,
}

impl Stored {
    fn approvals(&self) -> &[Key] {
        &self.approvals[..self.approval_count as usize]
    }
    fn rejections(&self) -> &[Key] {
        &self.rejections[..self.rejection_count as usize]
    }
}

/// The model's view of a proposal, kept independently of the stored lists.
#[derive(Clone, Debug)]
struct Model {
    proposer: u8,
    status: Status,
    expires_at: i64,
    timelock: i64,
    /// Keys whose approval is recorded (a vote that no longer counts may be overwritten).
    approved: BTreeSet<u8>,
    rejected: BTreeSet<u8>,
    /// When the current approvals last reached the threshold through an approval (0 = never).
    quorum_at: i64,
    executions: u32,
}

struct Run {
    now: i64,
    set: Vec<u8>,
    threshold: u8,
    stored: Vec<Stored>,
    models: Vec<Model>,
    finals: BTreeMap<usize, Stored>,
}

#[derive(Default, Debug)]
struct Coverage {
    ok: BTreeMap<&'static str, usize>,
    refused: BTreeMap<&'static str, usize>,
}

macro_rules! check {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(format!($($msg)+));
        }
    };
}

impl Run {
    /// One of the last three proposals (most of the time), or any proposal.
    fn pick(&self, index: &Index) -> usize {
        let len = self.stored.len();
        if index.index(4) == 0 {
            index.index(len)
        } else {
            let window = len.min(3);
            len - window + index.index(window)
        }
    }

    fn set_keys(&self) -> Vec<Key> {
        self.set.iter().map(|&n| key(n)).collect()
    }

    fn current(&self, keys: &BTreeSet<u8>) -> u8 {
        keys.iter().filter(|k| self.set.contains(k)).count() as u8
    }

    /// The error a closed or expired proposal gives, if any.
    fn closed(&self, m: &Model) -> Option<ProposalError> {
        match m.status {
            Status::Executed => Some(ProposalError::AlreadyExecuted),
            Status::Cancelled => Some(ProposalError::ProposalCancelled),
            Status::Rejected => Some(ProposalError::ProposalRejected),
            Status::Open if self.now >= m.expires_at => Some(ProposalError::ProposalExpired),
            Status::Open => None,
        }
    }

    fn vote_error(&self, m: &Model, voter: u8) -> Option<ProposalError> {
        self.closed(m).or_else(|| {
            if !self.set.contains(&voter) {
                Some(ProposalError::NotRegulator)
            } else if m.approved.contains(&voter) || m.rejected.contains(&voter) {
                Some(ProposalError::AlreadyVoted)
            } else {
                None
            }
        })
    }

    fn apply(&mut self, op: &Op) -> Result<(&'static str, bool), String> {
        let now = self.now;
        let set = self.set_keys();
        let regulators = Regulators {
            set: &set,
            threshold: self.threshold,
        };
        let threshold = self.threshold;
        Ok(match op {
            Op::SetRegulators { members, threshold } => {
                self.set = members.clone();
                self.threshold = threshold.index(members.len()) as u8 + 1;
                ("set", true)
            }
            Op::Propose {
                proposer,
                timelock,
                lifetime,
            } => {
                let result = check_new(now, *timelock, *lifetime, MIN_TIMELOCK, MAX_LIFETIME);
                let expected = if *timelock < MIN_TIMELOCK {
                    Err(ProposalError::TimelockTooShort)
                } else if *lifetime == 0 || *lifetime > MAX_LIFETIME {
                    Err(ProposalError::InvalidLifetime)
                } else if timelock >= lifetime {
                    Err(ProposalError::TimelockExceedsLifetime)
                } else {
                    Ok(now + *lifetime as i64)
                };
                check!(
                    result == expected,
                    "propose: {result:?}, expected {expected:?}"
                );
                let Ok(expires_at) = result else {
                    return Ok(("propose", false));
                };
                self.stored.push(Stored {
                    state: ProposalState {
                        status: Status::Open,
                        expires_at,
                        timelock_secs: *timelock,
                        quorum_at: 0,
                    },
                    approvals: [[0; 32]; MAX_VOTES],
                    approval_count: 0,
                    rejections: [[0; 32]; MAX_VOTES],
                    rejection_count: 0,
                });
                self.models.push(Model {
                    proposer: *proposer,
                    status: Status::Open,
                    expires_at,
                    timelock: *timelock as i64,
                    approved: BTreeSet::new(),
                    rejected: BTreeSet::new(),
                    quorum_at: 0,
                    executions: 0,
                });
                ("propose", true)
            }
            Op::Approve { proposal, voter } | Op::Reject { proposal, voter } => {
                let approve = matches!(op, Op::Approve { .. });
                let name = if approve { "approve" } else { "reject" };
                if self.stored.is_empty() {
                    return Ok((name, false));
                }
                let i = self.pick(proposal);
                // A member picks among the regulators that have not voted yet, when there are any.
                let voter = &match *voter {
                    Voter::Member(pick) => {
                        let m = &self.models[i];
                        let fresh: Vec<u8> = self
                            .set
                            .iter()
                            .copied()
                            .filter(|k| !m.approved.contains(k) && !m.rejected.contains(k))
                            .collect();
                        let from = if fresh.is_empty() { &self.set } else { &fresh };
                        from[pick.index(from.len())]
                    }
                    Voter::Any(n) => n,
                };
                let s = &self.stored[i];
                let m = &self.models[i];
                let votes = Votes {
                    approvals: s.approvals(),
                    rejections: s.rejections(),
                };
                let result = if approve {
                    s.state.approve(now, &votes, &regulators, &key(*voter))
                } else {
                    s.state.reject(now, &votes, &regulators, &key(*voter))
                };
                let expected_error = self.vote_error(m, *voter);
                let voted = match (result, expected_error) {
                    (Err(e), Some(x)) if e == x => return Ok((name, false)),
                    (Ok(voted), None) => voted,
                    (result, expected) => {
                        return Err(format!(
                            "{name} by {voter}: {result:?}, expected {expected:?}"
                        ))
                    }
                };
                let mut approved = m.approved.clone();
                let mut rejected = m.rejected.clone();
                let before = self.current(&approved);
                if approve {
                    approved.insert(*voter);
                } else {
                    rejected.insert(*voter);
                }
                let (approvals, rejections) = (self.current(&approved), self.current(&rejected));
                check!(
                    (voted.approvals, voted.rejections) == (approvals, rejections),
                    "{name}: counts {voted:?}, model {approvals}/{rejections}"
                );
                let expected_status = if !approve && (self.set.len() as u8) < rejections + threshold
                {
                    Status::Rejected
                } else {
                    Status::Open
                };
                check!(voted.status == expected_status, "{name}: status {voted:?}");
                let mut quorum_at = m.quorum_at;
                if approve && approvals >= threshold && (before < threshold || quorum_at == 0) {
                    quorum_at = now;
                }
                check!(
                    voted.quorum_at == quorum_at,
                    "{name}: quorum at {voted:?}, model {quorum_at}"
                );
                // Write back as the program does.
                let s = &mut self.stored[i];
                let (list, count) = if approve {
                    (&mut s.approvals, &mut s.approval_count)
                } else {
                    (&mut s.rejections, &mut s.rejection_count)
                };
                let slot = voted.slot as usize;
                check!(
                    slot < MAX_VOTES
                        && (voted.len == *count + 1 && slot == *count as usize
                            || voted.len == *count && *count as usize == MAX_VOTES),
                    "{name}: slot {voted:?} with {count} votes"
                );
                let replaced = list[slot];
                if slot < *count as usize {
                    check!(
                        !set.contains(&replaced),
                        "{name}: replaced the vote of a current regulator"
                    );
                    approved.remove(&replaced[0]);
                    rejected.remove(&replaced[0]);
                }
                list[slot] = key(*voter);
                *count = voted.len;
                s.state.status = voted.status;
                s.state.quorum_at = voted.quorum_at;
                let m = &mut self.models[i];
                m.approved = approved;
                m.rejected = rejected;
                m.status = voted.status;
                m.quorum_at = quorum_at;
                (name, true)
            }
            Op::Execute { proposal } => {
                if self.stored.is_empty() {
                    return Ok(("execute", false));
                }
                let i = self.pick(proposal);
                let s = &self.stored[i];
                let m = &self.models[i];
                let result = s.state.can_execute(now, s.approvals(), &regulators);
                let current = self.current(&m.approved);
                let expected = self.closed(m).map_or_else(
                    || {
                        if current < threshold {
                            Err(ProposalError::QuorumNotMet)
                        } else if m.quorum_at == 0 || now < m.quorum_at + m.timelock {
                            Err(ProposalError::TimelockActive)
                        } else {
                            Ok(())
                        }
                    },
                    Err,
                );
                check!(
                    result == expected,
                    "execute: {result:?}, expected {expected:?}"
                );
                if result.is_err() {
                    return Ok(("execute", false));
                }
                // Safety, stated on its own.
                check!(
                    m.executions == 0 && m.status == Status::Open,
                    "executed twice"
                );
                check!(
                    current >= threshold,
                    "executed with {current} current approvals"
                );
                check!(now < m.expires_at, "executed after the deadline");
                check!(
                    m.quorum_at > 0 && now >= m.quorum_at + m.timelock,
                    "executed in the timelock"
                );
                self.stored[i].state.status = Status::Executed;
                let m = &mut self.models[i];
                m.status = Status::Executed;
                m.executions += 1;
                ("execute", true)
            }
            Op::Cancel { proposal, by } => {
                if self.stored.is_empty() {
                    return Ok(("cancel", false));
                }
                let i = self.pick(proposal);
                let s = &self.stored[i];
                let m = &self.models[i];
                let canceller = match *by {
                    By::Proposer => Canceller::Proposer,
                    By::Governance => Canceller::Governance,
                    By::Regulators(n) => Canceller::Regulators(n),
                };
                let result = s.state.can_cancel(now, canceller, &regulators);
                let expected = self.closed(m).map_or_else(
                    || match *by {
                        By::Regulators(n) if n < threshold => Err(ProposalError::CancelNotAllowed),
                        _ => Ok(()),
                    },
                    Err,
                );
                check!(
                    result == expected,
                    "cancel by {by:?} of proposer {}: {result:?}, expected {expected:?}",
                    m.proposer
                );
                if result.is_err() {
                    return Ok(("cancel", false));
                }
                self.stored[i].state.status = Status::Cancelled;
                self.models[i].status = Status::Cancelled;
                ("cancel", true)
            }
            Op::Advance { secs } => {
                self.now += secs;
                ("advance", true)
            }
            Op::AdvanceToBoundary {
                proposal,
                deadline,
                offset,
            } => {
                if self.stored.is_empty() {
                    return Ok(("advance", false));
                }
                let s = &self.stored[self.pick(proposal)].state;
                let boundary = if *deadline {
                    s.expires_at
                } else if s.quorum_at != 0 {
                    s.quorum_at + s.timelock_secs as i64
                } else {
                    return Ok(("advance", false));
                };
                if boundary + offset <= self.now {
                    return Ok(("advance", false));
                }
                self.now = boundary + offset;
                ("advance", true)
            }
        })
    }

    fn invariants(&mut self) -> Result<(), String> {
        let set = self.set_keys();
        let regulators = Regulators {
            set: &set,
            threshold: self.threshold,
        };
        for (i, (s, m)) in self.stored.iter().zip(&self.models).enumerate() {
            // The stored lists are the model's sets: each key once, across both lists.
            let stored_approvals: BTreeSet<u8> = s.approvals().iter().map(|k| k[0]).collect();
            let stored_rejections: BTreeSet<u8> = s.rejections().iter().map(|k| k[0]).collect();
            check!(
                stored_approvals == m.approved
                    && stored_rejections == m.rejected
                    && stored_approvals.len() == s.approvals().len()
                    && stored_rejections.len() == s.rejections().len()
                    && stored_approvals.is_disjoint(&stored_rejections),
                "proposal {i}: lists {s:?}, model {m:?}"
            );
            // Votes by removed regulators never count.
            let current = self.current(&m.approved);
            check!(
                regulators.count(s.approvals()) == current,
                "proposal {i}: counted approvals"
            );
            check!(
                regulators.count(s.rejections()) == self.current(&m.rejected),
                "proposal {i}: counted rejections"
            );
            check!(
                regulators.quorum(s.approvals()) == (current >= self.threshold),
                "proposal {i}: quorum"
            );
            check!(
                s.state.status == m.status && m.executions <= 1,
                "proposal {i}: status"
            );
            check!(
                s.state.is_final(self.now)
                    == (m.status != Status::Open || self.now >= m.expires_at),
                "proposal {i}: finality"
            );
            if let Some(frozen) = self.finals.get(&i) {
                check!(
                    s == frozen,
                    "final proposal {i} changed: {frozen:?} -> {s:?}"
                );
            } else if s.state.status != Status::Open {
                self.finals.insert(i, s.clone());
            }
        }
        Ok(())
    }
}

#[test]
fn random_proposal_sequences_keep_every_invariant() {
    let coverage = RefCell::new(Coverage::default());
    let mut runner = TestRunner::new(Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (members(), any::<Index>(), prop::collection::vec(op(), OPS));
    runner
        .run(&strategy, |(members, threshold, ops)| {
            let mut run = Run {
                now: START,
                threshold: threshold.index(members.len()) as u8 + 1,
                set: members,
                stored: Vec::new(),
                models: Vec::new(),
                finals: BTreeMap::new(),
            };
            for (i, op) in ops.iter().enumerate() {
                let (name, ok) = run
                    .apply(op)
                    .and_then(|outcome| run.invariants().map(|()| outcome))
                    .map_err(|e| TestCaseError::fail(format!("op {i} {op:?}: {e}")))?;
                let mut cov = coverage.borrow_mut();
                *if ok {
                    cov.ok.entry(name)
                } else {
                    cov.refused.entry(name)
                }
                .or_default() += 1;
            }
            Ok(())
        })
        .unwrap();
    let cov = coverage.into_inner();
    for name in ["propose", "approve", "reject", "execute", "cancel"] {
        let (ok, refused) = (
            cov.ok.get(name).copied().unwrap_or(0),
            cov.refused.get(name).copied().unwrap_or(0),
        );
        assert!(
            ok >= 100 && refused >= 100,
            "{name}: {ok} accepted, {refused} refused ({cov:?})"
        );
    }
}

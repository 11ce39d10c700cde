//! Proposals approved by M of N regulators across transactions.
//!
//! The registry holds the regulator set and the threshold (one source of truth); every rule here
//! counts votes against the set and threshold *current at the time of the call*: an approval by a
//! regulator who has since been removed no longer counts (and counts again if they are appointed
//! again), a lowered threshold applies at once.
//!
//! A proposal is `Open` until it is executed, cancelled or rejected (final statuses that never
//! change). "Expired" is derived: an open proposal at or after its `expires_at` can no longer be
//! approved, rejected, executed or cancelled, only closed.
//!
//! `quorum_at` is the time an approval made the current approvals reach the threshold (0 until
//! then). The timelock runs from it. Quorum reached only because the regulator set or threshold
//! changed is recorded by the next approval; until then the proposal cannot execute (the timelock
//! cannot be skipped).
//!
//! Times are Unix seconds of the cluster clock (positive).

use crate::{contains, error::ProposalError};

/// Most votes of each kind a proposal records (the registry has at most 8 regulators).
pub const MAX_VOTES: usize = 8;

/// A proposal's stored status.
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Open = 0,
    Executed = 1,
    Cancelled = 2,
    Rejected = 3,
}

impl TryFrom<u8> for Status {
    type Error = ProposalError;

    #[inline(always)]
    fn try_from(value: u8) -> Result<Self, ProposalError> {
        match value {
            0 => Ok(Status::Open),
            1 => Ok(Status::Executed),
            2 => Ok(Status::Cancelled),
            3 => Ok(Status::Rejected),
            _ => Err(ProposalError::InvalidStatus),
        }
    }
}

/// The registry's current regulators (distinct, non-zero keys, as the registry keeps them) and
/// threshold.
#[derive(Clone, Copy, Debug)]
pub struct Regulators<'a, R> {
    pub set: &'a [R],
    pub threshold: u8,
}

impl<R: AsRef<[u8]>> Regulators<'_, R> {
    /// A usable set: not empty, `1 <= threshold <= set.len()`.
    #[inline(always)]
    pub fn check(&self) -> Result<(), ProposalError> {
        if self.set.is_empty() {
            Err(ProposalError::NoRegulators)
        } else if self.threshold == 0 || self.threshold as usize > self.set.len() {
            Err(ProposalError::InvalidThreshold)
        } else {
            Ok(())
        }
    }

    /// Whether `key` is a current regulator.
    #[inline(always)]
    pub fn contains(&self, key: &[u8]) -> bool {
        contains(self.set, key)
    }

    /// How many current regulators are among `votes` (each counted once, however often it
    /// appears; keys that are not current regulators do not count).
    #[inline(always)]
    pub fn count<K: AsRef<[u8]>>(&self, votes: &[K]) -> u8 {
        let mut n: u8 = 0;
        for member in self.set {
            if contains(votes, member.as_ref()) {
                n = n.saturating_add(1);
            }
        }
        n
    }

    /// Whether the current approvals among `approvals` reach the current threshold.
    #[inline(always)]
    pub fn quorum<K: AsRef<[u8]>>(&self, approvals: &[K]) -> bool {
        self.threshold != 0 && self.count(approvals) >= self.threshold
    }
}

/// The votes a proposal recorded: the used prefixes of its approval and rejection lists. A key
/// appears at most once across both (this module's transitions keep it so).
#[derive(Clone, Copy, Debug)]
pub struct Votes<'a, K> {
    pub approvals: &'a [K],
    pub rejections: &'a [K],
}

impl<K: AsRef<[u8]>> Votes<'_, K> {
    /// Whether `key` approved or rejected.
    #[inline(always)]
    pub fn has_voted(&self, key: &[u8]) -> bool {
        contains(self.approvals, key) || contains(self.rejections, key)
    }
}

/// Who cancels a proposal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Canceller {
    /// The proposal's proposer signed.
    Proposer,
    /// The governance authority signed (a cancel executed by another proposal).
    Governance,
    /// This many distinct current regulators co-signed (the program counts them).
    Regulators(u8),
}

/// The outcome of an approval or rejection: what the program writes back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Voted {
    /// Index in the vote's list (approvals for an approval, rejections for a rejection) at which
    /// to store the voter. When the list is full, this is a slot whose vote no longer counts (its
    /// key is not a current regulator), which the new vote replaces.
    pub slot: u8,
    /// The list's new length.
    pub len: u8,
    /// The proposal's new status (`Rejected` when rejections make quorum impossible).
    pub status: Status,
    /// The proposal's new `quorum_at`.
    pub quorum_at: i64,
    /// Approvals by current regulators after the vote.
    pub approvals: u8,
    /// Rejections by current regulators after the vote.
    pub rejections: u8,
}

/// The fields of a proposal the rules read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProposalState {
    pub status: Status,
    /// The deadline: at or after it an open proposal is expired.
    pub expires_at: i64,
    pub timelock_secs: u32,
    /// When quorum was reached (0 = not recorded).
    pub quorum_at: i64,
}

/// Checks a new proposal's timelock and lifetime against the configured bounds; returns its
/// `expires_at` (`now + lifetime_secs`). The timelock must be shorter than the lifetime, or the
/// proposal could never execute.
#[inline(always)]
pub fn check_new(
    now: i64,
    timelock_secs: u32,
    lifetime_secs: u32,
    min_timelock_secs: u32,
    max_lifetime_secs: u32,
) -> Result<i64, ProposalError> {
    if timelock_secs < min_timelock_secs {
        return Err(ProposalError::TimelockTooShort);
    }
    if lifetime_secs == 0 || lifetime_secs > max_lifetime_secs {
        return Err(ProposalError::InvalidLifetime);
    }
    if timelock_secs >= lifetime_secs {
        return Err(ProposalError::TimelockExceedsLifetime);
    }
    now.checked_add(lifetime_secs as i64)
        .ok_or(ProposalError::Overflow)
}

/// The target program must be one of `allowed` (SolGrid's programs).
#[inline(always)]
pub fn check_target<K: AsRef<[u8]>>(target: &[u8], allowed: &[K]) -> Result<(), ProposalError> {
    if contains(allowed, target) {
        Ok(())
    } else {
        Err(ProposalError::TargetNotSolGrid)
    }
}

impl ProposalState {
    /// Open and at or past its deadline.
    #[inline(always)]
    pub fn is_expired(&self, now: i64) -> bool {
        self.status == Status::Open && now >= self.expires_at
    }

    /// Nothing can happen to the proposal any more but closing it: executed, cancelled, rejected
    /// or expired.
    #[inline(always)]
    pub fn is_final(&self, now: i64) -> bool {
        self.status != Status::Open || now >= self.expires_at
    }

    /// Open and not expired, or the error that says why not.
    #[inline(always)]
    pub fn ensure_open(&self, now: i64) -> Result<(), ProposalError> {
        match self.status {
            Status::Open if now >= self.expires_at => Err(ProposalError::ProposalExpired),
            Status::Open => Ok(()),
            Status::Executed => Err(ProposalError::AlreadyExecuted),
            Status::Cancelled => Err(ProposalError::ProposalCancelled),
            Status::Rejected => Err(ProposalError::ProposalRejected),
        }
    }

    /// `voter` approves. `voter` must be a current regulator that has not voted on this proposal.
    /// `quorum_at` becomes `now` when this approval makes the current approvals reach the
    /// threshold from below, or when quorum stands but was never recorded.
    pub fn approve<K: AsRef<[u8]>, R: AsRef<[u8]>>(
        &self,
        now: i64,
        votes: &Votes<'_, K>,
        regulators: &Regulators<'_, R>,
        voter: &[u8],
    ) -> Result<Voted, ProposalError> {
        self.ensure_open(now)?;
        regulators.check()?;
        if !regulators.contains(voter) {
            return Err(ProposalError::NotRegulator);
        }
        if votes.has_voted(voter) {
            return Err(ProposalError::AlreadyVoted);
        }
        let (slot, len) = free_slot(votes.approvals, regulators)?;
        let before = regulators.count(votes.approvals);
        let approvals = before.saturating_add(1);
        let quorum_at = if approvals >= regulators.threshold
            && (before < regulators.threshold || self.quorum_at == 0)
        {
            now
        } else {
            self.quorum_at
        };
        Ok(Voted {
            slot,
            len,
            status: Status::Open,
            quorum_at,
            approvals,
            rejections: regulators.count(votes.rejections),
        })
    }

    /// `voter` rejects. `voter` must be a current regulator that has not voted on this proposal.
    /// The proposal becomes `Rejected` when the current regulators that have not rejected it are
    /// fewer than the threshold.
    pub fn reject<K: AsRef<[u8]>, R: AsRef<[u8]>>(
        &self,
        now: i64,
        votes: &Votes<'_, K>,
        regulators: &Regulators<'_, R>,
        voter: &[u8],
    ) -> Result<Voted, ProposalError> {
        self.ensure_open(now)?;
        regulators.check()?;
        if !regulators.contains(voter) {
            return Err(ProposalError::NotRegulator);
        }
        if votes.has_voted(voter) {
            return Err(ProposalError::AlreadyVoted);
        }
        let (slot, len) = free_slot(votes.rejections, regulators)?;
        let rejections = regulators.count(votes.rejections).saturating_add(1);
        let possible = regulators.set.len().saturating_sub(rejections as usize);
        let status = if possible < regulators.threshold as usize {
            Status::Rejected
        } else {
            Status::Open
        };
        Ok(Voted {
            slot,
            len,
            status,
            quorum_at: self.quorum_at,
            approvals: regulators.count(votes.approvals),
            rejections,
        })
    }

    /// Whether the proposal may execute now: open, not expired, approved by at least the current
    /// threshold of current regulators, quorum recorded and its timelock elapsed. On success the
    /// program sets the status to `Executed` before it invokes the target.
    pub fn can_execute<K: AsRef<[u8]>, R: AsRef<[u8]>>(
        &self,
        now: i64,
        approvals: &[K],
        regulators: &Regulators<'_, R>,
    ) -> Result<(), ProposalError> {
        self.ensure_open(now)?;
        regulators.check()?;
        if !regulators.quorum(approvals) {
            return Err(ProposalError::QuorumNotMet);
        }
        if self.quorum_at == 0 {
            return Err(ProposalError::TimelockActive);
        }
        let ready_at = self
            .quorum_at
            .checked_add(self.timelock_secs as i64)
            .ok_or(ProposalError::Overflow)?;
        if now < ready_at {
            return Err(ProposalError::TimelockActive);
        }
        Ok(())
    }

    /// Whether `by` may cancel the proposal now: open and not expired, and the proposer, the
    /// governance authority, or at least the current threshold of distinct current regulators.
    pub fn can_cancel<R: AsRef<[u8]>>(
        &self,
        now: i64,
        by: Canceller,
        regulators: &Regulators<'_, R>,
    ) -> Result<(), ProposalError> {
        self.ensure_open(now)?;
        match by {
            Canceller::Proposer | Canceller::Governance => Ok(()),
            Canceller::Regulators(cosigners) => {
                regulators.check()?;
                if cosigners >= regulators.threshold {
                    Ok(())
                } else {
                    Err(ProposalError::CancelNotAllowed)
                }
            }
        }
    }

    /// Whether the proposal's account may be closed: it is final (see [`Self::is_final`]).
    #[inline(always)]
    pub fn can_close(&self, now: i64) -> Result<(), ProposalError> {
        if self.is_final(now) {
            Ok(())
        } else {
            Err(ProposalError::ProposalNotFinal)
        }
    }
}

/// Where a new vote goes in `list` (the used prefix of a vote list of [`MAX_VOTES`] slots): after
/// the last one, or when the list is full, over the first vote that no longer counts.
fn free_slot<K: AsRef<[u8]>, R: AsRef<[u8]>>(
    list: &[K],
    regulators: &Regulators<'_, R>,
) -> Result<(u8, u8), ProposalError> {
    if list.len() < MAX_VOTES {
        let len = list.len() as u8;
        return Ok((len, len + 1));
    }
    for (i, key) in (0u8..).zip(list.iter().take(MAX_VOTES)) {
        if !regulators.contains(key.as_ref()) {
            return Ok((i, MAX_VOTES as u8));
        }
    }
    Err(ProposalError::VotesFull)
}

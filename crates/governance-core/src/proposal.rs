//! Proposals approved by M of N regulators across transactions.
//!
//! The registry holds the regulator set and the threshold (one source of truth); every rule here
//! counts votes against the set and threshold *current at the time of the call*: an approval by a
//! regulator who has since been removed no longer counts, a lowered threshold applies at once.
//!
//! Membership is versioned so that a removal is never undone by a re-appointment: the registry
//! keeps `regulators_version`, raised by every `set_regulators` that appoints a key that is not a
//! regulator at that moment, and per regulator `regulator_since`, the version at which it became
//! one (both computed by [`appoint`]). Each vote records the version current when it was cast; a
//! vote *counts* only if its key is a current regulator whose `regulator_since` is at most the
//! vote's version, i.e. the key has been a regulator without interruption since it voted. A
//! removed-then-re-appointed regulator's old vote therefore never counts again (they may vote
//! anew); regulators that stay keep their votes when others are added or removed.
//!
//! A proposal is `Open` until it is executed, cancelled or rejected (final statuses that never
//! change). "Expired" is derived: an open proposal at or after its `expires_at` can no longer be
//! approved, rejected, executed or cancelled, only closed.
//!
//! `quorum_at` is the time an approval made the counting approvals reach the threshold (0 until
//! then). The timelock runs from it. Quorum reached only because the regulator set or threshold
//! changed is recorded by the next approval, or by anyone through
//! [`ProposalState::record_quorum`] (the only way once every current regulator has voted); until
//! then the proposal cannot execute (`QuorumNotRecorded`: the timelock cannot be skipped).
//!
//! Times are Unix seconds of the cluster clock (positive).

use crate::{error::ProposalError, key_eq};

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

/// The registry's membership after `set_regulators` replaces `old` (appointed at `old_since`, at
/// version `old_version`) by `new`: the new `regulators_version` and each new member's
/// `regulator_since` (written to `since[..new.len()]`; the rest of `since` is zeroed). A member of
/// both sets keeps its `regulator_since` (wherever it moves in the list); a key that is not in
/// `old` is appointed at `old_version + 1`, which becomes the version (unchanged when no key is
/// appointed). `VersionExhausted` when the version would pass `u16::MAX`.
pub fn appoint<O: AsRef<[u8]>, N: AsRef<[u8]>>(
    old: &[O],
    old_since: &[u16],
    old_version: u16,
    new: &[N],
    since: &mut [u16],
) -> Result<u16, ProposalError> {
    let kept = |key: &[u8]| {
        old.iter()
            .position(|o| key_eq(o.as_ref(), key))
            .map(|i| old_since.get(i).copied().unwrap_or(0))
    };
    let appoints = new.iter().any(|key| kept(key.as_ref()).is_none());
    let version = if appoints {
        old_version
            .checked_add(1)
            .ok_or(ProposalError::VersionExhausted)?
    } else {
        old_version
    };
    for (i, slot) in since.iter_mut().enumerate() {
        *slot = match new.get(i) {
            Some(key) => kept(key.as_ref()).unwrap_or(version),
            None => 0,
        };
    }
    Ok(version)
}

/// The registry's current regulators (distinct, non-zero keys, as the registry keeps them), the
/// version at which each became one, the current version and the threshold.
#[derive(Clone, Copy, Debug)]
pub struct Regulators<'a, R> {
    pub set: &'a [R],
    /// `since[i]`: the registry's `regulators_version` at which `set[i]` became a regulator. A
    /// member without an entry has no vote that counts.
    pub since: &'a [u16],
    /// The registry's current `regulators_version` (recorded with each new vote).
    pub version: u16,
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

    /// The `regulator_since` of `key` if it is a current regulator.
    #[inline(always)]
    fn since_of(&self, key: &[u8]) -> Option<u16> {
        let i = self.set.iter().position(|m| key_eq(m.as_ref(), key))?;
        self.since.get(i).copied()
    }

    /// Whether `key` is a current regulator.
    #[inline(always)]
    pub fn contains(&self, key: &[u8]) -> bool {
        self.set.iter().any(|m| key_eq(m.as_ref(), key))
    }

    /// Whether a vote by `key` cast at `version` counts: `key` is a current regulator and has been
    /// one without interruption since that version.
    #[inline(always)]
    pub fn counts(&self, key: &[u8], version: u16) -> bool {
        self.since_of(key).is_some_and(|since| since <= version)
    }

    /// How many current regulators have a vote that counts in `list` (each counted once, however
    /// often it appears).
    #[inline(always)]
    pub fn count<K: AsRef<[u8]>>(&self, list: &VoteList<'_, K>) -> u8 {
        let mut n: u8 = 0;
        for (member, since) in self.set.iter().zip(self.since) {
            if list.counted(member.as_ref(), *since) {
                n = n.saturating_add(1);
            }
        }
        n
    }

    /// Whether the approvals that count reach the current threshold.
    #[inline(always)]
    pub fn quorum<K: AsRef<[u8]>>(&self, approvals: &VoteList<'_, K>) -> bool {
        self.threshold != 0 && self.count(approvals) >= self.threshold
    }
}

/// One kind of vote a proposal recorded (its approvals, or its rejections): the used prefix of the
/// voters and the `regulators_version` at which each voted (`versions[i]` for `keys[i]`; a missing
/// entry reads as version 0).
#[derive(Clone, Copy, Debug)]
pub struct VoteList<'a, K> {
    pub keys: &'a [K],
    pub versions: &'a [u16],
}

impl<K: AsRef<[u8]>> VoteList<'_, K> {
    #[inline(always)]
    fn version(&self, i: usize) -> u16 {
        self.versions.get(i).copied().unwrap_or(0)
    }

    /// Whether `member` (a current regulator appointed at version `since`) has a vote here cast at
    /// or after `since`.
    #[inline(always)]
    fn counted(&self, member: &[u8], since: u16) -> bool {
        // A key appears at most once in a list: its first slot is its vote.
        match self.slot_of(member) {
            Some(i) => self.version(i) >= since,
            None => false,
        }
    }

    /// The slot of a vote by `key` here, counting or not.
    #[inline(always)]
    fn slot_of(&self, key: &[u8]) -> Option<usize> {
        self.keys.iter().position(|k| key_eq(k.as_ref(), key))
    }
}

/// The votes a proposal recorded. A key has at most one vote that counts across both lists (the
/// transitions here keep it so); a vote that no longer counts may remain in the other list.
#[derive(Clone, Copy, Debug)]
pub struct Votes<'a, K> {
    pub approvals: VoteList<'a, K>,
    pub rejections: VoteList<'a, K>,
}

impl<K: AsRef<[u8]>> Votes<'_, K> {
    /// Whether `key` has a vote that counts (either way) against `regulators`.
    #[inline(always)]
    pub fn has_voted<R: AsRef<[u8]>>(&self, regulators: &Regulators<'_, R>, key: &[u8]) -> bool {
        regulators.since_of(key).is_some_and(|since| {
            self.approvals.counted(key, since) || self.rejections.counted(key, since)
        })
    }
}

/// Who cancels a proposal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Canceller {
    /// The proposal's proposer (this key) signed. They cancel alone only while they are still a
    /// current regulator (`NotRegulator` once removed).
    Proposer([u8; 32]),
    /// The governance authority signed (a cancel executed by another proposal).
    Governance,
    /// This many distinct current regulators co-signed (the program counts them). Accepted only
    /// while the registry names no governance program, as the registry's privileged gate.
    Regulators(u8),
}

/// The outcome of an approval or rejection: what the program writes back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Voted {
    /// Index in the vote's list (approvals for an approval, rejections for a rejection) at which
    /// to store the voter and [`Self::version`]: the slot of the voter's own earlier vote of this
    /// kind (which no longer counts), else after the last vote, else (the list is full) the first
    /// slot whose vote no longer counts.
    pub slot: u8,
    /// The list's new length.
    pub len: u8,
    /// The version stored with the vote: the registry's current `regulators_version`.
    pub version: u16,
    /// The proposal's new status (`Rejected` when rejections make quorum impossible).
    pub status: Status,
    /// The proposal's new `quorum_at`.
    pub quorum_at: i64,
    /// Approvals that count after the vote.
    pub approvals: u8,
    /// Rejections that count after the vote.
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
    if crate::contains(allowed, target) {
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

    /// `voter` approves. `voter` must be a current regulator without a vote that counts on this
    /// proposal. `quorum_at` becomes `now` when this approval makes the counting approvals reach
    /// the threshold from below, or when quorum stands but was never recorded.
    pub fn approve<K: AsRef<[u8]>, R: AsRef<[u8]>>(
        &self,
        now: i64,
        votes: &Votes<'_, K>,
        regulators: &Regulators<'_, R>,
        voter: &[u8],
    ) -> Result<Voted, ProposalError> {
        self.check_vote(now, votes, regulators, voter)?;
        let (slot, len) = free_slot(&votes.approvals, regulators, voter)?;
        let before = regulators.count(&votes.approvals);
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
            version: regulators.version,
            status: Status::Open,
            quorum_at,
            approvals,
            rejections: regulators.count(&votes.rejections),
        })
    }

    /// `voter` rejects. `voter` must be a current regulator without a vote that counts on this
    /// proposal. The proposal becomes `Rejected` when the current regulators whose rejection does
    /// not count are fewer than the threshold.
    pub fn reject<K: AsRef<[u8]>, R: AsRef<[u8]>>(
        &self,
        now: i64,
        votes: &Votes<'_, K>,
        regulators: &Regulators<'_, R>,
        voter: &[u8],
    ) -> Result<Voted, ProposalError> {
        self.check_vote(now, votes, regulators, voter)?;
        let (slot, len) = free_slot(&votes.rejections, regulators, voter)?;
        let rejections = regulators.count(&votes.rejections).saturating_add(1);
        let possible = regulators.set.len().saturating_sub(rejections as usize);
        let status = if possible < regulators.threshold as usize {
            Status::Rejected
        } else {
            Status::Open
        };
        Ok(Voted {
            slot,
            len,
            version: regulators.version,
            status,
            quorum_at: self.quorum_at,
            approvals: regulators.count(&votes.approvals),
            rejections,
        })
    }

    /// What approve and reject refuse: a proposal that is not open, an unusable regulator set, a
    /// voter that is not a current regulator or already has a vote that counts.
    #[inline(always)]
    fn check_vote<K: AsRef<[u8]>, R: AsRef<[u8]>>(
        &self,
        now: i64,
        votes: &Votes<'_, K>,
        regulators: &Regulators<'_, R>,
        voter: &[u8],
    ) -> Result<(), ProposalError> {
        self.ensure_open(now)?;
        regulators.check()?;
        // One scan of the set finds both whether the voter is a regulator and since when.
        let Some(since) = regulators.since_of(voter) else {
            return Err(ProposalError::NotRegulator);
        };
        if votes.approvals.counted(voter, since) || votes.rejections.counted(voter, since) {
            return Err(ProposalError::AlreadyVoted);
        }
        Ok(())
    }

    /// Records a quorum that stands but was never recorded (it came from a change of the regulator
    /// set or threshold, not from an approval): returns the new `quorum_at`, `now`. Anyone may ask
    /// for it; the timelock then runs from now. Refused when the proposal is not open, when the
    /// counting approvals do not reach the threshold (`QuorumNotMet`), or when a quorum time is
    /// recorded already (`QuorumAlreadyRecorded`).
    pub fn record_quorum<K: AsRef<[u8]>, R: AsRef<[u8]>>(
        &self,
        now: i64,
        approvals: &VoteList<'_, K>,
        regulators: &Regulators<'_, R>,
    ) -> Result<i64, ProposalError> {
        self.ensure_open(now)?;
        regulators.check()?;
        if self.quorum_at != 0 {
            return Err(ProposalError::QuorumAlreadyRecorded);
        }
        if !regulators.quorum(approvals) {
            return Err(ProposalError::QuorumNotMet);
        }
        Ok(now)
    }

    /// Whether the proposal may execute now: open, not expired, approved by at least the current
    /// threshold of votes that count, quorum recorded (`QuorumNotRecorded`) and its timelock
    /// elapsed (`TimelockActive`). Returns the number of approvals that count. On success the
    /// program sets the status to `Executed` before it invokes the target.
    pub fn can_execute<K: AsRef<[u8]>, R: AsRef<[u8]>>(
        &self,
        now: i64,
        approvals: &VoteList<'_, K>,
        regulators: &Regulators<'_, R>,
    ) -> Result<u8, ProposalError> {
        self.ensure_open(now)?;
        regulators.check()?;
        let count = regulators.count(approvals);
        if count < regulators.threshold {
            return Err(ProposalError::QuorumNotMet);
        }
        if self.quorum_at == 0 {
            return Err(ProposalError::QuorumNotRecorded);
        }
        let ready_at = self
            .quorum_at
            .checked_add(self.timelock_secs as i64)
            .ok_or(ProposalError::Overflow)?;
        if now < ready_at {
            return Err(ProposalError::TimelockActive);
        }
        Ok(count)
    }

    /// Whether `by` may cancel the proposal now: open and not expired, and the proposer while still
    /// a current regulator (`NotRegulator` otherwise), the governance authority, or, only while the registry names no governance program
    /// (`governance_set` false; `NotGovernance` otherwise, as the registry's privileged gate), at
    /// least the current threshold of distinct current regulators.
    pub fn can_cancel<R: AsRef<[u8]>>(
        &self,
        now: i64,
        by: Canceller,
        regulators: &Regulators<'_, R>,
        governance_set: bool,
    ) -> Result<(), ProposalError> {
        self.ensure_open(now)?;
        match by {
            Canceller::Proposer(proposer) if !regulators.contains(&proposer) => {
                Err(ProposalError::NotRegulator)
            }
            Canceller::Proposer(_) | Canceller::Governance => Ok(()),
            Canceller::Regulators(_) if governance_set => Err(ProposalError::NotGovernance),
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

/// Where `voter`'s new vote goes in `list` (the used prefix of a vote list of [`MAX_VOTES`]
/// slots): over the voter's own earlier vote there (which no longer counts: the caller checked),
/// else after the last one, else (the list is full) over the first vote that no longer counts.
fn free_slot<K: AsRef<[u8]>, R: AsRef<[u8]>>(
    list: &VoteList<'_, K>,
    regulators: &Regulators<'_, R>,
    voter: &[u8],
) -> Result<(u8, u8), ProposalError> {
    let len = list.keys.len().min(MAX_VOTES) as u8;
    if let Some(i) = list.slot_of(voter) {
        return Ok((i as u8, len));
    }
    if (len as usize) < MAX_VOTES {
        return Ok((len, len + 1));
    }
    for (i, key) in (0u8..).zip(list.keys.iter().take(MAX_VOTES)) {
        if !regulators.counts(key.as_ref(), list.version(i as usize)) {
            return Ok((i, len));
        }
    }
    Err(ProposalError::VotesFull)
}

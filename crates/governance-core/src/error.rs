//! What the rules refuse. A program maps each variant to a stable error code of its own IDL (see
//! the crate docs): variants are only ever appended.

/// A refused pause or resume.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PauseError {
    /// No flag, or a bit outside [`crate::pause::ALL`].
    InvalidPauseFlags,
}

/// A refused proposal operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProposalError {
    /// The registry has no regulators.
    NoRegulators,
    /// The registry's threshold is 0 or above its number of regulators.
    InvalidThreshold,
    /// The signer is not one of the registry's current regulators.
    NotRegulator,
    /// This key already approved or rejected the proposal.
    AlreadyVoted,
    /// Every vote slot holds a vote by a current regulator (unreachable with at most
    /// [`crate::proposal::MAX_VOTES`] regulators).
    VotesFull,
    /// The proposal was executed (a proposal executes once).
    AlreadyExecuted,
    /// The proposal was cancelled.
    ProposalCancelled,
    /// The proposal was rejected.
    ProposalRejected,
    /// The proposal's deadline has passed.
    ProposalExpired,
    /// Fewer current regulators approve than the current threshold.
    QuorumNotMet,
    /// The timelock since quorum was reached has not elapsed.
    TimelockActive,
    /// The target is not one of SolGrid's programs.
    TargetNotSolGrid,
    /// The timelock is below the configured minimum.
    TimelockTooShort,
    /// The lifetime is 0 or above the configured maximum.
    InvalidLifetime,
    /// The timelock is not shorter than the lifetime: the proposal could never execute.
    TimelockExceedsLifetime,
    /// The canceller is neither the proposer, nor the governance authority, nor a quorum of current
    /// regulators.
    CancelNotAllowed,
    /// The proposal is open and not expired: it cannot be closed yet.
    ProposalNotFinal,
    /// A status byte that is no [`crate::proposal::Status`].
    InvalidStatus,
    /// A time does not fit in 64 bits.
    Overflow,
    /// Quorum stands but its time was never recorded (it came from a change of the regulator set
    /// or threshold): record it (`record_quorum`, or another approval); the timelock runs from then.
    QuorumNotRecorded,
    /// The proposal's quorum time is recorded already.
    QuorumAlreadyRecorded,
    /// Co-signing regulators no longer act once the registry names a governance program: the
    /// proposer or the governance authority (a proposal) must.
    NotGovernance,
    /// The registry's `regulators_version` would pass `u16::MAX`: no key can be appointed any more.
    VersionExhausted,
}

/// A refused certificate operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CertificateError {
    /// A status byte that is no [`crate::certificate::Status`].
    InvalidStatus,
    /// The meter's source is not renewable: it gets no certificate.
    NotRenewable,
    /// The meter has no renewable production that no certificate covers yet.
    NothingToCertify,
    /// The generation interval would not end after it starts (the meter's counters are
    /// inconsistent).
    InvalidInterval,
    /// The certificate is pending: a regulator has not validated it yet.
    NotValidated,
    /// The certificate is valid already.
    AlreadyValidated,
    /// The certificate is retired (final).
    AlreadyRetired,
    /// The certificate is revoked (final).
    CertificateRevoked,
    /// The certificate is expired (its status, or a valid certificate past its expiry).
    CertificateExpired,
    /// The certificate's expiry has not come yet.
    NotYetExpired,
    /// A split's part is 0 or not below the certificate's volume.
    InvalidSplitVolume,
    /// The certificate was split [`u16::MAX`] times already.
    TooManySplits,
    /// The consumption period does not end after it starts.
    InvalidConsumptionPeriod,
    /// A text is longer than [`crate::MAX_TEXT_LEN`] bytes.
    TextTooLong,
    /// A text is not UTF-8.
    InvalidText,
    /// A revocation without a reason.
    MissingReason,
    /// An emission factor above [`crate::certificate::MAX_EMISSION_FACTOR`] g CO2 per kWh.
    InvalidEmissionFactor,
    /// The original a split child's volume came from is revoked, or its lineage is: no certificate
    /// split from it can be used.
    OriginalRevoked,
    /// A split child with children of its own is revoked only through its original.
    HasSplitChildren,
    /// The original's lineage is revoked already (it stays Retired or Expired).
    LineageAlreadyRevoked,
    /// An amount or time does not fit in 64 bits, or the meter's counters are inconsistent
    /// (more certified than produced).
    Overflow,
}

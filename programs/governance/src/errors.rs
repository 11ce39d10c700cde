//! The governance program's own errors, from 6100 (6000..=6099 are the shared kit errors,
//! `solgrid_program_kit::KitError`). Append-only: published codes never change meaning. The first
//! block serves the configuration and the proposals, the second the certificates.
//!
//! Every error of `solgrid_governance_core` maps to one code here through an exhaustive `match`
//! ([`proposal`], [`certificate`]): a variant added to the core fails to compile until it has one.

use pinocchio::error::ProgramError;
use solgrid_governance_core::{CertificateError, ProposalError};
use solgrid_program_kit::KitError;

#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GovernanceError {
    InvalidConfigParams = 6100,
    NotAProgram = 6101,
    InvalidStatus = 6102,
    InvalidRegistryConfig = 6103,
    InvalidGovernanceAuthority = 6104,
    NotGovernance = 6105,
    NoRegulators = 6106,
    InvalidThreshold = 6107,
    NotRegulator = 6108,
    TargetNotSolGrid = 6109,
    TargetMismatch = 6110,
    TooManyAccounts = 6111,
    DataTooLong = 6112,
    TextTooLong = 6113,
    InvalidAccountFlags = 6114,
    SignerNotGovernance = 6115,
    TimelockTooShort = 6116,
    InvalidLifetime = 6117,
    TimelockExceedsLifetime = 6118,
    AlreadyExecuted = 6119,
    ProposalCancelled = 6120,
    ProposalRejected = 6121,
    ProposalExpired = 6122,
    AlreadyVoted = 6123,
    VotesFull = 6124,
    QuorumNotMet = 6125,
    TimelockActive = 6126,
    AccountMismatch = 6127,
    CancelNotAllowed = 6128,
    ProposalNotFinal = 6129,
    NotProposer = 6130,
    NotMeterOwner = 6131,
    UserMismatch = 6132,
    WrongMeter = 6133,
    WrongZone = 6134,
    NotRenewable = 6135,
    NothingToCertify = 6136,
    InvalidInterval = 6137,
    InvalidCertificatesAuthority = 6138,
    InvalidRegistryProgram = 6139,
    CertifyFailed = 6140,
    NotCertificateOwner = 6141,
    CertificatePending = 6142,
    CertificateAlreadyValid = 6143,
    CertificateRetired = 6144,
    CertificateRevoked = 6145,
    CertificateExpired = 6146,
    CertificateNotExpired = 6147,
    InvalidSplitVolume = 6148,
    TooManySplits = 6149,
    InvalidNewOwner = 6150,
    InvalidBeneficiary = 6151,
    InvalidConsumptionPeriod = 6152,
    InvalidText = 6153,
    MissingReason = 6154,
    InvalidEmissionFactor = 6155,
    EmissionFactorNotSet = 6156,
    ValidatorOwnsCertificate = 6157,
    MintingPaused = 6158,
    WrongOriginal = 6159,
    OriginalRevoked = 6160,
    HasSplitChildren = 6161,
    LoaderInstructionNotAllowed = 6162,
    InvalidLoaderAccounts = 6163,
    NotSolGridProgramData = 6164,
    LoaderAuthorityNotGovernance = 6165,
    QuorumNotRecorded = 6166,
    QuorumAlreadyRecorded = 6167,
    TargetProgramsNotDistinct = 6168,
    InvalidUpgradeBuffer = 6169,
    BufferAuthorityNotGovernance = 6170,
    BufferChanged = 6171,
    LineageAlreadyRevoked = 6172,
}

impl GovernanceError {
    /// Every variant, in code order (the IDL lists them after the kit errors in this order).
    pub const ALL: [GovernanceError; 73] = [
        GovernanceError::InvalidConfigParams,
        GovernanceError::NotAProgram,
        GovernanceError::InvalidStatus,
        GovernanceError::InvalidRegistryConfig,
        GovernanceError::InvalidGovernanceAuthority,
        GovernanceError::NotGovernance,
        GovernanceError::NoRegulators,
        GovernanceError::InvalidThreshold,
        GovernanceError::NotRegulator,
        GovernanceError::TargetNotSolGrid,
        GovernanceError::TargetMismatch,
        GovernanceError::TooManyAccounts,
        GovernanceError::DataTooLong,
        GovernanceError::TextTooLong,
        GovernanceError::InvalidAccountFlags,
        GovernanceError::SignerNotGovernance,
        GovernanceError::TimelockTooShort,
        GovernanceError::InvalidLifetime,
        GovernanceError::TimelockExceedsLifetime,
        GovernanceError::AlreadyExecuted,
        GovernanceError::ProposalCancelled,
        GovernanceError::ProposalRejected,
        GovernanceError::ProposalExpired,
        GovernanceError::AlreadyVoted,
        GovernanceError::VotesFull,
        GovernanceError::QuorumNotMet,
        GovernanceError::TimelockActive,
        GovernanceError::AccountMismatch,
        GovernanceError::CancelNotAllowed,
        GovernanceError::ProposalNotFinal,
        GovernanceError::NotProposer,
        GovernanceError::NotMeterOwner,
        GovernanceError::UserMismatch,
        GovernanceError::WrongMeter,
        GovernanceError::WrongZone,
        GovernanceError::NotRenewable,
        GovernanceError::NothingToCertify,
        GovernanceError::InvalidInterval,
        GovernanceError::InvalidCertificatesAuthority,
        GovernanceError::InvalidRegistryProgram,
        GovernanceError::CertifyFailed,
        GovernanceError::NotCertificateOwner,
        GovernanceError::CertificatePending,
        GovernanceError::CertificateAlreadyValid,
        GovernanceError::CertificateRetired,
        GovernanceError::CertificateRevoked,
        GovernanceError::CertificateExpired,
        GovernanceError::CertificateNotExpired,
        GovernanceError::InvalidSplitVolume,
        GovernanceError::TooManySplits,
        GovernanceError::InvalidNewOwner,
        GovernanceError::InvalidBeneficiary,
        GovernanceError::InvalidConsumptionPeriod,
        GovernanceError::InvalidText,
        GovernanceError::MissingReason,
        GovernanceError::InvalidEmissionFactor,
        GovernanceError::EmissionFactorNotSet,
        GovernanceError::ValidatorOwnsCertificate,
        GovernanceError::MintingPaused,
        GovernanceError::WrongOriginal,
        GovernanceError::OriginalRevoked,
        GovernanceError::HasSplitChildren,
        GovernanceError::LoaderInstructionNotAllowed,
        GovernanceError::InvalidLoaderAccounts,
        GovernanceError::NotSolGridProgramData,
        GovernanceError::LoaderAuthorityNotGovernance,
        GovernanceError::QuorumNotRecorded,
        GovernanceError::QuorumAlreadyRecorded,
        GovernanceError::TargetProgramsNotDistinct,
        GovernanceError::InvalidUpgradeBuffer,
        GovernanceError::BufferAuthorityNotGovernance,
        GovernanceError::BufferChanged,
        GovernanceError::LineageAlreadyRevoked,
    ];

    pub const fn code(self) -> u32 {
        self as u32
    }

    /// The name the IDL uses.
    pub const fn name(self) -> &'static str {
        match self {
            GovernanceError::InvalidConfigParams => "InvalidConfigParams",
            GovernanceError::NotAProgram => "NotAProgram",
            GovernanceError::InvalidStatus => "InvalidStatus",
            GovernanceError::InvalidRegistryConfig => "InvalidRegistryConfig",
            GovernanceError::InvalidGovernanceAuthority => "InvalidGovernanceAuthority",
            GovernanceError::NotGovernance => "NotGovernance",
            GovernanceError::NoRegulators => "NoRegulators",
            GovernanceError::InvalidThreshold => "InvalidThreshold",
            GovernanceError::NotRegulator => "NotRegulator",
            GovernanceError::TargetNotSolGrid => "TargetNotSolGrid",
            GovernanceError::TargetMismatch => "TargetMismatch",
            GovernanceError::TooManyAccounts => "TooManyAccounts",
            GovernanceError::DataTooLong => "DataTooLong",
            GovernanceError::TextTooLong => "TextTooLong",
            GovernanceError::InvalidAccountFlags => "InvalidAccountFlags",
            GovernanceError::SignerNotGovernance => "SignerNotGovernance",
            GovernanceError::TimelockTooShort => "TimelockTooShort",
            GovernanceError::InvalidLifetime => "InvalidLifetime",
            GovernanceError::TimelockExceedsLifetime => "TimelockExceedsLifetime",
            GovernanceError::AlreadyExecuted => "AlreadyExecuted",
            GovernanceError::ProposalCancelled => "ProposalCancelled",
            GovernanceError::ProposalRejected => "ProposalRejected",
            GovernanceError::ProposalExpired => "ProposalExpired",
            GovernanceError::AlreadyVoted => "AlreadyVoted",
            GovernanceError::VotesFull => "VotesFull",
            GovernanceError::QuorumNotMet => "QuorumNotMet",
            GovernanceError::TimelockActive => "TimelockActive",
            GovernanceError::AccountMismatch => "AccountMismatch",
            GovernanceError::CancelNotAllowed => "CancelNotAllowed",
            GovernanceError::ProposalNotFinal => "ProposalNotFinal",
            GovernanceError::NotProposer => "NotProposer",
            GovernanceError::NotMeterOwner => "NotMeterOwner",
            GovernanceError::UserMismatch => "UserMismatch",
            GovernanceError::WrongMeter => "WrongMeter",
            GovernanceError::WrongZone => "WrongZone",
            GovernanceError::NotRenewable => "NotRenewable",
            GovernanceError::NothingToCertify => "NothingToCertify",
            GovernanceError::InvalidInterval => "InvalidInterval",
            GovernanceError::InvalidCertificatesAuthority => "InvalidCertificatesAuthority",
            GovernanceError::InvalidRegistryProgram => "InvalidRegistryProgram",
            GovernanceError::CertifyFailed => "CertifyFailed",
            GovernanceError::NotCertificateOwner => "NotCertificateOwner",
            GovernanceError::CertificatePending => "CertificatePending",
            GovernanceError::CertificateAlreadyValid => "CertificateAlreadyValid",
            GovernanceError::CertificateRetired => "CertificateRetired",
            GovernanceError::CertificateRevoked => "CertificateRevoked",
            GovernanceError::CertificateExpired => "CertificateExpired",
            GovernanceError::CertificateNotExpired => "CertificateNotExpired",
            GovernanceError::InvalidSplitVolume => "InvalidSplitVolume",
            GovernanceError::TooManySplits => "TooManySplits",
            GovernanceError::InvalidNewOwner => "InvalidNewOwner",
            GovernanceError::InvalidBeneficiary => "InvalidBeneficiary",
            GovernanceError::InvalidConsumptionPeriod => "InvalidConsumptionPeriod",
            GovernanceError::InvalidText => "InvalidText",
            GovernanceError::MissingReason => "MissingReason",
            GovernanceError::InvalidEmissionFactor => "InvalidEmissionFactor",
            GovernanceError::EmissionFactorNotSet => "EmissionFactorNotSet",
            GovernanceError::ValidatorOwnsCertificate => "ValidatorOwnsCertificate",
            GovernanceError::MintingPaused => "MintingPaused",
            GovernanceError::WrongOriginal => "WrongOriginal",
            GovernanceError::OriginalRevoked => "OriginalRevoked",
            GovernanceError::HasSplitChildren => "HasSplitChildren",
            GovernanceError::LoaderInstructionNotAllowed => "LoaderInstructionNotAllowed",
            GovernanceError::InvalidLoaderAccounts => "InvalidLoaderAccounts",
            GovernanceError::NotSolGridProgramData => "NotSolGridProgramData",
            GovernanceError::LoaderAuthorityNotGovernance => "LoaderAuthorityNotGovernance",
            GovernanceError::QuorumNotRecorded => "QuorumNotRecorded",
            GovernanceError::QuorumAlreadyRecorded => "QuorumAlreadyRecorded",
            GovernanceError::TargetProgramsNotDistinct => "TargetProgramsNotDistinct",
            GovernanceError::InvalidUpgradeBuffer => "InvalidUpgradeBuffer",
            GovernanceError::BufferAuthorityNotGovernance => "BufferAuthorityNotGovernance",
            GovernanceError::BufferChanged => "BufferChanged",
            GovernanceError::LineageAlreadyRevoked => "LineageAlreadyRevoked",
        }
    }

    /// The message the IDL gives to clients.
    pub const fn message(self) -> &'static str {
        match self {
            GovernanceError::InvalidConfigParams => "Config durations out of range: min timelock <= 30 days < max lifetime <= 365 days, certificate validity 1 s to 10 years",
            GovernanceError::NotAProgram => "A SolGrid program account passed to initialize is not a deployed SBF program",
            GovernanceError::InvalidStatus => "An account holds a status value that does not exist",
            GovernanceError::InvalidRegistryConfig => "The registry_config account is not the Config of the registry this deployment trusts",
            GovernanceError::InvalidGovernanceAuthority => "The governance account is not this program's [\"governance\"] PDA",
            GovernanceError::NotGovernance => "The signer is not this program's governance PDA (only an executed proposal can do this)",
            GovernanceError::NoRegulators => "The registry has no regulators configured yet",
            GovernanceError::InvalidThreshold => "The registry's threshold is 0 or above its number of regulators",
            GovernanceError::NotRegulator => "The signer is not one of the registry's current regulators",
            GovernanceError::TargetNotSolGrid => "The target program is not one of SolGrid's programs (registry, energy_token, trading, governance)",
            GovernanceError::TargetMismatch => "The target_program account is not the proposal's target program",
            GovernanceError::TooManyAccounts => "A proposal's instruction takes at most 24 accounts",
            GovernanceError::DataTooLong => "A proposal's instruction data is at most 768 bytes",
            GovernanceError::TextTooLong => "A text field is longer than 64 bytes",
            GovernanceError::InvalidAccountFlags => "An account's flags may only combine 1 (writable) and 2 (signer)",
            GovernanceError::SignerNotGovernance => "Only the governance PDA may be a signer of a proposal's instruction",
            GovernanceError::TimelockTooShort => "The timelock is below the configured minimum",
            GovernanceError::InvalidLifetime => "The lifetime must be 1 s up to the configured maximum",
            GovernanceError::TimelockExceedsLifetime => "The timelock is not shorter than the lifetime: the proposal could never execute",
            GovernanceError::AlreadyExecuted => "The proposal was executed (a proposal executes once)",
            GovernanceError::ProposalCancelled => "The proposal was cancelled",
            GovernanceError::ProposalRejected => "The proposal was rejected",
            GovernanceError::ProposalExpired => "The proposal is past its deadline",
            GovernanceError::AlreadyVoted => "This regulator has already approved or rejected the proposal",
            GovernanceError::VotesFull => "Every vote slot of the proposal holds a vote by a current regulator",
            GovernanceError::QuorumNotMet => "Fewer current regulators approved or co-signed than the registry's threshold",
            GovernanceError::TimelockActive => "The proposal's timelock has not passed since its quorum",
            GovernanceError::AccountMismatch => "An account passed to execute is not the one the proposal stores at that position",
            GovernanceError::CancelNotAllowed => "Only the proposer, the governance PDA or a quorum of current regulators may cancel",
            GovernanceError::ProposalNotFinal => "The proposal is still open and not expired",
            GovernanceError::NotProposer => "The account is not the proposal's proposer",
            GovernanceError::NotMeterOwner => "The signer is not the owner of the meter",
            GovernanceError::UserMismatch => "The user account is not the meter owner's registry User",
            GovernanceError::WrongMeter => "The meter account is not the certificate's meter or not a registry Meter",
            GovernanceError::WrongZone => "The zone account is not the certificate's zone or not a registry Zone",
            GovernanceError::NotRenewable => "The meter's energy source is not renewable (solar, wind, hydro)",
            GovernanceError::NothingToCertify => "The meter has no renewable production that a certificate does not cover yet",
            GovernanceError::InvalidInterval => "The generation interval would not end after it starts (the meter's counters are inconsistent)",
            GovernanceError::InvalidCertificatesAuthority => "The certificates_authority account is not this program's [\"certificates\"] PDA",
            GovernanceError::InvalidRegistryProgram => "The registry_program account is not the registry this deployment trusts",
            GovernanceError::CertifyFailed => "The registry's certify_meter did not advance the meter's certified volume and interval",
            GovernanceError::NotCertificateOwner => "The signer is not the certificate's owner",
            GovernanceError::CertificatePending => "The certificate is pending: a regulator has not validated it yet",
            GovernanceError::CertificateAlreadyValid => "The certificate is valid already",
            GovernanceError::CertificateRetired => "The certificate is retired (final)",
            GovernanceError::CertificateRevoked => "The certificate is revoked (final)",
            GovernanceError::CertificateExpired => "The certificate is expired (its status, or a valid certificate past its expiry)",
            GovernanceError::CertificateNotExpired => "The certificate's validity period is not over yet",
            GovernanceError::InvalidSplitVolume => "A split's volume must be more than 0 and less than the certificate's volume",
            GovernanceError::TooManySplits => "The certificate has been split the most times a u16 index allows",
            GovernanceError::InvalidNewOwner => "The new owner must not be all zeroes",
            GovernanceError::InvalidBeneficiary => "The beneficiary must not be all zeroes",
            GovernanceError::InvalidConsumptionPeriod => "The consumption period must start before it ends",
            GovernanceError::InvalidText => "A text field is not UTF-8",
            GovernanceError::MissingReason => "A revocation needs a reason",
            GovernanceError::InvalidEmissionFactor => "The zone's emission factor is above 2,000 g CO2 per kWh",
            GovernanceError::EmissionFactorNotSet => "The certificate's zone has no emission factor set",
            GovernanceError::ValidatorOwnsCertificate => "A regulator cannot validate a certificate they own",
            GovernanceError::MintingPaused => "Minting is paused for the certificate's zone or the whole market: certificates are neither requested nor validated",
            GovernanceError::WrongOriginal => "The original account is not the certificate's original (Certificate.original, a certificate of this program)",
            GovernanceError::OriginalRevoked => "The certificate this volume was split from was revoked: no certificate split from it can be used",
            GovernanceError::HasSplitChildren => "The certificate has split children: revoke its original, which reaches every certificate split from it",
            GovernanceError::LoaderInstructionNotAllowed => "A loader proposal may only carry the upgradeable loader's Upgrade, SetAuthority or SetAuthorityChecked",
            GovernanceError::InvalidLoaderAccounts => "The accounts of a loader proposal do not have the instruction's shape (count, program, new authority signing)",
            GovernanceError::NotSolGridProgramData => "The ProgramData of a loader proposal is not the ProgramData of one of SolGrid's programs",
            GovernanceError::LoaderAuthorityNotGovernance => "The upgrade authority of a loader proposal must be the governance PDA, signing",
            GovernanceError::QuorumNotRecorded => "Quorum stands but its time was never recorded (the regulator set or threshold changed): record_quorum first; the timelock runs from then",
            GovernanceError::QuorumAlreadyRecorded => "The proposal's quorum time is recorded already",
            GovernanceError::TargetProgramsNotDistinct => "The registry, trading and energy_token programs must be three distinct programs, none of them governance itself",
            GovernanceError::InvalidUpgradeBuffer => "An Upgrade proposal's buffer is not a Buffer account of the upgradeable loader, or is not passed after propose's accounts",
            GovernanceError::BufferAuthorityNotGovernance => "An Upgrade proposal's buffer must already have the governance PDA as its authority",
            GovernanceError::BufferChanged => "The buffer's program bytes differ from those approved (their length and SHA-256 were pinned at propose)",
            GovernanceError::LineageAlreadyRevoked => "The original's lineage is revoked already: every certificate split from it is refused",
        }
    }
}

impl From<GovernanceError> for ProgramError {
    #[inline(always)]
    fn from(error: GovernanceError) -> Self {
        ProgramError::Custom(error as u32)
    }
}

/// The code of a proposal rule's refusal.
#[inline(always)]
pub fn proposal(error: ProposalError) -> ProgramError {
    let error = match error {
        ProposalError::NoRegulators => GovernanceError::NoRegulators,
        ProposalError::InvalidThreshold => GovernanceError::InvalidThreshold,
        ProposalError::NotRegulator => GovernanceError::NotRegulator,
        ProposalError::AlreadyVoted => GovernanceError::AlreadyVoted,
        ProposalError::VotesFull => GovernanceError::VotesFull,
        ProposalError::AlreadyExecuted => GovernanceError::AlreadyExecuted,
        ProposalError::ProposalCancelled => GovernanceError::ProposalCancelled,
        ProposalError::ProposalRejected => GovernanceError::ProposalRejected,
        ProposalError::ProposalExpired => GovernanceError::ProposalExpired,
        ProposalError::QuorumNotMet => GovernanceError::QuorumNotMet,
        ProposalError::TimelockActive => GovernanceError::TimelockActive,
        ProposalError::TargetNotSolGrid => GovernanceError::TargetNotSolGrid,
        ProposalError::TimelockTooShort => GovernanceError::TimelockTooShort,
        ProposalError::InvalidLifetime => GovernanceError::InvalidLifetime,
        ProposalError::TimelockExceedsLifetime => GovernanceError::TimelockExceedsLifetime,
        ProposalError::CancelNotAllowed => GovernanceError::CancelNotAllowed,
        ProposalError::ProposalNotFinal => GovernanceError::ProposalNotFinal,
        ProposalError::InvalidStatus => GovernanceError::InvalidStatus,
        ProposalError::Overflow => return KitError::ArithmeticOverflow.into(),
        ProposalError::QuorumNotRecorded => GovernanceError::QuorumNotRecorded,
        ProposalError::QuorumAlreadyRecorded => GovernanceError::QuorumAlreadyRecorded,
        ProposalError::NotGovernance => GovernanceError::NotGovernance,
        // Raised only by `appoint` (the registry's set_regulators), never on this program's path.
        ProposalError::VersionExhausted => return KitError::ArithmeticOverflow.into(),
    };
    error.into()
}

/// The code of a certificate rule's refusal.
#[inline(always)]
pub fn certificate(error: CertificateError) -> ProgramError {
    let error = match error {
        CertificateError::InvalidStatus => GovernanceError::InvalidStatus,
        CertificateError::NotRenewable => GovernanceError::NotRenewable,
        CertificateError::NothingToCertify => GovernanceError::NothingToCertify,
        CertificateError::InvalidInterval => GovernanceError::InvalidInterval,
        CertificateError::NotValidated => GovernanceError::CertificatePending,
        CertificateError::AlreadyValidated => GovernanceError::CertificateAlreadyValid,
        CertificateError::AlreadyRetired => GovernanceError::CertificateRetired,
        CertificateError::CertificateRevoked => GovernanceError::CertificateRevoked,
        CertificateError::CertificateExpired => GovernanceError::CertificateExpired,
        CertificateError::NotYetExpired => GovernanceError::CertificateNotExpired,
        CertificateError::InvalidSplitVolume => GovernanceError::InvalidSplitVolume,
        CertificateError::TooManySplits => GovernanceError::TooManySplits,
        CertificateError::InvalidConsumptionPeriod => GovernanceError::InvalidConsumptionPeriod,
        CertificateError::TextTooLong => GovernanceError::TextTooLong,
        CertificateError::InvalidText => GovernanceError::InvalidText,
        CertificateError::MissingReason => GovernanceError::MissingReason,
        CertificateError::InvalidEmissionFactor => GovernanceError::InvalidEmissionFactor,
        CertificateError::OriginalRevoked => GovernanceError::OriginalRevoked,
        CertificateError::HasSplitChildren => GovernanceError::HasSplitChildren,
        CertificateError::LineageAlreadyRevoked => GovernanceError::LineageAlreadyRevoked,
        CertificateError::Overflow => return KitError::ArithmeticOverflow.into(),
    };
    error.into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use solgrid_program_kit::error::PROGRAM_ERROR_BASE;

    #[test]
    fn codes_are_contiguous_from_the_program_base() {
        for (i, error) in GovernanceError::ALL.iter().enumerate() {
            assert_eq!(error.code(), PROGRAM_ERROR_BASE + i as u32);
        }
    }

    #[test]
    fn core_errors_map_to_named_codes() {
        assert_eq!(
            proposal(ProposalError::AlreadyExecuted),
            GovernanceError::AlreadyExecuted.into()
        );
        assert_eq!(
            proposal(ProposalError::Overflow),
            KitError::ArithmeticOverflow.into()
        );
        assert_eq!(
            certificate(CertificateError::NotYetExpired),
            GovernanceError::CertificateNotExpired.into()
        );
        assert_eq!(
            certificate(CertificateError::Overflow),
            KitError::ArithmeticOverflow.into()
        );
    }
}

//! The governance program's own errors, from 6100 (6000..=6099 are the shared kit errors,
//! `solgrid_program_kit::KitError`). Append-only: published codes never change meaning. The first
//! block serves the proposals, the second the certificates.

use pinocchio::error::ProgramError;

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
    NotRegulator = 6107,
    TargetNotSolGrid = 6108,
    TargetMismatch = 6109,
    TooManyAccounts = 6110,
    DataTooLong = 6111,
    TextTooLong = 6112,
    InvalidAccountFlags = 6113,
    SignerNotGovernance = 6114,
    InvalidTimelock = 6115,
    InvalidLifetime = 6116,
    ProposalNotOpen = 6117,
    ProposalExpired = 6118,
    AlreadyVoted = 6119,
    TooManyVotes = 6120,
    QuorumNotMet = 6121,
    TimelockActive = 6122,
    AccountMismatch = 6123,
    CancelNotAuthorized = 6124,
    ProposalNotFinal = 6125,
    NotProposer = 6126,
    NotMeterOwner = 6127,
    UserMismatch = 6128,
    WrongMeter = 6129,
    WrongZone = 6130,
    NotRenewable = 6131,
    NothingToCertify = 6132,
    InvalidCertificatesAuthority = 6133,
    InvalidRegistryProgram = 6134,
    CertifyFailed = 6135,
    NotCertificateOwner = 6136,
    CertificateNotPending = 6137,
    CertificateNotValid = 6138,
    CertificateExpired = 6139,
    CertificateNotExpired = 6140,
    CertificateFinal = 6141,
    InvalidSplitVolume = 6142,
    TooManySplits = 6143,
    InvalidNewOwner = 6144,
    InvalidBeneficiary = 6145,
    InvalidConsumptionPeriod = 6146,
    EmissionFactorNotSet = 6147,
    InvalidText = 6148,
    MissingReason = 6149,
    InvalidEmissionFactor = 6150,
}

impl GovernanceError {
    /// Every variant, in code order (the IDL lists them after the kit errors in this order).
    pub const ALL: [GovernanceError; 51] = [
        GovernanceError::InvalidConfigParams,
        GovernanceError::NotAProgram,
        GovernanceError::InvalidStatus,
        GovernanceError::InvalidRegistryConfig,
        GovernanceError::InvalidGovernanceAuthority,
        GovernanceError::NotGovernance,
        GovernanceError::NoRegulators,
        GovernanceError::NotRegulator,
        GovernanceError::TargetNotSolGrid,
        GovernanceError::TargetMismatch,
        GovernanceError::TooManyAccounts,
        GovernanceError::DataTooLong,
        GovernanceError::TextTooLong,
        GovernanceError::InvalidAccountFlags,
        GovernanceError::SignerNotGovernance,
        GovernanceError::InvalidTimelock,
        GovernanceError::InvalidLifetime,
        GovernanceError::ProposalNotOpen,
        GovernanceError::ProposalExpired,
        GovernanceError::AlreadyVoted,
        GovernanceError::TooManyVotes,
        GovernanceError::QuorumNotMet,
        GovernanceError::TimelockActive,
        GovernanceError::AccountMismatch,
        GovernanceError::CancelNotAuthorized,
        GovernanceError::ProposalNotFinal,
        GovernanceError::NotProposer,
        GovernanceError::NotMeterOwner,
        GovernanceError::UserMismatch,
        GovernanceError::WrongMeter,
        GovernanceError::WrongZone,
        GovernanceError::NotRenewable,
        GovernanceError::NothingToCertify,
        GovernanceError::InvalidCertificatesAuthority,
        GovernanceError::InvalidRegistryProgram,
        GovernanceError::CertifyFailed,
        GovernanceError::NotCertificateOwner,
        GovernanceError::CertificateNotPending,
        GovernanceError::CertificateNotValid,
        GovernanceError::CertificateExpired,
        GovernanceError::CertificateNotExpired,
        GovernanceError::CertificateFinal,
        GovernanceError::InvalidSplitVolume,
        GovernanceError::TooManySplits,
        GovernanceError::InvalidNewOwner,
        GovernanceError::InvalidBeneficiary,
        GovernanceError::InvalidConsumptionPeriod,
        GovernanceError::EmissionFactorNotSet,
        GovernanceError::InvalidText,
        GovernanceError::MissingReason,
        GovernanceError::InvalidEmissionFactor,
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
            GovernanceError::NotRegulator => "NotRegulator",
            GovernanceError::TargetNotSolGrid => "TargetNotSolGrid",
            GovernanceError::TargetMismatch => "TargetMismatch",
            GovernanceError::TooManyAccounts => "TooManyAccounts",
            GovernanceError::DataTooLong => "DataTooLong",
            GovernanceError::TextTooLong => "TextTooLong",
            GovernanceError::InvalidAccountFlags => "InvalidAccountFlags",
            GovernanceError::SignerNotGovernance => "SignerNotGovernance",
            GovernanceError::InvalidTimelock => "InvalidTimelock",
            GovernanceError::InvalidLifetime => "InvalidLifetime",
            GovernanceError::ProposalNotOpen => "ProposalNotOpen",
            GovernanceError::ProposalExpired => "ProposalExpired",
            GovernanceError::AlreadyVoted => "AlreadyVoted",
            GovernanceError::TooManyVotes => "TooManyVotes",
            GovernanceError::QuorumNotMet => "QuorumNotMet",
            GovernanceError::TimelockActive => "TimelockActive",
            GovernanceError::AccountMismatch => "AccountMismatch",
            GovernanceError::CancelNotAuthorized => "CancelNotAuthorized",
            GovernanceError::ProposalNotFinal => "ProposalNotFinal",
            GovernanceError::NotProposer => "NotProposer",
            GovernanceError::NotMeterOwner => "NotMeterOwner",
            GovernanceError::UserMismatch => "UserMismatch",
            GovernanceError::WrongMeter => "WrongMeter",
            GovernanceError::WrongZone => "WrongZone",
            GovernanceError::NotRenewable => "NotRenewable",
            GovernanceError::NothingToCertify => "NothingToCertify",
            GovernanceError::InvalidCertificatesAuthority => "InvalidCertificatesAuthority",
            GovernanceError::InvalidRegistryProgram => "InvalidRegistryProgram",
            GovernanceError::CertifyFailed => "CertifyFailed",
            GovernanceError::NotCertificateOwner => "NotCertificateOwner",
            GovernanceError::CertificateNotPending => "CertificateNotPending",
            GovernanceError::CertificateNotValid => "CertificateNotValid",
            GovernanceError::CertificateExpired => "CertificateExpired",
            GovernanceError::CertificateNotExpired => "CertificateNotExpired",
            GovernanceError::CertificateFinal => "CertificateFinal",
            GovernanceError::InvalidSplitVolume => "InvalidSplitVolume",
            GovernanceError::TooManySplits => "TooManySplits",
            GovernanceError::InvalidNewOwner => "InvalidNewOwner",
            GovernanceError::InvalidBeneficiary => "InvalidBeneficiary",
            GovernanceError::InvalidConsumptionPeriod => "InvalidConsumptionPeriod",
            GovernanceError::EmissionFactorNotSet => "EmissionFactorNotSet",
            GovernanceError::InvalidText => "InvalidText",
            GovernanceError::MissingReason => "MissingReason",
            GovernanceError::InvalidEmissionFactor => "InvalidEmissionFactor",
        }
    }

    /// The message the IDL gives to clients.
    pub const fn message(self) -> &'static str {
        match self {
            GovernanceError::InvalidConfigParams => "Config durations out of range: min timelock <= 30 days < max lifetime <= 365 days, certificate validity 1 s to 10 years",
            GovernanceError::NotAProgram => "A SolGrid program account passed to initialize is not an executable program",
            GovernanceError::InvalidStatus => "An account holds a status value that does not exist",
            GovernanceError::InvalidRegistryConfig => "The registry_config account is not the Config of the registry this deployment trusts",
            GovernanceError::InvalidGovernanceAuthority => "The governance account is not this program's [\"governance\"] PDA",
            GovernanceError::NotGovernance => "The signer is not this program's governance PDA (only an executed proposal can do this)",
            GovernanceError::NoRegulators => "The registry has no regulators configured yet",
            GovernanceError::NotRegulator => "The signer is not one of the registry's current regulators",
            GovernanceError::TargetNotSolGrid => "The target program is not one of SolGrid's programs (registry, energy_token, trading, governance)",
            GovernanceError::TargetMismatch => "The target_program account is not the proposal's target program",
            GovernanceError::TooManyAccounts => "A proposal's instruction takes at most 24 accounts",
            GovernanceError::DataTooLong => "A proposal's instruction data is at most 768 bytes",
            GovernanceError::TextTooLong => "A text field is longer than 64 bytes",
            GovernanceError::InvalidAccountFlags => "An account's flags may only combine 1 (writable) and 2 (signer)",
            GovernanceError::SignerNotGovernance => "Only the governance PDA may be a signer of a proposal's instruction",
            GovernanceError::InvalidTimelock => "The timelock is below the configured minimum or not shorter than the lifetime",
            GovernanceError::InvalidLifetime => "The lifetime must be 1 s up to the configured maximum",
            GovernanceError::ProposalNotOpen => "The proposal is not open (executed, cancelled or rejected)",
            GovernanceError::ProposalExpired => "The proposal is past its deadline",
            GovernanceError::AlreadyVoted => "This regulator has already approved or rejected the proposal",
            GovernanceError::TooManyVotes => "The proposal already records the most votes of this kind it can hold",
            GovernanceError::QuorumNotMet => "Fewer current regulators approved or co-signed than the registry's threshold",
            GovernanceError::TimelockActive => "The proposal's timelock has not passed since its quorum",
            GovernanceError::AccountMismatch => "An account passed to execute is not the one the proposal stores at that position",
            GovernanceError::CancelNotAuthorized => "Only the proposer, the governance PDA or a quorum of current regulators may cancel",
            GovernanceError::ProposalNotFinal => "The proposal is still open and not expired",
            GovernanceError::NotProposer => "The account is not the proposal's proposer",
            GovernanceError::NotMeterOwner => "The signer is not the owner of the meter",
            GovernanceError::UserMismatch => "The user account is not the meter owner's registry User",
            GovernanceError::WrongMeter => "The meter account is not the certificate's meter or not a registry Meter",
            GovernanceError::WrongZone => "The zone account is not the certificate's zone or not a registry Zone",
            GovernanceError::NotRenewable => "The meter's energy source is not renewable (solar, wind, hydro)",
            GovernanceError::NothingToCertify => "The meter has no renewable production that a certificate does not cover yet",
            GovernanceError::InvalidCertificatesAuthority => "The certificates_authority account is not this program's [\"certificates\"] PDA",
            GovernanceError::InvalidRegistryProgram => "The registry_program account is not the registry this deployment trusts",
            GovernanceError::CertifyFailed => "The registry's certify_meter did not advance the meter's certified volume and interval",
            GovernanceError::NotCertificateOwner => "The signer is not the certificate's owner",
            GovernanceError::CertificateNotPending => "The certificate is not pending validation",
            GovernanceError::CertificateNotValid => "The certificate is not valid (pending, retired, revoked or expired)",
            GovernanceError::CertificateExpired => "The certificate's validity period is over",
            GovernanceError::CertificateNotExpired => "The certificate's validity period is not over yet",
            GovernanceError::CertificateFinal => "The certificate is retired, revoked or expired: it can no longer change",
            GovernanceError::InvalidSplitVolume => "A split's volume must be more than 0 and less than the certificate's volume",
            GovernanceError::TooManySplits => "The certificate has been split the most times a u16 index allows",
            GovernanceError::InvalidNewOwner => "The new owner must not be all zeroes",
            GovernanceError::InvalidBeneficiary => "The beneficiary must not be all zeroes",
            GovernanceError::InvalidConsumptionPeriod => "The consumption period must start before it ends",
            GovernanceError::EmissionFactorNotSet => "The certificate's zone has no emission factor set",
            GovernanceError::InvalidText => "A text field is not valid UTF-8",
            GovernanceError::MissingReason => "A revocation needs a reason",
            GovernanceError::InvalidEmissionFactor => "The zone's emission factor is above 2,000 g CO2 per kWh",
        }
    }
}

impl From<GovernanceError> for ProgramError {
    #[inline(always)]
    fn from(error: GovernanceError) -> Self {
        ProgramError::Custom(error as u32)
    }
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
}

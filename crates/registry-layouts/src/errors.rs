//! The registry's own errors, from 6100 (6000..=6099 are the shared kit errors,
//! `solgrid_program_kit::KitError`). Append-only: published codes never change meaning.

use pinocchio::error::ProgramError;
use solgrid_program_kit::ed25519::Ed25519Error;

#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegistryError {
    InvalidRole = 6100,
    InvalidLimits = 6101,
    InvalidStatus = 6102,
    InvalidEnergySource = 6103,
    NotAuthority = 6104,
    NotPendingAuthority = 6105,
    InvalidRegulators = 6106,
    NoRegulators = 6107,
    NotRegulator = 6108,
    RegulatorThresholdNotMet = 6109,
    InvalidStatusTransition = 6110,
    ZoneMismatch = 6111,
    ZoneHalted = 6112,
    UserMismatch = 6113,
    UserNotVerified = 6114,
    UserSuspended = 6115,
    TooManyMeters = 6116,
    InvalidCapacity = 6117,
    InvalidDeviceKey = 6118,
    MeterNotActive = 6119,
    NotSettlementAuthority = 6120,
    NothingToSettle = 6121,
    InvalidBatchSize = 6122,
    Ed25519InstructionMissing = 6123,
    Ed25519SignatureCountMismatch = 6124,
    Ed25519OffsetRedirected = 6125,
    Ed25519OffsetOutOfBounds = 6126,
    Ed25519MessageLength = 6127,
    DeviceKeyMismatch = 6128,
    ReadingMessageMismatch = 6129,
    InvalidWindow = 6130,
    WindowNotAfterLast = 6131,
    WindowTooShort = 6132,
    WindowTooLong = 6133,
    WindowInFuture = 6134,
    ReadingTooOld = 6135,
    ProductionExceedsCapacity = 6136,
    InvalidInstructionsSysvar = 6137,
    WindowBeforeUserVerified = 6138,
    WindowBeforeZoneReopened = 6139,
    CapacityExceedsZone = 6140,
    NotGovernance = 6141,
    InvalidGovernance = 6142,
    InvalidPauseFlags = 6143,
    ReadingsPaused = 6144,
    MintingPaused = 6145,
    InvalidEmissionFactor = 6146,
    NotCertificateAuthority = 6147,
    NotRenewable = 6148,
    NothingToCertify = 6149,
    RegulatorsVersionExhausted = 6150,
    WeakDeviceKey = 6151,
    MalformedDeviceKey = 6152,
}

impl RegistryError {
    /// Every variant, in code order (the IDL lists them after the kit errors in this order).
    pub const ALL: [RegistryError; 53] = [
        RegistryError::InvalidRole,
        RegistryError::InvalidLimits,
        RegistryError::InvalidStatus,
        RegistryError::InvalidEnergySource,
        RegistryError::NotAuthority,
        RegistryError::NotPendingAuthority,
        RegistryError::InvalidRegulators,
        RegistryError::NoRegulators,
        RegistryError::NotRegulator,
        RegistryError::RegulatorThresholdNotMet,
        RegistryError::InvalidStatusTransition,
        RegistryError::ZoneMismatch,
        RegistryError::ZoneHalted,
        RegistryError::UserMismatch,
        RegistryError::UserNotVerified,
        RegistryError::UserSuspended,
        RegistryError::TooManyMeters,
        RegistryError::InvalidCapacity,
        RegistryError::InvalidDeviceKey,
        RegistryError::MeterNotActive,
        RegistryError::NotSettlementAuthority,
        RegistryError::NothingToSettle,
        RegistryError::InvalidBatchSize,
        RegistryError::Ed25519InstructionMissing,
        RegistryError::Ed25519SignatureCountMismatch,
        RegistryError::Ed25519OffsetRedirected,
        RegistryError::Ed25519OffsetOutOfBounds,
        RegistryError::Ed25519MessageLength,
        RegistryError::DeviceKeyMismatch,
        RegistryError::ReadingMessageMismatch,
        RegistryError::InvalidWindow,
        RegistryError::WindowNotAfterLast,
        RegistryError::WindowTooShort,
        RegistryError::WindowTooLong,
        RegistryError::WindowInFuture,
        RegistryError::ReadingTooOld,
        RegistryError::ProductionExceedsCapacity,
        RegistryError::InvalidInstructionsSysvar,
        RegistryError::WindowBeforeUserVerified,
        RegistryError::WindowBeforeZoneReopened,
        RegistryError::CapacityExceedsZone,
        RegistryError::NotGovernance,
        RegistryError::InvalidGovernance,
        RegistryError::InvalidPauseFlags,
        RegistryError::ReadingsPaused,
        RegistryError::MintingPaused,
        RegistryError::InvalidEmissionFactor,
        RegistryError::NotCertificateAuthority,
        RegistryError::NotRenewable,
        RegistryError::NothingToCertify,
        RegistryError::RegulatorsVersionExhausted,
        RegistryError::WeakDeviceKey,
        RegistryError::MalformedDeviceKey,
    ];

    pub const fn code(self) -> u32 {
        self as u32
    }

    pub const fn name(self) -> &'static str {
        match self {
            RegistryError::InvalidRole => "InvalidRole",
            RegistryError::InvalidLimits => "InvalidLimits",
            RegistryError::InvalidStatus => "InvalidStatus",
            RegistryError::InvalidEnergySource => "InvalidEnergySource",
            RegistryError::NotAuthority => "NotAuthority",
            RegistryError::NotPendingAuthority => "NotPendingAuthority",
            RegistryError::InvalidRegulators => "InvalidRegulators",
            RegistryError::NoRegulators => "NoRegulators",
            RegistryError::NotRegulator => "NotRegulator",
            RegistryError::RegulatorThresholdNotMet => "RegulatorThresholdNotMet",
            RegistryError::InvalidStatusTransition => "InvalidStatusTransition",
            RegistryError::ZoneMismatch => "ZoneMismatch",
            RegistryError::ZoneHalted => "ZoneHalted",
            RegistryError::UserMismatch => "UserMismatch",
            RegistryError::UserNotVerified => "UserNotVerified",
            RegistryError::UserSuspended => "UserSuspended",
            RegistryError::TooManyMeters => "TooManyMeters",
            RegistryError::InvalidCapacity => "InvalidCapacity",
            RegistryError::InvalidDeviceKey => "InvalidDeviceKey",
            RegistryError::MeterNotActive => "MeterNotActive",
            RegistryError::NotSettlementAuthority => "NotSettlementAuthority",
            RegistryError::NothingToSettle => "NothingToSettle",
            RegistryError::InvalidBatchSize => "InvalidBatchSize",
            RegistryError::Ed25519InstructionMissing => "Ed25519InstructionMissing",
            RegistryError::Ed25519SignatureCountMismatch => "Ed25519SignatureCountMismatch",
            RegistryError::Ed25519OffsetRedirected => "Ed25519OffsetRedirected",
            RegistryError::Ed25519OffsetOutOfBounds => "Ed25519OffsetOutOfBounds",
            RegistryError::Ed25519MessageLength => "Ed25519MessageLength",
            RegistryError::DeviceKeyMismatch => "DeviceKeyMismatch",
            RegistryError::ReadingMessageMismatch => "ReadingMessageMismatch",
            RegistryError::InvalidWindow => "InvalidWindow",
            RegistryError::WindowNotAfterLast => "WindowNotAfterLast",
            RegistryError::WindowTooShort => "WindowTooShort",
            RegistryError::WindowTooLong => "WindowTooLong",
            RegistryError::WindowInFuture => "WindowInFuture",
            RegistryError::ReadingTooOld => "ReadingTooOld",
            RegistryError::ProductionExceedsCapacity => "ProductionExceedsCapacity",
            RegistryError::InvalidInstructionsSysvar => "InvalidInstructionsSysvar",
            RegistryError::WindowBeforeUserVerified => "WindowBeforeUserVerified",
            RegistryError::WindowBeforeZoneReopened => "WindowBeforeZoneReopened",
            RegistryError::CapacityExceedsZone => "CapacityExceedsZone",
            RegistryError::NotGovernance => "NotGovernance",
            RegistryError::InvalidGovernance => "InvalidGovernance",
            RegistryError::InvalidPauseFlags => "InvalidPauseFlags",
            RegistryError::ReadingsPaused => "ReadingsPaused",
            RegistryError::MintingPaused => "MintingPaused",
            RegistryError::InvalidEmissionFactor => "InvalidEmissionFactor",
            RegistryError::NotCertificateAuthority => "NotCertificateAuthority",
            RegistryError::NotRenewable => "NotRenewable",
            RegistryError::NothingToCertify => "NothingToCertify",
            RegistryError::RegulatorsVersionExhausted => "RegulatorsVersionExhausted",
            RegistryError::WeakDeviceKey => "WeakDeviceKey",
            RegistryError::MalformedDeviceKey => "MalformedDeviceKey",
        }
    }

    pub const fn message(self) -> &'static str {
        match self {
            RegistryError::InvalidRole => "The role is not one of Prosumer, Consumer, GridOperator",
            RegistryError::InvalidLimits => "A limit is out of range (see the Limits type docs)",
            RegistryError::InvalidStatus => "A status byte is not a variant of its enum",
            RegistryError::InvalidEnergySource => "The energy source is not one of Solar, Wind, Battery, Hydro, Grid",
            RegistryError::NotAuthority => "Only the config authority may do this",
            RegistryError::NotPendingAuthority => "The signer is not the proposed authority",
            RegistryError::InvalidRegulators => "Regulator set invalid: 1..=8 distinct non-zero addresses, unused slots zero, 1 <= threshold <= count",
            RegistryError::NoRegulators => "No regulators are configured yet",
            RegistryError::NotRegulator => "The signer is not a configured regulator",
            RegistryError::RegulatorThresholdNotMet => "Fewer distinct configured regulators signed than the threshold requires",
            RegistryError::InvalidStatusTransition => "The account is not in a status this action applies to",
            RegistryError::ZoneMismatch => "The zone account is not the zone of the user or meter",
            RegistryError::ZoneHalted => "The zone is halted",
            RegistryError::UserMismatch => "The user account is not the meter owner's User",
            RegistryError::UserNotVerified => "The user is not verified by a regulator",
            RegistryError::UserSuspended => "The user is suspended",
            RegistryError::TooManyMeters => "The user already has the maximum number of meters",
            RegistryError::InvalidCapacity => "Meter capacity must be at least 1 W",
            RegistryError::InvalidDeviceKey => "The device key must not be all zeroes",
            RegistryError::MeterNotActive => "The meter is not active",
            RegistryError::NotSettlementAuthority => "The signer is not the configured settlement authority",
            RegistryError::NothingToSettle => "The meter has no unsettled net surplus",
            RegistryError::InvalidBatchSize => "A batch holds 1 to 16 readings, with meter, user and zone accounts for each",
            RegistryError::Ed25519InstructionMissing => "The instruction before submit_readings is not an Ed25519 precompile instruction",
            RegistryError::Ed25519SignatureCountMismatch => "The Ed25519 instruction does not carry exactly one signature per reading",
            RegistryError::Ed25519OffsetRedirected => "An Ed25519 offsets entry points into another instruction",
            RegistryError::Ed25519OffsetOutOfBounds => "An Ed25519 signature, public key or message range lies outside its instruction data",
            RegistryError::Ed25519MessageLength => "A signed reading message is not exactly 32 bytes",
            RegistryError::DeviceKeyMismatch => "The reading is not signed by the meter's device key",
            RegistryError::ReadingMessageMismatch => "The signed message is not the digest of this reading",
            RegistryError::InvalidWindow => "The reading window is empty or ends past the u32 seconds range",
            RegistryError::WindowNotAfterLast => "The reading window starts before the end of the meter's last accepted window (duplicate, replay or overlap)",
            RegistryError::WindowTooShort => "The reading window is shorter than the minimum",
            RegistryError::WindowTooLong => "The reading window is longer than the maximum",
            RegistryError::WindowInFuture => "The reading window ends in the future beyond the allowed clock skew",
            RegistryError::ReadingTooOld => "The reading window ended longer ago than the maximum reading age",
            RegistryError::ProductionExceedsCapacity => "Production exceeds capacity x duration x tolerance",
            RegistryError::InvalidInstructionsSysvar => "The instructions_sysvar account is not the Instructions sysvar",
            RegistryError::WindowBeforeUserVerified => "The reading window starts before the meter owner was last verified (a suspension is never credited)",
            RegistryError::WindowBeforeZoneReopened => "The reading window starts before the zone left its last halt (a halt is never credited)",
            RegistryError::CapacityExceedsZone => "The meter's capacity exceeds its zone's capacity",
            RegistryError::NotGovernance => "Only the governance program's [\"governance\"] PDA may do this once governance is set",
            RegistryError::InvalidGovernance => "Governance invalid: the bumps must be the canonical [\"governance\"] and [\"certificates\"] PDA bumps of the program (0 when clearing)",
            RegistryError::InvalidPauseFlags => "Pause flags must be a non-empty set of READINGS = 1, MINTING = 2, TRADING = 4",
            RegistryError::ReadingsPaused => "Readings are paused for this zone",
            RegistryError::MintingPaused => "Minting is paused for this zone",
            RegistryError::InvalidEmissionFactor => "The emission factor exceeds 2000 g CO2 per kWh",
            RegistryError::NotCertificateAuthority => "The signer is not the governance program's [\"certificates\"] PDA",
            RegistryError::NotRenewable => "The meter's energy source is not renewable (Solar, Wind, Hydro)",
            RegistryError::NothingToCertify => "The meter has no renewable production that a certificate does not cover yet",
            RegistryError::RegulatorsVersionExhausted => "regulators_version reached 65535: no new regulator can be appointed",
            RegistryError::WeakDeviceKey => "The device key is a small-order Ed25519 point (the identity, or a point of order 2, 4 or 8)",
            RegistryError::MalformedDeviceKey => "The device key is not the canonical encoding of an Ed25519 point (y >= p, x = 0 with the sign bit set, or no point)",
        }
    }
}

impl From<RegistryError> for ProgramError {
    #[inline(always)]
    fn from(error: RegistryError) -> Self {
        ProgramError::Custom(error as u32)
    }
}

impl From<Ed25519Error> for RegistryError {
    #[inline(always)]
    fn from(error: Ed25519Error) -> Self {
        match error {
            Ed25519Error::Malformed => RegistryError::Ed25519SignatureCountMismatch,
            Ed25519Error::Redirected => RegistryError::Ed25519OffsetRedirected,
            Ed25519Error::OutOfBounds => RegistryError::Ed25519OffsetOutOfBounds,
            Ed25519Error::MessageLength => RegistryError::Ed25519MessageLength,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use solgrid_program_kit::error::PROGRAM_ERROR_BASE;

    #[test]
    fn codes_are_contiguous_from_the_program_base() {
        for (i, error) in RegistryError::ALL.iter().enumerate() {
            assert_eq!(error.code(), PROGRAM_ERROR_BASE + i as u32);
        }
    }
}

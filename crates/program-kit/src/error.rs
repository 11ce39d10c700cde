//! Errors shared by every SolGrid program.
//!
//! Codes 6000..=6099 are reserved for these kit errors in every program's IDL, so a client sees the
//! same code for the same failure whichever program raised it. A program's own errors start at
//! [`PROGRAM_ERROR_BASE`]. Both ranges are append-only: a code, once published in an IDL, keeps its
//! meaning forever.

use pinocchio::error::ProgramError;

/// First code of a program's own error enum.
pub const PROGRAM_ERROR_BASE: u32 = 6100;

/// Failures the kit's helpers report.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KitError {
    UnknownInstruction = 6000,
    InvalidInstructionData = 6001,
    NotEnoughAccounts = 6002,
    MissingSigner = 6003,
    AccountNotWritable = 6004,
    InvalidOwner = 6005,
    InvalidPda = 6006,
    InvalidSystemProgram = 6007,
    AlreadyInitialized = 6008,
    InvalidAccountData = 6009,
    ArithmeticOverflow = 6010,
    UnsupportedRent = 6011,
    NotUpgradeAuthority = 6012,
    InvalidProgramData = 6013,
    UnsupportedLoader = 6014,
    NotIdlAuthority = 6015,
    IdlAccountFull = 6016,
}

impl KitError {
    /// Every variant, in code order (the IDL lists them in this order).
    pub const ALL: [KitError; 17] = [
        KitError::UnknownInstruction,
        KitError::InvalidInstructionData,
        KitError::NotEnoughAccounts,
        KitError::MissingSigner,
        KitError::AccountNotWritable,
        KitError::InvalidOwner,
        KitError::InvalidPda,
        KitError::InvalidSystemProgram,
        KitError::AlreadyInitialized,
        KitError::InvalidAccountData,
        KitError::ArithmeticOverflow,
        KitError::UnsupportedRent,
        KitError::NotUpgradeAuthority,
        KitError::InvalidProgramData,
        KitError::UnsupportedLoader,
        KitError::NotIdlAuthority,
        KitError::IdlAccountFull,
    ];

    pub const fn code(self) -> u32 {
        self as u32
    }

    /// The name the IDL uses.
    pub const fn name(self) -> &'static str {
        match self {
            KitError::UnknownInstruction => "UnknownInstruction",
            KitError::InvalidInstructionData => "InvalidInstructionData",
            KitError::NotEnoughAccounts => "NotEnoughAccounts",
            KitError::MissingSigner => "MissingSigner",
            KitError::AccountNotWritable => "AccountNotWritable",
            KitError::InvalidOwner => "InvalidOwner",
            KitError::InvalidPda => "InvalidPda",
            KitError::InvalidSystemProgram => "InvalidSystemProgram",
            KitError::AlreadyInitialized => "AlreadyInitialized",
            KitError::InvalidAccountData => "InvalidAccountData",
            KitError::ArithmeticOverflow => "ArithmeticOverflow",
            KitError::UnsupportedRent => "UnsupportedRent",
            KitError::NotUpgradeAuthority => "NotUpgradeAuthority",
            KitError::InvalidProgramData => "InvalidProgramData",
            KitError::UnsupportedLoader => "UnsupportedLoader",
            KitError::NotIdlAuthority => "NotIdlAuthority",
            KitError::IdlAccountFull => "IdlAccountFull",
        }
    }

    /// The message the IDL gives to clients.
    pub const fn message(self) -> &'static str {
        match self {
            KitError::UnknownInstruction => {
                "Instruction data does not start with a known 8-byte instruction discriminator"
            }
            KitError::InvalidInstructionData => {
                "Instruction arguments do not have the length their types require"
            }
            KitError::NotEnoughAccounts => "The instruction needs more accounts than were passed",
            KitError::MissingSigner => "An account that must sign the transaction did not",
            KitError::AccountNotWritable => {
                "An account that the instruction modifies was passed read-only"
            }
            KitError::InvalidOwner => "An account is not owned by the expected program",
            KitError::InvalidPda => "An account's address is not the PDA derived from its seeds",
            KitError::InvalidSystemProgram => {
                "The system_program account is not the System program"
            }
            KitError::AlreadyInitialized => "The account to create already exists",
            KitError::InvalidAccountData => {
                "An account's data does not have the expected discriminator or size"
            }
            KitError::ArithmeticOverflow => "An arithmetic operation overflowed",
            KitError::UnsupportedRent => {
                "The Rent sysvar has an exemption threshold other than 1.0 or 2.0 years"
            }
            KitError::NotUpgradeAuthority => {
                "Only the program's upgrade authority may perform this one-time initialisation"
            }
            KitError::InvalidProgramData => {
                "The program or program_data account is not this program's deployment record"
            }
            KitError::UnsupportedLoader => {
                "The program is owned by a loader whose deployment record SolGrid cannot read"
            }
            KitError::NotIdlAuthority => {
                "The signer is not the authority of this IDL account or buffer"
            }
            KitError::IdlAccountFull => "The IDL data does not fit in the IDL account or buffer",
        }
    }
}

impl From<KitError> for ProgramError {
    #[inline(always)]
    fn from(error: KitError) -> Self {
        ProgramError::Custom(error as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_contiguous_from_6000_and_below_program_range() {
        for (i, error) in KitError::ALL.iter().enumerate() {
            assert_eq!(error.code(), 6000 + i as u32);
            assert!(error.code() < PROGRAM_ERROR_BASE);
        }
    }

    #[test]
    fn converts_to_custom_program_error() {
        assert_eq!(
            ProgramError::from(KitError::InvalidPda),
            ProgramError::Custom(6006)
        );
    }
}

//! The registry's own errors, from 6100 (6000..=6099 are the shared kit errors,
//! `solgrid_program_kit::KitError`). Append-only: published codes never change meaning.

use pinocchio::error::ProgramError;

#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegistryError {
    InvalidRole = 6100,
    InvalidLimits = 6101,
}

impl RegistryError {
    /// Every variant, in code order (the IDL lists them after the kit errors in this order).
    pub const ALL: [RegistryError; 2] = [RegistryError::InvalidRole, RegistryError::InvalidLimits];

    pub const fn code(self) -> u32 {
        self as u32
    }

    pub const fn name(self) -> &'static str {
        match self {
            RegistryError::InvalidRole => "InvalidRole",
            RegistryError::InvalidLimits => "InvalidLimits",
        }
    }

    pub const fn message(self) -> &'static str {
        match self {
            RegistryError::InvalidRole => "The role is not one of Consumer, Producer, Prosumer",
            RegistryError::InvalidLimits => {
                "A configured limit is out of range (meters per user and reading age must be at least 1; reading age at most 7 days)"
            }
        }
    }
}

impl From<RegistryError> for ProgramError {
    #[inline(always)]
    fn from(error: RegistryError) -> Self {
        ProgramError::Custom(error as u32)
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

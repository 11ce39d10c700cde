//! The energy token's own errors, from 6100 (6000..=6099 are the shared kit errors,
//! `solgrid_program_kit::KitError`). Append-only: published codes never change meaning.

use pinocchio::error::ProgramError;

#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EnergyTokenError {
    InvalidRegistryProgram = 6100,
    InvalidTokenProgram = 6101,
    InvalidMint = 6102,
    InvalidMintAuthority = 6103,
    InvalidSettlementAuthority = 6104,
    WrongTokenMint = 6105,
    WrongTokenOwner = 6106,
    InvalidSettlementReturn = 6107,
    ZeroAmount = 6108,
}

impl EnergyTokenError {
    /// Every variant, in code order (the IDL lists them after the kit errors in this order).
    pub const ALL: [EnergyTokenError; 9] = [
        EnergyTokenError::InvalidRegistryProgram,
        EnergyTokenError::InvalidTokenProgram,
        EnergyTokenError::InvalidMint,
        EnergyTokenError::InvalidMintAuthority,
        EnergyTokenError::InvalidSettlementAuthority,
        EnergyTokenError::WrongTokenMint,
        EnergyTokenError::WrongTokenOwner,
        EnergyTokenError::InvalidSettlementReturn,
        EnergyTokenError::ZeroAmount,
    ];

    pub const fn code(self) -> u32 {
        self as u32
    }

    /// The name the IDL uses.
    pub const fn name(self) -> &'static str {
        match self {
            EnergyTokenError::InvalidRegistryProgram => "InvalidRegistryProgram",
            EnergyTokenError::InvalidTokenProgram => "InvalidTokenProgram",
            EnergyTokenError::InvalidMint => "InvalidMint",
            EnergyTokenError::InvalidMintAuthority => "InvalidMintAuthority",
            EnergyTokenError::InvalidSettlementAuthority => "InvalidSettlementAuthority",
            EnergyTokenError::WrongTokenMint => "WrongTokenMint",
            EnergyTokenError::WrongTokenOwner => "WrongTokenOwner",
            EnergyTokenError::InvalidSettlementReturn => "InvalidSettlementReturn",
            EnergyTokenError::ZeroAmount => "ZeroAmount",
        }
    }

    /// The message the IDL gives to clients.
    pub const fn message(self) -> &'static str {
        match self {
            EnergyTokenError::InvalidRegistryProgram => {
                "The registry program is not the one this deployment trusts (at initialisation: not an executable program)"
            }
            EnergyTokenError::InvalidTokenProgram => {
                "The token_program account is not the SPL Token program"
            }
            EnergyTokenError::InvalidMint => "The mint account is not the GRID mint",
            EnergyTokenError::InvalidMintAuthority => {
                "The mint_authority account is not the program's mint authority PDA"
            }
            EnergyTokenError::InvalidSettlementAuthority => {
                "The settlement_authority account is not the program's settlement PDA"
            }
            EnergyTokenError::WrongTokenMint => "The token account does not hold GRID",
            EnergyTokenError::WrongTokenOwner => {
                "The token account is not owned by the meter's owner (settle_and_mint) or by the holder (burn)"
            }
            EnergyTokenError::InvalidSettlementReturn => {
                "The registry's settle_meter did not increase the meter's settled Wh"
            }
            EnergyTokenError::ZeroAmount => "The amount must be greater than zero",
        }
    }
}

impl From<EnergyTokenError> for ProgramError {
    #[inline(always)]
    fn from(error: EnergyTokenError) -> Self {
        ProgramError::Custom(error as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use solgrid_program_kit::error::PROGRAM_ERROR_BASE;

    #[test]
    fn codes_are_contiguous_from_the_program_base() {
        for (i, error) in EnergyTokenError::ALL.iter().enumerate() {
            assert_eq!(error.code(), PROGRAM_ERROR_BASE + i as u32);
        }
    }

    #[test]
    fn names_are_unique() {
        for (i, a) in EnergyTokenError::ALL.iter().enumerate() {
            for b in &EnergyTokenError::ALL[i + 1..] {
                assert_ne!(a.name(), b.name());
            }
        }
    }
}

//! Rent-exempt minimum balances from the Rent sysvar, in integer arithmetic.
//!
//! The Rent sysvar the runtime serves (agave 2.x) is bincode
//! `{ lamports_per_byte_year: u64, exemption_threshold: f64, burn_percent: u8 }`. pinocchio 0.11's
//! `Rent` reads only the first field (the SIMD-0194 layout, which assumes a threshold of 1.0), so it
//! funds accounts with half the minimum while the threshold is still 2.0. Programs cannot use
//! floating point, so the threshold's bits are compared with the exact encodings of 2.0 and 1.0 (the
//! only values clusters have used) and anything else is refused rather than guessed.

use crate::error::KitError;
use pinocchio::{
    error::ProgramError,
    sysvars::{get_sysvar, rent::RENT_ID},
};

/// Bytes of account metadata that rent is charged for on top of the data.
pub const ACCOUNT_STORAGE_OVERHEAD: u64 = 128;
/// The two leading fields the computation needs.
pub const SYSVAR_PREFIX_LEN: usize = 16;

const THRESHOLD_TWO_YEARS: u64 = 0x4000_0000_0000_0000; // 2.0f64.to_bits()
const THRESHOLD_ONE_YEAR: u64 = 0x3FF0_0000_0000_0000; // 1.0f64.to_bits()

/// The rent parameters that decide the exempt minimum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rent {
    pub lamports_per_byte_year: u64,
    /// The exemption threshold in whole years (2 or 1).
    pub exemption_years: u64,
}

impl Rent {
    /// Parses the first 16 bytes of the Rent sysvar.
    pub fn from_sysvar_prefix(bytes: &[u8; SYSVAR_PREFIX_LEN]) -> Result<Self, ProgramError> {
        let mut lamports = [0u8; 8];
        let mut threshold = [0u8; 8];
        lamports.copy_from_slice(&bytes[..8]);
        threshold.copy_from_slice(&bytes[8..]);
        let exemption_years = match u64::from_le_bytes(threshold) {
            THRESHOLD_TWO_YEARS => 2,
            THRESHOLD_ONE_YEAR => 1,
            _ => return Err(KitError::UnsupportedRent.into()),
        };
        Ok(Self {
            lamports_per_byte_year: u64::from_le_bytes(lamports),
            exemption_years,
        })
    }

    /// Reads the Rent sysvar through `sol_get_sysvar` (no account needed).
    #[inline(always)]
    pub fn get() -> Result<Self, ProgramError> {
        let mut bytes = [0u8; SYSVAR_PREFIX_LEN];
        get_sysvar(&mut bytes, &RENT_ID, 0)?;
        Self::from_sysvar_prefix(&bytes)
    }

    /// Lamports an account with `data_len` bytes of data needs to be rent exempt.
    pub fn minimum_balance(&self, data_len: usize) -> Result<u64, ProgramError> {
        (data_len as u64)
            .checked_add(ACCOUNT_STORAGE_OVERHEAD)
            .and_then(|bytes| bytes.checked_mul(self.lamports_per_byte_year))
            .and_then(|per_year| per_year.checked_mul(self.exemption_years))
            .ok_or_else(|| KitError::ArithmeticOverflow.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prefix(lamports_per_byte_year: u64, threshold: f64) -> [u8; 16] {
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&lamports_per_byte_year.to_le_bytes());
        bytes[8..].copy_from_slice(&threshold.to_le_bytes());
        bytes
    }

    #[test]
    fn threshold_constants_are_the_f64_encodings() {
        assert_eq!(2.0f64.to_bits(), THRESHOLD_TWO_YEARS);
        assert_eq!(1.0f64.to_bits(), THRESHOLD_ONE_YEAR);
    }

    #[test]
    fn default_cluster_rent_matches_the_runtime() {
        // agave's default Rent: 3480 lamports/byte-year, 2 years. The runtime's minimum for an
        // empty account is 890_880 and for 165 bytes (a token account) 2_039_280.
        let rent = Rent::from_sysvar_prefix(&prefix(3480, 2.0)).unwrap();
        assert_eq!(rent.minimum_balance(0), Ok(890_880));
        assert_eq!(rent.minimum_balance(165), Ok(2_039_280));
    }

    #[test]
    fn simd_0194_layout_threshold_one() {
        let rent = Rent::from_sysvar_prefix(&prefix(6960, 1.0)).unwrap();
        assert_eq!(rent.minimum_balance(165), Ok(2_039_280));
    }

    #[test]
    fn other_thresholds_are_refused() {
        for threshold in [0.0, 0.5, 1.5, 2.0000000000000004, f64::NAN] {
            assert_eq!(
                Rent::from_sysvar_prefix(&prefix(3480, threshold)),
                Err(KitError::UnsupportedRent.into())
            );
        }
    }

    #[test]
    fn overflow_is_an_error() {
        let rent = Rent::from_sysvar_prefix(&prefix(u64::MAX / 2, 2.0)).unwrap();
        assert_eq!(
            rent.minimum_balance(10),
            Err(KitError::ArithmeticOverflow.into())
        );
        assert_eq!(
            Rent {
                lamports_per_byte_year: 1,
                exemption_years: 1
            }
            .minimum_balance(usize::MAX),
            Err(KitError::ArithmeticOverflow.into())
        );
    }
}

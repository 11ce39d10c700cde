//! Instruction data in Anchor's format: an 8-byte `global:<name>` discriminator, then the borsh
//! arguments. All SolGrid arguments have fixed sizes, so they are viewed in place as a [`Pod`]
//! struct of exactly that size.

use crate::{discriminator, error::KitError, pod::Pod};
use pinocchio::error::ProgramError;

/// Splits `data` into its discriminator (as the little-endian `u64` dispatchers match on) and the
/// argument bytes.
#[inline(always)]
pub fn split(data: &[u8]) -> Result<(u64, &[u8]), ProgramError> {
    if data.len() < discriminator::LEN {
        return Err(KitError::UnknownInstruction.into());
    }
    let (head, args) = data.split_at(discriminator::LEN);
    let mut discriminator = [0u8; discriminator::LEN];
    discriminator.copy_from_slice(head);
    Ok((u64::from_le_bytes(discriminator), args))
}

/// The arguments as a `T`; their length must be exactly `size_of::<T>()`.
#[inline(always)]
pub fn args<T: Pod>(bytes: &[u8]) -> Result<&T, ProgramError> {
    crate::pod::from_bytes(bytes).ok_or_else(|| KitError::InvalidInstructionData.into())
}

/// Instructions without arguments must not carry trailing bytes.
#[inline(always)]
pub fn no_args(bytes: &[u8]) -> Result<(), ProgramError> {
    if bytes.is_empty() {
        Ok(())
    } else {
        Err(KitError::InvalidInstructionData.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pod::PodU16;

    #[test]
    fn split_requires_a_full_discriminator() {
        assert_eq!(split(&[1, 2, 3]), Err(KitError::UnknownInstruction.into()));
        let data = [1, 0, 0, 0, 0, 0, 0, 0, 9, 9];
        assert_eq!(split(&data), Ok((1u64, &data[8..])));
    }

    #[test]
    fn args_require_exact_length() {
        assert_eq!(args::<PodU16>(&[1, 2]).map(|v| v.get()), Ok(0x0201));
        assert!(args::<PodU16>(&[1]).is_err());
        assert_eq!(
            args::<PodU16>(&[1, 2, 3]).err(),
            Some(KitError::InvalidInstructionData.into())
        );
        assert_eq!(no_args(&[0]), Err(KitError::InvalidInstructionData.into()));
    }
}

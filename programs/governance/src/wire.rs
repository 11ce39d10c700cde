//! Reading borsh arguments that do not have a fixed size (strings, vectors, byte vectors), in place
//! and without a heap. Fixed-size arguments use `solgrid_program_kit::instruction::args` instead.

use pinocchio::{error::ProgramError, Address};
use solgrid_program_kit::{pod::Pod, KitError};

use solgrid_governance_core::certificate::check_text;

use crate::{
    errors::{self, GovernanceError},
    state::TEXT_LEN,
};

/// A cursor over instruction arguments; every read fails with `InvalidInstructionData` past the end.
pub struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    #[inline(always)]
    pub fn new(bytes: &'a [u8]) -> Self {
        Self { bytes }
    }

    /// The next `len` bytes.
    #[inline(always)]
    pub fn take(&mut self, len: usize) -> Result<&'a [u8], ProgramError> {
        if self.bytes.len() < len {
            return Err(KitError::InvalidInstructionData.into());
        }
        let (head, rest) = self.bytes.split_at(len);
        self.bytes = rest;
        Ok(head)
    }

    /// A fixed-size value viewed in place.
    #[inline(always)]
    pub fn pod<T: Pod>(&mut self) -> Result<&'a T, ProgramError> {
        let bytes = self.take(core::mem::size_of::<T>())?;
        solgrid_program_kit::pod::from_bytes(bytes)
            .ok_or_else(|| KitError::InvalidInstructionData.into())
    }

    #[inline(always)]
    pub fn u8(&mut self) -> Result<u8, ProgramError> {
        Ok(self.take(1)?[0])
    }

    #[inline(always)]
    pub fn u32(&mut self) -> Result<u32, ProgramError> {
        let mut le = [0u8; 4];
        le.copy_from_slice(self.take(4)?);
        Ok(u32::from_le_bytes(le))
    }

    #[inline(always)]
    pub fn i64(&mut self) -> Result<i64, ProgramError> {
        let mut le = [0u8; 8];
        le.copy_from_slice(self.take(8)?);
        Ok(i64::from_le_bytes(le))
    }

    #[inline(always)]
    pub fn address(&mut self) -> Result<&'a Address, ProgramError> {
        self.pod::<Address>()
    }

    /// A borsh `bytes` / `string` (u32 length, then the bytes), at most `max` bytes long (`too_long`
    /// otherwise).
    #[inline(always)]
    pub fn bytes(
        &mut self,
        max: usize,
        too_long: GovernanceError,
    ) -> Result<&'a [u8], ProgramError> {
        let len = self.u32()? as usize;
        if len > max {
            return Err(too_long.into());
        }
        self.take(len)
    }

    /// A borsh `string` as a text field stores it: at most 64 bytes of UTF-8 (governance-core's text
    /// rule: `TextTooLong`, `InvalidText`), zero-padded to 64.
    #[inline(always)]
    pub fn text(&mut self) -> Result<[u8; TEXT_LEN], ProgramError> {
        let bytes = self.bytes(TEXT_LEN, GovernanceError::TextTooLong)?;
        check_text(bytes).map_err(errors::certificate)?;
        let mut out = [0u8; TEXT_LEN];
        out[..bytes.len()].copy_from_slice(bytes);
        Ok(out)
    }

    /// A borsh `Vec<T>` of fixed-size elements, at most `max` long (`too_long` otherwise).
    #[inline(always)]
    pub fn vec<T: Pod>(
        &mut self,
        max: usize,
        too_long: GovernanceError,
    ) -> Result<&'a [T], ProgramError> {
        let len = self.u32()? as usize;
        if len > max {
            return Err(too_long.into());
        }
        let bytes = self.take(len * core::mem::size_of::<T>())?;
        // SAFETY: `T: Pod` has alignment 1 and accepts any bytes; `bytes` holds exactly `len` of them.
        Ok(unsafe { core::slice::from_raw_parts(bytes.as_ptr() as *const T, len) })
    }

    /// Fails unless every byte was read.
    #[inline(always)]
    pub fn finish(self) -> Result<(), ProgramError> {
        if self.bytes.is_empty() {
            Ok(())
        } else {
            Err(KitError::InvalidInstructionData.into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_borsh_in_order() {
        let mut data = std::vec::Vec::new();
        data.push(7u8);
        data.extend_from_slice(&3u32.to_le_bytes());
        data.extend_from_slice(b"abc");
        data.extend_from_slice(&(-5i64).to_le_bytes());
        data.extend_from_slice(&2u32.to_le_bytes());
        data.extend_from_slice(&[1, 2, 3, 4]);
        let mut reader = Reader::new(&data);
        assert_eq!(reader.u8(), Ok(7));
        let text = reader.text().unwrap();
        assert_eq!(&text[..4], b"abc\0");
        assert_eq!(reader.i64(), Ok(-5));
        let pairs: &[[u8; 2]] = reader.vec(2, GovernanceError::TooManyAccounts).unwrap();
        assert_eq!(pairs, &[[1, 2], [3, 4]]);
        assert_eq!(reader.finish(), Ok(()));
    }

    #[test]
    fn bounds_and_truncation() {
        let string = |bytes: &[u8]| {
            let mut data = std::vec::Vec::new();
            data.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
            data.extend_from_slice(bytes);
            data
        };
        let long = string(&[b'a'; 65]);
        assert_eq!(
            Reader::new(&long).text(),
            Err(GovernanceError::TextTooLong.into())
        );
        assert!(Reader::new(&string(&[b'a'; 64])).text().is_ok());
        let latin1 = string(&[b'c', b'a', b'f', 0xe9]);
        assert_eq!(
            Reader::new(&latin1).text(),
            Err(GovernanceError::InvalidText.into())
        );
        let data = string(b"hello");
        assert_eq!(
            Reader::new(&data[..6]).text(),
            Err(KitError::InvalidInstructionData.into())
        );
        let mut reader = Reader::new(&data);
        reader.u8().unwrap();
        assert_eq!(
            reader.finish(),
            Err(KitError::InvalidInstructionData.into())
        );
        let many = 1u32.to_le_bytes();
        let vec: Result<&[[u8; 2]], _> =
            Reader::new(&many).vec(0, GovernanceError::TooManyAccounts);
        assert_eq!(vec, Err(GovernanceError::TooManyAccounts.into()));
    }
}

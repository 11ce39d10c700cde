//! Strict parsing of the native Ed25519 signature-verification instruction, as read through the
//! Instructions sysvar.
//!
//! The precompile verifies each signature over a public key and a message that its 14-byte offsets
//! entry locates, possibly *in another instruction of the transaction* (the `*_instruction_index`
//! fields; `u16::MAX` means "this instruction"). A program that trusts "the Ed25519 instruction
//! verified something" must therefore check where the verified bytes came from, or an attacker
//! points the offsets at bytes of their choosing elsewhere in the transaction (the offset-redirection
//! attack). [`signature`] accepts an entry only when all three instruction indexes designate the
//! Ed25519 instruction itself (`u16::MAX` or its own index) and every range lies inside its data, and
//! returns the public key and message the precompile verified.
//!
//! Data layout: `num_signatures: u8`, `padding: u8`, then `num_signatures` entries of seven
//! little-endian `u16`s: signature_offset, signature_instruction_index, public_key_offset,
//! public_key_instruction_index, message_data_offset, message_data_size, message_instruction_index.

use pinocchio::Address;

/// `Ed25519SigVerify111111111111111111111111111`.
pub const ED25519_PROGRAM_ID: Address =
    Address::from_str_const("Ed25519SigVerify111111111111111111111111111");

pub const HEADER_LEN: usize = 2;
pub const OFFSETS_LEN: usize = 14;
pub const SIGNATURE_LEN: usize = 64;
pub const PUBKEY_LEN: usize = 32;
/// The index value that means "the Ed25519 instruction itself".
pub const THIS_INSTRUCTION: u16 = u16::MAX;

/// Why an entry was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ed25519Error {
    /// The data is shorter than its header or than its offsets table, or the entry does not exist.
    Malformed,
    /// An instruction-index field designates another instruction.
    Redirected,
    /// A signature, public key or message range runs past the end of the data.
    OutOfBounds,
    /// The message does not have the length the caller requires.
    MessageLength,
}

/// Number of signatures the instruction declares; fails if its offsets table is truncated.
#[inline(always)]
pub fn signature_count(data: &[u8]) -> Result<usize, Ed25519Error> {
    let count = *data.first().ok_or(Ed25519Error::Malformed)? as usize;
    if data.len() < HEADER_LEN + count * OFFSETS_LEN {
        return Err(Ed25519Error::Malformed);
    }
    Ok(count)
}

#[inline(always)]
fn u16_at(data: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([data[at], data[at + 1]])
}

#[inline(always)]
fn range(data: &[u8], offset: u16, len: usize) -> Result<&[u8], Ed25519Error> {
    let start = offset as usize;
    data.get(start..start + len)
        .ok_or(Ed25519Error::OutOfBounds)
}

/// The public key and message of signature `index` of the Ed25519 instruction `data`, which sits at
/// position `own_index` in the transaction; the message must be `message_len` bytes long.
#[inline(always)]
pub fn signature(
    data: &[u8],
    own_index: u16,
    index: usize,
    message_len: usize,
) -> Result<(&[u8; PUBKEY_LEN], &[u8]), Ed25519Error> {
    if index >= signature_count(data)? {
        return Err(Ed25519Error::Malformed);
    }
    let at = HEADER_LEN + index * OFFSETS_LEN;
    let field = |i: usize| u16_at(data, at + 2 * i);
    let own = |ix: u16| ix == THIS_INSTRUCTION || ix == own_index;
    if !(own(field(1)) && own(field(3)) && own(field(6))) {
        return Err(Ed25519Error::Redirected);
    }
    range(data, field(0), SIGNATURE_LEN)?;
    let pubkey = range(data, field(2), PUBKEY_LEN)?;
    let size = field(5) as usize;
    if size != message_len {
        return Err(Ed25519Error::MessageLength);
    }
    let message = range(data, field(4), size)?;
    // SAFETY: `pubkey` has exactly PUBKEY_LEN bytes; `[u8; N]` has alignment 1.
    let pubkey = unsafe { &*(pubkey.as_ptr() as *const [u8; PUBKEY_LEN]) };
    Ok((pubkey, message))
}

/// Whether `key` decompresses to a point of the Ed25519 curve (its y coordinate, reduced mod p,
/// has a matching x). Says nothing about canonicity or the point's order.
///
/// On chain this is the `sol_curve_validate_point` syscall (curve id 0, Edwards; 159 CU), which
/// runs curve25519-dalek's decompression; on the host the same decompression in software.
#[inline(always)]
pub fn is_curve_point(key: &[u8; PUBKEY_LEN]) -> bool {
    #[cfg(any(target_os = "solana", target_arch = "bpf"))]
    {
        /// `CURVE25519_EDWARDS` of the curve syscalls.
        const EDWARDS: u64 = 0;
        // SAFETY: the syscall reads 32 bytes at `key` and writes nothing for validation; it
        // returns 0 when the bytes decompress.
        let result = unsafe {
            pinocchio::syscalls::sol_curve_validate_point(
                EDWARDS,
                key.as_ptr(),
                core::ptr::null_mut(),
            )
        };
        result == 0
    }
    #[cfg(not(any(target_os = "solana", target_arch = "bpf")))]
    {
        solana_address::bytes_are_curve_point(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::{vec, vec::Vec};

    /// One-signature instruction data laid out as the SDK builds it: header, offsets, then
    /// public key, signature and message.
    fn single(indexes: [u16; 3], message: &[u8]) -> Vec<u8> {
        let pk_off = (HEADER_LEN + OFFSETS_LEN) as u16;
        let sig_off = pk_off + 32;
        let msg_off = sig_off + 64;
        let mut data = vec![1u8, 0];
        for v in [
            sig_off,
            indexes[0],
            pk_off,
            indexes[1],
            msg_off,
            message.len() as u16,
            indexes[2],
        ] {
            data.extend_from_slice(&v.to_le_bytes());
        }
        data.extend_from_slice(&[7u8; 32]);
        data.extend_from_slice(&[9u8; 64]);
        data.extend_from_slice(message);
        data
    }

    #[test]
    fn reads_key_and_message_from_its_own_data() {
        let data = single([THIS_INSTRUCTION; 3], &[5u8; 32]);
        let (pk, msg) = signature(&data, 1, 0, 32).unwrap();
        assert_eq!(pk, &[7u8; 32]);
        assert_eq!(msg, &[5u8; 32]);
        // Its own explicit index is as good as u16::MAX.
        let data = single([3, 3, THIS_INSTRUCTION], &[5u8; 32]);
        assert!(signature(&data, 3, 0, 32).is_ok());
    }

    #[test]
    fn each_index_field_must_designate_itself() {
        for field in 0..3 {
            let mut indexes = [THIS_INSTRUCTION; 3];
            indexes[field] = 0;
            let data = single(indexes, &[5u8; 32]);
            assert_eq!(signature(&data, 1, 0, 32), Err(Ed25519Error::Redirected));
        }
    }

    #[test]
    fn bounds_and_lengths() {
        let data = single([THIS_INSTRUCTION; 3], &[5u8; 32]);
        assert_eq!(
            signature(&data[..data.len() - 1], 1, 0, 32),
            Err(Ed25519Error::OutOfBounds)
        );
        assert_eq!(signature(&data, 1, 0, 31), Err(Ed25519Error::MessageLength));
        assert_eq!(signature(&data, 1, 1, 32), Err(Ed25519Error::Malformed));
        assert_eq!(
            signature(&data[..10], 1, 0, 32),
            Err(Ed25519Error::Malformed)
        );
        assert_eq!(signature(&[], 1, 0, 32), Err(Ed25519Error::Malformed));
        let mut far = data.clone();
        far[HEADER_LEN + 4..HEADER_LEN + 6].copy_from_slice(&u16::MAX.to_le_bytes()); // pubkey offset
        assert_eq!(signature(&far, 1, 0, 32), Err(Ed25519Error::OutOfBounds));
    }

    #[test]
    fn curve_points() {
        // The Ed25519 base point decompresses; y = 2 has no x (2^2 - 1 over 4d + 1 is no square).
        let mut base = [0x66u8; PUBKEY_LEN];
        base[0] = 0x58;
        assert!(is_curve_point(&base));
        let mut two = [0u8; PUBKEY_LEN];
        two[0] = 2;
        assert!(!is_curve_point(&two));
    }

    #[test]
    fn program_id_decodes() {
        assert_eq!(ED25519_PROGRAM_ID.as_ref()[0], 3);
    }
}

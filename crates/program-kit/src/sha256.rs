//! SHA-256 of a list of byte slices: the `sol_sha256` syscall on chain, the same digest computed in
//! software on the host (so that code using it is host-testable).

/// Length of a SHA-256 digest.
pub const HASH_LEN: usize = 32;

/// `sha256(slices[0] || slices[1] || ...)`.
#[inline(always)]
pub fn hashv(slices: &[&[u8]]) -> [u8; HASH_LEN] {
    #[cfg(any(target_os = "solana", target_arch = "bpf"))]
    {
        let mut out = [0u8; HASH_LEN];
        // SAFETY: `&[u8]` has the (pointer, length) layout the syscall reads; it writes 32 bytes.
        unsafe {
            pinocchio::syscalls::sol_sha256(
                slices.as_ptr() as *const u8,
                slices.len() as u64,
                out.as_mut_ptr(),
            );
        }
        out
    }
    #[cfg(not(any(target_os = "solana", target_arch = "bpf")))]
    {
        let mut hasher = sha2_const_stable::Sha256::new();
        for slice in slices {
            hasher = hasher.update(slice);
        }
        hasher.finalize()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_reference_digest() {
        // sha256(b"abc"), FIPS 180-2 appendix B.1.
        let expected = [
            0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae,
            0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61,
            0xf2, 0x00, 0x15, 0xad,
        ];
        assert_eq!(hashv(&[b"abc"]), expected);
        assert_eq!(hashv(&[b"a", b"", b"bc"]), expected);
    }
}

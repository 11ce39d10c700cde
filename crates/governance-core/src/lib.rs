//! SolGrid's governance core: the rules of the `governance` program (and the parts of `registry` and
//! `trading` that share them) in plain Rust with no Solana types, tested on the host
//! (`cargo test -p solgrid-governance-core`), including a property test over random sequences.
//!
//! - [`pause`]: the emergency pause flags (`READINGS`, `MINTING`, `TRADING`) and their checks.
//! - [`proposal`]: proposals approved by M of N regulators across transactions: votes counted
//!   against the registry's *current* regulator set and threshold, quorum time, timelock, expiry,
//!   execution and cancellation rules.
//! - [`certificate`]: renewable-energy certificates: the status state machine, the generation
//!   interval and volume a meter's counters allow, splits that conserve volume and CO2, and the
//!   carbon arithmetic.
//! - [`upgrade`]: which upgradeable-loader instructions a proposal may carry (the upgrade authority
//!   of SolGrid's own programs, and nothing else).
//!
//! Addresses are `[u8; 32]` ([`Key`]). Functions that read lists of addresses accept any
//! `K: AsRef<[u8]>`, so that a program passes its own 32-byte address type (pinocchio's `Address`)
//! without copying; keys are compared word by word ([`key_eq`]), never through `memcmp`.
//!
//! The crate is `no_std`, uses no heap and no floating point; arithmetic is checked (an overflow is
//! an error, never a wrap or a panic) and nothing on a program's path panics.
//!
//! # Errors
//! Each area has one error enum: [`PauseError`], [`ProposalError`], [`CertificateError`] (in
//! `error`) and [`UpgradeError`] (in [`upgrade`]). Their variants are stable: new ones are only
//! appended, none is renamed, reordered or removed. A program maps every variant to an error code
//! of its own IDL with an exhaustive `match` (no wildcard arm), so that a variant added here fails
//! to compile there until it has a code; the mapping is part of the program's interface and never
//! changes once released.
#![no_std]

#[cfg(test)]
extern crate std;

pub mod certificate;
pub mod error;
pub mod pause;
pub mod proposal;
pub mod upgrade;

pub use error::{CertificateError, PauseError, ProposalError};
pub use upgrade::UpgradeError;

/// A 32-byte address (an Ed25519 public key or a program-derived address).
pub type Key = [u8; 32];

/// The all-zero address (no address).
pub const ZERO_KEY: Key = [0; 32];

/// Most bytes of a text field (a revocation reason, a beneficiary's name, a retirement's purpose).
pub const MAX_TEXT_LEN: usize = 64;

/// Whether two keys are equal, compared as 64-bit words (on the BPF target a byte-slice `==` is a
/// `memcmp` call). Slices of different lengths are never equal.
#[inline(always)]
pub fn key_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    if let (Ok(a), Ok(b)) = (<&[u8; 32]>::try_from(a), <&[u8; 32]>::try_from(b)) {
        return key32_eq(a, b);
    }
    let (words_a, words_b) = (a.chunks_exact(8), b.chunks_exact(8));
    if words_a.remainder() != words_b.remainder() {
        return false;
    }
    words_a.zip(words_b).all(|(x, y)| word(x) == word(y))
}

/// Four unaligned 64-bit loads per key (as `solana-address`'s `address_eq`): about 10 CU on the
/// BPF target, where the generic path costs about 42 per comparison and votes are counted as
/// approvals x regulators comparisons.
#[inline(always)]
fn key32_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    #[inline(always)]
    fn w(k: &[u8; 32], i: usize) -> u64 {
        debug_assert!(i < 4);
        // SAFETY: `i < 4`, so the 8 bytes at `8 * i` lie inside the 32-byte array; the read is
        // unaligned on purpose.
        unsafe { core::ptr::read_unaligned(k.as_ptr().add(8 * i) as *const u64) }
    }
    w(a, 0) == w(b, 0) && w(a, 1) == w(b, 1) && w(a, 2) == w(b, 2) && w(a, 3) == w(b, 3)
}

#[inline(always)]
fn word(bytes: &[u8]) -> Option<u64> {
    <[u8; 8]>::try_from(bytes).ok().map(u64::from_ne_bytes)
}

/// Whether `key` is one of `keys`.
#[inline(always)]
pub fn contains<K: AsRef<[u8]>>(keys: &[K], key: &[u8]) -> bool {
    keys.iter().any(|k| key_eq(k.as_ref(), key))
}

/// Whether `key` is all zero.
#[inline(always)]
pub fn is_zero(key: &[u8]) -> bool {
    key_eq(key, &ZERO_KEY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_eq_compares_every_byte() {
        let a = [7u8; 32];
        assert!(key_eq(&a, &a));
        for i in 0..32 {
            let mut b = a;
            b[i] ^= 1;
            assert!(!key_eq(&a, &b), "byte {i}");
        }
        assert!(!key_eq(&a, &a[..31]));
        assert!(key_eq(&a[..5], &a[..5]));
        assert!(!key_eq(&[1, 2, 3], &[1, 2, 4]));
        assert!(is_zero(&ZERO_KEY));
        assert!(!is_zero(&a));
        assert!(contains(&[[1u8; 32], a], &a));
        assert!(!contains(&[[1u8; 32]], &a));
    }
}

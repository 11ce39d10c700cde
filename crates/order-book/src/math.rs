//! Integer arithmetic of amounts and fees, overflow-checked without 128-bit multiplication (which
//! the BPF target emulates at a high compute cost).

use crate::error::BookError;

/// Basis points in one.
pub const BPS: u64 = 10_000;

/// `a * b`, or `Overflow`.
///
/// Amounts are usually far below 2^32 on both sides, where the product cannot overflow and a plain
/// multiplication is exact. Only larger factors pay for the full check: the BPF target has no
/// high-product instruction, so LLVM's overflow check (into which it also turns `b > MAX / a`) is a
/// software 64x64 multiplication of some 30 instructions.
#[inline(always)]
pub fn mul(a: u64, b: u64) -> Result<u64, BookError> {
    if (a | b) >> 32 == 0 {
        return Ok(a.wrapping_mul(b));
    }
    a.checked_mul(b).ok_or(BookError::Overflow)
}

/// `a + b`, or `Overflow`.
#[inline(always)]
pub fn add(a: u64, b: u64) -> Result<u64, BookError> {
    a.checked_add(b).ok_or(BookError::Overflow)
}

/// `a - b` where `b <= a` is an invariant of the book (locked balances cover their orders); a
/// violation is reported as `Overflow` rather than wrapping.
#[inline(always)]
pub fn sub(a: u64, b: u64) -> Result<u64, BookError> {
    a.checked_sub(b).ok_or(BookError::Overflow)
}

/// `a - b` of a balance the trader spends: `InsufficientFunds` when it does not cover `b`.
#[inline(always)]
pub fn spend(a: u64, b: u64) -> Result<u64, BookError> {
    a.checked_sub(b).ok_or(BookError::InsufficientFunds)
}

/// The fee on `amount` at `bps` basis points, rounded up (the market never gives away a fraction):
/// `ceil(amount * bps / 10_000)`, exact for every u64 `amount` and `bps <= 10_000`.
///
/// Split as `amount = q * 10_000 + r` so that no product exceeds 64 bits.
#[inline(always)]
pub fn fee(amount: u64, bps: u16) -> u64 {
    if bps == 0 {
        return 0; // a fee-free side (makers by default) skips the arithmetic
    }
    let bps = bps as u64;
    let q = amount / BPS;
    let r = amount % BPS;
    // With `bps <= BPS`, `q * bps <= amount` fits (a plain multiplication, see `mul`); a larger
    // rate keeps the overflow check.
    let whole = if bps <= BPS {
        q.wrapping_mul(bps)
    } else {
        q * bps
    };
    whole + (r * bps).div_ceil(BPS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(amount: u64, bps: u16) -> u64 {
        ((amount as u128 * bps as u128).div_ceil(BPS as u128)) as u64
    }

    #[test]
    fn fee_rounds_up_and_matches_wide_arithmetic() {
        assert_eq!(fee(0, 25), 0);
        assert_eq!(fee(1, 25), 1);
        assert_eq!(fee(400, 25), 1);
        assert_eq!(fee(401, 25), 2);
        assert_eq!(fee(10_000, 25), 25);
        assert_eq!(fee(12_345, 0), 0);
        for amount in [
            u64::MAX,
            u64::MAX - 1,
            1 << 63,
            9_999,
            10_001,
            123_456_789_012,
        ] {
            for bps in [0u16, 1, 25, 999, 1_000, 9_999, 10_000] {
                assert_eq!(fee(amount, bps), reference(amount, bps), "{amount} {bps}");
                assert!(fee(amount, bps) <= amount);
            }
        }
    }

    #[test]
    fn checked_helpers() {
        assert_eq!(mul(u64::MAX, 1), Ok(u64::MAX));
        assert_eq!(mul(u64::MAX, 2), Err(BookError::Overflow));
        assert_eq!(mul(0, u64::MAX), Ok(0));
        assert_eq!(mul(1 << 32, 1 << 32), Err(BookError::Overflow));
        assert_eq!(mul((1 << 32) - 1, 1 << 32), Ok(((1u64 << 32) - 1) << 32));
        assert_eq!(add(u64::MAX, 1), Err(BookError::Overflow));
        assert_eq!(spend(1, 2), Err(BookError::InsufficientFunds));
        assert_eq!(sub(1, 2), Err(BookError::Overflow));
    }
}

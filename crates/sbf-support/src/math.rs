//! 128-bit unsigned division with 64-bit operations only.
//!
//! The upstream BPF backend lowers `udiv`/`urem i128` to `__udivti3`/`__umodti3` calls that it then
//! refuses to emit. The pipeline's IR rewrite (`lower_i128_divrem` in `solgrid.build.ir`) replaces
//! every such instruction with a call of [`sbf_udivmod128`]. This file must therefore not contain a
//! 128-bit `/`, `%` or `*` itself: everything works on `u64` halves, and `u128` appears only in the
//! host tests, as the reference. (A `mul i128` that LLVM re-forms from [`mul_64x64`] is harmless:
//! the pipeline expands those into 64-bit multiplies.)
//!
//! Division by zero panics, like Rust's own `/`. The rewrite only calls the helper where rustc has
//! already checked the divisor, so on chain this cannot happen from safe code.

/// Full product of two `u64`: `(low, high)` halves of the 128-bit result.
#[inline]
pub fn mul_64x64(a: u64, b: u64) -> (u64, u64) {
    const LOW32: u64 = 0xffff_ffff;
    let (a0, a1) = (a & LOW32, a >> 32);
    let (b0, b1) = (b & LOW32, b >> 32);
    let (p00, p01, p10, p11) = (a0 * b0, a0 * b1, a1 * b0, a1 * b1);
    // Bits 32..63: the carry of p00 plus the low halves of the cross products, below 3 * 2^32.
    let middle = (p00 >> 32) + (p01 & LOW32) + (p10 & LOW32);
    let high = p11 + (p01 >> 32) + (p10 >> 32) + (middle >> 32);
    (a.wrapping_mul(b), high)
}

/// `(high:low) / divisor` for `high < divisor`, so that the quotient fits in 64 bits.
/// Returns `(quotient, remainder)`.
///
/// Knuth's algorithm D with 32-bit digits: the divisor is normalised (shifted until its top bit is
/// set), then each of the two quotient digits is estimated from the top two numerator digits and
/// the divisor's top digit, which overestimates by at most 2, and corrected with the next digit.
pub(crate) fn div_128_by_64(high: u64, low: u64, divisor: u64) -> (u64, u64) {
    debug_assert!(high < divisor);
    let shift = divisor.leading_zeros();
    let divisor = divisor << shift;
    let numerator_high = if shift == 0 { high } else { (high << shift) | (low >> (64 - shift)) };
    let numerator_low = low << shift;
    let (q1, partial) = quotient_digit(numerator_high, numerator_low >> 32, divisor);
    let (q0, remainder) = quotient_digit(partial, numerator_low & 0xffff_ffff, divisor);
    ((q1 << 32) | q0, remainder >> shift)
}

/// One step of algorithm D: the 32-bit quotient digit of `(top · 2^32 + next) / divisor` and the
/// remainder, for a normalised `divisor` and `top < divisor` (which keeps the digit below 2^32).
fn quotient_digit(top: u64, next: u64, divisor: u64) -> (u64, u64) {
    const BASE: u64 = 1 << 32;
    let (d1, d0) = (divisor >> 32, divisor & (BASE - 1));
    let mut digit = top / d1;
    let mut rest = top % d1;
    // `digit * d0` is only evaluated once `digit < BASE`, and `rest < BASE` there, so neither side
    // of the comparison overflows.
    while digit >= BASE || digit * d0 > (rest << 32 | next) {
        digit -= 1;
        rest += d1;
        if rest >= BASE {
            break;
        }
    }
    // The true remainder is below `divisor`, so computing it modulo 2^64 is exact.
    let remainder = (top << 32 | next).wrapping_sub(digit.wrapping_mul(divisor));
    (digit, remainder)
}

/// `n / d` and `n % d` for 128-bit `n = n_hi:n_lo` and `d = d_hi:d_lo`, as `[q_lo, q_hi, r_lo, r_hi]`.
///
/// # Panics
/// If `d` is zero.
pub fn udivmod128(n_lo: u64, n_hi: u64, d_lo: u64, d_hi: u64) -> [u64; 4] {
    if d_hi == 0 {
        if d_lo == 0 {
            panic!("attempt to divide by zero");
        }
        // Long division by a single 64-bit digit.
        let (q_hi, r_hi) = (n_hi / d_lo, n_hi % d_lo);
        let (q_lo, r) = div_128_by_64(r_hi, n_lo, d_lo);
        return [q_lo, q_hi, r, 0];
    }
    if n_hi < d_hi || (n_hi == d_hi && n_lo < d_lo) {
        return [0, 0, n_lo, n_hi];
    }
    // d >= 2^64, so the quotient fits in 64 bits. Estimate it from the divisor's top 64 bits
    // (Hacker's Delight 9-5): with s = leading zeros of d_hi and v = (d << s) >> 64, the estimate
    // (n >> 1) / v >> (63 - s) is the quotient or one more. Halving n keeps the 128-by-64 division
    // in range (its high word is below 2^63 <= v).
    let shift = d_hi.leading_zeros();
    let top = if shift == 0 { d_hi } else { (d_hi << shift) | (d_lo >> (64 - shift)) };
    let (half_lo, half_hi) = ((n_hi << 63) | (n_lo >> 1), n_hi >> 1);
    let (estimate, _) = div_128_by_64(half_hi, half_lo, top);
    let mut q = estimate >> (63 - shift);
    q = q.saturating_sub(1); // now the quotient or one less
    // r = n - q·d, which is non-negative and below 2·d.
    let (product_lo, carry) = mul_64x64(q, d_lo);
    let product_hi = carry + q * d_hi;
    let (mut r_lo, borrow) = n_lo.overflowing_sub(product_lo);
    let mut r_hi = n_hi - product_hi - borrow as u64;
    if r_hi > d_hi || (r_hi == d_hi && r_lo >= d_lo) {
        q += 1;
        let (lo, borrow) = r_lo.overflowing_sub(d_lo);
        r_hi = r_hi - d_hi - borrow as u64;
        r_lo = lo;
    }
    [q, 0, r_lo, r_hi]
}

/// The target of the IR rewrite of `udiv`/`urem i128`: writes `[q_lo, q_hi, r_lo, r_hi]` to `out`.
///
/// # Safety
/// `out` must be valid for writing 32 bytes, 8-aligned (the rewrite passes an entry-block
/// `alloca [4 x i64], align 8`).
#[cfg(all(
    target_arch = "bpf",
    any(not(target_os = "solana"), feature = "solana-os")
))]
#[no_mangle]
pub unsafe extern "C" fn sbf_udivmod128(n_lo: u64, n_hi: u64, d_lo: u64, d_hi: u64, out: *mut [u64; 4]) {
    // SAFETY: guaranteed by the caller (see above).
    unsafe { out.write(udivmod128(n_lo, n_hi, d_lo, d_hi)) }
}

#[cfg(test)]
mod tests {
    use super::{div_128_by_64, mul_64x64, udivmod128};

    fn split(x: u128) -> (u64, u64) {
        (x as u64, (x >> 64) as u64)
    }

    fn check(n: u128, d: u128) {
        let (n_lo, n_hi) = split(n);
        let (d_lo, d_hi) = split(d);
        let [q_lo, q_hi, r_lo, r_hi] = udivmod128(n_lo, n_hi, d_lo, d_hi);
        let q = (q_hi as u128) << 64 | q_lo as u128;
        let r = (r_hi as u128) << 64 | r_lo as u128;
        assert_eq!((q, r), (n / d, n % d), "{n:#x} / {d:#x}");
    }

    /// SplitMix64: a tiny deterministic generator, so failures reproduce.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }

        fn wide(&mut self) -> u128 {
            (self.next() as u128) << 64 | self.next() as u128
        }

        /// A value of a random bit length, so that small, medium and huge operands are all common.
        fn sized(&mut self) -> u128 {
            let bits = self.next() % 129;
            let value = self.wide();
            if bits == 0 {
                0
            } else {
                (value >> (128 - bits)) | 1u128 << (bits - 1)
            }
        }
    }

    fn edge_values() -> impl Iterator<Item = u128> {
        let fixed = [
            0,
            1,
            2,
            3,
            u64::MAX as u128 - 1,
            u64::MAX as u128,
            1 << 64,
            (1 << 64) + 1,
            u128::MAX,
            u128::MAX - 1,
            u128::MAX >> 1,
            1 << 127,
            // divisor top digits around 2^32 and 2^31 (the quotient-digit correction paths)
            0xffff_ffff << 64,
            0x1_0000_0000 << 64,
            (0x8000_0000 << 64) | 0xffff_ffff_ffff_ffff,
            (0x7fff_ffff << 64) | 1,
            0x8000_0000_0000_0000,
            0x8000_0000_ffff_ffff,
            0xffff_ffff_0000_0000,
            0x0000_0001_ffff_ffff,
        ];
        let powers = (0..128).flat_map(|k| {
            let p = 1u128 << k;
            [p - 1, p, p + 1]
        });
        fixed.into_iter().chain(powers)
    }

    #[test]
    fn edge_cases_match_native_division() {
        for n in edge_values() {
            for d in edge_values().filter(|&d| d != 0) {
                check(n, d);
            }
        }
    }

    #[test]
    fn random_cases_match_native_division() {
        // Release builds (`cargo test --release`) run more cases in the same time.
        let cases = if cfg!(debug_assertions) { 1_000_000 } else { 5_000_000 };
        let mut rng = Rng(0x5eed_0001);
        for _ in 0..cases {
            let n = rng.sized();
            let d = rng.sized();
            if d != 0 {
                check(n, d);
            }
        }
    }

    #[test]
    fn exact_multiples_and_maximal_remainders() {
        // n = q·d + r with r = 0 or d - 1: the boundaries of the final correction step.
        let mut rng = Rng(0x5eed_0002);
        for _ in 0..200_000 {
            let d = rng.sized().max(1);
            // q below 2^(128 - bits of d), so that q·d fits
            let q = rng.sized().checked_shr(128 - d.leading_zeros()).unwrap_or(0);
            for r in [0, d - 1] {
                if let Some(n) = q.checked_mul(d).and_then(|p| p.checked_add(r)) {
                    check(n, d);
                }
            }
        }
    }

    #[test]
    fn two_by_one_division_on_extreme_digits() {
        // All combinations of extreme 32-bit digits: where the quotient-digit estimate is 1 or 2
        // too large and the correction loop's early exit matters.
        const DIGITS: [u64; 8] = [0, 1, 2, 0x7fff_ffff, 0x8000_0000, 0x8000_0001, 0xffff_fffe, 0xffff_ffff];
        let word = |hi: u64, lo: u64| hi << 32 | lo;
        for &d1 in &DIGITS {
            for &d0 in &DIGITS {
                let divisor = word(d1, d0);
                for &n3 in &DIGITS {
                    for &n2 in &DIGITS {
                        let high = word(n3, n2);
                        if divisor == 0 || high >= divisor {
                            continue;
                        }
                        for &n1 in &DIGITS {
                            for &n0 in &DIGITS {
                                let low = word(n1, n0);
                                let n = (high as u128) << 64 | low as u128;
                                let expected = ((n / divisor as u128) as u64, (n % divisor as u128) as u64);
                                assert_eq!(div_128_by_64(high, low, divisor), expected, "{n:#x} / {divisor:#x}");
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn wide_product_matches_native() {
        let mut rng = Rng(0x5eed_0003);
        for _ in 0..200_000 {
            let (a, b) = (rng.next(), rng.next());
            let (lo, hi) = mul_64x64(a, b);
            assert_eq!((hi as u128) << 64 | lo as u128, a as u128 * b as u128);
        }
        assert_eq!(mul_64x64(u64::MAX, u64::MAX), (1, u64::MAX - 1));
    }

    #[test]
    #[should_panic(expected = "divide by zero")]
    fn zero_divisor_panics() {
        udivmod128(1, 2, 0, 0);
    }
}

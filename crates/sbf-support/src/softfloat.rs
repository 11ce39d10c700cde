//! IEEE-754 binary64 (and binary32) arithmetic with integer operations only.
//!
//! The BPF target has no floating-point instructions, and llc 22 refuses the compiler-rt calls
//! (`__muldf3`, ...) it would lower them to. The pipeline's IR rewrite (`solgrid.build.ir_float`)
//! therefore turns every float operation into a `bitcast` to an integer, a call of one of the
//! `sbf_f64_*`/`sbf_f32_*` symbols below, and a `bitcast` back. Values travel as their bit patterns;
//! every parameter and result is 64 bits wide (a `float` is zero-extended), so no argument extension
//! attribute can differ between the rewrite's declarations and these definitions.
//!
//! Results are those of IEEE-754 in round-to-nearest-even, with subnormals and infinities; a NaN
//! result is always the quiet NaN [`F64_QNAN`] / [`F32_QNAN`] (Rust and LLVM allow any NaN). Binary32
//! `+ - * /` are done by the rewrite in binary64 and rounded once to binary32, which is exact for
//! these operations (53 >= 2 * 24 + 2); only conversions need their own binary32 rounding.
//!
//! No `f32`/`f64` appears outside the host tests, where the hardware is the reference.

/// The quiet NaN every binary64 operation returns for a NaN result.
pub const F64_QNAN: u64 = 0x7ff8_0000_0000_0000;
/// The quiet NaN of binary32 (as returned by [`sbf_f64_to_f32`]).
pub const F32_QNAN: u64 = 0x7fc0_0000;

const F64_SIGN: u64 = 1 << 63;
const F64_FRAC_BITS: u32 = 52;
const F64_FRAC_MASK: u64 = (1 << F64_FRAC_BITS) - 1;
const F64_EXP_MAX: u64 = 0x7ff;
const F64_INF: u64 = F64_EXP_MAX << F64_FRAC_BITS;
const F64_BIAS: i32 = 1023;

/// Relation codes returned by [`sbf_f64_cmp`].
pub const LESS: u64 = 0;
pub const EQUAL: u64 = 1;
pub const GREATER: u64 = 2;
pub const UNORDERED: u64 = 3;

/// A binary format for [`round_pack`]: fraction width, largest (infinite) exponent field, position
/// of the sign bit, exponent bias.
struct Format {
    frac_bits: u32,
    exp_max: i32,
    sign_bit: u32,
    bias: i32,
}

const BINARY64: Format = Format {
    frac_bits: 52,
    exp_max: 0x7ff,
    sign_bit: 63,
    bias: 1023,
};
const BINARY32: Format = Format {
    frac_bits: 23,
    exp_max: 0xff,
    sign_bit: 31,
    bias: 127,
};
/// Exponent bias of binary64 minus that of binary32.
const BIAS_DIFFERENCE: i32 = 1023 - 127;

/// `x >> n`, with a 1 in bit 0 if any bit shifted out was set ("jamming"): keeps the information
/// that the value is slightly above the truncated one, which is all rounding needs.
fn shift_right_jam(x: u64, n: u32) -> u64 {
    if n == 0 {
        x
    } else if n >= 64 {
        u64::from(x != 0)
    } else {
        (x >> n) | ((x << (64 - n)) != 0) as u64
    }
}

/// Round and pack `(-1)^sign · sig · 2^(exp - bias - 62)`, where `sig` has its leading one in bit
/// 62 (the bits below the fraction are guard bits, bit 0 jammed), `exp` is the biased exponent of
/// that leading one, and `sign` is 0 or 1. Handles overflow to infinity and gradual underflow.
fn round_pack(format: &Format, sign: u64, exp: i32, sig: u64) -> u64 {
    let sign = sign << format.sign_bit;
    if exp >= format.exp_max {
        return sign | (format.exp_max as u64) << format.frac_bits;
    }
    let (exp, sig) = if exp <= 0 {
        // Subnormal: the value is sig' · 2^(1 - bias - frac_bits) with no implicit one. Shifting
        // to exponent 1 and packing without the implicit bit gives exponent field 0.
        (1, shift_right_jam(sig, (1 - exp) as u32))
    } else {
        (exp, sig)
    };
    let guard_bits = 62 - format.frac_bits;
    let half = 1u64 << (guard_bits - 1);
    let rest = sig & ((half << 1) - 1);
    let mut mantissa = sig >> guard_bits;
    if rest > half || (rest == half && mantissa & 1 == 1) {
        mantissa += 1;
    }
    // `mantissa` includes the implicit one (bit frac_bits) for normal values, so adding it to
    // (exp - 1) << frac_bits gives the right exponent field, also when rounding carries into the
    // next binade (possibly infinity) or a subnormal rounds up to the smallest normal.
    sign | ((((exp - 1) as u64) << format.frac_bits) + mantissa)
}

fn f64_is_nan(x: u64) -> bool {
    x & !F64_SIGN > F64_INF
}

fn f64_is_inf(x: u64) -> bool {
    x & !F64_SIGN == F64_INF
}

fn f64_is_zero(x: u64) -> bool {
    x & !F64_SIGN == 0
}

fn f64_sign(x: u64) -> u64 {
    x >> 63
}

/// `(biased exponent, significand with its leading one in bit 62)` of a finite non-zero binary64.
fn f64_normalize(x: u64) -> (i32, u64) {
    let exp = ((x >> F64_FRAC_BITS) & F64_EXP_MAX) as i32;
    let frac = x & F64_FRAC_MASK;
    if exp == 0 {
        // Subnormal: frac · 2^(1 - bias - 52). frac < 2^52, so the shift is at least 11.
        let shift = frac.leading_zeros() - 1;
        (1 - (shift as i32 - 10), frac << shift)
    } else {
        (exp, ((1 << F64_FRAC_BITS) | frac) << 10)
    }
}

/// `a + b` in binary64.
#[no_mangle]
pub extern "C" fn sbf_f64_add(a: u64, b: u64) -> u64 {
    if f64_is_nan(a) || f64_is_nan(b) {
        return F64_QNAN;
    }
    if f64_is_inf(a) {
        return if f64_is_inf(b) && a != b { F64_QNAN } else { a };
    }
    if f64_is_inf(b) {
        return b;
    }
    if f64_is_zero(a) {
        // +0 + -0 = +0 in round-to-nearest; -0 + -0 = -0.
        return if f64_is_zero(b) { a & b } else { b };
    }
    if f64_is_zero(b) {
        return a;
    }
    // Order by magnitude: |a| >= |b| (for finite values the bit patterns order like magnitudes).
    let (a, b) = if a & !F64_SIGN >= b & !F64_SIGN {
        (a, b)
    } else {
        (b, a)
    };
    let (exp_a, sig_a) = f64_normalize(a);
    let (exp_b, sig_b) = f64_normalize(b);
    // exp_a >= exp_b; bits of b shifted out are jammed into bit 0.
    let sig_b = shift_right_jam(sig_b, (exp_a - exp_b) as u32);
    let sign = f64_sign(a);
    if f64_sign(a) == f64_sign(b) {
        // Both below 2^63, so the sum fits in 64 bits.
        let sum = sig_a + sig_b;
        if sum >> 63 != 0 {
            return round_pack(&BINARY64, sign, exp_a + 1, shift_right_jam(sum, 1));
        }
        return round_pack(&BINARY64, sign, exp_a, sum);
    }
    let difference = sig_a - sig_b;
    if difference == 0 {
        return 0; // x - x = +0 in round-to-nearest
    }
    let shift = difference.leading_zeros() - 1;
    round_pack(&BINARY64, sign, exp_a - shift as i32, difference << shift)
}

/// `a - b` in binary64.
#[no_mangle]
pub extern "C" fn sbf_f64_sub(a: u64, b: u64) -> u64 {
    sbf_f64_add(a, b ^ F64_SIGN)
}

/// `a * b` in binary64.
#[no_mangle]
pub extern "C" fn sbf_f64_mul(a: u64, b: u64) -> u64 {
    if f64_is_nan(a) || f64_is_nan(b) {
        return F64_QNAN;
    }
    let sign = f64_sign(a ^ b);
    if f64_is_inf(a) || f64_is_inf(b) {
        if f64_is_zero(a) || f64_is_zero(b) {
            return F64_QNAN;
        }
        return sign << 63 | F64_INF;
    }
    if f64_is_zero(a) || f64_is_zero(b) {
        return sign << 63;
    }
    let (exp_a, sig_a) = f64_normalize(a);
    let (exp_b, sig_b) = f64_normalize(b);
    // (sig_a << 1) · sig_b is in [2^125, 2^127): its high word is in [2^61, 2^63).
    let (low, high) = crate::math::mul_64x64(sig_a << 1, sig_b);
    if high >> 62 != 0 {
        round_pack(
            &BINARY64,
            sign,
            exp_a + exp_b - 1022,
            high | u64::from(low != 0),
        )
    } else {
        let sig = high << 1 | low >> 63;
        round_pack(
            &BINARY64,
            sign,
            exp_a + exp_b - 1023,
            sig | u64::from(low << 1 != 0),
        )
    }
}

/// `a / b` in binary64.
#[no_mangle]
pub extern "C" fn sbf_f64_div(a: u64, b: u64) -> u64 {
    if f64_is_nan(a) || f64_is_nan(b) {
        return F64_QNAN;
    }
    let sign = f64_sign(a ^ b);
    if f64_is_inf(a) {
        return if f64_is_inf(b) {
            F64_QNAN
        } else {
            sign << 63 | F64_INF
        };
    }
    if f64_is_inf(b) {
        return sign << 63;
    }
    if f64_is_zero(b) {
        return if f64_is_zero(a) {
            F64_QNAN
        } else {
            sign << 63 | F64_INF
        };
    }
    if f64_is_zero(a) {
        return sign << 63;
    }
    let (exp_a, sig_a) = f64_normalize(a);
    let (exp_b, sig_b) = f64_normalize(b);
    // With n in [d, 2d), (n · 2^62) / d is in [2^62, 2^63): 62 quotient bits below the leading one.
    let (n, exp) = if sig_a < sig_b {
        (sig_a << 1, exp_a - exp_b - 1)
    } else {
        (sig_a, exp_a - exp_b)
    };
    // n · 2^62 as (high, low); high = n >> 2 < d, as div_128_by_64 requires.
    let (quotient, remainder) = crate::math::div_128_by_64(n >> 2, n << 62, sig_b);
    round_pack(
        &BINARY64,
        sign,
        exp + F64_BIAS,
        quotient | u64::from(remainder != 0),
    )
}

/// How `a` compares with `b`: [`LESS`], [`EQUAL`], [`GREATER`] or [`UNORDERED`] (either is NaN).
/// `+0` equals `-0`. Every `fcmp` predicate is a set of these relations.
#[no_mangle]
pub extern "C" fn sbf_f64_cmp(a: u64, b: u64) -> u64 {
    if f64_is_nan(a) || f64_is_nan(b) {
        return UNORDERED;
    }
    // Sign-magnitude to two's complement: both zeros map to 0. Magnitudes are at most 0x7ff0...0.
    let key = |x: u64| {
        let magnitude = (x & !F64_SIGN) as i64;
        if x & F64_SIGN != 0 {
            -magnitude
        } else {
            magnitude
        }
    };
    let (ka, kb) = (key(a), key(b));
    if ka < kb {
        LESS
    } else if ka == kb {
        EQUAL
    } else {
        GREATER
    }
}

/// `(1 + leading zeros, significand with its leading one in bit 62)` of a non-zero integer.
fn u64_normalize(x: u64) -> (i32, u64) {
    let zeros = x.leading_zeros();
    // x = (x << zeros) · 2^-zeros, whose leading one is in bit 63; move it to bit 62.
    (zeros as i32, shift_right_jam(x << zeros, 1))
}

fn from_magnitude(format: &Format, sign: u64, magnitude: u64) -> u64 {
    if magnitude == 0 {
        return 0;
    }
    let (zeros, sig) = u64_normalize(magnitude);
    // magnitude ≈ sig · 2^(1 - zeros) = sig · 2^(exp - bias - 62), so exp = bias + 63 - zeros.
    round_pack(format, sign, format.bias + 63 - zeros, sig)
}

/// `uitofp i64 x to double`.
#[no_mangle]
pub extern "C" fn sbf_f64_from_u64(x: u64) -> u64 {
    from_magnitude(&BINARY64, 0, x)
}

/// `sitofp i64 x to double`.
#[no_mangle]
pub extern "C" fn sbf_f64_from_i64(x: i64) -> u64 {
    from_magnitude(&BINARY64, (x < 0) as u64, x.unsigned_abs())
}

/// `uitofp i64 x to float` (the binary32 bits, zero-extended).
#[no_mangle]
pub extern "C" fn sbf_f32_from_u64(x: u64) -> u64 {
    from_magnitude(&BINARY32, 0, x)
}

/// `sitofp i64 x to float` (the binary32 bits, zero-extended).
#[no_mangle]
pub extern "C" fn sbf_f32_from_i64(x: i64) -> u64 {
    from_magnitude(&BINARY32, (x < 0) as u64, x.unsigned_abs())
}

/// `(negative, |x| truncated toward zero, or None if |x| >= 2^64)` of a non-NaN binary64.
fn truncated_magnitude(x: u64) -> (bool, Option<u64>) {
    let negative = x & F64_SIGN != 0;
    let exp = ((x >> F64_FRAC_BITS) & F64_EXP_MAX) as i32 - F64_BIAS;
    if exp < 0 {
        return (negative, Some(0)); // |x| < 1, zeros and subnormals included
    }
    if exp >= 64 {
        return (negative, None); // also the infinities
    }
    let sig = (1 << F64_FRAC_BITS) | (x & F64_FRAC_MASK);
    let exp = exp as u32;
    let magnitude = if exp >= F64_FRAC_BITS {
        sig << (exp - F64_FRAC_BITS)
    } else {
        sig >> (F64_FRAC_BITS - exp)
    };
    (negative, Some(magnitude))
}

/// `x` truncated toward zero and saturated to the range of a signed `bits`-bit integer (1..=64,
/// others count as 64), NaN giving 0: `llvm.fptosi.sat.iN.f64`, and `fptosi` (whose out-of-range
/// results are poison, so any value will do). The result is sign-extended to 64 bits.
#[no_mangle]
pub extern "C" fn sbf_f64_to_i64_sat(x: u64, bits: u64) -> i64 {
    if f64_is_nan(x) {
        return 0;
    }
    let bits = if bits == 0 || bits > 64 {
        64
    } else {
        bits as u32
    };
    let limit = 1u64 << (bits - 1); // |minimum|; the maximum is limit - 1
    match truncated_magnitude(x) {
        (false, Some(m)) if m < limit => m as i64,
        (false, _) => (limit - 1) as i64,
        (true, Some(m)) if m <= limit => m.wrapping_neg() as i64,
        (true, _) => limit.wrapping_neg() as i64,
    }
}

/// `x` truncated toward zero and saturated to the range of an unsigned `bits`-bit integer (1..=64,
/// others count as 64), NaN and negative values giving 0: `llvm.fptoui.sat.iN.f64` and `fptoui`.
#[no_mangle]
pub extern "C" fn sbf_f64_to_u64_sat(x: u64, bits: u64) -> u64 {
    if f64_is_nan(x) {
        return 0;
    }
    let maximum = if bits == 0 || bits >= 64 {
        u64::MAX
    } else {
        (1 << bits) - 1
    };
    match truncated_magnitude(x) {
        (true, _) => 0,
        (false, Some(m)) => m.min(maximum),
        (false, None) => maximum,
    }
}

/// `fpext float x to double` (`x`: the binary32 bits in the low 32 bits). Exact.
#[no_mangle]
pub extern "C" fn sbf_f32_to_f64(x: u64) -> u64 {
    let sign = (x >> 31 & 1) << 63;
    let exp = (x >> 23 & 0xff) as i32;
    let frac = x & 0x7f_ffff;
    if exp == 0xff {
        return if frac == 0 { sign | F64_INF } else { F64_QNAN };
    }
    if exp == 0 {
        if frac == 0 {
            return sign;
        }
        // frac · 2^(1 - 127 - 23): a normal binary64 with the leading one moved to bit 52.
        let shift = frac.leading_zeros() - 11; // leading one to bit 52
        let exp64 = (1 - 127 + F64_BIAS) as u64 - u64::from(shift - 29);
        return sign | exp64 << F64_FRAC_BITS | ((frac << shift) & F64_FRAC_MASK);
    }
    sign | ((exp + BIAS_DIFFERENCE) as u64) << F64_FRAC_BITS | frac << 29
}

/// `fptrunc double x to float`: the binary32 bits, zero-extended, rounded to nearest even.
#[no_mangle]
pub extern "C" fn sbf_f64_to_f32(x: u64) -> u64 {
    let sign = f64_sign(x);
    if f64_is_nan(x) {
        return F32_QNAN;
    }
    if f64_is_inf(x) {
        return sign << 31 | 0x7f80_0000;
    }
    if f64_is_zero(x) {
        return sign << 31;
    }
    let (exp, sig) = f64_normalize(x);
    round_pack(&BINARY32, sign, exp - BIAS_DIFFERENCE, sig)
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use core::cmp::Ordering;
    use proptest::prelude::*;
    use std::vec;
    use std::vec::Vec;

    fn relation(ordering: Option<Ordering>) -> u64 {
        match ordering {
            None => UNORDERED,
            Some(Ordering::Less) => LESS,
            Some(Ordering::Equal) => EQUAL,
            Some(Ordering::Greater) => GREATER,
        }
    }

    fn same_f64(got: u64, want: f64) -> bool {
        if want.is_nan() {
            f64::from_bits(got).is_nan()
        } else {
            got == want.to_bits()
        }
    }

    fn same_f32(got: u64, want: f32) -> bool {
        if want.is_nan() {
            got == F32_QNAN
        } else {
            got == u64::from(want.to_bits())
        }
    }

    fn check_binary(a: u64, b: u64) {
        let (x, y) = (f64::from_bits(a), f64::from_bits(b));
        for (name, got, want) in [
            ("add", sbf_f64_add(a, b), x + y),
            ("sub", sbf_f64_sub(a, b), x - y),
            ("mul", sbf_f64_mul(a, b), x * y),
            ("div", sbf_f64_div(a, b), x / y),
        ] {
            assert!(
                same_f64(got, want),
                "{name}({x:e} [{a:#x}], {y:e} [{b:#x}]) = {got:#x}, want {:#x}",
                want.to_bits()
            );
            if want.is_nan() {
                assert_eq!(got, F64_QNAN, "{name}: NaN results are the quiet NaN");
            }
        }
        assert_eq!(
            sbf_f64_cmp(a, b),
            relation(x.partial_cmp(&y)),
            "cmp({x:e}, {y:e})"
        );
    }

    /// `as` from f64 is Rust's saturating conversion (NaN → 0), i.e. `llvm.fpto[su]i.sat`.
    fn check_to_int(a: u64) {
        let x = f64::from_bits(a);
        assert_eq!(sbf_f64_to_i64_sat(a, 64), x as i64, "{x:e} as i64");
        assert_eq!(
            sbf_f64_to_i64_sat(a, 32),
            i64::from(x as i32),
            "{x:e} as i32"
        );
        assert_eq!(
            sbf_f64_to_i64_sat(a, 16),
            i64::from(x as i16),
            "{x:e} as i16"
        );
        assert_eq!(sbf_f64_to_i64_sat(a, 8), i64::from(x as i8), "{x:e} as i8");
        assert_eq!(sbf_f64_to_u64_sat(a, 64), x as u64, "{x:e} as u64");
        assert_eq!(
            sbf_f64_to_u64_sat(a, 32),
            u64::from(x as u32),
            "{x:e} as u32"
        );
        assert_eq!(
            sbf_f64_to_u64_sat(a, 16),
            u64::from(x as u16),
            "{x:e} as u16"
        );
        assert_eq!(sbf_f64_to_u64_sat(a, 8), u64::from(x as u8), "{x:e} as u8");
        assert_eq!(
            sbf_f64_to_u64_sat(a, 1),
            if x >= 1.0 { 1 } else { 0 },
            "{x:e} as u1"
        );
        assert_eq!(
            sbf_f64_to_i64_sat(a, 1),
            if x <= -1.0 { -1 } else { 0 },
            "{x:e} as i1"
        );
        assert!(same_f32(sbf_f64_to_f32(a), x as f32), "{x:e} as f32");
    }

    fn check_from_int(n: u64) {
        assert_eq!(sbf_f64_from_u64(n), (n as f64).to_bits(), "{n} as f64");
        assert_eq!(
            sbf_f64_from_i64(n as i64),
            (n as i64 as f64).to_bits(),
            "{} as f64",
            n as i64
        );
        assert_eq!(
            sbf_f32_from_u64(n),
            u64::from((n as f32).to_bits()),
            "{n} as f32"
        );
        assert_eq!(
            sbf_f32_from_i64(n as i64),
            u64::from((n as i64 as f32).to_bits()),
            "{} as f32",
            n as i64
        );
    }

    /// What the IR rewrite does for binary32 `+ - * /` and compares: widen, compute in binary64,
    /// round once. Must equal the hardware's binary32 results.
    fn check_f32_via_f64(a: u32, b: u32) {
        let (x, y) = (f32::from_bits(a), f32::from_bits(b));
        let (wa, wb) = (sbf_f32_to_f64(a.into()), sbf_f32_to_f64(b.into()));
        assert!(same_f64(wa, f64::from(x)), "{x:e} as f64");
        for (name, got, want) in [
            ("add", sbf_f64_add(wa, wb), x + y),
            ("sub", sbf_f64_sub(wa, wb), x - y),
            ("mul", sbf_f64_mul(wa, wb), x * y),
            ("div", sbf_f64_div(wa, wb), x / y),
        ] {
            assert!(
                same_f32(sbf_f64_to_f32(got), want),
                "f32 {name}({x:e}, {y:e})"
            );
        }
        assert_eq!(
            sbf_f64_cmp(wa, wb),
            relation(x.partial_cmp(&y)),
            "f32 cmp({x:e}, {y:e})"
        );
    }

    fn edge_f64() -> Vec<u64> {
        let mut values = vec![
            0,
            1, // smallest subnormal
            2,
            3,
            F64_FRAC_MASK, // largest subnormal
            1 << 52,       // smallest normal
            (1 << 52) + 1,
            0x3ff0_0000_0000_0000, // 1
            0x3ff0_0000_0000_0001,
            0x3fef_ffff_ffff_ffff,
            0x3fe0_0000_0000_0000, // 0.5
            0x4000_0000_0000_0000, // 2
            0x4008_0000_0000_0000, // 3
            0x7fef_ffff_ffff_ffff, // max
            0x7fe0_0000_0000_0000,
            F64_INF,
            F64_QNAN,
            0x7ff0_0000_0000_0001, // signalling NaN
            0x7fff_ffff_ffff_ffff,
            0x43e0_0000_0000_0000, // 2^63
            0x43df_ffff_ffff_ffff,
            0x43f0_0000_0000_0000, // 2^64
            0x43ef_ffff_ffff_ffff,
            0x41e0_0000_0000_0000, // 2^31
            0x41df_ffff_ffc0_0000, // 2^31 - 1
            0x41f0_0000_0000_0000, // 2^32
            0x4340_0000_0000_0000, // 2^53
            0x4340_0000_0000_0001,
            0x3cb0_0000_0000_0000, // 2^-52
            0x3ca0_0000_0000_0000, // 2^-53
            0x47ef_ffff_e000_0000, // max f32
            0x47ef_ffff_f000_0000, // max f32 + half ulp: rounds to infinity in f32
            0x3810_0000_0000_0000, // min normal f32
            0x36a0_0000_0000_0000, // min subnormal f32
            0x3690_0000_0000_0000, // half of it
            0x3690_0000_0000_0001,
            (3480.0f64).to_bits(),
            (0.1f64).to_bits(),
            (1.0f64 / 3.0).to_bits(),
        ];
        let negatives: Vec<u64> = values.iter().map(|v| v | F64_SIGN).collect();
        values.extend(negatives);
        values
    }

    #[test]
    fn edge_cases_match_hardware() {
        let edges = edge_f64();
        for &a in &edges {
            check_to_int(a);
            for &b in &edges {
                check_binary(a, b);
            }
        }
    }

    #[test]
    fn signed_zeros_and_exact_cancellation() {
        let (pz, nz) = (0u64, F64_SIGN);
        assert_eq!(sbf_f64_add(pz, nz), pz);
        assert_eq!(sbf_f64_add(nz, nz), nz);
        assert_eq!(sbf_f64_sub(nz, pz), nz);
        assert_eq!(
            sbf_f64_sub(0x3ff0_0000_0000_0000, 0x3ff0_0000_0000_0000),
            pz
        );
        assert_eq!(sbf_f64_mul(nz, 0x3ff0_0000_0000_0000), nz);
        assert_eq!(sbf_f64_div(pz, F64_INF | F64_SIGN), nz);
        assert_eq!(sbf_f64_cmp(pz, nz), EQUAL);
        assert_eq!(sbf_f64_from_i64(0), pz);
        assert_eq!(sbf_f64_to_f32(nz), 0x8000_0000);
        assert_eq!(sbf_f32_to_f64(0x8000_0000), nz);
    }

    #[test]
    fn rent_like_computation() {
        // solana-program's Rent::minimum_balance: ((128 + len) * 3480) as f64 * 2.0, then as u64.
        for len in [0u64, 1, 82, 165, 10_240, 10 * 1024 * 1024] {
            let lamports = ((128 + len) * 3480) as f64 * 2.0;
            let got = sbf_f64_mul(sbf_f64_from_u64((128 + len) * 3480), (2.0f64).to_bits());
            assert_eq!(got, lamports.to_bits());
            assert_eq!(sbf_f64_to_u64_sat(got, 64), lamports as u64);
        }
    }

    #[test]
    fn integer_edges_convert_like_hardware() {
        let mut values = vec![
            0,
            1,
            2,
            3,
            u64::MAX,
            u64::MAX - 1,
            i64::MAX as u64,
            i64::MIN as u64,
        ];
        for k in 0..64 {
            let p = 1u64 << k;
            values.extend([
                p - 1,
                p,
                p + 1,
                p | (p >> 24),
                p | (p >> 25),
                p | (p >> 53),
                p | (p >> 54),
            ]);
        }
        for n in values {
            check_from_int(n);
            check_from_int(n.wrapping_neg());
        }
    }

    #[test]
    fn f32_edges_round_trip_and_compute_like_hardware() {
        let mut edges = vec![
            0u32,
            1,
            2,
            0x7f_ffff,
            0x80_0000,
            0x3f80_0000,
            0x3f80_0001,
            0x7f7f_ffff,
        ];
        edges.extend([
            0x7f80_0000,
            0x7fc0_0000,
            0x7f80_0001,
            0x3eaa_aaab,
            0x4b80_0000,
            0x3400_0000,
        ]);
        let negatives: Vec<u32> = edges.iter().map(|v| v | 1 << 31).collect();
        edges.extend(negatives);
        for &a in &edges {
            for &b in &edges {
                check_f32_via_f64(a, b);
            }
        }
    }

    /// Bit patterns of every class: a random sign and fraction with an exponent field that is
    /// often 0, 0x7ff, near the bias, or anything.
    fn any_f64() -> impl Strategy<Value = u64> {
        let exponent = prop_oneof![
            Just(0u64),
            Just(0x7ff),
            1000u64..1100,
            0u64..0x800,
            0u64..60,
            0x7c0u64..0x800
        ];
        (any::<bool>(), exponent, any::<u64>())
            .prop_map(|(s, e, f)| (s as u64) << 63 | e << 52 | f & F64_FRAC_MASK)
    }

    fn any_f32() -> impl Strategy<Value = u32> {
        let exponent = prop_oneof![Just(0u32), Just(0xff), 100u32..160, 0u32..0x100];
        (any::<bool>(), exponent, any::<u32>())
            .prop_map(|(s, e, f)| (s as u32) << 31 | e << 23 | f & 0x7f_ffff)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 20_000, ..ProptestConfig::default() })]

        #[test]
        fn arithmetic_matches_hardware(a in any_f64(), b in any_f64()) {
            check_binary(a, b);
        }

        #[test]
        fn nearby_operands_match_hardware(a in any_f64(), delta in 0u64..4096, sign in any::<bool>()) {
            // Close magnitudes: cancellation in add/sub, quotients near 1.
            let b = a.wrapping_add(delta) ^ ((sign as u64) << 63);
            check_binary(a, b);
        }

        #[test]
        fn raw_bit_patterns_match_hardware(a in any::<u64>(), b in any::<u64>()) {
            check_binary(a, b);
            check_to_int(a);
        }

        #[test]
        fn conversions_to_integers_match_hardware(a in any_f64()) {
            check_to_int(a);
        }

        #[test]
        fn conversions_from_integers_match_hardware(n in any::<u64>(), bits in 1u32..=64) {
            check_from_int(n >> (64 - bits));
            check_from_int(n);
        }

        #[test]
        fn f32_operations_through_f64_match_hardware(a in any_f32(), b in any_f32()) {
            check_f32_via_f64(a, b);
        }
    }
}

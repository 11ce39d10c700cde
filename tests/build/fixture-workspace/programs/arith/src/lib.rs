//! Integer arithmetic the upstream BPF backend cannot lower on its own, so the pipeline's IR rewrites
//! (and sbf-support's 128-bit division) produce it. The test sends batches of cases and compares the
//! returned results with Python's integers.
//!
//! Case: `op: u8, a: [u8; 16], b: [u8; 16]` (little-endian). Result: `value: [u8; 16], none: u8`.
#![no_std]

pub const CASE_LEN: usize = 33;
pub const RESULT_LEN: usize = 17;
const MAX_CASES: usize = 1024 / RESULT_LEN;

fn word(bytes: &[u8]) -> u128 {
    let mut buf = [0u8; 16];
    buf.copy_from_slice(&bytes[..16]);
    u128::from_le_bytes(buf)
}

/// Seven arguments, i128 among them: needs more than five argument registers.
#[inline(never)]
fn weighted(a: u64, b: i128, c: u32, d: u64, e: i128, f: u16, g: u64) -> i128 {
    let sum = (a as i128).wrapping_mul(3)
        ^ b.wrapping_mul(5)
        ^ (c as i128).wrapping_mul(7)
        ^ (d as i128).wrapping_mul(11)
        ^ e.wrapping_mul(13)
        ^ (f as i128).wrapping_mul(17);
    sum.wrapping_add(g as i128)
}

fn eval(op: u8, a: u128, b: u128) -> Option<u128> {
    let (a64, b64) = (a as u64, b as u64);
    Some(match op {
        0 => a.wrapping_mul(b),
        1 => a.checked_div(b)?,
        2 => a.checked_rem(b)?,
        3 => (a as i128).checked_div(b as i128)? as u128,
        4 => (a as i128).checked_rem(b as i128)? as u128,
        5 => (a64 as i64).checked_div(b64 as i64)? as u64 as u128,
        6 => (a64 as i64).checked_rem(b64 as i64)? as u64 as u128,
        7 => (a as u32 as i32).checked_div(b as u32 as i32)? as u32 as u128,
        8 => (a as u32 as i32).checked_rem(b as u32 as i32)? as u32 as u128,
        9 => a64.checked_mul(b64)? as u128,
        10 => (a64 as i64).checked_mul(b64 as i64)? as u64 as u128,
        11 => a << (b as u32 & 127),
        12 => a >> (b as u32 & 127),
        13 => ((a as i128) >> (b as u32 & 127)) as u128,
        14 => (a64 as u128) * (b64 as u128),
        15 => weighted(a64, b as i128, (a >> 64) as u32, b64 ^ a64, a as i128, (b >> 100) as u16, a64 >> 3) as u128,
        16 => (a as u8 as i8).checked_div(b as u8 as i8)? as u8 as u128,
        17 => (a as u16 as i16).checked_rem(b as u16 as i16)? as u16 as u128,
        _ => return None,
    })
}

/// # Safety
/// Called by the loader with its serialized input.
#[no_mangle]
pub unsafe extern "C" fn entrypoint(input: *mut u8) -> u64 {
    let data = fixture_rt::instruction_data(input);
    if data.len() % CASE_LEN != 0 || data.len() / CASE_LEN > MAX_CASES {
        return 1;
    }
    let mut out = [0u8; MAX_CASES * RESULT_LEN];
    let mut n = 0;
    for case in data.chunks_exact(CASE_LEN) {
        let slot = &mut out[n..n + RESULT_LEN];
        match eval(case[0], word(&case[1..17]), word(&case[17..33])) {
            Some(v) => slot[..16].copy_from_slice(&v.to_le_bytes()),
            None => slot[16] = 1,
        }
        n += RESULT_LEN;
    }
    fixture_rt::set_return_data(&out[..n]);
    0
}

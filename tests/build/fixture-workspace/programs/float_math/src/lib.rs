//! f64 and f32 arithmetic, which the pipeline lowers to sbf-support's integer-only soft float. The
//! test sends batches of cases and compares the results with the same computation on the host.
//!
//! Case: `op: u8, a: u64, b: u64` (little-endian; floats as their bit patterns). Result: `u64`.
#![no_std]

pub const CASE_LEN: usize = 17;
pub const RESULT_LEN: usize = 8;
const MAX_CASES: usize = 1024 / RESULT_LEN;

fn word(bytes: &[u8]) -> u64 {
    let mut buf = [0u8; 8];
    buf.copy_from_slice(&bytes[..8]);
    u64::from_le_bytes(buf)
}

/// solana-program's `Rent::minimum_balance`: `((128 + len) * lamports_per_byte_year) as f64 *
/// exemption_threshold`, truncated to lamports.
#[inline(never)]
fn minimum_balance(len: u64, lamports_per_byte_year: u64, exemption_threshold: f64) -> u64 {
    (128u64
        .wrapping_add(len)
        .wrapping_mul(lamports_per_byte_year) as f64
        * exemption_threshold) as u64
}

fn compare(x: f64, y: f64) -> u64 {
    [
        x < y,
        x <= y,
        x == y,
        x != y,
        x > y,
        x >= y,
        x.is_nan(),
        x.partial_cmp(&y).is_none(),
    ]
    .iter()
    .enumerate()
    .fold(0, |bits, (k, &b)| bits | (b as u64) << k)
}

fn eval(op: u8, a: u64, b: u64) -> u64 {
    let (x, y) = (f64::from_bits(a), f64::from_bits(b));
    let (xf, yf) = (f32::from_bits(a as u32), f32::from_bits(b as u32));
    match op {
        0 => minimum_balance(a, b, 2.0),
        1 => (a as f64 * 3480.0 * 2.0) as u64,
        2 => (x + y).to_bits(),
        3 => (x - y).to_bits(),
        4 => (x * y).to_bits(),
        5 => (x / y).to_bits(),
        6 => (-x).to_bits(),
        7 => compare(x, y),
        8 => x as i64 as u64,
        9 => x as u64,
        10 => x as i32 as u64,
        11 => x as u8 as u64,
        12 => (a as i64 as f64).to_bits(),
        13 => (a as f64).to_bits(),
        14 => (a as i32 as f64).to_bits(),
        15 => (xf + yf).to_bits() as u64,
        16 => (xf - yf).to_bits() as u64,
        17 => (xf * yf).to_bits() as u64,
        18 => (xf / yf).to_bits() as u64,
        19 => (a as f32).to_bits() as u64,
        20 => (a as i64 as f32).to_bits() as u64,
        21 => xf as i32 as u64,
        22 => (x as f32).to_bits() as u64,
        23 => (xf as f64).to_bits(),
        24 => compare(xf as f64, yf as f64) ^ (xf < yf) as u64,
        25 => x.abs().to_bits(),
        26 => x.copysign(y).to_bits(),
        // Several operations in a row, like a price computation: (a + b/3) * 1.5 - b, rounded.
        27 => ((x + y / 3.0) * 1.5 - y).to_bits(),
        _ => u64::MAX,
    }
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
        let value = eval(case[0], word(&case[1..9]), word(&case[9..17]));
        out[n..n + RESULT_LEN].copy_from_slice(&value.to_le_bytes());
        n += RESULT_LEN;
    }
    fixture_rt::set_return_data(&out[..n]);
    0
}

//! A `match` with a `#[cold]` arm: rustc gives its `switch` branch weights, which LLVM prints as
//! `], !prof !N` after the case table, and the blocks after that switch hold what the IR rewrites
//! must change (128-bit multiply and divide, a variable-length copy). The test sends cases and
//! compares the results with Python's.
//!
//! Case: `op: u8, a: [u8; 16], b: [u8; 16]` (little-endian). Result: `[u8; 16]`.
#![no_std]

pub const CASE_LEN: usize = 33;
pub const RESULT_LEN: usize = 16;
const MAX_CASES: usize = 1024 / RESULT_LEN;

fn word(bytes: &[u8]) -> u128 {
    let mut buf = [0u8; 16];
    buf.copy_from_slice(&bytes[..16]);
    u128::from_le_bytes(buf)
}

/// The rare arm: marked cold, so the `switch` on `op` carries branch weights.
#[cold]
#[inline(never)]
fn unknown_op(op: u8) -> u128 {
    fixture_rt::log("cold_switch: unknown op");
    u128::MAX - op as u128
}

/// Copies the first `b % 33` bytes of the case into a zeroed buffer (a copy of variable length, an
/// `llvm.memcpy` the BPF backend cannot lower) and reads the buffer back as two words.
#[inline(never)]
fn copied_prefix(case: &[u8], b: u128) -> u128 {
    let n = (b % 33) as usize;
    let mut buf = [0u8; 32];
    buf[..n.min(32)].copy_from_slice(&case[..n.min(32)]);
    word(&buf[..16]) ^ word(&buf[16..]).rotate_left(7)
}

fn eval(case: &[u8]) -> u128 {
    let (a, b) = (word(&case[1..17]), word(&case[17..33]));
    match case[0] {
        0 => a.wrapping_mul(b),
        1 => a / (b | 1),
        2 => a % (b | 1),
        3 => ((a as i128).wrapping_div((b | 1) as i128)) as u128,
        4 => copied_prefix(case, b),
        5 => a.wrapping_mul(b).wrapping_add(a / (b | 1)),
        op => unknown_op(op),
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
        out[n..n + RESULT_LEN].copy_from_slice(&eval(case).to_le_bytes());
        n += RESULT_LEN;
    }
    fixture_rt::set_return_data(&out[..n]);
    0
}

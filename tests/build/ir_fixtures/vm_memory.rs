#![no_std]

// sbf-support's files, copied next to this one by the test
mod math;
mod mem;

extern "C" {
    fn sol_set_return_data(data: *const u8, len: u64);
    fn abort() -> !;
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    unsafe { abort() }
}

const BUF: usize = 512;
const PATTERN: usize = 256;
const SUMMARY: usize = 40;

/// Returned by value: 40 bytes, so rustc passes it through an `sret` pointer. The functions that
/// return through one are exported, so LLVM keeps rustc's signatures.
#[derive(Clone, Copy)]
pub struct Summary {
    sum: u64,
    weighted: u64,
    first: u64,
    last: u64,
    nonzero: u64,
}

#[no_mangle]
#[inline(never)]
pub fn summarize(buf: &[u8]) -> Summary {
    let mut s = Summary { sum: 0, weighted: 0, first: buf[0] as u64, last: buf[buf.len() - 1] as u64, nonzero: 0 };
    for (i, &b) in buf.iter().enumerate() {
        s.sum += b as u64;
        s.weighted = s.weighted.wrapping_mul(31).wrapping_add(b as u64 ^ i as u64);
        s.nonzero += (b != 0) as u64;
    }
    s
}

/// A `&str` return: also through `sret` on this target.
#[no_mangle]
#[inline(never)]
pub fn kind_name(kind: u8) -> &'static str {
    match kind {
        0 => "memcpy",
        1 => "memmove",
        _ => "memset",
    }
}

/// One operation per 8-byte record `[kind u8][value u8][a u16][b u16][n u16]` (little-endian):
/// 0: `buf[b..b+n] = pattern[a..a+n]`; 1: `buf.copy_within(a..a+n, b)` (may overlap);
/// 2: `buf[a..a+n].fill(value)`. Lengths are variable, so every one is a call to sbf_mem*.
#[inline(never)]
fn apply(buf: &mut [u8; BUF], pattern: &[u8], op: &[u8], names: &mut u64) {
    let a = u16::from_le_bytes([op[2], op[3]]) as usize;
    let b = u16::from_le_bytes([op[4], op[5]]) as usize;
    let n = u16::from_le_bytes([op[6], op[7]]) as usize;
    match op[0] {
        0 => buf[b..b + n].copy_from_slice(&pattern[a..a + n]),
        1 => buf.copy_within(a..a + n, b),
        _ => buf[a..a + n].fill(op[1]),
    }
    *names += kind_name(op[0]).len() as u64;
}

#[no_mangle]
pub unsafe extern "C" fn entrypoint(input: *const u8) -> u64 {
    // no accounts: [u64 0][u64 data length][data: 256-byte pattern, then 8-byte operations]
    let len = unsafe { core::ptr::read_unaligned(input.add(8) as *const u64) } as usize;
    let data = unsafe { core::slice::from_raw_parts(input.add(16), len) };
    let (pattern, ops) = data.split_at(PATTERN);
    let mut buf = [0u8; BUF];
    let mut names = 0u64;
    for op in ops.chunks_exact(8) {
        apply(&mut buf, pattern, op, &mut names);
    }
    let s = summarize(&buf);
    let mut out = [0u8; BUF + SUMMARY + 8];
    out[..BUF].copy_from_slice(&buf);
    for (i, v) in [s.sum, s.weighted, s.first, s.last, s.nonzero, names].iter().enumerate() {
        out[BUF + 8 * i..BUF + 8 * i + 8].copy_from_slice(&v.to_le_bytes());
    }
    unsafe { sol_set_return_data(out.as_ptr(), out.len() as u64) };
    0
}

#![no_std]
#![allow(dead_code)]

// sbf-support's files, copied next to this one by the test
mod math;
mod mem;

#[inline(never)]
fn mul_div(a: u64, b: u64, c: u64) -> Option<u64> {
    u64::try_from(a as u128 * b as u128 / c as u128).ok()
}

#[inline(never)]
fn signed(a: i64, b: i64, c: i32, d: i32, e: i128, f: i128) -> i128 {
    (a / b) as i128 + (a % b) as i128 + (c / d) as i128 + (c % d) as i128 + e / f + e % f
}

#[inline(never)]
fn checked(a: u64, b: u64, c: i64, d: i64, e: u128) -> u64 {
    let x = a.checked_mul(b).unwrap_or(1);
    let y = c.checked_mul(d).unwrap_or(2) as u64;
    let z = e.checked_mul(e).map_or(3, |v| v as u64);
    x ^ y ^ z
}

#[inline(never)]
fn shifts(x: u128, n: u32, y: i128) -> u128 {
    x.wrapping_shl(n) ^ x.wrapping_shr(n) ^ y.wrapping_shr(n) as u128
}

#[inline(never)]
fn copy(dst: &mut [u8], src: &[u8]) {
    dst[..src.len()].copy_from_slice(src);
}

// Exported, so LLVM keeps rustc's signature: the &str comes back through an `sret` pointer.
#[no_mangle]
#[inline(never)]
pub fn name(k: u64) -> &'static str {
    match k % 3 {
        0 => "zero",
        1 => "one",
        _ => "two",
    }
}

#[no_mangle]
pub unsafe extern "C" fn entrypoint(input: *mut u8) -> u64 {
    let w = unsafe { core::slice::from_raw_parts_mut(input as *mut u64, 32) };
    let (x, y) = ((w[7] as u128) << 64 | w[8] as u128, (w[9] as u128) << 64 | w[10] as u128);
    w[20] = mul_div(w[0], w[1], w[2].max(1)).unwrap_or(0);
    let s = signed(w[3] as i64, w[4] as i64 | 1, w[5] as i32, w[6] as i32 | 1, x as i128, y as i128 | 1);
    w[21] = s as u64;
    w[22] = checked(w[0], w[1], w[3] as i64, w[4] as i64, x);
    w[23] = shifts(x, w[5] as u32, y as i128) as u64;
    w[24] = name(w[6]).len() as u64;
    let bytes = unsafe { core::slice::from_raw_parts_mut(input.add(200), 56) };
    let (head, tail) = bytes.split_at_mut(28);
    copy(head, &tail[..(w[0] % 28) as usize]);
    0
}

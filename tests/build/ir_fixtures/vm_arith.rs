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

const OUT: usize = 120;

// Seven 64-bit registers: packed by the pipeline.
#[inline(never)]
fn case(a: u128, b: u128, out: &mut [u8]) {
    let (sa, sb) = (a as i128, b as i128);
    let n = (b & 127) as u32;
    let words: [u128; 7] = [
        a / b,
        a % b,
        sa.wrapping_div(sb) as u128,
        sa.wrapping_rem(sb) as u128,
        a.wrapping_mul(b),
        a << n,
        (sa >> n) as u128,
    ];
    for (i, w) in words.iter().enumerate() {
        out[16 * i..16 * i + 16].copy_from_slice(&w.to_le_bytes());
    }
    let flags = a.checked_mul(b).is_none() as u64
        | ((a as u64).checked_mul(b as u64).is_none() as u64) << 1
        | ((a as i64).checked_mul(b as i64).is_none() as u64) << 2
        | (sa.checked_mul(sb).is_none() as u64) << 3;
    out[112..120].copy_from_slice(&flags.to_le_bytes());
}

#[no_mangle]
pub unsafe extern "C" fn entrypoint(input: *const u8) -> u64 {
    // no accounts: [u64 0][u64 data length][data: (a, b) as 2 x u128 LE, repeated]
    let len = unsafe { core::ptr::read_unaligned(input.add(8) as *const u64) } as usize;
    let data = unsafe { core::slice::from_raw_parts(input.add(16), len) };
    let mut out = [0u8; 8 * OUT];
    for (k, pair) in data.chunks_exact(32).enumerate() {
        let a = u128::from_le_bytes(pair[..16].try_into().unwrap());
        let b = u128::from_le_bytes(pair[16..].try_into().unwrap());
        case(a, b, &mut out[OUT * k..OUT * (k + 1)]);
    }
    unsafe { sol_set_return_data(out.as_ptr(), (OUT * (len / 32)) as u64) };
    0
}

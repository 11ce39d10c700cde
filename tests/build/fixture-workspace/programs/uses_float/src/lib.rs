//! Must not build: the remainder of an f64 division (`frem`), which the soft-float lowering does not
//! provide.
#![no_std]

#[inline(never)]
fn leftover_kwh(total_wh: u64, hours: u64) -> f64 {
    (total_wh as f64 / 1000.0) % hours as f64
}

/// # Safety
/// Called by the loader with its serialized input.
#[no_mangle]
pub unsafe extern "C" fn entrypoint(input: *mut u8) -> u64 {
    let data = fixture_rt::instruction_data(input);
    let left = leftover_kwh(data.len() as u64 * 1234, data.len() as u64 + 1);
    (left > 1.5) as u64
}

//! Must not build: f64 arithmetic, which SBPFv0 programs built upstream cannot run.
#![no_std]

#[inline(never)]
fn average_kwh(total_wh: u64, hours: u64) -> f64 {
    (total_wh as f64 / 1000.0) / hours as f64
}

/// # Safety
/// Called by the loader with its serialized input.
#[no_mangle]
pub unsafe extern "C" fn entrypoint(input: *mut u8) -> u64 {
    let data = fixture_rt::instruction_data(input);
    let avg = average_kwh(data.len() as u64 * 1234, data.len() as u64 + 1);
    (avg > 1.5) as u64
}

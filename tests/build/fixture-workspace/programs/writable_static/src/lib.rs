//! Must not build: a writable static, which SBPFv0 has no memory for.
#![no_std]

static mut INVOCATIONS: u64 = 7;

/// # Safety
/// Called by the loader with its serialized input.
#[no_mangle]
pub unsafe extern "C" fn entrypoint(input: *mut u8) -> u64 {
    let data = fixture_rt::instruction_data(input);
    let p = core::ptr::addr_of_mut!(INVOCATIONS);
    *p = (*p).wrapping_add(data.len() as u64);
    *p & 1
}

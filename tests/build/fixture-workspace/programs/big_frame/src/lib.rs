//! Must not build: a stack frame larger than the 4 KiB an SBPFv0 frame holds.
#![no_std]

#[inline(never)]
fn checksum_with_big_buffer(seed: &[u8]) -> u64 {
    let mut buffer = [0u8; 6000];
    for (i, b) in buffer.iter_mut().enumerate() {
        *b = seed[i % seed.len()].wrapping_add(i as u8);
    }
    core::hint::black_box(&mut buffer);
    buffer.iter().map(|&b| b as u64).sum()
}

/// # Safety
/// Called by the loader with its serialized input.
#[no_mangle]
pub unsafe extern "C" fn entrypoint(input: *mut u8) -> u64 {
    let data = fixture_rt::instruction_data(input);
    if data.is_empty() {
        return 1;
    }
    checksum_with_big_buffer(data) & 1
}

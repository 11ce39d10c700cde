//! `HashMap::new` keeps its random keys in a thread-local static, which is writable data (and seeds
//! them from `sys_rand`, which Solana does not have): the pipeline must refuse it, naming the static.
use std::collections::HashMap;

/// # Safety
/// `input` must point to at least one readable byte.
#[no_mangle]
pub unsafe extern "C" fn entrypoint(input: *const u8) -> u64 {
    let mut seen = HashMap::new();
    seen.insert(unsafe { *input }, 1u8);
    seen.len() as u64
}

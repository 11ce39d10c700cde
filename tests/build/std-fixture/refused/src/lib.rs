//! A `thread_local!` is a writable static on a target without threads (std's no-threads
//! implementation): the pipeline must refuse it, naming the static.
use std::cell::Cell;

thread_local! {
    static CALLS: Cell<u64> = const { Cell::new(0) };
}

/// # Safety
/// `input` must point to at least one readable byte.
#[no_mangle]
pub unsafe extern "C" fn entrypoint(input: *const u8) -> u64 {
    CALLS.with(|calls| {
        calls.set(calls.get() + u64::from(unsafe { *input }));
        calls.get()
    })
}

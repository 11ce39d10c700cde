//! The `sys_*` functions, on Solana syscalls.

extern "C" {
    fn sol_log_(message: *const u8, len: u64);
    fn abort() -> !;
}

/// Ends the program with an error (std's `abort_internal` and `exit` end here).
#[no_mangle]
pub extern "C" fn sys_halt() -> ! {
    // SAFETY: the syscall takes no arguments.
    unsafe { abort() }
}

/// Logs `len` bytes at `message`, then ends the program with an error.
///
/// # Safety
/// `message` must be valid for reading `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn sys_panic(message: *const u8, len: usize) -> ! {
    // SAFETY: guaranteed by the caller; the runtime checks the range again.
    unsafe {
        sol_log_(message, len as u64);
        abort()
    }
}

/// Logs `len` bytes at `message` as one program log line.
///
/// # Safety
/// `message` must be valid for reading `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn sys_log(message: *const u8, len: usize) {
    // SAFETY: guaranteed by the caller; the runtime checks the range again.
    unsafe { sol_log_(message, len as u64) }
}

/// std's stdout and stderr: every write becomes one program log line.
///
/// # Safety
/// `buf` must be valid for reading `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn sys_write(_fd: u32, buf: *const u8, len: usize) {
    // SAFETY: guaranteed by the caller; the runtime checks the range again.
    unsafe { sol_log_(buf, len as u64) }
}

/// The pipeline builds every crate of this target with `-Cpanic=immediate-abort`, so no panic
/// reaches a handler; a `no_std` static library must still name one.
#[panic_handler]
fn panic(_info: &core::panic::PanicInfo<'_>) -> ! {
    sys_halt()
}

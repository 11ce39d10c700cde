//! Minimal runtime for the pipeline's fixture programs: the input of an instruction with no accounts,
//! return data, logging and a panic handler. Kept apart from pinocchio so that these fixtures test the
//! pipeline alone.
#![no_std]

extern crate sbf_support;

extern "C" {
    fn sol_set_return_data(data: *const u8, len: u64);
    fn sol_log_(message: *const u8, len: u64);
    fn abort() -> !;
}

/// The instruction data of an invocation that passes no accounts.
///
/// # Safety
/// `input` must be the loader's serialized input of an instruction with zero accounts.
pub unsafe fn instruction_data<'a>(input: *const u8) -> &'a [u8] {
    let accounts = core::ptr::read_unaligned(input as *const u64);
    if accounts != 0 {
        log("fixture programs take no accounts");
        abort();
    }
    let len = core::ptr::read_unaligned(input.add(8) as *const u64) as usize;
    core::slice::from_raw_parts(input.add(16), len)
}

pub fn set_return_data(data: &[u8]) {
    unsafe { sol_set_return_data(data.as_ptr(), data.len() as u64) }
}

pub fn log(message: &str) {
    unsafe { sol_log_(message.as_ptr(), message.len() as u64) }
}

#[cfg(target_arch = "bpf")]
#[panic_handler]
fn panic(_info: &core::panic::PanicInfo<'_>) -> ! {
    log("fixture panicked");
    unsafe { abort() }
}

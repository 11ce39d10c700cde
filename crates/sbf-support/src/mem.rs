//! `sbf_memcpy`/`sbf_memmove`/`sbf_memset` (targets of the IR rewrite of `llvm.mem*`) and the C
//! `memcmp`/`bcmp` that LLVM emits for slice comparisons, all backed by syscalls.

extern "C" {
    fn sol_memmove_(dst: *mut u8, src: *const u8, n: u64);
    fn sol_memset_(dst: *mut u8, val: u8, n: u64);
    fn sol_memcmp_(a: *const u8, b: *const u8, n: u64, result: *mut i32);
}

/// `memcpy` goes to `sol_memmove_`: LLVM allows `memcpy(p, p, n)`, which `sol_memcpy_` rejects as
/// overlapping.
#[no_mangle]
pub unsafe extern "C" fn sbf_memcpy(dst: *mut u8, src: *const u8, n: u64) {
    sol_memmove_(dst, src, n)
}

#[no_mangle]
pub unsafe extern "C" fn sbf_memmove(dst: *mut u8, src: *const u8, n: u64) {
    sol_memmove_(dst, src, n)
}

#[no_mangle]
pub unsafe extern "C" fn sbf_memset(dst: *mut u8, val: u8, n: u64) {
    sol_memset_(dst, val, n)
}

#[no_mangle]
pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    let mut result = 0i32;
    sol_memcmp_(a, b, n as u64, &mut result);
    result
}

#[no_mangle]
pub unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    memcmp(a, b, n)
}

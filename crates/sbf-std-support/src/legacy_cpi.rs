//! Cross-program invocation for crates built against `solana-program` before 1.16.
//!
//! Those versions pass their own Rust structs to `sol_invoke_signed_rust`: `&Instruction` (with two
//! `Vec`s inside), `&[AccountMeta]` in it and `&[AccountInfo]`, none of them `#[repr(C)]`. The runtime
//! reads them with the layout that Solana's rustc of the time gave them (what `StableInstruction` and
//! the `#[repr(C)]` `AccountInfo` of `solana-program` 1.16+ spell out). Today's rustc lays them out
//! differently (a `Vec` is `{cap, ptr, len}`; `AccountInfo` puts its `rent_epoch` first), so the
//! runtime would read garbage (`AccountMeta` was `#[repr(C)]` already). The pipeline points such crates' calls at
//! `sbf_invoke_signed_rust_legacy` instead, which copies them into the layout the runtime reads and
//! makes the syscall. The mirrors below declare the fields exactly as `solana-program` 1.14 does, so
//! this rustc lays them out as it laid out the crate's own.

use alloc::rc::Rc;
use alloc::vec::Vec;
use core::cell::RefCell;
use core::mem::MaybeUninit;

extern "C" {
    fn sol_invoke_signed_rust(
        instruction: *const u8,
        account_infos: *const u8,
        account_infos_len: u64,
        signers_seeds: *const u8,
        signers_seeds_len: u64,
    ) -> u64;
    fn sol_log_(message: *const u8, len: u64);
}

/// The most account infos one invocation may pass through this shim: their copies live on the stack,
/// whose frames hold 4 KiB.
pub const MAX_ACCOUNTS: usize = 16;
/// What the shim returns when an invocation passes more accounts: `ProgramError::InvalidArgument` as
/// the `u64` the syscall would return (a builtin error is its code shifted left by 32 bits).
const INVALID_ARGUMENT: u64 = 2 << 32;

#[derive(Clone, Copy)]
#[repr(transparent)]
struct Pubkey([u8; 32]);

/// `solana_program::instruction::AccountMeta` (1.14, `#[repr(C)]`: the runtime's layout already).
#[repr(C)]
struct AccountMeta {
    pubkey: Pubkey,
    is_signer: bool,
    is_writable: bool,
}

/// `solana_program::instruction::Instruction` (1.14), field for field.
struct Instruction {
    program_id: Pubkey,
    accounts: Vec<AccountMeta>,
    data: Vec<u8>,
}

/// `solana_program::account_info::AccountInfo` (1.14), field for field.
struct AccountInfo<'a> {
    key: &'a Pubkey,
    is_signer: bool,
    is_writable: bool,
    lamports: Rc<RefCell<&'a mut u64>>,
    data: Rc<RefCell<&'a mut [u8]>>,
    owner: &'a Pubkey,
    executable: bool,
    rent_epoch: u64,
}

#[repr(C)]
struct StableVec<T> {
    ptr: *const T,
    cap: usize,
    len: usize,
}

#[repr(C)]
struct StableInstruction {
    accounts: StableVec<AccountMeta>,
    data: StableVec<u8>,
    program_id: Pubkey,
}

/// `lamports` and `data` are the caller's `Rc`s, bit for bit (pointers to their reference counts and
/// cells, which is what the runtime reads): it updates lamports and data lengths through them.
#[repr(C)]
struct StableAccountInfo<'a> {
    key: &'a Pubkey,
    lamports: *const u8,
    data: *const u8,
    owner: &'a Pubkey,
    rent_epoch: u64,
    is_signer: bool,
    is_writable: bool,
    executable: bool,
}

/// `sol_invoke_signed_rust` for a caller built against `solana-program` < 1.16 (see the module).
///
/// # Safety
/// The arguments must be what that `solana-program`'s `invoke_signed_unchecked` passes: an
/// `&Instruction`, `account_infos_len` `AccountInfo`s and `signers_seeds_len` seed lists.
#[no_mangle]
pub unsafe extern "C" fn sbf_invoke_signed_rust_legacy(
    instruction: *const u8,
    account_infos: *const u8,
    account_infos_len: u64,
    signers_seeds: *const u8,
    signers_seeds_len: u64,
) -> u64 {
    // SAFETY: guaranteed by the caller.
    let instruction = unsafe { &*(instruction as *const Instruction) };
    let infos_len = account_infos_len as usize;
    if infos_len > MAX_ACCOUNTS {
        let message =
            b"sbf-std-support: a cross-program invocation with more than 16 account infos \
                        (solana-program < 1.16 layout)";
        // SAFETY: a static message.
        unsafe { sol_log_(message.as_ptr(), message.len() as u64) };
        return INVALID_ARGUMENT;
    }
    // SAFETY: guaranteed by the caller.
    let infos =
        unsafe { core::slice::from_raw_parts(account_infos as *const AccountInfo<'_>, infos_len) };

    let mut stable_infos: [MaybeUninit<StableAccountInfo<'_>>; MAX_ACCOUNTS] =
        [const { MaybeUninit::uninit() }; MAX_ACCOUNTS];
    for (slot, info) in stable_infos.iter_mut().zip(infos.iter()) {
        slot.write(StableAccountInfo {
            key: info.key,
            // SAFETY: an `Rc` is one pointer; copying its bits takes no reference and drops none.
            lamports: unsafe {
                core::mem::transmute_copy::<Rc<RefCell<&mut u64>>, *const u8>(&info.lamports)
            },
            // SAFETY: as above.
            data: unsafe {
                core::mem::transmute_copy::<Rc<RefCell<&mut [u8]>>, *const u8>(&info.data)
            },
            owner: info.owner,
            rent_epoch: info.rent_epoch,
            is_signer: info.is_signer,
            is_writable: info.is_writable,
            executable: info.executable,
        });
    }
    let stable = StableInstruction {
        accounts: StableVec {
            ptr: instruction.accounts.as_ptr(),
            cap: instruction.accounts.len(),
            len: instruction.accounts.len(),
        },
        data: StableVec {
            ptr: instruction.data.as_ptr(),
            cap: instruction.data.len(),
            len: instruction.data.len(),
        },
        program_id: instruction.program_id,
    };
    // SAFETY: every pointer is to memory that lives across the call; the seeds pass through unchanged
    // (slices of slices: `{ptr, len}` pairs on every rustc).
    unsafe {
        sol_invoke_signed_rust(
            &stable as *const StableInstruction as *const u8,
            stable_infos.as_ptr() as *const u8,
            account_infos_len,
            signers_seeds,
            signers_seeds_len,
        )
    }
}

/// `alloc` is here for its types (`Vec`, `Rc`) only, and a static library that links `alloc` must name
/// an allocator. This one is never called: the pipeline keeps only this crate's `sys_*` and `sbf_*`
/// symbols public when it links it into a program, whose own allocator (`entrypoint!`'s) serves it.
struct NoAllocator;

// SAFETY: it never hands out memory.
unsafe impl core::alloc::GlobalAlloc for NoAllocator {
    unsafe fn alloc(&self, _layout: core::alloc::Layout) -> *mut u8 {
        core::ptr::null_mut()
    }

    unsafe fn dealloc(&self, _ptr: *mut u8, _layout: core::alloc::Layout) {}
}

#[global_allocator]
static ALLOCATOR: NoAllocator = NoAllocator;

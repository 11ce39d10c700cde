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
//!
//! At most `MAX_ACCOUNTS` (16) account infos per invocation: the copies live in the shim's stack
//! frame (4 KiB). An invocation passing more makes no call: the shim logs why (the count and the
//! limit) and returns `ProgramError::InvalidArgument` to the caller's `invoke`. Only the account infos
//! count; the instruction's own accounts are passed through, not copied
//! (`tests/build/test_legacy_cpi_limit.py` runs both sides of the limit on the SBF VM).
//!
//! The host tests below check the layouts: the copies as the runtime reads them (its Rust ABI: the
//! offsets `StableInstruction` and 1.16's `#[repr(C)]` `AccountInfo` spell out, and an `Rc<RefCell<_>>`
//! as `{strong, weak, borrow, value}`), made from mirror values by this rustc;
//! `tests/build/test_legacy_cpi_mirrors.py` checks the mirrors' declarations against
//! `solana-program` 1.14.9's sources.

use alloc::rc::Rc;
use alloc::vec::Vec;
use core::cell::RefCell;
#[cfg(all(target_arch = "bpf", target_os = "solana", target_vendor = "solana"))]
use core::mem::MaybeUninit;

#[cfg(all(target_arch = "bpf", target_os = "solana", target_vendor = "solana"))]
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

impl<T> StableVec<T> {
    fn of(items: &[T]) -> Self {
        StableVec {
            ptr: items.as_ptr(),
            cap: items.len(),
            len: items.len(),
        }
    }
}

/// The instruction as the runtime reads it (`solana-program` 1.16's `StableInstruction`).
#[repr(C)]
struct StableInstruction {
    accounts: StableVec<AccountMeta>,
    data: StableVec<u8>,
    program_id: Pubkey,
}

/// An account info as the runtime reads it (`solana-program` 1.16's `#[repr(C)]` `AccountInfo`).
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

/// `instruction` as the runtime reads it; its vectors stay where they are.
fn stable_instruction(instruction: &Instruction) -> StableInstruction {
    StableInstruction {
        accounts: StableVec::of(&instruction.accounts),
        data: StableVec::of(&instruction.data),
        program_id: instruction.program_id,
    }
}

/// `info` as the runtime reads it.
fn stable_account_info<'a>(info: &AccountInfo<'a>) -> StableAccountInfo<'a> {
    StableAccountInfo {
        key: info.key,
        // SAFETY: an `Rc` is one pointer; copying its bits takes no reference and drops none.
        lamports: unsafe {
            core::mem::transmute_copy::<Rc<RefCell<&mut u64>>, *const u8>(&info.lamports)
        },
        // SAFETY: as above.
        data: unsafe { core::mem::transmute_copy::<Rc<RefCell<&mut [u8]>>, *const u8>(&info.data) },
        owner: info.owner,
        rent_epoch: info.rent_epoch,
        is_signer: info.is_signer,
        is_writable: info.is_writable,
        executable: info.executable,
    }
}

/// The line the shim logs when an invocation passes `count` (> `MAX_ACCOUNTS`) account infos.
fn too_many_accounts_message(count: u64, out: &mut [u8; 192]) -> usize {
    let mut len = 0;
    let mut put = |bytes: &[u8]| {
        out[len..len + bytes.len()].copy_from_slice(bytes);
        len += bytes.len();
    };
    let mut digits = [0u8; 20];
    let decimal = |mut n: u64, digits: &mut [u8; 20]| -> usize {
        let mut at = digits.len();
        loop {
            at -= 1;
            digits[at] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                return at;
            }
        }
    };
    put(b"sbf-std-support: a cross-program invocation passes ");
    let at = decimal(count, &mut digits);
    put(&digits[at..]);
    put(b" account infos; built against solana-program < 1.16, a program may pass at most ");
    let at = decimal(MAX_ACCOUNTS as u64, &mut digits);
    put(&digits[at..]);
    len
}

/// `sol_invoke_signed_rust` for a caller built against `solana-program` < 1.16 (see the module).
///
/// # Safety
/// The arguments must be what that `solana-program`'s `invoke_signed_unchecked` passes: an
/// `&Instruction`, `account_infos_len` `AccountInfo`s and `signers_seeds_len` seed lists.
#[cfg(all(target_arch = "bpf", target_os = "solana", target_vendor = "solana"))]
#[no_mangle]
pub unsafe extern "C" fn sbf_invoke_signed_rust_legacy(
    instruction: *const u8,
    account_infos: *const u8,
    account_infos_len: u64,
    signers_seeds: *const u8,
    signers_seeds_len: u64,
) -> u64 {
    if account_infos_len > MAX_ACCOUNTS as u64 {
        let mut message = [0u8; 192];
        let len = too_many_accounts_message(account_infos_len, &mut message);
        // SAFETY: `len` bytes of `message` are written.
        unsafe { sol_log_(message.as_ptr(), len as u64) };
        return INVALID_ARGUMENT;
    }
    // SAFETY: guaranteed by the caller.
    let instruction = unsafe { &*(instruction as *const Instruction) };
    // SAFETY: guaranteed by the caller.
    let infos = unsafe {
        core::slice::from_raw_parts(
            account_infos as *const AccountInfo<'_>,
            account_infos_len as usize,
        )
    };
    let mut stable_infos: [MaybeUninit<StableAccountInfo<'_>>; MAX_ACCOUNTS] =
        [const { MaybeUninit::uninit() }; MAX_ACCOUNTS];
    for (slot, info) in stable_infos.iter_mut().zip(infos.iter()) {
        slot.write(stable_account_info(info));
    }
    let stable = stable_instruction(instruction);
    // SAFETY: every pointer is to memory that lives across the call; the first `account_infos_len`
    // copies are written; the seeds pass through unchanged (slices of slices: `{ptr, len}` pairs on
    // every rustc).
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
#[cfg(all(target_arch = "bpf", target_os = "solana", target_vendor = "solana"))]
struct NoAllocator;

// SAFETY: it never hands out memory.
#[cfg(all(target_arch = "bpf", target_os = "solana", target_vendor = "solana"))]
unsafe impl core::alloc::GlobalAlloc for NoAllocator {
    unsafe fn alloc(&self, _layout: core::alloc::Layout) -> *mut u8 {
        core::ptr::null_mut()
    }

    unsafe fn dealloc(&self, _ptr: *mut u8, _layout: core::alloc::Layout) {}
}

#[cfg(all(target_arch = "bpf", target_os = "solana", target_vendor = "solana"))]
#[global_allocator]
static ALLOCATOR: NoAllocator = NoAllocator;

/// The layouts, with this rustc (the pipeline's: `RUSTC=/usr/bin/rustc cargo test`, as `scripts/test.sh`
/// runs it). The host's pointers and `u64`s are 8 bytes with 8-byte alignment, as on SBF, so rustc lays
/// the mirrors out as it does for the program.
#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use core::mem::{align_of, offset_of, size_of};
    use std::vec;

    /// Reads the `u64` at byte `offset` of `base`, as the runtime reads guest memory.
    fn word_at<T>(base: &T, offset: usize) -> u64 {
        // SAFETY: the tests read within `size_of::<T>()` (checked by the callers' layouts).
        unsafe {
            core::ptr::read_unaligned((base as *const T as *const u8).add(offset) as *const u64)
        }
    }

    fn byte_at<T>(base: &T, offset: usize) -> u8 {
        // SAFETY: as above.
        unsafe { *(base as *const T as *const u8).add(offset) }
    }

    /// The runtime's Rust ABI for `sol_invoke_signed_rust` (the offsets `StableInstruction` and 1.16's
    /// `#[repr(C)]` `AccountInfo` spell out; what Solana's rustc of 1.14's time gave the plain structs).
    #[test]
    fn the_copies_have_the_layout_the_runtime_reads() {
        assert_eq!(
            (size_of::<StableVec<u8>>(), align_of::<StableVec<u8>>()),
            (24, 8)
        );
        assert_eq!(
            (
                offset_of!(StableVec<u8>, ptr),
                offset_of!(StableVec<u8>, cap),
                offset_of!(StableVec<u8>, len)
            ),
            (0, 8, 16)
        );
        assert_eq!(
            (
                size_of::<StableInstruction>(),
                align_of::<StableInstruction>()
            ),
            (80, 8)
        );
        assert_eq!(
            (
                offset_of!(StableInstruction, accounts),
                offset_of!(StableInstruction, data),
                offset_of!(StableInstruction, program_id)
            ),
            (0, 24, 48)
        );
        assert_eq!(
            (size_of::<AccountMeta>(), align_of::<AccountMeta>()),
            (34, 1)
        );
        assert_eq!(
            (
                offset_of!(AccountMeta, pubkey),
                offset_of!(AccountMeta, is_signer),
                offset_of!(AccountMeta, is_writable)
            ),
            (0, 32, 33)
        );
        assert_eq!(
            (
                size_of::<StableAccountInfo<'_>>(),
                align_of::<StableAccountInfo<'_>>()
            ),
            (48, 8)
        );
        assert_eq!(
            [
                offset_of!(StableAccountInfo<'_>, key),
                offset_of!(StableAccountInfo<'_>, lamports),
                offset_of!(StableAccountInfo<'_>, data),
                offset_of!(StableAccountInfo<'_>, owner),
                offset_of!(StableAccountInfo<'_>, rent_epoch),
                offset_of!(StableAccountInfo<'_>, is_signer),
                offset_of!(StableAccountInfo<'_>, is_writable),
                offset_of!(StableAccountInfo<'_>, executable),
            ],
            [0, 8, 16, 24, 32, 40, 41, 42]
        );
        assert_eq!(size_of::<Pubkey>(), 32);
    }

    /// Why the shim exists: this rustc lays the 1.14 structs out otherwise than the runtime reads them.
    /// Should that change, the shim would still be right, but this test says the reason is gone.
    #[test]
    fn this_rustc_lays_the_mirrors_out_otherwise_than_the_runtime_reads_them() {
        assert_eq!(size_of::<Instruction>(), size_of::<StableInstruction>());
        let stable = [0, 24, 48];
        let mirror = [
            offset_of!(Instruction, accounts),
            offset_of!(Instruction, data),
            offset_of!(Instruction, program_id),
        ];
        let info_stable = [0, 8, 16, 24, 32];
        let info_mirror = [
            offset_of!(AccountInfo<'_>, key),
            offset_of!(AccountInfo<'_>, lamports),
            offset_of!(AccountInfo<'_>, data),
            offset_of!(AccountInfo<'_>, owner),
            offset_of!(AccountInfo<'_>, rent_epoch),
        ];
        assert!(
            mirror != stable || info_mirror != info_stable,
            "{mirror:?} {info_mirror:?}"
        );
    }

    /// The shim's copies of mirror values, read at the runtime's offsets, including through the `Rc`s:
    /// the runtime takes an `Rc<RefCell<&mut T>>` for a pointer to `{strong, weak, borrow, value}` and
    /// reads and writes the `&mut u64` / `&mut [u8]` at offset 24. This rustc must lay `Rc` and `RefCell`
    /// out that way for the program's own `AccountInfo`s (the shim passes their `Rc`s through).
    #[test]
    fn the_copies_read_at_the_runtime_offsets_give_the_callers_values() {
        let key = Pubkey([1; 32]);
        let owner = Pubkey([2; 32]);
        let mut lamports = 1_234_567u64;
        let lamports_at = &mut lamports as *mut u64 as u64;
        let mut data = vec![9u8; 100];
        let (data_at, data_len) = (data.as_mut_ptr() as u64, data.len() as u64);
        let info = AccountInfo {
            key: &key,
            is_signer: true,
            is_writable: false,
            lamports: Rc::new(RefCell::new(&mut lamports)),
            data: Rc::new(RefCell::new(&mut data[..])),
            owner: &owner,
            executable: true,
            rent_epoch: 0x0102_0304_0506_0708,
        };
        let _second = Rc::clone(&info.lamports);
        let copy = stable_account_info(&info);
        assert_eq!(word_at(&copy, 0), &key as *const Pubkey as u64);
        assert_eq!(word_at(&copy, 24), &owner as *const Pubkey as u64);
        assert_eq!(word_at(&copy, 32), 0x0102_0304_0506_0708);
        assert_eq!(
            [byte_at(&copy, 40), byte_at(&copy, 41), byte_at(&copy, 42)],
            [1, 0, 1]
        );
        // The lamports' `Rc`: strong count 2 at +0, weak 1 at +8, no borrow at +16, the `&mut u64` at +24.
        let rc_box = word_at(&copy, 8) as *const u64;
        // SAFETY: the `RcBox` lives as long as `info`.
        let (strong, weak, borrow, value) =
            unsafe { (*rc_box, *rc_box.add(1), *rc_box.add(2), *rc_box.add(3)) };
        assert_eq!((strong, weak, borrow, value), (2, 1, 0, lamports_at));
        // The data's: the `&mut [u8]` at +24 as `{ptr, len}`; the runtime also writes a new length there.
        let rc_box = word_at(&copy, 16) as *mut u64;
        // SAFETY: as above.
        let (strong, borrow, ptr, len) =
            unsafe { (*rc_box, *rc_box.add(2), *rc_box.add(3), *rc_box.add(4)) };
        assert_eq!((strong, borrow, ptr, len), (1, 0, data_at, data_len));
        // SAFETY: as the runtime does after a callee shrank the account: the caller sees the new length.
        unsafe { *rc_box.add(4) = 40 };
        assert_eq!(info.data.borrow().len(), 40);
        // And while the program holds a borrow, the runtime sees the flag at +16.
        let held = info.lamports.borrow_mut();
        // SAFETY: as above.
        assert_eq!(
            unsafe { *(word_at(&copy, 8) as *const u64).add(2) },
            u64::MAX
        ); // -1: borrowed mutably
        drop(held);
    }

    #[test]
    fn the_instruction_copy_points_at_the_callers_vectors() {
        let accounts = vec![
            AccountMeta {
                pubkey: Pubkey([4; 32]),
                is_signer: true,
                is_writable: false,
            },
            AccountMeta {
                pubkey: Pubkey([5; 32]),
                is_signer: false,
                is_writable: true,
            },
        ];
        let mut data = vec![7u8; 10];
        data.reserve(100); // capacity ≠ length: the runtime is given the length for both
        let instruction = Instruction {
            program_id: Pubkey([6; 32]),
            accounts,
            data,
        };
        let copy = stable_instruction(&instruction);
        let accounts_at = instruction.accounts.as_ptr() as u64;
        assert_eq!(
            [word_at(&copy, 0), word_at(&copy, 8), word_at(&copy, 16)],
            [accounts_at, 2, 2]
        );
        let data_at = instruction.data.as_ptr() as u64;
        assert_eq!(
            [word_at(&copy, 24), word_at(&copy, 32), word_at(&copy, 40)],
            [data_at, 10, 10]
        );
        // SAFETY: within `copy` (80 bytes).
        let program_id = unsafe {
            *((&copy as *const StableInstruction as *const u8).add(48) as *const [u8; 32])
        };
        assert_eq!(program_id, [6; 32]);
        // The metas as the runtime reads them: 34 bytes each, pubkey then the two flags.
        // SAFETY: two metas of 34 bytes at `accounts_at`.
        let metas = unsafe { core::slice::from_raw_parts(accounts_at as *const u8, 68) };
        assert_eq!((&metas[..32], metas[32], metas[33]), (&[4u8; 32][..], 1, 0));
        assert_eq!(
            (&metas[34..66], metas[66], metas[67]),
            (&[5u8; 32][..], 0, 1)
        );
    }

    #[test]
    fn too_many_account_infos_are_named_with_the_limit() {
        let mut out = [0u8; 192];
        let len = too_many_accounts_message(17, &mut out);
        assert_eq!(
            core::str::from_utf8(&out[..len]).unwrap(),
            "sbf-std-support: a cross-program invocation passes 17 account infos; built against \
             solana-program < 1.16, a program may pass at most 16"
        );
        let len = too_many_accounts_message(u64::MAX, &mut out);
        assert!(core::str::from_utf8(&out[..len])
            .unwrap()
            .contains(" 18446744073709551615 account infos"));
        assert_eq!(INVALID_ARGUMENT, 0x2_0000_0000); // ProgramError::InvalidArgument as the runtime returns it
    }
}

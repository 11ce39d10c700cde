//! The cluster time, read straight from the Clock sysvar.
//!
//! pinocchio's `Clock::get()` only issues the syscall when `target_os = "solana"`, so on SolGrid's
//! upstream-BPF pipeline it fails; `sol_get_sysvar` through `get_sysvar` works on both toolchains.

use pinocchio::{
    error::ProgramError,
    sysvars::{clock::CLOCK_ID, get_sysvar},
};

/// Byte offset of `unix_timestamp` in the Clock sysvar (after slot, epoch_start_timestamp, epoch,
/// leader_schedule_epoch: four 8-byte fields).
pub const UNIX_TIMESTAMP_OFFSET: usize = 32;

/// The cluster's current Unix time in seconds.
#[inline(always)]
pub fn unix_timestamp() -> Result<i64, ProgramError> {
    let mut bytes = [0u8; 8];
    get_sysvar(&mut bytes, &CLOCK_ID, UNIX_TIMESTAMP_OFFSET)?;
    Ok(i64::from_le_bytes(bytes))
}

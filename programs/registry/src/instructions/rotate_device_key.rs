//! `rotate_device_key(new_key: [u8; 32])`: replaces a meter's device key, e.g. after a device swap
//! or a key compromise (privileged: readings signed by the old key stop being accepted). The new key
//! must be a canonical Ed25519 point of large order ([`crate::device_key`]).
//!
//! Accounts:
//! 0. `[]` config.
//! 1. `[writable]` meter.
//! 2.. `[signer]` cosigners: `regulator_threshold` distinct configured regulators.
//!
//! Emits `DeviceKeyRotated`.

use pinocchio::{AccountView, Address, ProgramResult};
use solgrid_program_kit::{account, checks, discriminator, event::emit, instruction};

use crate::{auth, device_key, events::DeviceKeyRotated, state::Meter};

pub const DISCRIMINATOR: u64 =
    discriminator::as_u64(discriminator::instruction("rotate_device_key"));
pub const DATA_LEN: usize = discriminator::LEN + 32;
pub const ACCOUNTS_LEN: usize = 2;

pub fn process(program_id: &Address, accounts: &mut [AccountView], args: &[u8]) -> ProgramResult {
    let new_key: &[u8; 32] = instruction::args(args)?;
    device_key::check_device_key(new_key)?;
    let ([config, meter], cosigners) = auth::split::<ACCOUNTS_LEN>(accounts)?;
    {
        let config = auth::config(program_id, config)?;
        auth::threshold(&config, cosigners)?;
    }
    checks::writable(meter)?;
    checks::owned_by(meter, program_id)?;
    let meter_address = *meter.address();
    let mut state = account::borrow_mut::<Meter>(meter)?;
    let old_key = state.device_key;
    state.device_key = *new_key;
    emit(DeviceKeyRotated {
        meter: meter_address,
        old_key,
        new_key: *new_key,
    });
    Ok(())
}

//! The shared body of `activate_meter` and `set_meter_status` (routine regulator actions).
//!
//! Accounts of both:
//! 0. `[signer]` regulator: a configured regulator.
//! 1. `[]` config.
//! 2. `[writable]` meter.

use pinocchio::{AccountView, Address, ProgramResult};
use solgrid_program_kit::{account, checks, clock, event::emit, KitError};

use crate::{
    auth,
    errors::RegistryError,
    events::MeterStatusChanged,
    state::{Meter, MeterStatus},
};

pub const ACCOUNTS_LEN: usize = 3;

/// Sets the meter's status to `to`. Activation moves the window clock to now (if later), so that
/// energy from while the meter was not active can never be claimed.
pub fn change(
    program_id: &Address,
    accounts: &mut [AccountView],
    to: MeterStatus,
) -> ProgramResult {
    let [regulator, config, meter, ..] = accounts else {
        return Err(KitError::NotEnoughAccounts.into());
    };
    {
        let config = auth::config(program_id, config)?;
        auth::regulator(&config, regulator)?;
    }
    checks::writable(meter)?;
    checks::owned_by(meter, program_id)?;
    let meter_address = *meter.address();
    let mut state = account::borrow_mut::<Meter>(meter)?;
    let old = state.status;
    if old == to as u8 {
        return Err(RegistryError::InvalidStatusTransition.into());
    }
    if to == MeterStatus::Active {
        let now = clock::unix_timestamp()?;
        if now > state.last_window_end.get() {
            state.last_window_end.set(now);
        }
    }
    state.status = to as u8;
    emit(MeterStatusChanged {
        meter: meter_address,
        regulator: *regulator.address(),
        old_status: old,
        new_status: to as u8,
        last_window_end: state.last_window_end,
    });
    Ok(())
}

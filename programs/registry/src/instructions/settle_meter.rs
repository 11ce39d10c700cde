//! `settle_meter()`: marks a meter's unsettled net surplus as settled; the CPI target of
//! energy_token's `settle_and_mint` (ISSUE3 decision 5).
//!
//! Accounts:
//! 0. `[signer]` settlement_authority: must equal `Config.settlement_authority` (energy_token's
//!    `["settlement"]` PDA, which signs through `invoke_signed`).
//! 1. `[]` config.
//! 2. `[writable]` meter.
//! 3. `[]` user: the meter owner's User (`Meter.user`); must be Verified.
//! 4. `[]` zone: the meter's Zone (bound by `zone_id`); refused with `MintingPaused` while MINTING
//!    is paused for it (market-wide or for the zone).
//!
//! amount = produced - consumed - settled when positive (deficits carry); 0 fails with
//! `NothingToSettle`. Then `settled_wh += amount` and `MeterSettled` is emitted. No return data: the
//! caller reads the increase of `settled_wh` (the meter is in its accounts), which costs no syscall.
//! Only the meter is written (no global account of the registry on the minting path).

use pinocchio::{address::address_eq, AccountView, Address, ProgramResult};
use solgrid_program_kit::{
    account, checks, discriminator, event::emit, instruction, pod::PodU64, KitError,
};

use crate::{
    errors::RegistryError,
    events::MeterSettled,
    logic::unsettled_surplus,
    state::{pause, Config, Meter, User, UserStatus, Zone},
};

pub const DISCRIMINATOR: u64 = discriminator::as_u64(discriminator::instruction("settle_meter"));
pub const DATA_LEN: usize = discriminator::LEN;
pub const ACCOUNTS_LEN: usize = 5;

pub fn process(program_id: &Address, accounts: &mut [AccountView], args: &[u8]) -> ProgramResult {
    instruction::no_args(args)?;
    let [authority, config, meter, user, zone, ..] = accounts else {
        return Err(KitError::NotEnoughAccounts.into());
    };
    checks::signer(authority)?;
    // Config exists only at its PDA (see state.rs), so owner + discriminator identify it.
    checks::owned_by(config, program_id)?;
    let market_paused = {
        let config = account::borrow::<Config>(config)?;
        if !address_eq(authority.address(), &config.settlement_authority) {
            return Err(RegistryError::NotSettlementAuthority.into());
        }
        config.paused
    };
    checks::writable(meter)?;
    checks::owned_by(meter, program_id)?;
    checks::owned_by(user, program_id)?;
    let meter_address = *meter.address();
    let mut state = account::borrow_mut::<Meter>(meter)?;
    if !address_eq(user.address(), &state.user) {
        return Err(RegistryError::UserMismatch.into());
    }
    match UserStatus::try_from(account::borrow::<User>(user)?.status)? {
        UserStatus::Verified => {}
        UserStatus::Suspended => return Err(RegistryError::UserSuspended.into()),
        UserStatus::Pending => return Err(RegistryError::UserNotVerified.into()),
    }
    // The meter is borrowed mutably: its own address in the zone slot is a substitution.
    if address_eq(zone.address(), &meter_address) {
        return Err(RegistryError::ZoneMismatch.into());
    }
    checks::owned_by(zone, program_id)?;
    {
        let zone = account::borrow::<Zone>(zone)?;
        if zone.zone_id.0 != state.zone_id.0 {
            return Err(RegistryError::ZoneMismatch.into());
        }
        if pause::is_paused(market_paused, zone.paused, pause::MINTING) {
            return Err(RegistryError::MintingPaused.into());
        }
    }
    let amount = unsettled_surplus(
        state.produced_wh.get(),
        state.consumed_wh.get(),
        state.settled_wh.get(),
    );
    if amount == 0 {
        return Err(RegistryError::NothingToSettle.into());
    }
    let settled = state
        .settled_wh
        .get()
        .checked_add(amount)
        .ok_or(KitError::ArithmeticOverflow)?;
    state.settled_wh.set(settled);
    emit(MeterSettled {
        meter: meter_address,
        owner: state.owner,
        amount_wh: PodU64::new(amount),
        settled_wh: PodU64::new(settled),
    });
    Ok(())
}

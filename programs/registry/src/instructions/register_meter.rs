//! `register_meter(serial: [u8; 32], device_key: [u8; 32], source: EnergySource, capacity_w: u64)`:
//! an owner registers a meter in its zone, status Inactive until a regulator activates it.
//!
//! The owner's User must be Verified: meters only exist for checked participants, and each user
//! registers at most `limits.max_meters_per_user`. The declared capacity (which bounds every
//! reading's production) may not exceed the zone's. The meter's window clock starts at
//! registration, so no reading can claim energy from before it. The device key must be a canonical
//! Ed25519 point of large order ([`crate::device_key`]).
//!
//! Accounts:
//! 0. `[signer, writable]` payer: funds the Meter account.
//! 1. `[signer]` owner: the wallet that owns the meter.
//! 2. `[writable]` config: `meter_count` is incremented.
//! 3. `[writable]` user: the owner's User (`meter_count` is incremented).
//! 4. `[]` zone: the user's Zone (must not be Halted; its capacity bounds the meter's).
//! 5. `[writable]` meter: PDA `["meter", serial]`, created here.
//! 6. `[]` system_program.
//!
//! Emits `MeterRegistered`.

use core::mem::size_of;
use pinocchio::{address::address_eq, cpi::Seed, AccountView, Address, ProgramResult};
use solgrid_program_kit::{
    account::{self, AccountLayout},
    checks, clock, create, discriminator,
    event::emit,
    impl_pod, instruction,
    pod::{PodI64, PodU64},
    rent::Rent,
    KitError,
};

use super::register_user::check_zone;
use crate::{
    auth, device_key,
    errors::RegistryError,
    events::MeterRegistered,
    state::{EnergySource, Meter, MeterStatus, User, UserStatus, METER_SEED},
};

pub const DISCRIMINATOR: u64 = discriminator::as_u64(discriminator::instruction("register_meter"));
pub const DATA_LEN: usize = discriminator::LEN + size_of::<RegisterMeterArgs>();
pub const ACCOUNTS_LEN: usize = 7;

#[repr(C)]
pub struct RegisterMeterArgs {
    pub serial: [u8; 32],
    pub device_key: [u8; 32],
    /// An [`EnergySource`].
    pub source: u8,
    pub capacity_w: PodU64,
}

impl_pod!(RegisterMeterArgs {
    serial: [u8; 32],
    device_key: [u8; 32],
    source: u8,
    capacity_w: PodU64,
});

pub fn process(program_id: &Address, accounts: &mut [AccountView], args: &[u8]) -> ProgramResult {
    let args: &RegisterMeterArgs = instruction::args(args)?;
    let source = EnergySource::try_from(args.source)?;
    if args.capacity_w.get() == 0 {
        return Err(RegistryError::InvalidCapacity.into());
    }
    device_key::check_device_key(&args.device_key)?;
    let [payer, owner, config, user, zone, meter, system_program, ..] = accounts else {
        return Err(KitError::NotEnoughAccounts.into());
    };
    checks::payer(payer)?;
    checks::signer(owner)?;
    let max_meters = {
        let mut config = auth::config_mut(program_id, config)?;
        let count = config.meter_count.get();
        config
            .meter_count
            .set(count.checked_add(1).ok_or(KitError::ArithmeticOverflow)?);
        config.limits.max_meters_per_user.get()
    };
    // A User account exists only at the PDA of its `authority`, so matching the authority binds it.
    checks::writable(user)?;
    checks::owned_by(user, program_id)?;
    let zone_id = {
        let mut user = account::borrow_mut::<User>(user)?;
        if !address_eq(&user.authority, owner.address()) {
            return Err(RegistryError::UserMismatch.into());
        }
        match UserStatus::try_from(user.status)? {
            UserStatus::Verified => {}
            UserStatus::Suspended => return Err(RegistryError::UserSuspended.into()),
            UserStatus::Pending => return Err(RegistryError::UserNotVerified.into()),
        }
        let meters = user.meter_count.get();
        if meters >= max_meters {
            return Err(RegistryError::TooManyMeters.into());
        }
        user.meter_count.set(meters + 1);
        user.zone_id
    };
    let zone_capacity_kw = check_zone(program_id, zone, zone_id.get())?;
    if args.capacity_w.get() > zone_capacity_kw.saturating_mul(1_000) {
        return Err(RegistryError::CapacityExceedsZone.into());
    }
    checks::writable(meter)?;
    checks::system_program(system_program)?;
    let meter_bump = checks::canonical_pda(meter, &[METER_SEED, &args.serial], program_id)?;
    checks::uninitialized(meter)?;
    let bump = [meter_bump];
    let seeds = [
        Seed::from(METER_SEED),
        Seed::from(&args.serial),
        Seed::from(&bump),
    ];
    create::create_pda_account(payer, meter, Meter::LEN, program_id, &seeds, &Rent::get()?)?;
    let now = clock::unix_timestamp()?;
    {
        let mut state = account::borrow_init::<Meter>(meter)?;
        state.serial = args.serial;
        state.owner = *owner.address();
        state.user = *user.address();
        state.zone_id = zone_id;
        state.device_key = args.device_key;
        state.source = source as u8;
        state.status = MeterStatus::Inactive as u8;
        state.bump = meter_bump;
        state.capacity_w = args.capacity_w;
        state.last_window_end = PodI64::new(now);
        state.registered_at = PodI64::new(now);
    }
    emit(MeterRegistered {
        meter: *meter.address(),
        serial: args.serial,
        owner: *owner.address(),
        zone_id,
        device_key: args.device_key,
        source: source as u8,
        capacity_w: PodU64::new(args.capacity_w.get()),
        timestamp: PodI64::new(now),
    });
    Ok(())
}

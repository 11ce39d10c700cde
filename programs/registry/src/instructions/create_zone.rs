//! `create_zone(zone_id: u32, name: [u8; 32], max_capacity_kw: u64)`: creates a grid zone, status
//! Active (privileged).
//!
//! Accounts:
//! 0. `[signer, writable]` payer: funds the Zone account.
//! 1. `[writable]` config: `zone_count` is incremented.
//! 2. `[writable]` zone: PDA `["zone", zone_id LE]`, created here.
//! 3. `[]` system_program.
//! 4.. `[signer]` cosigners: `regulator_threshold` distinct configured regulators.
//!
//! Emits `ZoneCreated`.

use core::mem::size_of;
use pinocchio::{cpi::Seed, AccountView, Address, ProgramResult};
use solgrid_program_kit::{
    account::{self, AccountLayout},
    checks, clock, create, discriminator,
    event::emit,
    impl_pod, instruction,
    pod::{PodI64, PodU32, PodU64},
    rent::Rent,
    KitError,
};

use crate::{
    auth,
    events::ZoneCreated,
    state::{Zone, ZoneStatus, ZONE_SEED},
};

pub const DISCRIMINATOR: u64 = discriminator::as_u64(discriminator::instruction("create_zone"));
pub const DATA_LEN: usize = discriminator::LEN + size_of::<CreateZoneArgs>();
pub const ACCOUNTS_LEN: usize = 4;

#[repr(C)]
pub struct CreateZoneArgs {
    pub zone_id: PodU32,
    pub name: [u8; 32],
    pub max_capacity_kw: PodU64,
}

impl_pod!(CreateZoneArgs {
    zone_id: PodU32,
    name: [u8; 32],
    max_capacity_kw: PodU64
});

pub fn process(program_id: &Address, accounts: &mut [AccountView], args: &[u8]) -> ProgramResult {
    let args: &CreateZoneArgs = instruction::args(args)?;
    let ([payer, config, zone, system_program], cosigners) = auth::split::<ACCOUNTS_LEN>(accounts)?;
    checks::payer(payer)?;
    {
        let mut config = auth::config_mut(program_id, config)?;
        auth::threshold(&config, cosigners)?;
        let count = config.zone_count.get();
        config
            .zone_count
            .set(count.checked_add(1).ok_or(KitError::ArithmeticOverflow)?);
    }
    checks::writable(zone)?;
    checks::system_program(system_program)?;
    let id = args.zone_id.0;
    let zone_bump = checks::canonical_pda(zone, &[ZONE_SEED, &id], program_id)?;
    checks::uninitialized(zone)?;
    let bump = [zone_bump];
    let seeds = [Seed::from(ZONE_SEED), Seed::from(&id), Seed::from(&bump)];
    create::create_pda_account(payer, zone, Zone::LEN, program_id, &seeds, &Rent::get()?)?;
    let now = clock::unix_timestamp()?;
    {
        let mut state = account::borrow_init::<Zone>(zone)?;
        state.zone_id = args.zone_id;
        state.name = args.name;
        state.max_capacity_kw = args.max_capacity_kw;
        state.status = ZoneStatus::Active as u8;
        state.bump = zone_bump;
        state.created_at = PodI64::new(now);
    }
    emit(ZoneCreated {
        zone: *zone.address(),
        zone_id: args.zone_id,
        name: args.name,
        max_capacity_kw: args.max_capacity_kw,
        timestamp: PodI64::new(now),
    });
    Ok(())
}

//! `submit_readings(readings: Vec<Reading>)`: a batch of device-signed meter readings (1..=16).
//!
//! The instruction immediately before this one must be the native Ed25519 program's, carrying
//! exactly one signature per reading, in order: signature i is over reading i's 32-byte message
//! ([`crate::logic::reading_message`]) by meter i's device key. Anyone may submit (the payer only
//! pays fees); the device signature is what authenticates a reading.
//!
//! Accounts:
//! 0. `[]` config.
//! 1. `[]` instructions_sysvar.
//! 2 + 3i. `[writable]` meter_i.
//! 3 + 3i. `[]` user_i: meter_i's owner's User (`Meter.user`).
//! 4 + 3i. `[]` zone_i: meter_i's Zone.
//!
//! Per reading, in this order: meter (owner, writable, type), user binding, user Verified (not
//! Suspended), zone binding, zone not Halted, READINGS not paused for the zone (market-wide or the
//! zone's own flag: `ReadingsPaused`), meter Active, the Ed25519 entry (offsets confined to the
//! Ed25519 instruction, key = device key, message = the reading's digest), the window rules of
//! [`crate::logic::check_reading`], then [`crate::logic::check_standing`] (the window starts after the
//! owner was last verified and the zone last left a halt). Any failure fails the whole transaction.
//! Only the meters are written; a meter's first accepted reading also records `first_window_start`.
//! Emits `ReadingAccepted` per reading.

use core::mem::size_of;
use pinocchio::{
    address::address_eq,
    error::ProgramError,
    sysvars::instructions::{Instructions, INSTRUCTIONS_ID},
    AccountView, Address, ProgramResult,
};
use solgrid_program_kit::{
    account, checks, clock, discriminator,
    ed25519::{self, ED25519_PROGRAM_ID},
    event::emit,
    pod::{PodU32, PodU64},
    KitError,
};

use crate::{
    errors::RegistryError,
    events::ReadingAccepted,
    logic::{check_reading, check_standing, reading_message, Reading, READING_MESSAGE_LEN},
    state::{pause, Config, EnergySource, Meter, MeterStatus, User, UserStatus, Zone, ZoneStatus},
};

pub const DISCRIMINATOR: u64 = discriminator::as_u64(discriminator::instruction("submit_readings"));
/// Most readings in one batch.
pub const MAX_READINGS: usize = 16;
pub const FIXED_ACCOUNTS: usize = 2;
pub const ACCOUNTS_PER_READING: usize = 3;
/// Fixed accounts in the IDL (the per-reading triples are remaining accounts).
pub const ACCOUNTS_LEN: usize = FIXED_ACCOUNTS;
/// Most accounts the instruction takes.
pub const MAX_ACCOUNTS: usize = FIXED_ACCOUNTS + ACCOUNTS_PER_READING * MAX_READINGS;
const VEC_LEN: usize = 4;

/// Instruction data length for `n` readings.
pub const fn data_len(n: usize) -> usize {
    discriminator::LEN + VEC_LEN + n * size_of::<Reading>()
}

/// The borsh `Vec<Reading>` viewed in place.
pub fn parse_readings(args: &[u8]) -> Result<&[Reading], ProgramError> {
    if args.len() < VEC_LEN {
        return Err(KitError::InvalidInstructionData.into());
    }
    let n = u32::from_le_bytes([args[0], args[1], args[2], args[3]]) as usize;
    if n == 0 || n > MAX_READINGS {
        return Err(RegistryError::InvalidBatchSize.into());
    }
    if args.len() != VEC_LEN + n * size_of::<Reading>() {
        return Err(KitError::InvalidInstructionData.into());
    }
    // SAFETY: `Reading` is Pod (alignment 1, any bytes); the length was checked.
    Ok(unsafe { core::slice::from_raw_parts(args.as_ptr().add(VEC_LEN) as *const Reading, n) })
}

#[inline(always)]
fn require_verified(status: u8) -> Result<(), ProgramError> {
    match UserStatus::try_from(status)? {
        UserStatus::Verified => Ok(()),
        UserStatus::Suspended => Err(RegistryError::UserSuspended.into()),
        UserStatus::Pending => Err(RegistryError::UserNotVerified.into()),
    }
}

pub fn process(program_id: &Address, accounts: &mut [AccountView], args: &[u8]) -> ProgramResult {
    let readings = parse_readings(args)?;
    let [config, sysvar, triples @ ..] = accounts else {
        return Err(KitError::NotEnoughAccounts.into());
    };
    if triples.len() != readings.len() * ACCOUNTS_PER_READING {
        return Err(RegistryError::InvalidBatchSize.into());
    }
    // Config exists only at its PDA (see state.rs), so owner + discriminator identify it.
    checks::owned_by(config, program_id)?;
    let (limits, market_paused) = {
        let config = account::borrow::<Config>(config)?;
        (config.limits, config.paused)
    };
    let now = clock::unix_timestamp()?;

    if !address_eq(sysvar.address(), &INSTRUCTIONS_ID) {
        return Err(RegistryError::InvalidInstructionsSysvar.into());
    }
    let instructions = Instructions::try_from(&*sysvar)?;
    let current = instructions.load_current_index();
    if current == 0 {
        return Err(RegistryError::Ed25519InstructionMissing.into());
    }
    let ed25519_index = current - 1;
    let ed25519_ix = instructions
        .load_instruction_at(ed25519_index as usize)
        .map_err(|_| RegistryError::Ed25519InstructionMissing)?;
    if !address_eq(ed25519_ix.get_program_id(), &ED25519_PROGRAM_ID) {
        return Err(RegistryError::Ed25519InstructionMissing.into());
    }
    let signed = ed25519_ix.get_instruction_data();
    if ed25519::signature_count(signed).map_err(RegistryError::from)? != readings.len() {
        return Err(RegistryError::Ed25519SignatureCountMismatch.into());
    }

    for (i, (reading, triple)) in readings
        .iter()
        .zip(triples.chunks_exact_mut(ACCOUNTS_PER_READING))
        .enumerate()
    {
        let [meter, user, zone] = triple else {
            return Err(KitError::NotEnoughAccounts.into());
        };
        checks::owned_by(meter, program_id)?;
        checks::writable(meter)?;
        let meter_address = *meter.address();
        let mut state = account::borrow_mut::<Meter>(meter)?;

        if !address_eq(user.address(), &state.user) {
            return Err(RegistryError::UserMismatch.into());
        }
        checks::owned_by(user, program_id)?;
        let user_verified_at = {
            let user = account::borrow::<User>(user)?;
            require_verified(user.status)?;
            user.verified_at.get()
        };

        // The meter is borrowed mutably: its own address in the zone slot is a substitution.
        if address_eq(zone.address(), &meter_address) {
            return Err(RegistryError::ZoneMismatch.into());
        }
        checks::owned_by(zone, program_id)?;
        let zone_reopened_at = {
            let zone = account::borrow::<Zone>(zone)?;
            if zone.zone_id.0 != state.zone_id.0 {
                return Err(RegistryError::ZoneMismatch.into());
            }
            if zone.status == ZoneStatus::Halted as u8 {
                return Err(RegistryError::ZoneHalted.into());
            }
            if pause::is_paused(market_paused, zone.paused, pause::READINGS) {
                return Err(RegistryError::ReadingsPaused.into());
            }
            zone.reopened_at.get()
        };
        if state.status != MeterStatus::Active as u8 {
            return Err(RegistryError::MeterNotActive.into());
        }

        let (key, message) = ed25519::signature(signed, ed25519_index, i, READING_MESSAGE_LEN)
            .map_err(RegistryError::from)?;
        if *key != state.device_key {
            return Err(RegistryError::DeviceKeyMismatch.into());
        }
        let expected = reading_message(program_id.as_array(), meter_address.as_array(), reading);
        if message != expected {
            return Err(RegistryError::ReadingMessageMismatch.into());
        }

        check_reading(
            reading,
            &limits,
            state.last_window_end.get(),
            now,
            state.capacity_w.get(),
        )?;
        check_standing(reading, user_verified_at, zone_reopened_at)?;

        let production = reading.production_wh.get() as u64;
        let consumption = reading.consumption_wh.get() as u64;
        let produced = state.produced_wh.get().checked_add(production);
        let consumed = state.consumed_wh.get().checked_add(consumption);
        let first = state.reading_count.get() == 0;
        let count = state.reading_count.get().checked_add(1);
        let certified = if EnergySource::try_from(state.source)?.is_renewable() {
            state.certified_wh.get().checked_add(production)
        } else {
            Some(state.certified_wh.get())
        };
        let (Some(produced), Some(consumed), Some(count), Some(certified)) =
            (produced, consumed, count, certified)
        else {
            return Err(KitError::ArithmeticOverflow.into());
        };
        state.produced_wh.set(produced);
        state.consumed_wh.set(consumed);
        state.certified_wh.set(certified);
        state.reading_count.set(count);
        if first {
            state
                .first_window_start
                .set(reading.window_start.get() as i64);
        }
        let window_end = reading.window_end()?;
        state.last_window_end.set(window_end as i64);

        emit(ReadingAccepted {
            meter: meter_address,
            window_start: reading.window_start,
            window_end: PodU32::new(window_end),
            production_wh: reading.production_wh,
            consumption_wh: reading.consumption_wh,
            produced_wh: PodU64::new(produced),
            consumed_wh: PodU64::new(consumed),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_borsh_vec() {
        let mut data = std::vec![2, 0, 0, 0];
        data.extend_from_slice(&[1u8; 28]);
        assert_eq!(parse_readings(&data).unwrap().len(), 2);
        assert_eq!(
            parse_readings(&data[..31]).err(),
            Some(KitError::InvalidInstructionData.into())
        );
        assert_eq!(
            parse_readings(&[0, 0, 0, 0]).err(),
            Some(RegistryError::InvalidBatchSize.into())
        );
        assert_eq!(
            parse_readings(&[17, 0, 0, 0]).err(),
            Some(RegistryError::InvalidBatchSize.into())
        );
        assert_eq!(
            parse_readings(&[1, 0]).err(),
            Some(KitError::InvalidInstructionData.into())
        );
        assert_eq!(data_len(6), 8 + 4 + 84);
        assert_eq!(MAX_ACCOUNTS, 50);
    }
}

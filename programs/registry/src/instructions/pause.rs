//! Shared body of the four pause instructions: the flag argument and applying it to a scope.

use pinocchio::{account::RefMut, error::ProgramError, AccountView, Address};
use solgrid_program_kit::{account, checks, instruction, pod::PodU32};

use crate::{
    errors::RegistryError,
    events::{emit_with_zone, OptionZoneId, Paused, Resumed},
    state::{pause, Zone},
};

/// Instruction data length of each pause instruction: the discriminator and the flags.
pub const DATA_LEN: usize = solgrid_program_kit::discriminator::LEN + 1;

/// The `flags: u8` argument: a non-empty subset of `pause::ALL` (`InvalidPauseFlags`).
#[inline(always)]
pub fn flags(args: &[u8]) -> Result<u8, ProgramError> {
    let flags: &u8 = instruction::args(args)?;
    if pause::valid(*flags) {
        Ok(*flags)
    } else {
        Err(RegistryError::InvalidPauseFlags.into())
    }
}

/// ORs `flags` into `current`, emits `Paused` (signed `by`) and returns the new set.
#[inline(always)]
pub fn set(current: u8, flags: u8, by: &Address, zone_id: Option<PodU32>) -> u8 {
    let paused = current | flags;
    emit_with_zone(
        Paused {
            flags,
            paused,
            by: *by,
            zone_id: OptionZoneId::new(zone_id),
        },
        zone_id.is_some(),
    );
    paused
}

/// Clears `flags` from `current`, emits `Resumed` and returns the new set.
#[inline(always)]
pub fn clear(current: u8, flags: u8, zone_id: Option<PodU32>) -> u8 {
    let paused = current & !flags;
    emit_with_zone(
        Resumed {
            flags,
            paused,
            zone_id: OptionZoneId::new(zone_id),
        },
        zone_id.is_some(),
    );
    paused
}

/// The zone a pause or resume applies to: writable and a registry Zone.
#[inline(always)]
pub fn zone<'a>(
    program_id: &Address,
    zone: &'a mut AccountView,
) -> Result<RefMut<'a, Zone>, ProgramError> {
    checks::writable(zone)?;
    checks::owned_by(zone, program_id)?;
    account::borrow_mut::<Zone>(zone)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_argument() {
        assert_eq!(flags(&[pause::MINTING]), Ok(pause::MINTING));
        assert_eq!(flags(&[pause::ALL]), Ok(pause::ALL));
        for bad in [0u8, 8, 0x80, pause::ALL | 8] {
            assert_eq!(flags(&[bad]), Err(RegistryError::InvalidPauseFlags.into()));
        }
    }

    #[test]
    fn pausing_ors_and_resuming_clears() {
        let by = Address::new_from_array([1; 32]);
        assert_eq!(set(pause::READINGS, pause::MINTING, &by, None), 3);
        assert_eq!(
            set(pause::ALL, pause::ALL, &by, Some(PodU32::new(1))),
            pause::ALL
        );
        assert_eq!(clear(pause::ALL, pause::READINGS, None), 6);
        assert_eq!(clear(0, pause::TRADING, Some(PodU32::new(1))), 0);
    }
}

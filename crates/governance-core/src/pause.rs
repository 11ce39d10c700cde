//! Emergency pause flags: a `u8` bit set held by the registry's Config (the whole market) and by
//! each Zone. Something is paused for a zone when `(market | zone) & flag != 0`. Any single
//! regulator may pause; resuming takes a quorum (the programs enforce who; these are the values).

use crate::error::PauseError;

/// Device-signed readings (`registry::submit_readings`).
pub const READINGS: u8 = 1;
/// Minting GRID for settled production (`registry::settle_meter`, `energy_token::settle_and_mint`).
pub const MINTING: u8 = 2;
/// Placing orders and clearing auctions (`trading`); cancelling and withdrawing keep working.
pub const TRADING: u8 = 4;
/// Everything above.
pub const ALL: u8 = READINGS | MINTING | TRADING;

/// The flags of a pause or resume argument: at least one flag and no bit outside [`ALL`].
#[inline(always)]
pub fn validate(flags: u8) -> Result<u8, PauseError> {
    if flags == 0 || flags & !ALL != 0 {
        Err(PauseError::InvalidPauseFlags)
    } else {
        Ok(flags)
    }
}

/// Whether `flag` (one or more of the constants) is paused for a zone whose own flags are
/// `zone_flags`, in a market whose flags are `market_flags`.
#[inline(always)]
pub const fn is_paused(market_flags: u8, zone_flags: u8, flag: u8) -> bool {
    (market_flags | zone_flags) & flag != 0
}

/// `current` with `flags` paused as well (validated).
#[inline(always)]
pub fn pause(current: u8, flags: u8) -> Result<u8, PauseError> {
    Ok(current | validate(flags)?)
}

/// `current` with `flags` resumed (validated); flags that were not paused stay unpaused.
#[inline(always)]
pub fn resume(current: u8, flags: u8) -> Result<u8, PauseError> {
    Ok(current & !validate(flags)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_are_the_designed_bits() {
        assert_eq!((READINGS, MINTING, TRADING, ALL), (1, 2, 4, 7));
    }

    #[test]
    fn validate_accepts_exactly_the_nonzero_subsets_of_all() {
        for flags in 0..=u8::MAX {
            let ok = (1..=7).contains(&flags);
            assert_eq!(validate(flags).is_ok(), ok, "{flags:#b}");
            if !ok {
                assert_eq!(validate(flags), Err(PauseError::InvalidPauseFlags));
            }
        }
    }

    #[test]
    fn market_or_zone_pause_applies() {
        assert!(!is_paused(0, 0, READINGS));
        assert!(is_paused(READINGS, 0, READINGS));
        assert!(is_paused(0, READINGS, READINGS));
        assert!(!is_paused(MINTING, TRADING, READINGS));
        assert!(is_paused(MINTING, TRADING, TRADING));
        assert!(is_paused(ALL, 0, MINTING));
        assert!(is_paused(0, ALL, TRADING));
        assert!(is_paused(0, MINTING, MINTING | TRADING));
    }

    #[test]
    fn pause_and_resume_set_and_clear_only_their_flags() {
        assert_eq!(pause(0, READINGS), Ok(READINGS));
        assert_eq!(pause(READINGS, TRADING), Ok(READINGS | TRADING));
        assert_eq!(pause(READINGS, READINGS), Ok(READINGS));
        assert_eq!(resume(ALL, MINTING), Ok(READINGS | TRADING));
        assert_eq!(resume(READINGS, TRADING), Ok(READINGS));
        assert_eq!(resume(ALL, ALL), Ok(0));
        assert_eq!(pause(0, 0), Err(PauseError::InvalidPauseFlags));
        assert_eq!(pause(0, 8), Err(PauseError::InvalidPauseFlags));
        assert_eq!(resume(ALL, 0x81), Err(PauseError::InvalidPauseFlags));
    }
}

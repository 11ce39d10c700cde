//! The registry's pure rules, host-tested: the signed reading message, the reading validation rules
//! and the settlement arithmetic. Instructions call these after loading their accounts.

use solgrid_program_kit::{
    impl_pod,
    pod::{bytes_of, PodU16, PodU32},
    sha256,
};

use crate::{
    errors::RegistryError,
    state::{Limits, BPS},
};

/// Domain separator of the signed reading message.
pub const READING_DOMAIN: &[u8] = b"solgrid:reading:v1";
/// Length of the signed reading message (a SHA-256 digest).
pub const READING_MESSAGE_LEN: usize = 32;
const SECS_PER_HOUR: u128 = 3600;

/// One meter reading (borsh, 14 bytes): what the device signs, via [`reading_message`].
///
/// The window is its start and its length (u16 seconds, so at most 18.2 hours) rather than start and
/// end: the two bytes saved per reading are what lets a batch of 6 readings fit in one transaction
/// (see `submit_readings`). The window ends at `window_start + window_secs`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Reading {
    /// Unix seconds.
    pub window_start: PodU32,
    pub window_secs: PodU16,
    pub production_wh: PodU32,
    pub consumption_wh: PodU32,
}

impl_pod!(Reading {
    window_start: PodU32,
    window_secs: PodU16,
    production_wh: PodU32,
    consumption_wh: PodU32,
});

impl Reading {
    /// `window_start + window_secs`, or `InvalidWindow` if the window is empty or ends past u32.
    #[inline(always)]
    pub fn window_end(&self) -> Result<u32, RegistryError> {
        let secs = self.window_secs.get();
        if secs == 0 {
            return Err(RegistryError::InvalidWindow);
        }
        self.window_start
            .get()
            .checked_add(secs as u32)
            .ok_or(RegistryError::InvalidWindow)
    }
}

/// `sha256("solgrid:reading:v1" || program_id || meter || window_start || window_secs || production ||
/// consumption)`, the integers little-endian (u32, u16, u32, u32: the reading's own borsh bytes).
#[inline(always)]
pub fn reading_message(program_id: &[u8; 32], meter: &[u8; 32], reading: &Reading) -> [u8; 32] {
    sha256::hashv(&[READING_DOMAIN, program_id, meter, bytes_of(reading)])
}

/// The validation rules of one reading against the meter's last window, the cluster time `now` and
/// the meter's rated capacity, in the order they are checked.
#[inline(always)]
pub fn check_reading(
    reading: &Reading,
    limits: &Limits,
    last_window_end: i64,
    now: i64,
    capacity_w: u64,
) -> Result<(), RegistryError> {
    let start = reading.window_start.get();
    let end = reading.window_end()?;
    if (start as i64) < last_window_end {
        return Err(RegistryError::WindowNotAfterLast);
    }
    let duration = end - start;
    if duration < limits.min_window_secs.get() {
        return Err(RegistryError::WindowTooShort);
    }
    if duration > limits.max_window_secs.get() {
        return Err(RegistryError::WindowTooLong);
    }
    if end as i64 > now.saturating_add(limits.max_clock_skew_secs.get() as i64) {
        return Err(RegistryError::WindowInFuture);
    }
    if (end as i64).saturating_add(limits.max_reading_age_secs.get() as i64) < now {
        return Err(RegistryError::ReadingTooOld);
    }
    // production_wh * 3600 * BPS <= capacity_w * duration * tolerance_bps, exactly, in u128 (no
    // operand exceeds 2^64 * 2^17 * 2^15).
    let produced = reading.production_wh.get() as u128 * SECS_PER_HOUR * BPS as u128;
    let allowed =
        capacity_w as u128 * duration as u128 * limits.capacity_tolerance_bps.get() as u128;
    if produced > allowed {
        return Err(RegistryError::ProductionExceedsCapacity);
    }
    Ok(())
}

/// A reading's window must start at or after the times its owner was last verified and its zone
/// last left a halt: energy from a suspension or a halt is never credited afterwards.
#[inline(always)]
pub fn check_standing(
    reading: &Reading,
    user_verified_at: i64,
    zone_reopened_at: i64,
) -> Result<(), RegistryError> {
    let start = reading.window_start.get() as i64;
    if start < user_verified_at {
        return Err(RegistryError::WindowBeforeUserVerified);
    }
    if start < zone_reopened_at {
        return Err(RegistryError::WindowBeforeZoneReopened);
    }
    Ok(())
}

/// Net Wh not yet settled: `produced - consumed - settled` when positive, else 0. A deficit is
/// carried: consumption since the last settlement reduces what later production can settle.
#[inline(always)]
pub fn unsettled_surplus(produced_wh: u64, consumed_wh: u64, settled_wh: u64) -> u64 {
    let net = produced_wh as i128 - consumed_wh as i128 - settled_wh as i128;
    if net > 0 {
        net as u64
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_767_225_600;

    fn limits() -> Limits {
        Limits {
            max_meters_per_user: PodU16::new(10),
            min_window_secs: PodU32::new(60),
            max_window_secs: PodU32::new(3600),
            max_reading_age_secs: PodU32::new(86_400),
            max_clock_skew_secs: PodU32::new(60),
            capacity_tolerance_bps: PodU16::new(11_000),
        }
    }

    fn reading(start: i64, end: i64, production: u32) -> Reading {
        Reading {
            window_start: PodU32::new(start as u32),
            window_secs: PodU16::new((end - start).clamp(0, 65_535) as u16),
            production_wh: PodU32::new(production),
            consumption_wh: PodU32::new(7),
        }
    }

    fn check(r: &Reading, last: i64) -> Result<(), RegistryError> {
        // 5 kW meter: one hour may produce 5_000 Wh x 1.1 = 5_500 Wh.
        check_reading(r, &limits(), last, NOW, 5_000)
    }

    #[test]
    fn accepts_a_valid_reading_and_contiguous_windows() {
        assert_eq!(check(&reading(NOW - 3600, NOW, 5_500), 0), Ok(()));
        assert_eq!(check(&reading(NOW - 3600, NOW, 5_500), NOW - 3600), Ok(()));
    }

    #[test]
    fn window_rules_in_order() {
        use RegistryError::*;
        let cases = [
            (reading(NOW, NOW, 0), 0, InvalidWindow),
            (reading(NOW, NOW - 60, 0), 0, InvalidWindow),
            (
                reading(u32::MAX as i64 - 10, u32::MAX as i64 + 50, 0),
                0,
                InvalidWindow,
            ),
            (reading(NOW - 600, NOW, 0), NOW - 599, WindowNotAfterLast),
            (reading(NOW - 600, NOW, 0), NOW, WindowNotAfterLast),
            (reading(NOW - 59, NOW, 0), 0, WindowTooShort),
            (reading(NOW - 3601, NOW, 0), 0, WindowTooLong),
            (reading(NOW - 65_535, NOW, 0), 0, WindowTooLong),
            (reading(NOW, NOW + 61, 0), 0, WindowInFuture),
            (
                reading(NOW - 86_400 - 61, NOW - 86_401, 0),
                0,
                ReadingTooOld,
            ),
            (
                reading(NOW - 3600, NOW, 5_501),
                0,
                ProductionExceedsCapacity,
            ),
        ];
        for (r, last, expected) in cases {
            assert_eq!(check(&r, last), Err(expected));
        }
        assert_eq!(check(&reading(NOW, NOW + 60, 0), 0), Ok(()));
        assert_eq!(check(&reading(NOW - 86_460, NOW - 86_400, 0), 0), Ok(()));
    }

    #[test]
    fn capacity_math_is_exact_and_does_not_overflow() {
        let l = limits();
        let r = reading(NOW - 3600, NOW, u32::MAX);
        assert_eq!(check_reading(&r, &l, 0, NOW, u64::MAX), Ok(()));
        assert_eq!(
            check_reading(&r, &l, 0, NOW, 0),
            Err(RegistryError::ProductionExceedsCapacity)
        );
        // 1 W over 60 s at 110%: 0.0183 Wh allowed, so 0 Wh passes and 1 Wh does not.
        assert_eq!(
            check_reading(&reading(NOW - 60, NOW, 0), &l, 0, NOW, 1),
            Ok(())
        );
        assert_eq!(
            check_reading(&reading(NOW - 60, NOW, 1), &l, 0, NOW, 1),
            Err(RegistryError::ProductionExceedsCapacity)
        );
    }

    #[test]
    fn standing_bounds_the_window_start() {
        use RegistryError::*;
        let r = reading(NOW - 600, NOW, 0);
        assert_eq!(check_standing(&r, 0, 0), Ok(()));
        assert_eq!(check_standing(&r, NOW - 600, NOW - 600), Ok(()));
        assert_eq!(
            check_standing(&r, NOW - 599, 0),
            Err(WindowBeforeUserVerified)
        );
        assert_eq!(
            check_standing(&r, 0, NOW - 599),
            Err(WindowBeforeZoneReopened)
        );
        assert_eq!(check_standing(&r, NOW, NOW), Err(WindowBeforeUserVerified));
    }

    #[test]
    fn surplus_carries_deficits() {
        assert_eq!(unsettled_surplus(100, 30, 0), 70);
        assert_eq!(unsettled_surplus(100, 30, 70), 0);
        assert_eq!(unsettled_surplus(100, 130, 0), 0);
        assert_eq!(unsettled_surplus(150, 130, 0), 20);
        assert_eq!(unsettled_surplus(u64::MAX, 0, 0), u64::MAX);
        assert_eq!(unsettled_surplus(0, u64::MAX, u64::MAX), 0);
        assert_eq!(unsettled_surplus(u64::MAX, 1, u64::MAX - 1), 0);
    }

    #[test]
    fn message_binds_every_field() {
        let program = [1u8; 32];
        let meter = [2u8; 32];
        let base = reading(NOW - 60, NOW, 5);
        let digest = reading_message(&program, &meter, &base);
        let mut expected_input = std::vec::Vec::new();
        expected_input.extend_from_slice(READING_DOMAIN);
        expected_input.extend_from_slice(&program);
        expected_input.extend_from_slice(&meter);
        expected_input.extend_from_slice(&((NOW - 60) as u32).to_le_bytes());
        expected_input.extend_from_slice(&60u16.to_le_bytes());
        for v in [5u32, 7] {
            expected_input.extend_from_slice(&v.to_le_bytes());
        }
        assert_eq!(digest, sha256::hashv(&[&expected_input]));
        assert_ne!(digest, reading_message(&[3u8; 32], &meter, &base));
        assert_ne!(digest, reading_message(&program, &[3u8; 32], &base));
        let mut other = base;
        other.consumption_wh.set(8);
        assert_ne!(digest, reading_message(&program, &meter, &other));
    }
}

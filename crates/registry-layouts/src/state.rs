//! Registry accounts, zero-copy, in Anchor's layout (8-byte `account:<Name>` discriminator, then the
//! fields in borsh order with no padding). Every account carries a `reserved` tail so that later
//! fields take bytes from it without reallocating existing accounts.
//!
//! Accounts of each type are only ever created at their canonical PDA (the creating instruction
//! checks the seeds), so an account owned by this program with a given type's discriminator *is* that
//! type's PDA for the seeds it stores. Hot paths (readings, settlement) therefore bind accounts by
//! owner + discriminator + the stored relations (`Meter.user`, `Meter.zone_id`) instead of paying a
//! `sol_sha256` per PDA re-derivation.

use pinocchio::Address;
use solgrid_program_kit::{
    account::AccountLayout,
    discriminator, impl_pod,
    pod::{PodI64, PodU16, PodU32, PodU64},
};

use crate::errors::RegistryError;

/// Seeds of the Config PDA: `["config"]`.
pub const CONFIG_SEED: &[u8] = b"config";
/// Seeds of a Zone PDA: `["zone", zone_id as u32 LE]`.
pub const ZONE_SEED: &[u8] = b"zone";
/// Seeds of a User PDA: `["user", wallet]`.
pub const USER_SEED: &[u8] = b"user";
/// Seeds of a Meter PDA: `["meter", serial]`.
pub const METER_SEED: &[u8] = b"meter";

/// Most regulators a Config holds.
pub const MAX_REGULATORS: usize = 8;

/// Seeds of the governance program's PDA that performs privileged actions once governance is set:
/// `["governance"]` (under `Config.governance_program`).
pub const GOVERNANCE_SEED: &[u8] = b"governance";
/// Seeds of the governance program's PDA that signs `certify_meter`: `["certificates"]`.
pub const CERTIFICATES_SEED: &[u8] = b"certificates";
/// Largest zone emission factor, g CO2 per kWh (lignite is about 1_100-1_200).
pub const MAX_EMISSION_FACTOR: u32 = 2_000;

/// Pause flags (a bit set in `Config.paused` and `Zone.paused`; the same values in governance-core,
/// trading and the SDK). Something is paused for a zone when `(config.paused | zone.paused) & flag`.
pub mod pause {
    /// Device-signed readings (`submit_readings`).
    pub const READINGS: u8 = 1;
    /// Settlement of surplus into GRID (`settle_meter`, so energy_token's `settle_and_mint`) and
    /// certificates (`certify_meter`, so governance's `request_certificate` and its validation).
    pub const MINTING: u8 = 2;
    /// Order placement and clearing in trading.
    pub const TRADING: u8 = 4;
    pub const ALL: u8 = READINGS | MINTING | TRADING;

    /// A pause or resume argument: a non-empty subset of [`ALL`].
    #[inline(always)]
    pub const fn valid(flags: u8) -> bool {
        flags != 0 && flags & !ALL == 0
    }

    /// Whether `flag` is paused for a zone, given the market's and the zone's flags.
    #[inline(always)]
    pub const fn is_paused(market: u8, zone: u8, flag: u8) -> bool {
        (market | zone) & flag != 0
    }
}

/// Upper bounds on the configurable limits (see [`Limits::validate`]).
pub const MAX_READING_AGE_SECS_LIMIT: u32 = 7 * 24 * 60 * 60;
/// A window's length is a u16 on the wire (see `logic::Reading`).
pub const MAX_WINDOW_SECS_LIMIT: u32 = u16::MAX as u32;
pub const MAX_CLOCK_SKEW_SECS_LIMIT: u32 = 60 * 60;
/// Capacity tolerance is in basis points of the rated capacity: 10_000 = exactly the rating.
pub const BPS: u64 = 10_000;
pub const MAX_CAPACITY_TOLERANCE_BPS: u16 = 30_000;

/// The market's limits (an argument of `initialize` and `update_limits`, stored in the Config).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Limits {
    /// Most meters one user may register (>= 1).
    pub max_meters_per_user: PodU16,
    /// Shortest reading window, seconds (>= 1).
    pub min_window_secs: PodU32,
    /// Longest reading window, seconds (>= min, <= 65_535).
    pub max_window_secs: PodU32,
    /// Oldest accepted window end, seconds before the cluster time (1 ..= 7 days).
    pub max_reading_age_secs: PodU32,
    /// How far a window end may lie ahead of the cluster time, seconds (<= 1 hour).
    pub max_clock_skew_secs: PodU32,
    /// Production may reach capacity x duration x this / 10_000 (1 ..= 30_000).
    pub capacity_tolerance_bps: PodU16,
}

impl_pod!(Limits {
    max_meters_per_user: PodU16,
    min_window_secs: PodU32,
    max_window_secs: PodU32,
    max_reading_age_secs: PodU32,
    max_clock_skew_secs: PodU32,
    capacity_tolerance_bps: PodU16,
});

impl Limits {
    pub fn validate(&self) -> Result<(), RegistryError> {
        let min = self.min_window_secs.get();
        let max = self.max_window_secs.get();
        let age = self.max_reading_age_secs.get();
        let tolerance = self.capacity_tolerance_bps.get();
        let ok = self.max_meters_per_user.get() >= 1
            && min >= 1
            && min <= max
            && max <= MAX_WINDOW_SECS_LIMIT
            && age >= 1
            && age <= MAX_READING_AGE_SECS_LIMIT
            && self.max_clock_skew_secs.get() <= MAX_CLOCK_SKEW_SECS_LIMIT
            && tolerance >= 1
            && tolerance <= MAX_CAPACITY_TOLERANCE_BPS;
        if ok {
            Ok(())
        } else {
            Err(RegistryError::InvalidLimits)
        }
    }
}

/// The registry singleton (PDA `["config"]`).
#[repr(C)]
pub struct Config {
    /// Hands over authority (two steps) and appoints the first regulator set.
    pub authority: Address,
    /// Proposed next authority; all zeroes when none is pending.
    pub pending_authority: Address,
    /// The only signer `settle_meter` accepts (energy_token's `["settlement"]` PDA); zero = none.
    pub settlement_authority: Address,
    /// The first `regulator_count` entries are the regulators; the rest are zero.
    pub regulators: [Address; MAX_REGULATORS],
    pub regulator_count: u8,
    /// Distinct regulators that must co-sign a privileged action (1 ..= regulator_count).
    pub regulator_threshold: u8,
    pub bump: u8,
    pub user_count: PodU64,
    pub zone_count: PodU32,
    pub meter_count: PodU64,
    pub limits: Limits,
    /// The governance program whose `["governance"]` PDA alone performs privileged actions once set;
    /// all zeroes = no governance (privileged actions are co-signed by M regulators).
    pub governance_program: Address,
    /// Bump of the `["governance"]` PDA of `governance_program` (canonical, checked when set).
    pub governance_bump: u8,
    /// Bump of the `["certificates"]` PDA of `governance_program`, the only `certify_meter` signer.
    pub certificates_bump: u8,
    /// Market-wide pause flags ([`pause`]).
    pub paused: u8,
    /// Raised by each `set_regulators` that appoints a key that is not a regulator at that moment
    /// (`solgrid_governance_core::proposal::appoint`); governance records it with every vote.
    pub regulators_version: PodU16,
    /// `regulator_since[i]`: the `regulators_version` at which `regulators[i]` became a regulator
    /// (unchanged while it stays one). A proposal vote counts only if cast at or after it, so a
    /// removed-then-reappointed regulator's earlier votes never count again.
    pub regulator_since: [PodU16; MAX_REGULATORS],
    pub reserved: [u8; 11],
}

impl_pod!(Config {
    authority: Address,
    pending_authority: Address,
    settlement_authority: Address,
    regulators: [Address; MAX_REGULATORS],
    regulator_count: u8,
    regulator_threshold: u8,
    bump: u8,
    user_count: PodU64,
    zone_count: PodU32,
    meter_count: PodU64,
    limits: Limits,
    governance_program: Address,
    governance_bump: u8,
    certificates_bump: u8,
    paused: u8,
    regulators_version: PodU16,
    regulator_since: [PodU16; MAX_REGULATORS],
    reserved: [u8; 11],
});

impl AccountLayout for Config {
    const DISCRIMINATOR: [u8; 8] = discriminator::account("Config");
}

impl Config {
    /// The configured regulators.
    #[inline(always)]
    pub fn regulator_set(&self) -> &[Address] {
        &self.regulators[..(self.regulator_count as usize).min(MAX_REGULATORS)]
    }
}

solgrid_program_kit::byte_enum!(
    /// What a participant does in the market (borsh enum: one byte, the variant index).
    UserRole, RegistryError::InvalidRole, { Prosumer = 0, Consumer = 1, GridOperator = 2 }
);
solgrid_program_kit::byte_enum!(
    /// A participant's standing: registered (Pending), checked by a regulator, or barred.
    UserStatus, RegistryError::InvalidStatus, { Pending = 0, Verified = 1, Suspended = 2 }
);
solgrid_program_kit::byte_enum!(
    /// A grid zone's state; readings from a Halted zone are refused, then and afterwards.
    ZoneStatus, RegistryError::InvalidStatus, { Active = 0, Halted = 1, Maintenance = 2 }
);
solgrid_program_kit::byte_enum!(
    /// A meter's state; only Active meters submit readings.
    MeterStatus, RegistryError::InvalidStatus, { Inactive = 0, Active = 1, Maintenance = 2 }
);
solgrid_program_kit::byte_enum!(
    /// What a meter measures.
    EnergySource, RegistryError::InvalidEnergySource, { Solar = 0, Wind = 1, Battery = 2, Hydro = 3, Grid = 4 }
);

impl EnergySource {
    /// Renewable generation, whose accepted production counts as certified.
    pub const fn is_renewable(self) -> bool {
        matches!(
            self,
            EnergySource::Solar | EnergySource::Wind | EnergySource::Hydro
        )
    }
}

/// A grid zone (PDA `["zone", zone_id LE]`).
#[repr(C)]
pub struct Zone {
    pub zone_id: PodU32,
    /// UTF-8, zero-padded.
    pub name: [u8; 32],
    pub max_capacity_kw: PodU64,
    /// A [`ZoneStatus`].
    pub status: u8,
    pub bump: u8,
    pub created_at: PodI64,
    /// Cluster Unix time the zone last left Halted (0 if it never was): readings whose window starts
    /// earlier are refused, so a halt is never credited afterwards.
    pub reopened_at: PodI64,
    /// This zone's pause flags ([`pause`]); combined with `Config.paused`.
    pub paused: u8,
    /// g CO2 per kWh of the zone's grid mix (0 = not set; at most [`MAX_EMISSION_FACTOR`]).
    pub emission_factor: PodU32,
    pub reserved: [u8; 19],
}

impl_pod!(Zone {
    zone_id: PodU32,
    name: [u8; 32],
    max_capacity_kw: PodU64,
    status: u8,
    bump: u8,
    created_at: PodI64,
    reopened_at: PodI64,
    paused: u8,
    emission_factor: PodU32,
    reserved: [u8; 19],
});

impl AccountLayout for Zone {
    const DISCRIMINATOR: [u8; 8] = discriminator::account("Zone");
}

/// A market participant (PDA `["user", wallet]`).
#[repr(C)]
pub struct User {
    /// The wallet that registered and controls this participant.
    pub authority: Address,
    /// A [`UserRole`].
    pub role: u8,
    /// A [`UserStatus`].
    pub status: u8,
    pub bump: u8,
    /// The grid zone the user is in (its Zone existed at registration).
    pub zone_id: PodU32,
    /// Meters registered to this user.
    pub meter_count: PodU16,
    /// Registration order, from 0.
    pub user_index: PodU64,
    /// Cluster Unix time of registration.
    pub registered_at: PodI64,
    /// Cluster Unix time the user last became Verified (0 until then): readings whose window starts
    /// earlier are refused, so energy from a suspension is never credited after reinstatement.
    pub verified_at: PodI64,
    pub reserved: [u8; 24],
}

impl_pod!(User {
    authority: Address,
    role: u8,
    status: u8,
    bump: u8,
    zone_id: PodU32,
    meter_count: PodU16,
    user_index: PodU64,
    registered_at: PodI64,
    verified_at: PodI64,
    reserved: [u8; 24],
});

impl AccountLayout for User {
    const DISCRIMINATOR: [u8; 8] = discriminator::account("User");
}

/// A meter (PDA `["meter", serial]`); the interface with energy_token (ISSUE3 decision 4).
#[repr(C)]
pub struct Meter {
    pub serial: [u8; 32],
    /// The owning wallet.
    pub owner: Address,
    /// The owner's User PDA.
    pub user: Address,
    pub zone_id: PodU32,
    /// Ed25519 public key that signs the meter's readings.
    pub device_key: [u8; 32],
    /// An [`EnergySource`].
    pub source: u8,
    /// A [`MeterStatus`].
    pub status: u8,
    pub bump: u8,
    /// Rated capacity in watts.
    pub capacity_w: PodU64,
    /// End of the last accepted reading window (Unix seconds); the next must start at or after it.
    pub last_window_end: PodI64,
    pub produced_wh: PodU64,
    pub consumed_wh: PodU64,
    /// Net Wh already settled (minted as GRID).
    pub settled_wh: PodU64,
    /// Production from renewable sources accepted through device-signed readings.
    pub certified_wh: PodU64,
    pub reading_count: PodU64,
    pub registered_at: PodI64,
    /// Renewable Wh covered by certificates (`<= certified_wh`, always); written only by
    /// `certify_meter` (the governance program's CPI).
    pub certificate_wh: PodU64,
    /// End of the last window covered by a certificate (0 = none yet).
    pub certificate_until: PodI64,
    /// Start of the meter's first accepted window (0 for meters whose first reading predates this
    /// field).
    pub first_window_start: PodI64,
    pub reserved: [u8; 8],
}

impl_pod!(Meter {
    serial: [u8; 32],
    owner: Address,
    user: Address,
    zone_id: PodU32,
    device_key: [u8; 32],
    source: u8,
    status: u8,
    bump: u8,
    capacity_w: PodU64,
    last_window_end: PodI64,
    produced_wh: PodU64,
    consumed_wh: PodU64,
    settled_wh: PodU64,
    certified_wh: PodU64,
    reading_count: PodU64,
    registered_at: PodI64,
    certificate_wh: PodU64,
    certificate_until: PodI64,
    first_window_start: PodI64,
    reserved: [u8; 8],
});

impl AccountLayout for Meter {
    const DISCRIMINATOR: [u8; 8] = discriminator::account("Meter");
}

#[cfg(test)]
mod tests {
    use super::*;

    pub fn limits() -> Limits {
        Limits {
            max_meters_per_user: PodU16::new(10),
            min_window_secs: PodU32::new(60),
            max_window_secs: PodU32::new(3600),
            max_reading_age_secs: PodU32::new(86_400),
            max_clock_skew_secs: PodU32::new(60),
            capacity_tolerance_bps: PodU16::new(11_000),
        }
    }

    #[test]
    fn account_sizes() {
        assert_eq!(Limits::LEN_CHECK, 2 + 4 * 4 + 2);
        assert_eq!(
            Config::LEN,
            8 + 32 * 3 + 32 * 8 + 3 + 8 + 4 + 8 + Limits::LEN_CHECK + 64
        );
        assert_eq!(
            Config::LEN,
            8 + 32 * 3 + 32 * 8 + 3 + 8 + 4 + 8 + 20 + 32 + 3 + 29
        );
        assert_eq!(Zone::LEN, 8 + 4 + 32 + 8 + 2 + 8 + 8 + 24);
        assert_eq!(Zone::LEN, 8 + 4 + 32 + 8 + 2 + 8 + 8 + 1 + 4 + 19);
        assert_eq!(User::LEN, 8 + 32 + 3 + 4 + 2 + 8 + 8 + 8 + 24);
        assert_eq!(Meter::LEN, 8 + 32 * 3 + 4 + 32 + 3 + 8 * 8 + 32);
        assert_eq!(Meter::LEN, 8 + 32 * 3 + 4 + 32 + 3 + 8 * 8 + 8 * 3 + 8);
    }

    #[test]
    fn pause_flags() {
        assert!(pause::valid(pause::READINGS) && pause::valid(pause::ALL));
        assert!(!pause::valid(0) && !pause::valid(8) && !pause::valid(pause::ALL | 0x80));
        assert!(pause::is_paused(pause::MINTING, 0, pause::MINTING));
        assert!(pause::is_paused(0, pause::ALL, pause::TRADING));
        assert!(!pause::is_paused(
            pause::READINGS,
            pause::TRADING,
            pause::MINTING
        ));
    }

    #[test]
    fn enums_parse_from_their_borsh_index() {
        assert_eq!(UserRole::try_from(2), Ok(UserRole::GridOperator));
        assert_eq!(
            UserRole::try_from(3),
            Err(RegistryError::InvalidRole.into())
        );
        assert_eq!(MeterStatus::try_from(1), Ok(MeterStatus::Active));
        assert_eq!(
            EnergySource::try_from(5),
            Err(RegistryError::InvalidEnergySource.into())
        );
        assert_eq!(
            ZoneStatus::try_from(3),
            Err(RegistryError::InvalidStatus.into())
        );
        assert!(EnergySource::Hydro.is_renewable() && !EnergySource::Battery.is_renewable());
    }

    #[test]
    fn limits_bounds() {
        assert_eq!(limits().validate(), Ok(()));
        let cases: [fn(&mut Limits); 8] = [
            |l| l.max_meters_per_user.set(0),
            |l| l.min_window_secs.set(0),
            |l| l.min_window_secs.set(3601),
            |l| l.max_window_secs.set(MAX_WINDOW_SECS_LIMIT + 1),
            |l| l.max_reading_age_secs.set(0),
            |l| l.max_reading_age_secs.set(MAX_READING_AGE_SECS_LIMIT + 1),
            |l| l.max_clock_skew_secs.set(MAX_CLOCK_SKEW_SECS_LIMIT + 1),
            |l| l.capacity_tolerance_bps.set(MAX_CAPACITY_TOLERANCE_BPS + 1),
        ];
        for case in cases {
            let mut l = limits();
            case(&mut l);
            assert_eq!(l.validate(), Err(RegistryError::InvalidLimits));
        }
    }
}

#[cfg(test)]
impl Limits {
    const LEN_CHECK: usize = core::mem::size_of::<Limits>();
}

//! Registry events (Anchor encoding: `sha256("event:<Name>")[..8]` then the borsh fields). Every
//! state change emits one. Enum-typed fields (roles, statuses, sources) are their one-byte borsh index.

use pinocchio::Address;
use solgrid_program_kit::{
    discriminator,
    event::{log_data, Event, Tagged},
    impl_pod,
    pod::{PodI64, PodU32, PodU64},
};

use crate::state::{Limits, MAX_REGULATORS};

/// The registry was initialised.
#[repr(C)]
pub struct ConfigInitialized {
    pub config: Address,
    pub authority: Address,
    pub limits: Limits,
    pub timestamp: PodI64,
}

impl_pod!(ConfigInitialized {
    config: Address,
    authority: Address,
    limits: Limits,
    timestamp: PodI64,
});

impl Event for ConfigInitialized {
    const DISCRIMINATOR: [u8; 8] = discriminator::event("ConfigInitialized");
}

/// The authority proposed a successor (step 1 of 2).
#[repr(C)]
pub struct AuthorityProposed {
    pub config: Address,
    pub authority: Address,
    pub pending_authority: Address,
}

impl_pod!(AuthorityProposed {
    config: Address,
    authority: Address,
    pending_authority: Address,
});

impl Event for AuthorityProposed {
    const DISCRIMINATOR: [u8; 8] = discriminator::event("AuthorityProposed");
}

/// The proposed successor accepted (step 2 of 2).
#[repr(C)]
pub struct AuthorityTransferred {
    pub config: Address,
    pub previous_authority: Address,
    pub new_authority: Address,
}

impl_pod!(AuthorityTransferred {
    config: Address,
    previous_authority: Address,
    new_authority: Address,
});

impl Event for AuthorityTransferred {
    const DISCRIMINATOR: [u8; 8] = discriminator::event("AuthorityTransferred");
}

/// The regulator set and threshold were replaced.
#[repr(C)]
pub struct RegulatorsSet {
    pub config: Address,
    pub regulators: [Address; MAX_REGULATORS],
    pub regulator_count: u8,
    pub regulator_threshold: u8,
}

impl_pod!(RegulatorsSet {
    config: Address,
    regulators: [Address; MAX_REGULATORS],
    regulator_count: u8,
    regulator_threshold: u8,
});

impl Event for RegulatorsSet {
    const DISCRIMINATOR: [u8; 8] = discriminator::event("RegulatorsSet");
}

/// The market limits were replaced.
#[repr(C)]
pub struct LimitsUpdated {
    pub config: Address,
    pub limits: Limits,
}

impl_pod!(LimitsUpdated {
    config: Address,
    limits: Limits,
});

impl Event for LimitsUpdated {
    const DISCRIMINATOR: [u8; 8] = discriminator::event("LimitsUpdated");
}

/// The settlement authority was set.
#[repr(C)]
pub struct SettlementAuthoritySet {
    pub config: Address,
    pub settlement_authority: Address,
}

impl_pod!(SettlementAuthoritySet {
    config: Address,
    settlement_authority: Address,
});

impl Event for SettlementAuthoritySet {
    const DISCRIMINATOR: [u8; 8] = discriminator::event("SettlementAuthoritySet");
}

/// A grid zone was created.
#[repr(C)]
pub struct ZoneCreated {
    pub zone: Address,
    pub zone_id: PodU32,
    pub name: [u8; 32],
    pub max_capacity_kw: PodU64,
    pub timestamp: PodI64,
}

impl_pod!(ZoneCreated {
    zone: Address,
    zone_id: PodU32,
    name: [u8; 32],
    max_capacity_kw: PodU64,
    timestamp: PodI64,
});

impl Event for ZoneCreated {
    const DISCRIMINATOR: [u8; 8] = discriminator::event("ZoneCreated");
}

/// A zone's status changed.
#[repr(C)]
pub struct ZoneStatusChanged {
    pub zone: Address,
    pub zone_id: PodU32,
    pub old_status: u8,
    pub new_status: u8,
}

impl_pod!(ZoneStatusChanged {
    zone: Address,
    zone_id: PodU32,
    old_status: u8,
    new_status: u8,
});

impl Event for ZoneStatusChanged {
    const DISCRIMINATOR: [u8; 8] = discriminator::event("ZoneStatusChanged");
}

/// A participant registered (status Pending).
#[repr(C)]
pub struct UserRegistered {
    pub user: Address,
    pub authority: Address,
    pub role: u8,
    pub zone_id: PodU32,
    pub user_index: PodU64,
    pub timestamp: PodI64,
}

impl_pod!(UserRegistered {
    user: Address,
    authority: Address,
    role: u8,
    zone_id: PodU32,
    user_index: PodU64,
    timestamp: PodI64,
});

impl Event for UserRegistered {
    const DISCRIMINATOR: [u8; 8] = discriminator::event("UserRegistered");
}

/// A regulator verified, suspended or reinstated a participant.
#[repr(C)]
pub struct UserStatusChanged {
    pub user: Address,
    pub authority: Address,
    pub regulator: Address,
    pub old_status: u8,
    pub new_status: u8,
    pub timestamp: PodI64,
}

impl_pod!(UserStatusChanged {
    user: Address,
    authority: Address,
    regulator: Address,
    old_status: u8,
    new_status: u8,
    timestamp: PodI64,
});

impl Event for UserStatusChanged {
    const DISCRIMINATOR: [u8; 8] = discriminator::event("UserStatusChanged");
}

/// An owner registered a meter (status Inactive).
#[repr(C)]
pub struct MeterRegistered {
    pub meter: Address,
    pub serial: [u8; 32],
    pub owner: Address,
    pub zone_id: PodU32,
    pub device_key: [u8; 32],
    pub source: u8,
    pub capacity_w: PodU64,
    pub timestamp: PodI64,
}

impl_pod!(MeterRegistered {
    meter: Address,
    serial: [u8; 32],
    owner: Address,
    zone_id: PodU32,
    device_key: [u8; 32],
    source: u8,
    capacity_w: PodU64,
    timestamp: PodI64,
});

impl Event for MeterRegistered {
    const DISCRIMINATOR: [u8; 8] = discriminator::event("MeterRegistered");
}

/// A regulator changed a meter's status.
#[repr(C)]
pub struct MeterStatusChanged {
    pub meter: Address,
    pub regulator: Address,
    pub old_status: u8,
    pub new_status: u8,
    pub last_window_end: PodI64,
}

impl_pod!(MeterStatusChanged {
    meter: Address,
    regulator: Address,
    old_status: u8,
    new_status: u8,
    last_window_end: PodI64,
});

impl Event for MeterStatusChanged {
    const DISCRIMINATOR: [u8; 8] = discriminator::event("MeterStatusChanged");
}

/// Regulators replaced a meter's device key.
#[repr(C)]
pub struct DeviceKeyRotated {
    pub meter: Address,
    pub old_key: [u8; 32],
    pub new_key: [u8; 32],
}

impl_pod!(DeviceKeyRotated {
    meter: Address,
    old_key: [u8; 32],
    new_key: [u8; 32],
});

impl Event for DeviceKeyRotated {
    const DISCRIMINATOR: [u8; 8] = discriminator::event("DeviceKeyRotated");
}

/// A device-signed reading was accepted.
#[repr(C)]
pub struct ReadingAccepted {
    pub meter: Address,
    pub window_start: PodU32,
    pub window_end: PodU32,
    pub production_wh: PodU32,
    pub consumption_wh: PodU32,
    pub produced_wh: PodU64,
    pub consumed_wh: PodU64,
}

impl_pod!(ReadingAccepted {
    meter: Address,
    window_start: PodU32,
    window_end: PodU32,
    production_wh: PodU32,
    consumption_wh: PodU32,
    produced_wh: PodU64,
    consumed_wh: PodU64,
});

impl Event for ReadingAccepted {
    const DISCRIMINATOR: [u8; 8] = discriminator::event("ReadingAccepted");
}

/// The settlement authority settled a meter's net surplus.
#[repr(C)]
pub struct MeterSettled {
    pub meter: Address,
    pub owner: Address,
    pub amount_wh: PodU64,
    pub settled_wh: PodU64,
}

impl_pod!(MeterSettled {
    meter: Address,
    owner: Address,
    amount_wh: PodU64,
    settled_wh: PodU64,
});

impl Event for MeterSettled {
    const DISCRIMINATOR: [u8; 8] = discriminator::event("MeterSettled");
}

/// The governance program was set (or cleared: all zeroes).
#[repr(C)]
pub struct GovernanceSet {
    pub config: Address,
    pub governance_program: Address,
    pub governance_bump: u8,
    pub certificates_bump: u8,
}

impl_pod!(GovernanceSet {
    config: Address,
    governance_program: Address,
    governance_bump: u8,
    certificates_bump: u8,
});

impl Event for GovernanceSet {
    const DISCRIMINATOR: [u8; 8] = discriminator::event("GovernanceSet");
}

/// A borsh `Option<u32>` in its longest form: the tag (0 = None, 1 = Some) then the value, which is
/// left off the wire when the tag is 0 (see [`emit_with_zone`]).
#[repr(C)]
pub struct OptionZoneId {
    pub tag: u8,
    pub zone_id: PodU32,
}

impl_pod!(OptionZoneId {
    tag: u8,
    zone_id: PodU32,
});

impl OptionZoneId {
    /// `Some(zone_id)`, or `None` for the whole market.
    #[inline(always)]
    pub fn new(zone_id: Option<PodU32>) -> Self {
        match zone_id {
            Some(zone_id) => Self { tag: 1, zone_id },
            None => Self {
                tag: 0,
                zone_id: PodU32::new(0),
            },
        }
    }
}

/// Something was paused: `zone_id` is the zone, or None for the whole market. `paused` is the
/// resulting flag set of that scope. `by` is the regulator (or the governance PDA) that signed.
#[repr(C)]
pub struct Paused {
    pub flags: u8,
    pub paused: u8,
    pub by: Address,
    pub zone_id: OptionZoneId,
}

impl_pod!(Paused {
    flags: u8,
    paused: u8,
    by: Address,
    zone_id: OptionZoneId,
});

impl Event for Paused {
    const DISCRIMINATOR: [u8; 8] = discriminator::event("Paused");
}

/// Paused flags were cleared (by a quorum or the governance PDA); `paused` is what remains.
#[repr(C)]
pub struct Resumed {
    pub flags: u8,
    pub paused: u8,
    pub zone_id: OptionZoneId,
}

impl_pod!(Resumed {
    flags: u8,
    paused: u8,
    zone_id: OptionZoneId,
});

impl Event for Resumed {
    const DISCRIMINATOR: [u8; 8] = discriminator::event("Resumed");
}

/// Logs an event whose last field is an [`OptionZoneId`], borsh-encoded: the 4 value bytes are left
/// off for `None`.
#[inline(always)]
pub fn emit_with_zone<E: Event>(event: E, zone: bool) {
    let tagged = Tagged::new(event);
    let bytes = tagged.as_bytes();
    let len = if zone {
        bytes.len()
    } else {
        bytes.len() - core::mem::size_of::<PodU32>()
    };
    log_data(&[&bytes[..len]]);
}

/// A zone's emission factor was set (g CO2 per kWh of its grid mix).
#[repr(C)]
pub struct EmissionFactorSet {
    pub zone: Address,
    pub zone_id: PodU32,
    pub old_factor: PodU32,
    pub emission_factor: PodU32,
}

impl_pod!(EmissionFactorSet {
    zone: Address,
    zone_id: PodU32,
    old_factor: PodU32,
    emission_factor: PodU32,
});

impl Event for EmissionFactorSet {
    const DISCRIMINATOR: [u8; 8] = discriminator::event("EmissionFactorSet");
}

/// The governance program certified a meter's renewable production from `from` to `to` (window
/// ends, Unix seconds): `volume_wh` more of `certified_wh` is now covered by certificates.
#[repr(C)]
pub struct MeterCertified {
    pub meter: Address,
    pub from: PodI64,
    pub to: PodI64,
    pub volume_wh: PodU64,
}

impl_pod!(MeterCertified {
    meter: Address,
    from: PodI64,
    to: PodI64,
    volume_wh: PodU64,
});

impl Event for MeterCertified {
    const DISCRIMINATOR: [u8; 8] = discriminator::event("MeterCertified");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_optional_zone_is_borsh_option_u32() {
        let event = |zone| Paused {
            flags: 1,
            paused: 3,
            by: Address::new_from_array([9; 32]),
            zone_id: OptionZoneId::new(zone),
        };
        let some = Tagged::new(event(Some(PodU32::new(7))));
        let bytes = some.as_bytes();
        assert_eq!(bytes.len(), 8 + 1 + 1 + 32 + 1 + 4);
        assert_eq!(&bytes[..8], &discriminator::event("Paused"));
        assert_eq!(&bytes[8 + 34..], &[1, 7, 0, 0, 0]);
        let none = Tagged::new(event(None));
        assert_eq!(none.as_bytes()[8 + 34], 0);
    }
}

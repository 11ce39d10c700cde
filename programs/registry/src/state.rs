//! Registry accounts, zero-copy, in Anchor's layout (8-byte `account:<Name>` discriminator, then the
//! fields in borsh order with no padding).
//!
//! Both accounts carry a `reserved` tail so that later instructions (zones, meters, regulators) can
//! add fields without reallocating existing accounts: a new field takes bytes from the front of
//! `reserved`, and every existing field keeps its offset.

use pinocchio::{error::ProgramError, Address};
use solgrid_program_kit::{
    account::AccountLayout,
    discriminator, impl_pod,
    pod::{PodI64, PodU16, PodU32, PodU64},
};

use crate::errors::RegistryError;

/// Seeds of the Config PDA: `["config"]`.
pub const CONFIG_SEED: &[u8] = b"config";
/// Seeds of a User PDA: `["user", authority]`.
pub const USER_SEED: &[u8] = b"user";

/// Longest reading age a market may configure: 7 days. A meter reading settles one market interval;
/// a week covers a meter that was offline over a long weekend and no more.
pub const MAX_READING_AGE_SECS_LIMIT: u32 = 7 * 24 * 60 * 60;

/// The registry singleton (PDA `["config"]`).
#[repr(C)]
pub struct Config {
    /// May change the configuration and (later) manage zones and regulators.
    pub authority: Address,
    /// Proposed next authority for a two-step hand-over; all zeroes when none is pending.
    pub pending_authority: Address,
    /// Users registered so far; a new user gets the current value as its `user_index`.
    pub user_count: PodU64,
    /// Zones created so far.
    pub zone_count: PodU32,
    /// Meters registered so far.
    pub meter_count: PodU64,
    /// Most meters one user may register.
    pub max_meters_per_user: PodU16,
    /// Oldest meter reading (by its timestamp) that is still accepted, in seconds.
    pub max_reading_age_secs: PodU32,
    /// Canonical bump of the PDA, found once at creation.
    pub bump: u8,
    pub reserved: [u8; 64],
}

impl_pod!(Config {
    authority: Address,
    pending_authority: Address,
    user_count: PodU64,
    zone_count: PodU32,
    meter_count: PodU64,
    max_meters_per_user: PodU16,
    max_reading_age_secs: PodU32,
    bump: u8,
    reserved: [u8; 64],
});

impl AccountLayout for Config {
    const DISCRIMINATOR: [u8; 8] = discriminator::account("Config");
}

/// What a participant does in the market (borsh enum: one byte, the variant index).
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserRole {
    /// Buys energy.
    Consumer = 0,
    /// Sells energy it generates.
    Producer = 1,
    /// Both buys and sells (e.g. rooftop solar with a home load).
    Prosumer = 2,
}

impl TryFrom<u8> for UserRole {
    type Error = ProgramError;

    #[inline(always)]
    fn try_from(value: u8) -> Result<Self, ProgramError> {
        match value {
            0 => Ok(UserRole::Consumer),
            1 => Ok(UserRole::Producer),
            2 => Ok(UserRole::Prosumer),
            _ => Err(RegistryError::InvalidRole.into()),
        }
    }
}

/// Whether a participant may trade (borsh enum: one byte).
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserStatus {
    Active = 0,
    /// Barred from trading until reinstated.
    Suspended = 1,
}

/// `zone_id` of a user that is not in a zone yet.
pub const NO_ZONE: u32 = 0;

/// A market participant (PDA `["user", authority]`).
#[repr(C)]
pub struct User {
    /// The wallet that registered and controls this participant.
    pub authority: Address,
    /// A [`UserRole`].
    pub role: u8,
    /// A [`UserStatus`].
    pub status: u8,
    /// Canonical bump of the PDA, found once at creation.
    pub bump: u8,
    /// The grid zone the user trades in; [`NO_ZONE`] until one is assigned.
    pub zone_id: PodU32,
    /// Meters registered to this user.
    pub meter_count: PodU16,
    /// Registration order, from 0.
    pub user_index: PodU64,
    /// Cluster Unix time of registration.
    pub registered_at: PodI64,
    pub reserved: [u8; 32],
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
    reserved: [u8; 32],
});

impl AccountLayout for User {
    const DISCRIMINATOR: [u8; 8] = discriminator::account("User");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_sizes() {
        assert_eq!(Config::LEN, 8 + 32 + 32 + 8 + 4 + 8 + 2 + 4 + 1 + 64);
        assert_eq!(User::LEN, 8 + 32 + 1 + 1 + 1 + 4 + 2 + 8 + 8 + 32);
    }

    #[test]
    fn roles_parse_from_their_borsh_index() {
        assert_eq!(UserRole::try_from(0), Ok(UserRole::Consumer));
        assert_eq!(UserRole::try_from(2), Ok(UserRole::Prosumer));
        assert_eq!(
            UserRole::try_from(3),
            Err(RegistryError::InvalidRole.into())
        );
        assert_eq!(
            UserRole::try_from(255),
            Err(RegistryError::InvalidRole.into())
        );
    }
}

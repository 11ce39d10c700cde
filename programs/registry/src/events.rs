//! Registry events (Anchor encoding: `sha256("event:<Name>")[..8]` then the borsh fields).

use pinocchio::Address;
use solgrid_program_kit::{
    discriminator,
    event::Event,
    impl_pod,
    pod::{PodI64, PodU16, PodU32, PodU64},
};

/// The registry was initialised.
#[repr(C)]
pub struct ConfigInitialized {
    pub config: Address,
    pub authority: Address,
    pub max_meters_per_user: PodU16,
    pub max_reading_age_secs: PodU32,
    pub timestamp: PodI64,
}

impl_pod!(ConfigInitialized {
    config: Address,
    authority: Address,
    max_meters_per_user: PodU16,
    max_reading_age_secs: PodU32,
    timestamp: PodI64,
});

impl Event for ConfigInitialized {
    const DISCRIMINATOR: [u8; 8] = discriminator::event("ConfigInitialized");
}

/// A participant registered.
#[repr(C)]
pub struct UserRegistered {
    /// The new User account.
    pub user: Address,
    pub authority: Address,
    /// A `UserRole`.
    pub role: u8,
    pub user_index: PodU64,
    pub timestamp: PodI64,
}

impl_pod!(UserRegistered {
    user: Address,
    authority: Address,
    role: u8,
    user_index: PodU64,
    timestamp: PodI64
});

impl Event for UserRegistered {
    const DISCRIMINATOR: [u8; 8] = discriminator::event("UserRegistered");
}

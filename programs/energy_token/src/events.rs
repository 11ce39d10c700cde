//! Energy token events (Anchor encoding: `sha256("event:<Name>")[..8]` then the borsh fields).

use pinocchio::Address;
use solgrid_program_kit::{
    discriminator,
    event::Event,
    impl_pod,
    pod::{PodI64, PodU64},
};

/// The deployment was initialised and the GRID mint created.
#[repr(C)]
pub struct TokenInitialized {
    pub config: Address,
    pub authority: Address,
    pub registry_program: Address,
    pub mint: Address,
    pub mint_authority: Address,
    pub settlement_authority: Address,
    pub decimals: u8,
    pub timestamp: PodI64,
}

impl_pod!(TokenInitialized {
    config: Address,
    authority: Address,
    registry_program: Address,
    mint: Address,
    mint_authority: Address,
    settlement_authority: Address,
    decimals: u8,
    timestamp: PodI64,
});

impl Event for TokenInitialized {
    const DISCRIMINATOR: [u8; 8] = discriminator::event("TokenInitialized");
}

/// A meter's net surplus was settled by the registry and minted as GRID.
#[repr(C)]
pub struct GridMinted {
    pub meter: Address,
    /// The meter's owner (the wallet that owns `destination`).
    pub owner: Address,
    pub destination: Address,
    /// Wh the registry settled.
    pub amount_wh: PodU64,
    /// GRID base units minted (`amount_wh * 10^6`).
    pub amount: PodU64,
}

impl_pod!(GridMinted {
    meter: Address,
    owner: Address,
    destination: Address,
    amount_wh: PodU64,
    amount: PodU64,
});

impl Event for GridMinted {
    const DISCRIMINATOR: [u8; 8] = discriminator::event("GridMinted");
}

/// A holder burned GRID.
#[repr(C)]
pub struct GridBurned {
    pub holder: Address,
    pub token_account: Address,
    /// GRID base units burned.
    pub amount: PodU64,
}

impl_pod!(GridBurned {
    holder: Address,
    token_account: Address,
    amount: PodU64,
});

impl Event for GridBurned {
    const DISCRIMINATOR: [u8; 8] = discriminator::event("GridBurned");
}

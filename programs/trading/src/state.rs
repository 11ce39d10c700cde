//! The trading program's accounts, the seeds of its PDAs, and read-only views of the registry
//! accounts it inspects (Config, Zone, User; it reads them directly, no CPI).
//!
//! * Config (PDA `["config"]`): written once by `initialize`.
//! * Market (PDA `["market", zone_id LE, quote_mint]`): an 8-byte `account:Market` discriminator,
//!   then `solgrid_order_book::MarketHeader` (the IDL's `Market` account), then the seats and the
//!   orders, growing with use (see `solgrid_order_book::layout`).
//! * Vaults (PDAs `["vault", market, mint]`): SPL Token accounts whose owner is the market PDA.
//! * Epoch accounts of a periodic market (PDAs `["epoch", market, [slot]]`, slot 0 and 1): an 8-byte
//!   `account:AuctionEpoch` discriminator, then `solgrid_order_book::auction::EpochHeader` (the IDL's
//!   `AuctionEpoch` account), then its price levels and auction orders (see
//!   `solgrid_order_book::auction::epoch`). Epoch E lives in slot E % 2.
//! * Event authority (PDA `["__event_authority"]`): signs the self-CPI that carries events.
//!
//! Accounts of each type are only ever created at their canonical PDA (the creating instruction
//! checks the seeds), so an account owned by this program with a type's discriminator *is* that
//! type's PDA: hot paths bind accounts by owner, discriminator and stored addresses instead of
//! paying for PDA derivations. The same holds for the registry's accounts.

use pinocchio::{address::address_eq, error::ProgramError, AccountView, Address};
use solgrid_order_book::{
    auction::{Epoch, EpochHeader, EpochState, EPOCH_HEADER_LEN},
    layout::HEADER_LEN,
    Market, MarketHeader,
};
use solgrid_program_kit::{
    account::{self, AccountLayout},
    checks, discriminator, impl_pod,
    pod::{PodI64, PodU16, PodU32, PodU64},
};

use crate::errors::{book_error, TradingError};

pub const CONFIG_SEED: &[u8] = b"config";
pub const MARKET_SEED: &[u8] = b"market";
pub const VAULT_SEED: &[u8] = b"vault";
pub const EPOCH_SEED: &[u8] = b"epoch";
/// Anchor's seed of the `emit_cpi` event authority.
pub const EVENT_AUTHORITY_SEED: &[u8] = b"__event_authority";

/// The SPL Token program (GRID and the quote mints live under it).
pub const TOKEN_PROGRAM_ID: Address = pinocchio_token::ID;
/// GRID's decimals (1 GRID = 1 kWh, 1 Wh = 10^6 atoms).
pub const BASE_DECIMALS: u8 = 9;

/// The trading singleton (PDA `["config"]`), read-only after `initialize`.
#[repr(C)]
pub struct Config {
    /// Who initialised the deployment (its upgrade authority when deployed through loader v3).
    pub authority: Address,
    /// The registry whose users, zones and regulators this program trusts.
    pub registry_program: Address,
    /// GRID, the base of every market.
    pub base_mint: Address,
    /// PDA `["__event_authority"]`.
    pub event_authority: Address,
    pub bump: u8,
    pub event_authority_bump: u8,
    pub reserved: [u8; 64],
}

impl_pod!(Config {
    authority: Address,
    registry_program: Address,
    base_mint: Address,
    event_authority: Address,
    bump: u8,
    event_authority_bump: u8,
    reserved: [u8; 64],
});

impl AccountLayout for Config {
    const DISCRIMINATOR: [u8; 8] = discriminator::account("Config");
}

/// `account:Market`.
pub const MARKET_DISCRIMINATOR: [u8; 8] = discriminator::account("Market");
/// Size of a market with no seat and no order (what `create_market` allocates).
pub const MARKET_MIN_LEN: usize = discriminator::LEN + HEADER_LEN;

/// A market's status (borsh enum byte in `MarketHeader.status`).
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarketStatus {
    /// Orders are placed and matched.
    Active = 0,
    /// Nothing is placed or matched; cancelling, withdrawing and collecting fees go on.
    Paused = 1,
}

impl MarketStatus {
    pub fn from_u8(value: u8) -> Result<Self, ProgramError> {
        match value {
            0 => Ok(MarketStatus::Active),
            1 => Ok(MarketStatus::Paused),
            _ => Err(TradingError::InvalidOrderArgs.into()),
        }
    }
}

/// `config` is this program's Config (owner and discriminator: it exists only at its PDA).
///
/// # Safety
/// No mutable borrow of `config`'s data exists while the returned reference lives (nothing in this
/// program ever writes Config after `initialize`).
#[inline(always)]
pub unsafe fn config<'a>(
    program_id: &Address,
    config: &'a AccountView,
) -> Result<&'a Config, ProgramError> {
    checks::owned_by(config, program_id)?;
    account::load::<Config>(config.borrow_unchecked())
}

/// The market's data after the discriminator, writable, owned by this program.
///
/// # Safety
/// The caller holds no other reference into `market`'s data while the slice lives, and does not
/// keep it across a CPI that receives `market` writable.
#[inline(always)]
pub unsafe fn market_data<'a>(
    program_id: &Address,
    market: &'a mut AccountView,
) -> Result<&'a mut [u8], ProgramError> {
    checks::writable(market)?;
    checks::owned_by(market, program_id)?;
    let data = market.borrow_unchecked_mut();
    if data.len() < MARKET_MIN_LEN || data[..discriminator::LEN] != MARKET_DISCRIMINATOR {
        return Err(TradingError::InvalidMarket.into());
    }
    Ok(&mut data[discriminator::LEN..])
}

/// The market viewed by the book.
///
/// # Safety
/// As for [`market_data`].
#[inline(always)]
pub unsafe fn load_market<'a>(
    program_id: &Address,
    market: &'a mut AccountView,
) -> Result<Market<'a>, ProgramError> {
    Market::load(market_data(program_id, market)?).map_err(book_error)
}

/// `account:AuctionEpoch`.
pub const EPOCH_DISCRIMINATOR: [u8; 8] = discriminator::account("AuctionEpoch");
/// Where an epoch account's header starts (after the discriminator).
pub const EPOCH_DATA_AT: usize = discriminator::LEN;
/// Size of an epoch account with an empty region (what `create_market` allocates).
pub const EPOCH_MIN_LEN: usize = discriminator::LEN + EPOCH_HEADER_LEN;

/// `market` is a periodic market (`epoch_secs > 0`, else `WrongMarketMode`); returns `epoch_secs`.
#[inline(always)]
pub fn periodic(market: &Market) -> Result<u32, ProgramError> {
    match market.header.epoch_secs {
        0 => Err(TradingError::WrongMarketMode.into()),
        secs => Ok(secs),
    }
}

/// `market` is a continuous market (else `WrongMarketMode`).
#[inline(always)]
pub fn continuous(market: &Market) -> Result<(), ProgramError> {
    if market.header.epoch_secs == 0 {
        Ok(())
    } else {
        Err(TradingError::WrongMarketMode.into())
    }
}

/// The data after the discriminator of an account owned by this program if it is an epoch account
/// (`account:AuctionEpoch`, else `WrongEpochAccount`).
#[inline(always)]
fn epoch_body(data: &[u8]) -> Result<usize, ProgramError> {
    if data.len() < EPOCH_MIN_LEN || data[..discriminator::LEN] != EPOCH_DISCRIMINATOR {
        return Err(TradingError::WrongEpochAccount.into());
    }
    Ok(discriminator::LEN)
}

/// The header records `market` and `slot` (else `WrongEpochAccount`).
#[inline(always)]
fn epoch_binding(header: &EpochHeader, market: &Address, slot: u8) -> Result<(), ProgramError> {
    if !address_eq(as_address(&header.market), market) || header.slot != slot {
        return Err(TradingError::WrongEpochAccount.into());
    }
    Ok(())
}

/// `account` is `market`'s epoch account of `slot`, writable, viewed by the book: owned by this
/// program, `account:AuctionEpoch`, a valid layout whose header records `market` and `slot` (else
/// `WrongEpochAccount`). Epoch accounts are only created at their PDA `["epoch", market, [slot]]`
/// by `create_market`, so this binds `account` to that PDA without a derivation.
///
/// # Safety
/// As for [`market_data`].
#[inline(always)]
pub unsafe fn load_epoch<'a>(
    program_id: &Address,
    account: &'a mut AccountView,
    market: &Address,
    slot: u8,
) -> Result<Epoch<'a>, ProgramError> {
    checks::writable(account)?;
    if !address_eq(account.owner(), program_id) {
        return Err(TradingError::WrongEpochAccount.into());
    }
    let data = account.borrow_unchecked_mut();
    let at = epoch_body(data)?;
    let epoch = Epoch::load(&mut data[at..]).map_err(|_| TradingError::WrongEpochAccount)?;
    epoch_binding(epoch.header, market, slot)?;
    Ok(epoch)
}

/// The header of `market`'s epoch account of `slot`, read-only (bound as by [`load_epoch`]).
///
/// # Safety
/// No mutable reference into `account`'s data exists while the returned reference lives.
#[inline(always)]
pub unsafe fn epoch_header<'a>(
    program_id: &Address,
    account: &'a AccountView,
    market: &Address,
    slot: u8,
) -> Result<&'a EpochHeader, ProgramError> {
    if !address_eq(account.owner(), program_id) {
        return Err(TradingError::WrongEpochAccount.into());
    }
    let data = account.borrow_unchecked();
    let at = epoch_body(data)?;
    let header = EpochHeader::read(&data[at..]).map_err(|_| TradingError::WrongEpochAccount)?;
    epoch_binding(header, market, slot)?;
    Ok(header)
}

/// The epoch account `view` holds epoch `epoch` (in any state but `Empty`), else `WrongEpoch`.
#[inline(always)]
pub fn holds_epoch(view: &Epoch, epoch: u64) -> Result<(), ProgramError> {
    if view.header.state() == EpochState::Empty || view.header.epoch != epoch {
        return Err(TradingError::WrongEpoch.into());
    }
    Ok(())
}

/// The registry's Config (`account:Config` of the registry): the fields this program reads are the
/// regulators, the governance program and the market-wide pause flags; the whole layout is declared
/// so that its size is checked and `tests/idl.rs` pins it to `idl/registry.json`.
#[repr(C)]
pub struct RegistryConfig {
    pub authority: Address,
    pub pending_authority: Address,
    pub settlement_authority: Address,
    pub regulators: [Address; 8],
    pub regulator_count: u8,
    pub regulator_threshold: u8,
    pub bump: u8,
    pub user_count: PodU64,
    pub zone_count: PodU32,
    pub meter_count: PodU64,
    /// The registry's `Limits` (20 bytes), not read here.
    pub limits: [u8; 20],
    /// Zero: no governance, privileged actions are co-signed by a regulator quorum. Else only the
    /// governance program's authority PDA (`["governance", [governance_bump]]`) signs them.
    pub governance_program: Address,
    pub governance_bump: u8,
    /// Bump of the governance program's `["certificates"]` PDA (not read here).
    pub certificates_bump: u8,
    /// Market-wide pause flags (`PAUSE_*`).
    pub paused: u8,
    /// The regulators' membership versions (governance's proposal votes; not read here).
    pub regulators_version: [u8; 2],
    pub regulator_since: [[u8; 2]; 8],
    pub reserved: [u8; 11],
}

impl_pod!(RegistryConfig {
    authority: Address,
    pending_authority: Address,
    settlement_authority: Address,
    regulators: [Address; 8],
    regulator_count: u8,
    regulator_threshold: u8,
    bump: u8,
    user_count: PodU64,
    zone_count: PodU32,
    meter_count: PodU64,
    limits: [u8; 20],
    governance_program: Address,
    governance_bump: u8,
    certificates_bump: u8,
    paused: u8,
    regulators_version: [u8; 2],
    regulator_since: [[u8; 2]; 8],
    reserved: [u8; 11],
});

impl AccountLayout for RegistryConfig {
    const DISCRIMINATOR: [u8; 8] = discriminator::account("Config");
}

impl RegistryConfig {
    #[inline(always)]
    pub fn regulator_set(&self) -> &[Address] {
        &self.regulators[..(self.regulator_count as usize).min(8)]
    }

    /// Whether a governance program is set (then it alone authorises privileged actions).
    #[inline(always)]
    pub fn has_governance(&self) -> bool {
        self.governance_program.as_array() != &[0u8; 32]
    }
}

/// The registry's pause flags (a bit set in `RegistryConfig.paused`, market-wide, and
/// `RegistryZone.paused`, per zone): readings, minting, trading.
pub const PAUSE_READINGS: u8 = 1;
pub const PAUSE_MINTING: u8 = 2;
pub const PAUSE_TRADING: u8 = 4;

/// Seed of the governance program's authority PDA (it signs the CPIs of executed proposals).
pub const GOVERNANCE_SEED: &[u8] = b"governance";

/// Trading is paused in `zone`: the TRADING flag is set market-wide or for the zone.
#[inline(always)]
pub fn trading_paused(config: &RegistryConfig, zone: &RegistryZone) -> bool {
    (config.paused | zone.paused) & PAUSE_TRADING != 0
}

/// Refuses (`TradingPaused`) when trading is paused in `zone`.
#[inline(always)]
pub fn check_trading(config: &RegistryConfig, zone: &RegistryZone) -> Result<(), ProgramError> {
    if trading_paused(config, zone) {
        Err(TradingError::TradingPaused.into())
    } else {
        Ok(())
    }
}

/// The registry's Zone.
#[repr(C)]
pub struct RegistryZone {
    pub zone_id: PodU32,
    pub name: [u8; 32],
    pub max_capacity_kw: PodU64,
    pub status: u8,
    pub bump: u8,
    pub created_at: PodI64,
    pub reopened_at: PodI64,
    /// This zone's pause flags (`PAUSE_*`).
    pub paused: u8,
    /// g CO2 per kWh of the zone's grid mix (not read here).
    pub emission_factor: PodU32,
    pub reserved: [u8; 19],
}

impl_pod!(RegistryZone {
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

impl AccountLayout for RegistryZone {
    const DISCRIMINATOR: [u8; 8] = discriminator::account("Zone");
}

/// The registry's `ZoneStatus::Halted`.
pub const ZONE_HALTED: u8 = 1;

/// The registry's User.
#[repr(C)]
pub struct RegistryUser {
    pub authority: Address,
    pub role: u8,
    pub status: u8,
    pub bump: u8,
    pub zone_id: PodU32,
    pub meter_count: PodU16,
    pub user_index: PodU64,
    pub registered_at: PodI64,
    pub verified_at: PodI64,
    pub reserved: [u8; 24],
}

impl_pod!(RegistryUser {
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

impl AccountLayout for RegistryUser {
    const DISCRIMINATOR: [u8; 8] = discriminator::account("User");
}

/// The registry's `UserRole` values that may sell (Prosumer, GridOperator).
pub const ROLE_PROSUMER: u8 = 0;
pub const ROLE_GRID_OPERATOR: u8 = 2;
/// The registry's `UserStatus::Verified`.
pub const USER_VERIFIED: u8 = 1;

/// A registry account of type `T`: owned by `registry_program`, right size and discriminator.
///
/// # Safety
/// The registry's accounts are never borrowed mutably by this program; the reference must not be
/// held across a CPI.
#[inline(always)]
pub unsafe fn registry_view<'a, T: AccountLayout>(
    account: &'a AccountView,
    registry_program: &Address,
    error: TradingError,
) -> Result<&'a T, ProgramError> {
    if !address_eq(account.owner(), registry_program) {
        return Err(error.into());
    }
    account::load::<T>(account.borrow_unchecked()).map_err(|_| error.into())
}

/// `user` is `trader`'s registry User and is Verified; returns it.
///
/// # Safety
/// As for [`registry_view`].
#[inline(always)]
pub unsafe fn verified_user<'a>(
    user: &'a AccountView,
    registry_program: &Address,
    trader: &Address,
) -> Result<&'a RegistryUser, ProgramError> {
    let view = registry_view::<RegistryUser>(user, registry_program, TradingError::InvalidUser)?;
    if !address_eq(&view.authority, trader) {
        return Err(TradingError::InvalidUser.into());
    }
    if view.status != USER_VERIFIED {
        return Err(TradingError::UserNotVerified.into());
    }
    Ok(view)
}

/// The registry's Config for a market of `registry_program` (the registry the deployment trusts, as
/// the market records it), else `InvalidRegistryConfig`: owned by it with `account:Config` (the
/// registry creates that account only at its PDA `["config"]`, so no derivation is needed).
///
/// # Safety
/// As for [`registry_view`].
#[inline(always)]
pub unsafe fn registry_config<'a>(
    account: &'a AccountView,
    registry_program: &Address,
) -> Result<&'a RegistryConfig, ProgramError> {
    registry_view::<RegistryConfig>(
        account,
        registry_program,
        TradingError::InvalidRegistryConfig,
    )
}

/// `zone` is the market's registry Zone (`InvalidZone`): its recorded address, owned by the
/// market's registry with `account:Zone`.
///
/// # Safety
/// As for [`registry_view`].
#[inline(always)]
pub unsafe fn market_zone<'a>(
    header: &MarketHeader,
    zone: &'a AccountView,
) -> Result<&'a RegistryZone, ProgramError> {
    if !address_eq(zone.address(), as_address(&header.zone)) {
        return Err(TradingError::InvalidZone.into());
    }
    registry_view::<RegistryZone>(
        zone,
        as_address(&header.registry_program),
        TradingError::InvalidZone,
    )
}

/// A key stored in the market header, viewed as an `Address` (same bytes, alignment 1).
#[inline(always)]
pub fn as_address(key: &[u8; 32]) -> &Address {
    // SAFETY: `Address` is a transparent wrapper of `[u8; 32]`.
    unsafe { &*(key as *const [u8; 32] as *const Address) }
}

/// Whether trading is paused in the market's zone (the TRADING flag of the registry's Config or of
/// the market's Zone), with `registry_config` and `zone` bound as by [`registry_config`] and
/// [`market_zone`]; also returns the zone.
///
/// # Safety
/// As for [`registry_view`].
#[inline(always)]
pub unsafe fn trading_pause<'a>(
    header: &MarketHeader,
    registry_config: &AccountView,
    zone: &'a AccountView,
) -> Result<(bool, &'a RegistryZone), ProgramError> {
    let zone_view = market_zone(header, zone)?;
    let config = self::registry_config(registry_config, as_address(&header.registry_program))?;
    Ok((trading_paused(config, zone_view), zone_view))
}

/// Orders may be placed or cleared in the market's zone: the Zone is not Halted (`ZoneHalted`) and
/// trading is not paused there (`TradingPaused`), the accounts bound as by [`trading_pause`].
///
/// # Safety
/// As for [`registry_view`].
#[inline(always)]
pub unsafe fn trading_open(
    header: &MarketHeader,
    registry_config: &AccountView,
    zone: &AccountView,
) -> Result<(), ProgramError> {
    let (paused, zone_view) = trading_pause(header, registry_config, zone)?;
    if zone_view.status == ZONE_HALTED {
        return Err(TradingError::ZoneHalted.into());
    }
    if paused {
        return Err(TradingError::TradingPaused.into());
    }
    Ok(())
}

/// The privileged-action gate: `config` is this program's Config, `registry_config` the trusted
/// registry's Config (`InvalidRegistryConfig`), and the registry's rule for privileged actions holds
/// among `cosigners` ([`privileged`]). Returns the Config (its registry program and base mint).
///
/// # Safety
/// As for [`config`] and [`registry_view`].
#[inline(always)]
pub unsafe fn regulator_quorum<'a>(
    program_id: &Address,
    config: &'a AccountView,
    registry_config: &AccountView,
    cosigners: &[AccountView],
) -> Result<&'a Config, ProgramError> {
    let loaded = self::config(program_id, config)?;
    let registry = self::registry_config(registry_config, &loaded.registry_program)?;
    privileged(registry, cosigners)?;
    Ok(loaded)
}

/// The registry's rule for privileged actions, as its own gate applies it: while no governance
/// program is set, at least `regulator_threshold` distinct configured regulators signed among
/// `cosigners`; once one is set, one of `cosigners` is its authority PDA
/// `["governance", [governance_bump]]` and signed (`NotGovernance`; co-signing regulators no longer
/// suffice: a proposal, with its record and timelock, is the only way).
#[inline(always)]
pub fn privileged(config: &RegistryConfig, cosigners: &[AccountView]) -> Result<(), ProgramError> {
    if config.has_governance() {
        governance_signed(config, cosigners)
    } else {
        regulator_threshold(config, cosigners)
    }
}

/// The governance program's authority PDA signed among `cosigners` (else `NotGovernance`). The
/// registry checked when governance was set that the bump gives a PDA (off the curve, so only the
/// governance program can sign for it, through `invoke_signed`); the address is derived with the
/// stored bump (one hash, no search).
#[inline(always)]
pub fn governance_signed(
    config: &RegistryConfig,
    cosigners: &[AccountView],
) -> Result<(), ProgramError> {
    let authority = Address::try_derive_address(
        &[GOVERNANCE_SEED],
        Some(config.governance_bump),
        &config.governance_program,
    )
    .map_err(|_| TradingError::NotGovernance)?;
    if cosigners
        .iter()
        .any(|a| a.is_signer() && address_eq(a.address(), &authority))
    {
        Ok(())
    } else {
        Err(TradingError::NotGovernance.into())
    }
}

/// At least `regulator_threshold` distinct configured regulators signed among `cosigners`.
#[inline(always)]
pub fn regulator_threshold(
    config: &RegistryConfig,
    cosigners: &[AccountView],
) -> Result<(), ProgramError> {
    if config.regulator_count == 0 {
        return Err(TradingError::NoRegulators.into());
    }
    let signed = solgrid_program_kit::signers::distinct_signers(config.regulator_set(), cosigners);
    if signed >= config.regulator_threshold as usize {
        Ok(())
    } else {
        Err(TradingError::RegulatorThresholdNotMet.into())
    }
}

/// The token program account is SPL Token.
#[inline(always)]
pub fn check_token_program(account: &AccountView) -> Result<(), ProgramError> {
    if address_eq(account.address(), &TOKEN_PROGRAM_ID) {
        Ok(())
    } else {
        Err(TradingError::InvalidTokenProgram.into())
    }
}

/// SPL Token mint layout: 82 bytes, `decimals` at 44, `is_initialized` at 45.
pub mod mint {
    pub const LEN: usize = 82;
    pub const DECIMALS_OFFSET: usize = 44;
    pub const INITIALIZED_OFFSET: usize = 45;
}

/// SPL Token account size.
pub const TOKEN_ACCOUNT_LEN: usize = 165;
/// SPL Token account layout: the mint at 0, the owner at 32.
pub const TOKEN_ACCOUNT_OWNER_OFFSET: usize = 32;

/// `account` is an SPL Token account (owned by SPL Token, 165 bytes) of `mint` (else
/// `WrongTokenMint`); returns its owner.
///
/// # Safety
/// No mutable borrow of `account`'s data exists while the returned reference lives, and it is not
/// held across a CPI.
#[inline(always)]
pub unsafe fn token_account_of<'a>(
    account: &'a AccountView,
    mint: &Address,
) -> Result<&'a [u8; 32], ProgramError> {
    if !address_eq(account.owner(), &TOKEN_PROGRAM_ID) {
        return Err(TradingError::WrongTokenMint.into());
    }
    let data = account.borrow_unchecked();
    if data.len() != TOKEN_ACCOUNT_LEN {
        return Err(TradingError::WrongTokenMint.into());
    }
    let token_mint: &[u8; 32] = data[..TOKEN_ACCOUNT_OWNER_OFFSET]
        .try_into()
        .expect("32 bytes");
    if !address_eq(as_address(token_mint), mint) {
        return Err(TradingError::WrongTokenMint.into());
    }
    let owner = &data[TOKEN_ACCOUNT_OWNER_OFFSET..TOKEN_ACCOUNT_OWNER_OFFSET + 32];
    Ok(owner.try_into().expect("32 bytes"))
}

/// `account` is an initialised SPL Token mint; returns its decimals.
///
/// # Safety
/// No mutable borrow of `account`'s data exists during the call.
#[inline(always)]
pub unsafe fn mint_decimals(account: &AccountView) -> Option<u8> {
    if !address_eq(account.owner(), &TOKEN_PROGRAM_ID) {
        return None;
    }
    let data = account.borrow_unchecked();
    (data.len() == mint::LEN && data[mint::INITIALIZED_OFFSET] == 1)
        .then(|| data[mint::DECIMALS_OFFSET])
}

#[cfg(test)]
mod tests {
    use super::*;
    use solgrid_program_kit::testing::FakeAccount;
    use std::{vec, vec::Vec};

    #[test]
    fn sizes() {
        assert_eq!(Config::LEN, 8 + 4 * 32 + 2 + 64);
        assert_eq!(
            RegistryConfig::LEN,
            8 + 3 * 32 + 8 * 32 + 3 + 8 + 4 + 8 + 20 + 32 + 3 + 29
        );
        assert_eq!(
            RegistryZone::LEN,
            8 + 4 + 32 + 8 + 1 + 1 + 8 + 8 + 1 + 4 + 19
        );
        assert_eq!(RegistryUser::LEN, 8 + 32 + 3 + 4 + 2 + 8 + 8 + 8 + 24);
        assert_eq!(MARKET_MIN_LEN, 432);
        assert_eq!(EPOCH_MIN_LEN, 8 + 256);
    }

    /// A data-less account at `address`, signer or not.
    struct Signer(FakeAccount);

    impl Signer {
        fn new(address: &Address, signer: bool) -> Self {
            let mut account = FakeAccount::new(address.to_bytes(), Address::default(), 0);
            account.signer = signer;
            Self(account)
        }

        fn view(&mut self) -> AccountView {
            self.0.view()
        }
    }

    fn views(signers: &mut [Signer]) -> Vec<AccountView> {
        signers.iter_mut().map(Signer::view).collect()
    }

    const GOVERNANCE: Address = Address::new_from_array([42; 32]);

    fn registry(regulators: &[Address], threshold: u8) -> RegistryConfig {
        let mut config: RegistryConfig = unsafe { core::mem::zeroed() };
        config.regulators[..regulators.len()].copy_from_slice(regulators);
        config.regulator_count = regulators.len() as u8;
        config.regulator_threshold = threshold;
        config
    }

    fn governed(config: &mut RegistryConfig) -> Address {
        let (authority, bump) =
            Address::try_find_program_address(&[GOVERNANCE_SEED], &GOVERNANCE).unwrap();
        config.governance_program = GOVERNANCE;
        config.governance_bump = bump;
        authority
    }

    fn check(config: &RegistryConfig, signers: &mut [Signer]) -> Result<(), ProgramError> {
        privileged(config, &views(signers))
    }

    #[test]
    fn privileged_actions_take_a_quorum_until_governance_is_set_then_its_authority() {
        let regulators = [
            Address::new_from_array([1; 32]),
            Address::new_from_array([2; 32]),
            Address::new_from_array([3; 32]),
        ];
        let mut config = registry(&regulators, 2);
        let quorum = || {
            vec![
                Signer::new(&regulators[0], true),
                Signer::new(&regulators[2], true),
            ]
        };
        assert!(!config.has_governance());
        assert_eq!(check(&config, &mut quorum()), Ok(()));
        assert_eq!(
            check(&config, &mut [Signer::new(&regulators[0], true)]),
            Err(TradingError::RegulatorThresholdNotMet.into())
        );
        assert_eq!(
            check(&registry(&[], 1), &mut quorum()),
            Err(TradingError::NoRegulators.into())
        );

        let authority = governed(&mut config);
        assert!(config.has_governance());
        // Co-signing regulators alone no longer suffice, whatever their number.
        let not_governance = Err(TradingError::NotGovernance.into());
        assert_eq!(check(&config, &mut quorum()), not_governance);
        let mut all: Vec<Signer> = regulators.iter().map(|r| Signer::new(r, true)).collect();
        assert_eq!(check(&config, &mut all), not_governance);
        // The governance authority signs (alone, or among others).
        assert_eq!(check(&config, &mut [Signer::new(&authority, true)]), Ok(()));
        let mut mixed = quorum();
        mixed.push(Signer::new(&authority, true));
        assert_eq!(check(&config, &mut mixed), Ok(()));
        // Listed without its signature, or the governance program itself, does not.
        assert_eq!(
            check(&config, &mut [Signer::new(&authority, false)]),
            not_governance
        );
        assert_eq!(
            check(&config, &mut [Signer::new(&GOVERNANCE, true)]),
            not_governance
        );
        // Nor the same seed under another program, or with another bump.
        let other = Address::new_from_array([43; 32]);
        let (elsewhere, _) = Address::try_find_program_address(&[GOVERNANCE_SEED], &other).unwrap();
        assert_eq!(
            check(&config, &mut [Signer::new(&elsewhere, true)]),
            not_governance
        );
        let mut rebumped = registry(&regulators, 2);
        governed(&mut rebumped);
        rebumped.governance_bump = rebumped.governance_bump.wrapping_sub(1);
        assert_eq!(
            check(&rebumped, &mut [Signer::new(&authority, true)]),
            not_governance
        );
        // No regulators is no obstacle once governance is set.
        let mut bare = registry(&[], 0);
        let authority = governed(&mut bare);
        assert_eq!(check(&bare, &mut [Signer::new(&authority, true)]), Ok(()));
    }

    #[test]
    fn trading_pauses_market_wide_or_per_zone() {
        let mut config = registry(&[], 0);
        let mut zone: RegistryZone = unsafe { core::mem::zeroed() };
        assert!(!trading_paused(&config, &zone));
        // Readings and minting pauses do not stop trading.
        config.paused = PAUSE_READINGS | PAUSE_MINTING;
        zone.paused = PAUSE_READINGS | PAUSE_MINTING;
        assert!(!trading_paused(&config, &zone));
        assert_eq!(check_trading(&config, &zone), Ok(()));
        zone.paused |= PAUSE_TRADING;
        assert!(trading_paused(&config, &zone));
        assert_eq!(
            check_trading(&config, &zone),
            Err(TradingError::TradingPaused.into())
        );
        zone.paused = 0;
        config.paused = PAUSE_TRADING;
        assert!(trading_paused(&config, &zone));
        config.paused = PAUSE_READINGS | PAUSE_MINTING | PAUSE_TRADING;
        assert!(trading_paused(&config, &zone));
    }
}

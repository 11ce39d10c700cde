//! `settle_and_mint()`: mints a meter's unsettled net surplus as GRID to its owner. Anyone may crank
//! it; what is minted is decided by the registry, never by the caller.
//!
//! Accounts:
//! 0. `[]` settlement_authority: PDA `["settlement"]`; signs the `settle_meter` CPI (the registry
//!    accepts it as `Config.settlement_authority`).
//! 1. `[]` registry_program: `Config.registry_program`.
//! 2. `[]` registry_config: the registry's Config (checked by the registry).
//! 3. `[writable]` meter: a registry Meter (owner = the registry, `account:Meter`).
//! 4. `[]` user: the meter owner's registry User (checked by the registry: it must be VERIFIED).
//! 5. `[]` zone: the meter's registry Zone (checked by the registry: bound by `zone_id`, and the
//!    settlement is refused while MINTING is paused for it).
//! 6. `[writable]` mint: the GRID mint.
//! 7. `[]` mint_authority: PDA `["mint_authority"]`; signs the MintTo CPI.
//! 8. `[writable]` destination: an SPL Token account of the GRID mint owned by the meter's owner.
//! 9. `[]` token_program: SPL Token.
//! 10. `[]` config: this program's Config.
//!
//! Steps: the registry's `settle_meter` (CPI, signed by the settlement PDA) moves the meter's
//! unsettled net surplus into `settled_wh`; a meter with nothing to settle fails there, so each Wh is minted exactly once and a deficit is never minted. The amount
//! is read as the increase of the registry-owned meter's `settled_wh` across that CPI (see
//! [`settled_amount`] for why this is what the registry settled). Then `amount_wh * 10^6` base
//! units are minted to `destination` (CPI, signed by the mint authority PDA). Config is only read:
//! the path writes no global account of this program.
//!
//! Config is recognised by owner and discriminator without re-deriving its address: this program
//! creates exactly one account with that discriminator, at its PDA (`initialize`).
//!
//! Emits `GridMinted` (the registry emits `MeterSettled` inside the CPI).

use core::mem::MaybeUninit;
use pinocchio::{
    cpi::{invoke_signed_unchecked, CpiAccount, Seed, Signer},
    error::ProgramError,
    instruction::{InstructionAccount, InstructionView},
    AccountView, Address, ProgramResult,
};
use pinocchio_token::instructions::MintTo;
use solgrid_program_kit::{checks, discriminator, event::emit, instruction, pod::PodU64, KitError};

use crate::{
    errors::EnergyTokenError,
    events::GridMinted,
    state::{self, Config, RegistryMeter, MINT_AUTHORITY_SEED, SETTLEMENT_SEED},
};

pub const DISCRIMINATOR: u64 = discriminator::as_u64(discriminator::instruction("settle_and_mint"));
/// Instruction data length: the discriminator only (no arguments).
pub const DATA_LEN: usize = discriminator::LEN;
pub const ACCOUNTS_LEN: usize = 11;

/// The registry instruction this one invokes (Anchor discriminator `global:settle_meter`, no args).
pub const SETTLE_METER_DISCRIMINATOR: [u8; discriminator::LEN] =
    discriminator::instruction("settle_meter");

/// The checked accounts of `settle_and_mint`, with what the handler needs from Config and the meter.
pub struct SettleAndMintAccounts<'a> {
    pub settlement_authority: &'a AccountView,
    pub registry_program: &'a AccountView,
    pub registry_config: &'a AccountView,
    pub meter: &'a AccountView,
    pub user: &'a AccountView,
    pub zone: &'a AccountView,
    pub mint: &'a AccountView,
    pub mint_authority: &'a AccountView,
    pub destination: &'a AccountView,
    pub settlement_bump: u8,
    pub mint_authority_bump: u8,
    /// The meter's `settled_wh` before the registry settles it.
    pub settled_before: u64,
    /// The meter's owner (the wallet minted GRID goes to).
    pub owner: Address,
}

impl<'a> SettleAndMintAccounts<'a> {
    pub fn load(program_id: &Address, accounts: &'a [AccountView]) -> Result<Self, ProgramError> {
        let [settlement_authority, registry_program, registry_config, meter, user, zone, mint, mint_authority, destination, token_program, config, ..] =
            accounts
        else {
            return Err(KitError::NotEnoughAccounts.into());
        };
        checks::owned_by(config, program_id)?;
        // SAFETY (`state::view`, `state::check_token_account`): this instruction never borrows
        // account data mutably, and nothing read here outlives `load`, which ends before the CPIs.
        let config = unsafe { state::view::<Config>(config)? };
        state::check_address(
            settlement_authority,
            &config.settlement_authority,
            EnergyTokenError::InvalidSettlementAuthority,
        )?;
        state::check_address(
            registry_program,
            &config.registry_program,
            EnergyTokenError::InvalidRegistryProgram,
        )?;
        checks::writable(meter)?;
        checks::owned_by(meter, &config.registry_program)?;
        // SAFETY: as above.
        let (owner, settled_before) = {
            let meter = unsafe { state::view::<RegistryMeter>(meter)? };
            (meter.owner, meter.settled_wh.get())
        };
        state::check_address(mint, &config.mint, EnergyTokenError::InvalidMint)?;
        checks::writable(mint)?;
        state::check_address(
            mint_authority,
            &config.mint_authority,
            EnergyTokenError::InvalidMintAuthority,
        )?;
        state::check_token_program(token_program)?;
        checks::writable(destination)?;
        // SAFETY: as above.
        unsafe { state::check_token_account(destination, &config.mint, &owner)? };
        Ok(Self {
            settlement_authority,
            registry_program,
            registry_config,
            meter,
            user,
            zone,
            mint,
            mint_authority,
            destination,
            settlement_bump: config.settlement_bump,
            mint_authority_bump: config.mint_authority_bump,
            settled_before,
            owner,
        })
    }
}

pub fn process(program_id: &Address, accounts: &mut [AccountView], args: &[u8]) -> ProgramResult {
    instruction::no_args(args)?;
    let accounts = SettleAndMintAccounts::load(program_id, accounts)?;

    settle_meter(&accounts)?;
    // SAFETY: `settle_meter` has returned; no reference into the meter's data is alive.
    let settled_after = unsafe { read_settled_wh(accounts.meter) };
    let amount_wh = settled_amount(accounts.settled_before, settled_after)?;
    let amount = state::base_units(amount_wh)?;

    let bump = [accounts.mint_authority_bump];
    let seeds = [Seed::from(MINT_AUTHORITY_SEED), Seed::from(&bump)];
    MintTo::new(
        accounts.mint,
        accounts.destination,
        accounts.mint_authority,
        amount,
    )
    .invoke_signed(&[Signer::from(&seeds)])?;

    emit(GridMinted {
        meter: *accounts.meter.address(),
        owner: accounts.owner,
        destination: *accounts.destination.address(),
        amount_wh: PodU64::new(amount_wh),
        amount: PodU64::new(amount),
    });
    Ok(())
}

/// The registry's `settle_meter`, signed by the settlement PDA.
fn settle_meter(accounts: &SettleAndMintAccounts) -> ProgramResult {
    let metas = [
        InstructionAccount::readonly_signer(accounts.settlement_authority.address()),
        InstructionAccount::readonly(accounts.registry_config.address()),
        InstructionAccount::writable(accounts.meter.address()),
        InstructionAccount::readonly(accounts.user.address()),
        InstructionAccount::readonly(accounts.zone.address()),
    ];
    let ix = InstructionView {
        program_id: accounts.registry_program.address(),
        accounts: &metas,
        data: &SETTLE_METER_DISCRIMINATOR,
    };
    let mut views = [const { MaybeUninit::<CpiAccount>::uninit() }; 5];
    CpiAccount::init_from_account_view(accounts.settlement_authority, &mut views[0]);
    CpiAccount::init_from_account_view(accounts.registry_config, &mut views[1]);
    CpiAccount::init_from_account_view(accounts.meter, &mut views[2]);
    CpiAccount::init_from_account_view(accounts.user, &mut views[3]);
    CpiAccount::init_from_account_view(accounts.zone, &mut views[4]);
    let bump = [accounts.settlement_bump];
    let seeds = [Seed::from(SETTLEMENT_SEED), Seed::from(&bump)];
    // SAFETY: all five views were initialised above, in the order of `metas`. No borrow of any
    // account's data is alive here (`SettleAndMintAccounts::load` released its borrows), so the
    // registry writing the meter aliases nothing this program holds. The checked `invoke_signed`
    // would verify exactly that, at a cost on the minting path.
    unsafe {
        invoke_signed_unchecked(
            &ix,
            core::slice::from_raw_parts(views.as_ptr() as *const CpiAccount, views.len()),
            &[Signer::from(&seeds)],
        );
    }
    Ok(())
}

/// Offset of `settled_wh` in a registry Meter account's data (after the discriminator).
pub const SETTLED_WH_OFFSET: usize =
    discriminator::LEN + core::mem::offset_of!(RegistryMeter, settled_wh);

/// The meter's `settled_wh`, read from its account data.
///
/// # Safety
///
/// `meter`'s data was checked to be a registry Meter (`SettleAndMintAccounts::load`), and no
/// mutable reference to it is alive. Read through a raw pointer (not a reference held across the
/// CPI) so that the value written back by the registry is the one read.
#[inline(always)]
unsafe fn read_settled_wh(meter: &AccountView) -> u64 {
    core::ptr::read_unaligned(meter.data_ptr().add(SETTLED_WH_OFFSET) as *const u64)
}

/// The Wh the registry just settled: how much its `settle_meter` added to the meter's
/// `settled_wh`.
///
/// `settle_meter` returns nothing (no return data): it does `settled_wh += amount` (registry
/// `instructions/settle_meter.rs`), and this increase is how the amount reaches the caller. The
/// meter is owned by the registry (checked in `load`, and only the owner can change an account's
/// data) and is passed to no other program, so the increase is exactly the amount the registry
/// settled, read from state only the registry can write; return data, by contrast, any program
/// could set (its setter would need checking through `sol_get_return_data`). Reading two u64
/// costs ~120 CU less than that syscall on the minting path.
///
/// Fails with `InvalidSettlementReturn` unless the counter increased (the registry fails rather
/// than settling nothing, so zero or a decrease means something is wrong).
pub fn settled_amount(before: u64, after: u64) -> Result<u64, ProgramError> {
    match after.checked_sub(before) {
        Some(amount) if amount > 0 => Ok(amount),
        _ => Err(EnergyTokenError::InvalidSettlementReturn.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settle_meter_discriminator_is_anchors() {
        // hashlib.sha256(b"global:settle_meter").digest()[:8]
        assert_eq!(
            SETTLE_METER_DISCRIMINATOR,
            discriminator::sighash("global", "settle_meter")
        );
        assert_eq!(DATA_LEN, 8);
    }

    #[test]
    fn settled_wh_offset_is_the_meters() {
        use solgrid_program_kit::account::{self, AccountLayout};
        // serial, owner, user, zone_id, device_key, source, status, bump, capacity_w,
        // last_window_end, produced_wh, consumed_wh, then settled_wh.
        assert_eq!(SETTLED_WH_OFFSET, 8 + 32 * 3 + 4 + 32 + 3 + 8 * 4);
        let mut data = [0u8; RegistryMeter::LEN];
        data[..8].copy_from_slice(&RegistryMeter::DISCRIMINATOR);
        data[SETTLED_WH_OFFSET..SETTLED_WH_OFFSET + 8]
            .copy_from_slice(&0x0102_0304_0506_0708u64.to_le_bytes());
        let meter = account::load::<RegistryMeter>(&data).map(|m| m.settled_wh.get());
        assert_eq!(meter, Ok(0x0102_0304_0506_0708));
    }

    #[test]
    fn the_settled_increase_is_the_amount() {
        assert_eq!(settled_amount(0, 1234), Ok(1234));
        assert_eq!(settled_amount(100, 1334), Ok(1234));
        assert_eq!(settled_amount(0, u64::MAX), Ok(u64::MAX));
        assert_eq!(settled_amount(u64::MAX - 1, u64::MAX), Ok(1));
    }

    #[test]
    fn no_increase_or_a_decrease_is_refused() {
        let err = Err(EnergyTokenError::InvalidSettlementReturn.into());
        assert_eq!(settled_amount(0, 0), err);
        assert_eq!(settled_amount(500, 500), err);
        assert_eq!(settled_amount(500, 499), err);
        assert_eq!(settled_amount(u64::MAX, 0), err);
    }
}

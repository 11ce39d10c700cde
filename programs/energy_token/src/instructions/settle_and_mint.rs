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
//! 5. `[writable]` mint: the GRID mint.
//! 6. `[]` mint_authority: PDA `["mint_authority"]`; signs the MintTo CPI.
//! 7. `[writable]` destination: an SPL Token account of the GRID mint owned by the meter's owner.
//! 8. `[]` token_program: SPL Token.
//! 9. `[]` config: this program's Config.
//!
//! Steps: the registry's `settle_meter` (CPI, signed by the settlement PDA) moves the meter's
//! unsettled net surplus into `settled_wh` and returns it as a u64 (return data); a meter with
//! nothing to settle fails there, so each Wh is minted exactly once and a deficit is never minted.
//! Then `amount_wh * 10^6` base units are minted to `destination` (CPI, signed by the mint
//! authority PDA). Config is only read: the path writes no global account of this program.
//!
//! Config is recognised by owner and discriminator without re-deriving its address: this program
//! creates exactly one account with that discriminator, at its PDA (`initialize`).
//!
//! Emits `GridMinted` (the registry emits `MeterSettled` inside the CPI).

use core::mem::MaybeUninit;
use pinocchio::{
    address::address_eq,
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
pub const ACCOUNTS_LEN: usize = 10;

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
    pub mint: &'a AccountView,
    pub mint_authority: &'a AccountView,
    pub destination: &'a AccountView,
    pub settlement_bump: u8,
    pub mint_authority_bump: u8,
    /// The meter's owner (the wallet minted GRID goes to).
    pub owner: Address,
}

impl<'a> SettleAndMintAccounts<'a> {
    pub fn load(program_id: &Address, accounts: &'a [AccountView]) -> Result<Self, ProgramError> {
        let [settlement_authority, registry_program, registry_config, meter, user, mint, mint_authority, destination, token_program, config, ..] =
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
        let owner = unsafe { state::view::<RegistryMeter>(meter)? }.owner;
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
            mint,
            mint_authority,
            destination,
            settlement_bump: config.settlement_bump,
            mint_authority_bump: config.mint_authority_bump,
            owner,
        })
    }
}

pub fn process(program_id: &Address, accounts: &mut [AccountView], args: &[u8]) -> ProgramResult {
    instruction::no_args(args)?;
    let accounts = SettleAndMintAccounts::load(program_id, accounts)?;

    settle_meter(&accounts)?;
    let amount_wh = settled_amount(accounts.registry_program.address())?;
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
    ];
    let ix = InstructionView {
        program_id: accounts.registry_program.address(),
        accounts: &metas,
        data: &SETTLE_METER_DISCRIMINATOR,
    };
    let mut views = [const { MaybeUninit::<CpiAccount>::uninit() }; 4];
    CpiAccount::init_from_account_view(accounts.settlement_authority, &mut views[0]);
    CpiAccount::init_from_account_view(accounts.registry_config, &mut views[1]);
    CpiAccount::init_from_account_view(accounts.meter, &mut views[2]);
    CpiAccount::init_from_account_view(accounts.user, &mut views[3]);
    let bump = [accounts.settlement_bump];
    let seeds = [Seed::from(SETTLEMENT_SEED), Seed::from(&bump)];
    // SAFETY: all four views were initialised above, in the order of `metas`. No borrow of any
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

/// Length of `settle_meter`'s return data: the settled Wh as a little-endian u64.
pub const RETURN_LEN: usize = 8;

/// The Wh the registry just settled, from the return data `settle_meter` set.
fn settled_amount(registry: &Address) -> Result<u64, ProgramError> {
    let mut data = [0u8; RETURN_LEN];
    let mut setter = [0u8; 32];
    let size = get_return_data(&mut data, &mut setter);
    parse_settled_amount(size, &Address::new_from_array(setter), &data, registry)
}

/// `sol_get_return_data` into fixed buffers: copies at most [`RETURN_LEN`] bytes and the setter's
/// program id, and returns the full length of the return data (0 when there is none). pinocchio's
/// `get_return_data` would reserve and copy into a 1 KiB buffer instead.
#[inline(always)]
fn get_return_data(data: &mut [u8; RETURN_LEN], setter: &mut [u8; 32]) -> u64 {
    #[cfg(any(target_os = "solana", target_arch = "bpf"))]
    // SAFETY: both buffers are writable for the lengths the syscall writes (at most `RETURN_LEN`
    // data bytes and 32 program-id bytes).
    unsafe {
        pinocchio::syscalls::sol_get_return_data(
            data.as_mut_ptr(),
            RETURN_LEN as u64,
            setter.as_mut_ptr(),
        )
    }
    #[cfg(not(any(target_os = "solana", target_arch = "bpf")))]
    {
        core::hint::black_box((data, setter));
        0
    }
}

/// Checks the return data: set by `registry` itself (not by a program further down the call
/// stack), exactly [`RETURN_LEN`] bytes (`size` is the full length the runtime reports), and a
/// positive amount (the registry fails rather than settling nothing).
pub fn parse_settled_amount(
    size: u64,
    setter: &Address,
    data: &[u8; RETURN_LEN],
    registry: &Address,
) -> Result<u64, ProgramError> {
    if size != RETURN_LEN as u64 || !address_eq(setter, registry) {
        return Err(EnergyTokenError::InvalidSettlementReturn.into());
    }
    match u64::from_le_bytes(*data) {
        0 => Err(EnergyTokenError::InvalidSettlementReturn.into()),
        amount => Ok(amount),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REGISTRY: Address = Address::new_from_array([5; 32]);

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
    fn return_data_from_the_registry_is_accepted() {
        let data = 1234u64.to_le_bytes();
        assert_eq!(
            parse_settled_amount(8, &REGISTRY, &data, &REGISTRY),
            Ok(1234)
        );
        assert_eq!(
            parse_settled_amount(8, &REGISTRY, &u64::MAX.to_le_bytes(), &REGISTRY),
            Ok(u64::MAX)
        );
    }

    #[test]
    fn return_data_is_refused_when_missing_foreign_malformed_or_zero() {
        let err = Err(EnergyTokenError::InvalidSettlementReturn.into());
        let data = 5u64.to_le_bytes();
        let other = Address::new_from_array([6; 32]);
        assert_eq!(parse_settled_amount(0, &REGISTRY, &data, &REGISTRY), err);
        assert_eq!(parse_settled_amount(8, &other, &data, &REGISTRY), err);
        assert_eq!(parse_settled_amount(7, &REGISTRY, &data, &REGISTRY), err);
        assert_eq!(parse_settled_amount(16, &REGISTRY, &data, &REGISTRY), err);
        assert_eq!(parse_settled_amount(8, &REGISTRY, &[0; 8], &REGISTRY), err);
    }

    #[test]
    fn host_has_no_return_data() {
        assert_eq!(
            settled_amount(&REGISTRY),
            Err(EnergyTokenError::InvalidSettlementReturn.into())
        );
    }
}

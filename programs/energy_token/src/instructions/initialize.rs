//! `initialize()`: creates the Config singleton and the GRID mint.
//!
//! Accounts:
//! 0. `[signer, writable]` payer: funds the Config and mint accounts.
//! 1. `[signer]` authority: becomes `Config.authority`; must be the program's upgrade authority
//!    (no front-running the deployer; see `solgrid_program_kit::deployer`).
//! 2. `[writable]` config: PDA `["config"]`, created here.
//! 3. `[writable]` mint: PDA `["mint"]`, created here as an SPL Token mint with 9 decimals, the
//!    PDA `["mint_authority"]` as its only minting authority and no freeze authority.
//! 4. `[]` registry_program: the registry whose `settle_meter` this deployment trusts (must be an
//!    executable program).
//! 5. `[]` program: this program's own account, whose loader says where its authority is recorded.
//! 6. `[]` program_data: this program's ProgramData, PDA `[program_id]` of BPFLoaderUpgradeable
//!    (read only when that loader owns the program).
//! 7. `[]` system_program.
//! 8. `[]` token_program: SPL Token.
//!
//! The bumps of all four PDAs are found here, once, and stored in Config (together with the
//! addresses, so that later instructions compare addresses instead of deriving them).
//!
//! Emits `TokenInitialized`.

use pinocchio::{cpi::Seed, error::ProgramError, AccountView, Address, ProgramResult};
use pinocchio_token::instructions::InitializeMint2;
use solgrid_program_kit::{
    account::{self, AccountLayout},
    checks, clock, create, deployer, discriminator,
    event::emit,
    instruction,
    pod::PodI64,
    rent::Rent,
    KitError,
};

use crate::{
    errors::EnergyTokenError,
    events::TokenInitialized,
    state::{
        self, Config, CONFIG_SEED, DECIMALS, MINT_AUTHORITY_SEED, MINT_SEED, SETTLEMENT_SEED,
        TOKEN_PROGRAM_ID,
    },
};

pub const DISCRIMINATOR: u64 = discriminator::as_u64(discriminator::instruction("initialize"));
/// Instruction data length: the discriminator only (no arguments).
pub const DATA_LEN: usize = discriminator::LEN;
pub const ACCOUNTS_LEN: usize = 9;

/// The checked accounts of `initialize`.
pub struct InitializeAccounts<'a> {
    pub payer: &'a AccountView,
    pub authority: &'a AccountView,
    pub config: &'a mut AccountView,
    pub mint: &'a AccountView,
    pub registry_program: &'a AccountView,
    pub config_bump: u8,
    pub mint_bump: u8,
}

impl<'a> InitializeAccounts<'a> {
    pub fn load(
        program_id: &Address,
        accounts: &'a mut [AccountView],
    ) -> Result<Self, ProgramError> {
        let [payer, authority, config, mint, registry_program, program, program_data, system_program, token_program, ..] =
            accounts
        else {
            return Err(KitError::NotEnoughAccounts.into());
        };
        checks::payer(payer)?;
        checks::signer(authority)?;
        checks::writable(config)?;
        checks::writable(mint)?;
        checks::system_program(system_program)?;
        state::check_token_program(token_program)?;
        if !registry_program.executable() {
            return Err(EnergyTokenError::InvalidRegistryProgram.into());
        }
        let config_bump = checks::canonical_pda(config, &[CONFIG_SEED], program_id)?;
        checks::uninitialized(config)?;
        let mint_bump = checks::canonical_pda(mint, &[MINT_SEED], program_id)?;
        checks::uninitialized(mint)?;
        deployer::check_initializer(program, program_data, program_id, authority.address())?;
        Ok(Self {
            payer,
            authority,
            config,
            mint,
            registry_program,
            config_bump,
            mint_bump,
        })
    }
}

/// The canonical PDA of a single seed (an account this instruction does not receive).
fn find_pda(seed: &[u8], program_id: &Address) -> Result<(Address, u8), ProgramError> {
    Address::try_find_program_address(&[seed], program_id)
        .ok_or_else(|| KitError::InvalidPda.into())
}

pub fn process(program_id: &Address, accounts: &mut [AccountView], args: &[u8]) -> ProgramResult {
    instruction::no_args(args)?;
    let accounts = InitializeAccounts::load(program_id, accounts)?;
    let (mint_authority, mint_authority_bump) = find_pda(MINT_AUTHORITY_SEED, program_id)?;
    let (settlement_authority, settlement_bump) = find_pda(SETTLEMENT_SEED, program_id)?;
    let rent = Rent::get()?;

    let config_bump = [accounts.config_bump];
    let config_seeds = [Seed::from(CONFIG_SEED), Seed::from(&config_bump)];
    create::create_pda_account(
        accounts.payer,
        accounts.config,
        Config::LEN,
        program_id,
        &config_seeds,
        &rent,
    )?;

    let mint_bump = [accounts.mint_bump];
    let mint_seeds = [Seed::from(MINT_SEED), Seed::from(&mint_bump)];
    create::create_pda_account(
        accounts.payer,
        accounts.mint,
        state::mint::LEN,
        &TOKEN_PROGRAM_ID,
        &mint_seeds,
        &rent,
    )?;
    InitializeMint2::new(accounts.mint, DECIMALS, &mint_authority, None).invoke()?;

    let now = clock::unix_timestamp()?;
    {
        let mut config = account::borrow_init::<Config>(accounts.config)?;
        config.authority = *accounts.authority.address();
        config.registry_program = *accounts.registry_program.address();
        config.mint = *accounts.mint.address();
        config.mint_authority = mint_authority;
        config.settlement_authority = settlement_authority;
        config.bump = accounts.config_bump;
        config.mint_bump = accounts.mint_bump;
        config.mint_authority_bump = mint_authority_bump;
        config.settlement_bump = settlement_bump;
    }

    emit(TokenInitialized {
        config: *accounts.config.address(),
        authority: *accounts.authority.address(),
        registry_program: *accounts.registry_program.address(),
        mint: *accounts.mint.address(),
        mint_authority,
        settlement_authority,
        decimals: DECIMALS,
        timestamp: PodI64::new(now),
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_len_is_the_discriminator() {
        assert_eq!(DATA_LEN, 8);
        assert_eq!(
            DISCRIMINATOR.to_le_bytes(),
            [0xaf, 0xaf, 0x6d, 0x1f, 0x0d, 0x98, 0x9b, 0xed]
        );
    }
}

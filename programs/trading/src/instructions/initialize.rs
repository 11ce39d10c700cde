//! `initialize()`: creates the Config singleton.
//!
//! Accounts:
//! 0. `[signer, writable]` payer: funds the Config account.
//! 1. `[signer]` authority: becomes `Config.authority`; must be the program's upgrade authority
//!    (no front-running the deployer; see `solgrid_program_kit::deployer`).
//! 2. `[writable]` config: PDA `["config"]`, created here.
//! 3. `[]` registry_program: the registry whose users, zones and regulators this deployment trusts
//!    (an executable program).
//! 4. `[]` base_mint: GRID, a 9-decimal SPL Token mint (energy_token's `["mint"]`).
//! 5. `[]` event_authority: PDA `["__event_authority"]`.
//! 6. `[]` program: this program's own account.
//! 7. `[]` program_data: this program's ProgramData (read only when loader v3 owns the program).
//! 8. `[]` system_program.
//!
//! The event authority's address and bump are found here once and stored in Config.
//! Emits `TradingInitialized`.

use pinocchio::{cpi::Seed, AccountView, Address, ProgramResult};
use solgrid_program_kit::{
    account::{self, AccountLayout},
    checks, clock, create, deployer, discriminator, instruction,
    pod::PodI64,
    rent::Rent,
    KitError,
};

use crate::{
    errors::TradingError,
    events::{self, EventAccounts, TradingInitialized},
    state::{self, Config, BASE_DECIMALS, CONFIG_SEED, EVENT_AUTHORITY_SEED},
};

pub const DISCRIMINATOR: u64 = discriminator::as_u64(discriminator::instruction("initialize"));
pub const DATA_LEN: usize = discriminator::LEN;
pub const ACCOUNTS_LEN: usize = 9;

pub fn process(program_id: &Address, accounts: &mut [AccountView], args: &[u8]) -> ProgramResult {
    instruction::no_args(args)?;
    let [payer, authority, config, registry_program, base_mint, event_authority, program, program_data, system_program, ..] =
        accounts
    else {
        return Err(KitError::NotEnoughAccounts.into());
    };
    checks::payer(payer)?;
    checks::signer(authority)?;
    checks::writable(config)?;
    checks::system_program(system_program)?;
    if !registry_program.executable() {
        return Err(TradingError::InvalidRegistryProgram.into());
    }
    // SAFETY: nothing borrows the mint's data.
    if unsafe { state::mint_decimals(base_mint) } != Some(BASE_DECIMALS) {
        return Err(TradingError::InvalidBaseMint.into());
    }
    let config_bump = checks::canonical_pda(config, &[CONFIG_SEED], program_id)?;
    checks::uninitialized(config)?;
    let event_authority_bump =
        checks::canonical_pda(event_authority, &[EVENT_AUTHORITY_SEED], program_id)?;
    deployer::check_initializer(program, program_data, program_id, authority.address())?;

    let bump = [config_bump];
    let seeds = [Seed::from(CONFIG_SEED), Seed::from(&bump)];
    create::create_pda_account(
        payer,
        config,
        Config::LEN,
        program_id,
        &seeds,
        &Rent::get()?,
    )?;
    {
        let mut state = account::borrow_init::<Config>(config)?;
        state.authority = *authority.address();
        state.registry_program = *registry_program.address();
        state.base_mint = *base_mint.address();
        state.event_authority = *event_authority.address();
        state.bump = config_bump;
        state.event_authority_bump = event_authority_bump;
    }

    let event_accounts = EventAccounts::load(program_id, config, event_authority, program)?;
    events::emit(
        program_id,
        &event_accounts,
        &TradingInitialized {
            config: *config.address(),
            authority: *authority.address(),
            registry_program: *registry_program.address(),
            base_mint: *base_mint.address(),
            event_authority: *event_authority.address(),
            timestamp: PodI64::new(clock::unix_timestamp()?),
        },
    )
}

//! `create_market(zone_id: u32, params: MarketParams, epoch_secs: u32)`: a regulator quorum opens the
//! GRID market of a grid zone against one quote mint (privileged, as the registry's privileged
//! actions): continuous (`epoch_secs` 0) or a periodic call auction per epoch of `epoch_secs`
//! seconds (1 ..= 86,400; 900 for quarter hours).
//!
//! Accounts:
//! 0. `[signer, writable]` payer: funds the market and its two vaults (about 0.008 SOL of rent),
//!    and the two epoch accounts of a periodic market (about 0.003 SOL more).
//! 1. `[]` config: this program's Config.
//! 2. `[]` registry_config: the registry's Config (its regulators, threshold and governance program).
//! 3. `[]` zone: the registry Zone of `zone_id`.
//! 4. `[writable]` market: PDA `["market", zone_id LE, quote_mint]`, created here with no seat and
//!    no order slot (it grows with use).
//! 5. `[]` base_mint: `Config.base_mint` (GRID).
//! 6. `[]` quote_mint: an SPL Token mint other than GRID.
//! 7. `[writable]` base_vault: PDA `["vault", market, base_mint]`, created here.
//! 8. `[writable]` quote_vault: PDA `["vault", market, quote_mint]`, created here.
//! 9. `[]` system_program.
//! 10. `[]` token_program: SPL Token.
//! 11. `[]` event_authority.
//! 12. `[]` program: this program.
//! 13. `[writable]` epoch_0: PDA `["epoch", market, [0]]`, the epoch account of even epochs.
//! 14. `[writable]` epoch_1: PDA `["epoch", market, [1]]`, the epoch account of odd epochs.
//!     Both are created here (header only: they grow with use) when the market is periodic, and
//!     left untouched (but checked to be those PDAs) when it is continuous.
//! 15. and after: `[signer]` cosigners: at least the registry's `regulator_threshold` distinct
//!     regulators; once the registry has a governance program, its authority PDA instead.
//!
//! The vaults are SPL Token accounts whose owner is the market PDA: only this program, by the rules
//! of its instructions, moves what they hold. Emits `MarketCreated`.

use pinocchio::{address::address_eq, cpi::Seed, AccountView, Address, ProgramResult};
use pinocchio_token::instructions::InitializeAccount3;
use solgrid_order_book::{
    auction::{self, Epoch},
    Market, MarketHeader, Params,
};
use solgrid_program_kit::{
    checks, clock, create, discriminator, impl_pod, instruction,
    pod::{PodI64, PodU16, PodU32, PodU64},
    rent::Rent,
    KitError,
};

use crate::{
    errors::{book_error, TradingError},
    events::{self, EventAccounts, MarketCreated},
    state::{
        self, RegistryZone, EPOCH_DATA_AT, EPOCH_DISCRIMINATOR, EPOCH_MIN_LEN, EPOCH_SEED,
        MARKET_DISCRIMINATOR, MARKET_MIN_LEN, MARKET_SEED, TOKEN_ACCOUNT_LEN, TOKEN_PROGRAM_ID,
        VAULT_SEED,
    },
};

pub const DISCRIMINATOR: u64 = discriminator::as_u64(discriminator::instruction("create_market"));
pub const ACCOUNTS_LEN: usize = 15;

/// The market's parameters (IDL type `MarketParams`).
#[repr(C)]
pub struct MarketParams {
    /// Quote atoms per kWh of one price tick.
    pub tick_size: PodU64,
    /// Wh per lot.
    pub lot_size_wh: PodU64,
    pub min_order_lots: PodU64,
    pub taker_fee_bps: PodU16,
    pub maker_fee_bps: PodU16,
    pub max_orders_per_epoch: PodU32,
    pub fee_recipient: Address,
}

impl_pod!(MarketParams {
    tick_size: PodU64,
    lot_size_wh: PodU64,
    min_order_lots: PodU64,
    taker_fee_bps: PodU16,
    maker_fee_bps: PodU16,
    max_orders_per_epoch: PodU32,
    fee_recipient: Address,
});

impl MarketParams {
    pub fn book_params(&self) -> Params {
        Params {
            tick_size: self.tick_size.get(),
            lot_size_wh: self.lot_size_wh.get(),
            min_order_lots: self.min_order_lots.get(),
            taker_fee_bps: self.taker_fee_bps.get(),
            maker_fee_bps: self.maker_fee_bps.get(),
            max_orders_per_epoch: self.max_orders_per_epoch.get(),
        }
    }
}

#[repr(C)]
pub struct CreateMarketArgs {
    pub zone_id: PodU32,
    pub params: MarketParams,
    /// 0: continuous; else the periodic auction's epoch length, seconds.
    pub epoch_secs: PodU32,
}

impl_pod!(CreateMarketArgs {
    zone_id: PodU32,
    params: MarketParams,
    epoch_secs: PodU32,
});

pub fn process(program_id: &Address, accounts: &mut [AccountView], args: &[u8]) -> ProgramResult {
    let args: &CreateMarketArgs = instruction::args(args)?;
    let params = args.params.book_params();
    params.validate().map_err(book_error)?;
    let epoch_secs = args.epoch_secs.get();
    auction::validate_epoch_secs(epoch_secs).map_err(book_error)?;
    if accounts.len() < ACCOUNTS_LEN {
        return Err(KitError::NotEnoughAccounts.into());
    }
    let (accounts, cosigners) = accounts.split_at_mut(ACCOUNTS_LEN);
    let [payer, config, registry_config, zone, market, base_mint, quote_mint, base_vault, quote_vault, system_program, token_program, event_authority, program, epoch_0, epoch_1] =
        accounts
    else {
        return Err(KitError::NotEnoughAccounts.into());
    };
    checks::payer(payer)?;
    checks::system_program(system_program)?;
    state::check_token_program(token_program)?;
    let event_accounts = EventAccounts::load(program_id, config, event_authority, program)?;
    // SAFETY: Config and the registry's accounts are only read by this program.
    let loaded =
        unsafe { state::regulator_quorum(program_id, config, registry_config, cosigners)? };
    let registry_program = loaded.registry_program;
    let zone_id = args.zone_id.get();
    let zone_view = unsafe {
        state::registry_view::<RegistryZone>(zone, &registry_program, TradingError::InvalidZone)?
    };
    if zone_view.zone_id.get() != zone_id {
        return Err(TradingError::InvalidZone.into());
    }
    if !address_eq(base_mint.address(), &loaded.base_mint) {
        return Err(TradingError::InvalidBaseMint.into());
    }
    // SAFETY: nothing borrows the mint's data.
    let quote_decimals =
        unsafe { state::mint_decimals(quote_mint) }.ok_or(TradingError::InvalidQuoteMint)?;
    if address_eq(quote_mint.address(), base_mint.address()) {
        return Err(TradingError::InvalidQuoteMint.into());
    }
    checks::writable(market)?;
    let zone_seed = zone_id.to_le_bytes();
    let market_bump = checks::canonical_pda(
        market,
        &[MARKET_SEED, &zone_seed, quote_mint.address().as_ref()],
        program_id,
    )?;
    checks::uninitialized(market)?;
    let mut vault_bumps = [0u8; 2];
    for (i, (vault, mint)) in [(&*base_vault, &*base_mint), (&*quote_vault, &*quote_mint)]
        .into_iter()
        .enumerate()
    {
        checks::writable(vault)?;
        vault_bumps[i] = checks::canonical_pda(
            vault,
            &[
                VAULT_SEED,
                market.address().as_ref(),
                mint.address().as_ref(),
            ],
            program_id,
        )
        .map_err(|_| TradingError::InvalidVault)?;
        checks::uninitialized(vault)?;
    }
    let mut epoch_bumps = [0u8; 2];
    for (slot, account) in [&*epoch_0, &*epoch_1].into_iter().enumerate() {
        checks::writable(account)?;
        epoch_bumps[slot] = checks::canonical_pda(
            account,
            &[EPOCH_SEED, market.address().as_ref(), &[slot as u8]],
            program_id,
        )
        .map_err(|_| TradingError::WrongEpochAccount)?;
        if epoch_secs > 0 {
            checks::uninitialized(account)?;
        }
    }

    let rent = Rent::get()?;
    let bump = [market_bump];
    let seeds = [
        Seed::from(MARKET_SEED),
        Seed::from(&zone_seed),
        Seed::from(quote_mint.address().as_ref()),
        Seed::from(&bump),
    ];
    create::create_pda_account(payer, market, MARKET_MIN_LEN, program_id, &seeds, &rent)?;
    for (i, (vault, mint)) in [(&*base_vault, &*base_mint), (&*quote_vault, &*quote_mint)]
        .into_iter()
        .enumerate()
    {
        let bump = [vault_bumps[i]];
        let seeds = [
            Seed::from(VAULT_SEED),
            Seed::from(market.address().as_ref()),
            Seed::from(mint.address().as_ref()),
            Seed::from(&bump),
        ];
        create::create_pda_account(
            payer,
            vault,
            TOKEN_ACCOUNT_LEN,
            &TOKEN_PROGRAM_ID,
            &seeds,
            &rent,
        )?;
        InitializeAccount3 {
            account: vault,
            mint,
            owner: market.address(),
        }
        .invoke()?;
    }

    if epoch_secs > 0 {
        for (slot, account) in [&mut *epoch_0, &mut *epoch_1].into_iter().enumerate() {
            let slot_seed = [slot as u8];
            let bump = [epoch_bumps[slot]];
            let seeds = [
                Seed::from(EPOCH_SEED),
                Seed::from(market.address().as_ref()),
                Seed::from(&slot_seed),
                Seed::from(&bump),
            ];
            create::create_pda_account(payer, account, EPOCH_MIN_LEN, program_id, &seeds, &rent)?;
            // SAFETY: the account was just created with EPOCH_MIN_LEN bytes; no other borrow exists.
            let data = unsafe { account.borrow_unchecked_mut() };
            data[..EPOCH_DATA_AT].copy_from_slice(&EPOCH_DISCRIMINATOR);
            Epoch::init(
                &mut data[EPOCH_DATA_AT..],
                market.address().as_array(),
                slot as u8,
                epoch_bumps[slot],
            )
            .map_err(book_error)?;
        }
    }

    let now = clock::unix_timestamp()?;
    {
        // SAFETY: the account was just created with MARKET_MIN_LEN bytes; no other borrow exists.
        let data = unsafe { market.borrow_unchecked_mut() };
        data[..discriminator::LEN].copy_from_slice(&MARKET_DISCRIMINATOR);
        let header = Market::header_mut(&mut data[discriminator::LEN..]).map_err(book_error)?;
        *header = MarketHeader {
            base_mint: base_mint.address().to_bytes(),
            quote_mint: quote_mint.address().to_bytes(),
            base_vault: base_vault.address().to_bytes(),
            quote_vault: quote_vault.address().to_bytes(),
            zone: zone.address().to_bytes(),
            registry_program: registry_program.to_bytes(),
            fee_recipient: args.params.fee_recipient.to_bytes(),
            created_at: now,
            zone_id,
            bump: market_bump,
            base_vault_bump: vault_bumps[0],
            quote_vault_bump: vault_bumps[1],
            quote_decimals,
            epoch_secs,
            epoch_bumps,
            ..MarketHeader::default()
        };
        header.set_params(&params).map_err(book_error)?;
    }

    events::emit(
        program_id,
        &event_accounts,
        &MarketCreated {
            market: *market.address(),
            zone_id: args.zone_id,
            base_mint: *base_mint.address(),
            quote_mint: *quote_mint.address(),
            base_vault: *base_vault.address(),
            quote_vault: *quote_vault.address(),
            fee_recipient: args.params.fee_recipient,
            tick_size: args.params.tick_size,
            lot_size_wh: args.params.lot_size_wh,
            min_order_lots: args.params.min_order_lots,
            taker_fee_bps: args.params.taker_fee_bps,
            maker_fee_bps: args.params.maker_fee_bps,
            max_orders_per_epoch: args.params.max_orders_per_epoch,
            epoch_secs: args.epoch_secs,
            timestamp: PodI64::new(now),
        },
    )
}

//! `update_market(args: UpdateMarketArgs)`: a regulator quorum changes a market's tick and lot size,
//! minimum order, fees, epoch order limit, fee recipient or status (privileged). Tick and lot size
//! change only while no order rests and no auction order waits (`OrdersResting`): orders and their
//! locks are denominated in them. A new maker fee applies to orders placed afterwards (a resting bid's lock
//! reserves the maker fee in force when it was placed).
//!
//! Accounts:
//! 0. `[]` config.
//! 1. `[]` registry_config: the registry's Config.
//! 2. `[writable]` market.
//! 3. `[]` event_authority.
//! 4. `[]` program.
//! 5. and after: `[signer]` cosigners: at least the registry's `regulator_threshold` distinct
//!    regulators; once the registry has a governance program, its authority PDA instead.
//!
//! Emits `MarketUpdated`.

use pinocchio::{AccountView, Address, ProgramResult};
use solgrid_order_book::Params;
use solgrid_program_kit::{
    clock, discriminator, impl_pod, instruction,
    pod::{PodI64, PodU16, PodU32, PodU64},
    KitError,
};

use crate::{
    errors::{book_error, TradingError},
    events::{self, EventAccounts, MarketUpdated},
    state::{self, MarketStatus},
};

pub const DISCRIMINATOR: u64 = discriminator::as_u64(discriminator::instruction("update_market"));
pub const ACCOUNTS_LEN: usize = 5;

#[repr(C)]
pub struct UpdateMarketArgs {
    pub tick_size: PodU64,
    pub lot_size_wh: PodU64,
    pub min_order_lots: PodU64,
    pub taker_fee_bps: PodU16,
    pub maker_fee_bps: PodU16,
    pub max_orders_per_epoch: PodU32,
    pub fee_recipient: Address,
    /// A `MarketStatus`.
    pub status: u8,
}

impl_pod!(UpdateMarketArgs {
    tick_size: PodU64,
    lot_size_wh: PodU64,
    min_order_lots: PodU64,
    taker_fee_bps: PodU16,
    maker_fee_bps: PodU16,
    max_orders_per_epoch: PodU32,
    fee_recipient: Address,
    status: u8,
});

pub fn process(program_id: &Address, accounts: &mut [AccountView], args: &[u8]) -> ProgramResult {
    let args: &UpdateMarketArgs = instruction::args(args)?;
    let status = MarketStatus::from_u8(args.status)?;
    if accounts.len() < ACCOUNTS_LEN {
        return Err(KitError::NotEnoughAccounts.into());
    }
    let (accounts, cosigners) = accounts.split_at_mut(ACCOUNTS_LEN);
    let [config, registry_config, market, event_authority, program] = accounts else {
        return Err(KitError::NotEnoughAccounts.into());
    };
    let event_accounts = EventAccounts::load(program_id, config, event_authority, program)?;
    // SAFETY: Config and the registry's accounts are only read by this program.
    unsafe { state::regulator_quorum(program_id, config, registry_config, cosigners)? };
    {
        // SAFETY: no other reference into the market's data exists; dropped before the CPI.
        let book = unsafe { state::load_market(program_id, market)? };
        let header = book.header;
        let params = Params {
            tick_size: args.tick_size.get(),
            lot_size_wh: args.lot_size_wh.get(),
            min_order_lots: args.min_order_lots.get(),
            taker_fee_bps: args.taker_fee_bps.get(),
            maker_fee_bps: args.maker_fee_bps.get(),
            max_orders_per_epoch: args.max_orders_per_epoch.get(),
        };
        params.validate().map_err(book_error)?;
        let resized =
            params.tick_size != header.tick_size || params.lot_size_wh != header.lot_size_wh;
        if resized && (header.bid_count + header.ask_count != 0 || header.auction_orders != 0) {
            return Err(TradingError::OrdersResting.into());
        }
        header.set_params(&params).map_err(book_error)?;
        header.fee_recipient = args.fee_recipient.to_bytes();
        header.status = status as u8;
    }
    events::emit(
        program_id,
        &event_accounts,
        &MarketUpdated {
            market: *market.address(),
            fee_recipient: args.fee_recipient,
            tick_size: args.tick_size,
            lot_size_wh: args.lot_size_wh,
            min_order_lots: args.min_order_lots,
            taker_fee_bps: args.taker_fee_bps,
            maker_fee_bps: args.maker_fee_bps,
            max_orders_per_epoch: args.max_orders_per_epoch,
            status: status as u8,
            timestamp: PodI64::new(clock::unix_timestamp()?),
        },
    )
}

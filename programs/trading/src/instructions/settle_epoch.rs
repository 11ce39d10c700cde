//! `settle_epoch(epoch: u64, cursor: u32, max_orders: u8)`: anyone settles the next chunk of a
//! cleared epoch's orders, `cursor .. min(cursor + max_orders, order_count)` in index order (time
//! priority; cancelled orders count towards the chunk and are skipped). Matched orders trade at the
//! clearing price between the seats (a buyer is refunded its limit minus the price; fees at each
//! order's maker fee rate go to the market); what an order did not trade rolls into the next epoch
//! (its rollover flag, and an expiry not before the next epoch's end) or is refunded. `cursor` must
//! be where the epoch's settlement stands (`ChunkOutOfOrder`), so a retried or racing crank fails
//! instead of settling twice; the chunk that reaches the last order marks the epoch Settled.
//!
//! Accounts:
//! 0. `[signer, writable]` payer: pays to grow the next epoch's account when the chunk's rolled
//!    orders need room (exactly that room).
//! 1. `[]` config.
//! 2. `[writable]` market: periodic (settlement goes on while the market is paused or its zone
//!    halted: the price is fixed, and the orders' funds are released only by it).
//! 3. `[writable]` epoch_account: the market's epoch account of slot `epoch % 2`, holding `epoch`
//!    (price fixed).
//! 4. `[writable]` next_epoch_account: the market's other epoch account; rolled orders join
//!    `epoch + 1` there (it must hold `epoch + 1` collecting, or nothing to settle: then it is
//!    reset to `epoch + 1`; else `EpochOutOfOrder`).
//! 5. `[]` system_program.
//! 6. `[]` event_authority.
//! 7. `[]` program.
//!
//! Emits one `EpochSettled` listing a `Settlement` per live order of the chunk.

use pinocchio::{AccountView, Address, ProgramResult};
use solgrid_order_book::auction::{self, EpochState, MAX_SETTLE_CHUNK};
use solgrid_program_kit::{
    checks, clock, discriminator, impl_pod, instruction,
    pod::{PodI64, PodU32, PodU64},
    KitError,
};

use crate::{
    errors::{book_error, TradingError},
    events::{EpochSettled, EventAccounts, EventBuffer, SettlementWriter},
    growth, state,
};

pub const DISCRIMINATOR: u64 = discriminator::as_u64(discriminator::instruction("settle_epoch"));
pub const ACCOUNTS_LEN: usize = 8;

#[repr(C)]
pub struct SettleEpochArgs {
    pub epoch: PodU64,
    /// The epoch's settlement cursor: the chunk's first order index.
    pub cursor: PodU32,
    /// Orders in the chunk, 1 ..= 64.
    pub max_orders: u8,
}

impl_pod!(SettleEpochArgs {
    epoch: PodU64,
    cursor: PodU32,
    max_orders: u8,
});

pub fn process(program_id: &Address, accounts: &mut [AccountView], args: &[u8]) -> ProgramResult {
    let args: &SettleEpochArgs = instruction::args(args)?;
    let max_orders = args.max_orders as u32;
    if max_orders == 0 || max_orders > MAX_SETTLE_CHUNK {
        return Err(TradingError::InvalidChunk.into());
    }
    let [payer, config, market, epoch_account, next_epoch_account, system_program, event_authority, program, ..] =
        accounts
    else {
        return Err(KitError::NotEnoughAccounts.into());
    };
    checks::payer(payer)?;
    checks::system_program(system_program)?;
    let event_accounts = EventAccounts::load(program_id, config, event_authority, program)?;
    let now = clock::unix_timestamp()?;
    let epoch = args.epoch.get();
    let cursor = args.cursor.get();
    let slot = auction::slot_of(epoch);
    let market_key = *market.address();

    // The chunk's room in the next epoch, computed before anything moves.
    // SAFETY: one view of each account, all dropped before the growth's CPI.
    let room = {
        let book = unsafe { state::load_market(program_id, market)? };
        state::periodic(&book)?;
        let view = unsafe { state::load_epoch(program_id, epoch_account, &market_key, slot)? };
        state::holds_epoch(&view, epoch)?;
        match view.header.state() {
            EpochState::PriceFixed => {}
            EpochState::Settled => return Err(TradingError::EpochAlreadySettled.into()),
            _ => return Err(TradingError::EpochNotPriceFixed.into()),
        }
        if cursor != view.header.cursor {
            return Err(TradingError::ChunkOutOfOrder.into());
        }
        let next =
            unsafe { state::load_epoch(program_id, next_epoch_account, &market_key, 1 - slot)? };
        book.rollover_bytes_needed(&view, &next, cursor, max_orders)
    };
    let (lamports_paid, mut next) = if room > 0 {
        growth::grow_epoch(payer, next_epoch_account, system_program, room)?
    } else {
        // SAFETY: the earlier view was dropped.
        (0, unsafe {
            state::load_epoch(program_id, next_epoch_account, &market_key, 1 - slot)?
        })
    };
    // SAFETY: the earlier views were dropped; these are not used after the chunk (the event's CPI
    // passes only the event authority and Config).
    let mut view = unsafe { state::load_epoch(program_id, epoch_account, &market_key, slot)? };
    let mut book = unsafe { state::load_market(program_id, market)? };
    let mut buffer = EventBuffer::with_vec::<EpochSettled>()?;
    let mut writer = SettlementWriter {
        buffer: &mut buffer,
        count: 0,
    };
    let outcome = book
        .settle_chunk(&mut view, &mut next, cursor, max_orders, now, &mut writer)
        .map_err(book_error)?;
    let count = writer.count;
    buffer.finish_vec::<EpochSettled>(count);
    buffer.finish_head(&EpochSettled {
        market: market_key,
        payer: *payer.address(),
        epoch: args.epoch,
        from_index: PodU32::new(outcome.from),
        to_index: PodU32::new(outcome.to),
        done: outcome.done as u8,
        lamports_paid: PodU64::new(lamports_paid),
        timestamp: PodI64::new(now),
    });
    buffer.emit(program_id, &event_accounts)
}

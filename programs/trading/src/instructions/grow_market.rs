//! `grow_market(extra_seats: u16, extra_orders: u16)`: anyone pays to add seat and order slots to a
//! market ahead of use (at most 10,240 bytes per instruction), so that traders' instructions find
//! free slots. Afterwards the market may have at most 32 free seat slots and 256 free order slots
//! (`TooMuchFreeCapacity`, see [`crate::growth`]): nobody can bloat it to the account size limit.
//! Without it the market grows on demand: a new seat on `claim_seat`, eight order slots when an
//! order that rests finds none free (paid by that trader).
//!
//! Accounts:
//! 0. `[signer, writable]` payer.
//! 1. `[]` config.
//! 2. `[writable]` market.
//! 3. `[]` system_program.
//! 4. `[]` event_authority.
//! 5. `[]` program.
//!
//! Emits `MarketGrown`.

use pinocchio::{AccountView, Address, ProgramResult};
use solgrid_program_kit::{
    clock, discriminator, impl_pod, instruction,
    pod::{PodI64, PodU16, PodU32, PodU64},
    KitError,
};

use crate::{
    events::{self, EventAccounts, MarketGrown},
    growth, state,
};

pub const DISCRIMINATOR: u64 = discriminator::as_u64(discriminator::instruction("grow_market"));
pub const ACCOUNTS_LEN: usize = 6;

#[repr(C)]
pub struct GrowMarketArgs {
    pub extra_seats: PodU16,
    pub extra_orders: PodU16,
}

impl_pod!(GrowMarketArgs {
    extra_seats: PodU16,
    extra_orders: PodU16
});

pub fn process(program_id: &Address, accounts: &mut [AccountView], args: &[u8]) -> ProgramResult {
    let args: &GrowMarketArgs = instruction::args(args)?;
    let [payer, config, market, system_program, event_authority, program, ..] = accounts else {
        return Err(KitError::NotEnoughAccounts.into());
    };
    let event_accounts = EventAccounts::load(program_id, config, event_authority, program)?;
    // Owner, writability and discriminator before anything moves.
    // SAFETY: the slice is dropped at once.
    unsafe { state::market_data(program_id, market)? };
    let (paid, book) = growth::grow(
        program_id,
        payer,
        market,
        system_program,
        args.extra_seats.get() as u32,
        args.extra_orders.get() as u32,
    )?;
    growth::check_free_capacity(&book)?;
    let (seat_capacity, order_capacity) = (book.header.seat_capacity, book.header.order_capacity);
    events::emit(
        program_id,
        &event_accounts,
        &MarketGrown {
            market: *market.address(),
            payer: *payer.address(),
            extra_seats: args.extra_seats,
            extra_orders: args.extra_orders,
            seat_capacity: PodU32::new(seat_capacity),
            order_capacity: PodU32::new(order_capacity),
            lamports_paid: PodU64::new(paid),
            timestamp: PodI64::new(clock::unix_timestamp()?),
        },
    )
}

//! Growing a market account: the payer tops its lamports up to the rent-exempt minimum of the new
//! size, the account is resized and the book moves its regions (`solgrid_order_book::layout::grow`).
//!
//! Growth is bounded so that nobody can bloat a market towards the 10 MiB account limit (locking
//! out new seats or orders for good): a market keeps at most [`MAX_FREE_SEAT_SLOTS`] free seat slots
//! and [`MAX_FREE_ORDER_SLOTS`] free order slots. Traders' own growth (one seat, or
//! [`ORDER_SLOTS_PER_GROWTH`] order slots, only when none is free) always stays within them;
//! `grow_market` ([`check_free_capacity`]) may pre-allocate up to them, and again once traders used
//! the slots.
//!
//! A periodic market's epoch accounts grow the same way: a trader pays for room for
//! [`EPOCH_ORDERS_PER_GROWTH`] orders and levels when the order it places finds none, and
//! `settle_epoch`'s payer pays for exactly the room the chunk's rolled orders need in the next
//! epoch's account. No growth may leave more than [`MAX_FREE_EPOCH_BYTES`] free (one settlement
//! chunk's rolled orders); an account is reused by every later epoch of its parity and never shrinks.

use pinocchio::{
    account::MAX_PERMITTED_DATA_INCREASE, error::ProgramError, AccountView, Address, UnsafeResize,
};
use pinocchio_system::instructions::Transfer;
use solgrid_order_book::{
    auction::{epoch, Epoch, LEVEL_LEN, MAX_SETTLE_CHUNK},
    layout::{self, ORDER_LEN, SEAT_LEN},
    Market,
};
use solgrid_program_kit::{checks, rent::Rent};

use crate::{
    errors::{book_error, TradingError},
    state,
};

/// Order slots added when a resting order finds none free.
pub const ORDER_SLOTS_PER_GROWTH: u32 = 8;
/// Most free seat slots a growth may leave (3 KiB of seats waiting for traders).
pub const MAX_FREE_SEAT_SLOTS: u32 = 32;
/// Most free order slots a growth may leave (14 KiB: more than one busy epoch's new orders).
pub const MAX_FREE_ORDER_SLOTS: u32 = 256;

/// Orders (each with a new price level) an epoch account gains when a placed order finds no room.
pub const EPOCH_ORDERS_PER_GROWTH: usize = 8;
/// Bytes of one order with its own price level: the most one auction order or rolled order needs.
pub const EPOCH_BYTES_PER_ORDER: usize = ORDER_LEN + LEVEL_LEN;
/// Most free bytes a growth may leave in an epoch account: a settlement chunk's rolled orders.
pub const MAX_FREE_EPOCH_BYTES: usize = MAX_SETTLE_CHUNK as usize * EPOCH_BYTES_PER_ORDER;
const _: () = assert!(
    EPOCH_ORDERS_PER_GROWTH * EPOCH_BYTES_PER_ORDER + EPOCH_BYTES_PER_ORDER <= MAX_FREE_EPOCH_BYTES
);
const _: () = assert!(MAX_FREE_EPOCH_BYTES <= MAX_PERMITTED_DATA_INCREASE);

/// After a `grow_market`, `market` keeps at most [`MAX_FREE_SEAT_SLOTS`] free seat slots and
/// [`MAX_FREE_ORDER_SLOTS`] free order slots (else `TooMuchFreeCapacity`, and the instruction's
/// growth and payment are undone with it).
pub fn check_free_capacity(market: &Market) -> Result<(), ProgramError> {
    if market.free_seat_slots() > MAX_FREE_SEAT_SLOTS
        || market.free_order_slots() > MAX_FREE_ORDER_SLOTS
    {
        return Err(TradingError::TooMuchFreeCapacity.into());
    }
    Ok(())
}

/// Grows `market` by `extra_seats` seats and `extra_orders` order slots, at `payer`'s expense;
/// returns the lamports `payer` paid (the rent-exempt minimum of the new size less what the market
/// held) and the grown market's view.
///
/// Called at most once per instruction, with no view of the market's data alive, on a market this
/// instruction already checked (`state::market_data` or `state::load_market`: owner, writability,
/// discriminator).
pub fn grow<'a>(
    program_id: &Address,
    payer: &AccountView,
    market: &'a mut AccountView,
    system_program: &AccountView,
    extra_seats: u32,
    extra_orders: u32,
) -> Result<(u64, Market<'a>), ProgramError> {
    checks::payer(payer)?;
    checks::system_program(system_program)?;
    let added = extra_seats as usize * SEAT_LEN + extra_orders as usize * ORDER_LEN;
    if added == 0 || added > MAX_PERMITTED_DATA_INCREASE {
        return Err(TradingError::InvalidGrowth.into());
    }
    let new_len = market.data_len() + added;
    let needed = Rent::get()?.minimum_balance(new_len)?;
    let paid = needed.saturating_sub(market.lamports());
    if paid > 0 {
        Transfer {
            from: payer,
            to: market,
            lamports: paid,
        }
        .invoke()?;
    }
    // SAFETY: no borrow of the market's data is alive, the increase is within the per-instruction
    // limit (checked above) and this is the only resize of the instruction.
    unsafe { market.resize(new_len) };
    // SAFETY: no other reference into the data exists.
    let data = unsafe { state::market_data(program_id, market)? };
    layout::grow(data, extra_seats, extra_orders).map_err(book_error)?;
    Ok((paid, Market::load(data).map_err(book_error)?))
}

/// Grows the epoch account `account` (already bound to its market and slot by
/// `state::load_epoch`, and no view of its data alive) by `extra` bytes (a multiple of 8, 1 ..=
/// 10,240) at `payer`'s expense; returns the lamports paid and the grown account's view, which keeps
/// at most [`MAX_FREE_EPOCH_BYTES`] free (else `TooMuchFreeCapacity`).
pub fn grow_epoch<'a>(
    payer: &AccountView,
    account: &'a mut AccountView,
    system_program: &AccountView,
    extra: usize,
) -> Result<(u64, Epoch<'a>), ProgramError> {
    checks::payer(payer)?;
    checks::system_program(system_program)?;
    if extra == 0 || extra > MAX_PERMITTED_DATA_INCREASE || !extra.is_multiple_of(8) {
        return Err(TradingError::InvalidGrowth.into());
    }
    let new_len = account.data_len() + extra;
    let needed = Rent::get()?.minimum_balance(new_len)?;
    let paid = needed.saturating_sub(account.lamports());
    if paid > 0 {
        Transfer {
            from: payer,
            to: account,
            lamports: paid,
        }
        .invoke()?;
    }
    // SAFETY: no borrow of the account's data is alive, the increase is within the
    // per-instruction limit (checked above) and this is the only resize of the account in the
    // instruction.
    unsafe { account.resize(new_len) };
    // SAFETY: no other reference into the data exists; the caller bound the account (owner,
    // discriminator, market, slot) before.
    let data = unsafe { &mut account.borrow_unchecked_mut()[state::EPOCH_DATA_AT..] };
    epoch::Epoch::grow(data, extra).map_err(book_error)?;
    let grown = Epoch::load(data).map_err(book_error)?;
    if grown.free_bytes() > MAX_FREE_EPOCH_BYTES {
        return Err(TradingError::TooMuchFreeCapacity.into());
    }
    Ok((paid, grown))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::format;

    #[test]
    fn traders_growth_fits_the_bounds_the_error_names() {
        const { assert!(ORDER_SLOTS_PER_GROWTH <= MAX_FREE_ORDER_SLOTS && MAX_FREE_SEAT_SLOTS >= 1) };
        let message = TradingError::TooMuchFreeCapacity.message();
        assert!(message.contains(&format!("{MAX_FREE_SEAT_SLOTS} free seat slots")));
        assert!(message.contains(&format!("{MAX_FREE_ORDER_SLOTS} free order slots")));
        assert!(message.contains(&format!("{MAX_FREE_EPOCH_BYTES} free bytes")));
        // Both bounds' worth of slots is exactly what one instruction may add.
        assert_eq!(
            MAX_FREE_SEAT_SLOTS as usize * SEAT_LEN + 128 * ORDER_LEN,
            MAX_PERMITTED_DATA_INCREASE
        );
    }
}

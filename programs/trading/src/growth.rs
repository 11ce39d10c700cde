//! Growing a market account: the payer tops its lamports up to the rent-exempt minimum of the new
//! size, the account is resized and the book moves its regions (`solgrid_order_book::layout::grow`).
//!
//! Growth is bounded so that nobody can bloat a market towards the 10 MiB account limit (locking
//! out new seats or orders for good): a market keeps at most [`MAX_FREE_SEAT_SLOTS`] free seat slots
//! and [`MAX_FREE_ORDER_SLOTS`] free order slots. Traders' own growth (one seat, or
//! [`ORDER_SLOTS_PER_GROWTH`] order slots, only when none is free) always stays within them;
//! `grow_market` ([`check_free_capacity`]) may pre-allocate up to them, and again once traders used
//! the slots.

use pinocchio::{
    account::MAX_PERMITTED_DATA_INCREASE, error::ProgramError, AccountView, Address, UnsafeResize,
};
use pinocchio_system::instructions::Transfer;
use solgrid_order_book::{
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
        // Both bounds' worth of slots is exactly what one instruction may add.
        assert_eq!(
            MAX_FREE_SEAT_SLOTS as usize * SEAT_LEN + 128 * ORDER_LEN,
            MAX_PERMITTED_DATA_INCREASE
        );
    }
}

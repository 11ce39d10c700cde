//! Growing a market account: the payer tops its lamports up to the rent-exempt minimum of the new
//! size, the account is resized and the book moves its regions (`solgrid_order_book::layout::grow`).

use pinocchio::{
    account::MAX_PERMITTED_DATA_INCREASE, error::ProgramError, AccountView, Address, UnsafeResize,
};
use pinocchio_system::instructions::Transfer;
use solgrid_order_book::layout::{self, ORDER_LEN, SEAT_LEN};
use solgrid_program_kit::{checks, rent::Rent};

use crate::{
    errors::{book_error, TradingError},
    state,
};

/// Order slots added when a resting order finds none free.
pub const ORDER_SLOTS_PER_GROWTH: u32 = 8;

/// Grows `market` by `extra_seats` seats and `extra_orders` order slots, at `payer`'s expense;
/// returns the lamports `payer` paid (the rent-exempt minimum of the new size less what the market
/// held).
///
/// Called at most once per instruction, with no view of the market's data alive.
pub fn grow(
    program_id: &Address,
    payer: &AccountView,
    market: &mut AccountView,
    system_program: &AccountView,
    extra_seats: u32,
    extra_orders: u32,
) -> Result<u64, ProgramError> {
    checks::payer(payer)?;
    checks::system_program(system_program)?;
    // Checks owner, writability and discriminator before anything moves.
    // SAFETY: the slice is dropped before the CPI below.
    unsafe { state::market_data(program_id, market)? };
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
    Ok(paid)
}

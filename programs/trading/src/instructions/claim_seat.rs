//! `claim_seat()`: a Verified registry user takes a seat in a market (once), where its balances and
//! orders are kept. The trader takes a free seat slot (see `grow_market`), or the market grows by
//! one seat, paid by the trader.
//!
//! Accounts:
//! 0. `[signer, writable]` trader: pays for the seat when the market has no free seat slot.
//! 1. `[]` config.
//! 2. `[]` user: the trader's registry User (Verified).
//! 3. `[writable]` market.
//! 4. `[]` system_program.
//! 5. `[]` event_authority.
//! 6. `[]` program.
//!
//! Emits `SeatClaimed` (with the seat index that the trader's other instructions name).

use pinocchio::{AccountView, Address, ProgramResult};
use solgrid_program_kit::{
    checks, clock, discriminator, instruction,
    pod::{PodI64, PodU32},
    KitError,
};

use crate::{
    errors::{book_error, TradingError},
    events::{self, EventAccounts, SeatClaimed},
    growth, state,
};

pub const DISCRIMINATOR: u64 = discriminator::as_u64(discriminator::instruction("claim_seat"));
pub const ACCOUNTS_LEN: usize = 7;

pub fn process(program_id: &Address, accounts: &mut [AccountView], args: &[u8]) -> ProgramResult {
    instruction::no_args(args)?;
    let [trader, config, user, market, system_program, event_authority, program, ..] = accounts
    else {
        return Err(KitError::NotEnoughAccounts.into());
    };
    checks::signer(trader)?;
    let event_accounts = EventAccounts::load(program_id, config, event_authority, program)?;
    // SAFETY: Config and the registry's accounts are only read by this program; each view of the
    // market's data is dropped before the next resize or CPI.
    let registry_program = unsafe { state::config(program_id, config)? }.registry_program;
    unsafe { state::verified_user(user, &registry_program, trader.address())? };
    let key = trader.address().as_array();
    let book = unsafe { state::load_market(program_id, market)? };
    if book.seat_of(key).is_some() {
        return Err(TradingError::SeatExists.into());
    }
    let mut book = if book.free_seat_slots() == 0 {
        growth::grow(program_id, trader, market, system_program, 1, 0)?.1
    } else {
        book
    };
    let seat = book.claim_seat(key).map_err(book_error)?;
    events::emit(
        program_id,
        &event_accounts,
        &SeatClaimed {
            market: *market.address(),
            trader: *trader.address(),
            seat: PodU32::new(seat),
            timestamp: PodI64::new(clock::unix_timestamp()?),
        },
    )
}

//! `prune_expired(max: u16)`: removes up to `max` (1 ..= 80) expired orders anywhere in the book and
//! returns their funds to their owners' free balances. Permissionless: anyone may crank it (expired
//! orders never match in any case; matching also removes the ones it meets).
//!
//! Accounts:
//! 0. `[]` config.
//! 1. `[writable]` market (continuous).
//! 2. `[]` event_authority.
//! 3. `[]` program.
//!
//! Emits `OrdersExpired` listing every removed order (possibly none).

use pinocchio::{AccountView, Address, ProgramResult};
use solgrid_order_book::MAX_MATCHES;
use solgrid_program_kit::{
    clock, discriminator, impl_pod, instruction, pod::PodI64, pod::PodU16, KitError,
};

use crate::{
    errors::{book_error, TradingError},
    events::{EventAccounts, EventBuffer, OrdersExpired, RemovalWriter},
    state,
};

pub const DISCRIMINATOR: u64 = discriminator::as_u64(discriminator::instruction("prune_expired"));
pub const ACCOUNTS_LEN: usize = 4;

#[repr(C)]
pub struct PruneExpiredArgs {
    pub max: PodU16,
}

impl_pod!(PruneExpiredArgs { max: PodU16 });

pub fn process(program_id: &Address, accounts: &mut [AccountView], args: &[u8]) -> ProgramResult {
    let args: &PruneExpiredArgs = instruction::args(args)?;
    let max = args.max.get() as u32;
    if max == 0 || max > MAX_MATCHES {
        return Err(TradingError::InvalidMatchLimit.into());
    }
    let [config, market, event_authority, program, ..] = accounts else {
        return Err(KitError::NotEnoughAccounts.into());
    };
    let event_accounts = EventAccounts::load(program_id, config, event_authority, program)?;
    let now = clock::unix_timestamp()?;
    let mut buffer = EventBuffer::with_vec::<OrdersExpired>()?;
    let mut writer = RemovalWriter {
        buffer: &mut buffer,
        count: 0,
    };
    // SAFETY: no other reference into the market's data exists; dropped before the CPI.
    let mut book = unsafe { state::load_market(program_id, market)? };
    state::continuous(&book)?;
    book.prune_expired(now, max, &mut writer)
        .map_err(book_error)?;
    let count = writer.count;
    buffer.finish_vec::<OrdersExpired>(count);
    buffer.finish_head(&OrdersExpired {
        market: *market.address(),
        timestamp: PodI64::new(now),
    });
    buffer.emit(program_id, &event_accounts)
}

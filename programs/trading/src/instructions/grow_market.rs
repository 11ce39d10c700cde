//! `grow_market(extra_seats: u16, extra_orders: u16)`: anyone pays to add seat and order slots to a
//! market ahead of use (at most 10,240 bytes per instruction), so that traders' instructions find
//! free slots. Without it the market grows on demand: a new seat on `claim_seat`, eight order slots
//! when a resting order finds none free (paid by that trader).
//!
//! Accounts:
//! 0. `[signer, writable]` payer.
//! 1. `[writable]` market.
//! 2. `[]` system_program.
//!
//! No event: nothing a trader owns changes.

use pinocchio::{AccountView, Address, ProgramResult};
use solgrid_program_kit::{discriminator, impl_pod, instruction, pod::PodU16, KitError};

use crate::growth;

pub const DISCRIMINATOR: u64 = discriminator::as_u64(discriminator::instruction("grow_market"));
pub const ACCOUNTS_LEN: usize = 3;

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
    let [payer, market, system_program, ..] = accounts else {
        return Err(KitError::NotEnoughAccounts.into());
    };
    growth::grow(
        program_id,
        payer,
        market,
        system_program,
        args.extra_seats.get() as u32,
        args.extra_orders.get() as u32,
    )
}

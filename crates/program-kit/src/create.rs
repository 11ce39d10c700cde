//! Creating program-owned PDA accounts through the System program.

use crate::rent::Rent;
use pinocchio::{
    cpi::{Seed, Signer},
    AccountView, Address, ProgramResult,
};
use pinocchio_system::instructions::{Allocate, Assign, CreateAccount, Transfer};

/// Creates `account` (a PDA of the calling program, signed for by `seeds`, bump included) with
/// `space` bytes owned by `owner`, funded by `payer` to the rent-exempt minimum.
///
/// An address can receive lamports before it is created, and `CreateAccount` refuses an account
/// with lamports. In that case the shortfall is transferred and the account is allocated and
/// assigned in three steps instead, so nobody can block a PDA by sending it a lamport.
///
/// The caller checks beforehand that `account` is the expected PDA and still uninitialised
/// ([`crate::checks::uninitialized`]), and that `payer` signs and is writable.
pub fn create_pda_account(
    payer: &AccountView,
    account: &AccountView,
    space: usize,
    owner: &Address,
    seeds: &[Seed],
    rent: &Rent,
) -> ProgramResult {
    let minimum = rent.minimum_balance(space)?;
    let signers = [Signer::from(seeds)];
    let current = account.lamports();
    if current == 0 {
        return CreateAccount {
            from: payer,
            to: account,
            lamports: minimum,
            space: space as u64,
            owner,
        }
        .invoke_signed(&signers);
    }
    let shortfall = minimum.saturating_sub(current);
    if shortfall > 0 {
        Transfer {
            from: payer,
            to: account,
            lamports: shortfall,
        }
        .invoke()?;
    }
    Allocate {
        account,
        space: space as u64,
    }
    .invoke_signed(&signers)?;
    Assign { account, owner }.invoke_signed(&signers)
}

//! Account checks. Each returns the [`KitError`] a client sees, so every failure is typed.
//!
//! PDAs are checked in two ways:
//! * [`canonical_pda`] finds the canonical bump (`sol_try_find_program_address`). Use it only where
//!   an account is *created*: the bump is stored in the account so that later instructions never
//!   search again, and creating at the canonical address only means one account per seed set.
//! * [`canonical_bump`] checks a bump that the client passed (the client searched for it) for an
//!   account *created* here: one `sol_sha256` and one curve check (`sol_curve_validate_point`) for
//!   the bump, and one of each for every higher bump, which must all land on the curve. The
//!   canonical bump is usually 255 or 254, so this costs a fraction of the search.
//! * [`pda`] re-derives an existing account's address from its seeds and stored bump with one
//!   `sol_sha256`. The off-curve check is not needed here: the stored bump came from the search.

use crate::error::KitError;
use pinocchio::{
    address::{address_eq, Address},
    error::ProgramError,
    AccountView,
};

/// The System program's id.
pub const SYSTEM_PROGRAM_ID: Address = pinocchio_system::ID;

#[inline(always)]
pub fn signer(account: &AccountView) -> Result<(), ProgramError> {
    if account.is_signer() {
        Ok(())
    } else {
        Err(KitError::MissingSigner.into())
    }
}

#[inline(always)]
pub fn writable(account: &AccountView) -> Result<(), ProgramError> {
    if account.is_writable() {
        Ok(())
    } else {
        Err(KitError::AccountNotWritable.into())
    }
}

/// A fee payer or funding account: signer and writable.
#[inline(always)]
pub fn payer(account: &AccountView) -> Result<(), ProgramError> {
    signer(account)?;
    writable(account)
}

#[inline(always)]
pub fn owned_by(account: &AccountView, owner: &Address) -> Result<(), ProgramError> {
    if address_eq(account.owner(), owner) {
        Ok(())
    } else {
        Err(KitError::InvalidOwner.into())
    }
}

#[inline(always)]
pub fn system_program(account: &AccountView) -> Result<(), ProgramError> {
    if address_eq(account.address(), &SYSTEM_PROGRAM_ID) {
        Ok(())
    } else {
        Err(KitError::InvalidSystemProgram.into())
    }
}

/// An account that is still to be created: owned by the System program and without data. It may
/// hold lamports (anyone can send lamports to an address before it is created).
#[inline(always)]
pub fn uninitialized(account: &AccountView) -> Result<(), ProgramError> {
    if address_eq(account.owner(), &SYSTEM_PROGRAM_ID) && account.data_len() == 0 {
        Ok(())
    } else {
        Err(KitError::AlreadyInitialized.into())
    }
}

/// `account`'s address is the PDA of `seeds` plus the stored `bump` under `program_id`.
#[inline(always)]
pub fn pda<const N: usize>(
    account: &AccountView,
    seeds: &[&[u8]; N],
    bump: u8,
    program_id: &Address,
) -> Result<(), ProgramError> {
    let expected = Address::try_derive_address(seeds, Some(bump), program_id)
        .map_err(|_| ProgramError::from(KitError::InvalidPda))?;
    if address_eq(account.address(), &expected) {
        Ok(())
    } else {
        Err(KitError::InvalidPda.into())
    }
}

/// `account`'s address is the PDA of `seeds` plus `bump` under `program_id`, and `bump` is the
/// canonical one: the address is off the curve and every higher bump gives an on-curve point (what
/// `find_program_address` searches through). Anything else is `InvalidPda`, so an account created
/// after this check is always where a lookup by its seeds finds it. Bump 0 is refused outright:
/// the search tries 255 down to 1 only, so it never returns 0.
#[inline(always)]
pub fn canonical_bump<const N: usize>(
    account: &AccountView,
    seeds: &[&[u8]; N],
    bump: u8,
    program_id: &Address,
) -> Result<(), ProgramError> {
    let invalid = || ProgramError::from(KitError::InvalidPda);
    if bump == 0 {
        return Err(invalid());
    }
    let expected =
        Address::try_derive_address(seeds, Some(bump), program_id).map_err(|_| invalid())?;
    if !address_eq(account.address(), &expected) || expected.is_on_curve() {
        return Err(invalid());
    }
    let mut higher = bump;
    while higher < u8::MAX {
        higher += 1;
        let other =
            Address::try_derive_address(seeds, Some(higher), program_id).map_err(|_| invalid())?;
        if !other.is_on_curve() {
            return Err(invalid());
        }
    }
    Ok(())
}

/// `account`'s address is the canonical PDA of `seeds` under `program_id`; returns the bump.
#[inline(always)]
pub fn canonical_pda(
    account: &AccountView,
    seeds: &[&[u8]],
    program_id: &Address,
) -> Result<u8, ProgramError> {
    match Address::try_find_program_address(seeds, program_id) {
        Some((expected, bump)) if address_eq(account.address(), &expected) => Ok(bump),
        _ => Err(KitError::InvalidPda.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::FakeAccount;

    const PROGRAM: Address = Address::new_from_array([7u8; 32]);

    #[test]
    fn signer_and_writable_flags() {
        let mut acc = FakeAccount::new([1u8; 32], SYSTEM_PROGRAM_ID, 0);
        assert_eq!(signer(&acc.view()), Err(KitError::MissingSigner.into()));
        assert_eq!(
            writable(&acc.view()),
            Err(KitError::AccountNotWritable.into())
        );
        acc.signer = true;
        assert_eq!(payer(&acc.view()), Err(KitError::AccountNotWritable.into()));
        acc.writable = true;
        assert_eq!(payer(&acc.view()), Ok(()));
    }

    #[test]
    fn owner_check() {
        let mut acc = FakeAccount::new([1u8; 32], PROGRAM, 8);
        assert_eq!(owned_by(&acc.view(), &PROGRAM), Ok(()));
        assert_eq!(
            owned_by(&acc.view(), &SYSTEM_PROGRAM_ID),
            Err(KitError::InvalidOwner.into())
        );
    }

    #[test]
    fn system_program_check() {
        let mut sys = FakeAccount::new(
            SYSTEM_PROGRAM_ID.to_bytes(),
            Address::new_from_array([9; 32]),
            0,
        );
        assert_eq!(system_program(&sys.view()), Ok(()));
        let mut other = FakeAccount::new([3u8; 32], SYSTEM_PROGRAM_ID, 0);
        assert_eq!(
            system_program(&other.view()),
            Err(KitError::InvalidSystemProgram.into())
        );
    }

    #[test]
    fn uninitialized_accepts_prefunded_but_not_allocated_or_assigned() {
        let mut fresh = FakeAccount::new([1u8; 32], SYSTEM_PROGRAM_ID, 0);
        fresh.lamports = 5_000;
        assert_eq!(uninitialized(&fresh.view()), Ok(()));
        let mut allocated = FakeAccount::new([1u8; 32], SYSTEM_PROGRAM_ID, 10);
        assert_eq!(
            uninitialized(&allocated.view()),
            Err(KitError::AlreadyInitialized.into())
        );
        let mut assigned = FakeAccount::new([1u8; 32], PROGRAM, 0);
        assert_eq!(
            uninitialized(&assigned.view()),
            Err(KitError::AlreadyInitialized.into())
        );
    }

    #[test]
    fn pda_checks_agree_with_the_search() {
        let seeds: [&[u8]; 2] = [b"user", &[5u8; 32]];
        let (address, bump) = Address::find_program_address(&seeds, &PROGRAM);
        let mut acc = FakeAccount::new(address.to_bytes(), PROGRAM, 0);
        assert_eq!(canonical_pda(&acc.view(), &seeds, &PROGRAM), Ok(bump));
        assert_eq!(pda(&acc.view(), &seeds, bump, &PROGRAM), Ok(()));
        assert_eq!(
            pda(&acc.view(), &seeds, bump.wrapping_sub(1), &PROGRAM),
            Err(KitError::InvalidPda.into())
        );
        let other_seeds: [&[u8]; 2] = [b"user", &[6u8; 32]];
        assert_eq!(
            pda(&acc.view(), &other_seeds, bump, &PROGRAM),
            Err(KitError::InvalidPda.into())
        );
        assert_eq!(
            canonical_pda(&acc.view(), &other_seeds, &PROGRAM),
            Err(KitError::InvalidPda.into())
        );
    }

    #[test]
    fn canonical_pda_rejects_a_non_canonical_bump_address() {
        // Find a seed set whose next-lower bump is also off the curve, then present that address.
        let program = PROGRAM;
        for i in 0u8..=255 {
            let id = [i; 32];
            let seeds: [&[u8]; 2] = [b"user", &id];
            let (_, bump) = Address::find_program_address(&seeds, &program);
            let lower = [b"user".as_slice(), &id, &[bump - 1]];
            if let Ok(other) = Address::create_program_address(&lower, &program) {
                let mut acc = FakeAccount::new(other.to_bytes(), program, 0);
                assert_eq!(pda(&acc.view(), &seeds, bump - 1, &program), Ok(()));
                assert_eq!(
                    canonical_pda(&acc.view(), &seeds, &program),
                    Err(KitError::InvalidPda.into())
                );
                return;
            }
        }
        panic!("no seed set with two off-curve bumps found");
    }

    /// A seed set whose canonical bump has a lower bump that is also off the curve.
    fn seeds_with_two_off_curve_bumps() -> ([u8; 32], u8, Address, u8, Address) {
        for i in 0u8..=255 {
            let id = [i; 32];
            let seeds: [&[u8]; 2] = [b"user", &id];
            let (canonical, bump) = Address::find_program_address(&seeds, &PROGRAM);
            for lower in (0..bump).rev() {
                let with_lower = [b"user".as_slice(), &id, &[lower]];
                if let Ok(other) = Address::create_program_address(&with_lower, &PROGRAM) {
                    return (id, bump, canonical, lower, other);
                }
            }
        }
        panic!("no seed set with two off-curve bumps found");
    }

    #[test]
    fn canonical_bump_accepts_only_the_search_result() {
        let (id, bump, canonical, lower, other) = seeds_with_two_off_curve_bumps();
        let seeds: [&[u8]; 2] = [b"user", &id];
        let mut at_canonical = FakeAccount::new(canonical.to_bytes(), PROGRAM, 0);
        assert_eq!(
            canonical_bump(&at_canonical.view(), &seeds, bump, &PROGRAM),
            Ok(())
        );
        // The lower bump gives a valid PDA (`pda` accepts it) but not the canonical one.
        let mut at_lower = FakeAccount::new(other.to_bytes(), PROGRAM, 0);
        assert_eq!(pda(&at_lower.view(), &seeds, lower, &PROGRAM), Ok(()));
        assert_eq!(
            canonical_bump(&at_lower.view(), &seeds, lower, &PROGRAM),
            Err(KitError::InvalidPda.into())
        );
        // A bump that does not give the account's address, and other seeds.
        assert_eq!(
            canonical_bump(&at_canonical.view(), &seeds, lower, &PROGRAM),
            Err(KitError::InvalidPda.into())
        );
        let other_id = [id[0].wrapping_add(1); 32];
        let other_seeds: [&[u8]; 2] = [b"user", &other_id];
        assert_eq!(
            canonical_bump(&at_canonical.view(), &other_seeds, bump, &PROGRAM),
            Err(KitError::InvalidPda.into())
        );
    }

    #[test]
    fn canonical_bump_refuses_an_on_curve_address() {
        // A bump whose hash lands on the curve is no PDA at all, even if the account sits there.
        for i in 0u8..=255 {
            let id = [i; 32];
            let seeds: [&[u8]; 2] = [b"user", &id];
            let (_, bump) = Address::find_program_address(&seeds, &PROGRAM);
            if bump == u8::MAX {
                continue;
            }
            let on_curve = Address::derive_address(&seeds, Some(u8::MAX), &PROGRAM);
            assert!(on_curve.is_on_curve());
            let mut acc = FakeAccount::new(on_curve.to_bytes(), PROGRAM, 0);
            assert_eq!(pda(&acc.view(), &seeds, u8::MAX, &PROGRAM), Ok(()));
            assert_eq!(
                canonical_bump(&acc.view(), &seeds, u8::MAX, &PROGRAM),
                Err(KitError::InvalidPda.into())
            );
            return;
        }
        panic!("no seed set whose bump 255 lands on the curve found");
    }

    #[test]
    fn canonical_bump_agrees_with_the_search_over_many_seed_sets() {
        for i in 0u16..300 {
            let id = i.to_le_bytes();
            let seeds: [&[u8]; 2] = [b"proposal", &id];
            let (address, bump) = Address::find_program_address(&seeds, &PROGRAM);
            let mut acc = FakeAccount::new(address.to_bytes(), PROGRAM, 0);
            assert_eq!(canonical_bump(&acc.view(), &seeds, bump, &PROGRAM), Ok(()));
            for wrong in [bump.wrapping_add(1), bump.wrapping_sub(1)] {
                assert_eq!(
                    canonical_bump(&acc.view(), &seeds, wrong, &PROGRAM),
                    Err(KitError::InvalidPda.into())
                );
            }
        }
    }
}

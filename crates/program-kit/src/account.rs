//! Zero-copy program accounts in Anchor's layout: an 8-byte `account:<Name>` discriminator followed
//! by the fields of a [`Pod`] struct.

use crate::{discriminator, error::KitError, pod::Pod};
use core::mem::size_of;
use pinocchio::{
    account::{Ref, RefMut},
    error::ProgramError,
    AccountView,
};

/// A program account type.
pub trait AccountLayout: Pod {
    /// `sha256("account:<Name>")[..8]`.
    const DISCRIMINATOR: [u8; discriminator::LEN];
    /// Size of the whole account: discriminator plus fields.
    const LEN: usize = discriminator::LEN + size_of::<Self>();
}

#[inline(always)]
fn has_discriminator<T: AccountLayout>(data: &[u8]) -> bool {
    data.len() == T::LEN && data[..discriminator::LEN] == T::DISCRIMINATOR
}

/// The fields of a `T` account in `data`: exact size and matching discriminator required.
#[inline(always)]
pub fn load<T: AccountLayout>(data: &[u8]) -> Result<&T, ProgramError> {
    if !has_discriminator::<T>(data) {
        return Err(KitError::InvalidAccountData.into());
    }
    // SAFETY: `T: Pod` (alignment 1, any bit pattern); the length was checked.
    Ok(unsafe { &*(data.as_ptr().add(discriminator::LEN) as *const T) })
}

/// Mutable counterpart of [`load`].
#[inline(always)]
pub fn load_mut<T: AccountLayout>(data: &mut [u8]) -> Result<&mut T, ProgramError> {
    if !has_discriminator::<T>(data) {
        return Err(KitError::InvalidAccountData.into());
    }
    // SAFETY: as in `load`, and the borrow is unique.
    Ok(unsafe { &mut *(data.as_mut_ptr().add(discriminator::LEN) as *mut T) })
}

/// Stamps the discriminator on freshly allocated (all-zero) account data and returns its fields.
///
/// Fails unless the data has exactly `T::LEN` bytes and no discriminator yet, so an initialised
/// account can never be initialised again through this path.
#[inline(always)]
pub fn init<T: AccountLayout>(data: &mut [u8]) -> Result<&mut T, ProgramError> {
    if data.len() != T::LEN {
        return Err(KitError::InvalidAccountData.into());
    }
    if data[..discriminator::LEN] != [0u8; discriminator::LEN] {
        return Err(KitError::AlreadyInitialized.into());
    }
    data[..discriminator::LEN].copy_from_slice(&T::DISCRIMINATOR);
    // SAFETY: as in `load`.
    Ok(unsafe { &mut *(data.as_mut_ptr().add(discriminator::LEN) as *mut T) })
}

/// Borrows `account`'s data as a `T` (see [`load`]). The caller has already checked the owner.
#[inline(always)]
pub fn borrow<T: AccountLayout>(account: &AccountView) -> Result<Ref<'_, T>, ProgramError> {
    let data = account.try_borrow()?;
    Ref::try_map(data, |bytes| load::<T>(bytes)).map_err(|(_, error)| error)
}

/// Mutably borrows `account`'s data as a `T` (see [`load_mut`]). The caller has already checked the
/// owner and writability.
#[inline(always)]
pub fn borrow_mut<T: AccountLayout>(
    account: &mut AccountView,
) -> Result<RefMut<'_, T>, ProgramError> {
    let data = account.try_borrow_mut()?;
    RefMut::try_map(data, |bytes| load_mut::<T>(bytes)).map_err(|(_, error)| error)
}

/// Mutably borrows a freshly created `account` and stamps its discriminator (see [`init`]).
#[inline(always)]
pub fn borrow_init<T: AccountLayout>(
    account: &mut AccountView,
) -> Result<RefMut<'_, T>, ProgramError> {
    let data = account.try_borrow_mut()?;
    RefMut::try_map(data, |bytes| init::<T>(bytes)).map_err(|(_, error)| error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{impl_pod, pod::PodU64, testing::FakeAccount};

    #[repr(C)]
    struct Counter {
        value: PodU64,
        bump: u8,
    }
    impl_pod!(Counter {
        value: PodU64,
        bump: u8
    });
    impl AccountLayout for Counter {
        const DISCRIMINATOR: [u8; 8] = discriminator::account("Counter");
    }

    #[test]
    fn len_includes_discriminator() {
        assert_eq!(Counter::LEN, 17);
    }

    #[test]
    fn init_then_load_round_trips() {
        let mut data = [0u8; 17];
        init::<Counter>(&mut data).unwrap().value.set(42);
        assert_eq!(&data[..8], &discriminator::account("Counter"));
        assert_eq!(load::<Counter>(&data).unwrap().value.get(), 42);
        load_mut::<Counter>(&mut data).unwrap().bump = 254;
        assert_eq!(data[16], 254);
    }

    #[test]
    fn init_refuses_initialised_data() {
        let mut data = [0u8; 17];
        init::<Counter>(&mut data).unwrap();
        assert_eq!(
            init::<Counter>(&mut data).err(),
            Some(KitError::AlreadyInitialized.into())
        );
    }

    #[test]
    fn load_rejects_wrong_discriminator_or_size() {
        let mut data = [0u8; 18];
        data[..8].copy_from_slice(&discriminator::account("Counter"));
        let wrong_size = load::<Counter>(&data).err();
        assert_eq!(wrong_size, Some(KitError::InvalidAccountData.into()));
        let mut other = [0u8; 17];
        other[..8].copy_from_slice(&discriminator::account("Other"));
        assert_eq!(
            load::<Counter>(&other).err(),
            Some(KitError::InvalidAccountData.into())
        );
        assert_eq!(
            init::<Counter>(&mut data).err(),
            Some(KitError::InvalidAccountData.into())
        );
    }

    #[test]
    fn borrows_through_account_views() {
        let owner = pinocchio::Address::new_from_array([7u8; 32]);
        let mut account = FakeAccount::new([1u8; 32], owner, Counter::LEN);
        let mut view = account.view();
        borrow_init::<Counter>(&mut view).unwrap().value.set(5);
        assert_eq!(borrow::<Counter>(&view).unwrap().value.get(), 5);
        borrow_mut::<Counter>(&mut view).unwrap().bump = 9;
        assert!(borrow_init::<Counter>(&mut view).is_err());
        assert_eq!(&account.data()[8..], &[5, 0, 0, 0, 0, 0, 0, 0, 9]);
    }

    #[test]
    fn borrow_refuses_an_already_mutably_borrowed_account() {
        let owner = pinocchio::Address::new_from_array([7u8; 32]);
        let mut account = FakeAccount::new([1u8; 32], owner, Counter::LEN);
        let mut view = account.view();
        let mut alias = view;
        let _guard = borrow_init::<Counter>(&mut view).unwrap();
        assert_eq!(
            borrow_mut::<Counter>(&mut alias).err(),
            Some(ProgramError::AccountBorrowFailed)
        );
    }
}

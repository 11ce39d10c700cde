//! The BPFLoaderUpgradeable (loader v3) upgrade-authority gate.
//!
//! A program's one-time `initialize` decides who administers it. If anyone could call it first, a
//! watcher could front-run the deployer between deployment and initialisation. So when the program
//! is deployed through loader v3, only its upgrade authority may initialise it. The program finds
//! its ProgramData account at the canonical PDA `[program_id]` of the loader.
//!
//! A program loaded another way (a genesis/`add_program` load through the non-upgradeable loader)
//! has no ProgramData: nothing but the loader can create an account at that address, so an account
//! there that the loader does not own proves that the program is not upgradeable, and the gate
//! does not apply.

use crate::{checks, error::KitError};
use pinocchio::{
    address::{address_eq, Address},
    error::ProgramError,
    AccountView,
};

pub const LOADER_V3_ID: Address =
    Address::from_str_const("BPFLoaderUpgradeab1e11111111111111111111111");

/// `UpgradeableLoaderState::ProgramData`: u32 tag 3, u64 slot, `Option<Pubkey>` upgrade authority.
pub const PROGRAM_DATA_TAG: u32 = 3;
pub const PROGRAM_DATA_HEADER_LEN: usize = 45;

/// The upgrade authority recorded in ProgramData bytes: `Some(None)` for a frozen program, `None`
/// when the bytes are not a ProgramData header.
pub fn upgrade_authority(data: &[u8]) -> Option<Option<&Address>> {
    if data.len() < PROGRAM_DATA_HEADER_LEN || data[..4] != PROGRAM_DATA_TAG.to_le_bytes() {
        return None;
    }
    match data[12] {
        0 => Some(None),
        // SAFETY: `Address` is 32 bytes with alignment 1, and bytes 13..45 are in range.
        1 => Some(Some(unsafe { &*(data.as_ptr().add(13) as *const Address) })),
        _ => None,
    }
}

/// Fails unless `authority` may initialise the program `program_id` (see the module docs).
///
/// `program_data` must be the program's canonical ProgramData address (searched once here; this runs
/// in one-time instructions only).
pub fn check_initializer(
    program_data: &AccountView,
    program_id: &Address,
    authority: &Address,
) -> Result<(), ProgramError> {
    checks::canonical_pda(program_data, &[program_id.as_ref()], &LOADER_V3_ID)
        .map_err(|_| ProgramError::from(KitError::InvalidProgramData))?;
    if !program_data.owned_by(&LOADER_V3_ID) {
        return Ok(());
    }
    let data = program_data.try_borrow()?;
    match upgrade_authority(&data) {
        Some(Some(upgrade_authority)) if address_eq(upgrade_authority, authority) => Ok(()),
        Some(_) => Err(KitError::NotUpgradeAuthority.into()),
        None => Err(KitError::InvalidProgramData.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::FakeAccount;

    const PROGRAM: Address = Address::new_from_array([7u8; 32]);
    const AUTHORITY: Address = Address::new_from_array([8u8; 32]);

    fn header(authority: Option<&Address>) -> [u8; PROGRAM_DATA_HEADER_LEN] {
        let mut data = [0u8; PROGRAM_DATA_HEADER_LEN];
        data[..4].copy_from_slice(&PROGRAM_DATA_TAG.to_le_bytes());
        data[4..12].copy_from_slice(&99u64.to_le_bytes());
        if let Some(authority) = authority {
            data[12] = 1;
            data[13..].copy_from_slice(authority.as_ref());
        }
        data
    }

    fn program_data_account(owner: Address, data: &[u8]) -> FakeAccount {
        let (address, _) = Address::find_program_address(&[PROGRAM.as_ref()], &LOADER_V3_ID);
        let mut account = FakeAccount::new(address.to_bytes(), owner, data.len());
        let mut view = account.view();
        unsafe { view.borrow_unchecked_mut() }.copy_from_slice(data);
        account
    }

    #[test]
    fn loader_id_decodes() {
        assert_eq!(LOADER_V3_ID.as_ref()[0], 2);
    }

    #[test]
    fn parses_the_header() {
        assert_eq!(
            upgrade_authority(&header(Some(&AUTHORITY))),
            Some(Some(&AUTHORITY))
        );
        assert_eq!(upgrade_authority(&header(None)), Some(None));
        assert_eq!(upgrade_authority(&header(None)[..44]), None);
        let mut buffer = header(None);
        buffer[0] = 1; // a Buffer account, not ProgramData
        assert_eq!(upgrade_authority(&buffer), None);
    }

    #[test]
    fn upgrade_authority_may_initialise() {
        let mut pd = program_data_account(LOADER_V3_ID, &header(Some(&AUTHORITY)));
        assert_eq!(check_initializer(&pd.view(), &PROGRAM, &AUTHORITY), Ok(()));
    }

    #[test]
    fn others_may_not_nor_anyone_once_frozen() {
        let mut pd = program_data_account(LOADER_V3_ID, &header(Some(&AUTHORITY)));
        let other = Address::new_from_array([9u8; 32]);
        assert_eq!(
            check_initializer(&pd.view(), &PROGRAM, &other),
            Err(KitError::NotUpgradeAuthority.into())
        );
        let mut frozen = program_data_account(LOADER_V3_ID, &header(None));
        assert_eq!(
            check_initializer(&frozen.view(), &PROGRAM, &AUTHORITY),
            Err(KitError::NotUpgradeAuthority.into())
        );
    }

    #[test]
    fn not_upgradeable_means_no_gate() {
        let mut absent = program_data_account(checks::SYSTEM_PROGRAM_ID, &[]);
        assert_eq!(
            check_initializer(&absent.view(), &PROGRAM, &AUTHORITY),
            Ok(())
        );
    }

    #[test]
    fn wrong_address_is_refused() {
        let mut wrong = FakeAccount::new([3u8; 32], LOADER_V3_ID, PROGRAM_DATA_HEADER_LEN);
        assert_eq!(
            check_initializer(&wrong.view(), &PROGRAM, &AUTHORITY),
            Err(KitError::InvalidProgramData.into())
        );
    }
}

//! Who may run a program's one-time `initialize`: the account that deployed it.
//!
//! `initialize` decides who administers a program. If anyone could call it first, a watcher could
//! front-run the deployer between deployment and initialisation. So the program reads its own
//! deployment record and lets only its upgrade authority initialise it:
//!
//! * **BPFLoaderUpgradeable (loader v3)**: the authority in the ProgramData account, the canonical
//!   PDA `[program_id]` of the loader; a frozen program (no authority) cannot be initialised.
//! * **Loader v4**: the authority in the program account's own 48-byte header (`slot: u64`,
//!   `authority: Pubkey`, `status: u64`); a Finalized program (no authority) cannot be initialised.
//! * **BPFLoader2 / BPFLoader (not upgradeable)**: clusters no longer deploy through them, so such a
//!   program was placed by genesis or a test harness; there is no deployer to protect and no gate.
//! * Any other owner is refused: the program cannot tell who deployed it.
//!
//! The caller passes the program account itself (address = program id) and the loader-v3
//! ProgramData address (always, whatever the loader, so the account list never varies; its contents
//! are read only for loader v3).

use crate::{checks, error::KitError};
use pinocchio::{
    address::{address_eq, Address},
    error::ProgramError,
    AccountView,
};

pub const LOADER_V3_ID: Address =
    Address::from_str_const("BPFLoaderUpgradeab1e11111111111111111111111");
pub const LOADER_V4_ID: Address =
    Address::from_str_const("LoaderV411111111111111111111111111111111111");
pub const BPF_LOADER_2_ID: Address =
    Address::from_str_const("BPFLoader2111111111111111111111111111111111");
pub const BPF_LOADER_1_ID: Address =
    Address::from_str_const("BPFLoader1111111111111111111111111111111111");

/// `UpgradeableLoaderState::ProgramData`: u32 tag 3, u64 slot, `Option<Pubkey>` upgrade authority.
pub const PROGRAM_DATA_TAG: u32 = 3;
pub const PROGRAM_DATA_HEADER_LEN: usize = 45;
/// `LoaderV4State`: u64 slot, the authority (or, once Finalized, the next version), u64 status.
pub const LOADER_V4_HEADER_LEN: usize = 48;
/// `LoaderV4Status::Finalized`: the program can no longer change and has no authority.
pub const LOADER_V4_FINALIZED: u64 = 2;

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

/// The authority in a loader-v4 program header: `Some(None)` once Finalized, `None` when the bytes
/// are not a header (too short, or a status that does not exist).
pub fn loader_v4_authority(data: &[u8]) -> Option<Option<&Address>> {
    let header = data.get(..LOADER_V4_HEADER_LEN)?;
    let mut status = [0u8; 8];
    status.copy_from_slice(&header[40..48]);
    match u64::from_le_bytes(status) {
        // SAFETY: `Address` is 32 bytes with alignment 1, and bytes 8..40 are in range.
        0 | 1 => Some(Some(unsafe {
            &*(header.as_ptr().add(8) as *const Address)
        })),
        LOADER_V4_FINALIZED => Some(None),
        _ => None,
    }
}

/// Fails unless `authority` may initialise the program `program_id` (see the module docs).
///
/// `program` must be the program's own account and `program_data` its canonical loader-v3
/// ProgramData address (searched once here; this runs in one-time instructions only).
pub fn check_initializer(
    program: &AccountView,
    program_data: &AccountView,
    program_id: &Address,
    authority: &Address,
) -> Result<(), ProgramError> {
    if !address_eq(program.address(), program_id) {
        return Err(KitError::InvalidProgramData.into());
    }
    checks::canonical_pda(program_data, &[program_id.as_ref()], &LOADER_V3_ID)
        .map_err(|_| ProgramError::from(KitError::InvalidProgramData))?;
    if program.owned_by(&LOADER_V3_ID) {
        if !program_data.owned_by(&LOADER_V3_ID) {
            return Err(KitError::InvalidProgramData.into());
        }
        let data = program_data.try_borrow()?;
        authorize(upgrade_authority(&data), authority)
    } else if program.owned_by(&LOADER_V4_ID) {
        let data = program.try_borrow()?;
        authorize(loader_v4_authority(&data), authority)
    } else if program.owned_by(&BPF_LOADER_2_ID) || program.owned_by(&BPF_LOADER_1_ID) {
        Ok(())
    } else {
        Err(KitError::UnsupportedLoader.into())
    }
}

fn authorize(recorded: Option<Option<&Address>>, authority: &Address) -> Result<(), ProgramError> {
    match recorded {
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
    const OTHER: Address = Address::new_from_array([9u8; 32]);

    fn v3_header(authority: Option<&Address>) -> [u8; PROGRAM_DATA_HEADER_LEN] {
        let mut data = [0u8; PROGRAM_DATA_HEADER_LEN];
        data[..4].copy_from_slice(&PROGRAM_DATA_TAG.to_le_bytes());
        data[4..12].copy_from_slice(&99u64.to_le_bytes());
        if let Some(authority) = authority {
            data[12] = 1;
            data[13..].copy_from_slice(authority.as_ref());
        }
        data
    }

    fn v4_header(authority: &Address, status: u64) -> [u8; LOADER_V4_HEADER_LEN + 8] {
        let mut data = [0u8; LOADER_V4_HEADER_LEN + 8]; // the ELF follows the header
        data[..8].copy_from_slice(&5u64.to_le_bytes());
        data[8..40].copy_from_slice(authority.as_ref());
        data[40..48].copy_from_slice(&status.to_le_bytes());
        data
    }

    fn account(address: Address, owner: Address, data: &[u8]) -> FakeAccount {
        let mut account = FakeAccount::new(address.to_bytes(), owner, data.len());
        let mut view = account.view();
        unsafe { view.borrow_unchecked_mut() }.copy_from_slice(data);
        account
    }

    fn program_data_address() -> Address {
        Address::find_program_address(&[PROGRAM.as_ref()], &LOADER_V3_ID).0
    }

    /// The gate for a program owned by `loader` with `program_bytes`, and a ProgramData account
    /// owned by `pd_owner` holding `pd_bytes`.
    fn gate(
        loader: Address,
        program_bytes: &[u8],
        pd_owner: Address,
        pd_bytes: &[u8],
        authority: &Address,
    ) -> Result<(), ProgramError> {
        let mut program = account(PROGRAM, loader, program_bytes);
        let mut pd = account(program_data_address(), pd_owner, pd_bytes);
        check_initializer(&program.view(), &pd.view(), &PROGRAM, authority)
    }

    const V3_PROGRAM: [u8; 36] = [2u8; 36]; // UpgradeableLoaderState::Program (not read)
    const NO_DATA: Address = checks::SYSTEM_PROGRAM_ID;

    #[test]
    fn loader_ids_decode() {
        assert_eq!(LOADER_V3_ID.as_ref()[0], 2);
        assert_eq!(LOADER_V4_ID.as_ref()[0], 5);
        assert_ne!(BPF_LOADER_2_ID, BPF_LOADER_1_ID);
    }

    #[test]
    fn parses_the_headers() {
        assert_eq!(
            upgrade_authority(&v3_header(Some(&AUTHORITY))),
            Some(Some(&AUTHORITY))
        );
        assert_eq!(upgrade_authority(&v3_header(None)), Some(None));
        assert_eq!(upgrade_authority(&v3_header(None)[..44]), None);
        let mut buffer = v3_header(None);
        buffer[0] = 1; // a Buffer account, not ProgramData
        assert_eq!(upgrade_authority(&buffer), None);

        for status in [0, 1] {
            assert_eq!(
                loader_v4_authority(&v4_header(&AUTHORITY, status)),
                Some(Some(&AUTHORITY))
            );
        }
        assert_eq!(loader_v4_authority(&v4_header(&AUTHORITY, 2)), Some(None));
        assert_eq!(loader_v4_authority(&v4_header(&AUTHORITY, 3)), None);
        assert_eq!(loader_v4_authority(&v4_header(&AUTHORITY, 1)[..47]), None);
    }

    #[test]
    fn loader_v3_upgrade_authority_only_and_never_once_frozen() {
        let pd = v3_header(Some(&AUTHORITY));
        assert_eq!(
            gate(LOADER_V3_ID, &V3_PROGRAM, LOADER_V3_ID, &pd, &AUTHORITY),
            Ok(())
        );
        assert_eq!(
            gate(LOADER_V3_ID, &V3_PROGRAM, LOADER_V3_ID, &pd, &OTHER),
            Err(KitError::NotUpgradeAuthority.into())
        );
        assert_eq!(
            gate(
                LOADER_V3_ID,
                &V3_PROGRAM,
                LOADER_V3_ID,
                &v3_header(None),
                &AUTHORITY
            ),
            Err(KitError::NotUpgradeAuthority.into())
        );
        // A v3 program whose ProgramData is missing or is not ProgramData.
        assert_eq!(
            gate(LOADER_V3_ID, &V3_PROGRAM, NO_DATA, &[], &AUTHORITY),
            Err(KitError::InvalidProgramData.into())
        );
        let mut buffer = pd;
        buffer[0] = 1;
        assert_eq!(
            gate(LOADER_V3_ID, &V3_PROGRAM, LOADER_V3_ID, &buffer, &AUTHORITY),
            Err(KitError::InvalidProgramData.into())
        );
    }

    #[test]
    fn loader_v4_authority_only_and_never_once_finalized() {
        for status in [0, 1] {
            let program = v4_header(&AUTHORITY, status);
            assert_eq!(
                gate(LOADER_V4_ID, &program, NO_DATA, &[], &AUTHORITY),
                Ok(())
            );
            assert_eq!(
                gate(LOADER_V4_ID, &program, NO_DATA, &[], &OTHER),
                Err(KitError::NotUpgradeAuthority.into())
            );
        }
        // Finalized: the field holds the next version, not an authority.
        assert_eq!(
            gate(
                LOADER_V4_ID,
                &v4_header(&AUTHORITY, 2),
                NO_DATA,
                &[],
                &AUTHORITY
            ),
            Err(KitError::NotUpgradeAuthority.into())
        );
        assert_eq!(
            gate(
                LOADER_V4_ID,
                &v4_header(&AUTHORITY, 1)[..40],
                NO_DATA,
                &[],
                &AUTHORITY
            ),
            Err(KitError::InvalidProgramData.into())
        );
    }

    #[test]
    fn not_upgradeable_loaders_have_no_gate_and_others_are_refused() {
        for loader in [BPF_LOADER_2_ID, BPF_LOADER_1_ID] {
            assert_eq!(gate(loader, &[0x7f], NO_DATA, &[], &OTHER), Ok(()));
        }
        for owner in [NO_DATA, OTHER] {
            assert_eq!(
                gate(owner, &[0x7f], NO_DATA, &[], &AUTHORITY),
                Err(KitError::UnsupportedLoader.into())
            );
        }
    }

    #[test]
    fn wrong_accounts_are_refused() {
        let pd = v3_header(Some(&AUTHORITY));
        // Another program's account in the program slot.
        let mut other_program = account(OTHER, LOADER_V3_ID, &V3_PROGRAM);
        let mut program_data = account(program_data_address(), LOADER_V3_ID, &pd);
        assert_eq!(
            check_initializer(
                &other_program.view(),
                &program_data.view(),
                &PROGRAM,
                &AUTHORITY
            ),
            Err(KitError::InvalidProgramData.into())
        );
        // ProgramData at another address (another program's, with the same authority).
        let mut program = account(PROGRAM, LOADER_V3_ID, &V3_PROGRAM);
        let mut wrong = account(Address::new_from_array([3u8; 32]), LOADER_V3_ID, &pd);
        assert_eq!(
            check_initializer(&program.view(), &wrong.view(), &PROGRAM, &AUTHORITY),
            Err(KitError::InvalidProgramData.into())
        );
    }
}

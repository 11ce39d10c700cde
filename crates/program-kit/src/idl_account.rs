//! The program's IDL on-chain, where Anchor clients look for it: Anchor's legacy IDL account.
//!
//! **Why the legacy IDL account, not the program-metadata program.** The clients SolGrid supports
//! read the IDL from the account Anchor programs carry: `@coral-xyz/anchor` 0.32.1
//! (`Program.fetchIdl`, hence `Program.at`) and anchorpy (`Program.fetch_raw_idl`) both fetch
//! `create_with_seed(find_program_address([], program_id).0, "anchor:idl", program_id)`, drop its
//! 8-byte discriminator and inflate (zlib) the `Vec<u8>` after the 32-byte authority. Neither reads
//! the program-metadata program (Anchor's TypeScript client moved to it only after 0.32), so an IDL
//! published there would leave `Program.at` failing. Explorers read this account too.
//!
//! **Wire format.** As Anchor 0.30–0.32 programs: instruction data starts with `IDL_IX_TAG`
//! (`sha256("anchor:idl")[..8]` read big-endian, sent little-endian, so the 8 bytes are the digest
//! reversed) followed by the borsh `IdlInstruction` enum:
//! `Create { data_len: u64 }` (0), `CreateBuffer` (1), `Write { data: Vec<u8> }` (2), `SetBuffer`
//! (3), `SetAuthority { new_authority: Pubkey }` (4), `Close` (5), `Resize { data_len: u64 }` (6).
//! The account is `sha256("internal:IdlAccount")[..8]`, `authority: Pubkey`, `data_len: u32`, then
//! `data_len` bytes of zlib-compressed IDL JSON (and unused capacity). Like Anchor's, the IDL JSON
//! does not list these instructions.
//!
//! **Differences from Anchor, all stricter or documented:**
//! * `Create` requires the program's **upgrade authority** as `from` (see [`crate::deployer`]).
//!   Anchor lets any signer create the IDL account first and become its authority, so a watcher
//!   could squat a fresh program's IDL. The account list gains a sixth account, `program_data`.
//!   Programs under a non-upgradeable loader (placed by genesis or a test harness) have no deployer
//!   to protect; as for `initialize`, anyone may create their IDL account.
//! * `Create` also succeeds when someone sent lamports to the IDL address beforehand (Anchor's
//!   `create_account_with_seed` would fail, another way to block the IDL): it tops the address up to
//!   the rent-exempt minimum, then allocates and assigns it (`AllocateWithSeed`, `AssignWithSeed`).
//! * `Resize` may grow an account that already holds an IDL (Anchor refuses unless `data_len` is 0);
//!   the bytes are kept, and a smaller target than the current size is refused.
//! * Every check fails with a typed [`KitError`] instead of a panic.
//!
//! The IDL authority (who created it, then whom `SetAuthority` names) alone may write, resize, set
//! from a buffer, hand over or close the IDL account; buffers belong to whoever created them, and
//! `SetBuffer` only takes a buffer with the IDL's own authority.

use crate::{checks, deployer, error::KitError, rent::Rent, sha256};
use pinocchio::{
    account::MAX_PERMITTED_DATA_INCREASE,
    address::{address_eq, Address},
    cpi::{Seed, Signer},
    error::ProgramError,
    AccountView, ProgramResult, UnsafeResize,
};
use pinocchio_system::instructions::{AllocateWithSeed, AssignWithSeed, Transfer};
use sha2_const_stable::Sha256;

/// `u64::from_be_bytes(sha256("anchor:idl")[..8])`: dispatchers match it on the little-endian first
/// 8 bytes of instruction data (`instruction::split`), as Anchor does.
pub const IDL_IX_TAG: u64 = {
    let digest = Sha256::new().update(b"anchor:idl").finalize();
    let mut bytes = [0u8; 8];
    let mut i = 0;
    while i < 8 {
        bytes[i] = digest[i];
        i += 1;
    }
    u64::from_be_bytes(bytes)
};
/// The seed of the IDL address (`create_with_seed` from the program's `[]` PDA).
pub const IDL_SEED: &str = "anchor:idl";
/// `sha256("internal:IdlAccount")[..8]` (Anchor's `#[account("internal")]`).
pub const IDL_ACCOUNT_DISCRIMINATOR: [u8; 8] =
    crate::discriminator::sighash("internal", "IdlAccount");
/// Discriminator, authority, data_len.
pub const HEADER_LEN: usize = 44;
const AUTHORITY_AT: usize = 8;
const DATA_LEN_AT: usize = 40;
/// The most account space `Create` allocates (Anchor's cap; a CPI may grow an account by at most
/// 10,240 bytes); larger IDLs are grown with `Resize`.
pub const MAX_CREATE_SPACE: usize = 10_000;
/// Anchor's "erased" authority (the zero address, which nobody can sign for).
pub const ERASED_AUTHORITY: Address = Address::new_from_array([0u8; 32]);
/// `create_with_seed` refuses owners whose address ends with this marker.
const PDA_MARKER: &[u8; 21] = b"ProgramDerivedAddress";

pub const CREATE: u8 = 0;
pub const CREATE_BUFFER: u8 = 1;
pub const WRITE: u8 = 2;
pub const SET_BUFFER: u8 = 3;
pub const SET_AUTHORITY: u8 = 4;
pub const CLOSE: u8 = 5;
pub const RESIZE: u8 = 6;

/// `create_with_seed(base, seed, owner)`: `sha256(base || seed || owner)`.
pub fn create_with_seed(base: &Address, seed: &str, owner: &Address) -> Address {
    Address::new_from_array(sha256::hashv(&[
        base.as_ref(),
        seed.as_bytes(),
        owner.as_ref(),
    ]))
}

/// Handles one IDL instruction (`args`: the bytes after the 8-byte tag).
#[inline(never)]
pub fn process(program_id: &Address, accounts: &mut [AccountView], args: &[u8]) -> ProgramResult {
    let (&variant, fields) = args
        .split_first()
        .ok_or(ProgramError::from(KitError::InvalidInstructionData))?;
    match variant {
        CREATE => create(program_id, accounts, u64_arg(fields)?),
        CREATE_BUFFER => {
            no_fields(fields)?;
            create_buffer(program_id, accounts)
        }
        WRITE => write(program_id, accounts, vec_arg(fields)?),
        SET_BUFFER => {
            no_fields(fields)?;
            set_buffer(program_id, accounts)
        }
        SET_AUTHORITY => {
            let new_authority: [u8; 32] = fields
                .try_into()
                .map_err(|_| ProgramError::from(KitError::InvalidInstructionData))?;
            set_authority(
                program_id,
                accounts,
                &Address::new_from_array(new_authority),
            )
        }
        CLOSE => {
            no_fields(fields)?;
            close(program_id, accounts)
        }
        RESIZE => resize(program_id, accounts, u64_arg(fields)?),
        _ => Err(KitError::UnknownInstruction.into()),
    }
}

fn no_fields(fields: &[u8]) -> Result<(), ProgramError> {
    crate::instruction::no_args(fields)
}

fn u64_arg(fields: &[u8]) -> Result<u64, ProgramError> {
    let bytes: [u8; 8] = fields
        .try_into()
        .map_err(|_| ProgramError::from(KitError::InvalidInstructionData))?;
    Ok(u64::from_le_bytes(bytes))
}

/// A borsh `Vec<u8>`: u32 length, then exactly that many bytes.
fn vec_arg(fields: &[u8]) -> Result<&[u8], ProgramError> {
    let invalid = || ProgramError::from(KitError::InvalidInstructionData);
    let (len, data) = fields.split_at_checked(4).ok_or_else(invalid)?;
    let len = u32::from_le_bytes([len[0], len[1], len[2], len[3]]) as usize;
    if data.len() != len {
        return Err(invalid());
    }
    Ok(data)
}

/// The stored `data_len` of an IDL account's header.
pub fn stored_len(data: &[u8]) -> u32 {
    u32::from_le_bytes([
        data[DATA_LEN_AT],
        data[DATA_LEN_AT + 1],
        data[DATA_LEN_AT + 2],
        data[DATA_LEN_AT + 3],
    ])
}

/// An IDL account or buffer of this program whose authority signs: owner, discriminator, size,
/// writability, signer and authority checked.
fn check_idl(
    program_id: &Address,
    idl: &AccountView,
    authority: &AccountView,
) -> Result<(), ProgramError> {
    checks::owned_by(idl, program_id)?;
    checks::writable(idl)?;
    checks::signer(authority)?;
    let data = idl.try_borrow()?;
    if data.len() < HEADER_LEN || data[..8] != IDL_ACCOUNT_DISCRIMINATOR {
        return Err(KitError::InvalidAccountData.into());
    }
    let recorded = &data[AUTHORITY_AT..DATA_LEN_AT];
    if address_eq(authority.address(), &ERASED_AUTHORITY)
        || recorded != authority.address().as_ref()
    {
        return Err(KitError::NotIdlAuthority.into());
    }
    if HEADER_LEN + stored_len(&data) as usize > data.len() {
        return Err(KitError::InvalidAccountData.into());
    }
    Ok(())
}

/// `Create { data_len }`: creates the canonical IDL account with room for `data_len` bytes (at most
/// [`MAX_CREATE_SPACE`] bytes of account space; `Resize` grows it further).
///
/// Accounts:
/// 0. `[signer, writable]` from: pays, and becomes the IDL authority; must be the program's
///    upgrade authority (see the module docs).
/// 1. `[writable]` to: the IDL address, still uninitialised.
/// 2. `[]` base: the program's PDA of no seeds (signs the creation).
/// 3. `[]` system_program.
/// 4. `[]` program: this program's own account.
/// 5. `[]` program_data: this program's ProgramData (loader v3), as for `initialize`.
fn create(program_id: &Address, accounts: &mut [AccountView], data_len: u64) -> ProgramResult {
    let [from, to, base, system_program, program, program_data, ..] = accounts else {
        return Err(KitError::NotEnoughAccounts.into());
    };
    checks::payer(from)?;
    checks::writable(to)?;
    checks::system_program(system_program)?;
    let bump = checks::canonical_pda(base, &[], program_id)?;
    if program_id.as_ref()[11..] == PDA_MARKER[..] {
        return Err(KitError::InvalidPda.into());
    }
    if !address_eq(
        to.address(),
        &create_with_seed(base.address(), IDL_SEED, program_id),
    ) {
        return Err(KitError::InvalidPda.into());
    }
    checks::uninitialized(to)?;
    deployer::check_initializer(program, program_data, program_id, from.address())?;
    let space = (HEADER_LEN as u64)
        .checked_add(data_len)
        .ok_or(ProgramError::from(KitError::ArithmeticOverflow))?
        .min(MAX_CREATE_SPACE as u64);
    let minimum = Rent::get()?.minimum_balance(space as usize)?;
    let bump = [bump];
    let seeds = [Seed::from(&bump)];
    let signers = [Signer::from(&seeds)];
    // Transfer, allocate and assign rather than `CreateAccountWithSeed`: one path (and less code)
    // whether or not someone sent lamports to the address first, which would make
    // `CreateAccountWithSeed` fail.
    let shortfall = minimum.saturating_sub(to.lamports());
    if shortfall > 0 {
        Transfer {
            from,
            to,
            lamports: shortfall,
        }
        .invoke()?;
    }
    AllocateWithSeed {
        account: to,
        base,
        seed: IDL_SEED,
        space,
        owner: program_id,
    }
    .invoke_signed(&signers)?;
    AssignWithSeed {
        account: to,
        base,
        seed: IDL_SEED,
        owner: program_id,
    }
    .invoke_signed(&signers)?;
    let mut data = to.try_borrow_mut()?;
    data[..8].copy_from_slice(&IDL_ACCOUNT_DISCRIMINATOR);
    data[AUTHORITY_AT..DATA_LEN_AT].copy_from_slice(from.address().as_ref());
    data[DATA_LEN_AT..HEADER_LEN].copy_from_slice(&0u32.to_le_bytes());
    Ok(())
}

/// `CreateBuffer`: claims a buffer for a later `SetBuffer`.
///
/// Accounts:
/// 0. `[writable]` buffer: created by the client (System `CreateAccount`) in the same transaction,
///    owned by this program, rent exempt, at least 44 bytes, all zero.
/// 1. `[signer]` authority: becomes the buffer's authority.
fn create_buffer(program_id: &Address, accounts: &mut [AccountView]) -> ProgramResult {
    let [buffer, authority, ..] = accounts else {
        return Err(KitError::NotEnoughAccounts.into());
    };
    checks::owned_by(buffer, program_id)?;
    checks::writable(buffer)?;
    checks::signer(authority)?;
    if address_eq(authority.address(), &ERASED_AUTHORITY) {
        return Err(KitError::NotIdlAuthority.into());
    }
    if buffer.lamports() < Rent::get()?.minimum_balance(buffer.data_len())? {
        return Err(KitError::InvalidAccountData.into());
    }
    let mut data = buffer.try_borrow_mut()?;
    if data.len() < HEADER_LEN || data[..HEADER_LEN].iter().any(|&b| b != 0) {
        return Err(KitError::AlreadyInitialized.into());
    }
    data[..8].copy_from_slice(&IDL_ACCOUNT_DISCRIMINATOR);
    data[AUTHORITY_AT..DATA_LEN_AT].copy_from_slice(authority.address().as_ref());
    Ok(())
}

/// `Write { data }`: appends `data` to an IDL account or buffer.
///
/// Accounts:
/// 0. `[writable]` idl: an IDL account or buffer of this program.
/// 1. `[signer]` authority: its authority.
fn write(program_id: &Address, accounts: &mut [AccountView], chunk: &[u8]) -> ProgramResult {
    let [idl, authority, ..] = accounts else {
        return Err(KitError::NotEnoughAccounts.into());
    };
    check_idl(program_id, idl, authority)?;
    let mut data = idl.try_borrow_mut()?;
    let previous = stored_len(&data);
    let added =
        u32::try_from(chunk.len()).map_err(|_| ProgramError::from(KitError::ArithmeticOverflow))?;
    let total = previous
        .checked_add(added)
        .ok_or(ProgramError::from(KitError::ArithmeticOverflow))?;
    let start = HEADER_LEN + previous as usize;
    let end = HEADER_LEN + total as usize;
    if end > data.len() {
        return Err(KitError::IdlAccountFull.into());
    }
    data[start..end].copy_from_slice(chunk);
    data[DATA_LEN_AT..HEADER_LEN].copy_from_slice(&total.to_le_bytes());
    Ok(())
}

/// `SetBuffer`: copies a buffer's IDL into the IDL account (`anchor idl upgrade`).
///
/// Accounts:
/// 0. `[writable]` buffer: a buffer (or IDL account) of this program with the IDL's authority.
/// 1. `[writable]` idl: the IDL account to update.
/// 2. `[signer]` authority: the IDL's authority.
fn set_buffer(program_id: &Address, accounts: &mut [AccountView]) -> ProgramResult {
    let [buffer, idl, authority, ..] = accounts else {
        return Err(KitError::NotEnoughAccounts.into());
    };
    if address_eq(buffer.address(), idl.address()) {
        return Err(KitError::InvalidAccountData.into());
    }
    check_idl(program_id, idl, authority)?;
    // The buffer's authority must be the IDL's, which signs.
    check_idl(program_id, buffer, authority)?;
    let source = buffer.try_borrow()?;
    let len = stored_len(&source) as usize;
    let mut target = idl.try_borrow_mut()?;
    if HEADER_LEN + len > target.len() {
        return Err(KitError::IdlAccountFull.into());
    }
    target[HEADER_LEN..HEADER_LEN + len].copy_from_slice(&source[HEADER_LEN..HEADER_LEN + len]);
    target[DATA_LEN_AT..HEADER_LEN].copy_from_slice(&(len as u32).to_le_bytes());
    Ok(())
}

/// `SetAuthority { new_authority }`: hands the IDL account (or a buffer) over; the zero address
/// freezes it.
///
/// Accounts:
/// 0. `[writable]` idl.
/// 1. `[signer]` authority: the current authority.
fn set_authority(
    program_id: &Address,
    accounts: &mut [AccountView],
    new_authority: &Address,
) -> ProgramResult {
    let [idl, authority, ..] = accounts else {
        return Err(KitError::NotEnoughAccounts.into());
    };
    check_idl(program_id, idl, authority)?;
    let mut data = idl.try_borrow_mut()?;
    data[AUTHORITY_AT..DATA_LEN_AT].copy_from_slice(new_authority.as_ref());
    Ok(())
}

/// `Close`: closes an IDL account or buffer, its lamports to `sol_destination`.
///
/// Accounts:
/// 0. `[writable]` account: the IDL account or buffer.
/// 1. `[signer]` authority: its authority.
/// 2. `[writable]` sol_destination: receives the lamports (not the closed account itself).
fn close(program_id: &Address, accounts: &mut [AccountView]) -> ProgramResult {
    let [account, authority, destination, ..] = accounts else {
        return Err(KitError::NotEnoughAccounts.into());
    };
    check_idl(program_id, account, authority)?;
    checks::writable(destination)?;
    if address_eq(account.address(), destination.address()) {
        return Err(KitError::InvalidAccountData.into());
    }
    let lamports = destination
        .lamports()
        .checked_add(account.lamports())
        .ok_or(ProgramError::from(KitError::ArithmeticOverflow))?;
    destination.set_lamports(lamports);
    account.set_lamports(0);
    account.close()
}

/// `Resize { data_len }`: grows the IDL account toward `data_len` bytes of account space, by at
/// most 10,240 bytes per instruction (call again until it is reached); the authority pays the rent.
///
/// Accounts:
/// 0. `[writable]` idl.
/// 1. `[signer, writable]` authority: the IDL's authority, pays.
/// 2. `[]` system_program.
fn resize(program_id: &Address, accounts: &mut [AccountView], data_len: u64) -> ProgramResult {
    let [idl, authority, system_program, ..] = accounts else {
        return Err(KitError::NotEnoughAccounts.into());
    };
    check_idl(program_id, idl, authority)?;
    checks::writable(authority)?;
    checks::system_program(system_program)?;
    let current = idl.data_len();
    let target =
        usize::try_from(data_len).map_err(|_| ProgramError::from(KitError::ArithmeticOverflow))?;
    let growth = target
        .checked_sub(current)
        .ok_or(ProgramError::from(KitError::InvalidInstructionData))?
        .min(MAX_PERMITTED_DATA_INCREASE);
    if growth == 0 {
        return Ok(());
    }
    let new_len = current + growth;
    let needed = Rent::get()?.minimum_balance(new_len)?;
    let paid = needed.saturating_sub(idl.lamports());
    if paid > 0 {
        Transfer {
            from: authority,
            to: idl,
            lamports: paid,
        }
        .invoke()?;
    }
    // SAFETY: no borrow of the IDL's data is alive, the growth is at most
    // MAX_PERMITTED_DATA_INCREASE and this is the instruction's only resize of the account.
    unsafe { idl.resize(new_len) };
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_and_discriminator_are_anchors() {
        assert_eq!(IDL_IX_TAG, 0x0a69_e9a7_78bc_f440);
        assert_eq!(
            IDL_ACCOUNT_DISCRIMINATOR,
            [24, 70, 98, 191, 58, 144, 123, 158]
        );
    }

    #[test]
    fn arguments_are_exact() {
        assert_eq!(u64_arg(&7u64.to_le_bytes()), Ok(7));
        assert!(u64_arg(&[0; 7]).is_err());
        assert_eq!(vec_arg(&[2, 0, 0, 0, 9, 8]), Ok(&[9u8, 8][..]));
        assert!(vec_arg(&[3, 0, 0, 0, 9, 8]).is_err());
        assert!(vec_arg(&[1, 0, 0, 0, 9, 8]).is_err());
        assert!(vec_arg(&[1, 0]).is_err());
    }
}

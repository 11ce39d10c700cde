//! Proposals that govern the upgrade authority of SolGrid's own programs: an instruction of the
//! upgradeable BPF loader (`BPFLoaderUpgradeab1e11111111111111111111111`), and only
//!
//! - `Upgrade` (tag 3): accounts `[w] ProgramData, [w] Program, [w] Buffer, [w] spill, [] Rent
//!   sysvar, [] Clock sysvar, [s] authority`;
//! - `SetAuthority` (tag 4): `[w] ProgramData, [s] authority, [] new authority` (without the new
//!   authority the program becomes immutable);
//! - `SetAuthorityChecked` (tag 7): `[w] ProgramData, [s] authority, [s] new authority` (the new
//!   authority signs the executing transaction);
//!
//! where the ProgramData is the ProgramData of one of SolGrid's programs and the authority is the
//! governance authority (the PDA that signs an executed proposal). The loader accepts exactly these
//! three (and `Close`, which is not allowed here) through a CPI. A buffer's authority, closing or
//! extending a program, or any other program's ProgramData are refused.
//!
//! An `Upgrade` installs whatever its buffer holds when it executes, so the buffer is pinned at
//! `propose`: it must be a loader Buffer whose authority is already the governance authority (from then
//! on only an executed proposal could write, close or re-authorize it, and this rule lets no proposal
//! do so), and a [`BufferPin`] (length and SHA-256 of the program bytes after the buffer's header) is
//! stored with the proposal; `execute` recomputes it and refuses a buffer that differs
//! ([`check_buffer_unchanged`]). The pin closes the one gap left: once an `Upgrade` consumed a buffer
//! (the loader closes it), whoever holds the buffer's keypair can recreate an account at that address
//! with other code and hand it to governance, which another pending `Upgrade` naming it would install.
//!
//! Which program a ProgramData belongs to is a PDA derivation (`[program]` under the loader) that the
//! program does: [`check_loader_proposal`] asks it through `program_data_of`.

use crate::{key_eq, Key};

/// The upgradeable BPF loader (loader v3): `BPFLoaderUpgradeab1e11111111111111111111111`.
pub const LOADER_V3: Key = [
    2, 168, 246, 145, 78, 136, 161, 176, 226, 16, 21, 62, 247, 99, 174, 43, 0, 194, 185, 61, 22,
    193, 36, 210, 192, 83, 122, 16, 4, 128, 0, 0,
];

/// A proposed account's flag: writable (as the governance program stores them).
pub const WRITABLE: u8 = 1;
/// A proposed account's flag: signer.
pub const SIGNER: u8 = 2;

/// A refused loader proposal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpgradeError {
    /// The data is not exactly one of `Upgrade`, `SetAuthority`, `SetAuthorityChecked` (a 4-byte
    /// little-endian tag with no argument).
    InstructionNotAllowed,
    /// The accounts do not have the instruction's shape: their number, or (`Upgrade`) the program
    /// that is not the one whose ProgramData is upgraded, or a new authority that is not marked as
    /// signing (`SetAuthorityChecked`) or is (`SetAuthority`).
    InvalidAccounts,
    /// The account where the instruction takes the ProgramData is not the ProgramData of one of
    /// SolGrid's programs.
    NotSolGridProgramData,
    /// The current authority is not the governance authority, marked as signing.
    AuthorityNotGovernance,
    /// An account other than the authority (and `SetAuthorityChecked`'s new authority) is marked
    /// as signing.
    UnexpectedSigner,
    /// An `Upgrade`'s buffer is not a Buffer of the upgradeable loader (another owner, another state,
    /// too short, or a program larger than a [`BufferPin`] records).
    InvalidBuffer,
    /// An `Upgrade`'s buffer's authority is not the governance authority (its holder could still
    /// write it after the approvals).
    BufferAuthorityNotGovernance,
    /// The buffer's program bytes differ from those pinned when the proposal was made.
    BufferChanged,
}

/// A loader account's state tag for a Buffer (bincode `u32` LE).
pub const BUFFER_TAG: u32 = 1;
/// Bytes of a Buffer's header: the state tag (`u32`) and `Option<Pubkey>` authority (1 + 32).
pub const BUFFER_HEADER_LEN: usize = 37;

/// The program bytes of a Buffer account owned by `owner` with `data`, whose authority is
/// `governance`: everything after its header (what `Upgrade` copies into the ProgramData).
pub fn buffer_program<'a>(
    owner: &[u8],
    data: &'a [u8],
    governance: &[u8],
) -> Result<&'a [u8], UpgradeError> {
    if !key_eq(owner, &LOADER_V3) || data.len() < BUFFER_HEADER_LEN {
        return Err(UpgradeError::InvalidBuffer);
    }
    if data[..4] != BUFFER_TAG.to_le_bytes() {
        return Err(UpgradeError::InvalidBuffer);
    }
    if data[4] != 1 || !key_eq(&data[5..BUFFER_HEADER_LEN], governance) {
        return Err(UpgradeError::BufferAuthorityNotGovernance);
    }
    Ok(&data[BUFFER_HEADER_LEN..])
}

/// What an `Upgrade` proposal approved of its buffer: the length and SHA-256 of its program bytes
/// (for a buffer written with `solana program write-buffer`, the ELF file's length and `sha256sum`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BufferPin {
    pub len: u32,
    pub sha256: Key,
}

impl BufferPin {
    /// Bytes of [`Self::to_bytes`]: `len` (`u32` LE) then the digest.
    pub const LEN: usize = 36;

    /// The pin of `program` (a buffer's program bytes); `sha256` hashes them.
    pub fn of(program: &[u8], sha256: impl FnOnce(&[u8]) -> Key) -> Result<Self, UpgradeError> {
        let len = u32::try_from(program.len()).map_err(|_| UpgradeError::InvalidBuffer)?;
        Ok(Self {
            len,
            sha256: sha256(program),
        })
    }

    pub fn to_bytes(&self) -> [u8; Self::LEN] {
        let mut bytes = [0u8; Self::LEN];
        bytes[..4].copy_from_slice(&self.len.to_le_bytes());
        bytes[4..].copy_from_slice(&self.sha256);
        bytes
    }

    /// The pin stored in `bytes` (its first [`Self::LEN`]); `None` when they are too few.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let bytes = bytes.get(..Self::LEN)?;
        let mut sha256 = [0u8; 32];
        sha256.copy_from_slice(&bytes[4..]);
        Some(Self {
            len: u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]),
            sha256,
        })
    }
}

/// `execute`'s check: the buffer (owner, data) is still a governance-held Buffer whose program bytes
/// are those `pinned` at `propose`. The length is compared first, so a buffer of another size is
/// refused without hashing it.
pub fn check_buffer_unchanged(
    pinned: &BufferPin,
    owner: &[u8],
    data: &[u8],
    governance: &[u8],
    sha256: impl FnOnce(&[u8]) -> Key,
) -> Result<(), UpgradeError> {
    let program = buffer_program(owner, data, governance)?;
    if program.len() != pinned.len as usize {
        return Err(UpgradeError::BufferChanged);
    }
    if BufferPin::of(program, sha256)? != *pinned {
        return Err(UpgradeError::BufferChanged);
    }
    Ok(())
}

/// The loader instructions a proposal may carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoaderInstruction {
    /// Replace a program's code with a buffer's.
    Upgrade = 3,
    /// Set (or, with no new authority, remove) a program's upgrade authority.
    SetAuthority = 4,
    /// Set a program's upgrade authority; the new authority signs too.
    SetAuthorityChecked = 7,
}

impl LoaderInstruction {
    /// The instruction encoded by `data` (bincode: a `u32` little-endian tag; these three have no
    /// argument), if it is one of the three.
    pub fn parse(data: &[u8]) -> Result<Self, UpgradeError> {
        match data {
            [3, 0, 0, 0] => Ok(Self::Upgrade),
            [4, 0, 0, 0] => Ok(Self::SetAuthority),
            [7, 0, 0, 0] => Ok(Self::SetAuthorityChecked),
            _ => Err(UpgradeError::InstructionNotAllowed),
        }
    }

    /// The instruction's data.
    pub const fn data(self) -> [u8; 4] {
        [self as u8, 0, 0, 0]
    }

    /// Index of the ProgramData among the accounts.
    pub const fn program_data_index(self) -> usize {
        0
    }

    /// Index of the Program account (`Upgrade` only).
    pub const fn program_index(self) -> Option<usize> {
        match self {
            Self::Upgrade => Some(1),
            Self::SetAuthority | Self::SetAuthorityChecked => None,
        }
    }

    /// Index of the buffer (`Upgrade` only).
    pub const fn buffer_index(self) -> Option<usize> {
        match self {
            Self::Upgrade => Some(2),
            Self::SetAuthority | Self::SetAuthorityChecked => None,
        }
    }

    /// Index of the current upgrade authority (the signer).
    pub const fn authority_index(self) -> usize {
        match self {
            Self::Upgrade => 6,
            Self::SetAuthority | Self::SetAuthorityChecked => 1,
        }
    }

    /// Index of the new authority (`SetAuthority`, when present; `SetAuthorityChecked`).
    pub const fn new_authority_index(self) -> Option<usize> {
        match self {
            Self::Upgrade => None,
            Self::SetAuthority | Self::SetAuthorityChecked => Some(2),
        }
    }

    /// Whether `count` accounts fit the instruction.
    pub const fn accepts_account_count(self, count: usize) -> bool {
        match self {
            Self::Upgrade => count == 7,
            Self::SetAuthority => count == 2 || count == 3,
            Self::SetAuthorityChecked => count == 3,
        }
    }
}

/// One account of a proposed instruction: its address and flags ([`WRITABLE`] | [`SIGNER`]).
pub trait ProposedAccount {
    fn address(&self) -> &[u8];
    fn flags(&self) -> u8;
}

/// Checks a proposal for the loader: `data` is one of the three instructions, `accounts` have its
/// shape, the authority is `governance` (signing), no other account signs but
/// `SetAuthorityChecked`'s new authority, and the ProgramData is the one of a program in
/// `programs` (`program_data_of(program)` derives it; it is asked about the programs in order
/// and no further once one matches, and for `Upgrade` only about the proposed Program account).
/// Returns the instruction.
pub fn check_loader_proposal<A, K, F>(
    data: &[u8],
    accounts: &[A],
    governance: &[u8],
    programs: &[K],
    mut program_data_of: F,
) -> Result<LoaderInstruction, UpgradeError>
where
    A: ProposedAccount,
    K: AsRef<[u8]>,
    F: FnMut(&[u8]) -> Option<Key>,
{
    let instruction = LoaderInstruction::parse(data)?;
    if !instruction.accepts_account_count(accounts.len()) {
        return Err(UpgradeError::InvalidAccounts);
    }
    let authority = &accounts[instruction.authority_index()];
    if authority.flags() & SIGNER == 0 || !key_eq(authority.address(), governance) {
        return Err(UpgradeError::AuthorityNotGovernance);
    }
    let new_authority = instruction.new_authority_index();
    for (i, account) in accounts.iter().enumerate() {
        let signs = account.flags() & SIGNER != 0;
        if i == instruction.authority_index() {
            continue;
        }
        if Some(i) == new_authority {
            let must_sign = instruction == LoaderInstruction::SetAuthorityChecked;
            if signs != must_sign {
                return Err(UpgradeError::InvalidAccounts);
            }
        } else if signs {
            return Err(UpgradeError::UnexpectedSigner);
        }
    }
    let program_data = accounts[instruction.program_data_index()].address();
    let matches = |program: &[u8], program_data_of: &mut F| {
        program_data_of(program).is_some_and(|derived| key_eq(&derived, program_data))
    };
    match instruction.program_index() {
        Some(index) => {
            let program = accounts[index].address();
            if !crate::contains(programs, program) {
                return Err(UpgradeError::InvalidAccounts);
            }
            if !matches(program, &mut program_data_of) {
                return Err(UpgradeError::NotSolGridProgramData);
            }
        }
        None => {
            if !programs
                .iter()
                .any(|program| matches(program.as_ref(), &mut program_data_of))
            {
                return Err(UpgradeError::NotSolGridProgramData);
            }
        }
    }
    Ok(instruction)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    struct Meta(Key, u8);

    impl ProposedAccount for Meta {
        fn address(&self) -> &[u8] {
            &self.0
        }
        fn flags(&self) -> u8 {
            self.1
        }
    }

    const GOV: Key = [9; 32];
    const PROGRAMS: [Key; 4] = [[1; 32], [2; 32], [3; 32], [4; 32]];
    const OTHER_PROGRAM: Key = [5; 32];

    /// A stand-in derivation: program `[n; 32]`'s ProgramData is `[n + 100; 32]`.
    fn program_data(program: &[u8]) -> Option<Key> {
        Some([program[0] + 100; 32])
    }

    fn check(data: &[u8], accounts: &[Meta]) -> Result<LoaderInstruction, UpgradeError> {
        check_loader_proposal(data, accounts, &GOV, &PROGRAMS, program_data)
    }

    fn set_authority(program: u8, new: Option<(Key, u8)>) -> Vec<Meta> {
        let mut metas = std::vec![Meta([program + 100; 32], WRITABLE), Meta(GOV, SIGNER)];
        if let Some((key, flags)) = new {
            metas.push(Meta(key, flags));
        }
        metas
    }

    fn upgrade(program: u8) -> Vec<Meta> {
        std::vec![
            Meta([program + 100; 32], WRITABLE),
            Meta([program; 32], WRITABLE),
            Meta([42; 32], WRITABLE),
            Meta([43; 32], WRITABLE),
            Meta([44; 32], 0),
            Meta([45; 32], 0),
            Meta(GOV, SIGNER),
        ]
    }

    #[test]
    fn parses_only_the_three_instructions() {
        assert_eq!(
            LoaderInstruction::parse(&[3, 0, 0, 0]),
            Ok(LoaderInstruction::Upgrade)
        );
        assert_eq!(
            LoaderInstruction::parse(&[4, 0, 0, 0]),
            Ok(LoaderInstruction::SetAuthority)
        );
        assert_eq!(
            LoaderInstruction::parse(&[7, 0, 0, 0]),
            Ok(LoaderInstruction::SetAuthorityChecked)
        );
        for instruction in [
            LoaderInstruction::Upgrade,
            LoaderInstruction::SetAuthority,
            LoaderInstruction::SetAuthorityChecked,
        ] {
            assert_eq!(
                LoaderInstruction::parse(&instruction.data()),
                Ok(instruction)
            );
        }
        // InitializeBuffer, Write, DeployWithMaxDataLen, Close, ExtendProgram, Migrate,
        // ExtendProgramChecked and unknown tags.
        for tag in [0u8, 1, 2, 5, 6, 8, 9, 10, 255] {
            assert_eq!(
                LoaderInstruction::parse(&[tag, 0, 0, 0]),
                Err(UpgradeError::InstructionNotAllowed),
                "tag {tag}"
            );
        }
        // A tag in a higher byte, short data, trailing bytes (ExtendProgram's u32 argument).
        for data in [
            &[3u8, 0, 0, 1][..],
            &[3, 0, 0],
            &[],
            &[4, 0, 0, 0, 0],
            &[6, 0, 0, 0, 16, 0, 0, 0],
        ] {
            assert_eq!(
                LoaderInstruction::parse(data),
                Err(UpgradeError::InstructionNotAllowed)
            );
        }
    }

    #[test]
    fn accepts_each_solgrid_programs_authority() {
        for program in 1..=4u8 {
            let new = Some(([77; 32], 0));
            assert_eq!(
                check(&[4, 0, 0, 0], &set_authority(program, new)),
                Ok(LoaderInstruction::SetAuthority)
            );
            assert_eq!(
                check(&[4, 0, 0, 0], &set_authority(program, None)),
                Ok(LoaderInstruction::SetAuthority)
            );
            assert_eq!(
                check(
                    &[7, 0, 0, 0],
                    &set_authority(program, Some(([77; 32], SIGNER)))
                ),
                Ok(LoaderInstruction::SetAuthorityChecked)
            );
            assert_eq!(
                check(&[3, 0, 0, 0], &upgrade(program)),
                Ok(LoaderInstruction::Upgrade)
            );
        }
    }

    #[test]
    fn refuses_other_instructions() {
        let metas = set_authority(1, Some(([77; 32], 0)));
        for data in [[5u8, 0, 0, 0], [6, 0, 0, 0], [0, 0, 0, 0], [1, 0, 0, 0]] {
            assert_eq!(
                check(&data, &metas),
                Err(UpgradeError::InstructionNotAllowed)
            );
        }
    }

    #[test]
    fn refuses_another_programs_program_data() {
        let mut metas = set_authority(1, Some(([77; 32], 0)));
        metas[0].0 = [OTHER_PROGRAM[0] + 100; 32];
        assert_eq!(
            check(&[4, 0, 0, 0], &metas),
            Err(UpgradeError::NotSolGridProgramData)
        );
        // A SolGrid program's own account (not its ProgramData), or a buffer-like address.
        metas[0].0 = PROGRAMS[0];
        assert_eq!(
            check(&[4, 0, 0, 0], &metas),
            Err(UpgradeError::NotSolGridProgramData)
        );
        // Upgrade: a foreign program with its own ProgramData; a SolGrid program with another's.
        let mut foreign = upgrade(1);
        foreign[0].0 = [OTHER_PROGRAM[0] + 100; 32];
        foreign[1].0 = OTHER_PROGRAM;
        assert_eq!(
            check(&[3, 0, 0, 0], &foreign),
            Err(UpgradeError::InvalidAccounts)
        );
        let mut crossed = upgrade(1);
        crossed[0].0 = [102; 32];
        assert_eq!(
            check(&[3, 0, 0, 0], &crossed),
            Err(UpgradeError::NotSolGridProgramData)
        );
    }

    #[test]
    fn refuses_the_program_data_at_another_index() {
        // ProgramData and authority swapped: the authority role holds no governance signer.
        let metas = std::vec![
            Meta(GOV, SIGNER),
            Meta([101; 32], WRITABLE),
            Meta([77; 32], 0)
        ];
        assert_eq!(
            check(&[4, 0, 0, 0], &metas),
            Err(UpgradeError::AuthorityNotGovernance)
        );
        // The ProgramData after the new authority.
        let metas = std::vec![
            Meta([77; 32], 0),
            Meta(GOV, SIGNER),
            Meta([101; 32], WRITABLE)
        ];
        assert_eq!(
            check(&[4, 0, 0, 0], &metas),
            Err(UpgradeError::NotSolGridProgramData)
        );
        // Upgrade with the program and its ProgramData swapped.
        let mut swapped = upgrade(1);
        swapped.swap(0, 1);
        assert_eq!(
            check(&[3, 0, 0, 0], &swapped),
            Err(UpgradeError::InvalidAccounts)
        );
    }

    #[test]
    fn the_authority_is_the_signing_governance() {
        let mut metas = set_authority(1, Some(([77; 32], 0)));
        metas[1].1 = 0;
        assert_eq!(
            check(&[4, 0, 0, 0], &metas),
            Err(UpgradeError::AuthorityNotGovernance)
        );
        metas[1] = Meta([8; 32], SIGNER);
        assert_eq!(
            check(&[4, 0, 0, 0], &metas),
            Err(UpgradeError::AuthorityNotGovernance)
        );
        let mut up = upgrade(2);
        up[6].1 = WRITABLE;
        assert_eq!(
            check(&[3, 0, 0, 0], &up),
            Err(UpgradeError::AuthorityNotGovernance)
        );
    }

    #[test]
    fn signers_and_counts() {
        // SetAuthority's new authority does not sign; SetAuthorityChecked's does.
        let signing = set_authority(1, Some(([77; 32], SIGNER)));
        assert_eq!(
            check(&[4, 0, 0, 0], &signing),
            Err(UpgradeError::InvalidAccounts)
        );
        let silent = set_authority(1, Some(([77; 32], 0)));
        assert_eq!(
            check(&[7, 0, 0, 0], &silent),
            Err(UpgradeError::InvalidAccounts)
        );
        assert_eq!(
            check(&[7, 0, 0, 0], &set_authority(1, None)),
            Err(UpgradeError::InvalidAccounts)
        );
        // A stray signer in an Upgrade (the spill account).
        let mut up = upgrade(1);
        up[3].1 = WRITABLE | SIGNER;
        assert_eq!(
            check(&[3, 0, 0, 0], &up),
            Err(UpgradeError::UnexpectedSigner)
        );
        let mut stray = set_authority(1, None);
        stray[0].1 = WRITABLE | SIGNER;
        assert_eq!(
            check(&[4, 0, 0, 0], &stray),
            Err(UpgradeError::UnexpectedSigner)
        );
        // Counts.
        let mut long = set_authority(1, Some(([77; 32], 0)));
        long.push(Meta([78; 32], 0));
        assert_eq!(
            check(&[4, 0, 0, 0], &long),
            Err(UpgradeError::InvalidAccounts)
        );
        assert_eq!(
            check(&[4, 0, 0, 0], &[Meta([101; 32], WRITABLE)]),
            Err(UpgradeError::InvalidAccounts)
        );
        let mut short = upgrade(1);
        short.pop();
        assert_eq!(
            check(&[3, 0, 0, 0], &short),
            Err(UpgradeError::InvalidAccounts)
        );
        assert_eq!(
            check(&[3, 0, 0, 0], &[]),
            Err(UpgradeError::InvalidAccounts)
        );
    }

    /// A stand-in digest: the length and the first and last bytes (enough to tell the tests apart).
    fn digest(bytes: &[u8]) -> Key {
        let mut key = [0u8; 32];
        key[..8].copy_from_slice(&(bytes.len() as u64).to_le_bytes());
        key[8] = bytes.first().copied().unwrap_or(0);
        key[9] = bytes.last().copied().unwrap_or(0);
        key
    }

    fn buffer(authority: Option<Key>, program: &[u8]) -> Vec<u8> {
        let mut data = std::vec![1u8, 0, 0, 0];
        match authority {
            Some(key) => {
                data.push(1);
                data.extend_from_slice(&key);
            }
            None => data.extend_from_slice(&[0u8; 33]),
        }
        data.extend_from_slice(program);
        data
    }

    #[test]
    fn the_buffer_is_a_governance_held_loader_buffer() {
        let data = buffer(Some(GOV), b"\x7fELF code");
        assert_eq!(
            buffer_program(&LOADER_V3, &data, &GOV),
            Ok(&b"\x7fELF code"[..])
        );
        // Another owner, another state (ProgramData = 3, Uninitialized = 0), too short.
        assert_eq!(
            buffer_program(&[7; 32], &data, &GOV),
            Err(UpgradeError::InvalidBuffer)
        );
        for tag in [0u8, 2, 3] {
            let mut other = data.clone();
            other[0] = tag;
            assert_eq!(
                buffer_program(&LOADER_V3, &other, &GOV),
                Err(UpgradeError::InvalidBuffer)
            );
        }
        assert_eq!(
            buffer_program(&LOADER_V3, &data[..36], &GOV),
            Err(UpgradeError::InvalidBuffer)
        );
        // The proposer's own authority, or none (an immutable buffer).
        assert_eq!(
            buffer_program(&LOADER_V3, &buffer(Some([8; 32]), b"x"), &GOV),
            Err(UpgradeError::BufferAuthorityNotGovernance)
        );
        assert_eq!(
            buffer_program(&LOADER_V3, &buffer(None, b"x"), &GOV),
            Err(UpgradeError::BufferAuthorityNotGovernance)
        );
        assert_eq!(LoaderInstruction::Upgrade.buffer_index(), Some(2));
        assert_eq!(LoaderInstruction::SetAuthority.buffer_index(), None);
    }

    #[test]
    fn the_pin_round_trips_and_catches_a_changed_buffer() {
        let program = b"\x7fELF approved code";
        let pin = BufferPin::of(program, digest).unwrap();
        assert_eq!(pin.len, program.len() as u32);
        assert_eq!(BufferPin::from_bytes(&pin.to_bytes()), Some(pin));
        assert_eq!(BufferPin::from_bytes(&pin.to_bytes()[..35]), None);
        let same = buffer(Some(GOV), program);
        assert_eq!(
            check_buffer_unchanged(&pin, &LOADER_V3, &same, &GOV, digest),
            Ok(())
        );
        // One byte rewritten, same length.
        let mut rewritten = same.clone();
        *rewritten.last_mut().unwrap() ^= 1;
        assert_eq!(
            check_buffer_unchanged(&pin, &LOADER_V3, &rewritten, &GOV, digest),
            Err(UpgradeError::BufferChanged)
        );
        // Recreated longer or shorter: refused before hashing.
        let longer = buffer(Some(GOV), b"\x7fELF approved code and more");
        let refuse = |_: &[u8]| -> Key { panic!("hashed a buffer of another length") };
        assert_eq!(
            check_buffer_unchanged(&pin, &LOADER_V3, &longer, &GOV, refuse),
            Err(UpgradeError::BufferChanged)
        );
        // Closed (the system program owns an empty account) or handed to another authority.
        assert_eq!(
            check_buffer_unchanged(&pin, &[0; 32], &[], &GOV, digest),
            Err(UpgradeError::InvalidBuffer)
        );
        assert_eq!(
            check_buffer_unchanged(
                &pin,
                &LOADER_V3,
                &buffer(Some([8; 32]), program),
                &GOV,
                digest
            ),
            Err(UpgradeError::BufferAuthorityNotGovernance)
        );
    }

    #[test]
    fn derives_no_more_than_needed() {
        let mut asked = Vec::new();
        let metas = set_authority(2, None);
        let result = check_loader_proposal(&[4, 0, 0, 0], &metas, &GOV, &PROGRAMS, |p: &[u8]| {
            asked.push(p[0]);
            program_data(p)
        });
        assert_eq!(result, Ok(LoaderInstruction::SetAuthority));
        assert_eq!(asked, [1, 2]);
        asked.clear();
        let result =
            check_loader_proposal(&[3, 0, 0, 0], &upgrade(4), &GOV, &PROGRAMS, |p: &[u8]| {
                asked.push(p[0]);
                program_data(p)
            });
        assert_eq!(result, Ok(LoaderInstruction::Upgrade));
        assert_eq!(asked, [4]);
        // A derivation that fails (no off-curve address) matches nothing.
        let result = check_loader_proposal(&[4, 0, 0, 0], &metas, &GOV, &PROGRAMS, |_: &[u8]| None);
        assert_eq!(result, Err(UpgradeError::NotSolGridProgramData));
    }
}

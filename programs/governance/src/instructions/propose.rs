//! `propose(target_program: pubkey, timelock_secs: u32, lifetime_secs: u32, title: string,
//! accounts: Vec<ProposalAccount>, data: bytes, bump: u8)`: a current regulator proposes one
//! instruction of a SolGrid program, to be executed by CPI signed by the governance PDA.
//!
//! Accounts:
//! 0. `[signer, writable]` proposer: a current registry regulator; funds the Proposal account.
//! 1. `[writable]` config: `proposal_count` is the new proposal's id, then incremented.
//! 2. `[]` registry_config: the registry's Config (regulators).
//! 3. `[writable]` proposal: PDA `["proposal", id LE]` with `bump`, which must be the canonical one
//!    (`find_program_address`'s; `checks::canonical_bump`, `InvalidPda` otherwise), created here.
//! 4. `[]` system_program.
//! 5. `[]` buffer: only for an `Upgrade` of the upgradeable loader, the proposed buffer (the
//!    instruction's third account; `AccountMismatch` otherwise, `InvalidUpgradeBuffer` when missing).
//!    It must be a loader Buffer (`InvalidUpgradeBuffer`) whose authority is already the governance
//!    PDA (`BufferAuthorityNotGovernance`): its holder can no longer rewrite it. The length and
//!    SHA-256 of its program bytes are stored after the instruction's 4 data bytes, and `execute`
//!    refuses a buffer that no longer matches them (`BufferChanged`).
//!
//! The target must be the registry, trading, energy_token or this program (`TargetNotSolGrid`), or
//! the upgradeable BPF loader for the upgrade authority of one of these four (`Upgrade`,
//! `SetAuthority`, `SetAuthorityChecked` of their ProgramData only: see `upgrade_authority`);
//! `min_timelock_secs <= timelock_secs < lifetime_secs <= max_lifetime_secs`; at most 24 accounts
//! (flags 1 writable | 2 signer; a signer must be the governance PDA) and 768 bytes of data; a title
//! of at most 64 bytes of UTF-8. The proposer's approval is not implied: they approve like anyone else (in
//! the same transaction if they wish). Emits `ProposalCreated`.

use pinocchio::{address::address_eq, cpi::Seed, AccountView, Address, ProgramResult};
use solgrid_governance_core::{
    proposal::{check_new, check_target, Status},
    upgrade::BufferPin,
};
use solgrid_program_kit::{
    account::{self, AccountLayout},
    checks, clock, create, discriminator,
    event::emit,
    pod::{PodI64, PodU16, PodU32, PodU64},
    rent::Rent,
    KitError,
};

use crate::{
    auth,
    errors::{self, GovernanceError},
    events::ProposalCreated,
    proposals,
    state::{
        Proposal, ProposalAccount, MAX_PROPOSAL_ACCOUNTS, MAX_PROPOSAL_DATA, META_SIGNER,
        META_WRITABLE, PROPOSAL_SEED, TEXT_LEN,
    },
    upgrade_authority,
    wire::Reader,
};

pub const DISCRIMINATOR: u64 = discriminator::as_u64(discriminator::instruction("propose"));
pub const ACCOUNTS_LEN: usize = 5;

/// The arguments, read in place.
pub struct ProposeArgs<'a> {
    pub target_program: &'a Address,
    pub timelock_secs: u32,
    pub lifetime_secs: u32,
    pub title: [u8; TEXT_LEN],
    pub accounts: &'a [ProposalAccount],
    pub data: &'a [u8],
    pub bump: u8,
}

impl<'a> ProposeArgs<'a> {
    pub fn parse(bytes: &'a [u8]) -> Result<Self, pinocchio::error::ProgramError> {
        let mut reader = Reader::new(bytes);
        let args = Self {
            target_program: reader.address()?,
            timelock_secs: reader.u32()?,
            lifetime_secs: reader.u32()?,
            title: reader.text()?,
            accounts: reader.vec(MAX_PROPOSAL_ACCOUNTS, GovernanceError::TooManyAccounts)?,
            data: reader.bytes(MAX_PROPOSAL_DATA, GovernanceError::DataTooLong)?,
            bump: reader.u8()?,
        };
        reader.finish()?;
        Ok(args)
    }
}

pub fn process(program_id: &Address, accounts: &mut [AccountView], args: &[u8]) -> ProgramResult {
    let args = ProposeArgs::parse(args)?;
    let [proposer, config, registry_config, proposal, system_program, extra @ ..] = accounts else {
        return Err(KitError::NotEnoughAccounts.into());
    };
    checks::payer(proposer)?;
    checks::system_program(system_program)?;
    let mut config = auth::config_mut(program_id, config)?;
    {
        let registry = auth::registry_config(&config, registry_config)?;
        proposals::regulators(&registry, &[])
            .check()
            .map_err(errors::proposal)?;
        auth::regulator(&registry, proposer)?;
    }
    check_target(
        args.target_program.as_ref(),
        &[
            config.registry_program,
            config.trading_program,
            config.energy_token_program,
            *program_id,
            upgrade_authority::LOADER,
        ],
    )
    .map_err(errors::proposal)?;
    let now = clock::unix_timestamp()?;
    let expires_at = check_new(
        now,
        args.timelock_secs,
        args.lifetime_secs,
        config.min_timelock_secs.get(),
        config.max_lifetime_secs.get(),
    )
    .map_err(errors::proposal)?;
    let mut buffer_pin = None;
    if upgrade_authority::is_loader(args.target_program) {
        let buffer = extra.first();
        buffer_pin = upgrade_authority::check_proposal(
            program_id,
            &config,
            args.accounts,
            args.data,
            buffer,
        )?;
    } else {
        check_metas(program_id, &config, args.accounts)?;
    }

    let id = config.proposal_count.get();
    let id_bytes = id.to_le_bytes();
    checks::writable(proposal)?;
    let bump = args.bump;
    checks::canonical_bump(proposal, &[PROPOSAL_SEED, &id_bytes], bump, program_id)?;
    checks::uninitialized(proposal)?;
    let bump_bytes = [bump];
    let seeds = [
        Seed::from(PROPOSAL_SEED),
        Seed::from(&id_bytes),
        Seed::from(&bump_bytes),
    ];
    create::create_pda_account(
        proposer,
        proposal,
        Proposal::LEN,
        program_id,
        &seeds,
        &Rent::get()?,
    )?;
    config
        .proposal_count
        .set(id.checked_add(1).ok_or(KitError::ArithmeticOverflow)?);
    drop(config);

    let proposal_address = *proposal.address();
    {
        let mut state = account::borrow_init::<Proposal>(proposal)?;
        state.id = PodU64::new(id);
        state.proposer = *proposer.address();
        state.title = args.title;
        state.target_program = *args.target_program;
        state.created_at = PodI64::new(now);
        state.expires_at = PodI64::new(expires_at);
        state.timelock_secs = PodU32::new(args.timelock_secs);
        state.status = Status::Open as u8;
        state.account_count = args.accounts.len() as u8;
        state.accounts[..args.accounts.len()].copy_from_slice(args.accounts);
        state.data_len = PodU16::new(args.data.len() as u16);
        state.data[..args.data.len()].copy_from_slice(args.data);
        if let Some(pin) = buffer_pin {
            let at = upgrade_authority::PIN_OFFSET;
            state.data[at..at + BufferPin::LEN].copy_from_slice(&pin.to_bytes());
        }
        state.bump = bump;
    }
    emit(ProposalCreated {
        proposal: proposal_address,
        id: PodU64::new(id),
        proposer: *proposer.address(),
        target_program: *args.target_program,
        title: args.title,
        created_at: PodI64::new(now),
        expires_at: PodI64::new(expires_at),
        timelock_secs: PodU32::new(args.timelock_secs),
        account_count: args.accounts.len() as u8,
        data_len: PodU16::new(args.data.len() as u16),
    });
    Ok(())
}

/// Each account's flags combine only writable and signer, and only the governance PDA signs (the
/// program can sign for no other account).
fn check_metas(
    program_id: &Address,
    config: &crate::state::Config,
    metas: &[ProposalAccount],
) -> ProgramResult {
    let mut governance: Option<Address> = None;
    for meta in metas {
        if meta.flags & !(META_WRITABLE | META_SIGNER) != 0 {
            return Err(GovernanceError::InvalidAccountFlags.into());
        }
        if meta.flags & META_SIGNER != 0 {
            let expected = match governance {
                Some(address) => address,
                None => *governance.insert(auth::governance_address(program_id, config)?),
            };
            if !address_eq(&meta.address, &expected) {
                return Err(GovernanceError::SignerNotGovernance.into());
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    fn encode(title: &[u8], accounts: usize, data: usize) -> Vec<u8> {
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&[9u8; 32]);
        bytes.extend_from_slice(&60u32.to_le_bytes());
        bytes.extend_from_slice(&600u32.to_le_bytes());
        bytes.extend_from_slice(&(title.len() as u32).to_le_bytes());
        bytes.extend_from_slice(title);
        bytes.extend_from_slice(&(accounts as u32).to_le_bytes());
        for i in 0..accounts {
            bytes.extend_from_slice(&[i as u8; 32]);
            bytes.push(META_WRITABLE);
        }
        bytes.extend_from_slice(&(data as u32).to_le_bytes());
        bytes.extend(core::iter::repeat_n(7u8, data));
        bytes.push(254);
        bytes
    }

    #[test]
    fn parses_the_borsh_arguments() {
        let bytes = encode(b"fee change", 2, 10);
        let args = ProposeArgs::parse(&bytes).unwrap();
        assert_eq!(args.target_program.as_ref(), &[9u8; 32]);
        assert_eq!((args.timelock_secs, args.lifetime_secs), (60, 600));
        assert_eq!(&args.title[..10], b"fee change");
        assert_eq!(args.accounts.len(), 2);
        assert_eq!(args.accounts[1].address.as_ref(), &[1u8; 32]);
        assert_eq!(args.data, &[7u8; 10]);
        assert_eq!(args.bump, 254);
        // Without the bump the arguments are too short.
        assert!(ProposeArgs::parse(&bytes[..bytes.len() - 1]).is_err());
    }

    #[test]
    fn bounds() {
        let ok = encode(&[b'a'; 64], 24, 768);
        assert!(ProposeArgs::parse(&ok).is_ok());
        let err = |bytes: Vec<u8>| ProposeArgs::parse(&bytes).err();
        assert_eq!(
            err(encode(&[b'a'; 65], 0, 0)),
            Some(GovernanceError::TextTooLong.into())
        );
        assert_eq!(
            err(encode(b"", 25, 0)),
            Some(GovernanceError::TooManyAccounts.into())
        );
        assert_eq!(
            err(encode(b"", 0, 769)),
            Some(GovernanceError::DataTooLong.into())
        );
        let mut trailing = encode(b"", 0, 0);
        trailing.push(0);
        assert_eq!(err(trailing), Some(KitError::InvalidInstructionData.into()));
        assert_eq!(
            err(encode(&[0xff, 0xfe], 0, 0)),
            Some(GovernanceError::InvalidText.into())
        );
    }
}

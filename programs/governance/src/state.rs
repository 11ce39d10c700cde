//! Governance accounts, zero-copy, in Anchor's layout (8-byte `account:<Name>` discriminator, then the
//! fields in borsh order with no padding), and the registry accounts this program trusts, as the
//! registry itself defines them (`solgrid_registry_layouts`; the registry's `tests/idl.rs` pins them
//! to `idl/registry.json`).
//!
//! Accounts of each type are only ever created at their canonical PDA (the creating instruction checks
//! the seeds, and that the bump is the canonical one: `checks::canonical_pda` or, where the client
//! passes the bump, `checks::canonical_bump`), so an account owned by this program with a given type's discriminator *is* that type's
//! PDA for the seeds it stores; instructions bind accounts by owner + discriminator instead of paying a
//! `sol_sha256` per PDA re-derivation. The registry's Config exists only at the registry's `["config"]`
//! PDA for the same reason, so an account owned by the configured registry program with the registry's
//! `account:Config` discriminator is that Config.

use pinocchio::Address;
use solgrid_program_kit::{
    account::AccountLayout,
    discriminator, impl_pod,
    pod::{PodI64, PodU16, PodU32, PodU64},
};

use crate::errors::GovernanceError;

/// The registry's accounts this program reads directly (no CPI): Config (regulators, threshold,
/// appointment versions, governance, market-wide pause flags), Zone (pause flags, emission factor)
/// and Meter (owner, user, source, certificate counters; `certify_meter` moves them). User is passed
/// on to `certify_meter`, which checks it.
pub use solgrid_registry_layouts::state::{
    Config as RegistryConfig, Meter as RegistryMeter, User as RegistryUser, Zone as RegistryZone,
};

/// Seeds of the Config PDA: `["config"]`.
pub const CONFIG_SEED: &[u8] = b"config";
/// Seeds of the governance authority PDA: `["governance"]`. It signs every executed proposal's CPI;
/// the registry and trading accept it for their privileged actions once the registry names this
/// program its governance (the registry derives it from this same constant).
pub const GOVERNANCE_SEED: &[u8] = solgrid_registry_layouts::state::GOVERNANCE_SEED;
/// Seeds of the certificates authority PDA: `["certificates"]`. It signs only the registry's
/// `certify_meter` CPI (the registry derives it from this same constant).
pub const CERTIFICATES_SEED: &[u8] = solgrid_registry_layouts::state::CERTIFICATES_SEED;
/// Seeds of a Proposal PDA: `["proposal", id as u64 LE]`.
pub const PROPOSAL_SEED: &[u8] = b"proposal";
/// Seeds of a Certificate PDA: `["certificate", meter, generation_start as i64 LE]` (requested) or
/// `["certificate", parent, split_index as u16 LE]` (a split's child).
pub const CERTIFICATE_SEED: &[u8] = b"certificate";

/// Most regulators the registry holds, hence most distinct votes of each kind a proposal records.
pub const MAX_REGULATORS: usize = solgrid_registry_layouts::state::MAX_REGULATORS;
/// Most accounts a proposal's instruction takes.
pub const MAX_PROPOSAL_ACCOUNTS: usize = 24;
/// Most bytes of a proposal's instruction data.
pub const MAX_PROPOSAL_DATA: usize = 768;
/// Bytes of the fixed text fields (proposal title, beneficiary name, purpose, revocation reason).
pub const TEXT_LEN: usize = 64;

/// Flags of a [`ProposalAccount`]: the account is writable in the proposed instruction.
pub const META_WRITABLE: u8 = 1;
/// Flags of a [`ProposalAccount`]: the account signs the proposed instruction (only the governance PDA
/// can: the program signs for it through `invoke_signed`).
pub const META_SIGNER: u8 = 2;

/// Bounds of the configurable durations (see [`ConfigParams::validate`]).
pub const MAX_TIMELOCK_SECS_LIMIT: u32 = 30 * 24 * 60 * 60;
pub const MAX_LIFETIME_SECS_LIMIT: u32 = 365 * 24 * 60 * 60;
pub const MAX_CERTIFICATE_VALIDITY_SECS_LIMIT: u32 = 10 * 365 * 24 * 60 * 60;

/// The durations governance sets (an argument of `initialize` and `update_config`).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct ConfigParams {
    /// Least timelock a proposal may ask for: seconds between its quorum and its execution (<= 30 days).
    pub min_timelock_secs: PodU32,
    /// Longest a proposal stays open: its deadline is at most this after its creation
    /// (> min_timelock_secs, <= 365 days).
    pub max_lifetime_secs: PodU32,
    /// A VALID certificate EXPIRES this long after its validation (1 s ..= 10 years).
    pub certificate_validity_secs: PodU32,
}

impl_pod!(ConfigParams {
    min_timelock_secs: PodU32,
    max_lifetime_secs: PodU32,
    certificate_validity_secs: PodU32,
});

impl ConfigParams {
    pub fn validate(&self) -> Result<(), GovernanceError> {
        let timelock = self.min_timelock_secs.get();
        let lifetime = self.max_lifetime_secs.get();
        let validity = self.certificate_validity_secs.get();
        let ok = timelock <= MAX_TIMELOCK_SECS_LIMIT
            && lifetime > timelock
            && lifetime <= MAX_LIFETIME_SECS_LIMIT
            && (1..=MAX_CERTIFICATE_VALIDITY_SECS_LIMIT).contains(&validity);
        if ok {
            Ok(())
        } else {
            Err(GovernanceError::InvalidConfigParams)
        }
    }
}

/// The governance singleton (PDA `["config"]`).
#[repr(C)]
pub struct Config {
    /// SolGrid's registry: its Config holds the regulators, the threshold and the pauses.
    pub registry_program: Address,
    pub trading_program: Address,
    pub energy_token_program: Address,
    /// Proposals created so far; the next proposal's id.
    pub proposal_count: PodU64,
    pub min_timelock_secs: PodU32,
    pub max_lifetime_secs: PodU32,
    pub certificate_validity_secs: PodU32,
    /// Bump of this Config's PDA.
    pub bump: u8,
    /// Bump of the `["governance"]` PDA.
    pub governance_bump: u8,
    /// Bump of the `["certificates"]` PDA.
    pub certificates_bump: u8,
    pub reserved: [u8; 64],
}

impl_pod!(Config {
    registry_program: Address,
    trading_program: Address,
    energy_token_program: Address,
    proposal_count: PodU64,
    min_timelock_secs: PodU32,
    max_lifetime_secs: PodU32,
    certificate_validity_secs: PodU32,
    bump: u8,
    governance_bump: u8,
    certificates_bump: u8,
    reserved: [u8; 64],
});

impl AccountLayout for Config {
    const DISCRIMINATOR: [u8; 8] = discriminator::account("Config");
}

impl Config {
    /// The durations, as `update_config` takes them.
    pub fn params(&self) -> ConfigParams {
        ConfigParams {
            min_timelock_secs: self.min_timelock_secs,
            max_lifetime_secs: self.max_lifetime_secs,
            certificate_validity_secs: self.certificate_validity_secs,
        }
    }

    pub fn set_params(&mut self, params: &ConfigParams) {
        self.min_timelock_secs = params.min_timelock_secs;
        self.max_lifetime_secs = params.max_lifetime_secs;
        self.certificate_validity_secs = params.certificate_validity_secs;
    }

    /// Whether `program` may be a proposal's target: one of SolGrid's programs (`this` is the
    /// governance program itself).
    #[inline(always)]
    pub fn is_solgrid_program(&self, this: &Address, program: &Address) -> bool {
        use pinocchio::address::address_eq;
        address_eq(program, &self.registry_program)
            || address_eq(program, &self.trading_program)
            || address_eq(program, &self.energy_token_program)
            || address_eq(program, this)
    }
}

solgrid_program_kit::byte_enum!(
    /// A proposal's stored status. "Expired" is not stored: it is an Open proposal past its deadline.
    ProposalStatus, GovernanceError::InvalidStatus,
    { Open = 0, Executed = 1, Cancelled = 2, Rejected = 3 }
);
solgrid_program_kit::byte_enum!(
    /// A certificate's status: PENDING (requested) -> VALID (validated by a regulator) -> RETIRED
    /// (claimed, final), REVOKED (by quorum) or EXPIRED (after the validity period).
    CertificateStatus, GovernanceError::InvalidStatus,
    { Pending = 0, Valid = 1, Retired = 2, Revoked = 3, Expired = 4 }
);

/// One account of a proposal's instruction.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct ProposalAccount {
    pub address: Address,
    /// [`META_WRITABLE`] | [`META_SIGNER`].
    pub flags: u8,
}

impl_pod!(ProposalAccount {
    address: Address,
    flags: u8,
});

/// A proposed action (PDA `["proposal", id LE]`): one instruction of a SolGrid program, executed by
/// CPI signed by the governance PDA once a quorum of current regulators approved it and its timelock
/// passed.
#[repr(C)]
pub struct Proposal {
    /// Creation order, from 0 (`Config.proposal_count` at creation).
    pub id: PodU64,
    /// The regulator who proposed it; receives the rent back at `close_proposal`.
    pub proposer: Address,
    /// UTF-8, zero-padded.
    pub title: [u8; TEXT_LEN],
    /// The program the instruction is for (a SolGrid program).
    pub target_program: Address,
    pub created_at: PodI64,
    /// Cluster Unix time from which the proposal can no longer be approved, rejected or executed.
    pub expires_at: PodI64,
    /// Seconds between the quorum and the earliest execution.
    pub timelock_secs: PodU32,
    /// When the approvals of current regulators last reached the threshold (0 until they do).
    pub quorum_at: PodI64,
    /// When it was executed (0 until then).
    pub executed_at: PodI64,
    /// A [`ProposalStatus`].
    pub status: u8,
    /// Who approved (the first `approval_count` entries); counted against the registry's current
    /// regulators whenever it matters.
    pub approvals: [Address; MAX_REGULATORS],
    pub approval_count: u8,
    /// Who rejected (the first `rejection_count` entries).
    pub rejections: [Address; MAX_REGULATORS],
    pub rejection_count: u8,
    /// The instruction's accounts (the first `account_count` entries), in order.
    pub account_count: u8,
    pub accounts: [ProposalAccount; MAX_PROPOSAL_ACCOUNTS],
    /// The instruction's data (the first `data_len` bytes).
    pub data_len: PodU16,
    pub data: [u8; MAX_PROPOSAL_DATA],
    pub bump: u8,
    /// The registry's `regulators_version` when each approval was cast (parallel to `approvals`): an
    /// approval counts only while its key is a regulator appointed at or before that version.
    pub approval_versions: [PodU16; MAX_REGULATORS],
    /// As `approval_versions`, for `rejections`.
    pub rejection_versions: [PodU16; MAX_REGULATORS],
}

impl_pod!(Proposal {
    id: PodU64,
    proposer: Address,
    title: [u8; TEXT_LEN],
    target_program: Address,
    created_at: PodI64,
    expires_at: PodI64,
    timelock_secs: PodU32,
    quorum_at: PodI64,
    executed_at: PodI64,
    status: u8,
    approvals: [Address; MAX_REGULATORS],
    approval_count: u8,
    rejections: [Address; MAX_REGULATORS],
    rejection_count: u8,
    account_count: u8,
    accounts: [ProposalAccount; MAX_PROPOSAL_ACCOUNTS],
    data_len: PodU16,
    data: [u8; MAX_PROPOSAL_DATA],
    bump: u8,
    approval_versions: [PodU16; MAX_REGULATORS],
    rejection_versions: [PodU16; MAX_REGULATORS],
});

impl AccountLayout for Proposal {
    const DISCRIMINATOR: [u8; 8] = discriminator::account("Proposal");
}

impl Proposal {
    #[inline(always)]
    pub fn approval_set(&self) -> &[Address] {
        &self.approvals[..(self.approval_count as usize).min(MAX_REGULATORS)]
    }

    #[inline(always)]
    pub fn rejection_set(&self) -> &[Address] {
        &self.rejections[..(self.rejection_count as usize).min(MAX_REGULATORS)]
    }

    #[inline(always)]
    pub fn account_metas(&self) -> &[ProposalAccount] {
        &self.accounts[..(self.account_count as usize).min(MAX_PROPOSAL_ACCOUNTS)]
    }

    #[inline(always)]
    pub fn instruction_data(&self) -> &[u8] {
        &self.data[..(self.data_len.get() as usize).min(MAX_PROPOSAL_DATA)]
    }
}

/// Who a retired certificate's energy was used by, and for what.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Retirement {
    pub beneficiary: Address,
    /// UTF-8, zero-padded.
    pub beneficiary_name: [u8; TEXT_LEN],
    /// UTF-8, zero-padded.
    pub purpose: [u8; TEXT_LEN],
    /// The period the energy was consumed in (start < end).
    pub consumption_start: PodI64,
    pub consumption_end: PodI64,
    pub retired_at: PodI64,
}

impl_pod!(Retirement {
    beneficiary: Address,
    beneficiary_name: [u8; TEXT_LEN],
    purpose: [u8; TEXT_LEN],
    consumption_start: PodI64,
    consumption_end: PodI64,
    retired_at: PodI64,
});

/// A renewable-energy certificate (ERC-1888 / EnergyTag / I-REC header): a meter generated
/// `volume_wh` of renewable energy between `generation_start` and `generation_end`. PDA
/// `["certificate", meter, generation_start LE]` when requested, `["certificate", parent,
/// split_index LE]` when split off another.
#[repr(C)]
pub struct Certificate {
    /// The registry Meter that produced the energy.
    pub meter: Address,
    pub zone_id: PodU32,
    /// The meter's registry `EnergySource` (renewable only).
    pub source: u8,
    /// A [`CertificateStatus`].
    pub status: u8,
    pub generation_start: PodI64,
    pub generation_end: PodI64,
    pub volume_wh: PodU64,
    pub requested_at: PodI64,
    /// When a regulator validated it (0 while Pending).
    pub issued_at: PodI64,
    /// The validating regulator (zero while Pending).
    pub issuer: Address,
    /// When a Valid certificate expires (0 while Pending).
    pub expires_at: PodI64,
    pub owner: Address,
    /// g CO2 the volume avoided (its zone's emission factor at validation).
    pub co2_avoided_g: PodU64,
    /// The certificate this one was split from (zero for a requested one).
    pub parent: Address,
    /// The requested certificate this volume came from (itself for a requested one).
    pub original: Address,
    /// Children split off this certificate so far (the next child's index).
    pub split_count: PodU16,
    pub bump: u8,
    /// UTF-8, zero-padded (set when Revoked).
    pub revoke_reason: [u8; TEXT_LEN],
    /// Set when Retired.
    pub retirement: Retirement,
    /// On an original (`original` == itself) only: 1 once a quorum revoked it, whatever its status
    /// then (Pending and Valid became Revoked; Retired and Expired stay so): every certificate split
    /// from it is refused from then on (`OriginalRevoked`). 0 on a split child, and on originals
    /// revoked before the flag existed (their status, Revoked, says it).
    pub lineage_revoked: u8,
    pub reserved: [u8; 63],
}

impl_pod!(Certificate {
    meter: Address,
    zone_id: PodU32,
    source: u8,
    status: u8,
    generation_start: PodI64,
    generation_end: PodI64,
    volume_wh: PodU64,
    requested_at: PodI64,
    issued_at: PodI64,
    issuer: Address,
    expires_at: PodI64,
    owner: Address,
    co2_avoided_g: PodU64,
    parent: Address,
    original: Address,
    split_count: PodU16,
    bump: u8,
    revoke_reason: [u8; TEXT_LEN],
    retirement: Retirement,
    lineage_revoked: u8,
    reserved: [u8; 63],
});

impl AccountLayout for Certificate {
    const DISCRIMINATOR: [u8; 8] = discriminator::account("Certificate");
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::size_of;

    #[test]
    fn account_sizes() {
        assert_eq!(size_of::<ConfigParams>(), 12);
        assert_eq!(Config::LEN, 8 + 32 * 3 + 8 + 4 * 3 + 3 + 64);
        assert_eq!(size_of::<ProposalAccount>(), 33);
        assert_eq!(
            Proposal::LEN,
            8 + 8
                + 32
                + 64
                + 32
                + 8
                + 8
                + 4
                + 8
                + 8
                + 1
                + (32 * 8 + 1) * 2
                + 1
                + 33 * 24
                + 2
                + 768
                + 1
                + 2 * 8 * 2
        );
        assert_eq!(size_of::<Retirement>(), 32 + 64 + 64 + 8 * 3);
        assert_eq!(
            Certificate::LEN,
            8 + 32 + 4 + 2 + 8 * 5 + 32 + 8 + 32 + 8 + 32 * 2 + 2 + 1 + 64 + 184 + 64
        );
    }

    #[test]
    fn params_bounds() {
        let params = |timelock: u32, lifetime: u32, validity: u32| ConfigParams {
            min_timelock_secs: PodU32::new(timelock),
            max_lifetime_secs: PodU32::new(lifetime),
            certificate_validity_secs: PodU32::new(validity),
        };
        assert_eq!(params(0, 1, 1).validate(), Ok(()));
        assert_eq!(
            params(
                MAX_TIMELOCK_SECS_LIMIT,
                MAX_LIFETIME_SECS_LIMIT,
                MAX_CERTIFICATE_VALIDITY_SECS_LIMIT
            )
            .validate(),
            Ok(())
        );
        for bad in [
            params(0, 0, 1),
            params(10, 10, 1),
            params(MAX_TIMELOCK_SECS_LIMIT + 1, MAX_LIFETIME_SECS_LIMIT, 1),
            params(0, MAX_LIFETIME_SECS_LIMIT + 1, 1),
            params(0, 1, 0),
            params(0, 1, MAX_CERTIFICATE_VALIDITY_SECS_LIMIT + 1),
        ] {
            assert_eq!(bad.validate(), Err(GovernanceError::InvalidConfigParams));
        }
    }

    #[test]
    fn enums_parse_from_their_borsh_index() {
        assert_eq!(ProposalStatus::try_from(3), Ok(ProposalStatus::Rejected));
        assert!(ProposalStatus::try_from(4).is_err());
        assert_eq!(
            CertificateStatus::try_from(4),
            Ok(CertificateStatus::Expired)
        );
        assert!(CertificateStatus::try_from(5).is_err());
    }
}

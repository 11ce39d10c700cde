//! Governance events (Anchor encoding: `sha256("event:<Name>")[..8]` then the borsh fields), logged
//! through `sol_log_data` as the registry's are. Every state change emits one. Enum-typed fields
//! (statuses, sources) are their one-byte borsh index; `u8` flags are 0 or 1.

use pinocchio::Address;
use solgrid_program_kit::{
    discriminator,
    event::Event,
    impl_pod,
    pod::{PodI64, PodU16, PodU32, PodU64},
};

use crate::state::{ConfigParams, Retirement, TEXT_LEN};

/// The governance program was initialised.
#[repr(C)]
pub struct GovernanceInitialized {
    pub config: Address,
    pub registry_program: Address,
    pub trading_program: Address,
    pub energy_token_program: Address,
    pub params: ConfigParams,
    pub timestamp: PodI64,
}

impl_pod!(GovernanceInitialized {
    config: Address,
    registry_program: Address,
    trading_program: Address,
    energy_token_program: Address,
    params: ConfigParams,
    timestamp: PodI64,
});

impl Event for GovernanceInitialized {
    const DISCRIMINATOR: [u8; 8] = discriminator::event("GovernanceInitialized");
}

/// An executed proposal replaced the durations.
#[repr(C)]
pub struct GovernanceConfigUpdated {
    pub config: Address,
    pub params: ConfigParams,
}

impl_pod!(GovernanceConfigUpdated {
    config: Address,
    params: ConfigParams,
});

impl Event for GovernanceConfigUpdated {
    const DISCRIMINATOR: [u8; 8] = discriminator::event("GovernanceConfigUpdated");
}

/// A regulator proposed an action.
#[repr(C)]
pub struct ProposalCreated {
    pub proposal: Address,
    pub id: PodU64,
    pub proposer: Address,
    pub target_program: Address,
    pub title: [u8; TEXT_LEN],
    pub created_at: PodI64,
    pub expires_at: PodI64,
    pub timelock_secs: PodU32,
    pub account_count: u8,
    pub data_len: PodU16,
}

impl_pod!(ProposalCreated {
    proposal: Address,
    id: PodU64,
    proposer: Address,
    target_program: Address,
    title: [u8; TEXT_LEN],
    created_at: PodI64,
    expires_at: PodI64,
    timelock_secs: PodU32,
    account_count: u8,
    data_len: PodU16,
});

impl Event for ProposalCreated {
    const DISCRIMINATOR: [u8; 8] = discriminator::event("ProposalCreated");
}

/// A regulator approved (`approve` = 1) or rejected (0) a proposal; the counts are of current
/// regulators' votes afterwards.
#[repr(C)]
pub struct VoteCast {
    pub proposal: Address,
    pub id: PodU64,
    pub regulator: Address,
    pub approve: u8,
    pub approvals: u8,
    pub rejections: u8,
    pub threshold: u8,
    pub quorum_at: PodI64,
    pub status: u8,
    pub timestamp: PodI64,
}

impl_pod!(VoteCast {
    proposal: Address,
    id: PodU64,
    regulator: Address,
    approve: u8,
    approvals: u8,
    rejections: u8,
    threshold: u8,
    quorum_at: PodI64,
    status: u8,
    timestamp: PodI64,
});

impl Event for VoteCast {
    const DISCRIMINATOR: [u8; 8] = discriminator::event("VoteCast");
}

/// Anyone recorded a quorum that a change of the regulator set or threshold made (`record_quorum`):
/// the timelock runs from `quorum_at`.
#[repr(C)]
pub struct QuorumRecorded {
    pub proposal: Address,
    pub id: PodU64,
    /// Approvals that count.
    pub approvals: u8,
    pub threshold: u8,
    pub quorum_at: PodI64,
}

impl_pod!(QuorumRecorded {
    proposal: Address,
    id: PodU64,
    approvals: u8,
    threshold: u8,
    quorum_at: PodI64,
});

impl Event for QuorumRecorded {
    const DISCRIMINATOR: [u8; 8] = discriminator::event("QuorumRecorded");
}

/// A proposal's instruction ran, signed by the governance PDA.
#[repr(C)]
pub struct ProposalExecuted {
    pub proposal: Address,
    pub id: PodU64,
    pub target_program: Address,
    pub approvals: u8,
    pub executed_at: PodI64,
}

impl_pod!(ProposalExecuted {
    proposal: Address,
    id: PodU64,
    target_program: Address,
    approvals: u8,
    executed_at: PodI64,
});

impl Event for ProposalExecuted {
    const DISCRIMINATOR: [u8; 8] = discriminator::event("ProposalExecuted");
}

/// The proposer, the governance PDA or a quorum cancelled a proposal.
#[repr(C)]
pub struct ProposalCancelled {
    pub proposal: Address,
    pub id: PodU64,
    pub cancelled_by: Address,
    pub timestamp: PodI64,
}

impl_pod!(ProposalCancelled {
    proposal: Address,
    id: PodU64,
    cancelled_by: Address,
    timestamp: PodI64,
});

impl Event for ProposalCancelled {
    const DISCRIMINATOR: [u8; 8] = discriminator::event("ProposalCancelled");
}

/// A final proposal's account was closed and its rent returned to the proposer.
#[repr(C)]
pub struct ProposalClosed {
    pub proposal: Address,
    pub id: PodU64,
    pub proposer: Address,
    pub status: u8,
    pub expired: u8,
    pub lamports: PodU64,
}

impl_pod!(ProposalClosed {
    proposal: Address,
    id: PodU64,
    proposer: Address,
    status: u8,
    expired: u8,
    lamports: PodU64,
});

impl Event for ProposalClosed {
    const DISCRIMINATOR: [u8; 8] = discriminator::event("ProposalClosed");
}

/// A meter's owner requested a certificate for production no certificate covered yet.
#[repr(C)]
pub struct CertificateRequested {
    pub certificate: Address,
    pub meter: Address,
    pub owner: Address,
    pub zone_id: PodU32,
    pub source: u8,
    pub generation_start: PodI64,
    pub generation_end: PodI64,
    pub volume_wh: PodU64,
    pub requested_at: PodI64,
}

impl_pod!(CertificateRequested {
    certificate: Address,
    meter: Address,
    owner: Address,
    zone_id: PodU32,
    source: u8,
    generation_start: PodI64,
    generation_end: PodI64,
    volume_wh: PodU64,
    requested_at: PodI64,
});

impl Event for CertificateRequested {
    const DISCRIMINATOR: [u8; 8] = discriminator::event("CertificateRequested");
}

/// A regulator validated a pending certificate (PENDING -> VALID).
#[repr(C)]
pub struct CertificateValidated {
    pub certificate: Address,
    pub issuer: Address,
    pub volume_wh: PodU64,
    pub emission_factor: PodU32,
    pub co2_avoided_g: PodU64,
    pub issued_at: PodI64,
    pub expires_at: PodI64,
}

impl_pod!(CertificateValidated {
    certificate: Address,
    issuer: Address,
    volume_wh: PodU64,
    emission_factor: PodU32,
    co2_avoided_g: PodU64,
    issued_at: PodI64,
    expires_at: PodI64,
});

impl Event for CertificateValidated {
    const DISCRIMINATOR: [u8; 8] = discriminator::event("CertificateValidated");
}

/// A certificate changed owner as a whole.
#[repr(C)]
pub struct CertificateTransferred {
    pub certificate: Address,
    pub from: Address,
    pub to: Address,
    pub volume_wh: PodU64,
    pub co2_avoided_g: PodU64,
}

impl_pod!(CertificateTransferred {
    certificate: Address,
    from: Address,
    to: Address,
    volume_wh: PodU64,
    co2_avoided_g: PodU64,
});

impl Event for CertificateTransferred {
    const DISCRIMINATOR: [u8; 8] = discriminator::event("CertificateTransferred");
}

/// Part of a certificate's volume became a child certificate of a new owner.
#[repr(C)]
pub struct CertificateSplit {
    pub parent: Address,
    pub child: Address,
    pub split_index: PodU16,
    pub owner: Address,
    pub new_owner: Address,
    pub volume_wh: PodU64,
    pub co2_avoided_g: PodU64,
    pub parent_volume_wh: PodU64,
    pub parent_co2_avoided_g: PodU64,
}

impl_pod!(CertificateSplit {
    parent: Address,
    child: Address,
    split_index: PodU16,
    owner: Address,
    new_owner: Address,
    volume_wh: PodU64,
    co2_avoided_g: PodU64,
    parent_volume_wh: PodU64,
    parent_co2_avoided_g: PodU64,
});

impl Event for CertificateSplit {
    const DISCRIMINATOR: [u8; 8] = discriminator::event("CertificateSplit");
}

/// A certificate was claimed for a beneficiary (final).
#[repr(C)]
pub struct CertificateRetired {
    pub certificate: Address,
    pub owner: Address,
    pub retirement: Retirement,
    pub volume_wh: PodU64,
    pub co2_avoided_g: PodU64,
}

impl_pod!(CertificateRetired {
    certificate: Address,
    owner: Address,
    retirement: Retirement,
    volume_wh: PodU64,
    co2_avoided_g: PodU64,
});

impl Event for CertificateRetired {
    const DISCRIMINATOR: [u8; 8] = discriminator::event("CertificateRetired");
}

/// A quorum revoked a certificate; its volume is never certifiable again. `status` is the
/// certificate's status after it: Revoked, or (an original revoked when Retired or Expired) that
/// status unchanged, only its lineage being revoked. Revoking an original reaches every certificate
/// split from it.
#[repr(C)]
pub struct CertificateRevoked {
    pub certificate: Address,
    pub previous_status: u8,
    pub reason: [u8; TEXT_LEN],
    pub volume_wh: PodU64,
    pub timestamp: PodI64,
    pub status: u8,
}

impl_pod!(CertificateRevoked {
    certificate: Address,
    previous_status: u8,
    reason: [u8; TEXT_LEN],
    volume_wh: PodU64,
    timestamp: PodI64,
    status: u8,
});

impl Event for CertificateRevoked {
    const DISCRIMINATOR: [u8; 8] = discriminator::event("CertificateRevoked");
}

/// A valid certificate passed its validity period (final).
#[repr(C)]
pub struct CertificateExpired {
    pub certificate: Address,
    pub owner: Address,
    pub volume_wh: PodU64,
    pub timestamp: PodI64,
}

impl_pod!(CertificateExpired {
    certificate: Address,
    owner: Address,
    volume_wh: PodU64,
    timestamp: PodI64,
});

impl Event for CertificateExpired {
    const DISCRIMINATOR: [u8; 8] = discriminator::event("CertificateExpired");
}

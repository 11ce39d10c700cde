//! `revoke_certificate(reason: string)`: a quorum revokes a Pending or Valid certificate (fraud, an
//! error in the meter's data), with a reason. Final; its volume is never certifiable again (the
//! registry's counters stay where the request moved them).
//!
//! Accounts:
//! 0. `[]` config: this program's Config.
//! 1. `[]` registry_config: the registry's Config (its current regulators and threshold).
//! 2. `[writable]` certificate.
//!
//! Then, as remaining accounts, the `[signer]` cosigners. Once the registry names a governance
//! program (`RegistryConfig.governance_program`, as the registry's own privileged gate): the
//! governance PDA, i.e. an executed proposal (`NotGovernance` otherwise; co-signing regulators no
//! longer suffice). Before that: the governance PDA, or the registry's threshold of distinct current
//! regulators (`QuorumNotMet`; `NoRegulators` when the registry has none).
//!
//! The reason is UTF-8, 1 to 64 bytes (`MissingReason`, `TextTooLong`, `InvalidText`: the core's
//! `check_reason`); the status rule is the core's `Status::revoke`. Revoking a requested certificate
//! reaches every certificate split from it: transfer, split and retire of a child check its
//! original (`OriginalRevoked`). A split child is revoked alone only while it has no children of its
//! own (`HasSplitChildren`: revoke its original instead), so no certificate descends from a revoked
//! one that is not its original. Emits `CertificateRevoked`.

use pinocchio::{address::address_eq, AccountView, Address, ProgramResult};
use solgrid_governance_core::certificate::check_reason;
use solgrid_program_kit::{clock, discriminator, event::emit, pod::PodI64};

use crate::{
    auth,
    certificates::{self, padded, status},
    errors::{self, GovernanceError},
    events::CertificateRevoked,
    state::TEXT_LEN,
    wire::Reader,
};

pub const DISCRIMINATOR: u64 =
    discriminator::as_u64(discriminator::instruction("revoke_certificate"));
pub const ACCOUNTS_LEN: usize = 3;

pub fn process(program_id: &Address, accounts: &mut [AccountView], args: &[u8]) -> ProgramResult {
    let mut reader = Reader::new(args);
    let reason = reader.bytes(TEXT_LEN, GovernanceError::TextTooLong)?;
    reader.finish()?;
    check_reason(reason).map_err(errors::certificate)?;

    let ([config, registry_config, certificate], cosigners) =
        auth::split::<ACCOUNTS_LEN>(accounts)?;
    {
        let config = auth::config(program_id, config)?;
        let registry = auth::registry_config(&config, registry_config)?;
        auth::privileged(program_id, &config, &registry, cosigners)?;
    }
    let certificate_address = *certificate.address();
    let mut state = certificates::load_mut(program_id, certificate)?;
    let previous = status(&state)?;
    let next = previous.revoke().map_err(errors::certificate)?;
    if !address_eq(&state.original, &certificate_address) && state.split_count.get() != 0 {
        return Err(GovernanceError::HasSplitChildren.into());
    }
    let reason: [u8; TEXT_LEN] = padded(reason);
    state.status = next as u8;
    state.revoke_reason = reason;
    emit(CertificateRevoked {
        certificate: certificate_address,
        previous_status: previous as u8,
        reason,
        volume_wh: state.volume_wh,
        timestamp: PodI64::new(clock::unix_timestamp()?),
    });
    Ok(())
}

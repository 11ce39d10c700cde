//! `revoke_certificate(reason: string)`: a quorum revokes a certificate (fraud, an error in the
//! meter's data), with a reason. Its volume is never certifiable again (the registry's counters stay
//! where the request moved them).
//!
//! An original (a requested certificate): Pending or Valid → Revoked, Retired or Expired → status
//! unchanged; in every case its `lineage_revoked` flag is set, so every certificate split from it,
//! however far down, is refused from then on (transfer, split and retire check the original:
//! `OriginalRevoked`). An original that is Revoked already is refused (`CertificateRevoked`), one
//! whose lineage is revoked already too (`LineageAlreadyRevoked`). A split child: Pending or Valid →
//! Revoked, only while it has no children of its own (`HasSplitChildren`: revoke its original, which
//! always works), so nothing usable descends from a revoked certificate. The rule is the core's
//! `certificate::revoke`.
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
//! `check_reason`). Emits `CertificateRevoked` with the status after the revocation.

use pinocchio::{address::address_eq, AccountView, Address, ProgramResult};
use solgrid_governance_core::certificate::{check_reason, revoke};
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
    let revocation = revoke(
        previous,
        address_eq(&state.original, &certificate_address),
        state.lineage_revoked != 0,
        state.split_count.get(),
    )
    .map_err(errors::certificate)?;
    let reason: [u8; TEXT_LEN] = padded(reason);
    state.status = revocation.status as u8;
    state.lineage_revoked = revocation.lineage_revoked as u8;
    state.revoke_reason = reason;
    emit(CertificateRevoked {
        certificate: certificate_address,
        previous_status: previous as u8,
        reason,
        volume_wh: state.volume_wh,
        timestamp: PodI64::new(clock::unix_timestamp()?),
        status: revocation.status as u8,
    });
    Ok(())
}

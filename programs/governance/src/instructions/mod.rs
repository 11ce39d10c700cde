//! One module per instruction: its discriminator, argument layout, the accounts it takes (documented
//! at the top, checked in one place) and the handler. `vote` holds the body `approve` and `reject`
//! share.

// Governance: configuration and proposals.
pub mod approve;
pub mod cancel;
pub mod close_proposal;
pub mod execute;
pub mod initialize;
pub mod propose;
pub mod record_quorum;
pub mod reject;
pub mod update_config;
pub mod vote;

// Certificates.
pub mod expire_certificate;
pub mod request_certificate;
pub mod retire_certificate;
pub mod revoke_certificate;
pub mod split_certificate;
pub mod transfer_certificate;
pub mod validate_certificate;

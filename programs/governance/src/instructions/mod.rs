//! One module per instruction: its discriminator, argument layout, the accounts it takes (documented
//! at the top, checked in one place) and the handler.

// Governance: configuration and proposals.
pub mod initialize;
pub mod update_config;

// Certificates.
pub mod expire_certificate;
pub mod request_certificate;
pub mod retire_certificate;
pub mod revoke_certificate;
pub mod split_certificate;
pub mod transfer_certificate;
pub mod validate_certificate;

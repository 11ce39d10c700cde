//! One module per instruction: its discriminator, argument layout, the accounts it takes (documented
//! at the top, checked in one place) and the handler.

// Governance: configuration and proposals.
pub mod initialize;
pub mod update_config;

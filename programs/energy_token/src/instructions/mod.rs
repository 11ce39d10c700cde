//! One module per instruction: its discriminator, argument layout, the accounts it takes (checked
//! in one place, its `*Accounts::load`) and the handler.

pub mod burn;
pub mod initialize;
pub mod settle_and_mint;

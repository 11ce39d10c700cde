//! One module per instruction: its discriminator, argument layout, the accounts it takes (documented
//! with their flags, checked in one place) and the handler. The market growth that several of them
//! share is [`crate::growth`].

pub mod cancel_auction_order;
pub mod cancel_order;
pub mod claim_seat;
pub mod clear_epoch;
pub mod collect_fees;
pub mod create_market;
pub mod deposit;
pub mod grow_market;
pub mod initialize;
pub mod place_auction_order;
pub mod place_order;
pub mod prune_expired;
pub mod set_market_maker;
pub mod settle_epoch;
pub mod update_market;
pub mod withdraw;

//! One module per instruction: its discriminator, argument layout, the accounts it takes (documented
//! at the top, checked in one place) and the handler. `user_status`, `meter_status` and `pause` hold
//! the bodies that several instructions share.

pub mod accept_authority;
pub mod activate_meter;
pub mod certify_meter;
pub mod create_zone;
pub mod initialize;
pub mod meter_status;
pub mod pause;
pub mod pause_market;
pub mod pause_zone;
pub mod propose_authority;
pub mod register_meter;
pub mod register_user;
pub mod reinstate_user;
pub mod resume_market;
pub mod resume_zone;
pub mod rotate_device_key;
pub mod set_emission_factor;
pub mod set_governance;
pub mod set_meter_status;
pub mod set_regulators;
pub mod set_settlement_authority;
pub mod set_zone_status;
pub mod settle_meter;
pub mod submit_readings;
pub mod suspend_user;
pub mod update_limits;
pub mod user_status;
pub mod verify_user;

//! The trading program's own errors, from 6100 (6000..=6099 are the shared kit errors,
//! `solgrid_program_kit::KitError`). Append-only: published codes never change meaning.

use pinocchio::error::ProgramError;
use solgrid_order_book::BookError;
use solgrid_program_kit::KitError;

macro_rules! errors {
    ($($variant:ident = $code:expr => $message:expr,)*) => {
        #[repr(u32)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum TradingError { $($variant = $code,)* }

        impl TradingError {
            /// Every variant, in code order (the IDL lists them after the kit errors in this order).
            pub const ALL: &'static [TradingError] = &[$(TradingError::$variant,)*];

            pub const fn code(self) -> u32 {
                self as u32
            }

            /// The name the IDL uses.
            pub const fn name(self) -> &'static str {
                match self { $(TradingError::$variant => stringify!($variant),)* }
            }

            /// The message the IDL gives to clients.
            pub const fn message(self) -> &'static str {
                match self { $(TradingError::$variant => $message,)* }
            }
        }
    };
}

errors! {
    InvalidRegistryProgram = 6100 => "The registry program is not the one this deployment trusts (at initialisation: not an executable program)",
    InvalidTokenProgram = 6101 => "The token_program account is not the SPL Token program",
    InvalidBaseMint = 6102 => "The base mint is not this deployment's GRID mint (at initialisation: not a 9-decimal SPL Token mint)",
    InvalidQuoteMint = 6103 => "The quote mint is not an SPL Token mint other than GRID",
    InvalidVault = 6104 => "The vault is not one of this market's token vaults, or a payout's destination is the vault itself",
    WrongTokenMint = 6105 => "The account is not an SPL Token account of the vault's mint",
    WrongTokenOwner = 6106 => "The token account is not owned by the expected wallet",
    InvalidMarketParams = 6107 => "Market parameters out of range: tick, lot, minimum order and epoch limit at least 1, fees at most 1000 bps, tick x lot a multiple of 1000",
    InvalidZone = 6108 => "The zone account is not the registry Zone of this market",
    ZoneHalted = 6109 => "The market's grid zone is halted: no order matches until it reopens",
    MarketPaused = 6110 => "The market is paused: orders can be cancelled and funds withdrawn, nothing is placed",
    NoRegulators = 6111 => "The registry has no regulators yet",
    RegulatorThresholdNotMet = 6112 => "Fewer distinct configured regulators signed than the registry's threshold",
    InvalidUser = 6113 => "The user account is not the trader's registry User",
    UserNotVerified = 6114 => "The trader is not a Verified registry user",
    RoleCannotSell = 6115 => "Only prosumers and grid operators place sell orders",
    WrongZone = 6116 => "A sell order's trader is not registered in the market's zone",
    InvalidEventAuthority = 6117 => "The event_authority account is not the program's event authority PDA",
    WrongSeat = 6118 => "The seat index does not hold the trader's seat in this market",
    SeatExists = 6119 => "The trader already has a seat in this market",
    InvalidPrice = 6120 => "The price must be between 1 and 2^40 ticks",
    ZeroQuantity = 6121 => "The quantity or amount must be greater than zero",
    BelowMinimumOrder = 6122 => "The order is smaller than the market's minimum order",
    AlreadyExpired = 6123 => "The order's expiry time is not in the future",
    PostOnlyWouldCross = 6124 => "A post-only order would take liquidity",
    SelfTrade = 6125 => "The order would trade with the same trader's resting order (self-trade mode Abort)",
    InsufficientFunds = 6126 => "The seat's free balance does not cover the order or the withdrawal",
    OrderLimitReached = 6127 => "The trader reached the market's most orders per 15-minute epoch",
    OrderNotFound = 6128 => "No resting order with that id at that side and price",
    NotOrderOwner = 6129 => "The order belongs to another trader",
    ClientOrderIdReused = 6130 => "The client order id was used already: each non-zero id must be greater than the trader's last one",
    InvalidMatchLimit = 6131 => "The match limit must be between 1 and 80",
    NotFeeRecipient = 6132 => "Only the market's fee recipient collects its fees",
    InvalidMarket = 6133 => "The market account is not a market of this program, or its data is inconsistent",
    InvalidGrowth = 6134 => "A market grows by 1 to 10,240 bytes per instruction, in whole seats and orders",
    InvalidOrderArgs = 6135 => "Side, order kind, self-trade mode, rollover flag or market status is not a known variant",
    EventTooLarge = 6136 => "The instruction's events do not fit in one event instruction",
    OrdersResting = 6137 => "Tick and lot size change only while no order rests and no auction order waits",
    TooMuchFreeCapacity = 6138 => "A market keeps at most 32 free seat slots and 256 free order slots (an epoch account at most 5120 free bytes): grow it once these are used",
    WrongMarketMode = 6139 => "The instruction is not for this market's mode: place_order, cancel_order and prune_expired serve continuous markets, the auction instructions periodic ones",
    InvalidEpochLength = 6140 => "The epoch length must be 0 (continuous market) or 1 to 86,400 seconds",
    WrongEpoch = 6141 => "The epoch account does not hold that epoch",
    WrongEpochAccount = 6142 => "The account is not this market's epoch account of that slot",
    EpochNotSettled = 6143 => "The epoch account still holds an older epoch that is not settled: crank clear_epoch and settle_epoch first",
    EpochNotEnded = 6144 => "The epoch has not ended: it clears from its end time on",
    EpochAlreadyCleared = 6145 => "The epoch's clearing price is fixed already",
    EpochNotPriceFixed = 6146 => "The epoch is not cleared: clear_epoch fixes its price before settlement",
    EpochAlreadySettled = 6147 => "The epoch is settled already",
    EpochOutOfOrder = 6148 => "Epochs clear in order: the other epoch account holds an older epoch that is not settled, or cannot take the rolled orders",
    ChunkOutOfOrder = 6149 => "The cursor is not where the epoch's settlement stands (that chunk was settled, or one would be skipped)",
    AuctionClosed = 6150 => "The epoch's auction is closed (its end passed): its orders are committed until settlement",
    ExpiresBeforeAuction = 6151 => "An auction order's expiry must be 0 or not before the end of its epoch",
    InvalidChunk = 6152 => "A settlement chunk is 1 to 64 orders",
    TooManyPriceLevels = 6153 => "An epoch's auction holds at most 4096 price levels: an order at a new price waits for the next epoch (one at a price already there still joins)",
    TooManyAuctionOrders = 6154 => "An epoch's auction holds at most 131072 orders (cancelled ones included): the order waits for the next epoch",
    InvalidRegistryConfig = 6155 => "The registry_config account is not the Config of the registry this deployment trusts",
    TradingPaused = 6156 => "Trading is paused in the market's zone (or market-wide) by the registry: orders can be cancelled and funds withdrawn, nothing is placed or cleared",
    NotGovernance = 6157 => "Governance is set in the registry: privileged actions are signed by the governance program's authority (an executed proposal), co-signing regulators no longer suffice",
}

impl From<TradingError> for ProgramError {
    #[inline(always)]
    fn from(error: TradingError) -> Self {
        ProgramError::Custom(error as u32)
    }
}

/// The program error for a refused book operation.
#[inline(always)]
pub fn book_error(error: BookError) -> ProgramError {
    match error {
        BookError::InvalidLayout | BookError::SeatsFull | BookError::BookFull => {
            TradingError::InvalidMarket.into()
        }
        BookError::InvalidParams => TradingError::InvalidMarketParams.into(),
        BookError::WrongSeat => TradingError::WrongSeat.into(),
        BookError::SeatExists => TradingError::SeatExists.into(),
        BookError::InvalidPrice => TradingError::InvalidPrice.into(),
        BookError::ZeroQuantity => TradingError::ZeroQuantity.into(),
        BookError::BelowMinimumOrder => TradingError::BelowMinimumOrder.into(),
        BookError::AlreadyExpired => TradingError::AlreadyExpired.into(),
        BookError::PostOnlyWouldCross => TradingError::PostOnlyWouldCross.into(),
        BookError::SelfTrade => TradingError::SelfTrade.into(),
        BookError::InsufficientFunds => TradingError::InsufficientFunds.into(),
        BookError::OrderLimitReached => TradingError::OrderLimitReached.into(),
        BookError::OrderNotFound => TradingError::OrderNotFound.into(),
        BookError::NotOrderOwner => TradingError::NotOrderOwner.into(),
        BookError::ClientOrderIdReused => TradingError::ClientOrderIdReused.into(),
        BookError::InvalidMatchLimit => TradingError::InvalidMatchLimit.into(),
        BookError::Overflow => KitError::ArithmeticOverflow.into(),
        BookError::EventsFull => TradingError::EventTooLarge.into(),
        BookError::WrongMarketMode => TradingError::WrongMarketMode.into(),
        BookError::InvalidEpochLength => TradingError::InvalidEpochLength.into(),
        BookError::WrongEpoch => TradingError::WrongEpoch.into(),
        BookError::WrongEpochAccount => TradingError::WrongEpochAccount.into(),
        BookError::EpochNotSettled => TradingError::EpochNotSettled.into(),
        BookError::EpochNotEnded => TradingError::EpochNotEnded.into(),
        BookError::EpochAlreadyCleared => TradingError::EpochAlreadyCleared.into(),
        BookError::EpochNotPriceFixed => TradingError::EpochNotPriceFixed.into(),
        BookError::EpochAlreadySettled => TradingError::EpochAlreadySettled.into(),
        BookError::EpochOutOfOrder => TradingError::EpochOutOfOrder.into(),
        BookError::ChunkOutOfOrder => TradingError::ChunkOutOfOrder.into(),
        BookError::AuctionClosed => TradingError::AuctionClosed.into(),
        BookError::ExpiresBeforeAuction => TradingError::ExpiresBeforeAuction.into(),
        BookError::InvalidChunk => TradingError::InvalidChunk.into(),
        // A settlement that does not add up is a broken invariant of the epoch's data.
        BookError::SettlementMismatch => TradingError::InvalidMarket.into(),
        BookError::TooManyPriceLevels => TradingError::TooManyPriceLevels.into(),
        BookError::TooManyAuctionOrders => TradingError::TooManyAuctionOrders.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use solgrid_program_kit::error::PROGRAM_ERROR_BASE;

    #[test]
    fn codes_are_contiguous_from_the_program_base() {
        for (i, error) in TradingError::ALL.iter().enumerate() {
            assert_eq!(error.code(), PROGRAM_ERROR_BASE + i as u32);
        }
    }

    #[test]
    fn the_epoch_limits_errors_name_the_limits() {
        use solgrid_order_book::auction::{MAX_AUCTION_LEVELS, MAX_AUCTION_ORDERS};
        let levels = TradingError::TooManyPriceLevels.message();
        assert!(levels.contains(&std::format!("at most {MAX_AUCTION_LEVELS} price levels")));
        let orders = TradingError::TooManyAuctionOrders.message();
        assert!(orders.contains(&std::format!("at most {MAX_AUCTION_ORDERS} orders")));
    }

    #[test]
    fn names_are_unique() {
        for (i, a) in TradingError::ALL.iter().enumerate() {
            for b in &TradingError::ALL[i + 1..] {
                assert_ne!(a.name(), b.name());
            }
        }
    }
}

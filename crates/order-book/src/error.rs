//! What the book refuses. The program maps each variant to a stable error code of its IDL.

/// A refused book operation. On an error the caller discards every change the operation made (on
/// chain the runtime does: a failed instruction writes nothing), so operations need not undo work.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BookError {
    /// The account data is not a market of this layout (length, alignment or capacities).
    InvalidLayout,
    /// Market parameters out of range (see [`crate::layout::Params::validate`]).
    InvalidParams,
    /// The seat index does not hold the trader's seat.
    WrongSeat,
    /// The trader already has a seat.
    SeatExists,
    /// No free seat slot: the market account must grow first.
    SeatsFull,
    /// No free order slot: the market account must grow first.
    BookFull,
    /// Price is zero or above [`crate::MAX_PRICE_TICKS`].
    InvalidPrice,
    /// Zero lots (or a zero amount).
    ZeroQuantity,
    /// Fewer lots than the market's minimum order.
    BelowMinimumOrder,
    /// The expiry time is not in the future.
    AlreadyExpired,
    /// A post-only order would take liquidity.
    PostOnlyWouldCross,
    /// The order would trade with the same trader's resting order (self-trade mode Abort).
    SelfTrade,
    /// The free balance does not cover the amount.
    InsufficientFunds,
    /// The trader reached the most orders per 15-minute epoch.
    OrderLimitReached,
    /// No resting order with that id at that side and price.
    OrderNotFound,
    /// The order belongs to another trader.
    NotOrderOwner,
    /// A client order id must increase per trader; this one was used (or a later one was).
    ClientOrderIdReused,
    /// The match limit is 0 or above [`crate::MAX_MATCHES`].
    InvalidMatchLimit,
    /// An amount does not fit in 64 bits.
    Overflow,
    /// The event sink has no room left.
    EventsFull,
    /// The operation belongs to the other market mode (continuous or periodic).
    WrongMarketMode,
    /// An epoch length out of range: 0 (continuous) or 1 ..= [`crate::auction::MAX_EPOCH_SECS`].
    InvalidEpochLength,
    /// The epoch account holds another epoch than the one asked for (or none).
    WrongEpoch,
    /// The epoch account is not this market's account of that slot.
    WrongEpochAccount,
    /// The epoch's slot still holds an older epoch that is not settled: crank it first.
    EpochNotSettled,
    /// The epoch has not ended yet (its auction is still collecting orders).
    EpochNotEnded,
    /// The epoch's price is already fixed.
    EpochAlreadyCleared,
    /// The epoch's price is not fixed yet.
    EpochNotPriceFixed,
    /// The epoch is already settled.
    EpochAlreadySettled,
    /// Epochs clear in order: the other slot holds an older epoch that is not settled, or the next
    /// slot holds an epoch that the rolled orders cannot join.
    EpochOutOfOrder,
    /// The chunk does not start at the epoch's settlement cursor (it was settled already, or an
    /// earlier chunk was not).
    ChunkOutOfOrder,
    /// The epoch's auction is closed: its orders are committed to the clearing.
    AuctionClosed,
    /// An auction order expires before its auction's end.
    ExpiresBeforeAuction,
    /// A settlement chunk of 0 or more than [`crate::auction::MAX_SETTLE_CHUNK`] orders.
    InvalidChunk,
    /// The settlement of an epoch does not add up to its clearing (a bug: nothing is written).
    SettlementMismatch,
    /// The order would add a price level to an epoch that has
    /// [`crate::auction::MAX_AUCTION_LEVELS`] already (an order at one of its prices still joins).
    TooManyPriceLevels,
    /// The epoch holds [`crate::auction::MAX_AUCTION_ORDERS`] orders already (cancelled ones
    /// included).
    TooManyAuctionOrders,
}

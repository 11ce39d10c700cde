//! The small enums of the book (each one byte on the wire, borsh enum index).

macro_rules! byte_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $value:expr),* $(,)? }) => {
        $(#[$doc])*
        #[repr(u8)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vdoc])* $variant = $value),* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            /// The variant with borsh index `value`, if any.
            #[inline(always)]
            pub const fn from_u8(value: u8) -> Option<Self> {
                match value {
                    $($value => Some($name::$variant),)*
                    _ => None,
                }
            }
        }
    };
}
pub(crate) use byte_enum;

byte_enum!(
    /// Which side of the book: a bid buys GRID with quote, an ask sells GRID for quote.
    Side { Bid = 0, Ask = 1 }
);

impl Side {
    #[inline(always)]
    pub const fn opposite(self) -> Side {
        match self {
            Side::Bid => Side::Ask,
            Side::Ask => Side::Bid,
        }
    }
}

byte_enum!(
    /// How an incoming order treats the book.
    OrderKind {
        /// Takes what crosses, rests the rest (until cancelled or its expiry time).
        Limit = 0,
        /// Never takes: refused if it would cross; otherwise rests like a limit order.
        PostOnly = 1,
        /// Takes what crosses up to its limit price; the rest is cancelled, nothing rests.
        ImmediateOrCancel = 2,
    }
);

byte_enum!(
    /// What happens when an incoming order meets a resting order of the same trader.
    SelfTradeMode {
        /// The resting order is cancelled (its funds return) and matching goes on.
        CancelResting = 0,
        /// Both are reduced by the smaller quantity, without a trade and without fees.
        DecrementBoth = 1,
        /// The whole instruction fails with `SelfTrade`.
        Abort = 2,
    }
);

byte_enum!(
    /// An order's state, as the seed design names them.
    OrderState { Active = 0, PartiallyFilled = 1, Filled = 2, Cancelled = 3, Expired = 4 }
);

byte_enum!(
    /// Why a resting order left the book (or shrank) without trading.
    RemovalReason {
        /// Its owner cancelled it.
        Cancelled = 0,
        /// Its expiry time passed (met by matching, or pruned).
        Expired = 1,
        /// Cancelled by the self-trade mode CancelResting of its owner's incoming order.
        SelfTradeCancelled = 2,
        /// Reduced by the self-trade mode DecrementBoth of its owner's incoming order.
        SelfTradeDecremented = 3,
    }
);

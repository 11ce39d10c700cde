//! The clearing price of a call auction, from the aggregate supply and demand per price level.
//!
//! For a price `p` (ticks): demand `D(p)` = lots of bids with limit `>= p`, supply `S(p)` = lots of
//! asks with limit `<= p`, executable volume `V(p) = min(D, S)`, surplus `|D - S|`.
//!
//! 1. The price maximises `V`.
//! 2. Among those, it minimises the surplus.
//! 3. Among those (one contiguous interval `[lo, hi]`: `V` is unimodal and `D - S` non-increasing),
//!    it is the one closest to the reference (the previous clearing price): `clamp(reference, lo,
//!    hi)`; with no reference (0), the middle `lo + (hi - lo) / 2`.
//!
//! `V = 0` at every price: no price, nothing executes. The interval is found in one pass over the
//! levels: each level's price, and each gap between consecutive levels (the prices strictly between
//! them, where `D` and `S` are constant), is a segment of constant `(V, surplus)`. One pass before it
//! checks the levels and sums each side (in 128 bits: a side's total must fit in 64), one after it
//! finds `D` and `S` at the price and the marginal prices below.
//!
//! Rationing: each side executes `V` lots by price-time priority. On the bid side the marginal
//! price `pb` is the highest price with `D(pb) >= V`: every bid above `pb` executes fully, the bids
//! at exactly `pb` share `V - D(pb + 1)` lots by time priority, the rest nothing. Asks mirror it
//! with `pa`, the lowest price with `S(pa) >= V`. Always `pa <= p* <= pb`, so nobody trades beyond
//! their limit; on the short side and whenever the long side has orders at `p*`, its marginal price
//! is `p*` itself.

use crate::{error::BookError, MAX_PRICE_TICKS};

/// The aggregate lots at one price of an auction (24 bytes, memory layout = borsh).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Level {
    /// Ticks.
    pub price: u64,
    /// Lots of the live bids with this limit price.
    pub bid_lots: u64,
    /// Lots of the live asks with this limit price.
    pub ask_lots: u64,
}
const _: () = assert!(core::mem::size_of::<Level>() == 24);

/// The result of [`clear`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Clearing {
    /// The clearing price, ticks (0: nothing executes).
    pub price: u64,
    /// Lots executed on each side, `V(price)`.
    pub volume: u64,
    /// `D(price)`: bid lots with limit `>= price` (0 with no price).
    pub demand: u64,
    /// `S(price)`: ask lots with limit `<= price` (0 with no price).
    pub supply: u64,
    /// The bid side's marginal price `pb` (ticks; 0 with no price).
    pub bid_marginal_price: u64,
    /// Lots the bids at exactly `pb` share by time priority: `V - D(pb + 1)`.
    pub bid_marginal: u64,
    /// The ask side's marginal price `pa` (ticks; 0 with no price).
    pub ask_marginal_price: u64,
    /// Lots the asks at exactly `pa` share by time priority: `V - S(pa - 1)`.
    pub ask_marginal: u64,
}

/// The clearing of an auction whose live orders aggregate to `levels` (strictly ascending prices,
/// each 1 ..= [`MAX_PRICE_TICKS`], else `InvalidLayout`; each side's total must fit in 64 bits,
/// else `Overflow`), with `reference` the previous clearing price (0: none). See the module
/// documentation for the rule.
pub fn clear(levels: &[Level], reference: u64) -> Result<Clearing, BookError> {
    let (total_bids, _) = totals(levels)?;
    // The optimal interval: one pass over the segments in ascending price order. The optimal set
    // is contiguous, so a segment as good as the best extends it and a better one restarts it.
    let mut best = Best {
        volume: 0,
        surplus: u64::MAX,
        lo: 0,
        hi: 0,
    };
    let mut demand = total_bids; // D at the current level's price: bids priced >= it
    let mut supply = 0u64; // S at the current level's price: asks priced <= it
    for (i, level) in levels.iter().enumerate() {
        // Sums of a prefix (or suffix) of a side whose total fits in 64 bits.
        supply += level.ask_lots;
        best.consider(level.price, level.price, demand, supply);
        demand -= level.bid_lots;
        if let Some(next) = levels.get(i + 1) {
            if next.price > level.price + 1 {
                best.consider(level.price + 1, next.price - 1, demand, supply);
            }
        }
    }
    if best.volume == 0 {
        return Ok(Clearing::default());
    }
    let price = if reference == 0 {
        best.lo + (best.hi - best.lo) / 2
    } else {
        reference.clamp(best.lo, best.hi)
    };
    let volume = best.volume;
    let mut out = Clearing {
        price,
        volume,
        ..Clearing::default()
    };
    // D and S at the price, and both marginal prices: for asks the lowest price with S >= V, for
    // bids the highest with D >= V (D only falls, so the last level where it still holds).
    let mut asks_below = 0u64; // S just below the level
    let mut bids_from = total_bids; // D at the level
    for level in levels {
        if level.price >= price {
            out.demand += level.bid_lots;
        }
        if level.price <= price {
            out.supply += level.ask_lots;
        }
        if out.ask_marginal_price == 0
            && level.ask_lots > 0
            && asks_below + level.ask_lots >= volume
        {
            out.ask_marginal_price = level.price;
            out.ask_marginal = volume - asks_below;
        }
        if level.bid_lots > 0 && bids_from >= volume {
            // Provisional while more than V lots are bid above: a higher level then takes over.
            out.bid_marginal_price = level.price;
            out.bid_marginal = volume.saturating_sub(bids_from - level.bid_lots);
        }
        asks_below += level.ask_lots;
        bids_from -= level.bid_lots;
    }
    let consistent = out.ask_marginal_price != 0
        && out.ask_marginal_price <= price
        && price <= out.bid_marginal_price
        && volume == out.demand.min(out.supply)
        && out.demand.abs_diff(out.supply) == best.surplus;
    if !consistent {
        return Err(BookError::SettlementMismatch);
    }
    Ok(out)
}

/// Checks the levels (strictly ascending prices in 1 ..= [`MAX_PRICE_TICKS`]) and returns both
/// sides' totals, summed in 128 bits and required to fit in 64.
fn totals(levels: &[Level]) -> Result<(u64, u64), BookError> {
    let mut bids = 0u128;
    let mut asks = 0u128;
    let mut previous = 0u64;
    for level in levels {
        if level.price <= previous || level.price > MAX_PRICE_TICKS {
            return Err(BookError::InvalidLayout);
        }
        previous = level.price;
        bids += level.bid_lots as u128;
        asks += level.ask_lots as u128;
    }
    let fit = |total: u128| u64::try_from(total).map_err(|_| BookError::Overflow);
    Ok((fit(bids)?, fit(asks)?))
}

/// The best segment so far and the interval of prices as good as it.
struct Best {
    volume: u64,
    surplus: u64,
    lo: u64,
    hi: u64,
}

impl Best {
    /// A segment of prices `from ..= to` where demand and supply are constant.
    #[inline(always)]
    fn consider(&mut self, from: u64, to: u64, demand: u64, supply: u64) {
        let volume = demand.min(supply);
        if volume == 0 {
            return;
        }
        let surplus = demand.abs_diff(supply);
        if volume > self.volume || (volume == self.volume && surplus < self.surplus) {
            *self = Best {
                volume,
                surplus,
                lo: from,
                hi: to,
            };
        } else if volume == self.volume && surplus == self.surplus {
            self.hi = to;
        }
    }
}

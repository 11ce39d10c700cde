//! The clearing price of a call auction, from the aggregate supply and demand per price level.
//!
//! For a price `p` (ticks): demand `D(p)` = lots of bids with limit `>= p`, supply `S(p)` = lots of
//! asks with limit `<= p`, executable volume `V(p) = min(D, S)`, surplus `|D - S|`.
//!
//! 1. The price maximises `V`; call the maximum `V*`.
//! 2. Among those, it minimises the surplus; call the minimum `s`. The prices left form one interval
//!    `[lo, hi]` (below).
//! 3. **Market pressure**: among those, only the prices at which every order priced strictly better
//!    than the price executes fully: `D(p + 1) <= V*` (the bids above `p`) and `S(p - 1) <= V*` (the
//!    asks below `p`). They form one non-empty interval `[lo', hi']` (below).
//! 4. Among those, the one closest to the reference (the previous clearing price): `clamp(reference,
//!    lo', hi')`; with no reference (0), the middle `lo' + (hi' - lo') / 2`.
//!
//! `V = 0` at every price: no price, nothing executes.
//!
//! **Why the intervals are intervals.** `D` never rises and `S` never falls as `p` grows, so `V` is
//! unimodal and `D - S` non-increasing. If `p1 < p2 < p3` and `p1`, `p3` are optimal after step 2,
//! then `V(p2) >= min(V(p1), V(p3)) = V*` and `D - S` at `p2` lies between its values at `p1` and `p3`,
//! both `+s` or `-s`, so `|D - S| <= s` at `p2`: `p2` is optimal too. Step 3's two conditions are
//! monotone (`D(p + 1) <= V*` holds for every `p` from some price up, `S(p - 1) <= V*` up to some
//! price), so they cut `[lo, hi]` to an interval.
//!
//! **Why step 3 leaves a price.** At any `p`, `D(p + 1) <= D(p)` and `S(p - 1) <= S(p)`, so the
//! condition of the short side always holds (`D(p) = V*` when `D <= S`, and then `D(p + 1) <= V*`);
//! only the long side's can fail. On `[lo, hi]`, `D - S` is `+s` or `-s` and non-increasing:
//! * `s = 0`: `D = S = V*` everywhere, both conditions hold: `[lo', hi'] = [lo, hi]`.
//! * excess demand (`D - S = +s`) at every price: for `p < hi`, `D(p + 1) = V* + s > V*` fails. At
//!   `hi`, `hi + 1` is not optimal: either `V(hi + 1) < V* <= S(hi + 1)`, so `D(hi + 1) < V*`; or
//!   `V(hi + 1) = V*` with a larger surplus, and since `D - S` cannot rise, `D(hi + 1) < S(hi + 1)`,
//!   so `D(hi + 1) = V*`. Either way `hi` passes: `{hi}` (the highest price).
//! * excess supply at every price: the mirror image, `{lo}` (the lowest price).
//! * `+s` on `[lo, a]`, then `-s` on `[a + 1, hi]`: below `a` the bids above fail as above, above
//!   `a + 1` the asks below fail (`S(p - 1) = V* + s`); at `a`, `D(a + 1) = V*` (excess supply there),
//!   at `a + 1`, `S(a) = V*` (excess demand there): `{a, a + 1}`.
//!
//! This is the equity call auctions' *market pressure* step (Xetra, Euronext: surplus on the buy
//! side at every candidate, the highest price; on the sell side, the lowest; otherwise the
//! reference price) in its general form.
//!
//! **The property it buys.** At the price `p*`, every bid priced above `p*` and every ask priced
//! below it executes fully (`D(p* + 1) <= V*`, `S(p* - 1) <= V*`); only orders limited exactly at
//! `p*` are ever rationed (by time priority), so a long-side order priced beyond the clearing price
//! always fills completely. `clear` checks it before returning. An order partly filled is thus
//! always *at the money*, as EUPHEMIA requires of a curtailed order: when one side is long, the
//! price is where the step curves intersect, on the curtailed order's limit.
//!
//! The intervals are found in one pass over the levels: each level's price, and each gap between
//! consecutive levels (the prices strictly between them, where `D` and `S` are constant), is a
//! segment of constant `(V, surplus)`; within the optimal run the pass notes the last price with
//! excess demand (`a`, or `hi`) and the first with excess supply (`a + 1`, or `lo`), which bound
//! `[lo', hi']`. One pass before it checks the levels and sums each side (a side's total must fit in 64
//! bits), one after it finds `D` and `S` at the price and the marginal prices below.
//!
//! Rationing: each side executes `V` lots by price-time priority. On the bid side the marginal
//! price `pb` is the highest price with `D(pb) >= V`: every bid above `pb` executes fully, the bids
//! at exactly `pb` share `V - D(pb + 1)` lots by time priority, the rest nothing. Asks mirror it
//! with `pa`, the lowest price with `S(pa) >= V`. Always `pa <= p* <= pb`, so nobody trades beyond
//! their limit. By the property above, a side's marginal lots fall short of its orders at its
//! marginal price only when that price is `p*`: when `pb > p*` the bids at `pb` are priced above
//! `p*` and fill completely (and bids at `p*`, if any, get nothing: those above took the volume).

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
    /// The bid side's marginal price `pb`, the highest with `D(pb) >= V` (ticks; 0 with no price):
    /// bids above it fill, bids below it get nothing. `pb >= price`, and when `pb > price` the
    /// bids at `pb` fill completely: only bids limited at the price are ever partly filled.
    pub bid_marginal_price: u64,
    /// Lots the bids at exactly `pb` share by time priority: `V - D(pb + 1)`.
    pub bid_marginal: u64,
    /// The ask side's marginal price `pa`, the lowest with `S(pa) >= V` (ticks; 0 with no price):
    /// the mirror image, `pa <= price`.
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
        demand_long_to: 0,
        supply_long_from: 0,
    };
    let mut demand = total_bids; // D at the current level's price: bids priced >= it
    let mut supply = 0u64; // S just below the current level: asks priced below it
    let mut gap_from = 1u64; // the lowest price above the previous level
    for level in levels {
        // The gap below this level (prices above the previous level and below this one): D and S
        // as just below it. Below the first level S is 0, so nothing there executes.
        if level.price > gap_from {
            best.consider(gap_from, level.price - 1, demand, supply);
        }
        // A prefix (or suffix) of a side whose total fits in 64 bits: no wrap (the arithmetic
        // below is wrapping only to spare SBF its overflow branches).
        supply = supply.wrapping_add(level.ask_lots);
        best.consider(level.price, level.price, demand, supply);
        demand = demand.wrapping_sub(level.bid_lots);
        gap_from = level.price + 1;
    }
    // Above the last level D is 0: nothing executes there.
    if best.volume == 0 {
        return Ok(Clearing::default());
    }
    // Market pressure: where every order priced better than the price fills (see the module doc).
    let (lo, hi) = best.pressure_interval();
    let price = if reference == 0 {
        lo + (hi - lo) / 2
    } else {
        reference.clamp(lo, hi)
    };
    let volume = best.volume;
    let mut out = Clearing {
        price,
        volume,
        ..Clearing::default()
    };
    // D and S at the price, and both marginal prices: for asks the lowest price with S >= V, for
    // bids the highest with D >= V (D only falls, so the last level where it still holds). Every
    // sum is of a subset of one side, which fits in 64 bits (wrapping spares SBF the checks).
    let mut asks_below = 0u64; // S just below the level
    let mut bids_from = total_bids; // D at the level
    let mut at_price = Level::default(); // the lots limited exactly at the price
    for level in levels {
        if level.price >= price {
            out.demand = out.demand.wrapping_add(level.bid_lots);
        }
        if level.price <= price {
            out.supply = out.supply.wrapping_add(level.ask_lots);
        }
        if level.price == price {
            at_price = *level;
        }
        let asks_to = asks_below.wrapping_add(level.ask_lots);
        if out.ask_marginal_price == 0 && level.ask_lots > 0 && asks_to >= volume {
            out.ask_marginal_price = level.price;
            out.ask_marginal = volume - asks_below;
        }
        let bids_above = bids_from.wrapping_sub(level.bid_lots);
        if level.bid_lots > 0 && bids_from >= volume {
            // Provisional while more than V lots are bid above: a higher level then takes over.
            out.bid_marginal_price = level.price;
            out.bid_marginal = volume.saturating_sub(bids_above);
        }
        asks_below = asks_to;
        bids_from = bids_above;
    }
    // The rule's property: the bids above the price (`D(p + 1)`) and the asks below it (`S(p - 1)`)
    // all fit in the volume, so only orders limited exactly at the price are rationed.
    let consistent = out.ask_marginal_price != 0
        && out.ask_marginal_price <= price
        && price <= out.bid_marginal_price
        && volume == out.demand.min(out.supply)
        && out.demand.abs_diff(out.supply) == best.surplus
        && out.demand - at_price.bid_lots <= volume
        && out.supply - at_price.ask_lots <= volume;
    if !consistent {
        return Err(BookError::SettlementMismatch);
    }
    Ok(out)
}

/// Checks the levels (strictly ascending prices in 1 ..= [`MAX_PRICE_TICKS`]) and returns both
/// sides' totals, each required to fit in 64 bits (`Overflow`).
fn totals(levels: &[Level]) -> Result<(u64, u64), BookError> {
    let mut bids = 0u64;
    let mut asks = 0u64;
    let mut overflow = false;
    let mut previous = 0u64;
    for level in levels {
        if level.price <= previous || level.price > MAX_PRICE_TICKS {
            return Err(BookError::InvalidLayout);
        }
        previous = level.price;
        let (b, o) = bids.overflowing_add(level.bid_lots);
        let (a, p) = asks.overflowing_add(level.ask_lots);
        (bids, asks, overflow) = (b, a, overflow | o | p);
    }
    if overflow {
        return Err(BookError::Overflow);
    }
    Ok((bids, asks))
}

/// The best segment so far, the interval of prices as good as it, and where each side is long in
/// that interval.
struct Best {
    volume: u64,
    surplus: u64,
    lo: u64,
    hi: u64,
    /// The highest price of the interval with excess demand (`D > S`); 0: none.
    demand_long_to: u64,
    /// The lowest price of the interval with excess supply (`D < S`); 0: none.
    supply_long_from: u64,
}

impl Best {
    /// A segment of prices `from ..= to` where demand and supply are constant.
    #[inline(always)]
    fn consider(&mut self, from: u64, to: u64, demand: u64, supply: u64) {
        let volume = demand.min(supply);
        // Most segments are worse than the best: one comparison rules them out.
        if volume < self.volume || volume == 0 {
            return;
        }
        let surplus = demand.abs_diff(supply);
        if volume > self.volume || surplus < self.surplus {
            *self = Best {
                volume,
                surplus,
                lo: from,
                hi: to,
                demand_long_to: 0,
                supply_long_from: 0,
            };
        } else if surplus == self.surplus {
            self.hi = to;
        } else {
            return;
        }
        // `D - S` only falls: the segments with excess demand come first in the interval.
        if demand > supply {
            self.demand_long_to = to;
        } else if demand < supply && self.supply_long_from == 0 {
            self.supply_long_from = from;
        }
    }

    /// The optimal prices at which no bid above and no ask below the price is left unfilled:
    /// `[a, a + 1]` around the switch from excess demand (up to `a`) to excess supply; `{hi}` when
    /// demand is long throughout, `{lo}` when supply is; the whole interval with no surplus.
    #[inline(always)]
    fn pressure_interval(&self) -> (u64, u64) {
        let lo = if self.demand_long_to != 0 {
            self.demand_long_to
        } else {
            self.lo
        };
        let hi = if self.supply_long_from != 0 {
            self.supply_long_from
        } else {
            self.hi
        };
        (lo, hi)
    }
}

"""The side-by-side order-book workload (``make bench``, section ``peers``): one definition that SolGrid's
trading program and each peer (Manifest, Phoenix) are measured against, in LiteSVM, each program
deployed through BPFLoaderUpgradeable and built by the same offline pipeline.

The workload, per order book:

1. create a market for a base token (GRID: 9 decimals) against a quote token (6 decimals, like
   USDC), with whatever accounts the book needs (market, vaults, seats): ``rent_lamports`` is the
   rent-exempt minimum of every account created for the market, seats of the two traders excluded;
2. a maker and a taker each get a seat (where the book has seats) and deposit enough of both tokens;
3. the maker places resting asks of one base lot each, one per price level, at increasing prices:
   ``place_resting_cu`` holds the compute units of each placement (the first and the later ones);
4. a taker buy limit order crossing ``n`` of those asks (``n`` = 1, 2, 4, 8, ... while it fits):
   ``take_cu[n]`` is its compute units, from which the marginal cost per fill follows;
5. ``max_fills`` is the most asks one taker order crosses in one transaction, and ``max_fills_limit``
   says what stops it there (the 1.4M compute-unit limit, the 1,232-byte transaction, or the book's
   own limit on matches per order);
6. the maker cancels one resting order: ``cancel_cu``.

Compute units are the measured instruction's own: a ComputeBudget instruction in the same transaction
is subtracted (150 CU each). ``tx_bytes`` is the serialized size of each measured transaction
(``place``, ``take`` with one fill, ``cancel``), one signer besides the fee payer where the book needs
one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

COMPUTE_BUDGET_IX_CU = 150
"""What one ComputeBudget instruction costs; subtracted from a transaction's consumed units."""
MAX_TRANSACTION_CU = 1_400_000
MAX_TRANSACTION_BYTES = 1_232


@dataclass(frozen=True)
class BookMeasurements:
    """One order book's numbers for the workload above."""

    book: str
    """``SolGrid``, ``Manifest 2.0.1`` or ``Phoenix 0.2.4``."""
    rent_lamports: int
    place_resting_cu: list[int]
    take_cu: dict[int, int]
    max_fills: int
    max_fills_limit: str
    cancel_cu: int
    tx_bytes: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    """How this book had to be driven where it differs from the others (e.g. a swap instead of a
    limit order), so that the table's reader knows what was compared."""

    def marginal_fill_cu(self) -> float:
        """Compute units per additional fill: the slope between the smallest and largest ``n`` measured."""
        low, high = min(self.take_cu), max(self.take_cu)
        if high == low:
            raise ValueError("need two different fill counts")
        return (self.take_cu[high] - self.take_cu[low]) / (high - low)

"""The side-by-side order-book workload (``make bench``, section ``peers``): one definition that SolGrid's
trading program and each peer (Manifest, Phoenix) are measured against, in LiteSVM, each program
deployed through BPFLoaderUpgradeable and built by the same offline pipeline.

The workload, per order book, with one book depth ``BOOK_DEPTH`` (``D``) for every book:

1. create a market for a base token (GRID: 9 decimals) against a quote token (6 decimals, like
   USDC), with whatever accounts the book needs (market, vaults, seats): ``rent_lamports`` is the
   rent-exempt minimum of every account created for the market, seats of the two traders excluded;
2. a maker and a taker each get a seat (where the book has seats) and deposit enough of both tokens;
3. the maker fills the book with ``D`` resting asks of one base lot each, one per price level and
   transaction, at increasing prices (level ``i`` at the ``i``-th price): ``place_resting_cu`` holds
   the compute units of each, placed on a book of 0, 1, ..., ``D - 1`` resting asks;
4. a taker's buy limit order, from its deposited funds, crossing the ``n`` best of the ``D`` asks
   (``n`` = 1, 2, 4, 8, ... up to ``D`` while it fits one transaction): ``take_cu[n]`` is its compute
   units, from which the marginal cost per fill follows; after each, the maker places the ``n`` asks
   taken again at their prices (not measured), so every taker meets the same ``D``-deep book;
5. with the ``D`` asks resting, the maker places one more at the next level (the deepest price):
   ``place_at_depth_cu``; then cancels that order, ``D`` others resting: ``cancel_cu``;
6. a separate probe, on a book as deep as it needs: ``max_fills`` is the most asks one taker order
   crosses in one transaction, and ``max_fills_limit`` says what stops it there (the 1.4M
   compute-unit limit, the 1,232-byte transaction, or the book's own limit on matches per order),
   and that the probe's book (its capacity) did not.

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
BOOK_DEPTH = 256
"""``D``: the resting asks on every book when its placement, cancel and takers are measured. Phoenix's
smallest market holds 512 asks: ``D`` asks and the one placed on top of them fit it."""


@dataclass(frozen=True)
class BookMeasurements:
    """One order book's numbers for the workload above."""

    book: str
    """``SolGrid``, ``Manifest 2.0.1`` or ``Phoenix 0.2.4``."""
    rent_lamports: int
    place_resting_cu: list[int]
    """Filling the book: the ``i``-th placed on ``i`` resting asks, ``i`` = 0 .. ``depth`` - 1."""
    place_at_depth_cu: int
    """An ask placed at the deepest price with ``depth`` asks resting."""
    take_cu: dict[int, int]
    """``n``: a taker crossing the ``n`` best of ``depth`` resting asks."""
    max_fills: int
    max_fills_limit: str
    cancel_cu: int
    """Cancelling the ask of ``place_at_depth_cu``, ``depth`` others resting."""
    depth: int
    """The workload's ``BOOK_DEPTH`` as this book was driven (the section checks every book's is the same)."""
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

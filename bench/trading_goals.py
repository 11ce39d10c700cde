"""Issue 12's goals for SolGrid's order book (the trading program), shared by the ``trading`` section of
``bench/run.py`` and the side-by-side ``peers`` section (``bench/peers_section.py``). Targets to watch,
not assertions."""

from __future__ import annotations

PLACE_GOAL = 4_000
"""At most this many CU to place a resting limit order."""
FILL_GOAL = 1_500
"""At most this many CU per additional fill."""
FILLS_GOAL = 64
"""At least this many fills in one transaction."""
CANCEL_GOAL = 2_500
"""At most this many CU to cancel."""
RENT_GOAL_SOL = 0.01
"""At most this much SOL of rent to create a market."""

"""A periodic market's epochs: which epoch a time falls in, where it starts and ends, and which of the
market's two epoch accounts holds it.

Epoch ``E`` of a market with ``epoch_secs`` covers ``[E * epoch_secs, (E + 1) * epoch_secs)`` of cluster
(Unix) time, so 900-second epochs are the wall clock's quarter hours. Orders placed during ``E`` join its
call auction; its gate closure is ``ends_at``, after which anyone clears and settles it. The market has
two epoch accounts, PDAs ``["epoch", market, [slot]]``: epoch ``E`` always lives in slot ``E % 2`` (the
account is reused by every epoch of that parity once the previous one is settled;
:meth:`~solgrid.sdk.trading.client.TradingClient.epoch_pda`).
"""

from __future__ import annotations

from dataclasses import dataclass


def _positive(epoch_secs: int) -> int:
    if epoch_secs <= 0:
        raise ValueError(f"a periodic market's epoch length is positive, got {epoch_secs}")
    return epoch_secs


def epoch_at(time: int, epoch_secs: int) -> int:
    """The epoch containing Unix time ``time`` (times before 1970 count as epoch 0, as on chain)."""
    return max(time, 0) // _positive(epoch_secs)


def slot_of(epoch: int) -> int:
    """The epoch account slot (0 or 1) that holds ``epoch``."""
    return epoch % 2


def starts_at(epoch: int, epoch_secs: int) -> int:
    return epoch * _positive(epoch_secs)


def ends_at(epoch: int, epoch_secs: int) -> int:
    """The epoch's gate closure: from this time its auction takes no order and may be cleared."""
    return (epoch + 1) * _positive(epoch_secs)


@dataclass(frozen=True)
class EpochWindow:
    """One epoch of a market in time: its number, start and gate closure."""

    epoch: int
    starts_at: int
    ends_at: int

    @property
    def slot(self) -> int:
        return slot_of(self.epoch)

    def remaining(self, now: int) -> int:
        """Seconds until the gate closure (0 once it passed)."""
        return max(self.ends_at - now, 0)


def window(epoch: int, epoch_secs: int) -> EpochWindow:
    return EpochWindow(epoch, starts_at(epoch, epoch_secs), ends_at(epoch, epoch_secs))


def current_window(now: int, epoch_secs: int) -> EpochWindow:
    """The epoch whose auction an order placed at ``now`` joins."""
    return window(epoch_at(now, epoch_secs), epoch_secs)

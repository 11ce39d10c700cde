"""What a certificate request would certify, computed from a meter's registry fields before sending
(the rule of ``governance-core``'s ``request_interval``, which the program and the registry's
``certify_meter`` apply):

* only solar, wind and hydro meters are certified (battery storage and grid supply are not renewable
  generation);
* the volume is the meter's renewable production accepted through device-signed readings
  (``certified_wh``) that no certificate covers yet (``certificate_wh``); none, nothing to certify;
* the interval runs from where the last certificate ended (``certificate_until``), else from the
  meter's first accepted window, else from its registration, to the end of its last accepted window.
"""

from __future__ import annotations

from dataclasses import dataclass

from solgrid.errors import UserFacingError
from solgrid.sdk.clock import utc
from solgrid.sdk.registry import EnergySource, Meter

RENEWABLE_SOURCES = frozenset({EnergySource.SOLAR, EnergySource.WIND, EnergySource.HYDRO})


class NotRenewable(UserFacingError):
    """The meter's energy source is not renewable."""


class NothingToCertify(UserFacingError):
    """The meter has no renewable production that a certificate does not cover yet."""


@dataclass(frozen=True)
class Certifiable:
    """The production the next certificate of a meter covers."""

    start: int
    end: int
    volume_wh: int


def interval_start(meter: Meter) -> int:
    """Where the next certificate of ``meter`` starts (its PDA seed)."""
    if meter.certificate_until != 0:
        return meter.certificate_until
    if meter.first_window_start != 0:
        return meter.first_window_start
    return meter.registered_at


def is_renewable(source: EnergySource) -> bool:
    return source in RENEWABLE_SOURCES


def certifiable(meter: Meter, serial: str = "") -> Certifiable:
    """The interval and volume a request for ``meter`` certifies, or :class:`NotRenewable` /
    :class:`NothingToCertify` (one-line messages naming ``serial``)."""
    name = f"meter {serial}" if serial else "the meter"
    if not is_renewable(meter.source):
        raise NotRenewable(
            f"{name} measures {meter.source.name.lower()}: only solar, wind and hydro production is certified"
        )
    volume = meter.certified_wh - meter.certificate_wh
    if volume <= 0:
        if meter.certified_wh == 0:
            detail = "it has no accepted renewable production yet (readings come first)"
        else:
            detail = (
                f"all {meter.certified_wh} Wh of its accepted renewable production, up to "
                f"{utc(meter.certificate_until)}, are covered by certificates"
            )
        raise NothingToCertify(f"{name} has nothing to certify: {detail}")
    start = interval_start(meter)
    if meter.last_window_end <= start:
        raise NothingToCertify(
            f"{name} has nothing to certify: its last accepted window ends at {meter.last_window_end}, not "
            f"after {start}"
        )
    return Certifiable(start=start, end=meter.last_window_end, volume_wh=volume)

"""The simulator: deterministic for a seed, and shaped like solar, wind, run-of-river hydro and household
load."""

from __future__ import annotations

from solders.pubkey import Pubkey

from solgrid.oracle.config import MeterConfig
from solgrid.oracle.simulator import DAY, first_fresh_window, simulate, windows_due

MIDNIGHT = 1_767_225_600  # 2026-01-01T00:00:00Z
HOUR = 3600


def meter(profile: str, serial: str = "M-1", capacity_w: int = 6_000) -> MeterConfig:
    return MeterConfig(serial, Pubkey.default(), 1, None, bytes(32), profile, capacity_w, 12_000)


def day(m: MeterConfig, seed: int = 1, window: int = 900) -> list[tuple[int, int, int]]:
    return [
        (s, (r := simulate(m, seed, s, window)).production_wh, r.consumption_wh)
        for s in range(MIDNIGHT, MIDNIGHT + DAY, window)
    ]


def test_same_seed_same_readings_other_seed_or_meter_differs() -> None:
    solar = meter("solar")
    assert day(solar, seed=5) == day(solar, seed=5)
    assert day(solar, seed=5) != day(solar, seed=6)
    assert day(solar) != day(meter("solar", serial="M-2"))


def test_solar_produces_in_daylight_only_and_peaks_near_noon() -> None:
    readings = day(meter("solar"))
    by_hour = {(s - MIDNIGHT) // HOUR: p for s, p, _ in readings}
    assert all(p == 0 for s, p, _ in readings if not 6 * HOUR <= (s - MIDNIGHT) <= 18 * HOUR)
    midday = sum(p for s, p, _ in readings if 10 * HOUR <= s - MIDNIGHT < 14 * HOUR)
    morning = sum(p for s, p, _ in readings if 6 * HOUR <= s - MIDNIGHT < 10 * HOUR)
    assert midday > morning > 0
    assert max(by_hour.values()) <= 6_000 * 900 // HOUR  # never above the rated capacity


def test_wind_blows_at_night_and_stays_within_capacity() -> None:
    readings = day(meter("wind", capacity_w=2_000))
    assert sum(p for s, p, _ in readings if s - MIDNIGHT < 6 * HOUR) > 0
    assert all(0 <= p <= 2_000 * 900 // HOUR for _, p, _ in readings)


def test_hydro_runs_steadily_at_every_hour() -> None:
    """Run-of-river output does not depend on the hour: every window of the day, one-minute ones too,
    produces 80-90 % of the rated capacity."""
    for window in (900, 60):
        readings = day(meter("hydro", capacity_w=10_000), window=window)
        full = 10_000 * window / HOUR
        assert all(0.79 * full <= p <= 0.91 * full for _, p, _ in readings)
    by_hour = [sum(p for s, p, _ in readings if h * HOUR <= s - MIDNIGHT < (h + 1) * HOUR) for h in range(24)]
    assert max(by_hour) < 1.1 * min(by_hour)


def test_household_load_sums_to_the_daily_consumption_and_peaks_in_the_evening() -> None:
    readings = day(meter("consumer"))
    assert all(p == 0 for _, p, _ in readings)
    total = sum(c for _, _, c in readings)
    assert 0.9 * 12_000 < total < 1.1 * 12_000
    evening = sum(c for s, _, c in readings if 18 * HOUR <= s - MIDNIGHT < 21 * HOUR)
    night = sum(c for s, _, c in readings if 1 * HOUR <= s - MIDNIGHT < 4 * HOUR)
    assert evening > 2 * night


def test_windows_due_are_the_ended_ones_up_to_the_limit() -> None:
    assert windows_due(1000, 60, 1000 + 60 * 3 + 59, None) == [1000, 1060, 1120]
    assert windows_due(1000, 60, 1000 + 60 * 3, 2) == [1000, 1060]
    assert windows_due(1000, 60, 1059, None) == []


def test_windows_the_registry_would_refuse_as_too_old_are_skipped_on_the_grid() -> None:
    # Recent enough: unchanged.
    assert first_fresh_window(10_000, 900, 10_000 + 3_600, 86_400) == 10_000
    # Two days behind with a one-day limit: jump forward by whole windows, to within the limit.
    start, now = 10_000, 10_000 + 2 * DAY
    fresh = first_fresh_window(start, 900, now, DAY)
    assert (fresh - start) % 900 == 0
    assert now - DAY <= fresh < now - DAY + 900  # the first window on the grid whose end is safely fresh

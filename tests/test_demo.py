"""The README's demo runs end to end against a real ``solgrid localnet`` process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_demo_mints_the_metered_surplus() -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "demo.py")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    assert "6 device-signed readings accepted in one v0 transaction" in out
    assert "unsettled surplus 2460 Wh" in out
    assert "prosumer holds 2.460000000 GRID" in out
    assert "1.845000000 GRID" in out  # after burning a quarter
    assert out.rstrip().endswith("local node stopped")

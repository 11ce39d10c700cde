"""The dashboard's JavaScript unit tests (dashboard/test/*.test.mjs: units and formats, hash routes, the
feed's subscriptions and reconnect backoff), run by ``node --test``; the browser tests (tests/dashboard)
cover the built pages."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

DASHBOARD = Path(__file__).resolve().parents[2] / "dashboard"
TIMEOUT_SECS = 120


def test_dashboard_js_units() -> None:
    node = shutil.which("node")
    assert node is not None, "node not found: scripts/setup.sh installs Debian's nodejs"
    done = subprocess.run(
        [node, "--test"], cwd=DASHBOARD, capture_output=True, text=True, timeout=TIMEOUT_SECS, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "# fail 0" in done.stdout

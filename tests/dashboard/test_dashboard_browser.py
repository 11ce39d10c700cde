"""The browser tests need Debian's chromium and its driver where setup installs them: without them they
fail (never skip) with one line saying what to run."""

from __future__ import annotations

from pathlib import Path

import browser
import pytest


@pytest.mark.parametrize("missing", ["CHROMIUM", "CHROMEDRIVER"])
def test_a_missing_browser_fails_in_one_line_naming_setup(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, missing: str
) -> None:
    absent = tmp_path / missing.lower()
    monkeypatch.setattr(browser, missing, absent)
    with pytest.raises(AssertionError) as failure:
        browser.require_browser()
    assert str(failure.value) == f"{absent} not found: run scripts/setup.sh (it installs them)"


def test_the_installed_browser_is_found() -> None:
    browser.require_browser()

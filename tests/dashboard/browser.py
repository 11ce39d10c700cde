"""A real headless browser for the dashboard's tests: Debian's chromium driven by its chromedriver
through selenium, the browser console captured, screenshots saved.

Screenshots go to the test's tmp dir always, and to docs/screenshots/<name>.png (committed, referenced
from docs/dashboard.md) only when that file is missing or the run sets SOLGRID_UPDATE_SCREENSHOTS=1: the
pictures show times and addresses of the run, so a normal test run leaves the committed ones alone.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "docs" / "screenshots"
UPDATE = "SOLGRID_UPDATE_SCREENSHOTS"
WAIT = 30.0
"""Seconds a page gets to show what a test waits for (a bound, not a timing assertion)."""


VISIBLE = """
const [testid, attribute] = arguments;
const shown = Array.from(document.querySelectorAll(`[data-testid="${testid}"]`))
  .find((e) => e.getClientRects().length > 0);
if (!shown) return null;
return attribute === null ? shown.innerText : shown.getAttribute(attribute);
"""
"""The text (or an attribute) of the first visible element with a data-testid, or null."""


@dataclass(frozen=True)
class Screen:
    name: str
    width: int
    height: int
    mobile: bool


DESKTOP = Screen("desktop", 1280, 900, False)
PHONE = Screen("phone", 390, 844, True)


def require_browser() -> None:
    """Fail (never skip) in one line when setup has not installed the browser."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        raise AssertionError(f"{' and '.join(missing)} not found: run scripts/setup.sh (it installs them)")


class Browser:
    """One chromium session at ``screen``'s size, its console log kept."""

    def __init__(self, screen: Screen) -> None:
        require_browser()
        options = Options()
        options.binary_location = str(CHROMIUM)
        for argument in (
            "--headless=new",
            "--no-sandbox",
            "--disable-dev-shm-usage",
            "--disable-gpu",
            "--hide-scrollbars",
            f"--window-size={screen.width},{screen.height}",
        ):
            options.add_argument(argument)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.screen = screen
        self.driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
        self.driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": screen.width, "height": screen.height, "deviceScaleFactor": 1, "mobile": screen.mobile},
        )
        self.console: list[dict[str, Any]] = []

    def quit(self) -> None:
        self.driver.quit()

    def open(self, url: str) -> None:
        """``url`` loaded afresh (never a hash change of the page before), the console log emptied of
        what earlier pages logged."""
        self.driver.get("about:blank")
        self.read_console()
        self.console.clear()
        self.driver.get(url)

    def script(self, source: str, *args: Any) -> Any:
        return self.driver.execute_script(source, *args)

    def read_console(self) -> list[dict[str, Any]]:
        """The console entries since the last call (also kept in ``console``)."""
        entries: list[dict[str, Any]] = self.driver.get_log("browser")
        self.console += entries
        return entries

    def assert_no_console_errors(self) -> None:
        """Fails listing every SEVERE console entry so far (uncaught errors, failed requests,
        console.error)."""
        self.read_console()
        severe = [e for e in self.console if e.get("level") == "SEVERE"]
        assert not severe, "console errors:\n" + "\n".join(e.get("message", "") for e in severe)

    def wait(self, condition: Callable[[webdriver.Chrome], Any], what: str, timeout: float = WAIT) -> Any:
        """``condition``'s first truthy value, or a failure naming ``what`` and the console's errors."""
        try:
            # The pages re-render what they refresh: an element found a moment ago may be gone.
            wait = WebDriverWait(self.driver, timeout, ignored_exceptions=[StaleElementReferenceException])
            return wait.until(condition)
        except TimeoutException:
            self.read_console()
            errors = [e.get("message", "") for e in self.console if e.get("level") == "SEVERE"]
            raise AssertionError(
                f"the page did not show {what} in {timeout:.0f} s; console errors: {errors}"
            ) from None

    def testid(self, testid: str) -> WebElement:
        """The visible element with ``data-testid``, waited for."""
        selector = f'[data-testid="{testid}"]'

        def shown(driver: webdriver.Chrome) -> WebElement | bool:
            for element in driver.find_elements(By.CSS_SELECTOR, selector):
                if element.is_displayed():
                    return element
            return False

        found: WebElement = self.wait(shown, f"[data-testid={testid}]")
        return found

    def all(self, testid: str, within: WebElement | None = None) -> list[WebElement]:
        root: Any = within or self.driver
        return list(root.find_elements(By.CSS_SELECTOR, f'[data-testid="{testid}"]'))

    def text(self, testid: str) -> str:
        """The text of the visible ``testid`` element, read in one script call (once it is there)."""
        return str(self.wait(lambda _: self.script(VISIBLE, testid, None), f"[data-testid={testid}]"))

    def attribute(self, testid: str, name: str) -> str:
        """Attribute ``name`` of the visible ``testid`` element (once it is there)."""
        return str(self.wait(lambda _: self.script(VISIBLE, testid, name), f"[data-testid={testid}][{name}]"))

    def has_horizontal_overflow(self) -> bool:
        return bool(self.script("return document.documentElement.scrollWidth > window.innerWidth"))

    def mark(self) -> None:
        """Sets a marker on ``window`` that a reload would lose."""
        self.script("window.__solgridNoReload = true")

    def marked(self) -> bool:
        return bool(self.script("return window.__solgridNoReload === true"))

    def screenshot(self, name: str, tmp_dir: Path) -> bytes:
        """The whole page (not only what the window shows) as ``name``.png in ``tmp_dir``; its PNG."""
        capture = self.driver.execute_cdp_cmd(
            "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}
        )
        png = base64.b64decode(capture["data"])
        (tmp_dir / f"{name}.png").write_bytes(png)
        return png


def commit_screenshot(name: str, png: bytes) -> None:
    """``png`` as docs/screenshots/``name``.png when that file is missing or SOLGRID_UPDATE_SCREENSHOTS=1
    (for a page that passed its checks)."""
    committed = SCREENSHOTS / f"{name}.png"
    if os.environ.get(UPDATE) == "1" or not committed.exists():
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        committed.write_bytes(png)


@contextmanager
def browser(screen: Screen) -> Iterator[Browser]:
    session = Browser(screen)
    try:
        yield session
    finally:
        session.quit()

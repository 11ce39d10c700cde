"""What the dashboard's page tests share: opening a page of the served dashboard and checking it the way
every page must be (no console error, no error banner, live, no sideways scrolling on a phone), the
dashboard's number formats (dashboard/src/format.js) for the values the tests look for, and a row's
cells."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from browser import VISIBLE, Browser, commit_screenshot
from selenium.webdriver.remote.webelement import WebElement
from served import ApiProcess

DOCUMENTED = {"market", "meters", "certificates", "governance", "status"}
"""The pages whose desktop screenshots docs/dashboard.md shows (docs/screenshots/<page>.png)."""


def open_page(b: Browser, api: ApiProcess, route: str, page: str) -> WebElement:
    """``#/<route>`` loaded afresh: its ``page-<page>`` root shown and the feed's websocket open."""
    b.open(f"{api.origin}/#/{route}")
    root = b.testid(f"page-{page}")
    b.wait(
        lambda _: b.script(VISIBLE, "live-indicator", "data-state") == "open",
        "the live indicator open (the feed relay connected)",
    )
    return root


FOREIGN = """
return performance.getEntriesByType("resource").map((e) => e.name)
  .filter((name) => !name.startsWith(location.origin + "/"));
"""
"""What the page requested from another origin than the one that served it."""


def check_page(b: Browser, name: str, tmp_path: Path) -> None:
    """No console error, no error banner, nothing requested from another origin (no CDN); on a phone
    the page lays out at the phone's width without sideways scrolling. A screenshot first (``name``, in
    the test's tmp dir: it shows what failed), then the checks; at desktop size a :data:`DOCUMENTED`
    page that passed them is docs/screenshots' picture (see browser.commit_screenshot)."""
    png = b.screenshot(name if not b.screen.mobile else f"{name}-phone", tmp_path)
    banner = b.script(VISIBLE, "error-banner", None)
    assert not banner, f"error banner: {banner}"
    b.assert_no_console_errors()
    foreign = b.script(FOREIGN)
    assert not foreign, f"requests to another origin (no CDN at run time): {foreign}"
    if b.screen.mobile:
        width = b.script("return window.innerWidth")
        assert width == b.screen.width, f"the page lays out {width} px wide (no viewport meta?)"
        scroll = b.script("return document.documentElement.scrollWidth")
        assert scroll <= width, f"the page scrolls sideways: {scroll} px wide in {width}"
    elif name in DOCUMENTED:
        commit_screenshot(name, png)


@dataclass(frozen=True)
class Row:
    """A table row as the page showed it: its ``data-*`` values, its cells' text and title."""

    data: dict[str, str]
    cells: list[str]
    titles: list[str]


SNAPSHOT = """
return Array.from(document.querySelectorAll(arguments[0])).map((row) => ({
  data: Object.assign({}, row.dataset),
  cells: Array.from(row.querySelectorAll("td")).map((td) => td.textContent),
  titles: Array.from(row.querySelectorAll("td")).map((td) => td.title),
}));
"""
"""Rows read in one script call: the pages re-render their tables on every refresh, so elements found
by one call may be gone by the next."""


def rows(b: Browser, testid: str, count: int, **data: Any) -> list[Row]:
    """The ``testid`` rows (with the given ``data-*`` values) once there are ``count`` of them."""
    selector = f'[data-testid="{testid}"]' + "".join(f'[data-{k}="{v}"]' for k, v in data.items())

    def counted(_: Any) -> list[Row] | bool:
        found = [Row(r["data"], r["cells"], r["titles"]) for r in b.script(SNAPSHOT, selector)]
        return found if len(found) == count else False

    found: list[Row] = b.wait(counted, f"{count} {selector}")
    return found


def number(value: float) -> str:
    """format.js ``num``: thousands separators, at most 3 decimals."""
    text = f"{value:,.3f}".rstrip("0").rstrip(".")
    return text or "0"


def energy(wh: int) -> str:
    """format.js ``energy``."""
    for unit, size in (("GWh", 10**9), ("MWh", 10**6), ("kWh", 10**3)):
        if abs(wh) >= size:
            return f"{number(wh / size)} {unit}"
    return f"{number(wh)} Wh"


def quote(atoms: int, decimals: int) -> str:
    """format.js ``quote`` (a 6-decimal token: at most 6 decimals)."""
    text = f"{atoms / 10**decimals:,.{decimals}f}".rstrip("0").rstrip(".")
    return text or "0"


def resources(b: Browser, part: str) -> list[str]:
    """The URLs the page requested that contain ``part``."""
    names: list[str] = b.script("return performance.getEntriesByType('resource').map((e) => e.name)")
    return [n for n in names if part in n]

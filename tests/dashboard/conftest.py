"""Fixtures of the dashboard's browser tests: the demo-sized world indexed and served by a real
``solgrid api run`` with the indexer's feed, and headless chromium sessions at desktop and phone size."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "indexer"))  # the indexer's synthetic events
sys.path.insert(0, str(Path(__file__).resolve().parent))

from browser import DESKTOP, PHONE, Browser, browser, require_browser
from served import Site, served
from world import build_world


@pytest.fixture(scope="module")
def site(governance_elves: dict[str, bytes], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A world of the module's own (the live tests add to it), indexed into SQLite and served."""
    require_browser()
    world = build_world(governance_elves, int(time.time()))
    tmp = tmp_path_factory.mktemp("site")
    with served(f"sqlite+aiosqlite:///{tmp / 'indexer.db'}", world.txs, tmp / "api.log") as (index, api):
        yield world, index, api


@pytest.fixture(scope="module")
def desktop() -> Iterator[Browser]:
    with browser(DESKTOP) as session:
        yield session


@pytest.fixture(scope="module")
def phone() -> Iterator[Browser]:
    with browser(PHONE) as session:
        yield session


@pytest.fixture
def screens(desktop: Browser, phone: Browser) -> Callable[[str], Browser]:
    return {"desktop": desktop, "phone": phone}.__getitem__

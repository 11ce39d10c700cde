"""The dashboard changes, without a reload, when a new trade, reading or certificate is indexed: the test
stores one more transaction through the indexer's Store and publishes its events on the indexer's feed
(as ``solgrid.indexer.service`` does after a commit), and the page, subscribed through the API's /feed
relay, re-reads what changed.

Before indexing, each test waits until the page holds its subscription and has made the re-read the
subscription's acknowledgement asks for, so that what changes the page afterwards is the feed's frame
(a re-read after the indexing) and not the page's first load."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from browser import Browser
from dashboard_support import check_page, energy, open_page, resources, rows
from served import LiveIndex, Site
from world import TRADE_LOTS

pytestmark = pytest.mark.slow
TICK = 10_000


def subscribed(b: Browser, index: LiveIndex, endpoint: str) -> int:
    """Waits for the page's subscription and its acknowledgement's re-read of ``endpoint`` (two reads:
    the first load and that one); returns how many reads of it the page made."""
    b.wait(lambda _: index.subscriptions() > 0, "the page's feed subscription")
    b.wait(lambda _: len(resources(b, endpoint)) >= 2, f"the re-read of {endpoint} after subscribing")
    return len(resources(b, endpoint))


def test_a_new_trade_shows_in_the_trades_and_the_book(site: Site, desktop: Browser, tmp_path: Path) -> None:
    world, index, api = site
    b = desktop
    open_page(b, api, "market/7", "market")
    before = rows(b, "trade-row", world.expected.trades)
    reads = subscribed(b, index, "/zones/7/book")
    b.mark()
    tx, ticks, lots = world.new_trade()
    assert [e.name for e in index.index(tx)] == ["OrderPlaced"]
    trades = rows(b, "trade-row", len(before) + 1)
    assert trades[0].data["signature"] == tx.signature
    assert trades[0].cells[3] == energy(lots * 100)
    assert lots == TRADE_LOTS
    prices = {r.data["price"] for r in rows(b, "book-row", 5)}  # the lifted ask's level gone
    assert str(ticks * TICK) not in prices
    assert len(resources(b, "/zones/7/book")) > reads
    assert b.marked(), "the page reloaded"
    check_page(b, "live-trade", tmp_path)


def test_a_new_reading_changes_the_meter_and_the_totals(site: Site, desktop: Browser, tmp_path: Path) -> None:
    world, index, api = site
    b = desktop
    alice = str(world.life.alice.meter)
    produced = world.expected.produced_wh[alice]
    open_page(b, api, "meters", "meters")
    (row,) = rows(b, "meter-row", 1, meter=alice)
    assert energy(produced) in row.cells
    reads = subscribed(b, index, "/meters")
    b.mark()
    tx = world.new_reading(777)
    assert [e.name for e in index.index(tx)] == ["ReadingAccepted"]
    now = energy(produced + 777)
    b.wait(lambda _: now in rows(b, "meter-row", 1, meter=alice)[0].cells, f"alice's meter at {now}")
    total = energy(sum(world.expected.produced_wh.values()))
    b.wait(lambda _: b.text("meters-produced") == total, f"the zone's production at {total}")
    assert len(resources(b, "/meters")) > reads
    assert b.marked(), "the page reloaded"
    check_page(b, "live-reading", tmp_path)


def test_a_new_certificate_shows_in_the_certificates(site: Site, desktop: Browser, tmp_path: Path) -> None:
    world, index, api = site
    b = desktop
    open_page(b, api, "certificates", "certificates")
    rows(b, "certificate-row", len(world.life.certificates))
    (transfer,) = rows(b, "transfer-row", 1)
    reads = subscribed(b, index, "/certificates")
    b.wait(lambda _: len(resources(b, "/certificate-events")) >= 2, "the transfers re-read on subscribing")
    transfer_reads = len(resources(b, "/certificate-events"))
    b.mark()
    tx, address = world.new_certificate()
    assert "CertificateRequested" in [e.name for e in index.index(tx)]
    (row,) = rows(b, "certificate-row", 1, certificate=address)
    assert row.data["status"] == "Pending"
    rows(b, "certificate-row", len(world.life.certificates) + 1)
    assert len(resources(b, "/certificates")) > reads
    b.wait(lambda _: len(resources(b, "/certificate-events")) > transfer_reads, "the transfers re-read")
    assert rows(b, "transfer-row", 1) == [transfer]  # a request is no transfer: the card is unchanged
    assert b.marked(), "the page reloaded"
    check_page(b, "live-certificate", tmp_path)


HIDE = "window.dispatchEvent(new PageTransitionEvent('pagehide', { persisted: true }))"
SHOW = "window.dispatchEvent(new PageTransitionEvent('pageshow', { persisted: true }))"


def test_a_page_hidden_in_the_back_forward_cache_lets_go_of_the_feed(site: Site, desktop: Browser) -> None:
    """``pagehide`` closes the page's relay connection (its subscription leaves the indexer's feed) and
    nothing reconnects while it is hidden; ``pageshow`` from the cache connects, subscribes and re-reads."""
    _, index, api = site
    b = desktop
    open_page(b, api, "governance", "governance")
    reads = subscribed(b, index, "/proposals")
    held = index.subscriptions()
    b.mark()
    b.script(HIDE)
    b.wait(lambda _: index.subscriptions() < held, "the hidden page's subscription gone from the feed")
    time.sleep(2)  # past the first reconnect delays (0.5 s, 1 s) a closed connection would take
    assert index.subscriptions() < held, "the hidden page reconnected"
    b.script(SHOW)
    b.wait(lambda _: index.subscriptions() == held, "the shown page subscribed again")
    b.wait(lambda _: len(resources(b, "/proposals")) > reads, "the proposals re-read on the acknowledgement")
    assert b.marked(), "the page reloaded"
    b.assert_no_console_errors()


OPTIONS = """
return Array.from(document.querySelectorAll(`[data-testid="${arguments[0]}"] option`))
  .map((o) => [o.value, o.textContent]);
"""


SELECTED = 'return document.querySelector(`[data-testid="${arguments[0]}"]`).value;'


def options(b: Browser, testid: str) -> list[tuple[str, str]]:
    """(value, text) of each option of the ``testid`` picker (none while it is not there)."""
    return [(value, text) for value, text in b.script(OPTIONS, testid)]


def zone_lists(b: Browser) -> int:
    """How many times the page read ``/zones`` (the list, not one zone's endpoints)."""
    return sum(1 for name in resources(b, "/zones") if name.split("?")[0].endswith("/zones"))


def test_a_new_market_and_zone_show_in_the_pickers(site: Site, desktop: Browser) -> None:
    """A market created while the market page is open appears in its market picker, a new zone in its
    zone picker and in the meters page's, without a reload (the market page mounts again, on its
    route). Each page has read the zones again on its subscriptions' acknowledgement first, so what
    changes it is the event's frame."""
    world, index, api = site
    b = desktop
    open_page(b, api, "market/7", "market")
    subscribed(b, index, "/zones/7/book")
    b.wait(lambda _: zone_lists(b) >= 2, "the zones re-read on the event subscription's acknowledgement")
    assert not b.all("market-picker")
    b.mark()
    tx, market = world.new_market()
    assert [e.name for e in index.index(tx)] == ["MarketCreated"]
    b.wait(lambda _: len(options(b, "market-picker")) == 2, "the market picker with both markets")
    assert market in [value for value, _ in options(b, "market-picker")]
    assert b.script(SELECTED, "zone-picker") == "7"  # mounted again on the same route
    tx = world.new_zone(77, "late-zone")
    assert [e.name for e in index.index(tx)] == ["ZoneCreated"]
    late = ("77", "77 · late-zone")
    b.wait(lambda _: late in options(b, "zone-picker"), "zone 77 in the market page's zone picker")
    assert b.marked(), "the page reloaded"

    open_page(b, api, "meters", "meters")
    b.wait(lambda _: zone_lists(b) >= 2, "the meters page's zones re-read on the acknowledgement")
    b.mark()
    tx = world.new_zone(78, "later-zone")
    assert [e.name for e in index.index(tx)] == ["ZoneCreated"]
    later = ("78", "78 · later-zone")
    b.wait(lambda _: later in options(b, "meters-zone"), "zone 78 in the meters page's zone picker")
    assert b.marked(), "the page reloaded"
    b.assert_no_console_errors()

"""Every page of the dashboard in a real headless chromium, at desktop (1280x900) and phone (390x844)
size, over the demo-sized world (tests/dashboard/world.py) served by ``solgrid api run``: it loads with no
console error and shows the world's values; the API's /docs page loads Swagger UI from the process
itself. Screenshots: the test's tmp dir, and docs/screenshots/<page>.png (see browser.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from browser import VISIBLE, Browser
from dashboard_support import check_page, energy, number, open_page, quote, resources, rows
from selenium.webdriver.common.by import By
from selenium.webdriver.support.select import Select
from served import Site
from world import QUOTE_DECIMALS, TRADE_LOTS

pytestmark = pytest.mark.slow
SCREENS = ["desktop", "phone"]
TICK = 10_000
"""Quote atoms per kWh of a tick in both markets (trading_events.Book's default)."""
LOT_WH = 100


def price(ticks: int) -> str:
    return quote(ticks * TICK, QUOTE_DECIMALS)


@pytest.mark.parametrize("screen", SCREENS)
def test_market_page_shows_the_book_the_trades_and_the_candles(
    site: Site, screens: Callable[[str], Browser], screen: str, tmp_path: Path
) -> None:
    world, _, api = site
    expected = world.expected
    b = screens(screen)
    open_page(b, api, "market/7", "market")
    assert b.attribute("market-view", "data-mode") == "continuous"
    assert b.attribute("market-view", "data-market") == world.market.market
    levels = rows(b, "book-row", expected.bid_levels + expected.ask_levels)
    bids = [r for r in levels if r.data["side"] == "bid"]
    asks = [r for r in levels if r.data["side"] == "ask"]
    assert (len(bids), len(asks)) == (expected.bid_levels, expected.ask_levels)
    best_bid, best_ask = bids[0], asks[-1]  # asks above bids, the best ones in the middle
    for row, (ticks, lots) in ((best_bid, expected.best_bid), (best_ask, expected.best_ask)):
        assert row.data["price"] == str(ticks * TICK)
        assert row.cells[1:4] == [price(ticks), energy(lots * LOT_WH), number(lots)]
    trades = rows(b, "trade-row", expected.trades)
    last = trades[0].cells
    assert last[2:5] == [
        price(expected.last_trade_ticks),
        energy(TRADE_LOTS * LOT_WH),
        quote(TRADE_LOTS * expected.last_trade_ticks * TICK * LOT_WH // 1000, QUOTE_DECIMALS),
    ]
    b.wait(lambda _: b.testid("candle-chart").find_elements(By.CSS_SELECTOR, "canvas"), "the candle chart")
    b.wait(
        lambda _: Select(b.testid("candle-interval")).select_by_value("15m") or True, "the interval picker"
    )
    fetched = b.wait(lambda _: resources(b, "interval=15m"), "the 15-minute candles requested")
    assert b.script(VISIBLE, "candle-empty", None) is None  # hidden: there are candles
    candles = api.get(fetched[-1].removeprefix(api.origin))["candles"]
    assert len(candles) == expected.candles
    assert candles[-1]["close"] == expected.last_trade_ticks * TICK
    check_page(b, "market", tmp_path)


@pytest.mark.parametrize("screen", SCREENS)
def test_market_page_of_a_periodic_market_shows_its_cleared_epoch(
    site: Site, screens: Callable[[str], Browser], screen: str, tmp_path: Path
) -> None:
    world, _, api = site
    expected = world.expected
    b = screens(screen)
    open_page(b, api, "market/8", "market")
    assert b.attribute("market-view", "data-mode") == "periodic"
    epochs = rows(b, "epoch-row", 2)
    assert {e.data["state"] for e in epochs} == {"Settled", "Collecting"}
    volume = energy(expected.clearing_lots * LOT_WH)
    b.wait(
        lambda _: b.text("epoch-clearing").startswith(
            f"Cleared at {price(expected.clearing_ticks)} per kWh, {volume}"
        ),
        f"the clearing at {price(expected.clearing_ticks)} per kWh",
    )
    waiting = rows(b, "book-row", 2)  # the collecting epoch's orders: those the clearing left, rolled
    assert [(r.data["side"], r.cells[1]) for r in waiting] == [
        ("ask", price(15)),
        ("bid", price(12)),
    ]
    check_page(b, "market-periodic", tmp_path)


@pytest.mark.parametrize("screen", SCREENS)
def test_meters_page_shows_production_and_settlements(
    site: Site, screens: Callable[[str], Browser], screen: str, tmp_path: Path
) -> None:
    world, _, api = site
    expected = world.expected
    b = screens(screen)
    open_page(b, api, "meters", "meters")
    meters = rows(b, "meter-row", len(expected.produced_wh))
    for row in meters:
        address = row.data["meter"]
        assert energy(expected.produced_wh[address]) in row.cells
        assert energy(expected.settled_wh[address]) in row.cells
    b.wait(lambda _: b.text("meters-count") == str(len(meters)), "the number of meters")
    assert b.text("meters-produced") == energy(sum(expected.produced_wh.values()))
    rows(b, "settlement-row", expected.settlements)
    assert b.script(VISIBLE, "production-empty", None) is None  # hidden: there are readings
    check_page(b, "meters", tmp_path)


@pytest.mark.parametrize("screen", SCREENS)
def test_certificates_page_shows_certificates_transfers_retirements_and_co2(
    site: Site, screens: Callable[[str], Browser], screen: str, tmp_path: Path
) -> None:
    world, _, api = site
    life = world.life
    b = screens(screen)
    open_page(b, api, "certificates", "certificates")
    certificates = rows(b, "certificate-row", len(life.certificates))
    assert {r.data["certificate"] for r in certificates} == {str(a) for a in life.certificates.values()}
    (retired,) = rows(b, "retirement-row", 1)
    assert retired.data["certificate"] == str(life.certificates["k1"])
    beneficiary = retired.cells[retired.titles.index(str(life.household.pubkey()))]
    assert beneficiary.startswith("Carol's household (")
    assert "home electricity" in retired.cells
    (transfer,) = rows(b, "transfer-row", 1)  # alice's c1 (1,300 Wh, 520 g left after the split) to bob
    alice, bob = str(life.alice.wallet.pubkey()), str(life.bob.pubkey())
    assert (transfer.data["certificate"], transfer.data["from"], transfer.data["to"]) == (
        str(life.certificates["c1"]),
        alice,
        bob,
    )
    assert transfer.titles[1:4] == [str(life.certificates["c1"]), alice, bob]
    assert transfer.cells[4:6] == [energy(1_300), "520 g"]
    rows(b, "co2-zone-row", 2)
    check_page(b, "certificates", tmp_path)


@pytest.mark.parametrize("screen", SCREENS)
def test_governance_page_shows_proposals_votes_and_pauses(
    site: Site, screens: Callable[[str], Browser], screen: str, tmp_path: Path
) -> None:
    world, _, api = site
    life = world.life
    b = screens(screen)
    open_page(b, api, "governance", "governance")
    rows(b, "proposal-row", len(life.proposals))
    factor = life.proposals["factor"]
    on_chain = life.env.proposal(factor)
    (row,) = rows(b, "proposal-row", 1, proposal=factor)
    assert row.data["state"] == "Executed"
    threshold = life.env.registry.config().regulator_threshold
    assert f"{on_chain.approval_count} / {threshold}" in row.cells  # the proposal-approvals cell
    assert "Zone 7 grid mix: 400 g/kWh" in row.cells
    rows(b, "pause-row", 4)  # zone 7 paused, the market's trading paused, zone 7 resumed twice
    (market_wide,) = rows(b, "pause-row", 1, zone="all")
    assert market_wide.data["action"] == "pause"
    check_page(b, "governance", tmp_path)


@pytest.mark.parametrize("screen", SCREENS)
def test_status_page_shows_the_checkpoints_and_the_feed(
    site: Site, screens: Callable[[str], Browser], screen: str, tmp_path: Path
) -> None:
    world, index, api = site
    b = screens(screen)
    open_page(b, api, "status", "status")
    checkpoints = rows(b, "checkpoint-row", len(index.programs))
    assert {r.data["program"] for r in checkpoints} == set(index.programs.values())
    for row in checkpoints:
        assert row.cells[2] == number(world.expected.last_slot)
    b.wait(lambda _: b.text("status-events") == number(index.events), f"{index.events} indexed events")
    assert b.text("status-feed-connected") == f"connected ({index.feed_url})"
    assert b.text("status-database") == "sqlite"
    check_page(b, "status", tmp_path)


def test_api_docs_page_loads_swagger_ui_from_the_process_itself(
    site: Site, desktop: Browser, tmp_path: Path
) -> None:
    _, _, api = site
    b = desktop
    b.open(f"{api.origin}/docs")
    b.wait(lambda d: d.find_elements(By.CSS_SELECTOR, ".swagger-ui .opblock"), "Swagger UI's operations")
    b.assert_no_console_errors()
    requested = b.script("return performance.getEntriesByType('resource').map((e) => e.name)")
    assert requested, "the docs page loaded nothing"
    foreign = [url for url in requested if not url.startswith(f"{api.origin}/")]
    assert not foreign, f"requests to another origin: {foreign}"
    b.screenshot("api-docs", tmp_path)

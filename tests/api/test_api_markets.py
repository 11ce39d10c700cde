"""The market endpoints on both backends, over a continuous and a periodic market indexed from synthetic
trading events: markets, L2 books, trades with pagination and filters, candles merged from the
15-minute buckets, epochs with their curves, a zone's books; and their bad-parameter answers."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from indexer_support import store
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from test_indexer_auction import scenario
from trading_events import Book, pubkey, trading_tx

from solgrid.api.market_schemas import ZoneBook
from solgrid.indexer.decode import EventDecoder
from solgrid.indexer.models import PriceBucket
from solgrid.indexer.service import default_coders
from solgrid.indexer.store import FetchedTransaction, Store

DB = async_sessionmaker[AsyncSession]
ALICE, BOB, CAROL, DAVE, ERIN, FRANK, GRACE, HANK, IVY = (pubkey() for _ in range(9))
FUTURE = 4_000_000_000
"""An expiry after the server's clock (the book leaves out orders expired by then)."""


def continuous() -> tuple[Book, list[FetchedTransaction]]:
    """Zone 7, 10,000 atoms per kWh a tick, lots of 100 Wh. Trades: 4 + 6 lots at 100 ticks in the
    bucket at 0, 1 + 3 lots at 103 in the one at 3600, 1 lot at 103 and 1 at 105 in the one at 4500.
    Resting at the end: bids 100 (2 + 1 lots, 2 orders) and 99 (7); asks 105 (2 + 2, 2 orders); an ask
    at 110 expired by the server's clock (not on the chain's) and a cancelled bid are not in the book."""
    b = Book()
    txs = [
        trading_tx([b.created(0)], slot=10, decimals=[(b.quote_mint, 6)]),
        trading_tx([b.place(ALICE, "Ask", 100, 10, 60)], slot=11),  # 0
        trading_tx([b.place(BOB, "Bid", 101, 4, 120, [b.fill(ALICE, 0, 100, 4, 6)])], slot=12),  # 1
        trading_tx([b.place(CAROL, "Bid", 100, 8, 180, [b.fill(ALICE, 0, 100, 6, 0)])], slot=13),  # 2: 2 rest
        trading_tx([b.place(DAVE, "Ask", 105, 3, 1000)], slot=14),  # 3
        trading_tx([b.place(ALICE, "Ask", 103, 5, 1100)], slot=15),  # 4
        trading_tx([b.place(ALICE, "Ask", 110, 2, 1200, expires_at=100_000)], slot=16),  # 5
        trading_tx([b.place(BOB, "Bid", 99, 7, 1300)], slot=17),  # 6
        trading_tx([b.place(ERIN, "Bid", 104, 1, 4000, [b.fill(ALICE, 4, 103, 1, 4)])], slot=18),  # 7
        trading_tx([b.place(BOB, "Bid", 106, 3, 4100, [b.fill(ALICE, 4, 103, 3, 1)])], slot=19),  # 8
        trading_tx(
            [b.place(IVY, "Bid", 105, 2, 5000, [b.fill(ALICE, 4, 103, 1, 0), b.fill(DAVE, 3, 105, 1, 2)])],
            slot=20,
        ),  # 9
        trading_tx([b.place(FRANK, "Ask", 105, 2, 5100, expires_at=FUTURE)], slot=21),  # 10
        trading_tx([b.place(GRACE, "Bid", 100, 1, 5200)], slot=22),  # 11
        trading_tx([b.place(HANK, "Bid", 98, 1, 5300)], slot=23),  # 12
        trading_tx([b.cancel(HANK, 12, "Bid", 98, 1, 5400)], slot=24),
    ]
    return b, txs


@pytest.fixture
async def markets(db: DB) -> tuple[str, str]:
    """The continuous market and the periodic one (zone 7 both), indexed; their addresses."""
    b, txs = continuous()
    auction, auction_txs = scenario()
    indexer = Store(EventDecoder(default_coders()))
    await store(db, indexer, *txs)
    await store(db, indexer, *auction_txs)
    return b.market, auction.book.market


async def get(api: httpx.AsyncClient, path: str, **params: Any) -> Any:
    answer = await api.get(path, params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def level(ticks: int, lots: int, orders: int | None) -> dict[str, Any]:
    return {
        "price_ticks": ticks,
        "price": ticks * 10_000,
        "lots": lots,
        "energy_wh": lots * 100,
        "orders": orders,
    }


async def test_markets_filtered_by_zone_and_mode(api: httpx.AsyncClient, markets: tuple[str, str]) -> None:
    cont, periodic = markets
    every = await get(api, "/api/v1/markets")
    assert sorted((m["address"], m["mode"], m["epoch_secs"]) for m in every) == sorted(
        [(cont, "continuous", 0), (periodic, "periodic", 900)]
    )
    assert [m["address"] for m in await get(api, "/api/v1/markets", mode="periodic")] == [periodic]
    assert [m["address"] for m in await get(api, "/api/v1/markets", zone=7, mode="continuous")] == [cont]
    assert await get(api, "/api/v1/markets", zone=8) == []
    one = await get(api, f"/api/v1/markets/{cont}")
    assert one == next(m for m in every if m["address"] == cont)
    assert (one["zone_id"], one["tick_size"], one["lot_size_wh"], one["quote_decimals"]) == (
        7,
        10_000,
        100,
        6,
    )


async def test_the_l2_book_of_a_continuous_and_of_a_periodic_market(
    api: httpx.AsyncClient, markets: tuple[str, str]
) -> None:
    cont, periodic = markets
    assert await get(api, f"/api/v1/markets/{cont}/book") == {
        "market": cont,
        "mode": "continuous",
        "epoch": None,
        "bids": [level(100, 3, 2), level(99, 7, 1)],
        "asks": [level(105, 4, 2)],
        "slot": 24,
    }
    shallow = await get(api, f"/api/v1/markets/{cont}/book", depth=1)
    assert (shallow["bids"], shallow["asks"]) == ([level(100, 3, 2)], [level(105, 4, 2)])
    # the auction collecting orders (epoch 4): the two rests rolled in from epoch 3
    assert await get(api, f"/api/v1/markets/{periodic}/book") == {
        "market": periodic,
        "mode": "periodic",
        "epoch": 4,
        "bids": [level(101, 1, None), level(100, 1, None)],
        "asks": [],
        "slot": 25,
    }


async def test_trades_newest_first_across_pages_with_filters(
    api: httpx.AsyncClient, markets: tuple[str, str]
) -> None:
    cont, _ = markets
    every = (await get(api, f"/api/v1/markets/{cont}/trades"))["items"]
    assert [(t["timestamp"], t["maker"], t["price_ticks"], t["lots"], t["quote_amount"]) for t in every] == [
        (5000, DAVE, 105, 1, 105_000),
        (5000, ALICE, 103, 1, 103_000),
        (4100, ALICE, 103, 3, 309_000),
        (4000, ALICE, 103, 1, 103_000),
        (180, ALICE, 100, 6, 600_000),
        (120, ALICE, 100, 4, 400_000),
    ]
    pages, cursor = [], None
    while True:
        page = await get(
            api, f"/api/v1/markets/{cont}/trades", limit=4, **({"cursor": cursor} if cursor else {})
        )
        pages.append(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [len(p) for p in pages] == [4, 2] and [t for p in pages for t in p] == every
    exact = (await get(api, f"/api/v1/markets/{cont}/trades", limit=3))["next_cursor"]
    last = await get(api, f"/api/v1/markets/{cont}/trades", limit=3, cursor=exact)
    assert last["items"] == every[3:] and last["next_cursor"] is None

    def ids(answer: Any) -> list[int]:
        return [t["id"] for t in answer["items"]]

    by = {t["id"]: t for t in every}
    assert (
        ids(await get(api, f"/api/v1/markets/{cont}/trades", trader=BOB))
        == [i for i, t in by.items() if BOB in (t["maker"], t["taker"])]
        and len(ids(await get(api, f"/api/v1/markets/{cont}/trades", trader=BOB))) == 2
    )
    assert ids(await get(api, f"/api/v1/markets/{cont}/trades", trader=DAVE)) == [every[0]["id"]]
    assert ids(await get(api, f"/api/v1/markets/{cont}/trades", trader=HANK)) == []
    window = await get(api, f"/api/v1/markets/{cont}/trades", **{"from": 180, "to": 5000})
    assert [t["timestamp"] for t in window["items"]] == [4100, 4000, 180]


async def test_candles_merge_the_15_minute_buckets(
    api: httpx.AsyncClient, markets: tuple[str, str], db: DB
) -> None:
    cont, _ = markets
    async with db() as s:
        buckets = {
            b.bucket_start: b for b in await s.scalars(select(PriceBucket).where(PriceBucket.market == cont))
        }
    assert sorted(buckets) == [0, 900, 3600, 4500, 5400]  # 900: order changes only
    quarter = await get(api, f"/api/v1/markets/{cont}/candles", interval="15m")
    assert (quarter["interval_secs"], quarter["from"], quarter["to"]) == (
        900,
        0,
        6300,
    )  # 5,000 candles back: from 0
    assert [
        (c["time"], c["open"], c["high"], c["low"], c["close"], c["vwap"], c["volume_wh"], c["trades"])
        for c in quarter["candles"]
    ] == [
        (b.bucket_start, b.open, b.high, b.low, b.close, b.vwap, b.volume_wh, b.trade_count)
        for b in buckets.values()
        if b.trade_count
    ]
    hourly = await get(api, f"/api/v1/markets/{cont}/candles", interval="1h")
    assert hourly == {
        "interval_secs": 3600,
        "from": 0,
        "to": 7200,
        "candles": [
            {
                "time": 0, "open": 1_000_000, "high": 1_000_000, "low": 1_000_000, "close": 1_000_000,
                "vwap": 1_000_000, "volume_wh": 1_000, "volume_quote": 1_000_000, "trades": 2,
                "bid_wh": buckets[900].bid_wh, "ask_wh": buckets[900].ask_wh,
            },
            {
                # 620,000 atoms for 600 Wh: 1,033,333.3 per kWh (not the mean of the buckets' VWAPs)
                "time": 3600, "open": 1_030_000, "high": 1_050_000, "low": 1_030_000, "close": 1_050_000,
                "vwap": 1_033_333, "volume_wh": 600, "volume_quote": 620_000, "trades": 4,
                "bid_wh": buckets[5400].bid_wh, "ask_wh": buckets[5400].ask_wh,
            },
        ],
    }  # fmt: skip
    assert (buckets[900].bid_wh, buckets[900].ask_wh) == (900, 1_000)  # 2 + 7 lots bid; 3 + 5 + 2 asked
    day = (await get(api, f"/api/v1/markets/{cont}/candles", interval="1d"))["candles"]
    assert [
        (c["open"], c["close"], c["high"], c["low"], c["vwap"], c["volume_quote"], c["trades"]) for c in day
    ] == [(1_000_000, 1_050_000, 1_050_000, 1_000_000, 1_012_500, 1_620_000, 6)]
    later = await get(api, f"/api/v1/markets/{cont}/candles", interval="1h", **{"from": 1})
    assert (later["from"], later["to"], [c["time"] for c in later["candles"]]) == (
        3600,
        3600 + 5000 * 3600,
        [3600],
    )
    earlier = await get(api, f"/api/v1/markets/{cont}/candles", interval="4h", to=3600)
    assert (earlier["from"], earlier["to"], [c["time"] for c in earlier["candles"]]) == (0, 14_400, [0])
    both = await get(api, f"/api/v1/markets/{cont}/candles", interval="1h", **{"from": 0, "to": 3600})
    assert [c["time"] for c in both["candles"]] == [0]
    assert (
        len(
            (
                await get(
                    api, f"/api/v1/markets/{cont}/candles", interval="15m", **{"from": 0, "to": 4_500_000}
                )
            )["candles"]
        )
        == 3
    )
    empty = await get(api, f"/api/v1/markets/{markets[1]}/candles", interval="1h", **{"from": 10**6})
    assert empty["candles"] == []


def test_the_vwap_rounds_as_the_indexer_does() -> None:
    from types import SimpleNamespace

    from solgrid.api.candles import vwap
    from solgrid.indexer.trading import _bucket

    for quote, wh in [(1, 2_000), (1, 3), (2, 3), (620_000, 600), (10**15, 7), (5, 10_000)]:
        trade = SimpleNamespace(price=1, energy_wh=wh, quote_amount=quote)
        assert vwap(quote, wh) == _bucket("m", 0, 0, [trade], [], 100)["vwap"]
    assert vwap(1, 2_000) == 1 and vwap(1, 3) == 333 and vwap(2, 3) == 667 and vwap(0, 0) is None


async def test_epochs_newest_first_and_one_with_its_curves_and_clearing(
    api: httpx.AsyncClient, markets: tuple[str, str]
) -> None:
    _, periodic = markets
    every = await get(api, f"/api/v1/markets/{periodic}/epochs")
    assert [(e["epoch"], e["state"], e["price"], e["starts_at"]) for e in every["items"]] == [
        (4, "Collecting", None, 3600),
        (3, "Settled", 101, 2700),
        (2, "Settled", 100, 1800),
    ]
    first = await get(api, f"/api/v1/markets/{periodic}/epochs", limit=2)
    rest = await get(api, f"/api/v1/markets/{periodic}/epochs", limit=2, cursor=first["next_cursor"])
    assert first["items"] + rest["items"] == every["items"] and rest["next_cursor"] is None
    ranged = await get(api, f"/api/v1/markets/{periodic}/epochs", **{"from": 2700, "to": 3600})
    assert [e["epoch"] for e in ranged["items"]] == [3]

    two = await get(api, f"/api/v1/markets/{periodic}/epochs/2")
    assert {k: v for k, v in two.items() if k not in ("levels", "clearing")} == every["items"][2]
    assert [
        (
            lv["price"],
            lv["price_per_kwh"],
            lv["bid_lots"],
            lv["ask_lots"],
            lv["demand_lots"],
            lv["supply_lots"],
        )
        for lv in two["levels"]
    ] == [
        (98, 980_000, 0, 3, 12, 3),
        (100, 1_000_000, 8, 10, 12, 13),
        (105, 1_050_000, 4, 0, 4, 13),
        (110, 1_100_000, 0, 6, 0, 19),
    ]
    assert two["clearing"] == {"price_ticks": 100, "price": 1_000_000, "volume_lots": 12}
    four = await get(api, f"/api/v1/markets/{periodic}/epochs/4")
    assert four["clearing"] is None and [lv["price"] for lv in four["levels"]] == [100, 101]
    # a continuous market has no epochs
    assert (await get(api, f"/api/v1/markets/{markets[0]}/epochs")) == {"items": [], "next_cursor": None}


async def test_a_zones_books_and_last_trades(api: httpx.AsyncClient, markets: tuple[str, str]) -> None:
    cont, periodic = markets
    zone = await get(api, "/api/v1/zones/7/book", depth=1, trades=2)
    ZoneBook.model_validate(zone)
    assert zone["zone_id"] == 7
    assert sorted(m["market"]["address"] for m in zone["markets"]) == sorted([cont, periodic])
    by = {m["market"]["address"]: m for m in zone["markets"]}
    assert by[cont]["market"] == await get(api, f"/api/v1/markets/{cont}")
    assert by[cont]["book"] == await get(api, f"/api/v1/markets/{cont}/book", depth=1)
    assert by[cont]["last_trades"] == (await get(api, f"/api/v1/markets/{cont}/trades", limit=2))["items"]
    assert by[periodic]["book"] == await get(api, f"/api/v1/markets/{periodic}/book", depth=1)
    assert (
        by[periodic]["last_trades"]
        == (await get(api, f"/api/v1/markets/{periodic}/trades", limit=2))["items"]
    )
    assert [(t["epoch"], t["timestamp"], t["maker_side"]) for t in by[periodic]["last_trades"]] == [
        (3, 3620, "Ask"),
        (3, 3620, "Bid"),
    ]
    defaults = await get(api, "/api/v1/zones/7/book")
    assert len(next(m for m in defaults["markets"] if m["market"]["address"] == cont)["last_trades"]) == 6
    no_trades = await get(api, "/api/v1/zones/7/book", trades=0)
    assert all(m["last_trades"] == [] for m in no_trades["markets"])


async def test_a_zone_without_markets(api: httpx.AsyncClient, db: DB) -> None:
    from synthetic import registration_logs, tx

    await store(db, Store(EventDecoder(default_coders())), tx(registration_logs(), slot=5))
    assert await get(api, "/api/v1/zones/7/book") == {"zone_id": 7, "markets": []}
    assert (await api.get("/api/v1/zones/8/book")).json() == {"error": "zone 8 not found"}


UNKNOWN = pubkey()


BAD_REQUESTS: list[tuple[str, dict[str, Any], int, str]] = [
    ("/markets/abc", {}, 400, "address: 'abc' is not a 32-byte address"),
    ("/markets/notbase58!", {}, 400, "address: 'notbase58!' is not base58"),
    ("/markets/" + "1" * 65, {}, 400, "address: String should have at most 64 characters"),
    ("/markets/" + UNKNOWN, {}, 404, f"market {UNKNOWN} not found"),
    ("/markets/" + UNKNOWN + "/book", {}, 404, f"market {UNKNOWN} not found"),
    ("/markets/" + UNKNOWN + "/trades", {}, 404, f"market {UNKNOWN} not found"),
    ("/markets/" + UNKNOWN + "/candles", {}, 404, f"market {UNKNOWN} not found"),
    ("/markets/" + UNKNOWN + "/epochs", {}, 404, f"market {UNKNOWN} not found"),
    ("/markets/" + UNKNOWN + "/epochs/2", {}, 404, f"market {UNKNOWN} not found"),
    ("/markets/{p}/epochs/9", {}, 404, "epoch 9 of market"),
    ("/markets/{p}/epochs/-1", {}, 400, "epoch: Input should be greater than or equal to 0"),
    ("/markets/{p}/epochs/99999999999999999999999", {}, 400, "epoch: Input should be less than or equal"),
    ("/markets/{p}/epochs/two", {}, 400, "epoch: Input should be a valid integer"),
    ("/markets", {"zone": -1}, 400, "zone: Input should be greater than or equal to 0"),
    ("/markets", {"zone": 2**64}, 400, "zone: Input should be less than or equal to"),
    ("/markets", {"mode": "auction"}, 400, "mode: Input should be 'continuous' or 'periodic'"),
    ("/markets/{m}/book", {"depth": 0}, 400, "depth: Input should be greater than or equal to 1"),
    ("/markets/{m}/book", {"depth": 10**30}, 400, "depth: Input should be less than or equal to 1000"),
    ("/markets/{m}/trades", {"limit": 0}, 400, "limit: Input should be greater than or equal to 1"),
    ("/markets/{m}/trades", {"limit": 1001}, 400, "limit: Input should be less than or equal to 1000"),
    ("/markets/{m}/trades", {"cursor": "!!"}, 400, "cursor: not a cursor this API gave"),
    ("/markets/{m}/trades", {"cursor": "WzFd"}, 400, "cursor: not a cursor of this list"),  # [1]
    ("/markets/{m}/trades", {"from": 10, "to": 10}, 400, "to: must be after from (10 <= 10)"),
    ("/markets/{m}/trades", {"from": -5}, 400, "from: Input should be greater than or equal to 0"),
    ("/markets/{m}/trades", {"to": 2**70}, 400, "to: Input should be less than or equal to"),
    ("/markets/{m}/trades", {"trader": "0OIl"}, 400, "trader: '0OIl' is not base58"),
    ("/markets/{m}/trades", {"trader": "abc"}, 400, "trader: 'abc' is not a 32-byte address"),
    ("/markets/{m}/candles", {"interval": "5m"}, 400, "interval: '5m' is not one of 15m, 1h, 4h, 1d"),
    ("/markets/{m}/candles", {"interval": "15m", "from": 0, "to": 900 * 5001}, 400, "to: 5001 candles"),
    ("/markets/{m}/candles", {"from": 9, "to": 3}, 400, "to: must be after from"),
    ("/markets/{p}/epochs", {"cursor": "WyJhIiwiYiJd"}, 400, "cursor: not a cursor of this list"),
    # keys out of a BIGINT's range ([10**30, 1], [-10**30, 1]), or of the wrong kind (["x", 1], [1.5, 2])
    (
        "/markets/{m}/trades",
        {"cursor": "WzEwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAsIDFd"},
        400,
        "cursor: not a cursor",
    ),
    (
        "/markets/{m}/trades",
        {"cursor": "Wy0xMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwLCAxXQ"},
        400,
        "cursor: not a cursor",
    ),
    ("/markets/{m}/trades", {"cursor": "WyJ4IiwgMV0"}, 400, "cursor: not a cursor of this list"),
    ("/markets/{m}/trades", {"cursor": "WzEuNSwgMl0"}, 400, "cursor: not a cursor of this list"),
    ("/zones/7/book", {"trades": -1}, 400, "trades: Input should be greater than or equal to 0"),
    ("/zones/7/book", {"depth": "many"}, 400, "depth: Input should be a valid integer"),
    ("/zones/99999999999999999999/book", {}, 400, "zone_id: Input should be less than or equal to"),
    ("/zones/9/book", {}, 404, "zone 9 not found"),
]
"""(path under /api/v1 with {m}: the continuous market, {p}: the periodic one; query; status; the start
of the one-line error)."""


async def test_bad_parameters_are_one_line_4xx(api: httpx.AsyncClient, markets: tuple[str, str]) -> None:
    cont, periodic = markets
    for path, params, status, message in BAD_REQUESTS:
        answer = await api.get("/api/v1" + path.format(m=cont, p=periodic), params=params)
        assert answer.status_code == status, (path, params, answer.text)
        body = answer.json()
        assert list(body) == ["error"] and "\n" not in body["error"], (path, params, body)
        assert body["error"].startswith(message), (path, params, body)


@pytest.mark.parametrize(
    "params",
    [
        {"interval": "1d", "from": 2**63 - 1},
        {"interval": "1d", "to": 2**63 - 1},
        {"interval": "15m", "from": 2**63 - 2, "to": 2**63 - 1},
    ],
)
async def test_candles_at_the_end_of_time_are_empty_not_an_error(
    api: httpx.AsyncClient, markets: tuple[str, str], params: dict[str, Any]
) -> None:
    answer = await api.get(f"/api/v1/markets/{markets[0]}/candles", params=params)
    assert answer.status_code == 200, answer.text
    assert answer.json()["candles"] == []


async def test_openapi_describes_the_market_endpoints(api: httpx.AsyncClient) -> None:
    spec = (await api.get("/openapi.json")).json()
    assert {
        "/api/v1/markets",
        "/api/v1/markets/{address}",
        "/api/v1/markets/{address}/book",
        "/api/v1/markets/{address}/trades",
        "/api/v1/markets/{address}/candles",
        "/api/v1/markets/{address}/epochs",
        "/api/v1/markets/{address}/epochs/{epoch}",
        "/api/v1/zones/{zone_id}/book",
    } <= set(spec["paths"])
    schemas = spec["components"]["schemas"]
    assert set(schemas["Candles"]["properties"]) == {"interval_secs", "from", "to", "candles"}
    assert {"levels", "clearing", "price_per_kwh", "state"} <= set(schemas["EpochDetail"]["properties"])
    assert set(schemas["Level"]["properties"]) == {"price_ticks", "price", "lots", "energy_wh", "orders"}
    trades = spec["paths"]["/api/v1/markets/{address}/trades"]["get"]
    assert {p["name"] for p in trades["parameters"]} == {"address", "limit", "cursor", "from", "to", "trader"}


async def test_a_new_market_has_an_empty_book_no_candles_and_no_epochs(
    api: httpx.AsyncClient, db: DB
) -> None:
    b = Book(zone_id=3, epoch_secs=900)
    await store(db, Store(EventDecoder(default_coders())), trading_tx([b.created(100)], slot=10))
    assert await get(api, f"/api/v1/markets/{b.market}/book") == {
        "market": b.market,
        "mode": "periodic",
        "epoch": None,
        "bids": [],
        "asks": [],
        "slot": None,
    }
    assert await get(api, f"/api/v1/markets/{b.market}/candles") == {
        "interval_secs": 3600,
        "from": None,
        "to": None,
        "candles": [],
    }
    assert await get(api, f"/api/v1/markets/{b.market}/epochs") == {"items": [], "next_cursor": None}
    assert await get(api, f"/api/v1/markets/{b.market}/trades") == {"items": [], "next_cursor": None}
    zone = await get(api, "/api/v1/zones/3/book")
    assert [(m["market"]["address"], m["book"]["bids"], m["last_trades"]) for m in zone["markets"]] == [
        (b.market, [], [])
    ]


ODD = [
    "",
    "-1",
    "0",
    "1e3",
    "1.5",
    str(2**63),
    str(10**40),
    "abc",
    "\u00fc",
    "\x00",
    "null",
    "[]",
    "%",
    "1" * 300,
]
"""Values a client may send for any parameter."""
ENDPOINTS = {
    "/markets": ("zone", "mode"),
    "/markets/{m}/book": ("depth",),
    "/markets/{m}/trades": ("limit", "cursor", "from", "to", "trader"),
    "/markets/{m}/candles": ("interval", "from", "to"),
    "/markets/{p}/epochs": ("limit", "cursor", "from", "to"),
    "/zones/7/book": ("depth", "trades"),
}


async def test_no_input_makes_a_500(api: httpx.AsyncClient, markets: tuple[str, str]) -> None:
    cont, periodic = markets
    for path, names in ENDPOINTS.items():
        for name in names:
            for value in ODD:
                answer = await api.get("/api/v1" + path.format(m=cont, p=periodic), params={name: value})
                assert answer.status_code in (200, 400), (path, name, value, answer.text)
    for template in ("/markets/{}", "/markets/{}/book", "/markets/{}/epochs/{}", "/zones/{}/book"):
        for value in ODD:
            if value in ("", "%", "\x00"):
                continue  # not a path segment a client can send
            path = template.format(value, value) if template.count("{}") == 2 else template.format(value)
            answer = await api.get("/api/v1" + path)
            assert answer.status_code in (400, 404), (path, answer.text)
            assert list(answer.json()) == ["error"]


async def test_pages_keep_their_filters(api: httpx.AsyncClient, markets: tuple[str, str]) -> None:
    cont, _ = markets
    path = f"/api/v1/markets/{cont}/trades"
    for params in ({"trader": ALICE}, {"from": 120, "to": 5000}, {"trader": ALICE, "from": 150}):
        whole = (await get(api, path, **params))["items"]
        paged, cursor = [], None
        while True:
            page = await get(api, path, limit=2, **params, **({"cursor": cursor} if cursor else {}))
            paged += page["items"]
            if (cursor := page["next_cursor"]) is None:
                break
        assert paged == whole and len({t["id"] for t in paged}) == len(paged), params
    assert [t["timestamp"] for t in (await get(api, path, trader=ALICE, **{"from": 150}))["items"]] == [
        5000,
        4100,
        4000,
        180,
    ]


async def test_orders_expire_by_the_chains_clock_not_the_servers(api: httpx.AsyncClient, db: DB) -> None:
    """The indexed transactions' block time is 1,700,000,000 (2023): an ask expiring in 2025 is live on the
    chain (the program would match it) though the server's clock is past its expiry; one expiring before
    the newest block time is not."""
    b = Book()
    indexer = Store(EventDecoder(default_coders()))
    txs = [
        trading_tx([b.created(0)], slot=10, decimals=[(b.quote_mint, 6)]),
        trading_tx([b.place(ALICE, "Ask", 100, 2, 60, expires_at=1_750_000_000)], slot=11),
        trading_tx([b.place(BOB, "Ask", 101, 3, 70, expires_at=1_699_999_999)], slot=12),
    ]
    for t in txs:
        await store(db, indexer, t)
    book = await get(api, f"/api/v1/markets/{b.market}/book")
    assert [(level["price_ticks"], level["lots"]) for level in book["asks"]] == [(100, 2)]

"""The hot book endpoints reuse their answer while nothing new is indexed, and answer what was indexed as
soon as it is (both backends): what a client reads after a feed frame is never an older answer."""

from __future__ import annotations

import httpx
from indexer_support import store
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from trading_events import Book, pubkey, trading_tx

from solgrid.api.response_cache import Entry, ResponseCache
from solgrid.indexer.decode import EventDecoder
from solgrid.indexer.service import default_coders
from solgrid.indexer.store import Store

FUTURE = 4_000_000_000


def cache_of(api: httpx.AsyncClient) -> ResponseCache:
    transport = api._transport
    assert isinstance(transport, httpx.ASGITransport)
    cache: ResponseCache = transport.app.state.response_cache  # type: ignore[attr-defined]
    return cache


async def test_a_book_is_reused_until_something_is_indexed(
    api: httpx.AsyncClient, db: async_sessionmaker[AsyncSession]
) -> None:
    alice, bob = pubkey(), pubkey()
    b = Book()
    indexer = Store(EventDecoder(default_coders()))
    await store(db, indexer, trading_tx([b.created(0)], slot=10, decimals=[(b.quote_mint, 6)]))
    await store(db, indexer, trading_tx([b.place(alice, "Ask", 100, 10, 60, expires_at=FUTURE)], slot=11))
    cache = cache_of(api)
    paths = ["/api/v1/zones/7/book", f"/api/v1/markets/{b.market}/book"]
    first = [(await api.get(p)).json() for p in paths]
    assert [[lv["lots"] for lv in a["asks"]] for a in (first[0]["markets"][0]["book"], first[1])] == [
        [10],
        [10],
    ]
    assert (cache.hits, cache.misses) == (0, 2)
    assert [(await api.get(p)).json() for p in paths] == first
    assert (cache.hits, cache.misses) == (2, 2)
    other = (await api.get("/api/v1/zones/7/book", params={"depth": 1})).json()  # another query: built
    assert other == first[0] and (cache.hits, cache.misses) == (2, 3)

    fill = b.fill(alice, 0, 100, 4, 6)
    await store(db, indexer, trading_tx([b.place(bob, "Bid", 100, 4, 120, [fill])], slot=12))
    zone, market = [(await api.get(p)).json() for p in paths]
    assert (cache.hits, cache.misses) == (2, 5)
    assert [lv["lots"] for lv in market["asks"]] == [6]
    assert zone["markets"][0]["book"] == market
    assert [t["lots"] for t in zone["markets"][0]["last_trades"]] == [4]


async def test_errors_are_never_kept(api: httpx.AsyncClient) -> None:
    for _ in range(2):
        answer = await api.get("/api/v1/zones/9/book")
        assert answer.status_code == 404 and answer.json() == {"error": "zone 9 not found"}
    assert cache_of(api).entries == {}


async def test_an_answer_older_than_max_age_is_built_again(
    api: httpx.AsyncClient, db: async_sessionmaker[AsyncSession]
) -> None:
    """Expiry by the clock is invisible to the newest id: an old answer is not reused."""
    b = Book()
    await store(db, Store(EventDecoder(default_coders())), trading_tx([b.created(0)], slot=10))
    cache = cache_of(api)
    await api.get("/api/v1/zones/7/book")
    await api.get("/api/v1/zones/7/book")
    assert (cache.hits, cache.misses) == (1, 1)
    cache.max_age = 0.0
    await api.get("/api/v1/zones/7/book")
    assert (cache.hits, cache.misses) == (1, 2)


async def test_unknown_parameters_make_no_new_entries(
    api: httpx.AsyncClient, db: async_sessionmaker[AsyncSession]
) -> None:
    b = Book()
    await store(db, Store(EventDecoder(default_coders())), trading_tx([b.created(0)], slot=10))
    cache = cache_of(api)
    for i in range(5):
        assert (await api.get("/api/v1/zones/7/book", params={"junk": i})).status_code == 200
    assert (cache.hits, cache.misses, len(cache.entries)) == (4, 1, 1)


def test_the_kept_answers_are_bounded_by_bytes() -> None:
    cache = ResponseCache(max_bytes=1600)
    for i in range(4):
        cache.keep(f"k{i}", Entry(1, 0.0, b"x" * 90))
    assert list(cache.entries) == ["k0", "k1", "k2", "k3"] and cache.bytes == 360
    cache.keep("big", Entry(1, 0.0, b"x" * 101))  # more than a sixteenth: not kept
    assert "big" not in cache.entries and cache.bytes == 360
    for i in range(4, 20):
        cache.keep(f"k{i}", Entry(1, 0.0, b"x" * 100))
    assert cache.bytes <= 1600 and list(cache.entries)[-1] == "k19" and "k0" not in cache.entries
    assert cache.bytes == sum(len(e.body) for e in cache.entries.values())
    cache.keep("k19", Entry(2, 0.0, b"y"))  # replaced, not counted twice
    assert cache.bytes == sum(len(e.body) for e in cache.entries.values())

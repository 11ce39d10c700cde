"""The log budget claim of solgrid.indexer.decode, checked on a real reading batch from the local node.

The runtime keeps at most 10,000 bytes of log messages per transaction (agave's log collector limit)
and then writes "Log truncated". A ReadingAccepted line is 110 bytes, so even a batch of the program's
maximum of 16 readings (the oracle sends at most 6, and a transaction's 1,232 bytes cannot carry 16
Ed25519 signatures) must stay under the budget with room to spare: our own instructions never cut
their events; only other instructions in the same transaction can (tests/indexer/test_indexer_recover.py
and test_indexer_truncation_chain.py). The chain's own lines per reading (the Ed25519 precompile logs
nothing) are measured here rather than assumed.
"""

from __future__ import annotations

from market import Market, MarketNode

from solgrid.indexer.chain import RpcChainReader
from solgrid.indexer.decode import DATA, EventDecoder
from solgrid.indexer.service import default_coders

LOG_BYTES_LIMIT = 10_000
READING_LINE = 110


async def test_the_largest_reading_batch_fits_the_log_budget(market_node: MarketNode) -> None:
    market = Market(market_node.rpc_url, market_node.authority)
    try:
        p = await market.prosumer()
        small, large = 1, 6  # the demo's batch; a transaction's 1232 bytes bound the signatures
        await market.readings(p, small)
        await market.readings(p, large)
        async with RpcChainReader(market_node.rpc_url) as chain:
            fetched = [await chain.transaction(s) for s in market.signatures[-2:]]
    finally:
        await market.close()
    txs = [tx for tx in fetched if tx is not None]
    assert len(txs) == 2
    sizes = [sum(len(line) for line in tx.logs) for tx in txs]
    decoder = EventDecoder(default_coders())
    decoded = [decoder.decode_logs(tx.logs) for tx in txs]
    assert [len(d.events) for d in decoded] == [small, large]
    assert not any(d.truncated for d in decoded)
    data_lines = [line for line in txs[1].logs if line.startswith(DATA)]
    assert [len(line) for line in data_lines] == [READING_LINE] * large
    per_reading = (sizes[1] - sizes[0]) / (large - small)
    fixed = sizes[0] - per_reading
    sixteen = fixed + 16 * per_reading
    print(f"log bytes: fixed {fixed:.0f} + {per_reading:.0f}/reading -> 16 readings = {sixteen:.0f}")
    assert sixteen < LOG_BYTES_LIMIT / 2

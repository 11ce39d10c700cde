"""The throughput benchmark runs end to end (its numbers are measured and reported, not asserted)."""

from __future__ import annotations

import pytest
from solana.rpc.async_api import AsyncClient

from solgrid.localnet import bench
from solgrid.localnet.server import LocalNode

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_transfers_through_an_in_process_node(node: LocalNode, client: AsyncClient) -> None:
    before = (await client.get_transaction_count()).value
    result = await bench.transfer_throughput(node.rpc_url, clients=3, transactions=61, in_flight=4)
    assert (result.transactions, result.confirmed, result.failed) == (61, 61, 0)
    assert (await client.get_transaction_count()).value == before + 61 + 3  # transfers + funding airdrops
    assert result.send_tps > 0 and result.confirmed_tps > 0
    assert "61 transfers, 3 clients x 4 in flight" in result.summary()


async def test_against_a_node_process() -> None:
    result = await bench.run(None, clients=2, transactions=20, in_flight=2)
    assert (result.confirmed, result.failed) == (20, 0)

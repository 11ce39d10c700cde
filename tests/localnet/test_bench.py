"""The throughput benchmark runs end to end (its numbers are measured and reported, not asserted)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from solana.rpc.async_api import AsyncClient
from solders.transaction_status import TransactionConfirmationStatus

from solgrid.localnet import bench
from solgrid.localnet.server import LocalNode

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_transfers_through_an_in_process_node(node: LocalNode, client: AsyncClient) -> None:
    before = (await client.get_transaction_count()).value
    result = await bench.transfer_throughput(node.rpc_url, clients=3, transactions=61, in_flight=4)
    assert (result.transactions, result.confirmed, result.failed, result.dropped) == (61, 61, 0, 0)
    assert (await client.get_transaction_count()).value == before + 61 + 3  # transfers + funding airdrops
    assert result.send_tps > 0 and result.confirmed_tps > 0
    assert "61 transfers, 3 clients x 4 in flight" in result.summary()
    assert "61 confirmed, 0 failed, 0 dropped" in result.summary()


def test_only_confirmed_or_finalized_statuses_count() -> None:
    assert bench.settled(TransactionConfirmationStatus.Confirmed)
    assert bench.settled(TransactionConfirmationStatus.Finalized)
    assert not bench.settled(TransactionConfirmationStatus.Processed)
    assert not bench.settled(None)


async def test_against_a_node_process() -> None:
    result = await bench.run(None, clients=2, transactions=20, in_flight=2)
    assert (result.confirmed, result.failed, result.dropped) == (20, 0, 0)


def test_side_by_side_ratio_wording(monkeypatch: pytest.MonkeyPatch) -> None:
    path = Path(__file__).resolve().parents[2] / "bench" / "nodes.py"
    spec = importlib.util.spec_from_file_location("bench_nodes", path)
    assert spec is not None and spec.loader is not None
    nodes = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, nodes)  # its dataclasses look their module up there
    spec.loader.exec_module(nodes)
    assert nodes.ratio(900.0, 300.0) == "3.00"
    assert nodes.versus(150.0, 600.0) == "0.25 times"
    assert nodes.ratio(900.0, 0.0) == "n/a"
    assert nodes.versus(900.0, 0.0) == "an unknown multiple of"
    assert nodes.chosen("both") == [nodes.Node.OURS, nodes.Node.VALIDATOR]
    assert nodes.chosen("validator") == [nodes.Node.VALIDATOR]

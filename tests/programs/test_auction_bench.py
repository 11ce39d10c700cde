"""The call auction benchmark (``bench/auction_cu.py``, ``bench/auction_node.py`` and its section of
``bench/run.py``) on tiny sizes, so that ``make bench`` cannot rot: every LiteSVM measurement runs and its
checks hold, the node part clears and settles an epoch with the SDK's crank and with ``solgrid keeper run
--once`` on our node, and the section renders a verdict per goal."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

import pytest
from registry_harness import REPO


@pytest.fixture(scope="module")
def run_bench() -> ModuleType:
    """``bench/run.py`` (a script directory, not a package), with the bench modules it imports."""
    spec = importlib.util.spec_from_file_location("bench_run", REPO / "bench" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def small(run_bench: ModuleType, trading_elf: bytes, registry_elf: bytes) -> object:
    bench = run_bench.auction_cu
    sizes = bench.Sizes(chunks=(1, 5, 64), levels=(0, 4, 12), busy_next=10, epoch_orders=150, traders=5)
    return bench.measure(trading_elf, registry_elf, "deploy", sizes)


def test_every_measurement_runs_on_small_epochs(run_bench: ModuleType, small: object) -> None:
    bench = run_bench.auction_cu
    r = small
    assert isinstance(r, bench.AuctionBench)
    assert [c.orders for c in r.matched_chunks] == [1, 5, 64]
    cu = [c.program_cu for c in r.matched_chunks]
    assert cu[0] < cu[1] < cu[2]
    assert all(c.transaction_cu > c.program_cu and c.program_cu < c.budget for c in r.matched_chunks)
    intercept, slope = r.marginal()
    assert 0 < slope < cu[2] and intercept > 0
    fixed, per = r.event_record_bytes()
    assert per == 122 and r.max_event_records() == (10 * 1024 - fixed) // 122  # Settlement's borsh size

    rolled, partial, busy = r.worst
    assert rolled.outcomes == {"ROLLED": 64} and busy.outcomes == {"ROLLED": 64}
    assert partial.outcomes == {"FILLED": 1, "PARTIALLY_FILLED_ROLLED": 1, "ROLLED": 62}
    assert rolled.grown_bytes == 64 * 80 and busy.next_levels_before == 10
    assert all(w.chunk.orders == 64 and w.chunk.program_cu < w.chunk.budget for w in r.worst)

    assert [c.levels for c in r.clears] == [0, 4, 12]
    assert r.clears[0].program_cu < r.clears[1].program_cu < r.clears[2].program_cu
    assert all(c.fits_budget for c in r.clears)
    assert [(p.levels, p.position, p.moved) for p in r.placements] == [
        (0, "empty", 0),
        *((levels, position, moved) for levels in (4, 12) for position, moved in bench_positions(levels)),
    ]
    assert r.first_order_grew_bytes == 8 * 80 and r.first_order_cu > r.placements[0].place_cu

    one, packed = r.one_per_transaction, r.packed
    assert (one.orders, one.transactions, one.settle_transactions) == (150, 4, 3)
    assert (packed.orders, packed.transactions) == (150, 1)  # the clearing and all three chunks
    assert (one.matched, one.rolled) == (packed.matched, packed.rolled)  # the same book, the same result
    assert r.packing.by_size > r.packing.by_cu > 3


def bench_positions(levels: int) -> list[tuple[str, int]]:
    return [("existing", 0), ("top", 0), ("bottom", levels)]


def test_the_section_renders_a_verdict_per_goal(run_bench: ModuleType, small: object) -> None:
    node = run_bench.auction_node

    def crank(by: str, chunk: int, settles: int) -> object:
        return node.Crank(by, 7, 1_000, chunk, settles + 1, settles, 2.5, 700_000, 690_000, 3)

    through = {
        n: node.NodeAuction(n.value, 100, 4.0, 1_000, crank("crank", 64, 16), crank("keeper", 32, 32))
        for n in run_bench.NODES
    }
    rows = run_bench.auction_rows(small, through)
    text = "\n".join(rows)
    assert rows[0].startswith(run_bench.SECTIONS["auction"][1])
    assert "| orders settled per settle_epoch transaction" in text and "| >= 32 | met |" in text
    assert "| 17 (16 settle_epoch + 1 clear_epoch), 2.5 s | <= 32 | met |" in text
    # The keeper's default chunk of 32 takes one transaction too many for 1,000 orders.
    assert (
        "| 33 (32 settle_epoch + 1 clear_epoch), 2.5 s | <= 32 | missed by 1: chunks of 32 orders; " in text
    )
    assert "GridTokenX's `clear_auction`" in text
    assert text.count("| <= 2,000 | met |") == 4


async def test_an_epoch_through_our_node(run_bench: ModuleType) -> None:
    node = run_bench.auction_node
    result = await node.on_node(run_bench.Node.OURS, orders=40, traders=4, epoch_secs=6)
    for crank, chunk in ((result.crank, 64), (result.keeper, node.KEEPER_CHUNK)):
        assert (crank.orders, crank.chunk) == (40, chunk)
        assert (
            crank.settle_transactions == -(-40 // chunk)
            and crank.transactions == crank.settle_transactions + 1
        )
        assert 0 < crank.settle_cu < crank.transaction_cu and crank.lag_secs >= 0
    assert result.keeper.epoch == result.crank.epoch + 1

"""The queue's identity and status rules, and how meters are dealt into lanes and readings into txs."""

from __future__ import annotations

from pathlib import Path

from solders.address_lookup_table_account import AddressLookupTableAccount
from solders.keypair import Keypair

from solgrid.oracle.batcher import Batcher, lanes_of
from solgrid.oracle.config import MeterConfig
from solgrid.oracle.queue import NewReading, ReadingQueue
from solgrid.sdk.readings import DeviceSigner, Reading
from solgrid.sdk.registry import RegistryClient


def new(serial: str, start: int, wh: int = 1) -> NewReading:
    return NewReading(serial, Reading(start, start + 60, wh, 0), bytes(32), bytes(64), "csv")


def test_a_reading_is_queued_once_and_status_only_moves_forward(tmp_path: Path) -> None:
    queue = ReadingQueue(tmp_path / "q.sqlite")
    assert queue.add([new("A", 0), new("A", 60), new("B", 0)]) == 3
    assert queue.add([new("A", 0, wh=999), new("A", 120)]) == 1  # same window again: ignored
    assert [(r.serial, r.reading.window_start) for r in queue.next_batch(["A", "B"], 10)] == [
        ("A", 0),
        ("B", 0),
        ("A", 60),
        ("A", 120),
    ]
    assert queue.next_batch(["A"], 10)[0].reading.production_wh == 1
    a0, a60 = queue.next_batch(["A"], 2)
    queue.record_attempt([a0.id, a60.id], "landed")
    queue.record_attempt([a60.id], "resent")
    # Windows ending by 120 are covered on chain; only one of them was in a transaction that landed.
    assert queue.covered("A", 120) == {a0.id: ["landed"], a60.id: ["landed", "resent"]}
    assert queue.resolve_covered({a0.id: "landed", a60.id: None}, "not applied") == (1, 1)
    assert queue.covered("A", 120) == {}
    first_b = queue.next_batch(["B"], 1)[0]
    queue.reject(first_b.id, "bad")
    queue.mark_applied([first_b.id], "sig")  # a rejected reading stays rejected
    queue.close()
    reopened = ReadingQueue(tmp_path / "q.sqlite")
    assert reopened.totals() == {"applied": 1, "pending": 1, "rejected": 2}
    assert reopened.pending() == 1


def test_lanes_partition_the_meters() -> None:
    serials = [f"M{i}" for i in range(7)]
    lanes = lanes_of(serials, 3)
    assert sorted(s for lane in lanes for s in lane) == sorted(serials) and len(lanes) == 3
    assert lanes_of(["X"], 4) == [["X"]]


def test_six_signed_readings_fit_one_transaction(tmp_path: Path) -> None:
    registry = RegistryClient()
    meters = {}
    for i in range(8):
        device = DeviceSigner.generate()
        meters[f"M{i}"] = MeterConfig(f"M{i}", Keypair().pubkey(), 1, device, device.public_key)
    batcher = Batcher(registry, meters)
    queue = ReadingQueue(tmp_path / "q.sqlite")
    for serial, m in meters.items():
        assert m.device is not None
        signed = m.device.sign(registry.program_id, registry.meter_pda(serial).address, Reading(0, 60, 5, 5))
        queue.add([NewReading(serial, signed.reading, signed.public_key, signed.signature, "sim")])
    rows = queue.next_batch(list(meters), 8)
    table = AddressLookupTableAccount(Keypair().pubkey(), batcher.lookup_addresses(list(meters)))
    assert batcher.fit(rows, Keypair(), table) == 6

"""Checks every reading from every source before it is queued: the meter is configured, the values fit
the wire format, and the device signature is valid. Rejections are one log line each; nothing raises.
Sources call it from worker threads (signing and committing off the event loop).

A refused reading never enters the queue: it has no verified signature, so it must not take the
``(meter, window_start)`` slot that the genuine reading will need.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from solders.pubkey import Pubkey

from solgrid.oracle.config import MeterConfig
from solgrid.oracle.queue import NewReading, ReadingQueue
from solgrid.sdk.readings import Reading, SignedReading, reading_message, verify
from solgrid.sdk.registry import RegistryClient

log = logging.getLogger("solgrid.oracle")


def reading_problem(meter: MeterConfig | None, serial: str, reading: Reading) -> str | None:
    """Why ``reading`` of ``serial`` cannot be queued (None: it can)."""
    if meter is None:
        return f"unknown meter {serial!r}"
    if reading.window_end <= reading.window_start:
        return f"window end {reading.window_end} is not after start {reading.window_start}"
    try:
        reading.to_bytes()
    except ValueError as e:
        return str(e)
    return None


def signature_problem(
    program_id: Pubkey,
    meter: MeterConfig,
    address: Pubkey,
    reading: Reading,
    public_key: bytes,
    signature: bytes,
) -> str | None:
    """Why ``signature`` is not ``meter``'s device signature of ``reading`` (None: it is)."""
    if public_key != meter.device_pubkey:
        return f"device key is not the configured key of meter {meter.serial!r}"
    message = reading_message(program_id, address, reading)
    if len(signature) != 64 or not verify(SignedReading(address, reading, public_key, signature, message)):
        return f"bad signature for meter {meter.serial!r} window {reading.window_start}"
    return None


class Intake:
    def __init__(self, program_id: Pubkey, meters: dict[str, MeterConfig], queue: ReadingQueue) -> None:
        self.program_id = program_id
        self.meters = meters
        self.queue = queue
        self.rejected = 0
        self._count_lock = threading.Lock()
        registry = RegistryClient(program_id)
        self.addresses = {serial: registry.meter_pda(serial).address for serial in meters}

    def reject(self, origin: str, reason: str) -> None:
        with self._count_lock:  # sources check readings in worker threads
            self.rejected += 1
        log.warning("rejected %s: %s", origin, reason)

    def check(self, origin: str, serial: str, reading: Reading) -> MeterConfig | None:
        meter = self.meters.get(serial)
        problem = reading_problem(meter, serial, reading)
        if problem is not None:
            self.reject(origin, problem)
            return None
        return meter

    def sign(self, origin: str, serial: str, reading: Reading, source: str) -> NewReading | None:
        """A reading from a source the worker signs for (simulator, CSV) with the meter's device key."""
        meter = self.check(origin, serial, reading)
        if meter is None:
            return None
        if meter.device is None:
            self.reject(origin, f"meter {serial!r} has no device_key in the config, only pushed readings")
            return None
        signed = meter.device.sign(self.program_id, self.addresses[serial], reading)
        return NewReading(serial, reading, signed.public_key, signed.signature, source)

    def signed(
        self, origin: str, serial: str, reading: Reading, public_key: bytes, signature: bytes
    ) -> NewReading | str:
        """A reading signed by the device itself (HTTP push): verified here, forwarded as signed.
        Returns the reading to queue, or the reason it is refused (also logged)."""
        meter = self.meters.get(serial)
        problem = reading_problem(meter, serial, reading)
        if problem is None and meter is not None:
            address = self.addresses[serial]
            problem = signature_problem(self.program_id, meter, address, reading, public_key, signature)
        if problem is not None:
            self.reject(origin, problem)
            return problem
        return NewReading(serial, reading, public_key, signature, "http")

    def enqueue(self, readings: Sequence[NewReading]) -> int:
        return self.queue.add(readings) if readings else 0

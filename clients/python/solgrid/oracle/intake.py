"""Checks every reading from every source before it is queued: the meter is configured, the values fit
the wire format, and the device signature is valid. Rejections are one log line each; nothing raises."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from solders.pubkey import Pubkey

from solgrid.oracle.config import MeterConfig
from solgrid.oracle.queue import NewReading, ReadingQueue
from solgrid.sdk.readings import Reading, SignedReading, reading_message, verify

log = logging.getLogger("solgrid.oracle")


class Intake:
    def __init__(self, program_id: Pubkey, meters: dict[str, MeterConfig], queue: ReadingQueue) -> None:
        self.program_id = program_id
        self.meters = meters
        self.queue = queue
        self.rejected = 0

    def meter_address(self, serial: str) -> Pubkey:
        from solgrid.sdk.registry import RegistryClient

        return RegistryClient(self.program_id).meter_pda(serial).address

    def reject(self, origin: str, reason: str) -> None:
        self.rejected += 1
        log.warning("rejected %s: %s", origin, reason)

    def check(self, origin: str, serial: str, reading: Reading) -> MeterConfig | None:
        meter = self.meters.get(serial)
        if meter is None:
            self.reject(origin, f"unknown meter {serial!r}")
            return None
        if reading.window_end <= reading.window_start:
            self.reject(origin, f"window end {reading.window_end} is not after start {reading.window_start}")
            return None
        try:
            reading.to_bytes()
        except ValueError as e:
            self.reject(origin, str(e))
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
        signed = meter.device.sign(self.program_id, self.meter_address(serial), reading)
        return NewReading(serial, reading, signed.public_key, signed.signature, source)

    def signed(
        self, origin: str, serial: str, reading: Reading, public_key: bytes, signature: bytes
    ) -> tuple[NewReading | None, str]:
        """A reading signed by the device itself (HTTP push): verified here, forwarded as signed.
        Returns the reading to queue, or None and the reason."""
        meter = self.check(origin, serial, reading)
        if meter is None:
            return None, "unknown meter or invalid window"
        if public_key != meter.device_pubkey:
            self.reject(origin, f"device key is not meter {serial!r}'s registered key")
            return None, "device key mismatch"
        address = self.meter_address(serial)
        message = reading_message(self.program_id, address, reading)
        if len(signature) != 64 or not verify(
            SignedReading(address, reading, public_key, signature, message)
        ):
            self.reject(origin, f"bad signature for meter {serial!r} window {reading.window_start}")
            return None, "bad signature"
        return NewReading(serial, reading, public_key, signature, "http"), ""

    def enqueue(self, readings: Sequence[NewReading]) -> int:
        return self.queue.add(readings) if readings else 0

"""HTTP push: readings signed by the device are verified and queued as signed; bad signatures, foreign
keys, unknown meters and malformed bodies are refused (400, one log line each)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.signature import Signature

from solgrid.oracle.config import MeterConfig
from solgrid.oracle.http_source import build_app
from solgrid.oracle.intake import Intake
from solgrid.oracle.queue import ReadingQueue
from solgrid.sdk.readings import DeviceSigner, Reading
from solgrid.sdk.registry import RegistryClient

REGISTRY = RegistryClient()


def body(
    device: DeviceSigner, serial: str, reading: Reading, *, signer: DeviceSigner | None = None
) -> dict[str, Any]:
    signed = (signer or device).sign(REGISTRY.program_id, REGISTRY.meter_pda(serial).address, reading)
    return {
        "meter": serial,
        "window_start": reading.window_start,
        "window_end": reading.window_end,
        "production_wh": reading.production_wh,
        "consumption_wh": reading.consumption_wh,
        "device_pubkey": str(Pubkey(device.public_key)),
        "signature": str(Signature.from_bytes(signed.signature)),
    }


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Intake, DeviceSigner]:
    device = DeviceSigner.generate()
    meters = {"PUSH-1": MeterConfig("PUSH-1", Keypair().pubkey(), 1, None, device.public_key)}
    return Intake(REGISTRY.program_id, meters, ReadingQueue(tmp_path / "q.sqlite")), device


async def test_good_and_bad_pushes(
    setup: tuple[Intake, DeviceSigner], caplog: pytest.LogCaptureFixture
) -> None:
    intake, device = setup
    app = build_app(intake, lambda: {"ok": True})
    async with TestClient(TestServer(app)) as client:
        good = body(device, "PUSH-1", Reading(1000, 1900, 400, 50))
        answer = await client.post("/readings", json=good)
        assert answer.status == 202
        assert await answer.json() == {"accepted": 1, "new": 1, "rejected": []}
        # The same reading pushed again (a meter retrying) is accepted but not queued twice.
        assert (await (await client.post("/readings", json=good)).json())["new"] == 0

        tampered = dict(body(device, "PUSH-1", Reading(1900, 2800, 400, 50)), production_wh=4000)
        impostor = body(device, "PUSH-1", Reading(1900, 2800, 1, 1), signer=DeviceSigner.generate())
        stranger = DeviceSigner.generate()
        foreign_key = body(stranger, "PUSH-1", Reading(1900, 2800, 1, 1))
        unknown = body(device, "NOPE", Reading(1900, 2800, 1, 1))
        second = body(device, "PUSH-1", Reading(1900, 2800, 300, 20))
        with caplog.at_level(logging.WARNING, "solgrid.oracle"):
            answer = await client.post(
                "/readings", json=[tampered, impostor, foreign_key, unknown, second, {"meter": 1}]
            )
            assert answer.status == 400
            result = await answer.json()
            assert result["accepted"] == 1 and result["new"] == 1
            assert result["rejected"] == [
                {"index": 0, "error": "bad signature for meter 'PUSH-1' window 1900"},
                {"index": 1, "error": "bad signature for meter 'PUSH-1' window 1900"},
                {"index": 2, "error": "device key is not the configured key of meter 'PUSH-1'"},
                {"index": 3, "error": "unknown meter 'NOPE'"},
                {
                    "index": 5,
                    "error": "missing field(s): window_start, window_end, production_wh, consumption_wh,"
                    " device_pubkey, signature",
                },
            ]
            not_json = await client.post("/readings", data=b"{nope")
            assert not_json.status == 400
        assert len(caplog.records) == 6  # one line per refused reading or body
        assert all(r.getMessage().startswith("rejected push from") for r in caplog.records)

        assert await (await client.get("/status")).json() == {"ok": True}

    rows = intake.queue.next_batch(["PUSH-1"], 10)
    assert [r.reading for r in rows] == [Reading(1000, 1900, 400, 50), Reading(1900, 2800, 300, 20)]
    assert rows[0].signature == bytes(Signature.from_string(good["signature"]))  # forwarded as signed
    assert intake.rejected == 6

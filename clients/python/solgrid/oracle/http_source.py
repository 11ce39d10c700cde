"""The HTTP endpoint meters push already-signed readings to, and the worker's status endpoint.

``POST /readings`` takes one JSON object or a list of them::

    {"meter": "SOLAR-001", "window_start": 1767225600, "window_end": 1767226500,
     "production_wh": 812, "consumption_wh": 140,
     "device_pubkey": "<base58, 32 bytes>", "signature": "<base58, 64 bytes>"}

The signature is the device's Ed25519 signature of :func:`solgrid.sdk.readings.reading_message`. Each
reading is verified here and forwarded on-chain as signed. The answer is 202 ``{"accepted", "new",
"rejected": []}`` when every reading was queued (``new``: not queued before), 400 with the refused
readings' ``{"index", "error"}`` in ``rejected`` (each also one log line) otherwise. ``GET /status``
returns the worker's metrics as JSON. The protocol is documented in docs/oracle.md.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from aiohttp import web
from solders.pubkey import Pubkey
from solders.signature import Signature

from solgrid.oracle.intake import Intake
from solgrid.oracle.queue import NewReading
from solgrid.sdk.readings import Reading

FIELDS = (
    "meter",
    "window_start",
    "window_end",
    "production_wh",
    "consumption_wh",
    "device_pubkey",
    "signature",
)


def _decode(item: Any) -> tuple[str, Reading, bytes, bytes] | str:
    if not isinstance(item, dict):
        return "a reading must be a JSON object"
    missing = [f for f in FIELDS if f not in item]
    if missing:
        return f"missing field(s): {', '.join(missing)}"
    numbers = [item[f] for f in FIELDS[1:5]]
    if not isinstance(item["meter"], str) or not all(type(n) is int and n >= 0 for n in numbers):
        return "meter must be a string and windows and energies non-negative integers"
    try:
        public_key = bytes(Pubkey.from_string(item["device_pubkey"]))
        signature = bytes(Signature.from_string(item["signature"]))
    except (ValueError, TypeError):
        return "device_pubkey and signature must be base58"
    return item["meter"], Reading(*numbers), public_key, signature


def _accept(intake: Intake, items: list[Any], remote: str | None) -> dict[str, Any]:
    """Verify and queue pushed ``items``; the answer's body."""
    accepted: list[NewReading] = []
    errors: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        origin = f"push from {remote} #{index}"
        decoded = _decode(item)
        if isinstance(decoded, str):
            intake.reject(origin, decoded)
            errors.append({"index": index, "error": decoded})
            continue
        new = intake.signed(origin, *decoded)
        if isinstance(new, str):
            errors.append({"index": index, "error": new})
        else:
            accepted.append(new)
    queued = intake.enqueue(accepted)
    return {"accepted": len(accepted), "new": queued, "rejected": errors}


def build_app(intake: Intake | None, status: Callable[[], dict[str, Any]]) -> web.Application:
    """The aiohttp application; without ``intake`` only ``/status`` is served."""

    async def push(request: web.Request) -> web.Response:
        assert intake is not None
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            intake.reject(f"push from {request.remote}", "body is not JSON")
            return web.json_response({"error": "body is not JSON"}, status=400)
        items = body if isinstance(body, list) else [body]
        # Verifying signatures and the queue's commit (an fsync) run in a thread: the endpoint and the
        # worker's other tasks go on meanwhile; the answer is sent once the readings are committed.
        answer = await asyncio.to_thread(_accept, intake, items, request.remote)
        return web.json_response(answer, status=400 if answer["rejected"] else 202)

    async def get_status(_request: web.Request) -> web.Response:
        return web.json_response(status())

    app = web.Application()
    app.router.add_get("/status", get_status)
    if intake is not None:
        app.router.add_post("/readings", push)
    return app

"""A meter (or its gateway) pushing one signed reading to the oracle worker's HTTP endpoint.

Needs only ``solders`` (``pip install solders``) and the standard library:

    python examples/push_reading.py --oracle http://127.0.0.1:8780 --device-key devices/home-0003.json \\
        --meter HOME-0003 --start 1767225600 --secs 900 --production 0 --consumption 412

Prints the worker's JSON answer; exit code 0 when the reading was accepted, 1 when it was refused.
See docs/oracle.md ("HTTP push") for the protocol.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import struct
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from solders.keypair import Keypair
from solders.pubkey import Pubkey

REGISTRY_PROGRAM_ID = Pubkey.from_string("Hu5R8SX8juSQ3cUYxf1daxaPsUSDHKwGza2u5wUiitxg")


def signed_reading(
    device: Keypair,
    serial: str,
    window_start: int,
    window_end: int,
    production_wh: int,
    consumption_wh: int,
    program_id: Pubkey = REGISTRY_PROGRAM_ID,
) -> dict[str, Any]:
    """The JSON body of one reading, signed with the meter's device key."""
    seed = serial.encode().ljust(32, b"\0")  # the serial as the registry stores it: 32 bytes, zero-padded
    meter, _bump = Pubkey.find_program_address([b"meter", seed], program_id)
    fields = struct.pack("<IHII", window_start, window_end - window_start, production_wh, consumption_wh)
    message = hashlib.sha256(b"solgrid:reading:v1" + bytes(program_id) + bytes(meter) + fields).digest()
    return {
        "meter": serial,
        "window_start": window_start,
        "window_end": window_end,
        "production_wh": production_wh,
        "consumption_wh": consumption_wh,
        "device_pubkey": str(device.pubkey()),
        "signature": str(device.sign_message(message)),  # Ed25519 over the 32-byte message, base58
    }


def push(oracle_url: str, readings: list[dict[str, Any]]) -> tuple[int, dict[str, Any]]:
    """POST ``readings`` to the worker; returns the HTTP status and its JSON answer."""
    request = urllib.request.Request(
        f"{oracle_url}/readings",
        data=json.dumps(readings).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as refused:  # 400: some or all readings refused, reasons in the body
        return refused.code, json.loads(refused.read())


def main() -> None:
    parser = argparse.ArgumentParser(description="Push one signed meter reading to the oracle worker.")
    parser.add_argument(
        "--oracle", required=True, help="the worker's http.listen, e.g. http://127.0.0.1:8780"
    )
    parser.add_argument("--device-key", required=True, type=Path, help="the meter's device keypair file")
    parser.add_argument("--meter", required=True, help="the meter's registry serial")
    parser.add_argument("--start", required=True, type=int, help="window start, Unix seconds")
    parser.add_argument("--secs", type=int, default=900, help="window length, seconds")
    parser.add_argument("--production", type=int, default=0, help="Wh produced in the window")
    parser.add_argument("--consumption", type=int, default=0, help="Wh consumed in the window")
    parser.add_argument("--program-id", type=Pubkey.from_string, default=REGISTRY_PROGRAM_ID)
    args = parser.parse_args()
    device = Keypair.from_bytes(bytes(json.loads(args.device_key.read_text())))
    body = signed_reading(
        device,
        args.meter,
        args.start,
        args.start + args.secs,
        args.production,
        args.consumption,
        args.program_id,
    )
    status, answer = push(args.oracle, [body])
    print(json.dumps(answer))
    sys.exit(0 if status == 202 else 1)


if __name__ == "__main__":
    main()

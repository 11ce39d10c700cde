"""``solgrid reading submit``: consecutive metering windows of one meter, signed with its device key.

Each window is signed by the device key (the meter's firmware does this in production) and verified
on-chain through the Ed25519 precompile; windows are sent :data:`READINGS_PER_TX` to a legacy
transaction, which stays under the 1232-byte limit without an address lookup table. Transactions go out
in window order; when one fails after others landed (refused, the node unreachable, or not confirmed in
time), the error says how many readings landed and where the meter now stands, so rerunning with the
remaining readings (``--start`` defaults to the meter's last window end) loses and doubles nothing.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from solana.rpc.async_api import AsyncClient

from solgrid.cli.chain import device_signer, require_meter, send
from solgrid.cli.common import (
    SERIAL,
    Settings,
    call,
    cluster_options,
    emit_json,
    json_option,
    rpc_failure,
)
from solgrid.errors import UserFacingError
from solgrid.sdk.readings import Reading
from solgrid.sdk.registry import MeterStatus, RegistryClient
from solgrid.sdk.transactions import TransactionFailed

READINGS_PER_TX = 4
U32_MAX = 2**32 - 1


class DeviceKeyMismatch(UserFacingError):
    """The device key file does not hold the meter's registered device key."""


class MeterNotActive(UserFacingError):
    """Only an Active meter's readings are accepted."""


class PartlySubmitted(UserFacingError):
    """Some transactions of a submission landed, then one failed."""


def _parse_reading(
    _ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]
) -> list[tuple[int, int]]:
    pairs = []
    for value in values:
        try:
            production, consumption = (int(part) for part in value.split(":"))
        except ValueError:
            raise click.BadParameter(
                f"{value!r} is not PRODUCTION_WH:CONSUMPTION_WH", param_hint="--reading"
            ) from None
        if not (0 <= production <= U32_MAX and 0 <= consumption <= U32_MAX):
            raise click.BadParameter(
                f"{value!r}: watt-hours are whole numbers from 0 to {U32_MAX}", param_hint="--reading"
            )
        pairs.append((production, consumption))
    return pairs


def _partly(windows: list[Reading], signatures: list[str], failure: Exception) -> PartlySubmitted:
    """What landed before ``failure`` (the transaction after ``signatures``: rejected, or the node gone
    or not confirming), so that a rerun can go on from there."""
    landed = len(signatures) * READINGS_PER_TX
    return PartlySubmitted(
        f"{landed} of {len(windows)} readings landed (windows up to {windows[landed - 1].window_end}, "
        f"signatures {', '.join(signatures)}); the transaction from reading {landed + 1} on failed: {failure}"
    )


@click.group()
def reading() -> None:
    """Device-signed meter readings."""


@reading.command("submit")
@click.argument("serial", type=SERIAL)
@click.option(
    "--device-key",
    type=click.Path(path_type=Path),
    required=True,
    help="The meter's device keypair file (Solana format).",
)
@click.option(
    "--reading",
    "-r",
    "readings",
    multiple=True,
    required=True,
    callback=_parse_reading,
    help="PRODUCTION_WH:CONSUMPTION_WH of one window; repeat for consecutive windows.",
)
@click.option(
    "--window",
    "window_secs",
    type=click.IntRange(1, 65_535),
    default=600,
    show_default=True,
    help="Window length in seconds.",
)
@click.option(
    "--start",
    type=click.IntRange(0, U32_MAX),
    help="Start of the first window, Unix seconds (default: the meter's last window end).",
)
@cluster_options
@json_option
def submit(
    serial: str,
    device_key: Path,
    readings: list[tuple[int, int]],
    window_secs: int,
    start: int | None,
    settings: Settings,
    as_json: bool,
) -> None:
    """Sign and submit readings of meter SERIAL (the wallet pays the fees)."""
    payer = settings.keypair()
    device = device_signer(device_key)
    registry = RegistryClient()
    address = registry.meter_pda(serial).address

    async def work(rpc: AsyncClient) -> tuple[list[str], int, int]:
        meter = await require_meter(rpc, registry, serial)
        if meter.device_key != device.public_key:
            raise DeviceKeyMismatch(f"{device_key} is not the device key of meter {serial!r}")
        if meter.status != MeterStatus.ACTIVE:
            raise MeterNotActive(
                f"meter {serial!r} is {meter.status.name}: readings are accepted once a regulator "
                "activates it (`solgrid regulator activate-meter`)"
            )
        first = meter.last_window_end if start is None else start
        windows = [
            Reading(first + i * window_secs, first + (i + 1) * window_secs, production, consumption)
            for i, (production, consumption) in enumerate(readings)
        ]
        if windows[-1].window_end > U32_MAX:
            raise click.BadParameter(f"the last window would end after {U32_MAX}", param_hint="--start")
        accounts = registry.meter_accounts(serial, meter.owner, meter.zone_id)
        chunks = [windows[i : i + READINGS_PER_TX] for i in range(0, len(windows), READINGS_PER_TX)]
        signatures: list[str] = []
        with click.progressbar(chunks, label=f"submitting {len(windows)} readings", file=sys.stderr) as bar:
            for chunk in bar:
                batch = registry.reading_batch(
                    [(accounts, device.sign(registry.program_id, address, r)) for r in chunk]
                )
                try:
                    landed = await send(rpc, settings, batch, payer, coders=[registry.coder])
                except Exception as e:
                    failure = e if isinstance(e, TransactionFailed) else rpc_failure(e, settings.url)
                    if not signatures or failure is None:
                        raise
                    raise _partly(windows, signatures, failure) from None
                signatures.append(str(landed.signature))
        after = await require_meter(rpc, registry, serial)
        return signatures, after.produced_wh, after.unsettled_wh

    signatures, produced, unsettled = call(settings, work)
    if as_json:
        emit_json(
            {
                "meter": str(address),
                "serial": serial,
                "accepted": len(readings),
                "signatures": signatures,
                "produced_wh": produced,
                "unsettled_wh": unsettled,
            }
        )
    else:
        click.echo(f"accepted {len(readings)} readings of meter {serial} in {len(signatures)} transaction(s)")
        click.echo(f"meter totals: produced {produced} Wh, unsettled surplus {unsettled} Wh")
        for signature in signatures:
            click.echo(f"signature: {signature}")

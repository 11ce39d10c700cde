"""The checks a rejected reading must pass to go back to the queue, one reason each."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from solders.keypair import Keypair
from solders.pubkey import Pubkey

from solgrid.oracle.config import MeterConfig, OracleConfig
from solgrid.oracle.queue import RejectedReading
from solgrid.oracle.review import ChainView, requeue_problem
from solgrid.oracle.worker import config_mismatches
from solgrid.sdk.readings import DeviceSigner, Reading
from solgrid.sdk.registry import (
    EnergySource,
    Meter,
    MeterStatus,
    RegistryClient,
    User,
    UserRole,
    UserStatus,
    Zone,
    ZoneStatus,
    serial_bytes,
)
from solgrid.sdk.registry_governance import PauseFlag

REGISTRY = RegistryClient()
DEVICE = DeviceSigner.generate()
OWNER = Keypair().pubkey()
USER = REGISTRY.user_pda(OWNER).address
NOW = 1_800_000_000
READING = Reading(NOW - 1800, NOW - 900, 400, 100)


def config() -> OracleConfig:
    meter = MeterConfig("M", OWNER, 1, DEVICE, DEVICE.public_key)
    return OracleConfig("http://x", Path("p.json"), Path("q.sqlite"), {"M": meter})


def rejected(reading: Reading = READING, signer: DeviceSigner = DEVICE, serial: str = "M") -> RejectedReading:
    signed = signer.sign(REGISTRY.program_id, REGISTRY.meter_pda(serial).address, reading)
    return RejectedReading(1, serial, reading, signed.public_key, signed.signature, "csv", NOW, "refused")


def meter(**changes: object) -> Meter:
    state = Meter(
        serial_bytes("M"), OWNER, USER, 1, DEVICE.public_key, EnergySource.SOLAR, MeterStatus.ACTIVE, 255,
        5000, NOW - 3600, 0, 0, 0, 0, 0, NOW - 7200, 0, 0, 0,
    )  # fmt: skip
    return dataclasses.replace(state, **changes)  # type: ignore[arg-type]


def chain(
    state: Meter | None = None,
    user: UserStatus = UserStatus.VERIFIED,
    zone: ZoneStatus = ZoneStatus.ACTIVE,
    verified_at: int = NOW - 7200,
    reopened_at: int = 0,
    zone_paused: int = 0,
) -> ChainView:
    zones = {1: Zone(1, "z", 100, zone, 255, 0, reopened_at, zone_paused, 0)}
    owner = User(OWNER, UserRole.PROSUMER, user, 255, 1, 1, 0, NOW - 7200, verified_at)
    return ChainView({"M": state or meter()}, {USER: owner}, zones, NOW, 86_400)


def problem(row: RejectedReading, view: ChainView) -> str | None:
    return requeue_problem(config(), REGISTRY, view, row)


def test_a_reading_the_chain_can_take_passes() -> None:
    assert problem(rejected(), chain()) is None
    assert problem(rejected(), chain(zone=ZoneStatus.MAINTENANCE)) is None  # only a halted zone refuses
    # Minting and trading pauses do not stop readings.
    others = PauseFlag.MINTING | PauseFlag.TRADING
    assert problem(rejected(), dataclasses.replace(chain(zone_paused=others), market_paused=others)) is None


def test_each_reason() -> None:
    other = DeviceSigner.generate()
    cases = [
        (rejected(serial="X"), chain(), "meter 'X' is not in the config"),
        (rejected(signer=other), chain(), "device key is not the configured key of meter 'M'"),
        (
            dataclasses.replace(rejected(), reading=dataclasses.replace(READING, production_wh=401)),
            chain(),
            f"bad signature for meter 'M' window {READING.window_start}",
        ),
        (rejected(), ChainView({"M": None}, {}, {}, NOW, None), "meter 'M' is not registered on chain"),
        (
            rejected(),
            chain(meter(status=MeterStatus.MAINTENANCE)),
            "meter 'M' is in maintenance on chain, not active",
        ),
        (
            rejected(),
            chain(meter(device_key=other.public_key)),
            f"the device key of meter 'M' on chain is {Pubkey(other.public_key)}, not the signer",
        ),
        (
            rejected(),
            chain(user=UserStatus.SUSPENDED),
            "the owner of meter 'M' is suspended on chain, not verified",
        ),
        (rejected(), chain(zone=ZoneStatus.HALTED), "zone 1 of meter 'M' is halted"),
        (
            rejected(),
            chain(zone_paused=PauseFlag.READINGS | PauseFlag.MINTING),
            "readings are paused in zone 1 (meter 'M') until a quorum of regulators resumes them",
        ),
        (
            rejected(),
            dataclasses.replace(chain(), market_paused=PauseFlag.READINGS),
            "readings are paused market-wide (meter 'M') until a quorum of regulators resumes them",
        ),
        (
            rejected(),
            chain(verified_at=READING.window_start + 1),
            f"the window starts before {READING.window_start + 1}, when the owner of meter 'M' was last"
            " verified: energy from a suspension is never credited",
        ),
        (
            rejected(),
            chain(reopened_at=READING.window_start + 1),
            f"the window starts before {READING.window_start + 1}, when zone 1 left its halt: energy from"
            " a halt is never credited",
        ),
        (
            rejected(),
            chain(meter(last_window_end=READING.window_start + 1)),
            f"the window starts before {READING.window_start + 1}, where the on-chain record of meter 'M'"
            " goes on (its last reading or activation): it can never be applied",
        ),
        (
            rejected(),
            dataclasses.replace(chain(), now=READING.window_end + 86_401),
            "the window ended more than 86400 s before the cluster clock: too old for the registry",
        ),
    ]
    for row, view, reason in cases:
        assert problem(row, view) == reason


def test_the_worker_names_each_way_the_config_disagrees_with_the_chain() -> None:
    configured = config().meters["M"]
    assert config_mismatches(configured, meter()) == []
    assert config_mismatches(configured, None) == ["not registered on chain"]
    stranger, other = Keypair().pubkey(), DeviceSigner.generate()
    changed = meter(owner=stranger, zone_id=2, device_key=other.public_key, status=MeterStatus.INACTIVE)
    assert config_mismatches(configured, changed) == [
        f"the config says owner {OWNER}, the chain {stranger}",
        "the config says zone 1, the chain 2",
        f"the config's device key is not the one registered on chain ({Pubkey(other.public_key)})",
        "inactive on chain, not active",
    ]

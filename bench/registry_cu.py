"""Compute units of the registry's instructions, measured in the in-process LiteSVM.

Usage: ``.venv/bin/python bench/registry_cu.py [path/to/registry.so]`` (default
``target/deploy/registry.so``) prints one JSON object: CU per instruction for the program loaded with
``add_program`` and deployed through BPFLoaderUpgradeable, the ``.so`` size, and the size of the v0
transaction that carries 6 readings.

:func:`measure_cu` is what a benchmark driver imports: it returns ``{name: CU}``. Keys are instruction
names, ``submit_readings[n]`` for a batch of ``n`` readings and ``per_reading[6]`` for the 6-reading
batch divided by 6 (goal: <= 8,000). The numbers are deterministic: the program runs at its IDL
address, wallets, serials and device keys come from fixed seeds (so every PDA bump is fixed) and the
cluster clock is pinned.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path

from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from solgrid.localnet.engine import Engine
from solgrid.localnet.svm import (
    Sent,
    create_lookup_table_svm,
    deploy,
    features_blocking_deploy,
    new_svm,
    send,
    send_v0_svm,
)
from solgrid.sdk.lookup_tables import transaction_size, v0_transaction
from solgrid.sdk.readings import DeviceSigner, Reading
from solgrid.sdk.registry import (
    EnergySource,
    Limits,
    MeterAccounts,
    MeterStatus,
    RegistryClient,
    UserRole,
    ZoneStatus,
)
from solgrid.sdk.registry_governance import PauseFlag

REPO = Path(__file__).resolve().parents[1]
PROGRAM_KEYPAIR = REPO / "keys" / "registry-keypair.json"
MODES = ("add_program", "deploy")
T0 = 1_767_225_600
ZONE_ID = 1
BATCH = 6
HOUR = 3600


def program_keypair() -> Keypair:
    """The keypair of the registry's program id (published: localnet/devnet only)."""
    return Keypair.from_bytes(bytes(json.loads(PROGRAM_KEYPAIR.read_text())))


def _seeded(n: int) -> Keypair:
    return Keypair.from_seed(n.to_bytes(32, "little"))


def _set_time(svm: Engine, unix_timestamp: int) -> None:
    clock = svm.get_clock()
    clock.unix_timestamp = unix_timestamp
    svm.set_clock(clock)


class _Bench:
    def __init__(self, elf: bytes, mode: str) -> None:
        self.svm = new_svm(deactivate=features_blocking_deploy(elf))
        self.payer = _seeded(0)
        self.svm.airdrop(self.payer.pubkey(), 10**13)
        self.client = RegistryClient()
        if mode == "add_program":
            self.svm.add_program(self.client.program_id, elf)
        else:
            deploy(self.svm, self.payer, elf, program_keypair())
        _set_time(self.svm, T0)
        self.cu: dict[str, int] = {}

    @property
    def program_id(self) -> Pubkey:
        return self.client.program_id

    def run(self, name: str, instructions: list[Instruction], signers: Sequence[Keypair] = ()) -> Sent:
        sent = send(self.svm, self.payer, instructions, signers)
        self.cu[name] = sent.program_cu(self.program_id)
        return sent


def measure_cu(elf: bytes, mode: str = "add_program") -> dict[str, int]:
    """CU of every registry instruction for the ELF ``elf`` (see the module docs for the keys).

    ``mode`` is ``"add_program"`` or ``"deploy"`` (BPFLoaderUpgradeable, the payer as upgrade authority).
    """
    return _measure(elf, mode)[0]


def _measure(elf: bytes, mode: str) -> tuple[dict[str, int], int]:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    b = _Bench(elf, mode)
    c, payer = b.client, b.payer.pubkey()
    b.run("initialize", [c.initialize(payer=payer, authority=payer)])
    regulators = [_seeded(100 + i) for i in range(3)]
    for r in regulators:
        b.svm.airdrop(r.pubkey(), 10**9)
    keys = [r.pubkey() for r in regulators]
    b.run("set_regulators", [c.set_regulators(regulators=keys, threshold=2, cosigners=[payer])])
    quorum, cosigners = regulators[:2], keys[:2]
    b.run(
        "update_limits", [c.update_limits(limits=Limits(max_meters_per_user=4), cosigners=cosigners)], quorum
    )
    b.run(
        "create_zone",
        [
            c.create_zone(
                payer=payer, zone_id=ZONE_ID, name="bench", max_capacity_kw=10_000, cosigners=cosigners
            )
        ],
        quorum,
    )
    settler = _seeded(200)
    b.run(
        "set_settlement_authority",
        [c.set_settlement_authority(settlement_authority=settler.pubkey(), cosigners=cosigners)],
        quorum,
    )
    new_authority = _seeded(201)
    b.run("propose_authority", [c.propose_authority(authority=payer, new_authority=new_authority.pubkey())])
    b.run("accept_authority", [c.accept_authority(new_authority=new_authority.pubkey())], [new_authority])

    regulator = regulators[0]
    meters: list[tuple[MeterAccounts, DeviceSigner]] = []
    owners: list[Pubkey] = []
    for i in range(BATCH):
        owner = _seeded(300 + i)
        b.svm.airdrop(owner.pubkey(), 10**9)
        register = c.register_user(
            payer=payer, authority=owner.pubkey(), role=UserRole.PROSUMER, zone_id=ZONE_ID
        )
        b.run("register_user", [register], [owner])
        b.run(
            "verify_user", [c.verify_user(regulator=regulator.pubkey(), wallet=owner.pubkey())], [regulator]
        )
        device = DeviceSigner.from_seed(bytes([i + 1]) * 32)
        serial = f"BENCH-{i:04d}"
        ix = c.register_meter(
            payer=payer,
            owner=owner.pubkey(),
            zone_id=ZONE_ID,
            serial=serial,
            device_key=device.public_key,
            source=EnergySource.SOLAR,
            capacity_w=10_000,
        )
        b.run("register_meter", [ix], [owner])
        accounts = c.meter_accounts(serial, owner.pubkey(), ZONE_ID)
        b.run(
            "activate_meter",
            [c.activate_meter(regulator=regulator.pubkey(), meter=accounts.meter)],
            [regulator],
        )
        meters.append((accounts, device))
        owners.append(owner.pubkey())

    first, first_device = meters[0]
    spare = _seeded(400)
    b.svm.airdrop(spare.pubkey(), 10**9)
    b.run(
        "register_user[spare]",
        [c.register_user(payer=payer, authority=spare.pubkey(), role=UserRole.CONSUMER, zone_id=ZONE_ID)],
        [spare],
    )
    b.run("suspend_user", [c.suspend_user(regulator=regulator.pubkey(), wallet=spare.pubkey())], [regulator])
    b.run(
        "reinstate_user", [c.reinstate_user(regulator=regulator.pubkey(), wallet=spare.pubkey())], [regulator]
    )
    del b.cu["register_user[spare]"]

    # One reading, then a batch of 6 through a lookup table (v0), each an hour after the last.
    _set_time(b.svm, T0 + HOUR)
    one = first_device.sign(b.program_id, first.meter, Reading(T0, T0 + HOUR, 6_000, 1_000))
    b.run("submit_readings[1]", c.reading_batch([(first, one)]))
    _set_time(b.svm, T0 + 2 * HOUR)
    table = create_lookup_table_svm(b.svm, b.payer, c.lookup_addresses([m for m, _ in meters]))
    _set_time(b.svm, T0 + 2 * HOUR)
    batch = [
        (
            accounts,
            device.sign(b.program_id, accounts.meter, Reading(T0 + HOUR, T0 + 2 * HOUR, 5_000 + i, 500)),
        )
        for i, (accounts, device) in enumerate(meters)
    ]
    ixs = c.reading_batch(batch)
    tx = v0_transaction(ixs, b.payer, [], b.svm.latest_blockhash(), [table])
    sent = send_v0_svm(b.svm, b.payer, ixs, (), [table])
    b.cu[f"submit_readings[{BATCH}]"] = sent.program_cu(b.program_id)
    b.cu[f"per_reading[{BATCH}]"] = b.cu[f"submit_readings[{BATCH}]"] // BATCH

    settle = c.settle_meter(
        settlement_authority=settler.pubkey(), meter=first.meter, owner=owners[0], zone_id=ZONE_ID
    )
    b.run("settle_meter", [settle], [settler])
    b.run(
        "rotate_device_key",
        [
            c.rotate_device_key(
                meter=first.meter, new_key=DeviceSigner.from_seed(bytes(32)).public_key, cosigners=cosigners
            )
        ],
        quorum,
    )
    status = c.set_meter_status(
        regulator=regulator.pubkey(), meter=first.meter, status=MeterStatus.MAINTENANCE
    )
    b.run("set_meter_status", [status], [regulator])
    b.run(
        "set_zone_status",
        [c.set_zone_status(zone_id=ZONE_ID, status=ZoneStatus.HALTED, cosigners=cosigners)],
        quorum,
    )
    # Issue 14: pauses (one regulator), resumes and emission factors (the quorum), then the hand-over
    # to a governance program (the authority and the quorum; it searches both PDAs' canonical bumps).
    flags = PauseFlag.READINGS | PauseFlag.MINTING
    b.run("pause_market", [c.pause_market(regulator=regulator.pubkey(), flags=flags)], [regulator])
    b.run(
        "pause_zone", [c.pause_zone(regulator=regulator.pubkey(), zone_id=ZONE_ID, flags=flags)], [regulator]
    )
    b.run("resume_market", [c.resume_market(flags=flags, cosigners=cosigners)], quorum)
    b.run("resume_zone", [c.resume_zone(zone_id=ZONE_ID, flags=flags, cosigners=cosigners)], quorum)
    b.run(
        "set_emission_factor",
        [c.set_emission_factor(zone_id=ZONE_ID, g_per_kwh=450, cosigners=cosigners)],
        quorum,
    )
    governance = _seeded(500).pubkey()
    hand_over = c.set_governance(
        governance_program=governance, cosigners=[new_authority.pubkey(), *cosigners]
    )
    b.run("set_governance", [hand_over], [new_authority, *quorum])
    return b.cu, transaction_size(tx)


def main(argv: list[str]) -> int:
    so_path = Path(argv[1]) if len(argv) > 1 else REPO / "target" / "deploy" / "registry.so"
    elf = so_path.read_bytes()
    report: dict[str, object] = {"so_bytes": len(elf)}
    for mode in MODES:
        cu, size = _measure(elf, mode)
        report[mode] = cu
        report[f"tx_bytes[{BATCH} readings, v0 + lookup table]"] = size
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

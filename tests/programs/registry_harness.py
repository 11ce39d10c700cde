"""Test harness for the registry program in the in-process LiteSVM (used by conftest's fixtures).

:class:`RegistryEnv` wraps one VM with the registry loaded; :meth:`RegistryEnv.market` sets up what most
tests start from (config, regulators, a zone) and :meth:`RegistryEnv.prosumer` a verified owner with an
active meter and its device key.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from solders.account import Account
from solders.address_lookup_table_account import AddressLookupTableAccount
from solders.clock import Clock
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.transaction_status import InstructionErrorCustom, TransactionErrorInstructionError

from solgrid.localnet.engine import Engine
from solgrid.localnet.svm import Sent, TransactionFailed, create_lookup_table_svm, send, send_v0_svm
from solgrid.sdk.idl import load_idl_json
from solgrid.sdk.readings import DeviceSigner, Reading, SignedReading
from solgrid.sdk.registry import (
    Config,
    EnergySource,
    Limits,
    Meter,
    MeterAccounts,
    RegistryClient,
    User,
    UserRole,
    Zone,
)

REPO = Path(__file__).resolve().parents[2]
LAMPORTS = 10**12
T0 = 1_767_225_600  # 2026-01-01T00:00:00Z
ZONE_ID = 7
ERRORS: dict[str, int] = {e["name"]: e["code"] for e in load_idl_json("registry")["errors"]}


def code(name: str) -> int:
    """The IDL code of error ``name`` (a KeyError if the IDL has no such error)."""
    return ERRORS[name]


@dataclass
class Prosumer:
    """A verified wallet with one active meter and the meter's device key."""

    wallet: Keypair
    serial: bytes
    device: DeviceSigner
    accounts: MeterAccounts

    @property
    def meter(self) -> Pubkey:
        return self.accounts.meter


@dataclass
class RegistryEnv:
    """One VM with the registry loaded, a funded payer (the upgrade authority when deployed) and the SDK."""

    svm: Engine
    payer: Keypair
    client: RegistryClient
    mode: str
    cu: dict[str, list[int]] = field(default_factory=dict)
    regulators: list[Keypair] = field(default_factory=list)
    _serials: int = 0

    @property
    def program_id(self) -> Pubkey:
        return self.client.program_id

    def wallet(self, lamports: int = LAMPORTS) -> Keypair:
        wallet = Keypair()
        self.svm.airdrop(wallet.pubkey(), lamports)
        return wallet

    def send(self, instructions: Sequence[Instruction], signers: Sequence[Keypair] = ()) -> Sent:
        return send(self.svm, self.payer, instructions, signers)

    def record(self, name: str, sent: Sent) -> Sent:
        self.cu.setdefault(name, []).append(sent.program_cu(self.program_id))
        return sent

    def fail(
        self,
        instructions: Sequence[Instruction],
        signers: Sequence[Keypair] = (),
        tables: Sequence[AddressLookupTableAccount] | None = None,
    ) -> int:
        """Sends a transaction that must fail in its last instruction with a custom error; returns it."""
        with pytest.raises(TransactionFailed) as failed:
            if tables is None:
                self.send(instructions, signers)
            else:
                send_v0_svm(self.svm, self.payer, instructions, signers, tables)
        err = failed.value.err
        assert isinstance(err, TransactionErrorInstructionError), failed.value
        # Legacy sends prepend a compute-budget instruction at index 0; v0 sends do not.
        assert err.index == len(instructions) - (tables is not None), failed.value
        assert isinstance(err.err, InstructionErrorCustom), failed.value
        return err.err.code

    def balance(self, address: Pubkey) -> int:
        lamports = self.svm.get_balance(address)
        return lamports or 0

    def account(self, address: Pubkey) -> Account | None:
        account = self.svm.get_account(address)
        if account is None or account.lamports == 0:
            return None
        return account

    def data(self, address: Pubkey) -> bytes:
        account = self.account(address)
        assert account is not None, f"no account {address}"
        return bytes(account.data)

    def config(self) -> Config:
        return self.client.decode_config(self.data(self.client.config_pda().address))

    def user(self, authority: Pubkey) -> User:
        return self.client.decode_user(self.data(self.client.user_pda(authority).address))

    def zone(self, zone_id: int = ZONE_ID) -> Zone:
        return self.client.decode_zone(self.data(self.client.zone_pda(zone_id).address))

    def meter(self, address: Pubkey) -> Meter:
        return self.client.decode_meter(self.data(address))

    def set_unix_time(self, unix_timestamp: int) -> None:
        clock = self.svm.get_clock()
        self.svm.set_clock(
            Clock(
                clock.slot,
                clock.epoch_start_timestamp,
                clock.epoch,
                clock.leader_schedule_epoch,
                unix_timestamp,
            )
        )

    def now(self) -> int:
        return int(self.svm.get_clock().unix_timestamp)

    # -- building a market ---------------------------------------------------------------------------

    def initialize(self, authority: Keypair | None = None, limits: Limits | None = None) -> Sent:
        authority = authority or self.payer
        ix = self.client.initialize(payer=self.payer.pubkey(), authority=authority.pubkey(), limits=limits)
        return self.record("initialize", self.send([ix], [authority]))

    def set_regulators(self, count: int = 3, threshold: int = 2) -> list[Keypair]:
        """Appoints ``count`` fresh regulators (the payer is the config authority)."""
        regulators = [self.wallet() for _ in range(count)]
        ix = self.client.set_regulators(
            regulators=[r.pubkey() for r in regulators], threshold=threshold, cosigners=[self.payer.pubkey()]
        )
        self.record("set_regulators", self.send([ix]))
        self.regulators = regulators
        return regulators

    def quorum(self) -> list[Keypair]:
        """Exactly the threshold of distinct regulators."""
        return self.regulators[: self.config().regulator_threshold]

    def privileged(self, name: str, ix: Instruction) -> Sent:
        return self.record(name, self.send([ix], self.quorum()))

    def create_zone(self, zone_id: int = ZONE_ID, name: str = "north") -> Sent:
        quorum = self.quorum()
        ix = self.client.create_zone(
            payer=self.payer.pubkey(),
            zone_id=zone_id,
            name=name,
            max_capacity_kw=5_000,
            cosigners=[r.pubkey() for r in quorum],
        )
        return self.record("create_zone", self.send([ix], quorum))

    def market(self, limits: Limits | None = None) -> None:
        """Config at T0, three regulators with threshold 2, zone ZONE_ID."""
        self.set_unix_time(T0)
        self.initialize(limits=limits)
        self.set_regulators()
        self.create_zone()

    def register(self, wallet: Keypair, role: UserRole = UserRole.PROSUMER, zone_id: int = ZONE_ID) -> Sent:
        ix = self.client.register_user(
            payer=self.payer.pubkey(), authority=wallet.pubkey(), role=role, zone_id=zone_id
        )
        return self.record("register_user", self.send([ix], [wallet]))

    def verify(self, wallet: Pubkey) -> Sent:
        regulator = self.regulators[0]
        ix = self.client.verify_user(regulator=regulator.pubkey(), wallet=wallet)
        return self.record("verify_user", self.send([ix], [regulator]))

    def next_serial(self) -> bytes:
        self._serials += 1
        return f"SG-{self._serials:06d}".encode()

    def register_meter(
        self,
        wallet: Keypair,
        device: DeviceSigner,
        serial: bytes | None = None,
        capacity_w: int = 5_000,
        source: EnergySource = EnergySource.SOLAR,
    ) -> Pubkey:
        serial = serial or self.next_serial()
        ix = self.client.register_meter(
            payer=self.payer.pubkey(),
            owner=wallet.pubkey(),
            zone_id=self.user(wallet.pubkey()).zone_id,
            serial=serial,
            device_key=device.public_key,
            source=source,
            capacity_w=capacity_w,
        )
        self.record("register_meter", self.send([ix], [wallet]))
        return self.client.meter_pda(serial).address

    def activate(self, meter: Pubkey) -> Sent:
        regulator = self.regulators[0]
        ix = self.client.activate_meter(regulator=regulator.pubkey(), meter=meter)
        return self.record("activate_meter", self.send([ix], [regulator]))

    def verified_wallet(self) -> Keypair:
        """A funded wallet registered in ZONE_ID as a prosumer and verified by a regulator."""
        wallet = self.wallet()
        self.register(wallet)
        self.verify(wallet.pubkey())
        return wallet

    def prosumer(self, capacity_w: int = 5_000, source: EnergySource = EnergySource.SOLAR) -> Prosumer:
        """A verified prosumer in ZONE_ID with an active meter (activated at the current time)."""
        wallet = self.verified_wallet()
        device = DeviceSigner.generate()
        serial = self.next_serial()
        meter = self.register_meter(wallet, device, serial, capacity_w, source)
        self.activate(meter)
        return Prosumer(wallet, serial, device, self.client.meter_accounts(serial, wallet.pubkey(), ZONE_ID))

    # -- readings ------------------------------------------------------------------------------------

    def sign(self, who: Prosumer, reading: Reading, device: DeviceSigner | None = None) -> SignedReading:
        return (device or who.device).sign(self.program_id, who.meter, reading)

    def readings_ixs(self, batch: Sequence[tuple[Prosumer, Reading]]) -> list[Instruction]:
        return self.client.reading_batch([(p.accounts, self.sign(p, r)) for p, r in batch])

    def table(self, prosumers: Sequence[Prosumer]) -> AddressLookupTableAccount:
        return create_lookup_table_svm(
            self.svm, self.payer, self.client.lookup_addresses([p.accounts for p in prosumers])
        )

    def submit(
        self, batch: Sequence[tuple[Prosumer, Reading]], table: AddressLookupTableAccount | None = None
    ) -> Sent:
        ixs = self.readings_ixs(batch)
        sent = self.send(ixs) if table is None else send_v0_svm(self.svm, self.payer, ixs, (), [table])
        return self.record(f"submit_readings[{len(batch)}]", sent)


def program_keypair() -> Keypair:
    """The keypair of the registry's program id (published on purpose: localnet/devnet only)."""
    return Keypair.from_bytes(bytes(json.loads((REPO / "keys" / "registry-keypair.json").read_text())))

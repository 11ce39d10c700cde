"""Typed client of the registry program: PDAs, instruction builders, account and event decoding.

Wire formats come from ``idl/registry.json`` through anchorpy's coder (see :mod:`solgrid.sdk.anchor`).

PDAs (seeds as the program derives them):

* Config: ``["config"]``, one per deployment;
* Zone: ``["zone", zone_id u32 LE]``;
* User: ``["user", wallet]``, one per wallet;
* Meter: ``["meter", serial]`` (a 32-byte serial; :func:`serial_bytes` pads a text serial);
* ProgramData: ``[program_id]`` under BPFLoaderUpgradeable (passed to ``initialize`` with the program
  account, so that only the upgrade authority can initialise the deployment).

Privileged instructions (``set_regulators`` after the first, ``update_limits``, ``create_zone``,
``set_zone_status``, ``rotate_device_key``, ``set_settlement_authority``, ``resume_*``,
``set_emission_factor``) take the co-signing regulators as trailing signer accounts: pass their
addresses as ``cosigners`` and their keypairs as transaction signers. Once a governance program is set
(``set_governance``), only its ``["governance"]`` PDA performs them (see
:mod:`solgrid.sdk.registry_governance`, whose builders are methods of :class:`RegistryClient`).
Device-signed readings: see :mod:`solgrid.sdk.readings` and :meth:`RegistryClient.reading_batch`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from enum import IntEnum
from typing import Any

from solana.rpc.async_api import AsyncClient
from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey
from solders.system_program import ID as SYSTEM_PROGRAM_ID
from solders.sysvar import INSTRUCTIONS as INSTRUCTIONS_SYSVAR_ID

from solgrid.sdk import loader
from solgrid.sdk.anchor import AccountDecodeError, ProgramCoder
from solgrid.sdk.device_keys import check_device_key
from solgrid.sdk.idl import load_idl
from solgrid.sdk.pda import Pda, find_pda
from solgrid.sdk.readings import Reading, SignedReading, ed25519_instruction
from solgrid.sdk.registry_governance import (
    GovernanceEvent,
    RegistryGovernanceInstructions,
    governance_event,
)

PROGRAM_NAME = "registry"
CONFIG_SEED = b"config"
ZONE_SEED = b"zone"
USER_SEED = b"user"
METER_SEED = b"meter"
MAX_REGULATORS = 8
MAX_READINGS = 16
"""Most readings one ``submit_readings`` accepts."""
MAX_READING_AGE_SECS_LIMIT = 7 * 24 * 60 * 60
MAX_WINDOW_SECS_LIMIT = 65_535
"""A window's length travels as a u16."""
MAX_CLOCK_SKEW_SECS_LIMIT = 60 * 60
MAX_CAPACITY_TOLERANCE_BPS = 30_000


class UserRole(IntEnum):
    """What a participant does in the market (the borsh enum index)."""

    PROSUMER = 0
    CONSUMER = 1
    GRID_OPERATOR = 2


class UserStatus(IntEnum):
    PENDING = 0
    VERIFIED = 1
    SUSPENDED = 2


class ZoneStatus(IntEnum):
    ACTIVE = 0
    HALTED = 1
    MAINTENANCE = 2


class MeterStatus(IntEnum):
    INACTIVE = 0
    ACTIVE = 1
    MAINTENANCE = 2


class EnergySource(IntEnum):
    SOLAR = 0
    WIND = 1
    BATTERY = 2
    HYDRO = 3
    GRID = 4


@dataclass(frozen=True)
class Limits:
    """The market limits (defaults: 10 meters per user, windows of 1 min to 1 h, readings up to a day
    old, 60 s of clock skew, production up to 110% of the rated capacity)."""

    max_meters_per_user: int = 10
    min_window_secs: int = 60
    max_window_secs: int = 3600
    max_reading_age_secs: int = 86_400
    max_clock_skew_secs: int = 60
    capacity_tolerance_bps: int = 11_000


@dataclass(frozen=True)
class Config:
    authority: Pubkey
    pending_authority: Pubkey | None
    settlement_authority: Pubkey | None
    regulators: list[Pubkey]
    regulator_threshold: int
    bump: int
    user_count: int
    zone_count: int
    meter_count: int
    limits: Limits
    governance_program: Pubkey | None
    """The governance program whose PDA alone performs privileged actions; None: regulators co-sign."""
    governance_bump: int
    certificates_bump: int
    paused: int
    """Market-wide pause flags (:class:`solgrid.sdk.registry_governance.PauseFlag`)."""
    regulators_version: int = 0
    """Raised by each ``set_regulators`` that appoints a key that is not a regulator at that moment."""
    regulator_since: list[int] = field(default_factory=list)
    """The ``regulators_version`` at which each regulator (parallel to ``regulators``) was appointed:
    a proposal vote counts only if cast at or after it."""


@dataclass(frozen=True)
class Zone:
    zone_id: int
    name: str
    max_capacity_kw: int
    status: ZoneStatus
    bump: int
    created_at: int
    reopened_at: int
    """When the zone last left Halted (0 if never): readings must start at or after it."""
    paused: int
    """This zone's pause flags (combined with ``Config.paused``)."""
    emission_factor: int
    """g CO2 per kWh of the zone's grid mix (0 = not set)."""


@dataclass(frozen=True)
class User:
    authority: Pubkey
    role: UserRole
    status: UserStatus
    bump: int
    zone_id: int
    meter_count: int
    user_index: int
    registered_at: int
    verified_at: int
    """When the user last became Verified (0 until then): readings must start at or after it."""


@dataclass(frozen=True)
class Meter:
    serial: bytes
    owner: Pubkey
    user: Pubkey
    zone_id: int
    device_key: bytes
    source: EnergySource
    status: MeterStatus
    bump: int
    capacity_w: int
    last_window_end: int
    produced_wh: int
    consumed_wh: int
    settled_wh: int
    certified_wh: int
    reading_count: int
    registered_at: int
    certificate_wh: int
    """Renewable Wh already covered by certificates."""
    certificate_until: int
    """End of the last window covered by a certificate (0 = none yet)."""
    first_window_start: int
    """Start of the first accepted window (0 if none yet, or before the registry recorded it)."""

    @property
    def unsettled_wh(self) -> int:
        """Net surplus not yet settled (deficits carry), as ``settle_meter`` computes it."""
        return max(0, self.produced_wh - self.consumed_wh - self.settled_wh)

    @property
    def uncertified_wh(self) -> int:
        """Renewable production a certificate does not cover yet (what ``certify_meter`` covers)."""
        return self.certified_wh - self.certificate_wh


@dataclass(frozen=True)
class MeterAccounts:
    """The three accounts a reading of a meter needs: the meter, its owner's User and its Zone."""

    meter: Pubkey
    user: Pubkey
    zone: Pubkey


# -- events ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConfigInitialized:
    config: Pubkey
    authority: Pubkey
    limits: Limits
    timestamp: int


@dataclass(frozen=True)
class AuthorityProposed:
    config: Pubkey
    authority: Pubkey
    pending_authority: Pubkey


@dataclass(frozen=True)
class AuthorityTransferred:
    config: Pubkey
    previous_authority: Pubkey
    new_authority: Pubkey


@dataclass(frozen=True)
class RegulatorsSet:
    config: Pubkey
    regulators: list[Pubkey]
    regulator_threshold: int


@dataclass(frozen=True)
class LimitsUpdated:
    config: Pubkey
    limits: Limits


@dataclass(frozen=True)
class SettlementAuthoritySet:
    config: Pubkey
    settlement_authority: Pubkey


@dataclass(frozen=True)
class ZoneCreated:
    zone: Pubkey
    zone_id: int
    name: str
    max_capacity_kw: int
    timestamp: int


@dataclass(frozen=True)
class ZoneStatusChanged:
    zone: Pubkey
    zone_id: int
    old_status: ZoneStatus
    new_status: ZoneStatus


@dataclass(frozen=True)
class UserRegistered:
    user: Pubkey
    authority: Pubkey
    role: UserRole
    zone_id: int
    user_index: int
    timestamp: int


@dataclass(frozen=True)
class UserStatusChanged:
    user: Pubkey
    authority: Pubkey
    regulator: Pubkey
    old_status: UserStatus
    new_status: UserStatus
    timestamp: int


@dataclass(frozen=True)
class MeterRegistered:
    meter: Pubkey
    serial: bytes
    owner: Pubkey
    zone_id: int
    device_key: bytes
    source: EnergySource
    capacity_w: int
    timestamp: int


@dataclass(frozen=True)
class MeterStatusChanged:
    meter: Pubkey
    regulator: Pubkey
    old_status: MeterStatus
    new_status: MeterStatus
    last_window_end: int


@dataclass(frozen=True)
class DeviceKeyRotated:
    meter: Pubkey
    old_key: bytes
    new_key: bytes


@dataclass(frozen=True)
class ReadingAccepted:
    meter: Pubkey
    window_start: int
    window_end: int
    production_wh: int
    consumption_wh: int
    produced_wh: int
    consumed_wh: int


@dataclass(frozen=True)
class MeterSettled:
    meter: Pubkey
    owner: Pubkey
    amount_wh: int
    settled_wh: int


RegistryEvent = (
    ConfigInitialized
    | AuthorityProposed
    | AuthorityTransferred
    | RegulatorsSet
    | LimitsUpdated
    | SettlementAuthoritySet
    | ZoneCreated
    | ZoneStatusChanged
    | UserRegistered
    | UserStatusChanged
    | MeterRegistered
    | MeterStatusChanged
    | DeviceKeyRotated
    | ReadingAccepted
    | MeterSettled
    | GovernanceEvent
)


def serial_bytes(serial: str | bytes) -> bytes:
    """A meter serial as the 32 bytes the program stores: UTF-8, zero-padded (at most 32 bytes)."""
    raw = serial.encode() if isinstance(serial, str) else bytes(serial)
    if len(raw) > 32:
        raise ValueError(f"a meter serial has at most 32 bytes, got {len(raw)}")
    return raw.ljust(32, b"\0")


def zone_name_bytes(name: str) -> bytes:
    raw = name.encode()
    if len(raw) > 32:
        raise ValueError(f"a zone name has at most 32 UTF-8 bytes, got {len(raw)}")
    return raw.ljust(32, b"\0")


def _variant_index(value: Any) -> int:
    """The index of an anchorpy (borsh_construct) enum variant."""
    index: int = type(value).index
    return index


def _optional_pubkey(value: Pubkey) -> Pubkey | None:
    return None if value == Pubkey.default() else value


def _limits(raw: Any) -> Limits:
    return Limits(
        max_meters_per_user=raw.max_meters_per_user,
        min_window_secs=raw.min_window_secs,
        max_window_secs=raw.max_window_secs,
        max_reading_age_secs=raw.max_reading_age_secs,
        max_clock_skew_secs=raw.max_clock_skew_secs,
        capacity_tolerance_bps=raw.capacity_tolerance_bps,
    )


def _signers(addresses: Sequence[Pubkey]) -> list[AccountMeta]:
    return [AccountMeta(a, is_signer=True, is_writable=False) for a in addresses]


def _with_remaining(ix: Instruction, extra: Sequence[AccountMeta]) -> Instruction:
    return Instruction(ix.program_id, bytes(ix.data), [*ix.accounts, *extra])


class RegistryClient(RegistryGovernanceInstructions):
    """Builds registry instructions and decodes its accounts and events."""

    def __init__(self, program_id: Pubkey | None = None) -> None:
        idl = load_idl(PROGRAM_NAME)
        if program_id is None:
            if idl.address is None:
                raise ValueError("the registry IDL has no address; pass program_id")
            program_id = Pubkey.from_string(idl.address)
        self.program_id = program_id
        self.coder = ProgramCoder(idl, program_id)

    # -- addresses ---------------------------------------------------------------------------------

    def config_pda(self) -> Pda:
        return find_pda([CONFIG_SEED], self.program_id)

    def zone_pda(self, zone_id: int) -> Pda:
        return find_pda([ZONE_SEED, zone_id.to_bytes(4, "little")], self.program_id)

    def user_pda(self, authority: Pubkey) -> Pda:
        return find_pda([USER_SEED, bytes(authority)], self.program_id)

    def meter_pda(self, serial: str | bytes) -> Pda:
        return find_pda([METER_SEED, serial_bytes(serial)], self.program_id)

    def program_data_address(self) -> Pubkey:
        return loader.programdata_address(self.program_id)

    def meter_accounts(self, serial: str | bytes, owner: Pubkey, zone_id: int) -> MeterAccounts:
        return MeterAccounts(
            self.meter_pda(serial).address, self.user_pda(owner).address, self.zone_pda(zone_id).address
        )

    # -- configuration -----------------------------------------------------------------------------

    def initialize(self, *, payer: Pubkey, authority: Pubkey, limits: Limits | None = None) -> Instruction:
        """Creates the Config; ``authority`` must sign and be the program's upgrade authority."""
        return self.coder.instruction(
            "initialize",
            {"limits": asdict(limits or Limits())},
            {
                "payer": payer,
                "authority": authority,
                "config": self.config_pda().address,
                "program": self.program_id,
                "program_data": self.program_data_address(),
                "system_program": SYSTEM_PROGRAM_ID,
            },
        )

    def propose_authority(self, *, authority: Pubkey, new_authority: Pubkey) -> Instruction:
        return self.coder.instruction(
            "propose_authority",
            {"new_authority": new_authority},
            {"authority": authority, "config": self.config_pda().address},
        )

    def accept_authority(self, *, new_authority: Pubkey) -> Instruction:
        return self.coder.instruction(
            "accept_authority", {}, {"new_authority": new_authority, "config": self.config_pda().address}
        )

    def set_regulators(
        self, *, regulators: Sequence[Pubkey], threshold: int, cosigners: Sequence[Pubkey]
    ) -> Instruction:
        """Replaces the regulator set. ``cosigners``: the config authority the first time, afterwards
        ``threshold`` current regulators."""
        if len(regulators) > MAX_REGULATORS:
            raise ValueError(f"at most {MAX_REGULATORS} regulators")
        padded = [*regulators, *[Pubkey.default()] * (MAX_REGULATORS - len(regulators))]
        ix = self.coder.instruction(
            "set_regulators",
            {"regulators": padded, "regulator_count": len(regulators), "regulator_threshold": threshold},
            {"config": self.config_pda().address},
        )
        return _with_remaining(ix, _signers(cosigners))

    def update_limits(self, *, limits: Limits, cosigners: Sequence[Pubkey]) -> Instruction:
        ix = self.coder.instruction(
            "update_limits", {"limits": asdict(limits)}, {"config": self.config_pda().address}
        )
        return _with_remaining(ix, _signers(cosigners))

    def set_settlement_authority(
        self, *, settlement_authority: Pubkey, cosigners: Sequence[Pubkey]
    ) -> Instruction:
        ix = self.coder.instruction(
            "set_settlement_authority",
            {"settlement_authority": settlement_authority},
            {"config": self.config_pda().address},
        )
        return _with_remaining(ix, _signers(cosigners))

    # -- zones -------------------------------------------------------------------------------------

    def create_zone(
        self, *, payer: Pubkey, zone_id: int, name: str, max_capacity_kw: int, cosigners: Sequence[Pubkey]
    ) -> Instruction:
        ix = self.coder.instruction(
            "create_zone",
            {"zone_id": zone_id, "name": list(zone_name_bytes(name)), "max_capacity_kw": max_capacity_kw},
            {
                "payer": payer,
                "config": self.config_pda().address,
                "zone": self.zone_pda(zone_id).address,
                "system_program": SYSTEM_PROGRAM_ID,
            },
        )
        return _with_remaining(ix, _signers(cosigners))

    def set_zone_status(
        self, *, zone_id: int, status: ZoneStatus, cosigners: Sequence[Pubkey]
    ) -> Instruction:
        ix = self.coder.instruction(
            "set_zone_status",
            {"status": self.coder.unit_variant("ZoneStatus", int(status))},
            {"config": self.config_pda().address, "zone": self.zone_pda(zone_id).address},
        )
        return _with_remaining(ix, _signers(cosigners))

    # -- users -------------------------------------------------------------------------------------

    def register_user(self, *, payer: Pubkey, authority: Pubkey, role: UserRole, zone_id: int) -> Instruction:
        """Registers ``authority`` (which must sign) in zone ``zone_id`` with ``role``; status Pending."""
        return self.coder.instruction(
            "register_user",
            {"role": self.coder.unit_variant("UserRole", int(role)), "zone_id": zone_id},
            {
                "payer": payer,
                "authority": authority,
                "config": self.config_pda().address,
                "zone": self.zone_pda(zone_id).address,
                "user": self.user_pda(authority).address,
                "system_program": SYSTEM_PROGRAM_ID,
            },
        )

    def _user_action(self, name: str, regulator: Pubkey, wallet: Pubkey) -> Instruction:
        return self.coder.instruction(
            name,
            {},
            {
                "regulator": regulator,
                "config": self.config_pda().address,
                "user": self.user_pda(wallet).address,
            },
        )

    def verify_user(self, *, regulator: Pubkey, wallet: Pubkey) -> Instruction:
        return self._user_action("verify_user", regulator, wallet)

    def suspend_user(self, *, regulator: Pubkey, wallet: Pubkey) -> Instruction:
        return self._user_action("suspend_user", regulator, wallet)

    def reinstate_user(self, *, regulator: Pubkey, wallet: Pubkey) -> Instruction:
        return self._user_action("reinstate_user", regulator, wallet)

    # -- meters ------------------------------------------------------------------------------------

    def register_meter(
        self,
        *,
        payer: Pubkey,
        owner: Pubkey,
        zone_id: int,
        serial: str | bytes,
        device_key: bytes,
        source: EnergySource,
        capacity_w: int,
    ) -> Instruction:
        """Registers a meter of ``owner`` (which must sign; its User must be Verified, in ``zone_id``).

        Raises :class:`~solgrid.sdk.device_keys.DeviceKeyError` for a key the registry refuses.
        """
        check_device_key(device_key)
        return self.coder.instruction(
            "register_meter",
            {
                "serial": list(serial_bytes(serial)),
                "device_key": list(device_key),
                "source": self.coder.unit_variant("EnergySource", int(source)),
                "capacity_w": capacity_w,
            },
            {
                "payer": payer,
                "owner": owner,
                "config": self.config_pda().address,
                "user": self.user_pda(owner).address,
                "zone": self.zone_pda(zone_id).address,
                "meter": self.meter_pda(serial).address,
                "system_program": SYSTEM_PROGRAM_ID,
            },
        )

    def activate_meter(self, *, regulator: Pubkey, meter: Pubkey) -> Instruction:
        return self.coder.instruction(
            "activate_meter",
            {},
            {"regulator": regulator, "config": self.config_pda().address, "meter": meter},
        )

    def set_meter_status(self, *, regulator: Pubkey, meter: Pubkey, status: MeterStatus) -> Instruction:
        return self.coder.instruction(
            "set_meter_status",
            {"status": self.coder.unit_variant("MeterStatus", int(status))},
            {"regulator": regulator, "config": self.config_pda().address, "meter": meter},
        )

    def rotate_device_key(self, *, meter: Pubkey, new_key: bytes, cosigners: Sequence[Pubkey]) -> Instruction:
        """Replaces ``meter``'s device key (raises ``DeviceKeyError`` for a key the registry refuses)."""
        check_device_key(new_key)
        ix = self.coder.instruction(
            "rotate_device_key",
            {"new_key": list(new_key)},
            {"config": self.config_pda().address, "meter": meter},
        )
        return _with_remaining(ix, _signers(cosigners))

    def settle_meter(
        self, *, settlement_authority: Pubkey, meter: Pubkey, owner: Pubkey, zone_id: int
    ) -> Instruction:
        """The instruction energy_token's ``settle_and_mint`` invokes (documented here for completeness)."""
        return self.coder.instruction(
            "settle_meter",
            {},
            {
                "settlement_authority": settlement_authority,
                "config": self.config_pda().address,
                "meter": meter,
                "user": self.user_pda(owner).address,
                "zone": self.zone_pda(zone_id).address,
            },
        )

    # -- readings ----------------------------------------------------------------------------------

    def submit_readings(self, entries: Sequence[tuple[MeterAccounts, Reading]]) -> Instruction:
        """``submit_readings`` alone; it must follow the batch's Ed25519 instruction (see
        :meth:`reading_batch`)."""
        if not 1 <= len(entries) <= MAX_READINGS:
            raise ValueError(f"a batch holds 1 to {MAX_READINGS} readings")
        ix = self.coder.instruction(
            "submit_readings",
            {"readings": [reading.as_args() for _, reading in entries]},
            {"config": self.config_pda().address, "instructions_sysvar": INSTRUCTIONS_SYSVAR_ID},
        )
        extra: list[AccountMeta] = []
        for accounts, _ in entries:
            extra += [
                AccountMeta(accounts.meter, is_signer=False, is_writable=True),
                AccountMeta(accounts.user, is_signer=False, is_writable=False),
                AccountMeta(accounts.zone, is_signer=False, is_writable=False),
            ]
        return _with_remaining(ix, extra)

    def reading_batch(self, signed: Sequence[tuple[MeterAccounts, SignedReading]]) -> list[Instruction]:
        """The Ed25519 instruction and ``submit_readings`` for device-signed readings, in that order."""
        for accounts, reading in signed:
            if reading.meter != accounts.meter:
                raise ValueError(f"reading signed for meter {reading.meter}, accounts of {accounts.meter}")
        return [
            ed25519_instruction([s for _, s in signed]),
            self.submit_readings([(a, s.reading) for a, s in signed]),
        ]

    def lookup_addresses(self, meters: Sequence[MeterAccounts]) -> list[Pubkey]:
        """What to put in an address lookup table for batches of ``meters`` (see
        :mod:`solgrid.sdk.lookup_tables`). Program ids stay out: an invoked program must be a static key."""
        addresses = [self.config_pda().address, INSTRUCTIONS_SYSVAR_ID]
        for m in meters:
            addresses += [m.meter, m.user, m.zone]
        return list(dict.fromkeys(addresses))

    # -- accounts ----------------------------------------------------------------------------------

    def decode_config(self, data: bytes) -> Config:
        raw = self.coder.decode_account("Config", data)
        return Config(
            authority=raw.authority,
            pending_authority=_optional_pubkey(raw.pending_authority),
            settlement_authority=_optional_pubkey(raw.settlement_authority),
            regulators=list(raw.regulators[: raw.regulator_count]),
            regulator_threshold=raw.regulator_threshold,
            bump=raw.bump,
            user_count=raw.user_count,
            zone_count=raw.zone_count,
            meter_count=raw.meter_count,
            limits=_limits(raw.limits),
            governance_program=_optional_pubkey(raw.governance_program),
            governance_bump=raw.governance_bump,
            certificates_bump=raw.certificates_bump,
            paused=raw.paused,
            regulators_version=raw.regulators_version,
            regulator_since=list(raw.regulator_since[: raw.regulator_count]),
        )

    def decode_zone(self, data: bytes) -> Zone:
        raw = self.coder.decode_account("Zone", data)
        return Zone(
            zone_id=raw.zone_id,
            name=bytes(raw.name).rstrip(b"\0").decode(errors="replace"),
            max_capacity_kw=raw.max_capacity_kw,
            status=ZoneStatus(_variant_index(raw.status)),
            bump=raw.bump,
            created_at=raw.created_at,
            reopened_at=raw.reopened_at,
            paused=raw.paused,
            emission_factor=raw.emission_factor,
        )

    def decode_user(self, data: bytes) -> User:
        raw = self.coder.decode_account("User", data)
        return User(
            authority=raw.authority,
            role=UserRole(_variant_index(raw.role)),
            status=UserStatus(_variant_index(raw.status)),
            bump=raw.bump,
            zone_id=raw.zone_id,
            meter_count=raw.meter_count,
            user_index=raw.user_index,
            registered_at=raw.registered_at,
            verified_at=raw.verified_at,
        )

    def decode_meter(self, data: bytes) -> Meter:
        raw = self.coder.decode_account("Meter", data)
        return Meter(
            serial=bytes(raw.serial),
            owner=raw.owner,
            user=raw.user,
            zone_id=raw.zone_id,
            device_key=bytes(raw.device_key),
            source=EnergySource(_variant_index(raw.source)),
            status=MeterStatus(_variant_index(raw.status)),
            bump=raw.bump,
            capacity_w=raw.capacity_w,
            last_window_end=raw.last_window_end,
            produced_wh=raw.produced_wh,
            consumed_wh=raw.consumed_wh,
            settled_wh=raw.settled_wh,
            certified_wh=raw.certified_wh,
            reading_count=raw.reading_count,
            registered_at=raw.registered_at,
            certificate_wh=raw.certificate_wh,
            certificate_until=raw.certificate_until,
            first_window_start=raw.first_window_start,
        )

    async def fetch_config(self, connection: AsyncClient) -> Config | None:
        """The Config account, or None before ``initialize``."""
        data = await self._fetch(connection, self.config_pda().address)
        return None if data is None else self.decode_config(data)

    async def fetch_zone(self, connection: AsyncClient, zone_id: int) -> Zone | None:
        data = await self._fetch(connection, self.zone_pda(zone_id).address)
        return None if data is None else self.decode_zone(data)

    async def fetch_user(self, connection: AsyncClient, authority: Pubkey) -> User | None:
        """The User account of ``authority``, or None if it has not registered."""
        data = await self._fetch(connection, self.user_pda(authority).address)
        return None if data is None else self.decode_user(data)

    async def fetch_meter(self, connection: AsyncClient, serial: str | bytes) -> Meter | None:
        data = await self._fetch(connection, self.meter_pda(serial).address)
        return None if data is None else self.decode_meter(data)

    async def _fetch(self, connection: AsyncClient, address: Pubkey) -> bytes | None:
        account = (await connection.get_account_info(address)).value
        if account is None:
            return None
        if account.owner != self.program_id:
            raise AccountDecodeError(
                f"{address} is owned by {account.owner}, not the registry {self.program_id}"
            )
        return bytes(account.data)

    # -- events ------------------------------------------------------------------------------------

    def events(self, logs: list[str]) -> list[RegistryEvent]:
        """The registry events in a transaction's log messages, in order."""
        return [self._event(event.name, event.data) for event in self.coder.events(logs)]

    def _event(self, name: str, d: Any) -> RegistryEvent:
        if name == "ConfigInitialized":
            return ConfigInitialized(d.config, d.authority, _limits(d.limits), d.timestamp)
        if name == "AuthorityProposed":
            return AuthorityProposed(d.config, d.authority, d.pending_authority)
        if name == "AuthorityTransferred":
            return AuthorityTransferred(d.config, d.previous_authority, d.new_authority)
        if name == "RegulatorsSet":
            return RegulatorsSet(d.config, list(d.regulators[: d.regulator_count]), d.regulator_threshold)
        if name == "LimitsUpdated":
            return LimitsUpdated(d.config, _limits(d.limits))
        if name == "SettlementAuthoritySet":
            return SettlementAuthoritySet(d.config, d.settlement_authority)
        if name == "ZoneCreated":
            zone_name = bytes(d.name).rstrip(b"\0").decode(errors="replace")
            return ZoneCreated(d.zone, d.zone_id, zone_name, d.max_capacity_kw, d.timestamp)
        if name == "ZoneStatusChanged":
            return ZoneStatusChanged(
                d.zone,
                d.zone_id,
                ZoneStatus(_variant_index(d.old_status)),
                ZoneStatus(_variant_index(d.new_status)),
            )
        if name == "UserRegistered":
            role = UserRole(_variant_index(d.role))
            return UserRegistered(d.user, d.authority, role, d.zone_id, d.user_index, d.timestamp)
        if name == "UserStatusChanged":
            return UserStatusChanged(
                d.user,
                d.authority,
                d.regulator,
                UserStatus(_variant_index(d.old_status)),
                UserStatus(_variant_index(d.new_status)),
                d.timestamp,
            )
        if name == "MeterRegistered":
            return MeterRegistered(
                d.meter,
                bytes(d.serial),
                d.owner,
                d.zone_id,
                bytes(d.device_key),
                EnergySource(_variant_index(d.source)),
                d.capacity_w,
                d.timestamp,
            )
        if name == "MeterStatusChanged":
            return MeterStatusChanged(
                d.meter,
                d.regulator,
                MeterStatus(_variant_index(d.old_status)),
                MeterStatus(_variant_index(d.new_status)),
                d.last_window_end,
            )
        if name == "DeviceKeyRotated":
            return DeviceKeyRotated(d.meter, bytes(d.old_key), bytes(d.new_key))
        if name == "ReadingAccepted":
            return ReadingAccepted(
                d.meter,
                d.window_start,
                d.window_end,
                d.production_wh,
                d.consumption_wh,
                d.produced_wh,
                d.consumed_wh,
            )
        if name == "MeterSettled":
            return MeterSettled(d.meter, d.owner, d.amount_wh, d.settled_wh)
        event = governance_event(name, d)
        if event is None:
            raise ValueError(f"unknown registry event {name}")
        return event

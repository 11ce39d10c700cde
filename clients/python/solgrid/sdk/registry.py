"""Typed client of the registry program: PDAs, instruction builders, account and event decoding.

Wire formats come from ``idl/registry.json`` through anchorpy's coder (see :mod:`solgrid.sdk.anchor`).

PDAs (seeds as the program derives them):

* Config: ``["config"]``, one per deployment;
* User: ``["user", authority]``, one per wallet;
* ProgramData: ``[program_id]`` under BPFLoaderUpgradeable (the loader's, passed to ``initialize`` so
  that only the upgrade authority can initialise an upgradeable deployment).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from solana.rpc.async_api import AsyncClient
from solders.instruction import Instruction
from solders.pubkey import Pubkey
from solders.system_program import ID as SYSTEM_PROGRAM_ID

from solgrid.sdk import loader
from solgrid.sdk.anchor import AccountDecodeError, ProgramCoder
from solgrid.sdk.idl import load_idl
from solgrid.sdk.pda import Pda, find_pda

PROGRAM_NAME = "registry"
CONFIG_SEED = b"config"
USER_SEED = b"user"
MAX_READING_AGE_SECS_LIMIT = 7 * 24 * 60 * 60
"""Largest ``max_reading_age_secs`` the program accepts (7 days)."""
NO_ZONE = 0


class UserRole(IntEnum):
    """What a participant does in the market (the borsh enum index)."""

    CONSUMER = 0
    PRODUCER = 1
    PROSUMER = 2


class UserStatus(IntEnum):
    ACTIVE = 0
    SUSPENDED = 1


@dataclass(frozen=True)
class Config:
    authority: Pubkey
    pending_authority: Pubkey | None
    user_count: int
    zone_count: int
    meter_count: int
    max_meters_per_user: int
    max_reading_age_secs: int
    bump: int


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


@dataclass(frozen=True)
class ConfigInitialized:
    config: Pubkey
    authority: Pubkey
    max_meters_per_user: int
    max_reading_age_secs: int
    timestamp: int


@dataclass(frozen=True)
class UserRegistered:
    user: Pubkey
    authority: Pubkey
    role: UserRole
    user_index: int
    timestamp: int


RegistryEvent = ConfigInitialized | UserRegistered


def _variant_index(value: Any) -> int:
    """The index of an anchorpy (borsh_construct) enum variant."""
    index: int = type(value).index
    return index


def _optional_pubkey(value: Pubkey) -> Pubkey | None:
    return None if value == Pubkey.default() else value


class RegistryClient:
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

    def user_pda(self, authority: Pubkey) -> Pda:
        return find_pda([USER_SEED, bytes(authority)], self.program_id)

    def program_data_address(self) -> Pubkey:
        return loader.programdata_address(self.program_id)

    # -- instructions ------------------------------------------------------------------------------

    def initialize(
        self, *, payer: Pubkey, authority: Pubkey, max_meters_per_user: int, max_reading_age_secs: int
    ) -> Instruction:
        """Creates the Config; ``authority`` must sign (and be the upgrade authority if upgradeable)."""
        return self.coder.instruction(
            "initialize",
            {"max_meters_per_user": max_meters_per_user, "max_reading_age_secs": max_reading_age_secs},
            {
                "payer": payer,
                "authority": authority,
                "config": self.config_pda().address,
                "program_data": self.program_data_address(),
                "system_program": SYSTEM_PROGRAM_ID,
            },
        )

    def register_user(self, *, payer: Pubkey, authority: Pubkey, role: UserRole) -> Instruction:
        """Registers ``authority`` (which must sign) with ``role``; ``payer`` funds the account."""
        return self.coder.instruction(
            "register_user",
            {"role": self.coder.unit_variant("UserRole", int(role))},
            {
                "payer": payer,
                "authority": authority,
                "config": self.config_pda().address,
                "user": self.user_pda(authority).address,
                "system_program": SYSTEM_PROGRAM_ID,
            },
        )

    # -- accounts ----------------------------------------------------------------------------------

    def decode_config(self, data: bytes) -> Config:
        raw = self.coder.decode_account("Config", data)
        return Config(
            authority=raw.authority,
            pending_authority=_optional_pubkey(raw.pending_authority),
            user_count=raw.user_count,
            zone_count=raw.zone_count,
            meter_count=raw.meter_count,
            max_meters_per_user=raw.max_meters_per_user,
            max_reading_age_secs=raw.max_reading_age_secs,
            bump=raw.bump,
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
        )

    async def fetch_config(self, connection: AsyncClient) -> Config | None:
        """The Config account, or None before ``initialize``."""
        data = await self._fetch(connection, self.config_pda().address)
        return None if data is None else self.decode_config(data)

    async def fetch_user(self, connection: AsyncClient, authority: Pubkey) -> User | None:
        """The User account of ``authority``, or None if it has not registered."""
        data = await self._fetch(connection, self.user_pda(authority).address)
        return None if data is None else self.decode_user(data)

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
        found: list[RegistryEvent] = []
        for event in self.coder.events(logs):
            data = event.data
            if event.name == "ConfigInitialized":
                found.append(
                    ConfigInitialized(
                        config=data.config,
                        authority=data.authority,
                        max_meters_per_user=data.max_meters_per_user,
                        max_reading_age_secs=data.max_reading_age_secs,
                        timestamp=data.timestamp,
                    )
                )
            elif event.name == "UserRegistered":
                found.append(
                    UserRegistered(
                        user=data.user,
                        authority=data.authority,
                        role=UserRole(_variant_index(data.role)),
                        user_index=data.user_index,
                        timestamp=data.timestamp,
                    )
                )
        return found

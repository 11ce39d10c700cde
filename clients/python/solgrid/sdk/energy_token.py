"""Typed client of the energy_token program (GRID): PDAs, instruction builders, account and event decoding.

Wire formats come from ``idl/energy_token.json`` through anchorpy's coder (see :mod:`solgrid.sdk.anchor`).

GRID is an SPL Token mint with 9 decimals: 1 GRID = 1 kWh, so one settled Wh mints 10^6 base units.
Its only minting authority is a PDA of this program that signs only inside ``settle_and_mint``, which
mints exactly what the registry's ``settle_meter`` settled for a meter.

PDAs (seeds as the program derives them, all under the energy_token program):

* Config: ``["config"]``; the GRID mint: ``["mint"]``;
* mint authority: ``["mint_authority"]``; settlement authority: ``["settlement"]`` (the registry's
  ``Config.settlement_authority`` must be set to it);
* ProgramData: ``[program_id]`` under BPFLoaderUpgradeable (for ``initialize``'s upgrade-authority gate).

GRID token accounts are ordinary SPL Token accounts; :meth:`EnergyTokenClient.grid_account` gives a
wallet's associated token account, the default destination of minted GRID.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from solana.rpc.async_api import AsyncClient
from solders.instruction import Instruction
from solders.pubkey import Pubkey
from solders.system_program import ID as SYSTEM_PROGRAM_ID
from spl.token.constants import TOKEN_PROGRAM_ID
from spl.token.instructions import create_idempotent_associated_token_account, get_associated_token_address

from solgrid.sdk import loader
from solgrid.sdk.anchor import AccountDecodeError, ProgramCoder
from solgrid.sdk.idl import load_idl
from solgrid.sdk.pda import Pda, find_pda

PROGRAM_NAME = "energy_token"
REGISTRY_PROGRAM_NAME = "registry"
CONFIG_SEED = b"config"
MINT_SEED = b"mint"
MINT_AUTHORITY_SEED = b"mint_authority"
SETTLEMENT_SEED = b"settlement"
# The registry's PDAs that settle_and_mint passes through (the registry checks them).
REGISTRY_CONFIG_SEED = b"config"
REGISTRY_USER_SEED = b"user"
REGISTRY_ZONE_SEED = b"zone"

DECIMALS = 9
BASE_UNITS_PER_WH = 10**6
"""GRID base units minted per settled Wh (1 GRID = 1 kWh = 10^9 base units)."""
U64_MAX = 2**64 - 1
# SPL Token account layout: mint[32] owner[32] amount:u64 ...
TOKEN_ACCOUNT_LEN = 165
TOKEN_AMOUNT_OFFSET = 64


def wh_to_base_units(amount_wh: int) -> int:
    """GRID base units for ``amount_wh`` settled Wh (what ``settle_and_mint`` mints)."""
    if amount_wh < 0:
        raise ValueError("amount_wh must not be negative")
    return amount_wh * BASE_UNITS_PER_WH


def base_units_to_grid(amount: int) -> Decimal:
    """``amount`` base units in GRID (kWh), exactly."""
    return Decimal(amount).scaleb(-DECIMALS)


def unsettled_surplus_wh(produced_wh: int, consumed_wh: int, settled_wh: int) -> int:
    """The Wh the next settlement of a meter mints: its net production not settled yet, or 0.

    A deficit (consumption above production) is carried, never minted: it lowers what later
    production can settle. This mirrors the registry's ``settle_meter`` (ISSUE 3 §4).
    """
    return max(0, produced_wh - consumed_wh - settled_wh)


@dataclass(frozen=True)
class Config:
    authority: Pubkey
    registry_program: Pubkey
    mint: Pubkey
    mint_authority: Pubkey
    settlement_authority: Pubkey
    bump: int
    mint_bump: int
    mint_authority_bump: int
    settlement_bump: int


@dataclass(frozen=True)
class TokenInitialized:
    config: Pubkey
    authority: Pubkey
    registry_program: Pubkey
    mint: Pubkey
    mint_authority: Pubkey
    settlement_authority: Pubkey
    decimals: int
    timestamp: int


@dataclass(frozen=True)
class GridMinted:
    meter: Pubkey
    owner: Pubkey
    destination: Pubkey
    amount_wh: int
    amount: int


@dataclass(frozen=True)
class GridBurned:
    holder: Pubkey
    token_account: Pubkey
    amount: int


EnergyTokenEvent = TokenInitialized | GridMinted | GridBurned


def _idl_address(program: str) -> Pubkey:
    address = load_idl(program).address
    if address is None:
        raise ValueError(f"the {program} IDL has no address; pass the program id")
    return Pubkey.from_string(address)


class EnergyTokenClient:
    """Builds energy_token instructions and decodes its accounts and events.

    ``registry_program_id`` is the registry this deployment trusts (default: the registry IDL's
    address); ``settle_and_mint`` derives the registry's Config, User and Zone PDAs under it.
    """

    def __init__(self, program_id: Pubkey | None = None, registry_program_id: Pubkey | None = None) -> None:
        idl = load_idl(PROGRAM_NAME)
        self.program_id = program_id or _idl_address(PROGRAM_NAME)
        self.registry_program_id = registry_program_id or _idl_address(REGISTRY_PROGRAM_NAME)
        self.coder = ProgramCoder(idl, self.program_id)

    # -- addresses ---------------------------------------------------------------------------------

    def config_pda(self) -> Pda:
        return find_pda([CONFIG_SEED], self.program_id)

    def mint_pda(self) -> Pda:
        """The GRID mint."""
        return find_pda([MINT_SEED], self.program_id)

    def mint_authority_pda(self) -> Pda:
        return find_pda([MINT_AUTHORITY_SEED], self.program_id)

    def settlement_pda(self) -> Pda:
        """The signer the registry must accept as its settlement authority."""
        return find_pda([SETTLEMENT_SEED], self.program_id)

    def program_data_address(self) -> Pubkey:
        return loader.programdata_address(self.program_id)

    @property
    def mint(self) -> Pubkey:
        return self.mint_pda().address

    def grid_account(self, owner: Pubkey) -> Pubkey:
        """``owner``'s associated GRID token account."""
        return get_associated_token_address(owner, self.mint, TOKEN_PROGRAM_ID)

    def registry_config_pda(self) -> Pda:
        """The registry's Config (under the registry program)."""
        return find_pda([REGISTRY_CONFIG_SEED], self.registry_program_id)

    def registry_user_pda(self, owner: Pubkey) -> Pda:
        """The registry User of wallet ``owner`` (under the registry program)."""
        return find_pda([REGISTRY_USER_SEED, bytes(owner)], self.registry_program_id)

    def registry_zone_pda(self, zone_id: int) -> Pda:
        """The registry Zone ``zone_id`` (under the registry program)."""
        return find_pda([REGISTRY_ZONE_SEED, zone_id.to_bytes(4, "little")], self.registry_program_id)

    # -- instructions ------------------------------------------------------------------------------

    def initialize(self, *, payer: Pubkey, authority: Pubkey) -> Instruction:
        """Creates the Config and the GRID mint; ``authority`` must sign (and be the upgrade authority
        if the program is upgradeable)."""
        return self.coder.instruction(
            "initialize",
            {},
            {
                "payer": payer,
                "authority": authority,
                "config": self.config_pda().address,
                "mint": self.mint,
                "registry_program": self.registry_program_id,
                "program": self.program_id,
                "program_data": self.program_data_address(),
                "system_program": SYSTEM_PROGRAM_ID,
                "token_program": TOKEN_PROGRAM_ID,
            },
        )

    def create_grid_account(self, *, payer: Pubkey, owner: Pubkey) -> Instruction:
        """Creates ``owner``'s associated GRID account if it does not exist yet (``payer`` funds it)."""
        return create_idempotent_associated_token_account(payer, owner, self.mint, TOKEN_PROGRAM_ID)

    def settle_and_mint(
        self, *, meter: Pubkey, owner: Pubkey, zone_id: int, destination: Pubkey | None = None
    ) -> Instruction:
        """Settles ``meter`` (owned by wallet ``owner``, in zone ``zone_id``) in the registry and mints its
        surplus as GRID to ``destination`` (default: ``owner``'s associated GRID account). Needs no
        signature but the fee payer's. The registry refuses while minting is paused for the zone."""
        return self.coder.instruction(
            "settle_and_mint",
            {},
            {
                "settlement_authority": self.settlement_pda().address,
                "registry_program": self.registry_program_id,
                "registry_config": self.registry_config_pda().address,
                "meter": meter,
                "user": self.registry_user_pda(owner).address,
                "zone": self.registry_zone_pda(zone_id).address,
                "mint": self.mint,
                "mint_authority": self.mint_authority_pda().address,
                "destination": destination or self.grid_account(owner),
                "token_program": TOKEN_PROGRAM_ID,
                "config": self.config_pda().address,
            },
        )

    def burn(self, *, holder: Pubkey, amount: int, token_account: Pubkey | None = None) -> Instruction:
        """Burns ``amount`` base units from ``holder``'s GRID account (default: its associated one);
        ``holder`` must sign."""
        if not 0 <= amount <= U64_MAX:
            raise ValueError(f"amount must fit in a u64, got {amount}")
        return self.coder.instruction(
            "burn",
            {"amount": amount},
            {
                "holder": holder,
                "token_account": token_account or self.grid_account(holder),
                "mint": self.mint,
                "token_program": TOKEN_PROGRAM_ID,
                "config": self.config_pda().address,
            },
        )

    # -- accounts ----------------------------------------------------------------------------------

    def decode_config(self, data: bytes) -> Config:
        raw = self.coder.decode_account("Config", data)
        return Config(
            authority=raw.authority,
            registry_program=raw.registry_program,
            mint=raw.mint,
            mint_authority=raw.mint_authority,
            settlement_authority=raw.settlement_authority,
            bump=raw.bump,
            mint_bump=raw.mint_bump,
            mint_authority_bump=raw.mint_authority_bump,
            settlement_bump=raw.settlement_bump,
        )

    async def fetch_config(self, connection: AsyncClient) -> Config | None:
        """The Config account, or None before ``initialize``."""
        address = self.config_pda().address
        account = (await connection.get_account_info(address)).value
        if account is None:
            return None
        if account.owner != self.program_id:
            raise AccountDecodeError(
                f"{address} is owned by {account.owner}, not the energy token {self.program_id}"
            )
        return self.decode_config(bytes(account.data))

    async def fetch_balance(self, connection: AsyncClient, owner: Pubkey) -> int:
        """GRID base units in ``owner``'s associated GRID account (0 when it does not exist)."""
        address = self.grid_account(owner)
        account = (await connection.get_account_info(address)).value
        if account is None:
            return 0
        data = bytes(account.data)
        if account.owner != TOKEN_PROGRAM_ID or len(data) != TOKEN_ACCOUNT_LEN:
            raise AccountDecodeError(f"{address} is not an SPL Token account")
        return int.from_bytes(data[TOKEN_AMOUNT_OFFSET : TOKEN_AMOUNT_OFFSET + 8], "little")

    # -- events ------------------------------------------------------------------------------------

    def events(self, logs: list[str]) -> list[EnergyTokenEvent]:
        """The energy_token events in a transaction's log messages, in order."""
        found: list[EnergyTokenEvent] = []
        for event in self.coder.events(logs):
            data = event.data
            if event.name == "TokenInitialized":
                found.append(
                    TokenInitialized(
                        config=data.config,
                        authority=data.authority,
                        registry_program=data.registry_program,
                        mint=data.mint,
                        mint_authority=data.mint_authority,
                        settlement_authority=data.settlement_authority,
                        decimals=data.decimals,
                        timestamp=data.timestamp,
                    )
                )
            elif event.name == "GridMinted":
                found.append(
                    GridMinted(
                        meter=data.meter,
                        owner=data.owner,
                        destination=data.destination,
                        amount_wh=data.amount_wh,
                        amount=data.amount,
                    )
                )
            elif event.name == "GridBurned":
                found.append(
                    GridBurned(holder=data.holder, token_account=data.token_account, amount=data.amount)
                )
        return found

"""Real SolGrid activity on a local node, for the indexer tests: the demo's flow in reusable steps.

The node is one the indexer tests own (fresh genesis), so the market is set up from scratch:
``authority`` initialises the registry, is its only regulator, creates zone 1, and creates GRID.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import aiohttp
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solders.address_lookup_table_account import AddressLookupTableAccount
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from solgrid.localnet.background import BackgroundNode
from solgrid.localnet.genesis import GenesisProgram
from solgrid.localnet.server import NodeConfig
from solgrid.sdk.energy_token import EnergyTokenClient
from solgrid.sdk.lookup_tables import create_lookup_table_rpc
from solgrid.sdk.readings import DeviceSigner, Reading
from solgrid.sdk.registry import EnergySource, Limits, MeterAccounts, RegistryClient, UserRole
from solgrid.sdk.transactions import Landed, send_and_confirm

ZONE_ID = 1
SOL = 1_000_000_000
WINDOW = 600
_serials = itertools.count(1)


def node_config(elf_of: Callable[[str], bytes], authority: Keypair, **overrides: object) -> NodeConfig:
    registry, token = RegistryClient(), EnergyTokenClient()
    programs = [
        GenesisProgram("registry", registry.program_id, elf_of("registry"), authority.pubkey()),
        GenesisProgram("energy_token", token.program_id, elf_of("energy_token"), authority.pubkey()),
    ]
    settings: dict[str, object] = {
        "rpc_port": 0,
        "ws_port": 0,
        "programs": programs,
        "funded": {authority.pubkey(): 10**12},
    }
    settings.update(overrides)
    return NodeConfig(**settings)  # type: ignore[arg-type]


@dataclass
class Prosumer:
    wallet: Keypair
    device: DeviceSigner
    serial: str
    meter: Pubkey
    accounts: MeterAccounts
    table: AddressLookupTableAccount
    next_window: int


class Market:
    def __init__(self, rpc_url: str, authority: Keypair) -> None:
        self.rpc_url = rpc_url
        self.rpc = AsyncClient(rpc_url, commitment=Confirmed)
        self.authority = authority
        self.registry = RegistryClient()
        self.token = EnergyTokenClient()
        self.coders = [self.registry.coder, self.token.coder]
        self.signatures: list[str] = []
        """Every transaction this helper landed, in order."""

    async def close(self) -> None:
        await self.rpc.close()

    async def send(
        self,
        instructions: Sequence[Instruction],
        payer: Keypair,
        signers: list[Keypair] | None = None,
        tables: list[AddressLookupTableAccount] | None = None,
    ) -> Landed:
        landed = await send_and_confirm(
            self.rpc,
            instructions,
            payer,
            signers or [],
            tables=tables or [],
            coders=self.coders,
        )
        self.signatures.append(str(landed.signature))
        return landed

    async def setup(self) -> None:
        key = self.authority.pubkey()
        await self.send(
            [
                self.registry.initialize(
                    payer=key, authority=key, limits=Limits(max_reading_age_secs=24 * 3600)
                ),
                self.registry.set_regulators(regulators=[key], threshold=1, cosigners=[key]),
                self.registry.create_zone(
                    payer=key, zone_id=ZONE_ID, name="indexer-north", max_capacity_kw=900, cosigners=[key]
                ),
                self.registry.set_settlement_authority(
                    settlement_authority=self.token.settlement_pda().address, cosigners=[key]
                ),
            ],
            self.authority,
        )
        await self.send([self.token.initialize(payer=key, authority=key)], self.authority)

    async def advance_clock(self, seconds: int) -> None:
        body = {"jsonrpc": "2.0", "id": 1, "method": "solgrid_advanceTime", "params": [seconds]}
        async with aiohttp.ClientSession() as http, http.post(self.rpc_url, json=body) as response:
            assert "result" in await response.json()

    async def prosumer(self) -> Prosumer:
        wallet = Keypair()
        airdrop = await self.rpc.request_airdrop(wallet.pubkey(), 5 * SOL)
        await self.rpc.confirm_transaction(airdrop.value, Confirmed)
        key = self.authority.pubkey()
        await self.send(
            [
                self.registry.register_user(
                    payer=wallet.pubkey(), authority=wallet.pubkey(), role=UserRole.PROSUMER, zone_id=ZONE_ID
                ),
                self.registry.verify_user(regulator=key, wallet=wallet.pubkey()),
            ],
            wallet,
            [self.authority],
        )
        device = DeviceSigner.generate()
        serial = f"IDX-{next(_serials):04d}-{wallet.pubkey()}"[:32]
        meter = self.registry.meter_pda(serial).address
        await self.send(
            [
                self.registry.register_meter(
                    payer=wallet.pubkey(),
                    owner=wallet.pubkey(),
                    zone_id=ZONE_ID,
                    serial=serial,
                    device_key=device.public_key,
                    source=EnergySource.SOLAR,
                    capacity_w=8_000,
                ),
                self.registry.activate_meter(regulator=key, meter=meter),
                self.token.create_grid_account(payer=wallet.pubkey(), owner=wallet.pubkey()),
            ],
            wallet,
            [self.authority],
        )
        accounts = self.registry.meter_accounts(serial, wallet.pubkey(), ZONE_ID)
        table = await create_lookup_table_rpc(self.rpc, wallet, self.registry.lookup_addresses([accounts]))
        state = await self.registry.fetch_meter(self.rpc, serial)
        assert state is not None
        return Prosumer(wallet, device, serial, meter, accounts, table, state.last_window_end)

    async def readings(self, p: Prosumer, count: int) -> list[Reading]:
        """``count`` consecutive windows in one transaction (production > consumption: a surplus)."""
        await self.advance_clock(count * WINDOW)
        readings = [
            Reading(p.next_window + i * WINDOW, p.next_window + (i + 1) * WINDOW, 500 + i, 120)
            for i in range(count)
        ]
        p.next_window += count * WINDOW
        batch = self.registry.reading_batch(
            [(p.accounts, p.device.sign(self.registry.program_id, p.meter, r)) for r in readings]
        )
        await self.send(batch, p.wallet, tables=[p.table])
        return readings

    async def settle(self, p: Prosumer) -> None:
        settle = self.token.settle_and_mint(meter=p.meter, owner=p.wallet.pubkey(), zone_id=ZONE_ID)
        await self.send([settle], self.authority)

    async def burn(self, p: Prosumer, amount: int) -> None:
        await self.send([self.token.burn(holder=p.wallet.pubkey(), amount=amount)], p.wallet)


@dataclass(frozen=True)
class MarketNode:
    """A local node of the indexer suite's own (fresh genesis, both programs), market set up."""

    node: BackgroundNode
    authority: Keypair

    @property
    def rpc_url(self) -> str:
        return self.node.rpc_url

    @property
    def ws_url(self) -> str:
        return self.node.ws_url

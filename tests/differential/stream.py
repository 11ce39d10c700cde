"""The transaction stream the differential test sends to both nodes.

A step is an async function of a :class:`Session`; it builds its transactions on that node (its own
blockhash, its own lookup-table address) from the same keys and amounts, so that both nodes see the
same stream. Keys are derived from fixed seeds; the random part is derived from the run's seed. Reading
windows are computed from one time ``t0`` shared by both runs, so devices sign identical readings.

Coverage: system transfers (below the rent minimum, to and from new accounts, overdrafts, closing an
account), account creation, allocation and assignment (also with seeds), SPL Token and ATA operations
and their failures, every instruction of the registry and energy_token on success and failure paths,
a trading market (seats, deposits, resting and crossing orders of every kind, the program's refusals,
cancel, prune, growth, withdrawals and fees; its events travel in self-CPIs),
compute-budget limits and exhaustion, priority fees, duplicate and expired transactions, v0
transactions with lookup tables, oversize transactions, simulations with and without signature
verification, and a random tail.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from solders.address_lookup_table_account import AddressLookupTableAccount
from solders.compute_budget import request_heap_frame, set_compute_unit_limit, set_compute_unit_price
from solders.hash import Hash
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.system_program import (
    ID as SYSTEM_PROGRAM,
)
from solders.system_program import (
    AllocateParams,
    AssignParams,
    CreateAccountParams,
    CreateAccountWithSeedParams,
    TransferParams,
    TransferWithSeedParams,
    allocate,
    assign,
    create_account,
    create_account_with_seed,
    transfer,
    transfer_with_seed,
)
from spl.token import instructions as spl
from spl.token.constants import TOKEN_PROGRAM_ID

from node_session import Session
from solgrid.sdk import loader
from solgrid.sdk.energy_token import EnergyTokenClient
from solgrid.sdk.lookup_tables import create_lookup_table, extend_lookup_table
from solgrid.sdk.readings import DeviceSigner, Reading
from solgrid.sdk.registry import EnergySource, Limits, MeterStatus, RegistryClient, UserRole, ZoneStatus
from solgrid.sdk.trading import MarketParams, OrderKind, SelfTradeMode, Side, TradingClient

SOL = 1_000_000_000
GENESIS_LAMPORTS = 1_000 * SOL
"""What each genesis key holds on both nodes."""
ZONE = 7
WINDOW = 600
READINGS = 4
"""Reading windows used by the stream (indexes 0 .. READINGS - 1)."""
LIMITS = Limits(max_clock_skew_secs=3_600)
"""Windows up to an hour ahead of a node's clock: both nodes accept the same windows from ``t0``."""

Step = Callable[[Session], Awaitable[None]]


@cache
def key(name: str) -> Keypair:
    """The stream's keypair ``name``, the same on every run and both nodes."""
    return Keypair.from_seed(hashlib.sha256(b"solgrid-differential:" + name.encode()).digest())


GENESIS_KEYS = ("authority", "payer")
"""Funded with GENESIS_LAMPORTS at genesis; ``authority`` is also the programs' upgrade authority."""


def _pk(name: str) -> Pubkey:
    return key(name).pubkey()


def _transfer(source: str, to: Pubkey, lamports: int) -> Instruction:
    return transfer(TransferParams(from_pubkey=_pk(source), to_pubkey=to, lamports=lamports))


def _cu(limit: int | None = None, price: int | None = None) -> list[Instruction]:
    ixs = [] if limit is None else [set_compute_unit_limit(limit)]
    return ixs + ([] if price is None else [set_compute_unit_price(price)])


def _loaded_accounts_data_size_limit(size: int) -> Instruction:
    return Instruction(
        Pubkey.from_string("ComputeBudget111111111111111111111111111111"),
        bytes([4]) + size.to_bytes(4, "little"),
        [],
    )


@dataclass
class Stream:
    """The steps for one run; ``t0`` is the shared time base of reading windows."""

    seed: int
    t0: int
    random_steps: int = 40

    def __post_init__(self) -> None:
        self.registry = RegistryClient()
        self.token = EnergyTokenClient()
        self.mint = key("token-mint").pubkey()
        self.device = DeviceSigner.from_seed(hashlib.sha256(b"solgrid-differential:device").digest())
        self.device2 = DeviceSigner.from_seed(hashlib.sha256(b"solgrid-differential:device2").digest())
        self.meter = self.registry.meter_accounts("diff-hydro-1", _pk("prosumer"), ZONE)
        self.trading = TradingClient()
        self.market = self.trading.market_pda(ZONE, self.mint).address

    def steps(self) -> list[tuple[str, Step]]:
        fixed: list[tuple[str, Step]] = [
            (name.removeprefix("step_"), getattr(self, name))
            for name in sorted(dir(self), key=_definition_order)
            if name.startswith("step_")
        ]
        return fixed + self._random(self.random_steps)

    async def _send(self, s: Session, ixs: list[Instruction], payer: str, *signers: str, **kw: bool) -> bool:
        tx = await s.sign(ixs, key(payer), [key(n) for n in signers])
        return await s.send(tx, **kw)

    # -- system program ---------------------------------------------------------------------------------

    async def step_genesis(self, s: Session) -> None:
        """The two geneses are the same: funded keys, the workspace programs and their ProgramData."""
        programs = [self.registry.program_id, self.token.program_id]
        keys = [_pk(n) for n in GENESIS_KEYS] + programs + [loader.programdata_address(p) for p in programs]
        await s.record_accounts([str(k) for k in keys])

    async def step_fund_wallets(self, s: Session) -> None:
        names = ("alice", "bob", "prosumer", "consumer", "stranger", "mint-owner")
        await self._send(s, [_transfer("payer", _pk(n), 10 * SOL) for n in names], "payer")

    async def step_transfer_below_rent_to_new_account(self, s: Session) -> None:
        await self._send(s, [_transfer("alice", _pk("new-1"), 1)], "alice", preflight=False)

    async def step_transfer_below_rent_to_new_account_preflight(self, s: Session) -> None:
        await self._send(s, [_transfer("alice", _pk("new-1"), 2)], "alice")  # refused by preflight

    async def step_transfer_exact_rent_minimum_to_new_account(self, s: Session) -> None:
        await self._send(s, [_transfer("alice", _pk("new-1"), 890_880)], "alice")

    async def step_transfer_one_lamport_to_existing_account(self, s: Session) -> None:
        await self._send(s, [_transfer("alice", _pk("new-1"), 3)], "alice")

    async def step_transfer_from_new_account_below_rent(self, s: Session) -> None:
        await self._send(s, [_transfer("new-1", _pk("bob"), 10)], "bob", "new-1", preflight=False)

    async def step_transfer_new_account_closes_to_zero(self, s: Session) -> None:
        await self._send(s, [_transfer("new-1", _pk("bob"), 890_883)], "bob", "new-1")

    async def step_transfer_zero_lamports(self, s: Session) -> None:
        await self._send(s, [_transfer("alice", _pk("bob"), 0)], "alice")

    async def step_transfer_overdraft(self, s: Session) -> None:
        await self._send(s, [_transfer("alice", _pk("bob"), 100 * SOL)], "alice", preflight=False)

    async def step_transfer_overdraft_preflight(self, s: Session) -> None:
        await self._send(s, [_transfer("alice", _pk("bob"), 101 * SOL)], "alice")

    async def step_fee_payer_does_not_exist(self, s: Session) -> None:
        await self._send(s, [_transfer("nobody", _pk("bob"), 1)], "nobody")

    async def step_fee_payer_left_below_rent(self, s: Session) -> None:
        await self._send(s, [_transfer("payer", _pk("poor"), 900_000)], "payer")
        await self._send(s, [_transfer("poor", _pk("bob"), 5_000)], "poor", preflight=False)

    async def step_fee_payer_cannot_pay_fee(self, s: Session) -> None:
        await self._send(s, [_transfer("payer", _pk("poor2"), 891_880)], "payer")
        await self._send(s, [_transfer("poor2", _pk("bob"), 1)], "poor2", preflight=False)

    async def step_create_account(self, s: Session) -> None:
        params = CreateAccountParams(
            from_pubkey=_pk("alice"),
            to_pubkey=_pk("data-1"),
            lamports=2 * SOL // 100,
            space=165,
            owner=_pk("bob"),
        )
        await self._send(s, [create_account(params)], "alice", "data-1")

    async def step_create_account_already_in_use(self, s: Session) -> None:
        params = CreateAccountParams(
            from_pubkey=_pk("alice"), to_pubkey=_pk("data-1"), lamports=SOL // 100, space=10, owner=_pk("bob")
        )
        await self._send(s, [create_account(params)], "alice", "data-1", preflight=False)

    async def step_create_account_without_its_signature(self, s: Session) -> None:
        params = CreateAccountParams(
            from_pubkey=_pk("alice"), to_pubkey=_pk("data-2"), lamports=SOL // 100, space=10, owner=_pk("bob")
        )
        ix = create_account(params)
        metas = [
            AccountMeta(m.pubkey, m.is_signer and m.pubkey != _pk("data-2"), m.is_writable)
            for m in ix.accounts
        ]
        await self._send(s, [Instruction(ix.program_id, ix.data, metas)], "alice", preflight=False)

    async def step_create_account_below_rent(self, s: Session) -> None:
        params = CreateAccountParams(
            from_pubkey=_pk("alice"), to_pubkey=_pk("data-3"), lamports=1_000, space=100, owner=_pk("bob")
        )
        await self._send(s, [create_account(params)], "alice", "data-3", preflight=False)

    async def step_allocate_and_assign(self, s: Session) -> None:
        await self._send(s, [_transfer("alice", _pk("data-4"), SOL // 10)], "alice")
        ixs = [
            allocate(AllocateParams(pubkey=_pk("data-4"), space=1024)),
            assign(AssignParams(pubkey=_pk("data-4"), owner=_pk("bob"))),
        ]
        await self._send(s, ixs, "alice", "data-4")

    async def step_allocate_too_large(self, s: Session) -> None:
        await self._send(s, [_transfer("alice", _pk("data-5"), SOL // 10)], "alice")
        ixs = [allocate(AllocateParams(pubkey=_pk("data-5"), space=10 * 1024 * 1024 + 1))]
        await self._send(s, ixs, "alice", "data-5", preflight=False)

    async def step_create_with_seed_and_transfer_with_seed(self, s: Session) -> None:
        base = _pk("alice")
        derived = Pubkey.create_with_seed(base, "diff", SYSTEM_PROGRAM)
        params = CreateAccountWithSeedParams(
            from_pubkey=base, to_pubkey=derived, base=base, seed="diff", lamports=SOL // 10, space=0,
            owner=SYSTEM_PROGRAM,
        )  # fmt: skip
        await self._send(s, [create_account_with_seed(params)], "alice")
        back = TransferWithSeedParams(
            from_pubkey=derived, from_base=base, from_seed="diff", from_owner=SYSTEM_PROGRAM,
            to_pubkey=_pk("bob"), lamports=SOL // 20,
        )  # fmt: skip
        await self._send(s, [transfer_with_seed(back)], "alice")

    # -- SolGrid programs -------------------------------------------------------------------------------

    async def step_registry_initialize_by_stranger(self, s: Session) -> None:
        ix = self.registry.initialize(payer=_pk("stranger"), authority=_pk("stranger"), limits=LIMITS)
        await self._send(s, [ix], "stranger")

    async def step_registry_initialize(self, s: Session) -> None:
        ix = self.registry.initialize(payer=_pk("authority"), authority=_pk("authority"), limits=LIMITS)
        await self._send(s, [ix], "authority")

    async def step_registry_initialize_twice(self, s: Session) -> None:
        ix = self.registry.initialize(payer=_pk("payer"), authority=_pk("authority"), limits=LIMITS)
        await self._send(s, [ix], "payer", "authority", preflight=False)

    async def step_set_regulators_without_authority(self, s: Session) -> None:
        ix = self.registry.set_regulators(
            regulators=[_pk("stranger")], threshold=1, cosigners=[_pk("stranger")]
        )
        await self._send(s, [ix], "stranger", preflight=False)

    async def step_set_regulators(self, s: Session) -> None:
        ix = self.registry.set_regulators(
            regulators=[_pk("authority"), _pk("regulator-2")], threshold=1, cosigners=[_pk("authority")]
        )
        await self._send(s, [ix], "authority")

    async def step_set_regulators_threshold_too_high(self, s: Session) -> None:
        ix = self.registry.set_regulators(
            regulators=[_pk("authority")], threshold=2, cosigners=[_pk("authority")]
        )
        await self._send(s, [ix], "authority")

    async def step_update_limits(self, s: Session) -> None:
        limits = Limits(max_clock_skew_secs=3_600, max_meters_per_user=5)
        await self._send(
            s, [self.registry.update_limits(limits=limits, cosigners=[_pk("authority")])], "authority"
        )

    async def step_update_limits_invalid(self, s: Session) -> None:
        limits = Limits(min_window_secs=7_200, max_window_secs=60)
        await self._send(
            s, [self.registry.update_limits(limits=limits, cosigners=[_pk("authority")])], "authority"
        )

    def _create_zone(self, signer: str) -> Instruction:
        return self.registry.create_zone(
            payer=_pk(signer), zone_id=ZONE, name="diff", max_capacity_kw=5_000, cosigners=[_pk(signer)]
        )

    async def step_create_zone_by_stranger(self, s: Session) -> None:
        await self._send(s, [self._create_zone("stranger")], "stranger")

    async def step_create_zone(self, s: Session) -> None:
        await self._send(s, [self._create_zone("authority")], "authority")

    async def step_create_zone_twice(self, s: Session) -> None:
        ix = self.registry.create_zone(
            payer=_pk("payer"), zone_id=ZONE, name="again", max_capacity_kw=1, cosigners=[_pk("authority")]
        )
        await self._send(s, [ix], "payer", "authority", preflight=False)

    async def step_zone_status(self, s: Session) -> None:
        for status in (ZoneStatus.HALTED, ZoneStatus.ACTIVE):
            ix = self.registry.set_zone_status(zone_id=ZONE, status=status, cosigners=[_pk("authority")])
            await self._send(s, [ix], "authority")
        ix = self.registry.set_zone_status(
            zone_id=ZONE, status=ZoneStatus.ACTIVE, cosigners=[_pk("authority")]
        )
        await self._send(s, [ix], "payer", "authority")  # no change
        ix = self.registry.set_zone_status(
            zone_id=ZONE, status=ZoneStatus.HALTED, cosigners=[_pk("stranger")]
        )
        await self._send(s, [ix], "stranger")

    async def step_settlement_authority_by_stranger(self, s: Session) -> None:
        ix = self.registry.set_settlement_authority(
            settlement_authority=_pk("stranger"), cosigners=[_pk("stranger")]
        )
        await self._send(s, [ix], "stranger", preflight=False)

    async def step_register_users(self, s: Session) -> None:
        for name, role in (("prosumer", UserRole.PROSUMER), ("consumer", UserRole.CONSUMER)):
            ix = self.registry.register_user(payer=_pk(name), authority=_pk(name), role=role, zone_id=ZONE)
            await self._send(s, [ix], name)

    async def step_register_user_twice(self, s: Session) -> None:
        ix = self.registry.register_user(
            payer=_pk("bob"), authority=_pk("consumer"), role=UserRole.CONSUMER, zone_id=ZONE
        )
        await self._send(s, [ix], "bob", "consumer", preflight=False)

    async def step_register_user_unknown_zone(self, s: Session) -> None:
        ix = self.registry.register_user(
            payer=_pk("bob"), authority=_pk("bob"), role=UserRole.CONSUMER, zone_id=99
        )
        await self._send(s, [ix], "bob")

    async def step_verify_user_by_stranger(self, s: Session) -> None:
        await self._send(
            s, [self.registry.verify_user(regulator=_pk("stranger"), wallet=_pk("prosumer"))], "stranger"
        )

    async def step_verify_users(self, s: Session) -> None:
        for name in ("prosumer", "consumer"):
            await self._send(
                s, [self.registry.verify_user(regulator=_pk("authority"), wallet=_pk(name))], "authority"
            )

    async def step_suspend_and_reinstate(self, s: Session) -> None:
        await self._send(
            s, [self.registry.suspend_user(regulator=_pk("authority"), wallet=_pk("consumer"))], "authority"
        )
        await self._send(
            s,
            [self.registry.suspend_user(regulator=_pk("authority"), wallet=_pk("consumer"))],
            "payer",
            "authority",
            preflight=False,
        )
        await self._send(
            s, [self.registry.reinstate_user(regulator=_pk("authority"), wallet=_pk("consumer"))], "authority"
        )

    def _register_meter(self, serial: str, owner: str, device: DeviceSigner, capacity_w: int) -> Instruction:
        return self.registry.register_meter(
            payer=_pk(owner), owner=_pk(owner), serial=serial, zone_id=ZONE, device_key=device.public_key,
            source=EnergySource.HYDRO, capacity_w=capacity_w,
        )  # fmt: skip

    async def step_register_meter(self, s: Session) -> None:
        await self._send(
            s, [self._register_meter("diff-hydro-1", "prosumer", self.device, 10_000)], "prosumer"
        )
        # (Re)activation moves the meter's last window end up to "now" only if the clock has passed it:
        # waiting for the next second takes the same branch, and so the same compute units, on both nodes.
        await s.wait_for_clock_after(await s.unix_time())

    async def step_register_meter_by_unregistered_user(self, s: Session) -> None:
        await self._send(
            s, [self._register_meter("diff-hydro-2", "stranger", self.device, 10_000)], "stranger"
        )

    async def step_activate_meter(self, s: Session) -> None:
        await self._send(
            s, [self.registry.activate_meter(regulator=_pk("stranger"), meter=self.meter.meter)], "stranger"
        )
        await self._send(
            s, [self.registry.activate_meter(regulator=_pk("authority"), meter=self.meter.meter)], "authority"
        )

    async def step_meter_status(self, s: Session) -> None:
        for status in (MeterStatus.MAINTENANCE, MeterStatus.ACTIVE):  # Active only through activate_meter
            ix = self.registry.set_meter_status(
                regulator=_pk("authority"), meter=self.meter.meter, status=status
            )
            await self._send(s, [ix], "authority")
        await s.wait_for_clock_after(await s.unix_time())
        await self._send(
            s,
            [self.registry.activate_meter(regulator=_pk("authority"), meter=self.meter.meter)],
            "payer",
            "authority",
        )

    def _reading(self, index: int, production_wh: int, consumption_wh: int) -> Reading:
        start = self.t0 + 900 + index * WINDOW
        return Reading(start, start + WINDOW, production_wh, consumption_wh)

    def window_ends(self) -> frozenset[int]:
        """Every window end the stream's readings can have: a meter's ``last_window_end`` holding one of
        these is compared exactly, not masked as a clock value."""
        return frozenset(self._reading(index, 0, 0).window_end for index in range(READINGS))

    async def _readings(self, s: Session, readings: list[Reading], device: DeviceSigner, **kw: bool) -> None:
        signed = [(self.meter, device.sign(self.registry.program_id, self.meter.meter, r)) for r in readings]
        await self._send(s, [*_cu(400_000), *self.registry.reading_batch(signed)], "payer", **kw)

    async def step_submit_readings(self, s: Session) -> None:
        await self._readings(s, [self._reading(0, 1_500, 200), self._reading(1, 1_400, 300)], self.device)

    async def step_submit_reading_replayed_window(self, s: Session) -> None:
        await self._readings(s, [self._reading(1, 1_000, 100)], self.device, preflight=False)

    async def step_submit_reading_wrong_device(self, s: Session) -> None:
        await self._readings(s, [self._reading(2, 1_000, 100)], self.device2)

    async def step_submit_reading_over_capacity(self, s: Session) -> None:
        await self._readings(s, [self._reading(2, 900_000, 0)], self.device)

    async def step_rotate_device_key(self, s: Session) -> None:
        ix = self.registry.rotate_device_key(
            meter=self.meter.meter, new_key=self.device2.public_key, cosigners=[_pk("authority")]
        )
        await self._send(s, [ix], "authority")
        await self._readings(s, [self._reading(2, 1_100, 100)], self.device2)

    async def step_rotate_device_key_by_stranger(self, s: Session) -> None:
        ix = self.registry.rotate_device_key(
            meter=self.meter.meter, new_key=self.device.public_key, cosigners=[_pk("stranger")]
        )
        await self._send(s, [ix], "stranger")

    async def step_reinstate_verified_user(self, s: Session) -> None:
        ix = self.registry.reinstate_user(regulator=_pk("authority"), wallet=_pk("prosumer"))
        await self._send(s, [ix], "authority", preflight=False)

    async def step_settle_meter_directly(self, s: Session) -> None:
        ix = self.registry.settle_meter(
            settlement_authority=_pk("stranger"), meter=self.meter.meter, owner=_pk("prosumer"), zone_id=ZONE
        )
        await self._send(s, [ix], "stranger", preflight=False)

    async def step_energy_token_initialize_by_stranger(self, s: Session) -> None:
        await self._send(
            s, [self.token.initialize(payer=_pk("stranger"), authority=_pk("stranger"))], "stranger"
        )

    async def step_energy_token_initialize(self, s: Session) -> None:
        await self._send(
            s, [self.token.initialize(payer=_pk("authority"), authority=_pk("authority"))], "authority"
        )
        ix = self.registry.set_settlement_authority(
            settlement_authority=self.token.settlement_pda().address, cosigners=[_pk("authority")]
        )
        await self._send(s, [ix], "authority")

    async def step_settle_and_mint(self, s: Session) -> None:
        ixs = [
            self.token.create_grid_account(payer=_pk("prosumer"), owner=_pk("prosumer")),
            self.token.settle_and_mint(meter=self.meter.meter, owner=_pk("prosumer"), zone_id=ZONE),
        ]
        await self._send(s, ixs, "prosumer")

    async def step_settle_and_mint_nothing_left(self, s: Session) -> None:
        ix = self.token.settle_and_mint(meter=self.meter.meter, owner=_pk("prosumer"), zone_id=ZONE)
        await self._send(s, [ix], "bob", preflight=False)

    async def step_burn(self, s: Session) -> None:
        await self._send(s, [self.token.burn(holder=_pk("prosumer"), amount=10**8)], "prosumer")
        await self._send(
            s, [self.token.burn(holder=_pk("prosumer"), amount=10**15)], "prosumer", preflight=False
        )
        await self._send(s, [self.token.burn(holder=_pk("prosumer"), amount=0)], "prosumer")

    async def step_authority_handover(self, s: Session) -> None:
        ix = self.registry.propose_authority(authority=_pk("authority"), new_authority=_pk("authority-2"))
        await self._send(s, [ix], "authority")
        ix = self.registry.propose_authority(authority=_pk("stranger"), new_authority=_pk("stranger"))
        await self._send(s, [ix], "stranger")
        await self._send(s, [self.registry.accept_authority(new_authority=_pk("stranger"))], "stranger")
        await self._send(s, [_transfer("payer", _pk("authority-2"), SOL)], "payer")
        await self._send(s, [self.registry.accept_authority(new_authority=_pk("authority-2"))], "authority-2")

    # -- SPL Token and ATA ------------------------------------------------------------------------------

    async def step_token_mint(self, s: Session) -> None:
        space = 82
        params = CreateAccountParams(
            from_pubkey=_pk("mint-owner"),
            to_pubkey=self.mint,
            lamports=1_461_600,
            space=space,
            owner=TOKEN_PROGRAM_ID,
        )
        init = spl.initialize_mint(
            spl.InitializeMintParams(
                decimals=6, program_id=TOKEN_PROGRAM_ID, mint=self.mint, mint_authority=_pk("mint-owner"),
                freeze_authority=_pk("mint-owner"),
            )
        )  # fmt: skip
        await self._send(s, [create_account(params), init], "mint-owner", "token-mint")

    def _ata(self, owner: str) -> Pubkey:
        return spl.get_associated_token_address(_pk(owner), self.mint)

    async def step_ata_create(self, s: Session) -> None:
        for owner in ("alice", "bob"):
            ix = spl.create_associated_token_account(
                payer=_pk("mint-owner"), owner=_pk(owner), mint=self.mint
            )
            await self._send(s, [ix], "mint-owner")

    async def step_ata_create_twice(self, s: Session) -> None:
        ix = spl.create_associated_token_account(payer=_pk("alice"), owner=_pk("alice"), mint=self.mint)
        await self._send(s, [ix], "alice", preflight=False)
        ix = spl.create_idempotent_associated_token_account(
            payer=_pk("alice"), owner=_pk("alice"), mint=self.mint
        )
        await self._send(s, [ix], "alice")

    async def step_token_mint_to(self, s: Session) -> None:
        ix = spl.mint_to(
            spl.MintToParams(
                program_id=TOKEN_PROGRAM_ID,
                mint=self.mint,
                dest=self._ata("alice"),
                mint_authority=_pk("mint-owner"),
                amount=5_000_000,
            )
        )
        await self._send(s, [ix], "mint-owner")
        ix = spl.mint_to(
            spl.MintToParams(
                program_id=TOKEN_PROGRAM_ID,
                mint=self.mint,
                dest=self._ata("alice"),
                mint_authority=_pk("stranger"),
                amount=1,
            )
        )
        await self._send(s, [ix], "stranger", preflight=False)

    def _token_transfer(
        self, source: str, dest: str, amount: int, decimals: int = 6, owner: str | None = None
    ) -> Instruction:
        return spl.transfer_checked(
            spl.TransferCheckedParams(
                program_id=TOKEN_PROGRAM_ID, source=self._ata(source), mint=self.mint, dest=self._ata(dest),
                owner=_pk(owner or source), amount=amount, decimals=decimals,
            )
        )  # fmt: skip

    async def step_token_transfers(self, s: Session) -> None:
        await self._send(s, [self._token_transfer("alice", "bob", 1_000_000)], "alice")
        plain = spl.transfer(
            spl.TransferParams(
                program_id=TOKEN_PROGRAM_ID,
                source=self._ata("alice"),
                dest=self._ata("bob"),
                owner=_pk("alice"),
                amount=7,
            )
        )
        await self._send(s, [plain], "alice")
        await self._send(s, [self._token_transfer("alice", "bob", 1, decimals=9)], "alice")
        await self._send(s, [self._token_transfer("alice", "bob", 10**12)], "alice", preflight=False)
        await self._send(s, [self._token_transfer("alice", "bob", 2, owner="bob")], "bob")

    async def step_token_delegate(self, s: Session) -> None:
        approve = spl.approve(
            spl.ApproveParams(
                program_id=TOKEN_PROGRAM_ID,
                source=self._ata("alice"),
                delegate=_pk("bob"),
                owner=_pk("alice"),
                amount=500,
            )
        )
        await self._send(s, [approve], "alice")
        await self._send(s, [self._token_transfer("alice", "bob", 400, owner="bob")], "bob")
        await self._send(s, [self._token_transfer("alice", "bob", 101, owner="bob")], "bob", preflight=False)
        revoke = spl.revoke(
            spl.RevokeParams(program_id=TOKEN_PROGRAM_ID, account=self._ata("alice"), owner=_pk("alice"))
        )
        await self._send(s, [revoke], "alice")

    async def step_token_freeze(self, s: Session) -> None:
        freeze = spl.freeze_account(
            spl.FreezeAccountParams(
                program_id=TOKEN_PROGRAM_ID,
                account=self._ata("bob"),
                mint=self.mint,
                authority=_pk("mint-owner"),
            )
        )
        await self._send(s, [freeze], "mint-owner")
        await self._send(s, [self._token_transfer("bob", "alice", 3)], "bob", preflight=False)
        thaw = spl.thaw_account(
            spl.ThawAccountParams(
                program_id=TOKEN_PROGRAM_ID,
                account=self._ata("bob"),
                mint=self.mint,
                authority=_pk("mint-owner"),
            )
        )
        await self._send(s, [thaw], "mint-owner")

    async def step_token_burn_and_close(self, s: Session) -> None:
        close = spl.close_account(
            spl.CloseAccountParams(
                program_id=TOKEN_PROGRAM_ID, account=self._ata("bob"), dest=_pk("bob"), owner=_pk("bob")
            )
        )
        await self._send(s, [close], "bob", preflight=False)  # still holds tokens
        burn = spl.burn(
            spl.BurnParams(
                program_id=TOKEN_PROGRAM_ID,
                account=self._ata("bob"),
                mint=self.mint,
                owner=_pk("bob"),
                amount=1_000_407,
            )
        )
        await self._send(s, [burn, close], "bob")

    # -- trading: GRID against the stream's 6-decimal token -----------------------------------------------

    def _seat_ix(self, name: str) -> Instruction:
        return self.trading.claim_seat(trader=_pk(name), market=self.market)

    def _place(self, name: str, seat: int, side: Side, price: int, lots: int, **kw: Any) -> Instruction:
        return self.trading.place_order(
            trader=_pk(name),
            market=self.market,
            zone_id=ZONE,
            seat=seat,
            side=side,
            price=price,
            lots=lots,
            **kw,
        )

    async def step_trading_initialize_by_stranger(self, s: Session) -> None:
        ix = self.trading.initialize(
            payer=_pk("stranger"), authority=_pk("stranger"), base_mint=self.token.mint
        )
        await self._send(s, [ix], "stranger")

    async def step_trading_initialize(self, s: Session) -> None:
        ix = self.trading.initialize(
            payer=_pk("authority"), authority=_pk("authority"), base_mint=self.token.mint
        )
        await self._send(s, [ix], "authority")

    def _create_market(self, payer: str, cosigner: str, tick_size: int = 1_000) -> Instruction:
        params = MarketParams(
            tick_size=tick_size, lot_size_wh=1, fee_recipient=_pk("authority"), maker_fee_bps=5
        )
        return self.trading.create_market(
            payer=_pk(payer), zone_id=ZONE, base_mint=self.token.mint, quote_mint=self.mint, params=params,
            cosigners=[_pk(cosigner)],
        )  # fmt: skip

    async def step_trading_create_market(self, s: Session) -> None:
        await self._send(s, [self._create_market("stranger", "stranger")], "stranger")
        await self._send(s, [self._create_market("payer", "authority", tick_size=999)], "payer", "authority")
        await self._send(s, [self._create_market("payer", "authority")], "payer", "authority")
        again = [*_cu(300_000), self._create_market("payer", "authority")]  # AlreadyInitialized
        await self._send(s, again, "payer", "authority", preflight=False)

    async def step_trading_seats(self, s: Session) -> None:
        for name in ("prosumer", "consumer"):  # seats 0 and 1
            await self._send(s, [self._seat_ix(name)], name)
        await self._send(s, [*_cu(100_000), self._seat_ix("consumer")], "consumer")  # SeatExists
        await self._send(s, [self._seat_ix("stranger")], "stranger")  # no registry User

    async def step_trading_deposits(self, s: Session) -> None:
        consumer_quote = spl.get_associated_token_address(_pk("consumer"), self.mint)
        fund = [
            spl.create_associated_token_account(
                payer=_pk("mint-owner"), owner=_pk("consumer"), mint=self.mint
            ),
            spl.mint_to(
                spl.MintToParams(
                    program_id=TOKEN_PROGRAM_ID, mint=self.mint, dest=consumer_quote,
                    mint_authority=_pk("mint-owner"), amount=3_000_000,
                )
            ),
        ]  # fmt: skip
        await self._send(s, fund, "mint-owner")
        base_vault = self.trading.vault_pda(self.market, self.token.mint).address
        quote_vault = self.trading.vault_pda(self.market, self.mint).address
        deposits = [
            ("consumer", 1, quote_vault, consumer_quote, 2_000_000),
            ("prosumer", 0, base_vault, self.token.grid_account(_pk("prosumer")), 2_000_000_000),
            ("consumer", 1, quote_vault, consumer_quote, 0),  # ZeroQuantity
            ("consumer", 0, quote_vault, consumer_quote, 1),  # another trader's seat
            ("consumer", 1, base_vault, consumer_quote, 1),  # the quote account into the GRID vault
        ]
        for name, seat, vault, source, amount in deposits:
            ix = self.trading.deposit(
                trader=_pk(name), market=self.market, seat=seat, vault=vault, source=source, amount=amount
            )
            await self._send(s, [ix], name, preflight=amount != 1)

    async def step_trading_orders(self, s: Session) -> None:
        orders: list[tuple[str, int, Side, int, int, dict[str, Any]]] = [
            ("prosumer", 0, Side.ASK, 120, 500, {}),  # rests
            ("prosumer", 0, Side.ASK, 125, 300, {"client_order_id": 7}),  # rests
            ("consumer", 1, Side.BID, 121, 10, {"kind": OrderKind.POST_ONLY}),  # PostOnlyWouldCross
            ("consumer", 1, Side.BID, 122, 700, {}),  # fills 500 at 120, rests 200 at 122
            ("consumer", 1, Side.BID, 130, 100, {"kind": OrderKind.IMMEDIATE_OR_CANCEL}),  # 100 at 125
            ("prosumer", 0, Side.ASK, 121, 50, {"client_order_id": 7}),  # ClientOrderIdReused
            ("prosumer", 0, Side.ASK, 121, 50, {"client_order_id": 8}),  # takes 50 of the bid at 122
            ("prosumer", 0, Side.BID, 126, 10, {"self_trade": SelfTradeMode.ABORT}),  # SelfTrade
            ("prosumer", 0, Side.BID, 126, 10, {"self_trade": SelfTradeMode.DECREMENT_BOTH}),
            ("consumer", 1, Side.BID, 110, 10**9, {}),  # InsufficientFunds
            ("consumer", 1, Side.BID, 0, 5, {}),  # InvalidPrice
            ("consumer", 1, Side.BID, 110, 5, {"expires_at": 1}),  # AlreadyExpired
            ("consumer", 1, Side.BID, 111, 5, {"expires_at": self.t0 + 86_400, "max_matches": 3}),
            ("consumer", 1, Side.ASK, 150, 5, {}),  # a consumer does not sell
        ]
        for name, seat, side, price, lots, kw in orders:
            await self._send(s, [*_cu(200_000), self._place(name, seat, side, price, lots, **kw)], name)

    async def step_trading_cancel_prune_grow(self, s: Session) -> None:
        cancel = self.trading.cancel_order(
            trader=_pk("consumer"), market=self.market, seat=1, side=Side.BID, price=122, order_id=2
        )
        await self._send(s, [cancel], "consumer")
        await self._send(s, [*_cu(100_000), cancel], "consumer", preflight=False)  # OrderNotFound
        await self._send(s, [self.trading.prune_expired(market=self.market, max_orders=10)], "bob")
        grow = self.trading.grow_market(payer=_pk("bob"), market=self.market, extra_seats=2, extra_orders=16)
        await self._send(s, [grow], "bob")

    async def step_trading_withdraw_and_fees(self, s: Session) -> None:
        base_vault = self.trading.vault_pda(self.market, self.token.mint).address
        quote_vault = self.trading.vault_pda(self.market, self.mint).address
        quote_ata = spl.get_associated_token_address(_pk("authority"), self.mint)
        setup = [
            self.token.create_grid_account(payer=_pk("consumer"), owner=_pk("consumer")),
            spl.create_associated_token_account(
                payer=_pk("authority"), owner=_pk("authority"), mint=self.mint
            ),
        ]
        await self._send(s, setup, "authority", "consumer")
        withdrawals = [
            ("consumer", 1, base_vault, self.token.grid_account(_pk("consumer")), 300_000_000),
            (
                "consumer",
                1,
                base_vault,
                self.token.grid_account(_pk("consumer")),
                10**12,
            ),  # InsufficientFunds
            ("prosumer", 0, quote_vault, self.token.grid_account(_pk("prosumer")), 1_000),  # wrong mint
        ]
        for name, seat, vault, destination, amount in withdrawals:
            ix = self.trading.withdraw(
                trader=_pk(name),
                market=self.market,
                seat=seat,
                vault=vault,
                destination=destination,
                amount=amount,
            )
            await self._send(s, [ix], name, preflight=amount == 300_000_000)
        for recipient in ("stranger", "authority"):
            ix = self.trading.collect_fees(
                fee_recipient=_pk(recipient),
                market=self.market,
                quote_vault=quote_vault,
                destination=quote_ata,
            )
            await self._send(s, [ix], recipient)

    # -- compute budget and fees ------------------------------------------------------------------------

    async def step_priority_fee(self, s: Session) -> None:
        await self._send(s, [*_cu(10_000, 1_234_567), _transfer("alice", _pk("bob"), 11)], "alice")

    async def step_priority_fee_default_limit(self, s: Session) -> None:
        await self._send(s, [*_cu(price=3), _transfer("alice", _pk("bob"), 12)], "alice")

    async def step_compute_limit_too_low_for_system(self, s: Session) -> None:
        await self._send(s, [*_cu(100), _transfer("alice", _pk("bob"), 13)], "alice", preflight=False)

    async def step_compute_exhausted_in_program(self, s: Session) -> None:
        ix = self.registry.register_user(
            payer=_pk("alice"), authority=_pk("alice"), role=UserRole.CONSUMER, zone_id=ZONE
        )
        await self._send(s, [*_cu(2_000), ix], "alice", preflight=False)

    async def step_compute_exhausted_preflight(self, s: Session) -> None:
        ix = self.registry.register_user(
            payer=_pk("alice"), authority=_pk("alice"), role=UserRole.CONSUMER, zone_id=ZONE
        )
        await self._send(s, [*_cu(2_001), ix], "alice")

    async def step_duplicate_compute_budget_instruction(self, s: Session) -> None:
        ixs = [
            set_compute_unit_limit(5_000),
            set_compute_unit_limit(6_000),
            _transfer("alice", _pk("bob"), 14),
        ]
        await self._send(s, ixs, "alice", preflight=False)

    async def step_compute_limit_above_maximum(self, s: Session) -> None:
        await self._send(s, [*_cu(2_000_000), _transfer("alice", _pk("bob"), 15)], "alice")

    async def step_heap_frame_invalid(self, s: Session) -> None:
        await self._send(
            s, [request_heap_frame(1000), _transfer("alice", _pk("bob"), 16)], "alice", preflight=False
        )

    async def step_heap_frame_valid(self, s: Session) -> None:
        await self._send(s, [request_heap_frame(64 * 1024), _transfer("alice", _pk("bob"), 17)], "alice")

    async def step_loaded_accounts_data_size_exceeded(self, s: Session) -> None:
        verify = self.registry.verify_user(regulator=_pk("alice"), wallet=_pk("bob"))
        ixs = [_loaded_accounts_data_size_limit(100), verify]
        await self._send(s, ixs, "alice", preflight=False)

    # -- lookup tables and v0 transactions ---------------------------------------------------------------

    async def step_lookup_table(self, s: Session) -> None:
        finalized = await s.slot("finalized")
        while await s.slot() <= finalized:
            await asyncio.sleep(0.1)
        create, table = create_lookup_table(_pk("alice"), _pk("alice"), finalized)
        s.alias(table, "lookup-table")
        addresses = [_pk(n) for n in ("bob", "consumer", "stranger")] + [
            self.meter.meter,
            self.registry.program_id,
        ]
        await s.send(await s.sign([create], key("alice")), units_depend_on_slot=True)
        extend = extend_lookup_table(table, _pk("alice"), _pk("alice"), addresses)
        await self._send(s, [extend], "alice")
        extended = await s.slot()
        while await s.slot() <= extended:
            await asyncio.sleep(0.1)
        s.state["table"] = AddressLookupTableAccount(table, addresses)
        tx = await s.sign(
            [_transfer("alice", _pk("bob"), 21), _transfer("alice", _pk("stranger"), 22)],
            key("alice"),
            tables=[s.state["table"]],
        )
        await s.send(tx)

    async def step_lookup_table_index_out_of_range(self, s: Session) -> None:
        table: AddressLookupTableAccount = s.state["table"]
        padded = AddressLookupTableAccount(table.key, [*table.addresses, _pk("nobody-2")])
        tx = await s.sign([_transfer("alice", _pk("nobody-2"), 1_000_000)], key("alice"), tables=[padded])
        await s.send(tx, preflight=False)

    async def step_lookup_table_unknown(self, s: Session) -> None:
        fake = AddressLookupTableAccount(_pk("not-a-table"), [_pk("bob")])
        tx = await s.sign([_transfer("alice", _pk("bob"), 23)], key("alice"), tables=[fake])
        await s.send(tx)

    # -- transaction-level failures ---------------------------------------------------------------------

    async def step_duplicate_transaction(self, s: Session) -> None:
        tx = await s.sign([_transfer("alice", _pk("bob"), 31)], key("alice"))
        await s.send(tx)
        await s.send(tx, duplicate=True)
        await s.send(tx, preflight=False, duplicate=True)

    async def step_unknown_blockhash(self, s: Session) -> None:
        bogus = Hash(hashlib.sha256(b"never a blockhash").digest())
        tx = await s.sign([_transfer("alice", _pk("bob"), 32)], key("alice"), blockhash=bogus)
        await s.send(tx)
        await s.send(tx, preflight=False, lands=False, duplicate=True)

    async def step_oversize_transaction(self, s: Session) -> None:
        ixs = [_transfer("alice", _pk(f"o-{i}"), 1_000_000 + i) for i in range(30)]
        await s.send_raw(bytes(await s.sign(ixs, key("alice"))))
        await s.send_raw(bytes(await s.sign(ixs, key("alice"))), preflight=False)

    async def step_garbage_transaction(self, s: Session) -> None:
        await s.send_raw(b"\x01" + bytes(100))

    async def step_wrong_signature(self, s: Session) -> None:
        tx = await s.sign([_transfer("alice", _pk("bob"), 33)], key("alice"))
        forged = type(tx).populate(tx.message, [key("bob").sign_message(bytes(tx.message))])
        await s.send(forged)
        await s.send(forged, preflight=False, lands=False, duplicate=True)

    # -- simulation -------------------------------------------------------------------------------------

    async def step_simulations(self, s: Session) -> None:
        tx = await s.sign([_transfer("alice", _pk("bob"), 41)], key("alice"))
        await s.simulate(tx, {"sigVerify": True, "commitment": "confirmed"})
        await s.simulate(tx, {"sigVerify": False, "commitment": "confirmed"})
        forged = type(tx).populate(tx.message, [key("bob").sign_message(bytes(tx.message))])
        await s.simulate(forged, {"sigVerify": True, "commitment": "confirmed"})
        await s.simulate(forged, {"sigVerify": False, "commitment": "confirmed"})
        await s.simulate(forged, {"sigVerify": True, "replaceRecentBlockhash": True})
        stale = await s.sign([_transfer("alice", _pk("bob"), 42)], key("alice"), blockhash=Hash.default())
        await s.simulate(stale, {"replaceRecentBlockhash": True, "commitment": "confirmed"})
        await s.simulate(stale, {"commitment": "confirmed"})
        accounts = {
            "encoding": "base64",
            "addresses": [str(_pk("alice")), str(_pk("bob")), str(_pk("nobody"))],
        }
        await s.simulate(tx, {"accounts": accounts, "innerInstructions": True, "commitment": "confirmed"})
        ix = self.registry.register_user(
            payer=_pk("bob"), authority=_pk("bob"), role=UserRole.CONSUMER, zone_id=ZONE
        )
        program = await s.sign([ix], key("bob"))
        await s.simulate(program, {"sigVerify": True, "innerInstructions": True, "commitment": "confirmed"})
        await s.simulate(program, {"sigVerify": False, "commitment": "confirmed"})
        # parsed inner instructions: an ATA creation CPIs Token (getAccountDataSize, initializeImmutableOwner,
        # initializeAccount3) and System (createAccount); a token transfer makes none
        ata = spl.create_associated_token_account(
            payer=_pk("alice"), owner=_pk("sim-ata-owner"), mint=self.mint
        )
        inner = {"innerInstructions": True, "commitment": "confirmed"}
        await s.simulate(await s.sign([ata], key("alice")), inner)
        await s.simulate(await s.sign([self._token_transfer("alice", "alice", 41)], key("alice")), inner)

    # -- expiry (last: a blockhash from the start of the run has expired by now) -------------------------

    async def step_zz_expired_blockhash(self, s: Session) -> None:
        old: Hash = s.state["first_blockhash"]
        while await s.block_height() <= s.state["first_valid_height"]:
            await asyncio.sleep(0.5)
        tx = await s.sign([_transfer("alice", _pk("bob"), 51)], key("alice"), blockhash=old)
        await s.send(tx)
        await s.send(tx, preflight=False, lands=False, duplicate=True)

    # -- random tail ------------------------------------------------------------------------------------

    def _random(self, count: int) -> list[tuple[str, Step]]:
        rng = random.Random(self.seed)
        wallets = ["alice", "bob", "consumer", "stranger", "mint-owner"]
        steps: list[tuple[str, Step]] = []
        for i in range(count):
            kind = rng.choice(["transfer", "transfer", "new-account", "token", "budget", "program"])
            source, dest = rng.sample(wallets, 2)
            # A new account for each step (so the rent edges stay where they are); between wallets the
            # step number keeps every transaction distinct from the fixed steps' and each other's.
            amount = rng.choice([1, 2, 5_000, 890_879, 890_880, rng.randrange(1, 3 * SOL)])
            limit = rng.choice([None, None, 150, 300, 450, 3_000, 200_000])
            price = rng.choice([None, None, 0, 1, 999_999, 10**7])
            preflight = rng.random() < 0.5
            if kind == "transfer":
                ixs = [*_cu(limit, price), _transfer(source, _pk(dest), amount + 1_000 + i)]
            elif kind == "new-account":
                ixs = [*_cu(limit, price), _transfer(source, _pk(f"random-{i}"), amount)]
            elif kind == "token":
                units = rng.choice([1, 50, 10**9]) + 1_000 + i
                ixs = [*_cu(limit, price), self._token_transfer("alice", rng.choice(["alice", "bob"]), units)]
                source = "alice"
            elif kind == "budget":
                limit = rng.choice([0, 1, 149, 150, 151])
                ixs = [*_cu(limit, price), _transfer(source, _pk(dest), amount + 1_000 + i)]
            else:
                ix = self.registry.verify_user(regulator=_pk(source), wallet=_pk("consumer"))
                ixs = [*_cu(limit, (price or 0) + i), ix]  # the price keeps the step distinct
            steps.append((f"random-{i}-{kind}", _random_step(self, ixs, source, preflight)))
        return steps


def _random_step(stream: Stream, ixs: list[Instruction], payer: str, preflight: bool) -> Step:
    async def step(s: Session) -> None:
        await stream._send(s, ixs, payer, preflight=preflight)

    return step


def _definition_order(name: str) -> int:
    names = list(Stream.__dict__)
    return names.index(name) if name in names else len(names)

"""Test harness for the energy_token program in the in-process LiteSVM, next to the registry it trusts.

:class:`TokenEnv` loads both programs at their IDL addresses (``add_program`` or deployed through
BPFLoaderUpgradeable), builds energy_token instructions through the SDK and records compute units.

Registry accounts that a settlement reads (Config, User, Zone, Meter) can be written straight into the VM
with the bench's ``IdlAccountLayout``, which lays bytes out from ``idl/registry.json`` (the registry's
wire format); tests use it to put a meter into exact states (large counters, deficits, foreign owners)
that would otherwise take many device-signed readings to reach.
"""

from __future__ import annotations

import importlib.util
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from solders.account import Account
from solders.clock import Clock
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.transaction_status import InstructionErrorCustom, TransactionErrorInstructionError

from solgrid.localnet.engine import Engine
from solgrid.localnet.svm import Sent, TransactionFailed, deploy, features_blocking_deploy, new_svm, send
from solgrid.localnet.tokens import TOKEN_PROGRAM_ID, Mint, parse_mint, parse_token_account
from solgrid.sdk.energy_token import EnergyTokenClient
from solgrid.sdk.idl import load_idl_json

REPO = Path(__file__).resolve().parents[2]
LAMPORTS = 10**12
MODES = ("add_program", "deploy")
T0 = 1_767_225_600  # 2026-01-01T00:00:00Z


def _load_bench() -> ModuleType:
    """``bench/energy_token_cu.py`` (a script directory, not a package): its ``IdlAccountLayout`` writes
    the registry accounts here too, so the tests and the bench set up settlements the same way."""
    spec = importlib.util.spec_from_file_location("energy_token_cu", REPO / "bench" / "energy_token_cu.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


energy_token_cu = _load_bench()
IdlAccountLayout = energy_token_cu.IdlAccountLayout
program_keypair = energy_token_cu.program_keypair
CONFIG_LEN: int = IdlAccountLayout(load_idl_json("energy_token"), "Config").size
"""Size of energy_token's Config account, from its IDL."""


def error_codes(program: str) -> dict[str, int]:
    """Custom error codes by IDL name."""
    return {e["name"]: e["code"] for e in load_idl_json(program)["errors"]}


@dataclass
class MeterState:
    """A registry Meter written into the VM by :meth:`TokenEnv.put_meter`."""

    address: Pubkey
    owner: Pubkey
    user: Pubkey
    zone_id: int = 0


@dataclass
class TokenEnv:
    """One VM with the registry and energy_token loaded, a funded payer (the upgrade authority of both
    when deployed) and the SDK."""

    svm: Engine
    payer: Keypair
    client: EnergyTokenClient
    mode: str
    cu: dict[str, list[int]] = field(default_factory=dict)

    @property
    def program_id(self) -> Pubkey:
        return self.client.program_id

    @property
    def registry_id(self) -> Pubkey:
        return self.client.registry_program_id

    # -- transactions ------------------------------------------------------------------------------

    def wallet(self, lamports: int = LAMPORTS) -> Keypair:
        wallet = Keypair()
        self.svm.airdrop(wallet.pubkey(), lamports)
        return wallet

    def send(self, instructions: Sequence[Instruction], signers: Sequence[Keypair] = ()) -> Sent:
        return send(self.svm, self.payer, instructions, signers)

    def fail(self, instructions: Sequence[Instruction], signers: Sequence[Keypair] = ()) -> int:
        """Sends a transaction that must fail in its last instruction with a custom error; returns it."""
        with pytest.raises(TransactionFailed) as failed:
            self.send(instructions, signers)
        err = failed.value.err
        assert isinstance(err, TransactionErrorInstructionError), failed.value
        # Index 0 is the compute-budget instruction that `send` prepends.
        assert err.index == len(instructions), failed.value
        assert isinstance(err.err, InstructionErrorCustom), failed.value
        return err.err.code

    def record(self, name: str, sent: Sent) -> Sent:
        self.cu.setdefault(name, []).append(sent.program_cu(self.program_id))
        return sent

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

    # -- accounts ----------------------------------------------------------------------------------

    def account(self, address: Pubkey) -> Account | None:
        account = self.svm.get_account(address)
        if account is None or account.lamports == 0:
            return None
        return account

    def data(self, address: Pubkey) -> bytes:
        account = self.account(address)
        assert account is not None, f"{address} does not exist"
        return bytes(account.data)

    def put(self, address: Pubkey, owner: Pubkey, data: bytes) -> None:
        """Writes an account (rent-exempt) into the VM."""
        lamports = self.svm.minimum_balance_for_rent_exemption(len(data))
        self.svm.set_account(address, Account(lamports, data, owner, False, 0))

    def mint(self) -> Mint:
        mint = parse_mint(TOKEN_PROGRAM_ID, self.data(self.client.mint))
        assert mint is not None
        return mint

    def balance(self, token_account: Pubkey) -> int:
        parsed = parse_token_account(TOKEN_PROGRAM_ID, self.data(token_account))
        assert parsed is not None
        return parsed.amount

    # -- energy_token ------------------------------------------------------------------------------

    def initialize(self, authority: Keypair | None = None) -> Sent:
        authority = authority or self.payer
        ix = self.client.initialize(payer=self.payer.pubkey(), authority=authority.pubkey())
        return self.record("initialize", self.send([ix], [authority]))

    def grid_account(self, owner: Pubkey) -> Pubkey:
        """Creates ``owner``'s associated GRID account; returns its address."""
        self.send([self.client.create_grid_account(payer=self.payer.pubkey(), owner=owner)])
        return self.client.grid_account(owner)

    def give_grid(self, owner: Pubkey, amount: int) -> Pubkey:
        """Test setup for burning: credits ``amount`` base units to ``owner``'s GRID account and the
        mint's supply directly in the VM (minting itself is only possible through settlement)."""
        address = self.client.grid_account(owner)
        if self.account(address) is None:
            self.grid_account(owner)
        token = bytearray(self.data(address))
        struct.pack_into("<Q", token, 64, self.balance(address) + amount)
        self.put(address, TOKEN_PROGRAM_ID, bytes(token))
        mint = bytearray(self.data(self.client.mint))
        struct.pack_into("<Q", mint, 36, self.mint().supply + amount)
        self.put(self.client.mint, TOKEN_PROGRAM_ID, bytes(mint))
        return address

    def settle(
        self, meter: Pubkey, owner: Pubkey, destination: Pubkey | None = None, zone_id: int = 0
    ) -> Sent:
        ix = self.client.settle_and_mint(meter=meter, owner=owner, zone_id=zone_id, destination=destination)
        return self.record("settle_and_mint", self.send([ix]))

    def burn(self, holder: Keypair, amount: int, token_account: Pubkey | None = None) -> Sent:
        ix = self.client.burn(holder=holder.pubkey(), amount=amount, token_account=token_account)
        return self.record("burn", self.send([ix], [holder]))

    # -- registry accounts written directly (see the module docs) ---------------------------------

    def registry_layout(self, name: str) -> Any:
        return IdlAccountLayout(load_idl_json("registry"), name)

    def put_registry_config(self, settlement_authority: Pubkey | None = None, paused: int = 0) -> Pubkey:
        """The registry Config with ``settlement_authority`` (default: energy_token's settlement PDA) and
        market-wide pause flags ``paused``."""
        pda = self.client.registry_config_pda()
        layout = self.registry_layout("Config")
        authority = settlement_authority or self.client.settlement_pda().address
        data = layout.encode(
            {
                "authority": self.payer.pubkey(),
                "settlement_authority": authority,
                "bump": pda.bump,
                "paused": paused,
            }
        )
        self.put(pda.address, self.registry_id, data)
        return pda.address

    def put_user(self, wallet: Pubkey, status: int) -> Pubkey:
        """The registry User of ``wallet`` with ``status`` (a UserStatus index: 1 = Verified)."""
        pda = self.client.registry_user_pda(wallet)
        data = self.registry_layout("User").encode({"authority": wallet, "status": status, "bump": pda.bump})
        self.put(pda.address, self.registry_id, data)
        return pda.address

    def put_zone(self, zone_id: int = 0, *, paused: int = 0) -> Pubkey:
        """The registry Zone ``zone_id`` with pause flags ``paused``."""
        pda = self.client.registry_zone_pda(zone_id)
        data = self.registry_layout("Zone").encode({"zone_id": zone_id, "bump": pda.bump, "paused": paused})
        self.put(pda.address, self.registry_id, data)
        return pda.address

    def put_meter(
        self,
        owner: Pubkey,
        *,
        produced_wh: int = 0,
        consumed_wh: int = 0,
        settled_wh: int = 0,
        serial: bytes | None = None,
        address: Pubkey | None = None,
        program: Pubkey | None = None,
        status: int = 1,
        zone_id: int = 0,
    ) -> MeterState:
        """A registry Meter of ``owner`` with the given counters, at its PDA ``["meter", serial]`` (or at
        ``address``), owned by the registry (or by ``program``)."""
        serial = serial or bytes(Keypair().pubkey())
        pda = Pubkey.find_program_address([b"meter", serial], self.registry_id)
        user = self.client.registry_user_pda(owner).address
        data = self.registry_layout("Meter").encode(
            {
                "serial": serial,
                "owner": owner,
                "user": user,
                "zone_id": zone_id,
                "status": status,
                "bump": pda[1],
                "capacity_w": 10_000,
                "produced_wh": produced_wh,
                "consumed_wh": consumed_wh,
                "settled_wh": settled_wh,
            }
        )
        address = address or pda[0]
        self.put(address, program or self.registry_id, data)
        return MeterState(address, owner, user, zone_id)

    def meter_field(self, meter: Pubkey, name: str) -> Any:
        return self.registry_layout("Meter").read(self.data(meter), name)

    def set_meter(self, meter: Pubkey, **values: Any) -> None:
        layout = self.registry_layout("Meter")
        self.put(meter, self.registry_id, layout.patch(self.data(meter), values))


def new_env(mode: str, registry_elf: bytes, energy_token_elf: bytes) -> TokenEnv:
    """A VM with both programs at their IDL addresses, loaded the ``mode`` way (on a VM that can deploy
    them, for the tests that deploy another copy)."""
    svm = new_svm(deactivate=features_blocking_deploy(registry_elf, energy_token_elf))
    payer = Keypair()
    svm.airdrop(payer.pubkey(), LAMPORTS)
    client = EnergyTokenClient()
    for name, program_id, elf in (
        ("registry", client.registry_program_id, registry_elf),
        ("energy_token", client.program_id, energy_token_elf),
    ):
        keypair = program_keypair(name)
        assert keypair.pubkey() == program_id, f"keys/{name}-keypair.json is not the IDL address"
        if mode == "add_program":
            svm.add_program(program_id, elf)
        else:
            deploy(svm, payer, elf, keypair)
    return TokenEnv(svm, payer, client, mode)


def account_index(ix_name: str, account: str) -> int:
    """Position of ``account`` in energy_token instruction ``ix_name`` (from the IDL)."""
    ix = next(i for i in load_idl_json("energy_token")["instructions"] if i["name"] == ix_name)
    return [a["name"] for a in ix["accounts"]].index(account)

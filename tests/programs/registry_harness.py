"""Test harness for the registry program in the in-process LiteSVM (used by conftest's fixtures)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from solders.account import Account
from solders.clock import Clock
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.litesvm import LiteSVM
from solders.pubkey import Pubkey
from solders.transaction_status import InstructionErrorCustom, TransactionErrorInstructionError

from solgrid.localnet.svm import Sent, TransactionFailed, send
from solgrid.sdk.registry import Config, RegistryClient, User, UserRole

REPO = Path(__file__).resolve().parents[2]
LAMPORTS = 10**12


@dataclass
class RegistryEnv:
    """One VM with the registry loaded, a funded payer (the upgrade authority when deployed) and the SDK."""

    svm: LiteSVM
    payer: Keypair
    client: RegistryClient
    mode: str
    cu: dict[str, list[int]] = field(default_factory=dict)

    @property
    def program_id(self) -> Pubkey:
        return self.client.program_id

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

    def balance(self, address: Pubkey) -> int:
        lamports = self.svm.get_balance(address)
        return lamports or 0

    def account(self, address: Pubkey) -> Account | None:
        account = self.svm.get_account(address)
        if account is None or account.lamports == 0:
            return None
        return account

    def config(self) -> Config:
        account = self.account(self.client.config_pda().address)
        assert account is not None
        return self.client.decode_config(bytes(account.data))

    def user(self, authority: Pubkey) -> User:
        account = self.account(self.client.user_pda(authority).address)
        assert account is not None
        return self.client.decode_user(bytes(account.data))

    def initialize(
        self, authority: Keypair | None = None, max_meters_per_user: int = 16, max_reading_age_secs: int = 900
    ) -> Sent:
        authority = authority or self.payer
        ix = self.client.initialize(
            payer=self.payer.pubkey(),
            authority=authority.pubkey(),
            max_meters_per_user=max_meters_per_user,
            max_reading_age_secs=max_reading_age_secs,
        )
        sent = self.send([ix], [authority])
        self.cu.setdefault("initialize", []).append(sent.program_cu(self.program_id))
        return sent

    def register(self, wallet: Keypair, role: UserRole = UserRole.PROSUMER) -> Sent:
        ix = self.client.register_user(payer=self.payer.pubkey(), authority=wallet.pubkey(), role=role)
        sent = self.send([ix], [wallet])
        self.cu.setdefault("register_user", []).append(sent.program_cu(self.program_id))
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


def program_keypair() -> Keypair:
    """The keypair of the registry's program id (published on purpose: localnet/devnet only)."""
    return Keypair.from_bytes(bytes(json.loads((REPO / "keys" / "registry-keypair.json").read_text())))

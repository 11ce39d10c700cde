"""The governance program's Config and Proposal accounts, decoded from ``idl/governance.json``.

A Proposal stores one instruction of a SolGrid program (its program, accounts and data) that the
governance program executes by CPI, signed by its ``["governance"]`` PDA, once a quorum of the
registry's *current* regulators approved it and its timelock passed. Its stored status is Open,
Executed, Cancelled or Rejected; whether it is approved, executable or expired is derived
(:mod:`solgrid.sdk.governance.standing`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey

from solgrid.sdk import loader
from solgrid.sdk.anchor import ProgramCoder
from solgrid.sdk.decoded import text, variant_index

MAX_PROPOSAL_ACCOUNTS = 24
MAX_PROPOSAL_DATA = 768
TEXT_LEN = 64
"""Bytes of the text fields (a proposal's title, a revocation's reason, a retirement's name and purpose)."""
META_WRITABLE = 1
META_SIGNER = 2
MAX_TIMELOCK_SECS_LIMIT = 30 * 24 * 3600
MAX_LIFETIME_SECS_LIMIT = 365 * 24 * 3600
MAX_CERTIFICATE_VALIDITY_SECS_LIMIT = 10 * 365 * 24 * 3600


class ProposalStatus(IntEnum):
    """A proposal's stored status (an Open proposal past its deadline is expired)."""

    OPEN = 0
    EXECUTED = 1
    CANCELLED = 2
    REJECTED = 3


@dataclass(frozen=True)
class ConfigParams:
    """The durations governance sets (``initialize``, ``update_config``). Defaults: no minimum
    timelock, proposals open for at most 30 days, certificates valid for a year."""

    min_timelock_secs: int = 0
    max_lifetime_secs: int = 30 * 24 * 3600
    certificate_validity_secs: int = 365 * 24 * 3600

    def check(self) -> ConfigParams:
        """The params, checked as the program checks them (``InvalidConfigParams``)."""
        if not 0 <= self.min_timelock_secs <= MAX_TIMELOCK_SECS_LIMIT:
            raise ValueError(f"the minimum timelock is at most 30 days, got {self.min_timelock_secs} s")
        if not self.min_timelock_secs < self.max_lifetime_secs <= MAX_LIFETIME_SECS_LIMIT:
            raise ValueError(
                "the maximum lifetime must exceed the minimum timelock and be at most 365 days, got "
                f"{self.max_lifetime_secs} s"
            )
        if not 1 <= self.certificate_validity_secs <= MAX_CERTIFICATE_VALIDITY_SECS_LIMIT:
            raise ValueError(
                f"a certificate's validity is 1 s to 10 years, got {self.certificate_validity_secs} s"
            )
        return self

    def as_args(self) -> dict[str, int]:
        return {
            "min_timelock_secs": self.min_timelock_secs,
            "max_lifetime_secs": self.max_lifetime_secs,
            "certificate_validity_secs": self.certificate_validity_secs,
        }


@dataclass(frozen=True)
class Config:
    registry_program: Pubkey
    trading_program: Pubkey
    energy_token_program: Pubkey
    proposal_count: int
    """Proposals created so far: the next proposal's id."""
    params: ConfigParams
    bump: int
    governance_bump: int
    certificates_bump: int

    @property
    def targets(self) -> list[Pubkey]:
        """The programs a proposal may target besides the governance program itself."""
        return [self.registry_program, self.trading_program, self.energy_token_program]


@dataclass(frozen=True)
class ProposalAccount:
    """One account of a proposal's instruction."""

    address: Pubkey
    writable: bool
    signer: bool

    @property
    def flags(self) -> int:
        return (META_WRITABLE if self.writable else 0) | (META_SIGNER if self.signer else 0)

    def as_args(self) -> dict[str, Any]:
        return {"address": self.address, "flags": self.flags}


@dataclass(frozen=True)
class Proposal:
    address: Pubkey
    id: int
    proposer: Pubkey
    title: str
    target_program: Pubkey
    created_at: int
    expires_at: int
    """From this Unix time on, the proposal can no longer be approved, rejected or executed."""
    timelock_secs: int
    quorum_at: int
    """When approvals of current regulators last reached the threshold from below (0: never)."""
    executed_at: int
    status: ProposalStatus
    approvals: list[Pubkey]
    """Everyone who approved, current regulators or not (only votes that count do: see
    :func:`solgrid.sdk.governance.standing.counting`)."""
    rejections: list[Pubkey]
    accounts: list[ProposalAccount]
    data: bytes
    bump: int
    approval_versions: list[int] = field(default_factory=list)
    """The registry's ``regulators_version`` when each approval was cast (parallel to ``approvals``)."""
    rejection_versions: list[int] = field(default_factory=list)
    buffer_pin: BufferPin | None = None
    """For a loader ``Upgrade``: the buffer's program bytes as pinned at ``propose`` (``execute`` refuses
    a buffer that no longer matches)."""

    def instruction(self) -> Instruction:
        """The proposed instruction as the governance program invokes it (its signer: the governance
        PDA)."""
        metas = [AccountMeta(a.address, is_signer=a.signer, is_writable=a.writable) for a in self.accounts]
        return Instruction(self.target_program, self.data, metas)

    def execute_metas(self) -> list[AccountMeta]:
        """The stored accounts as ``execute`` passes them after its fixed ones: writable as stored, never
        signers (the governance PDA signs inside the CPI)."""
        return [AccountMeta(a.address, is_signer=False, is_writable=a.writable) for a in self.accounts]


LOADER_UPGRADE_DATA = bytes([3, 0, 0, 0])
"""The upgradeable loader's ``Upgrade`` instruction data."""
PIN_OFFSET = 4
"""Where an ``Upgrade`` proposal's buffer pin sits in the stored data area (after the 4 data bytes)."""


@dataclass(frozen=True)
class BufferPin:
    """The length and SHA-256 of an ``Upgrade`` buffer's program bytes (the bytes after its 37-byte
    header; for a buffer written with ``solana program write-buffer``, the ELF file's ``sha256sum``)."""

    length: int
    sha256: bytes

    @classmethod
    def from_bytes(cls, raw: bytes) -> BufferPin:
        return cls(int.from_bytes(raw[:4], "little"), bytes(raw[4:36]))

    @classmethod
    def of_program(cls, program: bytes) -> BufferPin:
        return cls(len(program), hashlib.sha256(program).digest())


def decode_config(coder: ProgramCoder, data: bytes) -> Config:
    raw = coder.decode_account("Config", data)
    return Config(
        registry_program=raw.registry_program,
        trading_program=raw.trading_program,
        energy_token_program=raw.energy_token_program,
        proposal_count=raw.proposal_count,
        params=ConfigParams(raw.min_timelock_secs, raw.max_lifetime_secs, raw.certificate_validity_secs),
        bump=raw.bump,
        governance_bump=raw.governance_bump,
        certificates_bump=raw.certificates_bump,
    )


def decode_proposal(coder: ProgramCoder, address: Pubkey, data: bytes) -> Proposal:
    raw = coder.decode_account("Proposal", data)
    accounts = [
        ProposalAccount(a.address, bool(a.flags & META_WRITABLE), bool(a.flags & META_SIGNER))
        for a in raw.accounts[: min(raw.account_count, MAX_PROPOSAL_ACCOUNTS)]
    ]
    stored = bytes(raw.data)
    instruction_data = stored[: min(raw.data_len, MAX_PROPOSAL_DATA)]
    pin = None
    if raw.target_program == loader.LOADER_V3 and instruction_data == LOADER_UPGRADE_DATA:
        pin = BufferPin.from_bytes(stored[PIN_OFFSET : PIN_OFFSET + 36])
    return Proposal(
        address=address,
        id=raw.id,
        proposer=raw.proposer,
        title=text(raw.title),
        target_program=raw.target_program,
        created_at=raw.created_at,
        expires_at=raw.expires_at,
        timelock_secs=raw.timelock_secs,
        quorum_at=raw.quorum_at,
        executed_at=raw.executed_at,
        status=ProposalStatus(variant_index(raw.status)),
        approvals=list(raw.approvals[: raw.approval_count]),
        rejections=list(raw.rejections[: raw.rejection_count]),
        accounts=accounts,
        data=instruction_data,
        bump=raw.bump,
        approval_versions=list(raw.approval_versions[: raw.approval_count]),
        rejection_versions=list(raw.rejection_versions[: raw.rejection_count]),
        buffer_pin=pin,
    )

"""Test harness for the governance program in the in-process LiteSVM, next to the programs it governs.

:class:`GovernanceEnv` extends the trading harness (a registry market with three regulators of threshold
2, zone ZONE_ID, both mints and trading's Config) with energy_token and the governance program, loaded
at their IDL addresses (governance by ``add_program`` or deployed through BPFLoaderUpgradeable with the
payer as upgrade authority). :meth:`GovernanceEnv.setup` initialises governance and names it the
registry's governance (``set_governance``, co-signed by the registry authority and a quorum): from then
on privileged registry and trading actions take the governance PDA, i.e. an executed proposal.

Instructions are built from ``idl/governance.json`` through anchorpy's coder (as every SolGrid client
builds them), and a proposal's instruction is any SDK-built instruction whose signer is the governance
PDA: :func:`proposal_accounts` turns its account metas into the stored ``ProposalAccount`` list.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from anchorpy.program.common import Event
from registry_harness import REPO, RegistryEnv
from solders.account import Account
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from trading_harness import KeyedSent, TradingEnv

from solgrid.localnet.svm import Sent
from solgrid.sdk.anchor import ProgramCoder
from solgrid.sdk.governance.accounts import LOADER_UPGRADE_DATA
from solgrid.sdk.idl import load_idl, load_idl_json
from solgrid.sdk.pda import Pda, find_pda
from solgrid.sdk.registry import Limits

IDL = load_idl_json("governance")
PROGRAM_ID = Pubkey.from_string(IDL["address"])
ERRORS: dict[str, int] = {e["name"]: e["code"] for e in IDL["errors"]}
SYSTEM_PROGRAM = Pubkey.from_string("11111111111111111111111111111111")
LOADER_V3 = Pubkey.from_string("BPFLoaderUpgradeab1e11111111111111111111111")
WRITABLE = 1
SIGNER = 2
HOUR = 3600
DAY = 24 * HOUR


def code(name: str) -> int:
    """The governance IDL's code of error ``name``."""
    return ERRORS[name]


def governance_keypair() -> Keypair:
    """The keypair of the governance program id (published on purpose: localnet/devnet only)."""
    return Keypair.from_bytes(bytes(json.loads((REPO / "keys" / "governance-keypair.json").read_text())))


@dataclass(frozen=True)
class Params:
    """``ConfigParams``: the durations governance sets."""

    min_timelock_secs: int = 0
    max_lifetime_secs: int = 7 * DAY
    certificate_validity_secs: int = 365 * DAY


def proposal_accounts(ix: Instruction) -> list[dict[str, Any]]:
    """The ``ProposalAccount`` list of ``ix``: its metas in order, flags 1 writable | 2 signer."""
    return [
        {"address": m.pubkey, "flags": (WRITABLE if m.is_writable else 0) | (SIGNER if m.is_signer else 0)}
        for m in ix.accounts
    ]


@dataclass
class GovernanceEnv:
    """Registry, energy_token, trading and governance in one VM (see the module docstring)."""

    trading: TradingEnv
    mode: str = "add_program"
    coder: ProgramCoder = field(default_factory=lambda: ProgramCoder(load_idl("governance"), PROGRAM_ID))
    cu: dict[str, list[int]] = field(default_factory=dict)

    # -- plumbing --------------------------------------------------------------------------------

    @property
    def registry(self) -> RegistryEnv:
        return self.trading.registry

    @property
    def svm(self):  # type: ignore[no-untyped-def]
        return self.registry.svm

    @property
    def payer(self) -> Keypair:
        return self.registry.payer

    @property
    def program_id(self) -> Pubkey:
        return PROGRAM_ID

    @property
    def regulators(self) -> list[Keypair]:
        return self.registry.regulators

    def send(self, instructions: Sequence[Instruction], signers: Sequence[Keypair] = ()) -> KeyedSent:
        return self.trading.send(instructions, signers)

    def fail(self, instructions: Sequence[Instruction], signers: Sequence[Keypair] = ()) -> int:
        """Sends a transaction that must fail in its last instruction with a custom error; returns it."""
        return self.registry.fail(instructions, signers)

    def record(self, name: str, sent: Sent) -> Sent:
        self.cu.setdefault(name, []).append(sent.program_cu(self.program_id))
        return sent

    def events(self, sent: Sent) -> list[Event]:
        """The governance events the transaction logged."""
        return self.coder.events(sent.logs)

    def now(self) -> int:
        return self.registry.now()

    def warp(self, seconds: int) -> None:
        self.registry.set_unix_time(self.now() + seconds)

    # -- addresses and accounts ------------------------------------------------------------------

    def config_pda(self) -> Pda:
        return find_pda([b"config"], PROGRAM_ID)

    def governance_pda(self) -> Pda:
        return find_pda([b"governance"], PROGRAM_ID)

    def certificates_pda(self) -> Pda:
        return find_pda([b"certificates"], PROGRAM_ID)

    def proposal_pda(self, proposal_id: int) -> Pda:
        return find_pda([b"proposal", proposal_id.to_bytes(8, "little")], PROGRAM_ID)

    def registry_config(self) -> Pubkey:
        return self.registry.client.config_pda().address

    def account(self, address: Pubkey) -> Account | None:
        return self.registry.account(address)

    def config(self) -> Any:
        return self.coder.decode_account("Config", self.registry.data(self.config_pda().address))

    def proposal(self, address: Pubkey) -> Any:
        return self.coder.decode_account("Proposal", self.registry.data(address))

    def status(self, address: Pubkey) -> str:
        """The proposal's stored status name (``Open``, ``Executed``, ``Cancelled``, ``Rejected``)."""
        return type(self.proposal(address).status).__name__

    # -- configuration ---------------------------------------------------------------------------

    def initialize_ix(
        self,
        authority: Pubkey | None = None,
        params: Params | None = None,
        programs: Sequence[Pubkey] | None = None,
    ) -> Instruction:
        registry, trading, token = programs or (
            self.registry.program_id,
            self.trading.client.program_id,
            self.token_program_id(),
        )
        return self.coder.instruction(
            "initialize",
            {"params": (params or Params()).__dict__},
            {
                "payer": self.payer.pubkey(),
                "authority": authority or self.payer.pubkey(),
                "config": self.config_pda().address,
                "program": PROGRAM_ID,
                "program_data": Pubkey.find_program_address([bytes(PROGRAM_ID)], LOADER_V3)[0],
                "system_program": SYSTEM_PROGRAM,
                "registry_program": registry,
                "trading_program": trading,
                "energy_token_program": token,
            },
        )

    def token_program_id(self) -> Pubkey:
        return Pubkey.from_string(load_idl_json("energy_token")["address"])

    def initialize(self, params: Params | None = None) -> Sent:
        return self.record("initialize", self.send([self.initialize_ix(params=params)]))

    def update_config_ix(self, params: Params, governance: Pubkey | None = None) -> Instruction:
        return self.coder.instruction(
            "update_config",
            {"params": params.__dict__},
            {"governance": governance or self.governance_pda().address, "config": self.config_pda().address},
        )

    def set_governance(self) -> Sent:
        """Names this program the registry's governance: the registry authority and a quorum co-sign."""
        quorum = self.registry.quorum()
        ix = self.registry.client.set_governance(
            governance_program=PROGRAM_ID, cosigners=[self.payer.pubkey(), *[r.pubkey() for r in quorum]]
        )
        return self.send([ix], quorum)

    def setup(self, params: Params | None = None, governed: bool = True) -> None:
        """The trading harness's market, governance initialised, and (``governed``) set in the registry."""
        self.trading.setup()
        self.initialize(params)
        if governed:
            self.set_governance()

    # -- proposals -------------------------------------------------------------------------------

    def propose_ix(
        self,
        proposer: Pubkey,
        target: Instruction,
        *,
        title: str | bytes = "proposal",
        timelock_secs: int = 0,
        lifetime_secs: int = DAY,
        target_program: Pubkey | None = None,
        accounts: list[dict[str, Any]] | None = None,
        data: bytes | None = None,
        proposal_id: int | None = None,
        bump: int | None = None,
        extra: Sequence[AccountMeta] | None = None,
    ) -> tuple[Instruction, Pubkey]:
        """``propose`` of ``target`` (its program, accounts and data unless overridden); returns the
        instruction and the new proposal's address (the Config's next id unless ``proposal_id``; its
        canonical bump unless ``bump``). ``extra``: accounts after propose's own (default: for a loader
        ``Upgrade``, its buffer, as the SDK passes it)."""
        proposal_id = self.config().proposal_count if proposal_id is None else proposal_id
        pda = self.proposal_pda(proposal_id)
        proposal = pda.address
        ix = self.coder.instruction(
            "propose",
            {
                "target_program": target.program_id if target_program is None else target_program,
                "timelock_secs": timelock_secs,
                "lifetime_secs": lifetime_secs,
                "title": title if isinstance(title, str) else title.decode("latin-1"),
                "accounts": proposal_accounts(target) if accounts is None else accounts,
                "data": bytes(target.data) if data is None else data,
                "bump": pda.bump if bump is None else bump,
            },
            {
                "proposer": proposer,
                "config": self.config_pda().address,
                "registry_config": self.registry_config(),
                "proposal": proposal,
                "system_program": SYSTEM_PROGRAM,
            },
        )
        if extra is None:
            upgrade = target.program_id == LOADER_V3 and bytes(target.data) == LOADER_UPGRADE_DATA
            extra = [AccountMeta(target.accounts[2].pubkey, False, False)] if upgrade else []
        if extra:
            ix = Instruction(ix.program_id, bytes(ix.data), [*ix.accounts, *extra])
        return ix, proposal

    def propose(self, proposer: Keypair, target: Instruction, **options: Any) -> Pubkey:
        ix, proposal = self.propose_ix(proposer.pubkey(), target, **options)
        self.record("propose", self.send([ix], [proposer]))
        return proposal

    def _vote_ix(self, name: str, regulator: Pubkey, proposal: Pubkey) -> Instruction:
        return self.coder.instruction(
            name,
            {},
            {
                "regulator": regulator,
                "config": self.config_pda().address,
                "registry_config": self.registry_config(),
                "proposal": proposal,
            },
        )

    def approve_ix(self, regulator: Pubkey, proposal: Pubkey) -> Instruction:
        return self._vote_ix("approve", regulator, proposal)

    def reject_ix(self, regulator: Pubkey, proposal: Pubkey) -> Instruction:
        return self._vote_ix("reject", regulator, proposal)

    def approve(self, regulator: Keypair, proposal: Pubkey) -> Sent:
        return self.record("approve", self.send([self.approve_ix(regulator.pubkey(), proposal)], [regulator]))

    def reject(self, regulator: Keypair, proposal: Pubkey) -> Sent:
        return self.record("reject", self.send([self.reject_ix(regulator.pubkey(), proposal)], [regulator]))

    def record_quorum_ix(self, proposal: Pubkey) -> Instruction:
        return self.coder.instruction(
            "record_quorum",
            {},
            {
                "config": self.config_pda().address,
                "registry_config": self.registry_config(),
                "proposal": proposal,
            },
        )

    def record_quorum(self, proposal: Pubkey) -> Sent:
        return self.record("record_quorum", self.send([self.record_quorum_ix(proposal)]))

    def stored_metas(self, proposal: Pubkey) -> list[AccountMeta]:
        """The proposal's stored accounts as the outer transaction passes them: writable as stored, no
        signer (the governance PDA signs inside the CPI)."""
        stored = self.proposal(proposal)
        return [
            AccountMeta(a.address, is_signer=False, is_writable=bool(a.flags & WRITABLE))
            for a in stored.accounts[: stored.account_count]
        ]

    def execute_ix(
        self,
        proposal: Pubkey,
        metas: Sequence[AccountMeta] | None = None,
        target_program: Pubkey | None = None,
        governance: Pubkey | None = None,
    ) -> Instruction:
        """``execute`` of ``proposal`` with its stored accounts (or ``metas``) after the fixed ones."""
        if target_program is None:
            target_program = self.proposal(proposal).target_program
        ix = self.coder.instruction(
            "execute",
            {},
            {
                "proposal": proposal,
                "config": self.config_pda().address,
                "registry_config": self.registry_config(),
                "governance": governance or self.governance_pda().address,
                "target_program": target_program,
            },
        )
        remaining = self.stored_metas(proposal) if metas is None else list(metas)
        return Instruction(ix.program_id, bytes(ix.data), [*ix.accounts, *remaining])

    def execute(self, proposal: Pubkey) -> KeyedSent:
        sent = self.send([self.execute_ix(proposal)])
        self.record("execute", sent)
        return sent

    def cancel_ix(self, authority: Pubkey, proposal: Pubkey, cosigners: Sequence[Pubkey] = ()) -> Instruction:
        ix = self.coder.instruction(
            "cancel",
            {},
            {
                "authority": authority,
                "config": self.config_pda().address,
                "registry_config": self.registry_config(),
                "proposal": proposal,
            },
        )
        extra = [AccountMeta(c, is_signer=True, is_writable=False) for c in cosigners]
        return Instruction(ix.program_id, bytes(ix.data), [*ix.accounts, *extra])

    def close_ix(self, proposal: Pubkey, proposer: Pubkey) -> Instruction:
        return self.coder.instruction("close_proposal", {}, {"proposal": proposal, "proposer": proposer})

    def approved(
        self, target: Instruction, approvers: Sequence[Keypair] | None = None, **options: Any
    ) -> Pubkey:
        """Proposes ``target`` (by the first regulator) and has ``approvers`` (default: a quorum)
        approve it, each in its own transaction."""
        proposal = self.propose(self.regulators[0], target, **options)
        for regulator in self.registry.quorum() if approvers is None else approvers:
            self.approve(regulator, proposal)
        return proposal

    def enact(self, target: Instruction, **options: Any) -> KeyedSent:
        """Proposes ``target``, approves it by a quorum in separate transactions and executes it."""
        return self.execute(self.approved(target, **options))

    # -- what proposals commonly carry -------------------------------------------------------------

    def gov(self) -> list[Pubkey]:
        """The cosigner list of a privileged action once governance is set: the governance PDA alone."""
        return [self.governance_pda().address]

    def update_limits_ix(self, limits: Limits, cosigners: Sequence[Pubkey] | None = None) -> Instruction:
        return self.registry.client.update_limits(
            limits=limits, cosigners=self.gov() if cosigners is None else cosigners
        )

    def set_regulators_ix(self, regulators: Sequence[Pubkey], threshold: int) -> Instruction:
        return self.registry.client.set_regulators(
            regulators=list(regulators), threshold=threshold, cosigners=self.gov()
        )

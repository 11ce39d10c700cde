"""Typed client of the governance program's configuration and proposals: PDAs, instruction builders,
account reads and events. Certificates, the program's other half, are :mod:`solgrid.sdk.certificates`.

PDAs (under the governance program):

* Config ``["config"]``; Proposal ``["proposal", id u64 LE]`` (ids count from 0, ``Config.proposal_count``
  is the next one);
* the governance authority ``["governance"]``: it signs the CPI of every executed proposal, and once the
  registry names this program its governance (``set_governance``) it alone performs privileged registry
  and trading actions;
* the certificates authority ``["certificates"]``: it signs only the registry's ``certify_meter``.

A proposal carries one instruction of a SolGrid program whose only signer is the governance PDA:
build it with the usual SDK builder, passing the governance PDA as the cosigner (and as the payer where
the instruction creates accounts: the PDA then pays their rent, so fund it), or turn any built
instruction into one with :func:`solgrid.sdk.governance.actions.governed`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import base58
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Commitment, Confirmed
from solana.rpc.types import MemcmpOpts
from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey
from solders.system_program import ID as SYSTEM_PROGRAM_ID

from solgrid.sdk import loader
from solgrid.sdk.anchor import AccountDecodeError, ProgramCoder
from solgrid.sdk.governance.accounts import (
    LOADER_UPGRADE_DATA,
    MAX_PROPOSAL_ACCOUNTS,
    MAX_PROPOSAL_DATA,
    TEXT_LEN,
    Config,
    ConfigParams,
    Proposal,
    ProposalAccount,
    ProposalStatus,
    decode_config,
    decode_proposal,
)
from solgrid.sdk.governance.events import GovernanceEvent, decode_event
from solgrid.sdk.idl import account_field_offset, load_idl
from solgrid.sdk.pda import Pda, find_pda

PROGRAM_NAME = "governance"
CONFIG_SEED = b"config"
GOVERNANCE_SEED = b"governance"
CERTIFICATES_SEED = b"certificates"
PROPOSAL_SEED = b"proposal"
REGISTRY_CONFIG_SEED = b"config"


def idl_address(program: str) -> Pubkey:
    """The address ``idl/<program>.json`` names."""
    address = load_idl(program).address
    if address is None:
        raise ValueError(f"the {program} IDL has no address; pass the program id")
    return Pubkey.from_string(address)


def text_arg(text: str, what: str) -> str:
    """``text`` checked as the program checks a text argument: at most 64 bytes of UTF-8."""
    size = len(text.encode())
    if size > TEXT_LEN:
        raise ValueError(f"{what} is at most {TEXT_LEN} bytes of UTF-8, got {size}")
    return text


class GovernanceClient:
    """Builds the governance program's configuration and proposal instructions and reads its accounts.

    ``registry_program_id`` is the registry whose regulators govern (default: the registry IDL's
    address)."""

    def __init__(self, program_id: Pubkey | None = None, registry_program_id: Pubkey | None = None) -> None:
        self.program_id = program_id or idl_address(PROGRAM_NAME)
        self.registry_program_id = registry_program_id or idl_address("registry")
        self.coder = ProgramCoder(load_idl(PROGRAM_NAME), self.program_id)

    # -- addresses ---------------------------------------------------------------------------------

    def config_pda(self) -> Pda:
        return find_pda([CONFIG_SEED], self.program_id)

    def governance_pda(self) -> Pda:
        """The authority that signs executed proposals (the registry's governance PDA)."""
        return find_pda([GOVERNANCE_SEED], self.program_id)

    def certificates_pda(self) -> Pda:
        return find_pda([CERTIFICATES_SEED], self.program_id)

    def proposal_pda(self, proposal_id: int) -> Pda:
        return find_pda([PROPOSAL_SEED, proposal_id.to_bytes(8, "little")], self.program_id)

    def registry_config(self) -> Pubkey:
        return find_pda([REGISTRY_CONFIG_SEED], self.registry_program_id).address

    # -- configuration -----------------------------------------------------------------------------

    def initialize(
        self,
        *,
        payer: Pubkey,
        authority: Pubkey,
        params: ConfigParams,
        trading_program: Pubkey | None = None,
        energy_token_program: Pubkey | None = None,
    ) -> Instruction:
        """Creates the Config (``authority``, the program's upgrade authority, signs), naming the registry,
        trading and energy_token programs a proposal may target (defaults: their IDL addresses)."""
        return self.coder.instruction(
            "initialize",
            {"params": params.check().as_args()},
            {
                "payer": payer,
                "authority": authority,
                "config": self.config_pda().address,
                "program": self.program_id,
                "program_data": loader.programdata_address(self.program_id),
                "system_program": SYSTEM_PROGRAM_ID,
                "registry_program": self.registry_program_id,
                "trading_program": trading_program or idl_address("trading"),
                "energy_token_program": energy_token_program or idl_address("energy_token"),
            },
        )

    def update_config(self, *, params: ConfigParams) -> Instruction:
        """Replaces the durations; signed by the governance PDA, so only through a proposal."""
        return self.coder.instruction(
            "update_config",
            {"params": params.check().as_args()},
            {"governance": self.governance_pda().address, "config": self.config_pda().address},
        )

    # -- proposals ---------------------------------------------------------------------------------

    def propose(
        self,
        *,
        proposer: Pubkey,
        proposal_id: int,
        action: Instruction,
        title: str,
        timelock_secs: int,
        lifetime_secs: int,
    ) -> Instruction:
        """Proposes ``action`` as proposal ``proposal_id`` (the Config's ``proposal_count`` when sent;
        ``proposer``, a current regulator, signs and pays the account's rent; the proposal's canonical
        bump goes with the arguments). The proposer's approval is not implied: add :meth:`approve` to
        the same transaction to give it. A loader ``Upgrade`` also passes its buffer (which the program
        reads and pins: its authority must already be the governance PDA)."""
        if len(action.accounts) > MAX_PROPOSAL_ACCOUNTS:
            raise ValueError(f"a proposal's instruction takes at most {MAX_PROPOSAL_ACCOUNTS} accounts")
        if len(action.data) > MAX_PROPOSAL_DATA:
            raise ValueError(f"a proposal's instruction data is at most {MAX_PROPOSAL_DATA} bytes")
        governance = self.governance_pda().address
        for meta in action.accounts:
            if meta.is_signer and meta.pubkey != governance:
                raise ValueError(
                    f"{meta.pubkey} signs the proposed instruction: an executed proposal can only be signed "
                    f"by the governance PDA {governance}"
                )
        accounts = [ProposalAccount(m.pubkey, m.is_writable, m.is_signer) for m in action.accounts]
        proposal = self.proposal_pda(proposal_id)
        ix = self.coder.instruction(
            "propose",
            {
                "target_program": action.program_id,
                "timelock_secs": timelock_secs,
                "lifetime_secs": lifetime_secs,
                "title": text_arg(title, "a proposal's title"),
                "accounts": [a.as_args() for a in accounts],
                "data": bytes(action.data),
                "bump": proposal.bump,
            },
            {
                "proposer": proposer,
                "config": self.config_pda().address,
                "registry_config": self.registry_config(),
                "proposal": proposal.address,
                "system_program": SYSTEM_PROGRAM_ID,
            },
        )
        if (
            action.program_id == loader.LOADER_V3
            and bytes(action.data) == LOADER_UPGRADE_DATA
            and len(action.accounts) > 2
        ):
            buffer = AccountMeta(action.accounts[2].pubkey, is_signer=False, is_writable=False)
            return Instruction(ix.program_id, bytes(ix.data), [*ix.accounts, buffer])
        return ix

    def _vote(self, name: str, regulator: Pubkey, proposal_id: int) -> Instruction:
        return self.coder.instruction(
            name,
            {},
            {
                "regulator": regulator,
                "config": self.config_pda().address,
                "registry_config": self.registry_config(),
                "proposal": self.proposal_pda(proposal_id).address,
            },
        )

    def approve(self, *, regulator: Pubkey, proposal_id: int) -> Instruction:
        return self._vote("approve", regulator, proposal_id)

    def reject(self, *, regulator: Pubkey, proposal_id: int) -> Instruction:
        return self._vote("reject", regulator, proposal_id)

    def execute(self, proposal: Proposal) -> Instruction:
        """Executes ``proposal`` (anyone may): the fixed accounts, then the proposal's stored ones."""
        ix = self.coder.instruction(
            "execute",
            {},
            {
                "proposal": proposal.address,
                "config": self.config_pda().address,
                "registry_config": self.registry_config(),
                "governance": self.governance_pda().address,
                "target_program": proposal.target_program,
            },
        )
        return Instruction(ix.program_id, bytes(ix.data), [*ix.accounts, *proposal.execute_metas()])

    def record_quorum(self, *, proposal_id: int) -> Instruction:
        """Records the quorum of an open proposal whose approvals that count reach the registry's current
        threshold although no approval recorded it (the regulator set or threshold changed after the
        votes): its timelock runs from now. Anyone may send it; nobody signs but the fee payer."""
        return self.coder.instruction(
            "record_quorum",
            {},
            {
                "config": self.config_pda().address,
                "registry_config": self.registry_config(),
                "proposal": self.proposal_pda(proposal_id).address,
            },
        )

    def cancel(self, *, authority: Pubkey, proposal_id: int, cosigners: Sequence[Pubkey] = ()) -> Instruction:
        """Cancels an open proposal: ``authority`` is its proposer, the governance PDA (a cancel executed
        as another proposal), or, only while the registry names no governance program, a current
        regulator whom ``cosigners`` (regulators) join to a quorum."""
        ix = self.coder.instruction(
            "cancel",
            {},
            {
                "authority": authority,
                "config": self.config_pda().address,
                "registry_config": self.registry_config(),
                "proposal": self.proposal_pda(proposal_id).address,
            },
        )
        extra = [AccountMeta(c, is_signer=True, is_writable=False) for c in cosigners if c != authority]
        return Instruction(ix.program_id, bytes(ix.data), [*ix.accounts, *extra])

    def close_proposal(self, *, proposal_id: int, proposer: Pubkey) -> Instruction:
        """Closes a final proposal (executed, cancelled, rejected or expired; anyone may): its rent goes
        back to ``proposer``."""
        return self.coder.instruction(
            "close_proposal",
            {},
            {"proposal": self.proposal_pda(proposal_id).address, "proposer": proposer},
        )

    # -- certificates by quorum ----------------------------------------------------------------------

    def revoke_certificate(
        self, *, certificate: Pubkey, reason: str, cosigners: Sequence[Pubkey]
    ) -> Instruction:
        """Revokes a certificate with ``reason`` (1 to 64 bytes of UTF-8): a pending or valid one, or a
        requested one whatever its status but revoked (a retired or expired one keeps it; its lineage is
        revoked). ``cosigners``:
        the governance PDA (the instruction of a proposal); the registry's threshold of current
        regulators signing together only while the registry names no governance program (the program
        refuses them with ``NotGovernance`` once it does). Revoking a requested certificate reaches
        every certificate split from it; a split child with children of its own is refused
        (``HasSplitChildren``)."""
        if not reason:
            raise ValueError("a revocation needs a reason")
        ix = self.coder.instruction(
            "revoke_certificate",
            {"reason": text_arg(reason, "a revocation's reason")},
            {
                "config": self.config_pda().address,
                "registry_config": self.registry_config(),
                "certificate": certificate,
            },
        )
        extra = [AccountMeta(c, is_signer=True, is_writable=False) for c in dict.fromkeys(cosigners)]
        return Instruction(ix.program_id, bytes(ix.data), [*ix.accounts, *extra])

    # -- accounts ----------------------------------------------------------------------------------

    def decode_config(self, data: bytes) -> Config:
        return decode_config(self.coder, data)

    def decode_proposal(self, address: Pubkey, data: bytes) -> Proposal:
        return decode_proposal(self.coder, address, data)

    async def fetch_account_data(
        self, connection: AsyncClient, address: Pubkey, commitment: Commitment = Confirmed
    ) -> bytes | None:
        """The data of the program's account at ``address``, or None when there is no account there
        (:class:`AccountDecodeError` when another program owns it)."""
        account = (await connection.get_account_info(address, commitment=commitment)).value
        if account is None:
            return None
        if account.owner != self.program_id:
            raise AccountDecodeError(
                f"{address} is owned by {account.owner}, not the governance program {self.program_id}"
            )
        return bytes(account.data)

    async def fetch_config(
        self, connection: AsyncClient, commitment: Commitment = Confirmed
    ) -> Config | None:
        """The Config, or None before ``initialize``."""
        data = await self.fetch_account_data(connection, self.config_pda().address, commitment)
        return None if data is None else self.decode_config(data)

    async def fetch_proposal(
        self, connection: AsyncClient, proposal_id: int, commitment: Commitment = Confirmed
    ) -> Proposal | None:
        """Proposal ``proposal_id``, or None (never created, or closed)."""
        address = self.proposal_pda(proposal_id).address
        data = await self.fetch_account_data(connection, address, commitment)
        return None if data is None else self.decode_proposal(address, data)

    async def fetch_proposals(
        self,
        connection: AsyncClient,
        commitment: Commitment = Confirmed,
        *,
        status: ProposalStatus | None = None,
        proposer: Pubkey | None = None,
    ) -> list[Proposal]:
        """Every proposal account still open (not closed), by id; with ``status`` or ``proposer`` only
        those (``getProgramAccounts`` filtered on the discriminator and the fields, whose offsets come
        from the IDL)."""
        fields = {
            "status": None if status is None else bytes([status]),
            "proposer": None if proposer is None else bytes(proposer),
        }
        found = await self.fetch_accounts(connection, "Proposal", fields, commitment)
        proposals = [self.decode_proposal(address, data) for address, data in found]
        return sorted(proposals, key=lambda p: p.id)

    async def fetch_accounts(
        self,
        connection: AsyncClient,
        account: str,
        fields: Mapping[str, bytes | None],
        commitment: Commitment = Confirmed,
    ) -> list[tuple[Pubkey, bytes]]:
        """Address and data of every ``account`` (an IDL account name) of the program whose fields hold
        the bytes given (``None``: any value): ``getProgramAccounts`` with ``memcmp`` filters on the
        discriminator and those fields, whose offsets come from the IDL."""
        discriminator = self.coder.account_discriminator(account)
        filters: list[int | MemcmpOpts] = [
            MemcmpOpts(offset=0, bytes=base58.b58encode(discriminator).decode())
        ]
        for field, value in fields.items():
            if value is not None:
                offset = account_field_offset(PROGRAM_NAME, account, field)
                filters.append(MemcmpOpts(offset=offset, bytes=base58.b58encode(value).decode()))
        reply = await connection.get_program_accounts(
            self.program_id, commitment=commitment, encoding="base64", filters=filters
        )
        return [(item.pubkey, bytes(item.account.data)) for item in reply.value]

    # -- events ------------------------------------------------------------------------------------

    def events(self, logs: Sequence[str]) -> list[GovernanceEvent]:
        """The program's configuration and proposal events in a transaction's log messages, in order
        (its certificate events: :meth:`solgrid.sdk.certificates.CertificatesClient.events`)."""
        decoded = (decode_event(event.name, event.data) for event in self.coder.events(logs))
        return [event for event in decoded if event is not None]

"""Who made a change whose event does not say: the signers of the instruction that emitted it.

``Resumed`` (a resume takes a quorum) and ``CertificateRevoked`` (so does a revocation) name nobody:
the instruction's co-signers are its accounts after those its IDL lists, and they are either the
regulators who signed the transaction, or the governance program's ``["governance"]`` PDA when an
executed proposal made the call (the PDA signs the CPI; nothing else can). So the emitting
instruction is found in the transaction's execution (the k-th instruction of that program and kind
under the event's top-level instruction is the one that emitted the k-th such event: each emits one,
and they never nest), and its co-signers are kept if the transaction or the governance program
signed for them. An executed proposal is the ``ProposalExecuted`` that follows the event in the same
top-level instruction (``execute`` emits it after its CPI returns).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from solders.pubkey import Pubkey

from solgrid.indexer.decode import DecodedEvent
from solgrid.indexer.recover import ExecutedInstruction, Execution
from solgrid.sdk.anchor import DISCRIMINATOR_LEN, ProgramCoder
from solgrid.sdk.registry_governance import governance_pdas

EMITTED_BY: Mapping[str, frozenset[str]] = {
    "Paused": frozenset({"pause_market", "pause_zone"}),
    "Resumed": frozenset({"resume_market", "resume_zone"}),
    "CertificateRevoked": frozenset({"revoke_certificate"}),
}
"""The instructions that emit each event this module is asked about."""


@dataclass(frozen=True)
class Authority:
    by: str | None = None
    """The single actor: the governance PDA when an executed proposal made the change."""
    cosigners: tuple[str, ...] | None = None
    """The regulators who co-signed it without a proposal (None: by the governance PDA, or unknown)."""
    proposal: str | None = None
    """The executed proposal that made the change."""


class AuthorityReader:
    """Reads :class:`Authority` from transactions, for the programs of ``coders``; ``governance`` is the
    governance program's id (None: proposals are not followed)."""

    def __init__(self, coders: Iterable[ProgramCoder], governance: str | None) -> None:
        self._coders = {str(c.program_id): c for c in coders}
        self._fixed = {
            (str(c.program_id), ix.name): len(ix.accounts)
            for c in self._coders.values()
            for ix in c.idl.instructions
        }
        self.governance = governance
        self.governance_pda = (
            None
            if governance is None
            else str(governance_pdas(Pubkey.from_string(governance)).governance.address)
        )

    def of(
        self, event: DecodedEvent, events: Sequence[DecodedEvent], execution: Execution | None
    ) -> Authority:
        """The authority of ``event``, one of ``events`` (its transaction's, by position)."""
        proposal = self.proposal_of(event, events)
        names = EMITTED_BY.get(event.name)
        if execution is None or names is None:
            return Authority(proposal=proposal)
        earlier = sum(
            1
            for e in events
            if e.instruction_index == event.instruction_index
            and e.program == event.program
            and e.name == event.name
            and e.event_index < event.event_index
        )
        emitters = [
            ix
            for ix in execution.instructions
            if ix.index == event.instruction_index and ix.program == event.program and self._name(ix) in names
        ]
        if earlier >= len(emitters):
            return Authority(proposal=proposal)
        ix = emitters[earlier]
        fixed = self._fixed.get((ix.program, self._name(ix) or ""), len(ix.accounts))
        signed = set(execution.signers)
        cosigners = [a for a in dict.fromkeys(ix.accounts[fixed:]) if a in signed or a == self.governance_pda]
        if self.governance_pda is not None and self.governance_pda in cosigners:
            return Authority(by=self.governance_pda, proposal=proposal)
        return Authority(cosigners=tuple(cosigners), proposal=proposal)

    def proposal_of(self, event: DecodedEvent, events: Sequence[DecodedEvent]) -> str | None:
        """The proposal whose execution emitted ``event`` (None: no proposal did)."""
        if self.governance is None:
            return None
        for e in events:
            if (
                e.program == self.governance
                and e.name == "ProposalExecuted"
                and e.instruction_index == event.instruction_index
                and e.event_index > event.event_index
            ):
                proposal = e.data.get("proposal")
                return proposal if isinstance(proposal, str) else None
        return None

    def _name(self, ix: ExecutedInstruction) -> str | None:
        coder = self._coders.get(ix.program)
        if coder is None:
            return None
        name: str | None = coder.coder.instruction.sighash_to_name.get(ix.data[:DISCRIMINATOR_LEN])
        return name

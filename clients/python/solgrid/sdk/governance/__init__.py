"""SDK of the governance program's configuration and proposals: instructions and reads
(:mod:`.client`), accounts (:mod:`.accounts`), where a proposal stands (:mod:`.standing`), the
privileged actions a proposal carries (:mod:`.actions`; the programs' upgrade authorities:
:mod:`.upgrade_authority`) and events (:mod:`.events`). Certificates,
the same program's other half: :mod:`solgrid.sdk.certificates`."""

from solgrid.sdk.governance.accounts import (
    Config,
    ConfigParams,
    Proposal,
    ProposalAccount,
    ProposalStatus,
)
from solgrid.sdk.governance.actions import Action, GovernedActions, describe, describe_proposal, governed
from solgrid.sdk.governance.client import GovernanceClient
from solgrid.sdk.governance.events import (
    GovernanceConfigUpdated,
    GovernanceEvent,
    GovernanceInitialized,
    ProposalCancelled,
    ProposalClosed,
    ProposalCreated,
    ProposalExecuted,
    QuorumRecorded,
    VoteCast,
)
from solgrid.sdk.governance.standing import (
    ProposalFinal,
    ProposalNotExecutable,
    ProposalState,
    Standing,
    require_executable,
    require_open,
    standing,
)

__all__ = [
    "Action",
    "Config",
    "ConfigParams",
    "GovernanceClient",
    "GovernanceConfigUpdated",
    "GovernanceEvent",
    "GovernanceInitialized",
    "GovernedActions",
    "Proposal",
    "ProposalAccount",
    "ProposalCancelled",
    "ProposalClosed",
    "ProposalCreated",
    "ProposalExecuted",
    "ProposalFinal",
    "ProposalNotExecutable",
    "ProposalState",
    "ProposalStatus",
    "QuorumRecorded",
    "Standing",
    "VoteCast",
    "describe",
    "describe_proposal",
    "governed",
    "require_executable",
    "require_open",
    "standing",
]

"""Rebuilds the events a log truncation removed, from what the transaction itself proves.

A truncated transaction's logs end at the cut (see :mod:`solgrid.indexer.decode`), but
``getTransaction`` still returns every instruction that ran: the message's top-level instructions and,
in ``meta.innerInstructions``, every CPI with its stack height, all with their accounts and data, plus
the token balances with each token account's owner. The SolGrid programs emit their events at the end
of each instruction, after the CPIs it makes, so the events of a top-level instruction are, in order,
those of its instruction tree walked children first (post-order). For each of our instructions the
IDL (through the anchorpy coders) decodes the data, and:

``submit_readings(readings)`` (registry)
    one ``ReadingAccepted`` per reading: ``meter`` is account ``2 + 3i``, ``window_start``,
    ``production_wh`` and ``consumption_wh`` are the reading's, ``window_end`` is ``window_start +
    window_secs``. The cumulative ``produced_wh`` / ``consumed_wh`` are not in the transaction; they
    are left ``None`` here and derived by the store from the meter's previous reading.
``settle_and_mint()`` (energy_token), with its CPIs ``settle_meter`` (registry) and SPL Token ``MintTo``
    ``MeterSettled`` then ``GridMinted``: ``meter`` is account 3, ``destination`` account 7, ``amount``
    is the ``MintTo`` CPI's amount (exactly what this instruction minted; the destination's balance
    change would also count any other transfer into it in the same transaction), ``amount_wh`` =
    ``amount / 10^6``, ``owner`` is the destination's owner from the token balances (the program only
    mints to an account of the meter's owner). The cumulative ``settled_wh`` is left ``None`` for the
    store to derive from the meter's previous settlement.
``burn(amount)`` (energy_token)
    ``GridBurned``: ``holder`` is account 0, ``token_account`` account 1, ``amount`` the argument.

``transfer_certificate``, ``split_certificate``, ``retire_certificate``, ``revoke_certificate``,
``expire_certificate``, ``execute``, ``cancel`` (governance)
    their one event with what the instruction shows (the certificate or proposal, the signer, the
    arguments); what needs the indexed state (volumes, CO2, a split's index, the status before a
    revocation, a proposal's id) or the clock (block time instead) is left ``None`` for the store to
    derive (:mod:`solgrid.indexer.certificates`), as for the cumulative counters above. These are the
    changes of ownership and state; ``execute``, ``cancel`` by a quorum and ``expire_certificate`` can
    be sent by anyone, who could otherwise hide them from an indexer by truncating the logs.

Every trading instruction emits exactly one event through a self-CPI (below). Every other SolGrid
instruction emits exactly one event whose fields need state the transaction does not show (old
statuses, clock timestamps, zone ids); its name is known, so the positions stay right, but it is
reported as not rebuilt. For each top-level instruction whose run
the logs do not show completely, the events that survived must be a prefix of the planned ones (same
names, in order): they are kept as logged (they are exact), and the rest of the plan fills in after
them with ``recovered`` set. If they do not match, nothing is rebuilt for that instruction and that is
reported.

Self-CPI events (:mod:`solgrid.sdk.cpi_events`) are never lost: their inner instructions are all in
the transaction. In the plan they are what they are in the instruction tree, a child of the
instruction that emitted them, in execution order; an instruction whose IDL accounts include
``event_authority`` (Anchor's ``#[event_cpi]`` convention) emits its events that way only and logs none
itself, and an inner instruction of one of our programs carrying the event tag emits nothing of its
own. So in a cut instruction, the prefix the logs show (the surviving logged events and the self-CPI
events whose ``invoke`` line is before the cut, interleaved exactly) must be the plan's first entries;
the plan then places the rest, self-CPI events included, at their positions. When there is no plan
(or the prefix does not match it), the self-CPI events after the cut are kept in their order right
after the prefix, and the lost logged events are reported as missing: their positions (and so the
``event_index`` of those self-CPI events) then do not count the lost events.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from construct import ConstructError

from solgrid.indexer.decode import DecodedEvent, DecodedLogs, interleave, plain_fields
from solgrid.sdk.anchor import DISCRIMINATOR_LEN, ProgramCoder
from solgrid.sdk.cpi_events import EVENT_IX_TAG, InvokedInstruction, account_keys, invoked_instructions
from solgrid.sdk.energy_token import BASE_UNITS_PER_WH
from solgrid.sdk.idl import load_idl_json

TOKEN_PROGRAMS = frozenset(
    {"TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA", "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb"}
)
MINT_TO, MINT_TO_CHECKED = 7, 14
"""SPL Token instruction tags whose data is ``tag, amount: u64 LE, ...``."""

EVENT_OF: Mapping[tuple[str, str], str] = {
    ("registry", "initialize"): "ConfigInitialized",
    ("registry", "propose_authority"): "AuthorityProposed",
    ("registry", "accept_authority"): "AuthorityTransferred",
    ("registry", "set_regulators"): "RegulatorsSet",
    ("registry", "update_limits"): "LimitsUpdated",
    ("registry", "set_settlement_authority"): "SettlementAuthoritySet",
    ("registry", "create_zone"): "ZoneCreated",
    ("registry", "set_zone_status"): "ZoneStatusChanged",
    ("registry", "register_user"): "UserRegistered",
    ("registry", "verify_user"): "UserStatusChanged",
    ("registry", "suspend_user"): "UserStatusChanged",
    ("registry", "reinstate_user"): "UserStatusChanged",
    ("registry", "register_meter"): "MeterRegistered",
    ("registry", "activate_meter"): "MeterStatusChanged",
    ("registry", "set_meter_status"): "MeterStatusChanged",
    ("registry", "rotate_device_key"): "DeviceKeyRotated",
    ("registry", "settle_meter"): "MeterSettled",
    ("registry", "set_governance"): "GovernanceSet",
    ("registry", "pause_market"): "Paused",
    ("registry", "pause_zone"): "Paused",
    ("registry", "resume_market"): "Resumed",
    ("registry", "resume_zone"): "Resumed",
    ("registry", "set_emission_factor"): "EmissionFactorSet",
    ("registry", "certify_meter"): "MeterCertified",
    ("energy_token", "initialize"): "TokenInitialized",
    ("energy_token", "settle_and_mint"): "GridMinted",
    ("energy_token", "burn"): "GridBurned",
    ("governance", "initialize"): "GovernanceInitialized",
    ("governance", "update_config"): "GovernanceConfigUpdated",
    ("governance", "propose"): "ProposalCreated",
    ("governance", "approve"): "VoteCast",
    ("governance", "reject"): "VoteCast",
    ("governance", "record_quorum"): "QuorumRecorded",
    ("governance", "execute"): "ProposalExecuted",
    ("governance", "cancel"): "ProposalCancelled",
    ("governance", "close_proposal"): "ProposalClosed",
    ("governance", "request_certificate"): "CertificateRequested",
    ("governance", "validate_certificate"): "CertificateValidated",
    ("governance", "transfer_certificate"): "CertificateTransferred",
    ("governance", "split_certificate"): "CertificateSplit",
    ("governance", "retire_certificate"): "CertificateRetired",
    ("governance", "revoke_certificate"): "CertificateRevoked",
    ("governance", "expire_certificate"): "CertificateExpired",
}
"""The one event each single-event instruction emits (``submit_readings`` emits one per reading)."""


def _account_position(program: str, instruction: str, account: str) -> int:
    """Where ``account`` is in ``instruction``'s account list, from the program's IDL."""
    ix = next(i for i in load_idl_json(program)["instructions"] if i["name"] == instruction)
    position: int = [a["name"] for a in ix["accounts"]].index(account)
    return position


SETTLE_METER_AT = _account_position("energy_token", "settle_and_mint", "meter")
SETTLE_DESTINATION_AT = _account_position("energy_token", "settle_and_mint", "destination")


def _governance_at(instruction: str, account: str) -> int:
    return _account_position("governance", instruction, account)


def _governance_fields(name: str, accounts: Sequence[str], args: Mapping[str, Any]) -> dict[str, Any] | None:
    """The fields of a governance event that the instruction shows (accounts and arguments), the others
    None for the store to derive from the indexed state (see :mod:`solgrid.indexer.certificates`), for
    the instructions that change who holds what: transfers, splits, retirements, revocations, expiries,
    executions and cancellations (the last two and expiries can be sent by anyone)."""

    def account(instruction: str, role: str) -> str | None:
        at = _governance_at(instruction, role)
        return accounts[at] if at < len(accounts) else None

    if name == "expire_certificate":
        certificate = account(name, "certificate")
        return (
            None
            if certificate is None
            else {"certificate": certificate, "owner": None, "volume_wh": None, "timestamp": None}
        )
    fields: dict[str, Any] | None = None
    if name == "transfer_certificate":
        fields = {
            "certificate": account(name, "certificate"),
            "from": account(name, "owner"),
            "to": args["new_owner"],
            "volume_wh": None,
            "co2_avoided_g": None,
        }
    elif name == "split_certificate":
        fields = {
            "parent": account(name, "certificate"),
            "child": account(name, "child"),
            "split_index": None,
            "owner": account(name, "owner"),
            "new_owner": args["new_owner"],
            "volume_wh": int(args["volume_wh"]),
            "co2_avoided_g": None,
            "parent_volume_wh": None,
            "parent_co2_avoided_g": None,
        }
    elif name == "retire_certificate":
        fields = {
            "certificate": account(name, "certificate"),
            "owner": account(name, "owner"),
            "retirement": {
                "beneficiary": args["beneficiary"],
                "beneficiary_name": args["beneficiary_name"],
                "purpose": args["purpose"],
                "consumption_start": int(args["consumption_start"]),
                "consumption_end": int(args["consumption_end"]),
                "retired_at": None,
            },
            "volume_wh": None,
            "co2_avoided_g": None,
        }
    elif name == "revoke_certificate":
        fields = {
            "certificate": account(name, "certificate"),
            "previous_status": None,
            "reason": args["reason"],
            "volume_wh": None,
            "timestamp": None,
            "status": None,
        }
    elif name == "execute":
        fields = {
            "proposal": account(name, "proposal"),
            "id": None,
            "target_program": account(name, "target_program"),
            "approvals": None,
            "executed_at": None,
        }
    elif name == "cancel":
        fields = {
            "proposal": account(name, "proposal"),
            "id": None,
            "cancelled_by": account(name, "authority"),
            "timestamp": None,
        }
    if fields is None or any(
        fields[key] is None for key in ("certificate", "parent", "child", "proposal") if key in fields
    ):
        return None
    return fields


ExecutedInstruction = InvokedInstruction
"""An instruction the transaction ran: top-level (``depth`` 1) or a CPI made under top-level
instruction ``index`` (``depth`` = the runtime's stack height, None when getTransaction gave none)."""

EVENT_AUTHORITY_ACCOUNT = "event_authority"
"""The IDL account name of Anchor's ``#[event_cpi]``: an instruction that has it emits by self-CPI."""


@dataclass(frozen=True)
class Execution:
    """What ``getTransaction`` shows of a transaction's run besides its logs."""

    instructions: tuple[ExecutedInstruction, ...]
    """Every instruction in execution order: each top-level one, then the CPIs made under it."""
    token_owners: tuple[tuple[str, str], ...] = ()
    """(token account, owner) from ``pre/postTokenBalances``."""
    mint_decimals: tuple[tuple[str, int], ...] = ()
    """(mint, decimals) of the token accounts in ``pre/postTokenBalances``."""
    signers: tuple[str, ...] = ()
    """The accounts that signed the transaction (the message's first ``numRequiredSignatures`` keys)."""

    def owner_of(self, account: str) -> str | None:
        return next((owner for key, owner in self.token_owners if key == account), None)


def execution_of(result: Mapping[str, Any]) -> Execution:
    """The :class:`Execution` of a ``getTransaction`` result in ``json`` encoding (account indexes
    resolve over the static keys, then ``meta.loadedAddresses`` writable and readonly)."""
    meta = result.get("meta") or {}
    keys = account_keys(result)
    balances = [*(meta.get("preTokenBalances") or []), *(meta.get("postTokenBalances") or [])]
    owners = tuple(dict.fromkeys((keys[b["accountIndex"]], b["owner"]) for b in balances if b.get("owner")))
    decimals = tuple(
        dict.fromkeys(
            (b["mint"], int(b["uiTokenAmount"]["decimals"]))
            for b in balances
            if b.get("mint") and isinstance((b.get("uiTokenAmount") or {}).get("decimals"), int)
        )
    )
    message = result["transaction"]["message"]
    signed = int((message.get("header") or {}).get("numRequiredSignatures", 0))
    signers = tuple(message["accountKeys"][:signed])
    return Execution(tuple(invoked_instructions(result)), owners, decimals, signers)


@dataclass
class _Node:
    instruction: ExecutedInstruction
    inner: int | None = None
    """The position among the top-level instruction's inner instructions (None: the top-level one)."""
    children: list[_Node] = field(default_factory=list)


@dataclass(frozen=True)
class _Planned:
    """An event an instruction emitted; ``data`` None when the transaction cannot show its fields;
    ``cpi`` the decoded event when it is a self-CPI event."""

    program: str
    name: str
    source: str
    data: dict[str, Any] | None
    cpi: DecodedEvent | None = None


class _Unplannable(Exception):
    """Which events an instruction emitted cannot be told (its data does not decode)."""


@dataclass(frozen=True)
class Recovered:
    events: list[DecodedEvent]
    """The surviving events and the rebuilt ones (``recovered``), by position."""
    rebuilt: int
    missing: list[str]
    """Events known to be missing that could not be rebuilt, one description each."""


class EventRecoverer:
    """Rebuilds truncated transactions' events for the programs of ``coders``."""

    def __init__(self, coders: Iterable[ProgramCoder]) -> None:
        self._coders = {str(c.program_id): c for c in coders}
        self._by_cpi = {
            (c.idl.name, ix.name)
            for c in self._coders.values()
            for ix in c.idl.instructions
            if any(account.name == EVENT_AUTHORITY_ACCOUNT for account in ix.accounts)
        }

    def recover(
        self, decoded: DecodedLogs, execution: Execution | None, cpi: Sequence[DecodedEvent] = ()
    ) -> Recovered:
        """The transaction's events by position: its logged events (``decoded``) and its self-CPI events
        (``cpi``, from :meth:`~solgrid.indexer.decode.EventDecoder.cpi_events`) in execution order, and
        when the logs were cut, the lost logged events rebuilt where the transaction shows them."""
        if not decoded.truncated:
            return Recovered(interleave(decoded.events, cpi), 0, [])
        if execution is None:
            return Recovered(
                interleave(decoded.events, cpi),
                0,
                ["all after the cut: the transaction's instructions are unknown"],
            )
        trees = _trees(execution.instructions)
        cut = set(trees) - decoded.complete
        events = interleave(
            [e for e in decoded.events if e.instruction_index not in cut],
            [e for e in cpi if e.instruction_index not in cut],
        )
        rebuilt = 0
        missing: list[str] = []
        for index in sorted(cut):
            placed, added, lost = self._rebuild(
                index, trees[index], decoded, [e for e in cpi if e.instruction_index == index], execution
            )
            events += placed
            rebuilt += added
            missing += lost
        events.sort(key=lambda e: (e.instruction_index, e.event_index))
        return Recovered(events, rebuilt, missing)

    def _rebuild(
        self,
        index: int,
        tree: _Node,
        decoded: DecodedLogs,
        cpi: list[DecodedEvent],
        execution: Execution,
    ) -> tuple[list[DecodedEvent], int, list[str]]:
        """Instruction ``index``'s events (what the logs show, exact, then the rest by the plan), how
        many were rebuilt, and the lost ones that were not."""
        seen = decoded.inner_seen.get(index, 0)
        survivors = [e for e in decoded.events if e.instruction_index == index]
        prefix = interleave(survivors, [e for e in cpi if e.inner < seen])
        after = [e for e in cpi if e.inner >= seen]
        try:
            plan = self._plan(tree, None, execution, {e.inner: e for e in cpi})
        except _Unplannable as e:
            return _appended(prefix, after), 0, [f"instruction {index}: {e}"]
        if not _starts_with(plan, prefix):
            return (
                _appended(prefix, after),
                0,
                [f"instruction {index}: its logged events do not match its instructions"],
            )
        placed = list(prefix)
        rebuilt = 0
        lost: list[str] = []
        for position, planned in enumerate(plan[len(prefix) :], start=len(prefix)):
            if planned.cpi is not None:
                placed.append(dataclasses.replace(planned.cpi, event_index=position))
            elif planned.data is None:
                lost.append(f"{planned.name} of {planned.source} (instruction {index}, event {position})")
            else:
                placed.append(
                    DecodedEvent(planned.program, planned.name, index, position, planned.data, True)
                )
                rebuilt += 1
        return placed, rebuilt, lost

    def _plan(
        self, node: _Node, parent: _Node | None, execution: Execution, cpi: Mapping[int, DecodedEvent]
    ) -> list[_Planned]:
        """The events ``node``'s run emitted, in order: its CPIs' first (a self-CPI event is the event
        it carries), then its own."""
        if node.inner is not None and (event := cpi.get(node.inner)) is not None:
            return [_Planned(event.program, event.name, "a self-CPI", event.data, event)]
        planned = [e for child in node.children for e in self._plan(child, node, execution, cpi)]
        coder = self._coders.get(node.instruction.program)
        if coder is not None:
            planned += self._own(coder, node, parent, execution)
        return planned

    def _own(
        self, coder: ProgramCoder, node: _Node, parent: _Node | None, execution: Execution
    ) -> list[_Planned]:
        program, ix = coder.idl.name, node.instruction
        if ix.data.startswith(EVENT_IX_TAG):  # an event instruction nobody vouches for emits nothing
            return []
        name, args = _decode_instruction(coder, ix.data)
        source = f"{program}.{name}"
        if (program, name) in self._by_cpi:  # its events are its self-CPIs, planned as its children
            return []
        if (program, name) == ("registry", "submit_readings"):
            return [
                _Planned(ix.program, "ReadingAccepted", source, _reading(ix, i, r))
                for i, r in enumerate(args)
            ]
        event = EVENT_OF.get((program, name))
        if event is None:
            raise _Unplannable(f"{source} is not an instruction the indexer knows the events of")
        settling = (
            parent if parent is not None and self._is(parent, "energy_token", "settle_and_mint") else None
        )
        return [_Planned(ix.program, event, source, _fields(program, name, node, settling, args, execution))]

    def _is(self, node: _Node, program: str, name: str) -> bool:
        coder = self._coders.get(node.instruction.program)
        if coder is None or coder.idl.name != program:
            return False
        try:
            return _decode_instruction(coder, node.instruction.data)[0] == name
        except _Unplannable:
            return False


def _starts_with(plan: Sequence[_Planned], prefix: Sequence[DecodedEvent]) -> bool:
    """Whether the plan's first entries are the events the logs show (logged ones by name, self-CPI ones
    by their inner instruction)."""
    if len(prefix) > len(plan):
        return False
    for planned, event in zip(plan, prefix, strict=False):
        if event.via_cpi:
            if planned.cpi is None or planned.cpi.inner != event.inner:
                return False
        elif planned.cpi is not None or planned.name != event.name:
            return False
    return True


def _appended(prefix: list[DecodedEvent], after: Sequence[DecodedEvent]) -> list[DecodedEvent]:
    """``after`` (self-CPI events past the cut, in order) numbered on from ``prefix``."""
    return [*prefix, *(dataclasses.replace(e, event_index=len(prefix) + i) for i, e in enumerate(after))]


def _trees(instructions: Iterable[ExecutedInstruction]) -> dict[int, _Node]:
    """Top-level instruction index -> its instruction tree (CPIs nested by stack height; one without a
    stack height counts as a CPI of the top-level instruction)."""
    roots: dict[int, _Node] = {}
    inner: dict[int, int] = {}
    stack: list[_Node] = []
    for ix in instructions:
        if ix.depth == 1 or ix.index not in roots:
            node = _Node(ix)
            roots[ix.index] = node
            inner[ix.index] = 0
            stack = [node]
            continue
        node = _Node(ix, inner[ix.index])
        inner[ix.index] += 1
        depth = 2 if ix.depth is None else ix.depth
        del stack[max(depth - 1, 1) :]
        stack[-1].children.append(node)
        stack.append(node)
    return roots


def _decode_instruction(coder: ProgramCoder, data: bytes) -> tuple[str, Any]:
    instructions = coder.coder.instruction
    name = instructions.sighash_to_name.get(data[:DISCRIMINATOR_LEN])
    if name is None:
        raise _Unplannable(
            f"{coder.idl.name} instruction data {data[:DISCRIMINATOR_LEN].hex()} is not in its IDL"
        )
    try:
        parsed = instructions.sighash_layouts[data[:DISCRIMINATOR_LEN]].parse(data[DISCRIMINATOR_LEN:])
    except ConstructError as e:
        raise _Unplannable(f"{coder.idl.name}.{name} data does not decode: {e}") from None
    if name == "submit_readings":
        return name, list(parsed.readings)
    return name, plain_fields(parsed)


def _reading(ix: ExecutedInstruction, i: int, reading: Any) -> dict[str, Any] | None:
    meter = 2 + 3 * i
    if meter >= len(ix.accounts):
        return None
    return {
        "meter": ix.accounts[meter],
        "window_start": int(reading.window_start),
        "window_end": int(reading.window_start) + int(reading.window_secs),
        "production_wh": int(reading.production_wh),
        "consumption_wh": int(reading.consumption_wh),
        "produced_wh": None,
        "consumed_wh": None,
    }


def _fields(
    program: str, name: str, node: _Node, settling: _Node | None, args: dict[str, Any], execution: Execution
) -> dict[str, Any] | None:
    """The event fields of a single-event instruction, when the transaction shows them all
    (``settling``: the ``settle_and_mint`` that made this instruction's CPI, if one did)."""
    accounts = node.instruction.accounts
    if program == "governance":
        return _governance_fields(name, accounts, args)
    if (program, name) == ("energy_token", "burn") and len(accounts) >= 2:
        return {"holder": accounts[0], "token_account": accounts[1], "amount": int(args["amount"])}
    if (program, name) == ("energy_token", "settle_and_mint"):
        return _minted(node, execution)
    if (program, name) == ("registry", "settle_meter") and settling is not None:
        minted = _minted(settling, execution)
        if minted is not None and len(accounts) >= 3 and accounts[2] == minted["meter"]:
            return {
                "meter": minted["meter"],
                "owner": minted["owner"],
                "amount_wh": minted["amount_wh"],
                "settled_wh": None,
            }
    return None


def _minted(settle_and_mint: _Node, execution: Execution) -> dict[str, Any] | None:
    """GridMinted's fields for a ``settle_and_mint`` node: its ``MintTo`` CPI's amount, the destination's
    owner from the token balances."""
    accounts = settle_and_mint.instruction.accounts
    amount = next(
        (a for c in settle_and_mint.children if (a := _mint_to_amount(c.instruction)) is not None), None
    )
    if amount is None or len(accounts) <= SETTLE_DESTINATION_AT:
        return None
    owner = execution.owner_of(accounts[SETTLE_DESTINATION_AT])
    if owner is None:
        return None
    return {
        "meter": accounts[SETTLE_METER_AT],
        "owner": owner,
        "destination": accounts[SETTLE_DESTINATION_AT],
        "amount_wh": amount // BASE_UNITS_PER_WH,
        "amount": amount,
    }


def _mint_to_amount(ix: ExecutedInstruction) -> int | None:
    if ix.program not in TOKEN_PROGRAMS or len(ix.data) < 9 or ix.data[0] not in (MINT_TO, MINT_TO_CHECKED):
        return None
    return int.from_bytes(ix.data[1:9], "little")

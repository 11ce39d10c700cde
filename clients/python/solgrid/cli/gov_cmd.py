"""``solgrid gov``: governance by proposals approved by M of N regulators across transactions, and the
emergency pause.

``init`` sets it up once per cluster (the governance program's Config, then the registry names it
its governance: from then on every privileged action is a proposal). ``propose ACTION`` creates a
proposal; ``approve``/``reject`` vote, each regulator in their own invocation; ``execute`` runs an
approved proposal once its timelock has passed (anyone); ``cancel``, ``close``, ``list``, ``show``,
``status``. ``pause`` is one regulator's immediate action; ``resume`` takes a quorum, so it proposes
(or, before governance is set, is co-signed with ``--cosigner``).

Set-up, votes, execution, cancel and close are here; ``propose`` is :mod:`solgrid.cli.gov_propose`,
``list``/``show``/``status`` :mod:`solgrid.cli.gov_read`, ``pause``/``resume`` :mod:`solgrid.cli.gov_pause`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click
from solana.rpc.async_api import AsyncClient
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.system_program import TransferParams
from solders.system_program import transfer as system_transfer

from solgrid.cli.chain import NotRegulator, require_config, send
from solgrid.cli.common import (
    Settings,
    call,
    cluster_options,
    emit_json,
    format_sol,
    json_option,
    parse_sol,
    status,
)
from solgrid.cli.gov_pause import pause, resume
from solgrid.cli.gov_propose import propose
from solgrid.cli.gov_read import list_proposals, show, show_status
from solgrid.cli.gov_upgrade import set_upgrade_authority, upgrade
from solgrid.cli.governance import (
    DURATION,
    GovernanceConfigs,
    proposal_argument,
    proposal_json,
    require_configs,
    require_current_regulator,
    require_quorum,
    standing_text,
)
from solgrid.cli.markets import cosigner_option, read_cosigners
from solgrid.errors import UserFacingError
from solgrid.sdk.anchor import ProgramCoder
from solgrid.sdk.governance import (
    ConfigParams,
    GovernanceClient,
    GovernedActions,
    ProposalAccount,
    ProposalState,
    require_executable,
    require_open,
    upgrade_authority,
)
from solgrid.sdk.governance.events import ProposalClosed
from solgrid.sdk.registry import RegistryClient


@click.group()
def gov() -> None:
    """Governance: proposals approved by M of N regulators, execution, the emergency pause."""


for command in (propose, list_proposals, show, show_status, pause, resume):
    gov.add_command(command)
for command in (set_upgrade_authority, upgrade):
    propose.add_command(command)


# -- set-up ---------------------------------------------------------------------------------------------


@gov.command("init")
@click.option("--min-timelock", "min_timelock_secs", type=DURATION, default="0", show_default=True)
@click.option("--max-lifetime", "max_lifetime_secs", type=DURATION, default="30d", show_default=True)
@click.option(
    "--certificate-validity", "certificate_validity_secs", type=DURATION, default="365d", show_default=True
)
@cosigner_option
@cluster_options
@json_option
def init(
    min_timelock_secs: int,
    max_lifetime_secs: int,
    certificate_validity_secs: int,
    cosigner_paths: tuple[Path, ...],
    settings: Settings,
    as_json: bool,
) -> None:
    """Set governance up: initialize the governance program (its upgrade authority), then name it the
    registry's governance (the registry's authority and a regulator quorum sign: the wallet and
    --cosigner keys). Steps already done are skipped."""
    try:
        params = ConfigParams(min_timelock_secs, max_lifetime_secs, certificate_validity_secs).check()
    except ValueError as e:
        raise click.BadParameter(str(e)) from None
    wallet = settings.keypair()
    cosigners = read_cosigners(cosigner_paths)
    gov_client, registry = GovernanceClient(), RegistryClient()

    async def work(rpc: AsyncClient) -> tuple[list[dict[str, str | None]], ConfigParams]:
        steps: list[dict[str, str | None]] = []

        async def step(name: str, ix: Instruction | None, signers: list[Keypair]) -> None:
            """Sends ``ix``, or records the step as already done when there is none."""
            if ix is None:
                status(f"{name}: already done")
                steps.append({"step": name, "signature": None})
                return
            status(f"{name} ...")
            landed = await send(rpc, settings, [ix], wallet, [gov_client.coder, registry.coder], signers)
            steps.append({"step": name, "signature": str(landed.signature)})

        me = wallet.pubkey()
        registry_config = await require_config(rpc, registry, settings.url)
        existing = await gov_client.fetch_config(rpc)
        initialize = gov_client.initialize(payer=me, authority=me, params=params)
        await step("initialize governance", None if existing is not None else initialize, [])
        named = registry_config.governance_program
        if named is not None and named != gov_client.program_id:
            raise UserFacingError(
                f"the registry names governance program {named}: "
                "only a proposal of that program hands it over"
            )
        if named is None:
            if registry_config.authority != me:
                raise NotRegulator(
                    "naming the registry's governance needs its authority "
                    f"{registry_config.authority}, not wallet {me}"
                )
            regulators = require_quorum(registry_config, [wallet, *cosigners])
            ix = registry.set_governance(
                governance_program=gov_client.program_id, cosigners=[me, *regulators]
            )
            await step("name it the registry's governance", ix, cosigners)
        else:
            await step("name it the registry's governance", None, [])
        config = await gov_client.fetch_config(rpc)
        assert config is not None
        return steps, config.params

    steps, stored = call(settings, work)
    pdas = GovernanceClient()
    document = {
        "program": str(gov_client.program_id),
        "config": str(gov_client.config_pda().address),
        "governance_pda": str(pdas.governance_pda().address),
        "certificates_pda": str(pdas.certificates_pda().address),
        "min_timelock_secs": stored.min_timelock_secs,
        "max_lifetime_secs": stored.max_lifetime_secs,
        "certificate_validity_secs": stored.certificate_validity_secs,
        "steps": steps,
    }
    if as_json:
        emit_json(document)
        return
    for done in steps:
        outcome = "already done" if done["signature"] is None else f"signature {done['signature']}"
        click.echo(f"{done['step']}: {outcome}")
    click.echo(
        f"governance PDA (signs executed proposals, pays what they create): {document['governance_pda']}"
    )
    click.echo("privileged actions are proposals now: `solgrid gov propose --help`")


# -- voting and executing -------------------------------------------------------------------------------


async def _send_to_proposal(
    rpc: AsyncClient,
    settings: Settings,
    configs: GovernanceConfigs,
    actions: GovernedActions,
    proposal_id: int,
    instructions: Sequence[Instruction],
    wallet: Keypair,
    coders: Sequence[ProgramCoder],
    cosigners: Sequence[Keypair] = (),
) -> dict[str, Any]:
    """Sends the instructions and reads PROPOSAL back: the signature, the proposal as `gov show --json`
    prints it and, under ``_text``, its standing in words."""
    landed = await send(rpc, settings, instructions, wallet, coders, cosigners)
    after, at = await configs.proposal_now(rpc, actions.governance, proposal_id)
    return {
        "signature": str(landed.signature),
        **proposal_json(after, at, actions),
        "_text": standing_text(after, at),
    }


def _report(document: dict[str, Any], as_json: bool, headline: Callable[[str], str]) -> None:
    """Prints what `_send_to_proposal` returned: JSON, or ``headline(standing in words)`` and the
    signature."""
    text = document.pop("_text")
    if as_json:
        emit_json(document)
    else:
        click.echo(headline(text))
        click.echo(f"signature: {document['signature']}")


def _vote(name: str, proposal_id: int, settings: Settings, as_json: bool) -> None:
    wallet = settings.keypair()
    actions = GovernedActions()
    gov_client = actions.governance

    async def work(rpc: AsyncClient) -> dict[str, Any]:
        configs = await require_configs(rpc, actions, settings.url)
        require_current_regulator(configs.registry_config, wallet.pubkey())
        proposal, at = await configs.proposal_now(rpc, gov_client, proposal_id)
        require_open(proposal, at)
        if wallet.pubkey() in at.approvals or wallet.pubkey() in at.rejections:
            voted = "approved" if wallet.pubkey() in at.approvals else "rejected"
            raise UserFacingError(f"wallet {wallet.pubkey()} already {voted} proposal {proposal_id}")
        build = gov_client.approve if name == "approve" else gov_client.reject
        status(f"{'approving' if name == 'approve' else 'rejecting'} proposal {proposal_id} ...")
        ix = build(regulator=wallet.pubkey(), proposal_id=proposal_id)
        return await _send_to_proposal(
            rpc, settings, configs, actions, proposal_id, [ix], wallet, [gov_client.coder]
        )

    verb = "approved" if name == "approve" else "rejected"
    _report(call(settings, work), as_json, lambda text: f"{verb} proposal {proposal_id}: {text}")


@gov.command("approve")
@proposal_argument
@cluster_options
@json_option
def approve(proposal_id: int, settings: Settings, as_json: bool) -> None:
    """Approve PROPOSAL (a current regulator, once)."""
    _vote("approve", proposal_id, settings, as_json)


@gov.command("reject")
@proposal_argument
@cluster_options
@json_option
def reject(proposal_id: int, settings: Settings, as_json: bool) -> None:
    """Reject PROPOSAL (a current regulator, once); enough rejections make a quorum impossible and
    reject it."""
    _vote("reject", proposal_id, settings, as_json)


@gov.command("execute")
@proposal_argument
@click.option(
    "--fund",
    "fund_sol",
    help="SOL the wallet sends the governance PDA first (it pays what proposals create).",
)
@cluster_options
@json_option
def execute(proposal_id: int, fund_sol: str | None, settings: Settings, as_json: bool) -> None:
    """Execute PROPOSAL once approved and past its timelock (anyone may): its instruction runs signed by
    the governance PDA."""
    fund = None if fund_sol is None else parse_sol(fund_sol)
    wallet = settings.keypair()
    actions = GovernedActions()
    gov_client = actions.governance

    async def work(rpc: AsyncClient) -> dict[str, Any]:
        configs = await require_configs(rpc, actions, settings.url)
        proposal, at = await configs.proposal_now(rpc, gov_client, proposal_id)
        require_executable(proposal, at)
        authority = actions.authority
        ixs: list[Instruction] = []
        if fund is not None:
            ixs.append(
                system_transfer(
                    TransferParams(from_pubkey=wallet.pubkey(), to_pubkey=authority, lamports=fund)
                )
            )
        elif _pays(proposal.accounts, authority) and (await rpc.get_balance(authority)).value == 0:
            raise UserFacingError(
                f"proposal {proposal_id} creates accounts paid by the governance PDA {authority}, which "
                "holds no SOL: add --fund SOL"
            )
        ixs[:0] = upgrade_authority.compute_budget(proposal.instruction())
        ixs.append(gov_client.execute(proposal))
        status(f"executing proposal {proposal_id} ...")
        coders = [gov_client.coder, actions.registry.coder, actions.trading.coder]
        return await _send_to_proposal(rpc, settings, configs, actions, proposal_id, ixs, wallet, coders)

    document = call(settings, work)
    what = f"{document['program']}.{document['instruction']} {document['args']}"
    _report(document, as_json, lambda _: f"executed proposal {proposal_id}: {what}")


@gov.command("record-quorum")
@proposal_argument
@cluster_options
@json_option
def record_quorum(proposal_id: int, settings: Settings, as_json: bool) -> None:
    """Record the quorum of PROPOSAL when its approvals reach the threshold only because the regulator
    set or threshold changed (anyone may): its timelock runs from now, then `gov execute` works."""
    wallet = settings.keypair()
    actions = GovernedActions()
    gov_client = actions.governance

    async def work(rpc: AsyncClient) -> dict[str, Any]:
        configs = await require_configs(rpc, actions, settings.url)
        proposal, at = await configs.proposal_now(rpc, gov_client, proposal_id)
        require_open(proposal, at)
        if at.state is not ProposalState.UNRECORDED:
            raise UserFacingError(f"nothing to record: {standing_text(proposal, at)}")
        status(f"recording the quorum of proposal {proposal_id} ...")
        ix = gov_client.record_quorum(proposal_id=proposal_id)
        return await _send_to_proposal(
            rpc, settings, configs, actions, proposal_id, [ix], wallet, [gov_client.coder]
        )

    _report(
        call(settings, work), as_json, lambda text: f"recorded the quorum of proposal {proposal_id}: {text}"
    )


def _pays(accounts: Sequence[ProposalAccount], authority: Pubkey) -> bool:
    """Whether the governance PDA is a writable signer of the instruction: it pays what it creates."""
    return any(a.address == authority and a.signer and a.writable for a in accounts)


@gov.command("cancel")
@proposal_argument
@cosigner_option
@cluster_options
@json_option
def cancel(proposal_id: int, cosigner_paths: tuple[Path, ...], settings: Settings, as_json: bool) -> None:
    """Cancel PROPOSAL: its proposer alone (while still a regulator), or, while the registry names no
    governance program, a quorum of regulators (the wallet and --cosigner keys); once it does, others
    propose the cancel."""
    wallet = settings.keypair()
    cosigners = read_cosigners(cosigner_paths)
    actions = GovernedActions()
    gov_client = actions.governance

    async def work(rpc: AsyncClient) -> dict[str, Any]:
        configs = await require_configs(rpc, actions, settings.url)
        proposal, at = await configs.proposal_now(rpc, gov_client, proposal_id)
        require_open(proposal, at)
        if proposal.proposer == wallet.pubkey():
            require_current_regulator(configs.registry_config, wallet.pubkey())
            signers: list[Pubkey] = []
        elif configs.registry_config.governance_program is not None:
            raise UserFacingError(
                f"only proposal {proposal_id}'s proposer {proposal.proposer} cancels it directly once the "
                "registry names a governance program: other regulators propose the cancel "
                f"(`solgrid gov propose cancel {proposal_id}`)"
            )
        else:
            require_current_regulator(configs.registry_config, wallet.pubkey())
            signers = require_quorum(configs.registry_config, [wallet, *cosigners])
        ix = gov_client.cancel(authority=wallet.pubkey(), proposal_id=proposal_id, cosigners=signers)
        return await _send_to_proposal(
            rpc, settings, configs, actions, proposal_id, [ix], wallet, [gov_client.coder], cosigners
        )

    _report(call(settings, work), as_json, lambda _: f"cancelled proposal {proposal_id}")


@gov.command("close")
@proposal_argument
@cluster_options
@json_option
def close(proposal_id: int, settings: Settings, as_json: bool) -> None:
    """Close a final PROPOSAL (executed, cancelled, rejected or expired; anyone may): its rent goes back
    to its proposer."""
    wallet = settings.keypair()
    actions = GovernedActions()
    gov_client = actions.governance

    async def work(rpc: AsyncClient) -> dict[str, Any]:
        configs = await require_configs(rpc, actions, settings.url)
        proposal, at = await configs.proposal_now(rpc, gov_client, proposal_id)
        if not at.state.final:
            raise UserFacingError(
                f"proposal {proposal_id} is {at.state.value}: "
                "it can be closed once executed, cancelled, rejected or expired"
            )
        ix = gov_client.close_proposal(proposal_id=proposal_id, proposer=proposal.proposer)
        landed = await send(rpc, settings, [ix], wallet, coders=[gov_client.coder])
        closed = [e for e in gov_client.events(landed.logs) if isinstance(e, ProposalClosed)]
        lamports = closed[0].lamports if closed else 0
        return {
            "signature": str(landed.signature),
            "proposal": proposal_id,
            "state": at.state.value,
            "proposer": str(proposal.proposer),
            "lamports": lamports,
        }

    document = call(settings, work)
    if as_json:
        emit_json(document)
    else:
        click.echo(
            f"closed proposal {proposal_id} ({document['state']}): "
            f"{format_sol(document['lamports'])} SOL back to {document['proposer']}\n"
            f"signature: {document['signature']}"
        )

"""``solgrid gov propose set-upgrade-authority|upgrade``: proposals that exercise the upgrade authority of one
of SolGrid's programs once it is the governance PDA (handed over with ``solana program set-upgrade-authority
... --new-upgrade-authority <GOVERNANCE_PDA> --skip-new-upgrade-authority-signer-check``; see
docs/governance.md). Both check on-chain first that governance holds the authority they need. They are
subcommands of ``gov propose`` (added in :mod:`solgrid.cli.gov_cmd`)."""

from __future__ import annotations

from typing import Any

import click
from solana.rpc.async_api import AsyncClient
from solders.instruction import Instruction
from solders.pubkey import Pubkey

from solgrid.cli.common import Settings, status
from solgrid.cli.governance import require_governance
from solgrid.cli.proposing import ProposalOptions, proposal_options, run_proposal
from solgrid.errors import UserFacingError
from solgrid.sdk import loader
from solgrid.sdk.governance import GovernedActions, Proposal
from solgrid.sdk.governance.upgrade_authority import buffer_authority, buffer_pin, programdata_authority

PROGRAM_NAMES = ("registry", "trading", "energy_token", "governance")


class NotGovernedProgram(UserFacingError):
    """The program is not one of SolGrid's, or governance does not hold what the proposal needs."""


async def _account_data(rpc: AsyncClient, address: Pubkey) -> tuple[Pubkey, bytes] | None:
    info = (await rpc.get_account_info(address)).value
    return None if info is None else (info.owner, bytes(info.data))


async def resolve_program(
    rpc: AsyncClient, actions: GovernedActions, settings: Settings, program: str
) -> Pubkey:
    """PROGRAM (a name or an address) as one of the four programs the governance Config trusts."""
    config = await require_governance(rpc, actions.governance, settings.url)
    programs = {
        "registry": config.registry_program,
        "trading": config.trading_program,
        "energy_token": config.energy_token_program,
        "governance": actions.governance.program_id,
    }
    if program in programs:
        return programs[program]
    try:
        address = Pubkey.from_string(program)
    except ValueError:
        raise click.BadParameter(
            f"{program!r} is neither a SolGrid program name ({', '.join(PROGRAM_NAMES)}) nor an address",
            param_hint="PROGRAM",
        ) from None
    if address not in programs.values():
        raise NotGovernedProgram(
            f"{address} is not one of SolGrid's programs: governance governs only their upgrade authorities"
        )
    return address


async def _program_room(rpc: AsyncClient, program: Pubkey) -> int:
    """Bytes of ELF ``program``'s ProgramData holds (after its header)."""
    found = await _account_data(rpc, loader.programdata_address(program))
    return 0 if found is None else max(len(found[1]) - loader.PROGRAMDATA_HEADER_LEN, 0)


async def require_governed_authority(rpc: AsyncClient, actions: GovernedActions, program: Pubkey) -> None:
    """The program's upgrade authority is the governance PDA (else a proposal could never execute)."""
    gov = actions.authority
    found = await _account_data(rpc, loader.programdata_address(program))
    if found is None or found[0] != loader.LOADER_V3:
        raise NotGovernedProgram(f"{program} is not an upgradeable program (no ProgramData account)")
    try:
        current = programdata_authority(found[1])
    except ValueError:
        raise NotGovernedProgram(f"{program}'s ProgramData account cannot be read") from None
    if current is None:
        raise NotGovernedProgram(f"{program} is immutable: it has no upgrade authority any more")
    if current != gov:
        raise NotGovernedProgram(
            f"the upgrade authority of {program} is {current}, not the governance PDA {gov}: hand it over "
            "first (docs/governance.md, 'Upgrade authority')"
        )


async def buffer_now(rpc: AsyncClient, proposal: Proposal) -> dict[str, Any]:
    """For a pinned ``Upgrade`` proposal (``gov show``): the buffer's authority and whether it still holds
    the pinned bytes (``execute`` refuses it otherwise); empty for any other proposal."""
    if proposal.buffer_pin is None or len(proposal.accounts) < 3:
        return {}
    found = await _account_data(rpc, proposal.accounts[2].address)
    if found is None or found[0] != loader.LOADER_V3:
        return {"buffer_authority": None, "buffer_matches_pin": False}
    try:
        authority = buffer_authority(found[1])
        pin = buffer_pin(found[1])
    except ValueError:
        return {"buffer_authority": None, "buffer_matches_pin": False}
    return {
        "buffer_authority": None if authority is None else str(authority),
        "buffer_matches_pin": pin == proposal.buffer_pin,
    }


async def upgrade_authorities(rpc: AsyncClient, actions: GovernedActions) -> list[dict[str, Any]]:
    """Who holds the upgrade authority of each of SolGrid's programs (``gov status``): ``upgrade_authority``
    null when the program is immutable or not upgradeable, ``governed`` when it is the governance PDA."""
    programs = list(actions.programs.items())
    addresses = [loader.programdata_address(program) for _, program in programs]
    infos = (await rpc.get_multiple_accounts(addresses)).value
    rows = []
    for (name, program), info in zip(programs, infos, strict=True):
        holder: Pubkey | None = None
        if info is not None and info.owner == loader.LOADER_V3:
            try:
                holder = programdata_authority(bytes(info.data))
            except ValueError:
                holder = None
        rows.append(
            {
                "program": name,
                "address": str(program),
                "upgrade_authority": None if holder is None else str(holder),
                "governed": holder == actions.authority,
            }
        )
    return rows


@click.command("set-upgrade-authority")
@click.argument("program")
@click.argument("new_authority", metavar="NEW_AUTHORITY", required=False)
@click.option("--immutable", is_flag=True, help="No new authority: the program can never be upgraded again.")
@proposal_options
def set_upgrade_authority(
    program: str,
    new_authority: str | None,
    immutable: bool,
    options: ProposalOptions,
    settings: Settings,
    as_json: bool,
) -> None:
    """Hand the upgrade authority of PROGRAM (registry, trading, energy_token, governance, or its address),
    held by the governance PDA, to NEW_AUTHORITY (or, with --immutable, to nobody)."""
    if (new_authority is None) == (not immutable):
        raise click.UsageError("give NEW_AUTHORITY or --immutable (not both)")
    target: Pubkey | None = None
    if new_authority is not None:
        try:
            target = Pubkey.from_string(new_authority)
        except ValueError:
            raise click.BadParameter(
                f"{new_authority!r} is not an address", param_hint="NEW_AUTHORITY"
            ) from None

    async def build(rpc: AsyncClient, actions: GovernedActions) -> tuple[Instruction, str]:
        address = await resolve_program(rpc, actions, settings, program)
        await require_governed_authority(rpc, actions, address)
        name = next((n for n, p in actions.programs.items() if p == address), str(address))
        what = f"upgrade authority of {name} to {target}" if target else f"make {name} immutable"
        return actions.set_upgrade_authority(address, target), what

    run_proposal(settings, options, as_json, build)


@click.command("upgrade")
@click.argument("program")
@click.argument("buffer")
@click.option("--spill", help="Who receives the buffer's lamports (default: the wallet).")
@proposal_options
def upgrade(
    program: str, buffer: str, spill: str | None, options: ProposalOptions, settings: Settings, as_json: bool
) -> None:
    """Upgrade PROGRAM (registry, trading, energy_token, governance, or its address) with the ELF in BUFFER,
    whose authority is the governance PDA (`solana program write-buffer <ELF>`, then `solana program
    set-buffer-authority <BUFFER> --new-buffer-authority <GOVERNANCE_PDA>`)."""
    try:
        buffer_address = Pubkey.from_string(buffer)
        spill_address = settings.keypair().pubkey() if spill is None else Pubkey.from_string(spill)
    except ValueError:
        raise click.BadParameter("BUFFER and --spill are addresses") from None

    async def build(rpc: AsyncClient, actions: GovernedActions) -> tuple[Instruction, str]:
        address = await resolve_program(rpc, actions, settings, program)
        await require_governed_authority(rpc, actions, address)
        found = await _account_data(rpc, buffer_address)
        if found is None or found[0] != loader.LOADER_V3:
            raise NotGovernedProgram(f"{buffer_address} is not a loader buffer")
        try:
            authority = buffer_authority(found[1])
        except ValueError:
            raise NotGovernedProgram(f"{buffer_address} is not a loader buffer") from None
        if authority != actions.authority:
            raise NotGovernedProgram(
                f"the authority of buffer {buffer_address} is {authority}, not the governance PDA "
                f"{actions.authority}: `solana program set-buffer-authority {buffer_address} "
                f"--new-buffer-authority {actions.authority}`"
            )
        pin = buffer_pin(found[1])
        room = await _program_room(rpc, address)
        if pin.length > room:
            raise NotGovernedProgram(
                f"the buffer's ELF ({pin.length} bytes) does not fit the ProgramData of {program} "
                f"({room} bytes), and the loader cannot extend it through a proposal: see "
                "docs/governance.md, 'Upgrade authority'"
            )
        name = next((n for n, p in actions.programs.items() if p == address), str(address))
        status(
            f"buffer {buffer_address}: authority {authority}, ELF {pin.length} bytes, sha256 "
            f"{pin.sha256.hex()} (pinned by the proposal; approvers compare it with their reproducible build)"
        )
        return actions.upgrade(address, buffer_address, spill_address), f"upgrade {name}"

    run_proposal(settings, options, as_json, build)

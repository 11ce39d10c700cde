"""``solgrid gov propose ACTION``: one subcommand per privileged action of SolGrid, each built as the
instruction an executed proposal runs (signed by the governance PDA), with the options of
:func:`solgrid.cli.proposing.proposal_options`. Values not given keep their current on-chain value where
the instruction sets several at once (limits, market parameters, config durations)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import click
from solana.rpc.async_api import AsyncClient
from solders.instruction import Instruction
from solders.pubkey import Pubkey

from solgrid.cli.certs import require_certificate
from solgrid.cli.chain import check_zone_name, device_signer, require_config, require_meter
from solgrid.cli.common import PUBKEY, SERIAL, Settings
from solgrid.cli.governance import (
    DURATION,
    U32_MAX,
    fetch_proposal,
    flags_text,
    pause_flag_options,
    proposal_argument,
    require_governance,
    scope_text,
)
from solgrid.cli.markets import market_of, quote_mint_option, require_trading, zone_argument
from solgrid.cli.proposing import ProposalOptions, proposal_options, run_proposal
from solgrid.errors import UserFacingError
from solgrid.sdk.certificates import CertificatesClient
from solgrid.sdk.governance import ConfigParams, GovernedActions
from solgrid.sdk.registry import MAX_REGULATORS, ZoneStatus
from solgrid.sdk.registry_governance import MAX_EMISSION_FACTOR
from solgrid.sdk.trading import MarketParams
from solgrid.sdk.trading.units import (
    DEFAULT_MAKER_FEE_BPS,
    DEFAULT_MAX_ORDERS_PER_EPOCH,
    DEFAULT_TAKER_FEE_BPS,
    MAX_AUCTION_EPOCH_SECS,
    MAX_FEE_BPS,
    MarketStatus,
    quote_per_lot_tick,
)

U64 = click.IntRange(1, 2**64 - 1)
FEE_BPS = click.IntRange(0, MAX_FEE_BPS)
MARKET_STATUSES = {s.name.lower(): s for s in MarketStatus}
ZONE_STATUSES = {s.name.lower(): s for s in ZoneStatus}


@click.group()
def propose() -> None:
    """Propose a privileged action (a current regulator; approved in the same transaction unless
    --no-approve)."""


def _changes(**values: Any) -> str:
    return ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in values.items() if v is not None)


# -- registry ---------------------------------------------------------------------------------------------


@propose.command("update-limits")
@click.option("--max-meters-per-user", type=click.IntRange(1, 2**16 - 1))
@click.option("--min-window-secs", type=click.IntRange(1, 2**16 - 1))
@click.option("--max-window-secs", type=click.IntRange(1, 2**16 - 1))
@click.option("--max-reading-age-secs", type=click.IntRange(1, U32_MAX))
@click.option("--max-clock-skew-secs", type=click.IntRange(0, U32_MAX))
@click.option("--capacity-tolerance-bps", type=click.IntRange(0, 2**16 - 1))
@proposal_options
def update_limits(options: ProposalOptions, settings: Settings, as_json: bool, **changes: int | None) -> None:
    """Change the registry's limits; limits not given keep their value."""
    if all(v is None for v in changes.values()):
        raise click.UsageError("nothing to change: give at least one limit")

    async def build(rpc: AsyncClient, actions: GovernedActions) -> tuple[Instruction, str]:
        config = await require_config(rpc, actions.registry, settings.url)
        limits = dataclasses.replace(config.limits, **{k: v for k, v in changes.items() if v is not None})
        return actions.update_limits(limits), f"limits: {_changes(**changes)}"

    run_proposal(settings, options, as_json, build)


@propose.command("set-regulators")
@click.argument("regulators", nargs=-1, required=True, type=PUBKEY)
@click.option(
    "--threshold", type=click.IntRange(1, MAX_REGULATORS), required=True, help="Approvals a quorum needs."
)
@proposal_options
def set_regulators(
    regulators: tuple[Pubkey, ...],
    threshold: int,
    options: ProposalOptions,
    settings: Settings,
    as_json: bool,
) -> None:
    """Replace the regulator set by REGULATORS (wallet addresses) with quorum --threshold."""
    if len(set(regulators)) != len(regulators):
        raise click.BadParameter("a regulator is listed twice", param_hint="REGULATORS")
    if len(regulators) > MAX_REGULATORS:
        raise click.BadParameter(f"at most {MAX_REGULATORS} regulators", param_hint="REGULATORS")
    if threshold > len(regulators):
        raise click.BadParameter(
            f"{threshold} is more than the {len(regulators)} regulators", param_hint="--threshold"
        )

    async def build(rpc: AsyncClient, actions: GovernedActions) -> tuple[Instruction, str]:
        return actions.set_regulators(regulators, threshold), f"regulators: {threshold} of {len(regulators)}"

    run_proposal(settings, options, as_json, build)


@propose.command("set-emission-factor")
@click.option("--zone", "zone_id", type=click.IntRange(0, U32_MAX), required=True)
@click.option(
    "--g-per-kwh", type=click.IntRange(0, MAX_EMISSION_FACTOR), required=True, help="g CO2 per kWh."
)
@proposal_options
def set_emission_factor(
    zone_id: int, g_per_kwh: int, options: ProposalOptions, settings: Settings, as_json: bool
) -> None:
    """Set a grid zone's emission factor (g CO2 per kWh of its grid mix, 0 to 2000)."""

    async def build(rpc: AsyncClient, actions: GovernedActions) -> tuple[Instruction, str]:
        await _require_zone(rpc, actions, zone_id)
        return actions.set_emission_factor(
            zone_id, g_per_kwh
        ), f"zone {zone_id} emission factor {g_per_kwh} g/kWh"

    run_proposal(settings, options, as_json, build)


async def _require_zone(rpc: AsyncClient, actions: GovernedActions, zone_id: int) -> None:
    if await actions.registry.fetch_zone(rpc, zone_id) is None:
        raise UserFacingError(f"grid zone {zone_id} does not exist")


@propose.command("resume")
@pause_flag_options
@proposal_options
def resume(
    flags: int, zone_id: int | None, options: ProposalOptions, settings: Settings, as_json: bool
) -> None:
    """Resume what a pause stopped, in one zone or market-wide (none of --readings/--minting/--trading:
    all three)."""

    async def build(rpc: AsyncClient, actions: GovernedActions) -> tuple[Instruction, str]:
        if zone_id is not None:
            await _require_zone(rpc, actions, zone_id)
        return actions.resume(flags, zone_id), f"resume {flags_text(flags)} {scope_text(zone_id)}"

    run_proposal(settings, options, as_json, build)


@propose.command("create-zone")
@click.argument("zone_id", type=click.IntRange(0, U32_MAX))
@click.option("--name", required=True, callback=check_zone_name, help="Up to 32 UTF-8 bytes.")
@click.option("--max-capacity-kw", type=click.IntRange(0, 2**64 - 1), required=True)
@proposal_options
def create_zone(
    zone_id: int, name: str, max_capacity_kw: int, options: ProposalOptions, settings: Settings, as_json: bool
) -> None:
    """Create grid zone ZONE_ID (the governance PDA pays its rent: fund it, e.g. `gov execute --fund`)."""

    async def build(rpc: AsyncClient, actions: GovernedActions) -> tuple[Instruction, str]:
        if await actions.registry.fetch_zone(rpc, zone_id) is not None:
            raise UserFacingError(f"grid zone {zone_id} already exists")
        return actions.create_zone(zone_id, name, max_capacity_kw), f"create zone {zone_id} ({name})"

    run_proposal(settings, options, as_json, build)


@propose.command("set-zone-status")
@click.argument("zone_id", type=click.IntRange(0, U32_MAX))
@click.option("--status", "new_status", type=click.Choice(sorted(ZONE_STATUSES)), required=True)
@proposal_options
def set_zone_status(
    zone_id: int, new_status: str, options: ProposalOptions, settings: Settings, as_json: bool
) -> None:
    """Set grid zone ZONE_ID active, halted or in maintenance."""

    async def build(rpc: AsyncClient, actions: GovernedActions) -> tuple[Instruction, str]:
        await _require_zone(rpc, actions, zone_id)
        return actions.set_zone_status(zone_id, ZONE_STATUSES[new_status]), f"zone {zone_id} {new_status}"

    run_proposal(settings, options, as_json, build)


@propose.command("rotate-device-key")
@click.argument("serial", type=SERIAL)
@click.option(
    "--device-key", type=click.Path(path_type=Path), required=True, help="The new device keypair file."
)
@proposal_options
def rotate_device_key(
    serial: str, device_key: Path, options: ProposalOptions, settings: Settings, as_json: bool
) -> None:
    """Replace meter SERIAL's device key by the public key of --device-key."""
    new_key = device_signer(device_key).public_key

    async def build(rpc: AsyncClient, actions: GovernedActions) -> tuple[Instruction, str]:
        await require_meter(rpc, actions.registry, serial)
        meter = actions.registry.meter_pda(serial).address
        return actions.rotate_device_key(meter, new_key), f"rotate the device key of meter {serial}"

    run_proposal(settings, options, as_json, build)


@propose.command("set-settlement-authority")
@click.argument("authority", type=PUBKEY)
@proposal_options
def set_settlement_authority(
    authority: Pubkey, options: ProposalOptions, settings: Settings, as_json: bool
) -> None:
    """Name AUTHORITY the registry's settlement authority (normally energy_token's settlement PDA)."""

    async def build(rpc: AsyncClient, actions: GovernedActions) -> tuple[Instruction, str]:
        return actions.set_settlement_authority(authority), f"settlement authority {authority}"

    run_proposal(settings, options, as_json, build)


@propose.command("propose-authority")
@click.argument("new_authority", type=PUBKEY)
@proposal_options
def propose_authority(
    new_authority: Pubkey, options: ProposalOptions, settings: Settings, as_json: bool
) -> None:
    """Name NEW_AUTHORITY the registry's next config authority (it accepts with the SDK)."""

    async def build(rpc: AsyncClient, actions: GovernedActions) -> tuple[Instruction, str]:
        return actions.propose_authority(new_authority), f"registry authority to {new_authority}"

    run_proposal(settings, options, as_json, build)


@propose.command("set-governance")
@click.argument("program", type=PUBKEY, required=False)
@click.option("--clear", is_flag=True, help="Hand privileged actions back to co-signing regulators.")
@proposal_options
def set_governance(
    program: Pubkey | None, clear: bool, options: ProposalOptions, settings: Settings, as_json: bool
) -> None:
    """Hand governance to PROGRAM (another governance deployment), or with --clear back to regulators
    co-signing."""
    if (program is None) == (not clear):
        raise click.UsageError("give either PROGRAM or --clear")

    async def build(rpc: AsyncClient, actions: GovernedActions) -> tuple[Instruction, str]:
        title = "clear governance" if program is None else f"governance to {program}"
        return actions.set_governance(program), title

    run_proposal(settings, options, as_json, build)


# -- trading ----------------------------------------------------------------------------------------------


@propose.command("update-market")
@zone_argument()
@quote_mint_option
@click.option("--tick-size", type=U64, help="Price tick, quote atoms per kWh (only while no order rests).")
@click.option("--lot-size-wh", type=U64, help="Quantity lot, Wh (only while no order rests).")
@click.option("--min-order-lots", type=U64)
@click.option("--taker-fee-bps", type=FEE_BPS)
@click.option("--maker-fee-bps", type=FEE_BPS)
@click.option("--max-orders-per-epoch", type=click.IntRange(1, U32_MAX))
@click.option("--fee-recipient", type=PUBKEY)
@click.option("--status", "new_status", type=click.Choice(sorted(MARKET_STATUSES)))
@proposal_options
def update_market(
    zone_id: int,
    quote_mint: Pubkey | None,
    new_status: str | None,
    options: ProposalOptions,
    settings: Settings,
    as_json: bool,
    **changes: Any,
) -> None:
    """Change parameters of the market of ZONE; what is not given keeps the value it has when proposed
    (the instruction sets them all)."""
    if new_status is None and all(v is None for v in changes.values()):
        raise click.UsageError("nothing to change: give at least one of the options")

    async def build(rpc: AsyncClient, actions: GovernedActions) -> tuple[Instruction, str]:
        await require_trading(rpc, actions.trading, settings.url, settings.commitment)
        market = await market_of(rpc, actions.trading, zone_id, quote_mint, settings.commitment)
        h = market.header
        tick = changes["tick_size"] or h.tick_size
        lot = changes["lot_size_wh"] or h.lot_size_wh
        if (tick, lot) != (h.tick_size, h.lot_size_wh):
            try:
                quote_per_lot_tick(tick, lot)
            except ValueError:
                raise click.BadParameter(
                    f"tick size x lot size ({tick} x {lot}) must be a multiple of 1000",
                    param_hint="--tick-size/--lot-size-wh",
                ) from None
        status = None if new_status is None else MARKET_STATUSES[new_status]
        ix = actions.update_market(market.address, h, status=status, **changes)
        return ix, f"market zone {zone_id}: {_changes(**changes, status=new_status)}"

    run_proposal(settings, options, as_json, build)


@propose.command("create-market")
@zone_argument()
@click.option("--quote-mint", type=PUBKEY, required=True, help="The SPL Token mint prices are paid in.")
@click.option("--tick-size", type=U64, required=True, help="Price tick: quote atoms per kWh.")
@click.option("--lot-size-wh", type=U64, required=True, help="Quantity lot, Wh.")
@click.option("--min-order-lots", type=U64, default=1, show_default=True)
@click.option("--taker-fee-bps", type=FEE_BPS, default=DEFAULT_TAKER_FEE_BPS, show_default=True)
@click.option("--maker-fee-bps", type=FEE_BPS, default=DEFAULT_MAKER_FEE_BPS, show_default=True)
@click.option(
    "--max-orders-per-epoch",
    type=click.IntRange(1, U32_MAX),
    default=DEFAULT_MAX_ORDERS_PER_EPOCH,
    show_default=True,
)
@click.option("--fee-recipient", type=PUBKEY, required=True, help="Who collects the fees.")
@click.option(
    "--periodic", "epoch_secs", type=click.IntRange(1, MAX_AUCTION_EPOCH_SECS), help="Auction epoch, s."
)
@proposal_options
def create_market(
    zone_id: int,
    quote_mint: Pubkey,
    fee_recipient: Pubkey,
    epoch_secs: int | None,
    options: ProposalOptions,
    settings: Settings,
    as_json: bool,
    **params: int,
) -> None:
    """Open the GRID market of ZONE against --quote-mint (the governance PDA pays the rent of the market
    and its vaults: fund it, e.g. `gov execute --fund`)."""
    try:
        quote_per_lot_tick(params["tick_size"], params["lot_size_wh"])
    except ValueError:
        raise click.BadParameter(
            "tick size x lot size must be a multiple of 1000", param_hint="--tick-size/--lot-size-wh"
        ) from None

    async def build(rpc: AsyncClient, actions: GovernedActions) -> tuple[Instruction, str]:
        config = await require_trading(rpc, actions.trading, settings.url, settings.commitment)
        await _require_zone(rpc, actions, zone_id)
        address = actions.trading.market_pda(zone_id, quote_mint).address
        if await actions.trading.fetch_market(rpc, address, settings.commitment) is not None:
            raise UserFacingError(f"grid zone {zone_id} already has a market for quote mint {quote_mint}")
        market_params = MarketParams(fee_recipient=fee_recipient, **params)
        ix = actions.create_market(zone_id, config.base_mint, quote_mint, market_params, epoch_secs or 0)
        return ix, f"open the market of zone {zone_id}"

    run_proposal(settings, options, as_json, build)


@propose.command("set-market-maker")
@zone_argument()
@click.argument("trader", type=PUBKEY)
@quote_mint_option
@click.option("--disable", is_flag=True, help="Withdraw the standing instead of granting it.")
@proposal_options
def set_market_maker(
    zone_id: int,
    trader: Pubkey,
    quote_mint: Pubkey | None,
    disable: bool,
    options: ProposalOptions,
    settings: Settings,
    as_json: bool,
) -> None:
    """Register TRADER as a market maker of the market of ZONE, or with --disable withdraw it (a new
    seat is paid by the governance PDA)."""

    async def build(rpc: AsyncClient, actions: GovernedActions) -> tuple[Instruction, str]:
        await require_trading(rpc, actions.trading, settings.url, settings.commitment)
        market = await market_of(rpc, actions.trading, zone_id, quote_mint, settings.commitment)
        word = "remove" if disable else "add"
        return actions.set_market_maker(market.address, trader, not disable), f"{word} market maker {trader}"

    run_proposal(settings, options, as_json, build)


# -- governance and certificates -----------------------------------------------------------------------------


@propose.command("update-config")
@click.option("--min-timelock", "min_timelock_secs", type=DURATION, help="Least timelock of a proposal.")
@click.option("--max-lifetime", "max_lifetime_secs", type=DURATION, help="Longest a proposal stays open.")
@click.option(
    "--certificate-validity", "certificate_validity_secs", type=DURATION, help="Validity of a certificate."
)
@proposal_options
def update_config(options: ProposalOptions, settings: Settings, as_json: bool, **changes: int | None) -> None:
    """Change governance's durations; those not given keep their value."""
    if all(v is None for v in changes.values()):
        raise click.UsageError("nothing to change: give at least one of the options")

    async def build(rpc: AsyncClient, actions: GovernedActions) -> tuple[Instruction, str]:
        config = await require_governance(rpc, actions.governance, settings.url)
        params = dataclasses.replace(config.params, **{k: v for k, v in changes.items() if v is not None})
        try:
            params = ConfigParams(**dataclasses.asdict(params)).check()
        except ValueError as e:
            raise UserFacingError(str(e)) from None
        return actions.update_config(params), f"governance config: {_changes(**changes)}"

    run_proposal(settings, options, as_json, build)


@propose.command("cancel")
@proposal_argument
@proposal_options
def cancel(proposal_id: int, options: ProposalOptions, settings: Settings, as_json: bool) -> None:
    """Cancel open PROPOSAL by quorum: the way other regulators than its proposer cancel once the
    registry names a governance program."""

    async def build(rpc: AsyncClient, actions: GovernedActions) -> tuple[Instruction, str]:
        config = await require_governance(rpc, actions.governance, settings.url)
        await fetch_proposal(rpc, actions.governance, config, proposal_id)
        return actions.cancel(proposal_id), f"cancel proposal {proposal_id}"

    run_proposal(settings, options, as_json, build)


@propose.command("revoke-cert")
@click.argument("certificate", type=PUBKEY)
@click.option("--reason", required=True, help="Why (1 to 64 bytes).")
@proposal_options
def revoke_cert(
    certificate: Pubkey, reason: str, options: ProposalOptions, settings: Settings, as_json: bool
) -> None:
    """Revoke CERTIFICATE with --reason: a pending or valid one, or a requested one in any status but
    revoked (a retired or expired original keeps its status; every certificate split from it is
    stopped)."""
    check_reason(reason)

    async def build(rpc: AsyncClient, actions: GovernedActions) -> tuple[Instruction, str]:
        await require_revocable(rpc, certificate)
        return actions.revoke_certificate(certificate, reason), f"revoke certificate: {reason}"

    run_proposal(settings, options, as_json, build)


def check_reason(reason: str) -> None:
    size = len(reason.encode())
    if not 1 <= size <= 64:
        raise click.BadParameter(f"a reason is 1 to 64 bytes of UTF-8, got {size}", param_hint="--reason")


async def require_revocable(rpc: AsyncClient, certificate: Pubkey) -> None:
    found = await require_certificate(rpc, CertificatesClient(), certificate)
    refused = found.revocation_refused()
    if refused is not None:
        raise UserFacingError(f"certificate {certificate} {refused}")

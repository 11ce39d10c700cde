"""Checks the wallet commands make before sending, so the common mistakes read as one clear line
instead of a program error code."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

import click
from solana.rpc.async_api import AsyncClient
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from solgrid.cli.common import Settings
from solgrid.errors import UserFacingError
from solgrid.sdk.anchor import ProgramCoder
from solgrid.sdk.keys import read_keypair
from solgrid.sdk.readings import DeviceSigner
from solgrid.sdk.registry import Config, Meter, RegistryClient, User, zone_name_bytes
from solgrid.sdk.transactions import Landed, TransactionFailed, send_and_confirm


class NotRegistered(UserFacingError):
    """A wallet or meter the command needs is not in the registry."""


class NotInitialized(UserFacingError):
    """The registry has no Config on this cluster."""


class NotRegulator(UserFacingError):
    """The wallet cannot take a regulator action alone."""


def check_zone_name(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    """Callback of a ``--name`` option naming a grid zone: up to 32 UTF-8 bytes, as the registry stores."""
    try:
        zone_name_bytes(value)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--name") from None
    return value


def governed_message(program: Pubkey) -> str:
    """Why a co-signed privileged action is refused once ``program`` governs the registry."""
    return (
        f"the registry hands privileged actions to the governance program {program}: they are performed by "
        "executing an approved proposal (`solgrid gov propose ...`); co-signing regulators no longer suffice"
    )


async def require_config(rpc: AsyncClient, registry: RegistryClient, url: str) -> Config:
    config = await registry.fetch_config(rpc)
    if config is None:
        raise NotInitialized(
            f"the SolGrid registry is not initialized on {url} (are the programs deployed there? "
            "then their upgrade authority runs `solgrid regulator init`)"
        )
    return config


async def require_regulator(
    rpc: AsyncClient, registry: RegistryClient, url: str, signer: Pubkey, *, privileged: bool
) -> Config:
    """The Config, after checking ``signer`` may act alone: a configured regulator, and for privileged
    actions (zones, settlement authority) the only signature the threshold asks for."""
    config = await require_config(rpc, registry, url)
    if signer not in config.regulators:
        raise NotRegulator(f"wallet {signer} is not a registry regulator")
    if privileged and config.governance_program is not None:
        raise NotRegulator(governed_message(config.governance_program))
    if privileged and config.regulator_threshold != 1:
        raise NotRegulator(
            f"this action needs {config.regulator_threshold} regulator signatures; "
            "the CLI signs with one wallet (use the SDK with every cosigner)"
        )
    return config


async def require_user(rpc: AsyncClient, registry: RegistryClient, wallet: Pubkey) -> User:
    user = await registry.fetch_user(rpc, wallet)
    if user is None:
        raise NotRegistered(f"wallet {wallet} is not a registered user (run `solgrid user register`)")
    return user


async def require_meter(rpc: AsyncClient, registry: RegistryClient, serial: str) -> Meter:
    meter = await registry.fetch_meter(rpc, serial)
    if meter is None:
        raise NotRegistered(f"meter {serial!r} is not registered")
    return meter


def device_signer(path: Path) -> DeviceSigner:
    """A meter's device key from a Solana-format keypair file (its first 32 bytes are the seed)."""
    return DeviceSigner.from_seed(bytes(read_keypair(path.expanduser()))[:32])


SIGNATURE_FEE_LAMPORTS = 5_000
"""The base fee of one signature."""


class InsufficientSol(UserFacingError):
    """The fee payer cannot pay."""


async def send(
    rpc: AsyncClient,
    settings: Settings,
    instructions: Sequence[Instruction],
    payer: Keypair,
    coders: Sequence[ProgramCoder],
    signers: Sequence[Keypair] = (),
) -> Landed:
    """``send_and_confirm`` at the settings' commitment, after checking the payer can pay at all (an empty
    account otherwise fails with the node's cryptic "no record of a prior credit"). ``signers`` sign
    besides the payer.

    Running the same command twice within one blockhash's lifetime builds the very same transaction
    (same message, same deterministic signature), which the cluster refuses as "already processed"
    although this one never landed; it is then re-signed once over a newer blockhash."""
    if (await rpc.get_balance(payer.pubkey())).value == 0:
        raise InsufficientSol(
            f"insufficient SOL: fee payer {payer.pubkey()} has none (fund it, e.g. `solgrid airdrop 1`)"
        )
    try:
        return await send_and_confirm(
            rpc, instructions, payer, signers, commitment=settings.commitment, coders=coders
        )
    except TransactionFailed as e:
        if ALREADY_PROCESSED not in str(e):
            raise
    await _next_blockhash(rpc, settings)
    return await send_and_confirm(
        rpc, instructions, payer, signers, commitment=settings.commitment, coders=coders
    )


ALREADY_PROCESSED = "already been processed"
BLOCKHASH_WAIT_SECONDS = 30.0


async def _next_blockhash(rpc: AsyncClient, settings: Settings) -> None:
    """Wait until the cluster hands out a blockhash other than the current one (a new slot)."""
    seen = (await rpc.get_latest_blockhash(settings.commitment)).value.blockhash
    deadline = asyncio.get_running_loop().time() + BLOCKHASH_WAIT_SECONDS
    while (await rpc.get_latest_blockhash(settings.commitment)).value.blockhash == seen:
        if asyncio.get_running_loop().time() > deadline:
            raise UserFacingError(
                f"{settings.url} handed out no new blockhash in {BLOCKHASH_WAIT_SECONDS:.0f} s"
            )
        await asyncio.sleep(0.2)

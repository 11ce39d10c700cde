"""Checks the wallet commands make before sending, so the common mistakes read as one clear line
instead of a program error code."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from solana.rpc.async_api import AsyncClient
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from solgrid.cli.common import Settings
from solgrid.errors import UserFacingError
from solgrid.sdk.anchor import ProgramCoder
from solgrid.sdk.keys import read_keypair
from solgrid.sdk.readings import DeviceSigner
from solgrid.sdk.registry import Meter, RegistryClient, User
from solgrid.sdk.transactions import Landed, send_and_confirm


class NotRegistered(UserFacingError):
    """A wallet or meter the command needs is not in the registry."""


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


class InsufficientSol(UserFacingError):
    """The fee payer has no SOL."""


async def send(
    rpc: AsyncClient,
    settings: Settings,
    instructions: Sequence[Instruction],
    payer: Keypair,
    coders: Sequence[ProgramCoder],
) -> Landed:
    """``send_and_confirm`` at the settings' commitment, after checking the payer can pay at all (an empty
    account otherwise fails with the node's cryptic "no record of a prior credit")."""
    if (await rpc.get_balance(payer.pubkey())).value == 0:
        raise InsufficientSol(
            f"insufficient SOL: fee payer {payer.pubkey()} has none (fund it, e.g. `solgrid airdrop 1`)"
        )
    return await send_and_confirm(rpc, instructions, payer, commitment=settings.commitment, coders=coders)

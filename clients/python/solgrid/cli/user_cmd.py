"""``solgrid user``: register the wallet in the SolGrid registry and look users up."""

from __future__ import annotations

import click
from solana.rpc.async_api import AsyncClient
from solders.pubkey import Pubkey

from solgrid.cli.chain import require_config, require_user, send
from solgrid.cli.common import PUBKEY, Settings, call, cluster_options, emit_json, json_option, status
from solgrid.errors import UserFacingError
from solgrid.sdk.registry import RegistryClient, User, UserRole
from solgrid.sdk.wallet import plain

ROLES = {role.name.lower().replace("_", "-"): role for role in UserRole}


class AlreadyRegistered(UserFacingError):
    """The wallet already has a User account."""


def user_json(address: Pubkey, user: User) -> dict[str, object]:
    document: dict[str, object] = {"address": str(address), **plain(user)}
    return document


@click.group()
def user() -> None:
    """Registry users (prosumers, consumers, grid operators)."""


@user.command("register")
@click.option("--role", type=click.Choice(sorted(ROLES)), required=True, help="Your role in the market.")
@click.option("--zone", "zone_id", type=click.IntRange(0, 2**32 - 1), required=True, help="Grid zone id.")
@cluster_options
@json_option
def register(role: str, zone_id: int, settings: Settings, as_json: bool) -> None:
    """Register the wallet as a user (pending until a regulator verifies it)."""
    wallet = settings.keypair()
    registry = RegistryClient()

    async def work(rpc: AsyncClient) -> str:
        await require_config(rpc, registry, settings.url)
        if await registry.fetch_user(rpc, wallet.pubkey()) is not None:
            raise AlreadyRegistered(f"wallet {wallet.pubkey()} is already registered")
        if await registry.fetch_zone(rpc, zone_id) is None:
            raise UserFacingError(f"grid zone {zone_id} does not exist on {settings.url}")
        status(f"registering {wallet.pubkey()} as {role} in zone {zone_id} ...")
        ix = registry.register_user(
            payer=wallet.pubkey(), authority=wallet.pubkey(), role=ROLES[role], zone_id=zone_id
        )
        landed = await send(rpc, settings, [ix], wallet, coders=[registry.coder])
        return str(landed.signature)

    signature = call(settings, work)
    address = registry.user_pda(wallet.pubkey()).address
    if as_json:
        emit_json({"signature": signature, "wallet": str(wallet.pubkey()), "user": str(address)})
    else:
        click.echo(f"registered {wallet.pubkey()} as {role} in zone {zone_id} (user account {address})")
        click.echo(f"signature: {signature}")


@user.command("show")
@click.argument("wallet", type=PUBKEY, required=False)
@cluster_options
@json_option
def show(wallet: Pubkey | None, settings: Settings, as_json: bool) -> None:
    """The registry record of WALLET (default: the wallet)."""
    owner = wallet or settings.keypair().pubkey()
    registry = RegistryClient()

    async def work(rpc: AsyncClient) -> User:
        return await require_user(rpc, registry, owner)

    record = call(settings, work)
    document = user_json(registry.user_pda(owner).address, record)
    if as_json:
        emit_json(document)
        return
    for key, value in document.items():
        click.echo(f"{key + ':':<15}{value}")

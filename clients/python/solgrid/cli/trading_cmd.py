"""``solgrid trading init``: create the trading program's Config on a cluster where it is deployed.

Run once by the program's upgrade authority, after ``solgrid regulator init`` (the GRID mint must exist:
it becomes the markets' base mint, and the registry the deployment trusts is the registry program of
the shipped IDL). Skipped when already done.
"""

from __future__ import annotations

import click
from solana.rpc.async_api import AsyncClient

from solgrid.cli.chain import send
from solgrid.cli.common import Settings, call, cluster_options, emit_json, json_option, status
from solgrid.errors import UserFacingError
from solgrid.sdk.energy_token import EnergyTokenClient
from solgrid.sdk.trading import Config, TradingClient


@click.group()
def trading() -> None:
    """The trading program's deployment: init."""


@trading.command("init")
@cluster_options
@json_option
def init(settings: Settings, as_json: bool) -> None:
    """Create the trading Config (run by the program's upgrade authority, after `solgrid regulator init`):
    GRID is the base mint of every market. Skipped when already done."""
    wallet = settings.keypair()
    client, token = TradingClient(), EnergyTokenClient()

    async def work(rpc: AsyncClient) -> tuple[Config, str | None]:
        config = await client.fetch_config(rpc, settings.commitment)
        if config is not None:
            if config.base_mint != token.mint:
                raise UserFacingError(
                    f"the trading Config's base mint is {config.base_mint}, not energy_token's GRID mint "
                    f"{token.mint}"
                )
            status("initialize trading: already done")
            return config, None
        if await token.fetch_config(rpc) is None:
            raise UserFacingError(
                f"the GRID mint does not exist on {settings.url}: run `solgrid regulator init` first"
            )
        status("initialize trading ...")
        ix = client.initialize(payer=wallet.pubkey(), authority=wallet.pubkey(), base_mint=token.mint)
        landed = await send(rpc, settings, [ix], wallet, coders=[client.coder])
        created = await client.fetch_config(rpc, settings.commitment)
        assert created is not None
        return created, str(landed.signature)

    config, signature = call(settings, work)
    document = {
        "config": str(client.config_pda().address),
        "authority": str(config.authority),
        "base_mint": str(config.base_mint),
        "registry_program": str(config.registry_program),
        "signature": signature,
    }
    if as_json:
        emit_json(document)
        return
    click.echo("initialize trading: " + ("already done" if signature is None else f"signature {signature}"))
    click.echo(f"trading config: {document['config']}")
    click.echo(f"base mint (GRID): {config.base_mint}")

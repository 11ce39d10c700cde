"""``solgrid config``: the default cluster, keypair and commitment, kept in the CLI's config file."""

from __future__ import annotations

from pathlib import Path

import click

from solgrid.cli.common import (
    COMMITMENTS,
    URL_HELP,
    check_commitment,
    config_path,
    emit_json,
    json_option,
    read_config,
    resolve_settings,
    resolve_url,
    write_config,
)


@click.group()
def config() -> None:
    """Show or change the default cluster, keypair and commitment."""


@config.command("get")
@json_option
def get(as_json: bool) -> None:
    """Print the effective settings (flags aside) and where they are stored."""
    settings = resolve_settings(None, None)
    document = {
        "config_file": str(config_path()),
        "url": settings.url,
        "keypair": str(settings.keypair_path),
        "commitment": str(settings.commitment),
    }
    if as_json:
        emit_json(document)
        return
    for key, value in document.items():
        click.echo(f"{key + ':':<13}{value}")


@config.command("set")
@click.option("--url", "-u", help=URL_HELP)
@click.option("--keypair", "-k", type=click.Path(path_type=Path), help="Default wallet keypair file.")
@click.option("--commitment", type=click.Choice(COMMITMENTS), help="Default commitment.")
@json_option
def set_(url: str | None, keypair: Path | None, commitment: str | None, as_json: bool) -> None:
    """Store new defaults (only the options given change; the others keep their stored value)."""
    if url is None and keypair is None and commitment is None:
        raise click.UsageError("nothing to set: give --url, --keypair and/or --commitment")
    settings = read_config()
    if url is not None:
        resolve_url(url)  # an unknown moniker is refused before it is stored
        settings["url"] = url
    if keypair is not None:
        settings["keypair"] = str(keypair.expanduser().resolve())
    if commitment is not None:
        settings["commitment"] = str(check_commitment(commitment))
    path = write_config(settings)
    if as_json:
        emit_json({"config_file": str(path), **settings})
    else:
        click.echo(f"saved {path}")

"""``solgrid keys``: wallet keypair files in the Solana CLI format (a JSON array of 64 bytes, mode 0600).

The default file is ``~/.config/solana/id.json`` (the Solana CLI's), so a wallet made here works there
and vice versa. An existing file is never replaced unless ``--force`` is given.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TextIO

import click
from solders.keypair import Keypair

from solgrid.cli.common import emit_json, json_option, resolve_settings
from solgrid.errors import UserFacingError
from solgrid.sdk.keys import KeypairFileError, read_keypair, write_keypair

OUTFILE_HELP = (
    "Keypair file (default: --keypair, SOLGRID_KEYPAIR, the config file, ~/.config/solana/id.json)."
)


class KeyExists(UserFacingError):
    """Refusing to overwrite a keypair file."""


def _target(outfile: Path | None) -> Path:
    return outfile.expanduser() if outfile else resolve_settings("localnet", None).keypair_path


def _save(path: Path, keypair: Keypair, force: bool) -> None:
    if path.exists() and not force:
        raise KeyExists(f"{path} already exists; pass --force to overwrite it (its funds would be lost)")
    write_keypair(path, keypair)


@click.group()
def keys() -> None:
    """Create, show and import wallet keypairs."""


@keys.command("new")
@click.option("--outfile", "-o", type=click.Path(path_type=Path), help=OUTFILE_HELP)
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@json_option
def new(outfile: Path | None, force: bool, as_json: bool) -> None:
    """Generate a new keypair and write it to a file readable by its owner only."""
    path = _target(outfile)
    keypair = Keypair()
    _save(path, keypair, force)
    if as_json:
        emit_json({"pubkey": str(keypair.pubkey()), "path": str(path)})
    else:
        click.echo(f"wrote new keypair to {path}")
        click.echo(f"pubkey: {keypair.pubkey()}")


@keys.command("show")
@click.option("--keypair", "-k", type=click.Path(path_type=Path), help=OUTFILE_HELP)
@json_option
def show(keypair: Path | None, as_json: bool) -> None:
    """Print the public key of a keypair file."""
    path = _target(keypair)
    pubkey = read_keypair(path).pubkey()
    if as_json:
        emit_json({"pubkey": str(pubkey), "path": str(path)})
    else:
        click.echo(str(pubkey))


@keys.command("import")
@click.argument("source", type=click.File("r"))
@click.option("--outfile", "-o", type=click.Path(path_type=Path), help=OUTFILE_HELP)
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@json_option
def import_(source: TextIO, outfile: Path | None, force: bool, as_json: bool) -> None:
    """Import a secret key: a Solana JSON keypair (64-byte array) or a base58 secret key, read from
    SOURCE (a file, or - for stdin)."""
    text = source.read().strip()
    keypair = _parse_secret(text, source.name)
    path = _target(outfile)
    _save(path, keypair, force)
    if as_json:
        emit_json({"pubkey": str(keypair.pubkey()), "path": str(path)})
    else:
        click.echo(f"imported {keypair.pubkey()} into {path}")


def _parse_secret(text: str, origin: str) -> Keypair:
    try:
        if text.startswith("["):
            return Keypair.from_bytes(bytes(json.loads(text)))
        return Keypair.from_base58_string(text)
    except (ValueError, TypeError) as e:
        raise KeypairFileError(
            f"{origin} holds neither a Solana JSON keypair nor a base58 secret key ({e})"
        ) from None

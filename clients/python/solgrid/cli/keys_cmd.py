"""``solgrid keys``: wallet keypair files in the Solana CLI format (a JSON array of 64 bytes, mode 0600).

The default file is ``~/.config/solana/id.json`` (the Solana CLI's), so a wallet made here works there
and vice versa. Nothing is lost on a mistake: an existing file is never replaced unless ``--force`` is
given (the check and the creation are one ``O_EXCL`` open, so no race either), ``--force`` replaces it
atomically (a new file is written next to it and renamed over it), and ``keys import`` validates the
secret key (64 bytes whose public half matches the secret half) before anything is written.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

import click
from solders.keypair import Keypair

from solgrid.cli.common import emit_json, json_option, resolve_settings
from solgrid.errors import UserFacingError
from solgrid.sdk.keys import KeypairFileError, read_keypair

OUTFILE_HELP = "Keypair file (default: SOLGRID_KEYPAIR, the config file's keypair, ~/.config/solana/id.json)."
MAX_SECRET_TEXT = 64 * 1024  # a JSON keypair is ~250 bytes; anything far larger is the wrong file


class KeyExists(UserFacingError):
    """Refusing to overwrite a keypair file."""


def _target(outfile: Path | None) -> Path:
    return outfile.expanduser() if outfile else resolve_settings("localnet", None).keypair_path


def save_keypair(path: Path, keypair: Keypair, force: bool) -> None:
    """Write ``keypair`` to ``path`` (mode 0600); an existing file is kept unless ``force``."""
    data = json.dumps(list(bytes(keypair))).encode()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if force:
            _replace(path, data)
        else:
            _create(path, data)
    except OSError as e:
        raise KeypairFileError(f"cannot write keypair file {path}: {e.strerror or e}") from None


def _create(path: Path, data: bytes) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise KeyExists(
            f"{path} already exists; pass --force to overwrite it (its funds would be lost)"
        ) from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        path.unlink()  # ours (O_EXCL), and incomplete
        raise


def _replace(path: Path, data: bytes) -> None:
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mode 0600
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, path)
    except BaseException:
        os.unlink(temp)
        raise


@click.group()
def keys() -> None:
    """Create, show and import wallet keypairs (Solana CLI JSON format)."""


@keys.command("new")
@click.option("--outfile", "-o", type=click.Path(path_type=Path), help=OUTFILE_HELP)
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@json_option
def new(outfile: Path | None, force: bool, as_json: bool) -> None:
    """Generate a new keypair and write it to a file readable by its owner only."""
    path = _target(outfile)
    keypair = Keypair()
    save_keypair(path, keypair, force)
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
@click.argument("source", type=click.Path(dir_okay=False, allow_dash=True, path_type=str))
@click.option("--outfile", "-o", type=click.Path(path_type=Path), help=OUTFILE_HELP)
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@json_option
def import_(source: str, outfile: Path | None, force: bool, as_json: bool) -> None:
    """Import a secret key: a Solana JSON keypair (64-byte array) or a base58 secret key (as wallets
    export it), read from SOURCE (a file, or - for stdin)."""
    keypair = parse_secret(_read_source(source), "stdin" if source == "-" else source)
    path = _target(outfile)
    save_keypair(path, keypair, force)
    if as_json:
        emit_json({"pubkey": str(keypair.pubkey()), "path": str(path)})
    else:
        click.echo(f"imported {keypair.pubkey()} into {path}")


def _read_source(source: str) -> bytes:
    try:
        if source == "-":
            return sys.stdin.buffer.read(MAX_SECRET_TEXT + 1)
        with open(source, "rb") as f:
            return f.read(MAX_SECRET_TEXT + 1)
    except OSError as e:
        raise KeypairFileError(f"cannot read {source}: {e.strerror or e}") from None


def parse_secret(raw: bytes, origin: str) -> Keypair:
    """A keypair from a Solana JSON keypair or a base58 secret key (64 bytes either way)."""
    if len(raw) > MAX_SECRET_TEXT:
        raise KeypairFileError(f"{origin} is too large to be a keypair")
    try:
        text = raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise KeypairFileError(f"{origin} is not text: expected a Solana JSON keypair or base58") from None
    if text.startswith("["):
        try:
            return Keypair.from_bytes(bytes(json.loads(text)))
        except (ValueError, TypeError) as e:
            raise KeypairFileError(f"{origin} is not a Solana JSON keypair: {e}") from None
    try:
        return Keypair.from_base58_string(text)
    except ValueError as e:
        raise KeypairFileError(
            f"{origin} holds neither a Solana JSON keypair nor a base58 secret key ({e})"
        ) from None

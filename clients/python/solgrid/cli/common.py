"""What every wallet command shares: where the cluster and keypair come from, running async work,
``--json`` output and progress lines.

Resolution order (first wins) for the cluster URL, the keypair file and the commitment:
command-line flag (``--url``/``--keypair``), environment (``SOLGRID_URL``, ``SOLGRID_KEYPAIR``,
``SOLGRID_COMMITMENT``), the config file (``SOLGRID_CONFIG`` or ``~/.config/solgrid/config.toml``, written
by ``solgrid config set``), then the defaults (localnet, ``~/.config/solana/id.json``, confirmed).
A URL may be a moniker (localnet, devnet, testnet, mainnet-beta) or an http(s) URL.

The commitment has a flag too (``--commitment``) and follows the same order.

Errors: chain and user errors are :class:`~solgrid.errors.UserFacingError` (exit 1); bad arguments
(unknown cluster, malformed pubkey or serial) are click usage errors (exit 2). Both print one line;
:func:`run` turns what the RPC client raises (transport, HTTP status, JSON-RPC error, an answer that is
not JSON-RPC, a transaction that does not confirm in time) into one-line user errors.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import tomllib
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import wraps
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import click
import httpx
from solana.exceptions import SolanaRpcException
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Commitment
from solana.rpc.core import (
    RPCException,
    RPCNoResultException,
    TransactionExpiredBlockheightExceededError,
    UnconfirmedTxError,
)
from solders.errors import SerdeJSONError
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from solgrid.errors import UserFacingError
from solgrid.sdk.keys import DEFAULT_KEYPAIR, KeypairFileError, read_keypair
from solgrid.sdk.workspace import CLUSTER_URLS

DEFAULT_CONFIG = Path("~/.config/solgrid/config.toml")
COMMITMENTS = ("processed", "confirmed", "finalized")
CONFIG_KEYS = ("url", "keypair", "commitment")

P = ParamSpec("P")
T = TypeVar("T")


class ConfigFileError(UserFacingError):
    """The CLI config file cannot be read."""


class NodeUnreachable(UserFacingError):
    """The RPC endpoint does not answer."""


class RpcError(UserFacingError):
    """The RPC endpoint answered with an error, or not as a Solana JSON-RPC endpoint."""


class NotConfirmed(UserFacingError):
    """A sent transaction was not seen at the requested commitment in time (it may still land)."""


def config_path() -> Path:
    return Path(os.environ.get("SOLGRID_CONFIG", str(DEFAULT_CONFIG))).expanduser()


def read_config(path: Path | None = None) -> dict[str, str]:
    """The config file's settings (empty when it does not exist)."""
    path = path or config_path()
    if not path.exists():
        return {}
    try:
        raw = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise ConfigFileError(f"cannot read config file {path}: {e}") from None
    unknown = sorted(set(raw) - set(CONFIG_KEYS))
    if unknown:
        raise ConfigFileError(f"config file {path} has unknown keys: {', '.join(unknown)}")
    return {k: str(v) for k, v in raw.items()}


def write_config(settings: dict[str, str], path: Path | None = None) -> Path:
    """Write ``settings`` as TOML (string values only), atomically: a crash or a full disk leaves the
    previous file as it was."""
    path = path or config_path()
    text = "".join(f"{key} = {toml_string(settings[key])}\n" for key in CONFIG_KEYS if key in settings)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        try:
            with os.fdopen(fd, "w") as f:
                f.write(text)
            os.replace(temp, path)
        except BaseException:
            os.unlink(temp)
            raise
    except OSError as e:
        raise ConfigFileError(f"cannot write config file {path}: {e.strerror or e}") from None
    return path


def toml_string(value: str) -> str:
    """``value`` as a TOML basic string: quotes, backslashes and control characters escaped."""
    escaped = []
    for char in value:
        if char in '"\\':
            escaped.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            escaped.append(f"\\u{ord(char):04X}")
        else:
            escaped.append(char)
    return '"' + "".join(escaped) + '"'


def resolve_url(value: str) -> str:
    """An RPC URL from a moniker or a URL; unknown monikers are usage errors."""
    if value.startswith(("http://", "https://")):
        return value
    if value in CLUSTER_URLS:
        return CLUSTER_URLS[value]
    known = ", ".join(sorted(CLUSTER_URLS))
    raise click.BadParameter(
        f"unknown cluster {value!r}; use an http(s) URL or one of {known}", param_hint="--url"
    )


def check_commitment(value: str) -> Commitment:
    if value not in COMMITMENTS:
        raise click.BadParameter(f"unknown commitment {value!r}; use one of {', '.join(COMMITMENTS)}")
    return Commitment(value)


@dataclass(frozen=True)
class Settings:
    """The effective cluster, keypair file and commitment of one invocation."""

    url: str
    keypair_path: Path
    commitment: Commitment

    def keypair(self) -> Keypair:
        if not self.keypair_path.exists():
            raise KeypairFileError(
                f"keypair file {self.keypair_path} not found (create it with `solgrid keys new`, or pass "
                "--keypair)"
            )
        return read_keypair(self.keypair_path)

    def connect(self) -> AsyncClient:
        return AsyncClient(self.url, commitment=self.commitment)


def resolve_settings(url: str | None, keypair: Path | None, commitment: str | None = None) -> Settings:
    """The effective settings: flag, else environment, else config file, else default (per setting)."""
    file = read_config()
    chosen_url = url or os.environ.get("SOLGRID_URL") or file.get("url") or "localnet"
    chosen_key = keypair or _path(os.environ.get("SOLGRID_KEYPAIR") or file.get("keypair")) or DEFAULT_KEYPAIR
    chosen_commitment = (
        commitment or os.environ.get("SOLGRID_COMMITMENT") or file.get("commitment") or "confirmed"
    )
    return Settings(resolve_url(chosen_url), chosen_key.expanduser(), check_commitment(chosen_commitment))


def _path(value: str | None) -> Path | None:
    return Path(value) if value else None


URL_HELP = "RPC URL or moniker (localnet, devnet, testnet, mainnet-beta)."


def cluster_options(f: Callable[..., T]) -> Callable[..., T]:
    """Adds ``--url/-u``, ``--keypair/-k`` and ``--commitment``; the command receives
    ``settings: Settings``."""

    @click.option("--url", "-u", "url_opt", help=URL_HELP)
    @click.option(
        "--keypair", "-k", "keypair_opt", type=click.Path(path_type=Path), help="Wallet keypair file."
    )
    @click.option(
        "--commitment",
        "commitment_opt",
        type=click.Choice(COMMITMENTS),
        help="Commitment to read at and wait for (default: confirmed).",
    )
    @wraps(f)
    def wrapper(
        *args: Any, url_opt: str | None, keypair_opt: Path | None, commitment_opt: str | None, **kwargs: Any
    ) -> T:
        return f(*args, settings=resolve_settings(url_opt, keypair_opt, commitment_opt), **kwargs)

    return wrapper


json_option = click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")


def run(coro: Coroutine[Any, Any, T], url: str = "") -> T:
    """Run ``coro``; what the RPC client raises becomes a one-line user error naming ``url``."""
    try:
        return asyncio.run(coro)
    except Exception as e:
        failure = rpc_failure(e, url)
        if failure is None:
            raise
        raise failure from None


def rpc_failure(error: Exception, url: str) -> UserFacingError | None:
    """The one-line user error for what the RPC client raised talking to ``url`` (None: ``error`` is
    not an RPC failure)."""
    if isinstance(error, SolanaRpcException | httpx.TransportError):
        cause = error.__cause__ or error
        if isinstance(cause, httpx.HTTPStatusError):
            answer = cause.response
            return RpcError(
                f"the RPC endpoint {url} answered HTTP {answer.status_code} {answer.reason_phrase}"
            )
        return NodeUnreachable(f"cannot reach the RPC endpoint {url}: {type(cause).__name__}: {cause}")
    if isinstance(error, RPCException | RPCNoResultException):
        return RpcError(f"the RPC endpoint {url} returned an error: {rpc_error_message(error)}")
    if isinstance(error, SerdeJSONError):
        return RpcError(f"{url} did not answer as a Solana JSON-RPC endpoint ({error})")
    if isinstance(error, UnconfirmedTxError | TransactionExpiredBlockheightExceededError):
        return NotConfirmed(
            f"{error} at {url}; it may still land: check with `solgrid history` before retrying"
        )
    return None


def rpc_error_message(error: Exception) -> str:
    """The message of a JSON-RPC error response (``RPCException`` carries the parsed error object)."""
    detail = error.args[0] if error.args else error
    return str(getattr(detail, "message", detail))


async def with_client(settings: Settings, work: Callable[[AsyncClient], Awaitable[T]]) -> T:
    async with settings.connect() as client:
        return await work(client)


def call(settings: Settings, work: Callable[[AsyncClient], Awaitable[T]]) -> T:
    """``work(client)`` against the settings' node, with one-line errors when it is down."""
    return run(with_client(settings, work), settings.url)


def emit_json(document: object) -> None:
    """One JSON document on stdout (stable keys, sorted)."""
    click.echo(json.dumps(document, indent=2, sort_keys=True))


def status(message: str) -> None:
    """A progress line: on stderr, so ``--json`` stdout stays machine-readable."""
    click.echo(message, err=True)


def parse_pubkey(value: str, what: str = "address") -> Pubkey:
    try:
        return Pubkey.from_string(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a valid {what} (base58 public key)") from None


class PubkeyType(click.ParamType[Pubkey]):
    name = "PUBKEY"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Pubkey:
        if isinstance(value, Pubkey):
            return value
        return parse_pubkey(str(value))


PUBKEY = PubkeyType()


class SerialType(click.ParamType[str]):
    """A meter serial: 1 to 32 UTF-8 bytes, no NUL (the registry stores it zero-padded)."""

    name = "SERIAL"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        serial = str(value)
        size = len(serial.encode())
        if not 1 <= size <= 32 or "\0" in serial:
            self.fail(f"{serial!r}: a meter serial is 1 to 32 UTF-8 bytes without NUL ({size})", param, ctx)
        return serial


SERIAL = SerialType()


def format_grid(units: int, signed: bool = False) -> str:
    """GRID base units as fixed 9-decimal text (``1.250000000``; ``+1.250000000`` when ``signed``), the
    stable form of ``--json``."""
    from solgrid.sdk.energy_token import base_units_to_grid

    return f"{base_units_to_grid(units):{'+' if signed else ''}.9f}"


def format_sol(lamports: int, signed: bool = False) -> str:
    """Lamports as SOL with 9 decimals (``0.500000000``; ``-0.000005000`` when ``signed``)."""
    return f"{Decimal(lamports) / 10**9:{'+' if signed else ''}.9f}"


def parse_sol(value: str) -> int:
    """SOL (decimal text, up to 9 places) to lamports."""
    return _parse_units(value, 9, "SOL")


def parse_grid(value: str) -> int:
    """GRID (decimal text, up to 9 places) to base units."""
    from solgrid.sdk.energy_token import DECIMALS

    return _parse_units(value, DECIMALS, "GRID")


def _parse_units(value: str, decimals: int, unit: str) -> int:
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise click.BadParameter(f"{value!r} is not a {unit} amount") from None
    if not amount.is_finite():
        raise click.BadParameter(f"{value!r} is not a {unit} amount")
    units = amount * 10**decimals
    if units != units.to_integral_value() or units <= 0:
        raise click.BadParameter(f"{value!r}: a {unit} amount is positive with at most {decimals} decimals")
    return int(units)

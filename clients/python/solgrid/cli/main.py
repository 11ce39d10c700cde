"""The ``solgrid`` command: one group, each subcommand in a module of its own.

Errors meant for users (``solgrid.errors.UserFacingError`` and the build's ``BuildError``) are printed as
one line on stderr (``error: ...``) with exit code 1, never as a traceback; usage errors (unknown option,
bad pubkey, unknown cluster) likewise with exit code 2. Every module listed in :data:`COMMANDS` must import:
a failure there is a bug and surfaces as one.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from typing import Any

import click

from solgrid import __version__

# (module, attribute) of each subcommand; modules are imported when the group is built.
COMMANDS: list[tuple[str, str]] = [
    ("solgrid.cli.build_cmd", "build"),
    ("solgrid.cli.localnet_cmd", "localnet"),
    ("solgrid.cli.deploy_cmd", "deploy"),
    ("solgrid.cli.keys_cmd", "keys"),
    ("solgrid.cli.config_cmd", "config"),
    ("solgrid.cli.wallet_cmd", "balance"),
    ("solgrid.cli.wallet_cmd", "airdrop"),
    ("solgrid.cli.wallet_cmd", "transfer"),
    ("solgrid.cli.wallet_cmd", "history"),
    ("solgrid.cli.user_cmd", "user"),
    ("solgrid.cli.meter_cmd", "meter"),
    ("solgrid.cli.reading_cmd", "reading"),
    ("solgrid.cli.settle_cmd", "settle"),
    ("solgrid.cli.regulator_cmd", "regulator"),
    ("solgrid.cli.oracle_cmd", "oracle"),
    ("solgrid.cli.indexer_cmd", "indexer"),
]

EXIT_USER_ERROR = 1
EXIT_USAGE = 2

EPILOG = """\b
Cluster, wallet and commitment: --url/--keypair on each command, else SOLGRID_URL, SOLGRID_KEYPAIR,
SOLGRID_COMMITMENT, else the config file (SOLGRID_CONFIG or ~/.config/solgrid/config.toml, see
`solgrid config`), else localnet, ~/.config/solana/id.json, confirmed.
\b
--json: read commands print one JSON document on stdout; progress goes to stderr.
\b
Exit codes: 0 success; 1 user or chain error (missing keypair, unregistered user, insufficient funds,
transaction rejected, node unreachable); 2 usage error (bad option, bad pubkey, unknown cluster).
Errors are one line on stderr starting with "error: ".
"""


class SolgridGroup(click.Group):
    """The root group: registers :data:`COMMANDS` on first use and turns every error into one line on
    stderr with a script-friendly exit code (also under click's ``CliRunner``, which calls ``main``)."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        from solgrid.errors import user_error_types

        _register(self)
        try:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except (click.exceptions.Abort, KeyboardInterrupt):
            click.echo("aborted", err=True)
            sys.exit(130)
        except click.UsageError as e:
            click.echo(f"error: {e.format_message()}", err=True)
            sys.exit(EXIT_USAGE)
        except click.ClickException as e:
            click.echo(f"error: {e.format_message()}", err=True)
            sys.exit(e.exit_code)
        except user_error_types() as e:
            click.echo(f"error: {e}", err=True)
            sys.exit(EXIT_USER_ERROR)


@click.group(cls=SolgridGroup, context_settings={"help_option_names": ["-h", "--help"]}, epilog=EPILOG)
@click.version_option(__version__, prog_name="solgrid")
def cli() -> None:
    """SolGrid: peer-to-peer energy trading on Solana."""


def _register(group: click.Group) -> None:
    """Adds every listed command once; a listed module that fails to import is a bug and raises."""
    for module_name, attr in COMMANDS:
        if attr not in group.commands:
            module = importlib.import_module(module_name)
            group.add_command(getattr(module, attr))


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script."""
    cli.main(args=argv)

"""The ``solgrid`` command: one group, each subcommand in a module of its own.

Errors meant for users (``solgrid.errors.UserFacingError`` and the build's ``BuildError``) are printed as
one line on stderr (``error: ...``) with exit code 1, never as a traceback; usage errors (unknown option,
bad pubkey, unknown cluster) likewise with exit code 2.

Subcommand modules are imported when their command runs (or when ``--help`` lists them all), so
``solgrid keys show`` does not pay for importing the indexer's database stack. Every module listed in
:data:`COMMANDS` must import: a failure there is a bug and surfaces as one.
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
    ("solgrid.cli.gov_cmd", "gov"),
    ("solgrid.cli.cert_cmd", "cert"),
    ("solgrid.cli.trading_cmd", "trading"),
    ("solgrid.cli.market_cmd", "market"),
    ("solgrid.cli.order_cmd", "order"),
    ("solgrid.cli.book_cmd", "book"),
    ("solgrid.cli.book_cmd", "trades"),
    ("solgrid.cli.auction_cmd", "auction"),
    ("solgrid.cli.funds_cmd", "deposit"),
    ("solgrid.cli.funds_cmd", "withdraw"),
    ("solgrid.cli.oracle_cmd", "oracle"),
    ("solgrid.cli.keeper_cmd", "keeper"),
    ("solgrid.cli.indexer_cmd", "indexer"),
    ("solgrid.cli.api_cmd", "api"),
]

EXIT_USER_ERROR = 1
EXIT_USAGE = 2

EPILOG = """\b
Cluster, wallet and commitment: --url, --keypair, --commitment on each command, else SOLGRID_URL,
SOLGRID_KEYPAIR, SOLGRID_COMMITMENT, else the config file (SOLGRID_CONFIG or
~/.config/solgrid/config.toml, see `solgrid config`), else localnet, ~/.config/solana/id.json, confirmed.
\b
--json (every wallet command): one JSON document on stdout; progress lines go to stderr.
\b
Exit codes: 0 success; 1 user or chain error (missing keypair, unregistered user, insufficient funds,
transaction rejected, node unreachable); 2 usage error (bad option, bad pubkey, unknown cluster);
130 interrupted. Errors are one line on stderr starting with "error: ".
"""


class SolgridGroup(click.Group):
    """The root group: loads each of :data:`COMMANDS` on first use and turns every error into one line on
    stderr with a script-friendly exit code (also under click's ``CliRunner``, which calls ``main``)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({name for _, name in COMMANDS} | set(self.commands))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands:
            for module_name, attr in COMMANDS:
                if attr == cmd_name:
                    self.add_command(getattr(importlib.import_module(module_name), attr))
        return self.commands.get(cmd_name)

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        from solgrid.errors import user_error_types

        try:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except (click.exceptions.Abort, KeyboardInterrupt):
            click.echo("aborted", err=True)
            sys.exit(130)
        except click.UsageError as e:
            _fail(e.format_message(), EXIT_USAGE)
        except click.ClickException as e:
            _fail(e.format_message(), e.exit_code)
        except user_error_types() as e:
            _fail(str(e), EXIT_USER_ERROR)


def _fail(message: str, code: int) -> None:
    """Print ``error: MESSAGE`` as one line (a multi-line message is joined) and exit with ``code``."""
    click.echo(f"error: {' '.join(line.strip() for line in message.splitlines() if line.strip())}", err=True)
    sys.exit(code)


@click.group(cls=SolgridGroup, context_settings={"help_option_names": ["-h", "--help"]}, epilog=EPILOG)
@click.version_option(__version__, prog_name="solgrid")
def cli() -> None:
    """SolGrid: peer-to-peer energy trading on Solana."""


def load_all_commands() -> click.Group:
    """The root group with every listed command loaded (for walking the whole command tree)."""
    for _, name in COMMANDS:
        cli.get_command(click.Context(cli), name)
    return cli


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script."""
    cli.main(args=argv)

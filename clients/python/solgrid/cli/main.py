"""The ``solgrid`` command: one group, each subcommand in a module of its own.

Errors meant for users (``solgrid.errors.UserFacingError`` and the build's ``BuildError``) are printed as
one line on stderr with a non-zero exit code, never as a traceback.
"""

from __future__ import annotations

import importlib
import sys

import click

from solgrid import __version__

# (module, attribute) of each subcommand; modules are imported when the group is built.
COMMANDS: list[tuple[str, str]] = [
    ("solgrid.cli.build_cmd", "build"),
    ("solgrid.cli.localnet_cmd", "localnet"),
    ("solgrid.cli.deploy_cmd", "deploy"),
]

EXIT_USER_ERROR = 1


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="solgrid")
def cli() -> None:
    """SolGrid: peer-to-peer energy trading on Solana."""


def _register() -> None:
    for module_name, attr in COMMANDS:
        module = importlib.import_module(module_name)
        cli.add_command(getattr(module, attr))


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script."""
    from solgrid.errors import user_error_types

    _register()
    try:
        cli.main(args=argv, standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except user_error_types() as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(EXIT_USER_ERROR)

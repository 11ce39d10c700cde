"""docs/cli.md cannot drift from the command tree: every command and subcommand has its section, no
section names a command that does not exist, and the sections of the wallet (and build/deploy) commands
name every argument and option."""

from __future__ import annotations

import click
from cli_docs import command_tree, documented_json_keys, sections

from solgrid.cli.main import COMMANDS

FULLY_DOCUMENTED_MODULES = {
    "solgrid.cli.keys_cmd",
    "solgrid.cli.config_cmd",
    "solgrid.cli.wallet_cmd",
    "solgrid.cli.user_cmd",
    "solgrid.cli.meter_cmd",
    "solgrid.cli.reading_cmd",
    "solgrid.cli.settle_cmd",
    "solgrid.cli.regulator_cmd",
    "solgrid.cli.gov_cmd",
    "solgrid.cli.cert_cmd",
    "solgrid.cli.trading_cmd",
    "solgrid.cli.market_cmd",
    "solgrid.cli.order_cmd",
    "solgrid.cli.book_cmd",
    "solgrid.cli.auction_cmd",
    "solgrid.cli.funds_cmd",
    "solgrid.cli.build_cmd",
    "solgrid.cli.deploy_cmd",
}


def test_every_command_has_a_section_and_every_section_a_command() -> None:
    tree = command_tree()
    documented = set(sections())
    assert sorted(set(tree) - documented) == [], "commands missing from docs/cli.md"
    assert sorted(documented - set(tree)) == [], "docs/cli.md documents commands that do not exist"


def test_fully_documented_commands_name_every_argument_and_option() -> None:
    roots = {f"solgrid {name}" for module, name in COMMANDS if module in FULLY_DOCUMENTED_MODULES}
    tree = command_tree()
    checked = 0
    for path, command in tree.items():
        if " ".join(path.split()[:2]) not in roots or isinstance(command, click.Group):
            continue
        text = sections()[path]
        for param in command.params:
            if isinstance(param, click.Argument):
                assert f"`{param.human_readable_name}`" in text, (path, param.human_readable_name)
            else:
                for flag in param.opts:
                    assert f"`{flag}" in text or f" {flag}" in text, (path, flag)
        assert "```sh\nsolgrid " + path.removeprefix("solgrid ") in text, (path, "no example")
        checked += 1
    assert checked == 77


def test_every_wallet_command_documents_its_json() -> None:
    for path, command in command_tree().items():
        if isinstance(command, click.Group) or not any(p.name == "as_json" for p in command.params):
            continue
        if path.startswith("solgrid oracle"):
            continue  # documented in docs/oracle.md
        assert documented_json_keys(path), path
    assert documented_json_keys("solgrid history", of="transactions") >= {"signature", "events"}
    assert documented_json_keys("solgrid history", of="events") == {"program", "name", "fields"}

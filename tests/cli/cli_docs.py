"""docs/cli.md read back by the tests: one section per command (``### `solgrid PATH` ``) and the JSON keys
each section documents (``JSON: `a`, `b` ...`` and ``JSON of `list[]`: ...`` lines)."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import click

from solgrid.cli.main import load_all_commands

DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"
_HEADING = re.compile(r"^### `(solgrid(?: [a-z-]+)*)`$", re.MULTILINE)
_JSON_LINE = re.compile(r"^JSON(?: of `(\w+)\[\]`)?: (.*)$", re.MULTILINE)


@cache
def sections() -> dict[str, str]:
    """Command path (``solgrid meter register``) -> the text of its section."""
    text = DOC.read_text()
    found: dict[str, str] = {}
    matches = list(_HEADING.finditer(text))
    for match, following in zip(matches, [*matches[1:], None], strict=True):
        end = following.start() if following else text.find("\n## ", match.end())
        found[match.group(1)] = text[match.end() : end if end != -1 else len(text)]
    return found


def documented_json_keys(path: str, of: str | None = None) -> set[str]:
    """The keys a section lists for the ``--json`` document (or for each item of its list ``of``): the
    backticked names before any parenthesised note or "and"."""
    for match in _JSON_LINE.finditer(sections()[path]):
        if match.group(1) == of:
            listed = re.split(r" \(| and ", match.group(2))[0]
            return set(re.findall(r"`(\w+)`", listed))
    raise KeyError(f"{path} documents no JSON{f' of {of}[]' if of else ''}")


def command_tree() -> dict[str, click.Command]:
    """Every command and group below the root, by path."""
    tree: dict[str, click.Command] = {}

    def walk(command: click.Command, path: str) -> None:
        tree[path] = command
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                walk(sub, f"{path} {name}")

    root = load_all_commands()
    for name, command in root.commands.items():
        walk(command, f"solgrid {name}")
    return tree

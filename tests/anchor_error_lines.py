"""Anchor's error log lines in a transaction's logs, each with the program whose invoke it sits under.

An Anchor program that fails with one of its errors logs ``Program log: AnchorError occurred. Error
Code: <Name>. Error Number: <n>. Error Message: <msg>.``; clients name the error from that line and take
the failing program from the ``Program <id> invoke [<depth>]`` line it sits under (error codes of
different programs overlap).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from solgrid.sdk.idl import load_idl_json

_LINE = re.compile(
    r"^Program log: AnchorError occurred\. Error Code: (\w+)\. Error Number: (\d+)\. Error Message: (.*)\.$"
)
_INVOKE = re.compile(r"^Program (\w+) invoke \[\d+\]$")
_END = re.compile(r"^Program (\w+) (success|failed: .*)$")


@dataclass(frozen=True)
class AnchorErrorLine:
    program: str
    name: str
    number: int
    message: str


def anchor_error_lines(logs: list[str]) -> list[AnchorErrorLine]:
    """Every ``AnchorError occurred`` line of ``logs`` with the innermost program invoked at that line."""
    stack: list[str] = []
    found: list[AnchorErrorLine] = []
    for line in logs:
        if invoke := _INVOKE.match(line):
            stack.append(invoke[1])
        elif end := _END.match(line):
            assert stack and stack[-1] == end[1], f"unbalanced invoke/end at {line!r}"
            stack.pop()
        elif error := _LINE.match(line):
            assert stack, f"an AnchorError line outside any invoke: {line!r}"
            found.append(AnchorErrorLine(stack[-1], error[1], int(error[2]), error[3]))
        else:
            assert not line.startswith("Program log: AnchorError"), f"malformed AnchorError line: {line!r}"
    return found


def idl_error_line(program: str, name: str) -> AnchorErrorLine:
    """The line ``program`` (an IDL name in idl/) must log for its error ``name``, under its IDL address."""
    idl = load_idl_json(program)
    [error] = [e for e in idl["errors"] if e["name"] == name]
    return AnchorErrorLine(idl["address"], name, error["code"], error["msg"])

"""Readable names for Rust symbols in build error messages.

rustc's legacy mangling (``_ZN`` + length-prefixed path segments + ``17h<hash>E``) is decoded fully,
including its ``$LT$``-style escapes; any other name (C symbols, v0 ``_R`` names) is returned as it is,
which still identifies the function.
"""

from __future__ import annotations

import re

_ESCAPES = {
    "$SP$": "@",
    "$BP$": "*",
    "$RF$": "&",
    "$LT$": "<",
    "$GT$": ">",
    "$LP$": "(",
    "$RP$": ")",
    "$C$": ",",
}
_UNICODE_ESCAPE = re.compile(r"\$u([0-9a-f]{2,6})\$")
_HASH = re.compile(r"^h[0-9a-f]{16}$")


def demangle(symbol: str) -> str:
    """``_ZN4core3fmt5write17h0123456789abcdefE`` -> ``core::fmt::write``; other names unchanged."""
    name = symbol.strip('"')
    if not name.startswith("_ZN") or not name.endswith("E"):
        return name
    segments: list[str] = []
    pos, end = 3, len(name) - 1
    while pos < end:
        digits = pos
        while digits < end and name[digits].isdigit():
            digits += 1
        if digits == pos:
            return name
        length = int(name[pos:digits])
        segment = name[digits : digits + length]
        if len(segment) != length:
            return name
        segments.append(segment)
        pos = digits + length
    if segments and _HASH.match(segments[-1]):
        segments.pop()
    return "::".join(_unescape(s) for s in segments) or name


def _unescape(segment: str) -> str:
    if segment.startswith("_$"):
        segment = segment[1:]
    segment = segment.replace("..", "::")
    for code, char in _ESCAPES.items():
        segment = segment.replace(code, char)
    return _UNICODE_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), segment)

"""Tokenizer for the textual LLVM IR that ``llvm-dis`` (LLVM 22) prints.

The IR rewrites need to look inside instructions: the operands of a ``mul``, the argument list of a
``call`` (whose types and attributes nest parentheses, brackets and braces), the parameters of a
function header. Splitting such text on commas or spaces goes wrong as soon as an operand is a
constant expression or an attribute carries arguments, so every line is first cut into tokens, and
the tokens are then nested into balanced groups (``group``), which can be split on top-level commas.

Each token remembers its character span in the line, so a rewrite can copy an operand's original
text verbatim instead of re-printing it.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from solgrid.build.errors import BuildError


class IRSyntaxError(BuildError):
    """The input is not LLVM IR this module understands (a bug or an unexpected LLVM version)."""


class Kind(enum.Enum):
    """Lexical classes of LLVM IR tokens."""

    LOCAL = "local"  # %x, %"a b", %12, also named types %T
    GLOBAL = "global"  # @f, @"f", @0
    METADATA = "metadata"  # !12, !dbg, !"text", a lone ! before {
    HASH = "hash"  # #0 (attribute group), #dbg_value (debug record)
    STRING = "string"  # "..." and c"..."
    NUMBER = "number"  # 12, -1, 1.5e+00, 0x3FF0000000000000
    WORD = "word"  # keywords and type names: i64, ptr, noundef, x, to, ...
    PUNCT = "punct"  # ( ) [ ] { } < > , = * : | ...


@dataclass(frozen=True, slots=True)
class Token:
    kind: Kind
    text: str
    start: int
    end: int


_NAME = r'(?:"[^"]*"|[-\w$.]+)'
_TOKEN_RE = re.compile(
    r"(?P<space>\s+)"
    r"|(?P<comment>;.*)"
    rf"|(?P<local>%{_NAME})"
    rf"|(?P<global>@{_NAME})"
    r'|(?P<metadata>!(?:"[^"]*"|[-\w$.\\]+)?)'
    r"|(?P<hash>\#[\w.]+)"
    r'|(?P<string>c?"[^"]*")'
    r"|(?P<number>[-+]?(?:0x[KLMHR]?[0-9A-Fa-f]+|[us]0x[0-9A-Fa-f]+|\d+(?:\.\d*)?(?:[eE][-+]?\d+)?))"
    r"|(?P<punct>\.\.\.|[()\[\]{}<>,=*:|])"
    r"|(?P<word>[A-Za-z_$.][\w$.]*)"
    r"|(?P<error>.)"
)
_KINDS = {kind.value: kind for kind in Kind}


def iter_tokens(text: str) -> Iterator[Token]:
    """Yield the tokens of one line of IR, skipping white space and ``;`` comments."""
    for match in _TOKEN_RE.finditer(text):
        group = match.lastgroup
        if group == "space" or group == "comment":
            continue
        if group == "error" or group is None:
            raise IRSyntaxError(f"unexpected character {match.group()!r} in IR line: {text.strip()[:200]}")
        yield Token(_KINDS[group], match.group(), match.start(), match.end())


def tokenize(text: str) -> list[Token]:
    return list(iter_tokens(text))


_CLOSERS = {"(": ")", "[": "]", "{": "}", "<": ">"}


@dataclass(frozen=True, slots=True)
class Group:
    """A bracketed sequence: ``( ... )``, ``[ ... ]``, ``{ ... }`` or ``< ... >``."""

    open: Token
    items: tuple[Item, ...]
    close: Token

    @property
    def start(self) -> int:
        return self.open.start

    @property
    def end(self) -> int:
        return self.close.end

    @property
    def bracket(self) -> str:
        return self.open.text


Item = Token | Group


def group(tokens: Sequence[Token]) -> list[Item]:
    """Nest balanced brackets: the result holds plain tokens and ``Group``s at the top level."""
    stack: list[tuple[Token | None, list[Item]]] = [(None, [])]
    for token in tokens:
        if token.kind is Kind.PUNCT and token.text in _CLOSERS:
            stack.append((token, []))
        elif token.kind is Kind.PUNCT and token.text in _CLOSERS.values():
            opener, items = stack.pop()
            if opener is None or _CLOSERS[opener.text] != token.text:
                raise IRSyntaxError(f"unbalanced {token.text!r} at column {token.start}")
            stack[-1][1].append(Group(opener, tuple(items), token))
        else:
            stack[-1][1].append(token)
    if len(stack) != 1:
        opener = stack[-1][0]
        raise IRSyntaxError(f"unclosed {opener.text if opener else '?'!r}")
    return stack[0][1]


def split_commas(items: Sequence[Item]) -> list[list[Item]]:
    """Split a sequence at its top-level commas; an empty sequence gives no parts."""
    if not items:
        return []
    parts: list[list[Item]] = [[]]
    for item in items:
        if isinstance(item, Token) and item.kind is Kind.PUNCT and item.text == ",":
            parts.append([])
        else:
            parts[-1].append(item)
    return parts


def span_text(text: str, items: Sequence[Item]) -> str:
    """The original text covered by ``items`` (which must be consecutive)."""
    if not items:
        return ""
    return text[items[0].start : items[-1].end]


def is_word(item: Item | None, *words: str) -> bool:
    return isinstance(item, Token) and item.kind is Kind.WORD and (not words or item.text in words)


def is_punct(item: Item | None, text: str) -> bool:
    return isinstance(item, Token) and item.kind is Kind.PUNCT and item.text == text


def is_group(item: Item | None, bracket: str) -> bool:
    return isinstance(item, Group) and item.bracket == bracket

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

from solgrid.build.errors import IRSyntaxError

__all__ = [
    "Group", "IRSyntaxError", "Item", "Kind", "LineShape", "Token", "group", "is_group", "is_punct",
    "is_word", "iter_tokens", "open_brackets", "scan_instruction", "span_text", "split_commas", "tokenize",
]  # fmt: skip


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
_LOCAL = rf"%{_NAME}"
_GLOBAL = rf"@{_NAME}"
_METADATA = r'!(?:"[^"]*"|[-\w$.\\]+)?'
_HASH = r"\#[\w.]+"
_STRING = r'c?"[^"]*"'
_NUMBER = r"[-+]?(?:0x[KLMHR]?[0-9A-Fa-f]+|[us]0x[0-9A-Fa-f]+|\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)"
_WORD = r"[A-Za-z_$.][\w$.]*"
_TOKEN_RE = re.compile(
    r"(?P<space>\s+)"
    r"|(?P<comment>;.*)"
    rf"|(?P<local>{_LOCAL})"
    rf"|(?P<global>{_GLOBAL})"
    rf"|(?P<metadata>{_METADATA})"
    rf"|(?P<hash>{_HASH})"
    rf"|(?P<string>{_STRING})"
    rf"|(?P<number>{_NUMBER})"
    r"|(?P<punct>\.\.\.|[()\[\]{}<>,=*:|])"
    rf"|(?P<word>{_WORD})"
    r"|(?P<error>.)"
)
# The same tokens for ``scan_instruction``, in the classes it needs (white space is skipped).
_SCAN_RE = re.compile(
    r"\s*(?:(?P<open>[(\[{<])|(?P<close>[)\]}>])|(?P<comma>,)|(?P<comment>;.*)"
    rf"|(?P<metadata>{_METADATA})"
    rf"|(?P<atom>{_LOCAL}|{_GLOBAL}|{_HASH}|{_STRING}|{_NUMBER}|\.\.\.|[=*:|]|{_WORD})"
    r"|(?P<error>\S))"
)
_KINDS = {kind.value: kind for kind in Kind}


def iter_tokens(text: str) -> Iterator[Token]:
    """Yield the tokens of one line of IR, skipping white space and ``;`` comments."""
    for match in _TOKEN_RE.finditer(text):
        group = match.lastgroup
        if group == "space" or group == "comment":
            continue
        if group == "error" or group is None:
            raise IRSyntaxError(
                f"unexpected character {match.group()!r} at column {match.start()}", text=text
            )
        yield Token(_KINDS[group], match.group(), match.start(), match.end())


def tokenize(text: str) -> list[Token]:
    return list(iter_tokens(text))


_CLOSER_OF = {"(": ")", "[": "]", "{": "}", "<": ">"}  # opening bracket -> its closing one
_OPENER_OF = {close: open_ for open_, close in _CLOSER_OF.items()}


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
        if token.kind is Kind.PUNCT and token.text in _CLOSER_OF:
            stack.append((token, []))
        elif token.kind is Kind.PUNCT and token.text in _CLOSER_OF.values():
            opener, items = stack.pop()
            if opener is None or _CLOSER_OF[opener.text] != token.text:
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


# --------------------------------------------------------------------------------------------------
# Whole-instruction scan: what the reader checks on every instruction without building tokens


def open_brackets(text: str, stack: list[str]) -> list[str]:
    """Push the brackets ``text`` opens onto ``stack`` and pop those it closes (strings and comments
    ignored); raise on a stray character or a bracket closing the wrong one. Returns ``stack``.

    This is how the reader finds where a multi-line instruction (a ``switch`` table) ends.
    """
    for match in _TOKEN_RE.finditer(text):
        kind = match.lastgroup
        if kind == "punct":
            value = match.group()
            if value in _CLOSER_OF:
                stack.append(value)
            elif value in _OPENER_OF:
                if not stack or stack[-1] != _OPENER_OF[value]:
                    raise IRSyntaxError(f"unbalanced {value!r}", offset=match.start())
                stack.pop()
        elif kind == "error":
            raise IRSyntaxError(f"unexpected character {match.group()!r}", offset=match.start())
    return stack


@dataclass(frozen=True, slots=True)
class LineShape:
    """What ``scan_instruction`` found: the defined name (``%x``), a tail marker and the keyword
    after them (the opcode, or ``#dbg_value``), where the trailing metadata attachments
    (``, !prof !7, !noalias !3``) start, and the brackets left open (the text is the first line of
    a multi-line instruction)."""

    result: str | None
    tail: str | None
    keyword: str | None
    attachments_at: int | None
    open: tuple[str, ...] = ()


class _At(enum.Enum):
    """Where ``scan_instruction`` is, at the top level of the instruction."""

    OPERANDS = 0  # before the attachments
    OPERANDS_COMMA = 1  # right after a top-level comma among the operands
    KIND = 2  # after ``!name``: its node must follow
    NODE_OPEN = 3  # after a lone ``!`` or ``!DILocation``: its ``{...}`` / ``(...)`` must follow
    NODE_BODY = 4  # inside that ``{...}`` / ``(...)``
    NODE_DONE = 5  # after the node (``!12`` or the bracket): ``,`` or the end
    NEXT = 6  # after a comma between attachments: ``!name`` must follow


_HEAD_RE = re.compile(
    rf"\s*(?:(?P<result>{_LOCAL})\s*=\s*)?(?:(?P<tail>tail|musttail|notail)\s+)?(?P<keyword>{_HASH}|{_WORD})?"
)


def scan_instruction(text: str) -> LineShape:
    """Check a whole instruction (all its lines): only IR tokens, balanced brackets, and metadata
    attachments only at the end, each ``!kind`` followed by one node. Raises ``IRSyntaxError``, except
    for brackets left open, which ``LineShape.open`` lists (the caller reads more lines).

    LLVM prints attachments after the operands of every instruction, multi-line ones included
    (``switch ... [ ... ], !prof !7``). No operand of an instruction starts with ``!name`` at the top
    level (metadata operands of calls are inside the argument list), so the first top-level
    ``, !name`` starts them. (Every instruction passes here, hence one regex pass and no tokens.)
    """
    stack: list[str] = []
    at = _At.OPERANDS
    comma = -1
    node_bracket = ""  # the bracket a NODE_OPEN needs
    attachments_at: int | None = None
    for match in _SCAN_RE.finditer(text):
        kind = match.lastgroup
        if kind == "atom":
            if stack or at is _At.OPERANDS:
                continue
            if at is _At.OPERANDS_COMMA:
                at = _At.OPERANDS
                continue
            raise _unexpected(at, match.group(kind), node_bracket, match.start(kind))
        if kind == "open":
            value = match.group(kind)
            if not stack and at is not _At.OPERANDS:
                if at is _At.OPERANDS_COMMA:
                    at = _At.OPERANDS
                elif at is _At.NODE_OPEN and value == node_bracket:
                    at = _At.NODE_BODY
                else:
                    raise _unexpected(at, value, node_bracket, match.start(kind))
            stack.append(value)
        elif kind == "close":
            value = match.group(kind)
            if not stack or stack[-1] != _OPENER_OF[value]:
                raise IRSyntaxError(f"unbalanced {value!r}", offset=match.start(kind))
            stack.pop()
            if not stack and at is _At.NODE_BODY:
                at = _At.NODE_DONE
        elif kind == "comma":
            if stack:
                continue
            if at is _At.OPERANDS or at is _At.OPERANDS_COMMA:
                at = _At.OPERANDS_COMMA
                comma = match.start(kind)
            elif at is _At.NODE_DONE:
                at = _At.NEXT
            else:
                raise _unexpected(at, ",", node_bracket, match.start(kind))
        elif kind == "metadata":
            if stack:
                continue
            value = match.group(kind)
            named = len(value) > 1 and value[1] not in '0123456789"'  # `!prof`, not `!12` or `!"text"`
            if at is _At.OPERANDS_COMMA and named:
                at = _At.KIND
                attachments_at = comma
            elif at is _At.OPERANDS or at is _At.OPERANDS_COMMA:
                at = _At.OPERANDS
            elif at is _At.NEXT and named:
                at = _At.KIND
            elif at is _At.KIND and value[1:2] != '"':
                if value == "!" or named:  # `!{...}`, `!DILocation(...)`
                    at, node_bracket = _At.NODE_OPEN, "{" if value == "!" else "("
                else:
                    at = _At.NODE_DONE
            else:
                raise _unexpected(at, value, node_bracket, match.start(kind))
        elif kind == "error":
            raise IRSyntaxError(f"unexpected character {match.group(kind)!r}", offset=match.start(kind))
    head = _HEAD_RE.match(text)
    assert head is not None  # every part is optional
    result, tail, keyword = head.group("result", "tail", "keyword")
    if stack:
        return LineShape(result, tail, keyword, None, tuple(stack))
    if at in (_At.OPERANDS_COMMA, _At.KIND, _At.NODE_OPEN, _At.NEXT):
        raise IRSyntaxError(
            "the instruction ends in the middle of an operand list or attachment", offset=len(text.rstrip())
        )
    return LineShape(result, tail, keyword, attachments_at)


def _unexpected(at: _At, value: str, node_bracket: str, offset: int) -> IRSyntaxError:
    if at is _At.KIND:
        reason = f"metadata attachment without a node before {value!r}"
    elif at is _At.NODE_OPEN:
        reason = f"expected {node_bracket!r} after a metadata node, got {value!r}"
    elif at is _At.NEXT:
        reason = f"expected a metadata attachment (!kind !node), got {value!r}"
    else:
        reason = f"unexpected {value!r} after the metadata attachments"
    return IRSyntaxError(reason, offset=offset)

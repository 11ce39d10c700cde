"""Types and typed operands of textual LLVM IR: ``<type> <attributes>* <value>``.

Function parameters and call arguments share this shape; the rewrites need to read and change their
attributes (``sret(...)``, ``zeroext``) and count how many registers their types take.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from solgrid.build.ir_lexer import (
    Group,
    IRSyntaxError,
    Item,
    Kind,
    Token,
    is_group,
    is_punct,
    is_word,
    span_text,
)

# Parameter / return attributes (LangRef "Parameter Attributes"). An attribute may carry a
# parenthesised argument (``sret(%T)``, ``range(i64 0, 8)``) or, for ``align``, a plain number.
PARAM_ATTRIBUTES = frozenset(
    {
        "zeroext", "signext", "noext", "inreg", "byval", "byref", "preallocated", "inalloca", "sret",
        "elementtype", "align", "noalias", "captures", "nocapture", "nofree", "nest", "returned",
        "nonnull", "dereferenceable", "dereferenceable_or_null", "swiftself", "swiftasync",
        "swifterror", "immarg", "noundef", "nofpclass", "alignstack", "allocalign", "allocptr",
        "readnone", "readonly", "writeonly", "writable", "initializes", "dead_on_unwind",
        "dead_on_return", "range",
    }
)  # fmt: skip


def item_at(items: Sequence[Item], index: int) -> Item | None:
    """``items[index]``, or ``None`` past either end."""
    return items[index] if 0 <= index < len(items) else None


def type_length(items: Sequence[Item], start: int = 0) -> int:
    """How many items from ``start`` spell one (first-class) type."""
    if start >= len(items):
        return 0
    first = items[start]
    if is_word(first, "ptr") and is_word(item_at(items, start + 1), "addrspace"):
        return 3
    if is_word(first, "target") and is_group(item_at(items, start + 1), "("):
        return 2
    if isinstance(first, Group) or (isinstance(first, Token) and first.kind in (Kind.WORD, Kind.LOCAL)):
        return 1
    return 0


def is_name_with_args(items: Sequence[Item], index: int, *kinds: Kind) -> bool:
    """Whether ``items[index]`` is a name of one of ``kinds`` directly followed by ``( ... )``."""
    item = items[index]
    return isinstance(item, Token) and item.kind in kinds and is_group(item_at(items, index + 1), "(")


def int_width(type_text: str) -> int | None:
    """The width of an integer type such as ``i64``; ``None`` for any other type."""
    if len(type_text) > 1 and type_text[0] == "i" and type_text[1:].isdigit():
        return int(type_text[1:])
    return None


@dataclass
class Operand:
    """A typed value with attributes: a function parameter or a call argument.

    ``value`` is the SSA name or constant (``None`` for an unnamed parameter of a declaration).
    """

    type: str
    attrs: list[str] = field(default_factory=list)
    value: str | None = None

    def render(self) -> str:
        return " ".join([self.type, *self.attrs, *([self.value] if self.value is not None else [])])

    def attr_name(self, attr: str) -> str:
        return attr.split("(", 1)[0].split(" ", 1)[0]

    def has_attr(self, name: str) -> bool:
        return any(self.attr_name(a) == name for a in self.attrs)

    def without_attr(self, name: str) -> Operand:
        return Operand(self.type, [a for a in self.attrs if self.attr_name(a) != name], self.value)


def parse_operand(text: str, items: Sequence[Item]) -> Operand:
    """Parse ``<type> <attributes>* [<value>]`` (one comma-separated part of a list)."""
    n = type_length(items)
    if n == 0:
        raise IRSyntaxError(f"expected a type in {span_text(text, items)!r}")
    attrs: list[str] = []
    i = n
    while i < len(items):
        item = items[i]
        if is_word(item) and isinstance(item, Token) and item.text in PARAM_ATTRIBUTES:
            following = item_at(items, i + 1)
            if is_group(following, "(") or (
                item.text == "align" and isinstance(following, Token) and following.kind is Kind.NUMBER
            ):
                attrs.append(span_text(text, items[i : i + 2]))
                i += 2
            else:
                attrs.append(item.text)
                i += 1
        elif isinstance(item, Token) and item.kind is Kind.STRING and is_punct(item_at(items, i + 1), "="):
            attrs.append(span_text(text, items[i : i + 3]))
            i += 3
        else:
            break
    value = span_text(text, items[i:]) if i < len(items) else None
    return Operand(span_text(text, items[:n]), attrs, value)

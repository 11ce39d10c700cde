"""Typed views of the instruction forms the rewrites operate on: binary operations, casts and calls.

Each ``as_*`` function reads one ``Instruction`` (or returns ``None`` for other opcodes); the result
carries the original operand texts, so a rewrite can reuse them verbatim.
"""

from __future__ import annotations

from dataclasses import dataclass

from solgrid.build.ir_lexer import (
    Group,
    IRSyntaxError,
    Kind,
    Token,
    group,
    is_group,
    is_word,
    span_text,
    split_commas,
    tokenize,
)
from solgrid.build.ir_model import Instruction
from solgrid.build.ir_operands import (
    PARAM_ATTRIBUTES,
    Operand,
    is_name_with_args,
    item_at,
    parse_operand,
    type_length,
)

FAST_MATH_FLAGS = frozenset({"nnan", "ninf", "nsz", "arcp", "contract", "afn", "reassoc", "fast"})
CALLING_CONVENTIONS = frozenset({"ccc", "fastcc", "coldcc", "cc", "preserve_mostcc", "preserve_allcc"})
BINARY_OPCODES = frozenset(
    {"add", "sub", "mul", "udiv", "sdiv", "urem", "srem", "shl", "lshr", "ashr", "and", "or", "xor"}
)
CAST_OPCODES = frozenset({"trunc", "zext", "sext", "bitcast", "ptrtoint", "inttoptr"})


@dataclass
class BinaryOp:
    """``%r = <opcode> [flags] <type> <lhs>, <rhs>``."""

    result: str
    opcode: str
    flags: list[str]
    type: str
    lhs: str
    rhs: str


def as_binary(inst: Instruction) -> BinaryOp | None:
    if inst.opcode not in BINARY_OPCODES or inst.result is None:
        return None
    items = inst.operand_items()
    flags: list[str] = []
    i = 0
    while isinstance(flag := item_at(items, i), Token) and is_word(flag, "nuw", "nsw", "exact", "disjoint"):
        flags.append(flag.text)
        i += 1
    n = type_length(items, i)
    parts = split_commas(items[i + n :])
    if n == 0 or len(parts) < 2:
        raise IRSyntaxError("cannot read the binary operation", line=inst.lineno, text=inst.line)
    line = inst.line
    return BinaryOp(
        inst.result, inst.opcode, flags, span_text(line, items[i : i + n]), span_text(line, parts[0]),
        span_text(line, parts[1]),
    )  # fmt: skip


@dataclass
class Cast:
    """``%r = <opcode> [nneg] <from type> <value> to <to type>``."""

    result: str
    opcode: str
    from_type: str
    value: str
    to_type: str


def as_cast(inst: Instruction) -> Cast | None:
    if inst.opcode not in CAST_OPCODES or inst.result is None:
        return None
    items = inst.operand_items()
    i = 1 if is_word(item_at(items, 0), "nneg", "nuw", "nsw") else 0
    n = type_length(items, i)
    to = next((k for k in range(i + n, len(items)) if is_word(items[k], "to")), None)
    if n == 0 or to is None:
        raise IRSyntaxError("cannot read the cast", line=inst.lineno, text=inst.line)
    m = type_length(items, to + 1)
    line = inst.line
    return Cast(
        inst.result, inst.opcode, span_text(line, items[i : i + n]), span_text(line, items[i + n : to]),
        span_text(line, items[to + 1 : to + 1 + m]),
    )  # fmt: skip


@dataclass
class Call:
    """``[%r =] [tail] call <prefix> <callee>(<args>)<suffix>``.

    ``prefix`` holds fast-math flags, calling convention, return attributes and the return (or
    function) type; ``suffix`` holds function attributes, operand bundles and metadata.
    """

    result: str | None
    tail: str | None
    prefix: str
    callee: str
    args: list[Operand]
    suffix: str
    callee_start: int = -1  # column of the callee token in the parsed line

    def render(self) -> str:
        head = f"{self.result} = " if self.result else ""
        tail = f"{self.tail} " if self.tail else ""
        args = ", ".join(arg.render() for arg in self.args)
        return f"{head}{tail}call {self.prefix} {self.callee}({args}){self.suffix}"

    @property
    def return_type(self) -> str:
        """The return type, without return attributes (the function type's, for varargs calls)."""
        items = group(tokenize(self.prefix))
        if items and is_group(items[-1], "("):  # varargs calls spell the whole function type
            items = items[:-1]
        i = 0
        while i < len(items):
            item = items[i]
            if isinstance(item, Token) and item.kind is Kind.WORD and item.text in FAST_MATH_FLAGS:
                i += 1
            elif is_word(item, "cc") or (is_word(item, "align") and not is_group(item_at(items, i + 1), "(")):
                i += 2
            elif isinstance(item, Token) and item.text in CALLING_CONVENTIONS | PARAM_ATTRIBUTES:
                i += 2 if is_group(item_at(items, i + 1), "(") else 1
            elif is_word(item, "addrspace"):
                i += 2
            else:
                break
        return span_text(self.prefix, items[i:])


def as_call(inst: Instruction) -> Call | None:
    """Read a direct or indirect call; ``None`` for other instructions (and inline asm calls)."""
    if inst.opcode != "call":
        return None
    items = inst.operand_items()
    callee_at = None
    for k in range(len(items) - 1):
        if is_name_with_args(items, k, Kind.GLOBAL, Kind.LOCAL):
            callee_at = k  # the last such pair: a varargs call spells `ret (params) @callee(args)`
    if callee_at is None:
        return None
    args_group = items[callee_at + 1]
    assert isinstance(args_group, Group)
    line = inst.line
    try:
        args = [parse_operand(line, part) for part in split_commas(args_group.items)]
    except IRSyntaxError as error:
        raise error.at(inst.lineno, line) from None
    callee = items[callee_at]
    assert isinstance(callee, Token)
    return Call(
        inst.result, inst.tail, span_text(line, items[:callee_at]), callee.text, args,
        line[args_group.end :].rstrip(), callee.start,
    )  # fmt: skip

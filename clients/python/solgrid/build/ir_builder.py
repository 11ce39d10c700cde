"""Emitting replacement instruction sequences for the IR rewrites.

A rewrite replaces one instruction by several; ``Builder`` collects them, invents names that cannot
clash (``%sbf.<hint><n>``), and folds operations whose operands are literals or neutral elements.
Folding is not cosmetic: ``mul i128 (zext i64 %a), (zext i64 %b)`` splits into halves of which two
are the literal 0, and folding removes the two cross products instead of leaving them to llc, which
sees only one basic block at a time.

Values are operand texts (``%x``, ``-1``, ``true``); types are type texts (``i64``).
"""

from __future__ import annotations

from collections.abc import Sequence

from solgrid.build.ir_model import Function, Instruction
from solgrid.build.ir_operands import int_width
from solgrid.build.ir_views import as_cast

MASK64 = (1 << 64) - 1


def literal_value(value: str, width: int) -> int | None:
    """The unsigned value of an integer literal operand, or ``None`` if it is not one."""
    if value == "true":
        return 1
    if value == "false":
        return 0
    digits = value[1:] if value.startswith("-") else value
    if not digits.isdigit():
        return None
    return int(value) & ((1 << width) - 1)


def literal(value: int, width: int) -> str:
    """The LLVM spelling of an ``iN`` constant (signed decimal; ``true``/``false`` for ``i1``)."""
    value &= (1 << width) - 1
    if width == 1:
        return "true" if value else "false"
    if value >> (width - 1):
        value -= 1 << width
    return str(value)


def _signed(value: int, width: int) -> int:
    return value - (1 << width) if value >> (width - 1) else value


def _fold_binop(op: str, width: int, a: int, b: int) -> int | None:
    mask = (1 << width) - 1
    if op in ("shl", "lshr", "ashr") and b >= width:
        return None  # poison: leave it to LLVM
    if op in ("udiv", "urem") and b == 0:
        return None
    results = {
        "add": lambda: a + b,
        "sub": lambda: a - b,
        "mul": lambda: a * b,
        "and": lambda: a & b,
        "or": lambda: a | b,
        "xor": lambda: a ^ b,
        "shl": lambda: a << b,
        "lshr": lambda: a >> b,
        "ashr": lambda: _signed(a, width) >> b,
        "udiv": lambda: a // b,
        "urem": lambda: a % b,
    }
    compute = results.get(op)
    return None if compute is None else compute() & mask


def _simplify_binop(op: str, width: int, a: str, b: str) -> str | None:
    """Algebraic identities with one literal operand (``x + 0``, ``x * 1``, ``x * 0``, ...)."""
    ones = (1 << width) - 1
    ca, cb = literal_value(a, width), literal_value(b, width)
    if op in ("add", "or", "xor") and ca == 0:
        return b
    if op in ("add", "sub", "or", "xor", "shl", "lshr", "ashr") and cb == 0:
        return a
    if op in ("shl", "lshr", "ashr") and ca == 0:
        return literal(0, width)
    if op in ("mul", "and") and (ca == 0 or cb == 0):
        return literal(0, width)
    if op == "mul" and ca == 1:
        return b
    if op in ("mul", "udiv") and cb == 1:
        return a
    if op == "and" and ca == ones:
        return b
    if op == "and" and cb == ones:
        return a
    if op == "or" and ones in (ca, cb):
        return literal(ones, width)
    return None


def _compare(pred: str, a: int, b: int, width: int) -> bool:
    if pred.startswith("s"):
        a, b = _signed(a, width), _signed(b, width)
    return {
        "eq": a == b,
        "ne": a != b,
        "ult": a < b,
        "slt": a < b,
        "ule": a <= b,
        "sle": a <= b,
        "ugt": a > b,
        "sgt": a > b,
        "uge": a >= b,
        "sge": a >= b,
    }[pred]


def _width(type_text: str) -> int:
    width = int_width(type_text)
    if width is None:
        raise ValueError(f"not an integer type: {type_text}")
    return width


class Builder:
    """Collects the instructions replacing one instruction of ``fn``."""

    def __init__(self, fn: Function) -> None:
        self.fn = fn
        self.out: list[Instruction] = []

    # -- raw emission ------------------------------------------------------------------------------

    def emit(self, rhs: str, hint: str, name: str | None = None) -> str:
        """Append ``<name> = <rhs>`` and return the name (a fresh one unless ``name`` is given)."""
        result = name if name is not None else self.fn.fresh(hint)
        self.out.append(Instruction.new(f"{result} = {rhs}"))
        return result

    def emit_void(self, text: str) -> None:
        self.out.append(Instruction.new(text))

    def _result(self, value: str, type_text: str, name: str | None) -> str:
        """A folded value; if it must carry a fixed name, bind it with a no-op ``bitcast``."""
        if name is None or value == name:
            return value
        return self.emit(f"bitcast {type_text} {value} to {type_text}", "", name)

    # -- folding operations ------------------------------------------------------------------------

    def binop(self, op: str, ty: str, a: str, b: str, *, hint: str = "t", name: str | None = None) -> str:
        width = _width(ty)
        ca, cb = literal_value(a, width), literal_value(b, width)
        if ca is not None and cb is not None:
            folded = _fold_binop(op, width, ca, cb)
            if folded is not None:
                return self._result(literal(folded, width), ty, name)
        simplified = _simplify_binop(op, width, a, b)
        if simplified is not None:
            return self._result(simplified, ty, name)
        return self.emit(f"{op} {ty} {a}, {b}", hint, name)

    def icmp(self, pred: str, ty: str, a: str, b: str, *, hint: str = "c", name: str | None = None) -> str:
        width = _width(ty)
        ca, cb = literal_value(a, width), literal_value(b, width)
        if ca is not None and cb is not None:
            return self._result(literal(int(_compare(pred, ca, cb, width)), 1), "i1", name)
        return self.emit(f"icmp {pred} {ty} {a}, {b}", hint, name)

    def select(self, cond: str, ty: str, a: str, b: str, *, hint: str = "s", name: str | None = None) -> str:
        if cond in ("true", "false") or a == b:
            return self._result(a if cond != "false" else b, ty, name)
        return self.emit(f"select i1 {cond}, {ty} {a}, {ty} {b}", hint, name)

    def cast(
        self, op: str, src: str, value: str, dst: str, *, hint: str = "x", name: str | None = None
    ) -> str:
        if src == dst:
            return self._result(value, dst, name)
        constant = literal_value(value, _width(src))
        if constant is not None:
            if op == "sext":
                constant = _signed(constant, _width(src))
            return self._result(literal(constant, _width(dst)), dst, name)
        return self.emit(f"{op} {src} {value} to {dst}", hint, name)

    def negate(self, ty: str, value: str, *, hint: str = "neg") -> str:
        return self.binop("sub", ty, literal(0, _width(ty)), value, hint=hint)

    def call(
        self, ret: str, callee: str, args: Sequence[tuple[str, str]], *, hint: str, name: str | None = None
    ) -> str:
        rendered = ", ".join(f"{ty} {value}" for ty, value in args)
        return self.emit(f"call {ret} {callee}({rendered})", hint, name)

    # -- 128-bit values as two 64-bit halves -------------------------------------------------------

    def split_i128(self, value: str) -> tuple[str, str]:
        """(low, high) 64-bit halves of an ``i128`` value.

        Literals split at compile time; a value that is a ``zext``/``sext`` of at most 64 bits
        splits into that value and 0 (or its sign), so the callers' arithmetic on the high half folds.
        """
        low = self.low_half(value)
        constant = literal_value(value, 128)
        if constant is not None:
            return low, literal(constant >> 64, 64)
        extension = self._extension_of(value)
        if extension is not None:
            return low, "0" if extension[0] == "zext" else self.binop("ashr", "i64", low, "63", hint="hi")
        shifted = self.binop("lshr", "i128", value, "64", hint="sh")
        return low, self.cast("trunc", "i128", shifted, "i64", hint="hi")

    def low_half(self, value: str) -> str:
        """The low 64 bits of an ``i128`` value."""
        constant = literal_value(value, 128)
        if constant is not None:
            return literal(constant & MASK64, 64)
        extension = self._extension_of(value)
        if extension is not None:
            op, source_type, source = extension
            return self.cast(op, source_type, source, "i64", hint="lo")
        return self.cast("trunc", "i128", value, "i64", hint="lo")

    def _extension_of(self, value: str) -> tuple[str, str, str] | None:
        """(``zext``/``sext``, source type, source) if ``value`` extends an integer of at most 64 bits."""
        definition = self.fn.definitions.get(value)
        cast = as_cast(definition) if definition is not None else None
        if cast is None or cast.to_type != "i128" or cast.opcode not in ("zext", "sext"):
            return None
        width = int_width(cast.from_type)
        if width is None or width > 64:
            return None
        return cast.opcode, cast.from_type, cast.value

    def join_i128(self, low: str, high: str, *, name: str | None = None) -> str:
        """The ``i128`` whose halves are ``low`` and ``high``."""
        wide_low = self.cast("zext", "i64", low, "i128", hint="wl")
        wide_high = self.cast("zext", "i64", high, "i128", hint="wh")
        shifted = self.binop("shl", "i128", wide_high, "64", hint="ws")
        return self.binop("or", "i128", shifted, wide_low, hint="w", name=name)

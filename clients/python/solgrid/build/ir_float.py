"""Soft-float lowering: floating-point operations as calls of sbf-support's integer-only helpers.

The BPF backend has no floating-point registers. It keeps ``double`` and ``float`` values in integer
registers by itself (loads, stores, phis, selects, bitcasts, constants, arguments and returns all
compile), but lowers arithmetic, compares and conversions to compiler-rt calls (``__muldf3``) that it
then refuses. ``lower_float`` replaces each such instruction by a ``bitcast`` of the operands to
integers, a call of the matching ``sbf_f64_*``/``sbf_f32_*`` symbol (``crates/sbf-support``,
module ``softfloat``) and a ``bitcast`` back:

* ``fadd``/``fsub``/``fmul``/``fdiv`` → ``sbf_f64_{add,sub,mul,div}``; on ``float``, the operands are
  widened (``sbf_f32_to_f64``), the operation done in binary64 and the result rounded once
  (``sbf_f64_to_f32``), which is exactly the binary32 result for these four operations;
* ``fcmp <pred>`` → ``sbf_f64_cmp`` (less, equal, greater or unordered), then one bit of a constant
  holding the predicate's set of relations; ``fcmp false``/``true`` are constants;
* ``fneg`` and ``llvm.fabs``/``llvm.copysign`` → integer ``xor``/``and``/``or`` on the sign bit;
* ``sitofp``/``uitofp`` from integers of up to 64 bits → ``sbf_{f64,f32}_from_{i64,u64}``;
* ``fptosi``/``fptoui`` to integers of up to 64 bits and ``llvm.fpto{s,u}i.sat`` →
  ``sbf_f64_to_{i64,u64}_sat`` with the target width (out-of-range ``fptosi``/``fptoui`` results are
  poison, so the saturated value is as good as any);
* ``fpext float to double`` → ``sbf_f32_to_f64``; ``fptrunc double to float`` → ``sbf_f64_to_f32``.

Every other use of floating point fails with ``UnsupportedCode`` naming the function and the
instruction: ``frem``, math intrinsics (``llvm.pow``, ``llvm.sqrt``, ``llvm.fma``, ...), vectors of
floats, ``half``/``bfloat``/``fp128``/``x86_fp80``/``ppc_fp128``, integers wider than 64 bits, and
any other instruction on a float (``atomicrmw fadd``, ``va_arg``, ...).
"""

from __future__ import annotations

from solgrid.build.demangle import demangle
from solgrid.build.errors import UnsupportedCode
from solgrid.build.ir_builder import Builder
from solgrid.build.ir_lexer import Group, Item, Kind, Token, is_word, span_text, split_commas
from solgrid.build.ir_model import Block, Function, Instruction, Module
from solgrid.build.ir_operands import int_width, type_length
from solgrid.build.ir_views import FAST_MATH_FLAGS, as_call

FLOAT_TYPES = frozenset({"half", "bfloat", "float", "double", "fp128", "x86_fp80", "ppc_fp128"})
#: The float types the lowering handles, as scalars: binary64 and binary32.
SCALAR_FLOATS = frozenset({"double", "float"})
ARITHMETIC = {"fadd": "@sbf_f64_add", "fsub": "@sbf_f64_sub", "fmul": "@sbf_f64_mul", "fdiv": "@sbf_f64_div"}
F64_CMP = "@sbf_f64_cmp"
F32_TO_F64 = "@sbf_f32_to_f64"
F64_TO_F32 = "@sbf_f64_to_f32"
FROM_INT = {
    ("sitofp", "double"): "@sbf_f64_from_i64",
    ("uitofp", "double"): "@sbf_f64_from_u64",
    ("sitofp", "float"): "@sbf_f32_from_i64",
    ("uitofp", "float"): "@sbf_f32_from_u64",
}
TO_INT = {"fptosi": "@sbf_f64_to_i64_sat", "fptoui": "@sbf_f64_to_u64_sat"}
#: Helper symbol → number of i64 parameters (each returns an i64).
HELPER_ARITY = {
    **dict.fromkeys(ARITHMETIC.values(), 2),
    F64_CMP: 2,
    F32_TO_F64: 1,
    F64_TO_F32: 1,
    **dict.fromkeys(FROM_INT.values(), 1),
    **dict.fromkeys(TO_INT.values(), 2),
}
SOFT_FLOAT_SYMBOLS = frozenset(HELPER_ARITY)

# sbf_f64_cmp's relation codes (crates/sbf-support/src/softfloat.rs) and each predicate's set of them.
LESS, EQUAL, GREATER, UNORDERED = 1, 2, 4, 8
PREDICATES = {
    "oeq": EQUAL,
    "ogt": GREATER,
    "oge": GREATER | EQUAL,
    "olt": LESS,
    "ole": LESS | EQUAL,
    "one": LESS | GREATER,
    "ord": LESS | EQUAL | GREATER,
    "ueq": UNORDERED | EQUAL,
    "ugt": UNORDERED | GREATER,
    "uge": UNORDERED | GREATER | EQUAL,
    "ult": UNORDERED | LESS,
    "ule": UNORDERED | LESS | EQUAL,
    "une": UNORDERED | LESS | GREATER,
    "uno": UNORDERED,
}
SIGN = {"double": 1 << 63, "float": 1 << 31}
BITS_TYPE = {"double": "i64", "float": "i32"}
SUPPORTED = (
    "the soft-float lowering handles fadd, fsub, fmul, fdiv, fneg, fcmp, sitofp, uitofp, fptosi, "
    "fptoui, fpext, fptrunc, llvm.fpto[su]i.sat, llvm.fabs and llvm.copysign on scalar double and "
    "float, with integers of at most 64 bits"
)
_FLOAT_OPCODES = frozenset(ARITHMETIC) | {"frem", "fneg", "fcmp", "sitofp", "uitofp", "fptosi", "fptoui"}
_FLOAT_OPCODES |= {"fpext", "fptrunc"}
#: Instructions that only move float values around, which llc compiles as integers.
DATA_OPCODES = frozenset(
    {"load", "store", "phi", "select", "bitcast", "call", "ret", "extractvalue", "insertvalue", "alloca"}
    | {"getelementptr", "freeze"}
)


def _literal(value: int, width: int) -> str:
    value &= (1 << width) - 1
    return str(value - (1 << width) if value >> (width - 1) else value)


def float_types_of(items: list[Item] | tuple[Item, ...], in_vector: bool = False) -> list[tuple[str, bool]]:
    """Every float type named in ``items``, in order, each with whether it is the element type of a
    vector."""
    found: list[tuple[str, bool]] = []
    for item in items:
        if isinstance(item, Group):
            vector = in_vector or (item.bracket == "<" and any(is_word(i, "x") for i in item.items))
            found += float_types_of(item.items, vector)
        elif item.kind is Kind.WORD and item.text in FLOAT_TYPES:
            found.append((item.text, in_vector))
    return found


def float_type_of(items: list[Item] | tuple[Item, ...], in_vector: bool = False) -> tuple[str, bool] | None:
    """The first float type named in ``items`` and whether it is the element type of a vector."""
    return next(iter(float_types_of(items, in_vector)), None)


def data_problem(inst: Instruction) -> str | None:
    """Why an instruction other than the lowered ones cannot have the floats it names (``None``: fine).

    Scalar ``double`` and ``float`` values may be loaded, stored, selected, passed and returned; any
    other float type, a vector of floats, or another instruction on a float cannot be compiled. Every
    float type the instruction names is checked (``call void @f(double %x, fp128 %y)``: the ``fp128``).
    """
    if not any(name in inst.line for name in FLOAT_TYPES):
        return None
    found = float_types_of(inst.items)
    for float_type, vector in found:
        if vector:
            return f"a vector of {float_type}"
        if float_type not in SCALAR_FLOATS:
            return f"the type {float_type}"
    if not found:
        return None
    float_type = found[0][0]
    if inst.opcode not in DATA_OPCODES:
        return f"`{inst.opcode}` on {float_type}"
    if inst.opcode == "call":
        call = as_call(inst)
        if call is None:
            return f"an inline-assembly call on {float_type}"
        if call.callee.startswith("@llvm."):
            return f"the intrinsic {call.callee[1:]}"
    return None


def _reject(fn: Function, inst: Instruction, what: str) -> UnsupportedCode:
    text = inst.text if len(inst.text) <= 120 else inst.text[:117] + "..."
    return UnsupportedCode(demangle(fn.name), f"uses {what} (`{text}`); {SUPPORTED}")


def _skip_flags(items: list[Item], *extra: str) -> int:
    i = 0
    while isinstance(item := items[i] if i < len(items) else None, Token) and is_word(
        item, *FAST_MATH_FLAGS, *extra
    ):
        i += 1
    return i


class _Lowering:
    def __init__(self, module: Module) -> None:
        self.module = module

    def helper(self, b: Builder, symbol: str, *args: str, hint: str, name: str | None = None) -> str:
        self.module.ensure_declaration(symbol, "i64", ["i64"] * HELPER_ARITY[symbol])
        return b.call("i64", symbol, [("i64", arg) for arg in args], hint=hint, name=name)

    def as_f64_bits(self, b: Builder, float_type: str, value: str) -> str:
        """An ``i64`` holding the binary64 bits of a ``double``, or of a ``float`` widened exactly."""
        if float_type == "double":
            return b.emit(f"bitcast double {value} to i64", "fb")
        narrow = b.emit(f"bitcast float {value} to i32", "fb")
        return self.helper(b, F32_TO_F64, b.emit(f"zext i32 {narrow} to i64", "fz"), hint="fw")

    def from_result_bits(self, b: Builder, float_type: str, bits: str, name: str) -> None:
        """Bind ``name`` to the ``float_type`` whose bits ``bits`` holds (binary32 in the low half)."""
        if float_type == "float":
            bits = b.emit(f"trunc i64 {bits} to i32", "ft")
        b.emit(f"bitcast {BITS_TYPE[float_type]} {bits} to {float_type}", "", name)

    def from_f64_bits(self, b: Builder, float_type: str, bits: str, name: str) -> None:
        """Bind ``name`` to a binary64 result, rounded once to binary32 for ``float``."""
        if float_type == "float":
            bits = self.helper(b, F64_TO_F32, bits, hint="fn")
        self.from_result_bits(b, float_type, bits, name)

    # -- instructions ------------------------------------------------------------------------------

    def visit(self, fn: Function, block: Block, inst: Instruction) -> list[Instruction] | None:
        opcode = inst.opcode
        if opcode in _FLOAT_OPCODES:
            if fn.name in SOFT_FLOAT_SYMBOLS:
                raise UnsupportedCode(fn.name[1:], "uses floating point itself; it must use integers only")
            return self.instruction(fn, inst)
        if opcode == "call" and "@llvm." in inst.line:
            call = as_call(inst)
            if call is not None and call.callee.startswith("@llvm.") and call.callee.split(".")[1] in (
                "fptosi", "fptoui", "fabs", "copysign"
            ):  # fmt: skip
                return self.intrinsic(fn, inst)
        problem = data_problem(inst) if inst.is_instruction else None
        if problem is not None:
            raise _reject(fn, inst, problem)
        return None

    def instruction(self, fn: Function, inst: Instruction) -> list[Instruction]:
        items = inst.operand_items()
        if inst.result is None:
            raise _reject(fn, inst, f"`{inst.opcode}` without a result")
        b = Builder(fn)
        opcode = inst.opcode
        i = _skip_flags(items, "nneg")
        predicate = None
        if opcode == "fcmp":
            predicate_item = items[i] if i < len(items) else None
            if not isinstance(predicate_item, Token) or not (
                predicate_item.text in PREDICATES or predicate_item.text in ("true", "false")
            ):
                raise _reject(fn, inst, "an fcmp predicate the lowering does not know")
            predicate = predicate_item.text
            i += 1
        n = type_length(items, i)
        source_type = span_text(inst.line, items[i : i + n])
        rest = items[i + n :]
        if opcode in ("sitofp", "uitofp", "fptosi", "fptoui", "fpext", "fptrunc"):
            to = next((k for k, item in enumerate(rest) if is_word(item, "to")), None)
            if to is None:
                raise _reject(fn, inst, f"`{opcode}` in a form the lowering cannot read")
            value = span_text(inst.line, rest[:to])
            target_type = span_text(inst.line, rest[to + 1 : to + 1 + type_length(rest, to + 1)])
            return self.conversion(fn, inst, b, source_type, value, target_type)
        operands = [span_text(inst.line, part) for part in split_commas(rest)]
        float_type = source_type
        if float_type not in SCALAR_FLOATS:
            found = float_type_of(items)
            raise _reject(fn, inst, f"`{opcode}` on {found[0] if found and not found[1] else source_type}")
        if opcode == "frem":
            raise _reject(fn, inst, f"`frem` on {float_type}")
        if opcode == "fneg":
            bits_type = BITS_TYPE[float_type]
            bits = b.emit(f"bitcast {float_type} {operands[0]} to {bits_type}", "fb")
            width = 64 if float_type == "double" else 32
            flipped = b.emit(f"xor {bits_type} {bits}, {_literal(SIGN[float_type], width)}", "fx")
            b.emit(f"bitcast {bits_type} {flipped} to {float_type}", "", inst.result)
            return b.out
        if predicate in ("true", "false"):
            b.emit(f"bitcast i1 {predicate} to i1", "", inst.result)
            return b.out
        lhs = self.as_f64_bits(b, float_type, operands[0])
        rhs = self.as_f64_bits(b, float_type, operands[1])
        if predicate is not None:
            relation = self.helper(b, F64_CMP, lhs, rhs, hint="fc")
            # Code k of sbf_f64_cmp (0 less, 1 equal, 2 greater, 3 unordered) selects bit k.
            selected = b.emit(f"lshr i64 {PREDICATES[predicate]}, {relation}", "fs")
            b.emit(f"trunc i64 {selected} to i1", "", inst.result)
            return b.out
        result = self.helper(b, ARITHMETIC[opcode], lhs, rhs, hint="fr")
        self.from_f64_bits(b, float_type, result, inst.result)
        return b.out

    def conversion(
        self, fn: Function, inst: Instruction, b: Builder, source: str, value: str, target: str
    ) -> list[Instruction]:
        opcode = inst.opcode
        assert inst.result is not None
        if opcode in ("sitofp", "uitofp"):
            width = int_width(source)
            if width is None or width > 64 or target not in SCALAR_FLOATS:
                raise _reject(fn, inst, f"`{opcode}` from {source} to {target}")
            extend = "sext" if opcode == "sitofp" else "zext"
            wide = value if width == 64 else b.emit(f"{extend} {source} {value} to i64", "fi")
            bits = self.helper(b, FROM_INT[(opcode, target)], wide, hint="fr")
            self.from_result_bits(b, target, bits, inst.result)
            return b.out
        if opcode in ("fptosi", "fptoui"):
            width = int_width(target)
            if width is None or width > 64 or source not in SCALAR_FLOATS:
                raise _reject(fn, inst, f"`{opcode}` from {source} to {target}")
            self.to_int(b, opcode, source, value, width, inst.result)
            return b.out
        if (opcode, source, target) == ("fpext", "float", "double"):
            self.from_result_bits(b, "double", self.as_f64_bits(b, "float", value), inst.result)
            return b.out
        if (opcode, source, target) == ("fptrunc", "double", "float"):
            self.from_f64_bits(b, "float", self.as_f64_bits(b, "double", value), inst.result)
            return b.out
        raise _reject(fn, inst, f"`{opcode}` from {source} to {target}")

    def to_int(self, b: Builder, opcode: str, source: str, value: str, width: int, name: str) -> None:
        bits = self.as_f64_bits(b, source, value)
        result = self.helper(b, TO_INT[opcode], bits, str(width), hint="fi")
        if width == 64:
            b.emit(f"bitcast i64 {result} to i64", "", name)
        else:
            b.emit(f"trunc i64 {result} to i{width}", "", name)

    def intrinsic(self, fn: Function, inst: Instruction) -> list[Instruction]:
        call = as_call(inst)
        assert call is not None
        parts = call.callee[1:].split(".")
        name = inst.result
        if name is None:
            return []  # these intrinsics have no side effects
        b = Builder(fn)
        if parts[1] in ("fptosi", "fptoui") and len(parts) == 5 and parts[2] == "sat":
            width = int_width(parts[3])
            source = {"f64": "double", "f32": "float"}.get(parts[4])
            if width is None or width > 64 or source is None or len(call.args) != 1:
                raise _reject(fn, inst, f"the intrinsic {call.callee[1:]}")
            self.to_int(b, parts[1], source, call.args[0].value or "", width, name)
            return b.out
        float_type = {"f64": "double", "f32": "float"}.get(parts[-1])
        if len(parts) != 3 or float_type is None:
            raise _reject(fn, inst, f"the intrinsic {call.callee[1:]}")
        bits_type = BITS_TYPE[float_type]
        sign = _literal(SIGN[float_type], 64 if float_type == "double" else 32)
        magnitude = _literal(SIGN[float_type] - 1, 64 if float_type == "double" else 32)
        args = [b.emit(f"bitcast {float_type} {arg.value} to {bits_type}", "fb") for arg in call.args]
        if parts[1] == "fabs" and len(args) == 1:
            bits = b.emit(f"and {bits_type} {args[0]}, {magnitude}", "fa")
        elif parts[1] == "copysign" and len(args) == 2:
            kept = b.emit(f"and {bits_type} {args[0]}, {magnitude}", "fa")
            signed = b.emit(f"and {bits_type} {args[1]}, {sign}", "fs")
            bits = b.emit(f"or {bits_type} {kept}, {signed}", "fo")
        else:
            raise _reject(fn, inst, f"the intrinsic {call.callee[1:]}")
        b.emit(f"bitcast {bits_type} {bits} to {float_type}", "", name)
        return b.out


def lower_float(module: Module) -> int:
    """Replace every float operation by integer code and sbf-support calls (see the module docstring)."""
    return module.rewrite(_Lowering(module).visit)

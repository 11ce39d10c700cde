"""Arithmetic the upstream BPF backend cannot lower, rewritten into 64-bit operations.

The backend has 64-bit registers, an unsigned 64-bit ``div``/``mod`` and no signed division before
cpu v4. For anything wider it emits compiler-rt libcalls (``__multi3``, ``__udivti3``, ``__ashlti3``)
that it then refuses ("A call to built-in function ... is not supported"), and for ``sdiv``/``srem``
it stops with "unsupported signed division". Each function below removes one such construct from
every function of the module and returns how many instructions it replaced:

* ``expand_mul_with_overflow``: ``llvm.{u,s}mul.with.overflow.{i64,i128}`` (``checked_mul``,
  ``overflowing_mul``, and ``Vec`` growth through ``Layout::array``);
* ``lower_signed_divrem``: ``sdiv``/``srem`` of any width, as unsigned division of magnitudes and a
  sign fix-up (the ``i128`` ones become ``udiv``/``urem i128``, lowered next);
* ``lower_i128_divrem``: ``udiv``/``urem i128`` as a call of ``sbf_udivmod128`` (sbf-support);
* ``expand_i128_mul``: ``mul i128``. This has to happen on IR: LLVM's InstCombine turns hand-written
  64-bit limb code back into ``mul i128``, so source-level helpers cannot avoid it;
* ``lower_i128_variable_shifts``: ``shl``/``lshr``/``ashr i128`` by a non-constant amount.

The 64x64→128 high product is the internal helper ``@sbf.umulh64`` (32-bit limbs), added on first use.
"""

from __future__ import annotations

from solgrid.build.demangle import demangle
from solgrid.build.errors import UnsupportedCode
from solgrid.build.ir_builder import Builder, literal, literal_value
from solgrid.build.ir_model import Block, Function, Instruction, Module, parse_function
from solgrid.build.ir_operands import int_width
from solgrid.build.ir_views import as_binary, as_call

UMULH64 = "@sbf.umulh64"
UDIVMOD128 = "@sbf_udivmod128"

_UMULH64_DEFINITION = """\
define internal i64 @sbf.umulh64(i64 %a, i64 %b) unnamed_addr {
  %a.lo = and i64 %a, 4294967295
  %a.hi = lshr i64 %a, 32
  %b.lo = and i64 %b, 4294967295
  %b.hi = lshr i64 %b, 32
  %ll = mul i64 %a.lo, %b.lo
  %lh = mul i64 %a.lo, %b.hi
  %hl = mul i64 %a.hi, %b.lo
  %hh = mul i64 %a.hi, %b.hi
  ; column 32..63: carry of the low product plus the low halves of the cross products (< 3 * 2^32)
  %ll.carry = lshr i64 %ll, 32
  %lh.lo = and i64 %lh, 4294967295
  %hl.lo = and i64 %hl, 4294967295
  %mid.0 = add i64 %ll.carry, %lh.lo
  %mid = add i64 %mid.0, %hl.lo
  %lh.hi = lshr i64 %lh, 32
  %hl.hi = lshr i64 %hl, 32
  %mid.carry = lshr i64 %mid, 32
  %hi.0 = add i64 %hh, %lh.hi
  %hi.1 = add i64 %hi.0, %hl.hi
  %hi = add i64 %hi.1, %mid.carry
  ret i64 %hi
}"""


def _umulh(b: Builder, module: Module, x: str, y: str) -> str:
    """The high 64 bits of the 128-bit product of two ``i64`` values."""
    cx, cy = literal_value(x, 64), literal_value(y, 64)
    if cx is not None and cy is not None:
        return literal((cx * cy) >> 64, 64)
    if cx in (0, 1) or cy in (0, 1):
        return "0"
    if module.function(UMULH64) is None:
        module.add_function(parse_function(_UMULH64_DEFINITION.split("\n")))
    return b.call("i64", UMULH64, [("i64", x), ("i64", y)], hint="mh")


def _magnitude(b: Builder, ty: str, value: str) -> tuple[str, str]:
    """(is negative, |value| as an unsigned number of the same width)."""
    negative = b.icmp("slt", ty, value, "0", hint="neg")
    return negative, b.select(negative, ty, b.negate(ty, value), value, hint="abs")


def _any(b: Builder, *conditions: str) -> str:
    result = "false"
    for condition in conditions:
        result = b.binop("or", "i1", result, condition, hint="any")
    return result


def _umul128(b: Builder, module: Module, x: str, y: str) -> tuple[str, str, str]:
    """Low and high halves of the wrapped product of two ``i128`` values, and whether it overflowed."""
    xl, xh = b.split_i128(x)
    yl, yh = b.split_i128(y)
    low = b.binop("mul", "i64", xl, yl, hint="pl")
    carry_in = _umulh(b, module, xl, yl)
    cross1 = b.binop("mul", "i64", xh, yl, hint="px")
    cross2 = b.binop("mul", "i64", xl, yh, hint="px")
    cross = b.binop("add", "i64", cross1, cross2, hint="pc")
    high = b.binop("add", "i64", carry_in, cross, hint="ph")
    # Overflow: both high halves non-zero (a 2^128 term), a cross product above 64 bits, or a carry
    # out of the high word. With one high half zero, `cross` is a single product and cannot wrap.
    both_wide = b.binop(
        "and",
        "i1",
        b.icmp("ne", "i64", xh, "0", hint="xw"),
        b.icmp("ne", "i64", yh, "0", hint="yw"),
        hint="ww",
    )
    cross1_wide = b.icmp("ne", "i64", _umulh(b, module, xh, yl), "0", hint="o1")
    cross2_wide = b.icmp("ne", "i64", _umulh(b, module, xl, yh), "0", hint="o2")
    carry_out = b.icmp("ult", "i64", high, carry_in, hint="co")
    return low, high, _any(b, both_wide, cross1_wide, cross2_wide, carry_out)


def _mul_with_overflow(
    b: Builder, module: Module, signed: bool, width: int, x: str, y: str
) -> tuple[str, str]:
    """(wrapped product, overflow flag) with the semantics of ``llvm.[us]mul.with.overflow.iN``."""
    ty = f"i{width}"
    if signed:
        # |x| * |y| must fit in width-1 bits, or be exactly 2^(width-1) when the result is negative.
        x_negative, x_abs = _magnitude(b, ty, x)
        y_negative, y_abs = _magnitude(b, ty, y)
        product, overflow = _mul_with_overflow(b, module, False, width, x_abs, y_abs)
        negative = b.binop("xor", "i1", x_negative, y_negative, hint="sg")
        minimum = 1 << (width - 1)
        limit = b.select(negative, ty, literal(minimum, width), literal(minimum - 1, width), hint="lim")
        too_big = b.icmp("ugt", ty, product, limit, hint="big")
        # The wrapped product does not depend on signedness: for i64 it is one `mul`; for i128,
        # x * y ≡ ±(|x| * |y|) mod 2^128 reuses the product already expanded.
        if width == 64:
            value = b.binop("mul", ty, x, y, hint="pl")
        else:
            value = b.select(negative, ty, b.negate(ty, product), product, hint="sp")
        return value, _any(b, overflow, too_big)
    if width == 64:
        high = _umulh(b, module, x, y)
        return b.binop("mul", "i64", x, y, hint="pl"), b.icmp("ne", "i64", high, "0", hint="ov")
    low, high, overflow = _umul128(b, module, x, y)
    return b.join_i128(low, high), overflow


_MUL_WITH_OVERFLOW = {
    "@llvm.umul.with.overflow.i64": (False, 64),
    "@llvm.smul.with.overflow.i64": (True, 64),
    "@llvm.umul.with.overflow.i128": (False, 128),
    "@llvm.smul.with.overflow.i128": (True, 128),
}


def expand_mul_with_overflow(module: Module) -> int:
    """Expand ``llvm.[us]mul.with.overflow.{i64,i128}`` (narrower ones llc widens to i64 itself)."""

    def visit(fn: Function, block: Block, inst: Instruction) -> list[Instruction] | None:
        if inst.opcode != "call" or "mul.with.overflow.i" not in inst.line:
            return None
        call = as_call(inst)
        if call is None or call.callee not in _MUL_WITH_OVERFLOW:
            return None
        if call.result is None:
            return []  # no side effects and nobody reads it
        signed, width = _MUL_WITH_OVERFLOW[call.callee]
        b = Builder(fn)
        value, overflow = _mul_with_overflow(
            b, module, signed, width, *(arg.value or "" for arg in call.args)
        )
        pair = f"{{ i{width}, i1 }}"
        first = b.emit(f"insertvalue {pair} poison, i{width} {value}, 0", "mo")
        b.emit(f"insertvalue {pair} {first}, i1 {overflow}, 1", "", call.result)
        return b.out

    return module.rewrite(visit)


def expand_i128_mul(module: Module) -> int:
    """``mul i128`` → 64-bit multiplies: lo = al*bl, hi = umulh(al, bl) + al*bh + ah*bl."""

    def visit(fn: Function, block: Block, inst: Instruction) -> list[Instruction] | None:
        op = as_binary(inst) if inst.opcode == "mul" else None
        if op is None or op.type != "i128":
            return None
        b = Builder(fn)
        al, ah = b.split_i128(op.lhs)
        bl, bh = b.split_i128(op.rhs)
        low = b.binop("mul", "i64", al, bl, hint="ml")
        high = _umulh(b, module, al, bl)
        high = b.binop("add", "i64", high, b.binop("mul", "i64", al, bh, hint="mx"), hint="mh")
        high = b.binop("add", "i64", high, b.binop("mul", "i64", ah, bl, hint="mx"), hint="mh")
        b.join_i128(low, high, name=op.result)
        return b.out

    return module.rewrite(visit)


def lower_signed_divrem(module: Module) -> int:
    """``sdiv``/``srem`` → unsigned division of the magnitudes, then the sign.

    Division truncates toward zero, so the quotient is negative when exactly one operand is, and the
    remainder takes the dividend's sign; this matches Rust's ``/`` and ``%`` for every defined input.
    ``MIN / -1`` (undefined in LLVM, a panic in Rust) gives MIN and ``MIN % -1`` gives 0, which are
    also ``wrapping_div``/``wrapping_rem``'s results.
    """

    def visit(fn: Function, block: Block, inst: Instruction) -> list[Instruction] | None:
        op = as_binary(inst) if inst.opcode in ("sdiv", "srem") else None
        if op is None or int_width(op.type) is None:
            return None
        b = Builder(fn)
        lhs_negative, lhs_abs = _magnitude(b, op.type, op.lhs)
        rhs_negative, rhs_abs = _magnitude(b, op.type, op.rhs)
        if op.opcode == "sdiv":
            unsigned = b.binop("udiv", op.type, lhs_abs, rhs_abs, hint="uq")
            negative = b.binop("xor", "i1", lhs_negative, rhs_negative, hint="sg")
        else:
            unsigned = b.binop("urem", op.type, lhs_abs, rhs_abs, hint="ur")
            negative = lhs_negative
        b.select(negative, op.type, b.negate(op.type, unsigned), unsigned, name=op.result)
        return b.out

    return module.rewrite(visit)


def lower_i128_divrem(module: Module) -> int:
    """``udiv``/``urem i128`` → ``sbf_udivmod128(a_lo, a_hi, b_lo, b_hi, out)``.

    ``out`` is one ``[4 x i64]`` entry-block alloca per function (``q_lo, q_hi, r_lo, r_hi``), read
    right after each call. A quotient and remainder of the same operands in one block share a call.
    Rust checks for a zero divisor before dividing, so the helper never sees one from safe code.
    """
    buffers: dict[str, str] = {}
    results: dict[tuple[str, str | None, str, str], list[str]] = {}

    def visit(fn: Function, block: Block, inst: Instruction) -> list[Instruction] | None:
        op = as_binary(inst) if inst.opcode in ("udiv", "urem") else None
        if op is None or op.type != "i128":
            return None
        if fn.name == UDIVMOD128:
            raise UnsupportedCode(
                demangle(fn.name), "contains a 128-bit division itself; it must use 64-bit operations only"
            )
        module.ensure_declaration(UDIVMOD128, "void", ["i64", "i64", "i64", "i64", "ptr"])
        b = Builder(fn)
        key = (fn.name, block.label, op.lhs, op.rhs)
        if key not in results:
            if fn.name not in buffers:
                buffers[fn.name] = fn.fresh("divbuf")
                fn.add_entry_instruction(f"{buffers[fn.name]} = alloca [4 x i64], align 8")
            buffer = buffers[fn.name]
            al, ah = b.split_i128(op.lhs)
            bl, bh = b.split_i128(op.rhs)
            b.emit_void(f"call void {UDIVMOD128}(i64 {al}, i64 {ah}, i64 {bl}, i64 {bh}, ptr {buffer})")
            words = []
            for index in range(4):
                address = buffer
                if index:
                    address = b.emit(f"getelementptr inbounds i8, ptr {buffer}, i64 {8 * index}", "dp")
                words.append(b.emit(f"load i64, ptr {address}, align 8", "dw"))
            results[key] = words
        q_lo, q_hi, r_lo, r_hi = results[key]
        low, high = (q_lo, q_hi) if op.opcode == "udiv" else (r_lo, r_hi)
        b.join_i128(low, high, name=op.result)
        return b.out

    return module.rewrite(visit)


def lower_i128_variable_shifts(module: Module) -> int:
    """``shl``/``lshr``/``ashr i128`` by a variable amount → 64-bit shifts and selects.

    With s = amount & 63 and ``big`` = amount & 64, each half is a shift of one input half by s,
    or'ed with the bits crossing the 64-bit boundary. Those are shifted in two steps (by 1, then by
    63 - s), so no shift amount reaches 64 (a poison shift in LLVM) even when s = 0. Amounts of 128
    or more are poison in LLVM too (Rust masks or checks them first), so any result is allowed there.
    """

    def visit(fn: Function, block: Block, inst: Instruction) -> list[Instruction] | None:
        op = as_binary(inst) if inst.opcode in ("shl", "lshr", "ashr") else None
        if op is None or op.type != "i128" or literal_value(op.rhs, 128) is not None:
            return None
        b = Builder(fn)
        lo, hi = b.split_i128(op.lhs)
        amount = b.low_half(op.rhs)
        s = b.binop("and", "i64", amount, "63", hint="s")
        big = b.icmp("ne", "i64", b.binop("and", "i64", amount, "64", hint="b"), "0", hint="big")
        rest = b.binop("sub", "i64", "63", s, hint="r")
        if op.opcode == "shl":
            low_shifted = b.binop("shl", "i64", lo, s, hint="ls")
            crossing = b.binop("lshr", "i64", b.binop("lshr", "i64", lo, "1", hint="x1"), rest, hint="x")
            high_shifted = b.binop("or", "i64", b.binop("shl", "i64", hi, s, hint="hs"), crossing, hint="h")
            new_lo = b.select(big, "i64", "0", low_shifted, hint="nl")
            new_hi = b.select(big, "i64", low_shifted, high_shifted, hint="nh")
        else:
            high_shifted = b.binop(op.opcode, "i64", hi, s, hint="hs")
            crossing = b.binop("shl", "i64", b.binop("shl", "i64", hi, "1", hint="x1"), rest, hint="x")
            low_shifted = b.binop("or", "i64", b.binop("lshr", "i64", lo, s, hint="ls"), crossing, hint="l")
            fill = "0" if op.opcode == "lshr" else b.binop("ashr", "i64", hi, "63", hint="f")
            new_lo = b.select(big, "i64", high_shifted, low_shifted, hint="nl")
            new_hi = b.select(big, "i64", fill, high_shifted, hint="nh")
        b.join_i128(new_lo, new_hi, name=op.result)
        return b.out

    return module.rewrite(visit)

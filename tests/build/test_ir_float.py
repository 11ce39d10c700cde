"""The soft-float lowering (``ir_float.lower_float``) on hand-written IR.

* every float operation it handles: llc for BPF refuses it before (``__adddf3`` ...), the module
  verifies and llc accepts it after, and no float instruction is left;
* reference semantics: one ``@case`` doing every handled operation on double and float runs in lli
  natively and lowered, the lowered one linked with native IR definitions of the helpers (the
  hardware's own operations); both must give the same bits (NaN results: both NaN) on thousands of
  inputs. This checks the rewrite's plumbing (operand order, predicate sets, widths, signedness, the
  binary32-through-binary64 steps); ``cargo test -p sbf-support`` checks the Rust helpers against
  the hardware, and ``test_pipeline_programs`` both together on the SBF VM;
* what it does not handle fails, naming the function and the instruction;
* check_supported: scalar double/float data is accepted, the helpers must be defined (sbf-support).
"""

from __future__ import annotations

import math
import random
import struct
from dataclasses import dataclass

import pytest
from ir_support import bpf_llc, lli_cases, requires_llvm, verify

from solgrid.build import ir
from solgrid.build.errors import UnsupportedCode
from solgrid.build.ir_check import check_supported
from solgrid.build.ir_float import PREDICATES, SOFT_FLOAT_SYMBOLS, data_problem, lower_float
from solgrid.build.ir_model import Instruction, parse_module

pytestmark = requires_llvm

TARGET = 'target datalayout = "e-m:e-p:64:64-i64:64-i128:128-n32:64-S128"\ntarget triple = "bpfel"\n\n'
FLOAT_OPCODES = {"fadd", "fsub", "fmul", "fdiv", "frem", "fneg", "fcmp", "sitofp", "uitofp", "fptosi"}
FLOAT_OPCODES |= {"fptoui", "fpext", "fptrunc"}
ALL_PREDICATES = [*sorted(PREDICATES), "true", "false"]


PROLOGUE = """\
  %x = load double, ptr %p, align 8
  %y.at = getelementptr inbounds i8, ptr %p, i64 8
  %y = load double, ptr %y.at, align 8
  %f.at = getelementptr inbounds i8, ptr %p, i64 16
  %f = load float, ptr %f.at, align 4
  %g.at = getelementptr inbounds i8, ptr %p, i64 20
  %g = load float, ptr %g.at, align 4
  %n.at = getelementptr inbounds i8, ptr %p, i64 24
  %n = load i64, ptr %n.at, align 8
  %m = trunc i64 %n to i32
  %k = trunc i64 %n to i8"""


def _entry(body: str, result_type: str, name: str = "entrypoint") -> str:
    """``@<name>(ptr %p)`` loading double ``%x``/``%y``, float ``%f``/``%g``, i64 ``%n``, i32 ``%m`` and
    i8 ``%k`` from ``%p``; ``body`` defines ``%r`` of ``result_type``, which is stored back."""
    return (
        f"{TARGET}define void @{name}(ptr %p) {{\n{PROLOGUE}\n  {body}\n"
        f"  store volatile {result_type} %r, ptr %p\n  ret void\n}}\n"
    )


@dataclass(frozen=True)
class Op:
    body: str
    result_type: str
    refused_by_llc: bool  # False: llc lowers it by itself (the sign-bit operations)


OPS = [
    Op("%r = fadd double %x, %y", "double", True),
    Op("%r = fsub nnan double %x, 1.500000e+00", "double", True),
    Op("%r = fmul fast double %x, %y", "double", True),
    Op("%r = fdiv double %x, %y, !fpmath !{float 2.5}", "double", True),
    Op("%r = fneg double %x", "double", False),
    Op("%r = fadd float %f, %g", "float", True),
    Op("%r = fsub float %f, %g", "float", True),
    Op("%r = fmul float %f, 0x3FF8000000000000", "float", True),
    Op("%r = fdiv float %f, %g", "float", True),
    Op("%r = fneg float %f", "float", False),
    Op("%r = fcmp olt double %x, %y", "i1", True),
    Op("%r = fcmp fast ueq double %x, %y", "i1", True),
    Op("%r = fcmp ord float %f, %g", "i1", True),
    Op("%r = fcmp true double %x, %y", "i1", False),
    Op("%r = uitofp i64 %n to double", "double", True),
    Op("%r = uitofp nneg i32 %m to double", "double", True),
    Op("%r = sitofp i64 %n to double", "double", True),
    Op("%r = sitofp i8 %k to double", "double", True),
    Op("%r = uitofp i64 %n to float", "float", True),
    Op("%r = sitofp i32 %m to float", "float", True),
    Op("%r = fptoui double %x to i64", "i64", True),
    Op("%r = fptosi double %x to i32", "i32", True),
    Op("%r = fptosi float %f to i64", "i64", True),
    Op("%r = fpext float %f to double", "double", True),
    Op("%r = fptrunc double %x to float", "float", True),
    Op("%r = call i64 @llvm.fptoui.sat.i64.f64(double %x)", "i64", True),
    Op("%r = tail call i8 @llvm.fptosi.sat.i8.f32(float %f)", "i8", True),
    Op("%r = call double @llvm.fabs.f64(double %x)", "double", False),
    Op("%r = call float @llvm.copysign.f32(float %f, float %g)", "float", False),
]


def _float_instructions(text: str) -> list[str]:
    found = []
    for fn in parse_module(text).definitions():
        for _, inst in fn.instructions():
            if inst.opcode in FLOAT_OPCODES or "@llvm.fpto" in inst.line or "@llvm.fabs" in inst.line:
                found.append(inst.text)
    return found


@pytest.mark.parametrize("op", OPS, ids=[op.body.split("=", 1)[1].strip() for op in OPS])
def test_each_float_operation_becomes_integer_code_llc_accepts(op: Op) -> None:
    before = _entry(op.body, op.result_type)
    verify(before)
    raw = bpf_llc(before)
    if op.refused_by_llc:
        assert raw.returncode != 0 and "A call to built-in function '__" in raw.stderr, raw.stderr
    lowered = ir.lower_for_bpf(before)
    assert lowered.report["lower_float"] == 1
    assert _float_instructions(lowered.text) == []
    verify(lowered.text)
    compiled = bpf_llc(lowered.text)
    assert compiled.returncode == 0, compiled.stderr


def test_helpers_are_declared_once_with_64_bit_parameters() -> None:
    before = _entry(
        "%a = fadd double %x, %y\n  %b = fadd double %a, %y\n  %c = fptoui double %b to i16\n"
        "  %r = sitofp i16 %c to float",
        "float",
    )
    text = ir.lower_for_bpf(before).text
    assert text.count("declare i64 @sbf_f64_add(i64, i64)") == 1
    assert "call i64 @sbf_f64_to_u64_sat(i64 %sbf.fb" in text and ", i64 16)" in text
    assert "declare i64 @sbf_f32_from_i64(i64)" in text
    assert "sext i16 %c to i64" in text
    declared = {fn.name for fn in parse_module(text).functions() if not fn.is_definition}
    assert declared <= SOFT_FLOAT_SYMBOLS


def test_lowering_is_idempotent_and_leaves_float_free_modules_alone() -> None:
    before = _entry(
        "\n  ".join(op.body.replace("%r", f"%r{i}") for i, op in enumerate(OPS)) + "\n  %r = add i64 %n, 1",
        "i64",
    )
    once = ir.lower_for_bpf(before)
    assert once.report["lower_float"] == len(OPS)
    twice = ir.lower_for_bpf(once.text)
    assert twice.text == once.text and twice.report["lower_float"] == 0
    plain = _entry("%r = mul i64 %n, 3", "i64")
    assert ir.lower_for_bpf(plain).text == parse_module(plain).render()


# --------------------------------------------------------------------------------------------------
# Reference semantics in lli

# The helpers, defined with the host's own float instructions.
_NATIVE_ARITHMETIC = """\
define i64 @sbf_f64_{op}(i64 %a, i64 %b) {{
  %x = bitcast i64 %a to double
  %y = bitcast i64 %b to double
  %r = {instr} double %x, %y
  %o = bitcast double %r to i64
  ret i64 %o
}}
"""
_NATIVE_FROM_INT = """\
define i64 @sbf_f64_from_{t}(i64 %a) {{
  %r = {instr} i64 %a to double
  %o = bitcast double %r to i64
  ret i64 %o
}}
define i64 @sbf_f32_from_{t}(i64 %a) {{
  %r = {instr} i64 %a to float
  %b = bitcast float %r to i32
  %o = zext i32 %b to i64
  ret i64 %o
}}
"""
NATIVE_HELPERS = (
    "".join(
        _NATIVE_ARITHMETIC.format(op=op, instr=instr)
        for op, instr in [("add", "fadd"), ("sub", "fsub"), ("mul", "fmul"), ("div", "fdiv")]
    )
    + "".join(
        _NATIVE_FROM_INT.format(t=t, instr=instr) for t, instr in [("i64", "sitofp"), ("u64", "uitofp")]
    )
    + """\
define i64 @sbf_f64_cmp(i64 %a, i64 %b) {
  %x = bitcast i64 %a to double
  %y = bitcast i64 %b to double
  %uno = fcmp uno double %x, %y
  %lt = fcmp olt double %x, %y
  %eq = fcmp oeq double %x, %y
  %r0 = select i1 %eq, i64 1, i64 2
  %r1 = select i1 %lt, i64 0, i64 %r0
  %r = select i1 %uno, i64 3, i64 %r1
  ret i64 %r
}
define i64 @sbf_f32_to_f64(i64 %a) {
  %t = trunc i64 %a to i32
  %x = bitcast i32 %t to float
  %r = fpext float %x to double
  %o = bitcast double %r to i64
  ret i64 %o
}
define i64 @sbf_f64_to_f32(i64 %a) {
  %x = bitcast i64 %a to double
  %r = fptrunc double %x to float
  %b = bitcast float %r to i32
  %o = zext i32 %b to i64
  ret i64 %o
}
define i64 @sbf_f64_to_i64_sat(i64 %a, i64 %bits) {
  %x = bitcast i64 %a to double
  %s = call i64 @llvm.fptosi.sat.i64.f64(double %x)
  %w = sub i64 %bits, 1
  %limit = shl i64 1, %w
  %max = sub i64 %limit, 1
  %min = sub i64 0, %limit
  %lo = call i64 @llvm.smin.i64(i64 %s, i64 %max)
  %r = call i64 @llvm.smax.i64(i64 %lo, i64 %min)
  ret i64 %r
}
define i64 @sbf_f64_to_u64_sat(i64 %a, i64 %bits) {
  %x = bitcast i64 %a to double
  %s = call i64 @llvm.fptoui.sat.i64.f64(double %x)
  %full = icmp eq i64 %bits, 64
  %p = shl i64 1, %bits
  %m = sub i64 %p, 1
  %max = select i1 %full, i64 -1, i64 %m
  %r = call i64 @llvm.umin.i64(i64 %s, i64 %max)
  ret i64 %r
}
"""
)


def _widen(signed: str, width: int) -> str:
    """``%i`` (an i<width>) as an i64, sign- or zero-extended."""
    if width == 64:
        return "or i64 %i, 0"
    return f"{'sext' if signed == 's' else 'zext'} i{width} %i to i64"


def _out_ops() -> list[tuple[str, str]]:
    """(instructions ending in ``%o<k>``, kind) for every output word."""
    ops: list[tuple[str, str]] = []
    for ty, kind, a, b in (("double", "f64", "%x", "%y"), ("float", "f32", "%f", "%g")):
        for opcode in ("fadd", "fsub", "fmul", "fdiv"):
            ops.append((f"%v = {opcode} {ty} {a}, {b}", kind))
        ops.append((f"%v = fneg {ty} {a}", kind))
        ops.append((f"%v = call {ty} @llvm.fabs.{kind}({ty} {a})", kind))
        ops.append((f"%v = call {ty} @llvm.copysign.{kind}({ty} {a}, {ty} {b})", kind))
        bits = []
        for k, predicate in enumerate(ALL_PREDICATES):
            bits.append(f"%c{k} = fcmp {predicate} {ty} {a}, {b}\n%z{k} = zext i1 %c{k} to i64")
            bits.append(f"%s{k} = shl i64 %z{k}, {k}")
        ors = "\n".join(f"%t{k} = or i64 %t{k - 1}, %s{k}" for k in range(1, len(ALL_PREDICATES)))
        ops.append(
            (
                "\n".join(bits)
                + "\n%t0 = or i64 0, %s0\n"
                + ors
                + f"\n%v = or i64 %t{len(ALL_PREDICATES) - 1}, 0",
                "int",
            )
        )
        for opcode, source in (("sitofp", "i64"), ("uitofp", "i64"), ("sitofp", "i32"), ("uitofp", "i32")):
            narrow = "or i64 %a, 0" if source == "i64" else f"trunc i64 %a to {source}"
            ops.append((f"%i = {narrow}\n%v = {opcode} {source} %i to {ty}", kind))
        ops.append(("%i = trunc i64 %a to i8\n%v = sitofp i8 %i to " + ty, kind))
        ops.append(("%i = trunc i64 %a to i1\n%v = uitofp i1 %i to " + ty, kind))
        ops.append(("%i = trunc i64 %a to i1\n%v = sitofp i1 %i to " + ty, kind))
        for signed in ("s", "u"):
            for width in (64, 32, 16, 8, 1):
                call = f"call i{width} @llvm.fpto{signed}i.sat.i{width}.{kind}({ty} {a})"
                ops.append((f"%i = {call}\n%v = {_widen(signed, width)}", "int"))
            for width in (64, 32):
                plain = f"%i = fpto{signed}i {ty} {a} to i{width}\n%v = {_widen('u', width)}"
                ops.append((plain, f"i{width} {signed} {kind}"))
    ops.append(("%v = fpext float %f to double", "f64"))
    ops.append(("%v = fptrunc double %x to float", "f32"))
    return ops


def _case_module(ops: list[tuple[str, str]]) -> str:
    lines = [
        "define void @case(ptr %in, ptr %out) {",
        "  %a = load i64, ptr %in, align 8",
        "  %b.at = getelementptr inbounds i8, ptr %in, i64 8",
        "  %b = load i64, ptr %b.at, align 8",
        "  %x = bitcast i64 %a to double",
        "  %y = bitcast i64 %b to double",
        "  %a32 = trunc i64 %a to i32",
        "  %b32 = trunc i64 %b to i32",
        "  %f = bitcast i32 %a32 to float",
        "  %g = bitcast i32 %b32 to float",
    ]
    for index, (body, kind) in enumerate(ops):
        renamed = body
        for name in ("%v", "%i", "%t", "%c", "%z", "%s"):
            renamed = renamed.replace(name, f"{name}{index}_")
        lines += ["  " + line for line in renamed.split("\n")]
        value = f"%v{index}_"
        if kind == "f64":
            lines.append(f"  %w{index} = bitcast double {value} to i64")
        elif kind == "f32":
            lines.append(f"  %n{index} = bitcast float {value} to i32")
            lines.append(f"  %w{index} = zext i32 %n{index} to i64")
        else:
            lines.append(f"  %w{index} = or i64 {value}, 0")
        lines.append(f"  %at{index} = getelementptr inbounds i64, ptr %out, i64 {index}")
        lines.append(f"  store i64 %w{index}, ptr %at{index}, align 8")
    lines += ["  ret void", "}"]
    return "\n".join(lines) + "\n"


def _f64(bits: int) -> float:
    return float(struct.unpack("<d", struct.pack("<Q", bits & (1 << 64) - 1))[0])


def _f32(bits: int) -> float:
    return float(struct.unpack("<f", struct.pack("<I", bits & 0xFFFFFFFF))[0])


def _same(kind: str, a: int, got: int, want: int) -> bool:
    if kind == "f64":
        return got == want or (math.isnan(_f64(got)) and math.isnan(_f64(want)))
    if kind == "f32":
        return got == want or (math.isnan(_f32(got)) and math.isnan(_f32(want)))
    if kind == "int":
        return got == want
    width_text, signed, source = kind.split()
    width = int(width_text[1:])
    value = _f64(a) if source == "f64" else _f32(a)
    if math.isnan(value) or math.isinf(value):
        return True
    truncated = math.trunc(value)
    low, high = (-(1 << (width - 1)), (1 << (width - 1)) - 1) if signed == "s" else (0, (1 << width) - 1)
    return not low <= truncated <= high or got == want


def _inputs(rng: random.Random, count: int) -> list[list[int]]:
    special64 = [0, 1, 0x000F_FFFF_FFFF_FFFF, 0x0010_0000_0000_0000, 0x3FF0_0000_0000_0000]
    special64 += [0x7FEF_FFFF_FFFF_FFFF, 0x7FF0_0000_0000_0000, 0x7FF8_0000_0000_0000, 0x43E0_0000_0000_0000]
    special64 += [0x41DF_FFFF_FFC0_0000, 0x41E0_0000_0000_0000, 0xC1E0_0000_0000_0000, 0x4059_0000_0000_0000]
    special32 = [0, 1, 0x007F_FFFF, 0x0080_0000, 0x3F80_0000, 0x7F7F_FFFF, 0x7F80_0000, 0x7FC0_0000]
    special32 += [0x4F00_0000, 0x5F00_0000, 0xCF00_0000, 0x3F00_0000]

    def word() -> int:
        choice = rng.randrange(6)
        if choice == 0:
            value = rng.choice(special64)
        elif choice == 1:
            value = rng.choice(special32) | rng.getrandbits(32) << 32
        elif choice == 2:  # exponent near the bias: values of a normal size, as doubles
            value = rng.randrange(990, 1090) << 52 | rng.getrandbits(52)
        elif choice == 3:  # and as floats
            value = rng.randrange(100, 160) << 23 | rng.getrandbits(23) | rng.getrandbits(32) << 32
        elif choice == 4:
            value = rng.getrandbits(rng.choice([1, 8, 16, 31, 32, 53, 63, 64]))
        else:
            value = rng.getrandbits(64)
        return value ^ (rng.getrandbits(1) << 63 if choice != 4 else 0)

    return [[word(), word()] for _ in range(count)]


def test_lowered_operations_compute_what_the_native_ones_do() -> None:
    ops = _out_ops()
    native = _case_module(ops)
    lowered = ir.lower_for_bpf(native)
    assert _float_instructions(lowered.text) == []
    inputs = _inputs(random.Random(15), 3000)
    want = lli_cases(native, inputs, len(ops))
    declarations = [line for line in lowered.text.split("\n") if line.startswith("declare i64 @sbf_")]
    assert len(declarations) == len(SOFT_FLOAT_SYMBOLS)  # the case uses every helper
    without = "\n".join(line for line in lowered.text.split("\n") if line not in declarations)
    got = lli_cases(without + NATIVE_HELPERS, inputs, len(ops))
    mismatches = [
        (ops[k][0].split("\n")[-1], hex(a), hex(b), hex(g), hex(w))
        for (a, b), got_row, want_row in zip(inputs, got, want, strict=True)
        for k, (g, w) in enumerate(zip(got_row, want_row, strict=True))
        if not _same(ops[k][1], a, g, w)
    ]
    assert not mismatches, mismatches[:10]


# --------------------------------------------------------------------------------------------------
# What the lowering rejects


@pytest.mark.parametrize(
    ("body", "result_type", "what"),
    [
        ("%r = frem double %x, %y", "double", "`frem` on double"),
        ("%r = call double @llvm.pow.f64(double %x, double %y)", "double", "llvm.pow.f64"),
        ("%r = call double @llvm.sqrt.f64(double %x)", "double", "llvm.sqrt.f64"),
        ("%r = call double @llvm.fma.f64(double %x, double %y, double %x)", "double", "llvm.fma.f64"),
        ("%r = call double @llvm.maxnum.f64(double %x, double %y)", "double", "llvm.maxnum.f64"),
        ("%v = insertelement <2 x double> poison, double %x, i64 0\n  %r = fadd <2 x double> %v, %v",
         "<2 x double>", "vector of double"),
        ("%r = fpext double %x to fp128", "fp128", "fpext` from double to fp128"),
        ("%r = fadd half 0xH3C00, 0xH3C00", "half", "half"),
        ("%v = load x86_fp80, ptr %p\n  %r = fptrunc x86_fp80 %v to double", "double", "x86_fp80"),
        ("%w = zext i64 %n to i128\n  %r = uitofp i128 %w to double", "double", "from i128 to double"),
        ("%r = call i128 @llvm.fptoui.sat.i128.f64(double %x)", "i128", "llvm.fptoui.sat.i128.f64"),
        ("%r = atomicrmw fadd ptr %p, double %x seq_cst", "double", "`atomicrmw` on double"),
    ],
)  # fmt: skip
def test_unsupported_float_operations_fail_naming_the_function_and_instruction(
    body: str, result_type: str, what: str
) -> None:
    text = _entry(body, result_type, name="_RNvCs4fqI2P2rA04_7example10float_mean")
    with pytest.raises(UnsupportedCode) as info:
        ir.lower_for_bpf(text)
    assert info.value.where == "example::float_mean"
    assert what in info.value.reason, info.value.reason
    assert any(f"`{line.strip()}`" in info.value.reason for line in body.split("\n")), info.value.reason
    assert "soft-float lowering handles" in info.value.reason


def test_a_soft_float_helper_may_not_use_floats_itself() -> None:
    module = parse_module(
        "define i64 @sbf_f64_add(i64 %a, i64 %b) {\n  %x = bitcast i64 %a to double\n"
        "  %r = fadd double %x, %x\n  %o = bitcast double %r to i64\n  ret i64 %o\n}\n"
    )
    with pytest.raises(UnsupportedCode, match="integers only"):
        lower_float(module)


# --------------------------------------------------------------------------------------------------
# check_supported after the lowering


def test_check_accepts_float_data_and_requires_the_support_crate() -> None:
    text = _entry("%h = call double @helper(double %x)\n  %r = fmul double %h, %y", "double")
    text += "define internal double @helper(double %z) {\n  ret double %z\n}\n"
    lowered = ir.lower_for_bpf(text).text
    with pytest.raises(UnsupportedCode) as info:
        check_supported(parse_module(lowered))
    assert info.value.where == "entrypoint"
    assert "sbf_f64_mul, which the sbf-support crate provides" in info.value.reason
    assert "extern crate sbf_support" in info.value.reason
    check_supported(parse_module(lowered), require_support_crate=False)
    defined = lowered.replace(
        "declare i64 @sbf_f64_mul(i64, i64)",
        "define i64 @sbf_f64_mul(i64 %a, i64 %b) {\n  %r = xor i64 %a, %b\n  ret i64 %r\n}",
    )
    check_supported(parse_module(defined))
    verify(defined)
    assert bpf_llc(defined).returncode == 0


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("define fp128 @f(i64 %x) {\nbb:\n  ret fp128 0xL0\n}\n", "fp128"),
        ("define void @f(<2 x double> %v) {\nbb:\n  ret void\n}\n", "<2 x double>"),
        (
            "define void @f(ptr %p) {\nbb:\n  %v = load <2 x float>, ptr %p\n  ret void\n}\n",
            "vector of float",
        ),
        ("define void @f(ptr %p) {\nbb:\n  %v = fadd double 1.0, 2.0\n  ret void\n}\n", "`fadd`"),
    ],
)
def test_check_rejects_what_llc_cannot_keep_in_integer_registers(text: str, what: str) -> None:
    with pytest.raises(UnsupportedCode) as info:
        check_supported(parse_module(text))
    assert what in info.value.reason and "floating point" in info.value.reason, info.value.reason


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("%r = load double, ptr %p", None),
        ("call void @g(double %x, float %y)", None),
        ("%r = select i1 %c, float %y, float %y", None),
        ("%r = load i64, ptr %p", None),
        # A later float type is checked as well as the first.
        ("call void @g(double %x, fp128 0xL0)", "the type fp128"),
        ("call void @g(float %y, double %x, <2 x float> %v)", "a vector of float"),
        ("%r = insertvalue { double, half } %agg, double %x, 0", "the type half"),
        ("store { float, x86_fp80 } %agg, ptr %p", "the type x86_fp80"),
        ("%r = phi double [ %x, %a ], [ %x, %b ]", None),
        ("%r = extractelement <2 x double> %v, i64 0", "a vector of double"),
        ("%r = atomicrmw fadd ptr %p, double %x seq_cst", "`atomicrmw` on double"),
    ],
)
def test_data_problem_checks_every_float_type_an_instruction_names(line: str, problem: str | None) -> None:
    assert data_problem(Instruction(f"  {line}")) == problem

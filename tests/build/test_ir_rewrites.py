"""Each lowering on small hand-written IR: llc rejects the construct before, the construct is gone
after, the module still verifies, and llc for BPF accepts it."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from ir_support import bpf_llc, requires_llvm, verify

from solgrid.build import ir
from solgrid.build.errors import UnsupportedCode
from solgrid.build.ir_arith import lower_i128_divrem
from solgrid.build.ir_model import parse_module
from solgrid.build.ir_views import as_binary, as_call

pytestmark = requires_llvm

REPO = Path(__file__).resolve().parents[2]
# What rustc's bitcode says. Without the triple llc expands a variable memcpy into a byte loop
# instead of refusing it, which would hide the problem (and cost ~8 instructions per byte).
TARGET = 'target datalayout = "e-m:e-p:64:64-i64:64-i128:128-n32:64-S128"\ntarget triple = "bpfel"\n\n'


@dataclass(frozen=True)
class Construct:
    name: str
    body: str  # see _module
    llc_error: str  # what raw llc says about it
    rewrite: str
    gone: str  # "<opcode> <type>" or "call <callee prefix>" that must not remain


CONSTRUCTS = [
    Construct(
        "variable memcpy",
        "call void @llvm.memcpy.p0.p0.i64(ptr %p, ptr %p, i64 %n, i1 false)",
        "built-in function 'memcpy'",
        "lower_memory_intrinsics",
        "call @llvm.memcpy",
    ),
    Construct(
        "large memset",
        "call void @llvm.memset.p0.i64(ptr align 8 %p, i8 7, i64 4096, i1 false)",
        "built-in function 'memset'",
        "lower_memory_intrinsics",
        "call @llvm.memset",
    ),
    Construct(
        "variable memmove",
        "call void @llvm.memmove.p0.p0.i64(ptr %p, ptr %p, i64 %n, i1 false)",
        "built-in function 'memmove'",
        "lower_memory_intrinsics",
        "call @llvm.memmove",
    ),
    Construct(
        "u64 checked_mul",
        "%r = call { i64, i1 } @llvm.umul.with.overflow.i64(i64 %n, i64 %n)\n"
        "  %o = extractvalue { i64, i1 } %r, 1\n  store i1 %o, ptr %p",
        "__multi3",
        "expand_mul_with_overflow",
        "call @llvm.umul.with.overflow",
    ),
    Construct(
        "i64 checked_mul",
        "%r = call { i64, i1 } @llvm.smul.with.overflow.i64(i64 %n, i64 7)\n"
        "  %o = extractvalue { i64, i1 } %r, 1\n  store i1 %o, ptr %p",
        "__multi3",
        "expand_mul_with_overflow",
        "call @llvm.smul.with.overflow",
    ),
    Construct(
        "u128 checked_mul",
        "%r = call { i128, i1 } @llvm.umul.with.overflow.i128(i128 %a, i128 %b)\n"
        "  %o = extractvalue { i128, i1 } %r, 1\n  store i1 %o, ptr %p",
        "__multi3",
        "expand_mul_with_overflow",
        "call @llvm.umul.with.overflow",
    ),
    Construct(
        "i128 checked_mul",
        "%r = call { i128, i1 } @llvm.smul.with.overflow.i128(i128 %a, i128 %b)\n"
        "  %v = extractvalue { i128, i1 } %r, 0\n  store i128 %v, ptr %p",
        "__multi3",
        "expand_mul_with_overflow",
        "call @llvm.smul.with.overflow",
    ),
    Construct(
        "u128 mul", "%r = mul i128 %a, %b\n  store i128 %r, ptr %p", "__multi3", "expand_i128_mul", "mul i128"
    ),
    Construct(
        "u128 div",
        "%r = udiv i128 %a, %b\n  store i128 %r, ptr %p",
        "__udivti3",
        "lower_i128_divrem",
        "udiv i128",
    ),
    Construct(
        "u128 rem",
        "%r = urem i128 %a, %b\n  store i128 %r, ptr %p",
        "__umodti3",
        "lower_i128_divrem",
        "urem i128",
    ),
    Construct(
        "i64 div",
        "%r = sdiv i64 %n, 10\n  store i64 %r, ptr %p",
        "unsupported signed division",
        "lower_signed_divrem",
        "sdiv i64",
    ),
    Construct(
        "i32 rem",
        "%t = trunc i64 %n to i32\n  %u = trunc i128 %a to i32\n"
        "  %r = srem i32 %t, %u\n  store i32 %r, ptr %p",
        "unsupported signed division",
        "lower_signed_divrem",
        "srem i32",
    ),
    Construct(
        "i128 div",
        "%r = sdiv i128 %a, %b\n  store i128 %r, ptr %p",
        "__divti3",
        "lower_signed_divrem",
        "sdiv i128",
    ),
    Construct(
        "u128 shl",
        "%r = shl i128 %a, %b\n  store i128 %r, ptr %p",
        "__ashlti3",
        "lower_i128_variable_shifts",
        "shl i128",
    ),
    Construct(
        "u128 shr",
        "%r = lshr i128 %a, %b\n  store i128 %r, ptr %p",
        "__lshrti3",
        "lower_i128_variable_shifts",
        "lshr i128",
    ),
    Construct(
        "i128 shr",
        "%r = ashr i128 %a, %b\n  store i128 %r, ptr %p",
        "__ashrti3",
        "lower_i128_variable_shifts",
        "ashr i128",
    ),
]


def _module(body: str) -> str:
    """``@entrypoint(ptr %p)`` with ``%n: i64``, ``%a, %b: i128`` loaded from ``%p``, then ``body``."""
    prologue = (
        "%n = load i64, ptr %p\n  %a.at = getelementptr i8, ptr %p, i64 8\n  %a = load i128, ptr %a.at\n"
        "  %b.at = getelementptr i8, ptr %p, i64 24\n  %b = load i128, ptr %b.at"
    )
    return f"{TARGET}define void @entrypoint(ptr %p) {{\n  {prologue}\n  {body}\n  ret void\n}}\n"


def _remaining(text: str, gone: str) -> list[str]:
    kind, what = gone.split(" ", 1)
    found = []
    for fn in parse_module(text).definitions():
        for _, inst in fn.instructions():
            if kind == "call":
                call = as_call(inst)
                if call is not None and call.callee.startswith(what):
                    found.append(inst.text)
            else:
                op = as_binary(inst)
                constant_shift = kind in ("shl", "lshr", "ashr") and op is not None and op.rhs.isdigit()
                if op is not None and op.opcode == kind and op.type == what and not constant_shift:
                    found.append(inst.text)
    return found


@pytest.mark.parametrize("construct", CONSTRUCTS, ids=[c.name for c in CONSTRUCTS])
def test_lowering_turns_an_llc_error_into_a_build(construct: Construct) -> None:
    before = _module(construct.body)
    verify(before)
    raw = bpf_llc(before)
    assert raw.returncode != 0 and construct.llc_error in raw.stderr, raw.stderr

    lowered = ir.lower_for_bpf(before)
    assert lowered.report[construct.rewrite] >= 1, lowered.report
    assert _remaining(lowered.text, construct.gone) == []
    verify(lowered.text)
    compiled = bpf_llc(lowered.text)
    assert compiled.returncode == 0, compiled.stderr


def test_sret_is_stripped_from_definitions_declarations_and_calls() -> None:
    before = """\
define internal void @name(ptr sret([16 x i8]) align 8 %out, i64 %x) {
  store i64 %x, ptr %out, align 8
  ret void
}
declare void @external(ptr noalias sret([16 x i8]))
define void @entrypoint(ptr %p) {
  call void @name(ptr sret([16 x i8]) align 8 %p, i64 1)
  call void @external(ptr sret([16 x i8]) %p)
  ret void
}
"""
    raw = bpf_llc(before)
    assert raw.returncode != 0 and "aggregate returns are not supported" in raw.stderr, raw.stderr
    lowered = ir.lower_for_bpf(before)
    assert "sret" not in lowered.text
    assert lowered.report["strip_sret"] == 4  # one definition, one declaration, two calls
    assert "define internal void @name(ptr align 8 %out, i64 %x)" in lowered.text
    verify(lowered.text)
    assert bpf_llc(lowered.text).returncode == 0


@pytest.mark.parametrize(
    ("call", "rewritten"),
    [
        ("call void @llvm.memcpy.p0.p0.i64(ptr %p, ptr %q, i64 128, i1 false)", False),
        ("call void @llvm.memcpy.p0.p0.i64(ptr %p, ptr %q, i64 129, i1 false)", True),
        ("call void @llvm.memmove.p0.p0.i64(ptr %p, ptr %q, i64 0, i1 false)", False),
        ("call void @llvm.memcpy.inline.p0.p0.i64(ptr %p, ptr %q, i64 64, i1 false)", False),
        ("call void @llvm.memset.p0.i32(ptr %p, i8 %v, i32 %m, i1 true)", True),
    ],
)
def test_memory_intrinsic_threshold(call: str, rewritten: bool) -> None:
    before = f"define void @entrypoint(ptr %p, ptr %q, i8 %v, i32 %m) {{\n  {call}\n  ret void\n}}\n"
    lowered = ir.lower_for_bpf(before)
    assert lowered.report["lower_memory_intrinsics"] == int(rewritten)
    verify(lowered.text)
    assert bpf_llc(lowered.text).returncode == 0


def test_memset_helper_gets_a_zero_extended_byte_and_a_64_bit_length() -> None:
    before = "define void @entrypoint(ptr %p, i8 %v, i32 %m) {\n"
    before += "  call void @llvm.memset.p0.i32(ptr %p, i8 %v, i32 %m, i1 false)\n  ret void\n}\n"
    text = ir.lower_for_bpf(before).text
    assert "call void @sbf_memset(ptr %p, i8 zeroext %v, i64 %sbf.len1)" in text
    assert "%sbf.len1 = zext i32 %m to i64" in text
    assert "declare void @sbf_memset(ptr, i8 zeroext, i64)" in text


def test_helpers_defined_by_the_program_are_used_not_redeclared() -> None:
    before = """\
define void @sbf_memcpy(ptr noundef %d, ptr noundef %s, i64 noundef %n) {
  ret void
}
define void @entrypoint(ptr %p, i64 %n) {
  call void @llvm.memcpy.p0.p0.i64(ptr %p, ptr %p, i64 %n, i1 false)
  ret void
}
"""
    text = ir.lower_for_bpf(before).text
    assert "declare void @sbf_memcpy" not in text
    assert "call void @sbf_memcpy(ptr %p, ptr %p, i64 %n)" in text
    verify(text)


def test_a_helper_symbol_with_another_signature_is_reported() -> None:
    before = """\
declare i64 @sbf_udivmod128(i64)
define void @entrypoint(ptr %p, i128 %a) {
  %q = udiv i128 %a, 3
  store i128 %q, ptr %p
  ret void
}
"""
    with pytest.raises(UnsupportedCode) as info:
        ir.lower_for_bpf(before)
    assert info.value.where == "sbf_udivmod128"
    assert "void (i64, i64, i64, i64, ptr)" in info.value.reason


def test_the_division_helper_may_not_divide_128_bit_itself() -> None:
    module = parse_module(
        "define void @sbf_udivmod128(i64 %a, i64 %b, i64 %c, i64 %d, ptr %o) {\n"
        "  %w = zext i64 %a to i128\n  %q = udiv i128 %w, 7\n  store i128 %q, ptr %o\n  ret void\n}\n"
    )
    with pytest.raises(UnsupportedCode, match="64-bit operations only"):
        lower_i128_divrem(module)


def test_quotient_and_remainder_of_the_same_operands_share_one_call() -> None:
    before = """\
define void @entrypoint(ptr %p, i128 %a, i128 %b) {
  %q = udiv i128 %a, %b
  %r = urem i128 %a, %b
  store i128 %q, ptr %p
  store i128 %r, ptr %p
  ret void
}
"""
    text = ir.lower_for_bpf(before).text
    assert text.count("call void @sbf_udivmod128(") == 1
    assert text.count("alloca [4 x i64]") == 1
    verify(text)


def test_widening_multiplication_folds_the_zero_high_halves() -> None:
    before = """\
define i64 @entrypoint(i64 %x, i64 %y) {
  %a = zext i64 %x to i128
  %b = zext i64 %y to i128
  %m = mul nuw i128 %a, %b
  %s = lshr i128 %m, 64
  %h = trunc i128 %s to i64
  ret i64 %h
}
"""
    text = ir.lower_for_bpf(before).text
    module = parse_module(text)
    entry = module.function("@entrypoint")
    assert entry is not None
    opcodes = [inst.opcode for _, inst in entry.instructions()]
    assert opcodes.count("mul") == 1  # only the low product: the cross products are 0
    assert [c.callee for _, i in entry.instructions() if (c := as_call(i))] == ["@sbf.umulh64"]
    assert text.count("define internal i64 @sbf.umulh64") == 1
    verify(text)


def test_lowering_is_idempotent() -> None:
    before = _module(
        "\n  ".join(c.body.replace("%r", f"%r{i}").replace("%o", f"%o{i}") for i, c in enumerate(CONSTRUCTS))
    )
    once = ir.lower_for_bpf(before)
    twice = ir.lower_for_bpf(once.text)
    assert twice.text == once.text
    assert set(twice.report.values()) == {0}
    verify(once.text)
    assert bpf_llc(once.text).returncode == 0


def test_output_does_not_depend_on_hash_seeds() -> None:
    """Byte-identical output across interpreter runs (set iteration order varies with PYTHONHASHSEED)."""
    before = _module(
        "\n  ".join(c.body.replace("%r", f"%r{i}").replace("%o", f"%o{i}") for i, c in enumerate(CONSTRUCTS))
    )
    script = (
        "import sys; from solgrid.build import ir; sys.stdout.write(ir.lower_for_bpf(sys.stdin.read()).text)"
    )
    outputs = set()
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(REPO / "clients/python")}
        result = subprocess.run(
            [sys.executable, "-c", script], input=before, capture_output=True, text=True, env=env, check=True
        )
        outputs.add(result.stdout)
    assert len(outputs) == 1
    assert outputs.pop() == ir.lower_for_bpf(before).text

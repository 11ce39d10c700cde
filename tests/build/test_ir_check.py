"""check_supported: constructs SBPFv0 cannot run are reported by (demangled) name, with a reason."""

from __future__ import annotations

import pytest
from ir_support import bpf_llc, requires_llvm

from solgrid.build import ir
from solgrid.build.errors import UnsupportedCode
from solgrid.build.ir_check import check_supported
from solgrid.build.ir_model import parse_module

# `example::float_mean` in Rust's v0 mangling
FLOAT_FN = "_RNvCs4fqI2P2rA04_7example10float_mean"


def _problem(text: str, *, require_support_crate: bool = True) -> UnsupportedCode:
    with pytest.raises(UnsupportedCode) as info:
        check_supported(parse_module(text), require_support_crate=require_support_crate)
    return info.value


def _entry(body: str, params: str = "ptr %p") -> str:
    return f"define void @entrypoint({params}) {{\nbb:\n  {body}\n  ret void\n}}\n"


def test_float_arithmetic_names_the_demangled_function_and_its_user() -> None:
    text = f"""\
define internal i64 @{FLOAT_FN}(i64 %sum, i64 %n) {{
bb:
  %s = uitofp i64 %sum to double
  %c = uitofp i64 %n to double
  %m = fdiv double %s, %c
  %r = fptoui double %m to i64
  ret i64 %r
}}
define i64 @entrypoint(ptr %p) {{
bb:
  %r = call i64 @{FLOAT_FN}(i64 10, i64 4)
  ret i64 %r
}}
"""
    problem = _problem(text)
    assert problem.where == "example::float_mean"
    assert "floating point" in problem.reason and "uitofp" in problem.reason
    assert problem.reason.endswith("(used by entrypoint)")
    assert str(problem).startswith("example::float_mean: uses floating point")


def test_float_types_in_signatures_and_memory() -> None:
    # Scalar double and float values live in integer registers (llc softens them); other float types
    # and vectors of floats do not.
    check_supported(parse_module("define double @f(i64 %x) {\nbb:\n  ret double 0.0\n}\n"))
    check_supported(
        parse_module(_entry("%v = load float, ptr %p, align 4\n  store float %v, ptr %p, align 4"))
    )
    assert "fp128" in _problem("define fp128 @f(i64 %x) {\nbb:\n  ret fp128 0xL0\n}\n").reason
    loaded = _problem(
        _entry("%v = load <4 x float>, ptr %p, align 4\n  store <4 x float> %v, ptr %p, align 4")
    )
    assert loaded.where == "entrypoint" and "(a vector of float)" in loaded.reason


@pytest.mark.parametrize(
    "body",
    [
        "%old = atomicrmw add ptr %p, i64 1 seq_cst",
        "%pair = cmpxchg ptr %p, i64 0, i64 1 seq_cst seq_cst",
        "fence seq_cst",
        'fence syncscope("agent") acquire',
        "%v = load atomic i64, ptr %p acquire, align 8",
        "store atomic i64 1, ptr %p release, align 8",
    ],
)
def test_atomics(body: str) -> None:
    problem = _problem(_entry(body))
    assert problem.where == "entrypoint" and "atomic" in problem.reason


def test_compiler_fences_are_allowed() -> None:
    """``compiler_fence`` (pinocchio uses it) only stops compiler reordering; llc emits nothing for it."""
    check_supported(parse_module(_entry('fence syncscope("singlethread") seq_cst\n  store i64 1, ptr %p')))


def test_thread_locals() -> None:
    text = "@_RNvCs4fqI2P2rA04_7example7COUNTER = internal thread_local global i64 0\n" + _entry(
        "%v = load i64, ptr @_RNvCs4fqI2P2rA04_7example7COUNTER\n  store i64 %v, ptr %p"
    )
    problem = _problem(text)
    assert problem.where == "example::COUNTER" and "thread-local" in problem.reason


def test_dynamic_stack_allocation() -> None:
    variable = _problem(_entry("%buf = alloca i8, i64 %n, align 8\n  store i8 0, ptr %buf", "ptr %p, i64 %n"))
    assert "variable amount of stack" in variable.reason
    late = _problem(
        "define void @entrypoint(ptr %p) {\nbb:\n  br label %next\n\nnext:\n"
        "  %buf = alloca [8 x i8], align 8\n  store i8 0, ptr %buf\n  ret void\n}\n"
    )
    assert "outside the entry block" in late.reason
    check_supported(parse_module(_entry("%buf = alloca [8 x i8], i64 2, align 8\n  store i8 0, ptr %buf")))


def test_wide_returns_and_calls() -> None:
    returned = _problem(
        "define i128 @entrypoint(i64 %x) {\nbb:\n  %w = zext i64 %x to i128\n  ret i128 %w\n}\n"
    )
    assert "returns an i128 in registers" in returned.reason
    called = _problem(
        "declare i128 @external(i64)\n" + _entry("%w = call i128 @external(i64 1)\n  store i128 %w, ptr %p")
    )
    assert "calls external, which returns an i128" in called.reason
    aggregate = _problem("define { i64, i64 } @pair() {\nbb:\n  ret { i64, i64 } zeroinitializer\n}\n")
    assert "aggregate `{ i64, i64 }`" in aggregate.reason


def test_arithmetic_the_lowering_does_not_cover() -> None:
    assert (
        "uses `mul i96`"
        in _problem(_entry("%x = load i96, ptr %p\n  %m = mul i96 %x, %x\n  store i96 %m, ptr %p")).reason
    )
    overflow = _problem(
        _entry("%x = load i96, ptr %p\n  %m = call { i96, i1 } @llvm.umul.with.overflow.i96(i96 %x, i96 %x)")
    )
    assert "llvm.umul.with.overflow.i96" in overflow.reason
    leftover = _problem(_entry("%x = load i64, ptr %p\n  %q = sdiv i64 %x, 3\n  store i64 %q, ptr %p"))
    assert "signed division" in leftover.reason and "lower_for_bpf" in leftover.reason


def test_helpers_need_the_support_crate() -> None:
    text = "declare void @sbf_memcpy(ptr, ptr, i64)\n" + _entry(
        "call void @sbf_memcpy(ptr %p, ptr %p, i64 500)"
    )
    problem = _problem(text)
    assert problem.where == "entrypoint"
    assert "sbf_memcpy" in problem.reason and "extern crate sbf_support" in problem.reason
    check_supported(parse_module(text), require_support_crate=False)
    defined = text.replace(
        "declare void @sbf_memcpy(ptr, ptr, i64)",
        "define void @sbf_memcpy(ptr %d, ptr %s, i64 %n) {\nbb:\n  ret void\n}",
    )
    check_supported(parse_module(defined))


def test_clean_128_bit_code_passes() -> None:
    body = """%a = load i128, ptr %p, align 8
  %b = add i128 %a, 5
  %c = icmp ult i128 %a, %b
  %d = call i128 @llvm.umin.i128(i128 %a, i128 %b)
  %e = shl i128 %d, 3
  %f = select i1 %c, i128 %e, i128 %a
  store i128 %f, ptr %p, align 8"""
    check_supported(parse_module(_entry(body)))


@requires_llvm
@pytest.mark.parametrize(
    "text",
    [
        _entry("fence seq_cst"),
        "@tls = thread_local global i64 0\n" + _entry("%v = load i64, ptr @tls\n  store i64 %v, ptr %p"),
        "define internal i128 @wide(i64 %x) {\nbb:\n  %w = zext i64 %x to i128\n  ret i128 %w\n}\n"
        + _entry("%w = call i128 @wide(i64 1)\n  store i128 %w, ptr %p"),
    ],
    ids=["fence", "thread_local", "i128 return"],
)
def test_constructs_llc_crashes_on_fail_in_python_first(text: str) -> None:
    """llc aborts with a stack dump on these; the build reports them before it gets there."""
    assert bpf_llc(text).returncode != 0
    with pytest.raises(UnsupportedCode):
        ir.finish_for_bpf(text)

"""pack_stack_arguments: functions needing more than 5 argument registers.

llc rejects them before ("stack arguments are not supported"), accepts them after, and lli gives
the same results before and after on the host.
"""

from __future__ import annotations

import random

import pytest
from ir_support import bpf_llc, case_function, lli_cases, output_values, requires_llvm, verify, words

from solgrid.build import ir
from solgrid.build.errors import BuildError
from solgrid.build.ir_calls import pack_stack_arguments
from solgrid.build.ir_model import parse_module

pytestmark = requires_llvm

MASK64 = (1 << 64) - 1

FUNCTIONS = """\
define internal i64 @seven(i64 %a, i64 %b, i64 %c, i64 %d, i64 %e, i64 %f, i8 zeroext %g) {
bb:
  %b2 = mul i64 %b, 2
  %c3 = mul i64 %c, 3
  %d4 = mul i64 %d, 4
  %e5 = mul i64 %e, 5
  %f6 = mul i64 %f, 6
  %gw = zext i8 %g to i64
  %g7 = mul i64 %gw, 7
  %s1 = add i64 %a, %b2
  %s2 = add i64 %s1, %c3
  %s3 = add i64 %s2, %d4
  %s4 = add i64 %s3, %e5
  %s5 = add i64 %s4, %f6
  %s6 = add i64 %s5, %g7
  ret i64 %s6
}

define internal i64 @wide(i128 %x, i64 %k, i128 %y, ptr %out) {
bb:
  %sum = add i128 %x, %y
  store i128 %sum, ptr %out, align 8
  %low = trunc i128 %sum to i64
  %r = xor i64 %low, %k
  ret i64 %r
}

; six registers, recursive, swapping its two slices on every call (like core's sort helpers)
define internal i64 @recurse(i64 %n, ptr %s, i64 %slen, ptr %t, i64 %tlen, i8 %tag) {
bb:
  %stop = icmp eq i64 %n, 0
  br i1 %stop, label %done, label %more

more:
  %m = sub i64 %n, 1
  %inner = tail call i64 @recurse(i64 %m, ptr %t, i64 %tlen, ptr %s, i64 %slen, i8 %tag)
  %first = load i8, ptr %s, align 1
  %fw = zext i8 %first to i64
  %x = mul i64 %inner, 31
  %y = add i64 %x, %slen
  %z = add i64 %y, %fw
  ret i64 %z

done:
  %tw = zext i8 %tag to i64
  ret i64 %tw
}
"""

CALLER_BODY = """
  %slice.s = getelementptr inbounds i8, ptr %in, i64 0
  %slice.t = getelementptr inbounds i8, ptr %in, i64 8
  %g8 = trunc i64 %g to i8
  %r0 = call i64 @seven(i64 %a, i64 %b, i64 %c, i64 %d, i64 %e, i64 %f, i8 zeroext %g8)
  %sum.at = alloca i128, align 8
  %r1 = call i64 @wide(i128 %x, i64 %a, i128 %y, ptr %sum.at)
  %sum = load i128, ptr %sum.at, align 8
  %depth = and i64 %b, 7
  %r2 = call i64 @recurse(i64 %depth, ptr %slice.s, i64 %c, ptr %slice.t, i64 %d, i8 %g8)
"""
INPUTS = [(name, "i64") for name in "abcdefg"] + [("x", "i128"), ("y", "i128")]
OUTPUTS = [("%r0", "i64"), ("%r1", "i64"), ("%sum", "i128"), ("%r2", "i64")]


def _rows(count: int) -> list[list[int]]:
    rng = random.Random(7)
    rows = []
    for _ in range(count):
        small = [rng.getrandbits(64) for _ in range(7)]
        rows.append(
            words(
                *((v, "i64") for v in small), (rng.getrandbits(128), "i128"), (rng.getrandbits(128), "i128")
            )
        )
    return rows


def _expected(row: list[int]) -> list[int]:
    a, b, c, d, e, f, g = row[:7]
    x = row[7] | row[8] << 64
    y = row[9] | row[10] << 64
    g8 = g & 0xFF
    seven = (a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f + 7 * g8) & MASK64
    total = (x + y) & ((1 << 128) - 1)
    wide = (total & MASK64) ^ a

    def recurse(n: int, s: int, slen: int, t: int, tlen: int) -> int:
        if n == 0:
            return g8
        first = (row[s // 8] >> 8 * (s % 8)) & 0xFF
        return (recurse(n - 1, t, tlen, s, slen) * 31 + slen + first) & MASK64

    return [seven, wide, total, recurse(b & 7, 0, c, 8, d)]


def test_packing_makes_llc_accept_the_calls_and_keeps_results() -> None:
    before = FUNCTIONS + case_function(INPUTS, CALLER_BODY, OUTPUTS)
    verify(before)
    raw = bpf_llc(before)
    assert raw.returncode != 0 and "stack arguments are not supported" in raw.stderr, raw.stderr

    after = ir.finish_for_bpf(before, require_support_crate=False)
    assert after.report == {"pack_stack_arguments": 3}
    verify(after.text)
    compiled = bpf_llc(after.text)
    assert compiled.returncode == 0, compiled.stderr

    rows = _rows(300)
    types = [t for _, t in OUTPUTS]
    results_before = lli_cases(before, rows, 5)
    results_after = lli_cases(after.text, rows, 5)
    assert results_after == results_before
    for row, result in zip(rows, results_after, strict=True):
        assert output_values(result, types) == _expected(row)


def test_packed_signatures_and_call_sites() -> None:
    module = parse_module(FUNCTIONS + case_function(INPUTS, CALLER_BODY, OUTPUTS))
    assert pack_stack_arguments(module) == 3
    seven = module.function("@seven")
    wide = module.function("@wide")
    recurse = module.function("@recurse")
    assert seven is not None and wide is not None and recurse is not None
    # first 4 registers stay; i128 counts 2, so `wide` keeps x (2) + k (1) and packs y and out
    assert [p.type for p in seven.params] == ["i64", "i64", "i64", "i64", "ptr"]
    assert [p.type for p in wide.params] == ["i128", "i64", "ptr"]
    assert [p.type for p in recurse.params] == ["i64", "ptr", "i64", "ptr", "ptr"]
    text = module.render()
    assert "tail call i64 @recurse" not in text  # the callee reads the caller's stack slot
    assert "%sbf.stackargs" in text and "alloca [24 x i8], align 8" in text  # largest: seven (3 slots)
    # the packed parameters keep their names, now loaded at the top of the entry block
    assert recurse.blocks is not None
    entry = [inst.text for inst in recurse.blocks[0].instructions]
    assert entry[:3] == [
        "%tlen = load i64, ptr %sbf.args1, align 8",
        "%sbf.argp2 = getelementptr inbounds i8, ptr %sbf.args1, i64 8",
        "%tag = load i8, ptr %sbf.argp2, align 8",
    ]
    assert recurse.params[-1].render() == "ptr noalias readonly align 8 %sbf.args1"


def test_external_and_five_register_functions_are_not_touched() -> None:
    text = (
        "define i64 @exported(i64 %a, i64 %b, i64 %c, i64 %d, i64 %e, i64 %f) {\nbb:\n  ret i64 %f\n}\n"
        "define internal i64 @five(i128 %a, i64 %b, i64 %c, ptr %d) {\nbb:\n  ret i64 %b\n}\n"
    )
    module = parse_module(text)
    assert pack_stack_arguments(module) == 0
    assert module.render() == text


def test_numbered_parameters_cannot_be_moved() -> None:
    text = (
        "define internal i64 @f(i64 %0, i64 %1, i64 %2, i64 %3, i64 %4, i64 %5) {\n  ret i64 %5\n}\n"
        "define i64 @entrypoint(i64 %x) {\nbb:\n"
        "  %r = call i64 @f(i64 %x, i64 1, i64 2, i64 3, i64 4, i64 5)\n  ret i64 %r\n}\n"
    )
    with pytest.raises(BuildError, match="instnamer"):
        pack_stack_arguments(parse_module(text))

"""Reference results: the rewritten IR, run on the host with lli, against Python integer arithmetic.

Each test lowers a ``@case`` function with ``lower_for_bpf``, checks that the construct is gone and
that llc for BPF now accepts it, then runs thousands of random and edge-case inputs through lli.
``sbf_udivmod128`` is linked in from an IR reference definition (native i128 division on x86); the
Rust implementation is tested by ``cargo test -p sbf-support``.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from pathlib import Path

from ir_support import (
    bpf_llc,
    case_function,
    link_modules,
    lli_cases,
    output_values,
    requires_llvm,
    words,
)

from solgrid.build import ir

pytestmark = requires_llvm

CASES = 5000
UDIVMOD128_REFERENCE = """
define void @sbf_udivmod128(i64 %a.lo, i64 %a.hi, i64 %b.lo, i64 %b.hi, ptr %out) {
  %al = zext i64 %a.lo to i128
  %ah.w = zext i64 %a.hi to i128
  %ah = shl i128 %ah.w, 64
  %a = or i128 %ah, %al
  %bl = zext i64 %b.lo to i128
  %bh.w = zext i64 %b.hi to i128
  %bh = shl i128 %bh.w, 64
  %b = or i128 %bh, %bl
  %q = udiv i128 %a, %b
  %r = urem i128 %a, %b
  store i128 %q, ptr %out, align 8
  %r.at = getelementptr inbounds i8, ptr %out, i64 16
  store i128 %r, ptr %r.at, align 8
  ret void
}
"""


def _mask(width: int) -> int:
    return (1 << width) - 1


def _signed(value: int, width: int) -> int:
    value &= _mask(width)
    return value - (1 << width) if value >> (width - 1) else value


def _interesting(width: int, rng: random.Random, count: int) -> list[int]:
    """Edge values of a width, then values of random bit lengths (all as unsigned)."""
    top = 1 << (width - 1)
    edges = [0, 1, 2, 3, 7, top - 1, top, top + 1, _mask(width) - 1, _mask(width), 1 << (width // 2)]
    values = [v & _mask(width) for v in edges]
    while len(values) < count:
        bits = rng.randint(1, width)
        values.append(rng.getrandbits(bits) | (1 << (bits - 1)))
    return values


def _pairs(width: int, rng: random.Random, count: int) -> list[tuple[int, int]]:
    edges = _interesting(width, rng, 11)
    pairs = [(a, b) for a in edges for b in edges]
    values = _interesting(width, rng, count)
    pairs += [(rng.choice(values), rng.choice(values)) for _ in range(count - len(pairs))]
    return pairs


def _run(
    tmp_path: Path,
    inputs: Sequence[tuple[str, str]],
    body: str,
    outputs: Sequence[tuple[str, str]],
    rows: Sequence[Sequence[int]],
    expected_rewrites: dict[str, int],
) -> list[list[int]]:
    """Lower ``@case``, check the report and that BPF llc accepts it, run it in lli, decode outputs."""
    module = case_function(inputs, body, outputs)
    lowered = ir.lower_for_bpf(module)
    for rewrite, count in expected_rewrites.items():
        assert lowered.report[rewrite] == count, lowered.report
    compiled = bpf_llc(lowered.text)
    assert compiled.returncode == 0, compiled.stderr
    program = link_modules(lowered.text, UDIVMOD128_REFERENCE, tmp=tmp_path)
    types = [type_text for _, type_text in outputs]
    raw = lli_cases(program, rows, sum(2 if t == "i128" else 1 for t in types))
    return [output_values(row, types) for row in raw]


def _check(results: list[list[int]], expected: list[list[int]], inputs: Sequence[object]) -> None:
    for got, want, given in zip(results, expected, inputs, strict=True):
        assert got == want, f"inputs {given}: got {[hex(v) for v in got]}, want {[hex(v) for v in want]}"


def test_i128_multiplication(tmp_path: Path) -> None:
    rng = random.Random(1)
    constant = (1 << 64) + 3
    pairs = _pairs(128, rng, CASES)
    rows, inputs, expected = [], [], []
    for a, b in pairs:
        x, y = a & _mask(64), b >> 64
        rows.append(words((a, "i128"), (b, "i128"), (x, "i64"), (y, "i64")))
        inputs.append((a, b))
        m128 = _mask(128)
        expected.append([(a * b) & m128, x * y, (a * constant) & m128, (_signed(x, 64) * b) & m128])
    body = f"""
  %xz = zext i64 %x to i128
  %yz = zext i64 %y to i128
  %xs = sext i64 %x to i128
  %r0 = mul i128 %a, %b
  %r1 = mul nuw i128 %xz, %yz
  %r2 = mul i128 %a, {constant}
  %r3 = mul i128 %xs, %b
"""
    results = _run(
        tmp_path,
        [("a", "i128"), ("b", "i128"), ("x", "i64"), ("y", "i64")],
        body,
        [("%r0", "i128"), ("%r1", "i128"), ("%r2", "i128"), ("%r3", "i128")],
        rows,
        {"expand_i128_mul": 4},
    )
    _check(results, expected, inputs)


def test_i128_unsigned_division(tmp_path: Path) -> None:
    rng = random.Random(2)
    pairs = [(a, b) for a, b in _pairs(128, rng, CASES) if b and b & _mask(64)]
    rows, inputs, expected = [], [], []
    big = 10**19
    for a, b in pairs:
        x = b & _mask(64)
        rows.append(words((a, "i128"), (b, "i128"), (x, "i64")))
        inputs.append((a, b))
        expected.append([a // b, a % b, a // x, a % big, a % b])
    body = f"""
  %xz = zext i64 %x to i128
  %q = udiv i128 %a, %b
  %r = urem i128 %a, %b
  %qx = udiv i128 %a, %xz
  %rc = urem i128 %a, {big}
  br label %next

next:
  %r.again = urem i128 %a, %b
"""
    results = _run(
        tmp_path,
        [("a", "i128"), ("b", "i128"), ("x", "i64")],
        body,
        [("%q", "i128"), ("%r", "i128"), ("%qx", "i128"), ("%rc", "i128"), ("%r.again", "i128")],
        rows,
        {"lower_i128_divrem": 5},
    )
    _check(results, expected, inputs)


def _rust_div(a: int, b: int) -> int:
    quotient = abs(a) // abs(b)
    return quotient if (a < 0) == (b < 0) else -quotient


def _rust_rem(a: int, b: int) -> int:
    remainder = abs(a) % abs(b)
    return -remainder if a < 0 else remainder


WIDTHS = (8, 16, 32, 64, 128)


def test_signed_division_all_widths(tmp_path: Path) -> None:
    rng = random.Random(3)
    per_width = {w: _pairs(w, rng, CASES) for w in WIDTHS}
    inputs_spec = [(f"{n}{w}", f"i{w}") for w in WIDTHS for n in ("a", "b")]
    body = ""
    outputs: list[tuple[str, str]] = []
    for w in WIDTHS:
        body += f"  %q{w} = sdiv i{w} %a{w}, %b{w}\n  %r{w} = srem i{w} %a{w}, %b{w}\n"
        outputs += [(f"%q{w}", f"i{w}"), (f"%r{w}", f"i{w}")]
    body += "  %qc = sdiv i64 %a64, -7\n  %rc = srem i64 %a64, 7\n"
    body += "  %qc128 = sdiv i128 %a128, -3\n  %rc128 = srem i128 %a128, 1000000007\n"
    outputs += [("%qc", "i64"), ("%rc", "i64"), ("%qc128", "i128"), ("%rc128", "i128")]
    rows, inputs, expected = [], [], []
    for k in range(CASES):
        values: list[tuple[int, str]] = []
        want: list[int] = []
        row_inputs = {}
        for w in WIDTHS:
            a, b = per_width[w][k]
            sa, sb = _signed(a, w), _signed(b, w)
            if sb == 0 or (sa == -(1 << (w - 1)) and sb == -1):  # undefined: pick a defined divisor
                sb = 3
            values += [(sa, f"i{w}"), (sb, f"i{w}")]
            want += [_rust_div(sa, sb) & _mask(w), _rust_rem(sa, sb) & _mask(w)]
            row_inputs[w] = (sa, sb)
        a64, a128 = row_inputs[64][0], row_inputs[128][0]
        want += [
            _rust_div(a64, -7) & _mask(64),
            _rust_rem(a64, 7) & _mask(64),
            _rust_div(a128, -3) & _mask(128),
            _rust_rem(a128, 1000000007) & _mask(128),
        ]
        rows.append(words(*values))
        inputs.append(row_inputs)
        expected.append(want)
    results = _run(tmp_path, inputs_spec, body, outputs, rows, {"lower_signed_divrem": 14})
    _check(results, expected, inputs)


def _overflow_boundary_pairs(width: int, rng: random.Random, count: int) -> list[tuple[int, int]]:
    """Pairs whose product lies right at 2^width or ±2^(width-1): where overflow flags flip."""
    pairs = []
    while len(pairs) < count:
        bits = rng.randint(1, width)
        x = rng.getrandbits(bits) | (1 << (bits - 1))
        limit = 1 << (width if rng.random() < 0.5 else width - 1)
        y = limit // x + rng.choice((-1, 0, 1))
        x_sign, y_sign = rng.choice(((1, 1), (1, -1), (-1, 1), (-1, -1)))
        pairs.append(((x * x_sign) & _mask(width), (y * y_sign) & _mask(width)))
    return pairs


def test_multiplication_with_overflow(tmp_path: Path) -> None:
    rng = random.Random(4)
    pairs64 = _pairs(64, rng, CASES // 2) + _overflow_boundary_pairs(64, rng, CASES - CASES // 2)
    pairs128 = _pairs(128, rng, CASES // 2) + _overflow_boundary_pairs(128, rng, CASES - CASES // 2)
    body = ""
    outputs: list[tuple[str, str]] = []
    for kind, width, a, b in (
        ("u", 64, "x", "y"),
        ("s", 64, "x", "y"),
        ("u", 128, "a", "b"),
        ("s", 128, "a", "b"),
    ):
        name, pair = f"{kind}{width}", f"{{ i{width}, i1 }}"
        body += (
            f"  %{name} = call {pair} @llvm.{kind}mul.with.overflow.i{width}(i{width} %{a}, i{width} %{b})\n"
            f"  %{name}.v = extractvalue {pair} %{name}, 0\n"
            f"  %{name}.o = extractvalue {pair} %{name}, 1\n"
        )
        outputs += [(f"%{name}.v", f"i{width}"), (f"%{name}.o", "i1")]
    rows, inputs, expected = [], [], []
    for (x, y), (a, b) in zip(pairs64, pairs128, strict=True):
        want = []
        for width, (p, q) in ((64, (x, y)), (128, (a, b))):
            unsigned = p * q
            want_u = [unsigned & _mask(width), int(unsigned >> width != 0)]
            signed = _signed(p, width) * _signed(q, width)
            fits = -(1 << (width - 1)) <= signed < (1 << (width - 1))
            want_s = [signed & _mask(width), int(not fits)]
            want.append((want_u, want_s))
        expected.append(want[0][0] + want[0][1] + want[1][0] + want[1][1])
        rows.append(words((x, "i64"), (y, "i64"), (a, "i128"), (b, "i128")))
        inputs.append((x, y, a, b))
    results = _run(
        tmp_path,
        [("x", "i64"), ("y", "i64"), ("a", "i128"), ("b", "i128")],
        body,
        outputs,
        rows,
        {"expand_mul_with_overflow": 4},
    )
    _check(results, expected, inputs)


def test_i128_variable_shifts(tmp_path: Path) -> None:
    rng = random.Random(5)
    values = _interesting(128, rng, CASES)
    amounts = list(range(128)) + [rng.randrange(128) for _ in range(CASES - 128)]
    amounts += [0] * (len(values) - len(amounts))
    shift_ops: dict[str, Callable[[int, int], int]] = {
        "shl": lambda v, n: (v << n) & _mask(128),
        "lshr": lambda v, n: v >> n,
        "ashr": lambda v, n: (_signed(v, 128) >> n) & _mask(128),
    }
    body = """
  %n.wide = zext i64 %n to i128
  %shl = shl i128 %v, %n.wide
  %lshr = lshr i128 %v, %n.wide
  %ashr = ashr i128 %v, %n.wide
  %m.masked = and i128 %m, 127
  %one = shl nuw i128 1, %m.masked
  %sign = ashr i128 -170141183460469231731687303715884105728, %m.masked
"""
    rows, inputs, expected = [], [], []
    for value, amount in zip(values, amounts, strict=True):
        m = rng.getrandbits(128)
        want = [op(value, amount) for op in shift_ops.values()]
        want += [1 << (m & 127), (_signed(1 << 127, 128) >> (m & 127)) & _mask(128)]
        rows.append(words((value, "i128"), (amount, "i64"), (m, "i128")))
        inputs.append((value, amount, m))
        expected.append(want)
    results = _run(
        tmp_path,
        [("v", "i128"), ("n", "i64"), ("m", "i128")],
        body,
        [("%shl", "i128"), ("%lshr", "i128"), ("%ashr", "i128"), ("%one", "i128"), ("%sign", "i128")],
        rows,
        {"lower_i128_variable_shifts": 5},
    )
    _check(results, expected, inputs)

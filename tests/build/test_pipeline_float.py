"""Soft float through the whole pipeline: the ``float_math`` fixture (f64 and f32 arithmetic, a
rent computation like solana-program's ``Rent::minimum_balance``) built by ``Builder``, deployed
through BPFLoaderUpgradeable and run in LiteSVM, must return what the same computation gives on the
host (Python's floats are the host's binary64; binary32 results are rounded from them, or from exact
integers). NaN results count as equal when both are NaN. (``uses_float``, whose f64 ``%`` is an ``frem``
the lowering does not provide, is among the rejected fixtures of ``test_pipeline_programs``.)
"""

from __future__ import annotations

import math
import random
import struct
from pathlib import Path

import pytest
from solders.instruction import Instruction
from solders.keypair import Keypair

from solgrid.build.pipeline import Builder, select_programs
from solgrid.build.toolchain import Toolchain
from solgrid.localnet.svm import deploy, features_blocking_deploy, new_svm, send

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).parent / "fixture-workspace"
REPO = Path(__file__).resolve().parents[2]
M64 = (1 << 64) - 1
CASES_PER_TX = 40
F64_OPS = {2, 3, 4, 5, 6, 12, 13, 14, 23, 25, 26, 27}
F32_OPS = {15, 16, 17, 18, 19, 20, 22}
OPS = 28


@pytest.fixture(scope="module")
def builder() -> Builder:
    return Builder(FIXTURES, Toolchain.locate(), target_dir=REPO / "target" / "pipeline-fixtures")


def f64(bits: int) -> float:
    return float(struct.unpack("<d", struct.pack("<Q", bits & M64))[0])


def f64_bits(value: float) -> int:
    return int(struct.unpack("<Q", struct.pack("<d", value))[0])


def f32(bits: int) -> float:
    return float(struct.unpack("<f", struct.pack("<I", bits & 0xFFFFFFFF))[0])


def f32_bits(value: float) -> int:
    """The binary32 nearest to a binary64 (ties to even), as bits."""
    try:
        return int(struct.unpack("<I", struct.pack("<f", value))[0])
    except OverflowError:  # finite, but rounds beyond the largest binary32
        return 0x7F800000 | (0x80000000 if value < 0 else 0)


def int_to_f32_bits(n: int) -> int:
    """An integer rounded once to binary32 (``float(n)`` would round twice, through binary64)."""
    magnitude = abs(n)
    extra = max(magnitude.bit_length() - 24, 0)
    if extra:
        quotient, rest = divmod(magnitude, 1 << extra)
        half = 1 << (extra - 1)
        if rest > half or (rest == half and quotient & 1):
            quotient += 1
        magnitude = quotient << extra
    return f32_bits(float(-magnitude if n < 0 else magnitude))


def divide(x: float, y: float) -> float:
    if y != 0 or math.isnan(y):
        return x / y if not math.isnan(y) else math.nan
    if x == 0 or math.isnan(x):
        return math.nan
    negative = (math.copysign(1.0, x) < 0) != (math.copysign(1.0, y) < 0)
    return -math.inf if negative else math.inf


def saturate(x: float, bits: int, signed: bool) -> int:
    """Rust's ``x as iN/uN``: truncate toward zero, saturate, NaN → 0 (as an unsigned N-bit value)."""
    low, high = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    if math.isnan(x):
        return 0
    value = high if x == math.inf else low if x == -math.inf else max(low, min(high, math.trunc(x)))
    return value & ((1 << bits) - 1)


def signed(value: int, bits: int) -> int:
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


def compare(x: float, y: float) -> int:
    flags = [x < y, x <= y, x == y, x != y, x > y, x >= y, math.isnan(x), math.isnan(x) or math.isnan(y)]
    return sum(int(flag) << k for k, flag in enumerate(flags))


def reference(op: int, a: int, b: int) -> int:
    """What ``float_math``'s ``eval`` must return, computed on the host."""
    x, y = f64(a), f64(b)
    xf, yf = f32(a), f32(b)
    results = {
        0: lambda: saturate(float((128 + a) * b & M64) * 2.0, 64, False),
        1: lambda: saturate(float(a) * 3480.0 * 2.0, 64, False),
        2: lambda: f64_bits(x + y),
        3: lambda: f64_bits(x - y),
        4: lambda: f64_bits(x * y),
        5: lambda: f64_bits(divide(x, y)),
        6: lambda: a ^ (1 << 63),
        7: lambda: compare(x, y),
        8: lambda: saturate(x, 64, True),
        9: lambda: saturate(x, 64, False),
        10: lambda: signed(saturate(x, 32, True), 32) & M64,
        11: lambda: saturate(x, 8, False),
        12: lambda: f64_bits(float(signed(a, 64))),
        13: lambda: f64_bits(float(a)),
        14: lambda: f64_bits(float(signed(a, 32))),
        15: lambda: f32_bits(xf + yf),
        16: lambda: f32_bits(xf - yf),
        17: lambda: f32_bits(xf * yf),
        18: lambda: f32_bits(divide(xf, yf)),
        19: lambda: int_to_f32_bits(a),
        20: lambda: int_to_f32_bits(signed(a, 64)),
        21: lambda: signed(saturate(xf, 32, True), 32) & M64,
        22: lambda: f32_bits(x),
        23: lambda: f64_bits(xf),
        24: lambda: compare(xf, yf) ^ int(xf < yf),
        25: lambda: a & ~(1 << 63) & M64,
        26: lambda: (a & ~(1 << 63) | b & (1 << 63)) & M64,
        27: lambda: f64_bits((x + y / 3.0) * 1.5 - y),
    }
    return results[op]()


def same(op: int, got: int, want: int) -> bool:
    if op in F64_OPS:
        return got == want or (math.isnan(f64(got)) and math.isnan(f64(want)))
    if op in F32_OPS:
        return got == want or (got >> 32 == 0 and math.isnan(f32(got)) and math.isnan(f32(want)))
    return got == want


def operand(rng: random.Random) -> int:
    specials = [0, 1, 0x000F_FFFF_FFFF_FFFF, 0x0010_0000_0000_0000, 0x3FF0_0000_0000_0000]
    specials += [0x7FEF_FFFF_FFFF_FFFF, 0x7FF0_0000_0000_0000, 0x7FF8_0000_0000_0000, 0x43E0_0000_0000_0000]
    specials += [
        0x43F0_0000_0000_0000,
        0x41E0_0000_0000_0000,
        0x7F80_0000,
        0x7F7F_FFFF,
        0x0080_0000,
        0x7FC0_0000,
    ]
    choice = rng.randrange(6)
    if choice == 0:
        value = rng.choice(specials)
    elif choice == 1:  # doubles of everyday sizes
        value = rng.randrange(990, 1090) << 52 | rng.getrandbits(52)
    elif choice == 2:  # floats of everyday sizes
        value = rng.randrange(100, 160) << 23 | rng.getrandbits(23)
    elif choice == 3:  # integers of any length
        return rng.getrandbits(rng.choice([1, 8, 16, 24, 25, 31, 32, 53, 54, 63, 64]))
    else:
        value = rng.getrandbits(64)
    return value ^ (rng.getrandbits(1) << 63) ^ (rng.getrandbits(1) << 31)


def cases(seed: int) -> list[tuple[int, int, int]]:
    rng = random.Random(seed)
    rent = [(0, length, 3480) for length in (0, 1, 82, 165, 10_240, 10 * 1024 * 1024, M64 - 127, 1 << 60)]
    rent += [(1, length, 0) for length in (0, 165, 10 * 1024 * 1024, 1 << 50, 1 << 62, M64)]
    # Compares of equal values (and +0 with -0), which random operands hardly ever are.
    equal = [(op, v, v) for op in (7, 24) for v in (0, 1 << 63, 1 << 31, 0x3FF0_0000_3F80_0000)]
    equal += [(op, 0, 1 << 63 | 1 << 31) for op in (7, 24)]
    return rent + equal + [(op, operand(rng), operand(rng)) for op in range(OPS) for _ in range(50)]


def test_float_math_matches_the_host(builder: Builder) -> None:
    [program] = select_programs(FIXTURES, ["float_math"])
    elf = builder.build(program).so_path.read_bytes()
    lowered = (builder.target_dir / "sbf" / "float_math" / "lowered.ll").read_text()
    assert " fmul double " not in lowered and "call i64 @sbf_f64_mul(" in lowered
    svm = new_svm(deactivate=features_blocking_deploy(elf))
    payer = Keypair()
    svm.airdrop(payer.pubkey(), 10**12)
    program_id = deploy(svm, payer, elf)
    all_cases = cases(seed=15)
    mismatches = []
    for i in range(0, len(all_cases), CASES_PER_TX):
        batch = all_cases[i : i + CASES_PER_TX]
        data = b"".join(struct.pack("<BQQ", op, a, b) for op, a, b in batch)
        sent = send(svm, payer, [Instruction(program_id, data, [])])
        returned = bytes(sent.meta.return_data().data)
        assert len(returned) == 8 * len(batch)
        for k, (op, a, b) in enumerate(batch):
            got = int.from_bytes(returned[8 * k : 8 * k + 8], "little")
            want = reference(op, a, b)
            if not same(op, got, want):
                mismatches.append((op, hex(a), hex(b), hex(got), hex(want)))
    assert not mismatches, mismatches[:10]
    assert len(all_cases) > 1000


def test_rent_matches_solana_programs_formula(builder: Builder) -> None:
    """The lamports of a rent-exempt 165-byte token account: (128 + 165) * 3480 * 2."""
    [program] = select_programs(FIXTURES, ["float_math"])
    elf = builder.build(program).so_path.read_bytes()
    svm = new_svm(deactivate=features_blocking_deploy(elf))
    payer = Keypair()
    svm.airdrop(payer.pubkey(), 10**12)
    program_id = deploy(svm, payer, elf)
    sent = send(svm, payer, [Instruction(program_id, struct.pack("<BQQ", 0, 165, 3480), [])])
    assert int.from_bytes(bytes(sent.meta.return_data().data), "little") == 2_039_280

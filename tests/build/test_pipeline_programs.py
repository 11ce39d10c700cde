"""The whole pipeline on real Rust: fixture crates in ``fixture-workspace/`` built by ``Builder``.

``arith`` must compute exactly what Python's integers do for every case the IR rewrites touch (128-bit
multiply/divide/shifts, signed division of every width, checked multiplies, > 5 argument registers), run
from a deployment through BPFLoaderUpgradeable; so must ``cold_switch``, whose 128-bit arithmetic comes
after a ``switch ... ], !prof`` (what the IR reader once swallowed). The other fixtures must fail with a
message naming the function or symbol at fault.
"""

from __future__ import annotations

import random
import struct
from pathlib import Path

import pytest
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from solgrid.build import ir
from solgrid.build.errors import UnsupportedCode
from solgrid.build.ir_counts import reader_counts
from solgrid.build.ir_model import Module
from solgrid.build.pipeline import Builder, select_programs
from solgrid.build.toolchain import Toolchain
from solgrid.localnet.engine import Engine
from solgrid.localnet.svm import deploy, features_blocking_deploy, new_svm, send

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).parent / "fixture-workspace"
REPO = Path(__file__).resolve().parents[2]
M128 = (1 << 128) - 1
M64 = (1 << 64) - 1
CASES_PER_TX = 30


@pytest.fixture(scope="module")
def builder() -> Builder:
    return Builder(FIXTURES, Toolchain.locate(), target_dir=REPO / "target" / "pipeline-fixtures")


def _signed(v: int, bits: int) -> int:
    v &= (1 << bits) - 1
    return v - (1 << bits) if v >> (bits - 1) else v


def _trunc_div(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


def _trunc_rem(a: int, b: int) -> int:
    return a - b * _trunc_div(a, b)


def _checked(bits: int, op: str, a: int, b: int) -> int | None:
    sa, sb = _signed(a, bits), _signed(b, bits)
    if sb == 0 or (sa == -(1 << (bits - 1)) and sb == -1):
        return None
    r = _trunc_div(sa, sb) if op == "div" else _trunc_rem(sa, sb)
    return r & ((1 << bits) - 1)


def _weighted(a: int, b: int, c: int, d: int, e: int, f: int, g: int) -> int:
    mul = lambda x, k: (x * k) & M128  # noqa: E731 - wrapping i128 multiply, as bits
    s = mul(a, 3) ^ mul(b, 5) ^ mul(c, 7) ^ mul(d, 11) ^ mul(e, 13) ^ mul(f, 17)
    return (s + g) & M128


def reference(op: int, a: int, b: int) -> int | None:
    """What ``arith``'s ``eval`` must return, computed with Python integers."""
    a64, b64 = a & M64, b & M64
    if op == 0:
        return (a * b) & M128
    if op in (1, 2):
        return None if b == 0 else (a // b if op == 1 else a % b)
    if op in (3, 4):
        return _checked(128, "div" if op == 3 else "rem", a, b)
    if op in (5, 6):
        return _checked(64, "div" if op == 5 else "rem", a64, b64)
    if op in (7, 8):
        return _checked(32, "div" if op == 7 else "rem", a, b)
    if op == 9:
        p = a64 * b64
        return None if p > M64 else p
    if op == 10:
        p = _signed(a64, 64) * _signed(b64, 64)
        return None if not -(1 << 63) <= p < (1 << 63) else p & M64
    if op == 11:
        return (a << (b & 127)) & M128
    if op == 12:
        return a >> (b & 127)
    if op == 13:
        return (_signed(a, 128) >> (b & 127)) & M128
    if op == 14:
        return a64 * b64
    if op == 15:
        return _weighted(a64, b, (a >> 64) & 0xFFFFFFFF, b64 ^ a64, a, (b >> 100) & 0xFFFF, a64 >> 3)
    if op == 16:
        return _checked(8, "div", a, b)
    if op == 17:
        return _checked(16, "rem", a, b)
    raise AssertionError(op)


EDGES = [
    0,
    1,
    2,
    3,
    7,
    (1 << 32) - 1,
    1 << 32,
    (1 << 32) + 1,
    M64 - 1,
    M64,
    1 << 64,
    (1 << 64) + 1,
    (1 << 96) - 1,
    1 << 127,
    (1 << 127) - 1,
    M128 - 1,
    M128,
    0xFFFFFFFF00000000FFFFFFFF00000000,
    0x8000000000000000,
    0x7FFFFFFFFFFFFFFF,
    0xFF,
    0x80,
    0x7F,
    0xFFFF,
    0x8000,
]


def cases(seed: int) -> list[tuple[int, int, int]]:
    rng = random.Random(seed)
    out = [(op, a, b) for op in range(18) for a in EDGES[::3] for b in EDGES[::4]]

    def operand() -> int:
        bits = rng.choice([8, 16, 32, 63, 64, 65, 96, 127, 128])
        v = rng.getrandbits(bits)
        return v if rng.random() < 0.8 else M128 - v  # negative values too, as two's complement

    out += [(op, operand(), operand()) for op in range(18) for _ in range(60)]
    return out


def run_cases(
    svm: Engine, payer: Keypair, program: Pubkey, batch: list[tuple[int, int, int]]
) -> list[int | None]:
    data = b"".join(
        struct.pack("<B", op) + a.to_bytes(16, "little") + b.to_bytes(16, "little") for op, a, b in batch
    )
    sent = send(svm, payer, [Instruction(program, data, [])])
    ret = bytes(sent.meta.return_data().data)
    assert len(ret) == 17 * len(batch)
    return [
        None if ret[i + 16] else int.from_bytes(ret[i : i + 16], "little") for i in range(0, len(ret), 17)
    ]


def test_arith_matches_python_integers(builder: Builder) -> None:
    [program] = select_programs(FIXTURES, ["arith"])
    elf = builder.build(program).so_path.read_bytes()
    svm = new_svm(deactivate=features_blocking_deploy(elf))
    payer = Keypair()
    svm.airdrop(payer.pubkey(), 10**12)
    program_id = deploy(svm, payer, elf)
    all_cases = cases(seed=2026)
    mismatches = []
    for i in range(0, len(all_cases), CASES_PER_TX):
        batch = all_cases[i : i + CASES_PER_TX]
        for (op, a, b), got in zip(batch, run_cases(svm, payer, program_id, batch), strict=True):
            want = reference(op, a, b)
            if got != want:
                mismatches.append((op, hex(a), hex(b), got, want))
    assert not mismatches, mismatches[:10]
    assert len(all_cases) > 2000


def _cold_switch_reference(case: bytes) -> int:
    """What ``cold_switch``'s ``eval`` returns for one 33-byte case."""
    op, a, b = case[0], int.from_bytes(case[1:17], "little"), int.from_bytes(case[17:33], "little")
    odd = b | 1
    if op == 0:
        return (a * b) & M128
    if op in (1, 2):
        return a // odd if op == 1 else a % odd
    if op == 3:
        sa, sb = _signed(a, 128), _signed(odd, 128)
        return (sa if sb == -1 and sa == -(1 << 127) else _trunc_div(sa, sb)) & M128
    if op == 4:
        n = min(b % 33, 32)
        buf = case[:n] + bytes(32 - n)
        low, high = int.from_bytes(buf[:16], "little"), int.from_bytes(buf[16:], "little")
        return low ^ (((high << 7) | (high >> 121)) & M128)
    if op == 5:
        return (a * b + a // odd) & M128
    return M128 - op


def test_blocks_after_a_switch_with_branch_weights_are_rewritten(builder: Builder) -> None:
    """rustc weights the `match` on the op (its last arm is `#[cold]`), so the switch ends in
    `], !prof !N`, and the arms' 128-bit multiplies and divisions follow it in the same function. The
    old IR reader swallowed them into the switch: nothing rewrote them and llc failed on `__multi3`."""
    [program] = select_programs(FIXTURES, ["cold_switch"])
    elf = builder.build(program).so_path.read_bytes()
    work = builder.target_dir / "sbf" / "cold_switch"
    module = (work / "module.ll").read_text()
    switch_end = module.index("\n  ], !prof !")
    after = module[switch_end : module.index("\n}\n", switch_end)]
    assert " mul i128 " in after and " sdiv i128 " in after and " udiv i128 " in after
    lowered = (work / "lowered.ll").read_text()
    assert not [w for w in (" mul i128 ", " sdiv ", " udiv i128 ", " urem i128 ") if w in lowered]

    svm = new_svm()
    payer = Keypair()
    svm.airdrop(payer.pubkey(), 10**12)
    program_id = deploy(svm, payer, elf)
    rng = random.Random(7)
    edges = [0, 1, 2, M64, 1 << 64, 1 << 127, M128 - 1, M128]
    all_cases = [
        bytes([op]) + a.to_bytes(16, "little") + b.to_bytes(16, "little")
        for op in (*range(7), 200)
        for a in edges
        for b in edges[::2]
    ]
    all_cases += [bytes([rng.randrange(8)]) + rng.randbytes(32) for _ in range(300)]
    for i in range(0, len(all_cases), CASES_PER_TX):
        batch = all_cases[i : i + CASES_PER_TX]
        sent = send(svm, payer, [Instruction(program_id, b"".join(batch), [])])
        returned = bytes(sent.meta.return_data().data)
        got = [int.from_bytes(returned[k : k + 16], "little") for k in range(0, len(returned), 16)]
        assert got == [_cold_switch_reference(case) for case in batch], batch


def test_every_build_checks_the_ir_reader_against_llvm(
    builder: Builder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both IR steps of a build compare the reader's functions, blocks and instructions with LLVM's."""
    checked: list[list[str]] = []
    check = ir.check_against_llvm

    def recording(module: Module, report: str) -> None:
        check(module, report)
        checked.append([counts.name for counts in reader_counts(module)])

    monkeypatch.setattr(ir, "check_against_llvm", recording)
    [program] = select_programs(FIXTURES, ["cold_switch"])
    (builder.target_dir / "sbf" / "cold_switch" / "input.sha256").unlink(missing_ok=True)
    builder.build(program)
    assert len(checked) == 2
    assert "entrypoint" in checked[0] and "entrypoint" in checked[1]
    assert len(checked[0]) > len(checked[1])  # opt's globaldce dropped what nothing calls


@pytest.mark.parametrize(
    ("fixture", "where", "reason"),
    [
        ("uses_float", "leftover_kwh", "`frem` on double"),
        ("big_frame", "checksum_with_big_buffer", "4 KiB"),
        ("writable_static", "INVOCATIONS", "writable"),
    ],
)
def test_unsupported_code_fails_naming_the_culprit(
    builder: Builder, fixture: str, where: str, reason: str
) -> None:
    [program] = select_programs(FIXTURES, [fixture])
    with pytest.raises(UnsupportedCode) as info:
        builder.build(program)
    assert where in info.value.where, str(info.value)
    assert reason in str(info.value).lower() or reason in str(info.value), str(info.value)

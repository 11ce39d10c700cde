"""The rewrites on real rustc output: a no_std crate for ``bpfel-unknown-none`` using u128 and
signed division, checked multiplication, a variable copy, &str returns (sret), variable u128
shifts and functions with more than 5 argument registers. It includes sbf-support's math.rs and
mem.rs, so the real ``sbf_udivmod128`` has to get through the pipeline too.

Raw llc refuses the module; ``lower_for_bpf`` → opt → ``finish_for_bpf`` → llc builds it. A second
crate (``vm_arith.rs``) is built the same way, linked, deployed to LiteSVM and run on 4,000 cases;
a third (``vm_memory.rs``: variable memcpy/memmove/memset, struct and &str returns) on 300.
``core`` for the target is not installed, so the fixture type-checks it once (metadata only, ~15 s).
"""

from __future__ import annotations

import os
import random
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from ir_support import BPF_LLC_FLAGS, LLC, bpf_llc, opt_for_pipeline, requires_llvm
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from solgrid.build import ir
from solgrid.build.ir_model import parse_module
from solgrid.build.link import link_sbpf_v0
from solgrid.localnet.engine import Engine
from solgrid.localnet.svm import deploy, features_blocking_deploy, new_svm, send

RUSTC = Path("/usr/bin/rustc")
RUST_SRC = Path("/usr/lib/rustlib/src/rust/library/core/src/lib.rs")
REPO = Path(__file__).resolve().parents[2]
SUPPORT = REPO / "crates/sbf-support/src"
FIXTURES = Path(__file__).parent / "ir_fixtures"

pytestmark = [
    requires_llvm,
    pytest.mark.slow,
    pytest.mark.skipif(
        not (RUSTC.is_file() and RUST_SRC.is_file()), reason="rustc-web/rust-web-src not installed"
    ),
]


def _rustc(*args: str) -> None:
    result = subprocess.run(
        [str(RUSTC), "--target", "bpfel-unknown-none", *args],
        env={**os.environ, "RUSTC_BOOTSTRAP": "1"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def sysroot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Metadata for core (with MIR, so generic and inline code can be instantiated) and a
    stand-in compiler_builtins: enough for ``rustc --emit=llvm-ir`` of a no_std crate."""
    out = tmp_path_factory.mktemp("bpf-sysroot")
    common = (
        "--edition",
        "2024",
        "--crate-type",
        "lib",
        "--emit=metadata",
        "--out-dir",
        str(out),
        "-L",
        str(out),
    )
    _rustc(
        *common,
        "--crate-name",
        "core",
        "-O",
        "-Zalways-encode-mir",
        "-Zforce-unstable-if-unmarked",
        str(RUST_SRC),
    )
    builtins = out / "compiler_builtins.rs"
    builtins.write_text("#![no_std]\n#![feature(compiler_builtins)]\n#![compiler_builtins]\n")
    _rustc(*common, "-Aunused", str(builtins))
    return out


def compile_fixture(sysroot: Path, name: str) -> str:
    """rustc --emit=llvm-ir of ``ir_fixtures/<name>``, built next to a copy of sbf-support's math.rs
    and mem.rs (which it declares as modules)."""
    build = sysroot / name.removesuffix(".rs")
    build.mkdir(exist_ok=True)
    for source in (FIXTURES / name, SUPPORT / "math.rs", SUPPORT / "mem.rs"):
        shutil.copy(source, build / source.name)
    output = build / "program.ll"
    _rustc(
        "--crate-type", "lib", "--edition", "2021", "-O", "-C", "overflow-checks=on", "--emit=llvm-ir",
        "-L", str(sysroot), str(build / name), "-o", str(output),
    )  # fmt: skip
    return output.read_text()


@pytest.fixture(scope="module")
def rustc_ir(sysroot: Path) -> str:
    return compile_fixture(sysroot, "arith.rs")


def test_raw_rustc_output_does_not_compile(rustc_ir: str) -> None:
    result = bpf_llc(opt_for_pipeline(rustc_ir))
    assert result.returncode != 0
    for message in ("stack arguments are not supported", "__multi3", "unsupported signed division"):
        assert message in result.stderr, result.stderr


def test_the_pipeline_builds_it(rustc_ir: str) -> None:
    lowered = ir.lower_for_bpf(rustc_ir)
    report = lowered.report
    for rewrite in (
        "strip_sret",
        "lower_memory_intrinsics",
        "expand_mul_with_overflow",
        "lower_signed_divrem",
        "lower_i128_divrem",
        "expand_i128_mul",
        "lower_i128_variable_shifts",
    ):
        assert report[rewrite] > 0, (rewrite, report)

    finished = ir.finish_for_bpf(opt_for_pipeline(lowered.text))
    assert finished.report["pack_stack_arguments"] >= 1
    result = bpf_llc(finished.text)
    assert result.returncode == 0, result.stderr

    module = parse_module(finished.text)
    helpers = {fn.name for fn in module.definitions()}
    assert {"@sbf_udivmod128", "@sbf_memcpy", "@sbf.umulh64"} <= helpers
    assert module.function("@entrypoint") is not None


def test_the_division_helper_itself_has_no_128_bit_division(rustc_ir: str) -> None:
    """sbf_udivmod128 must survive the pipeline by itself: no udiv/urem i128 inside (a mul i128
    that LLVM forms from its limb multiplication is fine, the pipeline expands those)."""
    module = parse_module(rustc_ir)
    helper = module.function("@sbf_udivmod128")
    assert helper is not None and helper.is_definition
    texts = [inst.text for _, inst in helper.instructions()]
    assert not [t for t in texts if " udiv i128 " in t or " urem i128 " in t or "__udivti3" in t]


def _vm_expected(a: int, b: int) -> bytes:
    mask = (1 << 128) - 1

    def signed(v: int, bits: int = 128) -> int:
        v &= (1 << bits) - 1
        return v - (1 << bits) if v >> (bits - 1) else v

    sa, sb = signed(a), signed(b)
    quotient = abs(sa) // abs(sb) * (1 if (sa < 0) == (sb < 0) else -1)
    remainder = abs(sa) % abs(sb) * (-1 if sa < 0 else 1)
    n = b & 127
    words = [
        a // b,
        a % b,
        quotient & mask,
        remainder & mask,
        (a * b) & mask,
        (a << n) & mask,
        (sa >> n) & mask,
    ]
    a64, b64 = a & (2**64 - 1), b & (2**64 - 1)
    flags = (
        int(a * b > mask)
        | int(a64 * b64 >= 2**64) << 1
        | int(not -(2**63) <= signed(a64, 64) * signed(b64, 64) < 2**63) << 2
        | int(not -(2**127) <= sa * sb < 2**127) << 3
    )
    return b"".join(w.to_bytes(16, "little") for w in words) + flags.to_bytes(8, "little")


def deployed_fixture(sysroot: Path, name: str, rewrites: tuple[str, ...]) -> tuple[Engine, Keypair, Pubkey]:
    """``ir_fixtures/<name>`` through rustc, the rewrites (each of ``rewrites`` must have fired), opt,
    llc and the linker, deployed to a fresh LiteSVM: the VM, a funded payer and the program id."""
    lowered = ir.lower_for_bpf(compile_fixture(sysroot, name))
    for rewrite in rewrites:
        assert lowered.report[rewrite] > 0, (rewrite, lowered.report)
    finished = ir.finish_for_bpf(opt_for_pipeline(lowered.text))
    obj = sysroot / f"{name.removesuffix('.rs')}.o"
    compiled = subprocess.run(
        [str(LLC), *BPF_LLC_FLAGS, "-o", str(obj)],
        input=finished.text,
        capture_output=True,
        text=True,
        check=False,
    )
    assert compiled.returncode == 0, compiled.stderr
    elf = link_sbpf_v0(obj.read_bytes())
    svm = new_svm(deactivate=features_blocking_deploy(elf))
    payer = Keypair()
    svm.airdrop(payer.pubkey(), 10**12)
    return svm, payer, deploy(svm, payer, elf)


def test_the_built_program_computes_like_python(sysroot: Path) -> None:
    """The whole chain on the SBF VM: rustc, the rewrites, the real sbf_udivmod128 compiled for BPF,
    llc and the linker; 4,000 cases against Python integers."""
    svm, payer, program = deployed_fixture(
        sysroot, "vm_arith.rs", ("lower_i128_divrem", "lower_signed_divrem", "expand_i128_mul")
    )

    rng = random.Random(11)
    edges = [1, 2, 3, 2**63, 2**64 - 1, 2**64, 2**64 + 1, 2**127 - 1, 2**127, 2**128 - 1, 10**19, 10**30]
    pairs = [(a, b) for a in edges for b in edges]
    while len(pairs) < 4000:
        a, b = (rng.getrandbits(rng.randint(1, 128)) for _ in range(2))
        pairs.append((a, b or 1))
    pairs = [(a, b) for a, b in pairs if not (a == 2**127 and b == 2**128 - 1)]  # i128::MIN / -1
    for start in range(0, len(pairs), 8):
        batch = pairs[start : start + 8]
        data = b"".join(a.to_bytes(16, "little") + b.to_bytes(16, "little") for a, b in batch)
        sent = send(svm, payer, [Instruction(program, data, [])])
        returned = sent.meta.return_data().data
        assert len(returned) == 120 * len(batch)
        for k, (a, b) in enumerate(batch):
            assert returned[120 * k : 120 * (k + 1)] == _vm_expected(a, b), (hex(a), hex(b))


MEMORY_BUF = 512
PATTERN_LEN = 256


def _memory_expected(pattern: bytes, ops: list[tuple[int, int, int, int, int]]) -> bytes:
    """What ``vm_memory.rs`` returns, computed with Python's bytearray."""
    buf = bytearray(MEMORY_BUF)
    names = 0
    for kind, value, a, b, n in ops:
        if kind == 0:
            buf[b : b + n] = pattern[a : a + n]
        elif kind == 1:
            buf[b : b + n] = bytes(buf[a : a + n])
        else:
            buf[a : a + n] = bytes([value]) * n
        names += len(("memcpy", "memmove", "memset")[kind])
    weighted = 0
    for i, byte in enumerate(buf):
        weighted = (weighted * 31 + (byte ^ i)) % 2**64
    words = [sum(buf), weighted, buf[0], buf[-1], sum(1 for byte in buf if byte), names]
    return bytes(buf) + b"".join(w.to_bytes(8, "little") for w in words)


def _random_memory_op(rng: random.Random) -> tuple[int, int, int, int, int]:
    kind = rng.randrange(3)
    n = rng.choice([0, 1, 7, 8, 9, 129, 255, 256, rng.randrange(PATTERN_LEN + 1)])
    if kind == 0:
        return kind, 0, rng.randrange(PATTERN_LEN - n + 1), rng.randrange(MEMORY_BUF - n + 1), n
    if kind == 1:
        a = rng.randrange(MEMORY_BUF - n + 1)
        b = min(max(a + rng.randint(-n - 1, n + 1), 0), MEMORY_BUF - n)  # mostly overlapping, both ways
        return kind, 0, a, b, n
    n = rng.choice([n, MEMORY_BUF, MEMORY_BUF - 1])
    return kind, rng.randrange(1, 256), rng.randrange(MEMORY_BUF - n + 1), 0, n


def test_memory_intrinsics_and_sret_compute_like_python(sysroot: Path) -> None:
    """Variable-length copies, overlapping moves in both directions and fills (the sbf_mem* rewrite),
    a 40-byte struct and a &str returned through a stripped ``sret`` pointer: 300 random programs of
    operations on the SBF VM against Python's bytearray."""
    svm, payer, program = deployed_fixture(sysroot, "vm_memory.rs", ("lower_memory_intrinsics", "strip_sret"))
    rng = random.Random(5)
    for case in range(300):
        pattern = rng.randbytes(PATTERN_LEN)
        ops = [_random_memory_op(rng) for _ in range(rng.randint(1, 12))]
        data = pattern + b"".join(struct.pack("<BBHHH", *op) for op in ops)
        returned = send(svm, payer, [Instruction(program, data, [])]).meta.return_data().data
        assert bytes(returned) == _memory_expected(pattern, ops), (case, ops)

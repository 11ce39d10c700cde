"""Code SBPF cannot run is refused at link time, with the function or static named (demangled).

Every rejection holds for both program formats, except JMP32, which SBPFv3 has (SIMD-0377).
"""

from __future__ import annotations

import struct

import pytest
from link_support import compile_ir, deploy_program, fixture_object, read_shared_object, requires_llc

from solgrid.build.errors import BuildError, LinkError, UnsupportedCode
from solgrid.build.link import link_sbpf, link_sbpf_v0, link_sbpf_v3
from solgrid.build.sbpf import SbpfVersion
from solgrid.localnet.svm import TransactionFailed

pytestmark = requires_llc

UNSUPPORTED = [
    # (fixture, llc -mcpu, extra llc flags, function or static named, fragment of the reason)
    (
        "writable_static.ll",
        "v2",
        (),
        "program::COUNTER",
        "writable static program::COUNTER (8 bytes in .data",
    ),
    ("zeroed_static.ll", "v2", (), "program::CACHE", "writable static program::CACHE (32 bytes in .bss"),
    ("alu32.ll", "v2", ("-mattr=+alu32",), "program::add_u32", "32-bit ALU instruction"),
    ("alu32.ll", "v3", (), "program::add_u32", "32-bit ALU instruction"),
    ("jmp32.ll", "v3", (), "program::below_ten", "32-bit jump (JMP32"),
    ("atomic.ll", "v2", (), "program::bump_counter", "atomic memory instruction"),
    ("signed_division.ll", "v4", (), "program::signed_div", "signed division or remainder (sdiv/smod"),
    ("sign_extending_move.ll", "v4", (), "program::widen", "sign-extending move (movsx"),
    ("sign_extending_load.ll", "v4", (), "program::load_signed", "sign-extending load"),
    (
        "unknown_syscall.ll",
        "v2",
        (),
        "program::process",
        "'sol_not_a_real_syscall', which is neither defined",
    ),
    ("retired_syscall.ll", "v2", (), "program::allocate", "calls syscall sol_alloc_free_: new deployments"),
    ("syscall_address.ll", "v2", (), "program::register", "takes the address of syscall sol_log_"),
]


CASES = [(version, *row) for version in SbpfVersion for row in UNSUPPORTED]
CASES = [case for case in CASES if not (case[0] is SbpfVersion.V3 and case[1] == "jmp32.ll")]


@pytest.mark.parametrize(
    ("version", "fixture", "cpu", "extra", "where", "reason"),
    CASES,
    ids=[f"{version}-{fixture}-{cpu}{''.join(extra)}" for version, fixture, cpu, extra, *_ in CASES],
)
def test_unsupported_code_is_named(
    version: SbpfVersion, fixture: str, cpu: str, extra: tuple[str, ...], where: str, reason: str
) -> None:
    with pytest.raises(UnsupportedCode) as error:
        link_sbpf(fixture_object(fixture, cpu, extra), version)
    assert error.value.where == where
    assert reason in error.value.reason
    assert str(error.value).startswith(f"{where}: ")
    assert "\n" not in str(error.value)


def test_same_fixtures_link_when_built_as_sbpfv0_code() -> None:
    # The ALU32/JMP32/atomic-free versions of the same IR are fine: the rejections above are about the
    # instructions, not the programs.
    for fixture in ("alu32.ll", "jmp32.ll"):
        elf = read_shared_object(link_sbpf_v0(fixture_object(fixture, "v2")))
        assert all(op & 7 not in (4, 6) or op in (0xD4, 0xDC) for _pc, op, *_ in elf.instructions())


def test_jmp32_links_and_runs_as_sbpfv3() -> None:
    # cpu v3 without ALU32: the 32-bit comparison becomes a JMP32 jump, which SBPFv3 has.
    so = link_sbpf_v3(fixture_object("jmp32.ll", "v3", ("-mattr=-alu32",)))
    jumps = [op for _pc, op, *_ in read_shared_object(so).instructions() if op & 7 == 6]
    assert jumps, "llc emitted no JMP32 instruction"
    # The program input starts with the account count (0 here): 0 < 10, so the program returns 1.
    with pytest.raises(TransactionFailed, match=r"Custom\(1\)"):
        deploy_program(so).invoke(0)


def test_unknown_relocation_type_names_the_function() -> None:
    obj = bytearray(fixture_object("program.ll"))
    elf = read_shared_object(bytes(obj))  # the section table reads the same in a relocatable object
    rel_text = elf.section(".rel.text")
    struct.pack_into("<I", obj, rel_text.offset + 8, 3)  # first relocation of .text becomes R_BPF_64_ABS32
    with pytest.raises(
        LinkError, match=r"^entrypoint: R_BPF_64_ABS32 \(3\) against '[.\w]+' in \.text is not supported"
    ):
        link_sbpf_v0(bytes(obj))


def test_missing_entrypoint() -> None:
    source = 'target triple = "bpfel"\ndefine i64 @main(ptr %p) {\n  ret i64 0\n}\n'
    with pytest.raises(LinkError, match="defines no `entrypoint` function"):
        link_sbpf_v0(compile_ir(source))


@pytest.mark.parametrize(
    ("blob", "message"),
    [
        (b"not an elf at all", "not an ELF file"),
        (b"\x7fELF\x01\x01" + bytes(58), "not a little-endian ELF64"),
    ],
)
def test_garbage_input(blob: bytes, message: str) -> None:
    with pytest.raises(LinkError, match=message):
        link_sbpf_v0(blob)


def test_truncated_object() -> None:
    obj = fixture_object("program.ll")
    with pytest.raises(LinkError, match="malformed object"):
        link_sbpf_v0(obj[: len(obj) // 2])


def test_errors_are_build_errors() -> None:
    assert issubclass(LinkError, BuildError) and issubclass(UnsupportedCode, BuildError)

"""Each SBPFv3 loader rule, checked on a linked program with an independent ELF reader and by running it.

SBPFv3 (solana-sbpf 0.21's strict parser) reads only the file header and two program headers, and
relocates nothing: every address and call must be final in the file. The program
(link_fixtures/program.ll) exercises every kind of reference the linker resolves; each test asserts one
rule on the bytes and runs the deployed program (BPFLoaderUpgradeable on the agave 4 engine: strict
parser and verifier) on the behaviour that depends on it.
"""

from __future__ import annotations

import struct

import pytest
from link_support import (
    Deployed,
    SharedObject,
    compile_ir,
    deploy_program,
    fixture_object,
    read_shared_object,
    requires_llc,
)

from solgrid.build.link import link_sbpf_v0, link_sbpf_v3
from solgrid.build.sbpf import murmur3_32
from solgrid.localnet.svm import TransactionFailed

pytestmark = requires_llc

MM_RODATA, MM_BYTECODE = 0, 1 << 32
PT_LOAD = 1
PF_X, PF_W, PF_R = 1, 2, 4
SYSCALLS_USED = {"abort", "sol_log_", "sol_log_64_", "sol_set_return_data"}
LONG_NAME = "a_function_whose_name_is_longer_than_every_name_limit_of_the_sbpf_loader"


@pytest.fixture(scope="module")
def so_bytes() -> bytes:
    return link_sbpf_v3(fixture_object("program.ll"))


@pytest.fixture(scope="module")
def elf(so_bytes: bytes) -> SharedObject:
    return read_shared_object(so_bytes)


@pytest.fixture(scope="module")
def program(so_bytes: bytes) -> Deployed:
    return deploy_program(so_bytes)


def _segment_bytes(elf: SharedObject, flags: int) -> tuple[int, bytes]:
    (segment,) = [p for p in elf.segments if p.flags == flags]
    return segment.vaddr, elf.raw[segment.offset : segment.offset + segment.filesz]


def test_header_selects_sbpfv3(elf: SharedObject, program: Deployed) -> None:
    assert elf.ident[:4] == b"\x7fELF" and elf.ident[4:9] == bytes([2, 1, 1, 0, 0])  # ELF64 LE v1 SysV
    assert elf.ident[9:16] == bytes(7)
    assert elf.machine == 247  # EM_BPF (the strict parser refuses EM_SBPF)
    assert elf.flags == 3
    assert elf.phoff == 64 and elf.sizes[:2] == (64, 56)
    # No frame gaps in v3: a value kept in the caller's frame still survives a callee filling its own.
    assert program.invoke(7, 424242)[0] == 424242


def test_two_segments_back_to_back(elf: SharedObject, program: Deployed) -> None:
    loads = [(p.type, p.flags, p.vaddr, p.paddr) for p in elf.segments]
    assert loads == [(PT_LOAD, PF_R, MM_RODATA, MM_RODATA), (PT_LOAD, PF_X, MM_BYTECODE, MM_BYTECODE)]
    rodata, text = elf.segments
    assert rodata.offset == 64 + 2 * 56
    assert text.offset == rodata.offset + rodata.filesz
    for segment in elf.segments:
        assert segment.filesz == segment.memsz and segment.filesz % 8 == 0 and segment.offset % 8 == 0
    # lddw of a read-only table (absolute address in the segment mapped at 0) reads the right words.
    assert [program.invoke(6, i)[0] for i in range(8)] == [2, 3, 5, 7, 11, 13, 17, 19]


def test_read_only_data_starts_with_the_null_guard(elf: SharedObject, program: Deployed) -> None:
    _, rodata = _segment_bytes(elf, PF_R)
    assert rodata[:8] == bytes(8)
    greeting = rodata.index(b"hello from solgrid!")
    assert greeting >= 8
    # lddw addresses of strings point into the segment at VM address == index in the segment.
    _, logs = program.invoke(2, 1)
    assert "Program log: hello from solgrid!" in logs and "Program log: omega" in logs


def test_data_pointers_are_absolute_vm_addresses(elf: SharedObject, program: Deployed) -> None:
    _, rodata = _segment_bytes(elf, PF_R)
    _, text = _segment_bytes(elf, PF_X)
    alpha, omega = rodata.index(b"alpha"), rodata.index(b"omega")
    names = struct.pack("<QQQQ", MM_RODATA + alpha, 5, MM_RODATA + omega, 5)
    assert names in rodata  # the &str table of .data.rel.ro.names
    table = [w for w in struct.iter_unpack("<Q", rodata[: len(rodata) // 8 * 8]) if w[0] >> 32 == 1]
    assert len(table) >= 3  # fn pointers of .data.rel.ro.operations point into the code segment
    for (address,) in table:
        assert MM_BYTECODE <= address < MM_BYTECODE + len(text) and address % 8 == 0
    # callx through that table reaches each function.
    assert [program.invoke(1, n)[0] for n in (3, 4, 5)] == [1003, 4000, 5 ^ 1000]


def test_entry_inside_code(elf: SharedObject, program: Deployed) -> None:
    vaddr, text = _segment_bytes(elf, PF_X)
    assert vaddr <= elf.entry < vaddr + len(text) and elf.entry % 8 == 0
    assert program.invoke(0, 20)[0] == 6765


def test_syscalls_are_static(elf: SharedObject, program: Deployed) -> None:
    keys = {murmur3_32(name.encode()): name for name in SYSCALLS_USED}
    called = set()
    for _pc, op, dst, src, off, imm in elf.instructions():
        if op == 0x85 and src == 0:
            assert (dst, off) == (0, 0)
            called.add(keys[imm & 0xFFFFFFFF])
    assert called == SYSCALLS_USED
    assert not [s.name for s in elf.sections if s.name in (".dynamic", ".dynsym", ".dynstr", ".rel.dyn")]
    assert LONG_NAME.encode() not in elf.raw  # no symbols: internal names are not in the file
    # __bpf_trap (llvm.trap) was linked to the abort syscall.
    with pytest.raises(TransactionFailed) as failure:
        program.invoke(5)
    assert "SBF program panicked" in "\n".join(failure.value.logs)


def test_internal_calls_are_marked_and_pc_relative(elf: SharedObject, program: Deployed) -> None:
    _, text = _segment_bytes(elf, PF_X)
    calls = [(pc, imm) for pc, op, _d, src, _o, imm in elf.instructions() if op == 0x85 and src == 1]
    assert len(calls) >= 5  # fib twice, cold_path (other section), long name, scribble
    for pc, imm in calls:
        assert 0 <= pc + 1 + imm < len(text) // 8
    assert not [pc for pc, op, _d, src, _o, _i in elf.instructions() if op == 0x85 and src not in (0, 1)]
    assert program.invoke(3, 5)[0] == 5 * 7 + 3  # .text.unlikely.cold_path
    assert program.invoke(4, 3)[0] == 3 << 4  # the function with the long name


def test_callx_reads_dst(elf: SharedObject, program: Deployed) -> None:
    callx = [(dst, src, imm) for _pc, op, dst, src, _o, imm in elf.instructions() if op == 0x8D]
    assert callx
    for dst, src, imm in callx:
        assert (src, imm) == (0, 0) and 0 <= dst <= 9
    # callx through the .data.rel.ro table, and through addresses loaded with lddw, reaches each function.
    assert [program.invoke(1, n)[0] for n in (6, 7, 8)] == [1006, 7000, 8 ^ 1000]
    assert [program.invoke(8, n)[0] for n in (5, 6)] == [1005, 6000]


def test_nothing_writable_and_no_unwind_or_debug(elf: SharedObject) -> None:
    assert all(not p.flags & PF_W for p in elf.segments)
    assert [s.name for s in elf.sections] == ["", ".rodata", ".text", ".shstrtab"]
    for section in elf.sections[1:3]:
        segment = next(p for p in elf.segments if p.offset == section.offset)
        assert (section.addr, section.size) == (segment.vaddr, segment.filesz)


def test_program_without_read_only_data_has_only_a_code_segment() -> None:
    source = """
target datalayout = "e-m:e-p:64:64-i64:64-i128:128-n32:64-S128"
target triple = "bpfel"

define i64 @entrypoint(ptr %input) {
  ret i64 0
}
"""
    so = link_sbpf_v3(compile_ir(source))
    elf = read_shared_object(so)
    assert [(p.flags, p.vaddr, p.offset) for p in elf.segments] == [(PF_X, MM_BYTECODE, 64 + 56)]
    program = deploy_program(so)
    assert program.invoke(0)[0] is None


def test_v0_and_v3_compute_the_same(program: Deployed) -> None:
    v0 = deploy_program(link_sbpf_v0(fixture_object("program.ll")))
    for op, arg in [(0, 15), (1, 4), (3, 9), (4, 2), (6, 3), (7, 99), (8, 6)]:
        assert program.invoke(op, arg)[0] == v0.invoke(op, arg)[0], (op, arg)

"""Each SBPFv0 loader rule, checked on a linked program with an independent ELF reader and by loading it.

The program (link_fixtures/program.ll) exercises every kind of reference the linker resolves. Every test
reads the linker's output with ``link_support.read_shared_object`` (which shares no code with the
linker), asserts one rule, and runs the deployed program (BPFLoaderUpgradeable: broken-ELF rejection and
verifier) on the behaviour that depends on that rule.
"""

from __future__ import annotations

import pytest
from link_support import (
    Deployed,
    SharedObject,
    deploy_program,
    fixture_object,
    read_shared_object,
    requires_llc,
)

from solgrid.build.link import link_sbpf_v0
from solgrid.localnet.svm import TransactionFailed

pytestmark = requires_llc

MM_PROGRAM = 1 << 32
SHF_WRITE, SHF_ALLOC, SHF_EXECINSTR = 1, 2, 4
PT_LOAD, PT_DYNAMIC = 1, 2
PF_X, PF_W, PF_R = 1, 2, 4
DT_SYMTAB, DT_REL, DT_RELSZ, DT_RELENT = 6, 17, 18, 19
SYSCALLS_USED = {"abort", "sol_log_", "sol_log_64_", "sol_set_return_data"}
LONG_NAME = "a_function_whose_name_is_longer_than_every_name_limit_of_the_sbpf_loader"


@pytest.fixture(scope="module")
def so_bytes() -> bytes:
    return link_sbpf_v0(fixture_object("program.ll"))


@pytest.fixture(scope="module")
def elf(so_bytes: bytes) -> SharedObject:
    return read_shared_object(so_bytes)


@pytest.fixture(scope="module")
def program(so_bytes: bytes) -> Deployed:
    return deploy_program(so_bytes)


def test_header_is_sbpfv0_shared_object(elf: SharedObject, program: Deployed) -> None:
    assert elf.ident[:4] == b"\x7fELF" and elf.ident[4:8] == bytes([2, 1, 1, 0])  # ELF64, LE, v1, SysV
    assert (elf.type, elf.machine) == (3, 247)  # ET_DYN, EM_BPF
    assert elf.flags == 0  # SBPFv0: fixed 4 KiB frames
    assert elf.sizes == (64, 56, 64)
    assert elf.phoff == 64
    # SBPFv0 frames: a value kept in the caller's frame survives a callee that fills its own frame.
    assert program.invoke(7, 424242)[0] == 424242


def test_offsets_equal_addresses(elf: SharedObject, program: Deployed) -> None:
    for section in elf.sections:
        if section.flags & SHF_ALLOC:
            assert section.addr == section.offset, section.name
    for segment in elf.segments:
        assert segment.vaddr == segment.paddr == segment.offset
        assert segment.filesz == segment.memsz
    # lddw of a .rodata table (absolute 0x1_0000_0000 + offset) reads the right words.
    assert [program.invoke(6, i)[0] for i in range(8)] == [2, 3, 5, 7, 11, 13, 17, 19]


def test_sections_and_segments(elf: SharedObject, program: Deployed) -> None:
    names = [s.name for s in elf.sections]
    assert names == ["", ".text", ".rodata", ".dynsym", ".dynstr", ".rel.dyn", ".dynamic", ".shstrtab"]
    assert elf.sections[0].type == 0  # SHT_NULL
    loads = [(p.flags, p.offset, p.filesz) for p in elf.segments if p.type == PT_LOAD]
    text, rodata, dynsym, dynamic = (elf.section(n) for n in (".text", ".rodata", ".dynsym", ".dynamic"))
    assert loads == [
        (PF_R | PF_X, text.offset, text.size),
        (PF_R, rodata.offset, rodata.size),
        (PF_R, dynsym.offset, dynamic.offset + dynamic.size - dynsym.offset),
    ]
    assert [(p.offset, p.filesz) for p in elf.segments if p.type == PT_DYNAMIC] == [
        (dynamic.offset, dynamic.size)
    ]
    vaddrs = [p.vaddr for p in elf.segments if p.type == PT_LOAD]
    assert vaddrs == sorted(vaddrs)
    # Sections ascend, do not overlap each other or the headers, and lie inside the file.
    previous_end = 64 + 56 * len(elf.segments)
    for section in elf.sections[1:]:
        assert section.offset >= previous_end, section.name
        previous_end = section.offset + section.size
    assert previous_end <= elf.shoff and elf.shoff + 64 * len(elf.sections) == len(elf.raw)
    # Strings in .rodata.str1.1 and .rodata and the &str table in .data.rel.ro.names all resolve.
    _, logs = program.invoke(2, 1)
    assert "Program log: hello from solgrid!" in logs and "Program log: omega" in logs


def test_section_names_fit_the_loader_limit(elf: SharedObject, program: Deployed) -> None:
    # The loader reads 16 bytes for a section name, NUL included; the input's .data.rel.ro.operations
    # (23 bytes) must have been merged into .rodata.
    assert all(len(s.raw_name) <= 15 for s in elf.sections)
    assert [program.invoke(1, n)[0] for n in (3, 4, 5)] == [1003, 4000, 5 ^ 1000]


def test_one_of_each_table(elf: SharedObject) -> None:
    names = [s.name for s in elf.sections]
    for table in (".text", ".dynsym", ".dynstr", ".dynamic"):
        assert names.count(table) == 1, table
    assert ".symtab" not in names and ".strtab" not in names


def test_dynamic_table(elf: SharedObject, program: Deployed) -> None:
    dynamic = elf.dynamic
    assert dynamic[DT_SYMTAB] == elf.section(".dynsym").addr
    assert dynamic[DT_RELENT] == 16
    rel = elf.section(".rel.dyn")
    assert (dynamic[DT_REL], dynamic[DT_RELSZ]) == (rel.addr, rel.size)
    assert any(p.type == PT_LOAD and p.vaddr <= dynamic[DT_REL] < p.vaddr + p.memsz for p in elf.segments)
    # The loader found the relocations through DT_REL: every syscall call was patched and works.
    _, logs = program.invoke(2, 0)
    assert "Program log: alpha" in logs and "Program log: 0x1, 0x2, 0x3, 0x4, 0x0" in logs


def test_dynamic_symbols_are_short_and_only_syscalls_and_entry(elf: SharedObject, program: Deployed) -> None:
    symbols = elf.dynamic_symbols
    assert symbols[0].name == "" and all(len(s.name.encode()) < 64 for s in symbols)
    assert {s.name for s in symbols[1:]} == {"entrypoint", *SYSCALLS_USED}
    assert LONG_NAME.encode() not in elf.raw  # internal function names are not exported
    assert program.invoke(4, 3)[0] == 3 << 4


def test_entry_inside_text_and_aligned(elf: SharedObject, program: Deployed) -> None:
    text = elf.section(".text")
    assert text.addr <= elf.entry < text.addr + text.size
    assert (elf.entry - text.addr) % 8 == 0
    (entry_symbol,) = [s for s in elf.dynamic_symbols if s.name == "entrypoint"]
    assert entry_symbol.value == elf.entry
    assert program.invoke(0, 20)[0] == 6765


def test_nothing_writable(elf: SharedObject) -> None:
    for section in elf.sections:
        assert not section.flags & SHF_WRITE, section.name
        assert not section.name.startswith((".bss", ".data"))
    assert all(not p.flags & PF_W for p in elf.segments)


def test_only_syscall_calls_are_left_to_the_loader(elf: SharedObject, program: Deployed) -> None:
    text = elf.section(".text")
    slots = {pc: (op, dst, src, off, imm) for pc, op, dst, src, off, imm in elf.instructions()}
    for relocation in elf.relocations:
        assert relocation.type == 10  # R_BPF_64_32
        assert (relocation.symbol.shndx, relocation.symbol.value, relocation.symbol.type) == (0, 0, 0)
        assert relocation.symbol.name in SYSCALLS_USED
        assert slots[(relocation.offset - text.offset) // 8] == (0x85, 0, 0, 0, -1)
    assert {r.symbol.name for r in elf.relocations} == SYSCALLS_USED
    # __bpf_trap (llvm.trap) was linked to the abort syscall.
    with pytest.raises(TransactionFailed) as failure:
        program.invoke(5)
    assert "SBF program panicked" in "\n".join(failure.value.logs)


def test_internal_calls_are_pc_relative_inside_text(elf: SharedObject, program: Deployed) -> None:
    text = elf.section(".text")
    relocated = {(r.offset - text.offset) // 8 for r in elf.relocations}
    calls = [
        (pc, imm) for pc, op, _d, _s, _o, imm in elf.instructions() if op == 0x85 and pc not in relocated
    ]
    assert len(calls) >= 5  # fib twice, cold_path (other section), long name, scribble
    for pc, imm in calls:
        assert 0 <= pc + 1 + imm < text.size // 8
    assert program.invoke(3, 5)[0] == 5 * 7 + 3  # .text.unlikely.cold_path


def test_code_is_sbpfv0(elf: SharedObject, program: Deployed) -> None:
    allowed = {0x18, 0x61, 0x69, 0x71, 0x79, 0x62, 0x6A, 0x72, 0x7A, 0x63, 0x6B, 0x73, 0x7B, 0x87, 0xD4, 0xDC}
    allowed |= {op | source for op in range(0x07, 0xD7, 0x10) if op != 0x87 for source in (0, 8)}  # ALU64
    conditional_jumps = (0x15, 0x25, 0x35, 0x45, 0x55, 0x65, 0x75, 0xA5, 0xB5, 0xC5, 0xD5)
    allowed |= {op | source for op in conditional_jumps for source in (0, 8)}
    allowed |= {0x05, 0x85, 0x8D, 0x95}
    instructions = elf.instructions()
    pc = 0
    while pc < len(instructions):
        _, op, dst, src, off, imm = instructions[pc]
        assert op in allowed, f"opcode {op:#x} at #{pc}"
        if op & 7 == 7:
            assert off == 0, f"ALU64 with offset at #{pc}"
        if op == 0x8D:  # callx: register in imm, dst/src clear
            assert (dst, src) == (0, 0) and 0 <= imm <= 9
        pc += 2 if op == 0x18 else 1
    # callx through the .data.rel.ro table, and through addresses loaded with lddw, reaches each function.
    assert [program.invoke(1, n)[0] for n in (6, 7, 8)] == [1006, 7000, 8 ^ 1000]
    assert [program.invoke(8, n)[0] for n in (5, 6)] == [1005, 6000]


def test_no_unwind_or_debug_sections(elf: SharedObject) -> None:
    assert not [s.name for s in elf.sections if s.name.startswith((".eh_frame", ".debug", ".BTF"))]

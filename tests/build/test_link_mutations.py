"""Break one loader rule in a good linked program and show that it matters.

Where the SBPFv0 loader enforces the rule, the deploy path (BPFLoaderUpgradeable) must reject the mutated
ELF with the loader's own message, and ``loader_rules`` must name the same rule. Where the loader accepts
the ELF (SBPFv1 flags, ALU32, the eBPF callx encoding), the program runs with a different meaning, which
is why the linker refuses to produce it.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

import pytest
from link_support import (
    SharedObject,
    add_program,
    assert_deploy_rejects,
    deploy_program,
    fixture_object,
    read_shared_object,
    requires_llc,
)

from solgrid.build import loader_rules_v3
from solgrid.build.link import link_sbpf_v0, link_sbpf_v3
from solgrid.build.loader_rules import check_loader_rules, loader_rule_violation
from solgrid.localnet.svm import TransactionFailed

pytestmark = requires_llc

Mutation = Callable[[bytearray, SharedObject], None]


@pytest.fixture(scope="module")
def good() -> bytes:
    return link_sbpf_v0(fixture_object("program.ll"))


def _set_section_field(blob: bytearray, elf: SharedObject, name: str, field: int, value: int) -> None:
    """Overwrite field ``field`` (0 = sh_name ... 9 = sh_entsize) of section ``name``'s header."""
    index = elf.section(name).index
    fields = list(struct.unpack_from("<IIQQQQIIQQ", blob, elf.shoff + 64 * index))
    fields[field] = value
    struct.pack_into("<IIQQQQIIQQ", blob, elf.shoff + 64 * index, *fields)


def _set_dynamic(blob: bytearray, elf: SharedObject, tag: int, value: int) -> None:
    dynamic = elf.section(".dynamic")
    for at in range(dynamic.offset, dynamic.offset + dynamic.size, 16):
        if struct.unpack_from("<q", blob, at)[0] == tag:
            struct.pack_into("<qQ", blob, at, tag, value)
            return
    raise AssertionError(f"no dynamic tag {tag}")


def _set_header(at: int, fmt: str, value: int) -> Mutation:
    """Overwrite the file-header field at byte ``at``."""
    return lambda blob, _elf: struct.pack_into(fmt, blob, at, value)


def _set_e_flags(value: int) -> Mutation:
    return _set_header(48, "<I", value)


def _long_section_name(blob: bytearray, elf: SharedObject) -> None:
    # Replace the NULs ending ".dynsym" and ".dynstr" in .shstrtab: the name of .dynsym then runs on for
    # more than 16 bytes before its NUL.
    names = elf.section(".shstrtab").offset
    for name in (".dynsym", ".dynstr"):
        end = names + elf.section(name).name_offset + len(name)
        assert blob[end] == 0
        blob[end] = ord("x")


def _shift_address(name: str) -> Mutation:
    return lambda blob, elf: _set_section_field(blob, elf, name, 3, elf.section(name).addr + 8)


def _second_text(blob: bytearray, elf: SharedObject) -> None:
    _set_section_field(blob, elf, ".rodata", 0, elf.section(".text").name_offset)


def _rename_rodata(new_name: bytes, writable: bool) -> Mutation:
    def mutate(blob: bytearray, elf: SharedObject) -> None:
        rodata = elf.section(".rodata")
        at = elf.section(".shstrtab").offset + rodata.name_offset
        blob[at : at + 8] = new_name.ljust(8, b"\0")
        if writable:
            _set_section_field(blob, elf, ".rodata", 2, rodata.flags | 1)

    return mutate


def _set_entry(entry: Callable[[SharedObject], int]) -> Mutation:
    return lambda blob, elf: struct.pack_into("<Q", blob, 24, entry(elf))


def _relocation_type(blob: bytearray, elf: SharedObject) -> None:
    struct.pack_into("<I", blob, elf.section(".rel.dyn").offset + 8, 3)


def _rename_syscall(blob: bytearray, elf: SharedObject) -> None:
    strings = elf.section(".dynstr")
    at = blob.index(b"\0sol_log_\0", strings.offset) + 1
    blob[at : at + 8] = b"sol_lgo_"


def _first_text_slot(elf: SharedObject, predicate: Callable[[int], bool]) -> int:
    text = elf.section(".text")
    for pc, opcode, *_rest in elf.instructions():
        if predicate(opcode):
            return text.offset + 8 * pc
    raise AssertionError("no such instruction")


def _jmp32(blob: bytearray, elf: SharedObject) -> None:
    at = _first_text_slot(elf, lambda op: op & 7 == 5 and 0x10 <= op & 0xF0 <= 0xD0 and op & 0xF0 != 0x80)
    blob[at] = (blob[at] & 0xF8) | 6


def _atomic(blob: bytearray, elf: SharedObject) -> None:
    blob[_first_text_slot(elf, lambda op: op == 0x7B)] = 0xDB


def _null_section(blob: bytearray, elf: SharedObject) -> None:
    struct.pack_into("<I", blob, elf.shoff + 4, 1)


def _sections_out_of_order(blob: bytearray, elf: SharedObject) -> None:
    _set_section_field(blob, elf, ".dynstr", 4, elf.section(".dynsym").offset)


def _section_over_headers(blob: bytearray, elf: SharedObject) -> None:
    _set_section_field(blob, elf, ".text", 4, 0x40)


def _program_headers_descending(blob: bytearray, elf: SharedObject) -> None:
    first, second = bytes(blob[64:120]), bytes(blob[120:176])
    blob[64:120], blob[120:176] = second, first


def _load_past_the_end(blob: bytearray, elf: SharedObject) -> None:
    # p_filesz and p_memsz of the first program header (PT_LOAD .text).
    struct.pack_into("<QQ", blob, elf.phoff + 32, len(blob), len(blob))


def _two_dynstr(blob: bytearray, elf: SharedObject) -> None:
    _set_section_field(blob, elf, ".shstrtab", 0, elf.section(".dynstr").name_offset)


REJECTED = [
    # (id, mutation, rule loader_rules reports, fragment of the loader's message)
    ("ELFCLASS32", _set_header(4, "<B", 1), "file header", "invalid file header"),
    ("big endian", _set_header(5, "<B", 2), "file header", "invalid file header"),
    ("EI_VERSION 0", _set_header(6, "<B", 0), "file header", "invalid file header"),
    ("OSABI 3", _set_header(7, "<B", 3), "file header", "Incompatible ELF: wrong ABI"),
    ("ET_REL", _set_header(16, "<H", 1), "file header", "Incompatible ELF: wrong type"),
    ("ET_EXEC", _set_header(16, "<H", 2), "file header", "Incompatible ELF: wrong type"),
    ("e_machine x86-64", _set_header(18, "<H", 62), "file header", "Incompatible ELF: wrong machine"),
    ("e_version 0", _set_header(20, "<I", 0), "file header", "invalid file header"),
    ("e_ehsize 65", _set_header(52, "<H", 65), "file header", "invalid file header"),
    ("e_phentsize 57", _set_header(54, "<H", 57), "file header", "invalid file header"),
    ("e_shentsize 65", _set_header(58, "<H", 65), "file header", "invalid file header"),
    # agave 4 reads a file marked v3 with the SBPFv3 strict parser: a v0 layout has not its headers.
    ("e_flags=3 (SBPFv3)", _set_e_flags(3), "SBPF version", "Invalid ELF program header"),
    ("e_flags=2 (SBPFv2)", _set_e_flags(2), "SBPF version", "Verifier error: unknown eBPF opcode"),
    (
        "e_flags=0x20 (old marker)",
        _set_e_flags(0x20),
        "SBPF version",
        "sbpf_version required by the executable",
    ),
    ("section 0 not SHT_NULL", _null_section, "null section", "invalid section header"),
    ("PT_LOAD descending", _program_headers_descending, "program header order", "Invalid ELF program header"),
    ("PT_LOAD past the end", _load_past_the_end, "program header order", "Offset or value is out of bounds"),
    ("section over the headers", _section_over_headers, "section ranges", "values overlap"),
    ("sections out of order", _sections_out_of_order, "section ranges", "sections not in ascending order"),
    ("section name > 15 bytes", _long_section_name, "section names", "is longer than `16` bytes"),
    ("two .dynstr", _two_dynstr, "unique tables", "invalid section header"),
    ("two .text", _second_text, "one .text", "Multiple or no text sections"),
    ("e_entry unaligned", _set_entry(lambda elf: elf.entry + 4), "entrypoint", "Invalid entrypoint"),
    ("e_entry outside .text", _set_entry(lambda elf: 8), "entrypoint", "Entrypoint out of bounds"),
    (
        "writable .data",
        _rename_rodata(b".data", writable=True),
        "no writable data",
        "Found writable section (.data)",
    ),
    (".bss", _rename_rodata(b".bss", writable=False), "no writable data", "Found writable section (.bss)"),
    (
        ".text sh_addr != sh_offset",
        _shift_address(".text"),
        "read-only region",
        "Offset or value is out of bounds",
    ),
    (
        ".rodata sh_addr != sh_offset",
        _shift_address(".rodata"),
        "read-only region",
        "Offset or value is out of bounds",
    ),
    ("DT_RELENT 8", lambda b, e: _set_dynamic(b, e, 19, 8), "dynamic table", "invalid dynamic section table"),
    (
        "DT_SYMTAB not .dynsym",
        lambda b, e: _set_dynamic(b, e, 6, e.dynamic[6] + 8),
        "dynamic table",
        "invalid dynamic section table",
    ),
    (
        "DT_REL outside PT_LOAD",
        lambda b, e: _set_dynamic(b, e, 17, len(b) + 0x1000),
        "dynamic table",
        "invalid dynamic section table",
    ),
    ("relocation type 3", _relocation_type, "relocations", "Relocation failed, unknown type 3"),
    ("unknown syscall", _rename_syscall, "relocations", "Unresolved symbol (sol_lgo_)"),
    ("JMP32 instruction", _jmp32, "code", "unknown eBPF opcode"),
    ("atomic instruction", _atomic, "code", "unknown eBPF opcode 0xdb"),
]


@pytest.mark.parametrize(
    ("mutation", "rule", "loader_message"), [r[1:] for r in REJECTED], ids=[r[0] for r in REJECTED]
)
def test_broken_rule_is_rejected_by_the_deploy_path(
    good: bytes, mutation: Mutation, rule: str, loader_message: str
) -> None:
    assert_deploy_rejects(good, mutation, rule, loader_message, loader_rule_violation, check_loader_rules)


def test_sbpfv1_flags_deploy_but_break_stack_frames(good: bytes) -> None:
    # The loader accepts e_flags=1 (SBPFv1, dynamic stack frames), but upstream code never moves r10, so
    # a callee's frame lands on its caller's: the value the caller kept is overwritten.
    assert deploy_program(good).invoke(7, 424242)[0] == 424242
    broken = bytearray(good)
    _set_e_flags(1)(broken, read_shared_object(good))
    assert loader_rule_violation(bytes(broken)) == ("SBPF version", "e_flags is 0x1; 0 selects SBPFv0")
    assert deploy_program(bytes(broken)).invoke(7, 424242)[0] == 12345


@pytest.mark.parametrize(
    ("link", "violation_of"),
    [(link_sbpf_v0, loader_rule_violation), (link_sbpf_v3, loader_rules_v3.loader_rule_violation)],
    ids=["v0", "v3"],
)
def test_alu32_deploys_but_sign_extends(
    link: Callable[[bytes], bytes], violation_of: Callable[[bytes], tuple[str, str] | None]
) -> None:
    # op_add is `r0 = r1; r0 += 1000`. As a 32-bit add (eBPF: zero-extended result), SBPF (v0 and v3)
    # sign-extends.
    good = link(fixture_object("program.ll"))
    elf = read_shared_object(good)
    add = bytes([0x07, 0x00, 0x00, 0x00]) + struct.pack("<i", 1000)
    text = elf.contents(elf.section(".text"))
    assert text.count(add) == 1
    broken = bytearray(good)
    broken[elf.section(".text").offset + text.index(add)] = 0x04
    violation = violation_of(bytes(broken))
    assert violation is not None and violation[0] == "code" and "32-bit ALU" in violation[1]
    arg = next(n for n in range(2**31 - 1000, 2**31) if n % 3 == 0)  # OPERATIONS[0] is op_add
    low = (arg + 1000) & 0xFFFFFFFF
    assert low >= 2**31
    assert deploy_program(good).invoke(1, arg)[0] == arg + 1000
    assert deploy_program(bytes(broken)).invoke(1, arg)[0] == low | 0xFFFFFFFF_00000000


def test_callx_in_ebpf_encoding_deploys_but_calls_the_wrong_register(good: bytes) -> None:
    elf = read_shared_object(good)
    callx = [(pc, imm) for pc, op, _d, _s, _o, imm in elf.instructions() if op == 0x8D]
    assert callx  # shared by the OPERATIONS table (op 1) and the picked function (op 8)
    broken = bytearray(good)
    for pc, register in callx:
        at = elf.section(".text").offset + 8 * pc
        struct.pack_into("<BBhi", broken, at, 0x8D, register, 0, 0)  # register in dst, as llc writes it
    violation = loader_rule_violation(bytes(broken))
    assert violation is not None and violation[0] == "code" and "callx" in violation[1]
    program = deploy_program(bytes(broken))  # the verifier reads imm 0 as r0: accepted
    for op in (1, 8):
        with pytest.raises(TransactionFailed):
            program.invoke(op, 4)
    assert program.invoke(0, 10)[0] == 55


def test_add_program_path_runs_the_good_program(good: bytes) -> None:
    program = add_program(good)
    assert program.invoke(0, 15)[0] == 610
    assert program.invoke(1, 4)[0] == 4000
    assert program.invoke(6, 4)[0] == 11

"""Break one SBPFv3 loader rule in a good linked program and show that it matters.

Where the strict parser or the verifier enforces the rule, the deploy path (BPFLoaderUpgradeable on the
agave 4 engine) must reject the mutated ELF with the loader's own message, and ``loader_rules_v3`` must
name the same rule. Where the loader accepts the ELF (ALU32, callx in the v0 encoding, a call whose kind
is wrong, an unknown syscall key), the program runs with a different meaning or fails only when the
code is reached, which is why the linker refuses to produce it.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

import pytest
from link_support import (
    SharedObject,
    assert_deploy_rejects,
    deploy_program,
    fixture_object,
    read_shared_object,
    requires_llc,
)

from solgrid.build.link import link_sbpf_v3
from solgrid.build.loader_rules_v3 import check_loader_rules, loader_rule_violation
from solgrid.localnet.svm import TransactionFailed

pytestmark = requires_llc

Mutation = Callable[[bytearray, SharedObject], None]
PH_RODATA, PH_TEXT = 64, 64 + 56


@pytest.fixture(scope="module")
def good() -> bytes:
    return link_sbpf_v3(fixture_object("program.ll"))


def _set(at: int, fmt: str, value: int) -> Mutation:
    """Overwrite the field at byte ``at`` of the file."""
    return lambda blob, _elf: struct.pack_into(fmt, blob, at, value)


def _program_field(header: int, field: int, value: Callable[[int], int]) -> Mutation:
    """Rewrite field ``field`` (0 p_type, 1 p_flags, 2 p_offset, 3 p_vaddr, 4 p_paddr, 5 p_filesz, 6
    p_memsz, 7 p_align) of the program header at ``header`` as ``value(old)``."""

    def mutate(blob: bytearray, _elf: SharedObject) -> None:
        fields = list(struct.unpack_from("<IIQQQQQQ", blob, header))
        fields[field] = value(fields[field])
        struct.pack_into("<IIQQQQQQ", blob, header, *fields)

    return mutate


def _swap_program_headers(blob: bytearray, _elf: SharedObject) -> None:
    first, second = bytes(blob[PH_RODATA:PH_TEXT]), bytes(blob[PH_TEXT : PH_TEXT + 56])
    blob[PH_RODATA:PH_TEXT], blob[PH_TEXT : PH_TEXT + 56] = second, first


def _text_slot(elf: SharedObject, predicate: Callable[[int, int, int], bool]) -> int:
    """File offset of the first code slot whose (opcode, src, imm) satisfies ``predicate``."""
    text = elf.section(".text")
    for pc, opcode, _dst, src, _off, imm in elf.instructions():
        if predicate(opcode, src, imm):
            return text.offset + 8 * pc
    raise AssertionError("no such instruction")


def _atomic(blob: bytearray, elf: SharedObject) -> None:
    blob[_text_slot(elf, lambda op, _s, _i: op == 0x7B)] = 0xDB


def _gotox(blob: bytearray, elf: SharedObject) -> None:
    blob[_text_slot(elf, lambda op, _s, _i: op == 0x05)] = 0x0D


def _unaligned_entry(blob: bytearray, elf: SharedObject) -> None:
    struct.pack_into("<Q", blob, 24, elf.entry + 4)


REJECTED = [
    # (id, mutation, rule loader_rules_v3 reports, fragment of the loader's message)
    ("ELFCLASS32", _set(4, "<B", 1), "file header", "invalid file header"),
    ("big endian", _set(5, "<B", 2), "file header", "invalid file header"),
    ("EI_VERSION 0", _set(6, "<B", 0), "file header", "invalid file header"),
    ("OSABI 3", _set(7, "<B", 3), "file header", "invalid file header"),
    ("ABI version 1", _set(8, "<B", 1), "file header", "invalid file header"),
    ("padding", _set(12, "<B", 1), "file header", "invalid file header"),
    ("e_machine EM_SBPF", _set(18, "<H", 263), "file header", "invalid file header"),
    ("e_version 0", _set(20, "<I", 0), "file header", "invalid file header"),
    ("e_phoff 72", _set(32, "<Q", 72), "file header", "invalid file header"),
    ("e_ehsize 65", _set(52, "<H", 65), "file header", "invalid file header"),
    ("e_phentsize 57", _set(54, "<H", 57), "file header", "invalid file header"),
    ("e_phnum 0", _set(56, "<H", 0), "file header", "invalid file header"),
    # agave 4.1.2 (the engine's solana-sbpf 0.21.0) reads an SBPFv2 file with the v0-v2 parser, which
    # fails on the v3 layout before it checks the version; agave 4.2.2 names the version instead.
    ("e_flags=2 (SBPFv2)", _set(48, "<I", 2), "SBPF version", "Offset or value is out of bounds"),
    ("e_flags=0x20", _set(48, "<I", 0x20), "SBPF version", "sbpf_version required by the executable"),
    ("segments swapped", _swap_program_headers, "program headers", "Invalid ELF program header"),
    (
        "read-only data not PT_LOAD",
        _program_field(PH_RODATA, 0, lambda _v: 2),
        "program headers",
        "Invalid ELF program header",
    ),
    (
        "code R+X",
        _program_field(PH_TEXT, 1, lambda v: v | 4),
        "program headers",
        "Invalid ELF program header",
    ),
    (
        "read-only data at 8",
        _program_field(PH_RODATA, 3, lambda v: v + 8),
        "program headers",
        "Invalid ELF program header",
    ),
    (
        "code p_paddr",
        _program_field(PH_TEXT, 4, lambda v: v + 8),
        "program headers",
        "Invalid ELF program header",
    ),
    (
        "code gap",
        _program_field(PH_TEXT, 2, lambda v: v + 8),
        "program headers",
        "Invalid ELF program header",
    ),
    (
        "filesz != memsz",
        _program_field(PH_TEXT, 6, lambda v: v + 8),
        "program headers",
        "Invalid ELF program header",
    ),
    (
        "size not whole slots",
        _program_field(PH_RODATA, 5, lambda v: v - 4),
        "program headers",
        "Invalid ELF program header",
    ),
    (
        "code past the end",
        _program_field(PH_TEXT, 5, lambda v: v + 4096),
        "program headers",
        "Invalid ELF program header",
    ),
    ("e_entry unaligned", _unaligned_entry, "entrypoint", "invalid file header"),
    ("e_entry in read-only data", _set(24, "<Q", 8), "entrypoint", "invalid file header"),
    ("atomic instruction", _atomic, "code", "unknown eBPF opcode 0xdb"),
    ("indirect jump", _gotox, "code", "unknown eBPF opcode 0xd"),
]


@pytest.mark.parametrize(
    ("mutation", "rule", "loader_message"), [r[1:] for r in REJECTED], ids=[r[0] for r in REJECTED]
)
def test_broken_rule_is_rejected_by_the_deploy_path(
    good: bytes, mutation: Mutation, rule: str, loader_message: str
) -> None:
    assert_deploy_rejects(good, mutation, rule, loader_message, loader_rule_violation, check_loader_rules)


def test_callx_in_v0_encoding_deploys_but_calls_the_wrong_register(good: bytes) -> None:
    elf = read_shared_object(good)
    callx = [(pc, dst) for pc, op, dst, _s, _o, _imm in elf.instructions() if op == 0x8D]
    assert callx
    broken = bytearray(good)
    for pc, register in callx:
        struct.pack_into("<BBhi", broken, elf.section(".text").offset + 8 * pc, 0x8D, 0, 0, register)
    violation = loader_rule_violation(bytes(broken))
    assert violation is not None and violation[0] == "code" and "callx" in violation[1]
    program = deploy_program(bytes(broken))  # the verifier reads dst 0 as r0: accepted
    for op in (1, 8):
        with pytest.raises(TransactionFailed):
            program.invoke(op, 4)
    assert program.invoke(0, 10)[0] == 55


def test_internal_call_without_its_mark_deploys_but_fails_when_reached(good: bytes) -> None:
    elf = read_shared_object(good)
    at = _text_slot(elf, lambda op, src, _i: op == 0x85 and src == 1)
    broken = bytearray(good)
    broken[at + 1] = 0  # src 0: the VM looks the imm up as a syscall key
    violation = loader_rule_violation(bytes(broken))
    assert violation is not None and violation[0] == "code", violation
    program = deploy_program(bytes(broken))
    with pytest.raises(TransactionFailed):
        program.invoke(0, 10)


def test_unknown_syscall_key_deploys_but_fails_when_reached(good: bytes) -> None:
    elf = read_shared_object(good)
    at = _text_slot(elf, lambda op, src, _i: op == 0x85 and src == 0)
    broken = bytearray(good)
    struct.pack_into("<i", broken, at + 4, 0x1234567)
    violation = loader_rule_violation(bytes(broken))
    assert violation == (
        "code",
        f"instruction #{(at - elf.section('.text').offset) // 8} calls syscall key "
        "0x01234567, which no syscall has",
    )
    deploy_program(bytes(broken))  # static syscalls are resolved when called, not at deploy

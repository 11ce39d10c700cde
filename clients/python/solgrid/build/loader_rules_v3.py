"""The rules solana-sbpf's SBPFv3 loader and verifier apply to a program ELF, checked on finished bytes.

SBPFv3 programs are read by the strict parser of solana-sbpf 0.21 (``Executable::load_with_strict_parser``,
as embedded in agave 4.x): it reads the file header and the program headers, never the section headers,
and relocates nothing. Each rule below is one of its checks, or one of the verifier's for v3;
``check_loader_rules`` reports the first one an ELF breaks by name. The linker runs it on its own output,
so a linker bug surfaces at build time instead of as a deploy failure, and it works on any ``.so`` for
diagnosis.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from solgrid.build import sbpf
from solgrid.build.elf import (
    ELF_MAGIC,
    ELFCLASS64,
    ELFDATA2LSB,
    ELFOSABI_NONE,
    EM_BPF,
    EV_CURRENT,
    FILE_HEADER,
    PF_R,
    PF_X,
    PROGRAM_HEADER,
    PT_LOAD,
)
from solgrid.build.loader_rules import first_violation, raise_violation
from solgrid.build.sbpf import SbpfVersion
from solgrid.build.syscalls import DEPLOYABLE_SYSCALLS

MM_RODATA_START = 0
MM_BYTECODE_START = 1 << 32
MM_REGION_SIZE = 1 << 32
E_FLAGS_V3 = 3
SYSCALL_KEYS: dict[int, str] = {sbpf.symbol_key(name): name for name in sorted(DEPLOYABLE_SYSCALLS)}
"""The imm of a static syscall call -> the syscall's name."""


@dataclass(frozen=True)
class _Segment:
    type: int
    flags: int
    offset: int
    vaddr: int
    paddr: int
    filesz: int
    memsz: int


@dataclass(frozen=True)
class _Elf:
    blob: bytes
    ident: bytes
    machine: int
    version: int
    entry: int
    phoff: int
    flags: int
    ehsize: int
    phentsize: int
    phnum: int


def _parse(blob: bytes) -> _Elf | str:
    if len(blob) < FILE_HEADER.size:
        return f"the file is {len(blob)} bytes, shorter than an ELF header"
    header = FILE_HEADER.unpack_from(blob, 0)
    elf = _Elf(
        blob=blob,
        ident=header[0],
        machine=header[2],
        version=header[3],
        entry=header[4],
        phoff=header[5],
        flags=header[7],
        ehsize=header[8],
        phentsize=header[9],
        phnum=header[10],
    )
    return elf


def _file_header(elf: _Elf) -> str | None:
    """Magic, class, data, version, OS ABI, ABI version and padding; EM_BPF; header and table sizes."""
    ident = elf.ident
    if ident[:4] != ELF_MAGIC:
        return "not an ELF file"
    expected = (ELFCLASS64, ELFDATA2LSB, EV_CURRENT, ELFOSABI_NONE, 0)
    if tuple(ident[4:9]) != expected:
        return f"e_ident class/data/version/osabi/abiversion are {tuple(ident[4:9])}, expected {expected}"
    if ident[9:16] != bytes(7):
        return "e_ident padding is not zero"
    if elf.machine != EM_BPF:
        return f"e_machine is {elf.machine}; SBPFv3 needs EM_BPF ({EM_BPF})"
    if elf.version != EV_CURRENT:
        return f"e_version is {elf.version}, expected {EV_CURRENT}"
    if elf.phoff != FILE_HEADER.size:
        return (
            f"e_phoff is {elf.phoff}; the program headers must follow the file header at {FILE_HEADER.size}"
        )
    if (elf.ehsize, elf.phentsize) != (FILE_HEADER.size, PROGRAM_HEADER.size):
        return f"e_ehsize/e_phentsize are {elf.ehsize}/{elf.phentsize}, expected 64/56"
    if elf.phnum == 0:
        return "e_phnum is 0"
    if elf.phoff + elf.phnum * PROGRAM_HEADER.size > len(elf.blob):
        return "the program header table lies outside the file"
    return None


def _sbpf_version(elf: _Elf) -> str | None:
    if elf.flags != E_FLAGS_V3:
        return f"e_flags is {elf.flags:#x}; 3 selects SBPFv3"
    return None


def _segment(elf: _Elf, index: int) -> _Segment:
    raw = PROGRAM_HEADER.unpack_from(elf.blob, elf.phoff + index * PROGRAM_HEADER.size)
    p_type, p_flags, p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, _align = raw
    return _Segment(p_type, p_flags, p_offset, p_vaddr, p_paddr, p_filesz, p_memsz)


def _expected_segments(elf: _Elf) -> list[tuple[int, int]]:
    """(p_flags, p_vaddr) of the segments the loader expects: read-only data then code, or code alone.

    The loader takes the first program header for read-only data if its flags are exactly PF_R, and
    otherwise expects the code segment first.
    """
    if _segment(elf, 0).flags == PF_R:
        return [(PF_R, MM_RODATA_START), (PF_X, MM_BYTECODE_START)]
    return [(PF_X, MM_BYTECODE_START)]


def _program_headers(elf: _Elf) -> str | None:
    expected = _expected_segments(elf)
    if elf.phnum < len(expected):
        return "a read-only data segment without a code segment after it"
    at = elf.phoff + elf.phnum * PROGRAM_HEADER.size
    for index, (flags, vaddr) in enumerate(expected):
        segment = _segment(elf, index)
        what = "read-only data" if flags == PF_R else "code"
        if segment.type != PT_LOAD or segment.flags != flags:
            return (
                f"program header {index} ({what}) is type {segment.type} flags {segment.flags}, "
                f"not PT_LOAD {flags}"
            )
        if segment.offset != at:
            return (
                f"the {what} segment starts at offset {segment.offset:#x}, "
                f"not right after the previous one at {at:#x}"
            )
        if segment.offset >= len(elf.blob) or segment.filesz > len(elf.blob) - segment.offset:
            return f"the {what} segment lies outside the file"
        if segment.offset % sbpf.INSN_SIZE or segment.filesz % sbpf.INSN_SIZE:
            return f"the {what} segment's offset or size is not a multiple of {sbpf.INSN_SIZE}"
        if segment.vaddr != vaddr or segment.paddr != vaddr:
            return (
                f"the {what} segment is at p_vaddr {segment.vaddr:#x} / p_paddr {segment.paddr:#x}, "
                f"not {vaddr:#x}"
            )
        if segment.filesz != segment.memsz:
            return f"the {what} segment's p_filesz {segment.filesz} differs from its p_memsz {segment.memsz}"
        if segment.memsz >= MM_REGION_SIZE:
            return f"the {what} segment does not fit its 4 GiB region"
        at += segment.filesz
    if elf.phnum > len(expected):
        return f"{elf.phnum} program headers; the loader reads {len(expected)} and SolGrid writes no others"
    return None


def _code_segment(elf: _Elf) -> _Segment:
    return _segment(elf, len(_expected_segments(elf)) - 1)


def _entrypoint(elf: _Elf) -> str | None:
    code = _code_segment(elf)
    if not (code.vaddr <= elf.entry and elf.entry + sbpf.INSN_SIZE <= code.vaddr + code.memsz):
        return f"e_entry {elf.entry:#x} is not inside the code segment"
    if elf.entry % sbpf.INSN_SIZE:
        return f"e_entry {elf.entry:#x} is not a multiple of {sbpf.INSN_SIZE}"
    return None


def _code(elf: _Elf) -> str | None:
    segment = _code_segment(elf)
    code = elf.blob[segment.offset : segment.offset + segment.filesz]
    syscall_pcs = set()
    pc = 0
    while pc * sbpf.INSN_SIZE < len(code):
        insn = sbpf.decode(code, pc * sbpf.INSN_SIZE)
        if insn.opcode == sbpf.CALL and insn.src == 0:
            if insn.imm & 0xFFFFFFFF not in SYSCALL_KEYS:
                return (
                    f"instruction #{pc} calls syscall key {insn.imm & 0xFFFFFFFF:#010x}, which no syscall has"
                )
            syscall_pcs.add(pc)
        pc += 2 if insn.opcode == sbpf.LDDW else 1
    violation = sbpf.verify_text(code, frozenset(syscall_pcs), SbpfVersion.V3)
    if violation:
        return f"instruction #{violation.pc} {violation.reason}"
    return None


RULES: tuple[tuple[str, Callable[[_Elf], str | None]], ...] = (
    ("file header", _file_header),
    ("SBPF version", _sbpf_version),
    ("program headers", _program_headers),
    ("entrypoint", _entrypoint),
    ("code", _code),
)
"""Each rule in the order the loader meets them; later rules may assume the earlier ones hold."""


def loader_rule_violation(image: bytes) -> tuple[str, str] | None:
    """The first SBPFv3 loader rule ``image`` breaks as (rule, detail), or None if it would load."""
    elf = _parse(image)
    if isinstance(elf, str):
        return "file header", elf
    return first_violation(elf, RULES)


def check_loader_rules(image: bytes) -> None:
    """Raise LinkError naming the first SBPFv3 loader rule ``image`` breaks."""
    raise_violation(loader_rule_violation(image), "v3")

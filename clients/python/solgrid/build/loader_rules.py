"""The rules solana-sbpf's SBPFv0 loader and verifier apply to a program ELF, checked on finished bytes.

The deploy path (BPFLoaderUpgradeable, ``reject_broken_elfs = true``) parses an SBPFv0 ELF with the
lenient, section-header based parser, relocates it and runs the verifier. Each rule below is one of the
checks in solana-sbpf 0.10 (``elf_parser``, ``elf.rs``, ``verifier.rs``, as embedded in agave 2.2);
``check_loader_rules`` reports the first one an ELF breaks by name. The linker runs it on its own
output, so a linker bug surfaces at build time instead of as a deploy failure, and it works on any
``.so`` for diagnosis.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TypeVar

from solgrid.build import sbpf
from solgrid.build.elf import (
    DT_REL,
    DT_RELENT,
    DT_RELSZ,
    DT_SYMTAB,
    DYN,
    ELF_MAGIC,
    ELFCLASS64,
    ELFDATA2LSB,
    ELFOSABI_NONE,
    EM_BPF,
    ET_DYN,
    EV_CURRENT,
    FILE_HEADER,
    PROGRAM_HEADER,
    PT_DYNAMIC,
    PT_LOAD,
    REL,
    SECTION_HEADER,
    SHF_ALLOC,
    SHF_WRITE,
    SHT_DYNAMIC,
    SHT_DYNSYM,
    SHT_NOBITS,
    SHT_NULL,
    SHT_STRTAB,
    SHT_SYMTAB,
    STT_FUNC,
    SYMBOL,
    SectionHeader,
)
from solgrid.build.errors import LinkError
from solgrid.build.syscalls import DEPLOYABLE_SYSCALLS

EM_SBPF = 263
SECTION_NAME_LIMIT = 16
"""Bytes the loader reads for a section name, including its NUL: names are at most 15 characters."""
SYMBOL_NAME_LIMIT = 64
"""The same for dynamic symbol names: at most 63 characters."""
READ_ONLY_SECTIONS = (".text", ".rodata", ".data.rel.ro", ".eh_frame")
"""The sections the loader maps into the program's read-only region."""
KNOWN_RELOCATIONS = frozenset({0, 1, 8, 10})
R_BPF_64_32 = 10
T = TypeVar("T")


@dataclass(frozen=True)
class _Program:
    type: int
    flags: int
    offset: int
    vaddr: int
    filesz: int
    memsz: int


@dataclass(frozen=True)
class _Elf:
    blob: bytes
    ident: bytes
    type: int
    machine: int
    version: int
    entry: int
    phoff: int
    shoff: int
    flags: int
    ehsize: int
    phentsize: int
    shentsize: int
    programs: tuple[_Program, ...]
    sections: tuple[SectionHeader, ...]
    names: tuple[str | None, ...]
    """Section names as the loader reads them; None where that read fails (too long, not in the table)."""

    def named(self, name: str) -> list[SectionHeader]:
        return [s for s, n in zip(self.sections, self.names, strict=True) if n == name]

    def string(self, table: SectionHeader, offset: int, limit: int) -> str | None:
        """The loader's bounded string read: a NUL must occur within ``limit`` bytes and the table."""
        start = table.offset + offset
        end = min(table.offset + table.size, start + limit, len(self.blob))
        raw = self.blob[start:end]
        if table.type != SHT_STRTAB or b"\0" not in raw:
            return None
        return raw[: raw.index(b"\0")].decode("utf-8", errors="replace")


class _Unparsable(Exception):
    pass


def _parse(blob: bytes) -> _Elf:
    if len(blob) < FILE_HEADER.size or blob[:4] != ELF_MAGIC:
        raise _Unparsable("not an ELF file")
    header = FILE_HEADER.unpack_from(blob, 0)
    phoff, shoff, phnum, shnum, shstrndx = header[5], header[6], header[10], header[12], header[13]

    def table(offset: int, count: int, size: int, what: str) -> list[bytes]:
        if offset + count * size > len(blob):
            raise _Unparsable(f"{what} lies outside the file")
        return [blob[offset + i * size : offset + (i + 1) * size] for i in range(count)]

    programs = []
    for raw in table(phoff, phnum, PROGRAM_HEADER.size, "program header table"):
        p_type, p_flags, p_offset, p_vaddr, _paddr, p_filesz, p_memsz, _align = PROGRAM_HEADER.unpack(raw)
        programs.append(_Program(p_type, p_flags, p_offset, p_vaddr, p_filesz, p_memsz))
    sections = tuple(
        SectionHeader(*SECTION_HEADER.unpack(raw))
        for raw in table(shoff, shnum, SECTION_HEADER.size, "section header table")
    )
    if shstrndx >= len(sections):
        raise _Unparsable("e_shstrndx names no section")
    elf = _Elf(
        blob=blob,
        ident=header[0],
        type=header[1],
        machine=header[2],
        version=header[3],
        entry=header[4],
        phoff=phoff,
        shoff=shoff,
        flags=header[7],
        ehsize=header[8],
        phentsize=header[9],
        shentsize=header[11],
        programs=tuple(programs),
        sections=sections,
        names=(),
    )
    names = tuple(elf.string(sections[shstrndx], s.name, SECTION_NAME_LIMIT) for s in sections)
    return replace(elf, names=names)


def _file_header(elf: _Elf) -> str | None:
    expected = (ELFCLASS64, ELFDATA2LSB, EV_CURRENT, ELFOSABI_NONE)
    if tuple(elf.ident[4:8]) != expected:
        return f"e_ident class/data/version/osabi are {tuple(elf.ident[4:8])}, expected {expected}"
    if elf.machine not in (EM_BPF, EM_SBPF) or elf.type != ET_DYN or elf.version != EV_CURRENT:
        return (
            f"e_machine {elf.machine}, e_type {elf.type}, e_version {elf.version} (need BPF/SBPF, ET_DYN, 1)"
        )
    sizes = (elf.ehsize, elf.phentsize, elf.shentsize)
    if sizes != (FILE_HEADER.size, PROGRAM_HEADER.size, SECTION_HEADER.size):
        return f"header sizes {sizes}, expected (64, 56, 64)"
    return None


def _sbpf_version(elf: _Elf) -> str | None:
    return None if elf.flags == 0 else f"e_flags is {elf.flags:#x}; 0 selects SBPFv0"


def _null_section(elf: _Elf) -> str | None:
    return None if elf.sections and elf.sections[0].type == SHT_NULL else "section 0 is not SHT_NULL"


def _program_headers(elf: _Elf) -> str | None:
    vaddr = 0
    for program in elf.programs:
        if program.type != PT_LOAD:
            continue
        if program.vaddr < vaddr:
            return f"PT_LOAD at {program.vaddr:#x} follows one at {vaddr:#x} (must ascend)"
        if program.offset + program.filesz > len(elf.blob):
            return f"PT_LOAD at {program.offset:#x} extends past the end of the file"
        vaddr = program.vaddr
    return None


def _section_ranges(elf: _Elf) -> str | None:
    headers = [
        (0, FILE_HEADER.size),
        (elf.phoff, elf.phoff + len(elf.programs) * PROGRAM_HEADER.size),
        (elf.shoff, elf.shoff + len(elf.sections) * SECTION_HEADER.size),
    ]
    end = 0
    for index, section in enumerate(elf.sections):
        if section.type == SHT_NOBITS:
            continue
        start, stop = section.offset, section.offset + section.size
        if any(start < h_end and h_start < stop for h_start, h_end in headers):
            return f"section {index} [{start:#x}, {stop:#x}) overlaps the ELF headers or tables"
        if start < end:
            return f"section {index} starts at {start:#x}, before the previous one ends ({end:#x})"
        if stop > len(elf.blob):
            return f"section {index} ends at {stop:#x}, past the end of the file"
        end = stop
    return None


def _section_names(elf: _Elf) -> str | None:
    for index, name in enumerate(elf.names):
        if name is None:
            return f"the name of section {index} is longer than {SECTION_NAME_LIMIT - 1} bytes or unreadable"
    return None


def _unique_tables(elf: _Elf) -> str | None:
    for name in (".symtab", ".strtab", ".dynstr"):
        if len(elf.named(name)) > 1:
            return f"more than one {name} section"
    return None


def _one_text(elf: _Elf) -> str | None:
    count = len(elf.named(".text"))
    return None if count == 1 else f"{count} sections named .text (exactly one is required)"


def _entrypoint(elf: _Elf) -> str | None:
    text = elf.named(".text")[0]
    if not text.addr <= elf.entry < text.addr + text.size:
        return f"e_entry {elf.entry:#x} is outside .text [{text.addr:#x}, {text.addr + text.size:#x})"
    if (elf.entry - text.addr) % sbpf.INSN_SIZE:
        return f"e_entry {elf.entry:#x} is not on an instruction boundary"
    return None


def _no_writable_data(elf: _Elf) -> str | None:
    for section, name in zip(elf.sections, elf.names, strict=True):
        assert name is not None
        writable = section.flags & (SHF_ALLOC | SHF_WRITE) == SHF_ALLOC | SHF_WRITE
        if name.startswith(".bss") or (
            writable and name.startswith(".data") and not name.startswith(".data.rel")
        ):
            return f"writable section {name}"
    return None


def _read_only_region(elf: _Elf) -> str | None:
    sections = [s for s, n in zip(elf.sections, elf.names, strict=True) if n in READ_ONLY_SECTIONS]
    for section in sections:
        if section.addr != section.offset:
            return f"a read-only section has sh_addr {section.addr:#x} != sh_offset {section.offset:#x}"
        if section.addr + sbpf.MM_PROGRAM_START > sbpf.MM_STACK_START:
            return f"a read-only section at {section.addr:#x} would reach into the stack region"
    low = min(s.addr for s in sections)
    high = max(s.addr + s.size for s in sections)
    if low + sum(s.size for s in sections) > high:
        return "read-only sections overlap"
    return None


def _dynamic_table(elf: _Elf) -> dict[int, int] | str:
    dynamic = next((p for p in elf.programs if p.type == PT_DYNAMIC), None)
    if dynamic is not None:
        start, size = dynamic.offset, dynamic.filesz
    else:
        section = next((s for s in elf.sections if s.type == SHT_DYNAMIC), None)
        if section is None:
            return {}
        start, size = section.offset, section.size
    if size % DYN.size or start + size > len(elf.blob):
        return "the dynamic table is not a whole number of entries inside the file"
    table: dict[int, int] = {}
    for tag, value in DYN.iter_unpack(elf.blob[start : start + size]):
        if tag == 0:
            break
        if 0 < tag < 35:
            table[tag] = value
    return table


def _dynamic(elf: _Elf) -> str | None:
    table = _dynamic_table(elf)
    if isinstance(table, str):
        return table
    rel = table.get(DT_REL, 0)
    if rel:
        if table.get(DT_RELENT) != REL.size:
            return f"DT_RELENT is {table.get(DT_RELENT)}, not {REL.size}"
        if not table.get(DT_RELSZ):
            return "DT_RELSZ is 0 although DT_REL is set"
        if not any(p.type == PT_LOAD and p.vaddr <= rel < p.vaddr + p.memsz for p in elf.programs):
            return f"DT_REL {rel:#x} lies in no PT_LOAD segment"
    symtab = table.get(DT_SYMTAB, 0)
    if symtab:
        match = next((s for s in elf.sections if s.addr == symtab), None)
        if match is None or match.type not in (SHT_SYMTAB, SHT_DYNSYM):
            return f"DT_SYMTAB {symtab:#x} is not the sh_addr of a symbol table section"
    return None


@dataclass(frozen=True)
class _DynamicRelocation:
    offset: int
    type: int
    symbol_name: str | None
    symbol_is_function: bool
    symbol_value: int


def _dynamic_relocations(elf: _Elf) -> list[_DynamicRelocation]:
    table = _dynamic_table(elf)
    if isinstance(table, str) or not table.get(DT_REL):
        return []
    load = next(p for p in elf.programs if p.type == PT_LOAD and p.vaddr <= table[DT_REL] < p.vaddr + p.memsz)
    start = table[DT_REL] - load.vaddr + load.offset
    raw = elf.blob[start : start + table.get(DT_RELSZ, 0)]
    symtab = next(s for s in elf.sections if s.addr == table.get(DT_SYMTAB))
    strings = elf.named(".dynstr")
    result = []
    for offset, info in REL.iter_unpack(raw):
        index = info >> 32
        name, is_function, value = None, False, 0
        if (index + 1) * SYMBOL.size <= symtab.size:
            st_name, st_info, _other, _shndx, value, _size = SYMBOL.unpack_from(
                elf.blob, symtab.offset + index * SYMBOL.size
            )
            is_function = st_info & 0xF == STT_FUNC
            if strings:
                name = elf.string(strings[0], st_name, SYMBOL_NAME_LIMIT)
        result.append(_DynamicRelocation(offset, info & 0xFFFFFFFF, name, is_function, value))
    return result


def _dynamic_symbol_names(elf: _Elf) -> str | None:
    for section in elf.sections:
        if section.type != SHT_DYNSYM:
            continue
        strings = elf.named(".dynstr")
        for index, fields in enumerate(
            SYMBOL.iter_unpack(elf.blob[section.offset : section.offset + section.size])
        ):
            if fields[0] and (not strings or elf.string(strings[0], fields[0], SYMBOL_NAME_LIMIT) is None):
                limit = SYMBOL_NAME_LIMIT - 1
                return f"dynamic symbol {index}'s name is longer than {limit} bytes or unreadable"
    return None


def _relocations(elf: _Elf) -> str | None:
    text = elf.named(".text")[0]
    for relocation in _dynamic_relocations(elf):
        if relocation.type not in KNOWN_RELOCATIONS:
            return f"relocation type {relocation.type} at {relocation.offset:#x} is unknown to the loader"
        if relocation.type != R_BPF_64_32:
            continue
        if relocation.symbol_name is None:
            return f"the call relocation at {relocation.offset:#x} names no readable symbol"
        if relocation.symbol_is_function and relocation.symbol_value:
            if not text.addr <= relocation.symbol_value < text.addr + text.size:
                return f"call relocation to {relocation.symbol_name} outside .text"
        elif relocation.symbol_name not in DEPLOYABLE_SYSCALLS:
            return f"unresolved symbol {relocation.symbol_name} (not a syscall the deploy path registers)"
    return None


def _code(elf: _Elf) -> str | None:
    text = elf.named(".text")[0]
    code = elf.blob[text.offset : text.offset + text.size]
    relocated_calls = frozenset(
        (r.offset - text.offset) // sbpf.INSN_SIZE
        for r in _dynamic_relocations(elf)
        if r.type == R_BPF_64_32 and text.offset <= r.offset < text.offset + text.size
    )
    for pc in sorted(relocated_calls):
        if struct.unpack_from("<Bxxxi", code, pc * sbpf.INSN_SIZE) != (sbpf.CALL, -1):
            return f"call relocation at #{pc} is not on a `call -1`"
    violation = sbpf.verify_text(code, relocated_calls)
    if violation:
        return f"instruction #{violation.pc} {violation.reason}"
    entry_pc = (elf.entry - text.addr) // sbpf.INSN_SIZE
    return sbpf.call_key_collision(sbpf.call_targets(code, relocated_calls), entry_pc, DEPLOYABLE_SYSCALLS)


RULES: tuple[tuple[str, Callable[[_Elf], str | None]], ...] = (
    ("file header", _file_header),
    ("SBPF version", _sbpf_version),
    ("null section", _null_section),
    ("program header order", _program_headers),
    ("section ranges", _section_ranges),
    ("section names", _section_names),
    ("unique tables", _unique_tables),
    ("one .text", _one_text),
    ("entrypoint", _entrypoint),
    ("no writable data", _no_writable_data),
    ("read-only region", _read_only_region),
    ("dynamic table", _dynamic),
    ("dynamic symbol names", _dynamic_symbol_names),
    ("relocations", _relocations),
    ("code", _code),
)
"""Each rule in the order the loader meets them; later rules may assume the earlier ones hold."""


def first_violation(elf: T, rules: Sequence[tuple[str, Callable[[T], str | None]]]) -> tuple[str, str] | None:
    """The first of ``rules`` (checked in order) that ``elf`` breaks, as (rule, detail)."""
    for rule, check in rules:
        problem = check(elf)
        if problem:
            return rule, problem
    return None


def raise_violation(violation: tuple[str, str] | None, version: str) -> None:
    """LinkError naming the broken rule of the SBPF ``version`` loader, if there is one."""
    if violation:
        rule, detail = violation
        raise LinkError(f"the linked program breaks the SBPF{version} loader rule '{rule}': {detail}")


def loader_rule_violation(image: bytes) -> tuple[str, str] | None:
    """The first loader rule ``image`` breaks as (rule, detail), or None if it would load."""
    try:
        elf = _parse(image)
    except _Unparsable as error:
        return "file layout", str(error)
    return first_violation(elf, RULES)


def check_loader_rules(image: bytes) -> None:
    """Raise LinkError naming the first SBPFv0 loader rule ``image`` breaks."""
    raise_violation(loader_rule_violation(image), "v0")

"""ELF64 little-endian structures: reading the relocatable object llc writes, writing the shared object.

Only what the SBF linker needs is modelled. Input parsing checks every offset against the file size, so a
truncated or corrupt object fails with a LinkError instead of an IndexError deep inside the linker.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from solgrid.build.errors import LinkError

# e_ident and file header
ELF_MAGIC = b"\x7fELF"
ELFCLASS64 = 2
ELFDATA2LSB = 1
EV_CURRENT = 1
ELFOSABI_NONE = 0
ET_REL = 1
ET_DYN = 3
EM_BPF = 247

# Section header types and flags
SHT_NULL = 0
SHT_PROGBITS = 1
SHT_SYMTAB = 2
SHT_STRTAB = 3
SHT_RELA = 4
SHT_DYNAMIC = 6
SHT_NOBITS = 8
SHT_REL = 9
SHT_DYNSYM = 11
SHF_WRITE = 0x1
SHF_ALLOC = 0x2
SHF_EXECINSTR = 0x4
SHF_TLS = 0x400

# Special section indices
SHN_UNDEF = 0
SHN_LORESERVE = 0xFF00
SHN_ABS = 0xFFF1
SHN_COMMON = 0xFFF2

# Symbol binding and type
STB_LOCAL = 0
STB_GLOBAL = 1
STT_NOTYPE = 0
STT_OBJECT = 1
STT_FUNC = 2
STT_SECTION = 3

# Program header types and flags
PT_LOAD = 1
PT_DYNAMIC = 2
PF_X = 0x1
PF_R = 0x4

# Dynamic table tags
DT_NULL = 0
DT_STRTAB = 5
DT_SYMTAB = 6
DT_STRSZ = 10
DT_SYMENT = 11
DT_REL = 17
DT_RELSZ = 18
DT_RELENT = 19
DT_FLAGS = 30
DF_TEXTREL = 0x4

FILE_HEADER = struct.Struct("<16sHHIQQQIHHHHHH")
PROGRAM_HEADER = struct.Struct("<IIQQQQQQ")
SECTION_HEADER = struct.Struct("<IIQQQQIIQQ")
SYMBOL = struct.Struct("<IBBHQQ")
REL = struct.Struct("<QQ")
DYN = struct.Struct("<qQ")


@dataclass(frozen=True)
class SectionHeader:
    name: int
    type: int
    flags: int
    addr: int
    offset: int
    size: int
    link: int
    info: int
    addralign: int
    entsize: int

    def pack(self) -> bytes:
        return SECTION_HEADER.pack(
            self.name,
            self.type,
            self.flags,
            self.addr,
            self.offset,
            self.size,
            self.link,
            self.info,
            self.addralign,
            self.entsize,
        )


@dataclass(frozen=True)
class InputSection:
    """One section of the relocatable object, with its name resolved and its bytes sliced out."""

    index: int
    name: str
    header: SectionHeader
    data: bytes

    @property
    def flags(self) -> int:
        return self.header.flags

    @property
    def size(self) -> int:
        return self.header.size

    @property
    def alignment(self) -> int:
        return max(self.header.addralign, 1)


@dataclass(frozen=True)
class Symbol:
    index: int
    name: str
    bind: int
    type: int
    shndx: int
    value: int
    size: int

    @property
    def defined(self) -> bool:
        return self.shndx != SHN_UNDEF


@dataclass(frozen=True)
class Relocation:
    """An SHT_REL entry: the addend is implicit, stored in the bytes being relocated."""

    offset: int
    symbol: int
    type: int


@dataclass(frozen=True)
class RelocatableObject:
    sections: tuple[InputSection, ...]
    symbols: tuple[Symbol, ...]
    relocations: dict[int, tuple[Relocation, ...]]
    """Relocations keyed by the index of the section they patch."""


def _slice(blob: bytes, offset: int, size: int, what: str) -> bytes:
    if offset < 0 or size < 0 or offset + size > len(blob):
        raise LinkError(f"malformed object: {what} (offset {offset:#x}, {size} bytes) lies outside the file")
    return blob[offset : offset + size]


def cstring(table: bytes, offset: int) -> str:
    """The NUL-terminated string at ``offset`` of a string table."""
    end = table.find(b"\0", offset)
    if offset >= len(table) or end < 0:
        raise LinkError(f"malformed object: string offset {offset} outside its string table")
    return table[offset:end].decode("utf-8", errors="replace")


def parse_relocatable(blob: bytes) -> RelocatableObject:
    """Parse an ELF64 little-endian EM_BPF relocatable object (what ``llc -filetype=obj`` writes)."""
    if len(blob) < FILE_HEADER.size or blob[:4] != ELF_MAGIC:
        raise LinkError("input is not an ELF file")
    ident = blob[:16]
    if ident[4] != ELFCLASS64 or ident[5] != ELFDATA2LSB:
        raise LinkError("input is not a little-endian ELF64 object (expected llc -march=bpfel output)")
    fields = FILE_HEADER.unpack_from(blob, 0)
    e_type, e_machine = fields[1], fields[2]
    e_shoff, e_shentsize, e_shnum, e_shstrndx = fields[6], fields[11], fields[12], fields[13]
    if e_type != ET_REL or e_machine != EM_BPF:
        raise LinkError(f"input is not a relocatable eBPF object (e_type {e_type}, e_machine {e_machine})")
    if e_shentsize != SECTION_HEADER.size or e_shstrndx >= e_shnum:
        raise LinkError("malformed object: bad section header table")

    table = _slice(blob, e_shoff, e_shnum * SECTION_HEADER.size, "section header table")
    headers = [
        SectionHeader(*SECTION_HEADER.unpack_from(table, i * SECTION_HEADER.size)) for i in range(e_shnum)
    ]

    def contents(header: SectionHeader, what: str) -> bytes:
        if header.type == SHT_NOBITS:
            return b""
        return _slice(blob, header.offset, header.size, what)

    names = contents(headers[e_shstrndx], "section name table")
    sections = tuple(
        InputSection(i, cstring(names, h.name), h, contents(h, f"section {i}")) for i, h in enumerate(headers)
    )

    symbols: tuple[Symbol, ...] = ()
    for section in sections:
        if section.header.type == SHT_SYMTAB:
            if symbols:
                raise LinkError("malformed object: more than one symbol table")
            symbols = _parse_symbols(section, sections)

    relocations: dict[int, tuple[Relocation, ...]] = {}
    for section in sections:
        if section.header.type == SHT_RELA:
            raise LinkError(
                f"unsupported relocation section {section.name}: the BPF backend writes REL, not RELA"
            )
        if section.header.type == SHT_REL:
            target = section.header.info
            if not 0 < target < len(sections):
                raise LinkError(f"malformed object: {section.name} patches section {target}")
            entries = tuple(
                Relocation(offset, info >> 32, info & 0xFFFFFFFF)
                for offset, info in REL.iter_unpack(section.data)
            )
            for entry in entries:
                if entry.symbol >= len(symbols):
                    raise LinkError(f"malformed object: {section.name} names symbol {entry.symbol}")
            relocations[target] = relocations.get(target, ()) + entries
    return RelocatableObject(sections, symbols, relocations)


def _parse_symbols(symtab: InputSection, sections: tuple[InputSection, ...]) -> tuple[Symbol, ...]:
    if symtab.header.link >= len(sections) or len(symtab.data) % SYMBOL.size:
        raise LinkError("malformed object: bad symbol table")
    strings = sections[symtab.header.link].data
    symbols = []
    for index, (st_name, st_info, _other, shndx, value, size) in enumerate(SYMBOL.iter_unpack(symtab.data)):
        name = cstring(strings, st_name) if st_name else ""
        if st_info & 0xF == STT_SECTION and shndx < len(sections):
            name = sections[shndx].name
        symbols.append(Symbol(index, name, st_info >> 4, st_info & 0xF, shndx, value, size))
    return tuple(symbols)


class StringTable:
    """An ELF string table under construction: offset 0 is the empty string, equal names share an entry."""

    def __init__(self) -> None:
        self._blob = bytearray(b"\0")
        self._offsets: dict[str, int] = {"": 0}

    def add(self, name: str) -> int:
        if name not in self._offsets:
            self._offsets[name] = len(self._blob)
            self._blob += name.encode() + b"\0"
        return self._offsets[name]

    def __bytes__(self) -> bytes:
        return bytes(self._blob)


def pack_file_header(
    *, entry: int, phnum: int, shoff: int, shnum: int, shstrndx: int, e_flags: int = 0
) -> bytes:
    """An ET_DYN EM_BPF header; program headers follow it directly at offset 64."""
    ident = ELF_MAGIC + bytes([ELFCLASS64, ELFDATA2LSB, EV_CURRENT, ELFOSABI_NONE]) + bytes(8)
    return FILE_HEADER.pack(
        ident,
        ET_DYN,
        EM_BPF,
        EV_CURRENT,
        entry,
        FILE_HEADER.size,
        shoff,
        e_flags,
        FILE_HEADER.size,
        PROGRAM_HEADER.size,
        phnum,
        SECTION_HEADER.size,
        shnum,
        shstrndx,
    )


def pack_program_header(p_type: int, p_flags: int, offset: int, size: int, align: int = 8) -> bytes:
    """A segment whose virtual and physical address equal its file offset (the SBPFv0 layout)."""
    return PROGRAM_HEADER.pack(p_type, p_flags, offset, offset, offset, size, size, align)


def pack_symbol(*, name: int, bind: int, type: int, shndx: int, value: int, size: int = 0) -> bytes:
    return SYMBOL.pack(name, (bind << 4) | type, 0, shndx, value, size)

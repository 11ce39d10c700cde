"""The SBPFv3 program file: layout and writer.

SBPFv3 (solana-sbpf 0.21, agave 4.x; SIMD-0178, SIMD-0189, SIMD-0377) is what clusters deploy once
SIMD-0500 (``disable_sbpf_v0_v1_v2_deployment``) is active. It keeps SBPFv0's instructions and their
meaning, and changes how a program is loaded:

* The loader reads program headers only (the strict parser) and relocates nothing. Exactly two
  PT_LOAD segments, in this order and back to back from the end of the program header table: the
  read-only data (``PF_R``, mapped at VM address 0) and the code (``PF_X``, at ``0x1_0000_0000``),
  each a whole number of 8-byte slots with ``p_filesz == p_memsz`` and ``p_vaddr == p_paddr``. A
  program without read-only data has only the code segment.
* Calls are static (SIMD-0178): a syscall is ``call`` with src 0 and imm = murmur3 of its name, a
  call to the program's own code is ``call`` with src 1 and a pc-relative imm; there is no function
  table to register, so call targets cannot collide.
* ``callx`` reads its target from the dst register, where LLVM already puts it (SIMD-0377), and stack
  frames have no gaps.

The file::

    0x00   ELF header (e_flags 3, EM_BPF, e_phoff 64)
    0x40   program headers: PT_LOAD R (read-only data), PT_LOAD X (code)
    0xb0   read-only data: 8 reserved zero bytes, then every .rodata* / .data.rel.ro* section
           code: every input code section
           .shstrtab and section headers for .rodata and .text (ignored by the loader, read by tools)

The read-only data starts at VM address 0, so its first 8 bytes are reserved: no object may sit at the
null address, which the compiler assumes no object has.

``loader_rules_v3.check_loader_rules`` re-reads the output and checks the strict parser's rules
independently of how it was built.
"""

from __future__ import annotations

from solgrid.build import sbpf
from solgrid.build.elf import (
    FILE_HEADER,
    PF_R,
    PF_X,
    PROGRAM_HEADER,
    PT_LOAD,
    SECTION_HEADER,
    SHF_ALLOC,
    SHF_EXECINSTR,
    SHT_NULL,
    SHT_PROGBITS,
    SHT_STRTAB,
    SectionHeader,
    StringTable,
    pack_file_header,
)
from solgrid.build.link_image import Image, Plan, align, place_rodata, place_text

E_FLAGS = 3
"""``e_flags`` value that selects SBPFv3."""
MM_RODATA_START = 0
"""VM address of the read-only data segment's first byte."""
MM_BYTECODE_START = sbpf.MM_PROGRAM_START
"""VM address of the code segment's first byte."""
NULL_GUARD = 8
"""Zero bytes at the start of the read-only data, so that no object has the null address."""


def layout(plan: Plan) -> Image:
    """Read-only data at VM address 0 (after the null guard), code at ``0x1_0000_0000``."""
    text, placed = place_text(plan, MM_BYTECODE_START)
    rodata, placed_rodata = place_rodata(plan, MM_RODATA_START, reserved=NULL_GUARD)
    placed.update(placed_rodata)
    if len(rodata) == NULL_GUARD:
        rodata = bytearray()  # no read-only data: the program has only a code segment
    rodata += bytes(align(len(rodata), sbpf.INSN_SIZE) - len(rodata))
    return Image(
        MM_BYTECODE_START, text, MM_RODATA_START, rodata, placed, frozenset(s.index for s in plan.text)
    )


def prepare_syscall_call(text: bytearray, index: int, name: str) -> None:
    """A static syscall: src 0, imm = murmur3 of the name (as the loader's syscall table keys it)."""
    key = sbpf.symbol_key(name)
    sbpf.write_imm(text, index, key - (1 << 32) if key >= 1 << 31 else key)
    sbpf.write_regs(text, index, 0, 0)


def prepare_internal_call(text: bytearray, index: int) -> None:
    """A call into the program's own code carries src 1 (the pc-relative form)."""
    sbpf.write_regs(text, index, 0, sbpf.CALL_SRC_INTERNAL)


def write(image: Image, entry: int) -> bytes:
    """The SBPFv3 program for a relocated image whose entry point is at VM address ``entry``."""
    segments = []
    if image.rodata:
        segments.append((PF_R, MM_RODATA_START, bytes(image.rodata)))
    segments.append((PF_X, MM_BYTECODE_START, bytes(image.text)))
    offset = FILE_HEADER.size + len(segments) * PROGRAM_HEADER.size
    program_headers = b""
    body = bytearray()
    placed: list[tuple[str, int, int, int]] = []  # name, flags, VM address, file offset
    for flags, address, data in segments:
        program_headers += PROGRAM_HEADER.pack(
            PT_LOAD, flags, offset, address, address, len(data), len(data), 8
        )
        name = ".text" if flags == PF_X else ".rodata"
        section_flags = SHF_ALLOC | (SHF_EXECINSTR if flags == PF_X else 0)
        placed.append((name, section_flags, address, offset))
        body += data
        offset += len(data)

    names = StringTable()
    for name, *_ in placed:
        names.add(name)
    names.add(".shstrtab")
    shstrtab_offset = offset
    body += bytes(names)
    offset += len(bytes(names))
    shoff = align(offset, 8)
    body += bytes(shoff - offset)
    headers = [SectionHeader(0, SHT_NULL, 0, 0, 0, 0, 0, 0, 0, 0)]
    for (name, flags, address, start), (_f, _a, data) in zip(placed, segments, strict=True):
        headers.append(
            SectionHeader(names.add(name), SHT_PROGBITS, flags, address, start, len(data), 0, 0, 8, 0)
        )
    headers.append(
        SectionHeader(
            names.add(".shstrtab"), SHT_STRTAB, 0, 0, shstrtab_offset, len(bytes(names)), 0, 0, 1, 0
        )
    )
    body += b"".join(h.pack() for h in headers)
    assert len(body) + FILE_HEADER.size + len(program_headers) == shoff + len(headers) * SECTION_HEADER.size
    header = pack_file_header(
        entry=entry,
        phnum=len(segments),
        shoff=shoff,
        shnum=len(headers),
        shstrndx=len(headers) - 1,
        e_flags=E_FLAGS,
    )
    return header + program_headers + bytes(body)

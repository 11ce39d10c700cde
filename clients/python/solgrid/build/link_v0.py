"""The SBPFv0 program file: layout and writer.

The SBPFv0 VM maps ELF file offset X of the code and read-only data at ``0x1_0000_0000 + X``. Laying the
output out with file offset == ``sh_addr`` == ``p_vaddr`` therefore fixes every internal address at link
time; the loader is left only the calls to syscalls, as dynamic relocations against their names::

    0x000   ELF header, program headers
    .text     PT_LOAD R+X  every input code section (.text, .text.unlikely.*, ...) in input order
    .rodata   PT_LOAD R    every read-only data section (.rodata*, .data.rel.ro*) at its alignment
    .dynsym .dynstr .rel.dyn .dynamic
              PT_LOAD R    the dynamic metadata, plus PT_DYNAMIC over .dynamic
    .shstrtab, section header table (not loaded)

Where each rule of the solana-sbpf SBPFv0 loader (lenient parser, ``reject_broken_elfs``) is met:

* ELF64 LE, ET_DYN, EM_BPF, header sizes 64/56/64, ``e_flags`` 0 (= SBPFv0): ``elf.pack_file_header``.
* Section 0 is SHT_NULL; section and PT_LOAD ranges ascend and do not overlap the headers:
  ``_Output`` appends sections in address order after the program headers, section headers last.
* Section names (at most 15 bytes + NUL) and one each of .dynstr/.dynsym, no .symtab/.strtab: fixed
  names in ``_Output``; long input names such as ``.data.rel.ro.local`` are merged into .rodata.
* Exactly one ``.text``, ``sh_addr == sh_offset`` for it and for .rodata, read-only sections disjoint:
  ``layout``.
* DT_REL inside a PT_LOAD, DT_RELENT 16, DT_SYMTAB == ``sh_addr`` of .dynsym, dynamic symbol names
  under 64 bytes: ``_Output.finish`` (only syscall names and ``entrypoint`` are dynamic symbols).
* Relocation types: only ``R_BPF_64_32`` (10) against syscall names remains, each on a ``call -1``.

``loader_rules.check_loader_rules`` re-reads the output and checks the rules independently of how it was
built.
"""

from __future__ import annotations

from dataclasses import dataclass

from solgrid.build import link_image, sbpf
from solgrid.build.elf import (
    DF_TEXTREL,
    DT_FLAGS,
    DT_NULL,
    DT_REL,
    DT_RELENT,
    DT_RELSZ,
    DT_STRSZ,
    DT_STRTAB,
    DT_SYMENT,
    DT_SYMTAB,
    DYN,
    FILE_HEADER,
    PF_R,
    PF_X,
    PROGRAM_HEADER,
    PT_DYNAMIC,
    PT_LOAD,
    REL,
    SECTION_HEADER,
    SHF_ALLOC,
    SHF_EXECINSTR,
    SHT_DYNAMIC,
    SHT_DYNSYM,
    SHT_NULL,
    SHT_PROGBITS,
    SHT_REL,
    SHT_STRTAB,
    STB_GLOBAL,
    STT_FUNC,
    STT_NOTYPE,
    SYMBOL,
    SectionHeader,
    StringTable,
    pack_file_header,
    pack_program_header,
    pack_symbol,
)
from solgrid.build.link_image import (
    Image,
    Plan,
    SyscallSite,
    align,
    place_rodata,
    place_text,
    rodata_alignment,
)

ENTRY_SYMBOL = "entrypoint"
R_BPF_64_32 = 10


def layout(plan: Plan) -> Image:
    """Code right after the program headers, then read-only data; address = 0x1_0000_0000 + file offset."""
    phnum = 4 if any(s.size for s in plan.rodata) else 3  # .rodata gets a PT_LOAD only if non-empty
    text_offset = FILE_HEADER.size + phnum * PROGRAM_HEADER.size
    text, placed = place_text(plan, sbpf.MM_PROGRAM_START + text_offset)
    rodata_offset = align(text_offset + len(text), rodata_alignment(plan))
    rodata, placed_rodata = place_rodata(plan, sbpf.MM_PROGRAM_START + rodata_offset)
    placed.update(placed_rodata)
    code = frozenset(s.index for s in plan.text)
    return Image(
        sbpf.MM_PROGRAM_START + text_offset,
        text,
        sbpf.MM_PROGRAM_START + rodata_offset,
        rodata,
        placed,
        code,
    )


def prepare_syscall_call(text: bytearray, index: int, name: str) -> None:
    """A syscall stays a ``call -1`` that the loader patches through the dynamic relocation."""
    del name
    sbpf.write_imm(text, index, -1)
    sbpf.write_regs(text, index, 0, 0)


def reencode_callx(text: bytearray) -> None:
    """Move ``callx``'s register from dst (where LLVM puts it) to imm (where SBPFv0 reads it)."""
    at = 0
    while at < len(text):
        insn = sbpf.decode(text, at)
        if insn.opcode == sbpf.CALLX and insn.imm == 0 and insn.src == 0:
            sbpf.write_imm(text, at, insn.dst)
            sbpf.write_regs(text, at, 0, 0)
        at += 2 * sbpf.INSN_SIZE if insn.opcode == sbpf.LDDW else sbpf.INSN_SIZE


def _offset(address: int) -> int:
    """File offset of a VM address (SBPFv0 maps file offset X at 0x1_0000_0000 + X)."""
    return address - sbpf.MM_PROGRAM_START


def write(image: Image, syscall_sites: list[SyscallSite], entry: int) -> bytes:
    """The SBPFv0 shared object for a relocated image whose entry point is at VM address ``entry``."""
    return _Output(image, syscall_sites, entry).finish()


@dataclass(frozen=True)
class _OutSection:
    name: str
    type: int
    flags: int
    offset: int
    size: int
    align: int
    link: str = ""
    info: int = 0
    entsize: int = 0


class _Output:
    """Writes the shared object: loaded regions, dynamic metadata, section and program headers."""

    def __init__(self, image: Image, syscall_sites: list[SyscallSite], entry: int) -> None:
        self.image = image
        self.sites = sorted(syscall_sites, key=lambda site: site.address)
        self.entry = _offset(entry)
        self.text_offset = _offset(image.text_address)
        self.blob = bytearray(self.text_offset)
        self.sections: list[_OutSection] = [_OutSection("", SHT_NULL, 0, 0, 0, 0)]

    def _append(
        self,
        name: str,
        type: int,
        flags: int,
        data: bytes,
        align: int,
        *,
        link: str = "",
        info: int = 0,
        entsize: int = 0,
    ) -> _OutSection:
        self.blob += bytes(link_image.align(len(self.blob), align) - len(self.blob))
        section = _OutSection(name, type, flags, len(self.blob), len(data), align, link, info, entsize)
        self.sections.append(section)
        self.blob += data
        return section

    def finish(self) -> bytes:
        image = self.image
        text = self._append(
            ".text", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, bytes(image.text), sbpf.INSN_SIZE
        )
        assert text.offset == self.text_offset
        loads = [(PF_R | PF_X, text.offset, text.size)]
        if image.rodata:
            self.blob += bytes(_offset(image.rodata_address) - len(self.blob))
            rodata = self._append(".rodata", SHT_PROGBITS, SHF_ALLOC, bytes(image.rodata), 1)
            loads.append((PF_R, rodata.offset, rodata.size))

        dynstr = StringTable()
        names = sorted({site.name for site in self.sites})
        symbols = bytes(SYMBOL.size) + pack_symbol(
            name=dynstr.add(ENTRY_SYMBOL), bind=STB_GLOBAL, type=STT_FUNC, shndx=1, value=self.entry
        )
        for name in names:
            symbols += pack_symbol(name=dynstr.add(name), bind=STB_GLOBAL, type=STT_NOTYPE, shndx=0, value=0)
        index = {name: 2 + i for i, name in enumerate(names)}
        relocations = b"".join(
            REL.pack(_offset(site.address), index[site.name] << 32 | R_BPF_64_32) for site in self.sites
        )

        dynsym = self._append(
            ".dynsym", SHT_DYNSYM, SHF_ALLOC, symbols, 8, link=".dynstr", info=1, entsize=SYMBOL.size
        )
        strings = self._append(".dynstr", SHT_STRTAB, SHF_ALLOC, bytes(dynstr), 1)
        dynamic = [(DT_SYMTAB, dynsym.offset), (DT_SYMENT, SYMBOL.size), (DT_STRTAB, strings.offset)]
        dynamic.append((DT_STRSZ, strings.size))
        if relocations:
            rel = self._append(
                ".rel.dyn", SHT_REL, SHF_ALLOC, relocations, 8, link=".dynsym", entsize=REL.size
            )
            dynamic += [
                (DT_REL, rel.offset),
                (DT_RELSZ, rel.size),
                (DT_RELENT, REL.size),
                (DT_FLAGS, DF_TEXTREL),
            ]
        dynamic.append((DT_NULL, 0))
        table = b"".join(DYN.pack(tag, value) for tag, value in dynamic)
        dyn = self._append(".dynamic", SHT_DYNAMIC, SHF_ALLOC, table, 8, link=".dynstr", entsize=DYN.size)
        loads.append((PF_R, dynsym.offset, dyn.offset + dyn.size - dynsym.offset))

        shstrtab = StringTable()
        for section in self.sections:
            shstrtab.add(section.name)
        shstrtab.add(".shstrtab")
        self._append(".shstrtab", SHT_STRTAB, 0, bytes(shstrtab), 1)

        self.blob += bytes(align(len(self.blob), 8) - len(self.blob))
        shoff = len(self.blob)
        position = {section.name: i for i, section in enumerate(self.sections)}
        for section in self.sections:
            self.blob += SectionHeader(
                name=shstrtab.add(section.name),
                type=section.type,
                flags=section.flags,
                addr=section.offset if section.flags & SHF_ALLOC else 0,
                offset=section.offset,
                size=section.size,
                link=position[section.link] if section.link else 0,
                info=section.info,
                addralign=section.align,
                entsize=section.entsize,
            ).pack()
        assert len(self.blob) == shoff + len(self.sections) * SECTION_HEADER.size

        headers = [pack_program_header(PT_LOAD, flags, offset, size) for flags, offset, size in loads]
        headers.append(pack_program_header(PT_DYNAMIC, PF_R, dyn.offset, dyn.size))
        header = pack_file_header(
            entry=self.entry,
            phnum=len(headers),
            shoff=shoff,
            shnum=len(self.sections),
            shstrndx=position[".shstrtab"],
        )
        prefix = header + b"".join(headers)
        assert len(prefix) == self.text_offset, "program header count disagrees with the layout"
        self.blob[: len(prefix)] = prefix
        return bytes(self.blob)

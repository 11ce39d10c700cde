"""SolGrid's linker: one relocatable eBPF object (``llc -march=bpfel -mcpu=v2`` output) to an SBPFv0 program.

The SBPFv0 VM maps ELF file offset X of the code and read-only data at ``0x1_0000_0000 + X``. Laying the
output out with file offset == ``sh_addr`` == ``p_vaddr`` therefore fixes every internal address at link
time, so this linker resolves all of them itself and leaves the loader only the calls to syscalls::

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
  ``_layout``.
* ``e_entry`` inside .text and a multiple of 8: ``_entry_address``.
* No ``.bss`` and no writable ``.data``: ``_plan_sections`` rejects writable statics naming the symbol.
* DT_REL inside a PT_LOAD, DT_RELENT 16, DT_SYMTAB == ``sh_addr`` of .dynsym, dynamic symbol names
  under 64 bytes: ``_Output.finish`` (only syscall names and ``entrypoint`` are dynamic symbols).
* Relocation types: only ``R_BPF_64_32`` (10) against syscall names remains, each on a ``call -1``;
  ``_Linker.relocate`` resolves lddw (R_BPF_64_64), data pointers (R_BPF_64_ABS64) and calls to code
  statically and refuses relocation types it does not know.
* Syscalls the deploy path registers: ``_Linker.call`` against ``syscalls.DEPLOYABLE_SYSCALLS``.
* pc-relative calls land in .text and their loader keys do not collide: ``sbpf.verify_text`` and
  ``sbpf.call_key_collision``.
* The verifier's SBPFv0 instruction set (no ALU32, JMP32, atomics or cpu=v4 encodings; callx register in
  imm): ``_reencode_callx`` and ``sbpf.verify_text``.

Finally ``loader_rules.check_loader_rules`` re-reads the output and checks the rules independently of
how it was built. Output bytes depend only on the input bytes.
"""

from __future__ import annotations

import bisect
import struct
from dataclasses import dataclass

from solgrid.build import sbpf
from solgrid.build.demangle import demangle
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
    SHF_TLS,
    SHF_WRITE,
    SHN_COMMON,
    SHN_UNDEF,
    SHT_DYNAMIC,
    SHT_DYNSYM,
    SHT_NOBITS,
    SHT_NULL,
    SHT_PROGBITS,
    SHT_REL,
    SHT_STRTAB,
    STB_GLOBAL,
    STT_FUNC,
    STT_NOTYPE,
    STT_OBJECT,
    STT_SECTION,
    SYMBOL,
    InputSection,
    RelocatableObject,
    SectionHeader,
    StringTable,
    Symbol,
    pack_file_header,
    pack_program_header,
    pack_symbol,
    parse_relocatable,
)
from solgrid.build.errors import LinkError, UnsupportedCode
from solgrid.build.loader_rules import check_loader_rules
from solgrid.build.syscalls import DEPLOYABLE_SYSCALLS, RETIRED_SYSCALLS, syscall_for

ENTRY_SYMBOL = "entrypoint"

R_BPF_NONE = 0
R_BPF_64_64 = 1
R_BPF_64_ABS64 = 2
R_BPF_64_32 = 10
_RELOCATION_NAMES = {3: "R_BPF_64_ABS32", 4: "R_BPF_64_NODYLD32"}

_NOP = bytes([sbpf.JA]) + bytes(7)
"""``ja +0``, used to pad between code sections (padding must still decode as valid instructions)."""


def link_sbpf_v0(obj_bytes: bytes) -> bytes:
    """Link the relocatable eBPF object ``obj_bytes`` into an SBPFv0 shared object with entry ``entrypoint``.

    Raises UnsupportedCode (naming the function or static at fault) for code SBPFv0 cannot run, and
    LinkError for objects that are malformed or use something this linker does not understand.
    """
    obj = parse_relocatable(obj_bytes)
    plan = _plan_sections(obj)
    image = _layout(plan)
    linker = _Linker(obj, image)
    syscall_sites = linker.relocate()
    _reencode_callx(image.text)
    syscall_pcs = frozenset((site.offset - image.text_offset) // sbpf.INSN_SIZE for site in syscall_sites)
    violation = sbpf.verify_text(image.text, syscall_pcs)
    if violation:
        offset = image.text_offset + violation.pc * sbpf.INSN_SIZE
        raise UnsupportedCode(linker.locate(offset), f"{violation.reason} (instruction #{violation.pc})")
    entry = _entry_address(obj, image)
    collision = sbpf.call_key_collision(
        sbpf.call_targets(image.text, syscall_pcs),
        (entry - image.text_offset) // sbpf.INSN_SIZE,
        DEPLOYABLE_SYSCALLS | frozenset(RETIRED_SYSCALLS),
    )
    if collision:
        raise LinkError(f"the loader cannot register this program's functions: {collision}")
    so = _Output(image, syscall_sites, entry).finish()
    check_loader_rules(so)
    return so


# --- sections -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    text: tuple[InputSection, ...]
    rodata: tuple[InputSection, ...]


def _plan_sections(obj: RelocatableObject) -> _Plan:
    """Sort the loaded input sections into code and read-only data; refuse writable data.

    ``.eh_frame`` is dropped: programs are built with panic=abort and never unwind. Non-ALLOC sections
    (symbols, debug info, BTF, relocations) are not part of the program image.
    """
    text, rodata = [], []
    for section in obj.sections:
        if not section.flags & SHF_ALLOC or section.name.startswith(".eh_frame"):
            continue
        if section.flags & SHF_EXECINSTR:
            text.append(section)
        elif _is_writable_data(section):
            if section.size:
                _reject_writable(obj, section)
        else:
            rodata.append(section)
    for symbol in obj.symbols:
        if symbol.shndx == SHN_COMMON:
            raise UnsupportedCode(
                demangle(symbol.name),
                f"writable static {demangle(symbol.name)} ({symbol.size} bytes, common)",
            )
    if not text:
        raise LinkError("the object has no code (no executable section)")
    return _Plan(tuple(text), tuple(rodata))


def _is_writable_data(section: InputSection) -> bool:
    """Writable at run time: SBPFv0 maps the image read-only, so such data would not be writable there.

    ``.data.rel.ro*`` is writable only for a dynamic loader's relocations, which this linker applies; the
    program itself never writes it.
    """
    if section.flags & SHF_TLS or section.header.type == SHT_NOBITS:
        return True
    return bool(section.flags & SHF_WRITE) and not section.name.startswith(".data.rel.ro")


def _reject_writable(obj: RelocatableObject, section: InputSection) -> None:
    named = [
        s
        for s in obj.symbols
        if s.shndx == section.index and s.name and s.type not in (STT_SECTION, STT_FUNC)
    ]
    named.sort(key=lambda s: (s.type != STT_OBJECT, s.value))
    if not named:
        raise UnsupportedCode(section.name, f"writable static data ({section.size} bytes in {section.name})")
    first = demangle(named[0].name)
    others = [demangle(s.name) for s in named[1:4]]
    more = f"; also {', '.join(others)}" if others else ""
    raise UnsupportedCode(
        first,
        f"writable static {first} ({section.size} bytes in {section.name}{more}): SBPFv0 programs have no "
        "writable static data; keep mutable state in accounts or on the stack",
    )


@dataclass
class _Image:
    """The two loaded regions under construction, with where each input section landed."""

    text_offset: int
    text: bytearray
    rodata_offset: int
    rodata: bytearray
    placed: dict[int, int]
    """Input section index -> file offset (== address) in the output."""
    code_sections: frozenset[int]

    def region(self, offset: int, width: int) -> tuple[bytearray, int] | None:
        """The buffer holding file range [offset, offset + width) and the index of ``offset`` in it."""
        for start, buffer in ((self.text_offset, self.text), (self.rodata_offset, self.rodata)):
            if start <= offset and offset + width <= start + len(buffer):
                return buffer, offset - start
        return None


def _align(value: int, alignment: int) -> int:
    return -(-value // alignment) * alignment


def _layout(plan: _Plan) -> _Image:
    """Concatenate code after the program headers, then read-only data, each section at its alignment."""
    phnum = 4 if any(s.size for s in plan.rodata) else 3  # .rodata gets a PT_LOAD only if non-empty
    text_offset = FILE_HEADER.size + phnum * PROGRAM_HEADER.size
    text = bytearray()
    placed: dict[int, int] = {}
    for section in plan.text:
        if section.size % sbpf.INSN_SIZE:
            raise LinkError(f"code section {section.name} is {section.size} bytes, not whole instructions")
        while (text_offset + len(text)) % section.alignment:
            text += _NOP
        placed[section.index] = text_offset + len(text)
        text += section.data
    rodata_alignment = max([sbpf.INSN_SIZE, *(s.alignment for s in plan.rodata)])
    rodata_offset = _align(text_offset + len(text), rodata_alignment)
    rodata = bytearray()
    for section in plan.rodata:
        rodata += bytes(_align(len(rodata), section.alignment) - len(rodata))
        placed[section.index] = rodata_offset + len(rodata)
        rodata += section.data
    code = frozenset(s.index for s in plan.text)
    return _Image(text_offset, text, rodata_offset, rodata, placed, code)


def _reencode_callx(text: bytearray) -> None:
    """Move ``callx``'s register from dst (where LLVM puts it) to imm (where SBPFv0 reads it)."""
    at = 0
    while at < len(text):
        insn = sbpf.decode(text, at)
        if insn.opcode == sbpf.CALLX and insn.imm == 0 and insn.src == 0:
            sbpf.write_imm(text, at, insn.dst)
            sbpf.write_regs(text, at, 0, 0)
        at += 2 * sbpf.INSN_SIZE if insn.opcode == sbpf.LDDW else sbpf.INSN_SIZE


def _entry_address(obj: RelocatableObject, image: _Image) -> int:
    candidates = [s for s in obj.symbols if s.name == ENTRY_SYMBOL and s.defined]
    candidates.sort(key=lambda s: s.bind != STB_GLOBAL)
    if not candidates:
        raise LinkError(f"the object defines no `{ENTRY_SYMBOL}` function (the program's entry point)")
    symbol = candidates[0]
    if symbol.shndx not in image.code_sections:
        raise LinkError(f"`{ENTRY_SYMBOL}` is not code (it is in section {obj.sections[symbol.shndx].name})")
    address = image.placed[symbol.shndx] + symbol.value
    if address % sbpf.INSN_SIZE:
        raise LinkError(f"`{ENTRY_SYMBOL}` at {address:#x} is not instruction-aligned")
    return address


# --- relocation -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _SyscallSite:
    offset: int
    """File offset of the ``call -1`` the loader patches with the syscall's key."""
    name: str


class _Linker:
    """Applies the object's relocations to the laid-out image and names code for error messages."""

    def __init__(self, obj: RelocatableObject, image: _Image) -> None:
        self.obj = obj
        self.image = image
        located = sorted(
            (image.placed[s.shndx] + s.value, s.size, s.name)
            for s in obj.symbols
            if s.name and s.type in (STT_FUNC, STT_OBJECT) and s.shndx in image.placed
        )
        self._starts = [start for start, _size, _name in located]
        self._located = located

    def locate(self, offset: int) -> str:
        """The (readable) function or static containing file offset ``offset``."""
        index = bisect.bisect_right(self._starts, offset) - 1
        while index >= 0:
            start, size, name = self._located[index]
            if offset < start + max(size, 1) or size == 0:
                return demangle(name)
            index -= 1
        return f"offset {offset:#x}"

    def relocate(self) -> list[_SyscallSite]:
        """Resolve every relocation of a loaded section; return the calls left to the loader (syscalls)."""
        sites = []
        for section_index, relocations in sorted(self.obj.relocations.items()):
            base = self.image.placed.get(section_index)
            if base is None:
                continue  # relocations of .eh_frame, debug info, BTF: not part of the image
            section = self.obj.sections[section_index]
            for relocation in relocations:
                symbol = self.obj.symbols[relocation.symbol]
                at = base + relocation.offset
                if relocation.type == R_BPF_NONE:
                    continue
                if relocation.type == R_BPF_64_32:
                    site = self.call(at, symbol, section)
                    if site:
                        sites.append(site)
                elif relocation.type == R_BPF_64_64:
                    self.lddw(at, symbol, section)
                elif relocation.type == R_BPF_64_ABS64:
                    self.abs64(at, symbol, section)
                else:
                    kind = _RELOCATION_NAMES.get(relocation.type, "unknown relocation type")
                    raise LinkError(
                        f"{self.locate(at)}: {kind} ({relocation.type}) against {demangle(symbol.name)!r} "
                        f"in {section.name} is not supported"
                    )
        return sites

    def _instruction(self, at: int, width: int, section: InputSection, opcode: int, kind: str) -> int:
        """Index in .text of the instruction a relocation patches, checking that it is the expected one."""
        if section.index not in self.image.code_sections or at + width > self.image.text_offset + len(
            self.image.text
        ):
            raise LinkError(f"{self.locate(at)}: {kind} relocation in non-code section {section.name}")
        k = at - self.image.text_offset
        if self.image.text[k] != opcode:
            raise LinkError(
                f"{self.locate(at)}: {kind} relocation at {at:#x} is not on a {opcode:#04x} instruction"
            )
        return k

    def target(self, symbol: Symbol, at: int) -> int:
        """Output address of a defined symbol."""
        if symbol.shndx not in self.image.placed:
            section = self.obj.sections[symbol.shndx].name if symbol.shndx < len(self.obj.sections) else "?"
            raise LinkError(
                f"{self.locate(at)}: refers to {demangle(symbol.name)!r} in {section}, which is not loaded"
            )
        return self.image.placed[symbol.shndx] + symbol.value

    def call(self, at: int, symbol: Symbol, section: InputSection) -> _SyscallSite | None:
        """R_BPF_64_32 on ``call``: pc-relative to defined code, or left to the loader for a syscall."""
        k = self._instruction(at, sbpf.INSN_SIZE, section, sbpf.CALL, "call")
        text = self.image.text
        if symbol.shndx == SHN_UNDEF:
            name = syscall_for(symbol.name)
            if name in RETIRED_SYSCALLS:
                raise UnsupportedCode(self.locate(at), f"calls syscall {name}: {RETIRED_SYSCALLS[name]}")
            if name not in DEPLOYABLE_SYSCALLS:
                raise UnsupportedCode(
                    self.locate(at),
                    f"calls {demangle(symbol.name)!r}, which is neither defined in the program nor a Solana "
                    "syscall",
                )
            sbpf.write_imm(text, k, -1)
            sbpf.write_regs(text, k, 0, 0)
            return _SyscallSite(at, name)
        if symbol.shndx not in self.image.code_sections:
            raise LinkError(f"{self.locate(at)}: calls {demangle(symbol.name)!r}, which is not code")
        imm = sbpf.decode(text, k).imm
        destination = self.target(symbol, at) + (imm + 1) * sbpf.INSN_SIZE
        if not self.image.text_offset <= destination < self.image.text_offset + len(text):
            raise LinkError(f"{self.locate(at)}: call to {demangle(symbol.name)!r} lands outside the code")
        sbpf.write_imm(text, k, (destination - at) // sbpf.INSN_SIZE - 1)
        return None

    def lddw(self, at: int, symbol: Symbol, section: InputSection) -> None:
        """R_BPF_64_64 on ``lddw``: the symbol's absolute VM address plus the addend held in imm."""
        k = self._instruction(at, 2 * sbpf.INSN_SIZE, section, sbpf.LDDW, "lddw")
        if symbol.shndx == SHN_UNDEF:
            self._undefined_data(at, symbol)
        text = self.image.text
        low, high = struct.unpack_from("<I", text, k + 4)[0], struct.unpack_from("<I", text, k + 12)[0]
        value = (sbpf.MM_PROGRAM_START + self.target(symbol, at) + (high << 32 | low)) & (2**64 - 1)
        struct.pack_into("<I", text, k + 4, value & 0xFFFFFFFF)
        struct.pack_into("<I", text, k + 12, value >> 32)

    def abs64(self, at: int, symbol: Symbol, section: InputSection) -> None:
        """R_BPF_64_ABS64 in data (vtables, fn pointers, &str): absolute VM address plus the stored addend."""
        if section.index in self.image.code_sections:
            raise LinkError(f"{self.locate(at)}: 64-bit data relocation inside code section {section.name}")
        if symbol.shndx == SHN_UNDEF:
            self._undefined_data(at, symbol)
        where = self.image.region(at, 8)
        if where is None:
            raise LinkError(f"{self.locate(at)}: data relocation at {at:#x} outside its section")
        buffer, k = where
        addend = struct.unpack_from("<Q", buffer, k)[0]
        value = (sbpf.MM_PROGRAM_START + self.target(symbol, at) + addend) & (2**64 - 1)
        struct.pack_into("<Q", buffer, k, value)

    def _undefined_data(self, at: int, symbol: Symbol) -> None:
        name = demangle(symbol.name)
        if syscall_for(symbol.name) in DEPLOYABLE_SYSCALLS:
            raise UnsupportedCode(
                self.locate(at),
                f"takes the address of syscall {name}; SBPFv0 syscalls have no address, only calls",
            )
        raise UnsupportedCode(self.locate(at), f"refers to {name!r}, which is not defined in the program")


# --- output ---------------------------------------------------------------------------------------------


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

    def __init__(self, image: _Image, syscall_sites: list[_SyscallSite], entry: int) -> None:
        self.image = image
        self.sites = sorted(syscall_sites, key=lambda site: site.offset)
        self.entry = entry
        self.blob = bytearray(image.text_offset)
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
        self.blob += bytes(_align(len(self.blob), align) - len(self.blob))
        section = _OutSection(name, type, flags, len(self.blob), len(data), align, link, info, entsize)
        self.sections.append(section)
        self.blob += data
        return section

    def finish(self) -> bytes:
        image = self.image
        text = self._append(
            ".text", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, bytes(image.text), sbpf.INSN_SIZE
        )
        assert text.offset == image.text_offset
        loads = [(PF_R | PF_X, text.offset, text.size)]
        if image.rodata:
            self.blob += bytes(image.rodata_offset - len(self.blob))
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
            REL.pack(site.offset, index[site.name] << 32 | R_BPF_64_32) for site in self.sites
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

        self.blob += bytes(_align(len(self.blob), 8) - len(self.blob))
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
        assert len(prefix) == image.text_offset, "program header count disagrees with the layout"
        self.blob[: len(prefix)] = prefix
        return bytes(self.blob)

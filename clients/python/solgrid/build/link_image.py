"""The program image the linker builds: which input sections are code and which read-only data, and where
each lands in the VM's address space.

Both SBPF versions the linker writes map code and read-only data at fixed VM addresses known at link
time, so every internal reference is resolved by the linker itself. Only the placement differs:

* SBPFv0 maps the whole file at ``0x1_0000_0000``, so an address is that base plus the file offset
  (``link_v0``);
* SBPFv3 maps the read-only data segment at address 0 and the code segment at ``0x1_0000_0000``, each
  independent of where it sits in the file (``link_v3``).

An ``Image`` holds the two regions as buffers with the VM address of their first byte; relocation
(``link``) patches them in place, and the version's writer lays them out in the file.
"""

from __future__ import annotations

from dataclasses import dataclass

from solgrid.build import sbpf
from solgrid.build.demangle import demangle
from solgrid.build.elf import (
    SHF_ALLOC,
    SHF_EXECINSTR,
    SHF_TLS,
    SHF_WRITE,
    SHN_COMMON,
    SHT_NOBITS,
    STT_FUNC,
    STT_OBJECT,
    STT_SECTION,
    InputSection,
    RelocatableObject,
)
from solgrid.build.errors import LinkError, UnsupportedCode

NOP = bytes([sbpf.JA]) + bytes(7)
"""``ja +0``, used to pad between code sections (padding must still decode as valid instructions)."""


@dataclass(frozen=True)
class Plan:
    """The loaded input sections, in input order: code, and read-only data."""

    text: tuple[InputSection, ...]
    rodata: tuple[InputSection, ...]


def plan_sections(obj: RelocatableObject) -> Plan:
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
    return Plan(tuple(text), tuple(rodata))


def _is_writable_data(section: InputSection) -> bool:
    """Writable at run time: SBPF maps the program image read-only, so such data would not be writable.

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
        f"writable static {first} ({section.size} bytes in {section.name}{more}): SBPF programs have no "
        "writable static data; keep mutable state in accounts or on the stack",
    )


@dataclass
class Image:
    """The two loaded regions under construction, with where each input section landed."""

    text_address: int
    """VM address of ``text[0]``."""
    text: bytearray
    rodata_address: int
    """VM address of ``rodata[0]``."""
    rodata: bytearray
    placed: dict[int, int]
    """Input section index -> VM address of its first byte."""
    code_sections: frozenset[int]

    def region(self, address: int, width: int) -> tuple[bytearray, int] | None:
        """The buffer holding VM range [address, address + width) and the index of ``address`` in it."""
        for start, buffer in ((self.text_address, self.text), (self.rodata_address, self.rodata)):
            if start <= address and address + width <= start + len(buffer):
                return buffer, address - start
        return None

    def text_index(self, address: int) -> int:
        """Index in ``text`` of the code at VM ``address``."""
        return address - self.text_address


def align(value: int, alignment: int) -> int:
    return -(-value // alignment) * alignment


def place_text(plan: Plan, text_address: int) -> tuple[bytearray, dict[int, int]]:
    """Concatenate the code sections from ``text_address`` on, each at its alignment.

    Padding between sections is ``ja +0``, so that it still decodes as valid instructions.
    """
    text = bytearray()
    placed: dict[int, int] = {}
    for section in plan.text:
        if section.size % sbpf.INSN_SIZE:
            raise LinkError(f"code section {section.name} is {section.size} bytes, not whole instructions")
        while (text_address + len(text)) % section.alignment:
            text += NOP
        placed[section.index] = text_address + len(text)
        text += section.data
    return text, placed


def place_rodata(plan: Plan, rodata_address: int, reserved: int = 0) -> tuple[bytearray, dict[int, int]]:
    """Concatenate the read-only data sections after ``reserved`` zero bytes, each at its alignment.

    ``rodata_address`` must be aligned to the largest section alignment (``rodata_alignment``).
    """
    rodata = bytearray(reserved)
    placed: dict[int, int] = {}
    for section in plan.rodata:
        rodata += bytes(align(len(rodata), section.alignment) - len(rodata))
        placed[section.index] = rodata_address + len(rodata)
        rodata += section.data
    return rodata, placed


def rodata_alignment(plan: Plan) -> int:
    return max([sbpf.INSN_SIZE, *(s.alignment for s in plan.rodata)])


@dataclass(frozen=True)
class SyscallSite:
    address: int
    """VM address of the ``call`` that invokes the syscall."""
    name: str

"""SolGrid's linker: one relocatable eBPF object (``llc -march=bpfel -mcpu=v2`` output) to an SBPF program.

Two program formats are written, both loadable by the BPF upgradeable loader with its deploy-time checks:

* **SBPFv3** (default, ``link_v3``): what agave 4.x clusters deploy once SIMD-0500 is active (a default
  ``solana-test-validator`` 4.x has it), and what agave 4.x runtimes execute;
* **SBPFv0** (``link_v0``): for runtimes before agave 4.x (solders 0.26's LiteSVM, agave 2.x
  validators), which do not know v3. Clusters with SIMD-0500 still run v0 programs deployed earlier but
  refuse new v0 deployments.

Both share the instructions llc emits, so the linker's work is the same up to the file: sort the input
sections into code and read-only data and refuse writable statics (``link_image``), place them at the VM
addresses the version maps them at, resolve every relocation statically (lddw and data pointers to
absolute VM addresses, calls to the program's own code pc-relative), encode syscall calls the way the
version expects, check every instruction against the version's verifier (``sbpf.verify_text``), then
write the file. Finally the version's loader rules re-read the output and check it independently of how
it was built (``loader_rules`` for v0, ``loader_rules_v3`` for v3). Output bytes depend only on the input
bytes and the version.
"""

from __future__ import annotations

import bisect
import struct

from solgrid.build import link_v0, link_v3, loader_rules, loader_rules_v3, sbpf
from solgrid.build.demangle import demangle
from solgrid.build.elf import (
    SHN_UNDEF,
    STB_GLOBAL,
    STT_FUNC,
    STT_OBJECT,
    InputSection,
    RelocatableObject,
    Symbol,
    parse_relocatable,
)
from solgrid.build.errors import LinkError, UnsupportedCode
from solgrid.build.link_image import Image, SyscallSite, plan_sections
from solgrid.build.sbpf import SbpfVersion
from solgrid.build.syscalls import DEPLOYABLE_SYSCALLS, RETIRED_SYSCALLS, syscall_for

ENTRY_SYMBOL = "entrypoint"

R_BPF_NONE = 0
R_BPF_64_64 = 1
R_BPF_64_ABS64 = 2
R_BPF_64_32 = 10
_RELOCATION_NAMES = {3: "R_BPF_64_ABS32", 4: "R_BPF_64_NODYLD32"}


def link_sbpf(obj_bytes: bytes, version: SbpfVersion = SbpfVersion.V3) -> bytes:
    """Link the relocatable eBPF object ``obj_bytes`` into an SBPF program of ``version``.

    The entry point is the function ``entrypoint``.

    Raises UnsupportedCode (naming the function or static at fault) for code SBPF cannot run, and
    LinkError for objects that are malformed or use something this linker does not understand.
    """
    obj = parse_relocatable(obj_bytes)
    plan = plan_sections(obj)
    image = link_v3.layout(plan) if version is SbpfVersion.V3 else link_v0.layout(plan)
    linker = _Linker(obj, image, version)
    syscall_sites = linker.relocate()
    if version is SbpfVersion.V0:
        link_v0.reencode_callx(image.text)
    syscall_pcs = frozenset(image.text_index(site.address) // sbpf.INSN_SIZE for site in syscall_sites)
    violation = sbpf.verify_text(image.text, syscall_pcs, version)
    if violation:
        address = image.text_address + violation.pc * sbpf.INSN_SIZE
        raise UnsupportedCode(linker.locate(address), f"{violation.reason} (instruction #{violation.pc})")
    entry = _entry_address(obj, image)
    if version is SbpfVersion.V3:
        so = link_v3.write(image, entry)
        loader_rules_v3.check_loader_rules(so)
        return so
    collision = sbpf.call_key_collision(
        sbpf.call_targets(image.text, syscall_pcs),
        image.text_index(entry) // sbpf.INSN_SIZE,
        DEPLOYABLE_SYSCALLS | frozenset(RETIRED_SYSCALLS),
    )
    if collision:
        raise LinkError(f"the loader cannot register this program's functions: {collision}")
    so = link_v0.write(image, syscall_sites, entry)
    loader_rules.check_loader_rules(so)
    return so


def link_sbpf_v0(obj_bytes: bytes) -> bytes:
    """``link_sbpf`` for SBPFv0 (runtimes before agave 4.x)."""
    return link_sbpf(obj_bytes, SbpfVersion.V0)


def link_sbpf_v3(obj_bytes: bytes) -> bytes:
    """``link_sbpf`` for SBPFv3 (agave 4.x clusters)."""
    return link_sbpf(obj_bytes, SbpfVersion.V3)


def _entry_address(obj: RelocatableObject, image: Image) -> int:
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


class _Linker:
    """Applies the object's relocations to the placed image and names code for error messages.

    Addresses are VM addresses throughout: where a section landed (``Image.placed``) is where the
    program sees it.
    """

    def __init__(self, obj: RelocatableObject, image: Image, version: SbpfVersion) -> None:
        self.obj = obj
        self.image = image
        self.version = version
        located = sorted(
            (image.placed[s.shndx] + s.value, s.size, s.name)
            for s in obj.symbols
            if s.name and s.type in (STT_FUNC, STT_OBJECT) and s.shndx in image.placed
        )
        self._starts = [start for start, _size, _name in located]
        self._located = located

    def locate(self, address: int) -> str:
        """The (readable) function or static containing VM address ``address``."""
        index = bisect.bisect_right(self._starts, address) - 1
        while index >= 0:
            start, size, name = self._located[index]
            if address < start + max(size, 1) or size == 0:
                return demangle(name)
            index -= 1
        return f"address {address:#x}"

    def relocate(self) -> list[SyscallSite]:
        """Resolve every relocation of a loaded section; return the calls to syscalls."""
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
        """Index in the code of the instruction a relocation patches, checking that it is the expected one."""
        k = self.image.text_index(at)
        if section.index not in self.image.code_sections or k + width > len(self.image.text):
            raise LinkError(f"{self.locate(at)}: {kind} relocation in non-code section {section.name}")
        if self.image.text[k] != opcode:
            raise LinkError(
                f"{self.locate(at)}: {kind} relocation at {at:#x} is not on a {opcode:#04x} instruction"
            )
        return k

    def target(self, symbol: Symbol, at: int) -> int:
        """VM address of a defined symbol."""
        if symbol.shndx not in self.image.placed:
            section = self.obj.sections[symbol.shndx].name if symbol.shndx < len(self.obj.sections) else "?"
            raise LinkError(
                f"{self.locate(at)}: refers to {demangle(symbol.name)!r} in {section}, which is not loaded"
            )
        return self.image.placed[symbol.shndx] + symbol.value

    def call(self, at: int, symbol: Symbol, section: InputSection) -> SyscallSite | None:
        """R_BPF_64_32 on ``call``: pc-relative to defined code, or a syscall by name."""
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
            if self.version is SbpfVersion.V3:
                link_v3.prepare_syscall_call(text, k, name)
            else:
                link_v0.prepare_syscall_call(text, k, name)
            return SyscallSite(at, name)
        if symbol.shndx not in self.image.code_sections:
            raise LinkError(f"{self.locate(at)}: calls {demangle(symbol.name)!r}, which is not code")
        imm = sbpf.decode(text, k).imm
        destination = self.target(symbol, at) + (imm + 1) * sbpf.INSN_SIZE
        if not self.image.text_address <= destination < self.image.text_address + len(text):
            raise LinkError(f"{self.locate(at)}: call to {demangle(symbol.name)!r} lands outside the code")
        sbpf.write_imm(text, k, (destination - at) // sbpf.INSN_SIZE - 1)
        if self.version is SbpfVersion.V3:
            link_v3.prepare_internal_call(text, k)
        return None

    def lddw(self, at: int, symbol: Symbol, section: InputSection) -> None:
        """R_BPF_64_64 on ``lddw``: the symbol's absolute VM address plus the addend held in imm."""
        k = self._instruction(at, 2 * sbpf.INSN_SIZE, section, sbpf.LDDW, "lddw")
        if symbol.shndx == SHN_UNDEF:
            self._undefined_data(at, symbol)
        text = self.image.text
        low, high = struct.unpack_from("<I", text, k + 4)[0], struct.unpack_from("<I", text, k + 12)[0]
        value = (self.target(symbol, at) + (high << 32 | low)) & (2**64 - 1)
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
        value = (self.target(symbol, at) + addend) & (2**64 - 1)
        struct.pack_into("<Q", buffer, k, value)

    def _undefined_data(self, at: int, symbol: Symbol) -> None:
        name = demangle(symbol.name)
        if syscall_for(symbol.name) in DEPLOYABLE_SYSCALLS:
            raise UnsupportedCode(
                self.locate(at),
                f"takes the address of syscall {name}; SBPF syscalls have no address, only calls",
            )
        raise UnsupportedCode(self.locate(at), f"refers to {name!r}, which is not defined in the program")

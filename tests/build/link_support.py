"""Helpers for the linker tests: compile IR fixtures with llc, read shared objects, deploy and invoke.

The ELF reader here is deliberately independent of ``solgrid.build.elf``/``loader_rules``: the tests
check the linker's output against the loader rules with code that shares nothing with the linker.
"""

from __future__ import annotations

import functools
import os
import struct
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from solgrid.build.errors import LinkError
from solgrid.localnet.engine import Engine
from solgrid.localnet.svm import TransactionFailed, deploy, features_blocking_deploy, new_svm, send

FIXTURES = Path(__file__).parent / "link_fixtures"
LLC = Path(os.environ.get("SOLGRID_LLVM_BIN", "/usr/lib/llvm-22/bin")) / "llc"
PIPELINE_LLC_FLAGS = ("-march=bpfel", "-mattr=+allows-misaligned-mem-access", "-bpf-stack-size=4096")

requires_llc = pytest.mark.skipif(not LLC.is_file(), reason=f"LLVM 22 llc not installed at {LLC}")


@functools.cache
def compile_ir(source: str, cpu: str = "v2", extra: tuple[str, ...] = ()) -> bytes:
    """llc the IR text to a relocatable eBPF object, with the pipeline's flags (cpu and extras vary)."""
    result = subprocess.run(
        [str(LLC), *PIPELINE_LLC_FLAGS, f"-mcpu={cpu}", *extra, "-filetype=obj", "-", "-o", "-"],
        input=source.encode(),
        capture_output=True,
        check=False,
    )
    if result.returncode:
        raise AssertionError(f"llc failed: {result.stderr.decode()}")
    return result.stdout


def fixture_object(name: str, cpu: str = "v2", extra: tuple[str, ...] = ()) -> bytes:
    return compile_ir((FIXTURES / name).read_text(), cpu, extra)


# --- an independent, minimal ELF64 LE reader ------------------------------------------------------------


@dataclass(frozen=True)
class Section:
    index: int
    name: str
    raw_name: bytes
    """Bytes from sh_name up to (not including) the NUL, however long."""
    name_offset: int
    type: int
    flags: int
    addr: int
    offset: int
    size: int
    link: int
    info: int
    align: int
    entsize: int


@dataclass(frozen=True)
class Segment:
    type: int
    flags: int
    offset: int
    vaddr: int
    paddr: int
    filesz: int
    memsz: int


@dataclass(frozen=True)
class DynamicSymbol:
    name: str
    bind: int
    type: int
    shndx: int
    value: int


@dataclass(frozen=True)
class DynamicRelocation:
    offset: int
    type: int
    symbol: DynamicSymbol


@dataclass(frozen=True)
class SharedObject:
    raw: bytes
    ident: bytes
    type: int
    machine: int
    entry: int
    phoff: int
    shoff: int
    flags: int
    sizes: tuple[int, int, int]
    segments: list[Segment]
    sections: list[Section]

    def section(self, name: str) -> Section:
        (found,) = [s for s in self.sections if s.name == name]
        return found

    def contents(self, section: Section) -> bytes:
        return self.raw[section.offset : section.offset + section.size]

    @property
    def dynamic(self) -> dict[int, int]:
        (segment,) = [p for p in self.segments if p.type == 2]
        entries = {}
        for tag, value in struct.iter_unpack(
            "<qQ", self.raw[segment.offset : segment.offset + segment.filesz]
        ):
            if tag == 0:
                break
            entries[tag] = value
        return entries

    @property
    def dynamic_symbols(self) -> list[DynamicSymbol]:
        symtab = self.section(".dynsym")
        strings = self.contents(self.section(".dynstr"))
        symbols = []
        for name, info, _other, shndx, value, _size in struct.iter_unpack("<IBBHQQ", self.contents(symtab)):
            text = strings[name : strings.index(b"\0", name)].decode()
            symbols.append(DynamicSymbol(text, info >> 4, info & 0xF, shndx, value))
        return symbols

    @property
    def relocations(self) -> list[DynamicRelocation]:
        if not any(s.name == ".rel.dyn" for s in self.sections):
            return []
        symbols = self.dynamic_symbols
        return [
            DynamicRelocation(offset, info & 0xFFFFFFFF, symbols[info >> 32])
            for offset, info in struct.iter_unpack("<QQ", self.contents(self.section(".rel.dyn")))
        ]

    def instructions(self) -> list[tuple[int, int, int, int, int, int]]:
        """(pc, opcode, dst, src, off, imm) of every .text slot (lddw's second slot included)."""
        text = self.contents(self.section(".text"))
        out = []
        for pc, (opcode, regs, off, imm) in enumerate(struct.iter_unpack("<BBhi", text)):
            out.append((pc, opcode, regs & 0xF, regs >> 4, off, imm))
        return out


def read_shared_object(raw: bytes) -> SharedObject:
    ident = raw[:16]
    (
        e_type,
        machine,
        _version,
        entry,
        phoff,
        shoff,
        flags,
        ehsize,
        phentsize,
        phnum,
        shentsize,
        shnum,
        shstrndx,
    ) = struct.unpack_from("<HHIQQQIHHHHHH", raw, 16)
    segments = [
        Segment(t, f, o, v, p, fs, ms)
        for t, f, o, v, p, fs, ms, _a in (
            struct.unpack_from("<IIQQQQQQ", raw, phoff + i * phentsize) for i in range(phnum)
        )
    ]
    headers = [struct.unpack_from("<IIQQQQIIQQ", raw, shoff + i * shentsize) for i in range(shnum)]
    names_at = headers[shstrndx][4]
    sections = []
    for index, (name, stype, sflags, addr, offset, size, link, info, align, entsize) in enumerate(headers):
        start = names_at + name
        raw_name = raw[start : raw.index(b"\0", start)]
        sections.append(
            Section(
                index,
                raw_name.decode(),
                raw_name,
                name,
                stype,
                sflags,
                addr,
                offset,
                size,
                link,
                info,
                align,
                entsize,
            )
        )
    return SharedObject(
        raw,
        ident,
        e_type,
        machine,
        entry,
        phoff,
        shoff,
        flags,
        (ehsize, phentsize, shentsize),
        segments,
        sections,
    )


# --- running programs -----------------------------------------------------------------------------------


@dataclass
class Deployed:
    svm: Engine
    payer: Keypair
    program_id: Pubkey

    def invoke(self, op: int, arg: int = 0) -> tuple[int | None, list[str]]:
        """Run the test program's ``op``: (u64 return data or None, logs). Raises TransactionFailed."""
        data = bytes([op]) + struct.pack("<Q", arg)
        sent = send(self.svm, self.payer, [Instruction(self.program_id, data, [])])
        returned = bytes(sent.meta.return_data().data)
        return (struct.unpack("<Q", returned)[0] if returned else None), sent.logs


def funded_svm(*deployable: bytes) -> tuple[Engine, Keypair]:
    """A VM with a funded payer, on which the ``deployable`` ELFs can be deployed (v0 ones included)."""
    svm = new_svm(deactivate=features_blocking_deploy(*deployable))
    payer = Keypair()
    svm.airdrop(payer.pubkey(), 10**12)
    return svm, payer


def deploy_program(so: bytes) -> Deployed:
    """Deploy through BPFLoaderUpgradeable (broken-ELF rejection + verifier). Raises TransactionFailed."""
    svm, payer = funded_svm(so)
    return Deployed(svm, payer, deploy(svm, payer, so))


def add_program(so: bytes) -> Deployed:
    """Load with LiteSVM.add_program (the lenient path, no deploy checks)."""
    svm, payer = funded_svm()
    program_id = Pubkey.new_unique()
    svm.add_program(program_id, so)
    return Deployed(svm, payer, program_id)


def assert_deploy_rejects(
    good: bytes,
    mutation: Callable[[bytearray, SharedObject], None],
    rule: str,
    loader_message: str,
    violation_of: Callable[[bytes], tuple[str, str] | None],
    check: Callable[[bytes], None],
) -> None:
    """``mutation`` breaks ``rule`` of a good program: the linker's loader rules name it, and the deploy
    path refuses the ELF with ``loader_message`` in its logs."""
    assert violation_of(good) is None
    broken = bytearray(good)
    mutation(broken, read_shared_object(good))
    violation = violation_of(bytes(broken))
    assert violation is not None and violation[0] == rule, violation
    with pytest.raises(LinkError, match=rule):
        check(bytes(broken))
    with pytest.raises(TransactionFailed) as failure:
        deploy_program(bytes(broken))
    assert loader_message in "\n".join(failure.value.logs)

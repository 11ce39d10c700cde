"""The SBPF instruction set (v0 and v3): decoding, the verifier's opcode rules, and the loader's hashes.

llc targets the Linux eBPF instruction set. SBPFv0 shares its encoding but not all of it: it has no
JMP32 class, no atomics, none of the cpu=v4 additions, and its 32-bit ALU sign-extends results where eBPF
zero-extends them. SBPFv3 keeps all of that except that it has the conditional JMP32 jumps, reads
``callx``'s register from dst and marks calls as syscalls (src 0) or internal calls (src 1).
``violation`` names the first difference an instruction uses, so the linker can refuse code that would
either fail verification at deploy time or, worse (ALU32, sdiv), run with a different meaning than the
compiler intended.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum


class SbpfVersion(IntEnum):
    """The program formats the linker writes; the value is the ELF ``e_flags`` that selects it."""

    V0 = 0
    V3 = 3

    def __str__(self) -> str:
        return f"v{self.value}"


INSN_SIZE = 8
MM_PROGRAM_START = 1 << 32
"""VM address of ELF file offset 0: text and read-only data are mapped at this base plus their offset."""
MM_STACK_START = 2 << 32

_INSN = struct.Struct("<BBhi")

# Instruction classes (low 3 bits of the opcode)
CLS_LD, CLS_LDX, CLS_ST, CLS_STX, CLS_ALU, CLS_JMP, CLS_JMP32, CLS_ALU64 = range(8)
SRC_X = 0x08
MODE_MASK = 0xE0
MODE_MEM = 0x60
MODE_MEMSX = 0x80
MODE_ATOMIC = 0xC0

# Frequently named opcodes
LDDW = 0x18
JA = 0x05
CALL = 0x85
CALLX = 0x8D
EXIT = 0x95
CALL_SRC_INTERNAL = 1
"""``call``'s src field for a pc-relative call into the program (SBPFv3 reads it; v0 ignores it)."""

# ALU operation codes (high nibble)
ALU_DIV = 0x30
ALU_LSH = 0x60
ALU_RSH = 0x70
ALU_NEG = 0x80
ALU_MOD = 0x90
ALU_MOV = 0xB0
ALU_ARSH = 0xC0
ALU_END = 0xD0

_LOADS = frozenset({0x61, 0x69, 0x71, 0x79})
_STORES = frozenset({0x62, 0x6A, 0x72, 0x7A, 0x63, 0x6B, 0x73, 0x7B})
_ALU64_OPS = frozenset(
    {0x00, 0x10, 0x20, ALU_DIV, 0x40, 0x50, ALU_LSH, ALU_RSH, ALU_MOD, 0xA0, ALU_MOV, ALU_ARSH}
)
_CONDITIONAL_JUMP_OPS = frozenset({0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xA0, 0xB0, 0xC0, 0xD0})
_ENDIAN = frozenset({0xD4, 0xDC})
FRAME_POINTER = 10


@dataclass(frozen=True)
class Instruction:
    opcode: int
    dst: int
    src: int
    off: int
    imm: int

    @property
    def cls(self) -> int:
        return self.opcode & 0x07

    @property
    def is_jump(self) -> bool:
        """A jump whose target is ``pc + 1 + off`` (ja and the conditional jumps of the JMP/JMP32 classes)."""
        return self.opcode == JA or (
            self.cls in (CLS_JMP, CLS_JMP32) and (self.opcode & 0xF0) in _CONDITIONAL_JUMP_OPS
        )


def decode(text: bytes | bytearray, offset: int) -> Instruction:
    opcode, regs, off, imm = _INSN.unpack_from(text, offset)
    return Instruction(opcode, regs & 0x0F, regs >> 4, off, imm)


def write_imm(text: bytearray, offset: int, imm: int) -> None:
    struct.pack_into("<i", text, offset + 4, imm)


def write_regs(text: bytearray, offset: int, dst: int, src: int) -> None:
    text[offset + 1] = (src << 4) | dst


_ALU32_REASON = (
    "uses a 32-bit ALU instruction, which SBPF (v0 and v3) sign-extends where eBPF zero-extends "
    "(compile with llc -mcpu=v2 and without +alu32)"
)


def violation(
    insn: Instruction, following: Instruction | None, version: SbpfVersion = SbpfVersion.V0
) -> str | None:
    """Why ``insn`` is not valid SBPF of ``version`` with the meaning llc gave it, or None if it is.

    ``following`` is the next instruction slot (the second half of an lddw), None at the end of .text.
    Jump targets are checked separately because they need the whole program. SBPFv3 is SBPFv0 plus the
    conditional JMP32 jumps, with ``callx``'s register in dst instead of imm.
    """
    op, cls = insn.opcode, insn.cls
    if cls == CLS_LD:
        if op != LDDW:
            return f"uses the legacy packet-access instruction {op:#04x}"
        if following is None or following.opcode != 0:
            return "has an incomplete lddw (its second slot is missing)"
        if insn.src != 0:
            return f"uses a kernel pseudo lddw (src={insn.src}) that has no meaning in SBPF"
    elif cls == CLS_LDX:
        if op & MODE_MASK == MODE_MEMSX:
            return "uses a sign-extending load (ldxs*, cpu v4), which SBPF does not have"
        if op not in _LOADS:
            return f"uses the unknown load opcode {op:#04x}"
    elif cls in (CLS_ST, CLS_STX):
        if op & MODE_MASK == MODE_ATOMIC:
            return "uses an atomic memory instruction, which SBPF does not have"
        if op not in _STORES:
            return f"uses the unknown store opcode {op:#04x}"
    elif cls == CLS_ALU:
        if op not in _ENDIAN:
            return _ALU32_REASON
        if insn.imm not in (16, 32, 64):
            return f"byte-swaps {insn.imm} bits (only 16, 32 and 64 exist)"
    elif cls == CLS_JMP32:
        if version is SbpfVersion.V0:
            return "uses a 32-bit jump (JMP32 class, cpu v3+), which SBPFv0 does not have"
        if (op & 0xF0) not in _CONDITIONAL_JUMP_OPS:
            return f"uses the JMP32 opcode {op:#04x}, which SBPFv3 does not have (only conditional jumps)"
    elif cls == CLS_JMP:
        reason = _jump_violation(insn, version)
        if reason:
            return reason
    else:
        reason = _alu64_violation(insn)
        if reason:
            return reason
    return _register_violation(insn)


def _jump_violation(insn: Instruction, version: SbpfVersion) -> str | None:
    op = insn.opcode
    if op == JA + SRC_X:
        return "uses an indirect jump (gotox), which SBPF does not have"
    if op == CALLX and version is SbpfVersion.V0:
        if insn.dst or insn.src:
            return "has callx with its register in dst/src (eBPF encoding); SBPFv0 reads it from imm"
        if not 0 <= insn.imm <= 9:
            return f"calls through register r{insn.imm} (callx allows r0-r9)"
    if op == CALLX and version is SbpfVersion.V3:
        if insn.imm or insn.src:
            return "has callx with its register in imm/src (SBPFv0 encoding); SBPFv3 reads it from dst"
        if not 0 <= insn.dst <= 9:
            return f"calls through register r{insn.dst} (callx allows r0-r9)"
    if op in (JA, CALL, CALLX, EXIT) or (op & 0xF0) in _CONDITIONAL_JUMP_OPS:
        return None
    return f"uses the unknown jump opcode {op:#04x}"


def _alu64_violation(insn: Instruction) -> str | None:
    op, code, imm = insn.opcode, insn.opcode & 0xF0, insn.imm
    if code == ALU_END:
        return "uses an unconditional byte swap (bswap, cpu v4), which SBPF does not have"
    if insn.off != 0:
        if code in (ALU_DIV, ALU_MOD):
            return "uses signed division or remainder (sdiv/smod, cpu v4), which SBPF does not have"
        if code == ALU_MOV:
            return "uses a sign-extending move (movsx, cpu v4), which SBPF does not have"
        return f"uses a 64-bit ALU instruction with a non-zero offset field ({insn.off}, cpu v4 encoding)"
    if code == ALU_NEG:
        return None if op & SRC_X == 0 else f"uses the unknown ALU opcode {op:#04x}"
    if code not in _ALU64_OPS:
        return f"uses the unknown ALU opcode {op:#04x}"
    if op & SRC_X == 0:
        if code in (ALU_DIV, ALU_MOD) and imm == 0:
            return "divides by the constant 0"
        if code in (ALU_LSH, ALU_RSH, ALU_ARSH) and not 0 <= imm < 64:
            return f"shifts a 64-bit value by {imm}"
    return None


def _register_violation(insn: Instruction) -> str | None:
    if insn.src > FRAME_POINTER or insn.dst > FRAME_POINTER:
        return f"names a register above r10 (dst {insn.dst}, src {insn.src})"
    writes_dst = insn.cls not in (CLS_ST, CLS_STX, CLS_JMP)
    if insn.dst == FRAME_POINTER and writes_dst:
        return "writes the frame pointer r10"
    return None


_MASK32 = 0xFFFFFFFF


def _rotl32(value: int, bits: int) -> int:
    return ((value << bits) | (value >> (32 - bits))) & _MASK32


def murmur3_32(data: bytes, seed: int = 0) -> int:
    """MurmurHash3 x86_32, the hash the loader keys syscalls and call targets with."""
    c1, c2 = 0xCC9E2D51, 0x1B873593
    h = seed
    body = len(data) - len(data) % 4
    for (k,) in struct.iter_unpack("<I", data[:body]):
        h ^= (_rotl32((k * c1) & _MASK32, 15) * c2) & _MASK32
        h = (_rotl32(h, 13) * 5 + 0xE6546B64) & _MASK32
    tail = data[body:]
    if tail:
        k = int.from_bytes(tail, "little")
        h ^= (_rotl32((k * c1) & _MASK32, 15) * c2) & _MASK32
    h ^= len(data)
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & _MASK32
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & _MASK32
    return h ^ (h >> 16)


def call_target_key(pc: int) -> int:
    """The key the SBPFv0 loader gives a pc-relative call target: murmur3 of the target pc as u64 LE."""
    return murmur3_32(pc.to_bytes(8, "little"))


def symbol_key(name: str) -> int:
    """The key of a syscall or of the entrypoint: murmur3 of the name."""
    return murmur3_32(name.encode())


@dataclass(frozen=True)
class Violation:
    """The first instruction of the code that the SBPF loader or verifier would refuse, and why."""

    pc: int
    reason: str


def verify_text(
    text: bytes | bytearray, syscall_pcs: frozenset[int], version: SbpfVersion = SbpfVersion.V0
) -> Violation | None:
    """Check relocated code of ``version`` as the loader and the verifier would.

    ``syscall_pcs`` are the calls to syscalls: in SBPFv0 the ones left for the loader to resolve against
    a syscall name (their imm is -1), in SBPFv3 the static ones (src 0, imm = the name's key). Every
    other ``call`` must be pc-relative (in SBPFv3 marked src 1) and land on an instruction of the code.
    """
    if len(text) % INSN_SIZE or not text:
        return Violation(0, f".text is {len(text)} bytes, not a non-empty multiple of {INSN_SIZE}")
    count = len(text) // INSN_SIZE
    decoded: list[tuple[int, Instruction]] = []
    lddw_tails: set[int] = set()
    pc = 0
    while pc < count:
        insn = decode(text, pc * INSN_SIZE)
        following = decode(text, (pc + 1) * INSN_SIZE) if pc + 1 < count else None
        reason = violation(insn, following, version)
        if reason:
            return Violation(pc, reason)
        decoded.append((pc, insn))
        if insn.opcode == LDDW:
            lddw_tails.add(pc + 1)
            pc += 2
        else:
            pc += 1
    for pc, insn in decoded:
        if insn.is_jump:
            target = pc + 1 + insn.off
            if not 0 <= target < count or target in lddw_tails:
                return Violation(pc, f"jumps to #{target}, outside the code or into the middle of an lddw")
        elif insn.opcode == CALL and pc in syscall_pcs:
            if version is SbpfVersion.V3 and insn.src != 0:
                return Violation(pc, f"calls a syscall with src {insn.src}; SBPFv3 syscalls have src 0")
        elif insn.opcode == CALL:
            if version is SbpfVersion.V3 and insn.src != CALL_SRC_INTERNAL:
                return Violation(
                    pc,
                    f"has a call with src {insn.src} that is no syscall (SBPFv3 internal calls have src 1)",
                )
            if version is SbpfVersion.V0 and insn.imm == -1:
                return Violation(
                    pc, "has a call with imm -1 and no relocation (the loader reads it as a syscall)"
                )
            target = pc + 1 + insn.imm
            if not 0 <= target < count or target in lddw_tails:
                return Violation(pc, f"calls #{target}, outside the code or into the middle of an lddw")
    return None


def call_targets(text: bytes | bytearray, syscall_pcs: frozenset[int]) -> dict[int, int]:
    """Each pc-relative call's target pc, keyed by the calling instruction's pc."""
    targets = {}
    pc, count = 0, len(text) // INSN_SIZE
    while pc < count:
        insn = decode(text, pc * INSN_SIZE)
        if insn.opcode == CALL and pc not in syscall_pcs:
            targets[pc] = pc + 1 + insn.imm
        pc += 2 if insn.opcode == LDDW else 1
    return targets


def call_key_collision(targets: dict[int, int], entry_pc: int, syscalls: frozenset[str]) -> str | None:
    """Why the loader would fail to register (or would mix up) the call targets, or None.

    The SBPFv0 loader registers every pc-relative call target under ``call_target_key(pc)`` and the
    entrypoint under ``symbol_key("entrypoint")``, in one table next to the syscalls' keys. Two different
    targets with one key fail the load ("Symbol hash collision"); a target whose key equals the
    entrypoint's would be silently redirected to the entrypoint.
    """
    taken = {symbol_key(name): f"syscall {name}" for name in sorted(syscalls)}
    entry_key = symbol_key("entrypoint")
    for caller, target in sorted(targets.items()):
        key = call_target_key(target)
        if key == entry_key and target != entry_pc:
            return f"call at #{caller} to #{target}: its key {key:#010x} equals the entrypoint's"
        owner = taken.setdefault(key, f"call target #{target}")
        if owner != f"call target #{target}":
            return f"call at #{caller} to #{target}: its key {key:#010x} collides with {owner}"
    return None

"""Pure-Python pieces of the linker: the loader's hash, call-key collisions, names in messages."""

from __future__ import annotations

import subprocess

import pytest
from link_support import FIXTURES, LLC

from solgrid.build.demangle import demangle as readable
from solgrid.build.sbpf import (
    Instruction,
    call_key_collision,
    call_target_key,
    murmur3_32,
    symbol_key,
    violation,
)

MASK = 2**32 - 1


@pytest.mark.parametrize(
    ("name", "key"),
    [
        # Keys of the syscalls as the loader registers them (published in SBF disassemblers' tables).
        ("abort", 0xB6FC1A11),
        ("sol_panic_", 0x686093BB),
        ("sol_log_", 0x207559BD),
        ("sol_log_64_", 0x5C2A3178),
        ("sol_log_pubkey", 0x7EF088CA),
        ("sol_log_compute_units_", 0x52BA5096),
        ("sol_get_epoch_stake", 0x5BE92F4A),
        ("sol_get_sysvar", 0x13C1B505),
    ],
)
def test_murmur3_matches_the_loader(name: str, key: int) -> None:
    assert symbol_key(name) == key


def test_murmur3_tail_lengths() -> None:
    # Reference values of MurmurHash3_x86_32 (seed 0) for inputs with 0-3 tail bytes.
    assert murmur3_32(b"") == 0
    assert murmur3_32(b"a") == 0x3C2569B2
    assert murmur3_32(b"ab") == 0x9BBFD75F
    assert murmur3_32(b"abc") == 0xB3DD93FA
    assert murmur3_32(b"abcd") == 0x43ED676A


def _rotr(value: int, bits: int) -> int:
    return ((value >> bits) | (value << (32 - bits))) & MASK


def _pc_with_key(key: int) -> int:
    """Invert call_target_key: murmur3 of an 8-byte input whose high word is 0 is a bijection of the pc."""

    def inverse(factor: int) -> int:
        return pow(factor, -1, 2**32)

    h = key
    h ^= h >> 16
    h = h * inverse(0xC2B2AE35) & MASK
    h ^= (h >> 13) ^ (h >> 26)
    h = h * inverse(0x85EBCA6B) & MASK
    h ^= h >> 16
    h ^= 8  # input length
    h = _rotr((h - 0xE6546B64) * inverse(5) & MASK, 13)  # the all-zero second block
    mixed = _rotr((h - 0xE6546B64) * inverse(5) & MASK, 13)  # the first block, from h = 0
    return _rotr(mixed * inverse(0x1B873593) & MASK, 15) * inverse(0xCC9E2D51) & MASK


def test_call_key_collision_with_a_syscall_is_reported() -> None:
    pc = _pc_with_key(symbol_key("sol_log_"))
    assert call_target_key(pc) == symbol_key("sol_log_")
    problem = call_key_collision({7: pc}, entry_pc=0, syscalls=frozenset({"sol_log_", "abort"}))
    assert problem is not None and "collides with syscall sol_log_" in problem
    assert call_key_collision({7: pc + 1}, entry_pc=0, syscalls=frozenset({"sol_log_", "abort"})) is None


def test_call_target_with_the_entrypoints_key_is_reported_unless_it_is_the_entrypoint() -> None:
    pc = _pc_with_key(symbol_key("entrypoint"))
    problem = call_key_collision({3: pc}, entry_pc=0, syscalls=frozenset())
    assert problem is not None and "equals the entrypoint's" in problem
    assert call_key_collision({3: pc}, entry_pc=pc, syscalls=frozenset()) is None


def test_distinct_call_targets_never_collide() -> None:
    # The same target called from many places is one registration, not a collision.
    assert call_key_collision({1: 40, 9: 40, 20: 41}, entry_pc=0, syscalls=frozenset({"abort"})) is None
    keys = {call_target_key(pc) for pc in range(20_000)}
    assert len(keys) == 20_000


@pytest.mark.parametrize(
    ("insn", "fragment"),
    [
        (Instruction(0x0C, 1, 2, 0, 0), "32-bit ALU"),
        (Instruction(0xB4, 1, 0, 0, 5), "32-bit ALU"),
        (Instruction(0x16, 1, 0, 2, 5), "JMP32"),
        (Instruction(0xDB, 1, 2, 0, 0), "atomic"),
        (Instruction(0xC3, 1, 2, 0, 0), "atomic"),
        (Instruction(0x3F, 0, 1, 1, 0), "sdiv/smod"),
        (Instruction(0x9F, 0, 1, 1, 0), "sdiv/smod"),
        (Instruction(0xBF, 0, 1, 16, 0), "movsx"),
        (Instruction(0x91, 0, 1, 0, 0), "sign-extending load"),
        (Instruction(0xD7, 0, 0, 0, 32), "bswap"),
        (Instruction(0x0D, 1, 0, 0, 0), "gotox"),
        (Instruction(0x37, 1, 0, 0, 0), "divides by the constant 0"),
        (Instruction(0x67, 1, 0, 0, 64), "shifts a 64-bit value by 64"),
        (Instruction(0xDC, 1, 0, 0, 8), "byte-swaps 8 bits"),
        (Instruction(0x8D, 3, 0, 0, 0), "callx with its register in dst"),
        (Instruction(0x8D, 0, 0, 0, 10), "callx allows r0-r9"),
        (Instruction(0xBF, 10, 1, 0, 0), "writes the frame pointer"),
        (Instruction(0x20, 0, 0, 0, 0), "legacy packet-access"),
    ],
)
def test_violations(insn: Instruction, fragment: str) -> None:
    reason = violation(insn, None)
    assert reason is not None and fragment in reason


@pytest.mark.parametrize(
    "insn",
    [
        Instruction(0x07, 1, 0, 0, -8),  # add64 imm
        Instruction(0xBF, 6, 1, 0, 0),  # mov64 reg
        Instruction(0x7B, 10, 1, -8, 0),  # stxdw through r10
        Instruction(0xDC, 1, 0, 0, 64),  # be64
        Instruction(0xAD, 1, 2, 3, 0),  # jlt reg
        Instruction(0x8D, 0, 0, 0, 4),  # callx r4 (SBPFv0 encoding)
        Instruction(0x87, 3, 0, 0, 0),  # neg64
    ],
)
def test_v0_instructions_pass(insn: Instruction) -> None:
    assert violation(insn, None) is None


def test_lddw_needs_its_second_slot() -> None:
    lddw = Instruction(0x18, 1, 0, 0, 5)
    assert violation(lddw, Instruction(0, 0, 0, 0, 0)) is None
    assert "incomplete lddw" in (violation(lddw, None) or "")
    assert "incomplete lddw" in (violation(lddw, Instruction(0x07, 0, 0, 0, 0)) or "")


CXXFILT = LLC.parent / "llvm-cxxfilt"


@pytest.mark.skipif(not CXXFILT.is_file(), reason="llvm-cxxfilt not installed")
def test_names_in_messages_match_llvm_demangling() -> None:
    # Symbols rustc 1.96 produced (closures, trait impls and definitions, const generics, punycode,
    # backrefs); llvm-cxxfilt is the reference.
    symbols = (FIXTURES / "rust_v0_symbols.txt").read_text().split()
    expected = subprocess.run(
        [str(CXXFILT)], input="\n".join(symbols), capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert [readable(s) for s in symbols] == expected


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("_RNvCskqUzHPI63Bf_7program7COUNTER", "program::COUNTER"),
        ("_RNvCskqUzHPI63Bf_7program7COUNTER.llvm.123", "program::COUNTER"),
        ("_ZN7program7process17h0123456789abcdefE", "program::process"),
        ("entrypoint", "entrypoint"),
        ("_RNvC", "_RNvC"),  # truncated: shown raw
        ("_RB_", "_RB_"),  # a backreference to itself: shown raw, no recursion
    ],
)
def test_names_in_messages(name: str, shown: str) -> None:
    assert readable(name) == shown

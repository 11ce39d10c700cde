"""Linking end to end: determinism, layouts without optional parts, alignment, both load paths."""

from __future__ import annotations

import subprocess

import pytest
from link_support import (
    FIXTURES,
    LLC,
    PIPELINE_LLC_FLAGS,
    add_program,
    compile_ir,
    deploy_program,
    fixture_object,
    read_shared_object,
    requires_llc,
)

from solgrid.build.link import link_sbpf_v0
from solgrid.build.loader_rules import loader_rule_violation

pytestmark = requires_llc


def test_linking_is_deterministic() -> None:
    obj = fixture_object("program.ll")
    first = link_sbpf_v0(obj)
    assert link_sbpf_v0(bytes(bytearray(obj))) == first
    # A fresh llc run on the same IR gives the same object, hence the same program.
    fresh = subprocess.run(
        [str(LLC), *PIPELINE_LLC_FLAGS, "-mcpu=v2", "-filetype=obj", str(FIXTURES / "program.ll"), "-o", "-"],
        capture_output=True,
        check=True,
    ).stdout
    assert link_sbpf_v0(fresh) == first


def test_linking_does_not_modify_its_input() -> None:
    obj = fixture_object("program.ll")
    copy = bytes(obj)
    link_sbpf_v0(obj)
    assert obj == copy


MINIMAL = """target triple = "bpfel"
define i64 @entrypoint(ptr %input) {
  %flag = load i8, ptr %input, align 1
  %wide = zext i8 %flag to i64
  ret i64 %wide
}
"""


def test_program_without_data_or_syscalls() -> None:
    # No .rodata and no syscalls: no .rodata/.rel.dyn sections, three program headers, no DT_REL.
    so = link_sbpf_v0(compile_ir(MINIMAL))
    elf = read_shared_object(so)
    assert [s.name for s in elf.sections] == ["", ".text", ".dynsym", ".dynstr", ".dynamic", ".shstrtab"]
    assert [p.type for p in elf.segments] == [1, 1, 2]
    assert 17 not in elf.dynamic and elf.relocations == []
    assert loader_rule_violation(so) is None
    program = deploy_program(so)
    assert program.invoke(0)[0] is None  # 0 accounts -> first byte 0 -> success (return value 0)


ALIGNED = """target triple = "bpfel"
@wide = internal constant [2 x i64] [i64 -81985529216486896, i64 81985529216486895], align 16
declare void @sol_set_return_data(ptr, i64)

define internal i64 @padded(i64 %x) noinline align 32 section ".text.padded" {
  %r = add i64 %x, 1
  ret i64 %r
}

define i64 @entrypoint(ptr %input) {
  %out = alloca i64, align 8
  %low = load i64, ptr @wide, align 16
  %sum = call i64 @padded(i64 %low)
  store i64 %sum, ptr %out, align 8
  call void @sol_set_return_data(ptr %out, i64 8)
  ret i64 0
}
"""


def test_sections_keep_their_alignment() -> None:
    so = link_sbpf_v0(compile_ir(ALIGNED))
    elf = read_shared_object(so)
    text, rodata = elf.section(".text"), elf.section(".rodata")
    slots = elf.instructions()
    (lddw,) = [pc for pc, op, *_ in slots if op == 0x18]
    address = (slots[lddw][5] & 0xFFFFFFFF) | (slots[lddw + 1][5] & 0xFFFFFFFF) << 32
    assert address == (1 << 32) + rodata.addr and rodata.addr % 16 == 0
    (call,) = [(pc, imm) for pc, op, _d, _s, _o, imm in slots if op == 0x85 and imm != -1]
    padded = text.addr + 8 * (call[0] + 1 + call[1])
    assert padded % 32 == 0
    # Padding between code sections is `ja +0`, so .text still decodes as valid code for the verifier.
    assert any(op == 0x05 for _pc, op, *_ in slots)
    assert all(slots[pc][1:] == (0x05, 0, 0, 0, 0) for pc in range(len(slots)) if slots[pc][1] == 0x05)
    assert loader_rule_violation(so) is None
    for program in (deploy_program(so), add_program(so)):
        assert program.invoke(0)[0] == 0xFEDCBA9876543210 + 1


@pytest.mark.parametrize("path", ["deploy", "add_program"])
def test_both_load_paths_run_the_program(path: str) -> None:
    so = link_sbpf_v0(fixture_object("program.ll"))
    program = deploy_program(so) if path == "deploy" else add_program(so)
    assert program.invoke(0, 10)[0] == 55
    assert program.invoke(1, 9)[0] == 1009
    assert program.invoke(3, 1)[0] == 10
    assert program.invoke(7, 99)[0] == 99

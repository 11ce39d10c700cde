"""The linker's syscall list against the deploy path: every name it accepts is registered, the retired
names it refuses are not, and dynamic symbol names stay within the loader's 64-byte limit."""

from __future__ import annotations

import pytest
from link_support import add_program, compile_ir, deploy_program, read_shared_object, requires_llc

from solgrid.build.errors import UnsupportedCode
from solgrid.build.link import link_sbpf_v0
from solgrid.build.loader_rules import loader_rule_violation
from solgrid.build.syscalls import DEPLOYABLE_SYSCALLS, RETIRED_SYSCALLS, SYMBOL_ALIASES
from solgrid.localnet.svm import TransactionFailed

pytestmark = requires_llc


def calling_program(names: list[str]) -> str:
    """IR whose entrypoint calls each of ``names`` when the first input byte is 0xff, else returns 0."""
    declarations = "".join(f"declare i64 @{name}(i64, i64, i64, i64, i64)\n" for name in names)
    calls = "".join(
        f"  %r{i} = call i64 @{name}(i64 0, i64 0, i64 0, i64 0, i64 0)\n" for i, name in enumerate(names)
    )
    return f"""target triple = "bpfel"
{declarations}
define i64 @entrypoint(ptr %input) {{
entry:
  %flag = load i8, ptr %input, align 1
  %all = icmp eq i8 %flag, -1
  br i1 %all, label %call_all, label %done
call_all:
{calls}  br label %done
done:
  ret i64 0
}}
"""


@pytest.fixture(scope="module")
def every_syscall() -> bytes:
    return link_sbpf_v0(compile_ir(calling_program(sorted(DEPLOYABLE_SYSCALLS))))


def test_every_listed_syscall_is_registered_by_the_deploy_path(every_syscall: bytes) -> None:
    elf = read_shared_object(every_syscall)
    assert {r.symbol.name for r in elf.relocations} == DEPLOYABLE_SYSCALLS
    program = deploy_program(every_syscall)  # "Unresolved symbol (...)" here would name a wrong entry
    assert program.invoke(0)[0] is None  # ran: the syscalls sit on the branch not taken


@pytest.mark.parametrize(
    ("present", "retired"),
    [("sol_big_mod_exp", "sol_alloc_free_"), ("sol_get_rent_sysvar", "sol_get_fees_sysvar")],
)
def test_retired_syscalls_are_refused_by_the_deploy_path_and_the_linker(
    every_syscall: bytes, present: str, retired: str
) -> None:
    assert retired in RETIRED_SYSCALLS and len(present) == len(retired)
    renamed = every_syscall.replace(b"\0" + present.encode() + b"\0", b"\0" + retired.encode() + b"\0")
    assert renamed != every_syscall
    with pytest.raises(TransactionFailed) as failure:
        deploy_program(renamed)
    assert f"Unresolved symbol ({retired})" in "\n".join(failure.value.logs)
    with pytest.raises(UnsupportedCode, match=f"calls syscall {retired}"):
        link_sbpf_v0(compile_ir(calling_program([retired])))


def test_dynamic_symbol_names_over_63_bytes_are_rejected(every_syscall: bytes) -> None:
    elf = read_shared_object(every_syscall)
    dynstr = elf.section(".dynstr")
    assert dynstr.size > 64 and all(len(s.name) < 64 for s in elf.dynamic_symbols)
    broken = bytearray(every_syscall)
    for at in range(dynstr.offset + 1, dynstr.offset + dynstr.size - 1):
        if broken[at] == 0:
            broken[at] = ord("_")  # every name now runs on to the end of .dynstr
    violation = loader_rule_violation(bytes(broken))
    assert violation is not None and violation[0] == "dynamic symbol names"
    with pytest.raises(TransactionFailed) as failure:
        deploy_program(bytes(broken))
    # The loader's 64-byte read of the name fails; it reports that as an unknown symbol (by st_name).
    assert "Unknown symbol with index" in "\n".join(failure.value.logs)


def test_add_program_would_accept_an_unknown_syscall(every_syscall: bytes) -> None:
    # LiteSVM.add_program loads leniently, so only the linker (and the deploy path) catch a bad name.
    renamed = every_syscall.replace(b"\0sol_log_\0", b"\0sol_lgo_\0")
    program = add_program(renamed)
    assert program.invoke(0)[0] is None
    with pytest.raises(TransactionFailed):
        deploy_program(renamed)


def test_list_consistency() -> None:
    assert not DEPLOYABLE_SYSCALLS & RETIRED_SYSCALLS.keys()
    assert set(SYMBOL_ALIASES.values()) <= DEPLOYABLE_SYSCALLS
    assert all(len(name) < 64 for name in DEPLOYABLE_SYSCALLS)

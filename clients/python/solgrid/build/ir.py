"""The LLVM IR rewrite stage of the offline SBF pipeline (upstream ``bpfel`` LLVM → SBPFv0).

The orchestrator runs it in two steps around ``opt``::

    llvm-dis program.bc                            # the fat-LTO bitcode of the whole program
    lower_for_bpf(text)                            # arithmetic, floats, memory intrinsics, sret
    opt -S -passes=internalize,globaldce,instnamer -internalize-public-api-list=entrypoint
    finish_for_bpf(text)                           # > 5 argument registers, then check_supported
    llc -march=bpfel -mcpu=v2 -mattr=+allows-misaligned-mem-access -O3 -bpf-stack-size=4096

``lower_for_bpf`` runs before ``opt`` so that the helpers it introduces (``@sbf.umulh64``, and the
sbf-support symbols it calls) are kept by ``globaldce`` only where used. ``finish_for_bpf`` runs after
it because packing arguments must know every caller, which only internalization guarantees, and
needs every value named (``instnamer``).

Both read the whole module first (``ir_model``), which fails naming the line on anything it does not
understand; given ``llvm_counts`` (what ``opt -passes=ir_counts.LLVM_COUNT_PASSES`` printed for the
same module), they also check that the reader found every function, block and instruction LLVM has.

Each result carries a report: for every rewrite, how many instructions (or, for argument packing,
functions) it changed. The output is a pure function of the input text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from solgrid.build.ir_arith import (
    expand_i128_mul,
    expand_mul_with_overflow,
    lower_i128_divrem,
    lower_i128_variable_shifts,
    lower_signed_divrem,
)
from solgrid.build.ir_calls import lower_memory_intrinsics, pack_stack_arguments, strip_sret
from solgrid.build.ir_check import check_supported
from solgrid.build.ir_counts import check_against_llvm
from solgrid.build.ir_float import lower_float
from solgrid.build.ir_model import Module, parse_module

__all__ = ["LOWERINGS", "RewriteResult", "check_supported", "finish_for_bpf", "lower_for_bpf"]


@dataclass(frozen=True)
class RewriteResult:
    text: str
    report: dict[str, int]


# Order matters: signed division produces unsigned i128 division, lowered after it.
LOWERINGS: tuple[tuple[str, Callable[[Module], int]], ...] = (
    ("strip_sret", strip_sret),
    ("lower_memory_intrinsics", lower_memory_intrinsics),
    ("expand_mul_with_overflow", expand_mul_with_overflow),
    ("lower_signed_divrem", lower_signed_divrem),
    ("lower_i128_divrem", lower_i128_divrem),
    ("expand_i128_mul", expand_i128_mul),
    ("lower_i128_variable_shifts", lower_i128_variable_shifts),
    ("lower_float", lower_float),
)


def _read(text: str, llvm_counts: str | None) -> Module:
    module = parse_module(text)
    if llvm_counts is not None:
        check_against_llvm(module, llvm_counts)
    return module


def lower_for_bpf(text: str, *, llvm_counts: str | None = None) -> RewriteResult:
    """Rewrite the constructs the BPF backend cannot lower (run on llvm-dis output, before opt)."""
    module = _read(text, llvm_counts)
    report = {name: rewrite(module) for name, rewrite in LOWERINGS}
    return RewriteResult(module.render(), report)


def finish_for_bpf(
    text: str, *, require_support_crate: bool = True, llvm_counts: str | None = None
) -> RewriteResult:
    """Pack > 5-register arguments, then ``check_supported`` (run after opt, right before llc).

    Raises ``UnsupportedCode`` naming the function or global at fault. ``require_support_crate``
    makes calls of the sbf-support helpers fail unless the module defines them.
    """
    module = _read(text, llvm_counts)
    report = {"pack_stack_arguments": pack_stack_arguments(module)}
    check_supported(module, require_support_crate=require_support_crate)
    return RewriteResult(module.render(), report)

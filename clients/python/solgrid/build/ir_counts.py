"""The IR reader checked against LLVM: as many functions, blocks and instructions as LLVM counts.

The rewrites only see what ``ir_model`` read. A construct it splits wrongly (a ``switch`` whose end it
misses swallows every block after it) leaves code that no rewrite looks at, and the build would go on.
So the pipeline has ``opt`` report its own view of the same module and compares:

* ``print<func-properties>``: per function definition, in module order, ``BasicBlockCount`` and
  ``TotalInstructionCount`` (debug records are not instructions). Both count only the blocks
  reachable from the entry block, so the reader's side follows the terminators' ``label`` operands;
* ``print<block-freq>``: every block of the function, reachable or not, by name (``""`` when unnamed).

Both printers write to stderr. They run on the bitcode ``llvm-dis`` reads, and at the end of the
pipeline's own ``opt`` run, whose output ``finish_for_bpf`` reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from solgrid.build.demangle import demangle
from solgrid.build.errors import BuildError, IRMismatch, IRSyntaxError
from solgrid.build.ir_model import Block, Function, Module

#: Analysis printers to append to an ``opt -passes=`` pipeline (or run alone with ``-disable-output``).
LLVM_COUNT_PASSES = "function(print<func-properties>,print<block-freq>)"

_CFA_HEADER = re.compile(r"Printing analysis results of CFA for function '(?P<name>.*)':")
_BFI_HEADER = re.compile(r"Printing analysis results of BFI for function '(?P<name>.*)':")
_PROPERTY = re.compile(r"(?P<key>\w+): (?P<value>-?\d+)")
_BFI_BLOCK = re.compile(r" - (?P<name>.*): float = .*")
_ESCAPE = re.compile(r"\\([0-9A-Fa-f]{2})")


@dataclass(frozen=True)
class FunctionCounts:
    """One function definition as counted by LLVM or by the reader.

    ``name`` and ``blocks`` are the names LLVM prints: no ``@``/``%``, no quotes, ``""`` when unnamed.
    """

    name: str
    blocks: tuple[str, ...]
    reachable_blocks: int
    reachable_instructions: int


def _llvm_name(written: str) -> str:
    """The name LLVM holds for a name as written in IR (``@"a\\22b"`` → ``a"b``; ``%12`` → ``""``)."""
    bare = written[1:] if written[:1] in ("@", "%") else written
    if bare.startswith('"'):
        raw = _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), bare[1:-1])
        return raw.encode("latin-1").decode("utf-8", errors="replace")
    return "" if bare.isdigit() else bare


def _reachable(fn: Function, blocks: list[Block]) -> list[Block]:
    """The blocks reachable from the entry block through the terminators' ``label`` operands."""
    by_name = {block.name: block for block in blocks if block.name is not None}
    seen = {id(blocks[0])}
    order = [blocks[0]]
    for block in order:
        terminator = block.terminator
        for target in terminator.label_operands():
            successor = by_name.get(target)
            if successor is None:
                raise IRSyntaxError(
                    f"branch to {target}, which is no block of {fn.name}",
                    line=terminator.lineno,
                    text=terminator.line,
                )
            if id(successor) not in seen:
                seen.add(id(successor))
                order.append(successor)
    return order


def reader_counts(module: Module) -> list[FunctionCounts]:
    """What the reader holds: per definition, in module order."""
    counts = []
    for fn in module.definitions():
        blocks = fn.blocks or []
        reachable = _reachable(fn, blocks)
        counts.append(
            FunctionCounts(
                _llvm_name(fn.name),
                tuple("" if block.label is None else _llvm_name(block.label) for block in blocks),
                len(reachable),
                sum(1 for block in reachable for inst in block.instructions if inst.is_instruction),
            )
        )
    return counts


def parse_llvm_counts(report: str) -> list[FunctionCounts]:
    """Read the stderr of ``opt -passes=...,LLVM_COUNT_PASSES``."""
    counts: list[FunctionCounts] = []
    name: str | None = None
    properties: dict[str, int] = {}
    blocks: list[str] | None = None

    def finish() -> None:
        if name is None:
            return
        if blocks is None or "BasicBlockCount" not in properties or "TotalInstructionCount" not in properties:
            raise BuildError(f"cannot read opt's function report for {name!r}: {report[:200]!r}")
        counts.append(
            FunctionCounts(
                name, tuple(blocks), properties["BasicBlockCount"], properties["TotalInstructionCount"]
            )
        )

    for line in report.splitlines():
        if header := _CFA_HEADER.fullmatch(line):
            finish()
            name, properties, blocks = header["name"], {}, None
        elif header := _BFI_HEADER.fullmatch(line):
            if header["name"] != name:
                raise BuildError(f"opt's block report for {header['name']!r} does not follow its counts")
            blocks = []
        elif blocks is not None and (block := _BFI_BLOCK.fullmatch(line)):
            blocks.append(block["name"])
        elif blocks is None and (prop := _PROPERTY.fullmatch(line)):
            properties[prop["key"]] = int(prop["value"])
    finish()
    return counts


def check_against_llvm(module: Module, report: str) -> None:
    """Raise ``IRMismatch`` naming the first function where the reader and LLVM disagree."""
    ours = reader_counts(module)
    theirs = parse_llvm_counts(report)
    for mine, llvm in zip(ours, theirs, strict=False):
        if mine.name != llvm.name:
            raise IRMismatch(
                f"the IR reader found function {mine.name or '(unnamed)'} where LLVM has "
                f"{llvm.name or '(unnamed)'}; {_BUG}"
            )
        if mine != llvm:
            raise IRMismatch(
                f"the IR reader misread {demangle(mine.name)}: {_difference(llvm, mine)}; {_BUG}"
            )
    if len(ours) != len(theirs):
        raise IRMismatch(f"the IR reader found {len(ours)} function definitions, LLVM {len(theirs)}; {_BUG}")


_BUG = "this is a bug in solgrid.build's IR reader (the build stops rather than skip code)"


def _difference(llvm: FunctionCounts, mine: FunctionCounts) -> str:
    def describe(counts: FunctionCounts) -> str:
        return (
            f"{len(counts.blocks)} blocks ({counts.reachable_blocks} reachable, "
            f"{counts.reachable_instructions} instructions in them)"
        )

    if describe(llvm) != describe(mine):
        return f"LLVM counts {describe(llvm)}, the reader {describe(mine)}"
    index = next(k for k, (a, b) in enumerate(zip(llvm.blocks, mine.blocks, strict=True)) if a != b)
    return f"block {index} is {llvm.blocks[index]!r} for LLVM, {mine.blocks[index]!r} for the reader"

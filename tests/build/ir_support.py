"""Helpers for the IR rewrite tests: run LLVM tools on IR text, and run IR on the host with lli.

``lli_cases`` is the reference-result harness: the IR under test defines ``void @case(ptr %in,
ptr %out)``, reading 64-bit words from ``in`` and writing words to ``out``. The harness appends a
``main`` that calls it once per row of a constant input table and prints every output word, so
thousands of cases cost one lli start.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

LLVM_BIN = Path(os.environ.get("SOLGRID_LLVM_BIN", "/usr/lib/llvm-22/bin"))
OPT = LLVM_BIN / "opt"
LLC = LLVM_BIN / "llc"
LLI = LLVM_BIN / "lli"
LLVM_LINK = LLVM_BIN / "llvm-link"
BPF_LLC_FLAGS = (
    "-march=bpfel",
    "-mcpu=v2",
    "-mattr=+allows-misaligned-mem-access",
    "-O3",
    "-bpf-stack-size=4096",
    "-filetype=obj",
)
OPT_PASSES = ("-passes=internalize,globaldce,instnamer", "-internalize-public-api-list=entrypoint")
MASK64 = (1 << 64) - 1

requires_llvm = pytest.mark.skipif(
    not all(tool.is_file() for tool in (OPT, LLC, LLI, LLVM_LINK)),
    reason=f"LLVM 22 tools not found in {LLVM_BIN}",
)


def run_tool(tool: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(tool), *args], input=stdin, capture_output=True, text=True, check=False)


def verify(text: str) -> None:
    """Fail the test unless the LLVM verifier accepts the module."""
    result = run_tool(OPT, "-passes=verify", "-disable-output", stdin=text)
    assert result.returncode == 0, f"IR does not verify:\n{result.stderr}\n--- module ---\n{text}"


def bpf_llc(text: str) -> subprocess.CompletedProcess[str]:
    """llc the module for BPF with the pipeline's flags (object discarded)."""
    return run_tool(LLC, *BPF_LLC_FLAGS, "-o", os.devnull, stdin=text)


def opt_for_pipeline(text: str) -> str:
    result = run_tool(OPT, "-S", *OPT_PASSES, stdin=text)
    assert result.returncode == 0, result.stderr
    return result.stdout


def link_modules(*texts: str, tmp: Path) -> str:
    paths = []
    for index, text in enumerate(texts):
        path = tmp / f"module{index}.ll"
        path.write_text(text)
        paths.append(str(path))
    result = run_tool(LLVM_LINK, "-S", *paths)
    assert result.returncode == 0, result.stderr
    return result.stdout


def _word(value: int) -> str:
    value &= MASK64
    return str(value - (1 << 64) if value >> 63 else value)


def harness(cases: Sequence[Sequence[int]], outputs: int) -> str:
    """IR for ``main``: call ``@case`` on each row of ``cases`` and print ``outputs`` hex words per row."""
    width = len(cases[0])
    rows = ", ".join(f"[{width} x i64] [{', '.join(f'i64 {_word(v)}' for v in row)}]" for row in cases)
    prints = []
    for k in range(outputs):
        prints.append(f"  %p{k} = getelementptr inbounds i64, ptr %out, i64 {k}")
        prints.append(f"  %v{k} = load i64, ptr %p{k}, align 8")
        prints.append(f"  %c{k} = call i32 (ptr, ...) @printf(ptr @word_format, i64 %v{k})")
    body = "\n".join(prints)
    return f"""
@cases = private constant [{len(cases)} x [{width} x i64]] [{rows}], align 16
@word_format = private constant [6 x i8] c"%llx \\00"
@newline = private constant [2 x i8] c"\\0A\\00"
declare i32 @printf(ptr, ...)

define i32 @main() {{
entry:
  %out = alloca [{outputs} x i64], align 16
  br label %loop

loop:
  %i = phi i64 [ 0, %entry ], [ %next, %loop ]
  %in = getelementptr inbounds [{width} x i64], ptr @cases, i64 %i
  call void @case(ptr %in, ptr %out)
{body}
  %nl = call i32 (ptr, ...) @printf(ptr @newline)
  %next = add i64 %i, 1
  %done = icmp eq i64 %next, {len(cases)}
  br i1 %done, label %exit, label %loop

exit:
  ret i32 0
}}
"""


def lli_cases(module: str, cases: Sequence[Sequence[int]], outputs: int) -> list[list[int]]:
    """Run ``module`` (which defines ``@case``) on every input row; returns the output words per row."""
    program = module + harness(cases, outputs)
    verify(program)
    result = run_tool(LLI, stdin=program)
    assert result.returncode == 0, result.stderr
    rows = [[int(word, 16) for word in line.split()] for line in result.stdout.splitlines()]
    assert len(rows) == len(cases)
    return rows


def _size(type_text: str) -> int:
    return 16 if type_text == "i128" else 8


def case_function(inputs: Sequence[tuple[str, str]], body: str, outputs: Sequence[tuple[str, str]]) -> str:
    """``define void @case(ptr %in, ptr %out)``: load ``inputs`` (name, type) from consecutive words,
    run ``body``, store ``outputs`` (value, type) as words (i128 takes two, narrower ones are zero-extended).
    """
    lines = []
    offset = 0
    for name, type_text in inputs:
        lines.append(f"  %{name}.at = getelementptr inbounds i8, ptr %in, i64 {offset}")
        if type_text in ("i64", "i128"):
            lines.append(f"  %{name} = load {type_text}, ptr %{name}.at, align 8")
        else:
            lines.append(f"  %{name}.word = load i64, ptr %{name}.at, align 8")
            lines.append(f"  %{name} = trunc i64 %{name}.word to {type_text}")
        offset += _size(type_text)
    lines.append(body.rstrip("\n"))
    offset = 0
    for index, (value, type_text) in enumerate(outputs):
        lines.append(f"  %out{index}.at = getelementptr inbounds i8, ptr %out, i64 {offset}")
        if type_text in ("i64", "i128"):
            lines.append(f"  store {type_text} {value}, ptr %out{index}.at, align 8")
        else:
            lines.append(f"  %out{index}.word = zext {type_text} {value} to i64")
            lines.append(f"  store i64 %out{index}.word, ptr %out{index}.at, align 8")
        offset += _size(type_text)
    return "define void @case(ptr %in, ptr %out) {\n" + "\n".join(lines) + "\n  ret void\n}\n"


def words(*values: tuple[int, str]) -> list[int]:
    """Encode (value, type) inputs as the harness's 64-bit words (i128 as low, high)."""
    out = []
    for value, type_text in values:
        if type_text == "i128":
            value &= (1 << 128) - 1
            out += [value & MASK64, value >> 64]
        else:
            out.append(value & MASK64)
    return out


def output_values(row: Sequence[int], types: Sequence[str]) -> list[int]:
    """Decode one output row into unsigned values of ``types``."""
    values = []
    position = 0
    for type_text in types:
        if type_text == "i128":
            values.append(row[position] | row[position + 1] << 64)
            position += 2
        else:
            values.append(row[position])
            position += 1
    return values

"""The IR reader (``ir_model``) reads every construct LLVM 22 prints and fails naming the line on
anything else; ``ir_counts`` checks what it read against LLVM's own count.

The regression: a ``switch`` with branch weights ends in ``], !prof !N``. The reader used to end a
case table only at a line that is exactly ``]``, so every block after such a switch became part of
it and no rewrite saw the ``mul i128`` there.
"""

from __future__ import annotations

import random
import re
import subprocess
from pathlib import Path

import pytest
from ir_support import (
    LLVM_BIN,
    OPT,
    bpf_llc,
    case_function,
    lli_cases,
    output_values,
    requires_llvm,
    verify,
    words,
)

from solgrid.build import ir
from solgrid.build.errors import BuildError, IRMismatch, IRSyntaxError
from solgrid.build.ir_counts import LLVM_COUNT_PASSES, check_against_llvm, parse_llvm_counts, reader_counts
from solgrid.build.ir_model import OPCODES, TERMINATORS, Instruction, Module, parse_module
from solgrid.build.ir_views import as_binary

pytestmark = requires_llvm

FIXTURES = Path(__file__).parent / "ir_fixtures"
M64 = (1 << 64) - 1
M128 = (1 << 128) - 1


def _signed(value: int, width: int) -> int:
    value &= (1 << width) - 1
    return value - (1 << width) if value >> (width - 1) else value


# --------------------------------------------------------------------------------------------------
# The regression: blocks after a `switch ... ], !prof` are read, so the rewrites reach them

SWITCH_BODY = """\
  switch i64 %op, label %cold [
    i64 0, label %mul
    i64 1, label %sdiv
    i64 2, label %shift
  ], !prof !0

mul:                                              ; preds = %0
  %m = mul i128 %a, %b, !sbf.note !1
  br label %join

sdiv:                                             ; preds = %0
  %q = sdiv i64 %x, %y
  %qw = sext i64 %q to i128
  br label %join

shift:                                            ; preds = %0
  %n = and i128 %b, 127
  %s = shl i128 %a, %n
  br label %join

cold:                                             ; preds = %0
  br label %join

join:                                             ; preds = %cold, %shift, %sdiv, %mul
  %r = phi i128 [ %m, %mul ], [ %qw, %sdiv ], [ %s, %shift ], [ 0, %cold ]
"""
SWITCH_METADATA = (
    '!0 = !{!"branch_weights", i32 1, i32 2000, i32 2000, i32 2000}\n!1 = !{!"after the switch"}\n'
)
INPUTS = [("op", "i64"), ("a", "i128"), ("b", "i128"), ("x", "i64"), ("y", "i64")]


def _switch_module() -> str:
    return case_function(INPUTS, SWITCH_BODY, [("%r", "i128")]) + SWITCH_METADATA


def _switch_reference(op: int, a: int, b: int, x: int, y: int) -> int:
    if op == 0:
        return (a * b) & M128
    if op == 1:
        q = abs(_signed(x, 64)) // abs(_signed(y, 64))
        return (q if (_signed(x, 64) < 0) == (_signed(y, 64) < 0) else -q) & M128
    if op == 2:
        return (a << (b & 127)) & M128
    return 0


def test_blocks_after_a_switch_with_branch_weights_are_read() -> None:
    module = parse_module(_switch_module())
    [fn] = module.definitions()
    assert [block.label for block in fn.blocks or []] == [None, "mul", "sdiv", "shift", "cold", "join"]
    switch = (fn.blocks or [])[0].terminator
    assert switch.opcode == "switch" and switch.attachments == [("!prof", "!0")]
    assert switch.label_operands() == ["%cold", "%mul", "%sdiv", "%shift"]


def test_the_rewrites_reach_the_blocks_after_the_switch(tmp_path: Path) -> None:
    """Fails on the old reader: it swallowed `mul:` ... `join:` into the switch, every count in the
    report was 0 and llc stopped at the `mul i128` left in the module (``__multi3``)."""
    lowered = ir.lower_for_bpf(_switch_module())
    assert lowered.report["expand_i128_mul"] == 1, lowered.report
    assert lowered.report["lower_signed_divrem"] == 1, lowered.report
    assert lowered.report["lower_i128_variable_shifts"] == 1, lowered.report
    left = [
        op
        for _, inst in parse_module(lowered.text).definitions()[0].instructions()
        if (op := as_binary(inst))
    ]
    assert not [
        op for op in left if op.opcode in ("mul", "shl") and op.type == "i128" and not op.rhs.isdigit()
    ]
    assert not [op for op in left if op.opcode == "sdiv"]
    assert "], !prof !0" in lowered.text  # the switch itself is kept as it was
    verify(lowered.text)
    compiled = bpf_llc(lowered.text)
    assert compiled.returncode == 0, compiled.stderr

    rng = random.Random(3)
    rows, expected = [], []
    for _ in range(600):
        op = rng.randrange(4)
        a, b = rng.getrandbits(rng.randint(1, 128)), rng.getrandbits(rng.randint(1, 128))
        x, y = rng.getrandbits(64), rng.getrandbits(rng.randint(1, 64)) or 1
        if _signed(x, 64) == -(1 << 63) and _signed(y, 64) == -1:
            y = 1  # i64::MIN / -1 is undefined in LLVM
        rows.append(words((op, "i64"), (a, "i128"), (b, "i128"), (x, "i64"), (y, "i64")))
        expected.append([_switch_reference(op, a, b, x, y)])
    results = [output_values(row, ["i128"]) for row in lli_cases(lowered.text, rows, 2)]
    assert results == expected


# --------------------------------------------------------------------------------------------------
# Every construct as LLVM prints it


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """``constructs.ll`` as LLVM 22 prints it (use-list orders kept), and LLVM's counts for it."""
    bitcode = tmp_path_factory.mktemp("constructs") / "constructs.bc"
    subprocess.run(
        [str(LLVM_BIN / "llvm-as"), str(FIXTURES / "constructs.ll"), "-o", str(bitcode)], check=True
    )
    text = subprocess.run(
        [str(LLVM_BIN / "llvm-dis"), "--preserve-ll-uselistorder", str(bitcode), "-o", "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    report = subprocess.run(
        [str(OPT), f"-passes={LLVM_COUNT_PASSES}", "-disable-output", str(bitcode)],
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    return text, report


def test_the_fixture_holds_every_multi_line_form(printed: tuple[str, str]) -> None:
    text, _ = printed
    for form in (
        "\n  ], !prof !",  # switch table, then attachments
        "\n          to label %ok unwind label %pad, !prof !",  # invoke
        "\n          to label %fallthrough [label %indirect], !srcloc !",  # callbr
        "\n          cleanup\n          catch ptr null\n          filter ",  # landingpad clauses
        "\n    #dbg_value(",
        "\n    #dbg_declare(",
        "\n    #dbg_label(",
        "\n; uselistorder directives\n  uselistorder i64 %x, { 1, 0 }\n}",
        "\nuselistorder ptr @table",
        "; No predecessors!",
        '\n"small one":',
        "\nmodule asm ",
        "\n$kept = comdat any",
    ):
        assert form in text, form


def test_the_reader_reads_it_as_llvm_does(printed: tuple[str, str]) -> None:
    text, report = printed
    module = parse_module(text)
    assert module.render() == text
    check_against_llvm(module, report)
    counts = {c.name: c for c in reader_counts(module)}
    assert set(counts) == {'quoted "fn"', "jumps", "asm_goto", "funclets", "reordered"}
    quoted = counts['quoted "fn"']
    assert quoted.blocks[:2] == ("entry", "small one") and len(quoted.blocks) == 10
    assert quoted.reachable_blocks == 8  # `dead` and `dead2` are not; LLVM's counts skip them too
    assert counts["jumps"].blocks == ("", "one", "two")


def test_multi_line_instructions_and_their_attachments(printed: tuple[str, str]) -> None:
    module = parse_module(printed[0])
    fn = module.function('@"quoted \\22fn\\22"')
    assert fn is not None
    by_opcode = {inst.opcode: inst for _, inst in fn.instructions()}
    switch, invoke, landingpad = by_opcode["switch"], by_opcode["invoke"], by_opcode["landingpad"]
    assert switch.line.count("\n") == 3 and [k for k, _ in switch.attachments] == ["!prof", "!annotation"]
    assert switch.label_operands() == ["%other", "%zero", "%call"]
    assert invoke.line.count("\n") == 1 and invoke.label_operands() == ["%ok", "%pad"]
    assert [k for k, _ in invoke.attachments] == ["!prof"]
    assert landingpad.line.count("\n") == 3 and landingpad.result == "%lp"
    assert [k for k, _ in landingpad.attachments] == ["!annotation"]
    load = by_opcode["load"]
    assert [k for k, _ in load.attachments] == ["!range", "!noundef"]
    assert [k for k, _ in by_opcode["icmp"].attachments] == ["!dbg"]
    records = [inst for _, inst in fn.instructions() if inst.opcode.startswith("#")]
    assert [r.opcode for r in records] == ["#dbg_value", "#dbg_declare", "#dbg_label"]
    assert not any(r.is_instruction for r in records)
    callbr = module.function("@asm_goto")
    assert callbr is not None and callbr.blocks is not None
    assert callbr.blocks[0].terminator.label_operands() == ["%fallthrough", "%indirect"]
    reordered = module.function("@reordered")
    assert reordered is not None and reordered.directives[-1] == "  uselistorder i64 %x, { 1, 0 }"


INSTRUCTION_DEF = LLVM_BIN.parent / "include" / "llvm" / "IR" / "Instruction.def"


@pytest.mark.skipif(not INSTRUCTION_DEF.is_file(), reason="LLVM 22 headers (llvm-22-dev) not installed")
def test_the_reader_knows_every_llvm_22_instruction() -> None:
    names = re.findall(r"^HANDLE_\w*INST\s*\(\s*\d+\s*,\s*(\w+)", INSTRUCTION_DEF.read_text(), re.M)
    spelled = {"atomiccmpxchg": "cmpxchg", "vaarg": "va_arg"}  # getOpcodeName's spelling
    llvm = {spelled.get(name.lower(), name.lower()) for name in names} - {
        "userop1",
        "userop2",
    }  # pass-internal
    assert llvm == OPCODES
    assert TERMINATORS <= OPCODES


def test_attachments_in_llvm_s_other_spellings() -> None:
    inst = Instruction(
        '  %v = load i64, ptr %p, align 8, !tbaa !{!"x"}, !dbg !DILocation(line: 2, scope: !3)'
    )
    assert inst.attachments == [("!tbaa", '!{!"x"}'), ("!dbg", "!DILocation(line: 2, scope: !3)")]
    call = Instruction('  call void @f(metadata !"operand", i64 1) #2, !srcloc !4')
    assert call.attachments == [("!srcloc", "!4")]


# --------------------------------------------------------------------------------------------------
# Anything else fails, naming the line

BASE = """\
define i64 @f(i64 %x) {
start:
  %y = add i64 %x, 1
  switch i64 %y, label %done [
    i64 0, label %done
  ], !prof !0

done:
  ret i64 %y
}
!0 = !{!"branch_weights", i32 1, i32 1}
"""


def _edit(old: str, new: str) -> str:
    assert old in BASE
    return BASE.replace(old, new, 1)


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        (_edit("add i64", "frobnicate i64"), 3, "expected an LLVM 22 instruction, found `frobnicate`"),
        (_edit("%x, 1", "%x, ^1"), 3, "unexpected character '^'"),
        (_edit("%y = add", "%y = tail add"), 3, "`tail` marks calls only"),
        (
            _edit("  ], !prof !0", "  ], !prof !0 extra"),
            6,
            "unexpected 'extra' after the metadata attachments",
        ),
        (_edit("  ], !prof !0", "  ], !prof"), 6, "ends in the middle of an operand list or attachment"),
        (_edit("  ], !prof !0", "  ], !prof !0, !0"), 6, "expected a metadata attachment"),
        (_edit("  ], !prof !0", "  ]], !prof !0"), 6, "unbalanced ']'"),
        (_edit("  ], !prof !0\n", ""), 4, "unclosed '['"),
        (_edit("done:\n", "done here:\n"), 8, "expected a block label"),
        (
            _edit("done:\n  ret i64 %y\n", "done:\n  ret i64 %y\n  %z = add i64 %x, 2\n"),
            10,
            "follows the block's",
        ),
        (_edit("  ret i64 %y\n", "  %z = add i64 %y, 2\n"), 9, "does not end with a terminator"),
        (_edit("done:\n", "done:\n\nempty:\n"), 8, "block without instructions"),
        (_edit("done:\n", "start:\n"), 8, "block label defined twice"),
        (
            _edit("  ret i64 %y\n", "  call void @g()\n          to label %done\n  ret i64 %y\n"),
            10,
            "`to` does not",
        ),
        (_edit("  ret i64 %y\n", "    #dbg_frob(i64 %y)\n  ret i64 %y\n"), 9, "unknown debug record"),
        (
            _edit("  ret i64 %y\n", "  ret i64 %y\n  uselistorder i64 %x, { 1, 0 }\n  ret i64 %x\n"),
            11,
            "only use",
        ),
        (_edit("}\n!0", "!0"), 1, "function body is not closed"),
        (_edit("!0 = ", "garbage !0 = "), 11, "not a top-level LLVM IR line"),
        ("  %x = add i64 1, 2\n" + BASE, 1, "not a top-level LLVM IR line"),
        ("declare void f()\n", 1, "cannot find the function name"),
    ],
)
def test_a_line_the_reader_does_not_understand_fails_naming_it(text: str, line: int, reason: str) -> None:
    with pytest.raises(IRSyntaxError) as info:
        parse_module(text)
    error = info.value
    assert error.line == line, str(error)
    assert reason in error.reason, str(error)
    assert str(error).startswith(f"IR line {line}: "), str(error)
    assert error.text is not None and error.text.strip() == text.split("\n")[line - 1].strip()
    assert "\n" not in str(error)


def test_the_error_names_the_file_the_pipeline_kept() -> None:
    with pytest.raises(IRSyntaxError) as info:
        parse_module(_edit("add i64", "frobnicate i64"))
    located = info.value.located("target/sbf/p/module.ll")
    assert str(located) == (
        "target/sbf/p/module.ll:3: expected an LLVM 22 instruction, found `frobnicate`: "
        "`%y = frobnicate i64 %x, 1`"
    )


def test_rewrites_cannot_build_instructions_the_reader_would_refuse() -> None:
    with pytest.raises(IRSyntaxError, match="expected an LLVM 22 instruction"):
        Instruction.new("%x = umulh i64 %a, %b")


# --------------------------------------------------------------------------------------------------
# The check against LLVM's counts


def _llvm_report(text: str) -> str:
    result = subprocess.run(
        [str(OPT), f"-passes={LLVM_COUNT_PASSES}", "-disable-output"],
        input=text,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stderr


def test_llvm_s_report_is_read_per_function() -> None:
    counts = parse_llvm_counts(_llvm_report(_switch_module()))
    assert [(c.name, c.blocks, c.reachable_blocks) for c in counts] == [
        ("case", ("", "mul", "sdiv", "shift", "cold", "join"), 6)
    ]
    assert counts == reader_counts(parse_module(_switch_module()))


def _misread(text: str, damage: str) -> Module:
    """``text`` read, then damaged the way a reader bug would."""
    module = parse_module(text)
    fn = module.definitions()[-1]
    assert fn.blocks is not None
    if damage == "lost instruction":
        fn.blocks[-1].instructions.pop(0)
    elif damage == "named entry block":
        fn.blocks[0].label = "entry"
    elif damage == "lost function":
        module.items.remove(fn)
    return module


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (
            "lost instruction",
            "LLVM counts 6 blocks (6 reachable, 24 instructions in them), the reader 6 blocks (6",
        ),
        ("named entry block", "block 0 is '' for LLVM, 'entry' for the reader"),
        ("lost function", "the IR reader found 1 function definitions, LLVM 2"),
    ],
)
def test_a_misread_module_fails_the_check_naming_the_function(damage: str, message: str) -> None:
    text = "define i64 @first(i64 %x) {\n  ret i64 %x\n}\n\n" + _switch_module()
    report = _llvm_report(text)
    check_against_llvm(parse_module(text), report)
    with pytest.raises(IRMismatch) as info:
        check_against_llvm(_misread(text, damage), report)
    assert message in str(info.value), str(info.value)
    if damage != "lost function":
        assert "misread case:" in str(info.value)


def test_a_branch_to_a_block_the_reader_does_not_have_is_reported() -> None:
    module = parse_module(_switch_module())
    [fn] = module.definitions()
    assert fn.blocks is not None
    del fn.blocks[1]  # `mul`
    with pytest.raises(IRSyntaxError, match="branch to %mul, which is no block of @case"):
        reader_counts(module)


def test_an_unreadable_report_is_an_error() -> None:
    with pytest.raises(BuildError, match="cannot read opt's function report"):
        parse_llvm_counts("Printing analysis results of CFA for function 'f':\nBasicBlockCount: 1\n")

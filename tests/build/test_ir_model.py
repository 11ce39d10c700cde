"""The IR tokenizer and model: what the rewrites rely on to read and re-print LLVM IR."""

from __future__ import annotations

from pathlib import Path

import pytest

from solgrid.build.ir_lexer import IRSyntaxError, Kind, group, span_text, split_commas, tokenize
from solgrid.build.ir_model import Instruction, parse_module
from solgrid.build.ir_operands import parse_operand
from solgrid.build.ir_views import as_binary, as_call, as_cast

MODULE = (Path(__file__).parent / "ir_fixtures" / "model.ll").read_text()


def test_module_renders_back_unchanged() -> None:
    assert parse_module(MODULE).render() == MODULE


def test_module_structure() -> None:
    module = parse_module(MODULE)
    fn = module.function('@"weird name"')
    assert fn is not None and fn.is_definition and fn.is_local
    assert fn.return_type == "i64"
    assert [p.type for p in fn.params] == ["i128", "ptr"]
    assert fn.params[1].attrs == ["noalias", "noundef", "align 8", "dereferenceable(16)"]
    assert fn.params[1].value == "%p"
    assert fn.blocks is not None and [b.label for b in fn.blocks] == ["start", "bb1", "bb2"]
    assert [inst.opcode for inst in fn.blocks[0].instructions] == ["trunc", "", "call", "#dbg_value", "br"]
    (switch,) = fn.blocks[1].instructions  # one instruction over four lines
    assert switch.opcode == "switch" and len(switch.items) == 7
    declaration = module.function("@callee")
    assert declaration is not None and not declaration.is_definition and not declaration.is_local
    assert [g.name for g in module.globals()] == ["@msg", '@"quoted global"']
    assert module.globals()[0].keyword == "constant"


def test_tokenizer_keeps_strings_names_and_comments_apart() -> None:
    tokens = tokenize('%"a b" = call i32 (ptr, ...) @printf(ptr c"x;y", double 0x3FF0000000000000) ; tail')
    assert [(t.kind, t.text) for t in tokens] == [
        (Kind.LOCAL, '%"a b"'),
        (Kind.PUNCT, "="),
        (Kind.WORD, "call"),
        (Kind.WORD, "i32"),
        (Kind.PUNCT, "("),
        (Kind.WORD, "ptr"),
        (Kind.PUNCT, ","),
        (Kind.PUNCT, "..."),
        (Kind.PUNCT, ")"),
        (Kind.GLOBAL, "@printf"),
        (Kind.PUNCT, "("),
        (Kind.WORD, "ptr"),
        (Kind.STRING, 'c"x;y"'),
        (Kind.PUNCT, ","),
        (Kind.WORD, "double"),
        (Kind.NUMBER, "0x3FF0000000000000"),
        (Kind.PUNCT, ")"),
    ]


def test_groups_split_only_on_top_level_commas() -> None:
    text = '{ i64, i1 } { i64 1, i1 true }, ptr getelementptr (i8, ptr @g, i64 8), [2 x i8] c"ab"'
    parts = split_commas(group(tokenize(text)))
    assert [span_text(text, part) for part in parts] == [
        "{ i64, i1 } { i64 1, i1 true }",
        "ptr getelementptr (i8, ptr @g, i64 8)",
        '[2 x i8] c"ab"',
    ]


def test_unbalanced_brackets_are_reported() -> None:
    with pytest.raises(IRSyntaxError, match="unbalanced"):
        group(tokenize("call void @f(i64 1]"))
    with pytest.raises(IRSyntaxError, match="unclosed"):
        group(tokenize("call void @f(i64 1"))
    with pytest.raises(IRSyntaxError, match="unexpected character"):
        tokenize("%x = add i64 1, ^2")


def test_operand_attributes_with_arguments() -> None:
    text = (
        "ptr dead_on_unwind noalias writable sret([16 x i8]) align 16 captures(none) initializes((0, 8)) %_0"
    )
    operand = parse_operand(text, group(tokenize(text)))
    assert operand.type == "ptr"
    assert operand.attrs == [
        "dead_on_unwind",
        "noalias",
        "writable",
        "sret([16 x i8])",
        "align 16",
        "captures(none)",
        "initializes((0, 8))",
    ]
    assert operand.value == "%_0"
    assert operand.has_attr("sret") and not operand.without_attr("sret").has_attr("sret")
    constant = "i64 ptrtoint (ptr @g to i64)"
    assert parse_operand(constant, group(tokenize(constant))).value == "ptrtoint (ptr @g to i64)"


def test_call_views() -> None:
    call = as_call(
        Instruction("  %r = tail call noundef range(i8 -1, 2) i8 @cmp(i64 %a, i64 noundef 5) #3, !x !2")
    )
    assert call is not None
    assert (call.result, call.tail, call.callee, call.return_type) == ("%r", "tail", "@cmp", "i8")
    assert [a.value for a in call.args] == ["%a", "5"]
    assert call.suffix == " #3, !x !2"
    assert call.render() == "%r = tail call noundef range(i8 -1, 2) i8 @cmp(i64 %a, i64 noundef 5) #3, !x !2"

    varargs = as_call(Instruction("  %n = call i32 (ptr, ...) @printf(ptr @fmt, i64 %x)"))
    assert varargs is not None and varargs.callee == "@printf" and varargs.return_type == "i32"
    assert len(varargs.args) == 2

    indirect = as_call(Instruction("  %v = call { i64, i1 } %fp(i64 1)"))
    assert indirect is not None and indirect.callee == "%fp" and indirect.return_type == "{ i64, i1 }"
    assert as_call(Instruction("  store i64 1, ptr %p, align 8")) is None


def test_binary_and_cast_views() -> None:
    op = as_binary(Instruction("  %q = sdiv exact i64 %a, -7, !dbg !4"))
    assert op is not None
    assert (op.opcode, op.flags, op.type, op.lhs, op.rhs) == ("sdiv", ["exact"], "i64", "%a", "-7")
    op = as_binary(Instruction("  %m = mul nuw nsw i128 %x, ptrtoint (ptr @g to i128)"))
    assert op is not None and op.rhs == "ptrtoint (ptr @g to i128)" and op.flags == ["nuw", "nsw"]
    cast = as_cast(Instruction("  %w = zext nneg i64 %v to i128"))
    assert cast is not None and (cast.from_type, cast.value, cast.to_type) == ("i64", "%v", "i128")
    assert as_binary(Instruction("  %c = icmp ult i64 %a, %b")) is None


def test_fresh_names_avoid_existing_ones() -> None:
    module = parse_module(
        "define i64 @f(i64 %sbf.t1) {\n  %sbf.t2 = add i64 %sbf.t1, 1\n  ret i64 %sbf.t2\n}\n"
    )
    fn = module.definitions()[0]
    assert fn.fresh("t") == "%sbf.t3"
    assert fn.fresh("t") == "%sbf.t4"


def test_entry_instructions_go_to_the_top_of_the_entry_block() -> None:
    module = parse_module("define void @f() {\n  ret void\n}\n")
    fn = module.definitions()[0]
    fn.add_entry_instruction("%a = alloca i64, align 8")
    fn.add_entry_instruction("%b = alloca i64, align 8")
    assert module.render() == (
        "define void @f() {\n  %a = alloca i64, align 8\n  %b = alloca i64, align 8\n  ret void\n}\n"
    )

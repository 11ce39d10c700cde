"""pack_stack_arguments on functions called through pointers (``dyn Trait`` methods, vtables).

Every address-taken function needing more than 5 argument registers is packed by its signature,
together with every indirect call of more than 5 registers and every direct call of it. llc rejects
the module before and accepts it after, and lli gives the same results before and after (and the
ones computed here) on the host. What the packing cannot follow fails naming the function.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import pytest
from ir_support import bpf_llc, case_function, lli_cases, requires_llvm, verify

from solgrid.build import ir
from solgrid.build.errors import UnsupportedCode
from solgrid.build.ir_calls import pack_stack_arguments
from solgrid.build.ir_model import parse_module

pytestmark = requires_llvm

MASK64 = (1 << 64) - 1

# Parameter kinds: how a method turns each parameter into a 64-bit value it mixes into its result.
# (type, kind): "word" loads an i64 through the pointer, "byte" loads an i8, "value" zero-extends,
# "wide" folds an i128's halves together.
PLACE = [
    ("ptr", "word"), ("i64", "value"), ("i8 zeroext", "value"), ("i1 zeroext", "value"),
    ("ptr", "byte"), ("i64", "value"), ("ptr", "word"), ("i128", "wide"),
]  # fmt: skip
CANCEL = [
    ("ptr", "word"), ("i64", "value"), ("ptr", "byte"), ("i64", "value"), ("ptr", "byte"), ("i64", "value"),
    ("i64", "value"),
]  # fmt: skip
SIX = [
    ("ptr", "byte"),
    ("i64", "value"),
    ("i64", "value"),
    ("i64", "value"),
    ("i64", "value"),
    ("i32", "value"),
]
SMALL = [("ptr", "word"), ("i64", "value"), ("i64", "value")]

COEFFICIENTS = {
    "@a.place": [3, 5, 7, 11, 13, 17, 19, 23],
    "@b.place": [29, 31, 37, 41, 43, 47, 53, 59],
    "@h.place": [61, 67, 71, 73, 79, 83, 89, 97],
    "@a.cancel": [101, 103, 107, 109, 113, 127, 131],
    "@b.cancel": [137, 139, 149, 151, 157, 163, 167],
    "@a.small": [173, 179, 181],
    "@b.small": [191, 193, 197],
    "@c.six": [199, 211, 223, 227, 229, 233],
    "@d.six": [239, 241, 251, 257, 263, 269],
}


def method(name: str, params: Sequence[tuple[str, str]]) -> str:
    """An internal function mixing its parameters into an i64: acc = acc * 31 ^ value * coefficient."""
    header = ", ".join(f"{ty} %p{k}" for k, (ty, _) in enumerate(params))
    lines = []
    acc = "0"
    for k, ((ty, kind), coefficient) in enumerate(zip(params, COEFFICIENTS[name], strict=True)):
        base = ty.split()[0]
        if kind == "word":
            lines.append(f"  %v{k} = load i64, ptr %p{k}, align 1")
        elif kind == "byte":
            lines += [f"  %b{k} = load i8, ptr %p{k}, align 1", f"  %v{k} = zext i8 %b{k} to i64"]
        elif kind == "wide":
            lines += [
                f"  %h{k} = lshr i128 %p{k}, 64",
                f"  %x{k} = xor i128 %p{k}, %h{k}",
                f"  %v{k} = trunc i128 %x{k} to i64",
            ]
        elif base == "i64":
            lines.append(f"  %v{k} = add i64 %p{k}, 0")
        else:
            lines.append(f"  %v{k} = zext {base} %p{k} to i64")
        lines += [
            f"  %t{k} = mul i64 {acc}, 31",
            f"  %m{k} = mul i64 %v{k}, {coefficient}",
            f"  %acc{k} = xor i64 %t{k}, %m{k}",
        ]
        acc = f"%acc{k}"
    body = "\n".join(lines)
    return f"define internal i64 {name}({header}) {{\nbb:\n{body}\n  ret i64 {acc}\n}}\n"


VTABLE_FILLER = '[16 x i8] c"\\08\\00\\00\\00\\00\\00\\00\\00\\08\\00\\00\\00\\00\\00\\00\\00"'
MODULE_TOP = (
    "%Vt = type <{ ptr, [16 x i8], ptr, ptr, ptr }>\n"
    f"@vt.a = private unnamed_addr constant %Vt <{{ ptr @drop, {VTABLE_FILLER}, "
    "ptr @a.place, ptr @a.cancel, ptr @a.small }>, align 8\n"
    f"@vt.b = private unnamed_addr constant %Vt <{{ ptr @drop, {VTABLE_FILLER}, "
    "ptr @b.place, ptr @b.cancel, ptr @b.small }>, align 8\n"
    "@table = internal constant [2 x ptr] [ptr @vt.a, ptr @vt.b], align 8\n"
    "define internal void @drop(ptr %me) {\nbb:\n  ret void\n}\n"
    + "".join(method(n, PLACE) for n in ("@a.place", "@b.place", "@h.place"))
    + "".join(method(n, CANCEL) for n in ("@a.cancel", "@b.cancel"))
    + "".join(method(n, SMALL) for n in ("@a.small", "@b.small"))
    + "".join(method(n, SIX) for n in ("@c.six", "@d.six"))
    + """
; takes a function pointer and seven more registers: packed as a direct-only function, and its
; indirect call of the CANCEL signature packed too
define internal i64 @apply(ptr %fp, ptr %p1, i64 %p2, ptr %p3, i64 %p4, ptr %p5, i64 %p6, i64 %p7) {
bb:
  %r = tail call i64 %fp(ptr %p1, i64 %p2, ptr %p3, i64 %p4, ptr %p5, i64 %p6, i64 %p7)
  %r3 = mul i64 %r, 3
  ret i64 %r3
}
"""
)

CALLER_BODY = """
  %fpslot = alloca ptr, align 8
  %me = getelementptr inbounds i8, ptr %in, i64 0
  %ord = getelementptr inbounds i8, ptr %in, i64 8
  %tg = getelementptr inbounds i8, ptr %in, i64 16
  %sd = trunc i64 %c to i8
  %pt = trunc i64 %d to i1
  %bt = trunc i64 %b to i1
  %e32 = trunc i64 %e to i32
  %sel = and i64 %a, 1
  %vtp = getelementptr inbounds [2 x ptr], ptr @table, i64 0, i64 %sel
  %vt = load ptr, ptr %vtp, align 8
  %placep = getelementptr inbounds i8, ptr %vt, i64 24
  %place = load ptr, ptr %placep, align 8
  %cancelp = getelementptr inbounds i8, ptr %vt, i64 32
  %cancel = load ptr, ptr %cancelp, align 8
  %smallp = getelementptr inbounds i8, ptr %vt, i64 40
  %small = load ptr, ptr %smallp, align 8
  %r0 = call i64 %place(ptr %me, i64 %b, i8 zeroext %sd, i1 zeroext %pt, ptr %tg, i64 %e, ptr %ord, i128 %x)
  %r1 = tail call i64 %cancel(ptr %me, i64 %f, ptr %tg, i64 %g, ptr %ord, i64 %a, i64 %b)
  %r2 = call i64 %small(ptr %me, i64 %c, i64 %d)
  %r3 = call i64 @a.place(ptr %ord, i64 %c, i8 zeroext %sd, i1 zeroext %pt, ptr %me, i64 %f, ptr %tg, i128 %x)
  %r4 = call i64 @h.place(ptr %me, i64 %g, i8 zeroext %sd, i1 zeroext %bt, ptr %ord, i64 %a, ptr %tg, i128 %x)
  store ptr @c.six, ptr %fpslot, align 8
  %sixsel = select i1 %bt, ptr @c.six, ptr @d.six
  %r5 = call i64 %sixsel(ptr %tg, i64 %a, i64 %b, i64 %c, i64 %d, i32 %e32)
  br i1 %pt, label %fromslot, label %other

fromslot:
  %fp.c = load ptr, ptr %fpslot, align 8
  br label %join

other:
  br label %join

join:
  %six = phi ptr [ %fp.c, %fromslot ], [ @d.six, %other ]
  %r6 = call i64 %six(ptr %ord, i64 %g, i64 %f, i64 %e, i64 %d, i32 %e32)
  %r7 = call i64 @apply(ptr @b.cancel, ptr %ord, i64 %a, ptr %me, i64 %c, ptr %tg, i64 %e, i64 %f)
"""
INPUTS = [(name, "i64") for name in "abcdefg"] + [("x", "i128")]
OUTPUTS = [(f"%r{k}", "i64") for k in range(8)]


def _mix(name: str, values: Sequence[int]) -> int:
    acc = 0
    for value, coefficient in zip(values, COEFFICIENTS[name], strict=True):
        acc = ((acc * 31) ^ (value * coefficient)) & MASK64
    return acc


def _expected(row: Sequence[int]) -> list[int]:
    a, b, c, d, e, f, g = row[:7]
    x = row[7] | row[8] << 64
    wide = (x ^ (x >> 64)) & MASK64

    def word(offset: int) -> int:
        return row[offset // 8]

    def byte(offset: int) -> int:
        return row[offset // 8] & 0xFF

    self_, order, tag = 0, 8, 16
    side, post, bit, e32 = c & 0xFF, d & 1, b & 1, e & 0xFFFFFFFF
    impl = "a" if a & 1 == 0 else "b"
    r0 = _mix(f"@{impl}.place", [word(self_), b, side, post, byte(tag), e, word(order), wide])
    r1 = _mix(f"@{impl}.cancel", [word(self_), f, byte(tag), g, byte(order), a, b])
    r2 = _mix(f"@{impl}.small", [word(self_), c, d])
    r3 = _mix("@a.place", [word(order), c, side, post, byte(self_), f, word(tag), wide])
    r4 = _mix("@h.place", [word(self_), g, side, bit, byte(order), a, word(tag), wide])
    r5 = _mix("@c.six" if bit else "@d.six", [byte(tag), a, b, c, d, e32])
    r6 = _mix("@c.six" if post else "@d.six", [byte(order), g, f, e, d, e32])
    r7 = _mix("@b.cancel", [word(order), a, byte(self_), c, byte(tag), e, f]) * 3 & MASK64
    return [r0, r1, r2, r3, r4, r5, r6, r7]


def _rows(count: int) -> list[list[int]]:
    rng = random.Random(15)
    rows = []
    for _ in range(count):
        row = [rng.getrandbits(64) for _ in range(7)]
        row += [rng.getrandbits(64), rng.getrandbits(64)]
        rows.append(row)
    return rows


def _module() -> str:
    return MODULE_TOP + case_function(INPUTS, CALLER_BODY, OUTPUTS)


def test_indirect_calls_are_packed_and_keep_their_results() -> None:
    before = _module()
    verify(before)
    raw = bpf_llc(before)
    assert raw.returncode != 0 and "stack arguments are not supported" in raw.stderr, raw.stderr

    after = ir.finish_for_bpf(before, require_support_crate=False)
    # place x3, cancel x2, six x2 (address taken or not) and apply; small and drop need no packing
    assert after.report == {"pack_stack_arguments": 8}
    verify(after.text)
    compiled = bpf_llc(after.text)
    assert compiled.returncode == 0, compiled.stderr

    rows = _rows(400)
    results_before = lli_cases(before, rows, len(OUTPUTS))
    results_after = lli_cases(after.text, rows, len(OUTPUTS))
    assert results_after == results_before
    assert [_expected(row) for row in rows] == results_after
    # both implementations and both six targets were exercised
    assert {row[0] & 1 for row in rows} == {0, 1} and {row[1] & 1 for row in rows} == {0, 1}


def test_packed_signatures_and_call_sites() -> None:
    module = parse_module(_module())
    assert pack_stack_arguments(module) == 8
    packed = {
        "@a.place": ["ptr", "i64", "i8 zeroext", "i1 zeroext", "ptr"],
        "@h.place": ["ptr", "i64", "i8 zeroext", "i1 zeroext", "ptr"],
        "@a.cancel": ["ptr", "i64", "ptr", "i64", "ptr"],
        "@c.six": ["ptr", "i64", "i64", "i64", "ptr"],
        "@apply": ["ptr", "ptr", "i64", "ptr", "ptr"],
        "@a.small": ["ptr", "i64", "i64"],
    }
    for name, params in packed.items():
        fn = module.function(name)
        assert fn is not None
        assert [" ".join([p.type, *[a for a in p.attrs if a in ("zeroext",)]]) for p in fn.params] == params
    case = module.function("@case")
    apply = module.function("@apply")
    assert case is not None and apply is not None
    calls = [inst.text for _, inst in case.instructions() if inst.opcode == "call"]
    # every call now passes at most 5 arguments, the last of the packed ones being the caller's slot
    for text in calls:
        args = text[text.index("(", text.index("call")) + 1 :]
        assert args.count(", ") <= 4, text
    assert "%r0 = call i64 %place(ptr %me, i64 %b, i8 zeroext %sd, i1 zeroext %pt, ptr %sbf.stackargs" in (
        "\n".join(calls)
    )
    assert not any(text.startswith("%r1 = tail call") for text in calls)  # reads the caller's slot
    assert any(text.startswith("%r2 = call i64 %small(ptr %me, i64 %c, i64 %d)") for text in calls)
    apply_calls = [inst.text for _, inst in apply.instructions() if inst.opcode == "call"]
    assert len(apply_calls) == 1
    assert apply_calls[0].startswith("%r = call i64 %fp(ptr %p1, i64 %p2, ptr %p3, i64 %p4, ptr %sbf.stack")


def test_indirect_call_matching_no_function_is_packed_like_its_signature() -> None:
    """No function of the module can be its target, so any convention is right; packing lets llc
    compile it, with the layout any function of that signature would have."""
    text = (
        "define internal i64 @never(ptr %fp) {\nbb:\n"
        "  %r = call i64 %fp(i64 1, i64 2, i64 3, i64 4, i64 5, i64 6)\n  ret i64 %r\n}\n"
        "define i64 @entrypoint(ptr %fp) {\nbb:\n  %r = call i64 @never(ptr %fp)\n  ret i64 %r\n}\n"
    )
    after = ir.finish_for_bpf(text, require_support_crate=False)
    assert after.report == {"pack_stack_arguments": 0}
    assert "call i64 %fp(i64 1, i64 2, i64 3, i64 4, ptr %sbf.stackargs" in after.text
    assert "store i64 5, ptr %sbf.stackargs" in after.text
    assert bpf_llc(after.text).returncode == 0


def test_five_register_indirect_calls_and_functions_are_not_touched() -> None:
    text = (
        "@table = internal constant [1 x ptr] [ptr @five]\n"
        "define internal i64 @five(i128 %a, i64 %b, i64 %c, ptr %d) {\nbb:\n  ret i64 %b\n}\n"
        "define i64 @entrypoint(ptr %p) {\nbb:\n  %f = load ptr, ptr @table, align 8\n"
        "  %r = call i64 %f(i128 1, i64 2, i64 3, ptr %p)\n  ret i64 %r\n}\n"
    )
    module = parse_module(text)
    assert pack_stack_arguments(module) == 0
    assert module.render() == text


SIX_PARAMS = "i64 %a, i64 %b, i64 %c, i64 %d, i64 %e, i64 %f"
SIX_ARGS = "i64 1, i64 2, i64 3, i64 4, i64 5, i64 6"


def _entry_calling(use: str) -> str:
    """An entrypoint doing ``use``, then an indirect call of the six-register signature."""
    return (
        f"define i64 @entrypoint(ptr %p) {{\nbb:\n  {use}\n  %f = load ptr, ptr %p, align 8\n"
        f"  %r = call i64 %f({SIX_ARGS})\n  ret i64 %r\n}}\n"
    )


def _six(linkage: str = "internal ", params: str = SIX_PARAMS) -> str:
    return f"define {linkage}i64 @method({params}) {{\nbb:\n  ret i64 %a\n}}\n"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        pytest.param(
            "@vt = internal constant [1 x ptr] [ptr @method]\n"
            f"declare i64 @method({SIX_PARAMS})\n" + _entry_calling("store ptr @vt, ptr %p"),
            "is only declared here",
            id="declared-only",
        ),
        pytest.param(
            "@vt = internal constant [1 x ptr] [ptr @method]\n"
            + _six(linkage="")
            + _entry_calling("store ptr @vt, ptr %p"),
            "visible outside the module",
            id="external",
        ),
        pytest.param(
            "@vt = internal constant [1 x ptr] [ptr @method]\n"
            + _six(params=f"{SIX_PARAMS}, ...")
            + _entry_calling("store ptr @vt, ptr %p"),
            "is variadic",
            id="varargs",
        ),
        pytest.param(
            "%Big = type { [4 x i64] }\n@vt = internal constant [1 x ptr] [ptr @method]\n"
            + _six(params=f"ptr byval(%Big) align 8 %s, {SIX_PARAMS}")
            + _entry_calling("store ptr @vt, ptr %p"),
            "`byval` parameter",
            id="byval",
        ),
        pytest.param(  # lower_for_bpf strips sret; finish_for_bpf alone must not move it
            "%Big = type { [4 x i64] }\n@vt = internal constant [1 x ptr] [ptr @method]\n"
            + _six(params=f"ptr sret(%Big) align 8 %s, {SIX_PARAMS}")
            + _entry_calling("store ptr @vt, ptr %p"),
            "`sret` parameter",
            id="sret",
        ),
        pytest.param(
            "@vt = internal constant [1 x ptr] [ptr @method]\n"
            + _six(params=f"[2 x i64] %pair, {SIX_PARAMS}")
            + _entry_calling("store ptr @vt, ptr %p"),
            "parameter of type `[2 x i64]`",
            id="aggregate",
        ),
        pytest.param(
            "declare void @sol_log_(ptr, i64)\n"
            + _six()
            + _entry_calling("call void @sol_log_(ptr @method, i64 8)"),
            "passed to sol_log_ in entrypoint (a function the module does not define)",
            id="passed-to-declaration",
        ),
        pytest.param(
            _six() + _entry_calling("%i = ptrtoint ptr @method to i64"),
            "`ptrtoint` operand in entrypoint",
            id="ptrtoint",
        ),
        pytest.param(
            "@vt = internal constant [1 x i64] [i64 ptrtoint (ptr @method to i64)]\n"
            + _six()
            + _entry_calling("store ptr @vt, ptr %p"),
            "in the initializer in vt (inside a constant expression)",
            id="constant-expression",
        ),
        pytest.param(
            "@vt = constant [1 x ptr] [ptr @method]\n" + _six() + _entry_calling("store ptr @vt, ptr %p"),
            "visible outside the module",
            id="external-global",
        ),
        pytest.param(
            "@alias = internal alias i64 (i64), ptr @method\n"
            + _six()
            + _entry_calling("store ptr @alias, ptr %p"),
            "(an alias)",
            id="alias",
        ),
        pytest.param(
            _six() + _entry_calling("store i64 0, ptr @method, align 8"),
            "used as the address of a store",
            id="store-into",
        ),
    ],
)
def test_address_taken_functions_that_cannot_be_packed_fail_naming_them(text: str, reason: str) -> None:
    with pytest.raises(UnsupportedCode) as info:
        ir.finish_for_bpf(text, require_support_crate=False)
    assert info.value.where == "method", str(info.value)
    assert "needs 6 argument registers" in info.value.reason or "needs 7" in info.value.reason, str(
        info.value
    )
    assert reason in info.value.reason, str(info.value)


@pytest.mark.parametrize(
    ("call", "reason"),
    [
        pytest.param(
            f"%r = call i64 (i64, ...) %f({SIX_ARGS})", "through a variadic function type", id="varargs"
        ),
        pytest.param(f"%r = call i64 %f(ptr byval(%Big) %p, {SIX_ARGS})", "one `byval`", id="byval"),
        pytest.param(
            f"%r = call i64 %f([2 x i64] zeroinitializer, {SIX_ARGS})",
            "one of type `[2 x i64]`",
            id="aggregate",
        ),
    ],
)
def test_indirect_calls_that_cannot_be_packed_fail_naming_the_caller(call: str, reason: str) -> None:
    text = (
        "%Big = type { [4 x i64] }\n"
        f"define internal i64 @caller(ptr %p) {{\nbb:\n  %f = load ptr, ptr %p, align 8\n  {call}\n"
        "  ret i64 %r\n}\n"
        "define i64 @entrypoint(ptr %p) {\nbb:\n  %r = call i64 @caller(ptr %p)\n  ret i64 %r\n}\n"
    )
    verify(text)
    with pytest.raises(UnsupportedCode) as info:
        ir.finish_for_bpf(text, require_support_crate=False)
    assert info.value.where == "caller", str(info.value)
    assert "calls %f indirectly with" in info.value.reason and reason in info.value.reason, str(info.value)


def test_followed_address_uses_are_accepted() -> None:
    """Every form the analysis follows, at once: vtable, store, select, phi, icmp, insertvalue,
    freeze, ret, and arguments of defined functions and of indirect calls."""
    text = (
        "@vt = private constant { ptr, [1 x ptr] } { ptr @method, [1 x ptr] [ptr @method] }\n"
        + _six()
        + "define internal ptr @give() {\nbb:\n  ret ptr @method\n}\n"
        "define internal void @take(ptr %f) {\nbb:\n  ret void\n}\n"
        "define i64 @entrypoint(ptr %p) {\nbb:\n"
        "  store ptr @method, ptr %p, align 8\n"
        "  %c = icmp eq ptr %p, @method\n"
        "  %s = select i1 %c, ptr @method, ptr %p\n"
        "  %a = insertvalue { ptr, i64 } poison, ptr @method, 0\n"
        "  %z = freeze ptr @method\n"
        "  call void @take(ptr @method)\n"
        "  %g = call ptr @give()\n"
        "  call void %g(ptr @method)\n"
        "  br i1 %c, label %x, label %y\n"
        "x:\n  br label %y\n"
        "y:\n  %ph = phi ptr [ @method, %x ], [ %s, %bb ]\n"
        f"  %r = call i64 %ph({SIX_ARGS})\n  ret i64 %r\n}}\n"
    )
    verify(text)
    after = ir.finish_for_bpf(text, require_support_crate=False)
    assert after.report == {"pack_stack_arguments": 1}
    assert (
        "define internal i64 @method(i64 %a, i64 %b, i64 %c, i64 %d, ptr noalias readonly align 8 %sbf.args"
        in (after.text)
    )
    verify(after.text)
    assert bpf_llc(after.text).returncode == 0

"""The last gate before llc: reject what SBPFv0 cannot run or llc cannot compile correctly.

Some of these llc reports itself, but only as "A call to built-in function '__muldf3' is not
supported" in a mangled function; others it does not report at all: ``fence``, thread-locals and
``i128`` returns make it crash with a stack dump, and ``atomicrmw add`` compiles to an instruction
the SBPF verifier rejects only at deploy time. ``check_supported`` raises ``UnsupportedCode`` naming
the (demangled) function or global and saying what to change instead.
"""

from __future__ import annotations

from solgrid.build.demangle import demangle
from solgrid.build.errors import UnsupportedCode
from solgrid.build.ir_builder import literal_value
from solgrid.build.ir_calls import MAX_ARG_REGISTERS, argument_registers
from solgrid.build.ir_float import FLOAT_TYPES, SCALAR_FLOATS, SOFT_FLOAT_SYMBOLS, data_problem
from solgrid.build.ir_lexer import Group, Kind, Token, is_word, split_commas, tokenize
from solgrid.build.ir_model import Block, Function, Instruction, Module
from solgrid.build.ir_operands import Operand, int_width
from solgrid.build.ir_views import Call, as_binary, as_call

FLOAT_OPCODES = frozenset(
    {"fadd", "fsub", "fmul", "fdiv", "frem", "fneg", "fcmp", "fptoui", "fptosi", "uitofp", "sitofp"}
    | {"fptrunc", "fpext"}
)
ATOMIC_OPCODES = frozenset({"atomicrmw", "cmpxchg", "fence"})
UNWIND_OPCODES = frozenset(
    {"invoke", "landingpad", "resume", "cleanuppad", "catchpad", "catchswitch", "catchret", "cleanupret"}
)
INDIRECT_BRANCH_OPCODES = frozenset({"indirectbr", "callbr"})
# Symbols the rewrites (and LLVM, for memcmp/bcmp) call that only the sbf-support crate defines.
SUPPORT_SYMBOLS = (
    frozenset({"@sbf_memcpy", "@sbf_memmove", "@sbf_memset", "@sbf_udivmod128", "@memcmp", "@bcmp"})
    | SOFT_FLOAT_SYMBOLS
)

NO_FLOATS = (
    "SBPFv0 has no floating-point instructions; lower_for_bpf replaces the scalar double and float "
    "operations it knows with sbf-support calls, anything else needs integer or fixed-point arithmetic"
)
NO_WIDE_RETURN = "the BPF backend returns a single 64-bit register"
TOO_MANY_ARGS = (
    "BPF passes at most 5 argument registers (&[T], &str and u128 take 2 each), and the build repacks "
    "the arguments of internal functions only (not of external ones, nor byval or aggregate parameters); "
    "pass a struct by reference instead"
)


def check_supported(module: Module, *, require_support_crate: bool = True) -> None:
    """Raise ``UnsupportedCode`` for the first construct (in module order) SBPFv0 builds cannot have.

    ``require_support_crate``: calls of the ``sbf_*`` helpers (and ``memcmp``/``bcmp``) must find
    their definitions in the module, i.e. the program links sbf-support (``extern crate sbf_support``).
    """
    for global_var in module.globals():
        if global_var.thread_local:
            raise UnsupportedCode(
                demangle(global_var.name), "is thread-local; SBF programs have no threads and no TLS"
            )
    for fn in module.definitions():
        problem = _signature_problem(fn)
        for block, inst in fn.instructions():
            if problem is not None:
                break
            problem = _instruction_problem(module, fn, block, inst, require_support_crate)
        if problem is not None:
            raise UnsupportedCode(demangle(fn.name), problem + _reached_from(module, fn))


def _float_type_in(types: list[str]) -> str | None:
    """The first type naming a float other than a scalar ``double``/``float`` (which llc passes in
    integer registers)."""
    for text in types:
        if text in SCALAR_FLOATS:
            continue
        for token in tokenize(text):
            if token.kind is Kind.WORD and token.text in FLOAT_TYPES:
                return text
    return None


def _registers(operands: list[Operand]) -> int:
    return sum(argument_registers(op.type) or 1 for op in operands)


def _signature_problem(fn: Function) -> str | None:
    float_type = _float_type_in([fn.return_type, *(p.type for p in fn.params)])
    if float_type is not None:
        return f"takes or returns floating point ({float_type}); {NO_FLOATS}"
    if fn.is_vararg:
        return "is variadic, which the BPF backend does not support"
    width = int_width(fn.return_type)
    if width is not None and width > 64:
        return f"returns an i{width} in registers; {NO_WIDE_RETURN} (return it through `&mut` or inline it)"
    if fn.return_type.startswith(("{", "[", "<{", "%")):  # literal, array, packed or named struct
        return f"returns the aggregate `{fn.return_type}` by value; {NO_WIDE_RETURN}"
    for param in fn.params:
        for attr in ("byval", "inalloca", "preallocated"):
            if param.has_attr(attr):
                return f"takes an argument by value on the stack ({attr}), which the BPF backend cannot do"
    registers = _registers(fn.params)
    if registers > MAX_ARG_REGISTERS:
        return f"needs {registers} argument registers; {TOO_MANY_ARGS}"
    return None


def _instruction_problem(
    module: Module, fn: Function, block: Block, inst: Instruction, require_support_crate: bool
) -> str | None:
    opcode = inst.opcode
    if not opcode or opcode.startswith("#"):
        return None  # comment or debug record
    if opcode in FLOAT_OPCODES:
        return f"uses floating point (`{opcode}`); {NO_FLOATS}"
    float_problem = data_problem(inst)
    if float_problem is not None:
        return f"uses floating point ({float_problem}); {NO_FLOATS}"
    if opcode == "fence" and _is_compiler_fence(inst):
        return None  # `compiler_fence`: orders nothing at run time, llc emits no instruction
    if opcode in ATOMIC_OPCODES or (opcode in ("load", "store") and _is_atomic_access(inst)):
        return f"uses an atomic operation (`{opcode}`); SBPFv0 has no atomic instructions (and no threads)"
    if opcode in UNWIND_OPCODES:
        return f'uses unwinding (`{opcode}`); build with panic = "abort"'
    if opcode in INDIRECT_BRANCH_OPCODES:
        return f"uses an indirect branch (`{opcode}`); BPF has no computed jumps"
    if opcode == "alloca":
        return _alloca_problem(fn, block, inst)
    if opcode in ("mul", "udiv", "urem", "sdiv", "srem", "shl", "lshr", "ashr"):
        return _wide_arithmetic_problem(inst)
    if opcode == "call":
        call = as_call(inst)
        if call is not None:
            return _call_problem(module, call, require_support_crate)
    return None


def _is_atomic_access(inst: Instruction) -> bool:
    items = inst.operand_items()
    return bool(items) and is_word(items[0], "atomic")


def _is_compiler_fence(inst: Instruction) -> bool:
    """``fence syncscope("singlethread") ...``, what ``core::sync::atomic::compiler_fence`` emits."""
    items = inst.operand_items()
    for index, item in enumerate(items[:-1]):
        scope = items[index + 1]
        if is_word(item, "syncscope") and isinstance(scope, Group):
            return [t.text for t in scope.items if isinstance(t, Token)] == ['"singlethread"']
    return False


def _alloca_problem(fn: Function, block: Block, inst: Instruction) -> str | None:
    if fn.blocks is None or block is not fn.blocks[0]:
        return (
            "allocates stack outside the entry block (a dynamic alloca); SBF stack frames have a fixed size"
        )
    # alloca [inalloca] <type> [, <ty> <count>] [, align <n>] [, addrspace(<n>)]
    for part in split_commas(inst.operand_items())[1:]:
        count = part[1] if len(part) == 2 and is_word(part[0]) else None
        if isinstance(count, Token) and count.kind is not Kind.NUMBER:
            return (
                "allocates a variable amount of stack (a dynamic alloca); SBF stack frames have a fixed size"
            )
    return None


def _wide_arithmetic_problem(inst: Instruction) -> str | None:
    op = as_binary(inst)
    if op is None:
        return None
    width = int_width(op.type)
    if op.opcode in ("sdiv", "srem"):
        return f"still contains a signed division (`{op.opcode} {op.type}`); run lower_for_bpf before opt"
    if width is None or width <= 64:
        return None
    if op.opcode in ("shl", "lshr", "ashr") and literal_value(op.rhs, width) is not None:
        return None
    return (
        f"uses `{op.opcode} {op.type}`, which the BPF backend cannot lower (only 128-bit ones are rewritten)"
    )


def _call_problem(module: Module, call: Call, require_support_crate: bool) -> str | None:
    callee = call.callee
    if callee.startswith("@llvm."):
        return _intrinsic_problem(callee)
    return_width = int_width(call.return_type)
    if return_width is not None and return_width > 64:
        return f"calls {demangle(callee)}, which returns an i{return_width} in registers; {NO_WIDE_RETURN}"
    if any(arg.has_attr("byval") for arg in call.args):
        return f"passes a struct by value on the stack (byval) to {demangle(callee)}"
    registers = _registers(call.args)
    if registers > MAX_ARG_REGISTERS:
        return f"calls {demangle(callee)} with {registers} argument registers; {TOO_MANY_ARGS}"
    if require_support_crate and callee in SUPPORT_SYMBOLS:
        target = module.function(callee)
        if target is not None and not target.is_definition:
            return (
                f"calls {callee[1:]}, which the sbf-support crate provides; "
                "add `extern crate sbf_support;` to the program"
            )
    return None


def _intrinsic_problem(callee: str) -> str | None:
    """Intrinsics llc expands into compiler-rt calls (``__multi3``) it cannot emit.

    Everything else on i128 (min/max, abs, ctlz, ctpop, bswap, saturating and overflow-checked add and
    sub, funnel shifts, three-way compares) llc expands into 64-bit code by itself.
    """
    parts = callee.split(".")
    width = int_width(parts[-1]) or 0
    if parts[1] in ("umul", "smul") and parts[2:4] == ["with", "overflow"] and width > 64:
        return f"uses `{callee[1:]}`, which has no BPF lowering (only i64 and i128 are rewritten)"
    if len(parts) > 2 and parts[2] == "fix":
        return f"uses the fixed-point intrinsic `{callee[1:]}`, which has no BPF lowering"
    return None


def _reached_from(module: Module, fn: Function) -> str:
    """`` (used by <caller>)`` for the first other function or global mentioning ``fn``, if any."""
    for item in module.items:
        if isinstance(item, Function):
            if item is fn or item.blocks is None:
                continue
            if any(fn.name in inst.line and _mentions(inst.line, fn.name) for _, inst in item.instructions()):
                return f" (used by {demangle(item.name)})"
        elif fn.name in item.line and _mentions(item.line, fn.name):
            name = getattr(item, "name", None)
            if name is not None:
                return f" (used by {demangle(name)})"
    return ""


def _mentions(text: str, name: str) -> bool:
    return any(token.kind is Kind.GLOBAL and token.text == name for token in tokenize(text))

"""Call-related rewrites: what the BPF backend refuses about functions, calls and memory intrinsics.

* ``strip_sret``: the backend rejects any function with an ``sret`` parameter ("functions with VarArgs
  or StructRet are not supported"). ``sret`` only marks the hidden return pointer, which BPF passes
  in r1 like any other pointer, so dropping the attribute changes nothing else.
* ``lower_memory_intrinsics``: ``llvm.memcpy``/``memmove``/``memset`` are expanded inline only up to
  128 stores; longer or variable lengths become a ``memcpy`` libcall the backend cannot emit. They
  become calls of sbf-support's ``sbf_memcpy``/``sbf_memmove``/``sbf_memset`` (``sol_mem*_`` syscalls).
* ``pack_stack_arguments``: BPF passes at most 5 arguments, all in registers ("stack arguments are
  not supported"). Rust needs two registers for ``&[T]``, ``&str`` and ``u128``, so core itself has
  functions needing more. For internal functions whose address is never taken, arguments after the
  first 4 registers go through a caller stack slot whose address becomes the 5th argument.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from solgrid.build.demangle import demangle
from solgrid.build.errors import BuildError
from solgrid.build.ir_builder import Builder, literal_value
from solgrid.build.ir_lexer import Kind, Token, tokenize
from solgrid.build.ir_model import Block, Function, Instruction, Module
from solgrid.build.ir_operands import Operand, int_width
from solgrid.build.ir_views import as_call

MAX_INLINE_MEM_BYTES = 128  # BPF expands mem* inline up to 128 stores; 128 bytes always fit
MAX_ARG_REGISTERS = 5
KEPT_ARG_REGISTERS = 4

MEMORY_HELPERS = {
    "memcpy": ("@sbf_memcpy", ["ptr", "ptr", "i64"]),
    "memmove": ("@sbf_memmove", ["ptr", "ptr", "i64"]),
    "memset": ("@sbf_memset", ["ptr", "i8 zeroext", "i64"]),
}


def strip_sret(module: Module) -> int:
    """Drop ``sret(...)`` from parameters and call arguments; returns how many headers/calls changed."""
    count = 0
    for fn in module.functions():
        if any(param.has_attr("sret") for param in fn.params):
            fn.set_params([param.without_attr("sret") for param in fn.params])
            count += 1

    def visit(fn: Function, block: Block, inst: Instruction) -> list[Instruction] | None:
        if inst.opcode != "call" or "sret(" not in inst.line:
            return None
        call = as_call(inst)
        if call is None or not any(arg.has_attr("sret") for arg in call.args):
            return None
        call.args = [arg.without_attr("sret") for arg in call.args]
        return [Instruction.new(call.render())]

    return count + module.rewrite(visit)


def _memory_intrinsic_kind(callee: str) -> str | None:
    """``memcpy``/``memmove``/``memset`` for ``@llvm.<kind>.p0[.p0].iN``; ``None`` for anything else.

    The ``.inline`` variants are always expanded by llc, and the ``.element.unordered.atomic`` ones are
    left alone (check_supported does not know them either; llc reports them).
    """
    parts = callee.split(".")
    if len(parts) < 3 or parts[0] != "@llvm" or parts[1] not in MEMORY_HELPERS:
        return None
    suffixes = parts[2:]
    if not all(s == "p0" for s in suffixes[:-1]) or int_width(suffixes[-1]) is None:
        return None
    return parts[1]


def lower_memory_intrinsics(module: Module) -> int:
    """``llvm.mem{cpy,move,set}`` with a variable or > 128-byte length → ``sbf_mem{cpy,move,set}``."""

    def visit(fn: Function, block: Block, inst: Instruction) -> list[Instruction] | None:
        if inst.opcode != "call" or "@llvm.mem" not in inst.line:
            return None
        call = as_call(inst)
        kind = _memory_intrinsic_kind(call.callee) if call is not None else None
        if call is None or kind is None:
            return None
        dst, src, length = (arg.value or "" for arg in call.args[:3])
        length_type = call.args[2].type
        width = int_width(length_type) or 64
        constant = literal_value(length, width)
        if constant is not None and constant <= MAX_INLINE_MEM_BYTES:
            return None
        helper, params = MEMORY_HELPERS[kind]
        module.ensure_declaration(helper, "void", params)
        b = Builder(fn)
        length = b.cast("zext", length_type, length, "i64", hint="len")
        middle = f"i8 zeroext {src}" if kind == "memset" else f"ptr {src}"
        b.emit_void(f"call void {helper}(ptr {dst}, {middle}, i64 {length})")
        return b.out

    return module.rewrite(visit)


def argument_registers(type_text: str) -> int | None:
    """How many 64-bit registers BPF uses to pass a value of this type (``None``: not passable)."""
    if type_text == "ptr":
        return 1
    width = int_width(type_text)
    return None if width is None else max(1, (width + 63) // 64)


def functions_only_called_directly(module: Module, names: Iterable[str]) -> set[str]:
    """Those of ``names`` used only as the callee of direct calls (their address is never taken).

    Any other mention (a vtable, a function pointer argument, a store, an alias) means callers we
    cannot see may call the function with its original signature.
    """
    candidates = set(names)
    taken: set[str] = set()

    def mentions(text: str) -> bool:
        return any(name in text for name in candidates)

    def note(tokens: Iterable[Token], callee_start: int | None = None) -> None:
        for token in tokens:
            if token.kind is Kind.GLOBAL and token.text in candidates and token.start != callee_start:
                taken.add(token.text)

    for item in module.items:
        if isinstance(item, Function):
            rest_of_header = f"{item.prefix} {item.suffix}"  # personality, prefix data, ...
            if mentions(rest_of_header):
                note(tokenize(rest_of_header))
            for _, inst in item.instructions():
                if mentions(inst.line):
                    call = as_call(inst)
                    note(inst.tokens, call.callee_start if call is not None else None)
        elif mentions(item.line):
            note(tokenize(item.line))
    return candidates - taken


@dataclass(frozen=True)
class _PackPlan:
    keep: int  # parameters that stay in registers
    slots: tuple[tuple[str, int], ...]  # (type, byte offset) of each packed parameter
    size: int


# Parameters with ABI meaning beyond "a value in a register": leave such functions to llc.
_UNPACKABLE_ATTRIBUTES = ("byval", "byref", "inalloca", "preallocated", "sret", "swiftself", "swifterror")


def _plan_packing(fn: Function) -> _PackPlan | None:
    if not fn.is_local or fn.is_vararg:
        return None
    params = fn.params
    registers = [argument_registers(p.type) for p in params]
    if any(r is None for r in registers) or sum(r or 0 for r in registers) <= MAX_ARG_REGISTERS:
        return None
    if any(p.has_attr(a) for p in params for a in _UNPACKABLE_ATTRIBUTES):
        return None
    keep = used = 0
    while used + (registers[keep] or 0) <= KEPT_ARG_REGISTERS:
        used += registers[keep] or 0
        keep += 1
    slots = []
    offset = 0
    for param in params[keep:]:
        slots.append((param.type, offset))
        offset += 8 * (argument_registers(param.type) or 1)
    return _PackPlan(keep, tuple(slots), offset)


def pack_stack_arguments(module: Module) -> int:
    """Pass arguments beyond 4 registers through memory, for internal direct-call-only functions.

    The callee gets ``ptr noalias %sbf.args<n>`` as its last (5th) parameter and loads the packed
    parameters, under their old names, at the top of its entry block. Each caller stores the
    arguments into one 8-aligned entry-block alloca sized for its largest such call (its contents
    are dead once the callee has loaded them, so calls can share it, recursion included). Such
    calls lose any ``tail`` marker: a tail call may not read the caller's stack. Returns the number
    of functions rewritten. The moved parameters must be named (``opt -passes=instnamer`` does that).
    """
    plans = {fn.name: plan for fn in module.definitions() if (plan := _plan_packing(fn)) is not None}
    plans = {name: plans[name] for name in sorted(functions_only_called_directly(module, plans))}
    if not plans:
        return 0
    for name, plan in plans.items():
        fn = module.function(name)
        assert fn is not None
        params = fn.params
        _require_named(fn, params[plan.keep :])
        block_param = fn.fresh("args")
        fn.set_params([*params[: plan.keep], Operand("ptr", ["noalias", "readonly", "align 8"], block_param)])
        for param, (type_text, offset) in zip(params[plan.keep :], plan.slots, strict=True):
            address = block_param
            if offset:
                address = fn.fresh("argp")
                fn.add_entry_instruction(
                    f"{address} = getelementptr inbounds i8, ptr {block_param}, i64 {offset}"
                )
            fn.add_entry_instruction(f"{param.value} = load {type_text}, ptr {address}, align 8")
        fn.flush_entry_instructions()

    slot_sizes: dict[str, int] = {}
    slot_names: dict[str, str] = {}

    def visit(fn: Function, block: Block, inst: Instruction) -> list[Instruction] | None:
        if inst.opcode != "call" or not any(name in inst.line for name in plans):
            return None
        call = as_call(inst)
        if call is None or call.callee not in plans:
            return None
        plan = plans[call.callee]
        if fn.name not in slot_names:
            slot_names[fn.name] = fn.fresh("stackargs")
        slot = slot_names[fn.name]
        slot_sizes[fn.name] = max(slot_sizes.get(fn.name, 0), plan.size)
        b = Builder(fn)
        for arg, (type_text, offset) in zip(call.args[plan.keep :], plan.slots, strict=True):
            address = (
                slot if not offset else b.emit(f"getelementptr inbounds i8, ptr {slot}, i64 {offset}", "sa")
            )
            b.emit_void(f"store {type_text} {arg.value}, ptr {address}, align 8")
        call.args = [*call.args[: plan.keep], Operand("ptr", [], slot)]
        if call.tail in ("tail", "musttail"):
            call.tail = None
        b.out.append(Instruction.new(call.render()))
        return b.out

    module.rewrite(visit)
    for fn in module.definitions():
        if fn.name in slot_names:
            fn.add_entry_instruction(f"{slot_names[fn.name]} = alloca [{slot_sizes[fn.name]} x i8], align 8")
            fn.flush_entry_instructions()
    return len(plans)


def _require_named(fn: Function, moved: list[Operand]) -> None:
    """Parameters whose definition moves into the body must be named: LLVM numbers unnamed values
    (``%5``) in order of definition, and a numbered parameter cannot become an instruction."""
    if any(param.value is None or param.value[1:].isdigit() for param in moved):
        raise BuildError(
            f"{demangle(fn.name)}: pack_stack_arguments needs named parameters; "
            "run `opt -passes=instnamer` before finish_for_bpf"
        )

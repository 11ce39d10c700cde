"""Call-related rewrites: what the BPF backend refuses about functions, calls and memory intrinsics.

* ``strip_sret``: the backend rejects any function with an ``sret`` parameter ("functions with VarArgs
  or StructRet are not supported"). ``sret`` only marks the hidden return pointer, which BPF passes
  in r1 like any other pointer, so dropping the attribute changes nothing else.
* ``lower_memory_intrinsics``: ``llvm.memcpy``/``memmove``/``memset`` are expanded inline only up to
  128 stores; longer or variable lengths become a ``memcpy`` libcall the backend cannot emit. They
  become calls of sbf-support's ``sbf_memcpy``/``sbf_memmove``/``sbf_memset`` (``sol_mem*_`` syscalls).
* ``pack_stack_arguments``: BPF passes at most 5 arguments, all in registers ("stack arguments are
  not supported"). Rust needs two registers for ``&[T]``, ``&str`` and ``u128``, so core itself has
  functions needing more. For internal functions, arguments after the first 4 registers go through a
  caller stack slot whose address becomes the 5th argument. Functions called through pointers
  (``dyn Trait`` methods) are packed by signature together with every indirect call of it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from solgrid.build.demangle import demangle
from solgrid.build.errors import BuildError, UnsupportedCode
from solgrid.build.ir_address_taken import AddressUse, address_uses, escapes
from solgrid.build.ir_builder import Builder, literal_value
from solgrid.build.ir_lexer import group, is_group, tokenize
from solgrid.build.ir_model import Block, Function, Instruction, Module
from solgrid.build.ir_operands import Operand, int_width
from solgrid.build.ir_views import Call, as_call

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


@dataclass(frozen=True)
class _PackPlan:
    keep: int  # parameters that stay in registers
    slots: tuple[tuple[str, int], ...]  # (type, byte offset) of each packed parameter
    size: int

    @property
    def params(self) -> int:
        return self.keep + len(self.slots)


# Parameters with ABI meaning beyond "a value in a register": leave such functions to llc.
_UNPACKABLE_ATTRIBUTES = ("byval", "byref", "inalloca", "preallocated", "sret", "swiftself", "swifterror")


def registers_needed(types: Sequence[str]) -> int:
    """Argument registers for parameters of ``types``, counting a type BPF cannot pass as one."""
    return sum(argument_registers(t) or 1 for t in types)


def plan_for_types(types: Sequence[str]) -> _PackPlan | None:
    """The packed convention of a signature with these parameter types; ``None`` if it needs no
    packing or has a parameter type the packing cannot store (an aggregate, a float).

    It depends on the types alone, so every function and every call of one signature agree.
    """
    registers = [argument_registers(t) for t in types]
    if any(r is None for r in registers) or sum(r or 0 for r in registers) <= MAX_ARG_REGISTERS:
        return None
    keep = used = 0
    while used + (registers[keep] or 0) <= KEPT_ARG_REGISTERS:
        used += registers[keep] or 0
        keep += 1
    slots = []
    offset = 0
    for type_text in types[keep:]:
        slots.append((type_text, offset))
        offset += 8 * (argument_registers(type_text) or 1)
    return _PackPlan(keep, tuple(slots), offset)


def _unpackable_attribute(operands: Sequence[Operand]) -> str | None:
    return next((a for op in operands for a in _UNPACKABLE_ATTRIBUTES if op.has_attr(a)), None)


def _plan_packing(fn: Function) -> _PackPlan | None:
    if not fn.is_local or fn.is_vararg or _unpackable_attribute(fn.params) is not None:
        return None
    return plan_for_types([p.type for p in fn.params])


def _plan_address_taken(fn: Function, uses: list[AddressUse]) -> _PackPlan:
    """The plan of a function called through pointers, or ``UnsupportedCode`` saying why there is none."""
    types = [p.type for p in fn.params]
    taken = f"its address is taken ({uses[0].describe()})"
    problem = None
    attribute = _unpackable_attribute(fn.params)
    unknown = next((t for t in types if argument_registers(t) is None), None)
    if not fn.is_definition:
        problem = "is only declared here, so its arguments cannot be repacked"
    elif not fn.is_local:
        problem = "is visible outside the module, so callers the build cannot see may call it unpacked"
    elif fn.is_vararg:
        problem = "is variadic"
    elif attribute is not None:
        problem = f"has a `{attribute}` parameter, which the argument packing does not move"
    elif unknown is not None:
        problem = f"has a parameter of type `{unknown}`, which the argument packing cannot store"
    else:
        escaped = escapes(uses)
        if escaped:
            problem = (
                f"has its address used where the argument packing cannot follow it: {escaped[0].describe()}"
            )
    if problem is not None:
        raise UnsupportedCode(
            demangle(fn.name),
            f"needs {registers_needed(types)} argument registers and {taken}, but it {problem}; "
            "pass a struct by reference instead",
        )
    plan = plan_for_types(types)
    assert plan is not None
    return plan


_INDIRECT_CALLEE = re.compile(r'%(?:[-\w$.]+|"[^"]*")\(')


def _indirect_call_plan(fn: Function, call: Call) -> _PackPlan | None:
    """The plan of an indirect call needing more than 5 registers (``None``: it needs no packing)."""
    types = [arg.type for arg in call.args]
    registers = registers_needed(types)
    if registers <= MAX_ARG_REGISTERS:
        return None
    where = f"calls {call.callee} indirectly with {registers} argument registers"
    items = group(tokenize(call.prefix))
    if items and is_group(items[-1], "("):
        raise UnsupportedCode(demangle(fn.name), f"{where} through a variadic function type")
    attribute = _unpackable_attribute(call.args)
    if attribute is not None:
        raise UnsupportedCode(
            demangle(fn.name), f"{where}, one `{attribute}`, which the packing does not move"
        )
    plan = plan_for_types(types)
    if plan is None:
        unknown = next(t for t in types if argument_registers(t) is None)
        raise UnsupportedCode(
            demangle(fn.name), f"{where}, one of type `{unknown}`, which the packing cannot store"
        )
    return plan


def pack_stack_arguments(module: Module) -> int:
    """Pass arguments beyond 4 registers through memory, for internal functions and indirect calls.

    The callee gets ``ptr noalias %sbf.args<n>`` as its last (5th) parameter and loads the packed
    parameters, under their old names, at the top of its entry block. Each caller stores the
    arguments into one 8-aligned entry-block alloca sized for its largest such call (its contents
    are dead once the callee has loaded them, so calls can share it, recursion included). Such
    calls lose any ``tail`` marker: a tail call may not read the caller's stack. Returns the number
    of functions rewritten. The moved parameters must be named (``opt -passes=instnamer`` does that).

    Functions only called directly are packed when they can be (internal, not variadic, no ``byval``
    and the like); the rest are left to ``check_supported``. Functions whose address is taken
    (``ir_address_taken``) are packed by signature: the plan depends on the parameter types alone,
    and every indirect call needing more than 5 registers is packed by the plan of its own types,
    so a call and every function it can reach agree, and direct calls of such a function are
    rewritten like any other. One that cannot be packed (declared only, visible outside the module,
    variadic, ``byval``, an aggregate parameter, an address the analysis cannot follow) fails the
    build naming it, and so does an indirect call of that kind. An indirect call whose signature no
    address-taken function has is packed all the same: no function of the module can be its target.
    """
    candidates = [
        fn.name
        for fn in module.functions()
        if not fn.name.startswith("@llvm.")
        and registers_needed([p.type for p in fn.params]) > MAX_ARG_REGISTERS
    ]
    taken = address_uses(module, candidates)
    plans: dict[str, _PackPlan] = {}
    for name in sorted(candidates):
        fn = module.function(name)
        assert fn is not None
        if name in taken:
            plans[name] = _plan_address_taken(fn, taken[name])
        elif fn.is_definition and (plan := _plan_packing(fn)) is not None:
            plans[name] = plan
    names = (
        re.compile("|".join(re.escape(n) for n in sorted(plans, key=len, reverse=True))) if plans else None
    )
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
        if inst.opcode != "call":
            return None
        direct = names is not None and names.search(inst.line) is not None
        if not direct and _INDIRECT_CALLEE.search(inst.line) is None:
            return None
        call = as_call(inst)
        if call is None:
            return None
        indirect = call.callee.startswith("%")
        plan = _indirect_call_plan(fn, call) if indirect else plans.get(call.callee)
        if plan is None:
            return None
        if len(call.args) != plan.params:
            raise UnsupportedCode(
                demangle(fn.name),
                f"calls {demangle(call.callee)} with {len(call.args)} arguments, not its {plan.params}",
            )
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

"""Where a module takes the address of a function, for packing the arguments of indirect calls.

After ``opt -passes=internalize`` everything but ``entrypoint`` is internal, and the only callers
outside the module are the loader (of ``entrypoint``) and the runtime's syscalls, which never call a
function pointer. So an indirect call can only reach a function whose address the module itself
takes, and a calling convention may change for every such function of one signature at once,
provided every indirect call of that signature changes with it (``ir_calls.pack_stack_arguments``).

``address_uses`` finds each mention of the given functions other than as the callee of a direct
``call`` and says where the address goes. Only the forms below are followed; any other mention is
an *escape*, which the packing turns into a build error naming the function:

* an element of the initializer of an internal ``global``/``constant`` (vtables, function tables),
  nested only in ``{}``, ``[]`` and ``<>`` aggregates, spelled ``ptr @f``;
* the value operand of a ``store``; an operand of ``select``, ``phi``, ``icmp``, ``insertvalue``,
  ``freeze``, or of ``ret`` in an internal function;
* an argument of a call whose callee is a function defined in the module or a function pointer.

Escapes are, for example: an argument of a declared (external) function, ``ptrtoint``, a constant
expression (``getelementptr (..., ptr @f, ...)``), an alias, a personality, a non-internal global
such as ``@llvm.used``, metadata. Values derived from the address (loaded back, passed on) are not
followed further: the argument above shows that nothing outside the module can call them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from solgrid.build.demangle import demangle
from solgrid.build.ir_lexer import Group, Item, Kind, group, is_punct, is_word, tokenize
from solgrid.build.ir_model import Function, GlobalVar, Instruction, Module
from solgrid.build.ir_views import as_call

#: Opcodes that may hold a function address as a plain operand (``ptr @f`` or, for ``icmp``, ``, @f``).
_VALUE_OPCODES = frozenset({"store", "select", "icmp", "insertvalue", "freeze", "ret"})
_AGGREGATE_BRACKETS = frozenset({"{", "[", "<"})


@dataclass(frozen=True)
class AddressUse:
    """One mention of a function other than as a direct callee.

    ``holder``: the demangled function or global holding it; ``how``: what happens to the address;
    ``escape``: why the packing cannot follow it, or ``None`` when it can.
    """

    holder: str
    how: str
    escape: str | None = None

    def describe(self) -> str:
        return f"{self.how} in {self.holder}" + (f" ({self.escape})" if self.escape else "")


def address_uses(module: Module, names: Iterable[str]) -> dict[str, list[AddressUse]]:
    """For each of ``names`` whose address the module takes, every such use, in module order."""
    candidates = set(names)
    found: dict[str, list[AddressUse]] = {}
    if not candidates:
        return found
    pattern = re.compile("|".join(re.escape(n) for n in sorted(candidates, key=len, reverse=True)))

    def record(name: str, use: AddressUse) -> None:
        found.setdefault(name, []).append(use)

    for item in module.items:
        if isinstance(item, Function):
            holder = demangle(item.name)
            header_rest = f"{item.prefix} {item.suffix}"
            for name in _mentioned(pattern, header_rest, candidates):
                record(name, AddressUse(holder, "named in the function header", "personality or prefix data"))
            for line in item.directives:
                for name in _mentioned(pattern, line, candidates):
                    record(name, AddressUse(holder, "named in a uselistorder directive", "not followed"))
            for _, inst in item.instructions():
                if pattern.search(inst.line) is None:
                    continue
                for name in sorted({t.text for t in inst.tokens if t.kind is Kind.GLOBAL} & candidates):
                    for use in _instruction_uses(module, item, inst, name):
                        record(name, use)
        elif isinstance(item, GlobalVar):
            if pattern.search(item.line) is None:
                continue
            for name in _mentioned(pattern, item.line, candidates):
                for use in _global_uses(item, name):
                    record(name, use)
        else:
            for name in _mentioned(pattern, item.line, candidates):
                record(
                    name,
                    AddressUse("the module", f"named in `{item.line[:60]}`", "a line the pass does not read"),
                )
    return found


def _mentioned(pattern: re.Pattern[str], text: str, candidates: set[str]) -> list[str]:
    if pattern.search(text) is None:
        return []
    return sorted({t.text for t in tokenize(text) if t.kind is Kind.GLOBAL} & candidates)


def _locate(
    items: Sequence[Item], name: str, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], Sequence[Item], int]]:
    """Each token ``name`` in ``items``: (brackets of the enclosing groups, its sibling items, its index)."""
    for index, item in enumerate(items):
        if isinstance(item, Group):
            yield from _locate(item.items, name, (*path, item.bracket))
        elif item.kind is Kind.GLOBAL and item.text == name:
            yield path, items, index


def _after_ptr_type(siblings: Sequence[Item], index: int) -> bool:
    return index > 0 and is_word(siblings[index - 1], "ptr")


def _global_uses(global_var: GlobalVar, name: str) -> list[AddressUse]:
    holder = demangle(global_var.name)
    tokens = tokenize(global_var.line)
    equals = next(k for k, t in enumerate(tokens) if is_punct(t, "="))
    keyword_at = next((k for k, t in enumerate(tokens) if is_word(t, global_var.keyword)), None)
    linkage = {t.text for t in tokens[equals + 1 : keyword_at] if t.kind is Kind.WORD}
    uses = []
    for path, siblings, index in _locate(group(tokens), name):
        if global_var.keyword not in ("global", "constant"):
            escape: str | None = f"an {global_var.keyword or 'unknown global'}"
        elif not linkage & {"internal", "private"}:
            escape = "the global is visible outside the module"
        elif not set(path) <= _AGGREGATE_BRACKETS:
            escape = "inside a constant expression"
        elif not _after_ptr_type(siblings, index):
            escape = "not an element `ptr @f` of the initializer"
        else:
            escape = None
        uses.append(AddressUse(holder, "in the initializer", escape))
    return uses


def _instruction_uses(module: Module, fn: Function, inst: Instruction, name: str) -> list[AddressUse]:
    holder = demangle(fn.name)
    if inst.opcode == "call":
        return _call_uses(module, holder, inst, name)
    uses = []
    operands = inst.operand_items()
    for path, siblings, index in _locate(operands, name):
        how = f"`{inst.opcode}` operand"
        escape: str | None = f"the pass does not follow `{inst.opcode}`"
        if inst.opcode == "phi":
            if path == ("[",) and index == 0 and len(siblings) == 3 and is_punct(siblings[1], ","):
                escape = None
        elif inst.opcode in _VALUE_OPCODES and not path:
            after_ptr = _after_ptr_type(siblings, index)
            after_comma = index > 0 and is_punct(siblings[index - 1], ",")
            if inst.opcode == "store":
                how = "stored"
                position = sum(1 for item in siblings[:index] if is_punct(item, ","))
                escape = None if after_ptr and position == 0 else "used as the address of a store"
            elif inst.opcode == "ret" and not fn.is_local:
                escape = "returned from a function visible outside the module"
            elif after_ptr or (inst.opcode == "icmp" and after_comma):
                escape = None
            else:
                escape = "inside a constant expression"
        elif path:
            escape = "inside a constant expression"
        uses.append(AddressUse(holder, how, escape))
    return uses


def _call_uses(module: Module, holder: str, inst: Instruction, name: str) -> list[AddressUse]:
    """Uses of ``name`` in a call other than as its callee: arguments, or escapes."""
    call = as_call(inst)
    hits = sum(1 for _ in _locate(inst.operand_items(), name))
    if call is None:
        return [AddressUse(holder, "named in a call", "the call cannot be read (inline asm?)")] * hits
    direct = sum(1 for t in inst.tokens if t.start == call.callee_start and t.text == name)
    arguments = sum(1 for arg in call.args if arg.value == name)
    uses = []
    if call.callee.startswith("%"):
        how, escape = "passed to an indirect call", None
    else:
        target = module.function(call.callee)
        how = f"passed to {demangle(call.callee)}"
        escape = None
        if target is None or not target.is_definition or not target.is_local:
            escape = "a function the module does not define"
    uses += [AddressUse(holder, how, escape)] * arguments
    others = hits - direct - arguments
    uses += [AddressUse(holder, "named in a call", "inside a constant expression or operand bundle")] * others
    return uses


def escapes(uses: Sequence[AddressUse]) -> list[AddressUse]:
    return [use for use in uses if use.escape is not None]

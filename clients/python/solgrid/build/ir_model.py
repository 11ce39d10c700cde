"""A small, editable model of a textual LLVM IR module: module → functions → blocks → instructions.

Only what the BPF rewrites need is modelled. Top-level lines other than functions and globals
(target triple, attribute groups, metadata) are kept verbatim, and so is every instruction a rewrite
does not replace: rendering an unmodified module gives back the input. Instructions are tokenized
lazily (most are never looked at); ``ir_views`` reads the few instruction forms the rewrites
operate on, and ``ir_operands`` the typed operands of headers and calls.

New instructions are built as text by the rewrites and parsed back into ``Instruction`` objects,
so the model never holds an instruction it could not have read itself.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property

from solgrid.build.errors import UnsupportedCode
from solgrid.build.ir_lexer import (
    Group,
    IRSyntaxError,
    Item,
    Kind,
    Token,
    group,
    is_group,
    is_punct,
    is_word,
    iter_tokens,
    span_text,
    split_commas,
    tokenize,
)
from solgrid.build.ir_operands import Operand, is_name_with_args, parse_operand

INDENT = "  "
TAIL_MARKERS = frozenset({"tail", "musttail", "notail"})


# --------------------------------------------------------------------------------------------------
# Instructions


class Instruction:
    """One line of a basic block: an instruction, a debug record (``#dbg_value``) or a comment.

    ``result`` is the defined name (``%x``) or ``None``; ``opcode`` is the instruction keyword
    (``call`` also for ``tail call``), the record keyword for debug records, and ``""`` for comments.
    """

    def __init__(self, line: str) -> None:
        self.line = line
        self.result: str | None = None
        self.tail: str | None = None
        head = list(itertools.islice(iter_tokens(line), 4))
        i = 0
        if len(head) >= 2 and head[0].kind is Kind.LOCAL and is_punct(head[1], "="):
            self.result = head[0].text
            i = 2
        if i < len(head) and head[i].kind is Kind.WORD and head[i].text in TAIL_MARKERS:
            self.tail = head[i].text
            i += 1
        self.opcode = head[i].text if i < len(head) else ""

    @classmethod
    def new(cls, text: str) -> Instruction:
        return cls(INDENT + text)

    @property
    def text(self) -> str:
        return self.line.strip()

    @cached_property
    def tokens(self) -> list[Token]:
        return tokenize(self.line)

    @cached_property
    def items(self) -> list[Item]:
        return group(self.tokens)

    def operand_items(self) -> list[Item]:
        """The items after the opcode keyword (and after ``%x =`` and a tail marker)."""
        items = self.items
        i = 2 if self.result is not None else 0
        if self.tail is not None:
            i += 1
        return items[i + 1 :]

    def __repr__(self) -> str:
        return f"Instruction({self.text!r})"


# --------------------------------------------------------------------------------------------------
# Blocks, functions, globals, module


@dataclass
class Block:
    """A basic block. ``label`` is the name as written (``13``, ``bb1``); ``None`` for an implicit entry."""

    label: str | None
    label_line: str | None
    instructions: list[Instruction]

    @property
    def name(self) -> str | None:
        return None if self.label is None else "%" + self.label


class Function:
    """A function definition (``blocks`` is a list) or declaration (``blocks`` is ``None``)."""

    def __init__(self, header: str, blocks: list[Block] | None) -> None:
        self._header = header
        self._header_dirty = False
        self.blocks = blocks
        signature = header.rstrip()
        if blocks is not None:  # `define ... {`: the brace opens the body
            signature = signature.removesuffix("{")
        items = group(tokenize(signature))
        at = next((k for k in range(len(items) - 1) if is_name_with_args(items, k, Kind.GLOBAL)), None)
        if at is None:
            raise IRSyntaxError(f"cannot find the function name in: {header[:200]}")
        name_token = items[at]
        params_group = items[at + 1]
        assert isinstance(name_token, Token) and isinstance(params_group, Group)
        self.name = name_token.text
        self.prefix = span_text(header, items[:at])
        self.prefix_items = items[:at]
        parts = split_commas(params_group.items)
        self.is_vararg = bool(parts) and len(parts[-1]) == 1 and is_punct(parts[-1][0], "...")
        if self.is_vararg:
            parts = parts[:-1]
        self._params = [parse_operand(header, part) for part in parts]
        self.suffix = header[params_group.end :]
        self._fresh_counter = 0
        self._entry_inserted = 0
        self._pending_entry: list[Instruction] = []

    # -- header ------------------------------------------------------------------------------------

    @property
    def is_definition(self) -> bool:
        return self.blocks is not None

    @property
    def params(self) -> list[Operand]:
        return list(self._params)

    def set_params(self, params: list[Operand]) -> None:
        self._params = list(params)
        self._header_dirty = True
        self.__dict__.pop("local_names", None)

    @property
    def header(self) -> str:
        if not self._header_dirty:
            return self._header
        params = [p.render() for p in self._params] + (["..."] if self.is_vararg else [])
        return f"{self.prefix} {self.name}({', '.join(params)}){self.suffix}"

    @property
    def linkage_words(self) -> set[str]:
        return {i.text for i in self.prefix_items if is_word(i) and isinstance(i, Token)}

    @property
    def is_local(self) -> bool:
        """``internal``/``private``: every use is inside this module."""
        return bool(self.linkage_words & {"internal", "private"})

    @property
    def return_type(self) -> str:
        items = self.prefix_items
        if len(items) >= 3 and is_group(items[-1], "(") and is_word(items[-2], "addrspace"):
            return span_text(self._header, items[-3:])
        return span_text(self._header, items[-1:])

    # -- body --------------------------------------------------------------------------------------

    def instructions(self) -> Iterator[tuple[Block, Instruction]]:
        for block in self.blocks or []:
            for inst in block.instructions:
                yield block, inst

    @cached_property
    def local_names(self) -> set[str]:
        names = {p.value for p in self._params if p.value is not None}
        for block in self.blocks or []:
            if block.name is not None:
                names.add(block.name)
            names.update(inst.result for inst in block.instructions if inst.result is not None)
        return names

    @cached_property
    def definitions(self) -> dict[str, Instruction]:
        """Instruction defining each named value (as parsed; rewrites never change what a name means)."""
        return {inst.result: inst for _, inst in self.instructions() if inst.result is not None}

    def fresh(self, hint: str) -> str:
        """A new local name that cannot clash with the function's names, nor with LLVM's numbering."""
        while True:
            self._fresh_counter += 1
            name = f"%sbf.{hint}{self._fresh_counter}"
            if name not in self.local_names:
                self.local_names.add(name)
                return name

    def add_entry_instruction(self, text: str) -> None:
        """Queue an instruction for the top of the entry block.

        Allocas must live there to be static stack slots (llc rejects any other alloca). The queue
        is flushed when a ``rewrite`` ends, so a rewrite may add them while walking the entry block.
        """
        assert self.blocks, "declaration has no entry block"
        self._pending_entry.append(Instruction.new(text))

    def flush_entry_instructions(self) -> None:
        if self._pending_entry and self.blocks:
            at = self._entry_inserted
            self.blocks[0].instructions[at:at] = self._pending_entry
            self._entry_inserted += len(self._pending_entry)
            self._pending_entry = []

    def rewrite(self, visit: Callable[[Block, Instruction], list[Instruction] | None]) -> int:
        """Replace each instruction for which ``visit`` returns a list; returns how many were replaced."""
        count = 0
        for block in self.blocks or []:
            replaced: list[Instruction] = []
            for inst in block.instructions:
                new = visit(block, inst)
                if new is None:
                    replaced.append(inst)
                else:
                    replaced.extend(new)
                    count += 1
            block.instructions = replaced
        self.flush_entry_instructions()
        return count

    def render(self) -> list[str]:
        self.flush_entry_instructions()
        if self.blocks is None:
            return [self.header]
        lines = [self.header]
        for index, block in enumerate(self.blocks):
            if index and block.label_line is not None:
                lines.append("")
            if block.label_line is not None:
                lines.append(block.label_line)
            lines.extend(inst.line for inst in block.instructions)
        lines.append("}")
        return lines


@dataclass
class GlobalVar:
    """``@name = ... global|constant ...`` (also aliases and ifuncs, by ``keyword``)."""

    line: str
    name: str
    keyword: str
    thread_local: bool

    @classmethod
    def parse(cls, line: str) -> GlobalVar:
        tokens = tokenize(line)
        if len(tokens) < 3 or tokens[0].kind is not Kind.GLOBAL or not is_punct(tokens[1], "="):
            raise IRSyntaxError(f"cannot read global: {line[:200]}")
        keyword = next(
            (
                t.text
                for t in tokens[2:]
                if t.kind is Kind.WORD and t.text in {"global", "constant", "alias", "ifunc"}
            ),
            "",
        )
        thread_local = any(t.kind is Kind.WORD and t.text == "thread_local" for t in tokens[2:8])
        return cls(line, tokens[0].text, keyword, thread_local)


@dataclass
class Opaque:
    """A top-level line kept verbatim (source_filename, target, attributes, metadata, comments)."""

    line: str


TopLevel = Function | GlobalVar | Opaque
Visit = Callable[[Function, Block, Instruction], list[Instruction] | None]


class Module:
    def __init__(self, items: list[TopLevel]) -> None:
        self.items = items
        self._functions = {item.name: item for item in items if isinstance(item, Function)}

    def functions(self) -> list[Function]:
        return [item for item in self.items if isinstance(item, Function)]

    def definitions(self) -> list[Function]:
        return [fn for fn in self.functions() if fn.is_definition]

    def globals(self) -> list[GlobalVar]:
        return [item for item in self.items if isinstance(item, GlobalVar)]

    def function(self, name: str) -> Function | None:
        return self._functions.get(name)

    def rewrite(self, visit: Visit) -> int:
        """Apply ``visit`` to every instruction of every definition (see ``Function.rewrite``).

        Functions added meanwhile (helpers) are not visited. Returns how many instructions were replaced.
        """
        return sum(fn.rewrite(functools.partial(visit, fn)) for fn in self.definitions())

    def add_function(self, fn: Function) -> None:
        """Append after the last function, where llvm-dis would put it."""
        last = max((k for k, item in enumerate(self.items) if isinstance(item, Function)), default=None)
        at = len(self.items) if last is None else last + 1
        self.items.insert(at, fn)
        self._functions[fn.name] = fn

    def ensure_declaration(self, name: str, return_type: str, params: Sequence[str]) -> None:
        """Declare a helper the rewrites call, or check that an existing one has the same signature.

        ``params`` are parameter specs (``"i8 zeroext"``); only their types must match an existing
        declaration or definition (the program may define the helper itself, e.g. sbf-support).
        """
        existing = self.function(name)
        if existing is None:
            self.add_function(parse_function_header(f"declare {return_type} {name}({', '.join(params)})"))
            return
        wanted = [parse_operand(spec, group(tokenize(spec))).type for spec in params]
        actual = [p.type for p in existing.params]
        if actual != wanted or existing.return_type != return_type or existing.is_vararg:
            want = f"{return_type} ({', '.join(wanted)})"
            have = f"{existing.return_type} ({', '.join(actual)}{', ...' if existing.is_vararg else ''})"
            raise UnsupportedCode(
                name[1:], f"is declared as `{have}` but the SBF pipeline needs `{want}`; rename your symbol"
            )

    def render(self) -> str:
        lines: list[str] = []
        for item in self.items:
            if isinstance(item, Function):
                lines.extend(item.render())
            else:
                lines.append(item.line)
        return "\n".join(lines) + "\n"


def parse_function_header(header: str) -> Function:
    return Function(header, None)


def parse_function(lines: Sequence[str]) -> Function:
    """Parse ``define ... {`` / body lines / ``}``."""
    header = lines[0]
    if not header.rstrip().endswith("{"):
        raise IRSyntaxError(f"function header does not end with '{{': {header[:200]}")
    blocks: list[Block] = []
    body = lines[1:-1]
    i = 0
    while i < len(body):
        line = body[i]
        i += 1
        stripped = line.strip()
        if not stripped:
            continue
        if line[0].isspace() or stripped.startswith(";"):  # an instruction, record or comment
            if stripped.endswith("["):  # `switch ... [` / `indirectbr ... [`: one case per line until `]`
                while i < len(body) and body[i - 1].strip() != "]":
                    line += "\n" + body[i]
                    i += 1
            if not blocks:
                blocks.append(Block(None, None, []))  # the entry block has no label line
            blocks[-1].instructions.append(Instruction(line))
        else:
            tokens = tokenize(line)
            if len(tokens) != 2 or not is_punct(tokens[1], ":"):
                raise IRSyntaxError(f"expected a block label, got: {line[:200]}")
            label = tokens[0].text
            blocks.append(Block(label, line, []))
    if not blocks:
        raise IRSyntaxError(f"function without blocks: {header[:200]}")
    return Function(header, blocks)


def parse_module(text: str) -> Module:
    items: list[TopLevel] = []
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("define "):
            end = i + 1
            while end < len(lines) and lines[end].rstrip() != "}":
                end += 1
            if end == len(lines):
                raise IRSyntaxError(f"function body is not closed: {line[:200]}")
            items.append(parse_function(lines[i : end + 1]))
            i = end + 1
            continue
        if line.startswith("declare "):
            items.append(parse_function_header(line))
        elif line.startswith("@"):
            items.append(GlobalVar.parse(line))
        else:
            items.append(Opaque(line))
        i += 1
    return Module(items)

"""A small, editable model of a textual LLVM IR module: module → functions → blocks → instructions.

Only what the BPF rewrites need is modelled. Top-level lines other than functions and globals
(target triple, attribute groups, metadata) are kept verbatim, and so is every instruction a rewrite
does not replace: rendering an unmodified module gives back the input.

Every line is read, none skipped: the reader knows each kind of line LLVM 22 prints (block labels,
instructions over one or several lines, metadata attachments after them, debug records, comments,
``uselistorder`` directives) and raises ``IRSyntaxError`` naming any other line, or any block not
ended by its one terminator. Each instruction is checked whole on reading (known opcode, balanced
brackets, attachments last) but tokenized lazily (most are never looked at); ``ir_views`` reads the
few instruction forms the rewrites operate on, and ``ir_operands`` the typed operands of headers and
calls. ``ir_counts`` checks the result against LLVM's own count.

New instructions are built as text by the rewrites and parsed back into ``Instruction`` objects,
so the model never holds an instruction it could not have read itself.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property

from solgrid.build.errors import UnsupportedCode
from solgrid.build.ir_lexer import (
    Group,
    IRSyntaxError,
    Item,
    Kind,
    LineShape,
    Token,
    group,
    is_group,
    is_punct,
    is_word,
    open_brackets,
    scan_instruction,
    span_text,
    split_commas,
    tokenize,
)
from solgrid.build.ir_operands import Operand, is_name_with_args, parse_operand

INDENT = "  "
TAIL_MARKERS = frozenset({"tail", "musttail", "notail"})
TERMINATORS = frozenset(
    {"ret", "br", "switch", "indirectbr", "invoke", "resume", "unreachable", "cleanupret", "catchret",
     "catchswitch", "callbr"}
)  # fmt: skip
#: Every instruction of LLVM 22 (``llvm/IR/Instruction.def``), as ``getOpcodeName`` spells it.
OPCODES = TERMINATORS | frozenset(
    {"fneg", "add", "fadd", "sub", "fsub", "mul", "fmul", "udiv", "sdiv", "fdiv", "urem", "srem", "frem",
     "shl", "lshr", "ashr", "and", "or", "xor", "alloca", "load", "store", "getelementptr", "fence",
     "cmpxchg", "atomicrmw", "trunc", "zext", "sext", "fptoui", "fptosi", "uitofp", "sitofp", "fptrunc",
     "fpext", "ptrtoint", "ptrtoaddr", "inttoptr", "bitcast", "addrspacecast", "cleanuppad", "catchpad",
     "icmp", "fcmp", "phi", "call", "select", "va_arg", "extractelement", "insertelement",
     "shufflevector", "extractvalue", "insertvalue", "landingpad", "freeze"}
)  # fmt: skip
DEBUG_RECORDS = frozenset({"#dbg_value", "#dbg_declare", "#dbg_assign", "#dbg_label"})
#: Lines that continue the instruction above without an open bracket: ``invoke``/``callbr`` print
#: ``to label %ok ...`` on a line of their own, ``landingpad`` one line per clause.
CONTINUATIONS = {
    "to": frozenset({"invoke", "callbr"}),
    "cleanup": frozenset({"landingpad"}),
    "catch": frozenset({"landingpad"}),
    "filter": frozenset({"landingpad"}),
}


# --------------------------------------------------------------------------------------------------
# Instructions


class Instruction:
    """One entry of a basic block: an instruction, a debug record (``#dbg_value``) or a comment line.

    ``result`` is the defined name (``%x``) or ``None``; ``opcode`` is the instruction keyword
    (``call`` also for ``tail call``), the record keyword for debug records, and ``""`` for comments.
    ``line`` is the text as written, over several lines for a ``switch`` table, ``landingpad``
    clauses or ``invoke ... to``; ``lineno`` is where it starts in the parsed text (``None`` for
    instructions the rewrites build).

    Constructing one checks the whole text: IR tokens only, balanced brackets, a known opcode or
    debug record, metadata attachments (``, !prof !7``) only at the end; ``IRSyntaxError`` otherwise.
    """

    def __init__(self, line: str, lineno: int | None = None, shape: LineShape | None = None) -> None:
        """``shape``: the parser's ``scan_instruction(line)``, so that it is not scanned twice."""
        self.line = line
        self.lineno = lineno
        self.result: str | None = None
        self.tail: str | None = None
        self.opcode = ""
        self._attachments_at: int | None = None
        if line.lstrip().startswith(";"):
            return  # a comment line
        try:
            shape = shape or scan_instruction(line)
            if shape.open:
                raise IRSyntaxError(f"unclosed {shape.open[-1]!r}")
            self._attachments_at = shape.attachments_at
            self._read_head(shape)
        except IRSyntaxError as error:
            raise error.at(lineno, line) from None

    def _read_head(self, shape: LineShape) -> None:
        keyword = shape.keyword
        if keyword is not None and keyword.startswith("#"):
            if shape.result is not None or shape.tail is not None or keyword not in DEBUG_RECORDS:
                raise IRSyntaxError(f"unknown debug record {keyword}")
            items = self.items
            if len(items) != 2 or not is_group(items[1], "("):
                raise IRSyntaxError(f"a debug record is {keyword}(...) alone")
            self.opcode = keyword
            return
        if keyword is None or keyword not in OPCODES:
            found = f"`{keyword}`" if keyword is not None else "no keyword"
            raise IRSyntaxError(f"expected an LLVM 22 instruction, found {found}")
        if shape.tail is not None and keyword != "call":
            raise IRSyntaxError(f"`{shape.tail}` marks calls only, not `{keyword}`")
        self.result = shape.result
        self.tail = shape.tail
        self.opcode = keyword

    @classmethod
    def new(cls, text: str) -> Instruction:
        return cls(INDENT + text)

    @property
    def text(self) -> str:
        return self.line.strip()

    @property
    def is_instruction(self) -> bool:
        """An LLVM instruction (not a comment or a debug record): what LLVM counts."""
        return self.opcode in OPCODES

    @property
    def is_terminator(self) -> bool:
        return self.opcode in TERMINATORS

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

    @property
    def attachments(self) -> list[tuple[str, str]]:
        """The metadata attachments as (kind, node) texts: ``[("!prof", "!7"), ("!noalias", "!3")]``."""
        at = self._attachments_at
        if at is None:
            return []
        tail = self.line[at + 1 :]
        return [
            (span_text(tail, part[:1]), span_text(tail, part[1:]))
            for part in split_commas(group(tokenize(tail)))
        ]

    def label_operands(self) -> list[str]:
        """The blocks this instruction names as ``label %x`` operands (a terminator's successors)."""
        tokens = self.tokens
        return [
            tokens[k + 1].text
            for k in range(len(tokens) - 1)
            if tokens[k].kind is Kind.WORD and tokens[k].text == "label" and tokens[k + 1].kind is Kind.LOCAL
        ]

    def __repr__(self) -> str:
        return f"Instruction({self.text!r})"


# --------------------------------------------------------------------------------------------------
# Blocks, functions, globals, module


@dataclass
class Block:
    """A basic block. ``label`` is the name as written (``13``, ``bb1``, ``"a b"``); ``None`` for an
    entry block without a label line. ``lineno`` is the label line's number in the parsed text."""

    label: str | None
    label_line: str | None
    instructions: list[Instruction]
    lineno: int | None = None

    @property
    def name(self) -> str | None:
        return None if self.label is None else "%" + self.label

    @property
    def terminator(self) -> Instruction:
        """The last instruction (the parser checked that it is a terminator)."""
        return next(inst for inst in reversed(self.instructions) if inst.is_instruction)


class Function:
    """A function definition (``blocks`` is a list) or declaration (``blocks`` is ``None``)."""

    def __init__(self, header: str, blocks: list[Block] | None, directives: Sequence[str] = ()) -> None:
        self._header = header
        self._header_dirty = False
        self.blocks = blocks
        # The `uselistorder` section after the last block (with its blank line and comment), verbatim.
        self.directives = list(directives)
        signature = header.rstrip()
        if blocks is not None:  # `define ... {`: the brace opens the body
            signature = signature.removesuffix("{")
        items = group(tokenize(signature))
        at = next((k for k in range(len(items) - 1) if is_name_with_args(items, k, Kind.GLOBAL)), None)
        if at is None:
            raise IRSyntaxError("cannot find the function name", text=header)
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
        lines.extend(self.directives)
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
            raise IRSyntaxError("cannot read the global", text=line)
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


_LABEL_RE = re.compile(r'(?P<label>[-\w$.]+|"[^"]*"):\s*(?:;.*)?')
_COMMENT_OR_BLANK = re.compile(r"\s*(?:;.*)?")


def parse_function(lines: Sequence[str], first_line: int = 1) -> Function:
    """Parse ``define ... {`` / body lines / ``}``; ``first_line`` is the header's line number.

    Every line must be a block label, an instruction (with its continuation lines), a debug record, a
    comment, a ``uselistorder`` directive after the last block, or blank; every block must end with
    its one terminator. Anything else raises ``IRSyntaxError`` naming the line.
    """
    header = lines[0]
    if not header.rstrip().endswith("{"):
        raise IRSyntaxError("function header does not end with '{'", line=first_line, text=header)
    blocks: list[Block] = []
    pending_comments: list[Instruction] = []  # comment lines before the first block
    directives: list[str] = []
    body = lines[1:-1]
    i = 0
    while i < len(body):
        lineno = first_line + 1 + i
        line = body[i]
        i += 1
        stripped = line.strip()
        if not stripped:
            continue
        if directives and not stripped.startswith(("uselistorder ", ";")):
            raise IRSyntaxError("only uselistorder directives may follow them", line=lineno, text=line)
        if stripped.startswith(";"):
            comment = Instruction(line, lineno)
            (blocks[-1].instructions if blocks else pending_comments).append(comment)
        elif not line[0].isspace():
            match = _LABEL_RE.fullmatch(line)
            if match is None:
                raise IRSyntaxError("expected a block label", line=lineno, text=line)
            blocks.append(Block(match["label"], line, pending_comments, lineno))
            pending_comments = []
        elif stripped.startswith("uselistorder "):
            try:
                scan_instruction(line)
            except IRSyntaxError as error:
                raise error.at(lineno, line) from None
            if not directives and blocks:  # llvm-dis: "\n; uselistorder directives\n" before them
                last = blocks[-1].instructions
                while last and not last[-1].opcode:
                    directives.insert(0, last.pop().line)
                directives.insert(0, "")
            directives.append(line)
        else:
            inst, end = _read_instruction(body, i - 1, lineno)
            i = end
            if not blocks:
                blocks.append(Block(None, None, pending_comments))  # the entry block has no label line
                pending_comments = []
            blocks[-1].instructions.append(inst)
    if not blocks:
        raise IRSyntaxError("function without blocks", line=first_line, text=header)
    _check_blocks(blocks)
    return Function(header, blocks, directives)


def _read_instruction(body: Sequence[str], start: int, lineno: int) -> tuple[Instruction, int]:
    """The instruction starting at ``body[start]`` (line ``lineno``), and the index after its last line.

    Lines follow while a bracket is open (a ``switch`` table) or while they start with a continuation
    word (``to`` after ``invoke``, clauses after ``landingpad``).
    """
    first = body[start]
    try:
        shape = scan_instruction(first)
    except IRSyntaxError as error:
        raise error.at(lineno, first) from None
    end = start + 1
    if shape.open:
        stack = list(shape.open)
        while stack:
            if end == len(body) or not body[end].strip() or _LABEL_RE.fullmatch(body[end]):
                raise IRSyntaxError(f"unclosed {stack[-1]!r}", line=lineno, text=first)
            try:
                open_brackets(body[end], stack)
            except IRSyntaxError as error:
                raise error.at(lineno + end - start, body[end]) from None
            end += 1
    while end < len(body) and _continuation_word(body[end]) is not None:
        end += 1
    if end == start + 1:
        return Instruction(first, lineno, shape), end
    inst = Instruction("\n".join(body[start:end]), lineno)
    for offset, line in enumerate(body[start + 1 : end], start=1):
        word = _continuation_word(line)
        if word is not None and inst.opcode not in CONTINUATIONS[word]:
            raise IRSyntaxError(
                f"`{word}` does not continue a `{inst.opcode}`", line=lineno + offset, text=line
            )
    return inst, end


def _continuation_word(line: str) -> str | None:
    """``to``/``cleanup``/``catch``/``filter`` if ``line`` is an indented line starting with one."""
    if not line[:1].isspace():
        return None
    words = line.split(None, 1)
    return words[0] if words and words[0] in CONTINUATIONS else None


def _check_blocks(blocks: list[Block]) -> None:
    """Each block holds instructions and ends with its only terminator; labels are unique."""
    seen: set[str] = set()
    for block in blocks:
        if block.label is not None:
            if block.label in seen:
                raise IRSyntaxError("block label defined twice", line=block.lineno, text=block.label_line)
            seen.add(block.label)
        real = [inst for inst in block.instructions if inst.is_instruction]
        if not real:
            raise IRSyntaxError("block without instructions", line=block.lineno, text=block.label_line)
        for before, inst in itertools.pairwise(real):
            if before.is_terminator:
                raise IRSyntaxError(
                    f"follows the block's terminator `{before.opcode}` (a block label is missing)",
                    line=inst.lineno,
                    text=inst.line,
                )
        if not real[-1].is_terminator:
            raise IRSyntaxError(
                "the block does not end with a terminator", line=real[-1].lineno, text=real[-1].line
            )


#: Top-level lines other than functions and globals, kept verbatim: how each kind starts.
_OPAQUE_LINE = re.compile(
    r"(?:source_filename|target datalayout|target triple) = "
    r"|module asm "
    r'|(?:%[-\w$.]+|%"[^"]*") = type '
    r'|(?:\$[-\w$.]+|\$"[^"]*") = comdat '
    r"|attributes #\d+ = \{"
    r"|![-\w$.\\]+ = "
    r"|\^\d+ = "
    r"|uselistorder(?:_bb)? "
)


def parse_module(text: str) -> Module:
    """Read a whole module (``llvm-dis`` output); ``IRSyntaxError`` names any line it cannot place."""
    items: list[TopLevel] = []
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    i = 0
    while i < len(lines):
        line = lines[i]
        lineno = i + 1
        if line.startswith("define "):
            end = i + 1
            while end < len(lines) and lines[end].rstrip() != "}":
                if lines[end].startswith(("define ", "declare ")):
                    break
                end += 1
            if end == len(lines) or lines[end].rstrip() != "}":
                raise IRSyntaxError("function body is not closed by '}'", line=lineno, text=line)
            try:
                items.append(parse_function(lines[i : end + 1], lineno))
            except IRSyntaxError as error:
                raise error.at(lineno, line) from None
            i = end + 1
            continue
        items.append(_top_level_line(line, lineno))
        i += 1
    return Module(items)


def _top_level_line(line: str, lineno: int) -> TopLevel:
    try:
        if line.startswith("declare "):
            return parse_function_header(line)
        if line.startswith("@"):
            return GlobalVar.parse(line)
    except IRSyntaxError as error:
        raise error.at(lineno, line) from None
    if _COMMENT_OR_BLANK.fullmatch(line) or _OPAQUE_LINE.match(line):
        return Opaque(line)
    raise IRSyntaxError("not a top-level LLVM IR line", line=lineno, text=line)

"""Readable names for Rust symbols in build error messages.

Error messages name the function at fault; ``_RINvNtCs51LtJr9FNUy_4core3ptr13drop_in_place...`` helps
nobody, ``core::ptr::drop_in_place::<alloc::string::String>`` does. This implements the v0 mangling
scheme (RFC 2603, what rustc 1.96 emits here) and the legacy ``_ZN...E`` scheme, printing the same
text as ``llvm-cxxfilt`` (crate disambiguators and hashes are left out). Anything it cannot read is
returned unchanged: a message with a raw name is still better than no message.
"""

from __future__ import annotations

import re

_BASIC_TYPES = {
    "a": "i8", "b": "bool", "c": "char", "d": "f64", "e": "str", "f": "f32", "h": "u8", "i": "isize",
    "j": "usize", "l": "i32", "m": "u32", "n": "i128", "o": "u128", "s": "i16", "t": "u16", "u": "()",
    "v": "...", "x": "i64", "y": "u64", "z": "!", "p": "_",
}  # fmt: skip
_SIGNED = {"a", "s", "l", "x", "n", "i"}
_UNSIGNED = {"h", "t", "m", "y", "o", "j"}
_NAMESPACES = {"C": "closure", "S": "shim"}


class _Invalid(Exception):
    pass


class _V0:
    """Recursive-descent reader for one v0 symbol (the part after ``_R``)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.bound_lifetimes = 0

    # -- lexical helpers ---------------------------------------------------------------------------

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def take(self, expected: str | None = None) -> str:
        char = self.peek()
        if not char or (expected is not None and char != expected):
            raise _Invalid
        self.pos += 1
        return char

    def eat(self, char: str) -> bool:
        if self.peek() == char:
            self.pos += 1
            return True
        return False

    def base62(self) -> int:
        if self.eat("_"):
            return 0
        value = 0
        while not self.eat("_"):
            char = self.take()
            if char.isdigit():
                digit = ord(char) - ord("0")
            elif "a" <= char <= "z":
                digit = 10 + ord(char) - ord("a")
            elif "A" <= char <= "Z":
                digit = 36 + ord(char) - ord("A")
            else:
                raise _Invalid
            value = value * 62 + digit
        return value + 1

    def opt_base62(self, tag: str) -> int:
        return self.base62() + 1 if self.eat(tag) else 0

    def decimal(self) -> int:
        start = self.pos
        while self.peek().isdigit():
            self.pos += 1
        digits = self.text[start : self.pos]
        if not digits or (len(digits) > 1 and digits[0] == "0"):
            raise _Invalid
        return int(digits)

    def identifier(self) -> tuple[str, int]:
        disambiguator = self.opt_base62("s")
        return self.undisambiguated_identifier(), disambiguator

    def undisambiguated_identifier(self) -> str:
        punycode = self.eat("u")
        length = self.decimal()
        self.eat("_")
        raw = self.text[self.pos : self.pos + length]
        if len(raw) != length:
            raise _Invalid
        self.pos += length
        if not punycode:
            return raw
        ascii_part, _, encoded = raw.rpartition("_")
        try:
            return (ascii_part + "-" + encoded).encode().decode("punycode")
        except UnicodeError as exc:
            raise _Invalid from exc

    def backref(self, reader: str, *args: bool) -> str:
        target = self.base62()
        if target >= self.pos:
            raise _Invalid
        saved = self.pos
        self.pos = target
        try:
            result: str = getattr(self, reader)(*args)
        finally:
            self.pos = saved
        return result

    # -- grammar -----------------------------------------------------------------------------------

    def path(self, in_type: bool) -> str:
        tag = self.take()
        if tag == "C":
            return self.identifier()[0]
        if tag == "M":
            self.impl_path()
            return f"<{self.type()}>"
        if tag == "X":
            self.impl_path()
            self_type = self.type()
            return f"<{self_type} as {self.path(True)}>"
        if tag == "Y":
            self_type = self.type()
            return f"<{self_type} as {self.path(True)}>"
        if tag == "N":
            namespace = self.take()
            parent = self.path(in_type)
            name, disambiguator = self.identifier()
            if namespace.isupper():
                kind = _NAMESPACES.get(namespace, namespace)
                label = f"{kind}:{name}" if name else kind
                return f"{parent}::{{{label}#{disambiguator}}}"
            return f"{parent}::{name}" if name else parent
        if tag == "I":
            base = self.path(in_type)
            args = self.generic_args()
            return f"{base}{'' if in_type else '::'}<{args}>"
        if tag == "B":
            return self.backref("path", in_type)
        raise _Invalid

    def impl_path(self) -> None:
        self.opt_base62("s")
        self.path(False)

    def generic_args(self) -> str:
        args = []
        while not self.eat("E"):
            if self.peek() == "L":
                self.take()
                args.append(self.lifetime(self.base62()))
            elif self.eat("K"):
                args.append(self.const())
            else:
                args.append(self.type())
        return ", ".join(args)

    def lifetime(self, index: int) -> str:
        if index == 0:
            return "'_"
        depth = self.bound_lifetimes - index
        if depth < 0:
            raise _Invalid
        return "'" + chr(ord("a") + depth) if depth < 26 else f"'z{depth - 25}"

    def binder(self) -> str:
        count = self.opt_base62("G")
        if not count:
            return ""
        names = []
        for _ in range(count):
            self.bound_lifetimes += 1
            names.append(self.lifetime(1))
        return f"for<{', '.join(names)}> "

    def type(self) -> str:
        tag = self.peek()
        if tag in _BASIC_TYPES:
            self.take()
            return _BASIC_TYPES[tag]
        if tag in "CMXYNI":
            return self.path(True)
        self.take()
        if tag == "A":
            element = self.type()
            return f"[{element}; {self.const()}]"
        if tag == "S":
            return f"[{self.type()}]"
        if tag in "RQ":
            prefix = "&" if tag == "R" else "&mut "
            if self.peek() == "L":
                self.take()
                index = self.base62()
                if index:
                    prefix = f"&{self.lifetime(index)} " + ("mut " if tag == "Q" else "")
            return prefix + self.type()
        if tag in "PO":
            return ("*const " if tag == "P" else "*mut ") + self.type()
        if tag == "F":
            return self.fn_sig()
        if tag == "D":
            return self.dyn_bounds()
        if tag == "T":
            members = []
            while not self.eat("E"):
                members.append(self.type())
            return f"({members[0]},)" if len(members) == 1 else f"({', '.join(members)})"
        if tag == "B":
            return self.backref("type")
        raise _Invalid

    def fn_sig(self) -> str:
        saved = self.bound_lifetimes
        text = self.binder()
        if self.eat("U"):
            text += "unsafe "
        if self.eat("K"):
            abi = "C" if self.eat("C") else self.undisambiguated_identifier().replace("_", "-")
            text += f'extern "{abi}" '
        params = []
        while not self.eat("E"):
            params.append(self.type())
        result = self.type()
        self.bound_lifetimes = saved
        return f"{text}fn({', '.join(params)})" + ("" if result == "()" else f" -> {result}")

    def dyn_bounds(self) -> str:
        saved = self.bound_lifetimes
        text = "dyn " + self.binder()
        traits = []
        while not self.eat("E"):
            trait = self.path(True)
            bindings = []
            while self.eat("p"):
                name = self.identifier()[0]
                bindings.append(f"{name} = {self.type()}")
            if bindings:
                trait = trait[:-1] + ", " if trait.endswith(">") else trait + "<"
                trait += ", ".join(bindings) + ">"
            traits.append(trait)
        self.take("L")
        lifetime = self.base62()
        self.bound_lifetimes = saved
        text += " + ".join(traits)
        return text + (f" + {self.lifetime(lifetime)}" if lifetime else "")

    def const(self) -> str:
        if self.eat("p"):
            return "_"
        if self.peek() == "B":
            self.take()
            return self.backref("const")
        tag = self.take()
        if tag not in _SIGNED | _UNSIGNED | {"b", "c"}:
            raise _Invalid
        negative = tag in _SIGNED and self.eat("n")
        start = self.pos
        while self.peek() and self.peek() != "_":
            self.take()
        digits = self.text[start : self.pos]
        self.take("_")
        value = int(digits, 16) if digits else 0
        if tag == "b":
            return "true" if value == 1 else "false"
        if tag == "c":
            return _char_literal(value)
        text = str(value) if value < 1 << 64 else hex(value)
        return "-" + text if negative else text


_CHAR_ESCAPES = {"\t": "\\t", "\r": "\\r", "\n": "\\n", "\\": "\\\\", "'": "\\'"}


def _char_literal(code_point: int) -> str:
    """A ``char`` constant as llvm-cxxfilt prints it: printable ASCII as is, anything else ``\\u{..}``."""
    char = chr(code_point)
    if char in _CHAR_ESCAPES:
        return f"'{_CHAR_ESCAPES[char]}'"
    if 0x20 <= code_point <= 0x7E:
        return f"'{char}'"
    return f"'\\u{{{code_point:x}}}'"


_LEGACY_ESCAPES = {
    "SP": "@", "BP": "*", "RF": "&", "LT": "<", "GT": ">", "LP": "(", "RP": ")", "C": ",",
}  # fmt: skip
_LEGACY_HASH = re.compile(r"^h[0-9a-f]{16}$")


def _legacy(symbol: str) -> str:
    """``_ZN3foo3bar17h0123456789abcdefE`` → ``foo::bar``."""
    pos = 3
    parts: list[str] = []
    while pos < len(symbol) and symbol[pos] != "E":
        start = pos
        while pos < len(symbol) and symbol[pos].isdigit():
            pos += 1
        if start == pos:
            raise _Invalid
        length = int(symbol[start:pos])
        parts.append(symbol[pos : pos + length])
        pos += length
    if pos >= len(symbol) or not parts:
        raise _Invalid
    if len(parts) > 1 and _LEGACY_HASH.match(parts[-1]):
        parts.pop()
    return "::".join(_legacy_component(part) for part in parts)


def _legacy_component(part: str) -> str:
    if part.startswith("_$"):
        part = part[1:]

    def escape(match: re.Match[str]) -> str:
        code = match.group(1)
        if code in _LEGACY_ESCAPES:
            return _LEGACY_ESCAPES[code]
        if code.startswith("u"):
            return chr(int(code[1:], 16))
        raise _Invalid

    return re.sub(r"\$([A-Za-z0-9]+)\$", escape, part).replace("..", "::")


def demangle(symbol: str) -> str:
    """The readable form of a (possibly ``@``-prefixed, quoted) symbol; unknown forms are returned as is."""
    name = symbol.removeprefix("@")
    if len(name) >= 2 and name[0] == '"' and name[-1] == '"':
        name = name[1:-1]
    try:
        if name.startswith("_R"):
            reader = _V0(name[2:])
            if reader.peek().isdigit():
                reader.decimal()
            text = reader.path(False)
            if reader.peek() and reader.peek() not in ".$":
                reader.path(False)  # the instantiating crate is not part of the readable name
            return text
        if name.startswith("_ZN"):
            return _legacy(name)
    except (_Invalid, RecursionError, ValueError):
        return name
    return name

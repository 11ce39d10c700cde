"""Errors of the offline SBF build pipeline.

Every failure the pipeline can meet is one of these, with a message that names what to fix (the function
or symbol at fault, or the command to run), so that the CLI can print it as one line.
"""

from __future__ import annotations

MAX_SHOWN_TEXT = 160  # characters of an IR line quoted in an error


class BuildError(Exception):
    """Base class: the build cannot produce a correct program."""


class ToolchainMissing(BuildError):
    """A required tool or package is not installed; the message says how to install it."""


class UnsupportedCode(BuildError):
    """The program uses something SBPFv0 cannot run (floats, a frame over 4 KiB, writable statics, ...).

    ``where`` names the function or symbol at fault.
    """

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.reason = reason


class IRSyntaxError(BuildError):
    """The LLVM IR text holds something the IR reader does not understand.

    Nothing the reader cannot place is skipped or carried along unread, so this names the line:
    ``<source>:<line>: <reason>: <text>``. ``source`` (the ``.ll`` file the pipeline kept) is added by
    the caller that knows it (:meth:`located`); a reader deep inside a line adds the line (:meth:`at`).
    """

    def __init__(
        self,
        reason: str,
        *,
        line: int | None = None,
        text: str | None = None,
        source: str | None = None,
        offset: int | None = None,
    ) -> None:
        self.reason = reason
        self.line = line
        self.text = text
        self.source = source
        self.offset = offset  # where in the instruction it happened, to find the line of a multi-line one
        super().__init__(self._message())

    def _message(self) -> str:
        where = ""
        if self.line is not None:
            where = f"{self.source}:{self.line}: " if self.source else f"IR line {self.line}: "
        elif self.source:
            where = f"{self.source}: "
        shown = ""
        if self.text is not None:
            first = self.text.strip().split("\n", 1)[0]
            if len(first) > MAX_SHOWN_TEXT:
                first = first[: MAX_SHOWN_TEXT - 3] + "..."
            shown = f": `{first}`"
        return f"{where}{self.reason}{shown}"

    def at(self, line: int | None, text: str) -> IRSyntaxError:
        """This error in ``text``, which starts at ``line``, unless it already names a line.

        For an instruction over several lines, the error names the line holding ``offset``.
        """
        if self.line is not None or line is None:
            return self
        if self.offset is not None and "\n" in text:
            line += text.count("\n", 0, self.offset)
            start = text.rfind("\n", 0, self.offset) + 1
            end = text.find("\n", self.offset)
            text = text[start : end if end >= 0 else len(text)]
        return IRSyntaxError(self.reason, line=line, text=self.text or text, source=self.source)

    def located(self, source: str) -> IRSyntaxError:
        """This error naming the file its line numbers refer to."""
        return IRSyntaxError(self.reason, line=self.line, text=self.text, source=source)


class IRMismatch(BuildError):
    """The IR reader and LLVM disagree about how many functions, blocks or instructions a module has.

    That would mean the reader misread the module (and the rewrites could miss code), so the build stops.
    """


class LinkError(BuildError):
    """The relocatable object cannot be turned into a loadable SBPFv0 shared object."""

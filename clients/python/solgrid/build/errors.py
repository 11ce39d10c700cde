"""Errors of the offline SBF build pipeline.

Every failure the pipeline can meet is one of these, with a message that names what to fix (the function
or symbol at fault, or the command to run), so that the CLI can print it as one line.
"""

from __future__ import annotations


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


class LinkError(BuildError):
    """The relocatable object cannot be turned into a loadable SBPFv0 shared object."""

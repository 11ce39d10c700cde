"""The registry errors the oracle worker reacts to, looked up by name in the registry's IDL (see
:mod:`solgrid.automation.program_errors`)."""

from __future__ import annotations

from dataclasses import dataclass

from solgrid.automation.program_errors import IdlMismatch, ProgramError
from solgrid.automation.program_errors import program_error as lookup
from solgrid.sdk.anchor import ProgramCoder

SERVICE = "the oracle worker"

__all__ = ["IdlMismatch", "ProgramError", "RegistryErrors", "program_error"]


def program_error(coder: ProgramCoder, name: str) -> ProgramError:
    """The error ``name`` of ``coder``'s program, as its IDL defines it."""
    return lookup(coder, name, SERVICE)


@dataclass(frozen=True)
class RegistryErrors:
    """The registry errors that change what the worker does with a refused reading or settlement."""

    window_not_after_last: ProgramError
    """The window starts before the meter's last one: a replay of an applied reading, or an overlap."""
    window_in_future: ProgramError
    """The window ends after the cluster clock (plus the allowed skew): wait, do not reject."""
    nothing_to_settle: ProgramError
    """``settle_and_mint`` found no surplus (another cranker was first): not worth a warning."""
    readings_paused: ProgramError
    """A regulator paused readings (in the zone or market-wide): wait for the resume, do not reject."""

    @classmethod
    def of(cls, coder: ProgramCoder) -> RegistryErrors:
        return cls(
            program_error(coder, "WindowNotAfterLast"),
            program_error(coder, "WindowInFuture"),
            program_error(coder, "NothingToSettle"),
            program_error(coder, "ReadingsPaused"),
        )

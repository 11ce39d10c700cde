"""The program errors the worker reacts to, looked up by name in the programs' IDLs (idl/*.json).

The worker never hard-codes an error number: a renumbered error is picked up from the IDL, and a renamed
or removed one stops the worker at start-up with one line naming it, instead of silently turning a
replay into a rejection.
"""

from __future__ import annotations

from dataclasses import dataclass

from solders.pubkey import Pubkey

from solgrid.errors import UserFacingError
from solgrid.sdk.anchor import ProgramCoder


class IdlMismatch(UserFacingError):
    """A program's IDL lacks an error the oracle worker depends on."""


@dataclass(frozen=True)
class ProgramError:
    """One custom error of one program: where it comes from, its code and IDL name."""

    program_id: Pubkey
    code: int
    name: str


def program_error(coder: ProgramCoder, name: str) -> ProgramError:
    """The error ``name`` of ``coder``'s program, as its IDL defines it."""
    for info in coder.errors:
        if info.name == name:
            return ProgramError(coder.program_id, info.code, info.name)
    program = coder.idl.metadata.get("name", str(coder.program_id))
    raise IdlMismatch(f"the {program} IDL has no error named {name}, which the oracle worker handles")


@dataclass(frozen=True)
class RegistryErrors:
    """The registry errors that change what the worker does with a refused reading or settlement."""

    window_not_after_last: ProgramError
    """The window starts before the meter's last one: a replay of an applied reading, or an overlap."""
    window_in_future: ProgramError
    """The window ends after the cluster clock (plus the allowed skew): wait, do not reject."""
    nothing_to_settle: ProgramError
    """``settle_and_mint`` found no surplus (another cranker was first): not worth a warning."""

    @classmethod
    def of(cls, coder: ProgramCoder) -> RegistryErrors:
        return cls(
            program_error(coder, "WindowNotAfterLast"),
            program_error(coder, "WindowInFuture"),
            program_error(coder, "NothingToSettle"),
        )

"""The program errors a service reacts to, looked up by name in the programs' IDLs (idl/*.json).

A service never hard-codes an error number: a renumbered error is picked up from the IDL, and a renamed
or removed one stops the service at start-up with one line naming it, instead of silently turning an
expected refusal (a replay, another cranker first) into a failure.
"""

from __future__ import annotations

from dataclasses import dataclass

from solders.pubkey import Pubkey

from solgrid.errors import UserFacingError
from solgrid.sdk.anchor import ProgramCoder


class IdlMismatch(UserFacingError):
    """A program's IDL lacks an error a service depends on."""


@dataclass(frozen=True)
class ProgramError:
    """One custom error of one program: where it comes from, its code and IDL name."""

    program_id: Pubkey
    code: int
    name: str


def program_error(coder: ProgramCoder, name: str, service: str) -> ProgramError:
    """The error ``name`` of ``coder``'s program, as its IDL defines it; ``service`` (``the oracle
    worker``, ``the keeper``) is named when the IDL lacks it."""
    for info in coder.errors:
        if info.name == name:
            return ProgramError(coder.program_id, info.code, info.name)
    program = coder.idl.metadata.get("name", str(coder.program_id))
    raise IdlMismatch(f"the {program} IDL has no error named {name}, which {service} handles")

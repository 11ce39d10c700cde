"""Loading the Anchor IDLs of SolGrid's programs (``idl/<program>.json``, the wire-format source of truth).

Where the files are looked up, first match wins:

1. ``$SOLGRID_IDL_DIR`` (an explicit override, e.g. for IDLs of a build under test);
2. ``solgrid/idl/`` inside the installed package (package data, so an installed SDK is self-contained);
3. ``idl/`` at the root of a source checkout (an editable install finds the repository's files).
"""

from __future__ import annotations

import functools
import json
import os
from importlib import resources
from pathlib import Path
from typing import Any

from anchorpy.idl_adapter import Idl

from solgrid.errors import UserFacingError

PROGRAMS = ("registry", "energy_token", "trading", "governance")
ENV_IDL_DIR = "SOLGRID_IDL_DIR"


class IdlNotFoundError(UserFacingError):
    """No IDL file for a program was found in any of the searched places."""


def _candidates(program: str) -> list[Path]:
    filename = f"{program}.json"
    found: list[Path] = []
    override = os.environ.get(ENV_IDL_DIR)
    if override:
        found.append(Path(override) / filename)
    packaged = resources.files("solgrid").joinpath("idl").joinpath(filename)
    if isinstance(packaged, Path):
        found.append(packaged)
    # clients/python/solgrid/sdk/idl.py -> the repository root is four levels up.
    found.append(Path(__file__).resolve().parents[4] / "idl" / filename)
    return found


def idl_path(program: str) -> Path:
    """Path of the IDL of ``program`` (e.g. ``"registry"``)."""
    candidates = _candidates(program)
    for path in candidates:
        if path.is_file():
            return path
    searched = ", ".join(str(p) for p in candidates)
    raise IdlNotFoundError(f"no IDL for program '{program}' (searched {searched}); set {ENV_IDL_DIR}")


@functools.cache
def load_idl_json(program: str) -> dict[str, Any]:
    """The IDL as plain JSON (for checks that anchorpy's parsed form does not expose)."""
    loaded: dict[str, Any] = json.loads(idl_path(program).read_text())
    return loaded


@functools.cache
def load_idl(program: str) -> Idl:
    """The IDL parsed by anchorpy (Anchor >= 0.30 spec)."""
    return Idl.from_json(idl_path(program).read_text())

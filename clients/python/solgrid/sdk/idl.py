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


_FIXED_SIZES = {
    "u8": 1,
    "i8": 1,
    "bool": 1,
    "u16": 2,
    "i16": 2,
    "u32": 4,
    "i32": 4,
    "u64": 8,
    "i64": 8,
    "u128": 16,
    "i128": 16,
    "pubkey": 32,
}


def account_field_offset(program: str, account: str, field: str) -> int:
    """Byte offset of ``field`` in ``account`` (after the 8-byte discriminator), from the IDL.

    Only fixed-size fields may precede it (arrays of fixed-size items, scalars, pubkeys), which holds
    for the registry's accounts; anything else raises, so a layout change cannot go unnoticed.
    """
    idl = load_idl_json(program)
    types = {t["name"]: t for t in idl["types"]}
    offset = 8
    for f in types[account]["type"]["fields"]:
        if f["name"] == field:
            return offset
        offset += _fixed_size(f["type"], types)
    raise KeyError(f"{account} has no field {field}")


def _fixed_size(ty: Any, types: dict[str, Any]) -> int:
    if isinstance(ty, str):
        return _FIXED_SIZES[ty]
    if "array" in ty:
        item, count = ty["array"]
        return int(count) * _fixed_size(item, types)
    if "defined" in ty:
        definition = types[ty["defined"]["name"]]["type"]
        if definition["kind"] == "enum" and all("fields" not in v for v in definition["variants"]):
            return 1
        if definition["kind"] == "struct":
            return sum(_fixed_size(f["type"], types) for f in definition["fields"])
    raise ValueError(f"type {ty} has no fixed size")

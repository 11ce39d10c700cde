"""What the indexed programs are called and which events they declare, from their IDLs (``idl/``, the
single source of truth): the audit log's ``program`` and ``name`` filters accept these only, as the
indexer's feed does, and the domain's enums (roles, statuses) are the IDL's variants."""

from __future__ import annotations

from functools import cache

from solgrid.api.errors import bad_parameter
from solgrid.sdk.idl import PROGRAMS, load_idl_json


@cache
def program_ids() -> dict[str, str]:
    """Program name -> its id (the IDL's address, where the indexer reads it)."""
    return {name: str(load_idl_json(name)["address"]) for name in PROGRAMS}


@cache
def event_names() -> frozenset[str]:
    """Every event an indexed program's IDL declares."""
    return frozenset(e["name"] for name in PROGRAMS for e in load_idl_json(name).get("events", []))


@cache
def variants(program: str, type_name: str) -> tuple[str, ...]:
    """The variants of enum ``type_name`` in ``program``'s IDL, in declaration order."""
    for declared in load_idl_json(program)["types"]:
        if declared["name"] == type_name:
            return tuple(v["name"] for v in declared["type"]["variants"])
    raise KeyError(f"{program} IDL declares no enum {type_name}")


def program_id(value: str | None) -> str | None:
    """A program filter (a name or the id of an indexed program) as the program's id; else a 400."""
    if value is None:
        return None
    ids = program_ids()
    if value in ids:
        return ids[value]
    if value in ids.values():
        return value
    raise bad_parameter("program", f"unknown program {value!r} (programs: {', '.join(ids)}, or their ids)")


def event_name(value: str | None) -> str | None:
    """An event filter: a name some indexed program's IDL declares; else a 400 listing them."""
    if value is not None and value not in event_names():
        raise bad_parameter("name", f"unknown event {value!r} (events: {', '.join(sorted(event_names()))})")
    return value

"""Reading what anchorpy decodes (accounts and events) into the SDK's typed dataclasses: a fixed byte
array as text, an enum variant as its index, and a dataclass filled from the fields of the same names."""

from __future__ import annotations

from dataclasses import fields
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

    D = TypeVar("D", bound=DataclassInstance)


def text(raw: Any) -> str:
    """A zero-padded UTF-8 byte array as a string (undecodable bytes replaced)."""
    return bytes(raw).rstrip(b"\0").decode(errors="replace")


def variant_index(value: Any) -> int:
    """The index of an anchorpy enum variant (its position in the IDL)."""
    index: int = type(value).index
    return index


def from_fields(cls: type[D], decoded: Any, **given: Any) -> D:
    """``cls`` with each field taken from ``given`` if there, else from ``decoded``'s attribute of the
    same name."""
    values = {f.name: given[f.name] if f.name in given else getattr(decoded, f.name) for f in fields(cls)}
    return cls(**values)

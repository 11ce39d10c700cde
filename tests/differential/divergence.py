"""Finding and describing the first place where two nodes answered the stream differently."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from node_session import Observation


def differences(ours: Any, theirs: Any, path: str = "") -> list[str]:
    if isinstance(ours, dict) and isinstance(theirs, dict):
        found = []
        for key in sorted(set(ours) | set(theirs), key=str):
            where = f"{path}.{key}"
            if key not in ours:
                found.append(f"{where}: only the validator has it: {_short(theirs[key])}")
            elif key not in theirs:
                found.append(f"{where}: only our node has it: {_short(ours[key])}")
            else:
                found += differences(ours[key], theirs[key], where)
        return found
    if isinstance(ours, list) and isinstance(theirs, list) and len(ours) == len(theirs):
        return [
            d
            for i, (a, b) in enumerate(zip(ours, theirs, strict=True))
            for d in differences(a, b, f"{path}[{i}]")
        ]
    if ours != theirs:
        return [f"{path or '.'}: ours {_short(ours)}\n{' ' * len(path or '.')}  validator {_short(theirs)}"]
    return []


def _short(value: Any, limit: int = 1_500) -> str:
    text = json.dumps(value)
    return text if len(text) <= limit else text[:limit] + "..."


def first_divergence(ours: Sequence[Observation], theirs: Sequence[Observation]) -> str | None:
    """None when both nodes answered alike; else a description of the first difference."""
    for index, (a, b) in enumerate(zip(ours, theirs, strict=False)):
        if (a.step, a.what) != (b.step, b.what):
            return (
                f"observation {index}: our node recorded step {a.step} {a.step_name} {a.what}, "
                f"the validator step {b.step} {b.step_name} {b.what}"
            )
        if a.value != b.value:
            details = "\n".join(differences(a.value, b.value))
            sent = f"\nsent to our node: {a.detail}\nsent to the validator: {b.detail}" if a.detail else ""
            return f"step {a.step} {a.step_name}, {a.what}:\n{details}{sent}"
    if len(ours) != len(theirs):
        longer, name = (ours, "our node") if len(ours) > len(theirs) else (theirs, "the validator")
        extra = longer[min(len(ours), len(theirs))]
        return f"only {name} recorded step {extra.step} {extra.step_name} {extra.what}: {_short(extra.value)}"
    return None

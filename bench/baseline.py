"""The programs of an earlier commit, built beside this tree, so that a benchmark can run the same scenario on
both in one process and print what a change costs.

:func:`load` extracts the commit's ``programs/``, ``crates/``, ``Cargo.toml`` and ``Cargo.lock`` with
``git archive`` into ``target/bench-baseline/<commit>/`` once, builds the named programs there with this
tree's pipeline (``solgrid build``'s :class:`Builder`; its caches make a rerun take about a second) and
reads the commit's IDLs with ``git show``. Nothing outside ``target/`` is written.

:class:`LayoutAdapter` turns an instruction built by this tree's SDK into the one the earlier program takes:
for every instruction whose IDL lost accounts since (the earlier IDL lacks their names), those accounts are
dropped; instructions whose arguments changed are refused (the adapter cannot rewrite data).
"""

from __future__ import annotations

import io
import json
import subprocess
import tarfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from solders.instruction import Instruction
from solders.pubkey import Pubkey

from solgrid.build.errors import BuildError
from solgrid.build.pipeline import Builder, select_programs
from solgrid.build.toolchain import Toolchain
from solgrid.sdk.idl import load_idl_json

REPO = Path(__file__).resolve().parents[1]
SOURCES = ("Cargo.toml", "Cargo.lock", "programs", "crates")


class BaselineUnavailable(Exception):
    """The commit cannot be read (no git history, an unknown commit) or its programs do not build."""


@dataclass(frozen=True)
class Baseline:
    commit: str
    elves: dict[str, bytes]
    idls: dict[str, dict[str, Any]]
    build_secs: float
    """What building took in this run (about a second once cached)."""


def _git(*args: str) -> bytes:
    try:
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        detail = (
            e.stderr.decode(errors="replace").strip() if isinstance(e, subprocess.CalledProcessError) else e
        )
        raise BaselineUnavailable(f"git {' '.join(args[:2])}: {detail}") from e


def load(commit: str, programs: Sequence[str], target: Path | None = None) -> Baseline:
    """``programs`` as built from ``commit`` (see the module docs)."""
    full = _git("rev-parse", "--verify", f"{commit}^{{commit}}").decode().strip()
    root = (target or REPO / "target" / "bench-baseline") / full
    workspace = root / "src"
    if not (root / "extracted").is_file():
        archive = _git("archive", "--format=tar", full, *SOURCES)
        workspace.mkdir(parents=True, exist_ok=True)
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(workspace, filter="data")
        (root / "extracted").write_text(full)
    started = time.monotonic()
    builder = Builder(workspace, Toolchain.locate(), target_dir=root / "target")
    try:
        built = {p.name: builder.build(p).so_path.read_bytes() for p in select_programs(workspace, programs)}
    except BuildError as e:
        raise BaselineUnavailable(f"building {', '.join(programs)} of {full[:12]}: {e}") from e
    idls = {name: json.loads(_git("show", f"{full}:idl/{name}.json")) for name in programs}
    return Baseline(full, built, idls, time.monotonic() - started)


@dataclass
class LayoutAdapter:
    """Instructions of this tree's IDLs as the earlier IDLs ``idls`` lay them out (see the module docs)."""

    idls: Mapping[str, Mapping[str, Any]]
    _dropped: dict[tuple[Pubkey, bytes], tuple[str, tuple[int, ...], list[str]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for program, old in self.idls.items():
            new = load_idl_json(program)
            program_id = Pubkey.from_string(new["address"])
            before = {i["name"]: i for i in old["instructions"]}
            for ix in new["instructions"]:
                was = before.get(ix["name"])
                if was is None:
                    continue
                names = [a["name"] for a in ix["accounts"]]
                kept = {a["name"] for a in was["accounts"]}
                gone = tuple(i for i, name in enumerate(names) if name not in kept)
                if was["args"] != ix["args"]:
                    raise BaselineUnavailable(f"{program}.{ix['name']}: its arguments changed")
                key = (program_id, bytes(ix["discriminator"]))
                self._dropped[key] = (ix["name"], gone, [names[i] for i in gone])

    def added(self, program_id: Pubkey, instruction: str) -> list[str]:
        """The accounts ``instruction`` of ``program_id`` has now and did not have before."""
        for (pid, _), (name, _, names) in self._dropped.items():
            if pid == program_id and name == instruction:
                return names
        raise KeyError(f"{instruction} of {program_id} is not in both IDLs")

    def __call__(self, ix: Instruction) -> Instruction:
        found = self._dropped.get((ix.program_id, bytes(ix.data)[:8]))
        if found is None or not found[1]:
            return ix
        gone = set(found[1])
        accounts = [meta for i, meta in enumerate(ix.accounts) if i not in gone]
        return Instruction(ix.program_id, bytes(ix.data), accounts)

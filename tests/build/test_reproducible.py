"""Same sources -> same bytes, whatever the checkout path: a copy of the workspace at another path,
built from clean with its own target directory, gives byte-identical programs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from solgrid.build.pipeline import Builder, discover_programs
from solgrid.build.toolchain import Toolchain

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]


def test_build_is_byte_reproducible_across_checkout_paths(tmp_path: Path) -> None:
    copy = tmp_path / "elsewhere" / "solgrid-checkout"
    copy.mkdir(parents=True)
    for item in ("Cargo.toml", "Cargo.lock", "programs", "crates"):
        src = REPO / item
        if src.is_dir():
            shutil.copytree(src, copy / item)
        else:
            shutil.copy2(src, copy / item)
    toolchain = Toolchain.locate()
    here = Builder(REPO, toolchain)
    there = Builder(copy, toolchain)
    for program in discover_programs(REPO):
        ours = here.build(program).so_path.read_bytes()
        [twin] = [p for p in discover_programs(copy) if p.name == program.name]
        theirs = there.build(twin).so_path.read_bytes()
        assert ours == theirs, f"{program.name}: {len(ours)} vs {len(theirs)} bytes differ"

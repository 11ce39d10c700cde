"""``examples/anchor-tally/idl.json`` is what ``anchor build`` would generate from the program's sources.

``examples/anchor-tally/idl`` (``anchor-idl-print``) calls anchor-lang-idl's ``IdlBuilder``, the code
``anchor build`` runs: a host ``cargo test __anchor_private_print_idl --features idl-build`` of the program,
whose output it assembles into the IDL. The test regenerates it and compares, so the committed IDL (which
the anchorpy test drives the program with) cannot go stale.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from solgrid.build.toolchain import Toolchain

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "anchor-tally"
#: The example's host build (the IDL printer and the program's test build) goes where its SBF build does.
TARGET_DIR = REPO / "target" / "std-fixture"


def test_the_committed_idl_is_what_the_sources_generate() -> None:
    toolchain = Toolchain.locate()
    env = {k: v for k, v in os.environ.items() if k not in ("RUSTUP_TOOLCHAIN", "RUSTFLAGS")}
    # IdlBuilder runs the `cargo` on PATH: the pipeline's (Debian's Rust), not another one.
    env["PATH"] = f"{toolchain.cargo.parent}{os.pathsep}{env.get('PATH', '')}"
    env["RUSTC"] = str(toolchain.rustc)
    env["CARGO_TARGET_DIR"] = str(TARGET_DIR)
    subprocess.run(
        [toolchain.cargo, "build", "--quiet", "-p", "anchor-idl-print"],
        cwd=EXAMPLE,
        env=env,
        check=True,
    )
    printed = subprocess.run(
        [TARGET_DIR / "debug" / "anchor-idl-print", EXAMPLE],
        cwd=EXAMPLE,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    generated = json.loads(printed.stdout)
    assert generated["metadata"]["name"] == "anchor_tally"
    committed = json.loads((EXAMPLE / "idl.json").read_text())
    assert generated == committed, (
        "examples/anchor-tally/idl.json is stale: regenerate it with "
        "`cargo build -p anchor-idl-print && target/debug/anchor-idl-print $PWD > idl.json` "
        "in examples/anchor-tally (README: building other programs offline)"
    )
    assert printed.stdout == (EXAMPLE / "idl.json").read_text()

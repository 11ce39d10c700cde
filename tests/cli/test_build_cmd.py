"""``solgrid build`` as a user runs it: output lines, one-line errors and exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
STD_FIXTURE = REPO / "tests" / "build" / "std-fixture" / "Cargo.toml"
#: Shared with tests/build/test_pipeline_solana_program.py, so that std is built once.
STD_TARGET = {"CARGO_TARGET_DIR": str(REPO / "target" / "std-fixture")}


def solgrid(
    *args: str, cwd: Path = REPO, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from solgrid.cli.main import main; main()", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_build_reports_each_program() -> None:
    result = solgrid("build", "registry")
    assert result.returncode == 0, result.stderr
    line = next(ln for ln in result.stdout.splitlines() if ln.startswith("registry"))
    assert "bytes" in line and "target/deploy/registry.so" in line
    assert (REPO / "target" / "deploy" / "registry.so").read_bytes()[:4] == b"\x7fELF"


def test_build_manifest_path_builds_a_solana_program_crate(tmp_path: Path) -> None:
    args = ["--manifest-path", str(STD_FIXTURE), "--program", "counter-transfer", "--out", str(tmp_path)]
    result = solgrid("build", *args, env=STD_TARGET)
    assert result.returncode == 0, result.stderr
    [line] = [ln for ln in result.stdout.splitlines() if ln.startswith("counter_transfer")]
    assert "bytes" in line and str(tmp_path / "counter_transfer.so") in line
    assert (tmp_path / "counter_transfer.so").read_bytes()[:4] == b"\x7fELF"


@pytest.mark.parametrize(
    ("args", "cwd", "env", "message"),
    [
        (["build", "nope"], REPO, {}, "error: unknown program(s) nope; known: "),
        (
            ["build", "--manifest-path", str(STD_FIXTURE), "--program", "nope"],
            REPO,
            {},
            "error: no cdylib crate 'nope' in ",
        ),
        (["build", "--manifest-path", "/nonexistent/Cargo.toml"], REPO, {}, "no such manifest"),
        (["build"], Path("/"), {}, "error: no SolGrid workspace"),
        (
            ["build"],
            REPO,
            {"SOLGRID_LLVM_BIN": "/nonexistent"},
            "sudo apt-get install -y rustc-web cargo-web",
        ),
    ],
)
def test_errors_are_one_line_with_exit_code_1(
    args: list[str], cwd: Path, env: dict[str, str], message: str
) -> None:
    result = solgrid(*args, cwd=cwd, env=env)
    assert result.returncode == 1
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--no-such-option"], "No such option"),
        (["--program", "registry"], "--program needs --manifest-path"),
        (["registry", "--manifest-path", str(STD_FIXTURE)], "choose crates with --program"),
    ],
)
def test_usage_errors_exit_2(args: list[str], message: str) -> None:
    result = solgrid("build", *args)
    assert result.returncode == 2
    assert message in result.stderr

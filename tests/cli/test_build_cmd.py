"""``solgrid build`` as a user runs it: output lines, one-line errors and exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


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


@pytest.mark.parametrize(
    ("args", "cwd", "env", "message"),
    [
        (["build", "nope"], REPO, {}, "error: unknown program(s) nope; known: "),
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


def test_usage_errors_exit_2() -> None:
    result = solgrid("build", "--no-such-option")
    assert result.returncode == 2
    assert "No such option" in result.stderr

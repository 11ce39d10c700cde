"""Locating the offline toolchain and running its tools.

The pipeline needs Debian's Rust 1.96 (``rustc-web``, ``cargo-web``, ``rust-web-src`` for ``-Zbuild-std``)
and LLVM 22's ``llvm-dis``/``opt``/``llc``/``llvm-link`` — the same LLVM that rustc 1.96 uses, so its
bitcode reads back without loss. Neither rustup's toolchain nor another LLVM will do, hence the fixed
Debian paths (which ``SOLGRID_CARGO``, ``SOLGRID_RUSTC`` and ``SOLGRID_LLVM_BIN`` can override).
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from solgrid.build.demangle import demangle
from solgrid.build.errors import BuildError, ToolchainMissing, UnsupportedCode

APT_PACKAGES = ("rustc-web", "cargo-web", "rust-web-src", "llvm-22")
INSTALL_HINT = "sudo apt-get install -y " + " ".join(APT_PACKAGES) + "   (or run: make setup)"
#: rustc's bitcode must be read back by an LLVM of the same major version.
LLVM_MAJOR = 22

RUST_SRC = Path("/usr/lib/rustlib/src/rust/library")
BPF_TARGET = "bpfel-unknown-none"
LLC_FLAGS = (
    "-march=bpfel",
    "-mcpu=v2",  # v1 + jlt/jle/jslt/jsle; v3+ would emit ALU32/JMP32, which SBPFv0 lacks
    "-mattr=+allows-misaligned-mem-access",
    "-O3",
    "-bpf-stack-size=4096",  # one SBPFv0 stack frame
)


@dataclass(frozen=True)
class Toolchain:
    cargo: Path
    rustc: Path
    llvm_bin: Path

    @property
    def llvm_dis(self) -> Path:
        return self.llvm_bin / "llvm-dis"

    @property
    def opt(self) -> Path:
        return self.llvm_bin / "opt"

    @property
    def llc(self) -> Path:
        return self.llvm_bin / "llc"

    @property
    def llvm_link(self) -> Path:
        return self.llvm_bin / "llvm-link"

    @classmethod
    def locate(cls, env: Mapping[str, str] = os.environ) -> Toolchain:
        """Find the tools, or raise ToolchainMissing naming what is missing and the apt command to run."""
        tc = cls(
            cargo=Path(env.get("SOLGRID_CARGO", "/usr/bin/cargo")),
            rustc=Path(env.get("SOLGRID_RUSTC", "/usr/bin/rustc")),
            llvm_bin=Path(env.get("SOLGRID_LLVM_BIN", "/usr/lib/llvm-22/bin")),
        )
        required = [
            tc.cargo,
            tc.rustc,
            tc.llvm_dis,
            tc.opt,
            tc.llc,
            tc.llvm_link,
            RUST_SRC / "core" / "Cargo.toml",
        ]
        missing = [str(p) for p in required if not p.exists()]
        if missing:
            raise ToolchainMissing(f"missing {', '.join(missing)}; install the toolchain: {INSTALL_HINT}")
        rustc_llvm, llc_llvm = tc.llvm_versions()
        if {_major(rustc_llvm), _major(llc_llvm)} != {LLVM_MAJOR}:
            raise ToolchainMissing(
                f"{tc.rustc} uses LLVM {rustc_llvm} and {tc.llc} is LLVM {llc_llvm}; the pipeline needs "
                f"LLVM {LLVM_MAJOR} for both (rustc-web 1.96); upgrade the toolchain: {INSTALL_HINT}"
            )
        return tc

    def llvm_versions(self) -> tuple[str, str]:
        """The LLVM versions of rustc and of llc (``"22.1.8"``), as the tools print them."""
        rustc, llc = _version_reports(self.rustc, self.llc)
        return _version_after(rustc, "LLVM version: "), _version_after(llc, "LLVM version ")

    def fingerprint(self) -> bytes:
        """What identifies the tools' output: rustc's and llc's version reports."""
        return "\n".join(_version_reports(self.rustc, self.llc)).encode()


@functools.cache
def _version_reports(rustc: Path, llc: Path) -> tuple[str, str]:
    """``rustc -vV`` and ``llc --version``, run once per process."""
    return run_tool([rustc, "-vV"]).decode(), run_tool([llc, "--version"]).decode()


def _version_after(text: str, marker: str) -> str:
    at = text.find(marker)
    if at < 0:
        raise ToolchainMissing(f"cannot read the LLVM version from: {text.strip()[:200]!r}")
    return text[at + len(marker) :].split()[0]


def _major(version: str) -> int | None:
    head = version.split(".")[0]
    return int(head) if head.isdigit() else None


def run_tool(
    argv: Sequence[str | Path],
    *,
    input_bytes: bytes | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> bytes:
    """Run one tool, return its stdout; on failure raise BuildError carrying the tool's own message."""
    proc = subprocess.run(
        [str(a) for a in argv],
        input=input_bytes,
        capture_output=True,
        env=dict(env) if env is not None else None,
        cwd=cwd,
        check=False,
    )
    if proc.returncode != 0:
        raise BuildError(
            f"{Path(str(argv[0])).name} failed: {_first_error(proc.stderr.decode(errors='replace'))}"
        )
    return proc.stdout


_LLC_FUNCTION = re.compile(r"in function (\S+)")


def llc_error(stderr: str) -> BuildError:
    """Turn an llc failure into an error naming the Rust function at fault where llc names one."""
    m = _LLC_FUNCTION.search(stderr)
    where = demangle(m.group(1)) if m else "llc"
    if "stack limit is exceeded" in stderr:
        return UnsupportedCode(
            where,
            "stack frame larger than the 4 KiB an SBPF frame holds; move large locals "
            "into account data or split the function",
        )
    if "stack arguments are not supported" in stderr:
        return UnsupportedCode(where, "needs more than 5 argument registers and its address is taken")
    if m:
        return UnsupportedCode(where, _first_error(stderr))
    return BuildError(f"llc failed: {_first_error(stderr)}")


def _first_error(stderr: str) -> str:
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    for ln in lines:
        if "error" in ln.lower():
            return ln
    return lines[-1] if lines else "(no output)"

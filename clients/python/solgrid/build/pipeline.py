"""The build of every program crate into ``target/deploy/<name>.so``, stage by stage.

1. ``cargo rustc --crate-type staticlib`` for ``bpfel-unknown-none`` with ``-Zbuild-std=core,alloc``; the
   release profile's fat LTO leaves exactly one LLVM bitcode module in the archive.
2. ``llvm-dis``, then :func:`solgrid.build.ir.lower_for_bpf` (what the upstream BPF backend rejects).
3. ``opt`` internalizes everything but ``entrypoint`` and drops what nothing reaches, then
   :func:`solgrid.build.ir.finish_for_bpf` (argument packing, unsupported-code checks).
4. ``llc`` to a relocatable eBPF object, and :func:`solgrid.build.link.link_sbpf` to the program ELF of
   the chosen SBPF version (``DEFAULT_SBPF_VERSION`` unless asked otherwise).

Both IR steps read the module whole and compare what they read with LLVM's own count of functions,
blocks and instructions in it (``ir_counts``: one extra ``opt`` run on the bitcode, and two analysis
printers at the end of the ``opt`` run of step 3). An IR line the reader does not understand fails the
build naming the file and line (``target/sbf/<name>/module.ll:120: ...``).

Stages 2-4 are skipped when neither the bitcode nor this pipeline's own code changed since the last
build, so a rebuild after an edit costs cargo's incremental time plus one pass for the edited program.
Intermediate files stay in ``target/sbf/<name>/`` for inspection. Outputs do not depend on the checkout
path: source paths embedded in panic messages are remapped.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
import time
import tomllib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from solgrid.build import ir
from solgrid.build.errors import BuildError, IRMismatch, IRSyntaxError
from solgrid.build.ir_counts import LLVM_COUNT_PASSES
from solgrid.build.link import link_sbpf
from solgrid.build.sbpf import SbpfVersion
from solgrid.build.toolchain import BPF_TARGET, LLC_FLAGS, Toolchain, llc_error, run_tool

ENTRYPOINT = "entrypoint"
BITCODE_MAGIC = b"BC\xc0\xde"
DEFAULT_SBPF_VERSION = SbpfVersion.V3
"""The program format ``solgrid build`` writes unless told otherwise."""


@dataclass(frozen=True)
class Program:
    """A program crate: lib name ``name`` (the ``.so``'s), in ``crate_dir``, cargo package ``package``.

    The workspace's own programs live in ``programs/<dir>/`` with package and lib name ``name``.
    """

    name: str
    crate_dir: Path
    package: str | None = None

    @property
    def cargo_package(self) -> str:
        return self.package or self.name


@dataclass(frozen=True)
class BuildResult:
    program: Program
    so_path: Path
    size: int
    seconds: float
    cached: bool


def workspace_root(start: Path | None = None) -> Path:
    """The directory holding the Cargo workspace (``Cargo.toml`` with ``[workspace]``) and ``programs/``."""
    here = (start or Path.cwd()).resolve()
    for d in (here, *here.parents):
        manifest = d / "Cargo.toml"
        if manifest.is_file() and (d / "programs").is_dir() and "workspace" in _toml(manifest):
            return d
    raise BuildError(f"no SolGrid workspace (Cargo.toml with [workspace] and programs/) at or above {here}")


def discover_programs(root: Path) -> list[Program]:
    """Every crate under ``programs/``, sorted by name."""
    found = []
    for manifest in sorted((root / "programs").glob("*/Cargo.toml")):
        package = _toml(manifest).get("package")
        name = package.get("name") if isinstance(package, dict) else None
        if not isinstance(name, str):
            raise BuildError(f"{manifest}: no [package] name")
        found.append(Program(name=name.replace("-", "_"), crate_dir=manifest.parent))
    return found


def select_programs(root: Path, names: Iterable[str]) -> list[Program]:
    programs = discover_programs(root)
    wanted = list(names)
    if not wanted:
        return programs
    by_name = {p.name: p for p in programs}
    unknown = [n for n in wanted if n not in by_name]
    if unknown:
        raise BuildError(f"unknown program(s) {', '.join(unknown)}; known: {', '.join(sorted(by_name))}")
    return [by_name[n] for n in wanted]


class Builder:
    """Builds programs of one workspace with one toolchain."""

    def __init__(
        self,
        root: Path,
        toolchain: Toolchain,
        *,
        target_dir: Path | None = None,
        out_dir: Path | None = None,
        log: Callable[[str], None] = lambda _msg: None,
        sbpf_version: SbpfVersion = DEFAULT_SBPF_VERSION,
    ) -> None:
        self.root = root
        self.sbpf_version = sbpf_version
        self.toolchain = toolchain
        self.target_dir = target_dir or root / "target"
        self.out_dir = out_dir
        self.log = log
        self._tools_fingerprint = toolchain.fingerprint()

    @property
    def deploy_dir(self) -> Path:
        return self.out_dir or self.target_dir / "deploy"

    def build(self, program: Program) -> BuildResult:
        started = time.monotonic()
        work = self.target_dir / "sbf" / program.name
        work.mkdir(parents=True, exist_ok=True)
        bitcode = self._program_bitcode(program, work)
        key = hashlib.sha256(
            bitcode + _pipeline_fingerprint() + self._tools_fingerprint + bytes([self.sbpf_version])
        ).hexdigest()
        so_path = self.deploy_dir / f"{program.name}.so"
        stamp = work / "input.sha256"
        if so_path.is_file() and stamp.is_file() and stamp.read_text() == key:
            return BuildResult(program, so_path, so_path.stat().st_size, time.monotonic() - started, True)

        self.log(f"{program.name}: llvm ir rewrites")
        text = run_tool([self.toolchain.llvm_dis, "-", "-o", "-"], input_bytes=bitcode).decode()
        module_ll = work / "module.ll"
        module_ll.write_text(text)
        _, counts = self._opt([f"-passes={LLVM_COUNT_PASSES}", "-disable-output", "-"], bitcode)
        with _naming(module_ll):
            lowered = ir.lower_for_bpf(text, llvm_counts=counts)
        (work / "lowered.ll").write_text(lowered.text)
        optimized, counts = self._opt(
            [
                "-S",
                f"-passes=internalize,globaldce,instnamer,{LLVM_COUNT_PASSES}",
                f"-internalize-public-api-list={ENTRYPOINT}",
                "-",
                "-o",
                "-",
            ],
            lowered.text.encode(),
        )
        optimized_ll = work / "optimized.ll"
        optimized_ll.write_text(optimized)
        with _naming(optimized_ll):
            finished = ir.finish_for_bpf(optimized, llvm_counts=counts)
        (work / "final.ll").write_text(finished.text)

        self.log(f"{program.name}: llc + link")
        obj = self._llc(finished.text)
        (work / "program.o").write_bytes(obj)
        elf = link_sbpf(obj, self.sbpf_version)
        self.deploy_dir.mkdir(parents=True, exist_ok=True)
        tmp = so_path.with_suffix(".so.tmp")
        tmp.write_bytes(elf)
        os.replace(tmp, so_path)
        stamp.write_text(key)
        return BuildResult(program, so_path, len(elf), time.monotonic() - started, False)

    def _program_bitcode(self, program: Program, work: Path) -> bytes:
        """The LLVM bitcode of the whole program that stages 2-4 compile (``work``: its scratch dir)."""
        self.log(f"{program.name}: cargo")
        return self._cargo_bitcode(program)

    def _cargo_bitcode(self, program: Program) -> bytes:
        env = dict(os.environ)
        env.update(
            RUSTC_BOOTSTRAP="1",
            RUSTC=str(self.toolchain.rustc),
            CARGO_TARGET_DIR=str(self.target_dir),
            # Only affects the BPF target (with --target, host build scripts and proc macros don't see it).
            RUSTFLAGS=" ".join(self._remap_flags()),
        )
        env.pop("CARGO_BUILD_RUSTFLAGS", None)
        run_tool(
            [
                self.toolchain.cargo,
                "rustc",
                "--quiet",
                "--release",
                "--target",
                BPF_TARGET,
                "-Zbuild-std=core,alloc",
                "-p",
                program.cargo_package,
                "--crate-type",
                "staticlib",
            ],
            env=env,
            cwd=self.root,
        )
        archive = self.target_dir / BPF_TARGET / "release" / f"lib{program.name}.a"
        return single_bitcode_member(archive.read_bytes(), archive)

    def _remap_flags(self) -> list[str]:
        cargo_home = Path(os.environ.get("CARGO_HOME", Path.home() / ".cargo"))
        return [
            f"--remap-path-prefix={self.root}=solgrid",
            f"--remap-path-prefix={cargo_home / 'registry' / 'src'}=crates",
        ]

    def _opt(self, args: list[str], input_bytes: bytes) -> tuple[str, str]:
        """Run opt; its stdout (the module with ``-S``) and stderr (the analysis printers' reports)."""
        proc = subprocess.run(
            [str(self.toolchain.opt), *args], input=input_bytes, capture_output=True, check=False
        )
        stderr = proc.stderr.decode(errors="replace")
        if proc.returncode != 0:
            raise BuildError(f"opt failed: {_first_error_line(stderr)}")
        return proc.stdout.decode(), stderr

    def _llc(self, text: str) -> bytes:
        proc = subprocess.run(
            [str(self.toolchain.llc), *LLC_FLAGS, "-filetype=obj", "-", "-o", "-"],
            input=text.encode(),
            capture_output=True,
            check=False,
        )
        if proc.returncode != 0:
            raise llc_error(proc.stderr.decode(errors="replace"))
        return proc.stdout


@contextlib.contextmanager
def _naming(path: Path) -> Iterator[None]:
    """IR reader errors raised inside name ``path``, the file their line numbers refer to."""
    shown = os.path.relpath(path) if path.is_absolute() else str(path)
    try:
        yield
    except IRSyntaxError as error:
        raise error.located(shown) from None
    except IRMismatch as error:
        raise IRMismatch(f"{shown}: {error}") from None


def _first_error_line(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return next((line for line in lines if "error" in line.lower()), lines[-1] if lines else "(no output)")


def single_bitcode_member(archive: bytes, origin: Path) -> bytes:
    """The one LLVM bitcode member of a System V ``ar`` archive (fat LTO produces exactly one)."""
    if not archive.startswith(b"!<arch>\n"):
        raise BuildError(f"{origin}: not an ar archive")
    members = []
    pos = 8
    while pos + 60 <= len(archive):
        header = archive[pos : pos + 60]
        size = int(header[48:58].decode().strip())
        body = archive[pos + 60 : pos + 60 + size]
        if body.startswith(BITCODE_MAGIC):
            members.append(body)
        pos += 60 + size + (size & 1)
    if len(members) != 1:
        raise BuildError(
            f"{origin}: expected one LLVM bitcode member, found {len(members)} "
            '(the release profile must keep lto = "fat" and codegen-units = 1)'
        )
    return members[0]


def _pipeline_fingerprint() -> bytes:
    """A digest of this package's code, so a pipeline change invalidates every cached output."""
    h = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.digest()


def _toml(path: Path) -> dict[str, object]:
    with path.open("rb") as f:
        return tomllib.load(f)

"""Building crates written against ``solana-program`` (std, ``target_os = "solana"``) with the pipeline.

``solgrid build --manifest-path PATH`` builds the ``cdylib`` crates of any Cargo workspace this way, as an
offline alternative to ``cargo build-sbf``. Stage 1 of the pipeline (``pipeline.py``) differs; stages 2-4
(IR rewrites, ``llc``, the SBPF linker) are the same:

1a. the target spec ``target_spec.TARGET_NAME`` (``os = "solana"``), derived from rustc's
    ``bpfel-unknown-none``, and a copy of std's sources in which Solana takes std's zkvm layer
    (``std_sources``), both generated once under ``<target>/solgrid-std/``;
1b. ``cargo rustc --crate-type staticlib -Zbuild-std=std,panic_abort`` for that target, with
    ``-Cpanic=immediate-abort`` (std's panic machinery keeps writable statics an SBPF program cannot
    have), fat LTO and one codegen unit whatever the crate's profile says; std itself is cached by
    cargo in the same target directory;
1c. ``crates/sbf-std-support`` (the ``sys_*`` functions std's zkvm layer calls, and the ``sbf_*`` helpers
    of the IR rewrites) built the same way, reduced to those public symbols, and ``llvm-link``ed in;
1d. ``opt -passes=lower-atomic``: std's atomics become plain loads and stores (a program is one thread).

What these crates need beyond that is not handled yet and fails the build naming the function or
symbol: floating point (``Rent::minimum_balance``), more than five argument registers in an indirect call
(``dyn`` methods), writable statics (a ``thread_local!``), and ``sys_*`` functions
without a Solana meaning (``sys_rand``, ``sys_read``, ``sys_getenv``, ``sys_alloc_*`` for std's
``System`` allocator, which ``entrypoint!``'s own allocator replaces), at the link.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from solgrid.build.errors import BuildError
from solgrid.build.pipeline import Builder, Program, single_bitcode_member
from solgrid.build.std_sources import solana_std_sources
from solgrid.build.target_spec import TARGET_NAME, write_target_spec
from solgrid.build.toolchain import RUST_SRC, Toolchain, run_tool

#: Where SolGrid's runtime crate lives, relative to the repository this package is installed from.
SUPPORT_CRATE = "sbf-std-support"
#: The runtime crate's symbols that stay public when it is linked into a program.
SUPPORT_SYMBOLS = ("sys_halt", "sys_panic", "sys_log", "sys_write", "sbf_*", "memcmp", "bcmp")
RUSTFLAGS = ("-Zunstable-options", "-Cpanic=immediate-abort")
#: Forced on every crate's release profile: the pipeline needs one bitcode module per program.
PROFILE_ENV = {
    "CARGO_PROFILE_RELEASE_LTO": "fat",
    "CARGO_PROFILE_RELEASE_CODEGEN_UNITS": "1",
    "CARGO_PROFILE_RELEASE_DEBUG": "false",
    "CARGO_PROFILE_RELEASE_OPT_LEVEL": "3",
}


def solgrid_repository() -> Path:
    """The SolGrid checkout this package runs from (it holds ``crates/sbf-std-support``)."""
    for d in Path(__file__).resolve().parents:
        if (d / "crates" / SUPPORT_CRATE / "Cargo.toml").is_file():
            return d
    raise BuildError(
        f"crates/{SUPPORT_CRATE} not found above {Path(__file__).parent}: building crates with std needs "
        "solgrid installed from a SolGrid checkout (pip install -e)"
    )


@dataclass(frozen=True)
class ForeignWorkspace:
    """A Cargo workspace outside SolGrid: its root, cargo's target directory for it, its program crates."""

    root: Path
    target_dir: Path
    programs: list[Program]


def manifest_programs(toolchain: Toolchain, manifest: Path, names: tuple[str, ...] = ()) -> ForeignWorkspace:
    """The ``cdylib`` crates of the workspace of ``manifest`` (all, or those named), as cargo sees them.

    A name is a crate's lib name (``my_program``, the ``.so``'s) or its package name (``my-program``).
    The target directory is cargo's (``CARGO_TARGET_DIR``, ``build.target-dir``, else ``<root>/target``).
    """
    if not manifest.is_file():
        raise BuildError(f"{manifest}: no such manifest")
    meta = json.loads(
        run_tool(
            [
                toolchain.cargo,
                "metadata",
                "--no-deps",
                "--format-version",
                "1",
                "--manifest-path",
                manifest.resolve(),
            ],
            env={**os.environ, "RUSTC": str(toolchain.rustc)},
        )
    )
    programs = []
    for package in meta["packages"]:
        for target in package["targets"]:
            if "cdylib" in target["crate_types"]:
                programs.append(
                    Program(
                        name=target["name"].replace("-", "_"),
                        crate_dir=Path(package["manifest_path"]).parent,
                        package=package["name"],
                    )
                )
    programs.sort(key=lambda p: p.name)
    root = Path(meta["workspace_root"])
    target_dir = Path(meta["target_directory"])
    if not programs:
        raise BuildError(f"{manifest}: no crate of this workspace declares crate-type cdylib")
    chosen = []
    for name in names:
        match = [p for p in programs if name in (p.name, p.package)]
        if not match:
            raise BuildError(
                f"no cdylib crate {name!r} in {root}; found: {', '.join(p.name for p in programs)}"
            )
        chosen.append(match[0])
    return ForeignWorkspace(root, target_dir, chosen or programs)


class StdBuilder(Builder):
    """A ``Builder`` for crates written against ``solana-program``: std, ``os = "solana"``."""

    @property
    def support_dir(self) -> Path:
        return self.target_dir / "solgrid-std"

    def _program_bitcode(self, program: Program, work: Path) -> bytes:
        spec = write_target_spec(self.toolchain, self.support_dir)
        library = solana_std_sources(RUST_SRC, self.support_dir / "library")
        self.log(f"{program.name}: cargo (std for {TARGET_NAME})")
        env = self._std_env(library, self.target_dir, trim_paths=True)
        crate = self._cargo_staticlib(
            self.root, program.cargo_package, program.name, spec, env, build_std="std,panic_abort"
        )
        self.log(f"{program.name}: {SUPPORT_CRATE}")
        support = self._support_bitcode(spec, library)
        (work / "crate.bc").write_bytes(crate)
        (work / "support.bc").write_bytes(support)
        linked = run_tool([self.toolchain.llvm_link, work / "crate.bc", work / "support.bc", "-o", "-"])
        # One thread per program: atomics become plain memory operations.
        return run_tool([self.toolchain.opt, "-passes=lower-atomic", "-", "-o", "-"], input_bytes=linked)

    def _support_bitcode(self, spec: Path, library: Path) -> bytes:
        """``sbf-std-support``'s bitcode with only ``SUPPORT_SYMBOLS`` left public."""
        repo = solgrid_repository()
        target_dir = self.support_dir / "support"
        env = self._std_env(library, target_dir, trim_paths=False)
        bitcode = self._cargo_staticlib(
            repo, SUPPORT_CRATE, SUPPORT_CRATE.replace("-", "_"), spec, env, build_std="core"
        )
        return run_tool(
            [
                self.toolchain.opt,
                "-passes=internalize,globaldce",
                f"-internalize-public-api-list={','.join(SUPPORT_SYMBOLS)}",
                "-",
                "-o",
                "-",
            ],
            input_bytes=bitcode,
        )

    def _std_env(self, library: Path, target_dir: Path, *, trim_paths: bool) -> dict[str, str]:
        """The environment of cargo for the Solana target.

        ``RUSTFLAGS`` must not depend on the workspace: cargo keeps one fingerprint for std's build
        scripts whatever the workspace, so workspaces sharing a target directory (the tests' shared
        ``target/std-fixture``) would rebuild std each time they take turns. Paths are made
        independent of the checkout by cargo's ``trim-paths`` instead, per crate.
        """
        env = dict(os.environ)
        for overriding in ("CARGO_BUILD_RUSTFLAGS", "CARGO_ENCODED_RUSTFLAGS"):
            env.pop(overriding, None)
        env.update(PROFILE_ENV)
        if trim_paths:
            env["CARGO_PROFILE_RELEASE_TRIM_PATHS"] = "all"
        env.update(
            RUSTC_BOOTSTRAP="1",
            # std's build script: a target it does not know gets the `restricted_std` gate otherwise.
            RUSTC_BOOTSTRAP_SYNTHETIC_TARGET="1",
            # cargo's -Zbuild-std reads the library sources from here (the patched copy).
            __CARGO_TESTS_ONLY_SRC_ROOT=str(library),
            RUSTC=str(self.toolchain.rustc),
            CARGO_TARGET_DIR=str(target_dir),
            RUSTFLAGS=" ".join(RUSTFLAGS),
        )
        return env

    def _cargo_staticlib(
        self, cwd: Path, package: str, lib_name: str, spec: Path, env: dict[str, str], *, build_std: str
    ) -> bytes:
        run_tool(
            [
                self.toolchain.cargo,
                "rustc",
                "--quiet",
                "--release",
                "--target",
                spec,
                "-Zjson-target-spec",
                f"-Zbuild-std={build_std}",
                "-Ztrim-paths",
                "-p",
                package,
                "--crate-type",
                "staticlib",
            ],
            env=env,
            cwd=cwd,
        )
        archive = Path(env["CARGO_TARGET_DIR"]) / TARGET_NAME / "release" / f"lib{lib_name}.a"
        return single_bitcode_member(archive.read_bytes(), archive)

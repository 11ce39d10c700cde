"""Building crates written against ``solana-program`` (std, ``target_os = "solana"``) with the pipeline.

``solgrid build --manifest-path PATH`` builds the ``cdylib`` crates of any Cargo workspace this way, as an
offline alternative to ``cargo build-sbf``. Stage 1 of the pipeline (``pipeline.py``) differs; stages 2-4
(IR rewrites, ``llc``, the SBPF linker) are the same:

1a. the target spec ``target_spec.TARGET_NAME`` (``os = "solana"``), derived from rustc's
    ``bpfel-unknown-none``, and a copy of std's sources in which Solana takes std's zkvm layer
    (``std_sources``), both generated once under ``<target>/solgrid-std/``;
1b. ``cargo rustc --crate-type staticlib -Zbuild-std=std,panic_abort`` for that target, with
    ``-Cpanic=immediate-abort`` (std's panic machinery keeps writable statics an SBPF program cannot
    have), fat LTO and one codegen unit whatever the crate's profile says, ``--locked`` where the
    workspace has a ``Cargo.lock`` (``lock_flags``); std itself is cached by cargo in the same target
    directory;
1c. ``crates/sbf-std-support`` (the ``sys_*`` functions std's zkvm layer calls, and the ``sbf_*`` helpers
    of the IR rewrites) built the same way, reduced to those public symbols, and ``llvm-link``ed in;
1d. ``opt -passes=lower-atomic``: std's atomics become plain loads and stores (a program is one thread);
1e. for a crate on ``solana-program`` < 1.16 (``legacy_cpi_versions``), whose ``invoke`` hands its own
    Rust structs to ``sol_invoke_signed_rust``, those calls go to ``sbf-std-support``'s
    ``sbf_invoke_signed_rust_legacy``, which copies them into the layout the runtime reads (today's rustc
    lays them out otherwise than Solana's rustc of the time did).

Stage 2 lowers the floating point such crates contain (``Rent::minimum_balance``: ``ir_float``) and packs
the arguments of ``dyn`` methods with more than five argument registers (``ir_calls``), as for any
program. What has no SBPF meaning fails the build naming the function or symbol: writable statics (a
``thread_local!``; std's ``HashMap`` keys are fixed on Solana, ``std_sources``), the float operations
``ir_float`` does not lower, and ``sys_*`` functions without a Solana meaning (``sys_rand``,
``sys_read``, ``sys_getenv``, ``sys_alloc_*`` for std's ``System`` allocator, which ``entrypoint!``'s
own allocator replaces), at the link.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


#: ``solana-program`` releases from this one on pass ``#[repr(C)]`` structs to ``sol_invoke_signed_rust``.
STABLE_CPI_RELEASE = (1, 16)
LEGACY_CPI_SYSCALL = "sol_invoke_signed_rust"
#: ``sbf-std-support``'s shim that re-lays a legacy caller's structs out for the runtime.
LEGACY_CPI_SHIM = "sbf_invoke_signed_rust_legacy"
_LEGACY_CPI_REF = re.compile(rf"@{LEGACY_CPI_SYSCALL}\b")


def lock_flags(root: Path) -> list[str]:
    """``--locked`` for a workspace with a ``Cargo.lock``: cargo builds exactly the versions it records
    and fails (one line, naming the lock file) rather than update it. A workspace without one is built
    as cargo would build it, resolving the newest compatible versions and writing a ``Cargo.lock``
    (``cargo build-sbf`` does the same); its builds are reproducible from then on."""
    return ["--locked"] if (root / "Cargo.lock").is_file() else []


def _release(version: str) -> tuple[int, int]:
    major, minor = version.split(".")[:2]
    return int(major), int(minor)


def _is_normal(dep: dict[str, Any]) -> bool:
    """Whether a ``resolve.nodes[].deps[]`` edge of ``cargo metadata`` is a normal (lib) dependency for
    some target: dev- and build-dependencies do not end up in the program."""
    return any(kind["kind"] is None for kind in dep["dep_kinds"])


def _is_proc_macro(package: dict[str, Any]) -> bool:
    """A proc-macro runs in the compiler: nothing it depends on ends up in the program."""
    return any("proc-macro" in target["kind"] for target in package.get("targets", []))


def cargo_metadata(toolchain: Toolchain, manifest: Path, *flags: str) -> dict[str, Any]:
    """``cargo metadata --format-version 1`` of ``manifest``'s workspace with ``flags``, as JSON."""
    meta: dict[str, Any] = json.loads(
        run_tool(
            [toolchain.cargo, "metadata", "--format-version", "1", *flags, "--manifest-path", manifest],
            env={**os.environ, "RUSTC": str(toolchain.rustc)},
        )
    )
    return meta


def legacy_cpi_versions(toolchain: Toolchain, root: Path, package: str) -> list[str]:
    """The ``solana-program`` versions before 1.16 in ``package``'s dependency graph (cargo's resolve).

    Those pass their own Rust structs (``Instruction`` with its ``Vec`` fields, ``AccountInfo``) to
    ``sol_invoke_signed_rust``, laid out as Solana's rustc of the time did, which today's rustc does not;
    1.16 and later pass ``#[repr(C)]`` copies. A graph holding both kinds cannot be built: which
    calls need the shim would depend on which copy of ``invoke`` each comes from. Only normal
    dependency edges count (not dev- or build-dependencies, nor what a proc-macro depends on): the
    rest is not part of the program.
    """
    meta = cargo_metadata(toolchain, root / "Cargo.toml", *lock_flags(root))
    packages = {p["id"]: p for p in meta["packages"]}
    deps = {
        node["id"]: [d["pkg"] for d in node["deps"] if _is_normal(d)] for node in meta["resolve"]["nodes"]
    }
    # A dependency may share the program's name (a wrapper crate around a published program): the
    # program is the workspace member.
    starts = [i for i in meta["workspace_members"] if packages[i]["name"] == package and i in deps]
    if len(starts) != 1:
        found = ", ".join(f"{packages[i]['name']} {packages[i]['version']}" for i in starts) or "none"
        raise BuildError(
            f"{root}: expected one workspace member named {package!r} in cargo's resolve, found {found}"
        )
    [start] = starts
    seen, stack = {start}, [start]
    while stack:
        node = stack.pop()
        if _is_proc_macro(packages[node]):
            continue
        for dep in deps[node]:
            if dep not in seen:
                seen.add(dep)
                stack.append(dep)
    versions = sorted({packages[i]["version"] for i in seen if packages[i]["name"] == "solana-program"})
    legacy = [v for v in versions if _release(v) < STABLE_CPI_RELEASE]
    if legacy and len(legacy) < len(versions):
        raise BuildError(
            f"{package}: depends on solana-program {', '.join(versions)}; releases before 1.16 and after "
            "lay out cross-program invocations differently, and one program cannot mix them"
        )
    return legacy


def redirect_legacy_cpi(text: str) -> str:
    """Point a module's ``sol_invoke_signed_rust`` references at ``LEGACY_CPI_SHIM`` (same signature)."""
    if f"@{LEGACY_CPI_SHIM}" in text:
        raise BuildError(f"the crate's module already defines or calls {LEGACY_CPI_SHIM}")
    return _LEGACY_CPI_REF.sub(f"@{LEGACY_CPI_SHIM}", text)


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
    meta = cargo_metadata(toolchain, manifest.resolve(), "--no-deps")
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
        if not lock_flags(self.root):
            self.log(
                f"{program.name}: no Cargo.lock in {self.root}: cargo resolves the versions and writes one"
            )
        env = self._std_env(library, self.target_dir, trim_paths=True)
        crate = self._cargo_staticlib(
            self.root,
            program.cargo_package,
            program.name,
            spec,
            env,
            build_std="std,panic_abort",
            crate_flags=[self._root_remap_flag()],
        )
        self.log(f"{program.name}: {SUPPORT_CRATE}")
        support = self._support_bitcode(spec, library)
        (work / "crate.bc").write_bytes(crate)
        (work / "support.bc").write_bytes(support)
        crate_module = work / "crate.bc"
        legacy = legacy_cpi_versions(self.toolchain, self.root, program.cargo_package)
        if legacy:
            self.log(f"{program.name}: solana-program {', '.join(legacy)}: CPIs through {LEGACY_CPI_SHIM}")
            text = run_tool([self.toolchain.llvm_dis, "-", "-o", "-"], input_bytes=crate).decode()
            crate_module = work / "crate.ll"
            crate_module.write_text(redirect_legacy_cpi(text))
        linked = run_tool([self.toolchain.llvm_link, crate_module, work / "support.bc", "-o", "-"])
        # One thread per program: atomics become plain memory operations.
        return run_tool([self.toolchain.opt, "-passes=lower-atomic", "-", "-o", "-"], input_bytes=linked)

    def _support_bitcode(self, spec: Path, library: Path) -> bytes:
        """``sbf-std-support``'s bitcode with only ``SUPPORT_SYMBOLS`` left public."""
        repo = solgrid_repository()
        target_dir = self.support_dir / "support"
        env = self._std_env(library, target_dir, trim_paths=False)
        bitcode = self._cargo_staticlib(
            repo, SUPPORT_CRATE, SUPPORT_CRATE.replace("-", "_"), spec, env, build_std="core,alloc"
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

        Such workspaces share std's build but for one thing cargo derives from each dependency graph, not
        from the profile: how std is compiled for LTO. A graph holding a crate that declares
        ``crate-type = ["cdylib", ...]`` (``solana-program`` does, so Manifest and Phoenix) gets std with
        object code and bitcode; one without (``anchor-lang`` 1.x's graph, a crate with no dependencies)
        gets bitcode only (``-Clinker-plugin-lto``). The target's objects are bitcode either way, but cargo
        keeps two builds of std side by side, one per kind, each made once.
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
            RUSTFLAGS=" ".join([*RUSTFLAGS, *(self._shared_remap_flags() if trim_paths else [])]),
        )
        return env

    def _root_remap_flag(self) -> str:
        return f"--remap-path-prefix={self.root}=solgrid"

    def _shared_remap_flags(self) -> list[str]:
        """The remaps every crate gets (RUSTFLAGS): ``_remap_flags`` but the workspace root's, which only the
        program crate gets. RUSTFLAGS that name the workspace would make cargo rebuild std and every
        dependency whenever one target directory alternates between workspaces (the tests share one)."""
        flags = self._remap_flags()
        if self._root_remap_flag() not in flags:
            raise BuildError(f"the workspace root's remap is not among {flags}")
        return [f for f in flags if f != self._root_remap_flag()]

    def _cargo_staticlib(
        self,
        cwd: Path,
        package: str,
        lib_name: str,
        spec: Path,
        env: dict[str, str],
        *,
        build_std: str,
        crate_flags: Sequence[str] = (),
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
                *lock_flags(cwd),
                "-p",
                package,
                "--crate-type",
                "staticlib",
                *(["--", *crate_flags] if crate_flags else []),
            ],
            env=env,
            cwd=cwd,
        )
        archive = Path(env["CARGO_TARGET_DIR"]) / TARGET_NAME / "release" / f"lib{lib_name}.a"
        return single_bitcode_member(archive.read_bytes(), archive)

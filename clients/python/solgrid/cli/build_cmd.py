"""``solgrid build``: compile programs to SBPF programs (v3 or v0), offline.

Without ``--manifest-path`` it builds the SolGrid workspace's own programs (pinocchio, no std). With it, the
``cdylib`` crates of any Cargo workspace written against ``solana-program`` (std, ``target_os = "solana"``):
an offline alternative to ``cargo build-sbf`` (see ``solgrid.build.std_build`` for what is supported).
"""

from __future__ import annotations

import time
from pathlib import Path

import click

from solgrid.build.pipeline import DEFAULT_SBPF_VERSION, Builder, select_programs, workspace_root
from solgrid.build.sbpf import SbpfVersion
from solgrid.build.std_build import StdBuilder, manifest_programs
from solgrid.build.toolchain import Toolchain


@click.command()
@click.argument("programs", nargs=-1)
@click.option("-v", "--verbose", is_flag=True, help="Print each stage as it starts.")
@click.option(
    "--sbpf-version",
    type=click.Choice([str(v) for v in SbpfVersion]),
    default=str(DEFAULT_SBPF_VERSION),
    show_default=True,
    help="Program format: v3 for agave 4.x clusters (SIMD-0500), v0 for older runtimes.",
)
@click.option(
    "--manifest-path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Build the cdylib crates of this Cargo.toml's workspace instead of SolGrid's programs: crates "
    "written against solana-program (std, target_os = solana), as `cargo build-sbf` would, offline. "
    "Outputs go to cargo's target directory for it (CARGO_TARGET_DIR, else <workspace>/target), as "
    "deploy/<lib name>.so; std is built once and cached there.",
)
@click.option(
    "--program",
    "named",
    multiple=True,
    help="With --manifest-path: build only this crate (lib or package name); repeatable.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write the .so files here instead of target/deploy/.",
)
def build(
    programs: tuple[str, ...],
    verbose: bool,
    sbpf_version: str,
    manifest_path: Path | None,
    named: tuple[str, ...],
    out_dir: Path | None,
) -> None:
    """Build PROGRAMS (default: every crate under programs/) into target/deploy/<name>.so.

    With --manifest-path, build another workspace's solana-program crates instead (PROGRAMS must then be
    empty; pick crates with --program).
    """
    toolchain = Toolchain.locate()
    log = (lambda m: click.echo(f"  {m}", err=True)) if verbose else (lambda _m: None)
    version = SbpfVersion(int(sbpf_version[1:]))
    if manifest_path is not None:
        if programs:
            raise click.UsageError("with --manifest-path, choose crates with --program, not arguments")
        workspace = manifest_programs(toolchain, manifest_path, named)
        root, chosen = workspace.root, workspace.programs
        builder: Builder = StdBuilder(
            root, toolchain, target_dir=workspace.target_dir, out_dir=out_dir, log=log, sbpf_version=version
        )
    else:
        if named:
            raise click.UsageError("--program needs --manifest-path (SolGrid's programs are arguments)")
        root = workspace_root()
        chosen = select_programs(root, programs)
        builder = Builder(root, toolchain, out_dir=out_dir, log=log, sbpf_version=version)
    started = time.monotonic()
    for program in chosen:
        result = builder.build(program)
        note = "unchanged" if result.cached else f"{result.seconds:.1f} s"
        click.echo(f"{program.name:<14} {result.size:>8} bytes  {_shown(result.so_path, root)}  ({note})")
    click.echo(f"built in {time.monotonic() - started:.1f} s")


def _shown(path: Path, root: Path) -> str:
    """``path`` relative to the workspace root where it is inside it."""
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)

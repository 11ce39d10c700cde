"""``solgrid build``: compile the workspace's programs to SBPF programs (v3 or v0), offline."""

from __future__ import annotations

import time

import click

from solgrid.build.pipeline import DEFAULT_SBPF_VERSION, Builder, select_programs, workspace_root
from solgrid.build.sbpf import SbpfVersion
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
def build(programs: tuple[str, ...], verbose: bool, sbpf_version: str) -> None:
    """Build PROGRAMS (default: every crate under programs/) into target/deploy/<name>.so."""
    root = workspace_root()
    builder = Builder(
        root,
        Toolchain.locate(),
        log=(lambda m: click.echo(f"  {m}", err=True)) if verbose else (lambda _m: None),
        sbpf_version=SbpfVersion(int(sbpf_version[1:])),
    )
    started = time.monotonic()
    for program in select_programs(root, programs):
        result = builder.build(program)
        note = "unchanged" if result.cached else f"{result.seconds:.1f} s"
        click.echo(f"{program.name:<14} {result.size:>8} bytes  {result.so_path.relative_to(root)}  ({note})")
    click.echo(f"built in {time.monotonic() - started:.1f} s")

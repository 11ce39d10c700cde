"""``solgrid build``: compile the workspace's programs to SBPFv0 shared objects, offline."""

from __future__ import annotations

import time

import click

from solgrid.build.pipeline import Builder, select_programs, workspace_root
from solgrid.build.toolchain import Toolchain


@click.command()
@click.argument("programs", nargs=-1)
@click.option("-v", "--verbose", is_flag=True, help="Print each stage as it starts.")
def build(programs: tuple[str, ...], verbose: bool) -> None:
    """Build PROGRAMS (default: every crate under programs/) into target/deploy/<name>.so."""
    root = workspace_root()
    builder = Builder(
        root,
        Toolchain.locate(),
        log=(lambda m: click.echo(f"  {m}", err=True)) if verbose else (lambda _m: None),
    )
    started = time.monotonic()
    for program in select_programs(root, programs):
        result = builder.build(program)
        note = "unchanged" if result.cached else f"{result.seconds:.1f} s"
        click.echo(f"{program.name:<14} {result.size:>8} bytes  {result.so_path.relative_to(root)}  ({note})")
    click.echo(f"built in {time.monotonic() - started:.1f} s")

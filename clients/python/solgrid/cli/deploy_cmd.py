"""``solgrid deploy``: deploy or upgrade the workspace's programs over JSON-RPC (BPFLoaderUpgradeable).

Program ids come from ``Anchor.toml`` ``[programs.<cluster>]``, their keypairs from
``keys/<name>-keypair.json`` (which must match the ids) and the ELFs from ``target/deploy/<name>.so``.
A program that already exists is upgraded; the payer (``--keypair``, default the provider wallet) must
be its upgrade authority.

Then each program's ``idl/<name>.json`` is published in its Anchor IDL account (where ``Program.at`` of
Anchor's TypeScript client and anchorpy reads it): created if absent, upgraded through a buffer if it
differs, left alone if it is the same (:mod:`solgrid.sdk.idl_account`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import click
import httpx
from solana.rpc.async_api import AsyncClient

from solgrid.sdk.deploy import DeployError, deploy_program, wait_until_invocable
from solgrid.sdk.idl_account import publish_idl
from solgrid.sdk.keys import read_keypair
from solgrid.sdk.workspace import CLUSTER_URLS, Workspace, WorkspaceProgram


def _select(
    available: list[WorkspaceProgram], names: tuple[str, ...], cluster: str
) -> list[WorkspaceProgram]:
    if not available:
        raise DeployError(f"Anchor.toml has no programs in [programs.{cluster}]")
    if not names:
        return available
    by_name = {p.name: p for p in available}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise DeployError(
            f"unknown program(s) {', '.join(unknown)}; [programs.{cluster}] has {', '.join(by_name)}"
        )
    return [by_name[n] for n in names]


@click.command()
@click.argument("programs", nargs=-1)
@click.option("--url", "-u", help="RPC URL or cluster name (default: the cluster's URL).")
@click.option(
    "--keypair",
    "-k",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Payer and upgrade authority (default: the Anchor.toml provider wallet).",
)
@click.option("--cluster", help="Which [programs.<cluster>] to use (default: the provider's cluster).")
@click.option(
    "--workspace",
    default=".",
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory of Anchor.toml (searched upwards).",
)
def deploy(
    programs: tuple[str, ...], url: str | None, keypair: Path | None, cluster: str | None, workspace: Path
) -> None:
    """Deploy PROGRAMS (default: all of the cluster's) or upgrade them if they exist."""
    found = Workspace.find(workspace)
    if found is None:
        raise DeployError(f"no Anchor.toml in {workspace.resolve()} or above")
    cluster = cluster or found.cluster
    endpoint = CLUSTER_URLS.get(url or cluster, url)
    if endpoint is None:
        raise DeployError(f"no URL known for cluster {cluster!r}; pass --url")
    payer_path = keypair or found.wallet_path
    read_keypair(payer_path)  # fail before any network traffic if it is missing
    selected = _select(found.programs(cluster), programs, cluster)
    for program in selected:
        if not program.so_path.is_file():
            raise DeployError(f"{program.so_path} is missing: build the programs first (solgrid build)")
        program_keypair = read_keypair(program.keypair_path)
        if program_keypair.pubkey() != program.program_id:
            raise DeployError(
                f"{program.keypair_path} holds {program_keypair.pubkey()}, but Anchor.toml "
                f"[programs.{cluster}] says {program.name} = {program.program_id}"
            )
    asyncio.run(_deploy_all(endpoint, payer_path=payer_path, programs=selected, idl_dir=found.root / "idl"))


def _progress(name: str) -> Callable[[str], None]:
    return lambda message: click.echo(f"  {name}: {message}")


async def _deploy_all(
    endpoint: str, *, payer_path: Path, programs: list[WorkspaceProgram], idl_dir: Path
) -> None:
    payer = read_keypair(payer_path)
    async with AsyncClient(endpoint) as client:
        for program in programs:
            try:
                result = await deploy_program(
                    client,
                    payer,
                    program.so_path.read_bytes(),
                    read_keypair(program.keypair_path),
                    progress=_progress(program.name),
                )
            except httpx.HTTPError as e:
                raise DeployError(f"cannot reach {endpoint}: {e}") from None
            action = "upgraded" if result.upgraded else "deployed"
            click.echo(
                f"{program.name}: {action} {result.program_id} ({result.elf_len} bytes, "
                f"{result.write_transactions} writes) tx {result.signature}"
            )
            idl_path = idl_dir / f"{program.name}.json"
            if not idl_path.is_file():
                click.echo(f"{program.name}: no {idl_path}, no IDL published")
                continue
            try:
                await wait_until_invocable(client, result.program_id)
                published = await publish_idl(
                    client,
                    payer,
                    result.program_id,
                    idl_path.read_bytes(),
                    progress=_progress(program.name),
                )
            except httpx.HTTPError as e:
                raise DeployError(f"cannot reach {endpoint}: {e}") from None
            click.echo(
                f"{program.name}: IDL {published.action.value} at {published.address} "
                f"({published.compressed_len} bytes compressed)"
            )

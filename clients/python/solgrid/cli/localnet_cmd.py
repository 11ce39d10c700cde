"""``solgrid localnet``: run the local Solana node (JSON-RPC on --rpc-port, PubSub on the port after it).

Genesis (first start of a ledger, or every start without --ledger): the programs of ``Anchor.toml``
``[programs.localnet]`` are loaded from ``target/deploy/<name>.so`` as upgradeable programs whose
upgrade authority is the provider wallet, so ``solgrid deploy`` can upgrade them, each with its Anchor IDL
account holding ``idl/<name>.json`` (so ``Program.at`` of Anchor clients works). A missing ``.so`` is an
error (build first, or pass --no-programs); a wallet that does not exist leaves the programs immutable.
The provider wallet is also funded with 500,000,000 SOL, as solana-test-validator funds its mint.
Every feature of the node's runtime (agave 4.1.2) is active, as on a default solana-test-validator, except
those named with --deactivate-feature (e.g. SIMD-0500's B8JJXCy5amZyWG9r7EnUYLwzXSXTxG7GZ1qZ1qggo83g to
deploy SBPF v0 programs).

With --ledger, a restart continues from the stored state and ignores the workspace's programs and
--deactivate-feature (use --reset to start over, or ``solgrid deploy`` to upgrade the programs).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable
from pathlib import Path

import click
from solders.pubkey import Pubkey

from solgrid.errors import UserFacingError
from solgrid.localnet.engine import AGAVE_VERSION, known_features
from solgrid.localnet.genesis import GenesisProgram
from solgrid.localnet.server import DEFAULT_RPC_PORT, DEFAULT_SLOT_MS, LocalNode, NodeConfig
from solgrid.localnet.store import DB_FILE
from solgrid.sdk.keys import KeypairFileError, read_keypair
from solgrid.sdk.workspace import Workspace

GENESIS_WALLET_LAMPORTS = 500_000_000 * 10**9


class LocalnetError(UserFacingError):
    """The node cannot start as asked."""


def _pubkey_or_keypair_file(value: str) -> Pubkey:
    try:
        return Pubkey.from_string(value)
    except ValueError:
        pass
    try:
        return read_keypair(Path(value).expanduser()).pubkey()
    except KeypairFileError as e:
        raise LocalnetError(f"{value} is neither a pubkey nor a keypair file ({e})") from None


def _wallet(workspace: Workspace | None) -> Pubkey | None:
    path = workspace.wallet_path if workspace else Path("~/.config/solana/id.json").expanduser()
    if not path.is_file():
        return None
    return read_keypair(path).pubkey()


def _features(values: tuple[str, ...]) -> list[Pubkey]:
    known = set(known_features())
    features = []
    for value in values:
        try:
            feature = Pubkey.from_string(value)
        except ValueError:
            raise LocalnetError(f"--deactivate-feature {value}: not a pubkey") from None
        if feature not in known:
            raise LocalnetError(f"--deactivate-feature {value}: not a feature of agave {AGAVE_VERSION}")
        features.append(feature)
    return features


def _idl_json(workspace: Workspace, name: str) -> bytes | None:
    """``idl/<name>.json`` of the workspace (published in the program's IDL account), if there is one."""
    path = workspace.root / "idl" / f"{name}.json"
    return path.read_bytes() if path.is_file() else None


def genesis_programs(workspace: Workspace, authority: Pubkey | None) -> list[GenesisProgram]:
    """The workspace's localnet programs; LocalnetError if one has not been built."""
    programs = []
    for program in workspace.programs("localnet"):
        if not program.so_path.is_file():
            raise LocalnetError(
                f"{program.so_path} is missing: build the programs first (solgrid build) "
                "or start with --no-programs"
            )
        programs.append(
            GenesisProgram(
                program.name,
                program.program_id,
                program.so_path.read_bytes(),
                authority,
                idl_json=_idl_json(workspace, program.name),
            )
        )
    return programs


@click.command()
@click.option(
    "--rpc-port",
    default=DEFAULT_RPC_PORT,
    show_default=True,
    type=click.IntRange(0, 65534),
    help="JSON-RPC port; PubSub listens on the next one.",
)
@click.option("--bind-address", default="127.0.0.1", show_default=True)
@click.option(
    "--ledger",
    type=click.Path(file_okay=False, path_type=Path),
    help="Keep accounts and history in DIR (SQLite) across restarts.",
)
@click.option("--reset", is_flag=True, help="Delete the ledger first.")
@click.option("--quiet", "-q", is_flag=True, help="Print only the ready line.")
@click.option("--slot-ms", default=DEFAULT_SLOT_MS, show_default=True, type=click.IntRange(10, 60_000))
@click.option(
    "--limit-ledger-slots",
    "history_slots",
    type=click.IntRange(1),
    help="Keep the transaction history of the newest N slots only, pruning older ones as a validator "
    "does (default: keep everything).",
)
@click.option("--no-programs", is_flag=True, help="Do not load the workspace's programs.")
@click.option(
    "--workspace",
    default=".",
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory of Anchor.toml (searched upwards).",
)
@click.option("--upgrade-authority", help="Pubkey or keypair file (default: the provider wallet).")
@click.option(
    "--mint", "mint", help="Pubkey or keypair file to fund at genesis (default: the provider wallet)."
)
@click.option(
    "--deactivate-feature",
    "deactivate_features",
    multiple=True,
    metavar="FEATURE_PUBKEY",
    help="Leave this feature inactive at genesis (repeatable); every other one is active.",
)
def localnet(
    rpc_port: int,
    bind_address: str,
    ledger: Path | None,
    reset: bool,
    quiet: bool,
    slot_ms: int,
    history_slots: int | None,
    no_programs: bool,
    workspace: Path,
    upgrade_authority: str | None,
    mint: str | None,
    deactivate_features: tuple[str, ...],
) -> None:
    """Run a local Solana node: JSON-RPC + websocket PubSub over LiteSVM (agave 4.1.2)."""
    features = _features(deactivate_features)
    info = (lambda _m: None) if quiet else click.echo
    found = Workspace.find(workspace)
    wallet = _wallet(found)
    authority = _pubkey_or_keypair_file(upgrade_authority) if upgrade_authority else wallet
    funded_key = _pubkey_or_keypair_file(mint) if mint else wallet
    programs: list[GenesisProgram] = []
    if found is None:
        info(f"no Anchor.toml in {workspace.resolve()} or above: starting without programs")
    elif not no_programs:
        programs = genesis_programs(found, authority)
    restarting = ledger is not None and not reset and (ledger / DB_FILE).exists()
    config = NodeConfig(
        bind_address=bind_address,
        rpc_port=rpc_port,
        ledger=ledger,
        reset=reset,
        slot_ms=slot_ms,
        history_slots=history_slots,
        programs=programs,
        funded={funded_key: GENESIS_WALLET_LAMPORTS} if funded_key else {},
        deactivate_features=features,
        echo=None if quiet else click.echo,
    )
    if restarting:
        info(
            f"continuing the ledger in {ledger}; workspace programs are not reloaded (--reset to start over)"
        )
    else:
        for program in programs:
            info(f"loading {program.name} {program.program_id} ({len(program.elf)} bytes)")
        if programs:
            info(
                f"upgrade authority {authority}"
                if authority
                else "programs are immutable: no provider wallet (pass --upgrade-authority to change that)"
            )
        if funded_key:
            info(f"funding {funded_key} with {GENESIS_WALLET_LAMPORTS // 10**9} SOL")
        for feature in features:
            info(f"feature {feature} deactivated")
    asyncio.run(_serve(config, info))


async def _serve(config: NodeConfig, info: Callable[[str], None]) -> None:
    node = LocalNode(config)
    try:
        await node.start()
    except OSError as e:
        raise LocalnetError(
            f"cannot listen on {config.bind_address}:{config.rpc_port}: {e.strerror or e}"
        ) from None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    info(f"identity {node.chain.identity.pubkey()}  faucet {node.chain.faucet.pubkey()}")
    click.echo(f"solgrid localnet ready: rpc {node.rpc_url}  ws {node.ws_url}")
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(Exception):
                loop.remove_signal_handler(sig)
        await node.stop()
    info("stopped" + (f"; ledger saved in {config.ledger}" if config.ledger else ""))

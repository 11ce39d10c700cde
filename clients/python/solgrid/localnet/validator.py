"""A real ``solana-test-validator`` (agave 4.2+) as a child process on free loopback ports, every feature at
its default: what the compat suite and ``make bench`` hold our node against.

The binary is ``solana-test-validator`` beside the running Python (``.venv/bin``, where ``make validator``
links it; ``scripts/install_validator.py``). The workspace programs get onto it either at genesis
(:func:`genesis_program_args`: ``--upgradeable-program``, as ``solgrid localnet`` loads them) or with
``solgrid deploy`` (:meth:`RealValidator.deploy_workspace`), exactly as a user would.
"""

from __future__ import annotations

import json
import random
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from solgrid.sdk.workspace import Workspace

BINARY = Path(sys.executable).parent / "solana-test-validator"
DYNAMIC_PORTS = 40
"""Ports the validator binds in its dynamic range (TPU, TVU, repair, ...)."""
STARTUP_SECONDS = 90


class ValidatorUnavailable(RuntimeError):
    pass


def _free(port: int) -> bool:
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        with socket.socket(socket.AF_INET, kind) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                return False
    return True


def _free_ports() -> tuple[int, int, int, tuple[int, int]]:
    """rpc (and rpc + 1 for PubSub), faucet, gossip, and a dynamic range, all free now."""
    rng = random.Random()
    for _ in range(200):
        base = rng.randrange(20_000, 30_000, 50)
        ports = [base, base + 1, base + 2, base + 3, *range(base + 5, base + 5 + DYNAMIC_PORTS)]
        if all(_free(p) for p in ports):
            return base, base + 2, base + 3, (base + 5, base + 5 + DYNAMIC_PORTS - 1)
    raise ValidatorUnavailable("no free block of ports for solana-test-validator")


def genesis_program_args(workspace: Workspace, authority: Pubkey) -> list[str]:
    """``--upgradeable-program`` arguments loading the workspace's localnet programs (``target/deploy``) at
    genesis with ``authority`` as their upgrade authority, as ``solgrid localnet`` loads them."""
    args: list[str] = []
    for program in workspace.programs("localnet"):
        if not program.so_path.is_file():
            raise ValidatorUnavailable(f"{program.so_path} is missing: build the programs (solgrid build)")
        args += ["--upgradeable-program", str(program.program_id), str(program.so_path), str(authority)]
    return args


@dataclass
class RealValidator:
    """A running ``solana-test-validator`` whose mint (500M SOL) is ``mint``."""

    rpc_url: str
    ws_url: str
    mint: Keypair
    mint_file: Path
    ledger: Path
    process: subprocess.Popen[bytes]
    log: Path

    @classmethod
    def start(
        cls, workdir: Path, mint: Keypair, *, extra_args: Sequence[str] = (), binary: Path = BINARY
    ) -> RealValidator:
        if not binary.exists():
            raise ValidatorUnavailable(
                f"{binary} is missing: run `make validator` (scripts/install_validator.py)"
            )
        workdir.mkdir(parents=True, exist_ok=True)
        mint_file = workdir / "mint.json"
        mint_file.write_text(json.dumps(list(bytes(mint))))
        rpc, faucet, gossip, (low, high) = _free_ports()
        ledger = workdir / "ledger"
        log = workdir / "validator.log"
        args = [
            str(binary),
            "--ledger", str(ledger),
            "--reset",
            "--quiet",
            "--bind-address", "127.0.0.1",
            "--rpc-port", str(rpc),
            "--faucet-port", str(faucet),
            "--gossip-port", str(gossip),
            "--dynamic-port-range", f"{low}-{high}",
            "--mint", str(mint.pubkey()),
            *extra_args,
        ]  # fmt: skip
        with log.open("wb") as out:
            process = subprocess.Popen(args, cwd=workdir, stdout=out, stderr=subprocess.STDOUT)
        validator = cls(
            f"http://127.0.0.1:{rpc}", f"ws://127.0.0.1:{rpc + 1}", mint, mint_file, ledger, process, log
        )
        try:
            validator._wait_ready()
        except BaseException:
            validator.stop()
            raise
        return validator

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ValidatorUnavailable(
                    f"solana-test-validator exited with {self.process.returncode}: "
                    + self.log.read_text(errors="replace")[-2000:]
                )
            try:
                slot = self.call("getSlot", [{"commitment": "finalized"}])
                if isinstance(slot, int) and slot > 0:
                    return
            except (httpx.HTTPError, RuntimeError):
                pass
            time.sleep(0.25)
        raise ValidatorUnavailable(f"solana-test-validator not ready after {STARTUP_SECONDS} s")

    def call(self, method: str, params: list[object] | None = None) -> object:
        reply = httpx.post(
            self.rpc_url,
            json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []},
            timeout=10,
        ).json()
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply["result"]

    def deploy_workspace(self, programs: Sequence[str] = (), workspace: Path | None = None) -> str:
        """``solgrid deploy`` the programs of ``workspace`` (its target/deploy; default: the one around the
        current directory) with the mint as upgrade authority."""
        solgrid = shutil.which("solgrid", path=str(Path(sys.executable).parent)) or "solgrid"
        result = subprocess.run(
            [solgrid, "deploy", *programs, "--url", self.rpc_url, "--keypair", str(self.mint_file)],
            cwd=workspace,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"solgrid deploy failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.ledger, ignore_errors=True)

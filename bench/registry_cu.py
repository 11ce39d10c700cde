"""Compute units of the registry's instructions, measured in the in-process LiteSVM.

Usage: ``.venv/bin/python bench/registry_cu.py [path/to/registry.so]`` (default
``target/deploy/registry.so``) prints one JSON object: CU per instruction for the program loaded with
``add_program`` and deployed through BPFLoaderUpgradeable, and the ``.so`` size.

:func:`measure_cu` is what a benchmark driver imports. The numbers are deterministic: the program
runs at its IDL address, so every PDA bump is fixed, and the registering wallets are derived from
fixed seeds chosen so that their User PDA has bump 255 (each lower bump would add one 1500-CU
``create_program_address`` round to ``register_user``'s search).
"""

from __future__ import annotations

import itertools
import json
import sys
from collections.abc import Iterator
from pathlib import Path

from solders.keypair import Keypair
from solders.pubkey import Pubkey

from solgrid.localnet.svm import deploy, new_svm, send
from solgrid.sdk.registry import RegistryClient, UserRole

REPO = Path(__file__).resolve().parents[1]
PROGRAM_KEYPAIR = REPO / "keys" / "registry-keypair.json"
MODES = ("add_program", "deploy")


def program_keypair() -> Keypair:
    """The keypair of the registry's program id (published: localnet/devnet only)."""
    return Keypair.from_bytes(bytes(json.loads(PROGRAM_KEYPAIR.read_text())))


def wallets_with_bump_255(client: RegistryClient) -> Iterator[Keypair]:
    """Wallets from the seeds 1, 2, ... whose User PDA has the canonical bump 255."""
    for seed in itertools.count(1):
        wallet = Keypair.from_seed(seed.to_bytes(32, "little"))
        if client.user_pda(wallet.pubkey()).bump == 255:
            yield wallet


def measure_cu(elf: bytes, mode: str = "add_program") -> dict[str, int]:
    """CU of ``initialize`` and ``register_user`` (one per role) for the ELF ``elf``.

    ``mode`` is ``"add_program"`` or ``"deploy"`` (BPFLoaderUpgradeable, the payer as upgrade authority).
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    svm = new_svm()
    payer = Keypair.from_seed(bytes(32))
    svm.airdrop(payer.pubkey(), 10**12)
    client = RegistryClient()
    if mode == "add_program":
        svm.add_program(client.program_id, elf)
    else:
        deploy(svm, payer, elf, program_keypair())
    program_id: Pubkey = client.program_id
    cu: dict[str, int] = {}
    ix = client.initialize(
        payer=payer.pubkey(), authority=payer.pubkey(), max_meters_per_user=16, max_reading_age_secs=900
    )
    cu["initialize"] = send(svm, payer, [ix]).program_cu(program_id)
    for role, wallet in zip(UserRole, wallets_with_bump_255(client), strict=False):
        ix = client.register_user(payer=payer.pubkey(), authority=wallet.pubkey(), role=role)
        cu[f"register_user[{role.name.lower()}]"] = send(svm, payer, [ix], [wallet]).program_cu(program_id)
    return cu


def main(argv: list[str]) -> int:
    so_path = Path(argv[1]) if len(argv) > 1 else REPO / "target" / "deploy" / "registry.so"
    elf = so_path.read_bytes()
    report = {"so_bytes": len(elf), **{mode: measure_cu(elf, mode) for mode in MODES}}
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

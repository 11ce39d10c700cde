"""Compute units of the energy_token's instructions, measured in the in-process LiteSVM.

Usage: ``.venv/bin/python bench/energy_token_cu.py [path/to/energy_token.so [path/to/registry.so]]``
(defaults ``target/deploy/<name>.so``) prints one JSON object: CU per instruction for the programs
loaded with ``add_program`` and deployed through BPFLoaderUpgradeable, and the ``.so`` size.

:func:`measure_cu` is what a benchmark driver imports. ``settle_and_mint`` is reported whole and split
into the registry's ``settle_meter`` (its CPI), SPL Token's ``MintTo`` (its CPI) and the rest, which is
energy_token's own work: account checks, the two CPI invocations (the runtime charges the caller for
them), reading the return data and the event.

The registry accounts a settlement reads (Config naming energy_token's settlement PDA, a Verified
User, a Meter with production) are written into the VM from ``idl/registry.json``'s layouts by
:class:`IdlAccountLayout`: no instruction on the settlement path derives a PDA or loops over data, so
its CU does not depend on how the meter reached its counters. The numbers are deterministic: both
programs run at their IDL addresses and the wallets come from fixed seeds.
"""

from __future__ import annotations

import json
import struct
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from solders.account import Account
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from solgrid.localnet.engine import Engine
from solgrid.localnet.svm import Sent, deploy, features_blocking_deploy, new_svm, send
from solgrid.sdk.energy_token import EnergyTokenClient
from solgrid.sdk.idl import load_idl_json

REPO = Path(__file__).resolve().parents[1]
MODES = ("add_program", "deploy")
TOKEN_PROGRAM_ID = Pubkey.from_string("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA")
VERIFIED = 1  # registry UserStatus::Verified

_PRIMITIVES = {"u8": "<B", "i8": "<b", "u16": "<H", "u32": "<I", "u64": "<Q", "i64": "<q", "bool": "<?"}


class IdlAccountLayout:
    """Byte layout of one account type of an Anchor IDL with fixed-size fields: the discriminator, then
    the fields in borsh order. Field-less enums are one byte (the variant index)."""

    def __init__(self, idl: Mapping[str, Any], name: str) -> None:
        self._types = {t["name"]: t["type"] for t in idl["types"]}
        accounts = {a["name"]: a for a in idl["accounts"]}
        if name not in accounts:
            raise KeyError(f"the {idl['metadata']['name']} IDL has no account {name}")
        self.name = name
        self.discriminator = bytes(accounts[name]["discriminator"])
        self.fields: dict[str, tuple[int, Any]] = {}
        offset = len(self.discriminator)
        for f in self._types[name]["fields"]:
            self.fields[f["name"]] = (offset, f["type"])
            offset += self._size(f["type"])
        self.size = offset

    def _size(self, ty: Any) -> int:
        if isinstance(ty, str):
            return 32 if ty == "pubkey" else struct.calcsize(_PRIMITIVES[ty])
        if "array" in ty:
            inner, n = ty["array"]
            return self._size(inner) * int(n)
        defined = self._types[ty["defined"]["name"]]
        if defined["kind"] == "enum":
            return 1
        return sum(self._size(f["type"]) for f in defined["fields"])

    def _is_enum(self, ty: Any) -> bool:
        return (
            isinstance(ty, dict) and "defined" in ty and self._types[ty["defined"]["name"]]["kind"] == "enum"
        )

    def encode(self, values: Mapping[str, Any]) -> bytes:
        """Account data with ``values`` in their fields and zeroes elsewhere."""
        data = bytearray(self.size)
        data[: len(self.discriminator)] = self.discriminator
        return self.patch(bytes(data), values)

    def patch(self, data: bytes, values: Mapping[str, Any]) -> bytes:
        """``data`` with the given fields overwritten (pubkeys, integers, enum indices, raw bytes)."""
        out = bytearray(data)
        for name, value in values.items():
            offset, ty = self.fields[name]
            raw = self._encode_value(ty, value)
            out[offset : offset + len(raw)] = raw
        return bytes(out)

    def read(self, data: bytes, name: str) -> Any:
        """A field's value: a Pubkey, an int (enums: the variant index) or raw bytes."""
        offset, ty = self.fields[name]
        if ty == "pubkey":
            return Pubkey.from_bytes(data[offset : offset + 32])
        if isinstance(ty, str):
            return struct.unpack_from(_PRIMITIVES[ty], data, offset)[0]
        if self._is_enum(ty):
            return data[offset]
        return data[offset : offset + self._size(ty)]

    def _encode_value(self, ty: Any, value: Any) -> bytes:
        if ty == "pubkey":
            return bytes(value)
        if isinstance(ty, str):
            return struct.pack(_PRIMITIVES[ty], value)
        if self._is_enum(ty):
            return bytes([int(value)])
        if isinstance(value, bytes) and len(value) == self._size(ty):
            return value
        raise TypeError(f"{self.name}: pass {self._size(ty)} raw bytes for a field of type {ty}")


def program_keypair(name: str) -> Keypair:
    """The keypair of a workspace program's id (published: localnet/devnet only)."""
    return Keypair.from_bytes(bytes(json.loads((REPO / "keys" / f"{name}-keypair.json").read_text())))


def put_account(svm: Engine, address: Pubkey, owner: Pubkey, data: bytes) -> None:
    svm.set_account(
        address, Account(svm.minimum_balance_for_rent_exemption(len(data)), data, owner, False, 0)
    )


def cpi_cu(sent: Sent, program_id: Pubkey) -> int:
    """CU of the (single) inner invocation of ``program_id``: its 'consumed' line at depth 2."""
    invoke = f"Program {program_id} invoke [2]"
    consumed = f"Program {program_id} consumed "
    inside = False
    for line in sent.logs:
        if line == invoke:
            inside = True
        elif inside and line.startswith(consumed):
            return int(line[len(consumed) :].split()[0])
    raise LookupError(f"no inner invocation of {program_id}")


def measure_cu(elf: bytes, mode: str = "add_program", registry_elf: bytes | None = None) -> dict[str, int]:
    """CU of ``initialize``, ``settle_and_mint`` (with its split) and ``burn`` for the ELF ``elf``.

    ``mode`` is ``"add_program"`` or ``"deploy"`` (BPFLoaderUpgradeable, the payer as upgrade authority);
    both programs are loaded that way. ``registry_elf`` defaults to ``target/deploy/registry.so``.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    if registry_elf is None:
        registry_elf = (REPO / "target" / "deploy" / "registry.so").read_bytes()
    svm = new_svm(deactivate=features_blocking_deploy(registry_elf, elf))
    payer = Keypair.from_seed(bytes(32))
    svm.airdrop(payer.pubkey(), 10**12)
    client = EnergyTokenClient()
    for name, program_id, program_elf in (
        ("registry", client.registry_program_id, registry_elf),
        ("energy_token", client.program_id, elf),
    ):
        if mode == "add_program":
            svm.add_program(program_id, program_elf)
        else:
            deploy(svm, payer, program_elf, program_keypair(name))

    cu: dict[str, int] = {}
    init = client.initialize(payer=payer.pubkey(), authority=payer.pubkey())
    cu["initialize"] = send(svm, payer, [init]).program_cu(client.program_id)

    owner = Keypair.from_seed(bytes([1]) * 32)
    registry_idl = load_idl_json("registry")
    layouts = {name: IdlAccountLayout(registry_idl, name) for name in ("Config", "User", "Meter", "Zone")}
    registry_config = client.registry_config_pda()
    user = client.registry_user_pda(owner.pubkey())
    zone = client.registry_zone_pda(0)
    serial = bytes(range(32))
    meter, meter_bump = Pubkey.find_program_address([b"meter", serial], client.registry_program_id)
    accounts = {
        registry_config.address: layouts["Config"].encode(
            {
                "authority": payer.pubkey(),
                "settlement_authority": client.settlement_pda().address,
                "bump": registry_config.bump,
            }
        ),
        user.address: layouts["User"].encode(
            {"authority": owner.pubkey(), "status": VERIFIED, "bump": user.bump}
        ),
        zone.address: layouts["Zone"].encode({"zone_id": 0, "bump": zone.bump}),
        meter: layouts["Meter"].encode(
            {
                "serial": serial,
                "owner": owner.pubkey(),
                "user": user.address,
                "status": 1,
                "bump": meter_bump,
                "capacity_w": 5_000,
                "produced_wh": 12_500,
                "consumed_wh": 2_500,
            }
        ),
    }
    for address, data in accounts.items():
        put_account(svm, address, client.registry_program_id, data)
    send(svm, payer, [client.create_grid_account(payer=payer.pubkey(), owner=owner.pubkey())])

    settled = send(svm, payer, [client.settle_and_mint(meter=meter, owner=owner.pubkey(), zone_id=0)])
    total = settled.program_cu(client.program_id)
    registry_part = cpi_cu(settled, client.registry_program_id)
    token_part = cpi_cu(settled, TOKEN_PROGRAM_ID)
    cu["settle_and_mint"] = total
    cu["settle_and_mint: registry settle_meter CPI"] = registry_part
    cu["settle_and_mint: SPL Token MintTo CPI"] = token_part
    cu["settle_and_mint: energy_token own (checks, 2 CPI invocations, event)"] = (
        total - registry_part - token_part
    )

    burn = client.burn(holder=owner.pubkey(), amount=10**9)
    burned = send(svm, payer, [burn], [owner])
    cu["burn"] = burned.program_cu(client.program_id)
    cu["burn: SPL Token Burn CPI"] = cpi_cu(burned, TOKEN_PROGRAM_ID)
    return cu


def main(argv: list[str]) -> int:
    so_path = Path(argv[1]) if len(argv) > 1 else REPO / "target" / "deploy" / "energy_token.so"
    registry_path = Path(argv[2]) if len(argv) > 2 else REPO / "target" / "deploy" / "registry.so"
    elf = so_path.read_bytes()
    registry_elf = registry_path.read_bytes()
    report = {"so_bytes": len(elf), **{mode: measure_cu(elf, mode, registry_elf) for mode in MODES}}
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

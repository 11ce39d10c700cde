"""``make demo``: SolGrid on the local node, end to end, as a user would drive it.

1. starts ``solgrid localnet`` (a real process, on free ports, with a throw-away ledger) with the
   workspace programs installed at genesis, upgradeable by a fresh operator wallet;
2. the operator initializes the registry, appoints itself regulator and creates a grid zone;
3. a prosumer, a consumer and a grid operator get SOL from the faucet and register themselves; the
   operator (as regulator) verifies them;
4. the prosumer registers a solar meter, the regulator activates it, and the meter's device key signs a
   reading that lands through the Ed25519 precompile;
5. prints the accounts read back over RPC and the events decoded from each transaction's logs;
6. stops the node cleanly.

Everything goes through standard JSON-RPC, so pointing ``--url`` at ``solana-test-validator`` or devnet
(with the programs deployed there) runs the same steps.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import tempfile
from pathlib import Path

from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solders.keypair import Keypair

from solgrid.localnet.process import node_process
from solgrid.sdk.readings import DeviceSigner, Reading
from solgrid.sdk.registry import EnergySource, Limits, RegistryClient, UserRole
from solgrid.sdk.transactions import send_and_confirm

REPO = Path(__file__).resolve().parents[1]
LAMPORTS_PER_SOL = 1_000_000_000
ZONE_ID = 1
METER_SERIAL = "DEMO-SOLAR-0001"


def _write_keypair(path: Path, keypair: Keypair) -> None:
    path.write_text(json.dumps(list(bytes(keypair))))
    path.chmod(0o600)


def describe(event: object) -> str:
    """``Name(field=value, ...)`` with pubkeys and enums printed plainly."""
    fields = ", ".join(
        f"{f.name}={getattr(v, 'name', v)}"
        for f in dataclasses.fields(event)  # type: ignore[arg-type]
        for v in [getattr(event, f.name)]
    )
    return f"{type(event).__name__}({fields})"


async def run(url: str, operator: Keypair) -> None:
    registry = RegistryClient()
    async with AsyncClient(url, commitment=Confirmed) as rpc:
        print(f"node version: {(await rpc.get_version()).value.solana_core}")

        operator_key = operator.pubkey()
        setup = [
            registry.initialize(
                payer=operator_key, authority=operator_key, limits=Limits(max_reading_age_secs=24 * 3600)
            ),
            registry.set_regulators(regulators=[operator_key], threshold=1, cosigners=[operator_key]),
            registry.create_zone(
                payer=operator_key,
                zone_id=ZONE_ID,
                name="demo-north",
                max_capacity_kw=5_000,
                cosigners=[operator_key],
            ),
        ]
        landed = await send_and_confirm(rpc, setup, operator, coders=[registry.coder])
        print(f"\nregistry initialized in slot {landed.slot} ({landed.signature})")
        for event in registry.events(landed.logs):
            print(f"  event {describe(event)}")

        people = {
            "prosumer": UserRole.PROSUMER,
            "consumer": UserRole.CONSUMER,
            "grid operator": UserRole.GRID_OPERATOR,
        }
        wallets = {name: Keypair() for name in people}
        for name, wallet in wallets.items():
            airdrop = await rpc.request_airdrop(wallet.pubkey(), 2 * LAMPORTS_PER_SOL)
            await rpc.confirm_transaction(airdrop.value, Confirmed)
            register = registry.register_user(
                payer=wallet.pubkey(), authority=wallet.pubkey(), role=people[name], zone_id=ZONE_ID
            )
            verify = registry.verify_user(regulator=operator_key, wallet=wallet.pubkey())
            landed = await send_and_confirm(
                rpc, [register, verify], wallet, [operator], coders=[registry.coder]
            )
            print(f"\n{name} {wallet.pubkey()} registered and verified in slot {landed.slot}")
            for event in registry.events(landed.logs):
                print(f"  event {describe(event)}")

        prosumer = wallets["prosumer"]
        device = DeviceSigner.generate()
        meter = registry.meter_pda(METER_SERIAL).address
        meter_setup = [
            registry.register_meter(
                payer=prosumer.pubkey(),
                owner=prosumer.pubkey(),
                zone_id=ZONE_ID,
                serial=METER_SERIAL,
                device_key=device.public_key,
                source=EnergySource.SOLAR,
                capacity_w=6_000,
            ),
            registry.activate_meter(regulator=operator_key, meter=meter),
        ]
        landed = await send_and_confirm(rpc, meter_setup, prosumer, [operator], coders=[registry.coder])
        print(f"\nmeter {METER_SERIAL} ({meter}) registered and activated in slot {landed.slot}")
        state = await registry.fetch_meter(rpc, METER_SERIAL)
        assert state is not None
        # A one-minute window starting at activation (window ends may run up to the clock skew ahead).
        reading = Reading(state.last_window_end, state.last_window_end + 60, 90, 15)
        signed = device.sign(registry.program_id, meter, reading)
        accounts = registry.meter_accounts(METER_SERIAL, prosumer.pubkey(), ZONE_ID)
        landed = await send_and_confirm(
            rpc, registry.reading_batch([(accounts, signed)]), prosumer, coders=[registry.coder]
        )
        print(f"device-signed reading accepted in slot {landed.slot}")
        for event in registry.events(landed.logs):
            print(f"  event {describe(event)}")
        state = await registry.fetch_meter(rpc, METER_SERIAL)
        assert state is not None
        print(
            f"  meter totals: produced {state.produced_wh} Wh, consumed {state.consumed_wh} Wh, "
            f"unsettled surplus {state.unsettled_wh} Wh"
        )

        config = await registry.fetch_config(rpc)
        assert config is not None
        print(f"\nregistry config {registry.config_pda().address}:")
        print(
            f"  authority {config.authority}, users {config.user_count}, zones {config.zone_count}, "
            f"meters {config.meter_count}, max meters per user {config.limits.max_meters_per_user}"
        )
        print("users:")
        for name, wallet in wallets.items():
            user = await registry.fetch_user(rpc, wallet.pubkey())
            assert user is not None
            balance = (await rpc.get_balance(wallet.pubkey())).value / LAMPORTS_PER_SOL
            print(
                f"  #{user.user_index} {name:<14} role {user.role.name:<13} status {user.status.name:<8} "
                f"balance {balance:.6f} SOL"
            )


async def demo_on_local_node() -> None:
    with tempfile.TemporaryDirectory(prefix="solgrid-demo-") as tmp:
        workdir = Path(tmp)
        operator = Keypair()
        operator_file = workdir / "operator.json"
        _write_keypair(operator_file, operator)
        args = ["--ledger", str(workdir / "ledger"), "--workspace", str(REPO)]
        args += ["--upgrade-authority", str(operator_file), "--mint", str(operator_file)]
        async with node_process(args) as node:
            print(f"local node: {node.ready_line}")
            await run(node.rpc_url, operator)
        print("\nlocal node stopped")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--url", help="use this RPC endpoint instead of starting the local node")
    parser.add_argument("--keypair", type=Path, help="operator keypair file (with --url)")
    args = parser.parse_args()
    if args.url:
        if not args.keypair:
            parser.error("--url needs --keypair (the registry's upgrade authority)")
        operator = Keypair.from_bytes(bytes(json.loads(args.keypair.read_text())))
        asyncio.run(run(args.url, operator))
    else:
        asyncio.run(demo_on_local_node())


if __name__ == "__main__":
    main()

"""``make demo``: SolGrid on the local node, end to end, as a user would drive it.

1. starts ``solgrid localnet`` (a real process, on free ports, with a throw-away ledger) with the
   workspace programs installed at genesis, upgradeable by a fresh operator wallet;
2. the operator initializes the registry, appoints itself regulator, creates a grid zone and the GRID
   mint;
3. a prosumer, a consumer and a grid operator get SOL from the faucet and register themselves; the
   operator (as regulator) verifies them;
4. the prosumer registers a solar meter, the regulator activates it, and the meter's device key signs
   six ten-minute readings that land in one v0 transaction (address lookup table), each verified
   on-chain through the Ed25519 precompile;
5. settlement mints the meter's net surplus as GRID to the prosumer, who then burns a quarter of it;
6. prints the events decoded from each transaction's logs and the accounts read back over RPC, then
   stops the node cleanly.

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

import httpx
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from solgrid.localnet.process import node_process
from solgrid.sdk.energy_token import EnergyTokenClient, base_units_to_grid
from solgrid.sdk.lookup_tables import create_lookup_table_rpc
from solgrid.sdk.readings import DeviceSigner, Reading
from solgrid.sdk.registry import EnergySource, Limits, RegistryClient, UserRole
from solgrid.sdk.transactions import Landed, send_and_confirm

REPO = Path(__file__).resolve().parents[1]
LAMPORTS_PER_SOL = 1_000_000_000
ZONE_ID = 1
METER_SERIAL = "DEMO-SOLAR-0001"
BATCH_WINDOWS = 6
WINDOW_SECS = 600


def _write_keypair(path: Path, keypair: Keypair) -> None:
    path.write_text(json.dumps(list(bytes(keypair))))
    path.chmod(0o600)


def _plain(value: object) -> object:
    """Enums by name, serials as text, 32-byte keys in base58."""
    if isinstance(value, bytes):
        text = value.rstrip(b"\0")
        if text.isascii() and text.decode().isprintable():
            return text.decode()
        return Pubkey(value) if len(value) == 32 else value.hex()
    return getattr(value, "name", value)


def describe(event: object) -> str:
    """``Name(field=value, ...)`` printed plainly."""
    fields = ", ".join(
        f"{f.name}={_plain(getattr(event, f.name))}"
        for f in dataclasses.fields(event)  # type: ignore[arg-type]
    )
    return f"{type(event).__name__}({fields})"


def print_events(label: str, landed: Landed, *clients: RegistryClient | EnergyTokenClient) -> None:
    print(f"\n{label} (slot {landed.slot})")
    for client in clients:
        for event in client.events(landed.logs):
            print(f"  event {describe(event)}")


async def advance_clock(url: str, seconds: int) -> bool:
    """Move the local node's clock forward (``solgrid_advanceTime``); False on a node without it."""
    async with httpx.AsyncClient() as http:
        body = {"jsonrpc": "2.0", "id": 1, "method": "solgrid_advanceTime", "params": [seconds]}
        answer = (await http.post(url, json=body)).json()
    return "result" in answer


def solar_readings(start: int, windows: int, window_secs: int) -> list[Reading]:
    """A sunny morning: production rising window by window, a steady household load."""
    readings = []
    for i in range(windows):
        begin = start + i * window_secs
        production = 200 + 120 * i  # Wh in the window (a 6 kW array stays well under capacity)
        readings.append(Reading(begin, begin + window_secs, production, 90))
    return readings


async def run(url: str, operator: Keypair) -> None:
    registry = RegistryClient()
    token = EnergyTokenClient()
    async with AsyncClient(url, commitment=Confirmed) as rpc:
        print(f"node version: {(await rpc.get_version()).value.solana_core}")
        operator_key = operator.pubkey()
        coders = [registry.coder, token.coder]

        # 1. The market: registry config, the operator as (sole) regulator, a zone, and GRID.
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
            registry.set_settlement_authority(
                settlement_authority=token.settlement_pda().address, cosigners=[operator_key]
            ),
        ]
        print_events(
            "registry initialized", await send_and_confirm(rpc, setup, operator, coders=coders), registry
        )
        landed = await send_and_confirm(
            rpc, [token.initialize(payer=operator_key, authority=operator_key)], operator, coders=coders
        )
        print_events(f"GRID mint {token.mint} created", landed, token)

        # 2. People register themselves; the regulator verifies them.
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
            landed = await send_and_confirm(rpc, [register, verify], wallet, [operator], coders=coders)
            print_events(f"{name} {wallet.pubkey()} registered and verified", landed, registry)

        # 3. The prosumer's solar meter, with its own device key; the regulator activates it.
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
        landed = await send_and_confirm(rpc, meter_setup, prosumer, [operator], coders=coders)
        print_events(f"meter {METER_SERIAL} ({meter}) registered and activated", landed, registry)

        # 4. Device-signed readings, verified on-chain through the Ed25519 precompile. On the local node
        #    an hour of metering is simulated by moving its clock; elsewhere one minute is submitted.
        state = await registry.fetch_meter(rpc, METER_SERIAL)
        assert state is not None
        accounts = registry.meter_accounts(METER_SERIAL, prosumer.pubkey(), ZONE_ID)
        if await advance_clock(url, BATCH_WINDOWS * WINDOW_SECS):
            print(f"\nlocal node clock advanced {BATCH_WINDOWS * WINDOW_SECS} s (an hour of metering)")
            readings = solar_readings(state.last_window_end, BATCH_WINDOWS, WINDOW_SECS)
        else:
            readings = [Reading(state.last_window_end, state.last_window_end + 60, 90, 15)]
        batch = registry.reading_batch(
            [(accounts, device.sign(registry.program_id, meter, r)) for r in readings]
        )
        table = await create_lookup_table_rpc(rpc, prosumer, registry.lookup_addresses([accounts]))
        landed = await send_and_confirm(rpc, batch, prosumer, tables=[table], coders=coders)
        print_events(
            f"{len(readings)} device-signed readings accepted in one v0 transaction", landed, registry
        )
        state = await registry.fetch_meter(rpc, METER_SERIAL)
        assert state is not None
        print(
            f"  meter totals: produced {state.produced_wh} Wh, consumed {state.consumed_wh} Wh, "
            f"unsettled surplus {state.unsettled_wh} Wh"
        )

        # 5. Anyone may crank settlement: the surplus becomes GRID in the owner's wallet, exactly once.
        settle = [
            token.create_grid_account(payer=operator_key, owner=prosumer.pubkey()),
            token.settle_and_mint(meter=meter, owner=prosumer.pubkey()),
        ]
        print_events(
            "surplus settled and minted",
            await send_and_confirm(rpc, settle, operator, coders=coders),
            registry,
            token,
        )
        minted = await token.fetch_balance(rpc, prosumer.pubkey())
        print(f"  prosumer holds {base_units_to_grid(minted):.9f} GRID")

        # 6. The prosumer retires some GRID (e.g. for its own consumption).
        burn = token.burn(holder=prosumer.pubkey(), amount=minted // 4)
        print_events("a quarter burned", await send_and_confirm(rpc, [burn], prosumer, coders=coders), token)

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
            sol = (await rpc.get_balance(wallet.pubkey())).value / LAMPORTS_PER_SOL
            grid = base_units_to_grid(await token.fetch_balance(rpc, wallet.pubkey()))
            print(
                f"  #{user.user_index} {name:<14} role {user.role.name:<13} status {user.status.name:<8} "
                f"{sol:.6f} SOL  {grid:.9f} GRID"
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

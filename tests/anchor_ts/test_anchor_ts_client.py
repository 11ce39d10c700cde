"""The official Anchor TypeScript client (``@coral-xyz/anchor`` 0.32.1, ``@solana/web3.js`` 1.99) against
the local node: named errors of every program, an error raised inside a CPI, events from logs and from
self-CPI instruction data (the Node tests in ``test/``, run by ``node_harness``).

The scenario is prepared here with the Python SDK on a node of the test's own: energy_token initialised by
the node's upgrade authority (the GRID mint), the registry accounts a settlement reads written into the
node (Config naming energy_token's settlement PDA, a Verified User, Zone 0, one Meter with 2,500 Wh to
settle and one with nothing), the meter owner funded with a GRID account; trading and governance are not
initialised. The Node tests get the wallets and each instruction's accounts (from the SDK's builders, by
the IDL's account names) and build, send and parse everything with Anchor's client. ``Program.at`` is
tested once the SDK has published the four IDLs on-chain (``test/program_at.test.mjs``).

On the real validator (compat) the errors test runs on a scenario built by transactions only
(:func:`prepare_on_cluster`); the events test needs the meter written into the local node.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest
from node_harness import run_node_tests
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solders.account import Account
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from node_market import ensure_market, funded
from real_validator import RealValidator
from solgrid.localnet.background import BackgroundNode
from solgrid.localnet.chain import Chain
from solgrid.sdk.energy_token import EnergyTokenClient
from solgrid.sdk.governance.accounts import ConfigParams
from solgrid.sdk.governance.client import GovernanceClient
from solgrid.sdk.idl import load_idl_json
from solgrid.sdk.idl_account import publish_idl
from solgrid.sdk.registry import EnergySource, RegistryClient, UserRole
from solgrid.sdk.trading.client import TradingClient
from solgrid.sdk.transactions import send_and_confirm

pytestmark = pytest.mark.slow
VERIFIED = 1  # registry UserStatus::Verified
ACTIVE = 1  # registry MeterStatus::Active
BENCH = Path(__file__).resolve().parents[2] / "bench" / "energy_token_cu.py"


def idl_account_layout(program: str, account: str) -> Any:
    """``bench/energy_token_cu.py``'s IDL account layout writer (the bench is a script directory)."""
    spec = importlib.util.spec_from_file_location("energy_token_cu", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.IdlAccountLayout(load_idl_json(program), account)


def accounts_of(program: str, ix: Instruction) -> dict[str, Any]:
    """``ix``'s accounts by the IDL names of its instruction (found by discriminator), the rest as
    remaining accounts."""
    [spec] = [i for i in load_idl_json(program)["instructions"] if bytes(i["discriminator"]) == ix.data[:8]]
    names = [account["name"] for account in spec["accounts"]]
    metas = list(ix.accounts)
    return {
        "instruction": spec["name"],
        "accounts": {name: str(meta.pubkey) for name, meta in zip(names, metas, strict=False)},
        "remaining": [
            {"pubkey": str(m.pubkey), "isSigner": m.is_signer, "isWritable": m.is_writable}
            for m in metas[len(names) :]
        ],
    }


def put_registry_accounts(chain: Chain, client: EnergyTokenClient, owner: Pubkey) -> dict[str, Pubkey]:
    """The registry Config (naming the settlement PDA), a Verified User, Zone 0 and two Active meters
    (2,500 Wh to settle, nothing to settle), written into the node."""
    config_pda, user_pda = client.registry_config_pda(), client.registry_user_pda(owner)
    zone_pda = client.registry_zone_pda(0)
    registry_id = client.registry_program_id
    accounts = {
        config_pda.address: idl_account_layout("registry", "Config").encode(
            {"settlement_authority": client.settlement_pda().address, "bump": config_pda.bump}
        ),
        user_pda.address: idl_account_layout("registry", "User").encode(
            {"authority": owner, "status": VERIFIED, "bump": user_pda.bump}
        ),
        zone_pda.address: idl_account_layout("registry", "Zone").encode(
            {"zone_id": 0, "bump": zone_pda.bump}
        ),
    }
    meters: dict[str, Pubkey] = {}
    for name, produced_wh in (("full", 2_500), ("empty", 0)):
        serial = bytes(Keypair().pubkey())
        meter, bump = Pubkey.find_program_address([b"meter", serial], registry_id)
        accounts[meter] = idl_account_layout("registry", "Meter").encode(
            {
                "serial": serial,
                "owner": owner,
                "user": user_pda.address,
                "status": ACTIVE,
                "bump": bump,
                "capacity_w": 10_000,
                "produced_wh": produced_wh,
            }
        )
        meters[name] = meter
    for address, data in accounts.items():
        chain.set_account(address, Account(chain.minimum_balance(len(data)), data, registry_id, False, 0))
    return meters


def scenario(
    authority: Keypair,
    owner: Keypair,
    settle: dict[str, Pubkey],
    zone_id: int,
    cpi_error: str,
) -> dict[str, Any]:
    """What the Node tests read: wallets, program ids and each instruction's accounts. ``settle`` maps
    ``settle_full`` (the events test's settlement) and ``settle_empty`` (the CPI failure, which ends in
    the registry's ``cpi_error``) to a meter account."""
    token = EnergyTokenClient()
    trading = TradingClient()
    governance = GovernanceClient()
    registry = RegistryClient(token.registry_program_id)
    a, o = authority.pubkey(), owner.pubkey()
    bad_params = ConfigParams(max_lifetime_secs=0)
    instructions = {
        name: accounts_of("energy_token", token.settle_and_mint(meter=meter, owner=o, zone_id=zone_id))
        for name, meter in settle.items()
    }
    return {
        "programs": {
            "registry": str(registry.program_id),
            "energy_token": str(token.program_id),
            "trading": str(trading.program_id),
            "governance": str(governance.program_id),
        },
        "authority": list(bytes(authority)),
        "owner": list(bytes(owner)),
        "gridMint": str(token.mint),
        "cpiError": cpi_error,
        "instructions": {
            **instructions,
            "burn": accounts_of("energy_token", token.burn(holder=o, amount=0)),
            "verify_user": accounts_of("registry", registry.verify_user(regulator=o, wallet=o)),
            "trading_initialize": accounts_of(
                "trading", trading.initialize(payer=a, authority=a, base_mint=token.mint)
            ),
            "trading_initialize_quote_as_base": accounts_of(
                "trading", trading.initialize(payer=a, authority=a, base_mint=Keypair().pubkey())
            ),
            "governance_initialize": accounts_of(
                "governance", governance.initialize(payer=a, authority=a, params=ConfigParams())
            ),
        },
        "governanceBadParams": {
            "minTimelockSecs": bad_params.min_timelock_secs,
            "maxLifetimeSecs": bad_params.max_lifetime_secs,
            "certificateValiditySecs": bad_params.certificate_validity_secs,
        },
    }


async def prepare_local(node: BackgroundNode, authority: Keypair) -> dict[str, Any]:
    """The local node's scenario: registry accounts written into it (see the module docs)."""
    token = EnergyTokenClient()
    async with AsyncClient(node.rpc_url, Confirmed) as rpc:
        owner = await funded(rpc)
        await send_and_confirm(
            rpc,
            [
                token.initialize(payer=authority.pubkey(), authority=authority.pubkey()),
                token.create_grid_account(payer=authority.pubkey(), owner=owner.pubkey()),
            ],
            authority,
            coders=[token.coder],
        )
    meters = node.call(lambda chain: put_registry_accounts(chain, token, owner.pubkey()))
    settle = {"settle_full": meters["full"], "settle_empty": meters["empty"]}
    return scenario(authority, owner, settle, 0, "NothingToSettle")


async def prepare_on_cluster(rpc_url: str, authority: Keypair) -> dict[str, Any]:
    """A scenario for the errors test built by transactions only (a real validator, shared with other
    tests, whatever they initialised): the registry market of ``node_market``, a verified user with an
    active meter that has nothing to settle, GRID set up. Its settlement fails inside the registry's
    ``settle_meter`` with ``NotSettlementAuthority`` while the registry Config does not name
    energy_token's settlement PDA, else with ``NothingToSettle``."""
    token = EnergyTokenClient()
    registry = RegistryClient(token.registry_program_id)
    coders = [registry.coder, token.coder]
    a = authority.pubkey()
    async with AsyncClient(rpc_url, Confirmed) as rpc:
        zone = await ensure_market(rpc, registry, authority)
        owner = await funded(rpc)
        o = owner.pubkey()
        register = registry.register_user(payer=o, authority=o, role=UserRole.PROSUMER, zone_id=zone)
        await send_and_confirm(rpc, [register], owner, coders=coders)
        await send_and_confirm(rpc, [registry.verify_user(regulator=a, wallet=o)], authority, coders=coders)
        serial = bytes(Keypair().pubkey())
        meter = registry.meter_pda(serial).address
        device_key = bytes(Keypair().pubkey())
        add = registry.register_meter(
            payer=o,
            owner=o,
            zone_id=zone,
            serial=serial,
            device_key=device_key,
            source=EnergySource.SOLAR,
            capacity_w=5_000,
        )
        await send_and_confirm(rpc, [add], owner, coders=coders)
        activate = registry.activate_meter(regulator=a, meter=meter)
        await send_and_confirm(rpc, [activate], authority, coders=coders)
        setup = [token.create_grid_account(payer=a, owner=o)]
        if await token.fetch_config(rpc) is None:
            setup.insert(0, token.initialize(payer=a, authority=a))
        await send_and_confirm(rpc, setup, authority, coders=coders)
        config = await registry.fetch_config(rpc)
    assert config is not None
    named = config.settlement_authority == token.settlement_pda().address
    cpi_error = "NothingToSettle" if named else "NotSettlementAuthority"
    return scenario(authority, owner, {"settle_empty": meter}, zone, cpi_error)


async def test_anchor_ts_client_on_the_local_node(
    fresh_node: BackgroundNode, upgrade_authority: Keypair, tmp_path: Path
) -> None:
    prepared = await prepare_local(fresh_node, upgrade_authority)
    output = run_node_tests(fresh_node.rpc_url, fresh_node.ws_url, prepared, tmp_path / "scenario.json")
    assert output.count("# fail 0") == 2 and "# pass 0" not in output, output


@pytest.mark.compat
async def test_anchor_ts_client_on_the_real_validator(
    real_validator: RealValidator, upgrade_authority: Keypair, tmp_path: Path
) -> None:
    """The errors and ``Program.at`` tests on the real validator (the events test needs meters with
    readings to settle, which only the local node can write directly)."""
    prepared = await prepare_on_cluster(real_validator.rpc_url, upgrade_authority)
    url, ws = real_validator.rpc_url, real_validator.ws_url
    files = ["errors", "program_at"]  # the fixture's ``solgrid deploy`` published the IDLs
    output = run_node_tests(url, ws, prepared, tmp_path / "scenario.json", files=files)
    assert output.count("# fail 0") == 2 and "# pass 0" not in output, output


async def test_anchor_ts_program_at(
    fresh_node: BackgroundNode, upgrade_authority: Keypair, tmp_path: Path
) -> None:
    """``Program.at`` of Anchor's client on the four programs once :func:`publish_idl` (what ``solgrid
    deploy`` runs) has published their IDLs."""
    programs = {
        "registry": RegistryClient().program_id,
        "energy_token": EnergyTokenClient().program_id,
        "trading": TradingClient().program_id,
        "governance": GovernanceClient().program_id,
    }
    async with AsyncClient(fresh_node.rpc_url, Confirmed) as rpc:
        for name, program_id in programs.items():
            idl_json = (Path(__file__).resolve().parents[2] / "idl" / f"{name}.json").read_bytes()
            await publish_idl(rpc, upgrade_authority, program_id, idl_json)
    prepared = {
        "programs": {name: str(program_id) for name, program_id in programs.items()},
        "authority": list(bytes(upgrade_authority)),
        "owner": list(bytes(Keypair())),
        "instructions": {},
    }
    output = run_node_tests(
        fresh_node.rpc_url, fresh_node.ws_url, prepared, tmp_path / "scenario.json", files=["program_at"]
    )
    assert output.count("# fail 0") == 1 and "# pass 4" in output, output

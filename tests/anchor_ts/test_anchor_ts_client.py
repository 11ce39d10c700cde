"""The official Anchor TypeScript client (``@coral-xyz/anchor`` 0.32.1, ``@solana/web3.js`` 1.99) against
the local node and the real validator, with the programs' IDLs on-chain: named errors of every program,
an error raised inside a CPI, events from logs and from self-CPI instruction data, and Anchor's account
resolver on the IDLs' seeds (the Node tests in ``test/``, run by ``node_harness``).

The scenario is prepared here with the Python SDK. On the local node (a node of the test's own): the four
IDLs published, energy_token initialised by the node's upgrade authority (the GRID mint), the registry
accounts a settlement reads written into the node (Config naming energy_token's settlement PDA, a
Verified User, Zone 0, one Solar Meter with SETTLE_WH to settle and one with nothing; the upgrade
authority its only regulator), the meter owner funded with a GRID account, a fresh quote mint for the
market the resolution test opens; trading and governance are not initialised. On the real validator
(compat) the same by transactions only (:func:`prepare_on_cluster`: meters registered with device keys,
a device-signed reading submitted with the Ed25519 precompile as the oracle does; ``solgrid deploy``
published the IDLs). The Node tests get the wallets and each instruction's accounts (from the SDK's
builders, by the IDL's account names) and build, send and parse everything with Anchor's client.
``Program.at`` is tested on the published IDLs (``test/program_at.test.mjs``).
"""

from __future__ import annotations

import base64
import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from node_harness import NODE_TEST_FILES, run_node_tests
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
from solgrid.sdk.certificates import CertificatesClient
from solgrid.sdk.energy_token import EnergyTokenClient
from solgrid.sdk.governance.accounts import ConfigParams
from solgrid.sdk.governance.client import GovernanceClient
from solgrid.sdk.idl import load_idl_json
from solgrid.sdk.idl_account import publish_idl
from solgrid.sdk.mints import MINT_LEN, create_mint_instructions
from solgrid.sdk.readings import DeviceSigner, Reading
from solgrid.sdk.registry import MAX_REGULATORS, EnergySource, Meter, MeterAccounts, RegistryClient, UserRole
from solgrid.sdk.trading.client import MarketParams, TradingClient
from solgrid.sdk.trading.units import Side
from solgrid.sdk.transactions import send_and_confirm

pytestmark = pytest.mark.slow
VERIFIED = 1  # registry UserStatus::Verified
SETTLE_WH = 2_500  # what the events test's settlement mints, in Wh
WINDOW_SECS = 60
FIRST_WINDOW = 1_700_000_000  # the window of the local node's written meters (a certificate starts there)
FILES = len(NODE_TEST_FILES)
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


def put_registry_accounts(
    chain: Chain, client: EnergyTokenClient, owner: Pubkey, regulator: Pubkey
) -> dict[str, Pubkey]:
    """The registry Config (naming the settlement PDA, ``regulator`` its only regulator, threshold 1), a
    Verified User, Zone 0 and two Active meters (SETTLE_WH to settle, nothing to settle), written into the
    node."""
    config_pda, user_pda = client.registry_config_pda(), client.registry_user_pda(owner)
    zone_pda = client.registry_zone_pda(0)
    registry_id = client.registry_program_id
    accounts = {
        config_pda.address: idl_account_layout("registry", "Config").encode(
            {
                "authority": regulator,
                "settlement_authority": client.settlement_pda().address,
                "regulators": bytes(regulator) + bytes(32 * (MAX_REGULATORS - 1)),
                "regulator_count": 1,
                "regulator_threshold": 1,
                "bump": config_pda.bump,
            }
        ),
        user_pda.address: idl_account_layout("registry", "User").encode(
            {"authority": owner, "status": VERIFIED, "bump": user_pda.bump}
        ),
        zone_pda.address: idl_account_layout("registry", "Zone").encode(
            {"zone_id": 0, "bump": zone_pda.bump}
        ),
    }
    meters: dict[str, Pubkey] = {}
    for name, produced_wh in (("full", SETTLE_WH), ("empty", 0)):
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
                # Solar (the default source): renewable production a certificate may cover.
                "certified_wh": produced_wh,
                "first_window_start": FIRST_WINDOW,
                "last_window_end": FIRST_WINDOW + WINDOW_SECS,
            }
        )
        meters[name] = meter
    for address, data in accounts.items():
        chain.set_account(address, Account(chain.minimum_balance(len(data)), data, registry_id, False, 0))
    return meters


def raw_instruction(ix: Instruction) -> dict[str, Any]:
    """``ix`` for web3.js's ``TransactionInstruction`` (a setup step the Node test sends as it is)."""
    return {
        "programId": str(ix.program_id),
        "keys": [
            {"pubkey": str(m.pubkey), "isSigner": m.is_signer, "isWritable": m.is_writable}
            for m in ix.accounts
        ],
        "data": base64.b64encode(ix.data).decode(),
    }


@dataclass(frozen=True)
class MarketSetup:
    """A market of ``zone_id`` against a fresh quote mint: its ``create_market`` (the regulator co-signs)
    and a bid of one lot in it."""

    zone_id: int
    create: Instruction
    market: Pubkey

    @classmethod
    async def new(cls, rpc: AsyncClient, authority: Keypair, zone_id: int, base_mint: Pubkey) -> MarketSetup:
        """Creates the quote mint (by transaction) and builds the market's ``create_market``."""
        trading = TradingClient()
        a = authority.pubkey()
        quote = Keypair()
        rent = (await rpc.get_minimum_balance_for_rent_exemption(MINT_LEN)).value
        await send_and_confirm(rpc, create_mint_instructions(a, quote, 6, a, rent), authority, [quote])
        params = MarketParams(tick_size=1, lot_size_wh=1_000, fee_recipient=a)
        create = trading.create_market(
            payer=a,
            zone_id=zone_id,
            base_mint=base_mint,
            quote_mint=quote.pubkey(),
            params=params,
            cosigners=[a],
        )
        return cls(zone_id, create, trading.market_pda(zone_id, quote.pubkey()).address)

    def order(self, trader: Pubkey) -> Instruction:
        trading = TradingClient()
        return trading.place_order(
            trader=trader, market=self.market, zone_id=self.zone_id, seat=0, side=Side.BID, price=1, lots=1
        )


def scenario(
    authority: Keypair,
    owner: Keypair,
    settle: dict[str, Pubkey],
    zone_id: int,
    cpi_error: str,
    full_meter: Meter,
    trading_initialized: bool,
    market: MarketSetup,
) -> dict[str, Any]:
    """What the Node tests read: wallets, program ids and each instruction's accounts. ``settle`` maps
    ``settle_full`` (the events test's settlement of SETTLE_WH) and ``settle_empty`` (the CPI failure,
    which ends in the registry's ``cpi_error``) to a meter account; ``full_meter`` is the former's state,
    for the certificate request the resolution test derives (never sent); ``market`` the market the
    resolution test opens (if it is not open yet) for the order whose accounts it derives (never sent)."""
    token = EnergyTokenClient()
    trading = TradingClient()
    governance = GovernanceClient()
    registry = RegistryClient(token.registry_program_id)
    a, o = authority.pubkey(), owner.pubkey()
    bad_params = ConfigParams(max_lifetime_secs=0)
    good_params = ConfigParams()
    certificates = CertificatesClient(governance, registry)
    request = certificates.request(meter_address=settle["settle_full"], meter=full_meter)
    certificate_bump = certificates.certificate_pda(settle["settle_full"], request.certifiable.start).bump
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
        "settleWh": SETTLE_WH,
        "tradingInitialized": trading_initialized,
        "certificateBump": certificate_bump,
        "createMarket": raw_instruction(market.create),
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
                "governance", governance.initialize(payer=a, authority=a, params=good_params)
            ),
            "request_certificate": accounts_of("governance", request.instruction),
            "place_order": accounts_of("trading", market.order(o)),
        },
        "governanceParams": {
            "minTimelockSecs": good_params.min_timelock_secs,
            "maxLifetimeSecs": good_params.max_lifetime_secs,
            "certificateValiditySecs": good_params.certificate_validity_secs,
        },
        "governanceBadParams": {
            "minTimelockSecs": bad_params.min_timelock_secs,
            "maxLifetimeSecs": bad_params.max_lifetime_secs,
            "certificateValiditySecs": bad_params.certificate_validity_secs,
        },
    }


def workspace_programs() -> dict[str, Pubkey]:
    return {
        "registry": RegistryClient().program_id,
        "energy_token": EnergyTokenClient().program_id,
        "trading": TradingClient().program_id,
        "governance": GovernanceClient().program_id,
    }


async def publish_idls(rpc: AsyncClient, authority: Keypair) -> None:
    """The four IDLs on-chain, as ``solgrid deploy`` publishes them (Anchor's client reads another
    program's account through its on-chain IDL when it resolves a seed)."""
    for name, program_id in workspace_programs().items():
        idl_json = (Path(__file__).resolve().parents[2] / "idl" / f"{name}.json").read_bytes()
        await publish_idl(rpc, authority, program_id, idl_json)


async def prepare_local(node: BackgroundNode, authority: Keypair) -> dict[str, Any]:
    """The local node's scenario: registry accounts written into it (see the module docs)."""
    token = EnergyTokenClient()
    async with AsyncClient(node.rpc_url, Confirmed) as rpc:
        await publish_idls(rpc, authority)
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
    a = authority.pubkey()
    meters = node.call(lambda chain: put_registry_accounts(chain, token, owner.pubkey(), a))
    settle = {"settle_full": meters["full"], "settle_empty": meters["empty"]}
    full = await fetch_meter(node.rpc_url, meters["full"])
    async with AsyncClient(node.rpc_url, Confirmed) as rpc:
        market = await MarketSetup.new(rpc, authority, 0, token.mint)
    return scenario(authority, owner, settle, 0, "NothingToSettle", full, False, market)


async def fetch_meter(rpc_url: str, address: Pubkey) -> Meter:
    async with AsyncClient(rpc_url, Confirmed) as rpc:
        info = (await rpc.get_account_info(address)).value
    assert info is not None, f"no meter at {address}"
    return RegistryClient().decode_meter(bytes(info.data))


async def add_meter(
    rpc: AsyncClient,
    registry: RegistryClient,
    authority: Keypair,
    owner: Keypair,
    zone: int,
    device: DeviceSigner,
) -> MeterAccounts:
    """An active Solar meter of ``owner`` in ``zone`` whose readings ``device`` signs (200 kW, so that a
    60 s window may carry SETTLE_WH)."""
    serial = bytes(Keypair().pubkey())
    o = owner.pubkey()
    add = registry.register_meter(
        payer=o,
        owner=o,
        zone_id=zone,
        serial=serial,
        device_key=device.public_key,
        source=EnergySource.SOLAR,
        capacity_w=200_000,
    )
    await send_and_confirm(rpc, [add], owner, coders=[registry.coder])
    accounts = registry.meter_accounts(serial, o, zone)
    activate = registry.activate_meter(regulator=authority.pubkey(), meter=accounts.meter)
    await send_and_confirm(rpc, [activate], authority, coders=[registry.coder])
    return accounts


async def submit_reading(
    rpc: AsyncClient, registry: RegistryClient, accounts: MeterAccounts, device: DeviceSigner, wh: int
) -> Meter:
    """A device-signed reading of ``wh`` produced in the meter's next 60 s window (from its activation,
    within the registry's clock skew), relayed with the Ed25519 precompile as the oracle relays them;
    returns the meter's state after it."""
    info = (await rpc.get_account_info(accounts.meter)).value
    assert info is not None
    start = registry.decode_meter(bytes(info.data)).last_window_end
    signed = device.sign(registry.program_id, accounts.meter, Reading(start, start + WINDOW_SECS, wh, 0))
    relayer = await funded(rpc)
    await send_and_confirm(
        rpc, registry.reading_batch([(accounts, signed)]), relayer, coders=[registry.coder]
    )
    info = (await rpc.get_account_info(accounts.meter)).value
    assert info is not None
    meter = registry.decode_meter(bytes(info.data))
    assert meter.produced_wh == wh and meter.certified_wh == wh
    return meter


async def prepare_on_cluster(rpc_url: str, authority: Keypair) -> dict[str, Any]:
    """The scenario built by transactions only (a real validator, shared with other tests, whatever they
    initialised): the registry market of ``node_market`` with the registry Config naming energy_token's
    settlement PDA, a verified user with two active meters registered with device keys, one with a
    device-signed reading of SETTLE_WH to settle and one with nothing (whose settlement fails inside the
    registry's ``settle_meter`` with ``NothingToSettle``), GRID set up."""
    token = EnergyTokenClient()
    registry = RegistryClient(token.registry_program_id)
    coders = [registry.coder, token.coder]
    a = authority.pubkey()
    async with AsyncClient(rpc_url, Confirmed) as rpc:
        zone = await ensure_market(rpc, registry, authority)
        config = await registry.fetch_config(rpc)
        assert config is not None
        if config.settlement_authority != token.settlement_pda().address:
            name = registry.set_settlement_authority(
                settlement_authority=token.settlement_pda().address, cosigners=[a]
            )
            await send_and_confirm(rpc, [name], authority, coders=coders)
        owner = await funded(rpc)
        o = owner.pubkey()
        register = registry.register_user(payer=o, authority=o, role=UserRole.PROSUMER, zone_id=zone)
        await send_and_confirm(rpc, [register], owner, coders=coders)
        await send_and_confirm(rpc, [registry.verify_user(regulator=a, wallet=o)], authority, coders=coders)
        full_device, empty_device = DeviceSigner.generate(), DeviceSigner.generate()
        full = await add_meter(rpc, registry, authority, owner, zone, full_device)
        empty = await add_meter(rpc, registry, authority, owner, zone, empty_device)
        full_meter = await submit_reading(rpc, registry, full, full_device, SETTLE_WH)
        setup = [token.create_grid_account(payer=a, owner=o)]
        if await token.fetch_config(rpc) is None:
            setup.insert(0, token.initialize(payer=a, authority=a))
        await send_and_confirm(rpc, setup, authority, coders=coders)
        trading_config = await TradingClient().fetch_config(rpc)
        base_mint = token.mint if trading_config is None else trading_config.base_mint
        market = await MarketSetup.new(rpc, authority, zone, base_mint)
    settle = {"settle_full": full.meter, "settle_empty": empty.meter}
    initialized = trading_config is not None
    return scenario(authority, owner, settle, zone, "NothingToSettle", full_meter, initialized, market)


async def test_anchor_ts_client_on_the_local_node(
    fresh_node: BackgroundNode, upgrade_authority: Keypair, tmp_path: Path
) -> None:
    prepared = await prepare_local(fresh_node, upgrade_authority)
    output = run_node_tests(fresh_node.rpc_url, fresh_node.ws_url, prepared, tmp_path / "scenario.json")
    assert output.count("# fail 0") == FILES and output.count("# skipped 0") == FILES, output
    assert "# pass 0" not in output, output


@pytest.mark.compat
async def test_anchor_ts_client_on_the_real_validator(
    real_validator: RealValidator, upgrade_authority: Keypair, tmp_path: Path
) -> None:
    """Every Node test file on the real validator, on a scenario built by transactions only, and
    ``Program.at`` (the fixture's ``solgrid deploy`` published the IDLs)."""
    prepared = await prepare_on_cluster(real_validator.rpc_url, upgrade_authority)
    url, ws = real_validator.rpc_url, real_validator.ws_url
    files = [*NODE_TEST_FILES, "program_at"]
    output = run_node_tests(url, ws, prepared, tmp_path / "scenario.json", files=files)
    assert output.count("# fail 0") == len(files) and output.count("# skipped 0") == len(files), output
    assert "# pass 0" not in output, output


async def test_anchor_ts_program_at(
    fresh_node: BackgroundNode, upgrade_authority: Keypair, tmp_path: Path
) -> None:
    """``Program.at`` of Anchor's client on the four programs once :func:`publish_idl` (what ``solgrid
    deploy`` runs) has published their IDLs."""
    programs = workspace_programs()
    async with AsyncClient(fresh_node.rpc_url, Confirmed) as rpc:
        await publish_idls(rpc, upgrade_authority)
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

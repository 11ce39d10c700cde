"""The energy_token SDK: PDAs, instruction encoding (also against anchorpy's own builder), event and error
decoding, unit helpers, and the async fetchers and a full settlement against a local node.

The node is this module's own (``solgrid.localnet``, both programs installed at genesis as upgradeable
programs of ``authority``); the registry accounts a settlement reads are written into its VM through
``BackgroundNode.call``, as the in-process tests do.
"""

from __future__ import annotations

import base64
import hashlib
import struct
from collections.abc import Callable, Iterator
from decimal import Decimal

import pytest
from anchorpy.program.core import Program
from anchorpy.provider import Provider, Wallet
from energy_token_harness import CONFIG_LEN, IdlAccountLayout
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solana.rpc.types import TxOpts
from solders.account import Account
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.message import Message
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.system_program import ID as SYSTEM_PROGRAM_ID
from solders.transaction import VersionedTransaction
from spl.token.constants import ASSOCIATED_TOKEN_PROGRAM_ID, TOKEN_PROGRAM_ID

from solgrid.localnet.background import BackgroundNode
from solgrid.localnet.chain import Chain
from solgrid.localnet.genesis import GenesisProgram
from solgrid.localnet.server import NodeConfig
from solgrid.sdk.anchor import AccountDecodeError, ProgramCoder
from solgrid.sdk.energy_token import (
    BASE_UNITS_PER_WH,
    EnergyTokenClient,
    GridBurned,
    GridMinted,
    TokenInitialized,
    base_units_to_grid,
    unsettled_surplus_wh,
    wh_to_base_units,
)
from solgrid.sdk.idl import load_idl, load_idl_json

PROGRAM_ID = Pubkey.from_string("Dso7G7TunWSbiHQu8k7jZQiNuXfyRvUsnFkUFzxrcscu")
REGISTRY_ID = Pubkey.from_string("Hu5R8SX8juSQ3cUYxf1daxaPsUSDHKwGza2u5wUiitxg")
LOADER_V3 = Pubkey.from_string("BPFLoaderUpgradeab1e11111111111111111111111")


def sighash(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()[:8]


def metas(ix: Instruction) -> list[tuple[Pubkey, bool, bool]]:
    return [(m.pubkey, m.is_signer, m.is_writable) for m in ix.accounts]


# -- addresses and encoding ----------------------------------------------------------------------------


def test_client_defaults_to_the_idl_addresses() -> None:
    client = EnergyTokenClient()
    assert (client.program_id, client.registry_program_id) == (PROGRAM_ID, REGISTRY_ID)
    other = Keypair().pubkey()
    assert (
        EnergyTokenClient(registry_program_id=other).registry_config_pda().address
        == (Pubkey.find_program_address([b"config"], other)[0])
    )


def test_pdas_use_the_documented_seeds() -> None:
    client = EnergyTokenClient()
    for pda, seed in (
        (client.config_pda(), b"config"),
        (client.mint_pda(), b"mint"),
        (client.mint_authority_pda(), b"mint_authority"),
        (client.settlement_pda(), b"settlement"),
    ):
        assert (pda.address, pda.bump) == Pubkey.find_program_address([seed], PROGRAM_ID)
    assert client.program_data_address() == Pubkey.find_program_address([bytes(PROGRAM_ID)], LOADER_V3)[0]
    owner = Keypair().pubkey()
    assert (
        client.registry_user_pda(owner).address
        == (Pubkey.find_program_address([b"user", bytes(owner)], REGISTRY_ID)[0])
    )
    ata = Pubkey.find_program_address(
        [bytes(owner), bytes(TOKEN_PROGRAM_ID), bytes(client.mint)], ASSOCIATED_TOKEN_PROGRAM_ID
    )[0]
    assert client.grid_account(owner) == ata


def test_instruction_encoding() -> None:
    client = EnergyTokenClient()
    payer, owner, meter = Keypair().pubkey(), Keypair().pubkey(), Keypair().pubkey()

    init = client.initialize(payer=payer, authority=payer)
    assert bytes(init.data) == sighash("global:initialize")
    assert metas(init) == [
        (payer, True, True),
        (payer, True, False),
        (client.config_pda().address, False, True),
        (client.mint, False, True),
        (REGISTRY_ID, False, False),
        (client.program_id, False, False),
        (client.program_data_address(), False, False),
        (SYSTEM_PROGRAM_ID, False, False),
        (TOKEN_PROGRAM_ID, False, False),
    ]

    settle = client.settle_and_mint(meter=meter, owner=owner, zone_id=3)
    assert bytes(settle.data) == sighash("global:settle_and_mint")
    assert metas(settle) == [
        (client.settlement_pda().address, False, False),
        (REGISTRY_ID, False, False),
        (client.registry_config_pda().address, False, False),
        (meter, False, True),
        (client.registry_user_pda(owner).address, False, False),
        (Pubkey.find_program_address([b"zone", (3).to_bytes(4, "little")], REGISTRY_ID)[0], False, False),
        (client.mint, False, True),
        (client.mint_authority_pda().address, False, False),
        (client.grid_account(owner), False, True),
        (TOKEN_PROGRAM_ID, False, False),
        (client.config_pda().address, False, False),
    ]

    burn = client.burn(holder=owner, amount=2**64 - 1)
    assert bytes(burn.data) == sighash("global:burn") + struct.pack("<Q", 2**64 - 1)
    assert metas(burn) == [
        (owner, True, False),
        (client.grid_account(owner), False, True),
        (client.mint, False, True),
        (TOKEN_PROGRAM_ID, False, False),
        (client.config_pda().address, False, False),
    ]


@pytest.mark.parametrize("amount", [-1, 2**64])
def test_burn_amount_must_fit_a_u64(amount: int) -> None:
    with pytest.raises(ValueError, match="u64"):
        EnergyTokenClient().burn(holder=Keypair().pubkey(), amount=amount)


def test_anchorpy_builds_the_same_instructions() -> None:
    client = EnergyTokenClient()
    payer, owner, meter = Keypair(), Keypair().pubkey(), Keypair().pubkey()
    program = Program(
        load_idl("energy_token"), PROGRAM_ID, Provider(AsyncClient("http://127.0.0.1:9"), Wallet(payer))
    )

    def accounts(ix: Instruction, name: str) -> dict[str, Pubkey]:
        idl_ix = next(i for i in load_idl_json("energy_token")["instructions"] if i["name"] == name)
        return {a["name"]: m.pubkey for a, m in zip(idl_ix["accounts"], ix.accounts, strict=True)}

    init = client.initialize(payer=payer.pubkey(), authority=payer.pubkey())
    assert program.methods["initialize"].accounts(accounts(init, "initialize")).instruction() == init
    settle = client.settle_and_mint(meter=meter, owner=owner, zone_id=0)
    assert (
        program.methods["settle_and_mint"].accounts(accounts(settle, "settle_and_mint")).instruction()
        == settle
    )
    burn = client.burn(holder=owner, amount=123)
    assert program.methods["burn"].args([123]).accounts(accounts(burn, "burn")).instruction() == burn


# -- events, errors, units -----------------------------------------------------------------------------


def test_events_are_decoded_only_from_the_program_itself() -> None:
    client = EnergyTokenClient()
    meter, owner, destination, holder = (Keypair().pubkey() for _ in range(4))
    minted = (
        sighash("event:GridMinted")
        + bytes(meter)
        + bytes(owner)
        + bytes(destination)
        + struct.pack("<QQ", 7, 7 * 10**6)
    )
    burned = sighash("event:GridBurned") + bytes(holder) + bytes(destination) + struct.pack("<Q", 5)
    config, authority, mint, mint_auth, settle = (Keypair().pubkey() for _ in range(5))
    initialized = (
        sighash("event:TokenInitialized")
        + b"".join(bytes(k) for k in (config, authority, REGISTRY_ID, mint, mint_auth, settle))
        + struct.pack("<Bq", 9, 1_700_000_000)
    )

    def data(raw: bytes) -> str:
        return "Program data: " + base64.b64encode(raw).decode()

    logs = [
        f"Program {PROGRAM_ID} invoke [1]",
        f"Program {REGISTRY_ID} invoke [2]",
        data(minted),  # logged by another program: not ours
        f"Program {REGISTRY_ID} success",
        data(minted),
        data(b"not an event"),
        f"Program {PROGRAM_ID} success",
        f"Program {PROGRAM_ID} invoke [1]",
        data(burned) + " " + data(initialized)[len("Program data: ") :],
        f"Program {PROGRAM_ID} success",
    ]
    assert client.events(logs) == [
        GridMinted(meter=meter, owner=owner, destination=destination, amount_wh=7, amount=7 * 10**6),
        GridBurned(holder=holder, token_account=destination, amount=5),
        TokenInitialized(
            config=config,
            authority=authority,
            registry_program=REGISTRY_ID,
            mint=mint,
            mint_authority=mint_auth,
            settlement_authority=settle,
            decimals=9,
            timestamp=1_700_000_000,
        ),
    ]


def test_errors_are_described_by_the_idl() -> None:
    coder = EnergyTokenClient().coder
    info = coder.error(6105)
    assert info is not None and info.name == "WrongTokenMint"
    assert str(coder.error(6003)).startswith("MissingSigner (6003): ")
    assert coder.error(6099) is None


def test_unit_helpers() -> None:
    assert wh_to_base_units(1) == BASE_UNITS_PER_WH == 10**6
    assert wh_to_base_units(1_500) == 1_500_000_000
    assert base_units_to_grid(1_500_000_000) == Decimal("1.5")
    assert base_units_to_grid(1) == Decimal("0.000000001")
    with pytest.raises(ValueError):
        wh_to_base_units(-1)
    assert unsettled_surplus_wh(5_000, 1_200, 0) == 3_800
    assert unsettled_surplus_wh(5_000, 1_200, 3_800) == 0
    assert unsettled_surplus_wh(1_000, 3_000, 0) == 0
    assert unsettled_surplus_wh(7_000, 4_000, 2_000) == 1_000


def test_config_decoding_checks_the_discriminator() -> None:
    client = EnergyTokenClient()
    with pytest.raises(AccountDecodeError, match="Config"):
        client.decode_config(bytes(CONFIG_LEN))


# -- against a local node ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def node_authority() -> Keypair:
    return Keypair()


@pytest.fixture(scope="module")
def node(elf_of: Callable[[str], bytes], node_authority: Keypair) -> Iterator[BackgroundNode]:
    client = EnergyTokenClient()
    programs = [
        GenesisProgram("registry", REGISTRY_ID, elf_of("registry"), node_authority.pubkey()),
        GenesisProgram("energy_token", client.program_id, elf_of("energy_token"), node_authority.pubkey()),
    ]
    config = NodeConfig(rpc_port=0, ws_port=0, programs=programs, funded={node_authority.pubkey(): 10**12})
    with BackgroundNode(config) as running:
        yield running


async def submit(
    connection: AsyncClient, payer: Keypair, ixs: list[Instruction], signers: tuple[Keypair, ...] = ()
) -> Signature:
    blockhash = (await connection.get_latest_blockhash(Confirmed)).value.blockhash
    message = Message.new_with_blockhash(ixs, payer.pubkey(), blockhash)
    tx = VersionedTransaction(message, [payer, *signers])
    signature = (await connection.send_transaction(tx, opts=TxOpts(preflight_commitment=Confirmed))).value
    await connection.confirm_transaction(signature, Confirmed)
    return signature


def put_registry_accounts(chain: Chain, client: EnergyTokenClient, owner: Pubkey, produced_wh: int) -> Pubkey:
    """The registry Config (naming the settlement PDA), a Verified User, Zone 0 and a Meter in it, written
    into the VM."""
    idl = load_idl_json("registry")
    config_pda, user_pda = client.registry_config_pda(), client.registry_user_pda(owner)
    zone_pda = client.registry_zone_pda(0)
    serial = bytes(Keypair().pubkey())
    meter, bump = Pubkey.find_program_address([b"meter", serial], REGISTRY_ID)
    accounts = {
        config_pda.address: IdlAccountLayout(idl, "Config").encode(
            {"settlement_authority": client.settlement_pda().address, "bump": config_pda.bump}
        ),
        user_pda.address: IdlAccountLayout(idl, "User").encode(
            {"authority": owner, "status": 1, "bump": user_pda.bump}
        ),
        zone_pda.address: IdlAccountLayout(idl, "Zone").encode({"zone_id": 0, "bump": zone_pda.bump}),
        meter: IdlAccountLayout(idl, "Meter").encode(
            {
                "serial": serial,
                "owner": owner,
                "user": user_pda.address,
                "status": 1,
                "bump": bump,
                "produced_wh": produced_wh,
            }
        ),
    }
    for address, data in accounts.items():
        chain.set_account(address, Account(chain.minimum_balance(len(data)), data, REGISTRY_ID, False, 0))
    return meter


async def test_fetch_and_settle_through_the_node(node: BackgroundNode, node_authority: Keypair) -> None:
    client = EnergyTokenClient()
    owner = Keypair()
    async with AsyncClient(node.rpc_url, Confirmed) as connection:  # reads what it just confirmed
        assert await client.fetch_config(connection) is None
        await submit(
            connection,
            node_authority,
            [client.initialize(payer=node_authority.pubkey(), authority=node_authority.pubkey())],
        )
        config = await client.fetch_config(connection)
        assert config is not None
        assert (config.authority, config.registry_program, config.mint) == (
            node_authority.pubkey(),
            REGISTRY_ID,
            client.mint,
        )

        assert await client.fetch_balance(connection, owner.pubkey()) == 0
        meter = node.call(lambda chain: put_registry_accounts(chain, client, owner.pubkey(), 2_500))
        signature = await submit(
            connection,
            node_authority,
            [
                client.create_grid_account(payer=node_authority.pubkey(), owner=owner.pubkey()),
                client.settle_and_mint(meter=meter, owner=owner.pubkey(), zone_id=0),
            ],
        )
        assert await client.fetch_balance(connection, owner.pubkey()) == 2_500 * BASE_UNITS_PER_WH
        tx = await connection.get_transaction(
            signature, commitment=Confirmed, max_supported_transaction_version=0
        )
        assert tx.value is not None and tx.value.transaction.meta is not None
        logs = list(tx.value.transaction.meta.log_messages or [])
        assert client.events(logs) == [
            GridMinted(
                meter=meter,
                owner=owner.pubkey(),
                destination=client.grid_account(owner.pubkey()),
                amount_wh=2_500,
                amount=2_500 * BASE_UNITS_PER_WH,
            )
        ]


def test_the_registry_account_layout_writer_agrees_with_anchorpy() -> None:
    # The tests and the bench write registry accounts with IdlAccountLayout; anchorpy must read them back.
    layout = IdlAccountLayout(load_idl_json("registry"), "Meter")
    owner, user = Keypair().pubkey(), Keypair().pubkey()
    values = {"serial": bytes(range(32)), "owner": owner, "user": user, "status": 1, "produced_wh": 2**64 - 1}
    data = layout.encode(values)
    decoded = ProgramCoder(load_idl("registry"), REGISTRY_ID).decode_account("Meter", data)
    assert (bytes(decoded.serial), decoded.owner, decoded.user) == (bytes(range(32)), owner, user)
    assert (type(decoded.status).index, decoded.produced_wh, decoded.settled_wh) == (1, 2**64 - 1, 0)
    patched = layout.patch(data, {"settled_wh": 7})
    assert [layout.read(patched, name) for name in ("owner", "status", "settled_wh")] == [owner, 1, 7]
    with pytest.raises(TypeError, match="32 raw bytes"):
        layout.encode({"serial": b"short"})
    with pytest.raises(KeyError):
        IdlAccountLayout(load_idl_json("registry"), "Nope")

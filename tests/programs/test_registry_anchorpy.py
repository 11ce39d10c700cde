"""The registry through anchorpy's own dynamic client (``Program`` + ``Provider``), as a dApp would use it.

* Offline: the instructions ``Program.methods`` builds from the IDL are byte-identical to the SDK's and
  run in LiteSVM.
* Against a node, from fixtures that ``tests/conftest.py`` provides with the local node (without them
  these tests are skipped): ``fresh_rpc_url``, the JSON-RPC URL of a node of the test's own with the
  registry at its IDL address and nothing initialised, and ``upgrade_authority``, the Keypair the node
  installed the workspace programs with (the only one the program lets initialise the Config).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from anchorpy.error import ProgramError
from anchorpy.program.core import Program
from anchorpy.provider import Provider, Wallet
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solana.rpc.types import MemcmpOpts
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.system_program import ID as SYSTEM_PROGRAM_ID

from node_market import ensure_market
from solgrid.localnet.svm import new_svm, send
from solgrid.sdk.idl import load_idl, load_idl_json
from solgrid.sdk.registry import ConfigInitialized, Limits, RegistryClient, UserRegistered, UserRole

ERRORS = {e["name"]: e for e in load_idl_json("registry")["errors"]}


def anchorpy_program(client: RegistryClient, connection: AsyncClient, wallet: Keypair) -> Program:
    return Program(load_idl("registry"), client.program_id, Provider(connection, Wallet(wallet)))


def initialize_accounts(client: RegistryClient, payer: Pubkey) -> dict[str, Pubkey]:
    return {
        "payer": payer,
        "authority": payer,
        "config": client.config_pda().address,
        "program": client.program_id,
        "program_data": client.program_data_address(),
        "system_program": SYSTEM_PROGRAM_ID,
    }


def register_accounts(
    client: RegistryClient, payer: Pubkey, authority: Pubkey, zone_id: int
) -> dict[str, Pubkey]:
    return {
        "payer": payer,
        "authority": authority,
        "config": client.config_pda().address,
        "zone": client.zone_pda(zone_id).address,
        "user": client.user_pda(authority).address,
        "system_program": SYSTEM_PROGRAM_ID,
    }


def role_value(program: Program, role: UserRole) -> Any:
    variant = "".join(part.capitalize() for part in role.name.split("_"))
    return getattr(program.type["UserRole"], variant)()


def limits_value(program: Program, limits: Limits) -> Any:
    return program.type["Limits"](**dataclasses.asdict(limits))


# -- offline -------------------------------------------------------------------------------------------


def test_anchorpy_program_builds_the_sdk_instructions_and_they_run(registry_elf: bytes) -> None:
    client = RegistryClient()
    payer = Keypair()
    # The connection is never used: building instructions is offline.
    program = anchorpy_program(client, AsyncClient("http://127.0.0.1:9"), payer)

    limits = Limits(max_meters_per_user=16)
    init = (
        program.methods["initialize"]
        .args([limits_value(program, limits)])
        .accounts(initialize_accounts(client, payer.pubkey()))
    )
    sdk_init = client.initialize(payer=payer.pubkey(), authority=payer.pubkey(), limits=limits)
    assert init.instruction() == sdk_init

    svm = new_svm()
    svm.airdrop(payer.pubkey(), 10**12)
    svm.add_program(client.program_id, registry_elf)
    send(svm, payer, [init.instruction()])
    set_regulators = client.set_regulators(
        regulators=[payer.pubkey()], threshold=1, cosigners=[payer.pubkey()]
    )
    zone = client.create_zone(
        payer=payer.pubkey(), zone_id=3, name="z", max_capacity_kw=1, cosigners=[payer.pubkey()]
    )
    send(svm, payer, [set_regulators, zone])
    for role in UserRole:
        wallet = Keypair()
        builder = (
            program.methods["register_user"]
            .args([role_value(program, role), 3])
            .accounts(register_accounts(client, payer.pubkey(), wallet.pubkey(), 3))
        )
        sdk_ix = client.register_user(payer=payer.pubkey(), authority=wallet.pubkey(), role=role, zone_id=3)
        assert builder.instruction() == sdk_ix
        send(svm, payer, [builder.instruction()], [wallet])
        account = svm.get_account(client.user_pda(wallet.pubkey()).address)
        assert account is not None
        decoded = program.coder.accounts.decode(bytes(account.data))
        assert decoded.role == role_value(program, role)


# -- against the local node ----------------------------------------------------------------------------


def node_fixture(request: pytest.FixtureRequest, name: str) -> Any:
    try:
        return request.getfixturevalue(name)
    except pytest.FixtureLookupError:
        pytest.skip(f"needs the local node fixture `{name}` (tests/conftest.py)")


@pytest.fixture
def node_url(request: pytest.FixtureRequest) -> str:
    url: str = node_fixture(request, "fresh_rpc_url")
    return url


@pytest.fixture
def node_upgrade_authority(request: pytest.FixtureRequest) -> Keypair:
    authority: Keypair = node_fixture(request, "upgrade_authority")
    return authority


async def funded_wallet(connection: AsyncClient) -> Keypair:
    wallet = Keypair()
    airdrop = await connection.request_airdrop(wallet.pubkey(), 10 * 10**9)
    await connection.confirm_transaction(airdrop.value, Confirmed)
    return wallet


async def transaction_logs(connection: AsyncClient, signature: Signature) -> list[str]:
    tx = await connection.get_transaction(signature, max_supported_transaction_version=0)
    assert tx.value is not None and tx.value.transaction.meta is not None
    logs = tx.value.transaction.meta.log_messages
    assert logs is not None
    return list(logs)


async def test_initialize_and_register_through_anchorpy(
    node_url: str, node_upgrade_authority: Keypair
) -> None:
    client = RegistryClient()
    async with AsyncClient(node_url, Confirmed) as connection:
        wallet = await funded_wallet(connection)
        program = anchorpy_program(client, connection, wallet)
        config_address = client.config_pda().address

        assert (await connection.get_account_info(config_address)).value is None
        # A stranger may not initialise an upgradeable deployment ...
        with pytest.raises(ProgramError) as refused:
            await (
                program.methods["initialize"]
                .args([limits_value(program, Limits())])
                .accounts(initialize_accounts(client, wallet.pubkey()))
                .rpc()
            )
        assert refused.value.code == ERRORS["NotUpgradeAuthority"]["code"]
        # ... its upgrade authority may (the wallet pays, the authority signs).
        accounts = initialize_accounts(client, wallet.pubkey())
        accounts["authority"] = node_upgrade_authority.pubkey()
        signature = await (
            program.methods["initialize"]
            .args([limits_value(program, Limits())])
            .accounts(accounts)
            .signers([node_upgrade_authority])
            .rpc()
        )
        events = client.events(await transaction_logs(connection, signature))
        assert len(events) == 1 and isinstance(events[0], ConfigInitialized)
        assert events[0].authority == node_upgrade_authority.pubkey()
        config = await program.account["Config"].fetch(config_address)
        assert config.bump == client.config_pda().bump
        assert await client.fetch_config(connection) == client.decode_config(
            bytes((await connection.get_account_info(config_address)).value.data)  # type: ignore[union-attr]
        )

        zone = await ensure_market(connection, client, node_upgrade_authority)
        user = await funded_wallet(connection)
        accounts = register_accounts(client, wallet.pubkey(), user.pubkey(), zone)
        signature = await (
            program.methods["register_user"]
            .args([role_value(program, UserRole.PROSUMER), zone])
            .accounts(accounts)
            .signers([user])
            .rpc()
        )
        fetched = await program.account["User"].fetch(accounts["user"])
        assert fetched.authority == user.pubkey()
        assert fetched.role == role_value(program, UserRole.PROSUMER)
        assert fetched.user_index >= config.user_count
        sdk_user = await client.fetch_user(connection, user.pubkey())
        assert sdk_user is not None and sdk_user.user_index == fetched.user_index

        (event,) = client.events(await transaction_logs(connection, signature))
        assert event == UserRegistered(
            user=accounts["user"],
            authority=user.pubkey(),
            role=UserRole.PROSUMER,
            zone_id=zone,
            user_index=fetched.user_index,
            timestamp=fetched.registered_at,
        )

        # The authority field sits right after the 8-byte discriminator.
        mine = await program.account["User"].all(filters=[MemcmpOpts(offset=8, bytes=str(user.pubkey()))])
        assert [a.public_key for a in mine] == [accounts["user"]]

        with pytest.raises(ProgramError) as failed:
            await (
                program.methods["register_user"]
                .args([role_value(program, UserRole.CONSUMER), zone])
                .accounts(accounts)
                .signers([user])
                .rpc()
            )
        assert failed.value.code == ERRORS["AlreadyInitialized"]["code"]
        assert failed.value.msg == ERRORS["AlreadyInitialized"]["msg"]

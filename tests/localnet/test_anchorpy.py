"""anchorpy3's dynamic client against the node, with the registry installed at genesis: account fetches
(``fetch_multiple`` is the gzip-labelled getMultipleAccounts batch with base64+zstd), ``all()`` over
getProgramAccounts, and custom program errors mapped from the preflight failure's logs."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from anchorpy.error import ProgramError
from anchorpy.program.core import Program
from anchorpy.provider import Provider, Wallet
from localnet_support import SOL, send
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solana.rpc.types import MemcmpOpts
from solders.keypair import Keypair
from solders.system_program import ID as SYSTEM_PROGRAM_ID

from solgrid.localnet.genesis import GenesisProgram
from solgrid.localnet.server import LocalNode, NodeConfig
from solgrid.sdk.idl import load_idl, load_idl_json
from solgrid.sdk.registry import RegistryClient, UserRole

pytestmark = pytest.mark.asyncio(loop_scope="module")

AUTHORITY = Keypair()
REGISTRY = RegistryClient()
ZONE_ID = 1


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def node(program_elf: bytes) -> AsyncIterator[LocalNode]:
    registry = GenesisProgram("registry", REGISTRY.program_id, program_elf, AUTHORITY.pubkey())
    config = NodeConfig(rpc_port=0, ws_port=0, programs=[registry], funded={AUTHORITY.pubkey(): 100 * SOL})
    async with LocalNode(config) as running:
        yield running


async def test_fetch_multiple_all_and_program_errors(node: LocalNode, client: AsyncClient) -> None:
    await send(
        client,
        AUTHORITY,
        [
            REGISTRY.initialize(payer=AUTHORITY.pubkey(), authority=AUTHORITY.pubkey()),
            REGISTRY.set_regulators(
                regulators=[AUTHORITY.pubkey()], threshold=1, cosigners=[AUTHORITY.pubkey()]
            ),
            REGISTRY.create_zone(
                payer=AUTHORITY.pubkey(),
                zone_id=ZONE_ID,
                name="z",
                max_capacity_kw=1,
                cosigners=[AUTHORITY.pubkey()],
            ),
        ],
    )
    users = [Keypair(), Keypair()]
    for user, role in zip(users, (UserRole.PROSUMER, UserRole.CONSUMER), strict=True):
        await send(
            client,
            AUTHORITY,
            [
                REGISTRY.register_user(
                    payer=AUTHORITY.pubkey(), authority=user.pubkey(), role=role, zone_id=ZONE_ID
                )
            ],
            [user],
        )

    async with AsyncClient(node.rpc_url, Confirmed) as connection:
        program = Program(load_idl("registry"), REGISTRY.program_id, Provider(connection, Wallet(AUTHORITY)))
        addresses = [REGISTRY.user_pda(u.pubkey()).address for u in users]
        missing = REGISTRY.user_pda(Keypair().pubkey()).address
        fetched = await program.account["User"].fetch_multiple([addresses[0], missing, addresses[1]])
        assert fetched[1] is None
        assert [f.authority for f in fetched if f is not None] == [u.pubkey() for u in users]

        everyone = await program.account["User"].all()
        assert {a.public_key for a in everyone} == set(addresses)
        mine = await program.account["User"].all(filters=[MemcmpOpts(offset=8, bytes=str(users[1].pubkey()))])
        assert [a.public_key for a in mine] == [addresses[1]]

        config = await program.account["Config"].fetch(REGISTRY.config_pda().address)
        assert config.user_count == 2

        accounts = {
            "payer": AUTHORITY.pubkey(),
            "authority": users[0].pubkey(),
            "config": REGISTRY.config_pda().address,
            "zone": REGISTRY.zone_pda(ZONE_ID).address,
            "user": addresses[0],
            "system_program": SYSTEM_PROGRAM_ID,
        }
        # A different role than at registration, or the transaction would be the same one (AlreadyProcessed).
        role = program.type["UserRole"].Consumer()
        before = (await connection.get_balance(AUTHORITY.pubkey())).value
        with pytest.raises(ProgramError) as failed:
            await (
                program.methods["register_user"]
                .args([role, ZONE_ID])
                .accounts(accounts)
                .signers([users[0]])
                .rpc()
            )
        errors = {e["name"]: e for e in load_idl_json("registry")["errors"]}
        assert failed.value.code == errors["AlreadyInitialized"]["code"]
        assert failed.value.msg == errors["AlreadyInitialized"]["msg"]
        assert (await connection.get_balance(AUTHORITY.pubkey())).value == before  # preflight failed: no fee

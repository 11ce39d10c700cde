"""--ledger: a restarted node keeps accounts, transaction history, signature index, blockhashes and
deployed programs; --reset starts over."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from localnet_support import (
    NEW_ACCOUNT_MINIMUM,
    SOL,
    build_tx,
    call,
    funded,
    invoke_logs,
    program_ran,
    send,
    transfer_ix,
)
from solana.rpc.async_api import AsyncClient
from solana.rpc.types import TokenAccountOpts
from solders.keypair import Keypair
from spl.token.async_client import AsyncToken
from spl.token.constants import TOKEN_PROGRAM_ID

from solgrid.localnet.genesis import GenesisProgram
from solgrid.localnet.server import LocalNode, NodeConfig
from solgrid.localnet.store import LedgerInUse
from solgrid.localnet.svm import features_blocking_deploy
from solgrid.sdk.deploy import deploy_program

pytestmark = pytest.mark.asyncio(loop_scope="module")


def config(ledger: Path, **overrides: object) -> NodeConfig:
    return NodeConfig(rpc_port=0, ws_port=0, slot_ms=100, ledger=ledger, **overrides)  # type: ignore[arg-type]


async def test_restart_loses_nothing(tmp_path: Path, program_elf: bytes) -> None:
    ledger = tmp_path / "ledger"
    recipient = Keypair().pubkey()
    deployable = features_blocking_deploy(program_elf)
    async with (
        LocalNode(config(ledger, deactivate_features=deployable)) as first,
        AsyncClient(first.rpc_url) as client,
    ):
        payer = await funded(client, 100 * SOL)
        transfers = [
            await send(client, payer, [transfer_ix(payer, recipient, NEW_ACCOUNT_MINIMUM + 1000 * i)])
            for i in range(3)
        ]
        program = Keypair()
        await deploy_program(client, payer, program_elf, program)
        token = await AsyncToken.create_mint(client, payer, payer.pubkey(), 2, TOKEN_PROGRAM_ID)
        ata = await token.create_associated_token_account(recipient)
        await client.confirm_transaction((await token.mint_to(ata, payer, 12_345)).value)
        fixture = Keypair().pubkey()
        spec = {"lamports": 7, "data": [base64.b64encode(b"fixture").decode(), "base64"]}
        assert (await call(first.rpc_url, "solgrid_setAccount", [str(fixture), spec]))["result"] is True
        pending = await build_tx(
            client, payer, [transfer_ix(payer, recipient, 1)]
        )  # signed before the restart
        slot_before = (await client.get_slot()).value
        count_before = (await client.get_transaction_count()).value
        balances = {k: (await client.get_balance(k)).value for k in (payer.pubkey(), recipient)}
        history = [s.signature for s in (await client.get_signatures_for_address(recipient)).value]
        meta_before = (await client.get_transaction(transfers[1])).value
        genesis_hash = (await client.get_genesis_hash()).value
        identity = (await client.get_identity()).value.identity

    async with LocalNode(config(ledger)) as second, AsyncClient(second.rpc_url) as client:
        assert (await client.get_slot()).value > slot_before
        assert (await client.get_genesis_hash()).value == genesis_hash
        assert (await client.get_identity()).value.identity == identity
        assert (await client.get_transaction_count()).value == count_before
        assert {k: (await client.get_balance(k)).value for k in balances} == balances
        assert [s.signature for s in (await client.get_signatures_for_address(recipient)).value] == history
        with pytest.raises(LedgerInUse):
            await LocalNode(config(ledger)).start()
        assert (await client.get_transaction(transfers[1])).value == meta_before
        status = (await client.get_signature_statuses([transfers[0]])).value[0]
        assert status is not None and status.err is None

        # Token state and the owner index behind getTokenAccountsByOwner survive.
        accounts = (
            await client.get_token_accounts_by_owner(recipient, TokenAccountOpts(mint=token.pubkey))
        ).value
        assert [a.pubkey for a in accounts] == [ata]
        assert (await client.get_token_account_balance(ata)).value.ui_amount_string == "123.45"

        # The deployed program still runs, and its upgrade authority can still upgrade it.
        assert program_ran(await invoke_logs(client, payer, program.pubkey()), program.pubkey())
        assert (await deploy_program(client, payer, program_elf, program.pubkey())).upgraded

        # A blockhash from before the restart is still recent, a replay is still a duplicate.
        await client.confirm_transaction((await client.send_transaction(pending)).value)
        again = await call(
            second.rpc_url,
            "sendTransaction",
            [base64.b64encode(bytes(pending)).decode(), {"encoding": "base64"}],
        )
        assert again["error"]["data"]["err"] == "AlreadyProcessed"

        fixture_account = (await client.get_account_info(fixture)).value
        assert fixture_account is not None and bytes(fixture_account.data) == b"fixture"

        # The faucet works after a restart.
        assert (await funded(client, SOL)) is not None

    async with LocalNode(config(ledger, reset=True)) as third, AsyncClient(third.rpc_url) as client:
        assert (await client.get_balance(recipient)).value == 0
        assert (await client.get_transaction_count()).value == 0
        assert (await client.get_account_info(program.pubkey())).value is None


async def test_genesis_programs_are_not_reloaded_on_restart(tmp_path: Path, program_elf: bytes) -> None:
    ledger = tmp_path / "ledger"
    authority, program = Keypair(), Keypair()
    genesis = [GenesisProgram("demo", program.pubkey(), program_elf, authority.pubkey())]
    first_config = config(ledger, programs=genesis, funded={authority.pubkey(): 50 * SOL})
    async with LocalNode(first_config) as first, AsyncClient(first.rpc_url) as client:
        assert program_ran(await invoke_logs(client, authority, program.pubkey()), program.pubkey())
        balance = (await client.get_balance(authority.pubkey())).value
    other = Keypair()
    genesis_again = [GenesisProgram("other", other.pubkey(), program_elf, authority.pubkey())]
    async with LocalNode(
        config(ledger, programs=genesis_again, funded={authority.pubkey(): 50 * SOL})
    ) as second:
        assert second.chain.restored
        async with AsyncClient(second.rpc_url) as client:
            assert (await client.get_balance(authority.pubkey())).value == balance  # not funded twice
            assert (await client.get_account_info(other.pubkey())).value is None
            assert program_ran(await invoke_logs(client, authority, program.pubkey()), program.pubkey())

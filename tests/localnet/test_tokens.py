"""SPL Token through the node with solana-py's ``spl.token``: mint, ATAs, mint_to, transfer, balances,
getTokenAccountsByOwner, jsonParsed, token balances in transaction meta, and getProgramAccounts filters."""

from __future__ import annotations

import base64
from dataclasses import dataclass

import base58
import pytest
import pytest_asyncio
from localnet_support import build_tx, call, funded, send
from solana.rpc.async_api import AsyncClient
from solana.rpc.types import DataSliceOpts, MemcmpOpts, TokenAccountOpts
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from spl.token.async_client import AsyncToken
from spl.token.constants import TOKEN_PROGRAM_ID
from spl.token.instructions import (
    TransferCheckedParams,
    create_associated_token_account,
    get_associated_token_address,
    transfer_checked,
)

from solgrid.localnet.server import LocalNode

pytestmark = pytest.mark.asyncio(loop_scope="module")

DECIMALS = 6


@dataclass
class TokenSetup:
    payer: Keypair
    mint: Pubkey
    alice: Keypair
    bob: Keypair
    alice_ata: Pubkey
    bob_ata: Pubkey
    transfer_signature: object


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def tokens(client: AsyncClient) -> TokenSetup:
    payer = await funded(client)
    alice, bob = Keypair(), Keypair()
    token = await AsyncToken.create_mint(client, payer, payer.pubkey(), DECIMALS, TOKEN_PROGRAM_ID)
    alice_ata = await token.create_associated_token_account(alice.pubkey())
    bob_ata = get_associated_token_address(bob.pubkey(), token.pubkey)
    await send(client, payer, [create_associated_token_account(payer.pubkey(), bob.pubkey(), token.pubkey)])
    minted = await token.mint_to(alice_ata, payer, 5_000_000)
    await client.confirm_transaction(minted.value)
    signature = await send(
        client,
        payer,
        [
            transfer_checked(
                TransferCheckedParams(
                    program_id=TOKEN_PROGRAM_ID,
                    source=alice_ata,
                    mint=token.pubkey,
                    dest=bob_ata,
                    owner=alice.pubkey(),
                    amount=1_250_000,
                    decimals=DECIMALS,
                )
            )
        ],
        [alice],
    )
    return TokenSetup(payer, token.pubkey, alice, bob, alice_ata, bob_ata, signature)


async def test_balances_and_supply(client: AsyncClient, tokens: TokenSetup) -> None:
    alice = (await client.get_token_account_balance(tokens.alice_ata)).value
    assert (alice.amount, alice.decimals, alice.ui_amount_string) == ("3750000", 6, "3.75")
    assert alice.ui_amount == 3.75
    bob = (await client.get_token_account_balance(tokens.bob_ata)).value
    assert bob.ui_amount_string == "1.25"
    supply = (await client.get_token_supply(tokens.mint)).value
    assert (supply.amount, supply.ui_amount_string) == ("5000000", "5")
    largest = (await client.get_token_largest_accounts(tokens.mint)).value
    assert [(a.address, a.amount.amount) for a in largest] == [
        (tokens.alice_ata, "3750000"),
        (tokens.bob_ata, "1250000"),
    ]


async def test_balance_of_a_non_token_account_is_an_error(node: LocalNode, tokens: TokenSetup) -> None:
    answer = await call(
        node.rpc_url, "getTokenAccountBalance", [str(tokens.payer.pubkey()), {"commitment": "confirmed"}]
    )
    assert answer["error"]["code"] == -32602


async def test_token_accounts_by_owner(node: LocalNode, client: AsyncClient, tokens: TokenSetup) -> None:
    by_mint = (
        await client.get_token_accounts_by_owner(tokens.alice.pubkey(), TokenAccountOpts(mint=tokens.mint))
    ).value
    assert [a.pubkey for a in by_mint] == [tokens.alice_ata]
    data = bytes(by_mint[0].account.data)
    assert (
        Pubkey.from_bytes(data[:32]) == tokens.mint
        and Pubkey.from_bytes(data[32:64]) == tokens.alice.pubkey()
    )
    by_program = (
        await client.get_token_accounts_by_owner(
            tokens.bob.pubkey(), TokenAccountOpts(program_id=TOKEN_PROGRAM_ID)
        )
    ).value
    assert [a.pubkey for a in by_program] == [tokens.bob_ata]
    assert (
        await client.get_token_accounts_by_owner(Keypair().pubkey(), TokenAccountOpts(mint=tokens.mint))
    ).value == []

    parsed = (
        await client.get_token_accounts_by_owner_json_parsed(
            tokens.alice.pubkey(), TokenAccountOpts(mint=tokens.mint)
        )
    ).value
    info = parsed[0].account.data.parsed["info"]
    assert parsed[0].account.data.program == "spl-token"
    assert info["mint"] == str(tokens.mint) and info["owner"] == str(tokens.alice.pubkey())
    assert info["state"] == "initialized" and info["isNative"] is False
    assert info["tokenAmount"] == {
        "amount": "3750000",
        "decimals": 6,
        "uiAmount": 3.75,
        "uiAmountString": "3.75",
    }

    wrong_program = await call(
        node.rpc_url,
        "getTokenAccountsByOwner",
        [str(tokens.alice.pubkey()), {"programId": str(Keypair().pubkey())}],
    )
    assert wrong_program["error"]["message"] == "Invalid param: unrecognized Token program id"
    no_mint = await call(
        node.rpc_url,
        "getTokenAccountsByOwner",
        [str(tokens.alice.pubkey()), {"mint": str(Keypair().pubkey())}],
    )
    assert no_mint["error"]["message"] == "Invalid param: could not find mint"


async def test_mint_in_json_parsed(node: LocalNode, tokens: TokenSetup) -> None:
    config = {"encoding": "jsonParsed", "commitment": "confirmed"}
    answer = await call(node.rpc_url, "getAccountInfo", [str(tokens.mint), config])
    data = answer["result"]["value"]["data"]
    assert data["program"] == "spl-token" and data["space"] == 82
    assert data["parsed"] == {
        "type": "mint",
        "info": {
            "decimals": 6,
            "freezeAuthority": None,
            "isInitialized": True,
            "mintAuthority": str(tokens.payer.pubkey()),
            "supply": "5000000",
        },
    }


async def test_token_balances_in_transaction_meta(client: AsyncClient, tokens: TokenSetup) -> None:
    result = (await client.get_transaction(tokens.transfer_signature)).value  # type: ignore[arg-type]
    assert result is not None
    meta = result.transaction.meta
    assert meta is not None and meta.pre_token_balances is not None and meta.post_token_balances is not None
    pre = {str(b.owner): b.ui_token_amount.amount for b in meta.pre_token_balances}
    post = {str(b.owner): b.ui_token_amount.amount for b in meta.post_token_balances}
    assert pre == {str(tokens.alice.pubkey()): "5000000", str(tokens.bob.pubkey()): "0"}
    assert post == {str(tokens.alice.pubkey()): "3750000", str(tokens.bob.pubkey()): "1250000"}
    assert all(b.mint == tokens.mint and b.program_id == TOKEN_PROGRAM_ID for b in meta.post_token_balances)


async def test_inner_instructions_of_ata_creation(client: AsyncClient, tokens: TokenSetup) -> None:
    carol = Keypair().pubkey()
    ix = create_associated_token_account(tokens.payer.pubkey(), carol, tokens.mint)
    simulated = await client.simulate_transaction(await build_tx(client, tokens.payer, [ix]))
    assert simulated.value.err is None
    signature = await send(client, tokens.payer, [ix])
    result = (await client.get_transaction(signature)).value
    assert result is not None and result.transaction.meta is not None
    inner = result.transaction.meta.inner_instructions
    assert inner is not None and inner[0].index == 0 and len(inner[0].instructions) >= 3
    keys = result.transaction.transaction.message.account_keys
    invoked = {keys[i.program_id_index] for i in inner[0].instructions}  # type: ignore[union-attr]
    assert TOKEN_PROGRAM_ID in invoked


async def test_simulate_reports_inner_instructions(
    node: LocalNode, client: AsyncClient, tokens: TokenSetup
) -> None:
    ix = create_associated_token_account(tokens.payer.pubkey(), Keypair().pubkey(), tokens.mint)
    tx = await build_tx(client, tokens.payer, [ix])
    encoded = base64.b64encode(bytes(tx)).decode()
    config = {"encoding": "base64", "commitment": "confirmed"}  # the mint is not finalized yet
    answer = await call(node.rpc_url, "simulateTransaction", [encoded, {**config, "innerInstructions": True}])
    inner = answer["result"]["value"]["innerInstructions"]
    assert inner[0]["index"] == 0 and inner[0]["instructions"][0]["stackHeight"] == 2
    plain = await call(node.rpc_url, "simulateTransaction", [encoded, config])
    assert plain["result"]["value"]["innerInstructions"] is None


async def test_program_accounts_filters(node: LocalNode, client: AsyncClient, tokens: TokenSetup) -> None:
    mint_filter = MemcmpOpts(offset=0, bytes=str(tokens.mint))
    accounts = (
        await client.get_program_accounts(TOKEN_PROGRAM_ID, encoding="base64", filters=[165, mint_filter])
    ).value
    holders = {a.pubkey for a in accounts}
    assert {tokens.alice_ata, tokens.bob_ata} <= holders
    alice_only = MemcmpOpts(offset=32, bytes=str(tokens.alice.pubkey()))
    accounts = (
        await client.get_program_accounts(
            TOKEN_PROGRAM_ID, encoding="base64", filters=[mint_filter, alice_only]
        )
    ).value
    assert [a.pubkey for a in accounts] == [tokens.alice_ata]
    mints = (await client.get_program_accounts(TOKEN_PROGRAM_ID, encoding="base64", filters=[82])).value
    assert tokens.mint in {a.pubkey for a in mints}

    sliced = (
        await client.get_program_accounts(
            TOKEN_PROGRAM_ID,
            encoding="base64",
            filters=[mint_filter, alice_only],
            data_slice=DataSliceOpts(offset=64, length=8),
        )
    ).value
    assert int.from_bytes(bytes(sliced[0].account.data), "little") == 3_750_000

    base64_filter = {
        "memcmp": {
            "offset": 32,
            "bytes": base64.b64encode(bytes(tokens.bob.pubkey())).decode(),
            "encoding": "base64",
        }
    }
    raw = await call(
        node.rpc_url,
        "getProgramAccounts",
        [
            str(TOKEN_PROGRAM_ID),
            {
                "encoding": "base64",
                "filters": [base64_filter],
                "withContext": True,
                "commitment": "confirmed",
            },
        ],
    )
    assert [a["pubkey"] for a in raw["result"]["value"]] == [str(tokens.bob_ata)]
    assert raw["result"]["context"]["slot"] >= 0

    state_filter = await call(
        node.rpc_url,
        "getProgramAccounts",
        [
            str(TOKEN_PROGRAM_ID),
            {
                "encoding": "base64",
                "commitment": "confirmed",
                "filters": [{"tokenAccountState": {}}, {"memcmp": {"offset": 0, "bytes": str(tokens.mint)}}],
            },
        ],
    )
    assert {a["pubkey"] for a in state_filter["result"]} >= {str(tokens.alice_ata), str(tokens.bob_ata)}
    assert str(tokens.mint) not in {a["pubkey"] for a in state_filter["result"]}

    too_many = [{"dataSize": 165}] * 5
    answer = await call(node.rpc_url, "getProgramAccounts", [str(TOKEN_PROGRAM_ID), {"filters": too_many}])
    assert answer["error"]["code"] == -32602
    bad_bytes = [{"memcmp": {"offset": 0, "bytes": "0OIl"}}]  # not base58
    answer = await call(node.rpc_url, "getProgramAccounts", [str(TOKEN_PROGRAM_ID), {"filters": bad_bytes}])
    assert answer["error"]["code"] == -32602
    assert base58.b58encode(bytes(tokens.mint)).decode() == str(tokens.mint)

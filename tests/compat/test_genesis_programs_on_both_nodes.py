"""The SPL and core BPF program accounts, and the rentEpoch of accounts written by transactions, are the
same on the local node as on the real solana-test-validator 4.2.2."""

from __future__ import annotations

import pytest
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solders.keypair import Keypair
from solders.system_program import TransferParams, transfer

from genesis_programs import as_rpc, digest, expected_accounts, rpc_account
from node_market import funded
from real_validator import RealValidator
from solgrid.sdk.transactions import send_and_confirm


@pytest.mark.compat
async def test_program_accounts_are_the_validators(real_validator: RealValidator, rpc_url: str) -> None:
    for want in expected_accounts():
        on_validator = await rpc_account(real_validator.rpc_url, want.address)
        on_node = await rpc_account(rpc_url, want.address)
        assert digest(on_validator) == digest(as_rpc(want)), want.address
        assert on_node == on_validator, want.address


async def _written_rent_epochs(url: str) -> list[int]:
    async with AsyncClient(url, commitment=Confirmed) as rpc:
        payer = await funded(rpc)
        recipient = Keypair().pubkey()
        ix = transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=recipient, lamports=10**9))
        await send_and_confirm(rpc, [ix], payer)
    epochs = []
    for pubkey in (payer.pubkey(), recipient):
        account = await rpc_account(url, str(pubkey))
        assert account is not None
        epochs.append(account["rentEpoch"])
    return epochs


@pytest.mark.compat
async def test_accounts_written_by_a_transaction_report_the_validators_rent_epoch(
    real_validator: RealValidator, rpc_url: str
) -> None:
    assert await _written_rent_epochs(rpc_url) == await _written_rent_epochs(real_validator.rpc_url)

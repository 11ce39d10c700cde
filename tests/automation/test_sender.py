"""The shared sender against the local node: a transaction lands and is found by signature, a program's
refusal is permanent and named from the IDL, an unreachable node is transient."""

from __future__ import annotations

import pytest
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solders.keypair import Keypair
from solders.system_program import TransferParams, transfer

from node_market import ensure_market, funded
from solgrid.automation.sender import ProgramRejected, Sender, Transient, cluster_time
from solgrid.sdk.registry import RegistryClient


async def test_sends_and_classifies(any_rpc_url: str, upgrade_authority: Keypair) -> None:
    registry = RegistryClient()
    async with AsyncClient(any_rpc_url, Confirmed) as rpc:
        await ensure_market(rpc, registry, upgrade_authority)
        payer = await funded(rpc)
        sender = Sender(rpc, payer, [registry.coder])
        to = Keypair().pubkey()
        signature = await sender.send(
            [transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=to, lamports=10**6))]
        )
        assert await sender.landed([str(signature), str(Keypair().pubkey())[:43] + "1" * 44]) == {
            str(signature)
        }
        assert (await rpc.get_balance(to)).value == 10**6
        assert await sender.cluster_time() == await cluster_time(rpc) > 0

        # The payer is no regulator: the registry refuses, by name.
        with pytest.raises(ProgramRejected) as refused:
            await sender.send([registry.verify_user(regulator=payer.pubkey(), wallet=Keypair().pubkey())])
        assert str(refused.value).startswith("registry: ") and refused.value.program_id == registry.program_id
        assert refused.value.code is not None


async def test_an_unreachable_node_is_transient() -> None:
    async with AsyncClient("http://127.0.0.1:1") as rpc:
        sender = Sender(rpc, Keypair(), [])
        with pytest.raises(Transient):
            await sender.send(
                [
                    transfer(
                        TransferParams(
                            from_pubkey=Keypair().pubkey(), to_pubkey=Keypair().pubkey(), lamports=1
                        )
                    )
                ]
            )


async def test_a_fresh_blockhash_makes_the_same_instructions_a_new_transaction(any_rpc_url: str) -> None:
    async with AsyncClient(any_rpc_url, Confirmed) as rpc:
        payer = await funded(rpc)
        sender = Sender(rpc, payer, [])
        pay = transfer(
            TransferParams(from_pubkey=payer.pubkey(), to_pubkey=Keypair().pubkey(), lamports=10**6)
        )
        first = await sender.send([pay])
        await sender.fresh_blockhash()
        second = await sender.send([pay])
        assert first != second and await sender.landed([str(first), str(second)]) == {str(first), str(second)}

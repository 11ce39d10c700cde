"""``send_and_confirm`` on the local node and on the real validator: what lands comes back with its logs,
and a failure is one line naming the program's IDL error."""

from __future__ import annotations

import pytest
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solders.keypair import Keypair

from node_market import ensure_market
from node_market import funded as _funded
from solgrid.sdk.energy_token import EnergyTokenClient
from solgrid.sdk.registry import RegistryClient, UserRegistered, UserRole
from solgrid.sdk.transactions import TransactionFailed, send_and_confirm
from solgrid.sdk.transactions import _describe_failure as describe_failure


async def test_landed_transaction_returns_logs_with_events(
    any_rpc_url: str, upgrade_authority: Keypair
) -> None:
    registry = RegistryClient()
    async with AsyncClient(any_rpc_url, commitment=Confirmed) as rpc:
        zone = await ensure_market(rpc, registry, upgrade_authority)
        wallet = await _funded(rpc)
        ix = registry.register_user(
            payer=wallet.pubkey(), authority=wallet.pubkey(), role=UserRole.CONSUMER, zone_id=zone
        )
        landed = await send_and_confirm(rpc, [ix], wallet, coders=[registry.coder])
        [event] = registry.events(landed.logs)
        assert isinstance(event, UserRegistered)
        assert (event.authority, event.role) == (wallet.pubkey(), UserRole.CONSUMER)
        status = (await rpc.get_signature_statuses([landed.signature])).value[0]
        assert status is not None and status.slot == landed.slot


async def test_failure_names_the_idl_error(any_rpc_url: str, upgrade_authority: Keypair) -> None:
    registry = RegistryClient()
    async with AsyncClient(any_rpc_url, commitment=Confirmed) as rpc:
        zone = await ensure_market(rpc, registry, upgrade_authority)
        wallet = await _funded(rpc)
        ix = registry.register_user(
            payer=wallet.pubkey(), authority=wallet.pubkey(), role=UserRole.PROSUMER, zone_id=zone
        )
        await send_and_confirm(rpc, [ix], wallet, coders=[registry.coder])
        other_payer = await _funded(rpc)  # a different transaction for the same user PDA
        again = registry.register_user(
            payer=other_payer.pubkey(), authority=wallet.pubkey(), role=UserRole.PROSUMER, zone_id=zone
        )
        with pytest.raises(TransactionFailed) as failed:
            await send_and_confirm(rpc, [again], other_payer, [wallet], coders=[registry.coder])
        assert str(failed.value).startswith("registry: AlreadyInitialized (")
        assert "\n" not in str(failed.value)
        assert any("failed: custom program error" in line for line in failed.value.logs)


async def test_unreachable_endpoint_is_one_line() -> None:
    async with AsyncClient("http://127.0.0.1:9") as rpc:
        with pytest.raises(TransactionFailed, match="cannot reach the RPC endpoint"):
            await send_and_confirm(rpc, [], Keypair())


def test_failure_inside_a_cpi_names_the_inner_program() -> None:
    """energy_token's settle_and_mint calls the registry; the registry's refusal is what the user sees."""
    registry, token = RegistryClient(), EnergyTokenClient()
    nothing = next(e for e in registry.coder.errors if e.name == "NothingToSettle")
    code = f"0x{nothing.code:x}"
    logs = [
        f"Program {token.program_id} invoke [1]",
        f"Program {registry.program_id} invoke [2]",
        f"Program {registry.program_id} consumed 683 of 190000 compute units",
        f"Program {registry.program_id} failed: custom program error: {code}",
        f"Program {token.program_id} consumed 2100 of 200000 compute units",
        f"Program {token.program_id} failed: custom program error: {code}",
    ]
    text = describe_failure("Transaction simulation failed", logs, [token.coder, registry.coder])
    assert text.startswith("registry: NothingToSettle")

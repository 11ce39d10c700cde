"""The workspace programs as a cluster runs them: SBPFv3 ELFs in their ProgramData, deployed or upgraded
with ``solgrid deploy``, driven by the SDK. Each test runs on the local node and on the real validator."""

from __future__ import annotations

from pathlib import Path

import pytest
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solders.keypair import Keypair

from node_market import ensure_market, funded
from real_validator import RealValidator
from solgrid.sdk import loader
from solgrid.sdk.energy_token import EnergyTokenClient
from solgrid.sdk.registry import RegistryClient, UserRole, UserStatus
from solgrid.sdk.transactions import TransactionFailed, send_and_confirm

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("client", [RegistryClient, EnergyTokenClient])
async def test_programs_are_sbpfv3_and_upgradeable_by_the_deployer(
    any_rpc_url: str, upgrade_authority: Keypair, client: type[RegistryClient] | type[EnergyTokenClient]
) -> None:
    program_id = client().program_id
    async with AsyncClient(any_rpc_url, commitment=Confirmed) as rpc:
        program = (await rpc.get_account_info(program_id)).value
        assert program is not None and program.executable
        programdata = (await rpc.get_account_info(loader.programdata_address(program_id))).value
    assert programdata is not None
    data = bytes(programdata.data)
    elf = data[loader.PROGRAMDATA_HEADER_LEN :]
    assert elf[:4] == b"\x7fELF"
    assert int.from_bytes(elf[48:52], "little") == 3  # e_flags: SBPFv3
    assert data[12] == 1 and bytes(data[13:45]) == bytes(upgrade_authority.pubkey())  # upgrade authority


async def test_market_onboarding_through_the_sdk(any_rpc_url: str, upgrade_authority: Keypair) -> None:
    registry = RegistryClient()
    coders = [registry.coder]
    async with AsyncClient(any_rpc_url, commitment=Confirmed) as rpc:
        zone = await ensure_market(rpc, registry, upgrade_authority)
        wallet = await funded(rpc)
        ix = registry.register_user(
            payer=wallet.pubkey(), authority=wallet.pubkey(), role=UserRole.PROSUMER, zone_id=zone
        )
        landed = await send_and_confirm(rpc, [ix], wallet, coders=coders)
        assert [type(e).__name__ for e in registry.events(landed.logs)] == ["UserRegistered"]
        stranger = await funded(rpc)
        again = registry.register_user(
            payer=stranger.pubkey(), authority=wallet.pubkey(), role=UserRole.PROSUMER, zone_id=zone
        )
        with pytest.raises(TransactionFailed, match="registry: AlreadyInitialized"):
            await send_and_confirm(rpc, [again], stranger, [wallet], coders=coders)  # the account exists
        with pytest.raises(TransactionFailed, match="registry: "):
            ix = registry.verify_user(regulator=stranger.pubkey(), wallet=wallet.pubkey())
            await send_and_confirm(rpc, [ix], stranger, coders=coders)
        ix = registry.verify_user(regulator=upgrade_authority.pubkey(), wallet=wallet.pubkey())
        await send_and_confirm(rpc, [ix], upgrade_authority, coders=coders)
        user = await registry.fetch_user(rpc, wallet.pubkey())
    assert user is not None and user.status is UserStatus.VERIFIED and user.role is UserRole.PROSUMER


@pytest.mark.compat
def test_solgrid_deploy_upgrades_the_real_validator_programs(real_validator: RealValidator) -> None:
    deployed = real_validator.deploy_workspace(["energy_token"])  # solgrid deploy; raises if it fails
    assert "energy_token: upgraded Dso7G7TunWSbiHQu8k7jZQiNuXfyRvUsnFkUFzxrcscu" in deployed

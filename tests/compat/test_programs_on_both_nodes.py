"""The workspace programs as a cluster runs them: SBPFv3 ELFs in their ProgramData, deployed or upgraded
with ``solgrid deploy``, driven by the SDK. Each test runs on the local node and on the real validator."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solders.keypair import Keypair

from real_validator import RealValidator
from solgrid.sdk import loader
from solgrid.sdk.energy_token import EnergyTokenClient
from solgrid.sdk.registry import RegistryClient, UserRole, UserStatus
from solgrid.sdk.transactions import TransactionFailed, send_and_confirm

REPO = Path(__file__).resolve().parents[2]
SOL = 1_000_000_000
ZONE = 1


async def _funded(rpc: AsyncClient, lamports: int = 2 * SOL) -> Keypair:
    wallet = Keypair()
    airdrop = await rpc.request_airdrop(wallet.pubkey(), lamports)
    await rpc.confirm_transaction(airdrop.value, Confirmed)
    return wallet


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
    # The shared-node convention of the other suites: the deployer initialises the registry, is its only
    # regulator and creates zone 1 (idempotent, so the order of tests does not matter).
    registry = RegistryClient()
    coders = [registry.coder]
    async with AsyncClient(any_rpc_url, commitment=Confirmed) as rpc:
        if await registry.fetch_config(rpc) is None:
            ix = registry.initialize(payer=upgrade_authority.pubkey(), authority=upgrade_authority.pubkey())
            await send_and_confirm(rpc, [ix], upgrade_authority, coders=coders)
        config = await registry.fetch_config(rpc)
        assert config is not None
        if not config.regulators:
            ix = registry.set_regulators(
                regulators=[upgrade_authority.pubkey()], threshold=1, cosigners=[upgrade_authority.pubkey()]
            )
            await send_and_confirm(rpc, [ix], upgrade_authority, coders=coders)
        if await registry.fetch_zone(rpc, ZONE) is None:
            ix = registry.create_zone(
                payer=upgrade_authority.pubkey(),
                zone_id=ZONE,
                name="localnet",
                max_capacity_kw=100_000,
                cosigners=[upgrade_authority.pubkey()],
            )
            await send_and_confirm(rpc, [ix], upgrade_authority, coders=coders)

        wallet = await _funded(rpc)
        ix = registry.register_user(
            payer=wallet.pubkey(), authority=wallet.pubkey(), role=UserRole.PROSUMER, zone_id=ZONE
        )
        landed = await send_and_confirm(rpc, [ix], wallet, coders=coders)
        assert [type(e).__name__ for e in registry.events(landed.logs)] == ["UserRegistered"]
        stranger = await _funded(rpc)
        again = registry.register_user(
            payer=stranger.pubkey(), authority=wallet.pubkey(), role=UserRole.PROSUMER, zone_id=ZONE
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
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "solgrid"),
            "deploy",
            "energy_token",
            "--url",
            real_validator.rpc_url,
            "--keypair",
            str(real_validator.mint_file),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "energy_token: upgraded Dso7G7TunWSbiHQu8k7jZQiNuXfyRvUsnFkUFzxrcscu" in result.stdout

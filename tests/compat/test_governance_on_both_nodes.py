"""The governance program as a cluster runs it: deployed by ``solgrid deploy`` (or installed at genesis
by the local node) as an upgradeable SBPFv3 program, and a proposal executed by CPI signed by its
``["governance"]`` PDA, across separate transactions. Each test runs on the local node and on the real
validator.

The shared node's registry is not handed to governance here (``set_governance`` would take privileged
actions away from every other test's regulators): the proposal changes governance's own durations
through ``update_config``, a self-CPI that only the governance PDA may sign.
"""

from __future__ import annotations

from typing import Any

import pytest
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from node_market import ensure_market, funded
from solgrid.sdk import loader
from solgrid.sdk.anchor import ProgramCoder
from solgrid.sdk.idl import load_idl, load_idl_json
from solgrid.sdk.registry import RegistryClient
from solgrid.sdk.transactions import TransactionFailed, send_and_confirm

PROGRAM_ID = Pubkey.from_string(load_idl_json("governance")["address"])
SYSTEM_PROGRAM = Pubkey.from_string("11111111111111111111111111111111")
DAY = 86_400


def pda(*seeds: bytes) -> Pubkey:
    return Pubkey.find_program_address(list(seeds), PROGRAM_ID)[0]


async def fetch(rpc: AsyncClient, coder: ProgramCoder, name: str, address: Pubkey) -> Any:
    account = (await rpc.get_account_info(address)).value
    return None if account is None else coder.decode_account(name, bytes(account.data))


async def test_governance_is_sbpfv3_and_upgradeable_by_the_deployer(
    any_rpc_url: str, upgrade_authority: Keypair
) -> None:
    async with AsyncClient(any_rpc_url, commitment=Confirmed) as rpc:
        program = (await rpc.get_account_info(PROGRAM_ID)).value
        assert program is not None and program.executable
        programdata = (await rpc.get_account_info(loader.programdata_address(PROGRAM_ID))).value
    assert programdata is not None
    data = bytes(programdata.data)
    elf = data[loader.PROGRAMDATA_HEADER_LEN :]
    assert elf[:4] == b"\x7fELF" and int.from_bytes(elf[48:52], "little") == 3
    assert data[12] == 1 and bytes(data[13:45]) == bytes(upgrade_authority.pubkey())


async def test_a_proposal_executes_by_cpi_across_transactions(
    any_rpc_url: str, upgrade_authority: Keypair
) -> None:
    registry = RegistryClient()
    coder = ProgramCoder(load_idl("governance"), PROGRAM_ID)
    coders = [coder, registry.coder]
    me = upgrade_authority
    config = pda(b"config")
    async with AsyncClient(any_rpc_url, commitment=Confirmed) as rpc:
        await ensure_market(rpc, registry, me)  # `me` is the registry's only regulator, threshold 1
        if await fetch(rpc, coder, "Config", config) is None:
            init = coder.instruction(
                "initialize",
                {
                    "params": {
                        "min_timelock_secs": 0,
                        "max_lifetime_secs": 7 * DAY,
                        "certificate_validity_secs": DAY,
                    }
                },
                {
                    "payer": me.pubkey(),
                    "authority": me.pubkey(),
                    "config": config,
                    "program": PROGRAM_ID,
                    "program_data": loader.programdata_address(PROGRAM_ID),
                    "system_program": SYSTEM_PROGRAM,
                    "registry_program": registry.program_id,
                    "trading_program": Pubkey.from_string(load_idl_json("trading")["address"]),
                    "energy_token_program": Pubkey.from_string(load_idl_json("energy_token")["address"]),
                },
            )
            await send_and_confirm(rpc, [init], me, coders=coders)
        before = await fetch(rpc, coder, "Config", config)
        validity = before.certificate_validity_secs + 1
        target = coder.instruction(
            "update_config",
            {
                "params": {
                    "min_timelock_secs": before.min_timelock_secs,
                    "max_lifetime_secs": before.max_lifetime_secs,
                    "certificate_validity_secs": validity,
                }
            },
            {"governance": pda(b"governance"), "config": config},
        )
        proposal, proposal_bump = Pubkey.find_program_address(
            [b"proposal", before.proposal_count.to_bytes(8, "little")], PROGRAM_ID
        )
        common = {"config": config, "registry_config": registry.config_pda().address, "proposal": proposal}
        propose = coder.instruction(
            "propose",
            {
                "target_program": PROGRAM_ID,
                "timelock_secs": 0,
                "lifetime_secs": DAY,
                "title": "certificate validity + 1 s",
                "accounts": [
                    {"address": m.pubkey, "flags": int(m.is_writable) | 2 * int(m.is_signer)}
                    for m in target.accounts
                ],
                "data": bytes(target.data),
                "bump": proposal_bump,
            },
            {"proposer": me.pubkey(), **common, "system_program": SYSTEM_PROGRAM},
        )
        await send_and_confirm(rpc, [propose], me, coders=coders)
        approve = coder.instruction("approve", {}, {"regulator": me.pubkey(), **common})
        await send_and_confirm(rpc, [approve], me, coders=coders)
        execute = coder.instruction(
            "execute",
            {},
            {
                "proposal": proposal,
                "config": config,
                "registry_config": registry.config_pda().address,
                "governance": pda(b"governance"),
                "target_program": PROGRAM_ID,
            },
        )
        remaining = [
            m.__class__(m.pubkey, is_signer=False, is_writable=m.is_writable) for m in target.accounts
        ]
        execute = Instruction(execute.program_id, bytes(execute.data), [*execute.accounts, *remaining])
        anyone = await funded(rpc)
        landed = await send_and_confirm(rpc, [execute], anyone, coders=coders)
        assert [e.name for e in coder.events(landed.logs)] == ["GovernanceConfigUpdated", "ProposalExecuted"]
        after = await fetch(rpc, coder, "Config", config)
        assert after.certificate_validity_secs == validity
        stored = await fetch(rpc, coder, "Proposal", proposal)
        assert type(stored.status).__name__ == "Executed"
        with pytest.raises(TransactionFailed, match="governance: AlreadyExecuted"):
            await send_and_confirm(rpc, [execute], me, coders=coders)

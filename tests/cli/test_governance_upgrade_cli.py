"""``solgrid gov propose set-upgrade-authority|upgrade`` against a governed local node of its own
(``governance_support``; the programs at genesis, upgradeable by r0, the deployer): refused with one line
while the deployer still holds the authority, and for a program that is not SolGrid's; once the deployer
hands trading's upgrade authority to the governance PDA (as `solana program set-upgrade-authority` does),
two of three regulators hand it to a new key in separate invocations, and upgrade trading from a buffer
the governance PDA owns; ``gov show`` describes both."""

from __future__ import annotations

import asyncio
import hashlib
import struct
from collections.abc import Callable, Iterator

import pytest
from governance_support import Gov, governed_node, set_up
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from wallet_support import one_line_error

from solgrid.sdk import loader
from solgrid.sdk.deploy import write_buffer
from solgrid.sdk.energy_token import EnergyTokenClient
from solgrid.sdk.governance import GovernanceClient
from solgrid.sdk.governance.upgrade_authority import programdata_authority
from solgrid.sdk.trading import TradingClient
from solgrid.sdk.transactions import send_and_confirm

TRADING = TradingClient().program_id
GOV_PDA = GovernanceClient().governance_pda().address


@pytest.fixture(scope="module")
def gov(tmp_path_factory: pytest.TempPathFactory, elf_of: Callable[[str], bytes]) -> Iterator[Gov]:
    authority = Keypair()
    for url in governed_node(authority, elf_of):
        yield set_up(url, authority, tmp_path_factory.mktemp("gov"))


def _send(gov: Gov, payer: Keypair, *instructions: Instruction, signers: tuple[Keypair, ...] = ()) -> None:
    async def send() -> None:
        async with AsyncClient(gov.url, commitment=Confirmed) as rpc:
            await send_and_confirm(rpc, list(instructions), payer, list(signers))

    asyncio.run(send())


def _programdata(gov: Gov) -> bytes:
    async def read() -> bytes:
        async with AsyncClient(gov.url, commitment=Confirmed) as rpc:
            info = (await rpc.get_account_info(loader.programdata_address(TRADING))).value
            assert info is not None
            return bytes(info.data)

    return asyncio.run(read())


def test_upgrade_authority_by_proposal(gov: Gov, elf_of: Callable[[str], bytes]) -> None:
    r0, r1, r2 = gov.regulators
    new_key = Keypair()
    # While the deployer holds it, a proposal could never execute: the CLI says what to do first.
    early = gov.run(r1, "gov", "propose", "set-upgrade-authority", "trading", str(new_key.pubkey()))
    one_line_error(early, 1, "hand it over first")
    foreign = gov.run(r1, "gov", "propose", "set-upgrade-authority", str(Keypair().pubkey()), r1.address)
    one_line_error(foreign, 1, "is not one of SolGrid's programs")
    unknown = gov.run(r1, "gov", "propose", "set-upgrade-authority", "oracle", r1.address)
    one_line_error(unknown, 2, "neither a SolGrid program name")
    both = gov.run(r1, "gov", "propose", "set-upgrade-authority", "trading", r1.address, "--immutable")
    one_line_error(both, 2, "NEW_AUTHORITY or --immutable")

    status = gov.ok(r2, "gov", "status")["upgrade_authorities"]
    assert [(p["program"], p["upgrade_authority"], p["governed"]) for p in status] == [
        (name, r0.address, False) for name in ("registry", "trading", "energy_token", "governance")
    ]

    # The deployer hands trading's upgrade authority to the governance PDA.
    _send(gov, r0.keypair, loader.set_upgrade_authority(TRADING, r0.keypair.pubkey(), GOV_PDA))
    assert programdata_authority(_programdata(gov)) == GOV_PDA
    text = gov.run(r2, "gov", "status").stdout.splitlines()
    assert "upgrade authority of trading: the governance PDA" in text
    assert f"upgrade authority of registry: {r0.address}" in text

    proposed = gov.ok(r1, "gov", "propose", "set-upgrade-authority", "trading", str(new_key.pubkey()))
    assert (proposed["program"], proposed["instruction"], proposed["state"]) == (
        "bpf_loader_upgradeable",
        "set_authority",
        "open",
    )
    assert proposed["args"] == {
        "program": "trading",
        "program_data": str(loader.programdata_address(TRADING)),
        "authority": str(GOV_PDA),
        "new_authority": str(new_key.pubkey()),
    }
    shown = gov.run(r2, "gov", "show", str(proposed["proposal"]))
    assert shown.exit_code == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert "program:          bpf_loader_upgradeable" in lines and "instruction:      set_authority" in lines
    gov.ok(r2, "gov", "approve", str(proposed["proposal"]))
    executed = gov.ok(r2, "gov", "execute", str(proposed["proposal"]))
    assert executed["state"] == "executed"
    assert programdata_authority(_programdata(gov)) == new_key.pubkey()

    # Back to governance (the new key signs), then an upgrade from a buffer the governance PDA owns.
    _send(
        gov, r0.keypair, loader.set_upgrade_authority(TRADING, new_key.pubkey(), GOV_PDA), signers=(new_key,)
    )

    async def buffer() -> Pubkey:
        async with AsyncClient(gov.url, commitment=Confirmed) as rpc:
            return await write_buffer(rpc, r0.keypair, elf_of("trading"))

    address = asyncio.run(buffer())
    not_yet = gov.run(r1, "gov", "propose", "upgrade", "trading", str(address))
    one_line_error(not_yet, 1, "set-buffer-authority")
    _send(gov, r0.keypair, loader.set_buffer_authority(address, r0.keypair.pubkey(), GOV_PDA))
    slot_before = struct.unpack_from("<Q", _programdata(gov), 4)[0]
    proposed = gov.ok(r1, "gov", "propose", "upgrade", "trading", str(address), "--spill", r0.address)
    # The proposal pinned the buffer's ELF: approvers compare its sha256 with their own build.
    elf_sha256 = hashlib.sha256(elf_of("trading")).hexdigest()
    assert proposed["args"]["buffer_sha256"] == elf_sha256
    assert proposed["args"]["buffer_len"] == str(len(elf_of("trading")))
    shown = gov.ok(r2, "gov", "show", str(proposed["proposal"]))
    assert shown["buffer_authority"] == str(GOV_PDA) and shown["buffer_matches_pin"] is True
    gov.ok(r2, "gov", "approve", str(proposed["proposal"]))
    upgraded = gov.ok(r2, "gov", "execute", str(proposed["proposal"]))
    assert upgraded["state"] == "executed"
    assert (upgraded["program"], upgraded["instruction"]) == ("bpf_loader_upgradeable", "upgrade")
    assert upgraded["args"]["buffer"] == str(address) and upgraded["args"]["program"] == "trading"
    assert struct.unpack_from("<Q", _programdata(gov), 4)[0] > slot_before
    assert programdata_authority(_programdata(gov)) == GOV_PDA
    # The upgraded trading program still serves the market.
    assert gov.ok(r0, "market", "show", "1")["taker_fee_bps"] >= 0

    # A buffer larger than the ProgramData it would replace (registry's ELF for energy_token's) is refused
    # before proposing: the loader cannot extend a program through a proposal.
    token = EnergyTokenClient().program_id
    _send(gov, r0.keypair, loader.set_upgrade_authority(token, r0.keypair.pubkey(), GOV_PDA))

    async def big_buffer() -> Pubkey:
        async with AsyncClient(gov.url, commitment=Confirmed) as rpc:
            return await write_buffer(rpc, r0.keypair, elf_of("registry"))

    big = asyncio.run(big_buffer())
    _send(gov, r0.keypair, loader.set_buffer_authority(big, r0.keypair.pubkey(), GOV_PDA))
    too_big = gov.run(r1, "gov", "propose", "upgrade", "energy_token", str(big))
    one_line_error(too_big, 1, "does not fit the ProgramData of energy_token")

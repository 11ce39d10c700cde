"""The upgrade authority of a SolGrid program under governance, as a cluster runs it: on a fresh local node
and on a fresh real solana-test-validator 4.2.2 (the compat suite), the same steps and assertions.

The governance program is at genesis, upgradeable by ``upgrade_authority`` (the deployer). The deployer hands
its upgrade authority to the governance PDA (SetAuthority: the new authority does not sign) and can no longer
use it; then proposals, each approved by two of three regulators in separate transactions, upgrade the
program from a buffer whose authority is the governance PDA (governance upgrading itself, by CPI to the
loader) and hand the authority to a new key. A buffer its writer still holds is refused at propose, and a
second proposal naming a buffer the first consumed refuses the code recreated at its address. Loader
instructions other than the three allowed and a ProgramData of a program that is not SolGrid's are refused
at propose. Built with the SDK
(:mod:`solgrid.sdk.governance.upgrade_authority`).
"""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Sequence
from typing import Any

from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.system_program import TransferParams, transfer
from test_governance_and_certificates_on_fresh_nodes import node_of_its_own  # noqa: F401 (fixture)

from solgrid.sdk import loader
from solgrid.sdk.deploy import write_buffer
from solgrid.sdk.governance import ConfigParams, GovernanceClient, GovernedActions
from solgrid.sdk.governance.upgrade_authority import buffer_authority, compute_budget, programdata_authority
from solgrid.sdk.registry import RegistryClient
from solgrid.sdk.transactions import TransactionFailed, send_and_confirm

SOL = 10**9
DAY = 86_400


class _Run:
    def __init__(self, rpc: AsyncClient, deployer: Keypair, elf: bytes) -> None:
        self.rpc = rpc
        self.deployer = deployer
        self.elf = elf
        self.registry = RegistryClient()
        self.gov = GovernanceClient()
        self.actions = GovernedActions(self.gov, self.registry)
        self.coders = [self.gov.coder, self.registry.coder]
        self.seen: dict[str, Any] = {"errors": {}, "authority": {}, "proposals": {}}

    async def send(self, instructions: Sequence[Instruction], signers: Sequence[Keypair] = ()) -> None:
        await send_and_confirm(self.rpc, instructions, self.deployer, signers, coders=self.coders)

    async def refused(self, step: str, instructions: list[Instruction], signers: list[Keypair]) -> None:
        try:
            await send_and_confirm(self.rpc, instructions, self.deployer, signers, coders=self.coders)
        except TransactionFailed as e:
            self.seen["errors"][step] = str(e).splitlines()[0]
            return
        raise AssertionError(f"{step}: the transaction was accepted")

    async def data(self, address: Pubkey) -> bytes | None:
        info = (await self.rpc.get_account_info(address, commitment=Confirmed)).value
        return None if info is None else bytes(info.data)

    async def authority(self, roles: dict[Pubkey, str]) -> str:
        data = await self.data(loader.programdata_address(self.gov.program_id))
        assert data is not None
        current = programdata_authority(data)
        return "none" if current is None else roles.get(current, str(current))

    async def deployed_slot(self) -> int:
        data = await self.data(loader.programdata_address(self.gov.program_id))
        assert data is not None
        return int(struct.unpack_from("<Q", data, 4)[0])

    async def enact(
        self, name: str, action: Instruction, proposer: Keypair, approvers: list[Keypair]
    ) -> None:
        proposal_id = await self.approved(name, action, proposer, approvers)
        await self.execute(name, proposal_id)

    async def execute(self, name: str, proposal_id: int) -> None:
        proposal = await self.gov.fetch_proposal(self.rpc, proposal_id)
        assert proposal is not None
        await self.send([*compute_budget(proposal.instruction()), self.gov.execute(proposal)])
        executed = await self.gov.fetch_proposal(self.rpc, proposal_id)
        assert executed is not None
        self.seen["proposals"][name] = executed.status.name

    async def approved(
        self, name: str, action: Instruction, proposer: Keypair, approvers: list[Keypair]
    ) -> int:
        config = await self.gov.fetch_config(self.rpc)
        assert config is not None
        proposal_id = config.proposal_count
        propose = self.gov.propose(
            proposer=proposer.pubkey(),
            proposal_id=proposal_id,
            action=action,
            title=name,
            timelock_secs=0,
            lifetime_secs=DAY,
        )
        await self.send([*compute_budget(action), propose], [proposer])
        for regulator in approvers:
            await self.send(
                [self.gov.approve(regulator=regulator.pubkey(), proposal_id=proposal_id)], [regulator]
            )
        return proposal_id

    async def refused_proposal(self, step: str, action: Instruction, proposer: Keypair) -> None:
        config = await self.gov.fetch_config(self.rpc)
        assert config is not None
        propose = self.gov.propose(
            proposer=proposer.pubkey(),
            proposal_id=config.proposal_count,
            action=action,
            title=step,
            timelock_secs=0,
            lifetime_secs=DAY,
        )
        await self.refused(step, [propose], [proposer])


async def _wait_for_slot_after(rpc: AsyncClient, slot: int) -> None:
    while (await rpc.get_slot(Confirmed)).value <= slot:
        await asyncio.sleep(0.2)


async def _scenario(r: _Run) -> None:
    me = r.deployer.pubkey()
    program = r.gov.program_id
    gov_pda = r.actions.authority
    regulators = [Keypair() for _ in range(3)]
    new_key = Keypair()
    roles = {me: "deployer", gov_pda: "governance PDA", new_key.pubkey(): "new key"}
    await r.send(
        [transfer(TransferParams(from_pubkey=me, to_pubkey=x.pubkey(), lamports=SOL)) for x in regulators]
    )
    await r.send(
        [
            r.registry.initialize(payer=me, authority=me),
            r.registry.set_regulators(
                regulators=[x.pubkey() for x in regulators], threshold=2, cosigners=[me]
            ),
            r.gov.initialize(payer=me, authority=me, params=ConfigParams(max_lifetime_secs=7 * DAY)),
        ]
    )
    r.seen["authority"]["at genesis"] = await r.authority(roles)

    # The deployer hands the upgrade authority to the governance PDA, then no longer holds it.
    await r.send([loader.set_upgrade_authority(program, me, gov_pda)])
    r.seen["authority"]["handed over"] = await r.authority(roles)
    await r.refused("deployer sets the authority", [loader.set_upgrade_authority(program, me, me)], [])

    # What governance may not propose.
    proposer, approvers = regulators[0], regulators[:2]
    close = Instruction(
        loader.LOADER_V3,
        struct.pack("<I", 5),
        [
            AccountMeta(loader.programdata_address(program), False, True),
            AccountMeta(me, False, True),
            AccountMeta(gov_pda, True, False),
            AccountMeta(program, False, True),
        ],
    )
    await r.refused_proposal("propose Close", close, proposer)
    foreign = r.actions.set_upgrade_authority(Keypair().pubkey(), me)  # another program's ProgramData
    await r.refused_proposal("propose a foreign ProgramData", foreign, proposer)

    # A buffer its writer still holds (they could rewrite it after the approvals) is refused.
    keypair = Keypair()
    buffer = await write_buffer(r.rpc, r.deployer, r.elf, buffer=keypair)
    await r.refused_proposal(
        "propose a buffer its writer holds", r.actions.upgrade(program, buffer, me), proposer
    )

    # An upgrade by proposal, from a buffer whose authority is the governance PDA. A second proposal names
    # the same buffer; it pinned the approved bytes.
    await r.send([loader.set_buffer_authority(buffer, me, gov_pda)])
    data = await r.data(buffer)
    assert data is not None and buffer_authority(data) == gov_pda
    second = await r.approved("second upgrade", r.actions.upgrade(program, buffer, me), proposer, approvers)
    before = await r.deployed_slot()
    await r.enact("upgrade", r.actions.upgrade(program, buffer, me), proposer, approvers)
    r.seen["upgraded"] = await r.deployed_slot() > before
    r.seen["buffer closed"] = await r.data(buffer) is None
    r.seen["authority"]["after the upgrade"] = await r.authority(roles)

    # The buffer's keypair recreates it with other code and hands it to governance: the second proposal
    # refuses it.
    evil = bytearray(r.elf)
    evil[len(evil) // 2] ^= 0xFF
    await write_buffer(r.rpc, r.deployer, bytes(evil), buffer=keypair)
    await r.send([loader.set_buffer_authority(buffer, me, gov_pda)])
    await _wait_for_slot_after(r.rpc, await r.deployed_slot())
    stored = await r.gov.fetch_proposal(r.rpc, second)
    assert stored is not None
    await r.refused(
        "execute with a recreated buffer", [*compute_budget(stored.instruction()), r.gov.execute(stored)], []
    )

    # The upgraded program hands the authority to a new key by another proposal.
    await _wait_for_slot_after(r.rpc, await r.deployed_slot())
    await r.enact(
        "set_authority", r.actions.set_upgrade_authority(program, new_key.pubkey()), proposer, approvers
    )
    r.seen["authority"]["after the proposal"] = await r.authority(roles)


async def _run(url: str, deployer: Keypair, elf: bytes) -> dict[str, Any]:
    async with AsyncClient(url, commitment=Confirmed) as rpc:
        r = _Run(rpc, deployer, elf)
        await _scenario(r)
        return r.seen


def test_governance_holds_and_uses_an_upgrade_authority(
    node_of_its_own: str,  # noqa: F811 (the imported fixture)
    upgrade_authority: Keypair,
    elf_of: Any,
) -> None:
    seen = asyncio.run(_run(node_of_its_own, upgrade_authority, elf_of("governance")))
    assert seen["authority"] == {
        "at genesis": "deployer",
        "handed over": "governance PDA",
        "after the upgrade": "governance PDA",
        "after the proposal": "new key",
    }
    errors = seen["errors"]
    assert errors["deployer sets the authority"] == (
        "Transaction simulation failed: Error processing Instruction 0: Incorrect authority provided"
    ), errors
    assert errors["propose Close"].startswith("governance: LoaderInstructionNotAllowed "), errors
    assert errors["propose a foreign ProgramData"].startswith("governance: NotSolGridProgramData "), errors
    assert errors["propose a buffer its writer holds"].startswith(
        "governance: BufferAuthorityNotGovernance "
    ), errors
    assert errors["execute with a recreated buffer"].startswith("governance: BufferChanged "), errors
    assert seen["proposals"] == {"upgrade": "EXECUTED", "set_authority": "EXECUTED"}
    assert seen["upgraded"] and seen["buffer closed"]

"""``solgrid indexer run``'s service following the governance program live on a local node (the four
workspace programs at genesis): a proposal approved by two regulators in separate transactions and
executed, a certificate requested, validated, split and retired, a pause and a resume by a proposal.
The governance program gets its checkpoint, the tables match the chain, and feed subscribers of the
governance topics get each change as it is indexed."""

from __future__ import annotations

import asyncio
import json
import struct
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from indexer_support import DbView, eventually, running
from market import ZONE_ID, Market, node_config
from solana.rpc.commitment import Confirmed
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from sqlalchemy import select
from websockets.asyncio.client import ClientConnection, connect

from solgrid.indexer.models import (
    Approval,
    Certificate,
    Checkpoint,
    Pause,
    Proposal,
    Retirement,
    carbon_credits,
)
from solgrid.indexer.service import IndexerConfig
from solgrid.localnet.background import BackgroundNode
from solgrid.localnet.genesis import GenesisProgram
from solgrid.sdk.energy_token import EnergyTokenClient
from solgrid.sdk.governance import GovernanceClient
from solgrid.sdk.pda import find_pda
from solgrid.sdk.registry import RegistryClient
from solgrid.sdk.registry_governance import PauseFlag, governance_pdas
from solgrid.sdk.trading import TradingClient

SYSTEM_PROGRAM = Pubkey.from_string("11111111111111111111111111111111")
LOADER_V3 = Pubkey.from_string("BPFLoaderUpgradeab1e11111111111111111111111")
SOL = 1_000_000_000


@pytest.fixture
def governance_node(elf_of: Callable[[str], bytes]) -> Iterator[tuple[BackgroundNode, Keypair]]:
    """A node of the test's own with the four workspace programs at genesis, and their upgrade authority."""
    authority = Keypair()
    programs = [
        GenesisProgram(name, program_id, elf_of(name), authority.pubkey())
        for name, program_id in (
            ("registry", RegistryClient().program_id),
            ("energy_token", EnergyTokenClient().program_id),
            ("trading", TradingClient().program_id),
            ("governance", GovernanceClient().program_id),
        )
    ]
    with BackgroundNode(node_config(elf_of, authority, programs=programs)) as background:
        yield background, authority


class Governance:
    """The governance program's instructions (from its IDL) for the node's flow."""

    def __init__(self) -> None:
        self.coder = GovernanceClient().coder
        self.id = self.coder.program_id
        pdas = governance_pdas(self.id)
        self.governance, self.certificates = pdas.governance.address, pdas.certificates.address
        self.config = find_pda([b"config"], self.id).address
        self.registry = RegistryClient()
        self.proposals = 0

    def initialize(self, authority: Pubkey) -> Instruction:
        registry, trading, token = RegistryClient(), TradingClient(), EnergyTokenClient()
        return self.coder.instruction(
            "initialize",
            {
                "params": {
                    "min_timelock_secs": 0,
                    "max_lifetime_secs": 86_400,
                    "certificate_validity_secs": 86_400,
                }
            },
            {
                "payer": authority,
                "authority": authority,
                "config": self.config,
                "program": self.id,
                "program_data": Pubkey.find_program_address([bytes(self.id)], LOADER_V3)[0],
                "system_program": SYSTEM_PROGRAM,
                "registry_program": registry.program_id,
                "trading_program": trading.program_id,
                "energy_token_program": token.program_id,
            },
        )

    def propose(self, proposer: Pubkey, target: Instruction, title: str) -> tuple[Instruction, Pubkey]:
        found = find_pda([b"proposal", self.proposals.to_bytes(8, "little")], self.id)
        proposal = found.address
        self.proposals += 1
        metas = [
            {"address": m.pubkey, "flags": int(m.is_writable) | 2 * int(m.is_signer)} for m in target.accounts
        ]
        ix = self.coder.instruction(
            "propose",
            {
                "target_program": target.program_id,
                "timelock_secs": 0,
                "lifetime_secs": 3_600,
                "title": title,
                "accounts": metas,
                "data": bytes(target.data),
                "bump": found.bump,
            },
            {
                "proposer": proposer,
                "config": self.config,
                "registry_config": self.registry.config_pda().address,
                "proposal": proposal,
                "system_program": SYSTEM_PROGRAM,
            },
        )
        return ix, proposal

    def approve(self, regulator: Pubkey, proposal: Pubkey) -> Instruction:
        return self.coder.instruction(
            "approve",
            {},
            {
                "regulator": regulator,
                "config": self.config,
                "registry_config": self.registry.config_pda().address,
                "proposal": proposal,
            },
        )

    def execute(self, proposal: Pubkey, target: Instruction) -> Instruction:
        ix = self.coder.instruction(
            "execute",
            {},
            {
                "proposal": proposal,
                "config": self.config,
                "registry_config": self.registry.config_pda().address,
                "governance": self.governance,
                "target_program": target.program_id,
            },
        )
        stored = [AccountMeta(m.pubkey, is_signer=False, is_writable=m.is_writable) for m in target.accounts]
        return Instruction(ix.program_id, bytes(ix.data), [*ix.accounts, *stored])

    def request(self, owner: Pubkey, meter: Pubkey, start: int) -> tuple[Instruction, Pubkey]:
        pda = find_pda([b"certificate", bytes(meter), struct.pack("<q", start)], self.id)
        ix = self.coder.instruction(
            "request_certificate",
            {"bump": pda.bump},
            {
                "owner": owner,
                "config": self.config,
                "registry_config": self.registry.config_pda().address,
                "meter": meter,
                "user": self.registry.user_pda(owner).address,
                "certificate": pda.address,
                "certificates_authority": self.certificates,
                "registry_program": self.registry.program_id,
                "system_program": SYSTEM_PROGRAM,
                "zone": self.registry.zone_pda(ZONE_ID).address,
            },
        )
        return ix, pda.address

    def validate(self, regulator: Pubkey, certificate: Pubkey) -> Instruction:
        return self.coder.instruction(
            "validate_certificate",
            {},
            {
                "regulator": regulator,
                "config": self.config,
                "registry_config": self.registry.config_pda().address,
                "zone": self.registry.zone_pda(ZONE_ID).address,
                "certificate": certificate,
            },
        )

    def split(
        self, owner: Pubkey, certificate: Pubkey, volume_wh: int, new_owner: Pubkey
    ) -> tuple[Instruction, Pubkey]:
        child = find_pda([b"certificate", bytes(certificate), struct.pack("<H", 0)], self.id)
        ix = self.coder.instruction(
            "split_certificate",
            {"volume_wh": volume_wh, "new_owner": new_owner, "bump": child.bump},
            {
                "owner": owner,
                "certificate": certificate,
                "child": child.address,
                "system_program": SYSTEM_PROGRAM,
                "original": certificate,  # a requested certificate is its own original
            },
        )
        return ix, child.address

    def retire(
        self,
        owner: Pubkey,
        certificate: Pubkey,
        original: Pubkey,
        beneficiary: Pubkey,
        period: tuple[int, int],
    ) -> Instruction:
        return self.coder.instruction(
            "retire_certificate",
            {
                "beneficiary": beneficiary,
                "beneficiary_name": "Carol's household",
                "purpose": "household electricity",
                "consumption_start": period[0],
                "consumption_end": period[1],
            },
            {"owner": owner, "certificate": certificate, "original": original},
        )


async def subscribe(url: str, sid: str, topics: dict[str, Any]) -> ClientConnection:
    socket = await connect(url)
    await socket.send(json.dumps({"op": "subscribe", "id": sid, "filter": topics}))
    assert json.loads(await socket.recv()) == {"type": "subscribed", "id": sid}
    return socket


async def drain(socket: ClientConnection) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []
    while True:
        try:
            got.append(json.loads(await asyncio.wait_for(socket.recv(), 0.5)))
        except TimeoutError:
            return got


async def test_the_governance_program_is_indexed_live(
    governance_node: tuple[BackgroundNode, Keypair], db_url: str
) -> None:
    node, authority = governance_node
    market = Market(node.rpc_url, authority)
    gov = Governance()
    market.coders.append(gov.coder)
    reg = market.registry
    view = DbView(db_url)
    config = IndexerConfig(
        db_url=db_url, rpc_url=node.rpc_url, ws_url=node.ws_url, feed_port=0, poll_interval=1.0
    )
    me = authority.pubkey()
    try:
        await market.setup()
        r1, r2 = Keypair(), Keypair()
        for wallet in (r1, r2):
            airdrop = await market.rpc.request_airdrop(wallet.pubkey(), SOL)
            await market.rpc.confirm_transaction(airdrop.value, Confirmed)
        await market.send(
            [reg.set_regulators(regulators=[me, r1.pubkey(), r2.pubkey()], threshold=2, cosigners=[me])],
            authority,
        )
        await market.send([gov.initialize(me)], authority)
        await market.send(
            [reg.set_governance(governance_program=gov.id, cosigners=[me, r1.pubkey()])], authority, [r1]
        )
        async with running(config) as service:
            feed = f"ws://127.0.0.1:{service.feed.port}"
            sockets = {
                "certificates": await subscribe(feed, "c", {"certificates": [ZONE_ID]}),
                "proposals": await subscribe(feed, "p", {"proposals": True}),
                "pauses": await subscribe(feed, "z", {"pauses": ZONE_ID}),
            }
            # A proposal approved by two regulators, each in a transaction of their own, then executed.
            factor = reg.set_emission_factor(zone_id=ZONE_ID, g_per_kwh=350, cosigners=[gov.governance])
            propose, first = gov.propose(me, factor, "Zone 1 grid mix")
            await market.send([propose], authority)
            await market.send([gov.approve(me, first)], authority)
            await market.send([gov.approve(r1.pubkey(), first)], authority, [r1])
            await market.send([gov.execute(first, factor)], authority)
            # A certificate: requested by the meter's owner, validated, split, the part retired.
            p = await market.prosumer()
            await market.readings(p, 3)
            meter = await reg.fetch_meter(market.rpc, p.serial)
            assert meter is not None
            request, certificate = gov.request(p.wallet.pubkey(), p.meter, meter.first_window_start)
            await market.send([request], p.wallet)
            await market.send([gov.validate(r2.pubkey(), certificate)], authority, [r2])
            carol, household = Keypair(), Keypair()
            split, child = gov.split(p.wallet.pubkey(), certificate, 400, carol.pubkey())
            await market.send([split], p.wallet)
            period = (meter.first_window_start, meter.first_window_start + 3_600)
            await market.send(
                [gov.retire(carol.pubkey(), child, certificate, household.pubkey(), period)],
                authority,
                [carol],
            )
            # A pause by one regulator, a resume by a proposal.
            await market.send(
                [reg.pause_zone(regulator=r2.pubkey(), zone_id=ZONE_ID, flags=PauseFlag.MINTING)],
                authority,
                [r2],
            )
            resume = reg.resume_zone(zone_id=ZONE_ID, flags=PauseFlag.MINTING, cosigners=[gov.governance])
            propose, second = gov.propose(r2.pubkey(), resume, "Resume minting")
            await market.send([propose], authority, [r2])
            await market.send([gov.approve(r1.pubkey(), second)], authority, [r1])
            await market.send([gov.approve(r2.pubkey(), second)], authority, [r2])
            await market.send([gov.execute(second, resume)], authority)
            await eventually(lambda: view.has_all(market.signatures), "every landed transaction indexed")

            async def checkpointed() -> bool:  # once its slot is final, the checkpoint moves past it
                rows = await view.rows(Checkpoint, Checkpoint.program == str(gov.id))
                return bool(rows) and rows[0].signature == market.signatures[-1]

            await eventually(checkpointed, "the governance program's checkpoint at its newest transaction")
            received = {name: await drain(s) for name, s in sockets.items()}
            for s in sockets.values():
                await s.close()

        wallet = str(p.wallet.pubkey())
        rows = {c.address: c for c in await view.rows(Certificate)}
        volume = 3 * 500 + 1 + 2  # Market.readings: 500 + i Wh per window
        co2 = volume * 350 // 1000
        child_co2 = co2 * 400 // volume
        assert {a: (c.status, c.owner, c.volume_wh, c.co2_avoided_g) for a, c in rows.items()} == {
            str(certificate): ("Valid", wallet, volume - 400, co2 - child_co2),
            str(child): ("Retired", str(carol.pubkey()), 400, child_co2),
        }
        (retirement,) = await view.rows(Retirement)
        assert (retirement.beneficiary, retirement.beneficiary_name, retirement.meter) == (
            str(household.pubkey()),
            "Carol's household",
            str(p.meter),
        )
        async with view.sessions() as s:
            credits = sorted(tuple(r) for r in (await s.execute(select(carbon_credits))).all())
        assert credits == sorted(
            [
                (wallet, str(p.meter), ZONE_ID, co2 - child_co2, 0, volume - 400, 0, 1, 0, 0, 0, 0, 0, 0),
                (str(carol.pubkey()), str(p.meter), ZONE_ID, 0, child_co2, 0, 400, 1, 0, 0, 0, 0, 0, 0),
            ]
        )
        proposals = {row.address: row for row in await view.rows(Proposal)}
        assert {a: (x.status, x.approvals) for a, x in proposals.items()} == {
            str(first): ("Executed", 2),
            str(second): ("Executed", 2),
        }
        assert len(await view.rows(Approval)) == 4
        pauses = await view.rows(Pause)
        assert sorted((x.action, x.by, x.proposal) for x in pauses) == [
            ("pause", str(r2.pubkey()), None),
            ("resume", str(gov.governance), str(second)),
        ]

        changes = [
            (m["certificate"]["change"], m["certificate"]["address"]) for m in received["certificates"]
        ]
        assert changes == [
            ("requested", str(certificate)),
            ("validated", str(certificate)),
            ("split", str(certificate)),
            ("split_from", str(child)),
            ("retired", str(child)),
        ]
        # An execution that calls the registry is also the registry's transaction: its catch-up may
        # store (and the feed push) it before the governance catch-up stores the last vote.
        votes = Counter((m["proposal"]["proposal"], m["proposal"]["change"]) for m in received["proposals"])
        assert votes == Counter(
            {
                (str(x), c): n
                for x in (first, second)
                for c, n in (("created", 1), ("approved", 2), ("executed", 1))
            }
        )
        assert sorted(m["pause"]["action"] for m in received["pauses"]) == ["pause", "resume"]  # either first
    finally:
        await view.close()
        await market.close()

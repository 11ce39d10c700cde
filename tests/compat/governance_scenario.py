"""Governance and certificates end to end over JSON-RPC, the same steps on any node: the registry market
with three regulators (threshold 2), governance initialised by the upgrade authority and named the
registry's governance, a registry ``update_limits`` proposed, approved by two regulators in separate
transactions and executed once; a certificate requested for a solar meter's device-signed reading,
validated, split to another owner and retired by her; a zone's readings paused by one regulator and
resumed by a second proposal.

Instructions are built from ``idl/governance.json`` with the SDK's coder (as every SolGrid client builds
them), so that the scenario depends on no governance SDK module. :func:`run` returns what it observed;
the caller asserts it, the same way on every node.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.system_program import TransferParams, transfer

from solgrid.sdk.anchor import ProgramCoder
from solgrid.sdk.idl import load_idl, load_idl_json
from solgrid.sdk.loader import programdata_address
from solgrid.sdk.readings import DeviceSigner, Reading
from solgrid.sdk.registry import EnergySource, Limits, RegistryClient, UserRole
from solgrid.sdk.registry_governance import PauseFlag
from solgrid.sdk.trading import TradingClient
from solgrid.sdk.transactions import Landed, TransactionFailed, send_and_confirm

PROGRAM_ID = Pubkey.from_string(load_idl_json("governance")["address"])
ENERGY_TOKEN_ID = Pubkey.from_string(load_idl_json("energy_token")["address"])
SYSTEM_PROGRAM = Pubkey.from_string("11111111111111111111111111111111")
WRITABLE, SIGNER = 1, 2
ZONE_ID = 14
EMISSION_FACTOR = 350  # g CO2 per kWh
PRODUCED_WH = 900  # one minute of a 60 kW plant (capacity tolerance 110%)
CAPACITY_W = 60_000
SPLIT_WH = 400
DAY = 86_400
NEW_LIMITS = Limits(max_clock_skew_secs=3_600)
SOL = 10**9


def pda(*seeds: bytes) -> Pubkey:
    return Pubkey.find_program_address(list(seeds), PROGRAM_ID)[0]


class Governance:
    """Instruction builders of the governance program."""

    def __init__(self) -> None:
        self.coder = ProgramCoder(load_idl("governance"), PROGRAM_ID)
        self.registry = RegistryClient()
        self.config = pda(b"config")
        self.governance = pda(b"governance")
        self.certificates = pda(b"certificates")

    def initialize(self, authority: Pubkey) -> Instruction:
        return self.coder.instruction(
            "initialize",
            {
                "params": {
                    "min_timelock_secs": 0,
                    "max_lifetime_secs": 7 * DAY,
                    "certificate_validity_secs": 365 * DAY,
                }
            },
            {
                "payer": authority,
                "authority": authority,
                "config": self.config,
                "program": PROGRAM_ID,
                "program_data": programdata_address(PROGRAM_ID),
                "system_program": SYSTEM_PROGRAM,
                "registry_program": self.registry.program_id,
                "trading_program": TradingClient().program_id,
                "energy_token_program": ENERGY_TOKEN_ID,
            },
        )

    def proposal(self, proposal_id: int) -> Pubkey:
        return pda(b"proposal", proposal_id.to_bytes(8, "little"))

    def propose(self, proposer: Pubkey, proposal_id: int, target: Instruction, title: str) -> Instruction:
        accounts = [
            {
                "address": m.pubkey,
                "flags": (WRITABLE if m.is_writable else 0) | (SIGNER if m.is_signer else 0),
            }
            for m in target.accounts
        ]
        return self.coder.instruction(
            "propose",
            {
                "target_program": target.program_id,
                "timelock_secs": 0,
                "lifetime_secs": DAY,
                "title": title,
                "accounts": accounts,
                "data": bytes(target.data),
                "bump": Pubkey.find_program_address(
                    [b"proposal", proposal_id.to_bytes(8, "little")], PROGRAM_ID
                )[1],
            },
            {
                "proposer": proposer,
                "config": self.config,
                "registry_config": self.registry.config_pda().address,
                "proposal": self.proposal(proposal_id),
                "system_program": SYSTEM_PROGRAM,
            },
        )

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
        return Instruction(PROGRAM_ID, bytes(ix.data), [*ix.accounts, *stored])

    def certificate(self, meter: Pubkey, start: int) -> tuple[Pubkey, int]:
        return Pubkey.find_program_address(
            [b"certificate", bytes(meter), start.to_bytes(8, "little", signed=True)], PROGRAM_ID
        )

    def request(self, owner: Pubkey, meter: Pubkey, start: int) -> tuple[Instruction, Pubkey]:
        certificate, bump = self.certificate(meter, start)
        ix = self.coder.instruction(
            "request_certificate",
            {"bump": bump},
            {
                "owner": owner,
                "config": self.config,
                "registry_config": self.registry.config_pda().address,
                "meter": meter,
                "user": self.registry.user_pda(owner).address,
                "certificate": certificate,
                "certificates_authority": self.certificates,
                "registry_program": self.registry.program_id,
                "system_program": SYSTEM_PROGRAM,
                "zone": self.registry.zone_pda(ZONE_ID).address,
            },
        )
        return ix, certificate

    def validate(self, regulator: Pubkey, certificate: Pubkey, zone_id: int) -> Instruction:
        return self.coder.instruction(
            "validate_certificate",
            {},
            {
                "regulator": regulator,
                "config": self.config,
                "registry_config": self.registry.config_pda().address,
                "zone": self.registry.zone_pda(zone_id).address,
                "certificate": certificate,
            },
        )

    def split(
        self, owner: Pubkey, certificate: Pubkey, index: int, volume_wh: int, new_owner: Pubkey
    ) -> tuple[Instruction, Pubkey]:
        child, bump = Pubkey.find_program_address(
            [b"certificate", bytes(certificate), index.to_bytes(2, "little")], PROGRAM_ID
        )
        ix = self.coder.instruction(
            "split_certificate",
            {"volume_wh": volume_wh, "new_owner": new_owner, "bump": bump},
            {
                "owner": owner,
                "certificate": certificate,
                "child": child,
                "system_program": SYSTEM_PROGRAM,
                "original": certificate,  # a requested certificate is its own original
            },
        )
        return ix, child

    def retire(
        self, owner: Pubkey, certificate: Pubkey, original: Pubkey, name: str, purpose: str, start: int
    ) -> Instruction:
        return self.coder.instruction(
            "retire_certificate",
            {
                "beneficiary": owner,
                "beneficiary_name": name,
                "purpose": purpose,
                "consumption_start": start,
                "consumption_end": start + 30 * DAY,
            },
            {"owner": owner, "certificate": certificate, "original": original},
        )


@dataclass
class Observed:
    """What the scenario saw (the caller asserts it)."""

    events: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    """Per step, the names of the events governance and the registry logged (``{"governance": [...],
    "registry": [...]}``), each program's in order."""
    errors: dict[str, str] = field(default_factory=dict)
    """The message of each step that had to fail."""
    limits: Limits | None = None
    proposals: dict[str, tuple[str, int, int]] = field(default_factory=dict)
    """Per proposal: its status, approvals counted, and whether quorum_at was set (1) before execute."""
    certificates: dict[str, dict[str, Any]] = field(default_factory=dict)
    meter: dict[str, int] = field(default_factory=dict)
    zone_paused: list[int] = field(default_factory=list)
    """The zone's pause flags after the pause, and after the resume."""


class _Run:
    def __init__(self, rpc: AsyncClient, authority: Keypair) -> None:
        self.rpc = rpc
        self.authority = authority
        self.gov = Governance()
        self.registry = self.gov.registry
        self.coders = [self.gov.coder, self.registry.coder]
        self.seen = Observed()

    async def send(
        self, step: str, instructions: Sequence[Instruction], signers: Sequence[Keypair] = ()
    ) -> Landed:
        landed = await send_and_confirm(self.rpc, instructions, self.authority, signers, coders=self.coders)
        self.seen.events[step] = {
            "governance": [e.name for e in self.gov.coder.events(landed.logs)],
            "registry": [e.name for e in self.registry.coder.events(landed.logs)],
        }
        return landed

    async def refused(
        self,
        step: str,
        instructions: Sequence[Instruction],
        signers: Sequence[Keypair] = (),
        payer: Keypair | None = None,
    ) -> None:
        """The transaction must be refused; its one-line message is recorded. (``payer``: another fee payer,
        so that it is not the same transaction as one that landed.)"""
        try:
            await send_and_confirm(
                self.rpc, instructions, payer or self.authority, signers, coders=self.coders
            )
        except TransactionFailed as e:
            self.seen.errors[step] = str(e).splitlines()[0]
            return
        raise AssertionError(f"{step}: the transaction was accepted")

    async def account(self, address: Pubkey) -> bytes:
        info = (await self.rpc.get_account_info(address, commitment=Confirmed)).value
        assert info is not None, f"no account {address}"
        return bytes(info.data)

    async def decode(self, name: str, address: Pubkey) -> Any:
        return self.gov.coder.decode_account(name, await self.account(address))

    async def proposal_count(self) -> int:
        return int((await self.decode("Config", self.gov.config)).proposal_count)

    async def enact(
        self, name: str, target: Instruction, proposer: Keypair, approvers: Sequence[Keypair], other: Keypair
    ) -> None:
        """``target`` proposed by ``proposer``, approved by each of ``approvers`` in a transaction of its own,
        then executed (by the fee payer, who is no regulator); then executed again (paid by ``other``), which
        must fail."""
        proposal_id = await self.proposal_count()
        proposal = self.gov.proposal(proposal_id)
        await self.send(
            f"{name}: propose", [self.gov.propose(proposer.pubkey(), proposal_id, target, name)], [proposer]
        )
        for i, regulator in enumerate(approvers):
            await self.send(
                f"{name}: approve {i + 1}", [self.gov.approve(regulator.pubkey(), proposal)], [regulator]
            )
        stored = await self.decode("Proposal", proposal)
        await self.send(f"{name}: execute", [self.gov.execute(proposal, target)])
        executed = await self.decode("Proposal", proposal)
        self.seen.proposals[name] = (
            type(executed.status).__name__,
            int(stored.approval_count),
            int(stored.quorum_at != 0),
        )
        await self.refused(f"{name}: execute again", [self.gov.execute(proposal, target)], payer=other)


async def _fund(run: _Run, wallets: Sequence[Keypair]) -> None:
    payer = run.authority.pubkey()
    ixs = [transfer(TransferParams(from_pubkey=payer, to_pubkey=w.pubkey(), lamports=SOL)) for w in wallets]
    await send_and_confirm(run.rpc, ixs, run.authority)


async def run(url: str, authority: Keypair) -> Observed:
    """The scenario on the node at ``url``, whose workspace programs ``authority`` may upgrade (and whose
    registry and governance nobody initialised yet); ``authority`` pays."""
    async with AsyncClient(url, commitment=Confirmed) as rpc:
        r = _Run(rpc, authority)
        await _scenario(r)
        return r.seen


async def _scenario(r: _Run) -> None:
    registry, gov, me = r.registry, r.gov, r.authority.pubkey()
    regulators = [Keypair() for _ in range(3)]
    alice, carol, stranger = Keypair(), Keypair(), Keypair()
    await _fund(r, [*regulators, alice, carol, stranger])
    quorum = regulators[:2]
    keys = [q.pubkey() for q in quorum]

    # The market as a deployment sets it up, regulators co-signing while no governance is set.
    # (Steps that need not be apart share a transaction: each costs a slot and a vote on a validator.)
    start_registry = registry.initialize(payer=me, authority=me)
    appoint = registry.set_regulators(
        regulators=[x.pubkey() for x in regulators], threshold=2, cosigners=[me]
    )
    await r.send("registry initialize, set_regulators", [start_registry, appoint])
    zone = registry.create_zone(
        payer=me, zone_id=ZONE_ID, name="governed", max_capacity_kw=1_000, cosigners=keys
    )
    factor = registry.set_emission_factor(zone_id=ZONE_ID, g_per_kwh=EMISSION_FACTOR, cosigners=keys)
    await r.send("create_zone, set_emission_factor", [zone, factor], quorum)
    handover = registry.set_governance(governance_program=PROGRAM_ID, cosigners=[me, *keys])
    await r.send("governance initialize, set_governance", [gov.initialize(me), handover], quorum)
    # From now on a co-signing quorum no longer suffices.
    direct = registry.update_limits(limits=NEW_LIMITS, cosigners=keys)
    await r.refused("update_limits co-signed", [direct], quorum)

    # A proposal approved by two of three regulators in separate transactions, executed once.
    target = registry.update_limits(limits=NEW_LIMITS, cosigners=[gov.governance])
    await r.enact("update_limits", target, regulators[2], [regulators[2], regulators[0]], stranger)
    config = await registry.fetch_config(r.rpc)
    assert config is not None
    r.seen.limits = config.limits

    # A solar meter's device-signed reading, then a certificate for it.
    register = registry.register_user(
        payer=me, authority=alice.pubkey(), role=UserRole.PROSUMER, zone_id=ZONE_ID
    )
    verify = registry.verify_user(regulator=regulators[0].pubkey(), wallet=alice.pubkey())
    await r.send("register and verify alice", [register, verify], [alice, regulators[0]])
    device = DeviceSigner.generate()
    serial = f"GOV-{bytes(alice.pubkey())[:4].hex()}"
    meter_ix = registry.register_meter(
        payer=me, owner=alice.pubkey(), zone_id=ZONE_ID, serial=serial, device_key=device.public_key,
        source=EnergySource.SOLAR, capacity_w=CAPACITY_W,
    )  # fmt: skip
    accounts = registry.meter_accounts(serial, alice.pubkey(), ZONE_ID)
    activate = registry.activate_meter(regulator=regulators[0].pubkey(), meter=accounts.meter)
    await r.send("register and activate the meter", [meter_ix, activate], [alice, regulators[0]])
    user = await registry.fetch_user(r.rpc, alice.pubkey())
    activated = await registry.fetch_meter(r.rpc, serial)
    assert user is not None and activated is not None
    # A window starts at or after its owner's verification and the meter's registration.
    start = max(user.verified_at, activated.last_window_end)

    def reading(window_start: int, wh: int) -> list[Instruction]:
        signed = device.sign(
            registry.program_id, accounts.meter, Reading(window_start, window_start + 60, wh, 0)
        )
        return registry.reading_batch([(accounts, signed)])

    await r.send("reading", reading(start, PRODUCED_WH))
    request, certificate = gov.request(alice.pubkey(), accounts.meter, start)
    await r.send("request_certificate", [request], [alice])
    await r.refused(
        "request_certificate again", [gov.request(alice.pubkey(), accounts.meter, start + 60)[0]], [alice]
    )
    await r.refused(
        "validate by a stranger", [gov.validate(stranger.pubkey(), certificate, ZONE_ID)], [stranger]
    )
    await r.send(
        "validate_certificate", [gov.validate(regulators[1].pubkey(), certificate, ZONE_ID)], [regulators[1]]
    )
    split, child = gov.split(alice.pubkey(), certificate, 0, SPLIT_WH, carol.pubkey())
    await r.send("split_certificate", [split], [alice])
    await r.refused(
        "retire by another owner",
        [gov.retire(alice.pubkey(), child, certificate, "alice", "not hers", start)],
        [alice],
    )
    await r.send(
        "retire_certificate",
        [gov.retire(carol.pubkey(), child, certificate, "Carol's household", "home use", start)],
        [carol],
    )
    for name, address in (("parent", certificate), ("child", child)):
        c = await r.decode("Certificate", address)
        r.seen.certificates[name] = {
            "status": type(c.status).__name__,
            "owner": c.owner,
            "volume_wh": c.volume_wh,
            "co2_avoided_g": c.co2_avoided_g,
            "generation": (c.generation_start - start, c.generation_end - start),
            "original": c.original == certificate,
            "beneficiary_name": bytes(c.retirement.beneficiary_name).rstrip(b"\0").decode(),
        }
    meter = await registry.fetch_meter(r.rpc, serial)
    assert meter is not None
    r.seen.meter = {"certified_wh": meter.certified_wh, "certificate_wh": meter.certificate_wh}

    # One regulator pauses the zone's readings and minting at once; resuming takes a proposal.
    paused = PauseFlag.READINGS | PauseFlag.MINTING
    pause = registry.pause_zone(regulator=regulators[2].pubkey(), zone_id=ZONE_ID, flags=paused)
    await r.send("pause_zone", [pause], [regulators[2]])
    r.seen.zone_paused.append(await _paused(r))
    await r.refused("reading while paused", reading(start + 60, PRODUCED_WH))
    resume = registry.resume_zone(zone_id=ZONE_ID, flags=PauseFlag.READINGS, cosigners=[gov.governance])
    await r.enact("resume_zone", resume, regulators[1], [regulators[1], regulators[2]], stranger)
    r.seen.zone_paused.append(await _paused(r))
    await r.send("reading after resume", reading(start + 60, PRODUCED_WH))
    # Minting is still paused: the new production gets no certificate (the registry refuses in the CPI).
    await r.refused(
        "request_certificate while minting is paused",
        [gov.request(alice.pubkey(), accounts.meter, start + 60)[0]],
        [alice],
    )


async def _paused(r: _Run) -> int:
    zone = await r.registry.fetch_zone(r.rpc, ZONE_ID)
    assert zone is not None
    return zone.paused

"""The governance program's real transactions in LiteSVM, as the indexer reads them from a node.

:class:`Recorder` wraps the VM of the programs' harnesses (``tests/programs``: the governance harness on
top of the trading and registry ones) and keeps every transaction that succeeds, each in a slot of its
own, as ``getTransaction`` (``json`` encoding) would return it: the message, the logs, the inner
instructions, the block time. The indexer reads them through its own parser (``fetched_transaction``),
so what the tests store is what catch-up would store from a node running these programs.

:func:`lifecycle` drives the programs through the certificates harness (:class:`CertEnv`, which builds
every instruction from ``idl/governance.json`` through anchorpy's coder, as SolGrid's clients do).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from solders.compute_budget import set_compute_unit_limit
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.message import Message
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction
from solders.transaction_metadata import TransactionMetadata

from solgrid.indexer.chain import fetched_transaction
from solgrid.indexer.decode import EventDecoder
from solgrid.indexer.service import default_coders
from solgrid.indexer.store import FetchedTransaction
from solgrid.localnet.engine import Engine
from solgrid.localnet.render import transaction_json
from solgrid.localnet.svm import MAX_COMPUTE_UNITS, deploy, features_blocking_deploy, new_svm
from solgrid.localnet.txmeta import inner_instructions_json
from solgrid.sdk.energy_token import EnergyTokenClient
from solgrid.sdk.readings import DeviceSigner
from solgrid.sdk.registry import EnergySource, RegistryClient
from solgrid.sdk.registry_governance import PauseFlag
from solgrid.sdk.trading import TradingClient

PROGRAMS = Path(__file__).resolve().parents[1] / "programs"
if str(PROGRAMS) not in sys.path:  # the programs' harnesses (plain modules of tests/programs)
    sys.path.append(str(PROGRAMS))

from certificates_harness import CertEnv  # noqa: E402
from governance_harness import (  # noqa: E402
    DAY,
    PROGRAM_ID,
    GovernanceEnv,
    Params,
    governance_keypair,
)
from registry_harness import LAMPORTS, Prosumer, RegistryEnv  # noqa: E402
from trading_harness import TradingEnv  # noqa: E402

__all__ = ["DAY", "PROGRAM_ID", "CertEnv", "GovernanceEnv", "Params", "Recorder", "governance_world"]


class Recorder:
    """The VM, recording each successful transaction (see the module docstring); everything else is the
    VM's."""

    def __init__(self, svm: Engine) -> None:
        self._svm = svm
        self.sent: list[FetchedTransaction] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._svm, name)

    def send_transaction(self, tx: VersionedTransaction) -> Any:
        result = self._svm.send_transaction(tx)
        if isinstance(result, TransactionMetadata):
            clock = self._svm.get_clock()
            self.sent.append(fetched_transaction(str(tx.signatures[0]), _get_transaction(tx, result, clock)))
            self._svm.warp_to_slot(clock.slot + 1)  # one transaction per slot: chain order is slot order
        return result

    def since(self, start: int) -> list[FetchedTransaction]:
        return self.sent[start:]


def _get_transaction(tx: VersionedTransaction, meta: TransactionMetadata, clock: Any) -> dict[str, Any]:
    return {
        "slot": int(clock.slot),
        "blockTime": int(clock.unix_timestamp),
        "transaction": transaction_json(tx),
        "meta": {
            "err": None,
            "logMessages": list(meta.logs()),
            "innerInstructions": inner_instructions_json(meta.inner_instructions()),
            "preTokenBalances": [],
            "postTokenBalances": [],
            "loadedAddresses": {"writable": [], "readonly": []},
        },
    }


def governance_world(elves: dict[str, bytes], params: Params | None = None) -> tuple[GovernanceEnv, Recorder]:
    """Registry, energy_token and trading added at their IDL addresses, governance deployed (the payer its
    upgrade authority) and initialised, the trading harness's market set up; governance not yet named
    the registry's (``env.set_governance()``). Every transaction after the deployment is recorded."""
    svm = new_svm(deactivate=features_blocking_deploy(*elves.values()))
    payer = Keypair()
    svm.airdrop(payer.pubkey(), LAMPORTS)
    registry, trading = RegistryClient(), TradingClient()
    svm.add_program(registry.program_id, elves["registry"])
    svm.add_program(trading.program_id, elves["trading"])
    svm.add_program(EnergyTokenClient().program_id, elves["energy_token"])
    deploy(svm, payer, elves["governance"], governance_keypair())
    recorder = Recorder(svm)
    env = GovernanceEnv(
        TradingEnv(RegistryEnv(recorder, payer, registry, "add_program"), trading), mode="deploy"
    )  # type: ignore[arg-type]
    env.setup(params, governed=False)
    return env, recorder


# -- the lifecycle the indexer tests index -----------------------------------------------------------

ZONE, SOUTH = 7, 8
"""The harness's zone (emission factor 400 g/kWh, set by a proposal) and a second one (100, co-signed)."""


def prosumer_in(env: GovernanceEnv, zone_id: int, source: EnergySource) -> Prosumer:
    """A verified prosumer of ``zone_id`` with an active meter of ``source``."""
    reg = env.registry
    wallet = reg.wallet()
    reg.register(wallet, zone_id=zone_id)
    reg.verify(wallet.pubkey())
    device = DeviceSigner.generate()
    serial = reg.next_serial()
    meter = reg.register_meter(wallet, device, serial, source=source)
    reg.activate(meter)
    return Prosumer(wallet, serial, device, reg.client.meter_accounts(serial, wallet.pubkey(), zone_id))


@dataclass
class Lifecycle:
    """What :func:`lifecycle` did: its transactions, in chain order, and who and what took part."""

    txs: list[FetchedTransaction]
    env: GovernanceEnv
    alice: Prosumer
    erin: Prosumer
    bob: Keypair
    carol: Keypair
    dave: Keypair
    household: Keypair
    certificates: dict[str, Pubkey]
    proposals: dict[str, Pubkey]

    @property
    def regulators(self) -> list[Keypair]:
        return self.env.regulators


def lifecycle(env: GovernanceEnv, recorder: Recorder) -> Lifecycle:
    """Pauses and a resume co-signed before governance; then governance named, proposals executed (an
    emission factor, a resume, a revocation), rejected and closed, cancelled; certificates requested,
    validated, split, retired, transferred, revoked by proposals (twice), expired and left
    pending, in two zones."""
    reg, c = env.registry, env.registry.client
    r0, r1, r2 = env.regulators
    quorum = reg.quorum()
    cosigners = [q.pubkey() for q in quorum]
    reg.create_zone(SOUTH, "south")
    env.send([c.set_emission_factor(zone_id=SOUTH, g_per_kwh=100, cosigners=cosigners)], quorum)
    both = PauseFlag.READINGS | PauseFlag.MINTING
    env.send([c.pause_zone(regulator=r0.pubkey(), zone_id=ZONE, flags=both)], [r0])
    env.send([c.pause_market(regulator=r1.pubkey(), flags=PauseFlag.TRADING)], [r1])
    env.send([c.resume_zone(zone_id=ZONE, flags=PauseFlag.READINGS, cosigners=cosigners)], quorum)
    env.set_governance()

    proposals: dict[str, Pubkey] = {}
    factor = c.set_emission_factor(zone_id=ZONE, g_per_kwh=400, cosigners=env.gov())
    proposals["factor"] = env.propose(r0, factor, title="Zone 7 grid mix: 400 g/kWh")
    env.reject(r2, proposals["factor"])
    env.approve(r0, proposals["factor"])
    env.approve(r1, proposals["factor"])
    env.execute(proposals["factor"])
    resume = c.resume_zone(zone_id=ZONE, flags=PauseFlag.MINTING, cosigners=env.gov())
    proposals["resume"] = env.approved(resume, title="Resume minting in zone 7")
    env.execute(proposals["resume"])
    reopen = c.resume_market(flags=PauseFlag.TRADING, cosigners=env.gov())
    proposals["rejected"] = env.propose(r1, reopen, title="Reopen trading")
    env.reject(r0, proposals["rejected"])
    env.reject(r2, proposals["rejected"])
    env.send([env.close_ix(proposals["rejected"], r1.pubkey())])
    proposals["cancelled"] = env.propose(r2, reopen, title="Reopen trading (again)")
    env.approve(r2, proposals["cancelled"])
    env.send([env.cancel_ix(r2.pubkey(), proposals["cancelled"])], [r2])

    certs = CertEnv(env)
    alice = certs.prosumer()
    bob, carol, dave, household = certs.wallet(), Keypair(), Keypair(), Keypair()
    ids: dict[str, Pubkey] = {}
    certs.produce(alice, 3, 600)
    ids["c1"] = certs.request(alice)
    certs.validate(ids["c1"], r0)  # 1,800 Wh at 400 g/kWh: 720 g
    ids["k1"] = certs.split(alice.wallet, ids["c1"], 500, carol.pubkey())  # 200 g; 1,300 Wh, 520 g left
    month = (env.now() - 30 * DAY, env.now())
    certs.retire(
        carol,
        ids["k1"],
        beneficiary=household.pubkey(),
        name="Carol's household",
        purpose="home electricity",
        consumption=month,
    )
    certs.transfer(alice.wallet, ids["c1"], bob.pubkey())
    ids["k2"] = certs.split(bob, ids["c1"], 300, dave.pubkey())  # 120 g; 1,000 Wh, 400 g left
    certs.produce(alice, 2, 600)
    ids["c2"] = certs.request(alice)
    certs.validate(ids["c2"], r1)
    certs.revoke_through_proposal(ids["c2"], reason="meter seal broken")
    proposals["revoke_seal"] = env.proposal_pda(env.config().proposal_count - 1).address
    certs.produce(alice, 1, 600)
    ids["c3"] = certs.request(alice)
    certs.validate(ids["c3"], r0)
    env.warp(env.config().certificate_validity_secs + 1)
    certs.expire(ids["c3"])
    certs.produce(alice, 1, 450)
    ids["c4"] = certs.request(alice)
    certs.revoke_through_proposal(ids["c4"], reason="duplicate claim")
    proposals["revoke"] = env.proposal_pda(env.config().proposal_count - 1).address
    certs.produce(alice, 1, 350)
    ids["c5"] = certs.request(alice)  # left pending
    erin = prosumer_in(env, SOUTH, EnergySource.WIND)
    certs.produce(erin, 2, 700)
    ids["e1"] = certs.request(erin)
    south = c.zone_pda(SOUTH).address
    certs.run("validate_certificate", certs.validate_ix(r2.pubkey(), ids["e1"], zone=south), [r2])  # 140 g
    return Lifecycle(list(recorder.sent), env, alice, erin, bob, carol, dave, household, ids, proposals)


# -- a revoked lineage -----------------------------------------------------------------------------------


@dataclass
class SplitLineage:
    """What :func:`split_lineage` did, to go on from: ``ids`` names the certificates (c1, k1, k11)."""

    env: GovernanceEnv
    recorder: Recorder
    certs: CertEnv
    alice: Prosumer
    carol: Keypair
    dave: Keypair
    ids: dict[str, Pubkey]


@dataclass
class Revoked:
    """A revoked lineage as the indexer tests index it: the transactions in chain order, the certificates
    by name, their owners' addresses, and c1's expiry (its split parts share it)."""

    txs: list[FetchedTransaction]
    ids: dict[str, Pubkey]
    owners: dict[str, str]
    expiry: int


def split_lineage(elves: dict[str, bytes]) -> SplitLineage:
    """Zone 7's emission factor co-signed (400 g/kWh), governance named; alice's c1 (1,800 Wh, 720 g)
    validated, k1 (500 Wh, 200 g) split off it to carol, who splits k11 (200 Wh, 80 g) off to dave."""
    env, recorder = governance_world(elves, Params(certificate_validity_secs=30 * DAY))
    reg, c = env.registry, env.registry.client
    quorum = reg.quorum()
    env.send(
        [c.set_emission_factor(zone_id=ZONE, g_per_kwh=400, cosigners=[q.pubkey() for q in quorum])], quorum
    )
    env.set_governance()
    certs = CertEnv(env)
    alice = certs.prosumer()
    carol, dave = certs.wallet(), Keypair()
    ids: dict[str, Pubkey] = {}
    certs.produce(alice, 3, 600)
    ids["c1"] = certs.request(alice)
    certs.validate(ids["c1"])
    ids["k1"] = certs.split(alice.wallet, ids["c1"], 500, carol.pubkey())
    ids["k11"] = certs.split(carol, ids["k1"], 200, dave.pubkey())  # k1 keeps 300 Wh, 120 g
    return SplitLineage(env, recorder, certs, alice, carol, dave, ids)


# -- truncated logs --------------------------------------------------------------------------------------

MEMO = Pubkey.from_string("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr")


def cut_before(
    env: GovernanceEnv, ours: Sequence[Instruction], signers: Sequence[Keypair] = ()
) -> list[Instruction]:
    """``ours`` after enough empty memos (anyone may add them: the fee payer chooses the instructions)
    that the runtime's 10 KB log limit cuts the logs before any event of ours is logged (found by
    simulating, as the transaction will be sent by the harness: compute budget first)."""
    decoder = EventDecoder(default_coders())
    payer = env.payer
    for count in range(20, 80):
        candidate = [*[Instruction(MEMO, b"", [])] * count, *ours]
        message = Message.new_with_blockhash(
            [set_compute_unit_limit(MAX_COMPUTE_UNITS), *candidate],
            payer.pubkey(),
            env.svm.latest_blockhash(),
        )
        keys = {bytes(k.pubkey()): k for k in [payer, *signers]}
        simulated = env.svm.simulate(VersionedTransaction(message, list(keys.values())))
        assert simulated.err is None, simulated.err
        decoded = decoder.decode_logs(list(simulated.result.meta().logs()))
        if decoded.truncated and not [e for e in decoded.events if e.instruction_index > count]:
            return candidate
    raise AssertionError("no number of memos cuts the logs before the instruction's events")

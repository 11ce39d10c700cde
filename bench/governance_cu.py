"""Compute units of governance and certificates (issue 14), measured in the in-process LiteSVM with every
program deployed through BPFLoaderUpgradeable at its IDL address.

Usage: ``.venv/bin/python bench/governance_cu.py [DEPLOY_DIR]`` (default ``target/deploy``) prints one
JSON object with every measurement (no baseline: ``bench/run.py governance`` adds it).

:func:`measure` is what ``bench/run.py`` imports. The set-up is the tests' own
(``tests/programs/governance_harness.py``): the registry (three regulators, threshold 2, zone 7), trading
(its Config, two mints, one market), energy_token and governance in one VM; the payer, the mints, the
regulators and every wallet, meter and device key come from fixed seeds and the clock is pinned, so the
numbers are deterministic. What is measured (CU of the top-level instruction unless said otherwise):

* certificates: ``request_certificate`` (a solar meter's production accepted through a device-signed
  reading; the first request and a later one, split into the registry's ``certify_meter`` CPI and the
  rest), ``validate_certificate``, ``transfer_certificate``, ``split_certificate`` (into a child for
  another owner) and ``retire_certificate`` (64-byte beneficiary name and purpose: the longest texts),
  the last three on split children (which also read their original); ``revoke_certificate`` (executed
  as a proposal: governance is set) and ``expire_certificate`` for information;
* proposals: ``propose``, ``approve`` (the first approval, the one that reaches the quorum, and the worst:
  the eighth of eight regulators with threshold 8), ``reject``, ``cancel``, ``close_proposal``;
* ``execute`` of privileged actions: each target first run directly, co-signed by a quorum of regulators
  before ``set_governance``, then the same instruction proposed, approved by two regulators in separate
  transactions and executed; the difference is what governance adds. The target's own CU inside the
  CPI are read from the logs too (once governance is set, the target checks the governance PDA instead
  of the regulators' signatures);
* ``pause_zone`` / ``pause_market`` (one regulator);
* proposals for the upgradeable loader: ``propose`` of a SetAuthority of each SolGrid program's
  ProgramData (propose derives the ProgramData of the four programs in the Config's order until one
  matches: registry first, governance last), and ``execute`` of one (trading's upgrade authority handed
  to the governance PDA by the deployer, then back by a proposal), and ``propose`` + ``execute`` of an
  ``Upgrade`` of trading (each hashes the whole buffer: the pin of the approved code).

:func:`hot_paths` runs the instructions the pause check touches (``submit_readings``,
``settle_and_mint``, ``place_order``, ``place_auction_order``) in a VM of their own, for this tree's
programs and, given a :class:`baseline.Baseline`, for an earlier commit's in another VM with the same
seeds, the instructions laid out as that commit's IDLs take them (:class:`baseline.LayoutAdapter`).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from itertools import pairwise
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "programs"))  # the tests' LiteSVM harness

from baseline import Baseline, LayoutAdapter  # noqa: E402
from certificates_harness import CertEnv  # noqa: E402
from governance_harness import (  # noqa: E402
    DAY,
    HOUR,
    GovernanceEnv,
    Params,
    governance_keypair,
)
from registry_harness import LAMPORTS, T0, ZONE_ID, Prosumer, RegistryEnv  # noqa: E402
from registry_harness import program_keypair as registry_keypair  # noqa: E402
from solders.instruction import AccountMeta, Instruction  # noqa: E402
from solders.keypair import Keypair  # noqa: E402
from solders.pubkey import Pubkey  # noqa: E402
from trading_harness import KeyedSent, Trader, TradingEnv, trading_keypair  # noqa: E402

from solgrid.localnet.engine import Engine  # noqa: E402
from solgrid.localnet.svm import Sent, deploy, features_blocking_deploy, new_svm, send_v0_svm  # noqa: E402
from solgrid.sdk import loader  # noqa: E402
from solgrid.sdk.energy_token import EnergyTokenClient  # noqa: E402
from solgrid.sdk.governance import upgrade_authority  # noqa: E402
from solgrid.sdk.readings import DeviceSigner, Reading, SignedReading  # noqa: E402
from solgrid.sdk.registry import EnergySource, Limits, MeterAccounts, RegistryClient, UserRole  # noqa: E402
from solgrid.sdk.registry_governance import PauseFlag  # noqa: E402
from solgrid.sdk.trading import MarketParams, TradingClient  # noqa: E402
from solgrid.sdk.trading.units import Side  # noqa: E402

PROGRAMS = ("registry", "trading", "energy_token", "governance")
HOT_PATH_PROGRAMS = ("registry", "trading", "energy_token")
OTHER_ZONE_ID = 8  # the hot paths' periodic market
CAPACITY_W = 10_000
EMISSION_FACTOR = 400  # g CO2 per kWh
BATCH = 6  # readings in one submit_readings (the oracle's batch)
TEXT = "x" * 64  # the longest beneficiary name and purpose a retirement takes
REGULATORS_MAX = 8  # the registry's MAX_REGULATORS
FUNDS = 10**12


def _seeded(n: int) -> Keypair:
    return Keypair.from_seed(n.to_bytes(32, "little"))


class _Seeds:
    """Fixed-seed keypairs, each seed used once."""

    def __init__(self, start: int) -> None:
        self._next = start

    def __call__(self) -> Keypair:
        return Keypair.from_seed(self.raw())

    def raw(self) -> bytes:
        self._next += 1
        return self._next.to_bytes(32, "little")


# -- reading the logs ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Invocation:
    program: str
    depth: int
    cu: int


def invocations(logs: Sequence[str]) -> list[Invocation]:
    """Every invocation that logged its consumption, with its depth (1 = top level), in the order they
    returned. Builtins (System, ComputeBudget) log none."""
    stack: list[str] = []
    found: list[Invocation] = []
    for line in logs:
        words = line.split()
        if len(words) < 3 or words[0] != "Program":
            continue
        if words[2] == "invoke":
            stack.append(words[1])
        elif stack and words[1] == stack[-1]:
            if words[2] == "consumed":
                found.append(Invocation(words[1], len(stack), int(words[3])))
            elif words[2] in ("success", "failed:"):
                stack.pop()
    return found


def inner_cu(sent: Sent, program_id: Pubkey, depth: int = 2) -> int:
    """CU of the one invocation of ``program_id`` at ``depth``."""
    [found] = [i.cu for i in invocations(sent.logs) if i.program == str(program_id) and i.depth == depth]
    return found


# -- the VM ----------------------------------------------------------------------------------------------


def _keypair_of(name: str) -> Keypair:
    if name == "registry":
        return registry_keypair()
    if name == "trading":
        return trading_keypair()
    if name == "governance":
        return governance_keypair()
    return Keypair.from_bytes(bytes(json.loads((REPO / "keys" / f"{name}-keypair.json").read_text())))


def _vm(elves: Mapping[str, bytes]) -> tuple[Engine, Keypair]:
    """A VM with ``elves`` deployed (BPFLoaderUpgradeable, the payer their upgrade authority) at their ids."""
    svm = new_svm(deactivate=features_blocking_deploy(*elves.values()))
    payer = _seeded(1)
    svm.airdrop(payer.pubkey(), LAMPORTS)
    for name, elf in elves.items():
        deploy(svm, payer, elf, _keypair_of(name))
    return svm, payer


def _market(svm: Engine, payer: Keypair, seeds: _Seeds) -> TradingEnv:
    """The harness's market with fixed seeds: registry Config at T0, three regulators (threshold 2), zone
    ZONE_ID, both mints, trading's Config."""
    env = TradingEnv(
        RegistryEnv(svm, payer, RegistryClient(), "deploy"),
        TradingClient(),
        base_mint=_seeded(2),
        quote_mint=_seeded(3),
        mode="deploy",
    )
    registry = env.registry
    registry.set_unix_time(T0)
    registry.initialize()
    regulators = [seeds() for _ in range(3)]
    for r in regulators:
        svm.airdrop(r.pubkey(), LAMPORTS)
    ix = registry.client.set_regulators(
        regulators=[r.pubkey() for r in regulators], threshold=2, cosigners=[payer.pubkey()]
    )
    registry.send([ix])
    registry.regulators = regulators
    registry.create_zone()
    env.create_mint(env.base_mint, 9)
    env.create_mint(env.quote_mint, 6)
    env.send([env.initialize_ix()])
    return env


def _prosumer(
    registry: RegistryEnv, seeds: _Seeds, serial: str, zone_id: int = ZONE_ID, meter: bool = True
) -> Prosumer:
    """A verified prosumer of fixed seeds in ``zone_id``; with ``meter``, an active solar meter."""
    wallet = seeds()
    registry.svm.airdrop(wallet.pubkey(), LAMPORTS)
    registry.register(wallet, UserRole.PROSUMER, zone_id)
    registry.verify(wallet.pubkey())
    device = DeviceSigner.from_seed(seeds.raw())
    if meter:
        address = registry.register_meter(wallet, device, serial.encode(), CAPACITY_W, EnergySource.SOLAR)
        registry.activate(address)
    accounts = registry.client.meter_accounts(serial, wallet.pubkey(), zone_id)
    return Prosumer(wallet, serial.encode(), device, accounts)


def _reading(
    registry: RegistryEnv, m: Prosumer, start: int, produced: int
) -> tuple[MeterAccounts, SignedReading]:
    signed = m.device.sign(registry.program_id, m.meter, Reading(start, start + HOUR, produced, 100))
    return m.accounts, signed


# -- results ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    """A ``request_certificate`` and where its CU go."""

    cu: int
    certify_meter_cu: int
    """The registry's ``certify_meter``, run by CPI (its own CU)."""
    volume_wh: int

    @property
    def own_cu(self) -> int:
        """governance's own part: checks, the certificate's PDA and account (a System CPI), both CPIs'
        invocation charges, the event."""
        return self.cu - self.certify_meter_cu


@dataclass(frozen=True)
class Execution:
    """One privileged instruction run directly by a quorum, and through a proposal."""

    target: str
    direct_cu: int
    """The target alone, co-signed by two regulators, before ``set_governance``."""
    execute_cu: int
    """``execute`` of the same instruction, approved by two regulators (its CPI included)."""
    inner_cu: int
    """The target's CU inside that CPI (it then checks the governance PDA, not the regulators)."""
    accounts: int
    data_bytes: int
    propose_cu: int

    @property
    def added_cu(self) -> int:
        """What going through governance adds to running the target directly."""
        return self.execute_cu - self.direct_cu

    @property
    def execute_own_cu(self) -> int:
        """``execute``'s own part: everything but the target's run."""
        return self.execute_cu - self.inner_cu


@dataclass(frozen=True)
class HotPath:
    name: str
    cu: int
    baseline_cu: int | None
    added_accounts: tuple[str, ...]
    """Accounts the instruction (or, for settle_and_mint, the CPI it makes) takes since the baseline."""


@dataclass(frozen=True)
class GovernanceBench:
    requests: list[Request]
    certificates: dict[str, int]
    """CU of validate, transfer, split, retire, revoke, expire (a figure per instruction)."""
    approvals: dict[str, int]
    """``first``, ``quorum`` (the approval that reaches the threshold), ``worst`` (of ``approval_series``)."""
    approval_series: list[int]
    """CU of the k-th approval of a proposal of eight regulators with threshold 8, k = 1..8."""
    executions: list[Execution]
    worst_execution: Execution
    """The same target as the first execution, approved by eight regulators of eight."""
    other: dict[str, int]
    hot_paths: list[HotPath] = field(default_factory=list)
    baseline: str | None = None
    """The commit the hot paths are compared with, or why there is none."""
    baseline_build_secs: float | None = None

    def key_compare_cu(self) -> float:
        """What comparing two 32-byte keys costs, from ``approval_series``: the k-th of n approvals (in the
        registry's order) makes one comparison fewer than the one before it, so the steps between
        successive approvals shrink by one comparison each (the median of that shrink, from the third
        approval on)."""
        steps = [b - a for a, b in pairwise(self.approval_series)]
        shrink = sorted(a - b for a, b in pairwise(steps[1:]))
        return float(shrink[len(shrink) // 2]) if shrink else 0.0

    def to_json(self) -> dict[str, object]:
        return asdict(self)


# -- governance and certificates -------------------------------------------------------------------------


class _Session:
    def __init__(self, elves: Mapping[str, bytes]) -> None:
        svm, payer = _vm({name: elves[name] for name in PROGRAMS})
        self.seeds = _Seeds(1_000)
        trading = _market(svm, payer, self.seeds)
        self.env = GovernanceEnv(trading, mode="deploy")
        self.registry = trading.registry
        self.client = self.registry.client
        self.env.initialize(Params(certificate_validity_secs=DAY))
        self.market = trading.create_market()
        self.other: dict[str, int] = {}

    @property
    def regulators(self) -> list[Keypair]:
        return self.registry.regulators

    def quorum(self) -> list[Keypair]:
        return self.registry.quorum()

    def cu(self, sent: Sent, program_id: Pubkey | None = None) -> int:
        return sent.program_cu(program_id or self.env.program_id)


def _targets(s: _Session, cosigners: Sequence[Pubkey], round_: int) -> list[tuple[str, Instruction]]:
    """The privileged instructions measured both ways; ``round_`` changes their values."""
    client, trading = s.client, s.env.trading
    fee = trading.market_state(s.market).header.taker_fee_bps
    return [
        (
            "registry update_limits",
            client.update_limits(limits=Limits(max_meters_per_user=4 + round_), cosigners=cosigners),
        ),
        (
            "registry set_emission_factor",
            client.set_emission_factor(
                zone_id=ZONE_ID, g_per_kwh=EMISSION_FACTOR + 50 * round_, cosigners=cosigners
            ),
        ),
        (
            "registry resume_zone (after a pause by one regulator)",
            client.resume_zone(zone_id=ZONE_ID, flags=PauseFlag.ALL, cosigners=cosigners),
        ),
        (
            "trading update_market (taker fee)",
            trading.update_market_ix(s.market, taker_fee_bps=fee + 1, cosigners=cosigners),
        ),
    ]


def _pause(s: _Session) -> None:
    r = s.regulators[0]
    sent = s.env.send([s.client.pause_zone(regulator=r.pubkey(), zone_id=ZONE_ID, flags=PauseFlag.ALL)], [r])
    s.other["registry pause_zone (one regulator)"] = s.cu(sent, s.registry.program_id)


def _measure_executions(s: _Session) -> tuple[list[Execution], dict[str, int]]:
    env = s.env
    quorum = s.quorum()
    direct: dict[str, int] = {}
    _pause(s)
    for name, ix in _targets(s, [r.pubkey() for r in quorum], 0):
        direct[name] = env.send([ix], quorum).program_cu(ix.program_id)
    r = s.regulators[0]
    sent = env.send([s.client.pause_market(regulator=r.pubkey(), flags=PauseFlag.READINGS)], [r])
    s.other["registry pause_market (one regulator)"] = s.cu(sent, s.registry.program_id)
    env.send(
        [s.client.resume_market(flags=PauseFlag.READINGS, cosigners=[q.pubkey() for q in quorum])], quorum
    )

    env.set_governance()
    _pause(s)
    approvals: dict[str, int] = {}
    executions = []
    for name, ix in _targets(s, env.gov(), 1):
        proposal_ix, proposal = env.propose_ix(r.pubkey(), ix)
        propose_cu = s.cu(env.send([proposal_ix], [r]))
        first, second = (s.cu(env.approve(q, proposal)) for q in quorum)
        approvals["first"] = max(approvals.get("first", 0), first)
        approvals["quorum"] = max(approvals.get("quorum", 0), second)
        sent = env.execute(proposal)
        assert env.status(proposal) == "Executed"
        executions.append(
            Execution(
                name,
                direct[name],
                s.cu(sent),
                inner_cu(sent, ix.program_id),
                len(ix.accounts),
                len(bytes(ix.data)),
                propose_cu,
            )
        )
        s.other["close_proposal"] = s.cu(env.send([env.close_ix(proposal, r.pubkey())]))
    return executions, approvals


def _measure_votes(s: _Session) -> None:
    env = s.env
    r0, _, r2 = s.regulators
    target = env.update_limits_ix(Limits(max_meters_per_user=9))
    rejected = env.propose(r0, target)
    s.other["reject (the first rejection)"] = s.cu(env.reject(r2, rejected))
    cancelled = env.propose(r0, target)
    s.other["cancel (by the proposer)"] = s.cu(env.send([env.cancel_ix(r0.pubkey(), cancelled)], [r0]))


def _measure_worst(s: _Session, first: Execution) -> tuple[list[int], Execution]:
    """Eight regulators with threshold 8 (set by a proposal), then a proposal every one of them approves:
    the worst approval (the eighth) and an execution that counts eight approvals."""
    env = s.env
    regulators = [*s.regulators, *(s.seeds() for _ in range(REGULATORS_MAX - len(s.regulators)))]
    for r in regulators:
        env.svm.airdrop(r.pubkey(), LAMPORTS)
    target = env.set_regulators_ix([r.pubkey() for r in regulators], REGULATORS_MAX)
    env.enact(target)
    s.registry.regulators = regulators
    assert s.registry.config().regulator_threshold == REGULATORS_MAX
    ix = env.update_limits_ix(Limits(max_meters_per_user=12))
    proposal_ix, proposal = env.propose_ix(regulators[0].pubkey(), ix)
    propose_cu = s.cu(env.send([proposal_ix], [regulators[0]]))
    votes = [s.cu(env.approve(r, proposal)) for r in regulators]
    sent = env.execute(proposal)
    worst = Execution(
        f"{first.target}, {REGULATORS_MAX} approvals of {REGULATORS_MAX} regulators",
        first.direct_cu,
        s.cu(sent),
        inner_cu(sent, ix.program_id),
        len(ix.accounts),
        len(bytes(ix.data)),
        propose_cu,
    )
    return votes, worst


def _measure_upgrade_authority(s: _Session) -> None:
    env = s.env
    r = s.regulators[0]
    gov = env.governance_pda().address
    programs = {
        "registry": s.registry.program_id,
        "trading": env.trading.client.program_id,
        "energy_token": env.token_program_id(),
        "governance": env.program_id,
    }
    tries = 0
    for position, (name, program) in enumerate(programs.items(), 1):
        tries += 256 - Pubkey.find_program_address([bytes(program)], loader.LOADER_V3)[1]
        proposal_id = env.config().proposal_count
        pda_tries = 256 - env.proposal_pda(proposal_id).bump
        action = upgrade_authority.set_upgrade_authority(program, gov, env.payer.pubkey())
        ix, _ = env.propose_ix(r.pubkey(), action)
        label = (
            f"propose loader SetAuthority, {name}'s ProgramData (derived {position} of 4; "
            f"{tries} bump tries for ProgramData, {pda_tries} for the proposal PDA)"
        )
        s.other[label] = s.cu(env.send([ix], [r]))
    trading = programs["trading"]
    env.send([loader.set_upgrade_authority(trading, env.payer.pubkey(), gov)])
    proposal = env.approved(upgrade_authority.set_upgrade_authority(trading, gov, env.payer.pubkey()))
    sent = env.execute(proposal)
    assert env.status(proposal) == "Executed"
    s.other["execute loader SetAuthority (trading's authority back to the deployer)"] = s.cu(sent)
    # An Upgrade of trading (the largest ELF): propose hashes the buffer to pin it, execute hashes it again.
    env.send([loader.set_upgrade_authority(trading, env.payer.pubkey(), gov)])
    elf = bytes(env.registry.data(loader.programdata_address(trading))[loader.PROGRAMDATA_HEADER_LEN :])
    buffer = _governed_buffer(env, elf)
    proposal_id = env.config().proposal_count
    ix, proposal = env.propose_ix(r.pubkey(), upgrade_authority.upgrade(trading, buffer, r.pubkey(), gov))
    kb = f"{len(elf) / 1000:.0f} KB"
    s.other[f"propose loader Upgrade (trading, {kb} buffer hashed to pin it)"] = s.cu(env.send([ix], [r]))
    assert env.proposal(proposal).id == proposal_id
    for regulator in s.registry.quorum():
        env.approve(regulator, proposal)
    env.svm.warp_to_slot(env.svm.get_clock().slot + 1)
    env.svm.expire_blockhash()
    sent = env.execute(proposal)
    assert env.status(proposal) == "Executed"
    s.other[f"execute loader Upgrade (trading, {kb} buffer hashed again; loader's own CU included)"] = s.cu(
        sent
    )


def _governed_buffer(env: GovernanceEnv, elf: bytes) -> Pubkey:
    """A loader buffer holding ``elf`` whose authority is the governance PDA."""
    buffer = Keypair()
    rent = env.svm.minimum_balance_for_rent_exemption(loader.BUFFER_HEADER_LEN + len(elf))
    payer = env.payer.pubkey()
    env.send(
        [
            loader.create_buffer(payer, buffer.pubkey(), rent, len(elf)),
            loader.initialize_buffer(buffer.pubkey(), payer),
        ],
        [buffer],
    )
    for offset in range(0, len(elf), 900):
        env.send([loader.write(buffer.pubkey(), payer, offset, elf[offset : offset + 900])])
    env.send([loader.set_buffer_authority(buffer.pubkey(), payer, env.governance_pda().address)])
    return buffer.pubkey()


def _measure_certificates(s: _Session) -> tuple[list[Request], dict[str, int]]:
    env, certs = s.env, CertEnv(s.env)
    registry = s.registry
    cu: dict[str, int] = {}
    alice = _prosumer(registry, s.seeds, "BENCH-CERT-0001")
    bob, carol, dave, erin = s.seeds(), s.seeds(), s.seeds(), s.seeds()
    for w in (bob, carol, dave, erin):
        env.svm.airdrop(w.pubkey(), LAMPORTS)

    def produce(start: int, wh: int) -> None:
        registry.set_unix_time(start + HOUR)
        registry.send(registry.client.reading_batch([_reading(registry, alice, start, wh)]))

    def request() -> tuple[Request, Pubkey]:
        ix = certs.request_ix(alice.wallet.pubkey(), alice)
        sent = env.send([ix], [alice.wallet])
        certificate = ix.accounts[5].pubkey
        volume = certs.certificate(certificate).volume_wh
        return Request(s.cu(sent), inner_cu(sent, registry.program_id), volume), certificate

    produce(T0, 6_000)
    first, certificate = request()
    assert first.volume_wh == 6_000
    validator = s.regulators[0]
    validate = certs.validate_ix(validator.pubkey(), certificate)
    cu["validate_certificate"] = s.cu(env.send([validate], [validator]))
    # Transfer, split and retire measured on split children: each also reads its original (the
    # requested certificate, which must not be revoked), the dearer case; a requested certificate
    # passes itself as its original and nothing more is read.
    env.send([certs.transfer_ix(alice.wallet.pubkey(), certificate, bob.pubkey())], [alice.wallet])
    split = certs.split_ix(bob.pubkey(), certificate, 2_000, carol.pubkey())
    child = split.accounts[2].pubkey
    env.send([split], [bob])
    split = certs.split_ix(carol.pubkey(), child, 500, dave.pubkey())
    grandchild = split.accounts[2].pubkey
    cu["split_certificate (500 of a 2,000 Wh split child, to another owner)"] = s.cu(
        env.send([split], [carol])
    )
    volumes = [certs.certificate(a).volume_wh for a in (certificate, child, grandchild)]
    assert volumes == [4_000, 1_500, 500]
    cu["transfer_certificate (a split child, whole, to another owner)"] = s.cu(
        env.send([certs.transfer_ix(carol.pubkey(), child, erin.pubkey())], [carol])
    )
    retire = certs.retire_ix(
        dave.pubkey(), grandchild, name=TEXT, purpose=TEXT, consumption=(T0, T0 + 30 * DAY)
    )
    cu["retire_certificate (a split child; 64-byte name and purpose)"] = s.cu(env.send([retire], [dave]))

    produce(T0 + HOUR, 5_000)
    later, pending = request()
    governance = AccountMeta(env.governance_pda().address, is_signer=True, is_writable=False)
    proposal = env.approved(certs.revoke_ix(pending, "meter data disputed", [governance]))
    cu["revoke_certificate (an executed proposal: execute's total)"] = s.cu(env.execute(proposal))
    registry.set_unix_time(env.now() + DAY)
    cu["expire_certificate"] = s.cu(env.send([certs.expire_ix(certificate)]))
    return [first, later], cu


def measure(
    elves: Mapping[str, bytes], baseline: Baseline | None = None, baseline_note: str | None = None
) -> GovernanceBench:
    """Every measurement (see the module docs). ``baseline``: a :class:`baseline.Baseline` of the
    registry, trading and energy_token to compare the hot paths with; without it ``baseline_note`` says
    why."""
    s = _Session(elves)
    executions, approvals = _measure_executions(s)
    requests, certificates = _measure_certificates(s)
    _measure_votes(s)
    series, worst = _measure_worst(s, executions[0])
    approvals["worst"] = max(series)
    _measure_upgrade_authority(s)
    current = hot_paths({name: elves[name] for name in HOT_PATH_PROGRAMS})
    before: dict[str, int] = {}
    added: dict[str, tuple[str, ...]] = {name: () for name in current}
    if baseline is not None:
        adapter = LayoutAdapter(baseline.idls)
        before = hot_paths(baseline.elves, adapter)
        added = {name: tuple(_added(adapter, name)) for name in current}
    paths = [HotPath(name, cu, before.get(name), added[name]) for name, cu in current.items()]
    note = baseline.commit if baseline is not None else baseline_note
    build = baseline.build_secs if baseline is not None else None
    return GovernanceBench(
        requests, certificates, approvals, series, executions, worst, s.other, paths, note, build
    )


# -- hot paths -------------------------------------------------------------------------------------------

SUBMIT_1 = "registry submit_readings, 1 reading"
SUBMIT_6 = f"registry submit_readings, {BATCH} readings (v0, lookup table), per reading"
SETTLE = "energy_token settle_and_mint"
PLACE = "trading place_order (resting bid, free slot)"
PLACE_AUCTION = "trading place_auction_order (new price level, room in the epoch account)"
HOT_INSTRUCTIONS = {
    SUBMIT_1: [("registry", "submit_readings")],
    SUBMIT_6: [("registry", "submit_readings")],
    SETTLE: [("energy_token", "settle_and_mint"), ("registry", "settle_meter")],
    PLACE: [("trading", "place_order")],
    PLACE_AUCTION: [("trading", "place_auction_order")],
}


def _added(adapter: LayoutAdapter, name: str) -> list[str]:
    ids = {
        "registry": RegistryClient().program_id,
        "trading": TradingClient().program_id,
        "energy_token": EnergyTokenClient().program_id,
    }
    found = []
    for program, instruction in HOT_INSTRUCTIONS[name]:
        found += [f"{instruction}: {a}" for a in adapter.added(ids[program], instruction)]
    return found


def hot_paths(
    elves: Mapping[str, bytes], adapt: Callable[[Instruction], Instruction] = lambda ix: ix
) -> dict[str, int]:
    """CU of the paths the pause check touches, for the programs ``elves`` (registry, trading,
    energy_token), every measured instruction passed through ``adapt`` first. No pause is set."""
    svm, payer = _vm({name: elves[name] for name in HOT_PATH_PROGRAMS})
    seeds = _Seeds(5_000)
    env = _market(svm, payer, seeds)
    registry = env.registry
    quorum = registry.quorum()
    cu: dict[str, int] = {}

    def send(ixs: Sequence[Instruction], signers: Sequence[Keypair] = ()) -> KeyedSent:
        return env.send([adapt(ix) for ix in ixs], signers)

    meters = [_prosumer(registry, seeds, f"BENCH-HOT-{i:04d}") for i in range(BATCH)]
    registry.set_unix_time(T0 + HOUR)
    sent = send(registry.client.reading_batch([_reading(registry, meters[0], T0, 6_000)]))
    cu[SUBMIT_1] = sent.program_cu(registry.program_id)
    table = registry.table(meters)
    registry.set_unix_time(T0 + 2 * HOUR)
    ixs = registry.client.reading_batch(
        [_reading(registry, m, T0 + HOUR, 5_000 + i) for i, m in enumerate(meters)]
    )
    batch = send_v0_svm(svm, payer, [adapt(ix) for ix in ixs], (), [table])
    cu[SUBMIT_6] = batch.program_cu(registry.program_id) // BATCH

    token = EnergyTokenClient()
    settler = token.settlement_pda().address
    registry.send(
        [
            registry.client.set_settlement_authority(
                settlement_authority=settler, cosigners=[q.pubkey() for q in quorum]
            )
        ],
        quorum,
    )
    env.send([token.initialize(payer=payer.pubkey(), authority=payer.pubkey())])
    owner = meters[0].wallet.pubkey()
    env.send([token.create_grid_account(payer=payer.pubkey(), owner=owner)])
    sent = send([token.settle_and_mint(meter=meters[0].meter, owner=owner, zone_id=ZONE_ID)])
    cu[SETTLE] = sent.program_cu(token.program_id)

    market = env.create_market()
    trader = _trader(env, seeds, market, ZONE_ID)
    for price in (900, 901):
        ix = env.client.place_order(
            trader=trader.pubkey, market=market, zone_id=ZONE_ID, seat=trader.seat, side=Side.BID,
            price=price, lots=10,
        )  # fmt: skip
        sent = send([ix], [trader.wallet])
    cu[PLACE] = sent.program_cu(env.client.program_id)  # the second: the first grew the market

    registry.create_zone(OTHER_ZONE_ID, "bench-auction")
    params = MarketParams(tick_size=1_000, lot_size_wh=1, fee_recipient=payer.pubkey())
    ix = env.client.create_market(
        payer=payer.pubkey(), zone_id=OTHER_ZONE_ID, base_mint=env.base_mint.pubkey(),
        quote_mint=env.quote_mint.pubkey(), params=params, cosigners=[q.pubkey() for q in quorum],
        epoch_secs=900,
    )  # fmt: skip
    env.send([ix], quorum)
    periodic = env.client.market_pda(OTHER_ZONE_ID, env.quote_mint.pubkey()).address
    bidder = _trader(env, seeds, periodic, OTHER_ZONE_ID)
    for price in (900, 901):
        ix = env.client.place_auction_order(
            trader=bidder.pubkey, market=periodic, zone_id=OTHER_ZONE_ID, seat=bidder.seat,
            side=Side.BID, price=price, lots=10,
        )  # fmt: skip
        sent = send([ix], [bidder.wallet])
    cu[PLACE_AUCTION] = sent.program_cu(env.client.program_id)  # the second: the first grew the epoch
    return cu


def _trader(env: TradingEnv, seeds: _Seeds, market: Pubkey, zone_id: int) -> Trader:
    wallet = _prosumer(env.registry, seeds, "", zone_id, meter=False).wallet
    return env.trader(market, base=FUNDS, quote=FUNDS, wallet=wallet)


def main(argv: list[str]) -> int:
    deploy_dir = Path(argv[1]) if len(argv) > 1 else REPO / "target" / "deploy"
    elves = {name: (deploy_dir / f"{name}.so").read_bytes() for name in PROGRAMS}
    print(json.dumps(measure(elves, baseline_note="not compared here").to_json(), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

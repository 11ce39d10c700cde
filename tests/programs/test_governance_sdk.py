"""``solgrid.sdk.governance`` against the programs in LiteSVM: the SDK's own builders initialise
governance, propose, vote, execute, cancel and close; the derived standing of a proposal (open, approved
with its timelock, executable, expired, executed, cancelled, rejected; approvals counted against the
registry's *current* regulators) matches what the program then accepts or refuses; and every privileged
action :class:`GovernedActions` builds executes through a proposal signed by the governance PDA."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import pytest
from governance_harness import DAY, HOUR, GovernanceEnv, code
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair

from solgrid.sdk.governance import (
    ConfigParams,
    GovernanceClient,
    GovernanceInitialized,
    GovernedActions,
    Proposal,
    ProposalCancelled,
    ProposalClosed,
    ProposalCreated,
    ProposalExecuted,
    ProposalFinal,
    ProposalNotExecutable,
    ProposalState,
    ProposalStatus,
    QuorumRecorded,
    Standing,
    VoteCast,
    describe,
    governed,
    require_executable,
    require_open,
    standing,
)
from solgrid.sdk.registry import EnergySource, Limits, RegistryClient, ZoneStatus
from solgrid.sdk.registry_governance import PauseFlag
from solgrid.sdk.trading.units import MarketStatus

NEW_LIMITS = Limits(max_meters_per_user=4, max_window_secs=1800)


@dataclasses.dataclass
class Sdk:
    """The SDK's clients over a :class:`GovernanceEnv` (whose VM sends what they build)."""

    env: GovernanceEnv
    client: GovernanceClient = dataclasses.field(default_factory=GovernanceClient)
    actions: GovernedActions = dataclasses.field(default_factory=GovernedActions)

    def proposal(self, proposal_id: int) -> Proposal:
        address = self.client.proposal_pda(proposal_id).address
        return self.client.decode_proposal(address, self.env.registry.data(address))

    def next_id(self) -> int:
        return self.client.decode_config(
            self.env.registry.data(self.client.config_pda().address)
        ).proposal_count

    def propose(
        self, proposer: Keypair, action: Instruction, *, approve: bool = False, **options: int | str
    ) -> int:
        proposal_id = self.next_id()
        ixs = [
            self.client.propose(
                proposer=proposer.pubkey(),
                proposal_id=proposal_id,
                action=action,
                title=str(options.get("title", "sdk proposal")),
                timelock_secs=int(options.get("timelock_secs", 0)),
                lifetime_secs=int(options.get("lifetime_secs", DAY)),
            )
        ]
        if approve:
            ixs.append(self.client.approve(regulator=proposer.pubkey(), proposal_id=proposal_id))
        self.env.send(ixs, [proposer])
        return proposal_id

    def approve(self, regulator: Keypair, proposal_id: int) -> list[VoteCast]:
        sent = self.env.send(
            [self.client.approve(regulator=regulator.pubkey(), proposal_id=proposal_id)], [regulator]
        )
        return [e for e in self.client.events(sent.logs) if isinstance(e, VoteCast)]

    def execute(self, proposal_id: int) -> list[str]:
        """Executes through the SDK's ``execute``; returns the transaction's logs."""
        sent = self.env.send([self.client.execute(self.proposal(proposal_id))])
        return list(sent.logs)

    def enact(self, action: Instruction, **options: int | str) -> list[str]:
        """Proposes ``action`` (first regulator, approving in the same transaction), approves it by the
        second in its own transaction, waits for the timelock and executes it."""
        r0, r1 = self.env.regulators[:2]
        proposal_id = self.propose(r0, action, approve=True, **options)
        self.approve(r1, proposal_id)
        self.env.warp(int(options.get("timelock_secs", 0)))
        return self.execute(proposal_id)

    def standing(self, proposal_id: int) -> Standing:
        config = self.env.registry.config()
        return standing(
            self.proposal(proposal_id),
            config.regulators,
            config.regulator_threshold,
            self.env.now(),
            config.regulator_since,
        )


@pytest.fixture
def sdk(governance: GovernanceEnv) -> Sdk:
    return Sdk(governance)


def test_the_sdk_initializes_governance_and_the_registry_names_it(governance_prepared: GovernanceEnv) -> None:
    env = governance_prepared
    client = GovernanceClient()
    assert client.program_id == env.program_id
    assert (
        client.governance_pda() == env.governance_pda()
        and client.certificates_pda() == env.certificates_pda()
    )
    assert client.proposal_pda(5) == env.proposal_pda(5)
    params = ConfigParams(min_timelock_secs=60, max_lifetime_secs=3 * DAY, certificate_validity_secs=DAY)
    payer = env.payer.pubkey()
    sent = env.send([client.initialize(payer=payer, authority=payer, params=params)])
    config = client.decode_config(env.registry.data(client.config_pda().address))
    assert (config.params, config.proposal_count) == (params, 0)
    assert config.targets == [env.registry.program_id, env.trading.client.program_id, env.token_program_id()]
    assert (config.governance_bump, config.certificates_bump) == (
        client.governance_pda().bump,
        client.certificates_pda().bump,
    )
    assert client.events(sent.logs) == [
        GovernanceInitialized(
            client.config_pda().address,
            env.registry.program_id,
            env.trading.client.program_id,
            env.token_program_id(),
            params,
            env.now(),
        )
    ]
    env.set_governance()
    assert env.registry.config().governance_program == client.program_id
    with pytest.raises(ValueError, match="maximum lifetime"):
        client.update_config(params=ConfigParams(min_timelock_secs=DAY, max_lifetime_secs=DAY))


def test_a_fee_change_by_two_of_three_and_its_standing_at_each_step(governance_unset: GovernanceEnv) -> None:
    env = governance_unset
    market = env.trading.create_market()
    env.set_governance()
    s = Sdk(env)
    r0, r1, r2 = env.regulators
    header = env.trading.market_state(market).header
    action = s.actions.update_market(market, header, taker_fee_bps=header.taker_fee_bps + 5)
    assert describe(action.program_id, bytes(action.data), s.actions.coders).args["taker_fee_bps"] == 30

    proposal_id = s.propose(r2, action, title="taker fee 30 bps", timelock_secs=HOUR)
    stored = s.proposal(proposal_id)
    assert (stored.id, stored.proposer, stored.title, stored.status) == (
        0,
        r2.pubkey(),
        "taker fee 30 bps",
        ProposalStatus.OPEN,
    )
    assert stored.instruction() == action
    at = s.standing(proposal_id)
    assert (at.state, at.approvals, at.threshold, at.needed, at.executable_at) == (
        ProposalState.OPEN,
        [],
        2,
        2,
        None,
    )
    with pytest.raises(ProposalNotExecutable, match="has 0 of the 2 approvals of current regulators"):
        require_executable(stored, at)

    [vote] = s.approve(r0, proposal_id)
    assert (vote.approvals, vote.threshold, vote.quorum_at, vote.status) == (1, 2, 0, ProposalStatus.OPEN)
    assert s.standing(proposal_id).state is ProposalState.OPEN
    env.warp(600)  # another regulator, another transaction, later
    s.approve(r1, proposal_id)
    at = s.standing(proposal_id)
    assert (at.state, at.approvals, at.executable_at) == (
        ProposalState.APPROVED,
        [r0.pubkey(), r1.pubkey()],
        env.now() + HOUR,
    )
    with pytest.raises(ProposalNotExecutable, match=r"timelock ends at .*Z \(in 1h\)"):
        require_executable(s.proposal(proposal_id), at)
    # The standing says what the program decides.
    assert env.fail([s.client.execute(s.proposal(proposal_id))]) == code("TimelockActive")

    env.warp(HOUR)
    assert s.standing(proposal_id).state is ProposalState.EXECUTABLE
    logs = s.execute(proposal_id)
    assert env.trading.market_state(market).header.taker_fee_bps == header.taker_fee_bps + 5
    [executed] = s.client.events(logs)
    assert executed == ProposalExecuted(stored.address, 0, env.trading.client.program_id, 2, env.now())
    after = s.standing(proposal_id)
    assert after.state is ProposalState.EXECUTED
    with pytest.raises(ProposalNotExecutable, match="proposal 0 was executed at"):
        require_executable(s.proposal(proposal_id), after)
    with pytest.raises(ProposalFinal):
        require_open(s.proposal(proposal_id), after)

    # Closed: the rent goes back to the proposer.
    before = env.registry.balance(r2.pubkey())
    rent = env.registry.balance(stored.address)
    sent = env.send([s.client.close_proposal(proposal_id=proposal_id, proposer=r2.pubkey())])
    assert env.registry.balance(r2.pubkey()) == before + rent and env.account(stored.address) is None
    assert s.client.events(sent.logs) == [
        ProposalClosed(stored.address, 0, r2.pubkey(), ProposalStatus.EXECUTED, False, rent)
    ]


def test_the_standing_counts_only_current_regulators(sdk: Sdk) -> None:
    env, s = sdk.env, sdk
    r0, r1, r2 = env.regulators
    pending = s.propose(r0, s.actions.update_limits(NEW_LIMITS), approve=True, timelock_secs=60)
    s.approve(r1, pending)
    assert s.standing(pending).state is ProposalState.APPROVED

    newcomer = env.registry.wallet()
    s.enact(s.actions.set_regulators([r0.pubkey(), r2.pubkey(), newcomer.pubkey()], 2))
    env.registry.regulators = [r0, r2, newcomer]
    env.warp(60)
    at = s.standing(pending)
    assert (at.state, at.approvals, at.needed) == (ProposalState.OPEN, [r0.pubkey()], 1)
    assert s.proposal(pending).approvals == [r0.pubkey(), r1.pubkey()]  # stored, but r1 no longer counts
    assert env.fail([s.client.execute(s.proposal(pending))]) == code("QuorumNotMet")
    s.approve(newcomer, pending)
    at = s.standing(pending)
    assert (at.state, at.executable_at) == (ProposalState.APPROVED, env.now() + 60)


def test_expired_rejected_and_cancelled_proposals(sdk: Sdk) -> None:
    env, s = sdk.env, sdk
    r0, r1, r2 = env.regulators
    expiring = s.propose(r0, s.actions.update_limits(NEW_LIMITS), approve=True, lifetime_secs=600)
    s.approve(r1, expiring)
    env.warp(600)
    at = s.standing(expiring)
    assert at.state is ProposalState.EXPIRED and at.state.final
    with pytest.raises(ProposalNotExecutable, match="proposal 0 expired at"):
        require_executable(s.proposal(expiring), at)
    assert env.fail([s.client.execute(s.proposal(expiring))]) == code("ProposalExpired")
    sent = env.send([s.client.close_proposal(proposal_id=expiring, proposer=r0.pubkey())])
    [closed] = s.client.events(sent.logs)
    assert isinstance(closed, ProposalClosed) and closed.expired and closed.status is ProposalStatus.OPEN

    rejected = s.propose(r0, s.actions.update_limits(NEW_LIMITS))
    for regulator in (r1, r2):
        env.send([s.client.reject(regulator=regulator.pubkey(), proposal_id=rejected)], [regulator])
    at = s.standing(rejected)
    assert (at.state, at.rejections) == (ProposalState.REJECTED, [r1.pubkey(), r2.pubkey()])

    cancelled = s.propose(r2, s.actions.update_limits(NEW_LIMITS))
    # Once the registry names governance, a regulator who is not the proposer cancels only through a
    # proposal (co-signers are refused as at the registry's gate); the proposer alone may.
    assert env.fail([s.client.cancel(authority=r0.pubkey(), proposal_id=cancelled)], [r0]) == code(
        "NotGovernance"
    )
    sent = env.send([s.client.cancel(authority=r2.pubkey(), proposal_id=cancelled)], [r2])
    assert s.client.events(sent.logs) == [
        ProposalCancelled(s.client.proposal_pda(cancelled).address, cancelled, r2.pubkey(), env.now())
    ]
    assert s.standing(cancelled).state is ProposalState.CANCELLED
    by_quorum = s.propose(r2, s.actions.update_limits(NEW_LIMITS))
    cosigned = s.client.cancel(
        authority=r0.pubkey(), proposal_id=by_quorum, cosigners=[r0.pubkey(), r1.pubkey()]
    )
    assert env.fail([cosigned], [r0, r1]) == code("NotGovernance")
    s.enact(s.actions.cancel(by_quorum))
    assert s.standing(by_quorum).state is ProposalState.CANCELLED


def test_a_quorum_that_only_a_set_change_made_is_recorded_through_the_sdk(sdk: Sdk) -> None:
    """standing() says UNRECORDED, require_executable points to `gov record-quorum`, and the SDK's
    record_quorum records it; a reappointed regulator's approval no longer counts in standing()."""
    env, s = sdk.env, sdk
    r0, r1, r2 = env.regulators
    target = s.propose(r0, s.actions.update_limits(NEW_LIMITS), timelock_secs=60)
    s.approve(r2, target)
    s.enact(s.actions.set_regulators([r0.pubkey(), r1.pubkey(), r2.pubkey()], 1))
    at = s.standing(target)
    assert (at.state, at.approvals, at.executable_at) == (ProposalState.UNRECORDED, [r2.pubkey()], None)
    with pytest.raises(ProposalNotExecutable, match=f"solgrid gov record-quorum {target}"):
        require_executable(s.proposal(target), at)
    sent = env.send([s.client.record_quorum(proposal_id=target)])
    [event] = [e for e in s.client.events(sent.logs) if isinstance(e, QuorumRecorded)]
    assert (event.id, event.approvals, event.threshold, event.quorum_at) == (target, 1, 1, env.now())
    at = s.standing(target)
    assert (at.state, at.executable_at) == (ProposalState.APPROVED, env.now() + 60)
    # r2 removed and appointed again: its approval is from an earlier term.
    s.enact(s.actions.set_regulators([r0.pubkey(), r1.pubkey()], 1))
    s.enact(s.actions.set_regulators([r0.pubkey(), r1.pubkey(), r2.pubkey()], 1))
    stale = s.proposal(target)
    assert stale.approvals == [r2.pubkey()] and stale.approval_versions == [1]
    at = s.standing(target)
    assert (at.state, at.approvals) == (ProposalState.OPEN, [])


def test_every_privileged_action_executes_through_a_proposal(sdk: Sdk) -> None:
    env, s = sdk.env, sdk
    a = s.actions
    registry = env.registry
    governance_pda = a.authority
    env.svm.airdrop(governance_pda, 10**10)  # the PDA pays the rent of what proposals create
    zone = 9

    s.enact(a.update_limits(NEW_LIMITS))
    assert registry.config().limits == NEW_LIMITS
    s.enact(a.create_zone(zone, "east", 700))
    assert (registry.zone(zone).name, registry.zone(zone).max_capacity_kw) == ("east", 700)
    s.enact(a.set_zone_status(zone, ZoneStatus.MAINTENANCE))
    assert registry.zone(zone).status is ZoneStatus.MAINTENANCE
    s.enact(a.set_emission_factor(zone, 420))
    assert registry.zone(zone).emission_factor == 420

    # One regulator pauses (as a proposal the governance PDA may too); resuming takes a quorum.
    s.enact(a.pause(PauseFlag.READINGS | PauseFlag.TRADING, zone))
    assert registry.zone(zone).paused == PauseFlag.READINGS | PauseFlag.TRADING
    s.enact(a.resume(PauseFlag.READINGS, zone))
    assert registry.zone(zone).paused == PauseFlag.TRADING
    s.enact(a.pause(PauseFlag.MINTING))
    assert registry.config().paused == PauseFlag.MINTING
    s.enact(a.resume(PauseFlag.MINTING))
    assert registry.config().paused == 0

    prosumer = registry.prosumer(source=EnergySource.WIND)
    new_key = Keypair().pubkey()
    s.enact(a.rotate_device_key(prosumer.meter, bytes(new_key)))
    assert registry.meter(prosumer.meter).device_key == bytes(new_key)
    settlement = Keypair().pubkey()
    s.enact(a.set_settlement_authority(settlement))
    assert registry.config().settlement_authority == settlement
    successor = Keypair().pubkey()
    s.enact(a.propose_authority(successor))
    assert registry.config().pending_authority == successor

    trading = env.trading
    params = trading.default_params(taker_fee_bps=40)
    s.enact(
        a.create_market(
            env.registry.zone().zone_id, trading.base_mint.pubkey(), trading.quote_mint.pubkey(), params
        )
    )
    market = trading.client.market_pda(env.registry.zone().zone_id, trading.quote_mint.pubkey()).address
    header = trading.market_state(market).header
    assert header.taker_fee_bps == 40
    s.enact(a.update_market(market, header, maker_fee_bps=3, status=MarketStatus.PAUSED))
    header = trading.market_state(market).header
    assert (header.taker_fee_bps, header.maker_fee_bps, header.status) == (40, 3, MarketStatus.PAUSED)
    maker = registry.verified_wallet().pubkey()
    s.enact(a.set_market_maker(market, maker, True))
    seat = trading.market_state(market).seat_of(maker)
    assert seat is not None and seat.market_maker

    params_after = ConfigParams(
        min_timelock_secs=30, max_lifetime_secs=2 * DAY, certificate_validity_secs=DAY
    )
    s.enact(a.update_config(params_after))
    assert s.client.decode_config(registry.data(s.client.config_pda().address)).params == params_after

    doomed = s.propose(env.regulators[2], a.update_limits(Limits()), timelock_secs=30)
    s.enact(a.cancel(doomed), timelock_secs=30)
    assert s.proposal(doomed).status is ProposalStatus.CANCELLED

    newcomer = registry.wallet()
    r0, r1, r2 = env.regulators
    s.enact(a.set_regulators([r0.pubkey(), r1.pubkey(), r2.pubkey(), newcomer.pubkey()], 3), timelock_secs=30)
    assert (registry.config().regulators[-1], registry.config().regulator_threshold) == (newcomer.pubkey(), 3)
    env.registry.regulators = [r0, r1, r2, newcomer]

    # Handing governance back: regulators co-sign privileged actions again.
    proposal_id = s.propose(r0, a.set_governance(None), approve=True, timelock_secs=30)
    for regulator in (r1, r2):
        s.approve(regulator, proposal_id)
    env.warp(30)
    s.execute(proposal_id)
    assert registry.config().governance_program is None
    direct = RegistryClient().update_limits(
        limits=Limits(), cosigners=[r0.pubkey(), r1.pubkey(), r2.pubkey()]
    )
    env.send([direct], [r0, r1, r2])
    assert registry.config().limits == Limits()


def test_governed_turns_a_cosigned_instruction_into_a_proposal(sdk: Sdk) -> None:
    env, s = sdk.env, sdk
    env.svm.airdrop(s.actions.authority, 10**9)
    r0, r1, _ = env.regulators
    cosigned = RegistryClient().create_zone(
        payer=env.payer.pubkey(),
        zone_id=11,
        name="west",
        max_capacity_kw=5,
        cosigners=[r0.pubkey(), r1.pubkey()],
    )
    action = governed(cosigned, s.actions.authority, s.actions.coders)
    assert action == s.actions.create_zone(11, "west", 5)
    s.enact(action)
    assert env.registry.zone(11).name == "west"
    described = describe(action.program_id, bytes(action.data), s.actions.coders)
    assert (described.program, described.instruction, described.args) == (
        "registry",
        "create_zone",
        {"zone_id": 11, "name": "west", "max_capacity_kw": 5},
    )


def test_propose_refuses_what_the_program_would(sdk: Sdk) -> None:
    s = sdk
    stranger = Keypair().pubkey()
    cosigned = RegistryClient().update_limits(limits=NEW_LIMITS, cosigners=[stranger])
    with pytest.raises(ValueError, match="only be signed by the governance PDA"):
        s.client.propose(
            proposer=stranger, proposal_id=0, action=cosigned, title="x", timelock_secs=0, lifetime_secs=1
        )
    action = s.actions.update_limits(NEW_LIMITS)
    too_many = Instruction(
        action.program_id, bytes(action.data), [*action.accounts, *[AccountMeta(stranger, False, False)] * 23]
    )
    with pytest.raises(ValueError, match="at most 24 accounts"):
        s.client.propose(
            proposer=stranger, proposal_id=0, action=too_many, title="x", timelock_secs=0, lifetime_secs=1
        )
    with pytest.raises(ValueError, match="at most 64 bytes"):
        s.client.propose(
            proposer=stranger, proposal_id=0, action=action, title="é" * 33, timelock_secs=0, lifetime_secs=1
        )


def test_created_and_vote_events_are_typed(sdk: Sdk) -> None:
    env, s = sdk.env, sdk
    r0 = env.regulators[0]
    proposal_id = s.next_id()
    ixs: Sequence[Instruction] = [
        s.client.propose(
            proposer=r0.pubkey(),
            proposal_id=proposal_id,
            action=s.actions.update_limits(NEW_LIMITS),
            title="limits",
            timelock_secs=0,
            lifetime_secs=DAY,
        ),
        s.client.approve(regulator=r0.pubkey(), proposal_id=proposal_id),
    ]
    sent = env.send(ixs, [r0])
    created, vote = s.client.events(sent.logs)
    address = s.client.proposal_pda(proposal_id).address
    data_len = len(bytes(s.actions.update_limits(NEW_LIMITS).data))
    assert created == ProposalCreated(
        address,
        proposal_id,
        r0.pubkey(),
        env.registry.program_id,
        "limits",
        env.now(),
        env.now() + DAY,
        0,
        2,
        data_len,
    )
    assert vote == VoteCast(
        address, proposal_id, r0.pubkey(), True, 1, 0, 2, 0, ProposalStatus.OPEN, env.now()
    )

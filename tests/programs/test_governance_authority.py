"""End to end in LiteSVM: once the registry names the governance program (``set_governance``), privileged
registry and trading actions refuse co-signing regulators and accept the governance PDA, which only an
executed proposal can bring; the emergency pause is one regulator's, the resume a proposal's; and the
governance itself is handed over (here: cleared) through a proposal."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from governance_harness import GovernanceEnv
from registry_harness import ZONE_ID
from registry_harness import code as registry_code
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from trading_harness import code as trading_code

from solgrid.sdk.readings import DeviceSigner
from solgrid.sdk.registry import Limits, ZoneStatus
from solgrid.sdk.registry_governance import PauseFlag
from solgrid.sdk.trading.units import BASE_ATOMS_PER_WH, OrderKind, Side


def quorum_keys(env: GovernanceEnv) -> list[Pubkey]:
    return [r.pubkey() for r in env.registry.quorum()]


def paid_by_governance(env: GovernanceEnv, ix: Instruction) -> Instruction:
    """``ix`` with the harness payer replaced by the governance PDA (funded here), which signs."""
    pda = env.governance_pda().address
    env.svm.airdrop(pda, 10**9)
    metas = [
        AccountMeta(pda, is_signer=True, is_writable=True) if m.pubkey == env.payer.pubkey() else m
        for m in ix.accounts
    ]
    return Instruction(ix.program_id, bytes(ix.data), metas)


def test_registry_privileged_actions_take_the_governance_pda_only(governance: GovernanceEnv) -> None:
    env = governance
    client = env.registry.client
    quorum = env.registry.quorum()
    limits = Limits(max_meters_per_user=4)
    settlement = Keypair().pubkey()
    cases: list[Callable[[list[Pubkey]], Instruction]] = [
        lambda cosigners: client.update_limits(limits=limits, cosigners=cosigners),
        lambda cosigners: client.set_settlement_authority(
            settlement_authority=settlement, cosigners=cosigners
        ),
        lambda cosigners: client.set_zone_status(
            zone_id=ZONE_ID, status=ZoneStatus.MAINTENANCE, cosigners=cosigners
        ),
        lambda cosigners: client.set_emission_factor(zone_id=ZONE_ID, g_per_kwh=450, cosigners=cosigners),
    ]
    for build in cases:
        assert env.fail([build(quorum_keys(env))], quorum) == registry_code("NotGovernance")
        # Every regulator together is not the governance either.
        everyone = env.regulators
        assert env.fail([build([r.pubkey() for r in everyone])], everyone) == registry_code("NotGovernance")
        env.enact(build(env.gov()))
    config = env.registry.config()
    assert config.limits == limits
    assert config.settlement_authority == settlement
    zone = env.registry.zone()
    assert (zone.status, zone.emission_factor) == (ZoneStatus.MAINTENANCE, 450)


def test_zones_device_keys_and_regulators_through_proposals(governance: GovernanceEnv) -> None:
    env = governance
    client = env.registry.client
    env.enact(
        paid_by_governance(
            env,
            client.create_zone(
                payer=env.payer.pubkey(), zone_id=8, name="south", max_capacity_kw=100, cosigners=env.gov()
            ),
        )
    )
    assert env.registry.zone(8).name == "south"
    # A meter registered by a prosumer (no privilege), then its device key rotated by a proposal.
    prosumer = env.registry.prosumer()
    new_device = DeviceSigner.generate()
    rotate = client.rotate_device_key(
        meter=prosumer.meter, new_key=new_device.public_key, cosigners=env.gov()
    )
    assert env.fail(
        [
            client.rotate_device_key(
                meter=prosumer.meter, new_key=new_device.public_key, cosigners=quorum_keys(env)
            )
        ],
        env.registry.quorum(),
    ) == registry_code("NotGovernance")
    env.enact(rotate)
    assert env.registry.meter(prosumer.meter).device_key == new_device.public_key
    # The registry authority's own actions take the governance PDA alone as well.
    successor = Keypair().pubkey()
    env.enact(client.propose_authority(authority=env.governance_pda().address, new_authority=successor))
    assert env.registry.config().pending_authority == successor


def test_trading_privileged_actions_take_the_governance_pda_only(governance_unset: GovernanceEnv) -> None:
    env = governance_unset
    market = env.trading.create_market()
    env.set_governance()
    trader = env.trading.wallet().pubkey()
    direct = env.trading.set_market_maker_ix(market, trader)
    assert env.fail([direct], env.registry.quorum()) == trading_code("NotGovernance")
    env.enact(paid_by_governance(env, env.trading.set_market_maker_ix(market, trader, cosigners=env.gov())))
    assert env.trading.market_state(market).seat_of(trader) is not None
    fee = env.trading.market_state(market).header.maker_fee_bps + 1
    env.enact(env.trading.update_market_ix(market, maker_fee_bps=fee, cosigners=env.gov()))
    assert env.trading.market_state(market).header.maker_fee_bps == fee


def test_before_set_governance_its_pda_has_no_power(governance_unset: GovernanceEnv) -> None:
    """A proposal can be approved before the registry names the program, but the registry refuses its
    PDA: execution fails inside the CPI and the proposal stays open, to be executed once it is named."""
    env = governance_unset
    limits = Limits(max_meters_per_user=2)
    proposal = env.approved(env.update_limits_ix(limits))
    assert env.fail([env.execute_ix(proposal)]) == registry_code("RegulatorThresholdNotMet")
    assert env.status(proposal) == "Open"
    env.set_governance()
    env.execute(proposal)
    assert env.registry.config().limits == limits


def test_pause_by_one_regulator_resume_by_a_proposal(governance_unset: GovernanceEnv) -> None:
    env = governance_unset
    market = env.trading.create_market()
    env.set_governance()
    seller = env.trading.trader(market, base=10 * BASE_ATOMS_PER_WH)
    buyer = env.trading.trader(market, quote=10_000_000)
    env.trading.place(market, seller, Side.ASK, price=5, lots=10)

    one = env.regulators[2]
    pause = env.registry.client.pause_zone(regulator=one.pubkey(), zone_id=ZONE_ID, flags=PauseFlag.TRADING)
    env.send([pause], [one])
    assert env.registry.zone().paused == PauseFlag.TRADING
    bid = env.trading.place_ix(market, buyer, Side.BID, price=5, lots=10, kind=OrderKind.LIMIT)
    assert env.fail([bid], [buyer.wallet]) == trading_code("TradingPaused")

    # Resuming takes a quorum, which once governance is set means a proposal.
    resume = env.registry.client.resume_zone(
        zone_id=ZONE_ID, flags=PauseFlag.TRADING, cosigners=quorum_keys(env)
    )
    assert env.fail([resume], env.registry.quorum()) == registry_code("NotGovernance")
    env.enact(env.registry.client.resume_zone(zone_id=ZONE_ID, flags=PauseFlag.TRADING, cosigners=env.gov()))
    assert env.registry.zone().paused == 0
    placed = env.trading.placed(env.trading.send([bid], [buyer.wallet]))
    assert placed.filled_lots == 10


def test_market_wide_pause_and_resume(governance: GovernanceEnv) -> None:
    env = governance
    one = env.regulators[0]
    env.send([env.registry.client.pause_market(regulator=one.pubkey(), flags=PauseFlag.ALL)], [one])
    assert env.registry.config().paused == PauseFlag.ALL
    stranger = env.registry.wallet()
    pause = env.registry.client.pause_market(regulator=stranger.pubkey(), flags=PauseFlag.READINGS)
    assert env.fail([pause], [stranger]) == registry_code("NotRegulator")
    env.enact(
        env.registry.client.resume_market(flags=PauseFlag.MINTING | PauseFlag.TRADING, cosigners=env.gov())
    )
    assert env.registry.config().paused == PauseFlag.READINGS
    # Proposals keep working while the market is paused: governance is how it is resumed.
    env.enact(env.registry.client.resume_market(flags=PauseFlag.READINGS, cosigners=env.gov()))
    assert env.registry.config().paused == 0


def test_governance_is_handed_over_through_a_proposal(governance: GovernanceEnv) -> None:
    """Clearing (or replacing) the registry's governance program is itself a proposal; afterwards the
    regulators co-sign again and the governance PDA has no power."""
    env = governance
    clear = env.registry.client.set_governance(governance_program=None, cosigners=env.gov())
    assert env.fail(
        [env.registry.client.set_governance(governance_program=None, cosigners=quorum_keys(env))],
        env.registry.quorum(),
    ) == registry_code("NotGovernance")
    env.enact(clear)
    assert env.registry.config().governance_program is None
    limits = Limits(max_meters_per_user=5)
    env.registry.privileged(
        "update_limits", env.registry.client.update_limits(limits=limits, cosigners=quorum_keys(env))
    )
    assert env.registry.config().limits == limits
    later = dataclasses.replace(limits, max_meters_per_user=6)
    proposal = env.approved(env.update_limits_ix(later))
    assert env.fail([env.execute_ix(proposal)]) == registry_code("RegulatorThresholdNotMet")

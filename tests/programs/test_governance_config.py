"""Governance configuration in LiteSVM: ``initialize`` (deployer gate, SolGrid program ids, duration
bounds, PDA bumps) and ``update_config`` (only the governance PDA, i.e. an executed proposal)."""

from __future__ import annotations

import dataclasses

import pytest
from governance_harness import DAY, PROGRAM_ID, GovernanceEnv, Params, code
from instruction_edits import with_account, with_meta
from solders.keypair import Keypair
from solders.pubkey import Pubkey


def test_initialize_stores_the_programs_durations_and_bumps(governance_prepared: GovernanceEnv) -> None:
    env = governance_prepared
    params = Params(min_timelock_secs=60, max_lifetime_secs=3 * DAY, certificate_validity_secs=DAY)
    sent = env.initialize(params)
    config = env.config()
    assert config.registry_program == env.registry.program_id
    assert config.trading_program == env.trading.client.program_id
    assert config.energy_token_program == env.token_program_id()
    assert config.proposal_count == 0
    assert (config.min_timelock_secs, config.max_lifetime_secs, config.certificate_validity_secs) == (
        60,
        3 * DAY,
        DAY,
    )
    assert config.bump == env.config_pda().bump
    assert config.governance_bump == env.governance_pda().bump
    assert config.certificates_bump == env.certificates_pda().bump
    [event] = env.events(sent)
    assert event.name == "GovernanceInitialized"
    assert event.data.config == env.config_pda().address
    assert event.data.registry_program == env.registry.program_id
    assert event.data.params.min_timelock_secs == 60
    assert event.data.timestamp == env.now()


def test_initialize_gate_follows_the_loader(governance_prepared: GovernanceEnv) -> None:
    """Deployed through BPFLoaderUpgradeable only the upgrade authority initialises; loaded by the
    non-upgradeable loader (as genesis does) the first caller does."""
    env = governance_prepared
    stranger = env.registry.wallet()
    ix = env.initialize_ix(authority=stranger.pubkey())
    if env.mode == "deploy":
        assert env.fail([ix], [stranger]) == code("NotUpgradeAuthority")
        env.send([env.initialize_ix()])
    else:
        env.send([ix], [stranger])
    assert env.config().proposal_count == 0


def test_initialize_twice_fails(governance_prepared: GovernanceEnv) -> None:
    env = governance_prepared
    env.initialize()
    assert env.fail([env.initialize_ix()]) == code("AlreadyInitialized")


def test_initialize_requires_the_authority_signature(governance_prepared: GovernanceEnv) -> None:
    env = governance_prepared
    stranger = Keypair()
    ix = with_meta(env.initialize_ix(authority=stranger.pubkey()), 1, signer=False)
    assert env.fail([ix]) == code("MissingSigner")


@pytest.mark.parametrize(
    "params",
    [
        Params(min_timelock_secs=31 * DAY, max_lifetime_secs=60 * DAY),
        Params(min_timelock_secs=DAY, max_lifetime_secs=DAY),
        Params(max_lifetime_secs=0),
        Params(max_lifetime_secs=366 * DAY),
        Params(certificate_validity_secs=0),
        Params(certificate_validity_secs=10 * 365 * DAY + 1),
    ],
)
def test_initialize_refuses_durations_out_of_range(
    governance_prepared: GovernanceEnv, params: Params
) -> None:
    env = governance_prepared
    assert env.fail([env.initialize_ix(params=params)]) == code("InvalidConfigParams")


def test_initialize_refuses_a_program_account_that_is_not_executable(
    governance_prepared: GovernanceEnv,
) -> None:
    env = governance_prepared
    wallet = env.registry.wallet().pubkey()
    programs = [env.registry.program_id, env.trading.client.program_id, env.token_program_id()]
    for index in range(3):
        wrong = list(programs)
        wrong[index] = wallet
        assert env.fail([env.initialize_ix(programs=wrong)]) == code("NotAProgram")


BUILTINS = (
    "11111111111111111111111111111111",  # System program
    "BPFLoaderUpgradeab1e11111111111111111111111",  # the loader itself
    "ComputeBudget111111111111111111111111111111",
    "Ed25519SigVerify111111111111111111111111111",
)


@pytest.mark.parametrize("builtin", BUILTINS)
def test_initialize_refuses_a_builtin_or_a_loader_as_a_target(
    governance_prepared: GovernanceEnv, builtin: str
) -> None:
    env = governance_prepared
    account = env.registry.svm.get_account(Pubkey.from_string(builtin))
    assert account is not None and account.executable  # executable, but no deployed program
    programs = [env.registry.program_id, env.trading.client.program_id, env.token_program_id()]
    for index in range(3):
        wrong = list(programs)
        wrong[index] = Pubkey.from_string(builtin)
        assert env.fail([env.initialize_ix(programs=wrong)]) == code("NotAProgram")


def test_initialize_refuses_a_config_elsewhere(governance_prepared: GovernanceEnv) -> None:
    env = governance_prepared
    ix = with_account(env.initialize_ix(), 2, env.registry.wallet().pubkey())
    assert env.fail([ix]) == code("InvalidPda")


def test_update_config_only_through_a_proposal(governance: GovernanceEnv) -> None:
    env = governance
    params = Params(min_timelock_secs=3600, max_lifetime_secs=2 * DAY, certificate_validity_secs=30 * DAY)
    # Nobody can sign as the governance PDA outside an executed proposal; any other signer is refused.
    impostor = env.registry.regulators[0]
    assert env.fail([env.update_config_ix(params, governance=impostor.pubkey())], [impostor]) == code(
        "NotGovernance"
    )
    sent = env.enact(env.update_config_ix(params))
    config = env.config()
    assert (config.min_timelock_secs, config.max_lifetime_secs, config.certificate_validity_secs) == (
        3600,
        2 * DAY,
        30 * DAY,
    )
    assert [e.name for e in env.events(sent)] == ["GovernanceConfigUpdated", "ProposalExecuted"]
    # The new minimum applies to the next proposal.
    short = env.update_config_ix(dataclasses.replace(params, min_timelock_secs=0))
    ix, _ = env.propose_ix(impostor.pubkey(), short, timelock_secs=3599)
    assert env.fail([ix], [impostor]) == code("TimelockTooShort")
    bad = env.update_config_ix(Params(max_lifetime_secs=0))
    proposal = env.approved(bad, timelock_secs=3600)
    env.warp(3600)
    assert env.fail([env.execute_ix(proposal)]) == code("InvalidConfigParams")


def test_program_id_is_the_keypair_in_keys() -> None:
    from governance_harness import governance_keypair

    assert governance_keypair().pubkey() == PROGRAM_ID


def test_initialize_refuses_repeated_programs_or_itself(governance_prepared: GovernanceEnv) -> None:
    """The three target programs are distinct and none is governance itself (every one executable)."""
    env = governance_prepared
    registry, trading, token = env.registry.program_id, env.trading.client.program_id, env.token_program_id()
    for wrong in (
        [registry, registry, token],
        [registry, trading, trading],
        [token, trading, token],
        [PROGRAM_ID, trading, token],
        [registry, PROGRAM_ID, token],
        [registry, trading, PROGRAM_ID],
    ):
        assert env.fail([env.initialize_ix(programs=wrong)]) == code("TargetProgramsNotDistinct"), wrong
    assert env.account(env.config_pda().address) is None
    env.send([env.initialize_ix()])
    assert env.config().registry_program == registry

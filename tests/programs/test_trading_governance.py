"""Trading's privileged actions (``create_market``, ``update_market``, ``set_market_maker``) follow the
registry's gate, in LiteSVM: a regulator quorum co-signs them until the registry names a governance
program (``set_governance``); from then on only that program's ``["governance"]`` PDA does (it signs the
CPI of an executed proposal), and co-signing regulators, however many, are refused (``NotGovernance``).

The governance program is not needed to check trading's side: in a VM that skips signature checks the
transaction marks the PDA as a signer, which is what the program sees when the governance program signs
for it through ``invoke_signed`` (the governance program's own tests run the real CPI). The registry
checks the PDA's bump when governance is set; the registry's Config then names the program deployed at
the reserved governance id (``keys/governance-keypair.json``)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pytest
from registry_harness import REPO, ZONE_ID
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from trading_harness import TradingEnv, code

from solgrid.sdk.pda import find_pda
from solgrid.sdk.trading import MarketStatus

GOVERNANCE_PROGRAM = Keypair.from_bytes(
    bytes(json.loads((REPO / "keys" / "governance-keypair.json").read_text()))
).pubkey()


@dataclass
class Governed:
    env: TradingEnv
    market: Pubkey
    authority: Pubkey
    """The governance program's ``["governance"]`` PDA."""

    @property
    def quorum(self) -> list[Keypair]:
        return self.env.registry.quorum()

    def update_ix(self, cosigners: Sequence[Pubkey], **changes: int | MarketStatus) -> Instruction:
        return self.env.update_market_ix(self.market, cosigners=cosigners, **changes)  # type: ignore[arg-type]


def set_governance_ix(env: TradingEnv, program: Pubkey, cosigners: Sequence[Pubkey]) -> Instruction:
    """The registry's ``set_governance`` (zero ``program`` clears it, with zero bumps)."""
    if program == Pubkey.default():
        bumps = (0, 0)
    else:
        bumps = (find_pda([b"governance"], program).bump, find_pda([b"certificates"], program).bump)
    ix = env.registry.client.coder.instruction(
        "set_governance",
        {"program": program, "governance_bump": bumps[0], "certificates_bump": bumps[1]},
        {"config": env.client.registry_config()},
    )
    metas = [*ix.accounts, *(AccountMeta(c, is_signer=True, is_writable=False) for c in cosigners)]
    return Instruction(ix.program_id, ix.data, metas)


@pytest.fixture
def governed(trading_unverified: TradingEnv) -> Governed:
    env = trading_unverified
    market = env.create_market()
    # Before governance the config authority and a quorum hand privileged actions over.
    quorum = env.registry.quorum()
    cosigners = [env.payer.pubkey(), *(r.pubkey() for r in quorum)]
    env.send([set_governance_ix(env, GOVERNANCE_PROGRAM, cosigners)], quorum)
    raw = env.registry.data(env.client.registry_config())
    assert env.registry.client.coder.decode_account("Config", raw).governance_program == GOVERNANCE_PROGRAM
    return Governed(env, market, find_pda([b"governance"], GOVERNANCE_PROGRAM).address)


def test_before_governance_a_quorum_signs_and_the_pda_alone_does_not(trading_unverified: TradingEnv) -> None:
    env = trading_unverified
    market = env.create_market()
    authority = find_pda([b"governance"], GOVERNANCE_PROGRAM).address
    ix = env.update_market_ix(market, taker_fee_bps=30, cosigners=[authority])
    assert env.fail_signed_by_pda([ix]) == code("RegulatorThresholdNotMet")
    env.update_market(market, taker_fee_bps=30)
    assert env.market_state(market).header.taker_fee_bps == 30


def test_once_governance_is_set_co_signing_regulators_are_refused(governed: Governed) -> None:
    g, env = governed, governed.env
    every = env.registry.regulators
    refused = code("NotGovernance")
    assert env.fail([g.update_ix([r.pubkey() for r in every], taker_fee_bps=30)], every) == refused
    assert env.fail([env.create_market_ix(quote_mint=new_quote(env))], g.quorum) == refused
    trader = env.wallet().pubkey()
    assert env.fail([env.set_market_maker_ix(g.market, trader)], g.quorum) == refused
    # The governance PDA named but not signing, the governance program itself signing, or the same seed
    # under another program signing: refused as well.
    unsigned = g.update_ix([])
    unsigned = Instruction(
        unsigned.program_id, unsigned.data, [*unsigned.accounts, AccountMeta(g.authority, False, False)]
    )
    assert env.fail([unsigned]) == refused
    assert env.fail_signed_by_pda([g.update_ix([GOVERNANCE_PROGRAM])]) == refused
    elsewhere = find_pda([b"governance"], env.client.program_id).address
    assert env.fail_signed_by_pda([g.update_ix([elsewhere])]) == refused
    assert env.market_state(g.market).header.taker_fee_bps != 30


def test_the_governance_pda_performs_every_privileged_action(governed: Governed) -> None:
    g, env = governed, governed.env
    sent = env.send_signed_by_pda([g.update_ix([g.authority], taker_fee_bps=30, status=MarketStatus.PAUSED)])
    [updated] = env.events(sent)
    header = env.market_state(g.market).header
    assert (header.taker_fee_bps, header.status) == (30, MarketStatus.PAUSED)
    assert type(updated).__name__ == "MarketUpdated"
    quote = new_quote(env)
    env.send_signed_by_pda([env.create_market_ix(quote_mint=quote, cosigners=[g.authority])])
    created = env.market_state(env.client.market_pda(ZONE_ID, quote).address)
    assert created.header.zone_id == ZONE_ID
    trader = env.wallet().pubkey()
    env.send_signed_by_pda([env.set_market_maker_ix(g.market, trader, cosigners=[g.authority])])
    seat = env.market_state(g.market).seat_of(trader)
    assert seat is not None and seat.market_maker
    # Regulators co-signing next to the PDA change nothing: the PDA's signature is what counts.
    with_regulators = g.update_ix([*(r.pubkey() for r in g.quorum), g.authority], taker_fee_bps=40)
    env.send_signed_by_pda([with_regulators], g.quorum)
    assert env.market_state(g.market).header.taker_fee_bps == 40


def test_when_governance_hands_back_a_quorum_signs_again(governed: Governed) -> None:
    g, env = governed, governed.env
    env.send_signed_by_pda([set_governance_ix(env, Pubkey.default(), [g.authority])])
    assert env.fail_signed_by_pda([g.update_ix([g.authority], taker_fee_bps=30)]) == code(
        "RegulatorThresholdNotMet"
    )
    env.update_market(g.market, taker_fee_bps=30)
    assert env.market_state(g.market).header.taker_fee_bps == 30


def new_quote(env: TradingEnv) -> Pubkey:
    mint = Keypair()
    env.create_mint(mint, 6)
    return mint.pubkey()

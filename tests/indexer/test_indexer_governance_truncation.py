"""Governance transactions whose logs the runtime cut before their events (a fee payer put empty memos
first; expiries and executions can be sent by anyone): the indexer rebuilds the events of transfers,
splits, retirements, revocations, expiries and executions from the instructions, derives what needs
the certificate's state (volumes, CO2, the split's index) from what it indexed before, raises an alert
for each, and ends with the chain's certificates. What cannot be rebuilt (the registry's Resumed inside
an execution) is named in the alert."""

from __future__ import annotations

import dataclasses

import pytest
from governance_world import DAY, CertEnv, Params, cut_before, governance_world
from indexer_support import store
from solders.instruction import AccountMeta
from solders.keypair import Keypair
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from solgrid.indexer.decode import EventDecoder
from solgrid.indexer.models import Alert, Certificate, Event, Proposal, Retirement, Transaction
from solgrid.indexer.service import default_coders
from solgrid.indexer.store import Store
from solgrid.sdk.registry_governance import PauseFlag


@pytest.mark.parametrize("block_time", ["given", "missing"])
async def test_cut_governance_events_are_rebuilt_and_the_certificates_match_the_chain(
    db: async_sessionmaker[AsyncSession], governance_elves: dict[str, bytes], block_time: str
) -> None:
    """Also from a node that gives no block time (``blockTime`` null): the rebuilt events' times are
    then unknown (NULL), and no row is lost."""
    env, recorder = governance_world(governance_elves, Params(certificate_validity_secs=DAY))
    env.set_governance()
    certs = CertEnv(env)
    certs.set_emission_factor(300)
    r0 = env.regulators[0]
    alice = certs.prosumer()
    bob, carol, household = certs.wallet(), Keypair(), Keypair()
    certs.produce(alice, 4, 500)
    c1 = certs.request(alice)
    certs.validate(c1, r0)  # 2,000 Wh, 600 g
    certs.produce(alice, 2, 400)
    c2 = certs.request(alice)
    certs.validate(c2, r0)
    certs.produce(alice, 1, 700)
    c3 = certs.request(alice)
    env.send(
        [certs.registry.client.pause_zone(regulator=r0.pubkey(), zone_id=7, flags=PauseFlag.MINTING)], [r0]
    )
    resume = env.approved(
        env.registry.client.resume_zone(zone_id=7, flags=PauseFlag.MINTING, cosigners=env.gov())
    )
    # Governance is set: a revocation is a proposal's (the governance PDA signs it by CPI).
    governance = AccountMeta(env.governance_pda().address, is_signer=True, is_writable=False)
    revocation = env.approved(certs.revoke_ix(c3, "meter seal broken", [governance]))
    first_cut = len(recorder.sent)

    transfer = certs.transfer_ix(alice.wallet.pubkey(), c1, bob.pubkey())
    env.send(cut_before(env, [transfer], [alice.wallet]), [alice.wallet])
    child = certs.child_pda(c1, 0).address
    split = certs.split_ix(bob.pubkey(), c1, 700, carol.pubkey())
    env.send(cut_before(env, [split], [bob]), [bob])  # 700 Wh and 210 g to carol
    retire = certs.retire_ix(
        carol.pubkey(), child, beneficiary=household.pubkey(), name="Café Ünal", purpose="ovens"
    )
    env.send(cut_before(env, [retire], [carol]), [carol])
    env.send(cut_before(env, [env.execute_ix(revocation)]))  # anyone executes it
    execute = env.execute_ix(resume)
    env.send(cut_before(env, [execute]))  # anyone executes it
    env.warp(DAY + 1)
    expire = certs.expire_ix(c2)
    env.send(cut_before(env, [expire]))  # the harness's payer: anyone

    txs = recorder.sent
    if block_time == "missing":
        txs = [dataclasses.replace(tx, block_time=None) for tx in txs]
    indexer = Store(EventDecoder(default_coders()))
    for start in range(0, len(txs), 8):
        await store(db, indexer, *txs[start : start + 8])

    cut = {tx.signature for tx in txs[first_cut:]}
    async with db() as s:
        truncated = set(await s.scalars(select(Transaction.signature).where(Transaction.logs_truncated)))
        alerts = {a.signature: a.message for a in await s.scalars(select(Alert))}
        rebuilt = {
            e.name: e.data
            for e in await s.scalars(select(Event).where(Event.recovered, Event.signature.in_(cut)))
        }
        rows = {c.address: c for c in await s.scalars(select(Certificate))}
        (retirement,) = await s.scalars(select(Retirement))
        proposal = await s.get(Proposal, str(resume))
    assert truncated == cut == set(alerts)
    assert set(rebuilt) == {
        "CertificateTransferred",
        "CertificateSplit",
        "CertificateRetired",
        "CertificateRevoked",
        "ProposalExecuted",
        "CertificateExpired",
    }
    assert "not rebuilt: Resumed of registry.resume_zone" in alerts[txs[-2].signature]
    # What the instructions do not show comes from the certificates' indexed state.
    assert rebuilt["CertificateTransferred"] == {
        "certificate": str(c1),
        "from": str(alice.wallet.pubkey()),
        "to": str(bob.pubkey()),
        "volume_wh": 2_000,
        "co2_avoided_g": 600,
    }
    assert rebuilt["CertificateSplit"] == {
        "parent": str(c1),
        "child": str(child),
        "split_index": 0,
        "owner": str(bob.pubkey()),
        "new_owner": str(carol.pubkey()),
        "volume_wh": 700,
        "co2_avoided_g": 210,
        "parent_volume_wh": 1_300,
        "parent_co2_avoided_g": 390,
    }
    assert rebuilt["CertificateRevoked"]["previous_status"] == "Pending"
    assert (rebuilt["CertificateExpired"]["owner"], rebuilt["CertificateExpired"]["volume_wh"]) == (
        str(alice.wallet.pubkey()),
        800,
    )
    retired_in = next(tx for tx in txs if tx.signature == retirement.signature)
    assert retirement.retired_at == retired_in.block_time  # None when the node gave none
    assert (
        retirement.beneficiary_name,
        retirement.purpose,
        retirement.volume_wh,
        retirement.co2_avoided_g,
    ) == (
        "Café Ünal",
        "ovens",
        700,
        210,
    )
    assert (proposal.status, proposal.proposal_id, proposal.executed_signature) == (
        "Executed",
        env.proposal(resume).id,
        txs[-2].signature,
    )
    # Every certificate as the chain holds it.
    for address in (c1, child, c2, c3):
        chain = certs.certificate(address)
        row = rows[str(address)]
        assert (row.status, row.owner, row.volume_wh, row.co2_avoided_g) == (
            type(chain.status).__name__,
            str(chain.owner),
            chain.volume_wh,
            chain.co2_avoided_g,
        ), address

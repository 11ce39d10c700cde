"""Random sequences of readings, requests, validations, transfers, splits, retirements, revocations,
expiries and clock jumps against the deployed programs, checked step by step against a model of the
certificate rules: every instruction succeeds or fails exactly as the model says (with its error), each
certificate's status, owner, volume and CO2 match, the certified volume of every meter never exceeds its
renewable production, and volumes and CO2 are conserved across splits."""

from __future__ import annotations

import random
from dataclasses import dataclass

import pytest
from certificates_harness import FACTOR, CertEnv, status_name
from governance_harness import GovernanceEnv, Params, code
from registry_harness import Prosumer
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from solgrid.sdk.registry import EnergySource

VALIDITY = 4 * 3600
STEPS = 80
UNUSABLE = {
    "Pending": "CertificatePending",
    "Retired": "CertificateRetired",
    "Revoked": "CertificateRevoked",
    "Expired": "CertificateExpired",
}


@dataclass
class Model:
    """What the rules say a certificate is."""

    status: str
    owner: Keypair
    volume_wh: int
    original: Pubkey
    co2_g: int = 0
    expires_at: int = 0
    splits: int = 0
    lineage_revoked: bool = False
    """A requested certificate's: a quorum revoked it (whatever its status then)."""


def usable_error(c: Model, now: int, original: Model) -> str | None:
    """Why ``c`` cannot be transferred, split or retired now (None: it can). ``original`` is the
    requested certificate its volume came from (``c`` itself for a requested one)."""
    if c.status == "Valid":
        if now >= c.expires_at:
            return "CertificateExpired"
        stopped = original.status == "Revoked" or original.lineage_revoked
        return "OriginalRevoked" if stopped else None
    return UNUSABLE[c.status]


class Run:
    def __init__(self, env: CertEnv, rng: random.Random) -> None:
        self.env = env
        self.rng = rng
        self.meters: list[Prosumer] = [
            env.prosumer(EnergySource.SOLAR),
            env.prosumer(EnergySource.WIND),
            env.prosumer(EnergySource.BATTERY),
        ]
        self.holders = [p.wallet for p in self.meters] + [env.wallet(), env.wallet()]
        self.model: dict[Pubkey, Model] = {}
        self.outcomes: dict[str, int] = {}

    def expect(self, name: str, ix: Instruction, signers: list[Keypair], error: str | None) -> bool:
        """Sends ``ix``; it must succeed when ``error`` is None, else fail with that error."""
        if error is None:
            self.env.run(name, ix, signers)
        else:
            assert self.env.fail([ix], signers) == code(error), (name, error)
        key = f"{name}:{error or 'ok'}"
        self.outcomes[key] = self.outcomes.get(key, 0) + 1
        return error is None

    def usable_error(self, c: Model) -> str | None:
        return usable_error(c, self.env.now(), self.model[c.original])

    def pick(self) -> tuple[Pubkey, Model] | None:
        if not self.model:
            return None
        address = self.rng.choice(sorted(self.model, key=bytes))
        return address, self.model[address]

    # -- steps ---------------------------------------------------------------------------------------

    def produce(self) -> None:
        p = self.rng.choice(self.meters)
        self.env.produce(p, windows=self.rng.randint(1, 2), production_wh=self.rng.choice([0, 1, 250, 999]))

    def request(self) -> None:
        p = self.rng.choice(self.meters)
        meter = self.env.registry.meter(p.meter)
        volume = meter.certified_wh - meter.certificate_wh
        if meter.source == EnergySource.BATTERY:
            error: str | None = "NotRenewable"
        else:
            error = "NothingToCertify" if volume == 0 else None
        ix = self.env.request_ix(p.wallet.pubkey(), p)
        if self.expect("request_certificate", ix, [p.wallet], error):
            address = ix.accounts[5].pubkey
            self.env.certificates.append(address)
            self.model[address] = Model("Pending", p.wallet, volume, address)

    def validate(self) -> None:
        if (picked := self.pick()) is None:
            return
        address, c = picked
        error = {"Pending": None, "Valid": "CertificateAlreadyValid"}.get(c.status, UNUSABLE.get(c.status))
        regulator = self.rng.choice(self.env.regulators)
        if self.expect(
            "validate_certificate", self.env.validate_ix(regulator.pubkey(), address), [regulator], error
        ):
            c.status, c.expires_at = "Valid", self.env.now() + VALIDITY
            c.co2_g = c.volume_wh * FACTOR // 1000

    def transfer(self) -> None:
        if (picked := self.pick()) is None:
            return
        address, c = picked
        to = self.rng.choice(self.holders)
        ix = self.env.transfer_ix(c.owner.pubkey(), address, to.pubkey())
        if self.expect("transfer_certificate", ix, [c.owner], self.usable_error(c)):
            c.owner = to

    def split(self) -> None:
        if (picked := self.pick()) is None:
            return
        address, c = picked
        part = self.rng.choice([0, 1, c.volume_wh // 3, c.volume_wh - 1, c.volume_wh, c.volume_wh + 1])
        error = self.usable_error(c)
        if error is None and not 0 < part < c.volume_wh:
            error = "InvalidSplitVolume"
        to = self.rng.choice(self.holders)
        ix = self.env.split_ix(c.owner.pubkey(), address, part, to.pubkey())
        if self.expect("split_certificate", ix, [c.owner], error):
            child = ix.accounts[2].pubkey
            child_co2 = c.co2_g * part // c.volume_wh
            self.model[child] = Model("Valid", to, part, c.original, child_co2, c.expires_at)
            self.env.certificates.append(child)
            c.volume_wh -= part
            c.co2_g -= child_co2
            c.splits += 1

    def retire(self) -> None:
        if (picked := self.pick()) is None:
            return
        address, c = picked
        ix = self.env.retire_ix(c.owner.pubkey(), address)
        if self.expect("retire_certificate", ix, [c.owner], self.usable_error(c)):
            c.status = "Retired"

    def revoke(self) -> None:
        """Through a proposal approved by a quorum (the only way once the registry names governance)."""
        if (picked := self.pick()) is None:
            return
        address, c = picked
        error: str | None
        if c.original == address:  # a requested certificate: revoked as a lineage whatever its status
            error = "CertificateRevoked" if c.status == "Revoked" else None
            if error is None and c.lineage_revoked:
                error = "LineageAlreadyRevoked"
        else:
            error = None if c.status in ("Pending", "Valid") else UNUSABLE[c.status]
            if error is None and c.splits:
                error = "HasSplitChildren"
        gov = self.env.gov
        governance = AccountMeta(gov.governance_pda().address, is_signer=True, is_writable=False)
        proposal = gov.approved(self.env.revoke_ix(address, "audit", [governance]))
        if error is None:
            gov.execute(proposal)
            if c.status in ("Pending", "Valid"):
                c.status = "Revoked"
            c.lineage_revoked = c.original == address
        else:
            assert gov.fail([gov.execute_ix(proposal)]) == code(error), ("revoke_certificate", error)
        key = f"revoke_certificate:{error or 'ok'}"
        self.outcomes[key] = self.outcomes.get(key, 0) + 1

    def expire(self) -> None:
        if (picked := self.pick()) is None:
            return
        address, c = picked
        now = self.env.now()
        if c.status == "Valid":
            error = None if now >= c.expires_at else "CertificateNotExpired"
        else:
            error = UNUSABLE[c.status]
        if self.expect("expire_certificate", self.env.expire_ix(address), [], error):
            c.status = "Expired"

    def warp(self) -> None:
        self.env.warp_to(self.env.now() + self.rng.choice([600, 3_600, 3 * 3_600]))

    # -- checks --------------------------------------------------------------------------------------

    def check(self) -> None:
        self.env.check_conservation()
        for address, c in self.model.items():
            state = self.env.certificate(address)
            assert (status_name(state), state.owner, state.volume_wh, state.co2_avoided_g) == (
                c.status,
                c.owner.pubkey(),
                c.volume_wh,
                c.co2_g,
            ), address
            assert state.original == c.original
            assert bool(state.lineage_revoked) == c.lineage_revoked, address
        # CO2 is conserved per requested certificate: its family adds up to what validation gave it.
        for original in {c.original for c in self.model.values()}:
            family = [c for c in self.model.values() if c.original == original]
            if self.model[original].status != "Pending" or len(family) > 1:
                total = sum(c.volume_wh for c in family)
                validated = any(c.expires_at for c in family)
                expected = total * FACTOR // 1000 if validated else 0
                assert sum(c.co2_g for c in family) == expected


@pytest.mark.parametrize("seed", range(1, 7))
def test_random_sequences_follow_the_rules(governance: GovernanceEnv, seed: int) -> None:
    env = CertEnv(governance)
    env.set_emission_factor(FACTOR)
    env.gov.enact(env.gov.update_config_ix(Params(certificate_validity_secs=VALIDITY)))
    run = Run(env, random.Random(seed))
    steps = [
        (run.produce, 4),
        (run.request, 3),
        (run.validate, 3),
        (run.transfer, 2),
        (run.split, 3),
        (run.retire, 1),
        (run.revoke, 1),
        (run.expire, 1),
        (run.warp, 1),
    ]
    actions = [a for a, weight in steps for _ in range(weight)]
    for _ in range(STEPS):
        run.rng.choice(actions)()
        run.check()
    # The sequence reached the interesting places (not only failures).
    assert run.outcomes.get("request_certificate:ok", 0) >= 1, run.outcomes
    assert any(k.endswith(":ok") and k.startswith(("split", "transfer", "retire")) for k in run.outcomes), (
        run.outcomes
    )

"""Test harness for the governance program's renewable-energy certificates in the in-process LiteSVM.

:class:`CertEnv` wraps a :class:`GovernanceEnv` (registry, energy_token, trading and governance in one
VM, governance named the registry's governance) with what certificate tests need: prosumers whose
meters produce through device-signed readings, the zone's emission factor set by an executed proposal,
the certificate PDAs, and every certificate instruction built from ``idl/governance.json`` through
anchorpy's coder. Compute units of each governance instruction are recorded by name.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from anchorpy.program.common import Event
from energy_token_harness import IdlAccountLayout
from governance_harness import SYSTEM_PROGRAM, GovernanceEnv
from registry_harness import ZONE_ID, Prosumer, RegistryEnv
from solders.account import Account
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from solgrid.localnet.svm import Sent
from solgrid.sdk.idl import load_idl_json
from solgrid.sdk.pda import Pda, find_pda
from solgrid.sdk.readings import Reading
from solgrid.sdk.registry import EnergySource
from solgrid.sdk.registry_governance import PauseFlag

WINDOW = 900
"""Readings are quarter-hour windows."""
FACTOR = 450
"""The test zone's emission factor, g CO2 per kWh."""
REGISTRY_ERRORS: dict[str, int] = {e["name"]: e["code"] for e in load_idl_json("registry")["errors"]}
CERTIFICATE_LAYOUT = IdlAccountLayout(load_idl_json("governance"), "Certificate")
"""Byte layout of a Certificate account, from the IDL."""


def registry_code(name: str) -> int:
    return REGISTRY_ERRORS[name]


def status_name(certificate: Any) -> str:
    """A decoded certificate's status variant name (``Pending``, ``Valid``, ...)."""
    return type(certificate.status).__name__


@dataclass
class CertEnv:
    """A governed SolGrid deployment plus certificate helpers (see the module docstring)."""

    gov: GovernanceEnv
    cu: dict[str, list[int]] = field(default_factory=dict)
    prosumers: list[Prosumer] = field(default_factory=list)
    """Every prosumer made through :meth:`prosumer`."""
    certificates: list[Pubkey] = field(default_factory=list)
    """Every certificate created through :meth:`request` and :meth:`split`."""

    # -- plumbing --------------------------------------------------------------------------------

    @property
    def registry(self) -> RegistryEnv:
        return self.gov.registry

    @property
    def program_id(self) -> Pubkey:
        return self.gov.program_id

    @property
    def regulators(self) -> list[Keypair]:
        return self.gov.regulators

    def send(self, instructions: Sequence[Instruction], signers: Sequence[Keypair] = ()) -> Sent:
        return self.gov.send(instructions, signers)

    def run(self, name: str, ix: Instruction, signers: Sequence[Keypair] = ()) -> Sent:
        """Sends ``ix`` alone and records the governance program's compute units under ``name``."""
        sent = self.send([ix], signers)
        self.cu.setdefault(name, []).append(sent.program_cu(self.program_id))
        return sent

    def fail(self, instructions: Sequence[Instruction], signers: Sequence[Keypair] = ()) -> int:
        """Sends a transaction that must fail in its last instruction with a custom error; returns it."""
        return self.gov.fail(instructions, signers)

    def events(self, sent: Sent) -> list[Event]:
        return self.gov.events(sent)

    def now(self) -> int:
        return self.gov.now()

    def warp_to(self, unix_timestamp: int) -> None:
        self.registry.set_unix_time(unix_timestamp)

    def wallet(self) -> Keypair:
        return self.registry.wallet()

    # -- market ----------------------------------------------------------------------------------

    def set_emission_factor(self, g_per_kwh: int = FACTOR, zone_id: int = ZONE_ID) -> None:
        """Sets the zone's emission factor through a proposal approved by a quorum and executed."""
        ix = self.registry.client.set_emission_factor(
            zone_id=zone_id, g_per_kwh=g_per_kwh, cosigners=self.gov.gov()
        )
        self.gov.enact(ix)

    def prosumer(self, source: EnergySource = EnergySource.SOLAR, capacity_w: int = 5_000) -> Prosumer:
        p = self.registry.prosumer(capacity_w=capacity_w, source=source)
        self.prosumers.append(p)
        return p

    def produce(
        self, p: Prosumer, windows: int = 4, production_wh: int = 600, consumption_wh: int = 50
    ) -> int:
        """``windows`` consecutive quarter-hour readings of ``p``, from its last accepted window (or the
        last quarter hour, when that is later), each submitted once its window has ended; returns the
        last window's end."""
        end = max(self.registry.meter(p.meter).last_window_end, self.now() - WINDOW)
        for _ in range(windows):
            self.warp_to(max(self.now(), end + WINDOW))
            self.registry.submit([(p, Reading(end, end + WINDOW, production_wh, consumption_wh))])
            end += WINDOW
        return end

    def pause(self, flags: int = PauseFlag.MINTING, zone_id: int | None = ZONE_ID) -> None:
        """One regulator pauses ``flags`` in ``zone_id``, or market-wide when None."""
        self.gov.trading.pause(flags, zone_id)

    def resume(self, flags: int = PauseFlag.MINTING, zone_id: int | None = ZONE_ID) -> None:
        """Resumes ``flags`` in ``zone_id`` (market-wide when None) through an executed proposal."""
        client = self.registry.client
        if zone_id is None:
            ix = client.resume_market(flags=flags, cosigners=self.gov.gov())
        else:
            ix = client.resume_zone(zone_id=zone_id, flags=flags, cosigners=self.gov.gov())
        self.gov.enact(ix)

    def clear_governance(self) -> None:
        """The registry names no governance program any more (an executed proposal): privileged actions,
        and revocations, are co-signed by a regulator quorum again; no certificate can be requested."""
        self.gov.enact(self.registry.client.set_governance(governance_program=None, cosigners=self.gov.gov()))

    def suspend(self, wallet: Pubkey) -> None:
        regulator = self.regulators[0]
        self.send(
            [self.registry.client.suspend_user(regulator=regulator.pubkey(), wallet=wallet)], [regulator]
        )

    # -- addresses and accounts ------------------------------------------------------------------

    def certificate_pda(self, meter: Pubkey, generation_start: int) -> Pda:
        return find_pda([b"certificate", bytes(meter), struct.pack("<q", generation_start)], self.program_id)

    def child_pda(self, parent: Pubkey, split_index: int) -> Pda:
        return find_pda([b"certificate", bytes(parent), struct.pack("<H", split_index)], self.program_id)

    def next_start(self, meter: Pubkey) -> int:
        """Where the meter's next certificate starts (the program's rule, from the registry's fields)."""
        m = self.registry.meter(meter)
        return m.certificate_until or m.first_window_start or m.registered_at

    def certificate(self, address: Pubkey) -> Any:
        return self.gov.coder.decode_account("Certificate", self.registry.data(address))

    def put_certificate(self, address: Pubkey, **values: Any) -> None:
        """Rewrites fields of an existing certificate in the VM (for states that take thousands of
        transactions to reach, e.g. a split counter at its maximum)."""
        account = self.registry.account(address)
        assert account is not None
        data = CERTIFICATE_LAYOUT.patch(bytes(account.data), values)
        self.gov.svm.set_account(
            address, Account(account.lamports, data, account.owner, account.executable, account.rent_epoch)
        )

    # -- instructions ----------------------------------------------------------------------------

    def request_ix(
        self,
        owner: Pubkey,
        p: Prosumer,
        *,
        certificate: Pda | None = None,
        meter: Pubkey | None = None,
        user: Pubkey | None = None,
        certificates_authority: Pubkey | None = None,
        registry_program: Pubkey | None = None,
        zone: Pubkey | None = None,
    ) -> Instruction:
        pda = certificate or self.certificate_pda(p.meter, self.next_start(p.meter))
        return self.gov.coder.instruction(
            "request_certificate",
            {"bump": pda.bump},
            {
                "owner": owner,
                "config": self.gov.config_pda().address,
                "registry_config": self.gov.registry_config(),
                "meter": meter or p.meter,
                "user": user or p.accounts.user,
                "certificate": pda.address,
                "certificates_authority": certificates_authority or self.gov.certificates_pda().address,
                "registry_program": registry_program or self.registry.program_id,
                "system_program": SYSTEM_PROGRAM,
                "zone": zone or self.registry.client.zone_pda(self.registry.meter(p.meter).zone_id).address,
            },
        )

    def request(self, p: Prosumer) -> Pubkey:
        """The meter's owner requests a certificate; returns its address."""
        ix = self.request_ix(p.wallet.pubkey(), p)
        self.run("request_certificate", ix, [p.wallet])
        self.certificates.append(ix.accounts[5].pubkey)
        return ix.accounts[5].pubkey

    def validate_ix(
        self,
        regulator: Pubkey,
        certificate: Pubkey,
        zone: Pubkey | None = None,
        registry_config: Pubkey | None = None,
    ) -> Instruction:
        return self.gov.coder.instruction(
            "validate_certificate",
            {},
            {
                "regulator": regulator,
                "config": self.gov.config_pda().address,
                "registry_config": registry_config or self.gov.registry_config(),
                "zone": zone or self.registry.client.zone_pda(ZONE_ID).address,
                "certificate": certificate,
            },
        )

    def validate(self, certificate: Pubkey, regulator: Keypair | None = None) -> Sent:
        regulator = regulator or self.regulators[0]
        return self.run(
            "validate_certificate", self.validate_ix(regulator.pubkey(), certificate), [regulator]
        )

    def original_of(self, certificate: Pubkey) -> Pubkey:
        """The ``original`` account transfer, split and retire take: the certificate's stored original
        (itself for a requested one); a certificate that does not exist stands for itself."""
        account = self.registry.account(certificate)
        if account is None or account.owner != self.program_id:
            return certificate
        original: Pubkey = self.certificate(certificate).original
        return original

    def transfer_ix(
        self, owner: Pubkey, certificate: Pubkey, new_owner: Pubkey, original: Pubkey | None = None
    ) -> Instruction:
        return self.gov.coder.instruction(
            "transfer_certificate",
            {"new_owner": new_owner},
            {
                "owner": owner,
                "certificate": certificate,
                "original": original or self.original_of(certificate),
            },
        )

    def transfer(self, owner: Keypair, certificate: Pubkey, new_owner: Pubkey) -> Sent:
        return self.run(
            "transfer_certificate", self.transfer_ix(owner.pubkey(), certificate, new_owner), [owner]
        )

    def split_ix(
        self,
        owner: Pubkey,
        certificate: Pubkey,
        volume_wh: int,
        new_owner: Pubkey,
        child: Pda | None = None,
        original: Pubkey | None = None,
    ) -> Instruction:
        child = child or self.child_pda(certificate, self.certificate(certificate).split_count)
        return self.gov.coder.instruction(
            "split_certificate",
            {"volume_wh": volume_wh, "new_owner": new_owner, "bump": child.bump},
            {
                "owner": owner,
                "certificate": certificate,
                "child": child.address,
                "system_program": SYSTEM_PROGRAM,
                "original": original or self.original_of(certificate),
            },
        )

    def split(self, owner: Keypair, certificate: Pubkey, volume_wh: int, new_owner: Pubkey) -> Pubkey:
        """Splits ``volume_wh`` off to ``new_owner``; returns the child's address."""
        ix = self.split_ix(owner.pubkey(), certificate, volume_wh, new_owner)
        self.run("split_certificate", ix, [owner])
        self.certificates.append(ix.accounts[2].pubkey)
        return ix.accounts[2].pubkey

    def retire_ix(
        self,
        owner: Pubkey,
        certificate: Pubkey,
        *,
        beneficiary: Pubkey | None = None,
        name: str = "Carol's household",
        purpose: str = "household electricity",
        consumption: tuple[int, int] | None = None,
        original: Pubkey | None = None,
    ) -> Instruction:
        start, end = consumption or (self.now() - 30 * 24 * 3600, self.now())
        return self.gov.coder.instruction(
            "retire_certificate",
            {
                "beneficiary": beneficiary or owner,
                "beneficiary_name": name,
                "purpose": purpose,
                "consumption_start": start,
                "consumption_end": end,
            },
            {
                "owner": owner,
                "certificate": certificate,
                "original": original or self.original_of(certificate),
            },
        )

    def retire(self, owner: Keypair, certificate: Pubkey, **options: Any) -> Sent:
        return self.run("retire_certificate", self.retire_ix(owner.pubkey(), certificate, **options), [owner])

    def revoke_ix(
        self, certificate: Pubkey, reason: str = "meter tampering", cosigners: Sequence[AccountMeta] = ()
    ) -> Instruction:
        ix = self.gov.coder.instruction(
            "revoke_certificate",
            {"reason": reason},
            {
                "config": self.gov.config_pda().address,
                "registry_config": self.gov.registry_config(),
                "certificate": certificate,
            },
        )
        return Instruction(ix.program_id, bytes(ix.data), [*ix.accounts, *cosigners])

    def revoke_by(
        self, certificate: Pubkey, signers: Sequence[Keypair], reason: str = "meter tampering"
    ) -> Sent:
        """Revokes with ``signers`` co-signing as remaining accounts."""
        cosigners = [AccountMeta(k.pubkey(), is_signer=True, is_writable=False) for k in signers]
        return self.run("revoke_certificate", self.revoke_ix(certificate, reason, cosigners), signers)

    def revoke_through_proposal(self, certificate: Pubkey, reason: str = "meter tampering") -> Sent:
        """Revokes through a proposal approved by a quorum and executed (the governance PDA signs)."""
        governance = AccountMeta(self.gov.governance_pda().address, is_signer=True, is_writable=False)
        return self.gov.enact(self.revoke_ix(certificate, reason, [governance]))

    def expire_ix(self, certificate: Pubkey) -> Instruction:
        return self.gov.coder.instruction("expire_certificate", {}, {"certificate": certificate})

    def expire(self, certificate: Pubkey) -> Sent:
        return self.run("expire_certificate", self.expire_ix(certificate))

    def check_conservation(self) -> None:
        """Per meter made here: certificate_wh <= certified_wh (renewable production accepted through
        readings), and the certificates created here for it (requested and split off, whatever their
        status) add up to certificate_wh exactly; every certificate descends from one created here."""
        certificates = {a: self.certificate(a) for a in self.certificates}
        for p in self.prosumers:
            meter = self.registry.meter(p.meter)
            assert meter.certificate_wh <= meter.certified_wh, p.meter
            assert meter.certificate_wh <= meter.produced_wh, p.meter
            volume = sum(c.volume_wh for c in certificates.values() if c.meter == p.meter)
            assert volume == meter.certificate_wh, p.meter
        for c in certificates.values():
            assert c.original in certificates

    # -- composite states --------------------------------------------------------------------------

    def valid_certificate(self, p: Prosumer | None = None, windows: int = 4) -> tuple[Prosumer, Pubkey]:
        """A prosumer whose meter produced ``windows`` readings and whose certificate was validated."""
        p = p or self.prosumer()
        self.produce(p, windows)
        certificate = self.request(p)
        self.validate(certificate)
        return p, certificate

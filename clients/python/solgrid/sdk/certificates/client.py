"""Typed client of the governance program's renewable-energy certificates: PDAs, instruction builders,
account reads and events.

PDAs (under the governance program):

* a requested certificate: ``["certificate", meter, generation_start i64 LE]``, where generation_start
  is where the meter's previous certificate ended (:func:`~solgrid.sdk.certificates.certifiable.
  interval_start`), so one interval of a meter can have one certificate only;
* a split's child: ``["certificate", parent, split_index u16 LE]`` (split_index = the parent's
  ``split_count`` before the split).

Who signs: the meter's owner requests (and pays the account); a current regulator validates; the
certificate's owner transfers, splits (paying the child) and retires; a quorum revokes (the
governance PDA through a proposal; the registry's threshold of regulators co-signing only while the
registry names no governance program); anyone expires a valid certificate past its expiry.

Transfer, split and retire take the certificate's ``original`` (:attr:`Certificate.original`: itself
for a requested certificate): a certificate split off one that was later revoked can no longer be
used. Requests and validations are refused while MINTING is paused for the zone or the market.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Commitment, Confirmed
from solders.instruction import Instruction
from solders.pubkey import Pubkey
from solders.system_program import ID as SYSTEM_PROGRAM_ID

from solgrid.sdk.anchor import AccountDecodeError
from solgrid.sdk.certificates.accounts import Certificate, CertificateStatus, decode_certificate
from solgrid.sdk.certificates.certifiable import Certifiable, certifiable
from solgrid.sdk.certificates.events import CertificateEvent, decode_event
from solgrid.sdk.governance.client import GovernanceClient, text_arg
from solgrid.sdk.governance.events import GovernanceEvent
from solgrid.sdk.governance.events import decode_event as decode_governance_event
from solgrid.sdk.pda import Pda, find_pda
from solgrid.sdk.registry import Meter, RegistryClient

CERTIFICATE_SEED = b"certificate"
MULTIPLE_ACCOUNTS = 100
"""The most addresses one ``getMultipleAccounts`` takes."""


@dataclass(frozen=True)
class Request:
    """A certificate request, built from the meter's fields: the instruction, the new certificate's
    address and what it will certify."""

    instruction: Instruction
    certificate: Pubkey
    certifiable: Certifiable


class CertificatesClient:
    """Builds the certificate instructions of the governance program and reads its certificates."""

    def __init__(
        self, governance: GovernanceClient | None = None, registry: RegistryClient | None = None
    ) -> None:
        self.registry = registry or RegistryClient()
        self.governance = governance or GovernanceClient(registry_program_id=self.registry.program_id)
        self.coder = self.governance.coder

    @property
    def program_id(self) -> Pubkey:
        return self.governance.program_id

    # -- addresses ---------------------------------------------------------------------------------

    def certificate_pda(self, meter: Pubkey, generation_start: int) -> Pda:
        """A requested certificate of ``meter`` whose generation interval starts at ``generation_start``."""
        return find_pda(
            [CERTIFICATE_SEED, bytes(meter), struct.pack("<q", generation_start)], self.program_id
        )

    def child_pda(self, parent: Pubkey, split_index: int) -> Pda:
        """Child ``split_index`` split off certificate ``parent``."""
        return find_pda([CERTIFICATE_SEED, bytes(parent), struct.pack("<H", split_index)], self.program_id)

    # -- instructions ------------------------------------------------------------------------------

    def request(self, *, meter_address: Pubkey, meter: Meter, serial: str = "") -> Request:
        """A request by ``meter``'s owner (who signs and pays) for its production no certificate covers
        yet. Raises :class:`~solgrid.sdk.certificates.certifiable.NotRenewable` or
        :class:`~solgrid.sdk.certificates.certifiable.NothingToCertify` from the meter's fields, before
        anything is sent."""
        covered = certifiable(meter, serial)
        pda = self.certificate_pda(meter_address, covered.start)
        ix = self.coder.instruction(
            "request_certificate",
            {"bump": pda.bump},
            {
                "owner": meter.owner,
                "config": self.governance.config_pda().address,
                "registry_config": self.governance.registry_config(),
                "meter": meter_address,
                "user": meter.user,
                "certificate": pda.address,
                "certificates_authority": self.governance.certificates_pda().address,
                "registry_program": self.registry.program_id,
                "system_program": SYSTEM_PROGRAM_ID,
                "zone": self.registry.zone_pda(meter.zone_id).address,
            },
        )
        return Request(ix, pda.address, covered)

    def validate(self, *, regulator: Pubkey, certificate: Pubkey, zone_id: int) -> Instruction:
        """A current regulator validates a pending certificate of zone ``zone_id`` (whose emission factor
        gives the CO2 it avoided)."""
        return self.coder.instruction(
            "validate_certificate",
            {},
            {
                "regulator": regulator,
                "config": self.governance.config_pda().address,
                "registry_config": self.governance.registry_config(),
                "zone": self.registry.zone_pda(zone_id).address,
                "certificate": certificate,
            },
        )

    def transfer(
        self, *, owner: Pubkey, certificate: Pubkey, new_owner: Pubkey, original: Pubkey | None = None
    ) -> Instruction:
        """The whole certificate to ``new_owner``. ``original``: the certificate's
        :attr:`~Certificate.original` (None when it was requested, i.e. is its own original)."""
        return self.coder.instruction(
            "transfer_certificate",
            {"new_owner": new_owner},
            {"owner": owner, "certificate": certificate, "original": original or certificate},
        )

    def split(
        self, *, certificate: Certificate, volume_wh: int, new_owner: Pubkey
    ) -> tuple[Instruction, Pubkey]:
        """``volume_wh`` of ``certificate`` to a new child certificate of ``new_owner`` (the owner signs
        and pays it); the parent keeps the rest. Returns the instruction and the child's address."""
        if not 0 < volume_wh < certificate.volume_wh:
            raise ValueError(
                f"a split moves more than 0 and less than the certificate's {certificate.volume_wh} Wh, got "
                f"{volume_wh}"
            )
        child = self.child_pda(certificate.address, certificate.split_count)
        ix = self.coder.instruction(
            "split_certificate",
            {"volume_wh": volume_wh, "new_owner": new_owner, "bump": child.bump},
            {
                "owner": certificate.owner,
                "certificate": certificate.address,
                "child": child.address,
                "system_program": SYSTEM_PROGRAM_ID,
                "original": certificate.original,
            },
        )
        return ix, child.address

    def retire(
        self,
        *,
        owner: Pubkey,
        certificate: Pubkey,
        beneficiary: Pubkey,
        beneficiary_name: str,
        purpose: str,
        consumption_start: int,
        consumption_end: int,
        original: Pubkey | None = None,
    ) -> Instruction:
        """Claims the certificate for ``beneficiary`` (final): who used the energy (a key and a name of
        at most 64 bytes), for what (at most 64 bytes) and when it was consumed (start < end).
        ``original`` as for :meth:`transfer`."""
        if consumption_start >= consumption_end:
            raise ValueError("the consumption period must start before it ends")
        return self.coder.instruction(
            "retire_certificate",
            {
                "beneficiary": beneficiary,
                "beneficiary_name": text_arg(beneficiary_name, "a beneficiary's name"),
                "purpose": text_arg(purpose, "a retirement's purpose"),
                "consumption_start": consumption_start,
                "consumption_end": consumption_end,
            },
            {"owner": owner, "certificate": certificate, "original": original or certificate},
        )

    def revoke(self, *, certificate: Pubkey, reason: str, cosigners: Sequence[Pubkey]) -> Instruction:
        """Revokes a certificate (which ones: :meth:`Certificate.revocation_refused`; a retired or expired
        requested one keeps its status, its lineage is revoked). ``cosigners``: the governance PDA; a
        quorum of regulators only while the registry names no governance program. See
        :meth:`GovernanceClient.revoke_certificate`."""
        return self.governance.revoke_certificate(certificate=certificate, reason=reason, cosigners=cosigners)

    def expire(self, *, certificate: Pubkey) -> Instruction:
        """Marks a valid certificate past its expiry EXPIRED (anyone may)."""
        return self.coder.instruction("expire_certificate", {}, {"certificate": certificate})

    # -- accounts ----------------------------------------------------------------------------------

    def decode_certificate(self, address: Pubkey, data: bytes) -> Certificate:
        return decode_certificate(self.coder, address, data)

    async def fetch_certificate(
        self, connection: AsyncClient, address: Pubkey, commitment: Commitment = Confirmed
    ) -> Certificate | None:
        """The certificate at ``address``, or None when there is no account there."""
        data = await self.governance.fetch_account_data(connection, address, commitment)
        return None if data is None else self.decode_certificate(address, data)

    async def fetch_original(
        self, connection: AsyncClient, certificate: Certificate, commitment: Commitment = Confirmed
    ) -> Certificate | None:
        """The original of a split part (one account read), or None for a requested certificate (no
        read: it is its own original) or when nothing is at that address; for
        :meth:`Certificate.effective_status`."""
        if not certificate.split_off:
            return None
        return await self.fetch_certificate(connection, certificate.original, commitment)

    async def fetch_originals(
        self,
        connection: AsyncClient,
        certificates: Sequence[Certificate],
        commitment: Commitment = Confirmed,
    ) -> dict[Pubkey, Certificate]:
        """The originals of the split parts among ``certificates``, by address: those listed are taken
        from the list, the others read with ``getMultipleAccounts`` (nothing is read when every
        certificate is requested or its original is listed). Addresses holding no certificate of this
        program are left out."""
        listed = {c.address: c for c in certificates}
        wanted = list(dict.fromkeys(c.original for c in certificates if c.split_off))
        found = {address: listed[address] for address in wanted if address in listed}
        missing = [address for address in wanted if address not in listed]
        for start in range(0, len(missing), MULTIPLE_ACCOUNTS):
            chunk = missing[start : start + MULTIPLE_ACCOUNTS]
            accounts = (await connection.get_multiple_accounts(chunk, commitment=commitment)).value
            for address, account in zip(chunk, accounts, strict=True):
                if account is None or account.owner != self.program_id:
                    continue
                try:
                    found[address] = self.decode_certificate(address, bytes(account.data))
                except AccountDecodeError:
                    continue
        return found

    async def fetch_certificates(
        self,
        connection: AsyncClient,
        commitment: Commitment = Confirmed,
        *,
        owner: Pubkey | None = None,
        meter: Pubkey | None = None,
        status: CertificateStatus | None = None,
    ) -> list[Certificate]:
        """The certificates matching every filter given, by generation start then address
        (``getProgramAccounts`` with ``memcmp`` filters on the discriminator, owner, meter and stored
        status; the offsets come from the IDL). ``status`` is the stored one: a VALID certificate past
        its expiry is listed as VALID until it is expired (see :meth:`Certificate.status_at`)."""
        fields = {
            "owner": None if owner is None else bytes(owner),
            "meter": None if meter is None else bytes(meter),
            "status": None if status is None else bytes([status]),
        }
        accounts = await self.governance.fetch_accounts(connection, "Certificate", fields, commitment)
        found = [self.decode_certificate(address, data) for address, data in accounts]
        return sorted(found, key=lambda c: (c.generation_start, str(c.meter), str(c.address)))

    # -- events ------------------------------------------------------------------------------------

    def events(self, logs: Sequence[str]) -> list[CertificateEvent]:
        """The certificate events in a transaction's log messages, in order."""
        decoded = (decode_event(event.name, event.data) for event in self.coder.events(logs))
        return [event for event in decoded if event is not None]

    def program_events(self, logs: Sequence[str]) -> list[GovernanceEvent | CertificateEvent]:
        """Every event of the governance program in a transaction's log messages, in order: its
        configuration and proposal events as well as its certificate events."""
        found: list[GovernanceEvent | CertificateEvent] = []
        for event in self.coder.events(logs):
            decoded = decode_event(event.name, event.data) or decode_governance_event(event.name, event.data)
            if decoded is not None:
                found.append(decoded)
        return found

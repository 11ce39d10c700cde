"""The registry's side of governance (issue 14): pause flags, the governance program's PDAs, and the
instruction builders and events of ``set_governance``, ``pause_*``/``resume_*``,
``set_emission_factor`` and ``certify_meter``.

:class:`RegistryGovernanceInstructions` is mixed into :class:`solgrid.sdk.registry.RegistryClient`,
so these builders are methods of the registry client.

Who signs what:

* ``pause_market`` / ``pause_zone``: one configured regulator (or the governance PDA);
* ``resume_*``, ``set_emission_factor`` and every other privileged action: ``regulator_threshold``
  co-signing regulators while no governance program is set; once ``set_governance`` named one, only
  its ``["governance"]`` PDA (an executed proposal), passed as the only cosigner;
* ``set_governance`` before governance: the config authority *and* the quorum co-sign;
* ``certify_meter``: only the governance program's ``["certificates"]`` PDA, inside its
  ``request_certificate``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntFlag
from typing import Any, Protocol

from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey

from solgrid.sdk.anchor import ProgramCoder
from solgrid.sdk.pda import Pda, find_pda

GOVERNANCE_SEED = b"governance"
"""Seed of the governance program's PDA that performs privileged registry actions."""
CERTIFICATES_SEED = b"certificates"
"""Seed of the governance program's PDA that signs ``certify_meter``."""
MAX_EMISSION_FACTOR = 2_000
"""Largest zone emission factor, g CO2 per kWh."""


class PauseFlag(IntFlag):
    """What a pause stops (``Config.paused`` market-wide, ``Zone.paused`` per zone)."""

    READINGS = 1
    MINTING = 2
    TRADING = 4
    ALL = 7


def pause_flags(flags: int) -> int:
    """``flags`` checked as the program checks them: a non-empty set of :class:`PauseFlag` bits."""
    if flags <= 0 or flags & ~int(PauseFlag.ALL):
        raise ValueError(
            f"pause flags must be a non-empty set of READINGS=1, MINTING=2, TRADING=4, got {flags}"
        )
    return int(flags)


def is_paused(market: int, zone: int, flag: PauseFlag) -> bool:
    """Whether ``flag`` is paused for a zone whose flags are ``zone`` in a market whose flags are
    ``market`` (what the programs check on their hot paths)."""
    return bool((market | zone) & flag)


def flag_names(flags: int) -> list[str]:
    """The names of the single flags set in ``flags`` (``["READINGS", "MINTING"]``)."""
    return [
        f.name for f in (PauseFlag.READINGS, PauseFlag.MINTING, PauseFlag.TRADING) if flags & f and f.name
    ]


@dataclass(frozen=True)
class GovernancePdas:
    """The governance program's two PDAs the registry trusts once ``set_governance`` named it."""

    governance: Pda
    certificates: Pda


def governance_pdas(governance_program: Pubkey) -> GovernancePdas:
    """The canonical ``["governance"]`` and ``["certificates"]`` PDAs of ``governance_program`` (their
    bumps are what ``set_governance`` takes)."""
    return GovernancePdas(
        find_pda([GOVERNANCE_SEED], governance_program), find_pda([CERTIFICATES_SEED], governance_program)
    )


# -- events ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GovernanceSet:
    config: Pubkey
    governance_program: Pubkey
    """All zeroes (``Pubkey.default()``) when governance was cleared."""
    governance_bump: int
    certificates_bump: int


@dataclass(frozen=True)
class Paused:
    flags: int
    paused: int
    """The resulting flags of the scope (the zone's, or the market's)."""
    by: Pubkey
    zone_id: int | None
    """None: market-wide."""


@dataclass(frozen=True)
class Resumed:
    flags: int
    paused: int
    """The flags still set in the scope."""
    zone_id: int | None


@dataclass(frozen=True)
class EmissionFactorSet:
    zone: Pubkey
    zone_id: int
    old_factor: int
    emission_factor: int


@dataclass(frozen=True)
class MeterCertified:
    meter: Pubkey
    from_: int
    """Start of the newly certified production (``from`` in the IDL), Unix seconds."""
    to: int
    volume_wh: int


GovernanceEvent = GovernanceSet | Paused | Resumed | EmissionFactorSet | MeterCertified


def governance_event(name: str, d: Any) -> GovernanceEvent | None:
    """The event of this module named ``name`` (anchorpy's decoded fields ``d``), or None for another
    registry event."""
    if name == "GovernanceSet":
        return GovernanceSet(d.config, d.governance_program, d.governance_bump, d.certificates_bump)
    if name == "Paused":
        return Paused(d.flags, d.paused, d.by, d.zone_id)
    if name == "Resumed":
        return Resumed(d.flags, d.paused, d.zone_id)
    if name == "EmissionFactorSet":
        return EmissionFactorSet(d.zone, d.zone_id, d.old_factor, d.emission_factor)
    if name == "MeterCertified":
        return MeterCertified(d.meter, d.from_, d.to, d.volume_wh)  # anchorpy renames `from`
    return None


# -- instructions ----------------------------------------------------------------------------------------


class _Registry(Protocol):
    """What the builders need from the registry client."""

    @property
    def coder(self) -> ProgramCoder: ...

    def config_pda(self) -> Pda: ...

    def zone_pda(self, zone_id: int) -> Pda: ...

    def user_pda(self, authority: Pubkey) -> Pda: ...


def _signers(addresses: Sequence[Pubkey]) -> list[AccountMeta]:
    return [AccountMeta(a, is_signer=True, is_writable=False) for a in addresses]


def _with_cosigners(ix: Instruction, cosigners: Sequence[Pubkey]) -> Instruction:
    return Instruction(ix.program_id, bytes(ix.data), [*ix.accounts, *_signers(cosigners)])


class RegistryGovernanceInstructions:
    """Builders of the registry's governance instructions (a mixin of ``RegistryClient``)."""

    def set_governance(
        self: _Registry, *, governance_program: Pubkey | None, cosigners: Sequence[Pubkey]
    ) -> Instruction:
        """Hands privileged actions to ``governance_program`` (None clears it). ``cosigners``: the config
        authority and ``regulator_threshold`` regulators before governance; afterwards the governance
        PDA."""
        if governance_program is None:
            args: dict[str, Any] = {"program": Pubkey.default(), "governance_bump": 0, "certificates_bump": 0}
        else:
            pdas = governance_pdas(governance_program)
            args = {
                "program": governance_program,
                "governance_bump": pdas.governance.bump,
                "certificates_bump": pdas.certificates.bump,
            }
        ix = self.coder.instruction("set_governance", args, {"config": self.config_pda().address})
        return _with_cosigners(ix, cosigners)

    def pause_market(self: _Registry, *, regulator: Pubkey, flags: int) -> Instruction:
        """Pauses ``flags`` market-wide; ``regulator`` (a configured regulator or the governance PDA)
        signs."""
        return self.coder.instruction(
            "pause_market",
            {"flags": pause_flags(flags)},
            {"regulator": regulator, "config": self.config_pda().address},
        )

    def pause_zone(self: _Registry, *, regulator: Pubkey, zone_id: int, flags: int) -> Instruction:
        """Pauses ``flags`` in zone ``zone_id``; ``regulator`` signs."""
        return self.coder.instruction(
            "pause_zone",
            {"flags": pause_flags(flags)},
            {
                "regulator": regulator,
                "config": self.config_pda().address,
                "zone": self.zone_pda(zone_id).address,
            },
        )

    def resume_market(self: _Registry, *, flags: int, cosigners: Sequence[Pubkey]) -> Instruction:
        """Clears market-wide ``flags``; privileged (quorum, or the governance PDA)."""
        ix = self.coder.instruction(
            "resume_market", {"flags": pause_flags(flags)}, {"config": self.config_pda().address}
        )
        return _with_cosigners(ix, cosigners)

    def resume_zone(self: _Registry, *, zone_id: int, flags: int, cosigners: Sequence[Pubkey]) -> Instruction:
        """Clears zone ``zone_id``'s ``flags``; privileged (quorum, or the governance PDA)."""
        ix = self.coder.instruction(
            "resume_zone",
            {"flags": pause_flags(flags)},
            {"config": self.config_pda().address, "zone": self.zone_pda(zone_id).address},
        )
        return _with_cosigners(ix, cosigners)

    def set_emission_factor(
        self: _Registry, *, zone_id: int, g_per_kwh: int, cosigners: Sequence[Pubkey]
    ) -> Instruction:
        """Sets zone ``zone_id``'s grid-mix emission factor (g CO2 per kWh, at most 2000); privileged."""
        if not 0 <= g_per_kwh <= MAX_EMISSION_FACTOR:
            raise ValueError(f"an emission factor is 0 to {MAX_EMISSION_FACTOR} g CO2/kWh, got {g_per_kwh}")
        ix = self.coder.instruction(
            "set_emission_factor",
            {"g_per_kwh": g_per_kwh},
            {"config": self.config_pda().address, "zone": self.zone_pda(zone_id).address},
        )
        return _with_cosigners(ix, cosigners)

    def certify_meter(
        self: _Registry, *, certificates_authority: Pubkey, meter: Pubkey, owner: Pubkey, zone_id: int
    ) -> Instruction:
        """The instruction the governance program's ``request_certificate`` invokes (signed by its
        ``["certificates"]`` PDA); for completeness and tests. ``zone_id`` is the meter's zone (refused
        while MINTING is paused there or market-wide)."""
        return self.coder.instruction(
            "certify_meter",
            {},
            {
                "certificates_authority": certificates_authority,
                "config": self.config_pda().address,
                "meter": meter,
                "user": self.user_pda(owner).address,
                "zone": self.zone_pda(zone_id).address,
            },
        )

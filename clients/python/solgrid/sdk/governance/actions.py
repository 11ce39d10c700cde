"""What a proposal carries: a privileged instruction of a SolGrid program signed by the governance PDA.

:class:`GovernedActions` builds every privileged action of the registry, trading and governance
programs that way (the SDK's own builders, the governance PDA as the cosigner, and as the payer where
the action creates accounts); :func:`governed` turns any instruction the SDK built for co-signing
regulators into the same thing. :func:`describe` reads a proposal's instruction back through its
program's IDL (name and arguments), for people deciding whether to approve it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from construct import Container, ListContainer
from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey

from solgrid.sdk import loader
from solgrid.sdk.anchor import ProgramCoder
from solgrid.sdk.governance import upgrade_authority
from solgrid.sdk.governance.accounts import ConfigParams, Proposal
from solgrid.sdk.governance.client import GovernanceClient, idl_address
from solgrid.sdk.registry import Limits, RegistryClient, ZoneStatus
from solgrid.sdk.trading import MarketParams, TradingClient
from solgrid.sdk.trading.market import MarketHeader
from solgrid.sdk.trading.units import MarketStatus

DISCRIMINATOR_LEN = 8


@dataclass(frozen=True)
class Action:
    """A proposal's instruction, read through its program's IDL."""

    program: str
    """The target program's name (``registry``, ``trading``, ``governance``, ``energy_token``), or its
    address when it is none of SolGrid's."""
    instruction: str
    """The instruction's IDL name, or ``unknown`` when the data matches none."""
    args: dict[str, Any]


def _idl_instruction_accounts(coder: ProgramCoder, name: str) -> int:
    for ix in coder.idl.instructions:
        if ix.name == name:
            return len(ix.accounts)
    raise ValueError(f"{coder.idl.name} has no instruction {name}")


def instruction_name(coder: ProgramCoder, data: bytes) -> str | None:
    """The IDL name of the instruction whose data is ``data``, or None."""
    name: str | None = coder.coder.instruction.sighash_to_name.get(bytes(data[:DISCRIMINATOR_LEN]))
    return name


def governed(ix: Instruction, governance: Pubkey, coders: Sequence[ProgramCoder]) -> Instruction:
    """``ix`` with its privileged signers replaced by the governance PDA: each signer among the
    instruction's IDL accounts (a payer, an authority) becomes the PDA, keeping its writable flag; the
    trailing co-signing regulators become the PDA once. ``coders``: the SolGrid programs' coders (to
    know which accounts are the IDL's)."""
    coder = next((c for c in coders if c.program_id == ix.program_id), None)
    if coder is None:
        raise ValueError(f"{ix.program_id} is not a SolGrid program the SDK knows")
    name = instruction_name(coder, bytes(ix.data))
    if name is None:
        raise ValueError(f"the instruction data is no {coder.idl.name} instruction")
    fixed = _idl_instruction_accounts(coder, name)
    metas: list[AccountMeta] = []
    cosigner_added = False
    for position, meta in enumerate(ix.accounts):
        if not meta.is_signer:
            metas.append(meta)
        elif position < fixed:
            metas.append(AccountMeta(governance, is_signer=True, is_writable=meta.is_writable))
        elif not cosigner_added:
            metas.append(AccountMeta(governance, is_signer=True, is_writable=False))
            cosigner_added = True
    return Instruction(ix.program_id, bytes(ix.data), metas)


def plain_args(value: Any) -> Any:
    """anchorpy's decoded arguments as JSON-ready values: pubkeys in base58, enum variants by name,
    byte arrays as text when they hold printable text (zone names, serials) else as hex."""
    if isinstance(value, Pubkey):
        return str(value)
    if isinstance(value, Container | dict):
        return {k: plain_args(v) for k, v in value.items() if not str(k).startswith("_")}
    if isinstance(value, bytes | bytearray):
        return bytes(value).hex()
    if isinstance(value, ListContainer | list | tuple):
        items = list(value)
        if items and all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 255 for v in items):
            raw = bytes(items).rstrip(b"\0")
            if raw and raw.isascii() and raw.decode().isprintable():
                return raw.decode()
            return bytes(items).hex()
        return [plain_args(v) for v in items]
    if isinstance(getattr(type(value), "index", None), int):  # a borsh enum variant: MarketStatus.Active()
        fields = vars(value) if hasattr(value, "__dict__") else {}
        return {type(value).__name__: plain_args(fields)} if fields else type(value).__name__
    if hasattr(value, "__dataclass_fields__"):
        return {name: plain_args(getattr(value, name)) for name in value.__dataclass_fields__}
    return value


def describe(program_id: Pubkey, data: bytes, coders: Sequence[ProgramCoder]) -> Action:
    """``data`` of an instruction of ``program_id`` by its IDL name and arguments."""
    coder = next((c for c in coders if c.program_id == program_id), None)
    if coder is None:
        return Action(str(program_id), "unknown", {"data": bytes(data).hex()})
    program = str(coder.idl.metadata["name"]) if coder.idl.metadata else coder.idl.name
    if instruction_name(coder, data) is None:
        return Action(program, "unknown", {"data": bytes(data).hex()})
    try:
        parsed = coder.coder.instruction.parse(bytes(data))
    except Exception:  # data that does not parse is shown raw, whatever construct raised
        return Action(program, "unknown", {"data": bytes(data).hex()})
    args = plain_args(parsed.data)
    if parsed.name == "set_regulators":  # the fixed array is padded with zero keys past the count
        args["regulators"] = args["regulators"][: args["regulator_count"]]
    return Action(program, str(parsed.name), args)


LOADER_NAME = "bpf_loader_upgradeable"


def describe_proposal(proposal: Proposal, actions: GovernedActions) -> Action:
    """What ``proposal`` does: its instruction through the target's IDL, or for the upgradeable loader
    which program's upgrade authority it exercises (``args["program"]``: the program's name)."""
    if proposal.target_program == loader.LOADER_V3:
        found = upgrade_authority.describe_loader(
            proposal.data, proposal.accounts, actions.programs, proposal.buffer_pin
        )
        return Action(LOADER_NAME, found.instruction, {"program": found.program, **found.args})
    return describe(proposal.target_program, proposal.data, actions.coders)


class GovernedActions:
    """Every privileged action of SolGrid, built to be proposed: signed by the governance PDA (which also
    pays the rent of accounts an action creates: fund it before such a proposal is executed)."""

    def __init__(
        self,
        governance: GovernanceClient | None = None,
        registry: RegistryClient | None = None,
        trading: TradingClient | None = None,
    ) -> None:
        self.governance = governance or GovernanceClient()
        self.registry = registry or RegistryClient()
        self.trading = trading or TradingClient()

    @property
    def authority(self) -> Pubkey:
        """The governance PDA: the signer (and payer) of every action built here."""
        return self.governance.governance_pda().address

    @property
    def programs(self) -> dict[str, Pubkey]:
        """SolGrid's four programs by name (the only ones whose upgrade authority a proposal governs)."""
        return {
            "registry": self.registry.program_id,
            "trading": self.trading.program_id,
            "energy_token": idl_address("energy_token"),
            "governance": self.governance.program_id,
        }

    @property
    def coders(self) -> list[ProgramCoder]:
        return [self.registry.coder, self.trading.coder, self.governance.coder]

    def _gov(self) -> list[Pubkey]:
        return [self.authority]

    # -- registry ----------------------------------------------------------------------------------

    def update_limits(self, limits: Limits) -> Instruction:
        return self.registry.update_limits(limits=limits, cosigners=self._gov())

    def set_regulators(self, regulators: Sequence[Pubkey], threshold: int) -> Instruction:
        return self.registry.set_regulators(
            regulators=list(regulators), threshold=threshold, cosigners=self._gov()
        )

    def set_settlement_authority(self, settlement_authority: Pubkey) -> Instruction:
        return self.registry.set_settlement_authority(
            settlement_authority=settlement_authority, cosigners=self._gov()
        )

    def propose_authority(self, new_authority: Pubkey) -> Instruction:
        """Names the registry's next config authority (who must then accept)."""
        return self.registry.propose_authority(authority=self.authority, new_authority=new_authority)

    def create_zone(self, zone_id: int, name: str, max_capacity_kw: int) -> Instruction:
        return self.registry.create_zone(
            payer=self.authority,
            zone_id=zone_id,
            name=name,
            max_capacity_kw=max_capacity_kw,
            cosigners=self._gov(),
        )

    def set_zone_status(self, zone_id: int, status: ZoneStatus) -> Instruction:
        return self.registry.set_zone_status(zone_id=zone_id, status=status, cosigners=self._gov())

    def rotate_device_key(self, meter: Pubkey, new_key: bytes) -> Instruction:
        return self.registry.rotate_device_key(meter=meter, new_key=new_key, cosigners=self._gov())

    def set_governance(self, program: Pubkey | None) -> Instruction:
        """Hands governance to another program (None: back to co-signing regulators)."""
        return self.registry.set_governance(governance_program=program, cosigners=self._gov())

    def pause(self, flags: int, zone_id: int | None = None) -> Instruction:
        if zone_id is None:
            return self.registry.pause_market(regulator=self.authority, flags=flags)
        return self.registry.pause_zone(regulator=self.authority, zone_id=zone_id, flags=flags)

    def resume(self, flags: int, zone_id: int | None = None) -> Instruction:
        if zone_id is None:
            return self.registry.resume_market(flags=flags, cosigners=self._gov())
        return self.registry.resume_zone(zone_id=zone_id, flags=flags, cosigners=self._gov())

    def set_emission_factor(self, zone_id: int, g_per_kwh: int) -> Instruction:
        return self.registry.set_emission_factor(zone_id=zone_id, g_per_kwh=g_per_kwh, cosigners=self._gov())

    # -- trading -----------------------------------------------------------------------------------

    def create_market(
        self, zone_id: int, base_mint: Pubkey, quote_mint: Pubkey, params: MarketParams, epoch_secs: int = 0
    ) -> Instruction:
        return self.trading.create_market(
            payer=self.authority,
            zone_id=zone_id,
            base_mint=base_mint,
            quote_mint=quote_mint,
            params=params,
            cosigners=self._gov(),
            epoch_secs=epoch_secs,
        )

    def update_market(
        self,
        market: Pubkey,
        current: MarketHeader,
        *,
        tick_size: int | None = None,
        lot_size_wh: int | None = None,
        min_order_lots: int | None = None,
        taker_fee_bps: int | None = None,
        maker_fee_bps: int | None = None,
        max_orders_per_epoch: int | None = None,
        fee_recipient: Pubkey | None = None,
        status: MarketStatus | None = None,
    ) -> Instruction:
        """``update_market`` setting what is given and keeping ``current``'s values for the rest (the
        instruction sets every parameter)."""

        def pick(value: Any, default: Any) -> Any:
            return default if value is None else value

        return self.trading.update_market(
            market=market,
            tick_size=pick(tick_size, current.tick_size),
            lot_size_wh=pick(lot_size_wh, current.lot_size_wh),
            min_order_lots=pick(min_order_lots, current.min_order_lots),
            taker_fee_bps=pick(taker_fee_bps, current.taker_fee_bps),
            maker_fee_bps=pick(maker_fee_bps, current.maker_fee_bps),
            max_orders_per_epoch=pick(max_orders_per_epoch, current.max_orders_per_epoch),
            fee_recipient=pick(fee_recipient, current.fee_recipient),
            status=pick(status, current.status),
            cosigners=self._gov(),
        )

    def set_market_maker(self, market: Pubkey, trader: Pubkey, enabled: bool) -> Instruction:
        return self.trading.set_market_maker(
            payer=self.authority, market=market, trader=trader, enabled=enabled, cosigners=self._gov()
        )

    # -- governance --------------------------------------------------------------------------------

    def update_config(self, params: ConfigParams) -> Instruction:
        return self.governance.update_config(params=params)

    def revoke_certificate(self, certificate: Pubkey, reason: str) -> Instruction:
        return self.governance.revoke_certificate(
            certificate=certificate, reason=reason, cosigners=self._gov()
        )

    def cancel(self, proposal_id: int) -> Instruction:
        """Cancels another proposal (a cancel decided by quorum through a proposal)."""
        return self.governance.cancel(authority=self.authority, proposal_id=proposal_id)

    # -- upgrade authorities (the loader; see :mod:`.upgrade_authority`) ----------------------------

    def set_upgrade_authority(self, program: Pubkey, new_authority: Pubkey | None) -> Instruction:
        """Hands ``program``'s upgrade authority (held by the governance PDA) to ``new_authority``;
        ``None`` makes the program immutable."""
        return upgrade_authority.set_upgrade_authority(program, self.authority, new_authority)

    def upgrade(self, program: Pubkey, buffer: Pubkey, spill: Pubkey) -> Instruction:
        """Upgrades ``program`` with ``buffer`` (whose authority is the governance PDA)."""
        return upgrade_authority.upgrade(program, buffer, spill, self.authority)

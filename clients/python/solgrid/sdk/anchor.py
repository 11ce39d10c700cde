"""IDL-driven encoding shared by the program clients: instructions, accounts, events and errors.

Everything a client puts on the wire or reads back goes through the program's Anchor IDL and
anchorpy's coder, so a client cannot drift from the IDL (and tests pin the IDL to the program).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from anchorpy.coder.coder import Coder
from anchorpy.idl_adapter import Idl, IdlAccount, IdlTypeDefinitionTyEnum
from anchorpy.program.common import Event
from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey

from solgrid.errors import UserFacingError

DISCRIMINATOR_LEN = 8

_INVOKE = re.compile(r"^Program (?P<program>\w+) invoke \[\d+\]$")
_EXIT = re.compile(r"^Program \w+ (success$|failed)")
_DATA = "Program data: "


class AccountDecodeError(UserFacingError):
    """Account data is not the expected account type of the program."""


@dataclass(frozen=True)
class ProgramErrorInfo:
    """A custom error code as the IDL documents it."""

    code: int
    name: str
    msg: str

    def __str__(self) -> str:
        return f"{self.name} ({self.code}): {self.msg}"


class ProgramCoder:
    """The coder of one program: its IDL, its id and anchorpy's borsh layouts."""

    def __init__(self, idl: Idl, program_id: Pubkey) -> None:
        self.idl = idl
        self.program_id = program_id
        self.coder = Coder(idl)
        self._instructions = {ix.name: ix for ix in idl.instructions}
        self._account_discriminators: dict[str, bytes] = dict(self.coder.accounts.acc_name_to_discriminator)
        self._unit_enums = {
            t.name: len(t.ty.variants)
            for t in idl.types
            if isinstance(t.ty, IdlTypeDefinitionTyEnum) and all(v.fields is None for v in t.ty.variants)
        }
        self._event_discriminators = set(self.coder.events.discriminators)
        self._errors = {e.code: ProgramErrorInfo(e.code, e.name, e.msg or "") for e in idl.errors or []}

    def instruction(self, name: str, args: Mapping[str, Any], accounts: Mapping[str, Pubkey]) -> Instruction:
        """Builds instruction ``name``: data from the IDL's discriminator and argument layout, account
        metas in the IDL's order with its writable/signer flags.

        ``accounts`` maps every IDL account name to its address; a missing or unknown name is an error.
        """
        try:
            idl_ix = self._instructions[name]
        except KeyError:
            raise ValueError(f"{self.idl.name} has no instruction '{name}'") from None
        idl_accounts = [acc for acc in idl_ix.accounts if isinstance(acc, IdlAccount)]
        if len(idl_accounts) != len(idl_ix.accounts):
            raise ValueError(f"{name}: nested account groups are not supported")
        names = [acc.name for acc in idl_accounts]
        missing = [n for n in names if n not in accounts]
        unknown = [n for n in accounts if n not in names]
        if missing or unknown:
            raise ValueError(f"{name}: missing accounts {missing}, unknown accounts {unknown}")
        metas = [
            AccountMeta(accounts[acc.name], is_signer=acc.signer, is_writable=acc.writable)
            for acc in idl_accounts
        ]
        data = self.coder.instruction.encode(name, dict(args))
        return Instruction(self.program_id, data, metas)

    def unit_variant(self, enum_type: str, index: int) -> Any:
        """The anchorpy value of variant ``index`` of the field-less enum ``enum_type``.

        anchorpy encodes enum arguments from its own variant objects; decoding the one-byte borsh form
        of a unit variant is the public way to obtain one.
        """
        variants = self._unit_enums.get(enum_type)
        if variants is None:
            raise ValueError(f"{self.idl.name} has no field-less enum '{enum_type}'")
        if not 0 <= index < variants:
            raise ValueError(f"{enum_type} has no variant {index}")
        return self.coder.types.decode(enum_type, bytes([index]))

    def account_discriminator(self, account_type: str) -> bytes:
        return self._account_discriminators[account_type]

    def decode_account(self, account_type: str, data: bytes) -> Any:
        """The fields of a ``account_type`` account (anchorpy container), after checking the discriminator."""
        expected = self.account_discriminator(account_type)
        if data[:DISCRIMINATOR_LEN] != expected:
            raise AccountDecodeError(
                f"account data is not a {self.idl.name} {account_type} "
                f"(discriminator {data[:DISCRIMINATOR_LEN].hex()}, expected {expected.hex()})"
            )
        return self.coder.accounts.decode(data)

    def events(self, logs: Sequence[str]) -> list[Event]:
        """The program's events in a transaction's log messages, in order.

        The runtime's invoke/success/failed lines are followed so that only ``Program data:`` lines the
        program logged itself count (another program can log the same bytes); data that is not one of
        the program's events is skipped. Events emitted through a self-CPI are not in the logs:
        :func:`solgrid.sdk.cpi_events.cpi_events` reads them from the transaction.
        """
        me = str(self.program_id)
        stack: list[str] = []
        found: list[Event] = []
        for line in logs:
            if match := _INVOKE.match(line):
                stack.append(match["program"])
            elif _EXIT.match(line):
                if stack:
                    stack.pop()
            elif line.startswith(_DATA) and stack and stack[-1] == me:
                for chunk in line[len(_DATA) :].split():
                    event = self._decode_event(chunk)
                    if event is not None:
                        found.append(event)
        return found

    def _decode_event(self, chunk: str) -> Event | None:
        try:
            raw = base64.b64decode(chunk, validate=True)
        except binascii.Error:
            return None
        if raw[:DISCRIMINATOR_LEN] not in self._event_discriminators:
            return None
        event: Event = self.coder.events.parse(raw)
        return event

    def error(self, code: int) -> ProgramErrorInfo | None:
        """The IDL's description of custom error ``code``, if it is one of the program's."""
        return self._errors.get(code)

    @property
    def errors(self) -> Iterable[ProgramErrorInfo]:
        return self._errors.values()

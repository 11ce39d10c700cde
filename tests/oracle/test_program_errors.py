"""The worker's program errors come from the IDLs by name: renumbering is followed, a missing name stops
the worker with one line, and a refusal is attributed to the program that raised it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from anchorpy.idl_adapter import Idl
from solders.pubkey import Pubkey

from solgrid.automation.sender import describe
from solgrid.oracle.program_errors import IdlMismatch, RegistryErrors, program_error
from solgrid.sdk.anchor import ProgramCoder
from solgrid.sdk.energy_token import EnergyTokenClient
from solgrid.sdk.idl import idl_path
from solgrid.sdk.registry import RegistryClient

REGISTRY = RegistryClient()
TOKEN = EnergyTokenClient()


def idl_json() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(idl_path("registry").read_text())
    return loaded


def coder_of(document: dict[str, Any]) -> ProgramCoder:
    return ProgramCoder(Idl.from_json(json.dumps(document)), REGISTRY.program_id)


def test_the_codes_are_the_idl_files() -> None:
    by_name = {e["name"]: e["code"] for e in idl_json()["errors"]}
    errors = RegistryErrors.of(REGISTRY.coder)
    for error in (errors.window_not_after_last, errors.window_in_future, errors.nothing_to_settle):
        assert error.code == by_name[error.name] and error.program_id == REGISTRY.program_id


def test_a_renumbered_error_is_followed_and_a_missing_one_is_one_line() -> None:
    document = idl_json()
    for error in document["errors"]:
        if error["name"] == "WindowNotAfterLast":
            error["code"] = 7777
    assert RegistryErrors.of(coder_of(document)).window_not_after_last.code == 7777

    document["errors"] = [e for e in document["errors"] if e["name"] != "WindowInFuture"]
    with pytest.raises(IdlMismatch) as missing:
        RegistryErrors.of(coder_of(document))
    assert str(missing.value) == (
        "the registry IDL has no error named WindowInFuture, which the oracle worker handles"
    )
    assert program_error(REGISTRY.coder, "NothingToSettle").name == "NothingToSettle"


def cpi_failure_logs(code: int) -> list[str]:
    """energy_token's settle_and_mint failing because the registry's settle_meter refused."""
    outer, inner = TOKEN.program_id, REGISTRY.program_id
    return [
        f"Program {outer} invoke [1]",
        f"Program {inner} invoke [2]",
        f"Program {inner} consumed 2000 of 190000 compute units",
        f"Program {inner} failed: custom program error: {hex(code)}",
        f"Program {outer} consumed 12000 of 200000 compute units",
        f"Program {outer} failed: custom program error: {hex(code)}",
    ]


def test_a_refusal_is_the_innermost_programs_error() -> None:
    errors = RegistryErrors.of(REGISTRY.coder)
    code = errors.nothing_to_settle.code
    refused = describe("simulation failed", cpi_failure_logs(code), [REGISTRY.coder, TOKEN.coder])
    assert refused.is_(errors.nothing_to_settle)
    assert str(refused).startswith(f"registry: NothingToSettle ({code}): ")
    # The same number from another program is not the registry's error.
    foreign = describe("x", [f"Program {Pubkey.default()} failed: custom program error: {hex(code)}"], [])
    assert foreign.code == code and not foreign.is_(errors.nothing_to_settle)
    assert str(foreign) == f"x (program {Pubkey.default()}, custom error {code})"
    plain = describe("Blockhash not found", ["Program log: nothing custom"], [REGISTRY.coder])
    assert plain.code is None and str(plain) == "Blockhash not found"

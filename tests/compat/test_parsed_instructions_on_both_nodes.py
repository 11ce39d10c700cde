"""getTransaction ``jsonParsed`` and simulateTransaction ``innerInstructions`` answer on the local node
exactly as on the real solana-test-validator 4.2.2, for a transaction of every program the RPC parses
(System, SPL Token, Token-2022, ATA, Memo v1/v3, lookup tables, the upgradeable loader) and for
instructions that do not parse."""

from __future__ import annotations

import asyncio
import json
import secrets

import pytest

from parsed_scenario import run_scenario
from real_validator import RealValidator


@pytest.mark.compat
async def test_parsed_instructions_are_the_validators(
    real_validator: RealValidator, fresh_rpc_url: str
) -> None:
    salt = secrets.token_bytes(8)
    ours, theirs = await asyncio.gather(
        run_scenario(fresh_rpc_url, salt), run_scenario(real_validator.rpc_url, salt)
    )
    on_node, on_validator = ours.normalized(), theirs.normalized()
    assert list(on_node) == list(on_validator)
    for label, want in on_validator.items():
        assert on_node[label] == want, (
            f"{label}:\nnode      {json.dumps(on_node[label])}\nvalidator {json.dumps(want)}"
        )
    programs = {
        ix.get("program") for answer in on_validator.values() for ix in answer.get("instructions", [])
    }
    assert {"system", "spl-token", "spl-associated-token-account", "spl-memo", "address-lookup-table",
            "bpf-upgradeable-loader"} <= programs  # fmt: skip

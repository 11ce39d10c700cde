"""Every PDA account of every instruction of every IDL in ``idl/`` carries its seeds, so that Anchor clients
(``@coral-xyz/anchor``'s account resolver, anchorpy) can derive it.

How the test knows an instruction account is a PDA, from the IDLs themselves:

* its own docs say so (``PDA ["settlement"]: ...``); or
* its name designates an account type whose docs say the type lives at a PDA (every type's docs give
  its seeds, e.g. the registry's ``Meter``: ``A meter (PDA ["meter", serial])``). A name resolves as
  ``<program>_<name>`` to a type of that program (``registry_config``: the registry's ``Config``), else to
  the instruction's own program's type, else to the one other program in ``idl/`` that defines it
  (energy_token's ``user``: the registry's ``User``).

Accounts with a fixed ``address`` are not PDAs here. Such a PDA must carry ``pda.seeds`` whose first
seed is the constant its docs give, and, when it belongs to another program, ``pda.program``.

``KNOWN_GAPS`` lists the PDA accounts that do not carry their seeds yet (issue 16, part 3): the test fails
when one is missing that is not listed (a regression, or today's settle_and_mint before its fix) and when a
listed one has its seeds (so that the list only shrinks).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
IDLS: dict[str, dict[str, Any]] = {
    path.stem: json.loads(path.read_text()) for path in sorted((REPO / "idl").glob("*.json"))
}
FIRST_SEED = re.compile(r'PDA \["([^"]+)"')

KNOWN_GAPS: frozenset[tuple[str, str, str]] = frozenset(
    # A Certificate lives at ["certificate", meter, generation_start LE] when requested and at
    # ["certificate", parent, split_index LE] when split: one IDL seed list cannot describe both, and
    # request_certificate computes generation_start from the meter's state rather than taking an argument.
    # Each such account's IDL docs say so (test_known_gaps_say_why_in_their_docs).
    {("governance", ix, "certificate") for ix in ("request_certificate", "validate_certificate")}
    | {
        ("governance", ix, "certificate")
        for ix in ("transfer_certificate", "split_certificate", "retire_certificate", "revoke_certificate")
    }
    | {("governance", "expire_certificate", "certificate")}
)


def camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def docs(item: dict[str, Any]) -> str:
    return " ".join(item.get("docs", []))


def type_docs(program: str, type_name: str) -> str | None:
    """The docs of account type ``type_name`` of ``program``, or None if it has no such account."""
    idl = IDLS[program]
    if not any(account["name"] == type_name for account in idl["accounts"]):
        return None
    return next(docs(ty) for ty in idl["types"] if ty["name"] == type_name)


def resolve(program: str, name: str) -> tuple[str, str] | None:
    """(program, docs) of the account type the instruction account ``name`` of ``program`` designates."""
    for other in IDLS:
        prefix = f"{other}_"
        if other != program and name.startswith(prefix):
            found = type_docs(other, camel(name[len(prefix) :]))
            return None if found is None else (other, found)
    own = type_docs(program, camel(name))
    if own is not None:
        # A type repeated from another program's IDL for its seeds says so ("as the registry's IDL
        # defines it"): the account belongs to that program.
        copied = [other for other in IDLS if other != program and f"as the {other}'s IDL defines it" in own]
        return (copied[0], own) if copied else (program, own)
    elsewhere = [(other, d) for other in IDLS if (d := type_docs(other, camel(name))) is not None]
    # Another program's IDL may repeat a type for its seeds (energy_token carries the registry's Meter);
    # they must agree on the seeds it documents.
    seeds = {match.group(1) if (match := FIRST_SEED.search(d)) else None for _, d in elsewhere}
    return elsewhere[0] if elsewhere and len(seeds) == 1 else None


def expected_pda(program: str, account: dict[str, Any]) -> tuple[str, str] | None:
    """(owning program, first seed) when ``account`` is a PDA, else None."""
    if "address" in account:
        return None
    own = FIRST_SEED.search(docs(account))
    if own is not None:
        resolved = resolve(program, account["name"])
        return (resolved[0] if resolved else program), own.group(1)
    resolved = resolve(program, account["name"])
    if resolved is None:
        return None
    owner, type_doc = resolved
    seed = FIRST_SEED.search(type_doc)
    return None if seed is None else (owner, seed.group(1))


def pda_accounts() -> list[tuple[str, str, dict[str, Any], str, str]]:
    found = []
    for program, idl in IDLS.items():
        for ix in idl["instructions"]:
            for account in ix["accounts"]:
                pda = expected_pda(program, account)
                if pda is not None:
                    found.append((program, ix["name"], account, *pda))
    return found


def test_the_rule_finds_the_pdas_it_should() -> None:
    found = {(p, ix, account["name"]): owner for p, ix, account, owner, _ in pda_accounts()}
    # Own-program PDAs, PDAs of another program by prefix, by docs and by a type only one program defines.
    assert found[("registry", "register_meter", "meter")] == "registry"
    assert found[("energy_token", "settle_and_mint", "registry_config")] == "registry"
    assert found[("energy_token", "settle_and_mint", "user")] == "registry"
    assert found[("energy_token", "settle_and_mint", "zone")] == "registry"
    assert found[("energy_token", "settle_and_mint", "settlement_authority")] == "energy_token"
    # Another program's Meter (the registry's, which energy_token's and governance's IDLs repeat).
    assert found[("governance", "request_certificate", "meter")] == "registry"
    assert found[("governance", "request_certificate", "zone")] == "registry"
    assert found[("energy_token", "settle_and_mint", "meter")] == "registry"
    assert ("energy_token", "settle_and_mint", "destination") not in found
    assert ("registry", "initialize", "system_program") not in found


def test_every_pda_account_carries_its_seeds() -> None:
    missing = set()
    for program, ix, account, owner, first_seed in pda_accounts():
        where = f"{program}.{ix}.{account['name']}"
        pda = account.get("pda")
        if pda is None or not pda.get("seeds"):
            missing.add((program, ix, account["name"]))
            continue
        first = pda["seeds"][0]
        assert first["kind"] == "const" and bytes(first["value"]) == first_seed.encode(), where
        if owner != program:
            assert "program" in pda, f"{where}: a PDA of {owner} needs pda.program"
    assert not missing - KNOWN_GAPS, f"PDA accounts without seeds: {sorted(missing - KNOWN_GAPS)}"
    assert not KNOWN_GAPS - missing, (
        f"these have their seeds now, drop them from KNOWN_GAPS: {sorted(KNOWN_GAPS - missing)}"
    )


def test_known_gaps_say_why_in_their_docs() -> None:
    """A client reading the IDL learns why such an account has no seeds and that it must pass it."""
    for program, ix_name, name in sorted(KNOWN_GAPS):
        ix = next(ix for ix in IDLS[program]["instructions"] if ix["name"] == ix_name)
        text = docs(next(account for account in ix["accounts"] if account["name"] == name))
        assert "No IDL seeds" in text and "pass its address" in text, f"{program}.{ix_name}.{name}"


@pytest.mark.parametrize("program", sorted(IDLS))
def test_account_seeds_name_a_field_of_a_known_account(program: str) -> None:
    """An account seed names an account of the instruction, and a field path (``meter.owner``) a field
    of the account type it names (``"account": "Meter"``), which the IDL defines."""
    idl = IDLS[program]
    types = {ty["name"]: ty for ty in idl["types"]}
    accounts = {account["name"] for account in idl["accounts"]}
    for ix in idl["instructions"]:
        names = {account["name"] for account in ix["accounts"]}
        for account in ix["accounts"]:
            pda = account.get("pda", {})
            for seed in [*pda.get("seeds", []), *([pda["program"]] if "program" in pda else [])]:
                if seed["kind"] != "account":
                    continue
                head, _, field = seed["path"].partition(".")
                assert head in names, f"{ix['name']}.{account['name']}: no account {head}"
                if field:
                    assert seed.get("account") in accounts, f"{ix['name']}.{account['name']}: {seed}"
                    fields = {f["name"] for f in types[seed["account"]]["type"]["fields"]}
                    assert field in fields, f"{ix['name']}.{account['name']}: {seed}"

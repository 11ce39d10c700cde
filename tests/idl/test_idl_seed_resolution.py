"""The IDL seeds derive the addresses the programs check: a small resolver with Anchor's rules (const bytes,
an argument or an account field encoded by its IDL type, ``pda.program`` resolved like a seed) derives
every PDA of an instruction from its other accounts and the fields of the accounts they name, and must
find the addresses the SDK puts there (the SDK derives them as the programs do; the LiteSVM tests run
those instructions)."""

from __future__ import annotations

import struct
from typing import Any

from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from solgrid.sdk.certificates import CertificatesClient
from solgrid.sdk.energy_token import EnergyTokenClient
from solgrid.sdk.idl import load_idl_json
from solgrid.sdk.registry import EnergySource, Meter, MeterStatus, RegistryClient
from solgrid.sdk.trading import Side, TradingClient

SIZES = {"u8": "<B", "u16": "<H", "u32": "<I", "u64": "<Q", "i64": "<q"}


def encode(value: Any, ty: Any) -> bytes:
    """A seed value as Anchor encodes it: pubkeys and byte arrays raw, integers little-endian."""
    if ty == "pubkey":
        return bytes(value)
    if isinstance(ty, dict) and "array" in ty:
        return bytes(value)
    return struct.pack(SIZES[ty], value)


def field_type(idl: dict[str, Any], type_name: str, field: str) -> Any:
    ty = next(t for t in idl["types"] if t["name"] == type_name)
    return next(f["type"] for f in ty["type"]["fields"] if f["name"] == field)


def seed_bytes(
    idl: dict[str, Any],
    ix: dict[str, Any],
    seed: dict[str, Any],
    accounts: dict[str, Pubkey],
    args: dict[str, Any],
    state: dict[str, dict[str, Any]],
) -> bytes:
    if seed["kind"] == "const":
        return bytes(seed["value"])
    if seed["kind"] == "arg":
        arg_type = next(a["type"] for a in ix["args"] if a["name"] == seed["path"])
        return encode(args[seed["path"]], arg_type)
    head, _, field = seed["path"].partition(".")
    if not field:
        return bytes(accounts[head])
    return encode(state[head][field], field_type(idl, seed["account"], field))


def resolve(
    program: str,
    instruction: str,
    built: Instruction,
    args: dict[str, Any],
    state: dict[str, dict[str, Any]],
) -> dict[str, tuple[Pubkey, Pubkey]]:
    """{account: (derived from the IDL, built by the SDK)} for every account of ``instruction`` with seeds."""
    idl = load_idl_json(program)
    ix = next(i for i in idl["instructions"] if i["name"] == instruction)
    accounts = {a["name"]: meta.pubkey for a, meta in zip(ix["accounts"], built.accounts, strict=False)}
    resolved = {}
    for account in ix["accounts"]:
        pda = account.get("pda")
        if pda is None:
            continue
        seeds = [seed_bytes(idl, ix, s, accounts, args, state) for s in pda["seeds"]]
        program_id = (
            Pubkey(seed_bytes(idl, ix, pda["program"], accounts, args, state))
            if "program" in pda
            else built.program_id
        )
        derived, _ = Pubkey.find_program_address(seeds, program_id)
        resolved[account["name"]] = (derived, accounts[account["name"]])
    return resolved


def assert_resolved(resolved: dict[str, tuple[Pubkey, Pubkey]], expected: set[str]) -> None:
    assert expected <= set(resolved), expected - set(resolved)
    for name, (derived, built) in resolved.items():
        assert derived == built, name


def test_settle_and_mint_resolves_the_registry_accounts() -> None:
    token, registry = EnergyTokenClient(), RegistryClient()
    owner, serial, zone_id = Keypair().pubkey(), b"SOLAR-0001".ljust(32, b"\0"), 7
    meter = registry.meter_pda(serial).address
    built = token.settle_and_mint(meter=meter, owner=owner, zone_id=zone_id)
    state = {"meter": {"serial": serial, "owner": owner, "zone_id": zone_id}}
    resolved = resolve("energy_token", "settle_and_mint", built, {}, state)
    assert_resolved(resolved, {"registry_config", "meter", "user", "zone", "config", "mint_authority"})


def test_settle_meter_and_certify_meter_resolve_from_the_meter() -> None:
    registry = RegistryClient()
    owner, serial, zone_id = Keypair().pubkey(), b"WIND-7".ljust(32, b"\0"), 3
    meter = registry.meter_pda(serial).address
    built = registry.settle_meter(
        settlement_authority=Keypair().pubkey(), meter=meter, owner=owner, zone_id=zone_id
    )
    state = {"meter": {"serial": serial, "owner": owner, "zone_id": zone_id}}
    assert_resolved(
        resolve("registry", "settle_meter", built, {}, state), {"config", "meter", "user", "zone"}
    )


def test_place_order_resolves_user_zone_and_market() -> None:
    trading = TradingClient()
    trader, quote_mint, zone_id = Keypair().pubkey(), Keypair().pubkey(), 5
    market = trading.market_pda(zone_id, quote_mint).address
    built = trading.place_order(
        trader=trader, market=market, zone_id=zone_id, seat=0, side=Side.BID, price=1, lots=1
    )
    state = {
        "market": {"zone_id": zone_id, "quote_mint": quote_mint},
        "config": {"registry_program": trading.registry_program_id},
    }
    resolved = resolve("trading", "place_order", built, {}, state)
    assert_resolved(resolved, {"registry_config", "user", "zone", "market", "config", "event_authority"})


def test_request_certificate_resolves_the_registry_accounts_under_the_governance_config() -> None:
    certificates = CertificatesClient()
    registry = certificates.registry
    owner, serial, zone_id = Keypair().pubkey(), b"HYDRO-3".ljust(32, b"\0"), 9
    meter_pda = registry.meter_pda(serial)
    meter = Meter(
        serial=serial,
        owner=owner,
        user=registry.user_pda(owner).address,
        zone_id=zone_id,
        device_key=bytes(Keypair().pubkey()),
        source=EnergySource.HYDRO,
        status=MeterStatus.ACTIVE,
        bump=meter_pda.bump,
        capacity_w=10_000,
        last_window_end=1_700_000_060,
        produced_wh=100,
        consumed_wh=0,
        settled_wh=0,
        certified_wh=100,
        reading_count=1,
        registered_at=1_699_999_000,
        certificate_wh=0,
        certificate_until=0,
        first_window_start=1_700_000_000,
    )
    built = certificates.request(meter_address=meter_pda.address, meter=meter).instruction
    state: dict[str, dict[str, Any]] = {
        "meter": {"serial": serial, "zone_id": zone_id},
        "config": {"registry_program": registry.program_id},
    }
    resolved = resolve("governance", "request_certificate", built, {}, state)
    expected = {"registry_config", "meter", "user", "zone", "config", "certificates_authority"}
    assert_resolved(resolved, expected)

"""``solgrid cert`` and ``solgrid regulator validate-cert|revoke-cert`` against a governed local node of its
own (``governance_support``): alice's solar meter reports device-signed production, she requests a
certificate for it, a regulator validates it (CO2 from the zone's emission factor), she transfers part of
it to carol, who retires it for her household; revocation by proposal (co-signing refused once governed);
expiry; and the one-line errors of bad input (nothing to certify, a battery meter, someone else's meter
or certificate, an unknown certificate, a pending or expired certificate, more than it holds)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from cli_docs import documented_json_keys
from governance_support import EMISSION_FACTOR, ZONE_ID, Gov, governed_node, set_up
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from trading_support import Wallet
from wallet_support import advance_clock, one_line_error

from solgrid.sdk.anchor import AccountDecodeError
from solgrid.sdk.certificates import CertificatesClient, CertificateStatus
from solgrid.sdk.registry import RegistryClient

WINDOW = 600
DAY = 86_400


@pytest.fixture(scope="module")
def gov(tmp_path_factory: pytest.TempPathFactory, elf_of: Callable[[str], bytes]) -> Iterator[Gov]:
    authority = Keypair()
    for url in governed_node(authority, elf_of):
        yield set_up(url, authority, tmp_path_factory.mktemp("certs"))


def prosumer(gov: Gov, name: str) -> Wallet:
    wallet = gov.wallet(name)
    gov.ok(wallet, "user", "register", "--role", "prosumer", "--zone", str(ZONE_ID))
    gov.ok(gov.regulators[0], "regulator", "verify-user", wallet.address)
    return wallet


def meter(gov: Gov, owner: Wallet, serial: str, source: str = "solar") -> str:
    """Registers and activates meter ``serial`` of ``owner``; returns its device key file."""
    device = gov.directory / f"{serial}-device.json"
    device.write_text(json.dumps(list(bytes(Keypair()))))
    gov.ok(
        owner,
        "meter",
        "register",
        serial,
        "--device-key",
        str(device),
        "--source",
        source,
        "--capacity-w",
        "9000",
    )
    gov.ok(gov.regulators[0], "regulator", "activate-meter", serial)
    return str(device)


def produce(gov: Gov, owner: Wallet, serial: str, device: str, readings: list[str]) -> None:
    advance_clock(gov.url, WINDOW * len(readings))
    args = [a for r in readings for a in ("-r", r)]
    gov.ok(owner, "reading", "submit", serial, "--device-key", device, "--window", str(WINDOW), *args)


def test_certificate_lifecycle_and_its_errors(gov: Gov) -> None:
    r0, r1, _ = gov.regulators
    alice, carol = prosumer(gov, "alice"), gov.wallet("carol")
    device = meter(gov, alice, "SOLAR-A")
    one_line_error(gov.run(alice, "cert", "request", "SOLAR-A"), 1, "meter SOLAR-A has nothing to certify")
    produce(gov, alice, "SOLAR-A", device, ["500:50", "700:50", "800:100"])

    requested = gov.ok(alice, "cert", "request", "SOLAR-A")
    cert = requested["address"]
    assert (requested["status"], requested["volume_wh"], requested["serial"], requested["owner"]) == (
        "PENDING",
        2000,
        "SOLAR-A",
        alice.address,
    )
    assert (requested["source"], requested["zone_id"], requested["issuer"], requested["parent"]) == (
        "SOLAR",
        ZONE_ID,
        None,
        None,
    )
    history = gov.ok(alice, "history", "-n", "1")["transactions"]
    assert [(e["program"], e["name"]) for e in history[0]["events"]] == [
        ("registry", "MeterCertified"),
        ("governance", "CertificateRequested"),
    ]
    assert history[0]["events"][1]["fields"]["volume_wh"] == 2000
    shown = gov.ok(carol, "meter", "show", "SOLAR-A")
    assert requested["generation_end"] is not None and shown["certified_wh"] == 2000
    again = gov.run(alice, "cert", "request", "SOLAR-A")
    one_line_error(
        again, 1, "meter SOLAR-A has nothing to certify: all 2000 Wh of its accepted renewable production"
    )
    one_line_error(
        gov.run(carol, "cert", "request", "SOLAR-A"), 1, f"wallet {carol.address} does not own meter SOLAR-A"
    )

    one_line_error(
        gov.run(alice, "cert", "transfer", cert, carol.address), 1, "is pending: a regulator has not"
    )
    one_line_error(gov.run(carol, "regulator", "validate-cert", cert), 1, "is not a registry regulator")
    validated = gov.ok(r1, "regulator", "validate-cert", cert)
    assert (validated["status"], validated["issuer"], validated["co2_avoided_g"]) == (
        "VALID",
        r1.address,
        2000 * EMISSION_FACTOR // 1000,
    )
    one_line_error(
        gov.run(r1, "regulator", "validate-cert", cert), 1, "is valid: only a pending one is validated"
    )

    # Part of it to carol: a split; more than it holds is refused before sending.
    one_line_error(
        gov.run(alice, "cert", "transfer", cert, carol.address, "--volume", "2001"), 1, "holds 2000 Wh"
    )
    moved = gov.ok(alice, "cert", "transfer", cert, carol.address, "--volume", "700")
    child = moved["certificate"]
    assert set(moved) == documented_json_keys("solgrid cert transfer")
    assert (moved["parent"], moved["volume_wh"], moved["kept_wh"]) == (cert, 700, 1300)
    one_line_error(
        gov.run(carol, "cert", "transfer", cert, carol.address), 1, f"does not own certificate {cert}"
    )
    one_line_error(
        gov.run(alice, "cert", "retire", child, "--beneficiary-name", "x", "--purpose", "y"),
        1,
        "does not own",
    )

    retired = gov.ok(
        carol,
        "cert",
        "retire",
        child,
        "--beneficiary-name",
        "Carol's household",
        "--purpose",
        "home electricity",
    )
    assert retired["status"] == "RETIRED" and retired["volume_wh"] == 700
    assert retired["retirement"]["beneficiary"] == carol.address
    assert (retired["retirement"]["beneficiary_name"], retired["retirement"]["purpose"]) == (
        "Carol's household",
        "home electricity",
    )
    assert retired["retirement"]["consumption_start"] == requested["generation_start"]
    shown = gov.ok(carol, "cert", "show", child)
    assert set(shown) == documented_json_keys("solgrid cert show") and set(requested) == {"signature", *shown}
    assert (shown["parent"], shown["original"], shown["co2_avoided_g"]) == (
        cert,
        cert,
        700 * EMISSION_FACTOR // 1000,
    )
    parent = gov.ok(carol, "cert", "show", cert)
    assert parent["volume_wh"] + shown["volume_wh"] == 2000 and parent["split_count"] == 1
    assert parent["co2_avoided_g"] + shown["co2_avoided_g"] == 800
    one_line_error(
        gov.run(carol, "cert", "retire", child, "--beneficiary-name", "x", "--purpose", "y"),
        1,
        "is retired (final)",
    )

    mine = gov.ok(carol, "cert", "list")["certificates"]
    assert [c["address"] for c in mine] == [child]
    of_meter = gov.ok(carol, "cert", "list", "--meter", "SOLAR-A")["certificates"]
    assert {c["address"] for c in of_meter} == {cert, child}
    assert [
        c["address"] for c in gov.ok(carol, "cert", "list", "--all", "--status", "retired")["certificates"]
    ] == [child]
    text = gov.run(carol, "cert", "list", "--meter", "SOLAR-A")
    assert text.exit_code == 0 and "RETIRED" in text.stdout and "SOLAR-A" in text.stdout

    unknown = str(Keypair().pubkey())
    one_line_error(gov.run(carol, "cert", "show", unknown), 1, f"no certificate at {unknown}")
    one_line_error(gov.run(carol, "cert", "show", "not-a-key"), 2, "is not a valid address")

    # Revocation: one regulator alone proposes it; a second approves; anyone executes.
    proposed = gov.ok(r0, "regulator", "revoke-cert", cert, "--reason", "meter tampering")
    assert (proposed["program"], proposed["instruction"], proposed["args"]) == (
        "governance",
        "revoke_certificate",
        {"reason": "meter tampering"},
    )
    gov.ok(r1, "gov", "approve", str(proposed["proposal"]))
    gov.ok(carol, "gov", "execute", str(proposed["proposal"]))
    revoked = gov.ok(carol, "cert", "show", cert)
    assert (revoked["status"], revoked["revoke_reason"]) == ("REVOKED", "meter tampering")
    one_line_error(gov.run(r0, "regulator", "revoke-cert", cert, "--reason", "again"), 1, "is REVOKED")


def test_non_renewable_meters_revocation_reaching_a_split_part_and_expiry(gov: Gov) -> None:
    r0, r1, r2 = gov.regulators
    bob = prosumer(gov, "bob")
    battery = meter(gov, bob, "BAT-B", source="battery")
    produce(gov, bob, "BAT-B", battery, ["400:0"])
    one_line_error(
        gov.run(bob, "cert", "request", "BAT-B"),
        1,
        "meter BAT-B measures battery: only solar, wind and hydro",
    )

    device = meter(gov, bob, "WIND-B", source="wind")
    produce(gov, bob, "WIND-B", device, ["900:0", "900:0"])
    first = gov.ok(bob, "cert", "request", "WIND-B")
    produce(gov, bob, "WIND-B", device, ["300:0"])
    second = gov.ok(bob, "cert", "request", "WIND-B")
    assert (first["volume_wh"], second["volume_wh"]) == (1800, 300)
    assert second["generation_start"] == first["generation_end"]  # no window twice

    # bob sells part of the first certificate; then it is found fraudulent. Co-signing regulators cannot
    # revoke once the registry names a governance program: a proposal does, and it reaches carol's part.
    gov.ok(r1, "regulator", "validate-cert", first["address"])
    carol = gov.wallet("carol-b", "1")
    sold = gov.ok(bob, "cert", "transfer", first["address"], carol.address, "--volume", "800")
    # carol sells part of her part on: her part is then revoked only through its original.
    erin = Keypair().pubkey()
    resold = gov.ok(carol, "cert", "transfer", sold["certificate"], str(erin), "--volume", "300")
    one_line_error(
        gov.run(r0, "regulator", "revoke-cert", sold["certificate"], "--reason", "audit"),
        1,
        f"has certificates split off it: revoke its original {first['address']}",
    )
    cosigned = gov.run(
        r0, "regulator", "revoke-cert", first["address"], "--reason", "audit", "--cosigner", str(r2.path)
    )
    one_line_error(
        cosigned, 1, "the registry names a governance program: a revocation goes through a proposal"
    )
    proposed = gov.ok(r0, "regulator", "revoke-cert", first["address"], "--reason", "audit finding")
    gov.ok(r1, "gov", "approve", str(proposed["proposal"]))
    gov.ok(bob, "gov", "execute", str(proposed["proposal"]))
    revoked = gov.ok(bob, "cert", "show", first["address"])
    assert (revoked["status"], revoked["revoke_reason"]) == ("REVOKED", "audit finding")
    # Its parts keep their stored status, but the program refuses them: show and list say so (they
    # read the original), whatever the part's depth.
    child = gov.ok(carol, "cert", "show", sold["certificate"])
    assert (child["status"], child["stored_status"], child["original"]) == (
        "REVOKED",
        "VALID",
        first["address"],
    )
    assert (child["revoked_via"], child["original_revoke_reason"]) == (first["address"], "audit finding")
    assert child["revoke_reason"] is None  # its own: nobody revoked it
    text = gov.run(carol, "cert", "show", sold["certificate"]).stdout
    assert f"revoked_via:                  {first['address']}" in text
    grandchild = gov.ok(carol, "cert", "list", "--owner", str(erin))["certificates"]
    assert [(c["address"], c["status"], c["stored_status"], c["revoked_via"]) for c in grandchild] == [
        (resold["certificate"], "REVOKED", "VALID", first["address"])
    ]
    assert revoked["revoked_via"] is None  # the original itself is revoked, not through another
    assert revoked["lineage_revoked"] is True
    again = gov.run(r0, "regulator", "revoke-cert", first["address"], "--reason", "again")
    one_line_error(again, 1, f"certificate {first['address']} is REVOKED already")
    assert gov.ok(carol, "cert", "list", "--status", "valid")["certificates"] == []
    listed = gov.ok(carol, "cert", "list", "--status", "revoked")["certificates"]
    assert [c["address"] for c in listed] == [sold["certificate"]]
    line = gov.run(carol, "cert", "list").stdout.strip()
    assert line.startswith(f"{sold['certificate']}  REVOKED ")
    assert line.endswith(f"(revoked via original {first['address']}: audit finding)")
    one_line_error(
        gov.run(carol, "cert", "transfer", sold["certificate"], bob.address),
        1,
        f"was split from certificate {first['address']}, which was revoked (audit finding)",
    )

    # Validity 30 days: after it the certificate is expired (listed so before anyone marks it).
    gov.ok(r1, "regulator", "validate-cert", second["address"])
    one_line_error(gov.run(bob, "cert", "expire", second["address"]), 1, "is valid until")
    advance_clock(gov.url, 30 * DAY)
    listed = gov.ok(bob, "cert", "list", "--status", "expired")["certificates"]
    assert [(c["address"], c["stored_status"]) for c in listed] == [(second["address"], "VALID")]
    one_line_error(
        gov.run(bob, "cert", "retire", second["address"], "--beneficiary-name", "b", "--purpose", "p"),
        1,
        "expired at",
    )
    carol = gov.wallet("expirer", "1")
    expired = gov.ok(carol, "cert", "expire", second["address"])
    assert expired["status"] == "EXPIRED"
    assert gov.ok(bob, "cert", "show", second["address"])["stored_status"] == "EXPIRED"
    # An expired requested certificate is still revoked by a quorum (its lineage): it stays EXPIRED.
    proposed = gov.ok(r0, "regulator", "revoke-cert", second["address"], "--reason", "late audit")
    gov.ok(r1, "gov", "approve", str(proposed["proposal"]))
    gov.ok(bob, "gov", "execute", str(proposed["proposal"]))
    late = gov.ok(bob, "cert", "show", second["address"])
    assert (late["status"], late["lineage_revoked"], late["revoke_reason"]) == ("EXPIRED", True, "late audit")
    again = gov.run(r0, "regulator", "revoke-cert", second["address"], "--reason", "again")
    one_line_error(again, 1, "is EXPIRED and its lineage is revoked already")


def test_a_retirement_from_a_revoked_lineage_says_so(gov: Gov) -> None:
    """A part retired before its original's lineage was revoked (fraud) stays RETIRED, and so does the
    retired original itself, but show and list say the lineage was revoked, through which original and
    why; a valid part of the same lineage is REVOKED in effect, as before."""
    r0, r1, _ = gov.regulators
    gina = prosumer(gov, "gina")
    device = meter(gov, gina, "SOLAR-G")
    produce(gov, gina, "SOLAR-G", device, ["900:0"])
    original = gov.ok(gina, "cert", "request", "SOLAR-G")["address"]
    gov.ok(r0, "regulator", "validate-cert", original)
    hugo = gov.wallet("hugo", "1")
    retired_part = gov.ok(gina, "cert", "transfer", original, hugo.address, "--volume", "300")["certificate"]
    valid_part = gov.ok(gina, "cert", "transfer", original, hugo.address, "--volume", "200")["certificate"]
    retire = ("--beneficiary-name", "hugo's flat", "--purpose", "heating")
    gov.ok(hugo, "cert", "retire", retired_part, *retire)
    gov.ok(gina, "cert", "retire", original, *retire)
    before = gov.ok(hugo, "cert", "show", retired_part)
    assert (before["status"], before["lineage_revoked"], before["revoked_via"]) == ("RETIRED", False, None)

    proposed = gov.ok(r0, "regulator", "revoke-cert", original, "--reason", "forged readings")
    gov.ok(r1, "gov", "approve", str(proposed["proposal"]))
    gov.ok(gina, "gov", "execute", str(proposed["proposal"]))

    part = gov.ok(hugo, "cert", "show", retired_part)
    assert (part["status"], part["stored_status"], part["revoke_reason"]) == ("RETIRED", "RETIRED", None)
    assert (part["lineage_revoked"], part["revoked_via"], part["original_revoke_reason"]) == (
        True,
        original,
        "forged readings",
    )
    assert part["retirement"]["beneficiary_name"] == "hugo's flat"  # the retirement stays
    text = gov.run(hugo, "cert", "show", retired_part).stdout
    assert "lineage_revoked:              True" in text
    assert f"revoked_via:                  {original}" in text
    assert "original_revoke_reason:       forged readings" in text
    whole = gov.ok(gina, "cert", "show", original)
    assert (whole["status"], whole["lineage_revoked"], whole["revoked_via"], whole["revoke_reason"]) == (
        "RETIRED",
        True,
        None,
        "forged readings",
    )
    valid = gov.ok(hugo, "cert", "show", valid_part)
    assert (valid["status"], valid["stored_status"], valid["lineage_revoked"], valid["revoked_via"]) == (
        "REVOKED",
        "VALID",
        True,
        original,
    )
    listed = gov.ok(hugo, "cert", "list")["certificates"]
    assert {c["address"]: (c["status"], c["lineage_revoked"], c["revoked_via"]) for c in listed} == {
        retired_part: ("RETIRED", True, original),
        valid_part: ("REVOKED", True, original),
    }
    lines = {line.split()[0]: line for line in gov.run(hugo, "cert", "list").stdout.splitlines()}
    assert lines[retired_part].endswith(f"(lineage revoked via original {original}: forged readings)")
    assert lines[valid_part].endswith(f"(revoked via original {original}: forged readings)")
    own = gov.run(gina, "cert", "list").stdout.strip()
    assert own.startswith(f"{original}  RETIRED ") and own.endswith("(lineage revoked: forged readings)")


class CountingClient(AsyncClient):
    """An RPC client that counts the account reads it makes."""

    reads: list[str]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reads = []

    async def get_account_info(self, *args: Any, **kwargs: Any) -> Any:
        self.reads.append("getAccountInfo")
        return await super().get_account_info(*args, **kwargs)

    async def get_multiple_accounts(self, *args: Any, **kwargs: Any) -> Any:
        self.reads.append("getMultipleAccounts")
        return await super().get_multiple_accounts(*args, **kwargs)


def test_the_sdk_reads_a_split_parts_original_for_its_effective_status(gov: Gov) -> None:
    """``effective_status`` of a part split off an original that a proposal revoked is REVOKED (its stored
    status VALID); reading the originals costs one account read for a part and none for an original
    (``fetch_original``), one ``getMultipleAccounts`` for the parts of a list whose originals it does not
    hold, none when it holds them (``fetch_originals``)."""
    r0, r1, _ = gov.regulators
    fred = prosumer(gov, "fred")
    device = meter(gov, fred, "SOLAR-F")
    produce(gov, fred, "SOLAR-F", device, ["700:0"])
    original = gov.ok(fred, "cert", "request", "SOLAR-F")["address"]
    gov.ok(r0, "regulator", "validate-cert", original)
    part = gov.ok(fred, "cert", "transfer", original, str(Keypair().pubkey()), "--volume", "200")[
        "certificate"
    ]
    client = CertificatesClient()

    async def read(expected: CertificateStatus) -> None:
        rpc = CountingClient(gov.url, commitment=Confirmed)
        async with rpc:
            whole = await client.fetch_certificate(rpc, Pubkey.from_string(original))
            split = await client.fetch_certificate(rpc, Pubkey.from_string(part))
            assert whole is not None and split is not None and rpc.reads == ["getAccountInfo"] * 2
            assert await client.fetch_original(rpc, whole) is None and len(rpc.reads) == 2  # no read
            found = await client.fetch_original(rpc, split)
            assert found is not None and found.address == whole.address and len(rpc.reads) == 3
            now = 0  # long before any expiry: only the original decides
            assert split.status == CertificateStatus.VALID
            assert split.effective_status(now, found) == expected
            assert split.revoked_via(found) == (expected == CertificateStatus.REVOKED)
            assert whole.effective_status(now) == whole.status
            assert await client.fetch_originals(rpc, [whole, split]) == {whole.address: whole}
            assert len(rpc.reads) == 3  # the original was listed
            originals = await client.fetch_originals(rpc, [split])
            assert originals[whole.address].status == found.status
            assert rpc.reads[3:] == ["getMultipleAccounts"]

    asyncio.run(read(CertificateStatus.VALID))
    proposed = gov.ok(r0, "regulator", "revoke-cert", original, "--reason", "seal broken")
    gov.ok(r1, "gov", "approve", str(proposed["proposal"]))
    gov.ok(fred, "gov", "execute", str(proposed["proposal"]))
    asyncio.run(read(CertificateStatus.REVOKED))


def test_the_sdk_lists_certificates_over_rpc(gov: Gov) -> None:
    """``CertificatesClient`` over JSON-RPC: ``getProgramAccounts`` with ``memcmp`` filters on the owner,
    the meter and the stored status give exactly the matching certificates."""
    dora = prosumer(gov, "dora")
    device = meter(gov, dora, "HYDRO-D", source="hydro")
    produce(gov, dora, "HYDRO-D", device, ["250:0"])
    first = gov.ok(dora, "cert", "request", "HYDRO-D")["address"]
    produce(gov, dora, "HYDRO-D", device, ["350:0"])
    second = gov.ok(dora, "cert", "request", "HYDRO-D")["address"]
    gov.ok(gov.regulators[2], "regulator", "validate-cert", second)
    client = CertificatesClient()
    registry = RegistryClient()

    async def read() -> None:
        async with AsyncClient(gov.url, commitment=Confirmed) as rpc:
            owned = await client.fetch_certificates(rpc, owner=dora.keypair.pubkey())
            assert [str(c.address) for c in owned] == [first, second]  # by generation interval
            meter_address = registry.meter_pda("HYDRO-D").address
            assert [c.volume_wh for c in await client.fetch_certificates(rpc, meter=meter_address)] == [
                250,
                350,
            ]
            valid = await client.fetch_certificates(rpc, meter=meter_address, status=CertificateStatus.VALID)
            assert [str(c.address) for c in valid] == [second]
            pending = await client.fetch_certificates(
                rpc, owner=dora.keypair.pubkey(), status=CertificateStatus.PENDING
            )
            assert [str(c.address) for c in pending] == [first]
            assert await client.fetch_certificate(rpc, Keypair().pubkey()) is None
            with pytest.raises(AccountDecodeError, match="not the governance program"):
                await client.fetch_certificate(rpc, meter_address)

    asyncio.run(read())


def test_a_regulator_does_not_validate_their_own_certificate(gov: Gov) -> None:
    """A regulator who owns a solar meter requests a certificate for it: validating it themselves is
    refused before sending (one line), another regulator validates it."""
    r0, _, r2 = gov.regulators
    gov.ok(r2, "user", "register", "--role", "prosumer", "--zone", str(ZONE_ID))
    gov.ok(r0, "regulator", "verify-user", r2.address)
    device = meter(gov, r2, "SOLAR-R2")
    produce(gov, r2, "SOLAR-R2", device, ["600:0"])
    cert = gov.ok(r2, "cert", "request", "SOLAR-R2")["address"]
    one_line_error(
        gov.run(r2, "regulator", "validate-cert", cert),
        1,
        f"certificate {cert} is owned by your wallet: a regulator cannot validate a certificate they own",
    )
    assert gov.ok(r2, "cert", "show", cert)["status"] == "PENDING"
    validated = gov.ok(r0, "regulator", "validate-cert", cert)
    assert (validated["status"], validated["owner"], validated["issuer"]) == ("VALID", r2.address, r0.address)

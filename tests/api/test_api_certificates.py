"""Certificates with their history, retirements and carbon credits over the API, from the governance
program's real transactions (LiteSVM, recorded as a node returns them; see governance_world) stored by
the indexer (SQLite and Postgres)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from api_data import every_page, one_line_error, stored
from governance_world import DAY, SOUTH, ZONE, Lifecycle, Params, governance_world, lifecycle
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from solgrid.indexer.credits import CREDIT_SUMS


@pytest.fixture(scope="module")
def life(governance_elves: dict[str, bytes]) -> Lifecycle:
    env, recorder = governance_world(governance_elves, Params(certificate_validity_secs=30 * DAY))
    return lifecycle(env, recorder)


class Names:
    def __init__(self, life: Lifecycle) -> None:
        self.ids = {name: str(address) for name, address in life.certificates.items()}
        self.by_address = {address: name for name, address in self.ids.items()}
        self.alice, self.erin = str(life.alice.wallet.pubkey()), str(life.erin.wallet.pubkey())
        self.bob, self.carol, self.dave = (str(k.pubkey()) for k in (life.bob, life.carol, life.dave))
        self.household = str(life.household.pubkey())
        self.alice_meter, self.erin_meter = str(life.alice.meter), str(life.erin.meter)
        self.r0 = str(life.regulators[0].pubkey())

    def of(self, items: list[dict[str, Any]]) -> list[str]:
        return [self.by_address[c["address"]] for c in items]


async def test_certificates_in_their_current_state_with_filters(
    api: httpx.AsyncClient, db: async_sessionmaker[AsyncSession], life: Lifecycle
) -> None:
    await stored(db, *life.txs)
    n = Names(life)
    everything = await every_page(api, "/api/v1/certificates", 3)
    keys = [(c["updated_slot"], c["address"]) for c in everything]
    assert keys == sorted(keys, reverse=True) and sorted(n.of(everything)) == sorted(n.ids)

    def state(c: dict[str, Any]) -> tuple[Any, ...]:
        return (c["status"], c["owner"], c["volume_wh"], c["co2_avoided_g"], c["initial_volume_wh"])

    states = {n.by_address[c["address"]]: state(c) for c in everything}
    assert states == {
        "c1": ("Valid", n.bob, 1_000, 400, 1_800),
        "k1": ("Retired", n.carol, 500, 200, 500),
        "k2": ("Valid", n.dave, 300, 120, 300),
        "c2": ("Revoked", n.alice, 1_200, 480, 1_200),
        "c3": ("Expired", n.alice, 600, 240, 600),
        "c4": ("Revoked", n.alice, 450, 0, 450),
        "c5": ("Pending", n.alice, 350, 0, 350),
        "e1": ("Valid", n.erin, 1_400, 140, 1_400),
    }

    async def names(**params: object) -> list[str]:
        return n.of(await every_page(api, "/api/v1/certificates", 2, **params))

    def in_order(*wanted: str) -> list[str]:
        return [name for name in n.of(everything) if name in wanted]

    assert await names(status="Valid") == in_order("c1", "k2", "e1")
    assert await names(status="Retired") == ["k1"]
    assert await names(status="Expired") == ["c3"]
    assert await names(owner=n.alice) == in_order("c2", "c3", "c4", "c5")
    assert await names(zone=SOUTH) == ["e1"]
    assert await names(zone=ZONE) == in_order("c1", "k1", "k2", "c2", "c3", "c4", "c5")
    assert await names(meter=n.erin_meter) == ["e1"]
    assert await names(owner=n.bob, status="Valid") == ["c1"]
    assert await names(owner=n.bob, zone=SOUTH) == []
    updated = {n.by_address[c["address"]]: c["updated_at"] for c in everything}
    # from / to on updated_at (its latest change; inclusive, exclusive), across pages of two
    assert updated["c3"] == updated["c4"] > updated["c2"] > updated["k2"] == updated["c1"] == updated["k1"]
    assert await names(**{"from": updated["c3"]}) == ["e1", "c5", "c4", "c3"]
    assert await names(**{"to": updated["c3"]}) == ["c2", "k2", "c1", "k1"]
    assert await names(**{"from": updated["k1"], "to": updated["c2"]}) == ["k2", "c1", "k1"]
    assert await names(**{"from": updated["c3"], "to": updated["c5"]}) == ["c4", "c3"]
    assert await names(**{"from": updated["e1"] + 1}) == []
    assert await names(status="Valid", **{"to": updated["c2"]}) == ["k2", "c1"]
    assert await names(owner=n.alice, **{"from": updated["c2"], "to": updated["c5"]}) == ["c4", "c3", "c2"]


async def test_a_certificate_with_its_history_oldest_first(
    api: httpx.AsyncClient, db: async_sessionmaker[AsyncSession], life: Lifecycle
) -> None:
    await stored(db, *life.txs)
    n = Names(life)
    c1 = (await api.get(f"/api/v1/certificates/{n.ids['c1']}")).json()
    assert (c1["parent"], c1["original"], c1["split_count"], c1["meter"], c1["zone_id"], c1["source"]) == (
        None,
        n.ids["c1"],
        2,
        n.alice_meter,
        ZONE,
        "Solar",
    )
    assert [
        (h["change"], h["status"], h["owner"], h["volume_wh"], h["co2_avoided_g"], h["actor"], h["related"])
        for h in c1["history"]
    ] == [
        ("requested", "Pending", n.alice, 1_800, 0, n.alice, None),
        ("validated", "Valid", n.alice, 1_800, 720, n.r0, None),
        ("split", "Valid", n.alice, 1_300, 520, n.alice, n.ids["k1"]),
        ("transferred", "Valid", n.bob, 1_300, 520, n.alice, None),
        ("split", "Valid", n.bob, 1_000, 400, n.bob, n.ids["k2"]),
    ]
    assert all(h["certificate"] == n.ids["c1"] for h in c1["history"])
    k1 = (await api.get(f"/api/v1/certificates/{n.ids['k1']}")).json()
    assert [(h["change"], h["owner"]) for h in k1["history"]] == [
        ("split_from", n.carol),
        ("retired", n.carol),
    ]
    assert (k1["parent"], k1["split_index"], k1["status"]) == (n.ids["c1"], 0, "Retired")
    c2 = (await api.get(f"/api/v1/certificates/{n.ids['c2']}")).json()
    assert (c2["revoke_reason"], c2["history"][-1]["change"]) == ("meter seal broken", "revoked")
    stranger = n.alice
    assert await one_line_error(api, f"/api/v1/certificates/{stranger}", 404) == (
        f"certificate {stranger} not found"
    )


async def test_retirements_with_their_filters(
    api: httpx.AsyncClient, db: async_sessionmaker[AsyncSession], life: Lifecycle
) -> None:
    await stored(db, *life.txs)
    n = Names(life)
    (retirement,) = await every_page(api, "/api/v1/retirements", 1)
    assert (
        retirement["certificate"],
        retirement["owner"],
        retirement["beneficiary"],
        retirement["beneficiary_name"],
        retirement["purpose"],
        retirement["consumption_end"] - retirement["consumption_start"],
        retirement["volume_wh"],
        retirement["co2_avoided_g"],
        retirement["meter"],
        retirement["zone_id"],
    ) == (
        n.ids["k1"],
        n.carol,
        n.household,
        "Carol's household",
        "home electricity",
        30 * DAY,
        500,
        200,
        n.alice_meter,
        ZONE,
    )
    retired_at = retirement["retired_at"]
    for params, found in [
        ({"owner": n.carol}, 1),
        ({"owner": n.bob}, 0),
        ({"beneficiary": n.household}, 1),
        ({"beneficiary": n.carol}, 0),
        ({"zone": ZONE}, 1),
        ({"zone": SOUTH}, 0),
        ({"from": retired_at}, 1),
        ({"from": retired_at + 1}, 0),
        ({"to": retired_at}, 0),
        ({"from": retired_at - 1, "to": retired_at + 1}, 1),
    ]:
        assert len(await every_page(api, "/api/v1/retirements", 1, **params)) == found, params


async def test_carbon_credits_per_owner_zone_and_meter_at_a_time(
    api: httpx.AsyncClient, db: async_sessionmaker[AsyncSession], life: Lifecycle
) -> None:
    await stored(db, *life.txs)
    n = Names(life)
    expiry = (await api.get(f"/api/v1/certificates/{n.ids['c1']}")).json()["expires_at"]

    async def credits(**params: object) -> dict[str, Any]:
        answer = await api.get("/api/v1/carbon-credits", params=params)
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    def sums(row: dict[str, Any]) -> tuple[int, ...]:
        names = ("held_co2_g", "retired_co2_g", "held_wh", "retired_wh", "certificates", "lapsed_co2_g")
        return tuple(row[k] for k in names)

    before = await credits(at=expiry - 1)
    assert (before["at"], before["group_by"]) == (expiry - 1, "owner")
    assert [(r["owner"], r["zone_id"], r["meter"], sums(r)) for r in before["items"]] == sorted(
        [
            (n.bob, None, None, (400, 0, 1_000, 0, 1, 0)),
            (n.carol, None, None, (0, 200, 0, 500, 1, 0)),
            (n.dave, None, None, (120, 0, 300, 0, 1, 0)),
            (n.erin, None, None, (140, 0, 1_400, 0, 1, 0)),
        ]
    )
    assert set(before["items"][0]) == {"owner", "zone_id", "meter", *CREDIT_SUMS}
    assert [r["lapsed_wh"] + r["void_wh"] + r["retired_revoked_wh"] for r in before["items"]] == [0] * 4
    zones = await credits(at=expiry - 1, group_by="zone")
    assert [(r["zone_id"], sums(r)) for r in zones["items"]] == [
        (ZONE, (520, 200, 1_300, 500, 3, 0)),
        (SOUTH, (140, 0, 1_400, 0, 1, 0)),
    ]
    at_expiry = await credits(at=expiry, group_by="zone", zone=ZONE)
    assert [(r["zone_id"], sums(r)) for r in at_expiry["items"]] == [(ZONE, (0, 200, 0, 500, 3, 520))]
    meters = await credits(at=expiry - 1, group_by="meter", owner=n.bob)
    assert [(r["meter"], r["owner"], sums(r)) for r in meters["items"]] == [
        (n.alice_meter, None, (400, 0, 1_000, 0, 1, 0))
    ]
    assert (await credits(owner=n.alice, at=expiry - 1))["items"] == []
    assert [r["owner"] for r in (await credits(meter=n.erin_meter, at=0))["items"]] == [n.erin]
    now = await credits()  # the server's clock: every certificate of this world has lapsed by now
    assert now["at"] > expiry and sum(r["held_co2_g"] for r in now["items"]) == 0


@pytest.mark.parametrize(
    ("path", "params", "status", "message"),
    [
        (
            "/api/v1/certificates",
            {"status": "Lost"},
            400,
            "status: 'Lost' is not one of Pending, Valid, Retired",
        ),
        ("/api/v1/certificates", {"owner": "0OIl"}, 400, "owner: '0OIl' is not base58"),
        ("/api/v1/certificates", {"meter": "abc"}, 400, "meter: 'abc' is not a 32-byte address"),
        ("/api/v1/certificates", {"zone": -1}, 400, "zone: Input should be greater than or equal to 0"),
        ("/api/v1/certificates", {"from": 9, "to": 9}, 400, "to: must be after from (9 <= 9)"),
        ("/api/v1/certificates", {"to": -3}, 400, "to: Input should be greater than or equal to 0"),
        ("/api/v1/certificates", {"from": 2**63}, 400, "from: Input should be less than or equal to"),
        ("/api/v1/certificates", {"cursor": "WzEsMV0"}, 400, "cursor: not a cursor of this list"),  # [1,1]
        ("/api/v1/certificates/abc", {}, 400, "address: 'abc' is not a 32-byte address"),
        ("/api/v1/retirements", {"beneficiary": "0"}, 400, "beneficiary: '0' is not base58"),
        ("/api/v1/retirements", {"from": 9, "to": 3}, 400, "to: must be after from (3 <= 9)"),
        ("/api/v1/retirements", {"cursor": "!"}, 400, "cursor: not a cursor this API gave"),
        (
            "/api/v1/carbon-credits",
            {"group_by": "planet"},
            400,
            "group_by: 'planet' is not one of owner, zone, meter",
        ),
        ("/api/v1/carbon-credits", {"at": -1}, 400, "at: Input should be greater than or equal to 0"),
        ("/api/v1/carbon-credits", {"at": 2**63}, 400, "at: Input should be less than or equal to"),
        ("/api/v1/carbon-credits", {"owner": "xyz"}, 400, "owner: 'xyz' is not a 32-byte address"),
    ],
)
async def test_bad_parameters_are_one_line_400s(
    api: httpx.AsyncClient, path: str, params: dict[str, object], status: int, message: str
) -> None:
    assert (await one_line_error(api, path, status, **params)).startswith(message)

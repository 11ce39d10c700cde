"""Proposals with their votes, and pauses, over the API, from the governance program's real
transactions (LiteSVM, see governance_world) stored by the indexer (SQLite and Postgres)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from api_data import every_page, one_line_error, stored
from governance_world import DAY, SOUTH, ZONE, Lifecycle, Params, governance_world, lifecycle
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from solgrid.sdk.registry_governance import governance_pdas


@pytest.fixture(scope="module")
def life(governance_elves: dict[str, bytes]) -> Lifecycle:
    env, recorder = governance_world(governance_elves, Params(certificate_validity_secs=30 * DAY))
    return lifecycle(env, recorder)


async def test_proposals_newest_first_with_their_votes(
    api: httpx.AsyncClient, db: async_sessionmaker[AsyncSession], life: Lifecycle
) -> None:
    await stored(db, *life.txs)
    r0, r1, r2 = (str(r.pubkey()) for r in life.regulators)
    p = {name: str(address) for name, address in life.proposals.items()}
    name_of = {address: name for name, address in p.items()}
    listed = await every_page(api, "/api/v1/proposals", 4)
    assert [(name_of[x["address"]], x["proposal_id"]) for x in listed] == [
        ("revoke", 5),
        ("revoke_seal", 4),
        ("cancelled", 3),
        ("rejected", 2),
        ("resume", 1),
        ("factor", 0),
    ]
    by_name = {name_of[x["address"]]: x for x in listed}
    factor = by_name["factor"]
    assert (
        factor["proposer"],
        factor["title"],
        factor["status"],
        factor["approvals"],
        factor["rejections"],
    ) == (
        r0,
        "Zone 7 grid mix: 400 g/kWh",
        "Executed",
        2,
        1,
    )
    assert (by_name["rejected"]["closed_status"], by_name["cancelled"]["cancelled_by"]) == ("Rejected", r2)

    async def names(**params: object) -> list[str]:
        return [name_of[x["address"]] for x in await every_page(api, "/api/v1/proposals", 2, **params)]

    assert await names(status="Executed") == ["revoke", "revoke_seal", "resume", "factor"]
    assert await names(status="Rejected") == ["rejected"]
    assert await names(status="Cancelled") == ["cancelled"]
    assert await names(status="Open") == await names(status="Expired") == []
    assert await names(proposer=r2) == [name_of[x["address"]] for x in listed if x["proposer"] == r2]
    assert "cancelled" in await names(proposer=r2) and "factor" in await names(proposer=r0)
    assert await names(proposer=r1, status="Cancelled") == []
    # from / to on created_at (inclusive, exclusive), across pages of two
    created = [
        by_name[n]["created_at"]
        for n in ("factor", "resume", "rejected", "cancelled", "revoke_seal", "revoke")
    ]
    assert created == sorted(created) and created[3] < created[4] < created[5], created
    assert await names(**{"from": created[4]}) == ["revoke", "revoke_seal"]
    assert await names(**{"to": created[4]}) == ["cancelled", "rejected", "resume", "factor"]
    assert await names(**{"from": created[4], "to": created[5]}) == ["revoke_seal"]
    assert await names(**{"from": created[0], "to": created[5] + 1}) == [
        name_of[x["address"]] for x in listed
    ]
    assert await names(**{"from": created[5] + 1}) == []
    assert await names(status="Executed", **{"to": created[4]}) == ["resume", "factor"]

    detail = (await api.get(f"/api/v1/proposals/{p['factor']}")).json()
    assert {k: v for k, v in detail.items() if k != "votes"} == factor
    votes = [
        (v["regulator"], v["approve"], v["approvals"], v["rejections"], v["status"]) for v in detail["votes"]
    ]
    assert votes == [(r2, False, 0, 1, "Open"), (r0, True, 1, 1, "Open"), (r1, True, 2, 1, "Open")]
    assert all(v["proposal"] == p["factor"] and v["proposal_id"] == 0 for v in detail["votes"])
    rejected = (await api.get(f"/api/v1/proposals/{p['rejected']}")).json()
    assert [(v["regulator"], v["status"]) for v in rejected["votes"]] == [(r0, "Open"), (r2, "Rejected")]
    assert await one_line_error(api, f"/api/v1/proposals/{r0}", 404) == f"proposal {r0} not found"


async def test_pauses_newest_first_with_flag_names(
    api: httpx.AsyncClient, db: async_sessionmaker[AsyncSession], life: Lifecycle
) -> None:
    await stored(db, *life.txs)
    r0, r1, _ = (str(r.pubkey()) for r in life.regulators)
    governance = str(governance_pdas(life.env.program_id).governance.address)
    resume = str(life.proposals["resume"])

    def row(x: dict[str, Any]) -> tuple[Any, ...]:
        return (
            x["action"],
            x["zone_id"],
            x["flag_names"],
            x["paused_names"],
            x["by"],
            x["cosigners"],
            x["proposal"],
        )

    listed = await every_page(api, "/api/v1/pauses", 3)
    assert [row(x) for x in listed] == [
        ("resume", ZONE, ["MINTING"], [], governance, None, resume),
        ("resume", ZONE, ["READINGS"], ["MINTING"], None, [r0, r1], None),
        ("pause", None, ["TRADING"], ["TRADING"], r1, None, None),
        ("pause", ZONE, ["READINGS", "MINTING"], ["READINGS", "MINTING"], r0, None, None),
    ]
    assert [(x["flags"], x["paused"]) for x in listed] == [(2, 0), (1, 2), (4, 4), (3, 3)]
    assert await every_page(api, "/api/v1/pauses", 1, zone=ZONE) == listed  # the market-wide one too
    assert [row(x) for x in await every_page(api, "/api/v1/pauses", 1, zone=SOUTH)] == [row(listed[2])]
    times = [x["timestamp"] for x in listed]
    assert times == sorted(times, reverse=True)
    assert await every_page(api, "/api/v1/pauses", 2, **{"from": times[1]}) == [
        x for x in listed if x["timestamp"] >= times[1]
    ]
    assert await every_page(api, "/api/v1/pauses", 2, **{"to": times[3]}) == []
    assert await every_page(api, "/api/v1/pauses", 2, **{"to": times[3] + 1}) == [
        x for x in listed if x["timestamp"] <= times[3]
    ]


@pytest.mark.parametrize(
    ("path", "params", "message"),
    [
        (
            "/api/v1/proposals",
            {"status": "Passed"},
            "status: 'Passed' is not one of Open, Executed, Cancelled, Rejected, Expired",
        ),
        ("/api/v1/proposals", {"proposer": "0OIl"}, "proposer: '0OIl' is not base58"),
        ("/api/v1/proposals", {"cursor": "WyJhIiwiYiJd"}, "cursor: not a cursor of this list"),  # ["a","b"]
        ("/api/v1/proposals", {"from": 9, "to": 1}, "to: must be after from (1 <= 9)"),
        ("/api/v1/proposals", {"from": -9}, "from: Input should be greater than or equal to 0"),
        ("/api/v1/proposals", {"to": "later"}, "to: Input should be a valid integer"),
        ("/api/v1/proposals", {"limit": "many"}, "limit: Input should be a valid integer"),
        ("/api/v1/proposals/0OIl", {}, "address: '0OIl' is not base58"),
        ("/api/v1/pauses", {"zone": -2}, "zone: Input should be greater than or equal to 0"),
        ("/api/v1/pauses", {"from": 3, "to": 2}, "to: must be after from (2 <= 3)"),
        ("/api/v1/pauses", {"cursor": "e30"}, "cursor: not a cursor of this list"),  # {}
    ],
)
async def test_bad_parameters_are_one_line_400s(
    api: httpx.AsyncClient, path: str, params: dict[str, object], message: str
) -> None:
    assert (await one_line_error(api, path, **params)).startswith(message)

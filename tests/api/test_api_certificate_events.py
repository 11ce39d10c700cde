"""The certificates' changes as one list (``/certificate-events``: issued, transferred, split, retired,
...) over the API, from the governance program's real transactions (LiteSVM, recorded as a node returns
them; see governance_world) stored by the indexer (SQLite and Postgres)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from api_data import every_page, one_line_error, stored
from governance_world import DAY, SOUTH, ZONE, Lifecycle, Params, governance_world, lifecycle
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from solgrid.indexer.certificates import RANK
from solgrid.indexer.models import CERTIFICATE_CHANGES

PATH = "/api/v1/certificate-events"
CHANGES = "requested, validated, transferred, split, split_from, retired, revoked, expired"


@pytest.fixture(scope="module")
def life(governance_elves: dict[str, bytes]) -> Lifecycle:
    env, recorder = governance_world(governance_elves, Params(certificate_validity_secs=30 * DAY))
    return lifecycle(env, recorder)


def test_the_api_lists_the_changes_the_indexer_stores() -> None:
    assert set(CERTIFICATE_CHANGES) == set(RANK)
    assert ", ".join(CERTIFICATE_CHANGES) == CHANGES


def key(row: dict[str, Any]) -> tuple[int, int]:
    return (row["slot"], row["id"])


async def histories(api: httpx.AsyncClient, life: Lifecycle) -> dict[str, list[dict[str, Any]]]:
    """Each certificate's history (``/certificates/{address}``), by the lifecycle's name for it."""
    found = {}
    for name, address in life.certificates.items():
        answer = await api.get(f"/api/v1/certificates/{address}")
        assert answer.status_code == 200, answer.text
        found[name] = answer.json()["history"]
    return found


async def test_every_change_newest_first_and_a_transfer_with_its_previous_owner(
    api: httpx.AsyncClient, db: async_sessionmaker[AsyncSession], life: Lifecycle
) -> None:
    await stored(db, *life.txs)
    alice, bob = str(life.alice.wallet.pubkey()), str(life.bob.pubkey())
    c1 = str(life.certificates["c1"])
    everything = await every_page(api, PATH, 3)
    assert [key(r) for r in everything] == sorted({key(r) for r in everything}, reverse=True)
    history = await histories(api, life)
    every_history = [h for changes in history.values() for h in changes]
    assert sorted(key(r) for r in everything) == sorted(key(h) for h in every_history)
    (transfer,) = [r for r in everything if r["change"] == "transferred"]
    (stored_row,) = [h for h in history["c1"] if h["change"] == "transferred"]
    assert transfer == {**stored_row, "previous_owner": alice}
    assert (
        transfer["certificate"],
        transfer["step"],
        transfer["related"],
        transfer["actor"],
        transfer["owner"],
        transfer["status"],
        transfer["volume_wh"],
        transfer["co2_avoided_g"],
        transfer["cosigners"],
        transfer["proposal"],
        transfer["recovered"],
        transfer["data"]["from"],
        transfer["data"]["to"],
    ) == (c1, 0, None, alice, bob, "Valid", 1_300, 520, None, None, False, alice, bob)
    assert transfer["timestamp"] is not None
    assert all(r["previous_owner"] is None for r in everything if r["change"] != "transferred")


async def test_pages_neither_repeat_nor_skip(
    api: httpx.AsyncClient, db: async_sessionmaker[AsyncSession], life: Lifecycle
) -> None:
    await stored(db, *life.txs)
    whole = (await api.get(PATH, params={"limit": 1000})).json()
    assert whole["next_cursor"] is None
    for limit in (1, 2, 5):
        paged = await every_page(api, PATH, limit)
        assert [r["id"] for r in paged] == [r["id"] for r in whole["items"]], limit


async def test_filters_by_change_certificate_zone_owner_and_time(
    api: httpx.AsyncClient, db: async_sessionmaker[AsyncSession], life: Lifecycle
) -> None:
    await stored(db, *life.txs)
    ids = {name: str(address) for name, address in life.certificates.items()}
    bob, dave = str(life.bob.pubkey()), str(life.dave.pubkey())
    everything = await every_page(api, PATH, 100)

    async def found(**params: object) -> list[tuple[str, str]]:
        return [(r["certificate"], r["change"]) for r in await every_page(api, PATH, 2, **params)]

    def kept(wanted: Any) -> list[tuple[str, str]]:
        return [(r["certificate"], r["change"]) for r in everything if wanted(r)]

    assert await found(change="transferred") == [(ids["c1"], "transferred")]
    assert await found(change="split_from") == kept(lambda r: r["change"] == "split_from")
    assert sorted(c for c, _ in await found(change="split_from")) == sorted([ids["k1"], ids["k2"]])
    assert await found(change="retired") == [(ids["k1"], "retired")]
    assert [change for _, change in await found(certificate=ids["c1"])] == [
        "split",
        "transferred",
        "split",
        "validated",
        "requested",
    ]
    assert await found(zone=SOUTH) == kept(lambda r: r["certificate"] == ids["e1"])
    assert await found(zone=SOUTH) != []
    assert await found(zone=ZONE) == kept(lambda r: r["certificate"] != ids["e1"])
    assert await found(zone=99) == []
    # bob received c1, then split part of it to dave: the transfer (owner), c1's split and k2's
    # split_from (both made by him)
    assert await found(owner=bob) == [
        (ids["k2"], "split_from"),
        (ids["c1"], "split"),
        (ids["c1"], "transferred"),
    ]
    assert await found(owner=dave) == [(ids["k2"], "split_from")]
    assert await found(owner=bob, change="transferred", zone=ZONE, certificate=ids["c1"]) == [
        (ids["c1"], "transferred")
    ]
    assert await found(owner=bob, zone=SOUTH) == []
    (transfer,) = [r for r in everything if r["change"] == "transferred"]
    at = transfer["timestamp"]
    for params, expected in [
        ({"from": at}, True),
        ({"from": at + 1}, False),
        ({"to": at}, False),
        ({"to": at + 1}, True),
        ({"from": at, "to": at + 1}, True),
    ]:
        rows = await found(change="transferred", **params)
        assert rows == ([(ids["c1"], "transferred")] if expected else []), params
    assert all(
        r["timestamp"] >= at for r in await every_page(api, PATH, 50, **{"from": at})
    ) and await every_page(api, PATH, 50, **{"from": at}) == [r for r in everything if r["timestamp"] >= at]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"change": "moved"}, f"change: 'moved' is not one of {CHANGES}"),
        ({"change": "Transferred"}, "change: 'Transferred' is not one of requested"),
        ({"certificate": "0OIl"}, "certificate: '0OIl' is not base58"),
        ({"certificate": "abc"}, "certificate: 'abc' is not a 32-byte address"),
        ({"owner": "xyz"}, "owner: 'xyz' is not a 32-byte address"),
        ({"zone": -1}, "zone: Input should be greater than or equal to 0"),
        ({"zone": "north"}, "zone: Input should be a valid integer"),
        ({"from": 9, "to": 3}, "to: must be after from (3 <= 9)"),
        ({"from": -1}, "from: Input should be greater than or equal to 0"),
        ({"to": 2**63}, "to: Input should be less than or equal to"),
        ({"limit": 0}, "limit: Input should be greater than or equal to 1"),
        ({"limit": 1001}, "limit: Input should be less than or equal to 1000"),
        ({"cursor": "!"}, "cursor: not a cursor this API gave"),
        ({"cursor": "WyJhIiwxXQ"}, "cursor: not a cursor of this list"),  # ["a",1]
        ({"cursor": "WzFd"}, "cursor: not a cursor of this list"),  # [1]
    ],
)
async def test_bad_parameters_are_one_line_400s(
    api: httpx.AsyncClient, params: dict[str, object], message: str
) -> None:
    assert (await one_line_error(api, PATH, 400, **params)).startswith(message)

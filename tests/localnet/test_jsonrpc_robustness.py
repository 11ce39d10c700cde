"""Malformed JSON-RPC gets the standard error codes and never stops the server; batches work, including
anchorpy's getMultipleAccounts batch that claims gzip but is not compressed."""

from __future__ import annotations

import base64
import gzip
import json

import httpx
import pytest
import zstandard
from localnet_support import SOL, call, funded, raw_rpc
from solana.rpc.async_api import AsyncClient
from solders.keypair import Keypair

from solgrid.localnet.server import MAX_BODY_BYTES, LocalNode

pytestmark = pytest.mark.asyncio(loop_scope="module")


def request(method: str, params: list[object] | None = None, request_id: object = 1) -> dict[str, object]:
    return {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params or []}


async def still_serving(node: LocalNode) -> None:
    assert (await call(node.rpc_url, "getHealth"))["result"] == "ok"


async def test_invalid_json_is_a_parse_error(node: LocalNode) -> None:
    for body in (b"{not json", b"", b"\xff\xfe", b"[" * 100_00):
        response = await raw_rpc(node.rpc_url, body)
        assert response.status_code == 200
        assert response.json() == {
            "jsonrpc": "2.0",
            "error": {"code": -32700, "message": "Parse error"},
            "id": None,
        }
    await still_serving(node)


async def test_invalid_requests(node: LocalNode) -> None:
    bad_envelopes = [
        42,
        "getSlot",
        {"id": 1, "method": "getSlot"},
        {"jsonrpc": "1.0", "id": 1, "method": "getSlot"},
        {"jsonrpc": "2.0", "id": 1, "method": 7},
        {"jsonrpc": "2.0", "id": {"nested": True}, "method": "getSlot"},
    ]
    for envelope in bad_envelopes:
        answer = (await raw_rpc(node.rpc_url, envelope)).json()
        assert answer["error"] == {"code": -32600, "message": "Invalid request"}, envelope
    empty_batch = (await raw_rpc(node.rpc_url, [])).json()
    assert empty_batch["error"]["code"] == -32600
    await still_serving(node)


async def test_unknown_method(node: LocalNode) -> None:
    answer = (await raw_rpc(node.rpc_url, request("getEverything", request_id="abc"))).json()
    assert answer == {"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": "abc"}


async def test_bad_params(node: LocalNode) -> None:
    key = str(Keypair().pubkey())
    cases = [
        ("getBalance", [123]),
        ("getBalance", ["not-a-pubkey"]),
        ("getBalance", []),
        ("getBalance", [key, {"commitment": "eventually"}]),
        ("getBalance", [key, "confirmed"]),
        ("getBalance", [key, {}, "extra"]),
        ("getAccountInfo", [key, {"encoding": "hex"}]),
        ("getMinimumBalanceForRentExemption", [-1]),
        ("getMinimumBalanceForRentExemption", [True]),
        ("getSignatureStatuses", ["one signature"]),
        ("getSignatureStatuses", [["bad"]]),
        ("getSignatureStatuses", [[str(Keypair().sign_message(b"x"))] * 257]),
        ("getMultipleAccounts", [[key] * 101]),
        ("requestAirdrop", [key, -5]),
        ("solgrid_warpSlot", ["soon"]),
        ("solgrid_advanceTime", [-1]),
    ]
    for method, params in cases:
        answer = await call(node.rpc_url, method, params)
        assert answer["error"]["code"] == -32602, (method, params, answer)
    object_params = (
        await raw_rpc(node.rpc_url, {"jsonrpc": "2.0", "id": 1, "method": "getSlot", "params": {}})
    ).json()
    assert object_params["error"]["code"] == -32602
    await still_serving(node)


async def test_set_account_refuses_unloadable_programs(node: LocalNode) -> None:
    from solgrid.sdk import loader

    spec = {
        "lamports": SOL,
        "owner": str(loader.LOADER_V3),
        "data": ["AgAAAA==", "base64"],
        "executable": True,
    }
    answer = await call(node.rpc_url, "solgrid_setAccount", [str(Keypair().pubkey()), spec])
    assert answer["error"]["code"] == -32602
    assert answer["error"]["message"].startswith("Invalid param: cannot store account")
    await still_serving(node)


async def test_min_context_slot(node: LocalNode) -> None:
    answer = await call(node.rpc_url, "getSlot", [{"minContextSlot": 10**12}])
    assert answer["error"]["code"] == -32016
    assert answer["error"]["data"]["contextSlot"] >= 0


async def test_bad_transactions(node: LocalNode) -> None:
    cases = [
        ["%%% not base64 %%%", {"encoding": "base64"}],
        [base64.b64encode(b"\x01garbage").decode(), {"encoding": "base64"}],
        ["A" * 2000, {"encoding": "base64"}],
        [base64.b64encode(b"x").decode(), {"encoding": "hex"}],
        [12345, {"encoding": "base64"}],
    ]
    for params in cases:
        answer = await call(node.rpc_url, "sendTransaction", params)
        assert answer["error"]["code"] == -32602, (params, answer)
        simulated = await call(node.rpc_url, "simulateTransaction", params)
        assert simulated["error"]["code"] == -32602, (params, simulated)
    await still_serving(node)


async def test_batch_with_valid_and_invalid_members(node: LocalNode) -> None:
    batch = [
        request("getSlot", request_id=1),
        request("noSuchMethod", request_id=2),
        17,
        request("getBalance", ["bad"], request_id=3),
        {"jsonrpc": "2.0", "method": "getSlot"},  # a notification: no response
        request("getHealth", request_id=4),
    ]
    answers = (await raw_rpc(node.rpc_url, batch)).json()
    assert len(answers) == 5
    by_position = [(a.get("id"), a.get("error", {}).get("code"), "result" in a) for a in answers]
    assert by_position == [
        (1, None, True),
        (2, -32601, False),
        (None, -32600, False),
        (3, -32602, False),
        (4, None, True),
    ]


async def test_notifications_get_no_response(node: LocalNode) -> None:
    single = await raw_rpc(node.rpc_url, {"jsonrpc": "2.0", "method": "getSlot"})
    assert single.status_code == 200 and single.content == b""
    batch = await raw_rpc(node.rpc_url, [{"jsonrpc": "2.0", "method": "getSlot"}] * 3)
    assert batch.status_code == 200 and batch.content == b""


async def test_oversized_body_is_rejected(node: LocalNode) -> None:
    padding = "x" * (MAX_BODY_BYTES + 1)
    response = await raw_rpc(node.rpc_url, request("getHealth", [padding]))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == -32600
    bomb = gzip.compress(json.dumps(request("getHealth", ["y" * (MAX_BODY_BYTES * 4)])).encode())
    response = await raw_rpc(node.rpc_url, bomb, {"Content-Encoding": "gzip"})
    assert response.status_code == 413
    await still_serving(node)


async def test_gzip_bodies(node: LocalNode) -> None:
    compressed = gzip.compress(json.dumps(request("getHealth")).encode())
    response = await raw_rpc(node.rpc_url, compressed, {"Content-Encoding": "gzip"})
    assert response.json()["result"] == "ok"
    corrupt = b"\x1f\x8b" + b"\x00" * 30
    response = await raw_rpc(node.rpc_url, corrupt, {"Content-Encoding": "gzip"})
    assert response.json()["error"]["code"] == -32700


async def test_anchorpy_style_get_multiple_accounts_batch(node: LocalNode, client: AsyncClient) -> None:
    """anchorpy's fetch_multiple: a batch, ``content-encoding: gzip`` on an uncompressed body,
    base64+zstd encoding."""
    holders = [await funded(client, SOL * (i + 1)) for i in range(3)]
    data = bytes(range(200))
    await call(
        node.rpc_url,
        "solgrid_setAccount",
        [str(holders[0].pubkey()), {"lamports": SOL, "data": [base64.b64encode(data).decode(), "base64"]}],
    )
    keys = [str(h.pubkey()) for h in holders]
    config = {"encoding": "base64+zstd", "commitment": "confirmed"}
    batch = [
        request("getMultipleAccounts", [keys[:2], config], request_id=0),
        request("getMultipleAccounts", [[keys[2], str(Keypair().pubkey())], config], request_id=1),
    ]
    async with httpx.AsyncClient() as http:
        response = await http.post(
            node.rpc_url,
            content=json.dumps(batch),
            headers={"content-encoding": "gzip", "Content-type": "application/json"},
        )
    first, second = response.json()
    zstd = zstandard.ZstdDecompressor()
    accounts = first["result"]["value"] + second["result"]["value"]
    assert accounts[3] is None
    assert [a["lamports"] for a in accounts[:3]] == [SOL, 2 * SOL, 3 * SOL]
    encoded, kind = accounts[0]["data"]
    assert kind == "base64+zstd"
    assert zstd.decompress(base64.b64decode(encoded)) == data
    assert zstd.decompress(base64.b64decode(accounts[1]["data"][0])) == b""


async def test_internal_errors_are_contained(node: LocalNode, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(_pubkey: object) -> int:
        raise RuntimeError("boom")

    monkeypatch.setattr(node.chain, "get_balance", broken)
    tip = {"commitment": "confirmed"}
    answer = await call(node.rpc_url, "getBalance", [str(Keypair().pubkey()), tip])
    assert answer["error"] == {"code": -32603, "message": "Internal error"}
    monkeypatch.undo()
    assert (await call(node.rpc_url, "getBalance", [str(Keypair().pubkey()), tip]))["result"]["value"] == 0


async def test_http_surface(node: LocalNode) -> None:
    async with httpx.AsyncClient() as http:
        health = await http.get(f"{node.rpc_url}/health")
        assert (health.status_code, health.text) == (200, "ok")
        preflight = await http.options(node.rpc_url, headers={"Origin": "http://localhost:3000"})
        assert preflight.status_code == 200
        assert preflight.headers["Access-Control-Allow-Origin"] == "*"
        posted = await http.post(node.rpc_url, json=request("getHealth"))
        assert posted.headers["Access-Control-Allow-Origin"] == "*"
        assert (await http.put(node.rpc_url, content=b"{}")).status_code == 405
        assert (await http.get(node.ws_url.replace("ws://", "http://"))).status_code == 400

"""BackgroundNode: the node on its own thread, for synchronous code and session-wide fixtures."""

from __future__ import annotations

import httpx
import pytest

from solgrid.localnet.background import BackgroundNode
from solgrid.localnet.server import NodeConfig


def rpc(url: str, method: str, params: list[object] | None = None) -> object:
    response = httpx.post(url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []})
    return response.json()["result"]


def test_serves_from_its_own_thread() -> None:
    with BackgroundNode(NodeConfig(rpc_port=0, ws_port=0, slot_ms=600_000)) as node:
        assert rpc(node.rpc_url, "getHealth") == "ok"
        assert node.call(lambda chain: chain.warp_to_slot(1234)) == 1234
        assert rpc(node.rpc_url, "getSlot", [{"commitment": "confirmed"}]) == 1234
        port = int(node.rpc_url.rsplit(":", 1)[1])
        with pytest.raises(OSError), BackgroundNode(NodeConfig(rpc_port=port, ws_port=0)):
            pass
    with pytest.raises(httpx.ConnectError):
        rpc(node.rpc_url, "getHealth")

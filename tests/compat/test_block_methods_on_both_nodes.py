"""The block, supply and economics methods answer on our node as on a real solana-test-validator 4.2.2:
the same requests (a legacy and a v0 transfer, then every getBlock form, getBlocks, getBlocksWithLimit,
getBlockTime, getBlockCommitment, getSupply, getLargestAccounts, getInflationGovernor,
getStakeMinimumDelegation, getRecentPerformanceSamples, getFirstAvailableBlock, getHighestSnapshotSlot,
and their errors) are sent to both, fresh, and the answers compared after replacing what is each node's
own (addresses, signatures, blockhashes, slots and times).

What differs by design and is left out of the comparison: the validator's vote transactions (filtered out
of its blocks), its leader's fee rewards (our node pays no one: ``rewards`` is compared as a list), its
stake (getBlockCommitment's ``totalStake``), and the wording of a wrong number of params or of a
malformed pubkey (the error code is compared; agave's jsonrpc layer words them its own way).
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import base58
import httpx
import pytest
from solders.hash import Hash
from solders.keypair import Keypair
from solders.message import Message, MessageV0
from solders.system_program import TransferParams, transfer
from solders.transaction import VersionedTransaction

from real_validator import RealValidator
from solgrid.localnet.background import BackgroundNode
from solgrid.localnet.server import NodeConfig

SOL = 10**9
OWN_VALUES = frozenset(
    {"blockTime", "blockHeight", "parentSlot", "slot", "blockhash", "previousBlockhash", "recentBlockhash"}
)
"""Keys whose values are each node's own (its slots, times and blockhashes)."""
FAR_SLOT = 10_000_000
BLOCK_CONFIGS: list[dict[str, Any]] = [
    {},
    {"transactionDetails": "signatures"},
    {"transactionDetails": "none", "rewards": False},
    {"transactionDetails": "accounts"},
    {"transactionDetails": "accounts", "encoding": "jsonParsed"},
    {"encoding": "base64"},
    {"encoding": "base58"},
    {"encoding": "jsonParsed"},
    {"rewards": False},
    {"transactionDetails": "accounts", "rewards": False},
    {"encoding": "jsonParsed", "rewards": False},
]
ERROR_REQUESTS: list[tuple[str, list[Any]]] = [
    ("getBlock", [FAR_SLOT]),
    ("getBlock", [FAR_SLOT, {"commitment": "confirmed"}]),
    ("getBlock", [1, {"commitment": "processed"}]),
    ("getBlock", [1, {"transactionDetails": "all"}]),
    ("getBlock", [1, {"encoding": "hex"}]),
    ("getBlock", [1, {"rewards": "yes"}]),
    ("getBlockTime", [FAR_SLOT]),
    ("getBlocks", [0, 5, {"commitment": "processed"}]),
    ("getBlocksWithLimit", [0, 500_001]),
    ("getBlocksWithLimit", [0, 5, {"commitment": "processed"}]),
    ("getRecentPerformanceSamples", [721]),
    ("getLargestAccounts", [{"filter": "all"}]),
    ("getStakeMinimumDelegation", [{"minContextSlot": FAR_SLOT}]),
]
CODE_ONLY_ERRORS: list[tuple[str, list[Any]]] = [
    ("getBlock", []),
    ("getBlock", [1, {}, 2]),
    ("getBlockTime", [1, {}]),
    ("getBlockCommitment", [1, {}]),
    ("getBlocksWithLimit", [0]),
    ("getHighestSnapshotSlot", [{}]),
    ("getInflationGovernor", [{}, 1]),
    ("getLargestAccounts", [{"commitment": "confirmed"}, "circulating"]),  # how solana-py sends a filter
    ("getVoteAccounts", [{"votePubkey": "xx"}]),
]
"""Errors whose code is compared, not their wording (a wrong number of params, a malformed pubkey)."""


class Node:
    """JSON-RPC to one node, and what makes its answers its own (replaced by names when compared)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = httpx.Client(timeout=30)
        self.names: dict[str, str] = {}

    def reply(self, method: str, params: list[Any]) -> dict[str, Any]:
        body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
        answer: dict[str, Any] = self.http.post(self.url, json=body).json()
        return answer

    def result(self, method: str, params: list[Any]) -> Any:
        answer = self.reply(method, params)
        assert "result" in answer, f"{self.url} {method} {params}: {answer}"
        return answer["result"]

    def confirmed(self, signature: str) -> int:
        for _ in range(300):
            (status,) = self.result("getSignatureStatuses", [[signature]])["value"]
            if status is not None and status["confirmationStatus"] in ("confirmed", "finalized"):
                assert status["err"] is None, status
                return int(status["slot"])
            time.sleep(0.1)
        raise AssertionError(f"{signature} did not land on {self.url}")

    def wait_finalized(self, slot: int) -> None:
        while self.result("getSlot", [{"commitment": "finalized"}]) < slot:
            time.sleep(0.2)

    def name(self, value: str, name: str) -> None:
        self.names[value] = name

    def normalise(self, value: Any) -> Any:
        if isinstance(value, dict):
            out = {}
            for key, item in value.items():
                if key in OWN_VALUES:
                    out[key] = f"<{key}>"
                else:
                    out[key] = self.normalise(item)
            return out
        if isinstance(value, list):
            return [self.normalise(item) for item in value]
        if isinstance(value, str):
            return self.names.get(value, value)
        return value


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Node, Node]]:
    validator = RealValidator.start(Path(tmp_path_factory.mktemp("block-methods")), Keypair())
    try:
        with BackgroundNode(NodeConfig(rpc_port=0, ws_port=0)) as ours:
            yield Node(ours.rpc_url), Node(validator.rpc_url)
    finally:
        validator.stop()


def _transfers(node: Node) -> dict[str, int]:
    """An airdrop, then a legacy and a v0 transfer from the funded key; their signatures' slots."""
    payer, recipient = Keypair(), Keypair()
    node.name(str(payer.pubkey()), "<payer>")
    node.name(str(recipient.pubkey()), "<recipient>")
    airdrop = node.result("requestAirdrop", [str(payer.pubkey()), 10 * SOL])
    node.confirmed(airdrop)
    slots = {}
    for version in ("legacy", "v0"):
        blockhash = node.result("getLatestBlockhash", [{"commitment": "confirmed"}])["value"]["blockhash"]
        recent = Hash.from_string(blockhash)
        ix = transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=recipient.pubkey(), lamports=SOL))
        message: Message | MessageV0 = (
            Message.new_with_blockhash([ix], payer.pubkey(), recent)
            if version == "legacy"
            else MessageV0.try_compile(payer.pubkey(), [ix], [], recent)
        )
        tx = VersionedTransaction(message, [payer])
        wire = base64.b64encode(bytes(tx)).decode()
        config = {"encoding": "base64", "preflightCommitment": "confirmed"}
        signature = node.result("sendTransaction", [wire, config])
        node.name(signature, f"<{version} signature>")
        slots[version] = node.confirmed(signature)
    return slots


def _block_entries(node: Node, slots: dict[str, int]) -> list[Any]:
    """Every getBlock form, for each transfer's block, with only the transfer kept of its transactions."""
    node.wait_finalized(max(slots.values()))
    seen: list[Any] = []
    for version, slot in slots.items():
        mine = {value for value, name in node.names.items() if name == f"<{version} signature>"}
        for config in BLOCK_CONFIGS:
            block = node.result("getBlock", [slot, {**config, "maxSupportedTransactionVersion": 0}])
            if "transactions" in block:
                block["transactions"] = [
                    _wire_length(t) for t in block["transactions"] if _signature(t) in mine
                ]
            if "signatures" in block:
                block["signatures"] = [s for s in block["signatures"] if s in mine]
            if "rewards" in block:
                assert isinstance(block["rewards"], list)
                block["rewards"] = "<rewards>"
            seen.append((version, config, node.normalise(block)))
        seen.append((version, "block time", node.result("getBlockTime", [slot]) == _block_time(node, slot)))
    # A v0 transaction in the block and no maxSupportedTransactionVersion: -32015.
    seen.append(node.reply("getBlock", [slots["v0"]]).get("error"))
    return seen


def _signature(entry: dict[str, Any]) -> str:
    transaction = entry["transaction"]
    if isinstance(transaction, list):  # base64 / base58
        raw = transaction[0]
        wire = base64.b64decode(raw) if transaction[1] == "base64" else base58.b58decode(raw)
        return str(VersionedTransaction.from_bytes(wire).signatures[0])
    return str(transaction["signatures"][0])


def _wire_length(entry: dict[str, Any]) -> dict[str, Any]:
    """A binary-encoded transaction (each node's own signature and blockhash) as its encoding and length."""
    transaction = entry["transaction"]
    if not isinstance(transaction, list):
        return entry
    wire = (
        base64.b64decode(transaction[0]) if transaction[1] == "base64" else base58.b58decode(transaction[0])
    )
    return {**entry, "transaction": [f"<{len(wire)} bytes>", transaction[1]]}


def _block_time(node: Node, slot: int) -> int:
    return int(node.result("getBlock", [slot, {"transactionDetails": "none"}])["blockTime"])


def _errors(node: Node) -> list[Any]:
    answers = []
    for method, params in ERROR_REQUESTS:
        error = dict(node.reply(method, params)["error"])
        if isinstance(error.get("data"), dict) and "contextSlot" in error["data"]:
            error["data"] = {"contextSlot": "<slot>"}
        answers.append(error)
    codes = [node.reply(method, params)["error"]["code"] for method, params in CODE_ONLY_ERRORS]
    return [answers, codes]


def _ledger_and_economics(node: Node) -> list[Any]:
    node.wait_finalized(5)  # the blocks getBlocks lists below are rooted
    genesis = node.result("getBlock", [0])
    supply = node.result("getSupply", [{"commitment": "confirmed"}])["value"]
    excluded = node.result("getSupply", [{"excludeNonCirculatingAccountsList": True}])["value"]
    largest = node.result("getLargestAccounts", [{"commitment": "confirmed"}])["value"]
    locked = node.result("getLargestAccounts", [{"filter": "nonCirculating"}])["value"]
    samples = node.result("getRecentPerformanceSamples", [5])
    return [
        sorted(genesis),
        (genesis["parentSlot"], genesis["blockHeight"], genesis["previousBlockhash"] == genesis["blockhash"]),
        isinstance(node.result("getBlockTime", [0]), int),
        node.result("getBlocks", [0, 5]),
        node.result("getBlocksWithLimit", [0, 3]),
        node.result("getBlocks", [FAR_SLOT]),
        node.result("getFirstAvailableBlock", []),
        node.result("getBlockCommitment", [FAR_SLOT])["commitment"],
        sorted(node.result("getBlockCommitment", [1])),
        sorted(supply),
        supply["total"] == supply["circulating"] + supply["nonCirculating"],
        sorted(supply["nonCirculatingAccounts"]),
        excluded["nonCirculatingAccounts"],
        (len(largest), sorted({key for entry in largest for key in entry})),
        [entry["lamports"] for entry in largest] == sorted((e["lamports"] for e in largest), reverse=True),
        locked,
        all(set(sample) == set(samples[0]) for sample in samples),
        node.result("getInflationGovernor", [{"commitment": "confirmed"}]),
        node.result("getStakeMinimumDelegation", [])["value"],
    ]


@pytest.mark.compat
def test_no_snapshot_yet(nodes: tuple[Node, Node]) -> None:
    """A validator's first full snapshot is at slot 100; before it, and on our node always: -32008. A
    validator already past its first snapshot (a slow start on a loaded machine) answers the snapshot,
    every 100 slots: the "No votes" deliberate difference."""
    ours, theirs = nodes
    assert ours.reply("getHighestSnapshotSlot", []).get("error") == {"code": -32008, "message": "No snapshot"}
    theirs_reply = theirs.reply("getHighestSnapshotSlot", [])
    if "error" in theirs_reply:
        assert theirs_reply["error"] == {"code": -32008, "message": "No snapshot"}
    else:
        snapshot = theirs_reply["result"]
        assert snapshot["full"] >= 100 and snapshot["full"] % 100 == 0, snapshot


@pytest.mark.compat
def test_blocks_supply_and_economics_answer_as_the_validator(nodes: tuple[Node, Node]) -> None:
    ours, theirs = nodes
    answers = []
    for node in (ours, theirs):
        slots = _transfers(node)
        answers.append(
            {
                "blocks": _block_entries(node, slots),
                "errors": _errors(node),
                "ledger": _ledger_and_economics(node),
            }
        )
    for part in ("errors", "ledger"):
        assert answers[0][part] == answers[1][part], part
    for mine, theirs_entry in zip(answers[0]["blocks"], answers[1]["blocks"], strict=True):
        assert mine == theirs_entry, f"ours: {json.dumps(mine)}\nvalidator: {json.dumps(theirs_entry)}"

"""A history limit (``--limit-ledger-slots``): old transactions are pruned and the RPC answers for them
as agave 4.2's does after its ledger cleanup purged them (checked against solana-test-validator 4.2.2):

* getFirstAvailableBlock is the oldest slot kept, minimumLedgerSlot the one before it (0 and 0 before
  any purge);
* getTransaction of a pruned signature is null, getSignaturesForAddress lists only what is kept;
* getSignaturesForAddress with a ``before`` or ``until`` signature the node does not have (pruned, or
  never seen) fails with -32020 ``Transaction <signature> not found``;
* a pruned transaction's status outlives its history for the status-cache window (300 slots), so a
  replay is still refused.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from localnet_support import NEW_ACCOUNT_MINIMUM, SOL, build_tx, call, funded, transfer_ix
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from solgrid.cli.main import cli
from solgrid.localnet.finality import ROOT_DISTANCE
from solgrid.localnet.server import LocalNode, NodeConfig

KEEP = 4
NOT_FOUND = -32020
CONFIRMED = {"commitment": "confirmed"}
"""What these tests read was just written: not finalized yet (the root trails the tip by 31 slots)."""


def limited(**overrides: Any) -> NodeConfig:
    settings: dict[str, Any] = {"rpc_port": 0, "ws_port": 0, "slot_ms": 60_000, "history_slots": KEEP}
    settings.update(overrides)
    return NodeConfig(**settings)


async def warp(url: str, slots: int) -> int:
    slot = (await call(url, "getSlot", [CONFIRMED]))["result"] + slots
    assert (await call(url, "solgrid_warpSlot", [slot]))["result"] == {"slot": slot}
    return int(slot)


async def listed(url: str, address: Pubkey, **options: Any) -> Any:
    return await call(url, "getSignaturesForAddress", [str(address), {**CONFIRMED, **options}])


def not_found(signature: str) -> dict[str, Any]:
    return {"code": NOT_FOUND, "message": f"Transaction {signature} not found"}


async def transfers(client: AsyncClient, url: str, payer: Keypair, to: Pubkey, count: int) -> list[str]:
    """``count`` transfers to ``to``, each in its own slot (three slots apart); each one is enough to
    create ``to``."""
    signatures = []
    for i in range(count):
        tx = await build_tx(client, payer, [transfer_ix(payer, to, NEW_ACCOUNT_MINIMUM + 1000 + i)])
        signatures.append(str((await client.send_raw_transaction(bytes(tx))).value))
        await warp(url, 3)
    return signatures


@pytest.mark.asyncio(loop_scope="module")
async def test_pruned_history_answers_as_a_validator() -> None:
    async with LocalNode(limited()) as node, AsyncClient(node.rpc_url, Confirmed) as client:
        url = node.rpc_url
        assert (await call(url, "getFirstAvailableBlock"))["result"] == 0
        payer = await funded(client, 10 * SOL)
        to = Keypair().pubkey()
        replayable = await build_tx(client, payer, [transfer_ix(payer, to, NEW_ACCOUNT_MINIMUM + 7)])
        first = str((await client.send_raw_transaction(bytes(replayable))).value)
        await warp(url, 3)
        later = await transfers(client, url, payer, to, 3)
        count = (await call(url, "getTransactionCount", [CONFIRMED]))["result"]
        slot = (await call(url, "getSlot", [CONFIRMED]))["result"]

        oldest_kept = slot - KEEP + 1
        assert (await call(url, "getFirstAvailableBlock"))["result"] == oldest_kept
        assert (await call(url, "minimumLedgerSlot"))["result"] == oldest_kept - 1
        kept = [s for s in (await listed(url, to))["result"]]
        assert [s["signature"] for s in kept] == [later[-1]]  # the others are older than the limit
        assert all(s["slot"] >= oldest_kept for s in kept)

        for gone in (first, later[0]):
            assert (await call(url, "getTransaction", [gone, {**CONFIRMED, "encoding": "json"}]))[
                "result"
            ] is None
            assert (await listed(url, to, until=gone))["error"] == not_found(gone)
            assert (await listed(url, to, before=gone))["error"] == not_found(gone)
            assert (await listed(url, to, before=later[-1], until=gone))["error"] == not_found(gone)
        assert (await listed(url, to, until=later[-1]))["result"] == []
        assert (await call(url, "getTransactionCount", [CONFIRMED]))["result"] == count  # no un-counting

        # Within the status-cache window the status stays, and a replay is still a duplicate.
        status = await call(url, "getSignatureStatuses", [[first], {"searchTransactionHistory": True}])
        assert status["result"]["value"][0]["err"] is None
        replay = await call(
            url, "sendTransaction", [base64.b64encode(bytes(replayable)).decode(), {"encoding": "base64"}]
        )
        assert replay["error"]["code"] == -32002
        assert replay["error"]["data"]["err"] == "AlreadyProcessed"
        assert (await client.get_balance(to)).value == NEW_ACCOUNT_MINIMUM + 7 + sum(
            NEW_ACCOUNT_MINIMUM + 1000 + i for i in range(3)
        )

        await warp(url, 300 + ROOT_DISTANCE)  # the status cache holds the last 300 *rooted* slots
        status = await call(url, "getSignatureStatuses", [[first], {"searchTransactionHistory": True}])
        assert status["result"]["value"] == [None]
        assert (await listed(url, to))["result"] == []


@pytest.mark.asyncio(loop_scope="module")
async def test_pagination_over_the_kept_history() -> None:
    async with LocalNode(limited(history_slots=50)) as node, AsyncClient(node.rpc_url, Confirmed) as client:
        url = node.rpc_url
        payer = await funded(client, 10 * SOL)
        to = Keypair().pubkey()
        old = await transfers(client, url, payer, to, 2)
        await warp(url, 50)  # prunes ``old``
        recent = []
        for i in range(5):
            tx = await build_tx(client, payer, [transfer_ix(payer, to, 5000 + i)])
            recent.append(str((await client.send_raw_transaction(bytes(tx))).value))
        walked: list[str] = []
        before = None
        while True:
            page = (await listed(url, to, limit=2, **({"before": before} if before else {})))["result"]
            walked += [s["signature"] for s in page]
            if len(page) < 2:
                break
            before = page[-1]["signature"]
        assert walked == recent[::-1]
        assert (await listed(url, to, until=old[-1]))["error"] == not_found(old[-1])


@pytest.mark.asyncio(loop_scope="module")
async def test_unknown_before_or_until_signature_is_an_error(tmp_path: Path) -> None:
    async with (
        LocalNode(NodeConfig(rpc_port=0, ws_port=0)) as node,
        AsyncClient(node.rpc_url, Confirmed) as client,
    ):
        payer = await funded(client)
        never = str(Keypair().sign_message(b"never sent"))
        assert (await listed(node.rpc_url, payer.pubkey(), until=never))["error"] == not_found(never)
        assert (await listed(node.rpc_url, payer.pubkey(), before=never))["error"] == not_found(never)
        # A known signature that does not mention the address still positions the listing.
        other = await funded(client)
        airdrop = (await listed(node.rpc_url, other.pubkey()))["result"][0]["signature"]
        assert len((await listed(node.rpc_url, payer.pubkey(), before=airdrop))["result"]) == 1
        assert (await listed(node.rpc_url, payer.pubkey(), until=airdrop))["result"] == []
        assert (await call(node.rpc_url, "getFirstAvailableBlock"))["result"] == 0
        assert (await call(node.rpc_url, "minimumLedgerSlot"))["result"] == 0


@pytest.mark.asyncio(loop_scope="module")
async def test_pruning_survives_a_restart(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger"
    async with LocalNode(limited(ledger=ledger)) as node, AsyncClient(node.rpc_url, Confirmed) as client:
        payer = await funded(client, 10 * SOL)
        to = Keypair().pubkey()
        old = await transfers(client, node.rpc_url, payer, to, 3)
        first_available = (await call(node.rpc_url, "getFirstAvailableBlock"))["result"]
        count = (await call(node.rpc_url, "getTransactionCount", [CONFIRMED]))["result"]
    # Restarted without a limit: what was pruned stays pruned, numbering goes on.
    async with (
        LocalNode(limited(ledger=ledger, history_slots=None)) as node,
        AsyncClient(node.rpc_url, Confirmed) as client,
    ):
        assert (await call(node.rpc_url, "getFirstAvailableBlock"))["result"] == first_available
        assert (await call(node.rpc_url, "getTransactionCount", [CONFIRMED]))["result"] == count
        assert (await listed(node.rpc_url, to, until=old[0]))["error"] == not_found(old[0])
        newer = await transfers(client, node.rpc_url, payer, to, 1)
        assert [s["signature"] for s in (await listed(node.rpc_url, to))["result"]] == [*newer, old[-1]]
        assert (await call(node.rpc_url, "getTransactionCount", [CONFIRMED]))["result"] == count + 1


def test_the_limit_must_be_positive() -> None:
    result = CliRunner().invoke(cli, ["localnet", "--limit-ledger-slots", "0", "--rpc-port", "0"])
    assert result.exit_code == 2
    assert "--limit-ledger-slots" in result.output

"""Address lookup tables through the node behave as on a validator: the SlotHashes window that decides
which ``recent_slot`` a table may be created from (the slots before the bank, never the bank's own: the
slot ``getSlot`` answers at processed and confirmed commitment is refused, exactly as solana-test-validator
refuses it; also across warps and restarts), the SDK's way of creating tables (from the finalized slot,
also right after genesis), idempotent re-creation in one slot, activation of appended addresses in the
next slot, and deactivation before close.

The module's node does not tick (warps decide the slot), so "the same slot" is certain; the SDK test
runs its own ticking node.
"""

from __future__ import annotations

import asyncio
import struct
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from localnet_support import SOL, build_tx, call, funded, send, transfer_ix
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed, Finalized, Processed
from solana.rpc.core import RPCException
from solana.rpc.types import TxOpts
from solders.address_lookup_table_account import (
    AddressLookupTable,
    AddressLookupTableAccount,
    derive_lookup_table_address,
)
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.rpc.errors import InvalidParamsMessage, SendTransactionPreflightFailureMessage
from solders.signature import Signature
from solders.sysvar import SLOT_HASHES
from solders.transaction import VersionedTransaction

from solgrid.localnet.finality import ROOT_DISTANCE
from solgrid.localnet.server import LocalNode, NodeConfig
from solgrid.sdk import lookup_tables
from solgrid.sdk.lookup_tables import (
    ADDRESS_LOOKUP_TABLE_PROGRAM_ID,
    create_lookup_table,
    create_lookup_table_rpc,
    extend_lookup_table,
    v0_transaction,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

SLOT_HASHES_ENTRIES = 512
INVALID_INDEX = "invalid transaction: Transaction address table lookup uses an invalid index"
"""Entries of the SlotHashes sysvar (solana's slot_hashes::MAX_ENTRIES)."""


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def node() -> AsyncIterator[LocalNode]:
    async with LocalNode(NodeConfig(rpc_port=0, ws_port=0, slot_ms=600_000)) as running:
        yield running


async def warp(node: LocalNode, slot: int) -> None:
    assert (await call(node.rpc_url, "solgrid_warpSlot", [slot]))["result"] == {"slot": slot}


async def tip_and_root(node: LocalNode, client: AsyncClient) -> tuple[int, int]:
    """(the slot being produced, the finalized slot), after moving the node past its first 31 slots."""
    tip = (await client.get_slot(Confirmed)).value
    if tip <= ROOT_DISTANCE:
        tip = ROOT_DISTANCE + 10
        await warp(node, tip)
    root = (await client.get_slot(Finalized)).value
    assert root == tip - ROOT_DISTANCE
    return tip, root


async def preflight_failure(client: AsyncClient, tx: VersionedTransaction) -> tuple[str, list[str]]:
    """Send ``tx`` expecting its preflight to fail; (the error as solders prints it, the logs)."""
    with pytest.raises(RPCException) as raised:
        await client.send_transaction(tx)
    failure = raised.value.args[0]
    assert isinstance(failure, SendTransactionPreflightFailureMessage)
    return str(failure.data.err), list(failure.data.logs or [])


async def refused(client: AsyncClient, tx: VersionedTransaction) -> str:
    """Send ``tx`` expecting the RPC to refuse it before any preflight, as a validator refuses a
    transaction that does not sanitize in its bank (-32602); the message."""
    with pytest.raises(RPCException) as raised:
        await client.send_transaction(tx)
    failure = raised.value.args[0]
    assert isinstance(failure, InvalidParamsMessage)
    return failure.message


async def landed_meta(client: AsyncClient, signature: Signature) -> tuple[int, Any]:
    """(slot, meta) of a confirmed transaction."""
    result = (await client.get_transaction(signature, max_supported_transaction_version=0)).value
    assert result is not None and result.transaction.meta is not None
    return result.slot, result.transaction.meta


async def table_state(client: AsyncClient, table: Pubkey) -> AddressLookupTable:
    account = (await client.get_account_info(table)).value
    assert account is not None and account.owner == ADDRESS_LOOKUP_TABLE_PROGRAM_ID
    return AddressLookupTable.deserialize(bytes(account.data))


async def slot_hashes_slots(client: AsyncClient) -> list[int]:
    """The slots of the SlotHashes sysvar as programs read it (bincode: u64 count, (u64 slot, hash)*)."""
    account = (await client.get_account_info(SLOT_HASHES)).value
    assert account is not None
    data = bytes(account.data)
    (count,) = struct.unpack_from("<Q", data)
    return [struct.unpack_from("<Q", data, 8 + 40 * i)[0] for i in range(count)]


async def create(client: AsyncClient, authority: Keypair, recent_slot: int) -> Pubkey:
    ix, table = create_lookup_table(authority.pubkey(), authority.pubkey(), recent_slot)
    await send(client, authority, [ix])
    return table


async def create_fails(client: AsyncClient, authority: Keypair, recent_slot: int) -> None:
    """CreateLookupTable from ``recent_slot`` is refused the way the program refuses a slot that is not
    in SlotHashes."""
    ix, _ = create_lookup_table(authority.pubkey(), authority.pubkey(), recent_slot)
    err, logs = await preflight_failure(client, await build_tx(client, authority, [ix]))
    assert err == "TransactionErrorInstructionError((0, Fieldless(InvalidInstructionData)))"
    assert f"Program log: {recent_slot} is not a recent slot" in logs


def lookup_table_ix(
    code: int, table: Pubkey, authority: Pubkey, extra: Sequence[AccountMeta] = ()
) -> Instruction:
    metas = [AccountMeta(table, False, True), AccountMeta(authority, True, False), *extra]
    return Instruction(ADDRESS_LOOKUP_TABLE_PROGRAM_ID, struct.pack("<I", code), metas)


DEACTIVATE, CLOSE = 3, 4
CONFIRMED_PREFLIGHT = TxOpts(preflight_commitment=Confirmed)
"""A table extended in a slot newer than the root does not exist for a finalized preflight."""


async def test_second_create_of_the_same_table_in_one_slot_is_a_no_op(
    node: LocalNode, client: AsyncClient
) -> None:
    """The table address is derived from (authority, recent_slot). Since the feature
    relax_authority_signer_check_for_lookup_table_creation (active on every cluster; unconditional in
    the Core BPF program), CreateLookupTable of a table the program already owns returns success without
    touching it. So a validator lands both transactions; the second changes nothing but its fee payer's
    balance."""
    authority, other_payer = await funded(client), await funded(client)
    slot, recent = await tip_and_root(node, client)
    first_ix, table = create_lookup_table(authority.pubkey(), authority.pubkey(), recent)
    second_ix, same_table = create_lookup_table(authority.pubkey(), other_payer.pubkey(), recent)
    assert same_table == table

    first_slot, first_meta = await landed_meta(client, await send(client, authority, [first_ix]))
    assert first_meta.err is None and first_meta.inner_instructions  # transfer, allocate, assign
    created = (await client.get_account_info(table)).value
    assert created is not None
    before = (await client.get_balance(other_payer.pubkey())).value
    signature = await send(client, other_payer, [second_ix], [authority])
    second_slot, second_meta = await landed_meta(client, signature)

    assert first_slot == second_slot == slot
    assert second_meta.err is None
    assert not second_meta.inner_instructions
    assert second_meta.log_messages == [
        f"Program {ADDRESS_LOOKUP_TABLE_PROGRAM_ID} invoke [1]",
        "Program log: Instruction: CreateLookupTable",
        f"Program {ADDRESS_LOOKUP_TABLE_PROGRAM_ID} consumed {second_meta.compute_units_consumed} of 200000 "
        "compute units",
        f"Program {ADDRESS_LOOKUP_TABLE_PROGRAM_ID} success",
    ]
    assert (await client.get_account_info(table)).value == created
    assert (await client.get_balance(other_payer.pubkey())).value == before - second_meta.fee
    assert (await table_state(client, table)).meta.authority == authority.pubkey()


async def test_recent_slot_must_be_in_slot_hashes(node: LocalNode, client: AsyncClient) -> None:
    """The bank of slot N lists N-1 ... N-512. The slot getSlot answers at processed and confirmed
    commitment is N itself: a table from it is refused ("N is not a recent slot"), which is how
    solana-test-validator refused the oracle's tables; the finalized slot and N-1 are accepted."""
    authority = await funded(client)
    slot, root = await tip_and_root(node, client)
    assert (await client.get_slot(Processed)).value == slot
    assert (await slot_hashes_slots(client))[0] == slot - 1
    await create_fails(client, authority, slot)  # the slot being produced
    await create_fails(client, authority, slot + 1)  # a future slot
    await create(client, authority, root)  # the finalized slot
    await create(client, authority, slot - 1)

    # A warp is a run of empty blocks: every slot it passes over is recent, up to the 512-entry window.
    before_warp = slot
    await warp(node, slot + 600)
    now = slot + 600
    window = await slot_hashes_slots(client)
    assert window == list(range(now - 1, now - 1 - SLOT_HASHES_ENTRIES, -1))
    await create_fails(client, authority, now)
    await create(client, authority, now - 1)
    await create(client, authority, now - SLOT_HASHES_ENTRIES)
    await create_fails(client, authority, now - (SLOT_HASHES_ENTRIES + 1))
    await create_fails(client, authority, before_warp)


async def test_slot_hashes_read_at_finalized_are_the_roots(node: LocalNode, client: AsyncClient) -> None:
    """Read at finalized commitment, SlotHashes is the root bank's, as on a validator."""
    slot, root = await tip_and_root(node, client)
    account = (await client.get_account_info(SLOT_HASHES, Finalized)).value
    assert account is not None
    count, newest = struct.unpack_from("<QQ", bytes(account.data))
    assert (count, newest) == (min(root, SLOT_HASHES_ENTRIES), root - 1)
    assert (await slot_hashes_slots(client))[0] == slot - 1


async def test_appended_addresses_are_active_from_the_next_slot(node: LocalNode, client: AsyncClient) -> None:
    """Addresses appended in slot N cannot be looked up in slot N (the runtime only loads the table's
    addresses before last_extended_slot_start_index while the current slot is last_extended_slot)."""
    payer = await funded(client, 100 * SOL)
    first, second = Keypair().pubkey(), Keypair().pubkey()
    slot, recent = await tip_and_root(node, client)
    create_ix, table = create_lookup_table(payer.pubkey(), payer.pubkey(), recent)
    await send(
        client, payer, [create_ix, extend_lookup_table(table, payer.pubkey(), payer.pubkey(), [first])]
    )
    state = await table_state(client, table)
    assert (state.meta.last_extended_slot, state.meta.last_extended_slot_start_index) == (slot, 0)

    async def pay(recipient: Pubkey, lamports: int, addresses: list[Pubkey]) -> VersionedTransaction:
        blockhash = (await client.get_latest_blockhash(Confirmed)).value.blockhash
        lookup = AddressLookupTableAccount(table, addresses)
        tx = v0_transaction([transfer_ix(payer, recipient, lamports)], payer, [], blockhash, [lookup])
        assert tx.message.address_table_lookups  # the recipient really is looked up in the table
        return tx

    assert await refused(client, await pay(first, SOL, [first])) == INVALID_INDEX

    await warp(node, slot + 1)
    landed = await client.send_transaction(await pay(first, SOL, [first]), CONFIRMED_PREFLIGHT)
    await client.confirm_transaction(landed.value)
    assert (await client.get_balance(first)).value == SOL

    await send(client, payer, [extend_lookup_table(table, payer.pubkey(), payer.pubkey(), [second])])
    state = await table_state(client, table)
    assert (state.meta.last_extended_slot, state.meta.last_extended_slot_start_index) == (slot + 1, 1)
    assert await refused(client, await pay(second, SOL, [first, second])) == INVALID_INDEX
    # The address appended in an earlier slot stays usable in the slot of a later extension.
    again = await client.send_transaction(await pay(first, 2 * SOL, [first, second]), CONFIRMED_PREFLIGHT)
    await client.confirm_transaction(again.value)
    assert (await client.get_balance(first)).value == 3 * SOL

    await warp(node, slot + 2)
    landed = await client.send_transaction(await pay(second, SOL, [first, second]), CONFIRMED_PREFLIGHT)
    await client.confirm_transaction(landed.value)
    assert (await client.get_balance(second)).value == SOL


async def test_deactivated_table_closes_once_its_slot_left_slot_hashes(
    node: LocalNode, client: AsyncClient
) -> None:
    """A table deactivated in slot D can be closed only when D is no longer in SlotHashes: from the bank
    of slot D+513 on (the bank of D+512 still lists D), which a warp must achieve as the same number of
    produced blocks would."""
    authority = await funded(client)
    recipient = Keypair().pubkey()
    slot, recent = await tip_and_root(node, client)
    table = await create(client, authority, recent)
    await send(client, authority, [lookup_table_ix(DEACTIVATE, table, authority.pubkey())])
    assert (await table_state(client, table)).meta.deactivation_slot == slot
    close = lookup_table_ix(CLOSE, table, authority.pubkey(), [AccountMeta(recipient, False, True)])

    for deactivating_at in (slot, slot + 1, slot + SLOT_HASHES_ENTRIES):
        if deactivating_at > slot:
            await warp(node, deactivating_at)
        err, logs = await preflight_failure(client, await build_tx(client, authority, [close]))
        assert err == "TransactionErrorInstructionError((0, Fieldless(InvalidArgument)))"
        assert any("cannot be closed until it's fully deactivated" in line for line in logs)

    await warp(node, slot + SLOT_HASHES_ENTRIES + 1)
    rent = (await client.get_balance(table)).value
    await send(client, authority, [close])
    assert (await client.get_account_info(table)).value is None
    assert (await client.get_balance(recipient)).value == rent


async def test_slot_hashes_survive_a_restart(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger"
    config = NodeConfig(rpc_port=0, ws_port=0, slot_ms=600_000, ledger=ledger)
    async with LocalNode(config) as first, AsyncClient(first.rpc_url, Confirmed) as client:
        authority = await funded(client)
        await warp(first, 1_000)
        window = await slot_hashes_slots(client)
        assert window[0] == 999
    async with LocalNode(config) as second, AsyncClient(second.rpc_url, Confirmed) as client:
        # The restarted node continues with a new block (slot 1001), as a validator would.
        assert await slot_hashes_slots(client) == [1_000, *window[:-1]]
        await create(client, authority, 1_000 - 400)
        await create(client, authority, 1_000)
        await create_fails(client, authority, 1_001 - SLOT_HASHES_ENTRIES - 1)


async def next_slot_once_full(node: LocalNode, client: AsyncClient, table: Pubkey, count: int) -> None:
    """Moves the (non-ticking) node one slot on once ``table`` holds ``count`` addresses."""
    while True:
        account = (await client.get_account_info(table)).value
        if (
            account is not None
            and len(AddressLookupTable.deserialize(bytes(account.data)).addresses) == count
        ):
            await warp(node, node.chain.slot + 1)
            return
        await asyncio.sleep(0.02)


async def test_the_sdk_creates_tables_from_a_slot_the_bank_lists(
    node: LocalNode, client: AsyncClient
) -> None:
    """Within one slot, as within one 400 ms slot of a validator (this node does not tick): the SDK's
    table comes from the finalized slot and lands; from the slot getSlot answers at confirmed it would
    be refused. The slot moves on once the table is full, which the SDK waits for."""
    payer = await funded(client, 100 * SOL)
    addresses = [Keypair().pubkey() for _ in range(45)]
    _, root = await tip_and_root(node, client)
    expected, _ = derive_lookup_table_address(payer.pubkey(), root)
    lookup, _ = await asyncio.wait_for(
        asyncio.gather(
            create_lookup_table_rpc(client, payer, addresses), next_slot_once_full(node, client, expected, 45)
        ),
        30,
    )
    assert lookup.key == expected and lookup.addresses == addresses
    await create_fails(client, payer, (await client.get_slot(Confirmed)).value)


async def test_the_sdk_retries_once_when_its_slot_left_slot_hashes(
    node: LocalNode, client: AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Finality lagging more than 512 slots (here: 600 slots pass between choosing the slot and sending):
    CreateLookupTable refuses the slot, and the SDK creates the table once more from a fresh finalized
    slot."""
    payer = await funded(client, 100 * SOL)
    chosen: list[int] = []
    choose = lookup_tables.recent_slot_for_table

    async def then_600_slots_pass(connection: AsyncClient, authority: Pubkey, *, after: int = -1) -> int:
        slot = await choose(connection, authority, after=after)
        chosen.append(slot)
        if len(chosen) == 1:
            await warp(node, node.chain.slot + 600)
        return slot

    monkeypatch.setattr(lookup_tables, "recent_slot_for_table", then_600_slots_pass)
    tip, root = await tip_and_root(node, client)
    fresh_root = tip + 600 - ROOT_DISTANCE
    expected, _ = derive_lookup_table_address(payer.pubkey(), fresh_root)
    lookup, _ = await asyncio.wait_for(
        asyncio.gather(
            create_lookup_table_rpc(client, payer, [payer.pubkey()]),
            next_slot_once_full(node, client, expected, 1),
        ),
        30,
    )
    assert chosen == [root, fresh_root] and lookup.key == expected


async def test_the_sdk_creates_tables_from_the_finalized_slot_from_genesis_on() -> None:
    """``create_lookup_table_rpc`` on a node that starts at slot 0 (finalized 0 = the tip: it waits for
    the next block), then twice more: each table from the finalized slot of its time, never the address
    of an existing one; every address is usable when it returns."""
    async with (
        LocalNode(NodeConfig(rpc_port=0, ws_port=0, slot_ms=50)) as ticking,
        AsyncClient(ticking.rpc_url, Confirmed) as client,
    ):
        payer = await funded(client, 100 * SOL)
        addresses = [Keypair().pubkey() for _ in range(45)]  # three ExtendLookupTable transactions
        tables = []
        for count in (45, 3, 3):
            before = (await client.get_slot(Finalized)).value
            lookup = await create_lookup_table_rpc(client, payer, addresses[:count])
            state = await table_state(client, lookup.key)
            assert list(state.addresses) == addresses[:count] == lookup.addresses
            tables.append(lookup.key)
            tip = (await client.get_slot(Confirmed)).value
            assert tip > state.meta.last_extended_slot  # usable: the extensions' slot has passed
            assert before <= tip
        assert len(set(tables)) == 3

"""``solgrid.sdk.cpi_events``: self-CPI events (Anchor's ``emit_cpi`` format) read from hand-built
``getTransaction`` results, with the trust rules that keep other programs from forging them."""

from __future__ import annotations

import hashlib

import pytest
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.system_program import CreateAccountParams, create_account
from spl.token.constants import TOKEN_PROGRAM_ID
from spl.token.instructions import create_associated_token_account

from cpi_transactions import (
    AUTHORITY,
    BOOK,
    COMPUTE_BUDGET,
    FILLS,
    FILLS_ID,
    MAKER_A,
    MAKER_B,
    TRADER,
    Ix,
    TransactionJson,
    emit,
    event_bytes,
    event_data,
    filled,
    place_order,
    placed,
    token_transfer,
)
from node_market import funded
from solgrid.indexer.chain import RpcChainReader
from solgrid.indexer.decode import INVOKE
from solgrid.sdk.cpi_events import (
    EVENT_IX_TAG,
    CpiEventDecodeError,
    cpi_events,
    event_authority,
    invoked_instructions,
)
from solgrid.sdk.transactions import send_and_confirm

OTHER = str(Keypair().pubkey())
"""A program that is not ``fills``."""


def summary(transaction: dict[str, object]) -> list[tuple[int, int, str, bool]]:
    return [
        (e.instruction_index, e.inner_index, e.name, e.caller_checked) for e in cpi_events(FILLS, transaction)
    ]


def test_wire_constants_are_anchors() -> None:
    assert bytes.fromhex("e445a52e51cb9a1d") == EVENT_IX_TAG
    assert (0x1D9ACB512EA545E4).to_bytes(8, "little") == EVENT_IX_TAG
    expected, bump = Pubkey.find_program_address([b"__event_authority"], FILLS.program_id)
    pda = event_authority(FILLS.program_id)
    assert (pda.address, pda.bump) == (expected, bump)
    assert str(expected) == AUTHORITY
    samples = {"OrderPlaced": placed(0), "OrderFilled": filled(), "BookNote": {"seq": 0}}
    for name, fields in samples.items():
        assert event_bytes(FILLS, name, fields)[:8] == hashlib.sha256(f"event:{name}".encode()).digest()[:8]


def test_events_are_decoded_in_order_with_their_positions() -> None:
    """Two top-level instructions of the program after a compute-budget one; the second makes a token
    CPI between its events, and its fill event holds a vec of two fills."""
    tx = (
        TransactionJson()
        .add(Ix(COMPUTE_BUDGET, [], bytes([2]) + (400_000).to_bytes(4, "little")))
        .add(place_order(), emit("OrderPlaced", placed(1)))
        .add(
            place_order(),
            emit("OrderPlaced", placed(2)),
            token_transfer(),
            emit("OrderFilled", filled((MAKER_A, 1), (MAKER_B, 9))),
        )
    )
    events = cpi_events(FILLS, tx.result())
    assert [(e.instruction_index, e.inner_index, e.name) for e in events] == [
        (1, 0, "OrderPlaced"),
        (2, 0, "OrderPlaced"),
        (2, 2, "OrderFilled"),
    ]
    assert all(e.caller_checked and e.program == FILLS_ID for e in events)
    assert (events[1].data.order_id, events[1].data.trader, events[1].data.quantity) == (
        2,
        Pubkey.from_string(TRADER),
        102,
    )
    fills = events[2].data.fills
    assert [(str(f.maker), f.maker_order_id, f.price, f.quantity) for f in fills] == [
        (MAKER_A, 1, 7, 10),
        (MAKER_B, 9, 7, 20),
    ]
    assert cpi_events(FILLS, tx.result(err={"InstructionError": [2, {"Custom": 1}]})) == []


def test_forged_events_are_ignored() -> None:
    """Same bytes, but: the wrong first account; the tag sent as a top-level instruction; the program's
    event instruction invoked by another program; another program's instruction with the tag."""
    real = emit("OrderPlaced", placed(1))
    tx = (
        TransactionJson()
        # wrong first account (the trader instead of the event authority)
        .add(place_order(), emit("OrderPlaced", placed(2), first=TRADER))
        # the event instruction as a top-level instruction, event authority first
        .add(Ix(FILLS_ID, [AUTHORITY, BOOK], event_data(FILLS, "OrderPlaced", placed(3))))
        # fills -> OTHER -> fills(event): the caller of the event instruction is OTHER
        .add(
            place_order(),
            Ix(OTHER, [AUTHORITY], b"", 2),
            emit("OrderPlaced", placed(4), stack_height=3),
        )
        # OTHER -> fills(event) straight from the top-level instruction
        .add(Ix(OTHER, [AUTHORITY], b""), emit("OrderPlaced", placed(5)))
        # another program's inner instruction with the tag and the authority
        .add(place_order(), Ix(OTHER, [AUTHORITY, BOOK], event_data(FILLS, "OrderPlaced", placed(6)), 2))
        # and a real one, to show the transaction is read at all
        .add(place_order(), real)
    )
    events = cpi_events(FILLS, tx.result())
    assert [(e.instruction_index, e.data.order_id) for e in events] == [(5, 1)]


def test_the_caller_is_the_nearest_enclosing_instruction() -> None:
    """OTHER -> fills -> fills(event) is the program's own event (fills invoked by someone else may
    emit); fills -> OTHER -> (back to depth 2) fills(event) too; a stack height that skips a level is
    not a trace a node produces and is refused."""
    tx = (
        TransactionJson()
        .add(
            Ix(OTHER, [], b""),
            Ix(FILLS_ID, [TRADER, BOOK, AUTHORITY, FILLS_ID], b"\x01", 2),
            emit("OrderPlaced", placed(1), stack_height=3),
        )
        .add(
            place_order(),
            Ix(OTHER, [], b"", 2),
            Ix(FILLS_ID, [], b"\x02", 3),
            emit("OrderPlaced", placed(2), stack_height=2),
        )
        .add(place_order(), emit("OrderPlaced", placed(3), stack_height=3))
    )
    assert [
        (e.instruction_index, e.inner_index, e.data.order_id) for e in cpi_events(FILLS, tx.result())
    ] == [
        (0, 1, 1),
        (1, 2, 2),
    ]


def test_without_stack_heights_the_event_authority_decides() -> None:
    """An RPC node that gives no stackHeight: the caller cannot be checked, so an event instruction
    with the event authority first counts (flagged), and one without it still does not."""
    tx = TransactionJson().add(
        place_order(),
        emit("OrderPlaced", placed(1), stack_height=None),
        token_transfer(stack_height=None),
        emit("OrderPlaced", placed(2), stack_height=None, first=TRADER),
    )
    assert summary(tx.result()) == [(0, 0, "OrderPlaced", False)]
    assert [ix.depth for ix in invoked_instructions(tx.result())] == [1, None, None, None]


def test_v0_transaction_with_loaded_addresses() -> None:
    """The event authority and the book come from a lookup table (readonly and writable loaded
    addresses): indexes past the static keys resolve through meta.loadedAddresses."""
    tx = TransactionJson(loaded_writable=[BOOK], loaded_readonly=[AUTHORITY]).add(
        place_order(), emit("OrderPlaced", placed(1)), emit("OrderFilled", filled((MAKER_A, 4)))
    )
    result = tx.result()
    assert result["version"] == 0
    static = result["transaction"]["message"]["accountKeys"]
    assert AUTHORITY not in static and BOOK not in static
    inner = result["meta"]["innerInstructions"][0]["instructions"][0]
    assert inner["accounts"][0] == len(static) + 1  # the first readonly loaded address
    assert summary(result) == [(0, 0, "OrderPlaced", True), (0, 1, "OrderFilled", True)]
    assert invoked_instructions(result)[1].accounts == (AUTHORITY, BOOK)


def test_undecodable_and_unknown_events() -> None:
    """A discriminator the IDL does not list is not reported; bytes that do not fit the IDL's layout
    of a listed event are an error naming the event."""
    unknown = Ix(FILLS_ID, [AUTHORITY], EVENT_IX_TAG + hashlib.sha256(b"event:Other").digest()[:8] + b"\0", 2)
    assert summary(TransactionJson().add(place_order(), unknown).result()) == []

    good = event_data(FILLS, "OrderPlaced", placed(1))
    short = TransactionJson().add(place_order(), Ix(FILLS_ID, [AUTHORITY], good[:-1], 2))
    with pytest.raises(
        CpiEventDecodeError,
        match=r"fills event OrderPlaced \(instruction 0, inner instruction 0\) does not decode",
    ):
        cpi_events(FILLS, short.result())
    long = TransactionJson().add(place_order(), Ix(FILLS_ID, [AUTHORITY], good + b"\0\0", 2))
    with pytest.raises(CpiEventDecodeError, match="has 2 byte"):
        cpi_events(FILLS, long.result())


async def test_invoke_lines_match_the_inner_instructions_on_both_nodes(any_rpc_url: str) -> None:
    """The premise the indexer's interleaving rests on, checked on the local node and on the real
    validator: in a top-level instruction's run, the ``invoke [n]`` lines with n >= 2 are its inner
    instructions, one each, in ``meta.innerInstructions`` order, with n = their stackHeight. Creating
    associated token accounts makes four CPIs each (GetAccountDataSize, CreateAccount,
    InitializeImmutableOwner, InitializeAccount3); the mint's two instructions make none."""
    mint = Keypair()
    async with AsyncClient(any_rpc_url, commitment=Confirmed) as rpc:
        payer = await funded(rpc)
        rent = (await rpc.get_minimum_balance_for_rent_exemption(82)).value
        create = create_account(
            CreateAccountParams(
                from_pubkey=payer.pubkey(),
                to_pubkey=mint.pubkey(),
                lamports=rent,
                space=82,
                owner=TOKEN_PROGRAM_ID,
            )
        )
        init = Instruction(
            TOKEN_PROGRAM_ID,
            bytes([20, 6]) + bytes(payer.pubkey()) + b"\0",
            [AccountMeta(mint.pubkey(), False, True)],
        )
        atas = [
            create_associated_token_account(payer.pubkey(), Keypair().pubkey(), mint.pubkey())
            for _ in range(2)
        ]
        landed = await send_and_confirm(rpc, [create, init, *atas], payer, [mint])
    async with RpcChainReader(any_rpc_url) as chain:
        options = {"encoding": "json", "commitment": "confirmed", "maxSupportedTransactionVersion": 0}
        result = await chain.call("getTransaction", [str(landed.signature), options])
    logged: dict[int, list[tuple[str, int]]] = {}
    index = -1
    for line in result["meta"]["logMessages"]:
        if match := INVOKE.match(line):
            depth = int(match["depth"])
            if depth == 1:
                index += 1
                logged[index] = []
            else:
                logged[index].append((match["program"], depth))
    recorded: dict[int, list[tuple[str, int]]] = {i: [] for i in range(4)}
    for ix in invoked_instructions(result):
        if ix.depth != 1:
            assert ix.depth is not None
            recorded[ix.index].append((ix.program, ix.depth))
    assert logged == recorded
    assert [len(v) for v in recorded.values()] == [0, 0, 4, 4]

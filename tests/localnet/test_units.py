"""Pure pieces of the node: the timeline (blockhash ages, time), SlotHashes and the SPL Token layouts."""

from __future__ import annotations

import struct

import pytest
from solders.hash import Hash
from solders.pubkey import Pubkey

from solgrid.localnet import tokens
from solgrid.localnet.slot_hashes import MAX_ENTRIES, SlotHashes, empty_slot_hash
from solgrid.localnet.timeline import MAX_PROCESSING_AGE, Timeline
from solgrid.sdk import loader


class FakeClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_blockhash_ages() -> None:
    timeline = Timeline()
    old, new = Hash.new_unique(), Hash.new_unique()
    timeline.register_blockhash(old, 0)
    timeline.slot = 10
    timeline.register_blockhash(new, 10)
    assert timeline.latest_blockhash() == new
    assert timeline.last_valid_block_height(old) == MAX_PROCESSING_AGE
    timeline.slot = MAX_PROCESSING_AGE
    assert timeline.is_blockhash_valid(old)
    timeline.slot = MAX_PROCESSING_AGE + 1
    assert not timeline.is_blockhash_valid(old) and timeline.is_blockhash_valid(new)
    assert not timeline.is_blockhash_valid(Hash.new_unique())
    for slot in range(11, 400):
        timeline.register_blockhash(Hash.new_unique(), slot)
    assert timeline.last_valid_block_height(old) is None  # forgotten after 300 newer blockhashes


def test_slot_hashes_list_the_slots_before_the_bank_fill_warps_and_keep_the_newest_512() -> None:
    hashes = SlotHashes()
    assert hashes.entries() == []  # the bank of slot 0 has no ancestors
    genesis, block = Hash.new_unique(), Hash.new_unique()
    hashes.new_bank(1, 0, genesis)
    assert hashes.entries() == [(0, genesis)]  # the bank of slot 1 lists slot 0, not itself
    hashes.new_bank(5, 1, block)  # a warp from slot 1 to slot 5: slots 2-4 were empty blocks
    assert hashes.entries() == [*((s, empty_slot_hash(s)) for s in (4, 3, 2)), (1, block), (0, genesis)]
    assert len({h for _, h in hashes.entries()}) == 5
    far = Hash.new_unique()
    hashes.new_bank(432_005, 5, far)  # an epoch-long warp fills only what the sysvar can hold
    entries = hashes.entries()
    assert [s for s, _ in entries] == list(range(432_004, 432_004 - MAX_ENTRIES, -1))
    with pytest.raises(ValueError, match="not after"):
        hashes.new_bank(432_006, 432_004, Hash.new_unique())  # its block is already listed
    with pytest.raises(ValueError, match="not after"):
        hashes.new_bank(432_005, 432_005, Hash.new_unique())
    assert SlotHashes.from_json(hashes.to_json()).entries() == entries


def test_blockhashes_of_older_banks() -> None:
    """The finalized commitment reads the bank of an older slot: it knows the blockhashes up to its own
    slot, and those stay valid 150 blocks after theirs."""
    timeline = Timeline()
    hashes = [Hash.new_unique() for _ in range(4)]
    for slot, blockhash in zip((0, 1, 2, 200), hashes, strict=True):
        timeline.slot = slot
        timeline.register_blockhash(blockhash, slot)
    assert timeline.latest_blockhash() == hashes[3]
    assert timeline.latest_blockhash(at_slot=150) == hashes[2]
    assert timeline.latest_blockhash(at_slot=1) == hashes[1]
    assert timeline.is_blockhash_valid(hashes[1], at_slot=1)
    assert not timeline.is_blockhash_valid(hashes[2], at_slot=1)  # newer than that bank
    assert timeline.is_blockhash_valid(hashes[1], at_slot=151)
    assert not timeline.is_blockhash_valid(hashes[1], at_slot=152)
    assert not timeline.is_blockhash_valid(hashes[1])  # at the tip, slot 200


def test_time_never_goes_backwards() -> None:
    clock = FakeClock(1_000.0)
    timeline = Timeline(wall_clock=clock)
    assert timeline.unix_timestamp() == 1_000
    clock.now = 990.0  # the wall clock steps back
    assert timeline.unix_timestamp() == 1_000
    assert timeline.advance_time(60) == 1_050  # 990 + 60: the offset moves the wall clock
    clock.now = 2_000.0
    assert timeline.set_unix_timestamp(5_000) == 5_000
    assert timeline.unix_timestamp() == 5_000
    clock.now = 2_030.0
    assert timeline.unix_timestamp() == 5_030
    with pytest.raises(ValueError):
        timeline.set_unix_timestamp(4_000)
    with pytest.raises(ValueError):
        timeline.advance_time(-1)


def test_epochs() -> None:
    timeline = Timeline()
    timeline.slot = 432_000 * 3 + 7
    assert timeline.epoch_info() == (3, 7, 432_000)
    assert timeline.leader_schedule_epoch == 4


@pytest.mark.parametrize(
    ("amount", "decimals", "text"),
    [(0, 6, "0"), (1, 6, "0.000001"), (1_500_000, 6, "1.5"), (100, 0, "100"), (123_456_789, 3, "123456.789")],
)
def test_ui_amount_string(amount: int, decimals: int, text: str) -> None:
    assert tokens.ui_amount_string(amount, decimals) == text
    assert tokens.ui_token_amount(amount, decimals)["uiAmountString"] == text


def token_account_bytes(mint: Pubkey, owner: Pubkey, amount: int, state: int = 1) -> bytes:
    return (
        bytes(mint)
        + bytes(owner)
        + struct.pack("<Q", amount)
        + bytes(36)  # delegate: none
        + bytes([state])
        + bytes(12)  # is_native: none
        + struct.pack("<Q", 0)
        + bytes(36)  # close authority: none
    )


def test_token_account_layouts() -> None:
    mint, owner = Pubkey.new_unique(), Pubkey.new_unique()
    data = token_account_bytes(mint, owner, 42)
    assert len(data) == tokens.ACCOUNT_LEN
    parsed = tokens.parse_token_account(tokens.TOKEN_PROGRAM_ID, data)
    assert parsed is not None and (parsed.mint, parsed.owner, parsed.amount) == (mint, owner, 42)
    assert (
        tokens.parse_token_account(tokens.TOKEN_PROGRAM_ID, token_account_bytes(mint, owner, 1, state=0))
        is None
    )
    assert tokens.parse_token_account(Pubkey.new_unique(), data) is None  # not a token program
    json_form = tokens.parsed_token_data(tokens.TOKEN_PROGRAM_ID, data, 2)
    assert json_form is not None and json_form["parsed"]["info"]["tokenAmount"]["uiAmountString"] == "0.42"

    # Token-2022 with extensions: the base is recognised, jsonParsed falls back (extensions not decoded).
    extended = data + bytes([2]) + bytes(20)
    assert tokens.parse_token_account(tokens.TOKEN_2022_PROGRAM_ID, extended) is not None
    assert tokens.parse_token_account(tokens.TOKEN_PROGRAM_ID, extended) is None
    assert tokens.parsed_token_data(tokens.TOKEN_2022_PROGRAM_ID, extended, 2) is None
    plain_2022 = tokens.parsed_token_data(tokens.TOKEN_2022_PROGRAM_ID, data, 2)
    assert plain_2022 is not None and plain_2022["program"] == "spl-token-2022"


def test_program_extension_is_at_least_the_loader_minimum() -> None:
    small = loader.PROGRAMDATA_HEADER_LEN
    assert loader.extension_for(50_000, 52_000) == loader.MINIMUM_EXTEND_PROGRAM_BYTES
    assert loader.extension_for(50_000, 80_000) == 30_000
    # Near the largest account, the rest of the way is the only extension the loader accepts.
    near_full = loader.MAX_PERMITTED_DATA_LENGTH - small - 100
    assert loader.extension_for(near_full, near_full + 1) == 100

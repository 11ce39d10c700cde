"""The native-loader program accounts and the sysvar accounts as solana-test-validator 4.2.2 has them.

LiteSVM creates them its own way: builtin program accounts hold LiteSVM's names for the builtins
(``system_program``, ``vote_program``, ...), and every sysvar it writes holds 1 lamport. A validator's
builtin accounts hold agave's names (``solana_system_program``; the deprecated BPF loader shares
``solana_bpf_loader_program``) and every sysvar holds the rent-exempt minimum of its data. Measured on
solana-test-validator 4.2.2 (``getAccountInfo`` of each):

* builtins (owner NativeLoader, executable, 1 lamport) with the data below; the precompiles' data is
  empty, as in LiteSVM;
* sysvars: the rent-exempt minimum of their data length; RecentBlockhashes is its fixed 6,008 bytes
  (150 entries of blockhash and 5,000 lamports per signature, newest first, the count in front), the
  StakeHistory account its 16,392 bytes (512 entries, none yet), SlotHistory lists every slot up to the
  bank's own; the Fees sysvar does not exist (here: it keeps its data and has no lamports, since
  LiteSVM refuses other data at that address, so it reads as missing).

``install`` sets them up in a new engine, ``settle`` restores a sysvar's balance after the engine
rewrote it (LiteSVM's sysvar setters store 1 lamport), ``new_bank`` writes what a validator's bank
updates when it starts a slot besides Clock and SlotHashes.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import Protocol

from solders.account import Account
from solders.hash import Hash
from solders.pubkey import Pubkey
from solders.sysvar import CLOCK, EPOCH_SCHEDULE, RECENT_BLOCKHASHES, RENT, SLOT_HASHES, STAKE_HISTORY

NATIVE_LOADER = Pubkey.from_string("NativeLoader1111111111111111111111111111111")
SYSVAR_OWNER = Pubkey.from_string("Sysvar1111111111111111111111111111111111111")
SYSTEM_PROGRAM = Pubkey.from_string("11111111111111111111111111111111")
FEES = Pubkey.from_string("SysvarFees111111111111111111111111111111111")
SLOT_HISTORY = Pubkey.from_string("SysvarS1otHistory11111111111111111111111111")
EPOCH_REWARDS = Pubkey.from_string("SysvarEpochRewards1111111111111111111111111")
LAST_RESTART_SLOT = Pubkey.from_string("SysvarLastRestartS1ot1111111111111111111111")

BUILTIN_DATA: dict[Pubkey, bytes] = {
    SYSTEM_PROGRAM: b"solana_system_program",
    Pubkey.from_string("Vote111111111111111111111111111111111111111"): b"solana_vote_program",
    Pubkey.from_string("BPFLoader1111111111111111111111111111111111"): b"solana_bpf_loader_program",
    Pubkey.from_string("BPFLoader2111111111111111111111111111111111"): b"solana_bpf_loader_program",
    Pubkey.from_string("BPFLoaderUpgradeab1e11111111111111111111111"): (
        b"solana_bpf_loader_upgradeable_program"
    ),
    Pubkey.from_string("ComputeBudget111111111111111111111111111111"): b"compute_budget_program",
    Pubkey.from_string("ZkTokenProof1111111111111111111111111111111"): b"zk_token_proof_program",
    Pubkey.from_string("ZkE1Gama1Proof11111111111111111111111111111"): b"zk_elgamal_proof_program",
    Pubkey.from_string("Ed25519SigVerify111111111111111111111111111"): b"",
    Pubkey.from_string("KeccakSecp256k11111111111111111111111111111"): b"",
    Pubkey.from_string("Secp256r1SigVerify1111111111111111111111111"): b"",
}
"""Every native-loader account of a default solana-test-validator 4.2.2 and its data."""

SYSVARS = (CLOCK, EPOCH_SCHEDULE, RENT, SLOT_HASHES, STAKE_HISTORY, EPOCH_REWARDS, LAST_RESTART_SLOT)
"""The sysvars LiteSVM keeps whose content is right and whose balance is not."""

BANK_SYSVARS = (SLOT_HISTORY, RECENT_BLOCKHASHES)
"""Written by ``new_bank`` at each slot."""
MAX_RECENT_BLOCKHASHES = 150
RECENT_BLOCKHASHES_LEN = 8 + MAX_RECENT_BLOCKHASHES * 40
LAMPORTS_PER_SIGNATURE = 5000
STAKE_HISTORY_LEN = 8 + 512 * 32
SLOT_HISTORY_BITS = 1024 * 1024
_SLOT_HISTORY_WORDS = SLOT_HISTORY_BITS // 64


class AccountStore(Protocol):
    def get_account(self, pubkey: Pubkey) -> Account | None: ...

    def set_account(self, pubkey: Pubkey, account: Account) -> None: ...

    def minimum_balance_for_rent_exemption(self, data_len: int) -> int: ...


def install(store: AccountStore) -> None:
    """Builtin accounts with a validator's data, sysvars with its sizes and balances, no Fees sysvar."""
    for program, data in BUILTIN_DATA.items():
        store.set_account(program, Account(1, data, NATIVE_LOADER, True))
    fees = store.get_account(FEES)
    if fees is not None and fees.lamports:
        # LiteSVM refuses any other data at this address; with no lamports it does not exist for reads.
        store.set_account(FEES, Account(0, bytes(fees.data), fees.owner, False))
    stake_history = store.get_account(STAKE_HISTORY)
    if stake_history is not None and len(stake_history.data) < STAKE_HISTORY_LEN:
        data = bytes(stake_history.data).ljust(STAKE_HISTORY_LEN, b"\0")
        store.set_account(STAKE_HISTORY, Account(1, data, SYSVAR_OWNER, False))
    for sysvar in SYSVARS:
        settle(store, sysvar)


def settle(store: AccountStore, sysvar: Pubkey) -> None:
    """Give ``sysvar`` the rent-exempt minimum of its data, as a validator's sysvars hold."""
    account = store.get_account(sysvar)
    if account is None:
        return
    lamports = store.minimum_balance_for_rent_exemption(len(account.data))
    if account.lamports != lamports:
        store.set_account(sysvar, Account(lamports, bytes(account.data), account.owner, account.executable))


def recent_blockhashes_data(blockhashes: Sequence[Hash]) -> bytes:
    """RecentBlockhashes of a bank: ``blockhashes`` newest first (at most 150), in its fixed size."""
    entries = list(blockhashes)[:MAX_RECENT_BLOCKHASHES]
    body = b"".join(bytes(h) + struct.pack("<Q", LAMPORTS_PER_SIGNATURE) for h in entries)
    return (struct.pack("<Q", len(entries)) + body).ljust(RECENT_BLOCKHASHES_LEN, b"\0")


def slot_history_data(slot: int) -> bytes:
    """SlotHistory of the bank of ``slot`` when every slot up to it has a block: the newest 2^20 slots'
    bits set, ``next_slot`` = ``slot`` + 1."""
    first = max(0, slot + 1 - SLOT_HISTORY_BITS)
    count = slot + 1 - first
    start = first % SLOT_HISTORY_BITS
    if start + count <= SLOT_HISTORY_BITS:
        bits = ((1 << count) - 1) << start
    else:
        head = SLOT_HISTORY_BITS - start
        bits = (((1 << head) - 1) << start) | ((1 << (count - head)) - 1)
    words = bits.to_bytes(_SLOT_HISTORY_WORDS * 8, "little")
    return (
        b"\x01"
        + struct.pack("<Q", _SLOT_HISTORY_WORDS)
        + words
        + struct.pack("<QQ", SLOT_HISTORY_BITS, slot + 1)
    )


def new_bank(store: AccountStore, slot: int, blockhashes: Sequence[Hash]) -> None:
    """What a bank of ``slot`` updates besides Clock and SlotHashes: SlotHistory and RecentBlockhashes
    (``blockhashes``: the usable ones, newest first)."""
    for sysvar, data in (
        (SLOT_HISTORY, slot_history_data(slot)),
        (RECENT_BLOCKHASHES, recent_blockhashes_data(blockhashes)),
    ):
        lamports = store.minimum_balance_for_rent_exemption(len(data))
        store.set_account(sysvar, Account(lamports, data, SYSVAR_OWNER, False))

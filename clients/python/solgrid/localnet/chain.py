"""The ledger of the local node: the engine (LiteSVM on agave 4.1.2) plus what a validator has and LiteSVM
does not.

The engine (``engine``) executes transactions; this class adds the rest of a single-node cluster:

* a slot clock with a new blockhash per slot and validator-style blockhash ages (``timeline``), with the
  Clock and SlotHashes (``slot_hashes``) sysvars kept in step;
* commitment levels: the finalized (root) slot trails the tip by 31 slots as on solana-test-validator,
  and reads, preflight and simulation at ``finalized`` see the root's state (``finality``, ``Bank``);
* signature de-duplication and transaction history with the RPC's meta (``store``); LiteSVM runs with its
  own history and blockhash check off;
* signature verification done here, so that simulateTransaction can honour ``sigVerify: false``;
* preflight without double execution: a transaction is executed once. If it fails and preflight was
  asked for, every account it touched is restored to its pre-state, nothing is recorded, and the
  failure is answered as a preflight failure, which is what a validator would have answered after
  simulating. Without preflight a failed transaction that paid its fee is committed like on a cluster;
* an index of every account key the node has seen, owner by owner, for getProgramAccounts and the
  token queries (it also knows which accounts the node wrote since the last commit, for persistence);
* a faucet keypair whose airdrops are ordinary transfers (so they have signatures, history and logs);
* persistence: the post-state of every written account goes to the store at each slot boundary;
* blocks: every slot's block (slot, parent, blockhash, previous blockhash, time) goes to the store as
  the slot starts, for getBlock and its kin (``blocks``), and a performance sample is recorded when the
  server asks (every 60 s);
* an optional history limit (``ChainConfig.history_slots``): at each new slot the transactions of the
  slots that fell out of the newest ``history_slots`` are pruned, as a validator's ledger cleanup
  purges old slots, and ``first_available_slot`` (getFirstAvailableBlock) moves up with them.

All methods are synchronous and fast; the server calls them from its single event-loop thread (the VM is
not thread-safe).
"""

from __future__ import annotations

import collections
import contextlib
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from solders.account import Account
from solders.clock import Clock
from solders.compute_budget import set_compute_unit_limit
from solders.hash import Hash
from solders.keypair import Keypair
from solders.message import Message, MessageV0
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.system_program import TransferParams, transfer
from solders.sysvar import CLOCK, SLOT_HASHES
from solders.transaction import VersionedTransaction
from solders.transaction_metadata import SimulatedTransactionInfo, TransactionMetadata

from solgrid.localnet import admission, loaded_size, native_accounts, parsed_instructions, tx_cost, txmeta
from solgrid.localnet.engine import Engine, known_features
from solgrid.localnet.finality import Commitment, Finality
from solgrid.localnet.genesis import GenesisProgram, upgradeable_program_accounts
from solgrid.localnet.program_binaries import LOADER_V3, PROGRAMS, RENT_EXEMPT_RENT_EPOCH, programdata_address
from solgrid.localnet.slot_hashes import SlotHashes, empty_slot_hash
from solgrid.localnet.store import LedgerStore, StoredBlock
from solgrid.localnet.svm import new_svm
from solgrid.localnet.timeline import MAX_RECENT_BLOCKHASHES, Timeline
from solgrid.localnet.tx_errors import (
    ALREADY_PROCESSED,
    BLOCKHASH_NOT_FOUND,
    SIGNATURE_FAILURE,
    describe_transaction_error,
)
from solgrid.sdk import loader

log = logging.getLogger("solgrid.localnet")

SYSVAR_OWNER = Pubkey.from_string("Sysvar1111111111111111111111111111111111111")
FAUCET_LAMPORTS = 10**18
MAX_PERFORMANCE_SAMPLES = 720
"""Samples getRecentPerformanceSamples keeps (a validator's, at one a minute: 12 hours)."""
STATUS_CACHE_SLOTS = 300
"""Rooted slots a validator's status cache remembers signatures for (agave's MAX_CACHE_ENTRIES), besides
the unrooted ones (measured on solana-test-validator 4.2.2: getSignatureStatuses without
searchTransactionHistory finds a transaction at root - 299, not at root - 300). A pruned transaction's
status outlives its history this long, so a replay is still refused as a duplicate."""


class InvalidTransaction(Exception):
    """The transaction is malformed (does not sanitize); answered as invalid params."""


@dataclass(frozen=True)
class CommittedTransaction:
    """A transaction that is now part of the ledger (successful, or failed after paying its fee)."""

    signature: Signature
    slot: int
    err: Any
    logs: list[str]
    account_keys: list[Pubkey]
    written: list[tuple[Pubkey, Account]]


@dataclass(frozen=True)
class Committed:
    signature: Signature
    err: Any


@dataclass(frozen=True)
class PreflightFailed:
    """Nothing was committed; ``simulation`` is the RpcSimulateTransactionResult JSON."""

    signature: Signature
    err: Any
    simulation: dict[str, Any]


@dataclass(frozen=True)
class Dropped:
    """Accepted and never landed, as a validator does (e.g. a duplicate sent without preflight)."""

    signature: Signature
    reason: Any


SubmitOutcome = Committed | PreflightFailed | Dropped


class ChainListener(Protocol):
    def on_transaction(self, tx: CommittedTransaction) -> None: ...

    def on_accounts(self, slot: int, accounts: Sequence[tuple[Pubkey, Account]]) -> None: ...

    def on_slot(self, slot: int, parent: int) -> None: ...

    def on_root(self, root: int, rooted: Sequence[tuple[Pubkey, Account]]) -> None:
        """The root moved to ``root``; ``rooted`` are the accounts written in the slots that just became
        rooted, in their state at the root (closed ones with 0 lamports)."""
        ...


@dataclass
class ChainConfig:
    programs: list[GenesisProgram] = field(default_factory=list)
    funded: dict[Pubkey, int] = field(default_factory=dict)
    """Accounts created at genesis with these lamports (the wallet, like solana-test-validator's mint)."""
    history_slots: int | None = None
    """Keep the transaction history of the newest this many slots (None: keep everything)."""
    deactivate_features: list[Pubkey] = field(default_factory=list)
    """Features left inactive at genesis (solana-test-validator's ``--deactivate-feature``); every other
    feature of the engine is active. A restored ledger keeps the features it was created with."""


@dataclass(frozen=True)
class _Execution:
    keys: txmeta.AccountKeys
    pre: list[Account | None]
    pre_balances: list[int]
    loaded_size: int
    """Loaded account data (SIMD-0186); the limit itself when the transaction exceeds it."""
    exceeds_limit: bool

    def loaded_addresses(self) -> dict[str, list[str]]:
        return {
            "writable": [str(k) for k in self.keys.loaded_writable],
            "readonly": [str(k) for k in self.keys.loaded_readonly],
        }


@dataclass(frozen=True)
class _Executed:
    """What the execution of a committed transaction recorded (nothing when it paid only its fee)."""

    logs: list[str] | None
    inner: list[dict[str, Any]] | None
    units: int
    return_data: dict[str, Any] | None

    @classmethod
    def of(cls, meta: TransactionMetadata) -> _Executed:
        return cls(
            list(meta.logs()),
            txmeta.inner_instructions_json(meta.inner_instructions()),
            meta.compute_units_consumed(),
            txmeta.return_data_json(meta),
        )


_FEE_ONLY = _Executed(None, None, 0, None)

NOT_PROCESSED_ERRORS = frozenset(
    {
        "AccountNotFound",
        "InsufficientFundsForFee",
        "InvalidAccountForFee",
        "AlreadyProcessed",
        "BlockhashNotFound",
        "SignatureFailure",
        "MissingSignatureForFee",
        "SanitizeFailure",
        "AccountLoadedTwice",
        "TooManyAccountLocks",
        "UnsupportedVersion",
        "AddressLookupTableNotFound",
        "InvalidAddressLookupTableOwner",
        "InvalidAddressLookupTableData",
        "InvalidAddressLookupTableIndex",
        "DuplicateInstruction",
        "InvalidLoadedAccountsDataSizeLimit",
    }
)
"""Errors of a transaction refused before it was processed: it paid no fee and loaded nothing, and a
simulation of it reports neither (``fee`` null, ``loadedAccountsDataSize`` 0)."""


def _was_processed(err: Any) -> bool:
    name = next(iter(err)) if isinstance(err, dict) else err
    return err is None or name not in NOT_PROCESSED_ERRORS


def _simulation_result(
    err: Any,
    logs: Sequence[str] = (),
    units: int = 0,
    return_data: dict[str, Any] | None = None,
    accounts: list[Any] | None = None,
    inner: list[dict[str, Any]] | None = None,
    replacement: dict[str, Any] | None = None,
    *,
    fee: int | None = None,
    loaded_size: int = 0,
    loaded_addresses: dict[str, list[str]] | None = None,
    balances: tuple[list[int], list[int]] | None = None,
    token_balances: tuple[list[dict[str, Any]], list[dict[str, Any]]] | None = None,
) -> dict[str, Any]:
    """RpcSimulateTransactionResult as agave 4.2.2 answers it; a preflight failure's ``data`` leaves
    ``loadedAddresses`` and the balances null."""
    return {
        "err": err,
        "logs": list(logs),
        "accounts": accounts,
        "unitsConsumed": units,
        "loadedAccountsDataSize": loaded_size,
        "returnData": return_data,
        "innerInstructions": inner,
        "replacementBlockhash": replacement,
        "fee": fee,
        "loadedAddresses": loaded_addresses,
        "preBalances": None if balances is None else balances[0],
        "postBalances": None if balances is None else balances[1],
        "preTokenBalances": None if token_balances is None else token_balances[0],
        "postTokenBalances": None if token_balances is None else token_balances[1],
    }


def _as_preflight(simulation: dict[str, Any]) -> dict[str, Any]:
    """A simulation as sendTransaction's preflight failure carries it (no loaded addresses, no balances)."""
    nulls = ("loadedAddresses", "preBalances", "postBalances", "preTokenBalances", "postTokenBalances")
    return {**simulation, **dict.fromkeys(nulls)}


class Chain:
    """The engine with a validator's bookkeeping around it; see the module docstring."""

    def __init__(self, store: LedgerStore, config: ChainConfig | None = None) -> None:
        self.config = config or ChainConfig()
        self.store = store
        self.restored = not store.is_fresh
        saved = store.get_state("deactivated_features") if self.restored else None
        self.deactivated_features = (
            [Pubkey.from_string(k) for k in saved]
            if saved is not None
            else list(self.config.deactivate_features)
        )
        self.svm: Engine = new_svm(
            sigverify=False,
            blockhash_check=False,
            transaction_history=0,
            deactivate=self.deactivated_features,
        )
        self.listeners: list[ChainListener] = []
        self._owners: dict[Pubkey, Pubkey] = {}
        self._pending_rent_epochs: dict[Pubkey, int] = {}
        self._by_owner: dict[Pubkey, set[Pubkey]] = collections.defaultdict(set)
        self._dirty: set[Pubkey] = set()
        self._slot_hashes = SlotHashes()
        self.finality = Finality()
        self._root = 0
        self._blockhash_count = 0
        self._airdrop_count = 0
        self.first_available_slot = 0
        """The oldest slot whose transactions the node still has (getFirstAvailableBlock)."""
        self.performance_samples: list[dict[str, int]] = []
        """getRecentPerformanceSamples, newest first (``record_performance_sample``)."""
        self.genesis_time: int | None = None
        """When the genesis block was made (getBlockTime 0 answers it even once pruned); None for a ledger
        written before it was recorded."""
        self._sample_base = (0, 0)
        self.timeline = Timeline()
        self.svm.set_epoch_schedule(self.timeline.epoch_schedule)
        if self.restored:
            self._restore()
        else:
            self._genesis()
        self._sample_base = (self.timeline.slot, self.store.transaction_count)
        self._note_seen(_engine_genesis_keys())
        self.commit()

    def _notify(self, event: str, *args: Any) -> None:
        """Tell every listener; one failing listener (say, a websocket encoder) must not undo a commit."""
        for listener in self.listeners:
            try:
                getattr(listener, event)(*args)
            except Exception:
                log.exception("listener %s failed on %s", type(listener).__name__, event)

    # -- genesis and restore ---------------------------------------------------------------------------

    def _genesis(self) -> None:
        self.identity = Keypair()
        self.faucet = Keypair()
        self.genesis_hash = self.svm.latest_blockhash()
        self._epoch = 0
        self._epoch_start_timestamp = self.timeline.unix_timestamp()
        self._register_genesis_block()
        self.set_account(self.faucet.pubkey(), Account(FAUCET_LAMPORTS, b"", txmeta.SYSTEM_PROGRAM_ID))
        for pubkey, lamports in self.config.funded.items():
            self.set_account(pubkey, Account(lamports, b"", txmeta.SYSTEM_PROGRAM_ID))
        for program in self.config.programs:
            for pubkey, account in upgradeable_program_accounts(program, 0, self.minimum_balance):
                self.set_account(pubkey, account)
        # The genesis block is final: transactions run from slot 1 on, as on a validator.
        self._register_block(1)

    def _restore(self) -> None:
        state = self.store.get_state
        self.identity = Keypair.from_bytes(bytes(state("identity")))
        self.faucet = Keypair.from_bytes(bytes(state("faucet")))
        self.genesis_hash = Hash.from_string(state("genesis_hash"))
        for pubkey, account in self.store.iter_accounts():
            self.svm.set_account(pubkey, account)
            self._index(pubkey, account)
        self._blockhash_count = int(state("blockhash_count"))
        for _ in range(self._blockhash_count):
            self.svm.expire_blockhash()
        self.timeline.slot = int(state("slot"))
        self.timeline.time_offset = float(state("time_offset"))
        self.timeline.restore_blockhashes((Hash.from_string(h), s) for h, s in state("recent_blockhashes"))
        saved_slot_hashes = state("slot_hashes")
        if saved_slot_hashes is not None:
            # Ledgers written before SlotHashes started one slot back list the current slot too.
            restored = SlotHashes.from_json(saved_slot_hashes).entries()
            self._slot_hashes = SlotHashes((s, h) for s, h in restored if s < self.timeline.slot)
        else:  # a ledger written before SlotHashes was saved: its blocks are the recent blockhashes
            recent = reversed(self.timeline.recent_blockhashes())
            self._slot_hashes = SlotHashes((s, h) for h, s in recent if s < self.timeline.slot)
        self._epoch_start_timestamp = int(state("epoch_start_timestamp"))
        self._epoch = self.timeline.epoch
        self._airdrop_count = int(state("airdrop_count"))
        self.first_available_slot = int(state("first_available_slot") or 0)
        self.performance_samples = list(state("performance_samples") or [])
        saved_genesis_time = state("genesis_time")
        self.genesis_time = None if saved_genesis_time is None else int(saved_genesis_time)
        # What the node restored is final; it continues with a new block, as a validator restarting from
        # its ledger does.
        self.finality.root_everything(self.timeline.slot)
        self._root = self.timeline.slot
        self.advance_slot()

    def _save_state(self) -> None:
        self.store.put_state(
            {
                "identity": list(bytes(self.identity)),
                "faucet": list(bytes(self.faucet)),
                "genesis_hash": str(self.genesis_hash),
                "blockhash_count": self._blockhash_count,
                "slot": self.timeline.slot,
                "time_offset": self.timeline.time_offset,
                "recent_blockhashes": [[str(h), s] for h, s in self.timeline.recent_blockhashes()],
                "slot_hashes": self._slot_hashes.to_json(),
                "epoch_start_timestamp": self._epoch_start_timestamp,
                "airdrop_count": self._airdrop_count,
                "first_available_slot": self.first_available_slot,
                "deactivated_features": [str(k) for k in self.deactivated_features],
                "performance_samples": self.performance_samples,
                "genesis_time": self.genesis_time,
            }
        )

    def commit(self) -> None:
        """Persist the accounts written since the last commit and the node state (one SQLite transaction)."""
        if self.store.persistent:
            dirty, self._dirty = self._dirty, set()
            written = ((pubkey, self._tip_account(pubkey)) for pubkey in dirty)
            self.store.put_accounts((pubkey, account) for pubkey, account in written if _persistable(account))
        else:
            self._dirty.clear()
        self._save_state()
        self.store.commit()

    # -- slots and time --------------------------------------------------------------------------------

    @property
    def slot(self) -> int:
        """The tip: the slot of the bank being produced (``processed`` and ``confirmed``)."""
        return self.timeline.slot

    @property
    def root(self) -> int:
        """The newest rooted slot (``finalized``)."""
        return self.finality.root(self.timeline.slot)

    def bank(self, commitment: Commitment) -> Bank:
        """What reads at ``commitment`` see."""
        if commitment is Commitment.FINALIZED and self.root < self.slot:
            return Bank(self, self.root, rooted=True)
        return Bank(self, self.slot, rooted=False)

    def _register_genesis_block(self) -> None:
        self.timeline.slot = 0
        self.timeline.register_blockhash(self.svm.latest_blockhash(), 0)
        self.svm.set_slot_hashes(self._slot_hashes.entries())  # the bank of slot 0 has no ancestors
        self._update_clock()
        self._update_bank_sysvars()
        genesis_block = str(self.timeline.latest_blockhash())
        self.genesis_time = int(self.svm.get_clock().unix_timestamp)
        self.store.put_block(StoredBlock(0, 0, genesis_block, genesis_block, self.genesis_time))

    def _register_block(self, slot: int) -> None:
        """Start the bank of ``slot`` after the tip's block (empty blocks in between when warping)."""
        parent, parent_hash = self.timeline.slot, self.timeline.latest_blockhash()
        for skipped in range(max(parent + 1, slot - MAX_RECENT_BLOCKHASHES), slot):
            self.timeline.register_blockhash(empty_slot_hash(skipped), skipped)
        self.svm.expire_blockhash()
        self._blockhash_count += 1
        self.timeline.slot = slot
        self.timeline.register_blockhash(self.svm.latest_blockhash(), slot)
        self._slot_hashes.new_bank(slot, parent, parent_hash)
        self._record_write(SLOT_HASHES)
        self.svm.set_slot_hashes(self._slot_hashes.entries())
        self._update_clock()
        # The block's parent is the block it was built on; a warp's empty blocks stand in between.
        previous = parent_hash if parent == slot - 1 else empty_slot_hash(slot - 1)
        self.store.put_block(
            StoredBlock(
                slot,
                parent,
                str(self.timeline.latest_blockhash()),
                str(previous),
                int(self.svm.get_clock().unix_timestamp),
            )
        )
        self._store_pending_rent_epochs()
        self._update_bank_sysvars()
        self._advance_root()
        self._prune_history(slot)

    def _prune_history(self, slot: int) -> None:
        """With a history limit, forget the transactions of the slots before the newest ones kept."""
        limit = self.config.history_slots
        if limit is None or slot - limit + 1 <= self.first_available_slot:
            return
        self.first_available_slot = slot - limit + 1
        self.store.prune_history(self.first_available_slot, self.root - STATUS_CACHE_SLOTS + 1)

    def _advance_root(self) -> None:
        root = self.root
        if root == self._root:
            return
        self._root = root
        rooted = sorted(self.finality.advance(root), key=bytes)
        empty = Account(0, b"", txmeta.SYSTEM_PROGRAM_ID)
        states = [
            (pubkey, self.finality.account_at_root(pubkey, root, self.svm.get_account)) for pubkey in rooted
        ]
        self._notify("on_root", root, [(pubkey, account or empty) for pubkey, account in states])

    def _update_bank_sysvars(self) -> None:
        """SlotHistory and RecentBlockhashes of the new bank (``native_accounts``)."""
        for sysvar in native_accounts.BANK_SYSVARS:
            self._record_write(sysvar)
        newest_first = [h for h, _ in reversed(self.timeline.recent_blockhashes())]
        native_accounts.new_bank(self.svm, self.timeline.slot, newest_first)

    def _update_clock(self) -> None:
        now = self.timeline.unix_timestamp()
        epoch = self.timeline.epoch
        if epoch != self._epoch:
            self._epoch = epoch
            self._epoch_start_timestamp = now
        self._record_write(CLOCK)
        self.store.set_block_time(self.timeline.slot, now)
        self.svm.set_clock(
            Clock(
                self.timeline.slot,
                self._epoch_start_timestamp,
                epoch,
                self.timeline.leader_schedule_epoch,
                now,
            )
        )

    def advance_slot(self) -> int:
        """Produce the next block: new slot, new blockhash, Clock at the current time."""
        parent = self.timeline.slot
        self._register_block(parent + 1)
        self._notify("on_slot", self.timeline.slot, parent)
        return self.timeline.slot

    def warp_to_slot(self, slot: int) -> int:
        """Jump to ``slot`` as if every slot in between produced an empty block (blockhashes expire, the
        slots passed over enter SlotHashes, the root follows 31 slots behind)."""
        parent = self.timeline.slot
        if slot <= parent:
            raise ValueError(f"cannot warp to slot {slot}: the node is already at slot {parent}")
        root = self.finality.root(slot)
        if parent < root < slot:  # the new root's bank exists, with its own sysvars
            self._register_block(root)
            self._notify("on_slot", root, parent)
            parent = root
        self._register_block(slot)
        self._notify("on_slot", slot, parent)
        return slot

    def record_performance_sample(self, period_secs: int) -> dict[str, int]:
        """A getRecentPerformanceSamples entry for the ``period_secs`` just ended (the validator samples
        every 60 s and keeps 720); the node has no vote transactions."""
        slot, count = self.timeline.slot, self.store.transaction_count
        base_slot, base_count = self._sample_base
        self._sample_base = (slot, count)
        sample = {
            "slot": slot,
            "numTransactions": count - base_count,
            "numSlots": slot - base_slot,
            "samplePeriodSecs": period_secs,
            "numNonVoteTransactions": count - base_count,
        }
        self.performance_samples = [sample, *self.performance_samples][:MAX_PERFORMANCE_SAMPLES]
        return sample

    def all_accounts(self, *, at_root: bool) -> list[tuple[Pubkey, Account]]:
        """Every existing account of the tip's bank, or of the root's (getSupply, getLargestAccounts)."""
        keys = set(self._owners)
        read = self.account_at_root if at_root else self.get_account
        if at_root:
            keys |= self.finality.written_since(self.root)
        result = []
        for pubkey in sorted(keys, key=bytes):
            account = read(pubkey)
            if account is not None:
                result.append((pubkey, account))
        return result

    def advance_time(self, seconds: float) -> int:
        timestamp = self.timeline.advance_time(seconds)
        self._update_clock()
        return timestamp

    def set_unix_timestamp(self, timestamp: int) -> int:
        self.timeline.set_unix_timestamp(timestamp)
        self._update_clock()
        return timestamp

    @property
    def clock(self) -> Clock:
        return self.svm.get_clock()

    # -- accounts --------------------------------------------------------------------------------------

    def get_account(self, pubkey: Pubkey) -> Account | None:
        """The account at the tip, or None if it does not exist (LiteSVM keeps closed accounts at 0
        lamports)."""
        return _existing(self._tip_account(pubkey))

    def _tip_account(self, pubkey: Pubkey) -> Account | None:
        """LiteSVM's account with the rent epoch it gets at the next block (see ``_stored_rent_epoch``)."""
        account = self.svm.get_account(pubkey)
        epoch = self._pending_rent_epochs.get(pubkey)
        if account is None or epoch is None or account.rent_epoch == epoch:
            return account
        return Account(account.lamports, bytes(account.data), account.owner, account.executable, epoch)

    def get_balance(self, pubkey: Pubkey) -> int:
        return self.svm.get_balance(pubkey) or 0

    def account_at_root(self, pubkey: Pubkey) -> Account | None:
        return _existing(self.finality.account_at_root(pubkey, self.root, self._tip_account))

    def _record_write(self, pubkey: Pubkey, before: Account | None = None, *, known: bool = False) -> None:
        """``pubkey`` is written in the current slot; its state until now is kept for reads at the root."""
        self.finality.record_write(self.slot, pubkey, before if known else self.svm.get_account(pubkey))

    @contextlib.contextmanager
    def _root_state(self) -> Iterator[None]:
        """LiteSVM holds the root's state inside the block (for preflight and simulation at finalized)."""
        changed = sorted(self.finality.written_since(self.root), key=bytes)
        tip = {pubkey: self.svm.get_account(pubkey) for pubkey in changed}
        root = {pubkey: self.finality.account_at_root(pubkey, self.root, tip.get) for pubkey in changed}
        try:
            self._load_accounts(root)
            yield
        finally:
            self._load_accounts(tip)

    def _load_accounts(self, accounts: dict[Pubkey, Account | None]) -> None:
        # Program data before programs: LiteSVM loads a program from its program data account.
        executable_last = sorted(accounts.items(), key=lambda item: bool(item[1] and item[1].executable))
        for pubkey, account in executable_last:
            try:
                self.svm.set_account(pubkey, account or Account(0, b"", txmeta.SYSTEM_PROGRAM_ID))
            except Exception as e:  # a program the root has in a state LiteSVM cannot load
                log.warning("cannot load the state of %s at another slot: %s", pubkey, e)

    def minimum_balance(self, data_len: int) -> int:
        return int(self.svm.minimum_balance_for_rent_exemption(data_len))

    def set_account(self, pubkey: Pubkey, account: Account) -> None:
        """Overwrite an account (genesis, tests); it is indexed, persisted and notified like a write.

        ValueError when LiteSVM refuses it (an executable account whose program cannot be loaded).
        """
        before = self.svm.get_account(pubkey)
        try:
            self.svm.set_account(pubkey, account)
        except Exception as e:
            raise ValueError(f"cannot store account {pubkey}: {e}") from None
        self._record_write(pubkey, before, known=True)
        self._index(pubkey, account)
        self._dirty.add(pubkey)
        self._notify("on_accounts", self.slot, [(pubkey, account)])

    def accounts_owned_by(self, owner: Pubkey, *, at_root: bool = False) -> list[tuple[Pubkey, Account]]:
        candidates = set(self._by_owner.get(owner, ()))
        if at_root:  # accounts that the owner had at the root and gave away since were written since
            candidates |= self.finality.written_since(self.root)
        read = self.account_at_root if at_root else self.get_account
        result = []
        for pubkey in sorted(candidates, key=bytes):
            account = read(pubkey)
            if account is not None and account.owner == owner:
                result.append((pubkey, account))
        return result

    def _index(self, pubkey: Pubkey, account: Account | None) -> None:
        old = self._owners.get(pubkey)
        new = None if account is None or account.lamports == 0 else account.owner
        if old == new:
            return
        if old is not None:
            self._by_owner[old].discard(pubkey)
        if new is None:
            self._owners.pop(pubkey, None)
        else:
            self._owners[pubkey] = new
            self._by_owner[new].add(pubkey)

    def _note_seen(self, keys: Iterable[Pubkey]) -> None:
        for pubkey in keys:
            if pubkey not in self._owners:
                self._index(pubkey, self.svm.get_account(pubkey))

    # -- transactions ----------------------------------------------------------------------------------

    def check_sanitized(self, tx: VersionedTransaction) -> None:
        """The transaction's own structure (``admission`` checks 1-3)."""
        err = admission.structural_error(tx)
        if err is not None:
            raise InvalidTransaction(f"invalid transaction: {describe_transaction_error(err)}")

    def admit(self, tx: VersionedTransaction, *, at_root: bool) -> None:
        """What the RPC checks before simulating or sending (``admission``), in the bank of the tip or
        of the root (``at_root``); InvalidTransaction if the transaction is refused."""
        self.check_sanitized(tx)
        at_root = at_root and self.root < self.slot
        slot = self.root if at_root else self.slot
        recent = {s for s, _ in self._slot_hashes.entries() if s < slot}
        lookup = self.account_at_root if at_root else self.get_account
        err = admission.lookup_error(tx.message, lookup, slot, recent)
        if err is not None:
            raise InvalidTransaction(f"invalid transaction: {describe_transaction_error(err)}")

    @staticmethod
    def signatures_verify(tx: VersionedTransaction) -> bool:
        return all(tx.verify_with_results())

    def check_age(self, message: Message | MessageV0, *, at_root: bool = False) -> bool:
        """Recent blockhash still valid (in the root's bank when ``at_root``), or a valid durable nonce
        (first instruction advances it)."""
        if self.timeline.is_blockhash_valid(message.recent_blockhash, self.root if at_root else None):
            return True
        nonce_account = txmeta.advance_nonce_account(message)
        if nonce_account is None:
            return False
        account = self.account_at_root(nonce_account) if at_root else self.get_account(nonce_account)
        return (
            account is not None
            and account.owner == txmeta.SYSTEM_PROGRAM_ID
            and txmeta.nonce_of(bytes(account.data)) == bytes(message.recent_blockhash)
        )

    def submit(
        self,
        tx: VersionedTransaction,
        raw: bytes,
        *,
        preflight: bool,
        preflight_commitment: Commitment = Commitment.CONFIRMED,
    ) -> SubmitOutcome:
        """Process a transaction the way sendTransaction does; see the module docstring for preflight.

        Preflight at ``finalized`` (the RPC's default) is a simulation in the root's bank, as a validator
        does it: a blockhash or a state newer than the root fails it. Once it passed, the transaction runs
        at the tip like one sent without preflight (a failure there that paid its fee is committed).
        """
        self.admit(tx, at_root=preflight and self.bank(preflight_commitment).rooted)
        if (
            preflight
            and self.bank(preflight_commitment).rooted
            and not self.store.has_signature(bytes(tx.signatures[0]))
        ):
            simulation, _ = self.simulate(
                tx, sig_verify=True, replace_blockhash=False, inner_instructions=False, at_root=True
            )
            if simulation["err"] is not None:
                return PreflightFailed(tx.signatures[0], simulation["err"], _as_preflight(simulation))
            return self._submit(tx, raw, preflight=False)
        return self._submit(tx, raw, preflight=preflight)

    def _submit(self, tx: VersionedTransaction, raw: bytes, *, preflight: bool) -> SubmitOutcome:
        self.check_sanitized(tx)
        signature = tx.signatures[0]
        if not self.signatures_verify(tx):
            if preflight:
                return PreflightFailed(signature, SIGNATURE_FAILURE, _simulation_result(SIGNATURE_FAILURE))
            return Dropped(signature, SIGNATURE_FAILURE)
        early_err = None
        if self.store.has_signature(bytes(signature)):
            early_err = ALREADY_PROCESSED
        elif not self.check_age(tx.message):
            early_err = BLOCKHASH_NOT_FOUND
        if early_err is not None:
            if preflight:
                return PreflightFailed(signature, early_err, _simulation_result(early_err))
            return Dropped(signature, early_err)

        execution = self._prepare(tx)
        fee = txmeta.compute_fee(tx.message)
        if execution.exceeds_limit and fee is not None and self._charge_fee_only(tx, execution, fee):
            err = loaded_size.MAX_LOADED_ACCOUNTS_DATA_SIZE_EXCEEDED
            if preflight:
                self._restore_pre_state(execution)
                return PreflightFailed(
                    signature, err, _simulation_result(err, fee=fee, loaded_size=execution.loaded_size)
                )
            self._commit_transaction(tx, raw, execution, _FEE_ONLY, err, fee)
            return Committed(signature, err)
        processed = self.svm.process(tx)
        result = processed.result
        if isinstance(result, TransactionMetadata):
            self._commit_transaction(tx, raw, execution, _Executed.of(result), None, processed.fee)
            return Committed(signature, None)

        err = processed.err
        meta = result.meta()
        included = self._fee_was_charged(execution)
        if preflight or not included:
            if included:
                self._restore_pre_state(execution)
            if preflight:
                simulation = _simulation_result(
                    err,
                    meta.logs(),
                    meta.compute_units_consumed(),
                    txmeta.return_data_json(meta),
                    fee=processed.fee if included else None,
                    loaded_size=execution.loaded_size if included else 0,
                )
                return PreflightFailed(signature, err, simulation)
            return Dropped(signature, err)
        self._commit_transaction(tx, raw, execution, _Executed.of(meta), err, processed.fee)
        return Committed(signature, err)

    def _prepare(self, tx: VersionedTransaction) -> _Execution:
        """The transaction's account keys, pre-state and loaded size, in the engine's current state."""
        keys = txmeta.resolve_account_keys(tx.message, self.svm.get_account)
        if keys is None:
            static = list(tx.message.account_keys)
            keys = txmeta.AccountKeys(static, [False] * len(static), frozenset(), [], [])
        pre: list[Account | None] = []
        balances: list[int] = []
        for index, pubkey in enumerate(keys.keys):
            if index in keys.program_indexes:
                pre.append(None)
                balances.append(self.get_balance(pubkey))
            else:
                account = self.svm.get_account(pubkey)
                pre.append(account)
                balances.append(0 if account is None else account.lamports)
        size = loaded_size.loaded_accounts_data_size(
            keys.keys,
            loaded_size.lookup_table_count(tx.message),
            lambda k: _existing(self.svm.get_account(k)),
        )
        limit = loaded_size.data_size_limit(tx.message)
        exceeds = limit is not None and size > limit
        return _Execution(keys, pre, balances, limit if exceeds and limit is not None else size, exceeds)

    def _charge_fee_only(self, tx: VersionedTransaction, execution: _Execution, fee: int) -> bool:
        """Charge the fee of a transaction that fails to load (and so does not execute) when its fee
        payer can pay it as a validator checks that; False (nothing charged) otherwise, and then the
        engine processes the transaction and reports the fee payer's error. Durable-nonce transactions
        are left to the engine too."""
        payer = self._fee_payer_after_fee(tx, execution, fee)
        if payer is None:
            return False
        self.svm.set_account(execution.keys.keys[0], payer)
        return True

    def _fee_payer_after_fee(
        self, tx: VersionedTransaction, execution: _Execution, fee: int
    ) -> Account | None:
        """The fee payer once it paid ``fee``; None when it cannot (missing, not a system account, too
        poor, or left below rent exemption) or the transaction uses a durable nonce."""
        payer = execution.pre[0]
        if payer is None or payer.owner != txmeta.SYSTEM_PROGRAM_ID or payer.lamports < fee:
            return None
        if txmeta.advance_nonce_account(tx.message) is not None:
            return None
        remaining = payer.lamports - fee
        if remaining and remaining < self.minimum_balance(len(payer.data)):
            return None
        return Account(remaining, bytes(payer.data), payer.owner, payer.executable, payer.rent_epoch)

    def _fee_was_charged(self, execution: _Execution) -> bool:
        payer = execution.keys.keys[0]
        return self.get_balance(payer) != execution.pre_balances[0]

    def _stored_rent_epoch(self, pubkey: Pubkey, pre: Account | None, account: Account) -> Account:
        """``account`` as agave stores a writable account of a successful transaction: with ``rent_epoch``
        u64::MAX when it was new or rent-exempt when loaded (a failed transaction leaves its fee payer's
        as it was). LiteSVM gets an executable account's at the next block (storing one reloads its
        program now, which would make a program deployed in this slot callable before a validator allows
        it); until then the node's reads and the ledger show it already."""
        epoch = rent_epoch_after_write(pre, self.minimum_balance)
        if account.rent_epoch == epoch:
            return account
        stored = Account(account.lamports, bytes(account.data), account.owner, account.executable, epoch)
        if account.executable:
            self._pending_rent_epochs[pubkey] = epoch
        else:
            self.svm.set_account(pubkey, stored)
        return stored

    def _store_pending_rent_epochs(self) -> None:
        pending, self._pending_rent_epochs = self._pending_rent_epochs, {}
        for pubkey, epoch in pending.items():
            account = self.svm.get_account(pubkey)
            if account is None or account.rent_epoch == epoch:
                continue
            stored = Account(account.lamports, bytes(account.data), account.owner, account.executable, epoch)
            try:
                self.svm.set_account(pubkey, stored)
            except Exception as e:  # a program closed or broken since: it keeps its rent epoch
                log.warning("cannot store the rent epoch of %s: %s", pubkey, e)
                continue
            self._dirty.add(pubkey)

    def _restore_pre_state(self, execution: _Execution) -> None:
        for index, pubkey in enumerate(execution.keys.keys):
            if index in execution.keys.program_indexes:
                continue
            before = execution.pre[index]
            after = self.svm.get_account(pubkey)
            if after != before:
                self.svm.set_account(pubkey, before or Account(0, b"", txmeta.SYSTEM_PROGRAM_ID))

    def _commit_transaction(
        self,
        tx: VersionedTransaction,
        raw: bytes,
        execution: _Execution,
        executed: _Executed,
        err: Any,
        fee: int,
    ) -> None:
        keys = execution.keys
        post: list[Account | None] = list(execution.pre)
        written: list[tuple[Pubkey, Account]] = []
        slot = self.timeline.slot
        for index in keys.written() if err is None else range(len(keys.keys)):
            if index in keys.program_indexes:
                continue
            pubkey = keys.keys[index]
            account = self.svm.get_account(pubkey)
            if err is not None and account == execution.pre[index]:
                continue
            if err is None and account is not None:
                account = self._stored_rent_epoch(pubkey, execution.pre[index], account)
            self._record_write(pubkey, execution.pre[index], known=True)
            post[index] = account
            if account is not None:
                written.append((pubkey, account))
            self._index(pubkey, account)
            self._dirty.add(pubkey)
        self._note_seen(keys.keys)
        post_balances = [
            self.get_balance(k) if i in keys.program_indexes else (0 if a is None else a.lamports)
            for i, (k, a) in enumerate(zip(keys.keys, post, strict=True))
        ]
        logs = executed.logs
        record: dict[str, Any] = {
            "err": err,
            "status": {"Ok": None} if err is None else {"Err": err},
            "fee": fee,
            "preBalances": execution.pre_balances,
            "postBalances": post_balances,
            "innerInstructions": executed.inner,
            "logMessages": logs,
            "preTokenBalances": [],
            "postTokenBalances": [],
            "rewards": [],
            "loadedAddresses": execution.loaded_addresses(),
            "computeUnitsConsumed": executed.units,
            "costUnits": tx_cost.executed_cost(
                tx.message, sum(keys.writable), executed.units, execution.loaded_size
            ),
        }
        if executed.return_data is not None:
            record["returnData"] = executed.return_data
        if txmeta.has_token_accounts(execution.pre) or txmeta.has_token_accounts(post):
            lookup = self.svm.get_account
            record["preTokenBalances"] = txmeta.token_balances(keys.keys, execution.pre, lookup, stored=True)
            record["postTokenBalances"] = txmeta.token_balances(keys.keys, post, lookup, stored=True)
        signature = tx.signatures[0]
        seq = self.store.add_transaction(
            bytes(signature),
            slot,
            int(self.svm.get_clock().unix_timestamp),
            raw,
            record,
            err,
            {bytes(k) for k in keys.keys},
        )
        self.finality.record_transaction(slot, seq)
        self._notify(
            "on_transaction", CommittedTransaction(signature, slot, err, logs or [], keys.keys, written)
        )

    def simulate(
        self,
        tx: VersionedTransaction,
        *,
        sig_verify: bool,
        replace_blockhash: bool,
        inner_instructions: bool,
        at_root: bool = False,
    ) -> tuple[dict[str, Any], list[tuple[Pubkey, Account]]]:
        """simulateTransaction: (RpcSimulateTransactionResult JSON without accounts, post-accounts), in
        the tip's bank or in the root's (``at_root``: blockhashes, sysvars and accounts as of the root)."""
        self.admit(tx, at_root=at_root)
        if sig_verify and not self.signatures_verify(tx):
            return self.signature_failure_simulation(tx), []
        at_root = at_root and self.root < self.slot
        replacement = None
        if replace_blockhash:
            blockhash = self.timeline.latest_blockhash(self.root if at_root else None)
            tx = VersionedTransaction.populate(_with_blockhash(tx.message, blockhash), tx.signatures)
            replacement = {
                "blockhash": str(blockhash),
                "lastValidBlockHeight": self.timeline.last_valid_block_height(blockhash),
            }
        with self._root_state() if at_root else contextlib.nullcontext():
            execution = self._prepare(tx)
            if replacement is None and not self.check_age(tx.message, at_root=at_root):
                return self._unprocessed_simulation(BLOCKHASH_NOT_FOUND, execution), []
            fee = txmeta.compute_fee(tx.message)
            if (
                execution.exceeds_limit
                and fee is not None
                and self._fee_payer_after_fee(tx, execution, fee) is not None
            ):
                err = loaded_size.MAX_LOADED_ACCOUNTS_DATA_SIZE_EXCEEDED
                charged = self._balances_after_fee(execution, fee)
                simulation = _simulation_result(
                    err,
                    replacement=replacement,
                    fee=fee,
                    loaded_size=execution.loaded_size,
                    loaded_addresses=execution.loaded_addresses(),
                    balances=(execution.pre_balances, charged),
                    token_balances=self._token_balances(execution, execution.pre),
                )
                return simulation, []
            simulated = self.svm.simulate(tx)
            result, err = simulated.result, simulated.err
            if isinstance(result, SimulatedTransactionInfo):
                meta, post = result.meta(), list(result.post_accounts())
            else:
                meta, post = result.meta(), []
            processed = _was_processed(err)
            post_by_key = dict(post)
            post_accounts = [
                None if i in execution.keys.program_indexes else post_by_key.get(k, execution.pre[i])
                for i, k in enumerate(execution.keys.keys)
            ]
            if err is None:
                post_balances = [
                    execution.pre_balances[i] if a is None else a.lamports
                    for i, a in enumerate(post_accounts)
                ]
            else:
                post_balances = self._balances_after_fee(execution, simulated.fee if processed else 0)
            simulation = _simulation_result(
                err,
                meta.logs(),
                meta.compute_units_consumed(),
                txmeta.return_data_json(meta),
                inner=(
                    parsed_instructions.parsed_inner_instructions(
                        execution.keys.keys, txmeta.inner_instructions_json(meta.inner_instructions())
                    )
                    if inner_instructions
                    else None
                ),
                replacement=replacement,
                fee=simulated.fee if processed else None,
                loaded_size=execution.loaded_size if processed else 0,
                loaded_addresses=execution.loaded_addresses(),
                balances=(execution.pre_balances, post_balances),
                token_balances=self._token_balances(
                    execution, post_accounts if err is None else execution.pre
                ),
            )
        return simulation, post

    def signature_failure_simulation(self, tx: VersionedTransaction) -> dict[str, Any]:
        """simulateTransaction's answer (with ``sigVerify``) when a signature does not verify: nothing
        ran, nothing was loaded, no balances."""
        keys = txmeta.resolve_account_keys(tx.message, self.svm.get_account)
        loaded = {
            "writable": [] if keys is None else [str(k) for k in keys.loaded_writable],
            "readonly": [] if keys is None else [str(k) for k in keys.loaded_readonly],
        }
        return _simulation_result("SignatureFailure", loaded_addresses=loaded)

    def _unprocessed_simulation(self, err: Any, execution: _Execution) -> dict[str, Any]:
        """A simulation refused before processing: balances as they are, no fee, nothing loaded."""
        return _simulation_result(
            err,
            loaded_addresses=execution.loaded_addresses(),
            balances=(execution.pre_balances, execution.pre_balances),
            token_balances=self._token_balances(execution, execution.pre),
        )

    def _token_balances(
        self, execution: _Execution, post: Sequence[Account | None]
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        if not (txmeta.has_token_accounts(execution.pre) or txmeta.has_token_accounts(post)):
            return [], []
        keys, lookup = execution.keys.keys, self.svm.get_account
        return txmeta.token_balances(keys, execution.pre, lookup), txmeta.token_balances(keys, post, lookup)

    @staticmethod
    def _balances_after_fee(execution: _Execution, fee: int) -> list[int]:
        """The balances of a transaction that failed after paying ``fee`` (only the fee payer's changes)."""
        return [execution.pre_balances[0] - fee, *execution.pre_balances[1:]]

    def airdrop(self, to: Pubkey, lamports: int) -> SubmitOutcome:
        """A transfer from the faucet, processed like any transaction (so it has history and logs).

        A compute-unit-limit instruction that varies per airdrop keeps two equal airdrops in one slot from
        having the same signature.
        """
        self._airdrop_count += 1
        unique_limit = 10_000 + self._airdrop_count % 1_000_000
        message = Message.new_with_blockhash(
            [
                set_compute_unit_limit(unique_limit),
                transfer(TransferParams(from_pubkey=self.faucet.pubkey(), to_pubkey=to, lamports=lamports)),
            ],
            self.faucet.pubkey(),
            self.timeline.latest_blockhash(),
        )
        tx = VersionedTransaction(message, [self.faucet])
        return self.submit(tx, bytes(tx), preflight=True)

    def fee_for_message(self, message: Message | MessageV0, *, at_root: bool = False) -> int | None:
        if not self.check_age(message, at_root=at_root):
            return None
        return txmeta.compute_fee(message)

    def close(self) -> None:
        self.commit()
        self.store.close()


class Bank:
    """The chain as one commitment level reads it: the tip, or the root (``rooted``) below it."""

    def __init__(self, chain: Chain, slot: int, *, rooted: bool) -> None:
        self.chain = chain
        self.slot = slot
        self.rooted = rooted

    @property
    def block_height(self) -> int:
        return self.slot  # every slot has a block

    def get_account(self, pubkey: Pubkey) -> Account | None:
        return self.chain.account_at_root(pubkey) if self.rooted else self.chain.get_account(pubkey)

    def get_balance(self, pubkey: Pubkey) -> int:
        if not self.rooted:
            return self.chain.get_balance(pubkey)
        account = self.get_account(pubkey)
        return 0 if account is None else account.lamports

    def accounts_owned_by(self, owner: Pubkey) -> list[tuple[Pubkey, Account]]:
        return self.chain.accounts_owned_by(owner, at_root=self.rooted)

    def latest_blockhash(self) -> Hash:
        return self.chain.timeline.latest_blockhash(self.slot)

    def is_blockhash_valid(self, blockhash: Hash) -> bool:
        return self.chain.timeline.is_blockhash_valid(blockhash, self.slot)

    @property
    def transaction_count(self) -> int:
        """Transactions in this bank and its ancestors."""
        total = self.chain.store.transaction_count
        if not self.rooted:
            return total
        first_newer = self.chain.finality.first_seq_after(self.slot)
        return total if first_newer is None else first_newer - 1

    def includes(self, slot: int) -> bool:
        """Whether a transaction of ``slot`` is visible at this commitment."""
        return slot <= self.slot


def _engine_genesis_keys() -> list[Pubkey]:
    """The accounts the engine creates itself (builtins, sysvars, feature accounts, the validator's
    genesis programs), so that the node's account index knows them too."""
    keys = [*native_accounts.BUILTIN_DATA, *native_accounts.SYSVARS, *native_accounts.BANK_SYSVARS]
    for program in PROGRAMS:
        keys.append(program.program_id)
        if program.loader == LOADER_V3:
            keys.append(programdata_address(program.program_id))
    return [*keys, *known_features()]


def _existing(account: Account | None) -> Account | None:
    return None if account is None or account.lamports == 0 else account


def rent_epoch_after_write(pre: Account | None, minimum_balance: Callable[[int], int]) -> int:
    """The ``rent_epoch`` agave 4 stores for a writable account of a successful transaction, from its state
    when loaded: u64::MAX for a new account or a rent-exempt one, else (rent-paying) the one it had."""
    if pre is None or pre.lamports == 0 or pre.rent_epoch == RENT_EXEMPT_RENT_EPOCH:
        return RENT_EXEMPT_RENT_EPOCH
    if pre.lamports >= minimum_balance(len(pre.data)):
        return RENT_EXEMPT_RENT_EPOCH
    return int(pre.rent_epoch)


def _persistable(account: Account | None) -> bool:
    """Sysvars and the engine's built-in programs are recreated by the engine itself; everything else is
    kept."""
    if account is None:
        return True
    if account.owner == SYSVAR_OWNER:
        return False
    return not account.executable or account.owner == loader.LOADER_V3


def _with_blockhash(message: Message | MessageV0, blockhash: Hash) -> Message | MessageV0:
    if isinstance(message, MessageV0):
        return MessageV0(
            message.header,
            list(message.account_keys),
            blockhash,
            list(message.instructions),
            list(message.address_table_lookups),
        )
    header = message.header
    return Message.new_with_compiled_instructions(
        header.num_required_signatures,
        header.num_readonly_signed_accounts,
        header.num_readonly_unsigned_accounts,
        list(message.account_keys),
        blockhash,
        list(message.instructions),
    )

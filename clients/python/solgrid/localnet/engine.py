"""The local node's execution engine: LiteSVM 0.15.2 on agave 4.1.2, driven with solders 0.26 types.

Why two solders: the client stack (anchorpy3, solana-py 0.36.6) pins solders 0.26, whose LiteSVM embeds
agave 2.2 (SBPF v0 only, 2.2's feature set). Clusters run agave 4 and deploy SBPF v3. solders 0.29.0's
extension embeds LiteSVM 0.15.2 on agave 4.1.2 (solana-sbpf 0.21: v0 and v3 programs); setup installs its
package as ``solders29`` next to solders 0.26 (``scripts/install_engine.py``). The two are separate
extension modules with separate classes: a 0.26 ``Pubkey`` is not a 0.29 one. ``Engine`` is the one place
where they meet: it takes and returns solders 0.26 types and converts everything that crosses (keys,
hashes and accounts field by field, transactions through their wire bytes, results through their JSON).

The engine is set up as a default ``solana-test-validator`` would be: every feature the runtime knows is
active (SIMD-0500 included: only SBPF v3 programs can be deployed, v0 ones still run), the builtins,
sysvars, feature accounts, precompiles, and, instead of the programs LiteSVM ships, the validator's own
genesis programs, account for account (``program_binaries``: SPL Token as p-token 1.0.0, Token-2022
10.0.0, Memo 1/3/4, ATA 1.1.1 and the core BPF address lookup table, config, feature gate and stake
programs, which replace the builtins of the same addresses). ``deactivate`` is the counterpart of the
test validator's ``--deactivate-feature``. Builtin and sysvar accounts hold what a validator's do
(``native_accounts``).

Only the local node and tests use this module; the SDK never imports it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from solders.account import Account
from solders.clock import Clock
from solders.epoch_schedule import EpochSchedule
from solders.hash import Hash
from solders.pubkey import Pubkey
from solders.sysvar import CLOCK, EPOCH_SCHEDULE, SLOT_HASHES
from solders.transaction import Transaction, VersionedTransaction
from solders.transaction_metadata import (
    FailedTransactionMetadata,
    SimulatedTransactionInfo,
    TransactionMetadata,
)

from solgrid.localnet import native_accounts, program_binaries

try:
    import solders29.solders as _x
except ImportError as e:  # pragma: no cover - setup installs it
    raise ImportError(
        f"the local node's engine (solders29) is not installed: run scripts/setup.sh ({e})"
    ) from None

SOLDERS_VERSION = "0.29.0"
"""The solders release whose extension is the engine (its Cargo.lock: litesvm 0.15.2, agave 4.1.2)."""
AGAVE_VERSION = "4.1.2"
"""The agave version the engine's runtime is built from (what getVersion reports)."""

SBPF_V0_V1_V2_DEPLOYMENT_DISABLED = Pubkey.from_string("B8JJXCy5amZyWG9r7EnUYLwzXSXTxG7GZ1qZ1qggo83g")
"""SIMD-0500: with it active (as on a default test validator), the loaders deploy SBPF v3 and later only."""

BPF_LOADER_2 = Pubkey.from_string("BPFLoader2111111111111111111111111111111111")

TransactionResult = TransactionMetadata | FailedTransactionMetadata
SimulateResult = SimulatedTransactionInfo | FailedTransactionMetadata


# -- conversions ------------------------------------------------------------------------------------------


def _pubkey(pubkey: Pubkey) -> _x.Pubkey:
    return _x.Pubkey.from_bytes(bytes(pubkey))


def _pubkey26(pubkey: _x.Pubkey) -> Pubkey:
    return Pubkey.from_bytes(bytes(pubkey))


def _hash26(blockhash: _x.Hash) -> Hash:
    return Hash.from_bytes(bytes(blockhash))


def _account(account: Account) -> _x.Account:
    return _x.Account(
        account.lamports, bytes(account.data), _pubkey(account.owner), account.executable, account.rent_epoch
    )


def _account26(account: _x.Account) -> Account:
    return Account(
        account.lamports,
        bytes(account.data),
        _pubkey26(account.owner),
        account.executable,
        account.rent_epoch,
    )


def _transaction(tx: VersionedTransaction | Transaction) -> _x.VersionedTransaction | _x.Transaction:
    if isinstance(tx, Transaction):
        return _x.Transaction.from_bytes(bytes(tx))
    return _x.VersionedTransaction.from_bytes(bytes(tx))


def _error_json(err: _x.TransactionErrorType) -> Any:
    """The transaction error as agave 4's RPC serialises it (``err`` of RpcSimulateTransactionResult)."""
    return json.loads(_x.RpcSimulateTransactionResult(err=err).to_json())["err"]


def _error_json26(err: Any) -> Any:
    """A JSON transaction error in the form solders 0.26 parses.

    The one variant whose shape changed between agave 2.2 and 4 is ``InstructionError::BorshIoError``
    (agave 4 dropped its message): it becomes 0.26's ``{"BorshIoError": ""}``.
    """
    if isinstance(err, dict) and isinstance(err.get("InstructionError"), list):
        index, inner = err["InstructionError"]
        if inner == "BorshIoError":
            return {"InstructionError": [index, {"BorshIoError": ""}]}
    return err


def _failed26(failed: _x.FailedTransactionMetadata, err: Any) -> FailedTransactionMetadata:
    """The 0.26 type has no constructor: it is read from the JSON of the 0.29 one."""
    raw = {"err": _error_json26(err), "meta": json.loads(failed.meta().to_json())}
    return FailedTransactionMetadata.from_json(json.dumps(raw))


# -- results ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Processed:
    """What ``Engine.process`` returns: the 0.26 result, the fee the engine charged, and the error in the
    JSON form agave 4's RPC gives it (None on success)."""

    result: TransactionResult
    fee: int
    err: Any


@dataclass(frozen=True)
class Simulated:
    """What ``Engine.simulate`` returns (the error as in ``Processed``)."""

    result: SimulateResult
    fee: int
    err: Any


def known_features() -> list[Pubkey]:
    """Every feature the engine's agave knows (its FEATURE_NAMES)."""
    return [_pubkey26(k) for k in _x.FeatureSet.all_enabled().active]


class Engine:
    """LiteSVM on agave 4.1.2 set up as a default test validator, with solders 0.26 types in and out.

    ``sigverify``/``blockhash_check`` as in LiteSVM; ``transaction_history`` is how many signatures LiteSVM
    remembers to refuse a duplicate (0: none); ``deactivate`` lists features to leave inactive.
    """

    def __init__(
        self,
        *,
        sigverify: bool = True,
        blockhash_check: bool = True,
        transaction_history: int = 10_000,
        lamports: int = 10**18,
        deactivate: Iterable[Pubkey] = (),
    ) -> None:
        deactivated = list(deactivate)
        features = _x.FeatureSet.all_enabled()
        known = features.active
        for feature in deactivated:
            key = _pubkey(feature)
            if key not in known:
                raise ValueError(f"{feature} is not a feature of agave {AGAVE_VERSION}")
            features.deactivate(key)
        svm = _x.LiteSVM.default()
        svm.set_feature_set(features)
        svm.set_builtins()
        svm.set_lamports(lamports)
        svm.set_sysvars()
        svm.set_feature_accounts()
        svm.set_precompiles()
        svm.set_sigverify(sigverify)
        svm.set_blockhash_check(blockhash_check)
        svm.set_transaction_history(transaction_history)
        self._svm = svm
        self._features = features
        self.deactivated = frozenset(deactivated)
        for pubkey, account in program_binaries.genesis_accounts(self.minimum_balance_for_rent_exemption):
            self.set_account(pubkey, account)
        native_accounts.install(self)

    # -- features --------------------------------------------------------------------------------------

    def is_active(self, feature: Pubkey) -> bool:
        return self._features.is_active(_pubkey(feature))

    def active_features(self) -> list[Pubkey]:
        return [_pubkey26(k) for k in self._features.active]

    # -- accounts --------------------------------------------------------------------------------------

    def get_account(self, pubkey: Pubkey) -> Account | None:
        account = self._svm.get_account(_pubkey(pubkey))
        return None if account is None else _account26(account)

    def set_account(self, pubkey: Pubkey, account: Account) -> None:
        self._svm.set_account(_pubkey(pubkey), _account(account))

    def get_balance(self, pubkey: Pubkey) -> int | None:
        return self._svm.get_balance(_pubkey(pubkey))

    def minimum_balance_for_rent_exemption(self, data_len: int) -> int:
        return self._svm.minimum_balance_for_rent_exemption(data_len)

    def airdrop(self, pubkey: Pubkey, lamports: int) -> TransactionResult:
        """A transfer from LiteSVM's own funded account (a transaction of its own, fee included)."""
        return self._result26(self._svm.airdrop(_pubkey(pubkey), lamports))[0]

    def add_program(self, program_id: Pubkey, elf: bytes, loader: Pubkey = BPF_LOADER_2) -> None:
        """Load ``elf`` at ``program_id`` without the deployment checks, as genesis or a test harness places
        a program: owned by BPFLoader2 (not upgradeable, as solders 0.26's ``add_program`` did), or by
        ``loader`` (LiteSVM 0.15's own default is BPFLoaderUpgradeable with no upgrade authority)."""
        self._svm.add_program_with_loader(_pubkey(program_id), elf, _pubkey(loader))

    # -- blockhashes, slots and sysvars ----------------------------------------------------------------

    def latest_blockhash(self) -> Hash:
        return _hash26(self._svm.latest_blockhash())

    def expire_blockhash(self) -> None:
        self._svm.expire_blockhash()

    def get_clock(self) -> Clock:
        c = self._svm.get_clock()
        return Clock(c.slot, c.epoch_start_timestamp, c.epoch, c.leader_schedule_epoch, c.unix_timestamp)

    def set_clock(self, clock: Clock) -> None:
        self._svm.set_clock(
            _x.Clock(
                clock.slot,
                clock.epoch_start_timestamp,
                clock.epoch,
                clock.leader_schedule_epoch,
                clock.unix_timestamp,
            )
        )
        native_accounts.settle(self, CLOCK)

    def warp_to_slot(self, slot: int) -> None:
        """Set the Clock's slot (LiteSVM's warp: nothing else changes)."""
        self._svm.warp_to_slot(slot)
        native_accounts.settle(self, CLOCK)

    def get_slot_hashes(self) -> list[tuple[int, Hash]]:
        return [(slot, _hash26(h)) for slot, h in self._svm.get_slot_hashes()]

    def set_slot_hashes(self, entries: Sequence[tuple[int, Hash]]) -> None:
        self._svm.set_slot_hashes([(slot, _x.Hash.from_bytes(bytes(h))) for slot, h in entries])
        native_accounts.settle(self, SLOT_HASHES)

    def get_epoch_schedule(self) -> EpochSchedule:
        return EpochSchedule.from_bytes(bytes(self._svm.get_epoch_schedule()))

    def set_epoch_schedule(self, schedule: EpochSchedule) -> None:
        self._svm.set_epoch_schedule(_x.EpochSchedule.from_bytes(bytes(schedule)))
        native_accounts.settle(self, EPOCH_SCHEDULE)

    # -- transactions ----------------------------------------------------------------------------------

    def process(self, tx: VersionedTransaction | Transaction) -> Processed:
        result, fee, err = self._result26(self._svm.send_transaction(_transaction(tx)))
        return Processed(result, fee, err)

    def send_transaction(self, tx: VersionedTransaction | Transaction) -> TransactionResult:
        return self.process(tx).result

    def simulate(self, tx: VersionedTransaction | Transaction) -> Simulated:
        result = self._svm.simulate_transaction(_transaction(tx))
        if isinstance(result, _x.FailedTransactionMetadata):
            err = _error_json(result.err())
            return Simulated(_failed26(result, err), result.meta().fee(), err)
        info = SimulatedTransactionInfo.from_json(result.to_json())
        return Simulated(info, result.meta().fee(), None)

    def simulate_transaction(self, tx: VersionedTransaction | Transaction) -> SimulateResult:
        return self.simulate(tx).result

    @staticmethod
    def _result26(
        result: _x.TransactionMetadata | _x.FailedTransactionMetadata,
    ) -> tuple[TransactionResult, int, Any]:
        if isinstance(result, _x.FailedTransactionMetadata):
            err = _error_json(result.err())
            return _failed26(result, err), result.meta().fee(), err
        return TransactionMetadata.from_json(result.to_json()), result.fee(), None

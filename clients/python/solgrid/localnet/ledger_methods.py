"""The JSON-RPC methods explorers and indexers read the ledger with: blocks (getBlock, getBlocks,
getBlocksWithLimit, getBlockTime, getBlockCommitment), supply (getSupply, getLargestAccounts) and the
cluster's economics and health (getInflationGovernor, getStakeMinimumDelegation,
getRecentPerformanceSamples, getHighestSnapshotSlot).

Answers, limits and errors are solana-test-validator 4.2.2's:

* a block is answered at ``finalized`` (the default) once its slot is rooted, at ``confirmed`` once it is
  complete (every slot before the tip; the tip's block is still being produced: -32014, as a validator
  answers a block whose statuses are not written yet); ``processed`` is refused;
* a slot newer than that: -32004 "Block not available for slot N"; a slot pruned by the history limit:
  -32001 "Block N cleaned up, does not exist on node. First available block: F"; a rooted slot the
  ledger has no block for (a ledger written before blocks were recorded): -32007 "Slot N was skipped";
* getBlocks spans at most 500,000 slots and getBlocksWithLimit at most 500,000 blocks;
* the node has no vote accounts and no stake: getBlockCommitment reports no commitment and a total stake
  of 0, and the performance samples count no vote transactions;
* the node takes no snapshots: getHighestSnapshotSlot answers -32008 "No snapshot".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from solders.pubkey import Pubkey

from solgrid.localnet import blocks, supply
from solgrid.localnet.chain import MAX_PERFORMANCE_SAMPLES, Bank, Chain
from solgrid.localnet.finality import Commitment, commitment_of
from solgrid.localnet.params import Params, parse_bool, parse_u64
from solgrid.localnet.rpc_errors import INVALID_PARAMS, RpcError, invalid_params

MAX_BLOCKS_RANGE = 500_000
"""Slots getBlocks spans and blocks getBlocksWithLimit answers, at most (MAX_GET_CONFIRMED_BLOCKS_RANGE)."""
BLOCK_CLEANED_UP = -32001
BLOCK_NOT_AVAILABLE = -32004
SLOT_SKIPPED = -32007
NO_SNAPSHOT = -32008
BLOCK_STATUS_NOT_AVAILABLE_YET = -32014
STAKE_RAISE_MINIMUM_DELEGATION_TO_1_SOL = Pubkey.from_string("9onWzzvCzNC2jfhxxeqRgs5q7nFAAKpCUvkj6T6GJK9i")
LAMPORTS_PER_SOL = 1_000_000_000
INFLATION_GOVERNOR = {
    "initial": 0.08,
    "terminal": 0.015,
    "taper": 0.15,
    "foundation": 0.05,
    "foundationTerm": 7.0,
}
"""The inflation of a solana-test-validator genesis (agave's default Inflation)."""

BankOf = Callable[[dict[str, Any]], Bank]
Context = Callable[[Any, Bank], dict[str, Any]]


def block_not_available(slot: int) -> RpcError:
    return RpcError(BLOCK_NOT_AVAILABLE, f"Block not available for slot {slot}")


class LedgerMethods:
    """Method name -> handler for the methods of this module."""

    def __init__(self, chain: Chain, bank_of: BankOf, context: Context) -> None:
        self.chain = chain
        self._bank_of = bank_of
        self._context = context
        self.handlers: dict[str, Callable[[Any], Any]] = {
            "getBlock": self.get_block,
            "getBlocks": self.get_blocks,
            "getBlocksWithLimit": self.get_blocks_with_limit,
            "getBlockTime": self.get_block_time,
            "getBlockCommitment": self.get_block_commitment,
            "getSupply": self.get_supply,
            "getLargestAccounts": self.get_largest_accounts,
            "getInflationGovernor": self.get_inflation_governor,
            "getStakeMinimumDelegation": self.get_stake_minimum_delegation,
            "getRecentPerformanceSamples": self.get_recent_performance_samples,
            "getHighestSnapshotSlot": self.get_highest_snapshot_slot,
        }

    # -- blocks ------------------------------------------------------------------------------------------

    @staticmethod
    def _history_commitment(config: dict[str, Any]) -> Commitment:
        commitment = commitment_of(config.get("commitment"))
        if commitment is Commitment.PROCESSED:
            raise RpcError(INVALID_PARAMS, "Method does not support commitment below `confirmed`")
        return commitment

    def _newest_block(self, commitment: Commitment) -> int:
        """The newest block a request at ``commitment`` may read: the root, or the newest complete one."""
        return self.chain.root if commitment is Commitment.FINALIZED else self.chain.slot - 1

    def _lowest_block(self) -> int:
        return max(self.chain.first_available_slot, blocks.lowest_block_slot(self.chain.store))

    def _block(self, slot: int, commitment: Commitment) -> blocks.Block:
        """The block of ``slot`` if a request at ``commitment`` may read it; else the validator's error."""
        chain = self.chain
        if slot > self._newest_block(commitment):
            if commitment is Commitment.CONFIRMED and slot == chain.slot:
                raise RpcError(
                    BLOCK_STATUS_NOT_AVAILABLE_YET, f"Block status not yet available for slot {slot}"
                )
            raise block_not_available(slot)
        block = blocks.block_at(chain.store, slot) if slot >= chain.first_available_slot else None
        if block is None:
            if slot >= chain.first_available_slot:
                raise RpcError(
                    SLOT_SKIPPED,
                    f"Slot {slot} was skipped, or missing due to ledger jump to recent snapshot",
                )
            raise RpcError(
                BLOCK_CLEANED_UP,
                f"Block {slot} cleaned up, does not exist on node. First available block: "
                f"{chain.first_available_slot}",
            )
        return block

    def get_block(self, raw: Any) -> Any:
        params = Params(raw, required=1, maximum=2)
        slot = parse_u64(params.get(0), "slot")
        config = params.get(1)
        if isinstance(config, str):  # the deprecated form: an encoding instead of a config object
            config = {"encoding": config}
        config = Params([config], maximum=1).config(0)
        options = blocks.BlockOptions.parse(config)
        block = self._block(slot, self._history_commitment(config))
        transactions = self.chain.store.transactions_in_slot(slot) if options.details != "none" else []
        return blocks.ui_block(block, transactions, options)

    def _slots(self, start: int, end: int, limit: int | None = None) -> list[int]:
        first = max(start, self._lowest_block())
        if limit is not None:
            end = min(end, first + limit - 1)
        return list(range(first, end + 1))

    def get_blocks(self, raw: Any) -> Any:
        params = Params(raw, required=1, maximum=3)
        start = parse_u64(params.get(0), "start slot")
        second = params.get(1)
        if isinstance(second, dict):  # [start, config]
            if params.get(2) is not None:
                raise invalid_params("expected [start, end, config]")
            end_slot, config = None, params.config(1)
        else:
            end_slot = None if second is None else parse_u64(second, "end slot")
            config = params.config(2)
        newest = self._newest_block(self._history_commitment(config))
        end = min(start + MAX_BLOCKS_RANGE if end_slot is None else end_slot, newest)
        if end < start:
            return []
        if end - start > MAX_BLOCKS_RANGE:
            raise RpcError(INVALID_PARAMS, f"Slot range too large; max {MAX_BLOCKS_RANGE}")
        return self._slots(start, end)

    def get_blocks_with_limit(self, raw: Any) -> Any:
        params = Params(raw, required=2, maximum=3)
        start = parse_u64(params.get(0), "start slot")
        limit = parse_u64(params.get(1), "limit")
        newest = self._newest_block(self._history_commitment(params.config(2)))
        if limit > MAX_BLOCKS_RANGE:
            raise RpcError(INVALID_PARAMS, f"Limit too large; max {MAX_BLOCKS_RANGE}")
        if limit == 0:
            return []
        return self._slots(start, newest, limit)

    def get_block_time(self, raw: Any) -> Any:
        """A rooted block's time (null if the ledger lacks it), or a newer one's bank's clock."""
        params = Params(raw, required=1, maximum=1)
        slot = parse_u64(params.get(0), "slot")
        if slot == 0 and self.chain.genesis_time is not None:
            return self.chain.genesis_time  # as a validator answers its genesis creation time
        if slot > self.chain.slot:
            raise block_not_available(slot)
        commitment = Commitment.FINALIZED if slot <= self.chain.root else Commitment.CONFIRMED
        if commitment is Commitment.CONFIRMED and slot == self.chain.slot:
            return int(self.chain.clock.unix_timestamp)
        return self._block(slot, commitment).block_time

    def get_block_commitment(self, raw: Any) -> Any:
        """No vote account, so no block has votes at any lockout, and the total stake is 0."""
        params = Params(raw, required=1, maximum=1)
        parse_u64(params.get(0), "slot")
        return {"commitment": None, "totalStake": 0}

    # -- supply ------------------------------------------------------------------------------------------

    def get_supply(self, raw: Any) -> Any:
        config = Params(raw, maximum=1).config(0)
        bank = self._bank_of(config)
        exclude = parse_bool(config, "excludeNonCirculatingAccountsList", False)
        accounts = self.chain.all_accounts(at_root=bank.rooted)
        total = sum(account.lamports for _, account in accounts)
        non_circulating = supply.non_circulating_keys(accounts, self.chain.clock)
        locked = sum(account.lamports for pubkey, account in accounts if pubkey in non_circulating)
        return self._context(
            {
                "total": total,
                "circulating": total - locked,
                "nonCirculating": locked,
                "nonCirculatingAccounts": [] if exclude else sorted(str(k) for k in non_circulating),
            },
            bank,
        )

    def get_largest_accounts(self, raw: Any) -> Any:
        config = Params(raw, maximum=1).config(0)
        bank = self._bank_of(config)
        wanted = config.get("filter")
        if wanted not in (None, "circulating", "nonCirculating"):
            raise invalid_params(f"unknown variant `{wanted}`, expected `circulating` or `nonCirculating`.")
        accounts = self.chain.all_accounts(at_root=bank.rooted)
        if wanted is not None:
            non_circulating = supply.non_circulating_keys(accounts, self.chain.clock)
            keep = wanted == "nonCirculating"
            accounts = [(k, a) for k, a in accounts if (k in non_circulating) is keep]
        return self._context(supply.largest(accounts), bank)

    # -- economics and health ----------------------------------------------------------------------------

    def get_inflation_governor(self, raw: Any) -> Any:
        Params(raw, maximum=1).config(0)
        return dict(INFLATION_GOVERNOR)

    def get_stake_minimum_delegation(self, raw: Any) -> Any:
        bank = self._bank_of(Params(raw, maximum=1).config(0))
        one_sol = self.chain.svm.is_active(STAKE_RAISE_MINIMUM_DELEGATION_TO_1_SOL)
        return self._context(LAMPORTS_PER_SOL if one_sol else 1, bank)

    def get_recent_performance_samples(self, raw: Any) -> Any:
        params = Params(raw, maximum=1)
        limit = params.get(0)
        limit = MAX_PERFORMANCE_SAMPLES if limit is None else parse_u64(limit, "limit")
        if limit > MAX_PERFORMANCE_SAMPLES:
            raise RpcError(INVALID_PARAMS, f"Invalid limit; max {MAX_PERFORMANCE_SAMPLES}")
        return [dict(sample) for sample in self.chain.performance_samples[:limit]]

    def get_highest_snapshot_slot(self, raw: Any) -> Any:
        Params(raw)
        raise RpcError(NO_SNAPSHOT, "No snapshot")

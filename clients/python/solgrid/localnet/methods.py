"""The JSON-RPC methods of the local node, answered from the ``Chain``.

Commitment, as on solana-test-validator (``finality``): ``processed`` and ``confirmed`` read the tip,
``finalized`` (the default when a request names none) reads the root, 31 slots behind: its slot, block
height, blockhash, accounts, transaction count and history; preflight (``preflightCommitment``) and
simulation at ``finalized`` run in the root's bank. Statuses read ``confirmed`` with the number of
confirmations until the transaction's slot is rooted, then ``finalized``; past the status cache (300
rooted slots) only with ``searchTransactionHistory``. getTransaction and
getSignaturesForAddress refuse ``processed`` as a validator does.

The block, supply and economics methods are in ``ledger_methods``; the non-standard ``solgrid_*``
methods for tests are in ``controls``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from solders.account import Account
from solders.message import from_bytes_versioned
from solders.pubkey import Pubkey

from solgrid.localnet import blocks, render, tokens, txmeta
from solgrid.localnet import encoding as enc
from solgrid.localnet.chain import (
    STATUS_CACHE_SLOTS,
    Bank,
    Chain,
    Committed,
    Dropped,
    InvalidTransaction,
    PreflightFailed,
)
from solgrid.localnet.controls import NodeControls
from solgrid.localnet.engine import AGAVE_VERSION, known_features
from solgrid.localnet.filters import parse_filters
from solgrid.localnet.finality import Commitment, commitment_of
from solgrid.localnet.ledger_methods import LedgerMethods
from solgrid.localnet.params import (
    COMMITMENTS,
    Params,
    parse_bool,
    parse_hash,
    parse_optional_u64,
    parse_pubkey,
    parse_signature,
    parse_u64,
)
from solgrid.localnet.rpc_errors import (
    INVALID_PARAMS,
    SEND_TRANSACTION_PREFLIGHT_FAILURE,
    RpcError,
    invalid_param,
    invalid_params,
    min_context_slot_not_reached,
    transaction_not_found,
)
from solgrid.localnet.tx_errors import describe_transaction_error
from solgrid.localnet.wire import decode_transaction

SOLANA_CORE_VERSION = AGAVE_VERSION
"""The agave version the engine's runtime is built from."""
MAX_MULTIPLE_ACCOUNTS = 100
MAX_SIGNATURE_STATUSES = 256
MAX_SIGNATURES_FOR_ADDRESS = 1000
MAX_PRIORITIZATION_FEE_SLOTS = 150

Handler = Callable[[Any], Any]


def _feature_set_id() -> int:
    """As agave computes its version's ``feature-set``: the features it knows, sorted, hashed."""
    digest = hashlib.sha256(b"".join(sorted(bytes(k) for k in known_features()))).digest()
    return int.from_bytes(digest[:4], "little")


@dataclass(frozen=True)
class NodeInfo:
    """Where the node listens (getClusterNodes); known once its sockets are bound."""

    rpc_address: str | None = None
    pubsub_address: str | None = None


class RpcMethods:
    """Method name -> handler; handlers take the raw params and return the JSON result."""

    def __init__(self, chain: Chain, info: NodeInfo) -> None:
        self.chain = chain
        self.info = info
        self.feature_set = _feature_set_id()
        self.handlers: dict[str, Handler] = {
            "getHealth": self.get_health,
            "getVersion": self.get_version,
            "getIdentity": self.get_identity,
            "getGenesisHash": self.get_genesis_hash,
            "getSlot": self.get_slot,
            "getBlockHeight": self.get_block_height,
            "getSlotLeader": self.get_slot_leader,
            "getEpochInfo": self.get_epoch_info,
            "getEpochSchedule": self.get_epoch_schedule,
            "getLatestBlockhash": self.get_latest_blockhash,
            "isBlockhashValid": self.is_blockhash_valid,
            "getFeeForMessage": self.get_fee_for_message,
            "getFirstAvailableBlock": self.get_first_available_block,
            "minimumLedgerSlot": self.get_minimum_ledger_slot,
            "getMaxRetransmitSlot": self.get_slot,
            "getMaxShredInsertSlot": self.get_slot,
            "getRecentPrioritizationFees": self.get_recent_prioritization_fees,
            "getTransactionCount": self.get_transaction_count,
            "getClusterNodes": self.get_cluster_nodes,
            "getVoteAccounts": self.get_vote_accounts,
            "getMinimumBalanceForRentExemption": self.get_minimum_balance_for_rent_exemption,
            "getBalance": self.get_balance,
            "getAccountInfo": self.get_account_info,
            "getMultipleAccounts": self.get_multiple_accounts,
            "getProgramAccounts": self.get_program_accounts,
            "getTokenAccountBalance": self.get_token_account_balance,
            "getTokenSupply": self.get_token_supply,
            "getTokenLargestAccounts": self.get_token_largest_accounts,
            "getTokenAccountsByOwner": self.get_token_accounts_by_owner,
            "getTokenAccountsByDelegate": self.get_token_accounts_by_delegate,
            "requestAirdrop": self.request_airdrop,
            "sendTransaction": self.send_transaction,
            "simulateTransaction": self.simulate_transaction,
            "getSignatureStatuses": self.get_signature_statuses,
            "getTransaction": self.get_transaction,
            "getSignaturesForAddress": self.get_signatures_for_address,
            **LedgerMethods(chain, self._bank, self._context).handlers,
            **NodeControls(chain).handlers,
        }

    # -- helpers ---------------------------------------------------------------------------------------

    def _context(self, value: Any, bank: Bank) -> dict[str, Any]:
        return {"context": {"apiVersion": SOLANA_CORE_VERSION, "slot": bank.slot}, "value": value}

    def _bank(self, config: dict[str, Any], key: str = "commitment") -> Bank:
        """The bank a request reads (its ``commitment``, finalized by default), after its minContextSlot."""
        if key != "commitment" and config.get(key) is not None and config[key] not in COMMITMENTS:
            raise invalid_params(f"unknown commitment `{config[key]}`")
        bank = self.chain.bank(commitment_of(config.get(key)))
        wanted = parse_optional_u64(config, "minContextSlot")
        if wanted is not None and wanted > bank.slot:
            raise min_context_slot_not_reached(bank.slot)
        return bank

    def _encode(
        self, bank: Bank, account: Account | None, config: dict[str, Any], default: str = enc.BINARY
    ) -> Any:
        encoding = enc.parse_account_encoding(config.get("encoding"), default)
        data_slice = enc.parse_data_slice(config.get("dataSlice"))
        if account is None:
            return None
        return enc.encode_account(
            account, encoding, data_slice, lambda mint: txmeta.mint_decimals(bank.get_account, mint)
        )

    # -- cluster -----------------------------------------------------------------------------------------

    def get_health(self, raw: Any) -> Any:
        Params(raw)
        return "ok"

    def get_version(self, raw: Any) -> Any:
        Params(raw)
        return {"solana-core": SOLANA_CORE_VERSION, "feature-set": self.feature_set}

    def get_identity(self, raw: Any) -> Any:
        Params(raw)
        return {"identity": str(self.chain.identity.pubkey())}

    def get_genesis_hash(self, raw: Any) -> Any:
        Params(raw)
        return str(self.chain.genesis_hash)

    def get_slot(self, raw: Any) -> Any:
        return self._bank(Params(raw, maximum=1).config(0)).slot

    def get_block_height(self, raw: Any) -> Any:
        return self._bank(Params(raw, maximum=1).config(0)).block_height

    def get_slot_leader(self, raw: Any) -> Any:
        Params(raw, maximum=1).config(0)
        return str(self.chain.identity.pubkey())

    def get_epoch_info(self, raw: Any) -> Any:
        bank = self._bank(Params(raw, maximum=1).config(0))
        epoch, index, slots = self.chain.timeline.epoch_info(bank.slot)
        return {
            "absoluteSlot": bank.slot,
            "blockHeight": bank.block_height,
            "epoch": epoch,
            "slotIndex": index,
            "slotsInEpoch": slots,
            "transactionCount": bank.transaction_count,
        }

    def get_epoch_schedule(self, raw: Any) -> Any:
        Params(raw)
        schedule = self.chain.timeline.epoch_schedule
        return {
            "slotsPerEpoch": schedule.slots_per_epoch,
            "leaderScheduleSlotOffset": schedule.leader_schedule_slot_offset,
            "warmup": schedule.warmup,
            "firstNormalEpoch": schedule.first_normal_epoch,
            "firstNormalSlot": schedule.first_normal_slot,
        }

    def get_latest_blockhash(self, raw: Any) -> Any:
        bank = self._bank(Params(raw, maximum=1).config(0))
        blockhash = bank.latest_blockhash()
        last_valid = self.chain.timeline.last_valid_block_height(blockhash)
        return self._context({"blockhash": str(blockhash), "lastValidBlockHeight": last_valid}, bank)

    def is_blockhash_valid(self, raw: Any) -> Any:
        params = Params(raw, required=1, maximum=2)
        bank = self._bank(params.config(1))
        return self._context(bank.is_blockhash_valid(parse_hash(params.get(0))), bank)

    def get_fee_for_message(self, raw: Any) -> Any:
        params = Params(raw, required=1, maximum=2)
        bank = self._bank(params.config(1))
        data = enc.decode_bytes_param(params.get(0), enc.BASE64, "message")
        try:
            message = from_bytes_versioned(data)
        except Exception as e:
            raise invalid_param(f"invalid message: {e}") from None
        return self._context(self.chain.fee_for_message(message, at_root=bank.rooted), bank)

    def get_first_available_block(self, raw: Any) -> Any:
        Params(raw)
        return self.chain.first_available_slot

    def get_minimum_ledger_slot(self, raw: Any) -> Any:
        """As agave 4.2 answers after a purge through slot P: getFirstAvailableBlock P + 1,
        minimumLedgerSlot P (the purged slot's metadata stays); both 0 before any purge."""
        Params(raw)
        return max(self.chain.first_available_slot - 1, 0)

    def get_recent_prioritization_fees(self, raw: Any) -> Any:
        params = Params(raw, maximum=1)
        accounts = params.get(0) or []
        if not isinstance(accounts, list) or len(accounts) > 128:
            raise invalid_params("expected a list of at most 128 account addresses")
        for account in accounts:
            parse_pubkey(account)
        first = max(0, self.chain.slot - MAX_PRIORITIZATION_FEE_SLOTS + 1)
        return [{"slot": slot, "prioritizationFee": 0} for slot in range(first, self.chain.slot + 1)]

    def get_transaction_count(self, raw: Any) -> Any:
        return self._bank(Params(raw, maximum=1).config(0)).transaction_count

    def get_cluster_nodes(self, raw: Any) -> Any:
        Params(raw)
        return [
            {
                "pubkey": str(self.chain.identity.pubkey()),
                "gossip": None,
                "tpu": None,
                "tpuQuic": None,
                "rpc": self.info.rpc_address,
                "pubsub": self.info.pubsub_address,
                "version": SOLANA_CORE_VERSION,
                "featureSet": self.feature_set,
                "shredVersion": 0,
            }
        ]

    def get_vote_accounts(self, raw: Any) -> Any:
        """The node has no vote account (so none matches a ``votePubkey`` either)."""
        config = Params(raw, maximum=1).config(0)
        if config.get("votePubkey") is not None:
            parse_pubkey(config["votePubkey"])
        parse_bool(config, "keepUnstakedDelinquents", False)
        parse_optional_u64(config, "delinquentSlotDistance")
        return {"current": [], "delinquent": []}

    # -- accounts ----------------------------------------------------------------------------------------

    def get_minimum_balance_for_rent_exemption(self, raw: Any) -> Any:
        params = Params(raw, required=1, maximum=2)
        params.config(1)
        return self.chain.minimum_balance(parse_u64(params.get(0), "data length"))

    def get_balance(self, raw: Any) -> Any:
        params = Params(raw, required=1, maximum=2)
        bank = self._bank(params.config(1))
        return self._context(bank.get_balance(params.pubkey(0)), bank)

    def get_account_info(self, raw: Any) -> Any:
        params = Params(raw, required=1, maximum=2)
        config = params.config(1)
        bank = self._bank(config)
        return self._context(self._encode(bank, bank.get_account(params.pubkey(0)), config), bank)

    def get_multiple_accounts(self, raw: Any) -> Any:
        params = Params(raw, required=1, maximum=2)
        config = params.config(1)
        bank = self._bank(config)
        keys = params.get(0)
        if not isinstance(keys, list):
            raise invalid_params("expected a list of account addresses")
        if len(keys) > MAX_MULTIPLE_ACCOUNTS:
            raise invalid_params(f"Too many inputs provided; max {MAX_MULTIPLE_ACCOUNTS}")
        pubkeys = [parse_pubkey(k) for k in keys]
        return self._context(
            [self._encode(bank, bank.get_account(k), config, enc.BASE64) for k in pubkeys], bank
        )

    def get_program_accounts(self, raw: Any) -> Any:
        params = Params(raw, required=1, maximum=2)
        program = params.pubkey(0)
        config = params.config(1)
        bank = self._bank(config)
        filters = parse_filters(config.get("filters"))
        matches = [
            {"pubkey": str(pubkey), "account": self._encode(bank, account, config)}
            for pubkey, account in bank.accounts_owned_by(program)
            if all(f(pubkey, account) for f in filters)
        ]
        return self._context(matches, bank) if parse_bool(config, "withContext", False) else matches

    # -- tokens ------------------------------------------------------------------------------------------

    def _token_account(self, bank: Bank, pubkey: Pubkey) -> tokens.TokenAccount:
        account = bank.get_account(pubkey)
        parsed = None if account is None else tokens.parse_token_account(account.owner, bytes(account.data))
        if parsed is None:
            raise invalid_param("not a Token account")
        return parsed

    def _mint(self, bank: Bank, pubkey: Pubkey) -> tokens.Mint:
        account = bank.get_account(pubkey)
        parsed = None if account is None else tokens.parse_mint(account.owner, bytes(account.data))
        if parsed is None:
            raise invalid_param("not a Token mint")
        return parsed

    def get_token_account_balance(self, raw: Any) -> Any:
        params = Params(raw, required=1, maximum=2)
        bank = self._bank(params.config(1))
        account = self._token_account(bank, params.pubkey(0))
        mint = self._mint(bank, account.mint)
        return self._context(tokens.ui_token_amount(account.amount, mint.decimals), bank)

    def get_token_supply(self, raw: Any) -> Any:
        params = Params(raw, required=1, maximum=2)
        bank = self._bank(params.config(1))
        mint = self._mint(bank, params.pubkey(0))
        return self._context(tokens.ui_token_amount(mint.supply, mint.decimals), bank)

    def get_token_largest_accounts(self, raw: Any) -> Any:
        params = Params(raw, required=1, maximum=2)
        bank = self._bank(params.config(1))
        mint_key = params.pubkey(0)
        mint = self._mint(bank, mint_key)
        holders = []
        for program in tokens.TOKEN_PROGRAM_IDS:
            for pubkey, account in bank.accounts_owned_by(program):
                parsed = tokens.parse_token_account(program, bytes(account.data))
                if parsed is not None and parsed.mint == mint_key:
                    holders.append((parsed.amount, pubkey))
        holders.sort(key=lambda h: (-h[0], bytes(h[1])))
        return self._context(
            [
                {"address": str(pubkey), **tokens.ui_token_amount(amount, mint.decimals)}
                for amount, pubkey in holders[:20]
            ],
            bank,
        )

    def get_token_accounts_by_owner(self, raw: Any) -> Any:
        return self._token_accounts_by(raw, lambda account: account.owner)

    def get_token_accounts_by_delegate(self, raw: Any) -> Any:
        return self._token_accounts_by(raw, lambda account: account.delegate)

    def _token_accounts_by(self, raw: Any, key_of: Callable[[tokens.TokenAccount], Pubkey | None]) -> Any:
        params = Params(raw, required=2, maximum=3)
        wanted = params.pubkey(0)
        selector = params.get(1)
        config = params.config(2)
        bank = self._bank(config)
        if (
            not isinstance(selector, dict)
            or len(selector) != 1
            or not ({"mint", "programId"} & selector.keys())
        ):
            raise invalid_params("expected a filter object {mint} or {programId}")
        mint: Pubkey | None = None
        if "mint" in selector:
            mint = parse_pubkey(selector["mint"])
            mint_account = bank.get_account(mint)
            if mint_account is None or mint_account.owner not in tokens.TOKEN_PROGRAM_IDS:
                raise invalid_param("could not find mint")
            program = mint_account.owner
        else:
            program = parse_pubkey(selector["programId"])
            if program not in tokens.TOKEN_PROGRAM_IDS:
                raise invalid_param("unrecognized Token program id")
        result = []
        for pubkey, account in bank.accounts_owned_by(program):
            parsed = tokens.parse_token_account(program, bytes(account.data))
            if parsed is None or key_of(parsed) != wanted or (mint is not None and parsed.mint != mint):
                continue
            result.append({"pubkey": str(pubkey), "account": self._encode(bank, account, config)})
        return self._context(result, bank)

    # -- transactions ------------------------------------------------------------------------------------

    def request_airdrop(self, raw: Any) -> Any:
        params = Params(raw, required=2, maximum=3)
        params.config(2)
        to = params.pubkey(0)
        lamports = parse_u64(params.get(1), "lamports")
        outcome = self.chain.airdrop(to, lamports)
        if not isinstance(outcome, Committed) or outcome.err is not None:
            detail = outcome.err if isinstance(outcome, (Committed, PreflightFailed)) else outcome.reason
            raise RpcError(INVALID_PARAMS, f"airdrop request failed: {describe_transaction_error(detail)}")
        return str(outcome.signature)

    def send_transaction(self, raw: Any) -> Any:
        params = Params(raw, required=1, maximum=2)
        config = params.config(1)
        parse_optional_u64(config, "maxRetries")
        tx, wire = decode_transaction(params.get(0), config.get("encoding") or "base58")
        preflight = not parse_bool(config, "skipPreflight", False)
        # Without preflight the validator reads (and resolves lookup tables in) the processed bank.
        if not preflight and config.get("preflightCommitment") not in (None, *COMMITMENTS):
            raise invalid_params(f"unknown commitment `{config['preflightCommitment']}`")
        bank_config = config if preflight else {**config, "preflightCommitment": "processed"}
        bank = self._bank(bank_config, "preflightCommitment")
        commitment = Commitment.FINALIZED if bank.rooted else Commitment.CONFIRMED
        try:
            outcome = self.chain.submit(tx, wire, preflight=preflight, preflight_commitment=commitment)
        except InvalidTransaction as e:
            raise RpcError(INVALID_PARAMS, str(e)) from None
        if isinstance(outcome, PreflightFailed):
            raise RpcError(
                SEND_TRANSACTION_PREFLIGHT_FAILURE,
                f"Transaction simulation failed: {describe_transaction_error(outcome.err)}",
                outcome.simulation,
            )
        assert isinstance(outcome, (Committed, Dropped))
        return str(outcome.signature)

    def simulate_transaction(self, raw: Any) -> Any:
        params = Params(raw, required=1, maximum=2)
        config = params.config(1)
        bank = self._bank(config)
        tx, _ = decode_transaction(params.get(0), config.get("encoding") or "base58")
        sig_verify = parse_bool(config, "sigVerify", False)
        replace = parse_bool(config, "replaceRecentBlockhash", False)
        if sig_verify and replace:
            raise RpcError(INVALID_PARAMS, "sigVerify may not be used with replaceRecentBlockhash")
        accounts_config = config.get("accounts")
        addresses: list[Pubkey] | None = None
        accounts_encoding = enc.BASE64
        if accounts_config is not None:
            if not isinstance(accounts_config, dict) or not isinstance(
                accounts_config.get("addresses"), list
            ):
                raise invalid_params("accounts must be {addresses: [...], encoding}")
            addresses = [parse_pubkey(a) for a in accounts_config["addresses"]]
            accounts_encoding = enc.parse_account_encoding(accounts_config.get("encoding"), enc.BASE64)
            if accounts_encoding in (enc.BASE58, enc.BINARY):
                raise RpcError(INVALID_PARAMS, "base58 encoding not supported")
        try:
            result, post = self.chain.simulate(
                tx,
                sig_verify=sig_verify,
                replace_blockhash=replace,
                inner_instructions=parse_bool(config, "innerInstructions", False),
                at_root=bank.rooted,
            )
        except InvalidTransaction as e:
            raise RpcError(INVALID_PARAMS, str(e)) from None
        if addresses is not None:
            post_by_key = dict(post)

            def decimals(mint: Pubkey) -> int | None:
                return txmeta.mint_decimals(bank.get_account, mint)

            result["accounts"] = [
                enc.encode_account(post_by_key[a], accounts_encoding, None, decimals)
                if a in post_by_key
                else None
                for a in addresses
            ]
        return self._context(result, bank)

    def get_signature_statuses(self, raw: Any) -> Any:
        """Statuses; without ``searchTransactionHistory`` only those a validator's status cache still
        holds: the last ``STATUS_CACHE_SLOTS`` rooted slots and the unrooted ones (older: null)."""
        params = Params(raw, required=1, maximum=2)
        search_history = parse_bool(params.config(1), "searchTransactionHistory", False)
        signatures = params.get(0)
        if not isinstance(signatures, list):
            raise invalid_params("expected a list of signatures")
        if len(signatures) > MAX_SIGNATURE_STATUSES:
            raise invalid_params(f"Too many inputs provided; max {MAX_SIGNATURE_STATUSES}")
        statuses = []
        tip, root = self.chain.bank(Commitment.PROCESSED), self.chain.root
        for text in signatures:
            status = self.chain.store.signature_status(bytes(parse_signature(text)))
            if status is not None and not search_history and status.slot <= root - STATUS_CACHE_SLOTS:
                status = None
            statuses.append(
                None
                if status is None
                else {
                    "slot": status.slot,
                    # A validator counts the slot's block and those voted on since, until it is rooted.
                    "confirmations": None if status.slot <= root else tip.slot - status.slot + 1,
                    "err": status.err,
                    "status": {"Ok": None} if status.err is None else {"Err": status.err},
                    "confirmationStatus": render.confirmation_status(status.slot, root),
                }
            )
        return self._context(statuses, tip)

    def get_transaction(self, raw: Any) -> Any:
        params = Params(raw, required=1, maximum=2)
        signature = parse_signature(params.get(0))
        config = params.get(1)
        if isinstance(config, str):  # the deprecated form: an encoding instead of a config object
            config = {"encoding": config}
        config = Params([config], maximum=1).config(0)
        bank = self._history_bank(config)
        max_version = parse_optional_u64(config, "maxSupportedTransactionVersion")
        if max_version is not None and max_version > 0:
            raise invalid_params(f"Transaction version ({max_version}) is not supported")
        stored = self.chain.store.get_transaction(bytes(signature))
        if stored is None or not bank.includes(stored.slot):
            return None
        if max_version is None and render.is_v0(stored):
            raise blocks.unsupported_version(0)
        result = render.confirmed_transaction(
            stored, str(config.get("encoding") or "json"), max_version is not None
        )
        result["transactionIndex"] = self.chain.store.index_in_block(stored)
        return result

    def _history_bank(self, config: dict[str, Any]) -> Bank:
        """The bank of a history request: confirmed or finalized (a validator refuses processed)."""
        if commitment_of(config.get("commitment")) is Commitment.PROCESSED:
            raise RpcError(INVALID_PARAMS, "Method does not support commitment below `confirmed`")
        return self._bank(config)

    def get_signatures_for_address(self, raw: Any) -> Any:
        params = Params(raw, required=1, maximum=2)
        address = params.pubkey(0)
        config = params.config(1)
        bank = self._history_bank(config)
        limit = parse_optional_u64(config, "limit") or MAX_SIGNATURES_FOR_ADDRESS
        if limit > MAX_SIGNATURES_FOR_ADDRESS:
            raise invalid_params(f"Invalid limit; max {MAX_SIGNATURES_FOR_ADDRESS}")
        store = self.chain.store
        before_seq = self._seq_of(config.get("before"))
        until_seq = self._seq_of(config.get("until"))
        if bank.rooted:  # nothing newer than the root
            first_newer = self.chain.finality.first_seq_after(bank.slot)
            if first_newer is not None:
                before_seq = first_newer if before_seq is None else min(before_seq, first_newer)
        found = store.signatures_for_address(
            bytes(address), before_seq=before_seq, until_seq=until_seq, limit=limit
        )
        root = self.chain.root
        return [render.signature_info(stored, root) for stored in found]

    def _seq_of(self, signature: Any) -> int | None:
        """Where a ``before``/``until`` signature is in the history; -32020 when the node does not have
        it (never seen, or pruned), as a validator answers."""
        if signature is None:
            return None
        parsed = parse_signature(signature)
        seq = self.chain.store.seq_of(bytes(parsed))
        if seq is None:
            raise transaction_not_found(str(parsed))
        return seq

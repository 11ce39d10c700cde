"""Non-standard JSON-RPC methods that let tests control the node (they do not exist on a cluster).

* ``solgrid_warpSlot [slot]``: jump to ``slot`` (greater than the current one) as if every slot in
  between produced an empty block: blockhashes older than 150 slots expire, the slots passed over enter
  the SlotHashes sysvar (the 512 most recent), so lookup tables can be created from them and a table
  deactivated more than 512 slots ago can be closed, and the root follows 31 slots behind (what was
  committed before it becomes finalized). Returns ``{"slot": N}``.
* ``solgrid_advanceTime [seconds]``: move the Clock's unix_timestamp forward. Returns
  ``{"unixTimestamp": T}``.
* ``solgrid_setClock [{"unixTimestamp": T}]``: set "now" (not into the past). Returns
  ``{"unixTimestamp": T}``.
* ``solgrid_getClock []``: the Clock sysvar as ``{"slot", "epoch", "epochStartTimestamp",
  "leaderScheduleEpoch", "unixTimestamp"}``.
* ``solgrid_setAccount [pubkey, {"lamports", "owner", "data": [b64, "base64"], "executable"}]``:
  overwrite an account (fixtures). Returns ``true``.

In Python, the same operations are methods of ``Chain`` (``LocalNode.chain``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from solders.account import Account

from solgrid.localnet import encoding as enc
from solgrid.localnet import txmeta
from solgrid.localnet.chain import Chain
from solgrid.localnet.params import Params, parse_bool, parse_pubkey, parse_u64
from solgrid.localnet.rpc_errors import invalid_param, invalid_params


class NodeControls:
    """The ``solgrid_*`` methods."""

    def __init__(self, chain: Chain) -> None:
        self.chain = chain
        self.handlers: dict[str, Callable[[Any], Any]] = {
            "solgrid_warpSlot": self.warp_slot,
            "solgrid_advanceTime": self.advance_time,
            "solgrid_setClock": self.set_clock,
            "solgrid_getClock": self.get_clock,
            "solgrid_setAccount": self.set_account,
        }

    def warp_slot(self, raw: Any) -> Any:
        params = Params(raw, required=1, maximum=1)
        slot = parse_u64(params.get(0), "slot")
        try:
            return {"slot": self.chain.warp_to_slot(slot)}
        except ValueError as e:
            raise invalid_param(str(e)) from None

    def advance_time(self, raw: Any) -> Any:
        params = Params(raw, required=1, maximum=1)
        seconds = params.get(0)
        if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or seconds < 0:
            raise invalid_params("expected a non-negative number of seconds")
        return {"unixTimestamp": self.chain.advance_time(seconds)}

    def set_clock(self, raw: Any) -> Any:
        config = Params(raw, required=1, maximum=1).config(0)
        timestamp = config.get("unixTimestamp")
        if not isinstance(timestamp, int) or isinstance(timestamp, bool):
            raise invalid_params("expected {unixTimestamp: integer}")
        try:
            return {"unixTimestamp": self.chain.set_unix_timestamp(timestamp)}
        except ValueError as e:
            raise invalid_param(str(e)) from None

    def get_clock(self, raw: Any) -> Any:
        Params(raw)
        clock = self.chain.clock
        return {
            "slot": clock.slot,
            "epoch": clock.epoch,
            "epochStartTimestamp": clock.epoch_start_timestamp,
            "leaderScheduleEpoch": clock.leader_schedule_epoch,
            "unixTimestamp": clock.unix_timestamp,
        }

    def set_account(self, raw: Any) -> Any:
        params = Params(raw, required=2, maximum=2)
        pubkey = params.pubkey(0)
        spec = params.config(1)
        lamports = parse_u64(spec.get("lamports"), "lamports")
        owner = parse_pubkey(spec.get("owner", str(txmeta.SYSTEM_PROGRAM_ID)))
        data_field = spec.get("data", ["", "base64"])
        if not isinstance(data_field, list) or len(data_field) != 2:
            raise invalid_params('data must be [<base64>, "base64"]')
        data = enc.decode_bytes_param(data_field[0], str(data_field[1]), "account data")
        try:
            self.chain.set_account(
                pubkey, Account(lamports, data, owner, parse_bool(spec, "executable", False))
            )
        except ValueError as e:
            raise invalid_param(str(e)) from None
        return True

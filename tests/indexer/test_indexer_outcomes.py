"""Every settlement outcome the trading IDL names fits the indexer's ``epoch_settlements.outcome`` column
(PostgreSQL refuses a longer string; SQLite would keep it silently)."""

from __future__ import annotations

from sqlalchemy import String

from solgrid.indexer.models import AuctionSettlement
from solgrid.sdk.idl import load_idl_json


def test_every_settlement_outcome_fits_its_column() -> None:
    types = {t["name"]: t["type"] for t in load_idl_json("trading")["types"]}
    names = [variant["name"] for variant in types["SettlementOutcome"]["variants"]]
    column = AuctionSettlement.__table__.c.outcome.type
    assert isinstance(column, String) and column.length is not None
    assert "EpochFull" in names
    assert max(len(name) for name in names) <= column.length, names

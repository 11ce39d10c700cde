"""Fixtures of the wallet CLI tests: an isolated home/config per test and the shared node's market."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from solders.keypair import Keypair
from trading_support import Scene, new_scene, open_market
from wallet_support import Market, ensure_market


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh HOME and CLI config file, with no SOLGRID_* overrides from the outer environment."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("SOLGRID_CONFIG", str(tmp_path / "solgrid.toml"))
    for name in ("SOLGRID_URL", "SOLGRID_KEYPAIR", "SOLGRID_COMMITMENT"):
        monkeypatch.delenv(name, raising=False)
    yield tmp_path


@pytest.fixture(scope="session")
def market(rpc_url: str, upgrade_authority: Keypair) -> Market:
    return ensure_market(rpc_url, upgrade_authority)


@pytest.fixture(scope="session")
def any_market(any_rpc_url: str, upgrade_authority: Keypair) -> Market:
    """The same market on the local node, then on the real validator (``any_rpc_url``)."""
    return ensure_market(any_rpc_url, upgrade_authority)


@pytest.fixture
def scene(tmp_path: Path, market: Market) -> Scene:
    """A new grid zone on the shared node whose market (tick 0.001 per kWh of a 6-decimal stablecoin,
    lots of 100 Wh) the regulator opened."""
    scene = new_scene(market, tmp_path)
    open_market(scene)
    return scene

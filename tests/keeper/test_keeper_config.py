"""The keeper's TOML file: the documented example loads; defaults; mistakes are one-line errors naming
the key."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from solders.pubkey import Pubkey

from solgrid.automation.meter_settlement import SettleConfig
from solgrid.errors import UserFacingError
from solgrid.keeper.config import DEFAULT_CHUNK_ORDERS, KeeperConfigError, load_config

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "keeper.toml"
BASE = 'cluster = "http://127.0.0.1:8899"\npayer = "keeper.json"\n'


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "k.toml"
    path.write_text(text)
    return path


def test_the_example_loads(tmp_path: Path) -> None:
    path = tmp_path / "keeper.toml"
    shutil.copy(EXAMPLE, path)
    config = load_config(path)
    assert config.cluster == "http://127.0.0.1:8899"
    assert config.payer_path == tmp_path / "keeper-payer.json"
    assert config.status_path == tmp_path / "keeper-status.json"
    assert (config.max_orders_per_chunk, config.prune, config.prune_max_orders) == (32, True, 80)
    assert (config.poll_secs, config.discover_secs, config.status_interval_secs) == (2.0, 60.0, 10.0)
    assert config.markets == ()
    assert config.settle.policy == SettleConfig(enabled=False, min_surplus_wh=100, interval_secs=60.0)
    assert config.settle.meters == ("SOLAR-0001",)


def test_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, BASE))
    assert config.max_orders_per_chunk == DEFAULT_CHUNK_ORDERS and config.prune
    assert config.status_path == tmp_path / "keeper-status.json"
    assert config.settle.policy.enabled is False and config.settle.meters == ()
    market = Pubkey.new_unique()
    config = load_config(
        write(tmp_path, BASE + f'markets = ["{market}"]\nstatus_file = ""\nmax_orders_per_chunk = 1\n')
    )
    assert config.markets == (market,) and config.status_path is None and config.max_orders_per_chunk == 1
    config = load_config(write(tmp_path, BASE + '[settle]\nenabled = true\nmeters = ["A", "B", "A"]\n'))
    assert config.settle.policy.enabled and config.settle.meters == ("A", "B")


MARKET = str(Pubkey.new_unique())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("cluster = ", "is not valid TOML"),
        ('payer = "k.json"\n', "config.cluster is missing"),
        ('cluster = "localnet"\n', "config.payer is missing"),
        ('cluster = "localhost:8899"\npayer = "k.json"\n', "cluster must be an http(s) URL or one of"),
        (BASE + "max_orders_per_chunk = 65\n", "max_orders_per_chunk must be 1..64"),
        (BASE + "max_orders_per_chunk = 0\n", "max_orders_per_chunk must be 1..64"),
        (BASE + "prune_max_orders = 81\n", "prune_max_orders must be 1..80"),
        (BASE + "poll_secs = -1\n", "config.poll_secs must be >= 0.01"),
        (BASE + 'prune = "yes"\n', "config.prune has the wrong type: 'yes'"),
        (BASE + 'markets = ["nope"]\n', "markets[0] is not a base58 public key: 'nope'"),
        (BASE + "markets = [1]\n", "markets[0] must be a market address (a string)"),
        (BASE + f'markets = ["{MARKET}", "{MARKET}"]\n', f"markets[1] {MARKET} is listed twice"),
        (BASE + "chunk = 3\n", "config has unknown key(s) chunk (known: cluster, payer,"),
        (BASE + "[settle]\nmeter = []\n", "[settle] has unknown key(s) meter (known: enabled,"),
        (BASE + "[settle]\nmeters = [3]\n", "settle.meters[0] must be a meter serial of 1 to 32 bytes"),
        (BASE + "[settle]\nmin_surplus_wh = 0\n", "settle.min_surplus_wh must be >= 1"),
        (BASE + "[settle]\nenabled = 1\n", "settle.enabled has the wrong type: 1"),
    ],
)
def test_mistakes_are_one_line_errors(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(KeeperConfigError) as raised:
        load_config(write(tmp_path, text))
    assert isinstance(raised.value, UserFacingError)
    assert message in str(raised.value) and "\n" not in str(raised.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(KeeperConfigError, match=r"^keeper config .* not found$"):
        load_config(tmp_path / "absent.toml")

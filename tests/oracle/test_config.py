"""The operator's TOML file: the documented example loads; mistakes are one-line UserFacingErrors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from solders.keypair import Keypair

from solgrid.cli.main import cli
from solgrid.errors import UserFacingError
from solgrid.oracle.config import OracleConfigError, SettleConfig, load_config
from solgrid.oracle.worker import Worker
from solgrid.sdk.keys import write_keypair

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "oracle.toml"
OWNER = str(Keypair().pubkey())


def test_the_example_loads(tmp_path: Path) -> None:
    config_path = tmp_path / "oracle.toml"
    shutil.copy(EXAMPLE, config_path)
    devices = [Keypair(), Keypair()]
    for name, key in zip(("solar-0001", "wind-0002"), devices, strict=True):
        write_keypair(tmp_path / "devices" / f"{name}.json", key)
    config = load_config(config_path)
    assert config.cluster == "http://127.0.0.1:8899"
    assert config.payer_path == tmp_path / "oracle-payer.json"
    assert config.csv_paths == (tmp_path / "readings.csv",)
    assert config.http_listen == ("127.0.0.1", 8780)
    assert config.simulator is not None and config.simulator.meters == ("SOLAR-0001", "WIND-0002")
    assert (config.batch_size, config.lanes, config.poll_secs) == (6, 4, 0.5)
    assert config.queue_path == tmp_path / "oracle-queue.sqlite"
    assert (config.status_path, config.status_interval_secs) == (tmp_path / "oracle-status.json", 10.0)
    assert (config.simulator.seed, config.simulator.window_secs, config.simulator.windows) == (42, 900, None)
    assert config.settle == SettleConfig(enabled=True, min_surplus_wh=100, interval_secs=30.0)
    solar, wind, home = config.meters.values()
    assert solar.device is not None and solar.device_pubkey == bytes(devices[0].pubkey())
    assert (wind.profile, wind.capacity_w) == ("wind", 3000)
    assert home.device is None and len(home.device_pubkey) == 32


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "o.toml"
    path.write_text(text)
    return path


METER = f'[[meters]]\nserial = "M"\nowner = "{OWNER}"\nzone = 1\ndevice_pubkey = "{OWNER}"\n'
BASE = 'cluster = "http://x"\npayer = "p.json"\n'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("cluster = ", "is not valid TOML"),
        (BASE, "config lists no [[meters]]"),
        ('payer = "p.json"\n' + METER, "config.cluster is missing"),
        (BASE + "batch_size = 7\n" + METER, "batch_size must be 1..6"),
        (BASE + 'lanes = "many"\n' + METER, "config.lanes has the wrong type: 'many'"),
        (
            BASE + METER.replace(f'owner = "{OWNER}"', 'owner = "nope"'),
            "meters[0].owner is not a base58 public key",
        ),
        (BASE + METER + METER, "meters[1].serial 'M' is listed twice"),
        (BASE + METER.replace(f'device_pubkey = "{OWNER}"\n', ""), "meters[0] needs device_key"),
        (BASE + METER + 'device_key = "missing.json"\n', "device key file"),
        (
            BASE + '[simulator]\nmeters = ["M"]\n' + METER,
            "simulator.meters: 'M' is not a configured meter with a device_key",
        ),
        (BASE + '[http]\nlisten = "8780"\n' + METER, "http.listen must be HOST:PORT"),
        (
            BASE + METER + 'profile = "nuclear"\n',
            "meters[0].profile must be one of solar, wind, hydro, consumer",
        ),
        (
            'cluster = "localhost:8899"\npayer = "p.json"\n' + METER,
            "cluster must be an http(s) URL or one of",
        ),
        (BASE + "batchsize = 3\n" + METER, "config has unknown key(s) batchsize (known: cluster, payer,"),
        (BASE + "[simulater]\nseed = 1\n" + METER, "config has unknown key(s) simulater"),
        (
            BASE + "[settle]\nmin_surplus = 5\n" + METER,
            "[settle] has unknown key(s) min_surplus (known: enabled,",
        ),
        (BASE + METER + "capacity = 5\n", "meters[0] has unknown key(s) capacity (known: serial,"),
    ],
)
def test_mistakes_are_one_line_errors(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(OracleConfigError) as raised:
        load_config(write(tmp_path, text))
    assert isinstance(raised.value, UserFacingError)
    assert message in str(raised.value) and "\n" not in str(raised.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(OracleConfigError, match="not found"):
        load_config(tmp_path / "absent.toml")


def test_a_cluster_moniker_is_its_url(tmp_path: Path) -> None:
    text = BASE.replace('"http://x"', '"devnet"') + METER
    assert load_config(write(tmp_path, text)).cluster == "https://api.devnet.solana.com"


def test_drain_needs_a_simulator_that_ends(tmp_path: Path) -> None:
    owner = Keypair().pubkey()
    write_keypair(tmp_path / "p.json", Keypair())
    write_keypair(tmp_path / "d.json", Keypair())
    config = tmp_path / "o.toml"
    meter = f'[[meters]]\nserial = "M"\nowner = "{owner}"\nzone = 1\ndevice_key = "d.json"\n'
    config.write_text(f'cluster = "http://127.0.0.1:1"\npayer = "p.json"\n[simulator]\n{meter}')
    message = (
        "--drain needs simulator.windows: a simulator without it never ends (set windows, or run "
        "without --drain)"
    )
    with pytest.raises(OracleConfigError) as refused:
        Worker(load_config(config), drain=True)
    assert str(refused.value) == message
    result = CliRunner().invoke(cli, ["oracle", "run", "--drain", "--config", str(config)])
    assert (result.exit_code, result.stderr) == (1, f"error: {message}\n")
    # With windows, or without --drain, the same simulator is fine.
    Worker(load_config(config)).queue.close()
    config.write_text(f'cluster = "http://127.0.0.1:1"\npayer = "p.json"\n[simulator]\nwindows = 4\n{meter}')
    Worker(load_config(config), drain=True).queue.close()

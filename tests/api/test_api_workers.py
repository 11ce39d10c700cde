"""``solgrid api run --workers N``: each worker process builds its app from the settings the supervisor
passes in ``SOLGRID_API_SETTINGS``."""

from __future__ import annotations

from pathlib import Path

import pytest

from solgrid.api import server
from solgrid.api.settings import ApiSettings


@pytest.mark.parametrize("static_dir", [None, Path("/srv/dashboard")])
def test_a_worker_gets_the_settings_of_the_command(
    static_dir: Path | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = ApiSettings(
        db_url="sqlite+aiosqlite:////tmp/indexer.db",
        feed_url="ws://127.0.0.1:8910",
        rpc_url=None,
        static_dir=static_dir,
    )
    assert server.settings_from_json(server.settings_json(settings)) == settings
    monkeypatch.setenv(server.SETTINGS_ENV, server.settings_json(settings))
    assert server.app_from_env().state.settings == settings


def test_a_worker_without_settings_is_refused_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(server.SETTINGS_ENV, raising=False)
    with pytest.raises(RuntimeError, match="SOLGRID_API_SETTINGS is not set"):
        server.app_from_env()

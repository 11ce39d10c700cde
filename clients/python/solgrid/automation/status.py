"""A service's JSON status file: replaced atomically (readers never see half a file), written again and
again while the service runs, and read by its ``status`` command."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from solgrid.errors import UserFacingError


class StatusFileError(UserFacingError):
    """A service's status file cannot be read or is not JSON."""


def write_status(path: Path, snap: dict[str, Any]) -> None:
    """Replace the status file atomically (readers never see half a file)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(snap, indent=2, sort_keys=True))
    os.replace(tmp, path)


def read_status(path: Path, service: str) -> Any:
    """The document a service (``worker``, ``keeper``: named in errors) wrote to ``path``."""
    try:
        return json.loads(path.read_text())
    except OSError as e:
        raise StatusFileError(f"cannot read the {service} status file {path}: {e.strerror or e}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise StatusFileError(f"the {service} status file {path} is not JSON: {e}") from None


class StatusWriter:
    """Writes the status file at ``path`` (none: nothing to write). A file that cannot be written is one
    warning until it can be written again; the service goes on."""

    def __init__(self, path: Path | None, log: logging.Logger) -> None:
        self.path = path
        self.log = log
        self._failing = False

    def write(self, snap: dict[str, Any]) -> None:
        if self.path is None:
            return
        try:
            write_status(self.path, snap)
        except OSError as e:
            if not self._failing:  # once until it works again
                self.log.warning("cannot write the status file %s: %s", self.path, e.strerror or e)
            self._failing = True
        else:
            self._failing = False

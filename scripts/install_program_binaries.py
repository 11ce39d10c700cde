"""Install the SPL and core BPF program ELFs of a solana-test-validator 4.2.2 genesis.

The local node and the in-process engine hold exactly the program accounts the validator holds; both take
them from the crates.io crate ``solana-program-binaries`` 4.2.2 (see ``solgrid.localnet.program_binaries``
for the pins). This downloads the crate once into the cache directory (``$SOLGRID_CACHE_DIR``, default
``$XDG_CACHE_HOME/solgrid`` or ``~/.cache/solgrid``), checks its SHA-256, and extracts its ten ``.so``
files (each checked against its own pinned SHA-256) into the venv,
``.venv/share/solgrid/solana-program-binaries-4.2.2/``, where the node looks for them.

Run with the venv's Python (``scripts/setup.sh`` does). Idempotent: instant when the ELFs are in place.
Exits 1 with one line on failure.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import sys
import tarfile
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from solgrid.cache import cache_dir
from solgrid.localnet import program_binaries as pins

TIMEOUT_SECONDS = 60


class InstallError(Exception):
    """Why the binaries could not be installed (one line)."""


def crate_path() -> Path:
    return cache_dir() / "crates" / f"{pins.CRATE}-{pins.VERSION}.crate"


def download(target: Path) -> bytes:
    """The crate's bytes: from the cache when it is there and intact, else from crates.io (then cached)."""
    if target.is_file():
        data = target.read_bytes()
        if hashlib.sha256(data).hexdigest() == pins.CRATE_SHA256:
            return data
    try:
        with urllib.request.urlopen(pins.CRATE_URL, timeout=TIMEOUT_SECONDS) as reply:
            data = bytes(reply.read())
    except (urllib.error.URLError, OSError) as e:
        raise InstallError(f"cannot download {pins.CRATE_URL}: {e}") from None
    actual = hashlib.sha256(data).hexdigest()
    if actual != pins.CRATE_SHA256:
        raise InstallError(f"{pins.CRATE_URL} has sha256 {actual}, expected {pins.CRATE_SHA256}")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as tmp:
        tmp.write(data)
    os.chmod(tmp.name, 0o644)
    os.replace(tmp.name, target)
    return data


def extract(crate: bytes, destination: Path) -> None:
    """The pinned ``.so`` files of ``crate`` into ``destination`` (replaced whole; another setup extracting
    at the same time is harmless: both write the same bytes)."""
    prefix = f"{pins.CRATE}-{pins.VERSION}/src/programs/"
    wanted = {p.file: p.sha256 for p in pins.PROGRAMS}
    destination.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{destination.name}-", dir=destination.parent))
    try:
        _extract_into(crate, prefix, wanted, staging)
        if pins.missing_or_changed(destination):
            shutil.rmtree(destination, ignore_errors=True)
            staging.chmod(0o755)
            staging.rename(destination)
    except OSError:
        if pins.missing_or_changed(destination):  # not another setup's complete copy either
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _extract_into(crate: bytes, prefix: str, wanted: dict[str, str], staging: Path) -> None:
    with tarfile.open(fileobj=io.BytesIO(crate), mode="r:gz") as archive:
        for member in archive.getmembers():
            name = member.name.removeprefix(prefix)
            if not member.name.startswith(prefix) or name not in wanted or not member.isfile():
                continue
            source = archive.extractfile(member)
            if source is None:
                continue
            data = source.read()
            if hashlib.sha256(data).hexdigest() != wanted.pop(name):
                raise InstallError(f"{name} in the crate is not the pinned ELF")
            (staging / name).write_bytes(data)
    if wanted:
        raise InstallError(f"the crate has no {', '.join(sorted(wanted))}")


def install() -> bool:
    """True when something was installed, False when everything was in place."""
    destination = pins.binaries_dir()
    if not pins.missing_or_changed(destination):
        return False
    extract(download(crate_path()), destination)
    return True


def main() -> int:
    try:
        if install():
            print(f"setup: {pins.CRATE} {pins.VERSION} (the validator's genesis programs) installed")
    except (InstallError, OSError, tarfile.TarError) as e:
        print(f"install_program_binaries: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

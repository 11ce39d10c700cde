#!/usr/bin/env python3
"""Provide a real ``solana-test-validator`` (agave 4.2 or later) as ``.venv/bin/solana-test-validator``.

The compat suite of ``make test`` runs the programs, the demo and the SDK, CLI, oracle and indexer tests
against the real validator as well as against SolGrid's own node. Where the validator comes from, first
match wins:

1. ``SOLGRID_TEST_VALIDATOR``: the path of a ``solana-test-validator`` to use;
2. a ``solana-test-validator`` on PATH whose version is at least 4.2 (most Solana developers have one);
3. the pinned version (agave 4.2.2) already in the cache directory
   (``$SOLGRID_CACHE_DIR``, default ``$XDG_CACHE_HOME/solgrid`` or ``~/.cache/solgrid``);
4. a prebuilt copy of the pinned version in ``$SOLGRID_VALIDATOR_PREBUILT`` (a directory holding
   ``solana-test-validator-4.2.2-x86_64-linux-gnu.gz``), accepted only if its SHA-256 is the one pinned
   here, and copied into the cache;
5. otherwise the pinned version is built from crates.io into the cache:
   ``cargo install agave-validator --version 4.2.2 --locked`` (about 48 minutes on 2 cores, 2.5 GB of
   build files, removed afterwards; needs Debian's clang, libclang-dev, libssl-dev and pkg-config, which
   are installed when missing).

Idempotent: once the link is in place and points at a working validator, a rerun takes well under a
second. Prints one line saying which validator is used; on failure one ``error:`` line and exit 1.
"""

from __future__ import annotations

import gzip
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from solgrid.cache import cache_dir, file_sha256

REPO = Path(__file__).resolve().parents[1]
PINNED_VERSION = "4.2.2"
MINIMUM_VERSION = (4, 2)
PREBUILT_NAME = f"solana-test-validator-{PINNED_VERSION}-x86_64-linux-gnu.gz"
PREBUILT_SHA256 = "40e2c9fc265f4ed10e041ef1d14d6bfff62e82f9a9dbe57e41c7d00a313ac183"
"""SHA-256 of the uncompressed, stripped binary that ``cargo install agave-validator --version 4.2.2
--locked`` built on Debian 12 x86_64 (the copy SolGrid's CI machines keep)."""
BUILD_PACKAGES = ("clang", "libclang-dev", "libssl-dev", "pkg-config")
BINARY = "solana-test-validator"


class InstallError(Exception):
    """Setup cannot provide a validator; the message says why and what to do."""


def validator_version(binary: Path) -> tuple[int, int, int] | None:
    """The agave version a ``solana-test-validator`` reports, or None if it does not run."""
    try:
        out = subprocess.run(
            [str(binary), "--version"], capture_output=True, text=True, timeout=60, check=False
        ).stdout
    except OSError:
        return None
    match = re.search(r"(\d+)\.(\d+)\.(\d+)", out)
    return (int(match[1]), int(match[2]), int(match[3])) if match else None


def usable(binary: Path) -> bool:
    version = validator_version(binary)
    return version is not None and version[:2] >= MINIMUM_VERSION


def pinned_path() -> Path:
    return cache_dir() / f"agave-{PINNED_VERSION}" / "bin" / BINARY


def from_prebuilt(directory: Path, target: Path) -> bool:
    """Unpack the prebuilt copy into ``target`` if it is there and its checksum is the pinned one."""
    archive = directory / PREBUILT_NAME
    if not archive.is_file():
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as tmp:
        with gzip.open(archive, "rb") as src:
            shutil.copyfileobj(src, tmp)
        unpacked = Path(tmp.name)
    if file_sha256(unpacked) != PREBUILT_SHA256:
        unpacked.unlink()
        raise InstallError(
            f"{archive} does not have the pinned checksum; remove it or unset SOLGRID_VALIDATOR_PREBUILT"
        )
    unpacked.chmod(0o755)
    os.replace(unpacked, target)
    return True


def install_build_packages() -> None:
    missing = [
        pkg
        for pkg in BUILD_PACKAGES
        if "install ok installed"
        not in subprocess.run(
            ["dpkg-query", "-W", "-f=${Status}", pkg], capture_output=True, text=True, check=False
        ).stdout
    ]
    if not missing:
        return
    print(f"setup: installing {' '.join(missing)} (to build the validator)", flush=True)
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run([*sudo, "apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(
        [*sudo, "apt-get", "install", "-y", "-qq", *missing], check=True, env=env, stdout=subprocess.DEVNULL
    )


def build_from_crates_io(target: Path) -> None:
    """``cargo install agave-validator`` into the cache, with cargo's progress lines on stderr."""
    install_build_packages()
    cargo = shutil.which("cargo", path="/usr/bin") or shutil.which("cargo")
    if cargo is None:
        raise InstallError("cargo not found (run scripts/setup.sh first)")
    root = target.parent.parent
    print(
        f"setup: building solana-test-validator {PINNED_VERSION} from crates.io into {root} "
        "(about 48 minutes on 2 cores, once)",
        flush=True,
    )
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="agave-build-") as build_dir:
        env = dict(os.environ, CARGO_TARGET_DIR=build_dir)
        if Path("/usr/bin/rustc").is_file():
            env["RUSTC"] = "/usr/bin/rustc"
        result = subprocess.run(
            [
                cargo,
                "install",
                "agave-validator",
                "--version",
                PINNED_VERSION,
                "--locked",
                "--root",
                str(root),
                "--bin",
                BINARY,
            ],
            env=env,
            check=False,
        )
    if result.returncode != 0:
        raise InstallError(
            f"building agave-validator {PINNED_VERSION} failed (cargo exit {result.returncode})"
        )
    minutes = (time.monotonic() - started) / 60
    print(f"setup: built solana-test-validator {PINNED_VERSION} in {minutes:.0f} min", flush=True)


def locate() -> tuple[Path, str]:
    """The validator to use and where it came from."""
    explicit = os.environ.get("SOLGRID_TEST_VALIDATOR")
    if explicit:
        path = Path(explicit)
        if not usable(path):
            raise InstallError(
                f"SOLGRID_TEST_VALIDATOR={explicit} is not a solana-test-validator 4.2 or later"
            )
        return path, "SOLGRID_TEST_VALIDATOR"
    on_path = shutil.which(BINARY)
    link = REPO / ".venv" / "bin" / BINARY
    if on_path and Path(on_path).resolve() != link.resolve() and usable(Path(on_path)):
        return Path(on_path), "PATH"
    pinned = pinned_path()
    if pinned.is_file() and usable(pinned):
        return pinned, "cache"
    prebuilt = os.environ.get("SOLGRID_VALIDATOR_PREBUILT")
    if prebuilt and from_prebuilt(Path(prebuilt), pinned) and usable(pinned):
        return pinned, f"prebuilt copy in {prebuilt} (checksum verified)"
    build_from_crates_io(pinned)
    if not usable(pinned):
        raise InstallError(f"the built {pinned} does not run")
    return pinned, "built from crates.io"


def main() -> int:
    try:
        binary, source = locate()
    except (InstallError, subprocess.CalledProcessError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    link = REPO / ".venv" / "bin" / BINARY
    if not link.parent.is_dir():
        print("error: .venv does not exist (run scripts/setup.sh first)", file=sys.stderr)
        return 1
    if link.is_symlink() or link.exists():
        if link.resolve() == binary.resolve():
            return 0
        link.unlink()
    link.symlink_to(binary.resolve())
    version = ".".join(map(str, validator_version(binary) or ()))
    print(f"setup: solana-test-validator {version} from {source}: {binary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Install the local node's execution engine: solders 0.29.0's extension as the package ``solders29``.

The client stack (anchorpy3, solana-py 0.36.6) pins solders 0.26, whose LiteSVM embeds agave 2.2; the node
must run what clusters run (agave 4, SBPF v3). solders 0.29.0 embeds LiteSVM 0.15.2 on agave 4.1.2, so its
``solders/`` package is unpacked from the pinned wheel into site-packages under another name, next to the
real solders 0.26. Its ``.py`` files import each other relatively except for a few absolute
``from solders.x import y``, which are rewritten to ``from .x import y`` so that nothing of 0.29 reaches
for 0.26's modules. ``solgrid.localnet.engine`` is the only user.

Run with the venv's Python (``scripts/setup.sh`` does): ``.venv/bin/python scripts/install_engine.py``.
Idempotent: a stamp naming the wheel's sha256 makes a re-run instant. Exits 1 with one line on failure.
"""

from __future__ import annotations

import ast
import platform
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import zipfile
from pathlib import Path

from solgrid.cache import file_sha256

PACKAGE = "solders29"
SOLDERS_VERSION = "0.29.0"
WHEEL = "solders-0.29.0-cp310-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
WHEEL_SHA256 = "00524baf575ae5edb2ba43cdb1d80491c59efdc16b48fec96a6f929c0401d0e4"
"""As PyPI lists it (https://pypi.org/simple/solders/)."""
REWRITE_VERSION = 1
"""Bumped when the unpacking or the rewrite changes, so that setup reinstalls."""
STAMP = ".solgrid-engine"


class InstallError(Exception):
    """Why the engine could not be installed (one line)."""


def stamp_text() -> str:
    return f"{WHEEL_SHA256} rewrite={REWRITE_VERSION}\n"


def is_installed(site: Path) -> bool:
    target = site / PACKAGE
    stamp = target / STAMP
    return stamp.is_file() and stamp.read_text() == stamp_text() and (target / "solders.abi3.so").is_file()


def relative_imports(source: str, depth: int, name: str) -> str:
    """``source`` with every ``from solders[.x] import ...`` made relative to a module ``depth`` packages
    below the top (0 for ``solders/clock.py``). ``import solders...`` cannot be made relative: refused."""
    tree = ast.parse(source, filename=name)
    lines = source.splitlines(keepends=True)
    edits: list[tuple[int, int, int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(
            a.name == "solders" or a.name.startswith("solders.") for a in node.names
        ):
            raise InstallError(f"{name}:{node.lineno}: absolute 'import solders...' cannot be made relative")
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module is not None:
            module = node.module
            if module != "solders" and not module.startswith("solders."):
                continue
            line = lines[node.lineno - 1]
            start = line.find(module, node.col_offset)
            if start < 0:  # the module name is not on the statement's first line
                raise InstallError(f"{name}:{node.lineno}: cannot locate '{module}' to rewrite")
            relative = "." * (depth + 1) + module.removeprefix("solders").removeprefix(".")
            edits.append((node.lineno - 1, start, start + len(module), relative))
    for row, start, end, text in sorted(edits, reverse=True):
        lines[row] = lines[row][:start] + text + lines[row][end:]
    result = "".join(lines)
    leftover = [
        n.lineno
        for n in ast.walk(ast.parse(result, filename=name))
        if isinstance(n, ast.ImportFrom) and n.level == 0 and (n.module or "").split(".")[0] == "solders"
    ]
    if leftover:
        raise InstallError(f"{name}:{leftover[0]}: absolute solders import left after the rewrite")
    return result


def unpack(wheel: Path, destination: Path) -> None:
    """The wheel's ``solders/`` package into ``destination`` (which must not exist), imports rewritten."""
    with zipfile.ZipFile(wheel) as archive:
        members = [m for m in archive.infolist() if m.filename.startswith("solders/") and not m.is_dir()]
        if not any(m.filename == "solders/solders.abi3.so" for m in members):
            raise InstallError(f"{wheel.name} has no solders/solders.abi3.so")
        for member in members:
            relative = member.filename[len("solders/") :]
            target = destination / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            data = archive.read(member)
            if relative.endswith(".py"):
                depth = relative.count("/")
                text = relative_imports(data.decode("utf-8"), depth, member.filename)
                data = text.encode("utf-8")
            target.write_bytes(data)
            if member.external_attr >> 16 & 0o111:
                target.chmod(0o755)
    (destination / STAMP).write_text(stamp_text())


def download(directory: Path) -> Path:
    """The pinned wheel, fetched by pip (its cache makes a second download free), sha256 checked."""
    command = [
        sys.executable,
        *("-m", "pip", "download", "--quiet", "--disable-pip-version-check"),
        *("--no-deps", "--only-binary=:all:", "--dest", str(directory)),
        *("--platform", "manylinux2014_x86_64", "--implementation", "cp", "--abi", "abi3"),
        *("--python-version", "3.11"),
        f"solders=={SOLDERS_VERSION}",
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    wheel = directory / WHEEL
    if done.returncode != 0 or not wheel.is_file():
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise InstallError(f"pip could not download {WHEEL}: {last}")
    actual = file_sha256(wheel)
    if actual != WHEEL_SHA256:
        raise InstallError(f"{WHEEL} has sha256 {actual}, expected {WHEEL_SHA256}")
    return wheel


def check_import() -> None:
    """Import the engine next to solders 0.26 in a fresh interpreter; neither may replace the other."""
    probe = (
        "import sys, solders.pubkey, solders29.litesvm, solders29.pubkey\n"
        "assert solders29.pubkey.Pubkey is not solders.pubkey.Pubkey\n"
        "assert sys.modules['solders.pubkey'] is solders.pubkey\n"
        "assert all(m.__name__.startswith('solders29') for k, m in sys.modules.items()"
        " if k.startswith('solders29'))\n"
        "solders29.litesvm.LiteSVM()\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise InstallError(f"the installed {PACKAGE} does not import: {last}")


def install(site: Path, wheel: Path | None = None) -> bool:
    """Install into ``site`` unless the stamp says it is there; True when something was installed."""
    if is_installed(site):
        return False
    if platform.system() != "Linux" or platform.machine() != "x86_64":
        raise InstallError(
            f"the engine wheel is pinned for Linux x86_64, not {platform.system()} {platform.machine()}"
        )
    with tempfile.TemporaryDirectory(prefix="solgrid-engine-") as scratch:
        if wheel is None:
            wheel = download(Path(scratch))
        elif file_sha256(wheel) != WHEEL_SHA256:
            raise InstallError(f"{wheel} is not the pinned {WHEEL}")
        staging = site / f".{PACKAGE}.staging"
        shutil.rmtree(staging, ignore_errors=True)
        unpack(wheel, staging)
        target = site / PACKAGE
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)
    check_import()
    return True


def site_packages() -> Path:
    return Path(sysconfig.get_paths()["platlib"])


def main() -> int:
    site = site_packages()
    try:
        if install(site):
            print(f"install_engine: solders {SOLDERS_VERSION} (LiteSVM on agave 4) installed as {PACKAGE}")
    except (InstallError, OSError, zipfile.BadZipFile, SyntaxError, UnicodeDecodeError) as e:
        print(f"install_engine: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

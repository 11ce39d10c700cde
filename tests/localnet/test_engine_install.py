"""``scripts/install_engine.py``: the import rewrite, the pinned wheel check, the stamp, and the package that
setup installed in this venv."""

from __future__ import annotations

import ast
import importlib.util
import io
import sys
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

from solgrid.localnet import engine

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def installer() -> ModuleType:
    spec = importlib.util.spec_from_file_location("install_engine", REPO / "scripts" / "install_engine.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_absolute_imports_become_relative(installer: ModuleType) -> None:
    source = (
        '"""Doc.\n\n    >>> from solders.pubkey import Pubkey\n"""\n'
        "from typing import Final\n"
        "from solders.pubkey import Pubkey\n"
        "from solders import hash as h\n"
        "from solders.rpc.config import (\n    A,\n    B,\n)\n"
        "from . import solders as sv\n"
        "def f():\n    from solders.instruction import Instruction\n    return Instruction\n"
    )
    top = installer.relative_imports(source, 0, "solders/x.py")
    assert "from .pubkey import Pubkey\n" in top
    assert "from . import hash as h\n" in top
    assert "from .rpc.config import (\n    A,\n    B,\n)\n" in top
    assert "    from .instruction import Instruction\n" in top
    assert ">>> from solders.pubkey import Pubkey" in top  # a docstring is text, not an import
    assert "from . import solders as sv\n" in top and "from typing import Final\n" in top
    nested = installer.relative_imports("from solders.pubkey import Pubkey\n", 1, "solders/rpc/y.py")
    assert nested == "from ..pubkey import Pubkey\n"
    with pytest.raises(installer.InstallError, match=r"solders/z\.py:2: absolute 'import solders"):
        installer.relative_imports("import os\nimport solders.pubkey\n", 0, "solders/z.py")


def _wheel(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_unpack_renames_the_package_and_stamps_it(installer: ModuleType, tmp_path: Path) -> None:
    wheel = tmp_path / "w.whl"
    wheel.write_bytes(
        _wheel(
            {
                "solders/__init__.py": b"from . import sysvar\n",
                "solders/sysvar.py": b"from solders.pubkey import Pubkey\n",
                "solders/rpc/config.py": b"from ..solders import X\n",
                "solders/solders.abi3.so": b"\x7fELF",
                "solders-0.29.0.dist-info/RECORD": b"",
            }
        )
    )
    target = tmp_path / "solders29"
    installer.unpack(wheel, target)
    assert (target / "sysvar.py").read_text() == "from .pubkey import Pubkey\n"
    assert (target / "rpc" / "config.py").read_text() == "from ..solders import X\n"
    assert not (tmp_path / "solders-0.29.0.dist-info").exists()
    assert installer.is_installed(tmp_path)
    (target / installer.STAMP).write_text("another wheel\n")
    assert not installer.is_installed(tmp_path)

    no_extension = tmp_path / "bad.whl"
    no_extension.write_bytes(_wheel({"solders/__init__.py": b""}))
    with pytest.raises(installer.InstallError, match=r"has no solders/solders\.abi3\.so"):
        installer.unpack(no_extension, tmp_path / "other")


def test_only_the_pinned_wheel_is_installed(
    installer: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    impostor = tmp_path / installer.WHEEL
    impostor.write_bytes(_wheel({"solders/solders.abi3.so": b""}))
    with pytest.raises(installer.InstallError, match="is not the pinned"):
        installer.install(tmp_path / "site", impostor)
    assert not (tmp_path / "site" / "solders29").exists()

    # main: one line on stderr and exit status 1.
    def refuse(directory: Path) -> Path:
        raise installer.InstallError(f"{installer.WHEEL} has sha256 0000, expected {installer.WHEEL_SHA256}")

    (tmp_path / "site").mkdir()
    monkeypatch.setattr(installer, "site_packages", lambda: tmp_path / "site")
    monkeypatch.setattr(installer, "download", refuse)
    assert installer.main() == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("install_engine: ") and "expected" in err


def test_this_venv_has_the_pinned_engine(installer: ModuleType) -> None:
    import solders29

    site = Path(solders29.__file__).parent.parent
    assert installer.is_installed(site)
    assert installer.install(site) is False  # the stamp makes setup's re-run a no-op
    assert installer.SOLDERS_VERSION == engine.SOLDERS_VERSION
    for path in (site / "solders29").rglob("*.py"):
        tree = ast.parse(path.read_text())
        absolute = [
            n.lineno
            for n in ast.walk(tree)
            if isinstance(n, ast.ImportFrom) and n.level == 0 and (n.module or "").split(".")[0] == "solders"
        ]
        assert not absolute, (path, absolute)
    assert "solders29" in sys.modules

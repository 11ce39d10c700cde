"""``solgrid build --manifest-path`` on workspaces the way users have them: with and without a
``Cargo.lock``, built twice, and with a crate reaching a ``sys_*`` function std's platform layer calls
that has no Solana meaning. The builds share ``target/std-fixture`` (std is built there once) with
``test_pipeline_solana_program.py``; each crate here is tiny, so a warm run takes seconds.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from solgrid.build.errors import BuildError, UnsupportedCode
from solgrid.build.std_build import StdBuilder, manifest_programs
from solgrid.build.toolchain import Toolchain

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
FIXTURE = Path(__file__).parent / "std-fixture"
#: Shared with the other std builds of the tests, so that std is built once.
TARGET_DIR = REPO / "target" / "std-fixture"
PROGRAM = "counter_transfer"

ENTRYPOINT = """
/// # Safety
/// `input` must point to at least one readable byte.
#[no_mangle]
pub unsafe extern "C" fn entrypoint(input: *const u8) -> u64 {
    %s
}
"""


def _workspace(root: Path, name: str, body: str, version: str = "0.1.0") -> Path:
    """A one-crate workspace at ``root`` (no dependencies, no lock file) whose entrypoint runs ``body``."""
    (root / "src").mkdir(parents=True, exist_ok=True)
    (root / "Cargo.toml").write_text(
        f'[package]\nname = "{name}"\nversion = "{version}"\nedition = "2021"\npublish = false\n\n'
        '[lib]\ncrate-type = ["cdylib"]\n\n[workspace]\n'
    )
    (root / "src" / "lib.rs").write_text(ENTRYPOINT % body)
    return root / "Cargo.toml"


def _build(manifest: Path, out: Path, name: str | None = None) -> bytes:
    toolchain = Toolchain.locate()
    [program] = manifest_programs(toolchain, manifest, (name,) if name else ()).programs
    builder = StdBuilder(manifest.parent, toolchain, target_dir=TARGET_DIR, out_dir=out)
    return builder.build(program).so_path.read_bytes()


def test_the_same_workspace_builds_to_the_same_bytes_from_clean_and_elsewhere(tmp_path: Path) -> None:
    """The fixture built as the other tests build it, then a copy at another path: cargo compiles the
    copy's crate afresh (its path is new to the target directory) beside the cached std and
    ``solana-program``, and every later stage runs again (another output directory); same bytes."""
    here = _build(FIXTURE / "Cargo.toml", tmp_path / "here", PROGRAM)
    copy = tmp_path / "elsewhere" / "std-fixture"
    shutil.copytree(FIXTURE, copy, ignore=shutil.ignore_patterns("target"))
    there = _build(copy / "Cargo.toml", tmp_path / "there", PROGRAM)
    assert here[:4] == b"\x7fELF"
    assert here == there, f"{len(here)} vs {len(there)} bytes"
    assert _build(FIXTURE / "Cargo.toml", tmp_path / "again", PROGRAM) == here


def test_a_workspace_without_a_lock_file_builds_and_gets_one(tmp_path: Path) -> None:
    manifest = _workspace(tmp_path / "unlocked", "unlocked", "u64::from(unsafe { *input }) * 3")
    elf = _build(manifest, tmp_path / "out")
    assert elf[:4] == b"\x7fELF"
    lock = manifest.parent / "Cargo.lock"
    assert 'name = "unlocked"\nversion = "0.1.0"' in lock.read_text()
    # Now locked: the same bytes again, and a manifest the lock no longer matches fails in one line.
    assert _build(manifest, tmp_path / "again") == elf
    _workspace(manifest.parent, "unlocked", "0", version="0.2.0")
    with pytest.raises(BuildError) as failed:
        _build(manifest, tmp_path / "stale")
    message = str(failed.value)
    assert "cargo failed:" in message and "--locked" in message and "\n" not in message, message
    assert 'version = "0.1.0"' in lock.read_text()  # the lock is left as it was


def test_a_sys_function_without_a_solana_meaning_fails_at_the_link_naming_it(tmp_path: Path) -> None:
    # `std::env::var_os` reaches std's zkvm layer's `sys_getenv`, which sbf-std-support leaves undefined.
    body = 'u64::from(std::env::var_os("SOLGRID").is_some()) + u64::from(unsafe { *input })'
    manifest = _workspace(tmp_path / "getenv", "wants-env", body)
    with pytest.raises(UnsupportedCode) as failed:
        _build(manifest, tmp_path / "out")
    assert "'sys_getenv', which is neither defined in the program nor a Solana syscall" in str(failed.value)
    assert failed.value.where == "entrypoint"  # std's `getenv` is inlined into its one caller

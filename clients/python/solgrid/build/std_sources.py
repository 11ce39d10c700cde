"""std's sources for the ``os = "solana"`` target: a copy of Debian's in which Solana takes std's zkvm layer.

std has no Solana platform layer. Its ``zkvm`` one (RISC Zero's) is the closest fit: single-threaded,
no files, no threads, no clock, and everything it needs from the platform goes through a handful of
``sys_*`` C functions, which SolGrid's ``sbf-std-support`` crate provides on Solana (``sol_log_``,
``abort``). The copy makes ``target_os = "solana"`` select that layer at each of std's dispatch points
(``std/src/sys/*/mod.rs``), teaches the allocator's ``MIN_ALIGN`` table about ``bpf``, keeps
``core``'s sorts from holding 4 KiB of scratch on the stack (an SBPF stack frame is 4 KiB), and gives
``RandomState`` fixed keys (HashMap's per-thread random keys are a writable static).

Every edit names the exact text it replaces and how often that text must occur; a source that differs
(another Rust release) fails the build naming the file and the edit instead of leaving std half
patched. The copy is made once per source tree under ``target/`` and cargo's ``-Zbuild-std`` is pointed
at it with ``__CARGO_TESTS_ONLY_SRC_ROOT``. Its key (``source_key``) is cheap enough for every build: the
name, size and modification time of every file of the tree (a reinstalled or upgraded rust-src changes
them), the contents of the files the edits touch, and the edit list; reading the whole tree (69 MB) took a
second of every build. Builds sharing a target directory may make the copy at the same time: each writes
its own temporary directory and renames it into place, and the first one there wins.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from solgrid.build.errors import BuildError

ZKVM = 'target_os = "zkvm"'
ZKVM_OR_SOLANA = 'any(target_os = "zkvm", target_os = "solana")'


@dataclass(frozen=True)
class SourceEdit:
    """Replace ``old`` by ``new`` in ``path`` (under ``library/``); ``old`` must occur ``count`` times."""

    path: str
    old: str
    new: str
    count: int = 1
    why: str = ""


def _dispatch(path: str, arm: str) -> SourceEdit:
    """A ``cfg_select!`` arm ``target_os = "zkvm" => {`` that Solana must take too."""
    return SourceEdit(
        path,
        f"    {arm} => {{\n",
        f"    {arm.replace(ZKVM, ZKVM_OR_SOLANA)} => {{\n",
        why="std's platform dispatch: Solana uses the zkvm implementation",
    )


#: SBPF gives each function a 4 KiB stack frame; the sorts of ``core`` keep up to 4 KiB of scratch on the
#: stack (``driftsort_main``, the small-sorts), which with the function's other locals cannot fit. On
#: Solana they keep at most half of that; what does not fit goes to the heap (driftsort) or to the
#: small-sort without a stack array, as for large types on any target.
SORT_STACK_BYTES_SOLANA = 2048
SOLANA_OR_4096 = f'if cfg!(target_os = "solana") {{ {SORT_STACK_BYTES_SOLANA} }} else {{ 4096 }}'
SORT_STACK_SCRATCH = (
    "/// On-stack scratch of the stable sorts (SolGrid: less on Solana, whose stack frames hold 4 KiB).\n"
    f"const STACK_SCRATCH_BYTES: usize = {SOLANA_OR_4096};"
)
#: ``RandomState::new``'s per-thread keys: a thread-local static (writable data, which SBPF programs
#: cannot have) seeded from ``sys_rand`` (which Solana does not have). A program must be deterministic
#: anyway, so on Solana every ``RandomState`` gets the keys (0, 0): hashing and lookups are unchanged,
#: iteration order is the same on every validator.
_RANDOM_STATE_KEYS = """\
        thread_local!(static KEYS: Cell<(u64, u64)> = {
            Cell::new(hashmap_random_keys())
        });

        KEYS.with(|keys| {
            let (k0, k1) = keys.get();
            keys.set((k0.wrapping_add(1), k1));
            RandomState { k0, k1 }
        })
"""
_SOLANA_RANDOM_STATE_KEYS = """\
        #[cfg(target_os = "solana")]
        fn keys() -> (u64, u64) {
            (0, 0)
        }
        #[cfg(not(target_os = "solana"))]
        fn keys() -> (u64, u64) {
            thread_local!(static KEYS: Cell<(u64, u64)> = {
                Cell::new(hashmap_random_keys())
            });

            KEYS.with(|keys| {
                let (k0, k1) = keys.get();
                keys.set((k0.wrapping_add(1), k1));
                (k0, k1)
            })
        }
        let (k0, k1) = keys();
        RandomState { k0, k1 }
"""

EDITS: tuple[SourceEdit, ...] = (
    _dispatch("std/src/sys/pal/mod.rs", ZKVM),
    _dispatch("std/src/sys/alloc/mod.rs", ZKVM),
    _dispatch("std/src/sys/args/mod.rs", ZKVM),
    _dispatch("std/src/sys/env/mod.rs", ZKVM),
    _dispatch("std/src/sys/random/mod.rs", ZKVM),
    _dispatch("std/src/sys/stdio/mod.rs", ZKVM),
    SourceEdit(
        "std/src/sys/io/error/mod.rs",
        '        target_os = "vexos",\n        target_family = "wasm",\n        target_os = "zkvm",\n',
        '        target_os = "vexos",\n        target_family = "wasm",\n        target_os = "zkvm",\n'
        '        target_os = "solana",\n',
        why="OS errors: the generic (no errno) implementation",
    ),
    SourceEdit(
        "std/src/sys/thread_local/mod.rs",
        '        target_os = "uefi",\n        target_os = "zkvm",\n',
        '        target_os = "uefi",\n        target_os = "zkvm",\n        target_os = "solana",\n',
        why="thread locals: the no-threads implementation (statics)",
    ),
    SourceEdit(
        "std/src/sys/thread_local/mod.rs",
        '            target_os = "uefi",\n            target_os = "zkvm",\n',
        '            target_os = "uefi",\n            target_os = "zkvm",\n'
        '            target_os = "solana",\n',
        why="thread-local destructors: none without threads",
    ),
    SourceEdit(
        "std/src/sys/env_consts.rs",
        '#[cfg(target_os = "zkvm")]\npub mod os {',
        f"#[cfg({ZKVM_OR_SOLANA})]\npub mod os {{",
        why="std::env::consts",
    ),
    SourceEdit(
        "core/src/slice/sort/stable/mod.rs",
        "AlignedStorage::<T, 4096>::new()",
        "AlignedStorage::<T, STACK_SCRATCH_BYTES>::new()",
        count=2,
        why="the stable sorts' 4 KiB on-stack scratch overflows a 4 KiB SBPF stack frame",
    ),
    SourceEdit(
        "core/src/slice/sort/stable/mod.rs",
        "#[repr(C)]\nstruct AlignedStorage<T, const N: usize> {\n",
        f"{SORT_STACK_SCRATCH}\n\n#[repr(C)]\nstruct AlignedStorage<T, const N: usize> {{\n",
        why="the stable sorts' on-stack scratch: half a frame on Solana (larger sorts take the heap)",
    ),
    SourceEdit(
        "core/src/slice/sort/shared/smallsort.rs",
        "const MAX_STACK_ARRAY_SIZE: usize = 4096;\n",
        f"const MAX_STACK_ARRAY_SIZE: usize = {SOLANA_OR_4096};\n",
        why="the small-sorts' on-stack arrays: half a frame on Solana (larger types sort without one)",
    ),
    SourceEdit(
        "std/src/hash/random.rs",
        _RANDOM_STATE_KEYS,
        _SOLANA_RANDOM_STATE_KEYS,
        why="HashMap/HashSet keys (Anchor's duplicate-account check): fixed on Solana, no thread-local",
    ),
    SourceEdit(
        "std/src/sys/alloc/mod.rs",
        '    target_arch = "x86",\n    target_arch = "arm",\n',
        '    target_arch = "x86",\n    target_arch = "arm",\n    target_arch = "bpf",\n',
        why="the allocator's MIN_ALIGN table (unknown arches do not compile): 8, BPF's largest alignment",
    ),
)


def apply_edits(library: Path, edits: tuple[SourceEdit, ...] = EDITS) -> None:
    """Apply ``edits`` to the std sources under ``library`` in place; fail before writing on a mismatch."""
    changed: dict[Path, str] = {}
    for edit in edits:
        path = library / edit.path
        if path not in changed:
            if not path.is_file():
                raise BuildError(
                    f"std sources: {path} is missing (this pipeline expects Rust {_rust_hint()})"
                )
            changed[path] = path.read_text()
        found = changed[path].count(edit.old)
        if found != edit.count:
            raise BuildError(
                f"std sources: {edit.path}: expected {edit.count} occurrence(s) of {edit.old!r}, "
                f"found {found} "
                f"({edit.why}); these sources are not the ones this pipeline knows how to patch "
                f"(it expects Rust {_rust_hint()})"
            )
        changed[path] = changed[path].replace(edit.old, edit.new)
    for path, text in changed.items():
        path.write_text(text)


def _rust_hint() -> str:
    return "1.96's library/ from Debian's rust-web-src"


def source_key(library: Path, edits: tuple[SourceEdit, ...] = EDITS) -> str:
    """The key of the patched copy of ``library``: its files' names, sizes and modification times, the
    contents of the files ``edits`` touch, and ``edits`` themselves (a stat of each file, not a read).

    Directories count by name only: dpkg gives the files the package's modification times, the same on
    every machine, but the directories it creates the time of the install.
    """
    h = hashlib.sha256(repr(edits).encode())
    for relative, size, mtime_ns in _tree_stats(library):
        h.update(f"{relative}\0{size}\0{mtime_ns}\n".encode())
    for relative in sorted({edit.path for edit in edits}):
        path = library / relative
        h.update(relative.encode() + b"\0" + (path.read_bytes() if path.is_file() else b"(missing)") + b"\n")
    return h.hexdigest()


def _tree_stats(root: Path) -> list[tuple[str, int, int]]:
    """``(path relative to root, size, mtime in ns)`` of every file and symlink under ``root`` (not
    followed), and ``(path, -1, 0)`` of every directory, sorted."""
    found: list[tuple[str, int, int]] = []
    pending = [root]
    while pending:
        directory = pending.pop()
        with os.scandir(directory) as entries:
            for entry in entries:
                relative = os.path.relpath(entry.path, root)
                if entry.is_dir(follow_symlinks=False):
                    found.append((relative, -1, 0))
                    pending.append(Path(entry.path))
                else:
                    stat = entry.stat(follow_symlinks=False)
                    found.append((relative, stat.st_size, stat.st_mtime_ns))
    return sorted(found)


def _complete(library: Path) -> bool:
    return (library / "std" / "Cargo.toml").is_file()


def solana_std_sources(original: Path, cache_root: Path) -> Path:
    """The patched copy of ``original`` (a ``library/`` directory) under ``cache_root``, made if missing.

    The copy lives in ``cache_root/<key>/library`` so that a changed source tree or edit list gets a fresh
    one. It is written to a temporary directory of its own and renamed into place only once fully patched:
    several processes may make it at once (parallel tests, workspaces sharing a target directory); the
    first rename wins, and the others drop their copy and use that one.
    """
    key = source_key(original)[:16]
    slot = cache_root / key
    final = slot / "library"
    if _complete(final):
        return final
    cache_root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{key}.tmp", dir=cache_root))
    staging.chmod(0o755)  # mkdtemp's 0o700 would stay on the copy
    try:
        shutil.copytree(original, staging / "library", symlinks=True)
        apply_edits(staging / "library")
        try:
            os.rename(staging, slot)
        except OSError as error:
            if error.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                raise
            if not _complete(final):
                # Not made by this function (it renames whole copies): set it aside, take its place.
                stale = Path(tempfile.mkdtemp(prefix=f"{key}.stale", dir=cache_root))
                os.rename(slot, stale / "slot")
                os.rename(staging, slot)
                shutil.rmtree(stale, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return final

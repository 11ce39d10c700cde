"""The ``os = "solana"`` target spec for crates written against ``solana-program``.

``solana-program`` (1.x, 2.x) and the crates built on it reach their syscalls under
``cfg(target_os = "solana")``; on any other OS they compile host stubs. The upstream
``bpfel-unknown-none`` target has ``os = "none"``, so the pipeline derives a custom target from it at
build time (``rustc --print target-spec-json``, whatever this rustc says about BPF) and changes only:

- ``os``/``vendor`` ``solana``: the cfgs those crates test;
- ``atomic-cas``: std's ``alloc::sync`` (``Arc``) exists only with compare-and-swap; the pipeline
  lowers every atomic to plain memory operations afterwards (``opt -passes=lower-atomic``: one
  thread per program);
- ``min-atomic-width`` 8: ``compiler_builtins`` and std want ``AtomicU8``..``AtomicU32``;
- ``linker``: ``LINKER_SCRIPT``, which only creates its ``-o`` file, empty. The crates (and
  dependencies such as ``solana-program`` 1.x) declare ``cdylib``, so cargo links them; the pipeline only
  keeps the LLVM bitcode of the program's ``staticlib``. The output must exist, or cargo would consider
  those crates stale and rebuild them on every build;
- ``metadata.std``: this target has std (built with ``-Zbuild-std`` from ``std_sources``).

Cargo takes the spec as ``--target <path>.json`` with ``-Zjson-target-spec``; the file's stem
(``TARGET_NAME``) names the directory under ``target/`` where cargo puts its outputs.
"""

from __future__ import annotations

import json
from pathlib import Path

from solgrid.build.errors import BuildError
from solgrid.build.toolchain import BPF_TARGET, Toolchain, run_tool

TARGET_NAME = "bpfel-solana-solgrid"
CHANGES: dict[str, object] = {
    "os": "solana",
    "vendor": "solana",
    "atomic-cas": True,
    "min-atomic-width": 8,
}
#: What the upstream spec must say for the changes above to mean what this module says they do.
EXPECTED: dict[str, object] = {
    "arch": "bpf",
    "llvm-target": "bpfel",
    "target-pointer-width": 64,
    "max-atomic-width": 64,
    "panic-strategy": "abort",
    "singlethread": True,
}


LINKER_SCRIPT = "link-nothing.sh"
LINKER_TEXT = """#!/bin/sh
# The linker of SolGrid's solana-os target spec (solgrid/build/target_spec.py): creates the -o file, empty.
while [ "$#" -gt 0 ]; do
    if [ "$1" = "-o" ] && [ "$#" -gt 1 ]; then
        : > "$2"
        exit 0
    fi
    shift
done
echo "link-nothing.sh: no -o argument" >&2
exit 1
"""


def derive_spec(upstream: dict[str, object], linker: str) -> dict[str, object]:
    """The solana-os spec from rustc's ``bpfel-unknown-none`` one; fails if that is not what it expects."""
    wrong = {k: upstream.get(k) for k, v in EXPECTED.items() if upstream.get(k) != v}
    if wrong:
        raise BuildError(
            f"rustc's {BPF_TARGET} target spec differs from what the solana-os target is derived from: "
            + ", ".join(f"{k} = {v!r} (expected {EXPECTED[k]!r})" for k, v in wrong.items())
        )
    metadata = upstream.get("metadata")
    if not isinstance(metadata, dict):
        raise BuildError(f"rustc's {BPF_TARGET} target spec has no metadata table")
    spec = dict(upstream)
    spec.update(CHANGES)
    spec["linker"] = linker
    spec["metadata"] = {
        **metadata,
        "description": "BPF for Solana programs (SolGrid's offline pipeline)",
        "std": True,
    }
    return spec


def write_target_spec(toolchain: Toolchain, directory: Path) -> Path:
    """Write ``<directory>/bpfel-solana-solgrid.json`` and its linker where changed; return the spec."""
    printed = run_tool(
        [toolchain.rustc, "-Z", "unstable-options", "--print", "target-spec-json", "--target", BPF_TARGET],
        env={"RUSTC_BOOTSTRAP": "1"},
    )
    upstream = json.loads(printed)
    if not isinstance(upstream, dict):
        raise BuildError(f"rustc printed no JSON object for {BPF_TARGET}'s target spec")
    linker = directory / LINKER_SCRIPT
    _write_if_changed(linker, LINKER_TEXT)
    linker.chmod(0o755)
    path = directory / f"{TARGET_NAME}.json"
    _write_if_changed(path, json.dumps(derive_spec(upstream, str(linker)), indent=2, sort_keys=True) + "\n")
    return path


def _write_if_changed(path: Path, text: str) -> None:
    """Write ``text`` unless ``path`` already holds it (cargo reruns what depends on a changed spec)."""
    if not path.is_file() or path.read_text() != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

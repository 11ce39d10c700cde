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
- ``linker``: a command that does nothing, because the crates declare ``cdylib`` and cargo asks for
  a linker; the pipeline only keeps the LLVM bitcode of a ``staticlib``;
- ``metadata.std``: this target has std (built with ``-Zbuild-std`` from ``std_sources``).

Cargo takes the spec as ``--target <path>.json`` with ``-Zjson-target-spec``; the file's stem
(``TARGET_NAME``) names the directory under ``target/`` where cargo puts its outputs.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from solgrid.build.errors import BuildError, ToolchainMissing
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


def noop_linker() -> str:
    """An absolute path to a command that succeeds without doing anything (``true``)."""
    found = shutil.which("true")
    if found is None:
        raise ToolchainMissing(
            "no `true` command on PATH (coreutils), which the target spec uses as its linker"
        )
    return found


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
    """Write ``<directory>/bpfel-solana-solgrid.json`` (only when its content changes); return its path."""
    printed = run_tool(
        [toolchain.rustc, "-Z", "unstable-options", "--print", "target-spec-json", "--target", BPF_TARGET],
        env={"RUSTC_BOOTSTRAP": "1"},
    )
    upstream = json.loads(printed)
    if not isinstance(upstream, dict):
        raise BuildError(f"rustc printed no JSON object for {BPF_TARGET}'s target spec")
    text = json.dumps(derive_spec(upstream, noop_linker()), indent=2, sort_keys=True) + "\n"
    path = directory / f"{TARGET_NAME}.json"
    if not path.is_file() or path.read_text() != text:
        directory.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return path

"""The pieces of the std build for ``os = "solana"`` that run without cargo: the std source edits, the
target spec and the choice of crates from a manifest."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import subprocess
import threading
from collections.abc import Sequence
from multiprocessing.synchronize import Barrier
from pathlib import Path

import pytest

from solgrid.build import std_build, std_sources
from solgrid.build.errors import BuildError
from solgrid.build.std_build import StdBuilder, manifest_programs
from solgrid.build.std_sources import EDITS, SourceEdit, apply_edits, solana_std_sources
from solgrid.build.target_spec import CHANGES, EXPECTED, derive_spec, write_target_spec
from solgrid.build.toolchain import RUST_SRC, Toolchain

FIXTURE = Path(__file__).parent / "std-fixture" / "Cargo.toml"


def _edited_files(tmp_path: Path) -> Path:
    """A ``library/`` holding only the files the edits touch, copied from the installed sources."""
    library = tmp_path / "library"
    for edit in EDITS:
        target = library / edit.path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(RUST_SRC / edit.path, target)
    return library


def test_every_edit_applies_to_the_installed_sources_and_selects_solana(tmp_path: Path) -> None:
    library = _edited_files(tmp_path)
    apply_edits(library)
    pal = (library / "std/src/sys/pal/mod.rs").read_text()
    assert 'any(target_os = "zkvm", target_os = "solana") => {\n        mod zkvm;' in pal
    for edit in EDITS:
        text = (library / edit.path).read_text()
        assert edit.new in text, edit
    alloc = (library / "std/src/sys/alloc/mod.rs").read_text()
    eight = alloc.index('target_arch = "bpf"')
    assert alloc.index("    8\n", eight) < alloc.index("    16\n", eight)  # in the list that gets 8


def test_the_sorts_keep_at_most_half_a_frame_on_the_stack_on_solana_only(tmp_path: Path) -> None:
    library = _edited_files(tmp_path)
    apply_edits(library)
    stable = (library / "core/src/slice/sort/stable/mod.rs").read_text()
    assert "AlignedStorage::<T, 4096>" not in stable
    assert stable.count("AlignedStorage::<T, STACK_SCRATCH_BYTES>::new()") == 2
    small = (library / "core/src/slice/sort/shared/smallsort.rs").read_text()
    for text, name in ((stable, "STACK_SCRATCH_BYTES"), (small, "MAX_STACK_ARRAY_SIZE")):
        definition = f'const {name}: usize = if cfg!(target_os = "solana") {{ 2048 }} else {{ 4096 }};'
        assert text.count(definition) == 1, name
    assert std_sources.SORT_STACK_BYTES_SOLANA * 2 <= 4096


def test_a_source_that_differs_fails_naming_the_file_and_writes_nothing(tmp_path: Path) -> None:
    library = _edited_files(tmp_path)
    before = {edit.path: (library / edit.path).read_text() for edit in EDITS}
    moved = library / "std/src/sys/env_consts.rs"
    moved.write_text(moved.read_text().replace('#[cfg(target_os = "zkvm")]', '#[cfg(target_os = "zkvm2")]'))
    before["std/src/sys/env_consts.rs"] = moved.read_text()
    with pytest.raises(BuildError, match=r"env_consts\.rs: expected 1 occurrence\(s\).*found 0"):
        apply_edits(library)
    assert {path: (library / path).read_text() for path in before} == before


def test_an_edit_must_match_exactly_as_often_as_it_says(tmp_path: Path) -> None:
    (tmp_path / "a.rs").write_text("x\nx\n")
    with pytest.raises(BuildError, match="expected 1 occurrence"):
        apply_edits(tmp_path, (SourceEdit("a.rs", "x\n", "y\n"),))
    apply_edits(tmp_path, (SourceEdit("a.rs", "x\n", "y\n", count=2),))
    assert (tmp_path / "a.rs").read_text() == "y\ny\n"
    with pytest.raises(BuildError, match="missing"):
        apply_edits(tmp_path, (SourceEdit("b.rs", "x", "y"),))


def test_the_patched_copy_is_made_once_per_source_tree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = _edited_files(tmp_path / "src")
    (original / "std" / "Cargo.toml").write_text("[package]\n")
    first = solana_std_sources(original, tmp_path / "cache")
    assert 'target_os = "solana"' in (first / "std/src/sys/pal/mod.rs").read_text()
    assert (RUST_SRC / "std/src/sys/pal/mod.rs").read_text().count('target_os = "solana"') == 0

    def refuse(*_args: object) -> None:
        raise AssertionError("copied again")

    monkeypatch.setattr(std_sources.shutil, "copytree", refuse)
    assert solana_std_sources(original, tmp_path / "cache") == first
    monkeypatch.undo()
    (original / "std" / "Cargo.toml").write_text("[package]\nname = 'std'\n")
    second = solana_std_sources(original, tmp_path / "cache")
    assert second != first and (second / "std" / "Cargo.toml").read_text().endswith("'std'\n")


def _upstream() -> dict[str, object]:
    return {**EXPECTED, "os": "none", "metadata": {"std": False, "tier": 3}, "linker-flavor": "bpf"}


def test_the_spec_changes_only_what_it_documents() -> None:
    spec = derive_spec(_upstream(), "/bin/true")
    assert {k: spec[k] for k in CHANGES} == CHANGES
    assert spec["linker"] == "/bin/true" and spec["linker-flavor"] == "bpf"
    metadata = spec["metadata"]
    assert isinstance(metadata, dict) and metadata["std"] is True and metadata["tier"] == 3


@pytest.mark.parametrize(
    ("key", "value"), [("arch", "x86_64"), ("target-pointer-width", 32), ("singlethread", None)]
)
def test_an_unexpected_upstream_spec_fails(key: str, value: object) -> None:
    upstream = _upstream()
    if value is None:
        del upstream[key]
    else:
        upstream[key] = value
    with pytest.raises(BuildError, match=key):
        derive_spec(upstream, "/bin/true")


def test_the_spec_from_this_rustc(tmp_path: Path) -> None:
    path = write_target_spec(Toolchain.locate(), tmp_path)
    spec = json.loads(path.read_text())
    assert path.name == "bpfel-solana-solgrid.json"
    assert (spec["os"], spec["vendor"], spec["arch"], spec["atomic-cas"]) == ("solana", "solana", "bpf", True)
    linker = Path(spec["linker"])
    assert linker.parent == tmp_path
    out = tmp_path / "deps" / "libx.so"
    out.parent.mkdir()
    subprocess.run([linker, "--export", "entrypoint", "a.o", "-o", out, "-O3"], check=True)
    assert out.read_bytes() == b""  # cargo sees the cdylib it asked for, so the crate stays fresh
    assert subprocess.run([linker, "a.o"], capture_output=True, check=False).returncode == 1
    stamp = path.stat().st_mtime_ns
    write_target_spec(Toolchain.locate(), tmp_path)
    assert path.stat().st_mtime_ns == stamp  # unchanged content is not rewritten (cargo would rebuild)


def test_manifest_programs_finds_the_cdylib_crates(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CARGO_TARGET_DIR", raising=False)
    toolchain = Toolchain.locate()
    workspace = manifest_programs(toolchain, FIXTURE)
    [program, refused] = workspace.programs
    assert workspace.root == FIXTURE.parent and program.crate_dir == FIXTURE.parent
    assert workspace.target_dir == FIXTURE.parent / "target"
    assert (program.name, program.cargo_package) == ("counter_transfer", "counter-transfer")
    assert (refused.name, refused.crate_dir) == ("std_refused", FIXTURE.parent / "refused")
    assert manifest_programs(toolchain, FIXTURE, ("counter-transfer",)).programs == [program]
    assert manifest_programs(toolchain, FIXTURE, ("std_refused", "counter_transfer")).programs == [
        refused,
        program,
    ]
    with pytest.raises(BuildError, match="no cdylib crate 'other'"):
        manifest_programs(toolchain, FIXTURE, ("other",))
    with pytest.raises(BuildError, match="no such manifest"):
        manifest_programs(toolchain, FIXTURE.parent / "missing.toml")
    monkeypatch.setenv("CARGO_TARGET_DIR", "/tmp/elsewhere")
    assert manifest_programs(toolchain, FIXTURE).target_dir == Path("/tmp/elsewhere")


def test_legacy_cpi_calls_are_pointed_at_the_shim() -> None:
    module = (
        "declare i64 @sol_invoke_signed_rust(ptr, ptr, i64, ptr, i64)\n"
        "declare i64 @sol_invoke_signed_rust_other(ptr)\n"
        "  %r = call i64 @sol_invoke_signed_rust(ptr %a, ptr %b, i64 3, ptr %c, i64 1)\n"
    )
    redirected = std_build.redirect_legacy_cpi(module)
    assert redirected.count("@sbf_invoke_signed_rust_legacy(") == 2
    assert "@sol_invoke_signed_rust(" not in redirected
    assert "@sol_invoke_signed_rust_other(" in redirected
    with pytest.raises(BuildError, match="already defines or calls sbf_invoke_signed_rust_legacy"):
        std_build.redirect_legacy_cpi(redirected)


NORMAL, DEV, BUILD = [{"kind": None, "target": None}], [{"kind": "dev", "target": None}], [{"kind": "build"}]


def _fake_metadata(
    monkeypatch: pytest.MonkeyPatch,
    versions: list[str],
    *,
    kinds: list[dict[str, str | None]] | None = None,
    extra: Sequence[dict[str, object]] = (),
) -> None:
    """``cargo metadata`` for a program depending on each of ``versions`` of solana-program (edges of
    ``kinds``: normal by default), beside ``extra`` packages (no edges to or from them)."""
    program = {"id": "program", "name": "program", "version": "0.1.0"}
    sdks = [{"id": f"sp{v}", "name": "solana-program", "version": v} for v in versions]
    other = {"id": "unrelated", "name": "solana-program", "version": "1.10.0"}
    meta = {
        "packages": [program, *sdks, other, *extra],
        "workspace_members": ["program", *(p["id"] for p in extra if p.get("member"))],
        "resolve": {
            "nodes": [
                {"id": "program", "deps": [{"pkg": p["id"], "dep_kinds": kinds or NORMAL} for p in sdks]},
                *({"id": p["id"], "deps": []} for p in [*sdks, other, *extra]),
            ]
        },
    }
    monkeypatch.setattr(std_build, "run_tool", lambda *a, **k: json.dumps(meta).encode())


@pytest.mark.parametrize(
    ("versions", "legacy"),
    [(["1.14.9"], ["1.14.9"]), (["1.18.26"], []), (["2.1.0"], []), (["1.15.2"], ["1.15.2"]), ([], [])],
)
def test_legacy_cpi_versions_from_the_programs_dependency_graph(
    monkeypatch: pytest.MonkeyPatch, versions: list[str], legacy: list[str]
) -> None:
    _fake_metadata(monkeypatch, versions)
    # "unrelated" (1.10) is in the workspace but not in the program's graph.
    assert std_build.legacy_cpi_versions(Toolchain.locate(), Path("/nowhere"), "program") == legacy


def test_a_graph_mixing_cpi_layouts_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_metadata(monkeypatch, ["1.14.9", "1.18.26"])
    with pytest.raises(BuildError, match=r"solana-program 1\.14\.9, 1\.18\.26.*cannot mix them"):
        std_build.legacy_cpi_versions(Toolchain.locate(), Path("/nowhere"), "program")


@pytest.mark.parametrize("kinds", [DEV, BUILD, DEV + BUILD])
def test_dev_and_build_dependencies_are_not_part_of_the_program(
    monkeypatch: pytest.MonkeyPatch, kinds: list[dict[str, str | None]]
) -> None:
    _fake_metadata(monkeypatch, ["1.14.9"], kinds=kinds)
    assert std_build.legacy_cpi_versions(Toolchain.locate(), Path("/nowhere"), "program") == []
    # A normal edge beside a dev one (`[dependencies]` and `[dev-dependencies]` on the same crate).
    _fake_metadata(monkeypatch, ["1.14.9"], kinds=kinds + NORMAL)
    assert std_build.legacy_cpi_versions(Toolchain.locate(), Path("/nowhere"), "program") == ["1.14.9"]


def test_a_dev_dependency_on_an_old_release_does_not_mix_layouts(monkeypatch: pytest.MonkeyPatch) -> None:
    meta = {
        "packages": [
            {"id": "program", "name": "program", "version": "0.1.0"},
            {"id": "new", "name": "solana-program", "version": "1.18.26"},
            {"id": "old", "name": "solana-program", "version": "1.14.9"},
            {"id": "macro", "name": "a-macro", "version": "1.0.0", "targets": [{"kind": ["proc-macro"]}]},
        ],
        "workspace_members": ["program"],
        "resolve": {
            "nodes": [
                {
                    "id": "program",
                    "deps": [
                        {"pkg": "new", "dep_kinds": NORMAL},
                        {"pkg": "old", "dep_kinds": DEV},
                        {"pkg": "macro", "dep_kinds": NORMAL},
                    ],
                },
                {"id": "new", "deps": []},
                {"id": "old", "deps": []},
                # What a proc-macro depends on runs in the compiler, not in the program.
                {"id": "macro", "deps": [{"pkg": "old", "dep_kinds": NORMAL}]},
            ]
        },
    }
    monkeypatch.setattr(std_build, "run_tool", lambda *a, **k: json.dumps(meta).encode())
    assert std_build.legacy_cpi_versions(Toolchain.locate(), Path("/nowhere"), "program") == []
    meta["resolve"]["nodes"][0]["deps"][1]["dep_kinds"] = NORMAL  # type: ignore[index]
    with pytest.raises(BuildError, match="cannot mix them"):
        std_build.legacy_cpi_versions(Toolchain.locate(), Path("/nowhere"), "program")


def test_the_program_is_the_workspace_member_of_that_name(monkeypatch: pytest.MonkeyPatch) -> None:
    # A dependency named like the program (a wrapper around a published crate) is not the program.
    namesake = {"id": "namesake", "name": "program", "version": "9.0.0"}
    _fake_metadata(monkeypatch, ["1.18.26"], extra=[namesake])
    assert std_build.legacy_cpi_versions(Toolchain.locate(), Path("/nowhere"), "program") == []
    # Two members of that name (cargo refuses such workspaces) or none: one line, a BuildError.
    _fake_metadata(monkeypatch, ["1.18.26"], extra=[{**namesake, "member": True}])
    with pytest.raises(
        BuildError,
        match=r"^/nowhere: expected one workspace member named 'program' in "
        r"cargo's resolve, found program 0\.1\.0, program 9\.0\.0$",
    ):
        std_build.legacy_cpi_versions(Toolchain.locate(), Path("/nowhere"), "program")
    with pytest.raises(BuildError, match=r"named 'other' in cargo's resolve, found none$"):
        std_build.legacy_cpi_versions(Toolchain.locate(), Path("/nowhere"), "other")


def test_rustflags_do_not_depend_on_the_workspace(tmp_path: Path) -> None:
    """Workspaces sharing a target directory share std's build-script fingerprints, which include
    RUSTFLAGS: flags naming the workspace would rebuild std whenever another workspace built last."""
    toolchain = Toolchain.locate()
    target = tmp_path / "target"
    library = tmp_path / "library"
    envs = [
        StdBuilder(root, toolchain, target_dir=target)._std_env(library, target, trim_paths=True)
        for root in (tmp_path / "one", tmp_path / "two")
    ]
    assert envs[0]["RUSTFLAGS"] == envs[1]["RUSTFLAGS"]
    assert envs[0]["RUSTFLAGS"].startswith("-Zunstable-options -Cpanic=immediate-abort")
    assert str(tmp_path) not in envs[0]["RUSTFLAGS"]  # the workspace's remap goes to its crate only
    assert envs[0]["CARGO_PROFILE_RELEASE_TRIM_PATHS"] == "all"  # paths trimmed per crate by cargo


def test_random_state_gets_fixed_keys_on_solana_only(tmp_path: Path) -> None:
    library = _edited_files(tmp_path)
    apply_edits(library)
    random = (library / "std/src/hash/random.rs").read_text()
    solana = random.index(
        '#[cfg(target_os = "solana")]\n        fn keys() -> (u64, u64) {\n            (0, 0)'
    )
    other = random.index('#[cfg(not(target_os = "solana"))]\n        fn keys()')
    assert solana < other < random.index("thread_local!(static KEYS") < random.index("RandomState { k0, k1 }")


def _fake_library(root: Path) -> Path:
    """A ``library/``: the edited files (from the installed sources), std's manifest, one other file."""
    library = _edited_files(root)
    (library / "std" / "Cargo.toml").write_text("[package]\n")
    (library / "core" / "src" / "other.rs").write_text("pub fn f() {}\n")
    return library


def test_the_key_stats_the_tree_and_reads_only_the_edited_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    library = _fake_library(tmp_path)
    read: list[Path] = []
    read_bytes = Path.read_bytes

    def recording(path: Path) -> bytes:
        read.append(path)
        return read_bytes(path)

    monkeypatch.setattr(Path, "read_bytes", recording)
    std_sources.source_key(library)
    assert sorted(read) == sorted({library / edit.path for edit in EDITS})


def test_an_edited_source_changes_the_key(tmp_path: Path) -> None:
    library = _fake_library(tmp_path)
    key = std_sources.source_key(library)
    assert std_sources.source_key(library) == key
    other = library / "core" / "src" / "other.rs"
    stat = other.stat()
    other.write_text("pub fn g() {}\n")  # same size
    assert std_sources.source_key(library) != key  # its mtime changed
    other.write_text("pub fn f() {}\n")
    os.utime(other, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert std_sources.source_key(library) == key  # back as it was
    other.write_text("pub fn f() {} \n")
    os.utime(other, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert std_sources.source_key(library) != key  # another size, same mtime
    other.write_text("pub fn f() {}\n")
    os.utime(other, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    # A file the edits touch: its content counts even with its size and mtime kept.
    edited = library / EDITS[0].path
    stat = edited.stat()
    text = edited.read_text()
    edited.write_text(text.replace("zkvm", "zkVM", 1))
    os.utime(edited, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert std_sources.source_key(library) != key
    edited.write_text(text)
    os.utime(edited, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert std_sources.source_key(library) == key
    assert std_sources.source_key(library, EDITS[1:]) != key  # another edit list
    os.utime(library / "core" / "src", ns=(0, 0))
    assert std_sources.source_key(library) == key  # a directory's mtime is the install's, not the package's
    (library / "core" / "src" / "new.rs").write_text("")
    assert std_sources.source_key(library) != key  # a new file
    (library / "core" / "src" / "new.rs").unlink()
    assert std_sources.source_key(library) == key
    (library / "core" / "src" / "new").mkdir()
    assert std_sources.source_key(library) != key  # a new directory


def _in_step(monkeypatch: pytest.MonkeyPatch, barrier: threading.Barrier | Barrier) -> None:
    """Make ``solana_std_sources`` wait for ``barrier`` once its copy is patched: all parties reach the
    rename with a complete copy of their own, so all but one find the place taken."""
    apply = std_sources.apply_edits

    def patch_then_wait(library: Path, edits: tuple[SourceEdit, ...] = EDITS) -> None:
        apply(library, edits)
        barrier.wait(timeout=60)

    monkeypatch.setattr(std_sources, "apply_edits", patch_then_wait)


def _only_the_copy_is_left(cache: Path, made: list[Path]) -> None:
    [slot] = cache.iterdir()  # no temporary directory is left behind
    assert made == [slot / "library"] * len(made)
    assert 'target_os = "solana"' in (slot / "library/std/src/sys/pal/mod.rs").read_text()
    assert (slot / "library/core/src/other.rs").is_file() and oct(slot.stat().st_mode & 0o777) == "0o755"


def test_two_threads_making_the_copy_at_once_both_get_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = _fake_library(tmp_path / "src")
    cache = tmp_path / "cache"
    _in_step(monkeypatch, threading.Barrier(2))
    made: list[Path] = []
    threads = [
        threading.Thread(target=lambda: made.append(solana_std_sources(original, cache))) for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    _only_the_copy_is_left(cache, made)


def _make_copy_in_process(original: Path, cache: Path, barrier: Barrier, out: Path) -> None:
    """Make the copy in step with the other process, then note its inode before and after the other one
    returned too: a copy once handed out (cargo reads it) must stay in place."""
    made = solana_std_sources(original, cache)
    before = (made / "std").stat().st_ino
    barrier.wait(timeout=60)
    out.write_text(json.dumps([str(made), before, (made / "std").stat().st_ino]))


def test_two_processes_making_the_copy_at_once_both_get_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = _fake_library(tmp_path / "src")
    cache = tmp_path / "cache"
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(2)
    _in_step(monkeypatch, barrier)  # the forked processes inherit it
    outs = [tmp_path / f"out{i}" for i in range(2)]
    processes = [
        context.Process(target=_make_copy_in_process, args=(original, cache, barrier, out)) for out in outs
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
    assert [p.exitcode for p in processes] == [0, 0]
    made, before, after = zip(*(json.loads(out.read_text()) for out in outs), strict=True)
    _only_the_copy_is_left(cache, [Path(m) for m in made])
    assert len({*before, *after}) == 1  # the one copy both got, never replaced under either


def test_an_incomplete_copy_in_place_is_replaced(tmp_path: Path) -> None:
    original = _fake_library(tmp_path / "src")
    cache = tmp_path / "cache"
    slot = cache / std_sources.source_key(original)[:16]
    (slot / "library" / "std").mkdir(parents=True)  # no Cargo.toml: not a copy this module made
    made = solana_std_sources(original, cache)
    _only_the_copy_is_left(cache, [made])

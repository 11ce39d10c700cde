"""Units of the build orchestrator: archive reading, error mapping, demangling, program discovery."""

from __future__ import annotations

from pathlib import Path

import pytest

from solgrid.build.demangle import demangle
from solgrid.build.errors import BuildError, IRSyntaxError, ToolchainMissing, UnsupportedCode
from solgrid.build.ir_model import parse_module
from solgrid.build.pipeline import (
    _naming,
    discover_programs,
    select_programs,
    single_bitcode_member,
    workspace_root,
)
from solgrid.build.toolchain import INSTALL_HINT, Toolchain, llc_error

REPO = Path(__file__).resolve().parents[2]


def _ar(members: list[tuple[bytes, bytes]]) -> bytes:
    out = b"!<arch>\n"
    for name, body in members:
        header = name.ljust(16) + b"0".ljust(12) + b"0".ljust(6) + b"0".ljust(6) + b"644".ljust(8)
        header += str(len(body)).encode().ljust(10) + b"`\n"
        assert len(header) == 60
        out += header + body + (b"\n" if len(body) % 2 else b"")
    return out


def test_single_bitcode_member_skips_symbol_tables() -> None:
    bitcode = b"BC\xc0\xde" + b"\x01" * 11
    archive = _ar([(b"/", b"\x00\x00\x00\x00"), (b"//", b"name.o/\n"), (b"/0", bitcode)])
    assert single_bitcode_member(archive, Path("lib.a")) == bitcode


def test_two_bitcode_members_mean_lto_is_off() -> None:
    archive = _ar([(b"a.o/", b"BC\xc0\xde1"), (b"b.o/", b"BC\xc0\xde22")])
    with pytest.raises(BuildError, match="expected one LLVM bitcode member, found 2"):
        single_bitcode_member(archive, Path("lib.a"))


def test_not_an_archive() -> None:
    with pytest.raises(BuildError, match="not an ar archive"):
        single_bitcode_member(b"\x7fELF", Path("x.a"))


def test_missing_toolchain_names_the_apt_command(tmp_path: Path) -> None:
    with pytest.raises(ToolchainMissing) as info:
        Toolchain.locate({"SOLGRID_LLVM_BIN": str(tmp_path)})
    assert "llc" in str(info.value)
    assert INSTALL_HINT in str(info.value)
    assert "apt-get install -y rustc-web cargo-web rust-web-src llvm-22" in INSTALL_HINT


def _fake_tool(path: Path, output: str) -> Path:
    path.write_text(f"#!/bin/sh\ncat <<'EOF'\n{output}\nEOF\n")
    path.chmod(0o755)
    return path


@pytest.mark.parametrize(
    ("rustc_llvm", "llc_llvm"), [("19.1.7", "22.1.8"), ("22.1.8", "21.1.0"), ("23.0.0", "23.0.0")]
)
def test_mismatched_llvm_versions_are_refused(tmp_path: Path, rustc_llvm: str, llc_llvm: str) -> None:
    bin_dir = tmp_path / "llvm"
    bin_dir.mkdir()
    for tool in ("llvm-dis", "opt", "llvm-link"):
        _fake_tool(bin_dir / tool, "")
    _fake_tool(bin_dir / "llc", f"Debian LLVM version {llc_llvm}\n  Optimized build.")
    rustc = _fake_tool(tmp_path / "rustc", f"rustc 1.85.0\nrelease: 1.85.0\nLLVM version: {rustc_llvm}")
    env = {"SOLGRID_LLVM_BIN": str(bin_dir), "SOLGRID_RUSTC": str(rustc), "SOLGRID_CARGO": str(rustc)}
    with pytest.raises(ToolchainMissing) as info:
        Toolchain.locate(env)
    message = str(info.value)
    assert f"LLVM {rustc_llvm}" in message and f"LLVM {llc_llvm}" in message
    assert INSTALL_HINT in message


def test_the_installed_toolchain_reports_llvm_22() -> None:
    toolchain = Toolchain.locate()
    assert [v.split(".")[0] for v in toolchain.llvm_versions()] == ["22", "22"]
    assert b"LLVM version" in toolchain.fingerprint()


def test_llc_stack_error_names_the_rust_function() -> None:
    stderr = (
        "error: <unknown>:0:0: in function _ZN9big_frame24checksum_with_big_buffer17h0123456789abcdefE "
        "i64 (ptr, i64): Looks like the BPF stack limit is exceeded. Please move large on stack variables "
        "into BPF per-cpu array map. For non-kernel uses, the stack can be increased using -mllvm "
        "-bpf-stack-size.\n"
    )
    err = llc_error(stderr)
    assert isinstance(err, UnsupportedCode)
    assert err.where == "big_frame::checksum_with_big_buffer"
    assert "4 KiB" in str(err)


def test_llc_other_error_keeps_its_message() -> None:
    err = llc_error("llc: error: something odd\n")
    assert not isinstance(err, UnsupportedCode)
    assert "something odd" in str(err)


@pytest.mark.parametrize(
    ("mangled", "readable"),
    [
        ("_ZN4core3fmt5write17h0123456789abcdefE", "core::fmt::write"),
        (
            "_ZN70_$LT$alloc..vec..Vec$LT$T$C$A$GT$$u20$as$u20$core..ops..drop..Drop$GT$4drop17h0123456789abcdefE",
            "<alloc::vec::Vec<T,A> as core::ops::drop::Drop>::drop",
        ),
        ("_ZN8registry5state4User3len17hffffffffffffffffE", "registry::state::User::len"),
        ("entrypoint", "entrypoint"),
        ("_ZN3bad", "_ZN3bad"),
        ('"_ZN1a1b17h0000000000000000E"', "a::b"),
    ],
)
def test_demangle(mangled: str, readable: str) -> None:
    assert demangle(mangled) == readable


def test_workspace_and_programs_are_discovered() -> None:
    assert workspace_root(REPO / "programs") == REPO
    names = [p.name for p in discover_programs(REPO)]
    assert "registry" in names
    assert names == sorted(names)


def test_unknown_program_is_a_one_line_error() -> None:
    with pytest.raises(BuildError, match=r"unknown program\(s\) nope; known: .*registry"):
        select_programs(REPO, ["nope"])


def test_no_workspace(tmp_path: Path) -> None:
    with pytest.raises(BuildError, match="no SolGrid workspace"):
        workspace_root(tmp_path)


def test_ir_reader_errors_name_the_file_the_build_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    kept = tmp_path / "target" / "sbf" / "vault" / "module.ll"
    with pytest.raises(IRSyntaxError) as info, _naming(kept):
        parse_module("define void @f() {\n  frobnicate void\n}\n")
    assert str(info.value) == (
        "target/sbf/vault/module.ll:2: expected an LLVM 22 instruction, found `frobnicate`: `frobnicate void`"
    )

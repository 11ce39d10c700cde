"""Rust symbol demangling for error messages, checked against llvm-cxxfilt on real rustc symbols."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from ir_support import LLVM_BIN

from solgrid.build.demangle import demangle

RUSTC = Path("/usr/bin/rustc")
CXXFILT = LLVM_BIN / "llvm-cxxfilt"

# Paths, impls, closures, const generics (int, negative, char, bool), dyn bounds with associated
# types, fn pointers with ABI and higher-ranked lifetimes, tuples, arrays, raw pointers, punycode.
SOURCE = Path(__file__).parent / "ir_fixtures" / "names.rs"


@pytest.mark.skipif(not (RUSTC.is_file() and CXXFILT.is_file()), reason="rustc or llvm-cxxfilt missing")
def test_v0_symbols_read_like_llvm_cxxfilt(tmp_path: Path) -> None:
    output = tmp_path / "names.ll"
    rustc_args = [
        "--crate-type",
        "lib",
        "--emit=llvm-ir",
        "-C",
        "opt-level=0",
        "-C",
        "symbol-mangling-version=v0",
    ]
    subprocess.run(
        [str(RUSTC), *rustc_args, str(SOURCE), "-o", str(output)],
        check=True,
        capture_output=True,
    )
    symbols = sorted(set(re.findall(r'@"?(_R[\w$.]+)', output.read_text())))
    assert len(symbols) > 50
    reference = subprocess.run(
        [str(CXXFILT)], input="\n".join(symbols), capture_output=True, text=True, check=True
    ).stdout.splitlines()
    mismatches = [(s, demangle(s), r) for s, r in zip(symbols, reference, strict=True) if demangle(s) != r]
    assert mismatches == []
    readable = {demangle(s) for s in symbols}
    assert "names::consts::<0, '\\u{e9}', false, 7>" in readable
    assert "names::café" in readable
    assert any("{closure#0}" in name for name in readable)


@pytest.mark.parametrize(
    ("symbol", "readable"),
    [
        ("_ZN4core3fmt5write17h0123456789abcdefE", "core::fmt::write"),
        ("@_ZN5alloc7raw_vec11finish_grow17h0123456789abcdefE", "alloc::raw_vec::finish_grow"),
        (
            "_ZN66_$LT$alloc..vec..Vec$LT$T$GT$$u20$as$u20$core..ops..drop..Drop$GT$4drop17h0123456789abcdefE",
            "<alloc::vec::Vec<T> as core::ops::drop::Drop>::drop",
        ),
        ('@"_RNvCs4fqI2P2rA04_7example10float_mean"', "example::float_mean"),
        ("_RNvCs4fqI2P2rA04_7example10float_mean.llvm.123", "example::float_mean"),
        ("entrypoint", "entrypoint"),
        ("@sbf_memcpy", "sbf_memcpy"),
        ("_RNvB9_7example", "_RNvB9_7example"),  # a back reference forward: malformed, left alone
        ("_RNvCs4fqI2P2rA04_7exa", "_RNvCs4fqI2P2rA04_7exa"),  # truncated
        ("_ZN3foo", "_ZN3foo"),
    ],
)
def test_names(symbol: str, readable: str) -> None:
    assert demangle(symbol) == readable

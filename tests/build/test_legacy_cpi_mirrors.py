"""``sbf-std-support``'s legacy CPI shim declares mirrors of ``solana-program`` 1.14's ``Instruction``,
``AccountMeta``, ``AccountInfo`` and ``Pubkey`` and reads the program's own values through them: rustc
lays out two structs declared alike (same field types, same order, same ``repr``) alike, so the mirrors
must be declared exactly as the release Phoenix uses (1.14.9, from crates.io; ``legacy-cpi-fixture``)
declares them. The copies the shim makes from them, as the runtime reads them, are checked by the
crate's host tests (``cargo test -p sbf-std-support``), and the whole on the SBF VM by
``test_legacy_cpi_limit.py``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from solgrid.build.std_build import STABLE_CPI_RELEASE, cargo_metadata
from solgrid.build.toolchain import Toolchain

REPO = Path(__file__).resolve().parents[2]
SHIM = REPO / "crates" / "sbf-std-support" / "src" / "legacy_cpi.rs"
#: A workspace whose program is built against a release before 1.16 (Phoenix's, 1.14.9).
LEGACY_WORKSPACE = Path(__file__).parent / "legacy-cpi-fixture" / "Cargo.toml"
#: Type aliases of solana-program used in the declarations, resolved as the compiler does.
ALIASES = {"Epoch": "u64"}
_FIELD = re.compile(r"^(?:pub(?:\([^)]*\))?\s+)?(\w+)\s*:\s*(.+?),?$")


def declaration(source: str, name: str) -> tuple[list[str], list[tuple[str, str]]]:
    """The ``repr`` attributes and the fields (name, type) of ``struct name`` in ``source``."""
    found = list(
        re.finditer(rf"^(?:pub )?struct {name}\b(?:<[^>]*>)?\s*(\{{.*?^\}}|\(.*?\);)", source, re.M | re.S)
    )
    assert len(found) == 1, f"struct {name}: {len(found)} declarations"
    match = found[0]
    before = source[: match.start()]
    attributes = before[max(before.rfind("\n}\n"), before.rfind(";\n"), before.rfind("\n\n")) :]
    reprs = [m.group(1) for ln in attributes.splitlines() if (m := re.match(r"\s*#\[repr\((\w+)\)\]", ln))]
    body = match.group(1)
    if body.startswith("("):  # a tuple struct: one field, named 0
        inner = re.sub(r"^pub(?:\([^)]*\))?\s+", "", body[1:-2].strip())
        return reprs, [("0", _type(inner))]
    fields = []
    for line in body[1:-1].splitlines():
        line = line.strip()
        if not line or line.startswith(("//", "#[")):
            continue
        field = _FIELD.match(line)
        assert field is not None, line
        fields.append((field.group(1), _type(field.group(2))))
    return reprs, fields


def _type(text: str) -> str:
    text = re.sub(r"\s+", "", text)
    return ALIASES.get(text, text)


@pytest.fixture(scope="module")
def legacy_sources() -> Path:
    """The ``src/`` of the ``solana-program`` < 1.16 in the legacy workspace's graph (cargo fetches it)."""
    toolchain = Toolchain.locate()
    meta = cargo_metadata(toolchain, LEGACY_WORKSPACE, "--locked")
    [manifest] = [
        p["manifest_path"]
        for p in meta["packages"]
        if p["name"] == "solana-program"
        and tuple(int(x) for x in p["version"].split(".")[:2]) < STABLE_CPI_RELEASE
    ]
    return Path(manifest).parent / "src"


@pytest.mark.parametrize(
    ("name", "file"),
    [
        ("Instruction", "instruction.rs"),
        ("AccountMeta", "instruction.rs"),
        ("AccountInfo", "account_info.rs"),
        ("Pubkey", "pubkey.rs"),
    ],
)
def test_the_shims_mirrors_are_declared_as_the_legacy_release_declares_them(
    legacy_sources: Path, name: str, file: str
) -> None:
    theirs = declaration((legacy_sources / file).read_text(), name)
    ours = declaration(SHIM.read_text(), name)
    assert ours == theirs, f"{name}: the shim declares {ours}, solana-program declares {theirs}"


def test_the_declarations_are_read_field_by_field() -> None:
    """The reader sees what decides a layout: field order and types, ``repr``; not visibility, docs."""
    source = (
        "use x;\n\n/// Doc, `#[repr(packed)]` in a comment.\n#[derive(Clone)]\n#[repr(C)]\n"
        "pub struct S<'a> {\n    /// Doc.\n"
        "    #[serde(skip)]\n    pub a: &'a mut [u8],\n    b: Epoch,\n}\n\n"
        "#[derive(\n    Copy,\n)]\n#[repr(transparent)]\npub struct K(pub(crate) [u8; 32]);\n"
    )
    assert declaration(source, "S") == (["C"], [("a", "&'amut[u8]"), ("b", "u64")])
    assert declaration(source, "K") == (["transparent"], [("0", "[u8;32]")])
    swapped = source.replace(
        "    pub a: &'a mut [u8],\n    b: Epoch,\n", "    b: Epoch,\n    pub a: &'a mut [u8],\n"
    )
    assert declaration(swapped, "S") != declaration(source, "S")
    assert declaration(source.replace("#[repr(C)]\n", ""), "S")[0] == []

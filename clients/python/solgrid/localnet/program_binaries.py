"""The SPL and core BPF programs a solana-test-validator 4.2.2 holds at genesis, byte for byte.

solana-test-validator (and solana-program-test) 4.2.2 take them from the crates.io crate
``solana-program-binaries`` 4.2.2, which embeds ten ELFs and builds their accounts: SPL Token (p-token
1.0.0) and Token-2022 10.0.0 upgradeable, Memo 1.0/3.0 and ATA 1.1.1 on BPFLoader2, Memo 4.0
upgradeable, and the core BPF programs that replaced builtins (address lookup table 3.0.0, config 3.0.0,
feature gate 0.0.1, stake 5.1.0), upgradeable and active on every cluster. Every account is rent-exempt
(a BPFLoader2 program at least 1 lamport) with ``rent_epoch`` u64::MAX; an upgradeable program's
ProgramData is ``[3u32][slot 0][Some(Pubkey::default())][ELF]``.

Setup fetches the crate once into the cache directory (``scripts/install_program_binaries.py``); this
module reads the extracted ELFs, checks them against the pinned SHA-256s and builds the accounts. It imports
nothing of the engine so that the installer can use its pins.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from solders.account import Account
from solders.pubkey import Pubkey

CRATE = "solana-program-binaries"
VERSION = "4.2.2"
CRATE_SHA256 = "4784f7a731297bace021fa4a033757802c9741db0d70b07b7fbb350a97d8d207"
"""SHA-256 of ``solana-program-binaries-4.2.2.crate`` (the crates.io index's ``cksum``)."""
CRATE_URL = f"https://static.crates.io/crates/{CRATE}/{CRATE}-{VERSION}.crate"

RENT_EXEMPT_RENT_EPOCH = 2**64 - 1
"""u64::MAX: the ``rent_epoch`` of a rent-exempt account that agave has stored."""

BPF_LOADER_2 = Pubkey.from_string("BPFLoader2111111111111111111111111111111111")
LOADER_V3 = Pubkey.from_string("BPFLoaderUpgradeab1e11111111111111111111111")
_PROGRAMDATA_TAG = 3
_PROGRAM_TAG = 2


@dataclass(frozen=True)
class BinaryProgram:
    program_id: Pubkey
    loader: Pubkey
    file: str
    """The ELF's name in the crate's ``src/programs/``."""
    sha256: str


def _program(program_id: str, loader: Pubkey, file: str, sha256: str) -> BinaryProgram:
    return BinaryProgram(Pubkey.from_string(program_id), loader, file, sha256)


PROGRAMS: tuple[BinaryProgram, ...] = (
    # SPL_PROGRAMS, in the crate's order
    _program(
        "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA",
        LOADER_V3,
        "spl_p_token-1.0.0.so",
        "8190d3f7ceb6cb7a7a8d8924bff89f9f611e15ce1f806f2b6237f3311a98f697",
    ),
    _program(
        "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb",
        LOADER_V3,
        "spl_token_2022-10.0.0.so",
        "a794161408080f690dac00832f45b3c3e2b71f1339586667ad1f979cf91d5b68",
    ),
    _program(
        "Memo1UhkJRfHyvLMcVucJwxXeuD728EqVDDwQDxFMNo",
        BPF_LOADER_2,
        "spl_memo-1.0.0.so",
        "9b097bd59cc2b02b0d78e8d1cdb2b5f92292b9507a4fd3c1b436c61c1931c63b",
    ),
    _program(
        "MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr",
        BPF_LOADER_2,
        "spl_memo-3.0.0.so",
        "f520eaf096361abbb9639ea4dc3e5388a87b9330e121f476607b87c46ef67954",
    ),
    _program(
        "Memo4c2pN8afCj432Lb7RMVKi9PbQnnW7ewFFaV3oAH",
        LOADER_V3,
        "spl_memo-4.0.0.so",
        "0c92063c6838d9ad8af50aaefea9a166b5bb41a2bfa2bc6327d7db320849bc78",
    ),
    _program(
        "ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL",
        BPF_LOADER_2,
        "spl_associated_token_account-1.1.1.so",
        "e5e7aed11ad3969eea2aa76c8b4d2e73ea25be7e6b5cce989b7710cf5452496e",
    ),
    # CORE_BPF_PROGRAMS: migrated builtins, active on every cluster, all upgradeable
    _program(
        "AddressLookupTab1e1111111111111111111111111",
        LOADER_V3,
        "core_bpf_address_lookup_table-3.0.0.so",
        "e264e1537c5ee1252aae1fa476c25000b641357bc6af4efab65f314160a99570",
    ),
    _program(
        "Config1111111111111111111111111111111111111",
        LOADER_V3,
        "core_bpf_config-3.0.0.so",
        "06dd0ed33dda54b37fbbb9df5e08d28a71aa817dbc57d7b0a57e348d2f4e34fa",
    ),
    _program(
        "Feature111111111111111111111111111111111111",
        LOADER_V3,
        "core_bpf_feature_gate-0.0.1.so",
        "4889655084aa7b8a58cb44f56a8396881a7329a1e3b91cebd9763cdf9ad04e88",
    ),
    _program(
        "Stake11111111111111111111111111111111111111",
        LOADER_V3,
        "core_bpf_stake-5.1.0.so",
        "3d2d39c596ce8be2d47816b4ee5db9fc759d80fde54b08c930ad0b6daed64c2c",
    ),
)


class MissingBinaries(RuntimeError):
    """The program binaries are not installed (or not the pinned ones); the message says what to run."""


def binaries_dir() -> Path:
    """Where setup extracts the ELFs: inside the Python environment that runs SolGrid (beside the engine
    it installs there), so the node finds them whoever runs it and whatever ``$HOME`` is."""
    return Path(sys.prefix) / "share" / "solgrid" / f"{CRATE}-{VERSION}"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def missing_or_changed(directory: Path) -> list[str]:
    """The ELFs of ``directory`` that are absent or not the pinned bytes."""
    wrong = []
    for program in PROGRAMS:
        path = directory / program.file
        if not path.is_file() or sha256_hex(path.read_bytes()) != program.sha256:
            wrong.append(program.file)
    return wrong


@cache
def elf(file: str) -> bytes:
    """The pinned ELF named ``file``, read once from the cache directory."""
    (program,) = [p for p in PROGRAMS if p.file == file]
    path = binaries_dir() / file
    try:
        data = path.read_bytes()
    except OSError:
        raise MissingBinaries(
            f"{path} is missing: run scripts/setup.sh (it installs {CRATE} {VERSION})"
        ) from None
    if sha256_hex(data) != program.sha256:
        raise MissingBinaries(f"{path} is not the pinned {CRATE} {VERSION} ELF: run scripts/setup.sh")
    return data


def programdata_address(program_id: Pubkey) -> Pubkey:
    return Pubkey.find_program_address([bytes(program_id)], LOADER_V3)[0]


def program_accounts(
    program: BinaryProgram, data: bytes, rent: Callable[[int], int]
) -> list[tuple[Pubkey, Account]]:
    """The accounts of ``program`` with ELF ``data`` as the crate makes them, ProgramData first (the
    engine loads an upgradeable program from its ProgramData when the Program account is stored)."""
    if program.loader == BPF_LOADER_2:
        account = Account(max(rent(len(data)), 1), data, BPF_LOADER_2, True, RENT_EXEMPT_RENT_EPOCH)
        return [(program.program_id, account)]
    programdata = programdata_address(program.program_id)
    header = _PROGRAMDATA_TAG.to_bytes(4, "little") + bytes(8) + b"\x01" + bytes(Pubkey.default())
    programdata_bytes = header + data
    program_bytes = _PROGRAM_TAG.to_bytes(4, "little") + bytes(programdata)
    return [
        (
            programdata,
            Account(
                rent(len(programdata_bytes)), programdata_bytes, LOADER_V3, False, RENT_EXEMPT_RENT_EPOCH
            ),
        ),
        (
            program.program_id,
            Account(rent(len(program_bytes)), program_bytes, LOADER_V3, True, RENT_EXEMPT_RENT_EPOCH),
        ),
    ]


def genesis_accounts(rent: Callable[[int], int]) -> list[tuple[Pubkey, Account]]:
    """Every program account of the crate, in store order; ``rent`` is the minimum balance for a length.

    MissingBinaries when setup has not installed the ELFs."""
    return [pair for program in PROGRAMS for pair in program_accounts(program, elf(program.file), rent)]

"""Trait-object calls with more than 5 argument registers, built by the pipeline and run in LiteSVM.

The ``dyn_calls`` fixture calls ``&mut dyn Market`` methods of 6 to 10 argument registers (u64, u8,
bool, u32, ``&[u8]``, structs by reference, ``Option<u64>``, an enum, ``&mut dyn FnMut``, an
``Option<struct>`` returned through memory, a default method calling another) over four
implementations (three sizes of a generic one, as Phoenix's markets), and the same methods directly
on concrete types. Its results, run from a deployment through BPFLoaderUpgradeable, must equal those
of the same Rust code run on the host (``examples/host.rs``).
"""

from __future__ import annotations

import os
import random
import subprocess
from pathlib import Path

import pytest
from solders.instruction import Instruction
from solders.keypair import Keypair

from solgrid.build.ir_calls import MAX_ARG_REGISTERS, registers_needed
from solgrid.build.ir_model import parse_module
from solgrid.build.ir_views import as_call
from solgrid.build.pipeline import Builder, select_programs
from solgrid.build.toolchain import Toolchain
from solgrid.localnet.svm import deploy, features_blocking_deploy, new_svm, send

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).parent / "fixture-workspace"
REPO = Path(__file__).resolve().parents[2]
TARGET = REPO / "target" / "pipeline-fixtures"
CASE_LEN = 50
RESULT_LEN = 16
CASES_PER_TX = 16  # 800 bytes of instruction data: the transaction stays under 1232 bytes
MARKETS = 4
OPS = 8


def _host_binary(toolchain: Toolchain) -> Path:
    subprocess.run(
        [
            str(toolchain.cargo),
            "build",
            "--quiet",
            "--offline",
            "--release",
            "-p",
            "dyn_calls",
            "--example",
            "dyn_calls_host",
        ],
        cwd=FIXTURES,
        env={**_env(), "CARGO_TARGET_DIR": str(TARGET)},
        check=True,
    )
    return TARGET / "release" / "examples" / "dyn_calls_host"


def _env() -> dict[str, str]:
    env = dict(os.environ)
    for name in ("RUSTFLAGS", "CARGO_BUILD_RUSTFLAGS", "CARGO_BUILD_TARGET"):
        env.pop(name, None)
    return env


def _cases(seed: int) -> list[bytes]:
    rng = random.Random(seed)
    edges = [0, 1, 255, 256, (1 << 32) - 1, 1 << 63, (1 << 64) - 1]

    def case(market: int, op: int) -> bytes:
        words = [rng.choice(edges) if rng.random() < 0.2 else rng.getrandbits(64) for _ in range(6)]
        # op + 6k: the same method, with another order side in the high nibble
        return bytes([market, op + OPS * rng.randrange(32)]) + b"".join(
            w.to_bytes(8, "little") for w in words
        )

    every = [case(market, op) for market in range(MARKETS) for op in range(OPS) for _ in range(3)]
    rng.shuffle(every)
    return every + [case(rng.randrange(256), rng.randrange(OPS)) for _ in range(300)]


def _indirect_calls_over_five(text: str) -> int:
    module = parse_module(text)
    count = 0
    for fn in module.definitions():
        for _, inst in fn.instructions():
            call = as_call(inst)
            if call is not None and call.callee.startswith("%"):
                count += registers_needed([arg.type for arg in call.args]) > MAX_ARG_REGISTERS
    return count


def test_dyn_trait_calls_match_the_host() -> None:
    toolchain = Toolchain.locate()
    builder = Builder(FIXTURES, toolchain, target_dir=TARGET)
    [program] = select_programs(FIXTURES, ["dyn_calls"])
    elf = builder.build(program).so_path.read_bytes()
    work = TARGET / "sbf" / "dyn_calls"
    # rustc left the calls indirect (place, cancel, six, update, reduce, cancel_all: 8, 10, 6, 7, 10
    # and 8 registers), and the pipeline packed every one of them
    assert _indirect_calls_over_five((work / "optimized.ll").read_text()) == 6
    assert _indirect_calls_over_five((work / "final.ll").read_text()) == 0

    host = _host_binary(toolchain)
    svm = new_svm(deactivate=features_blocking_deploy(elf))
    payer = Keypair()
    svm.airdrop(payer.pubkey(), 10**12)
    program_id = deploy(svm, payer, elf)
    cases = _cases(seed=15)
    assert len(cases) > 300
    for i in range(0, len(cases), CASES_PER_TX):
        data = b"".join(cases[i : i + CASES_PER_TX])
        sent = send(svm, payer, [Instruction(program_id, data, [])])
        on_chain = bytes(sent.meta.return_data().data)  # type: ignore[attr-defined]
        on_host = subprocess.run([str(host)], input=data, capture_output=True, check=True).stdout
        assert len(on_chain) == RESULT_LEN * (len(data) // CASE_LEN)
        assert on_chain == on_host, f"batch at case {i}"

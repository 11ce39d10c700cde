"""SBPFv0 stays an option for runtimes before agave 4.0: the v0 program runs in agave 2.2 (the LiteSVM of
the solders 0.26 the client stack pins), which refuses the v3 program of the same code."""

from __future__ import annotations

import struct

import pytest
from link_support import fixture_object, requires_llc
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.litesvm import LiteSVM
from solders.message import Message
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction
from solders.transaction_metadata import FailedTransactionMetadata

from solgrid.build.link import link_sbpf_v0, link_sbpf_v3

pytestmark = requires_llc


def _agave_2_2() -> tuple[LiteSVM, Keypair]:
    svm = LiteSVM()
    payer = Keypair()
    svm.airdrop(payer.pubkey(), 10**10)
    return svm, payer


def _fib(svm: LiteSVM, payer: Keypair, program_id: Pubkey, n: int) -> int:
    ix = Instruction(program_id, bytes([0]) + struct.pack("<Q", n), [])
    tx = VersionedTransaction(
        Message.new_with_blockhash([ix], payer.pubkey(), svm.latest_blockhash()), [payer]
    )
    result = svm.send_transaction(tx)
    svm.expire_blockhash()
    assert not isinstance(result, FailedTransactionMetadata), result
    return int(struct.unpack("<Q", bytes(result.return_data().data))[0])


def test_v0_runs_on_agave_2_2() -> None:
    svm, payer = _agave_2_2()
    program_id = Pubkey.new_unique()
    svm.add_program(program_id, link_sbpf_v0(fixture_object("program.ll")))
    assert [_fib(svm, payer, program_id, n) for n in (10, 20)] == [55, 6765]


def test_v3_is_refused_by_agave_2_2() -> None:
    svm, _payer = _agave_2_2()
    # solders 0.26 surfaces the loader's refusal as a Rust panic (a BaseException): InvalidAccountData.
    with pytest.raises(BaseException, match=r"InvalidAccountData"):
        svm.add_program(Pubkey.new_unique(), link_sbpf_v3(fixture_object("program.ll")))

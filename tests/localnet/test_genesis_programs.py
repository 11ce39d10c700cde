"""The engine and the local node hold the program accounts of a solana-test-validator 4.2.2 genesis
(``solana-program-binaries`` 4.2.2), byte for byte, and SPL Token, ATA and the core BPF programs run on
them with the validator's compute units; accounts written by transactions get the validator's rentEpoch."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from localnet_support import send as send_rpc
from solana.rpc.async_api import AsyncClient
from solders.account import Account
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.system_program import CreateAccountParams, TransferParams, create_account, transfer
from spl.token import instructions as token
from spl.token.constants import TOKEN_PROGRAM_ID

from genesis_programs import U64_MAX, as_rpc, digest, expected_accounts, rpc_account
from solgrid.cache import cache_dir
from solgrid.localnet import program_binaries
from solgrid.localnet.server import LocalNode
from solgrid.localnet.store import LedgerStore
from solgrid.localnet.svm import create_lookup_table_svm, new_svm, send
from solgrid.sdk.lookup_tables import ADDRESS_LOOKUP_TABLE_PROGRAM_ID, create_lookup_table

REPO = Path(__file__).resolve().parents[2]
MINT_LEN, TOKEN_ACCOUNT_LEN = 82, 165


def test_the_engine_holds_exactly_the_validators_program_accounts() -> None:
    svm = new_svm()
    for want in expected_accounts():
        got = svm.get_account(Pubkey.from_string(want.address))
        assert got is not None, want.address
        assert (got.lamports, str(got.owner), got.executable, got.rent_epoch) == (
            want.lamports,
            want.owner,
            want.executable,
            want.rent_epoch,
        ), want.address
        assert bytes(got.data) == want.data, want.address


@pytest.mark.asyncio(loop_scope="module")
async def test_the_node_serves_them_with_rent_epoch_u64_max(node: LocalNode) -> None:
    for want in expected_accounts():
        got = await rpc_account(node.rpc_url, want.address)
        assert digest(got) == digest(as_rpc(want)), want.address


def test_spl_token_transfer_mint_to_and_ata_create_run_with_the_validators_units() -> None:
    svm = new_svm()
    payer, mint, source, owner = Keypair(), Keypair(), Keypair(), Keypair()
    svm.airdrop(payer.pubkey(), 10**10)
    send(
        svm,
        payer,
        [
            create_account(
                CreateAccountParams(
                    from_pubkey=payer.pubkey(),
                    to_pubkey=mint.pubkey(),
                    lamports=svm.minimum_balance_for_rent_exemption(MINT_LEN),
                    space=MINT_LEN,
                    owner=TOKEN_PROGRAM_ID,
                )
            ),
            token.initialize_mint(
                token.InitializeMintParams(
                    decimals=0, mint=mint.pubkey(), mint_authority=payer.pubkey(), program_id=TOKEN_PROGRAM_ID
                )
            ),
            create_account(
                CreateAccountParams(
                    from_pubkey=payer.pubkey(),
                    to_pubkey=source.pubkey(),
                    lamports=svm.minimum_balance_for_rent_exemption(TOKEN_ACCOUNT_LEN),
                    space=TOKEN_ACCOUNT_LEN,
                    owner=TOKEN_PROGRAM_ID,
                )
            ),
            token.initialize_account(
                token.InitializeAccountParams(
                    account=source.pubkey(),
                    mint=mint.pubkey(),
                    owner=payer.pubkey(),
                    program_id=TOKEN_PROGRAM_ID,
                )
            ),
        ],
        [mint, source],
    )
    create_ata = send(
        svm, payer, [token.create_associated_token_account(payer.pubkey(), owner.pubkey(), mint.pubkey())]
    )
    ata = token.get_associated_token_address(owner.pubkey(), mint.pubkey())
    assert "Program log: Initialize the associated token account" in create_ata.logs
    minted = send(
        svm,
        payer,
        [
            token.mint_to(
                token.MintToParams(
                    program_id=TOKEN_PROGRAM_ID,
                    mint=mint.pubkey(),
                    dest=source.pubkey(),
                    mint_authority=payer.pubkey(),
                    amount=1_000,
                )
            )
        ],
    )
    moved = send(
        svm,
        payer,
        [
            token.transfer(
                token.TransferParams(
                    program_id=TOKEN_PROGRAM_ID,
                    source=source.pubkey(),
                    dest=ata,
                    owner=payer.pubkey(),
                    amount=250,
                )
            )
        ],
    )
    # p-token 1.0.0 as solana-test-validator 4.2.2 runs it (measured there: MintTo 120, Transfer 76)
    assert minted.program_cu(TOKEN_PROGRAM_ID) == 120
    assert moved.program_cu(TOKEN_PROGRAM_ID) == 76
    account = svm.get_account(ata)
    assert account is not None
    assert int.from_bytes(bytes(account.data)[64:72], "little") == 250


def test_core_bpf_programs_replace_the_builtins() -> None:
    """ALT, config, feature gate and stake are the crate's loader-v3 programs, and the ALT one is what runs:
    CreateLookupTable logs its instruction name and costs what the BPF program costs (the builtin logged
    nothing and charged a flat 750 units); the table then works in a v0 transaction."""
    for program in program_binaries.PROGRAMS[6:]:
        account = new_svm().get_account(program.program_id)
        assert account is not None and account.owner == program_binaries.LOADER_V3 and account.executable
    svm = new_svm()
    payer = Keypair()
    svm.airdrop(payer.pubkey(), 10**10)
    slot = svm.get_clock().slot
    svm.set_slot_hashes([(slot, svm.latest_blockhash())])
    svm.warp_to_slot(slot + 1)
    ix, _ = create_lookup_table(payer.pubkey(), payer.pubkey(), slot)
    sent = send(svm, payer, [ix])
    assert "Program log: Instruction: CreateLookupTable" in sent.logs
    assert sent.program_cu(ADDRESS_LOOKUP_TABLE_PROGRAM_ID) > 3_000
    svm.expire_blockhash()
    filled = create_lookup_table_svm(svm, payer, [Keypair().pubkey() for _ in range(3)])
    table = svm.get_account(filled.key)
    assert table is not None and table.owner == ADDRESS_LOOKUP_TABLE_PROGRAM_ID
    assert len(bytes(table.data)) == 56 + 3 * 32


@pytest.mark.asyncio(loop_scope="module")
async def test_rent_epoch_of_written_accounts_is_the_validators(node: LocalNode, client: AsyncClient) -> None:
    """As on the validator: a genesis account reports 0 until a successful transaction writes it, a new or
    rent-exempt account written by one reports u64::MAX, and a failed transaction leaves its fee payer's
    rent epoch as it was."""
    payer = Keypair()
    node.chain.set_account(payer.pubkey(), Account(10**10, b"", Pubkey.default()))
    at_genesis = await rpc_account(node.rpc_url, str(payer.pubkey()))
    assert at_genesis is not None and at_genesis["rentEpoch"] == 0
    too_much = transfer(
        TransferParams(from_pubkey=payer.pubkey(), to_pubkey=Keypair().pubkey(), lamports=10**12)
    )
    await send_rpc(client, payer, [too_much], skip_preflight=True)  # fails in the program, pays its fee
    after_failure = await rpc_account(node.rpc_url, str(payer.pubkey()))
    assert after_failure is not None and after_failure["lamports"] == 10**10 - 5_000
    assert after_failure["rentEpoch"] == 0
    recipient = Keypair().pubkey()
    await send_rpc(
        client,
        payer,
        [transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=recipient, lamports=10**9))],
    )
    for pubkey in (payer.pubkey(), recipient):
        account = await rpc_account(node.rpc_url, str(pubkey))
        assert account is not None and account["rentEpoch"] == U64_MAX


def test_the_ledger_keeps_u64_rent_epochs(tmp_path: Path) -> None:
    store = LedgerStore(tmp_path / "ledger.sqlite")
    key = Keypair().pubkey()
    store.put_accounts([(key, Account(5, b"x", Pubkey.default(), False, U64_MAX))])
    store.commit()
    assert [a.rent_epoch for k, a in store.iter_accounts() if k == key] == [U64_MAX]
    store.close()


def _run_installer(cache: Path, url: str) -> subprocess.CompletedProcess[str]:
    """The installer with its cache in ``cache`` and the ELFs going to ``cache/elves`` (not the venv)."""
    code = (
        "import pathlib, runpy, sys\n"
        "from solgrid.localnet import program_binaries as p\n"
        f"p.CRATE_URL = {url!r}\n"
        f"p.binaries_dir = lambda: pathlib.Path({str(cache / 'elves')!r})\n"
        f"sys.argv = ['install_program_binaries.py']\n"
        f"runpy.run_path({str(REPO / 'scripts' / 'install_program_binaries.py')!r}, run_name='__main__')\n"
    )
    env = {"SOLGRID_CACHE_DIR": str(cache), "PATH": "/usr/bin:/bin", "HOME": str(cache)}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False)


def test_setup_installs_the_pinned_elves_and_refuses_another_crate(tmp_path: Path) -> None:
    crate = cache_dir() / "crates" / f"{program_binaries.CRATE}-{program_binaries.VERSION}.crate"
    assert crate.is_file(), "scripts/setup.sh caches the crate"
    good = _run_installer(tmp_path / "good", crate.as_uri())
    assert good.returncode == 0, good.stderr
    installed = tmp_path / "good" / "elves"
    assert program_binaries.missing_or_changed(installed) == []
    assert expected_accounts(installed) == expected_accounts()
    again = _run_installer(tmp_path / "good", (tmp_path / "nowhere.crate").as_uri())
    assert again.returncode == 0 and again.stdout == ""  # in place: nothing downloaded

    forged = tmp_path / "forged.crate"
    data = bytearray(crate.read_bytes())
    data[len(data) // 2] ^= 0xFF
    forged.write_bytes(bytes(data))
    bad = _run_installer(tmp_path / "bad", forged.as_uri())
    assert bad.returncode == 1
    assert (
        bad.stderr.count("\n") == 1 and "sha256" in bad.stderr and program_binaries.CRATE_SHA256 in bad.stderr
    )
    missing = _run_installer(tmp_path / "missing", (tmp_path / "nowhere.crate").as_uri())
    assert missing.returncode == 1 and missing.stderr.count("\n") == 1 and "cannot download" in missing.stderr

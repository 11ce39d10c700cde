"""Transactions of every program the RPC's jsonParsed encoding parses (System, SPL Token, Token-2022,
Associated Token Account, Memo v1/v3, address lookup tables, the upgradeable loader), sent to a node
over JSON-RPC; what getTransaction ``jsonParsed`` and simulateTransaction ``innerInstructions`` answer
for each, so that the same scenario can be compared between the local node and a real validator.

Keys derive from a salt, so two runs with the same salt use the same addresses; what differs by design
(a lookup table's address and recent slot, blockhashes, signatures) is replaced by a placeholder.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from solders.hash import Hash
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.message import Message
from solders.pubkey import Pubkey
from solders.system_program import ID as SYSTEM
from solders.system_program import (
    AllocateParams,
    AssignParams,
    CreateAccountParams,
    CreateAccountWithSeedParams,
    TransferParams,
    allocate,
    assign,
    create_account,
    create_account_with_seed,
    transfer,
)
from solders.sysvar import RENT
from solders.transaction import Transaction
from spl.token.instructions import (
    create_associated_token_account,
    get_associated_token_address,
)

from solgrid.sdk import loader
from solgrid.sdk.lookup_tables import create_lookup_table, extend_lookup_table

TOKEN = Pubkey.from_string("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA")
TOKEN_2022 = Pubkey.from_string("TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb")
ATA = Pubkey.from_string("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL")
MEMO_V1 = Pubkey.from_string("Memo1UhkJRfHyvLMcVucJwxXeuD728EqVDDwQDxFMNo")
MEMO_V3 = Pubkey.from_string("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr")
LOOKUP_TABLE = Pubkey.from_string("AddressLookupTab1e1111111111111111111111111")
SOL = 1_000_000_000
REPO = Path(__file__).resolve().parents[1]
PROGRAM_ELF = REPO / "target" / "deploy" / "energy_token.so"


def token_ix(program: Pubkey, data: bytes, accounts: Sequence[tuple[Pubkey, bool, bool]]) -> Instruction:
    """A token-program instruction: ``accounts`` as (key, signer, writable)."""
    return Instruction(program, data, [AccountMeta(k, s, w) for k, s, w in accounts])


def _amount(tag: int, amount: int, decimals: int | None = None) -> bytes:
    return bytes([tag]) + struct.pack("<Q", amount) + (b"" if decimals is None else bytes([decimals]))


@dataclass
class Run:
    """One node's run of the scenario: its answers by label, and its placeholders."""

    url: str
    salt: bytes
    answers: dict[str, Any] = field(default_factory=dict)
    placeholders: dict[str, str] = field(default_factory=dict)

    def key(self, name: str) -> Keypair:
        return Keypair.from_seed(hashlib.sha256(self.salt + name.encode()).digest())

    def pk(self, name: str) -> Pubkey:
        return self.key(name).pubkey()

    async def call(self, method: str, params: list[Any]) -> Any:
        async with httpx.AsyncClient(timeout=30) as http:
            body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
            reply = (await http.post(self.url, json=body)).json()
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply["result"]

    async def _blockhash(self) -> Hash:
        answer = await self.call("getLatestBlockhash", [{"commitment": "confirmed"}])
        return Hash.from_string(answer["value"]["blockhash"])

    async def sign(self, ixs: Sequence[Instruction], signers: Sequence[Keypair]) -> Transaction:
        message = Message.new_with_blockhash(list(ixs), signers[0].pubkey(), await self._blockhash())
        return Transaction(list(signers), message, message.recent_blockhash)

    async def _confirm(self, signature: str) -> None:
        for _ in range(240):
            statuses = await self.call("getSignatureStatuses", [[signature]])
            status = statuses["value"][0]
            if status is not None and status["confirmationStatus"] in ("confirmed", "finalized"):
                return
            await asyncio.sleep(0.25)
        raise TimeoutError(f"{signature} not confirmed")

    async def send(self, label: str, ixs: Sequence[Instruction], signers: Sequence[Keypair]) -> None:
        """Send (without preflight: a failing transaction lands too) and record its jsonParsed form."""
        tx = await self.sign(ixs, signers)
        encoded = base64.b64encode(bytes(tx)).decode()
        config = {"encoding": "base64", "skipPreflight": True}
        signature = await self.call("sendTransaction", [encoded, config])
        await self._confirm(signature)
        parsed_config = {
            "encoding": "jsonParsed",
            "commitment": "confirmed",
            "maxSupportedTransactionVersion": 0,
        }
        got = await self.call("getTransaction", [signature, parsed_config])
        self.answers[label] = {
            "instructions": got["transaction"]["message"]["instructions"],
            "innerInstructions": got["meta"]["innerInstructions"],
            "failed": got["meta"]["err"] is not None,
        }

    async def simulate(self, label: str, ixs: Sequence[Instruction], signers: Sequence[Keypair]) -> None:
        tx = await self.sign(ixs, signers)
        encoded = base64.b64encode(bytes(tx)).decode()
        config = {"encoding": "base64", "commitment": "confirmed", "innerInstructions": True}
        value = (await self.call("simulateTransaction", [encoded, config]))["value"]
        self.answers[label] = {"err": value["err"], "innerInstructions": value["innerInstructions"]}

    async def fund(self, *names: str) -> None:
        for name in names:
            signature = await self.call("requestAirdrop", [str(self.pk(name)), 20 * SOL])
            await self._confirm(signature)

    def normalized(self) -> Any:
        """The answers with what differs by design (the lookup table's address, recent slot and bump
        seed) replaced by placeholders."""

        def walk(value: Any, key: str = "") -> Any:
            if isinstance(value, dict):
                return {k: walk(v, k) for k, v in value.items()}
            if isinstance(value, list):
                return [walk(v) for v in value]
            if key in ("recentSlot", "bumpSeed"):
                return f"<{key}>"
            if isinstance(value, str):
                return self.placeholders.get(value, value)
            return value

        return walk(self.answers)


async def _rent(run: Run, space: int) -> int:
    return int(await run.call("getMinimumBalanceForRentExemption", [space]))


def _create(run: Run, payer: Pubkey, new: str, lamports: int, space: int, owner: Pubkey) -> Instruction:
    return create_account(
        CreateAccountParams(
            from_pubkey=payer, to_pubkey=run.pk(new), lamports=lamports, space=space, owner=owner
        )
    )


async def system_steps(run: Run) -> None:
    p = run.pk("payer")
    await run.send(
        "system",
        [
            transfer(TransferParams(from_pubkey=p, to_pubkey=run.pk("sys-dest"), lamports=SOL)),
            allocate(AllocateParams(pubkey=run.pk("sys-alloc"), space=64)),
            assign(AssignParams(pubkey=run.pk("sys-alloc"), owner=TOKEN)),
            create_account_with_seed(
                CreateAccountWithSeedParams(
                    from_pubkey=p,
                    to_pubkey=Pubkey.create_with_seed(p, "seed-1", TOKEN),
                    base=p,
                    seed="seed-1",
                    lamports=await _rent(run, 10),
                    space=10,
                    owner=TOKEN,
                )
            ),
        ],
        [run.key("payer"), run.key("sys-alloc")],
    )


async def token_steps(run: Run, program: Pubkey, tag: str) -> None:
    p, q = run.pk("payer"), run.pk("other")
    signers = [run.key("payer")]
    mint, a, b, c = (run.pk(f"{tag}-{n}") for n in ("mint", "a", "b", "c"))
    mint_rent, account_rent = await _rent(run, 82), await _rent(run, 165)
    init_mint = bytes([0, 6]) + bytes(p) + b"\x01" + bytes(p)
    await run.send(
        f"{tag}-setup",
        [
            _create(run, p, f"{tag}-mint", mint_rent, 82, program),
            token_ix(program, init_mint, [(mint, False, True), (RENT, False, False)]),
            _create(run, p, f"{tag}-a", account_rent, 165, program),
            token_ix(
                program,
                b"\x01",
                [(a, False, True), (mint, False, False), (p, False, False), (RENT, False, False)],
            ),
            _create(run, p, f"{tag}-b", account_rent, 165, program),
            token_ix(
                program, b"\x10" + bytes(q), [(b, False, True), (mint, False, False), (RENT, False, False)]
            ),
            _create(run, p, f"{tag}-c", account_rent, 165, program),
            token_ix(program, b"\x12" + bytes(p), [(c, False, True), (mint, False, False)]),
        ],
        [*signers, run.key(f"{tag}-mint"), run.key(f"{tag}-a"), run.key(f"{tag}-b"), run.key(f"{tag}-c")],
    )
    await run.send(
        f"{tag}-amounts",
        [
            token_ix(
                program, _amount(7, 1_000_000), [(mint, False, True), (a, False, True), (p, True, False)]
            ),
            token_ix(
                program, _amount(14, 2_500_000, 6), [(mint, False, True), (a, False, True), (p, True, False)]
            ),
            token_ix(program, _amount(3, 1_000), [(a, False, True), (b, False, True), (p, True, False)]),
            token_ix(
                program,
                _amount(12, 1_234_567, 6),
                [(a, False, True), (mint, False, False), (b, False, True), (p, True, False)],
            ),
            token_ix(program, _amount(4, 10), [(a, False, True), (q, False, False), (p, True, False)]),
            token_ix(
                program,
                _amount(13, 20, 6),
                [(a, False, True), (mint, False, False), (q, False, False), (p, True, False)],
            ),
            token_ix(program, b"\x05", [(a, False, True), (p, True, False)]),
            token_ix(program, _amount(8, 5), [(a, False, True), (mint, False, True), (p, True, False)]),
            token_ix(program, _amount(15, 7, 6), [(a, False, True), (mint, False, True), (p, True, False)]),
        ],
        signers,
    )
    await run.send(
        f"{tag}-authorities",
        [
            token_ix(program, b"\x0a", [(c, False, True), (mint, False, False), (p, True, False)]),
            token_ix(program, b"\x0b", [(c, False, True), (mint, False, False), (p, True, False)]),
            token_ix(program, b"\x09", [(c, False, True), (p, False, True), (p, True, False)]),
            token_ix(program, bytes([6, 3, 1]) + bytes(p), [(b, False, True), (q, True, False)]),
            token_ix(program, bytes([6, 1, 0]), [(mint, False, True), (p, True, False)]),
        ],
        [*signers, run.key("other")],
    )
    await run.send(
        f"{tag}-queries",
        [
            token_ix(program, b"\x15", [(mint, False, False)]),
            token_ix(program, b"\x15\x07\x00", [(mint, False, False)]),
            token_ix(program, _amount(23, 12_345), [(mint, False, False)]),
            token_ix(program, b"\x181.5", [(mint, False, False)]),
        ],
        signers,
    )
    multisig, d = run.pk(f"{tag}-multisig"), run.pk(f"{tag}-d")
    await run.send(
        f"{tag}-multisig",
        [
            _create(run, p, f"{tag}-multisig", await _rent(run, 355), 355, program),
            token_ix(
                program,
                b"\x02\x01",
                [(multisig, False, True), (RENT, False, False), (p, False, False), (q, False, False)],
            ),
            _create(run, p, f"{tag}-d", account_rent, 165, program),
            token_ix(program, b"\x12" + bytes(multisig), [(d, False, True), (mint, False, False)]),
            token_ix(
                program,
                _amount(3, 0),
                [(d, False, True), (a, False, True), (multisig, False, False), (p, True, False)],
            ),
        ],
        [*signers, run.key(f"{tag}-multisig"), run.key(f"{tag}-d")],
    )


async def ata_steps(run: Run) -> None:
    p, mint = run.pk("payer"), run.pk("tok-mint")
    await run.simulate(
        "simulate-ata-create",
        [create_associated_token_account(p, run.pk("sim-wallet"), mint)],
        [run.key("payer")],
    )
    wallet = run.pk("ata-wallet")
    create = create_associated_token_account(p, wallet, mint)
    idempotent = Instruction(ATA, b"\x01", create.accounts)
    await run.send("ata", [create, idempotent], [run.key("payer")])
    ata = get_associated_token_address(wallet, mint)
    a = run.pk("tok-a")
    move = token_ix(
        TOKEN,
        _amount(12, 99, 6),
        [(a, False, True), (mint, False, False), (ata, False, True), (p, True, False)],
    )
    await run.simulate("simulate-token-transfer", [move], [run.key("payer")])
    nested = Instruction(
        ATA,
        b"\x02",
        [AccountMeta(run.pk(f"nested-{i}"), False, i in (0, 2)) for i in range(6)]
        + [AccountMeta(TOKEN, False, False)],
    )
    await run.send("ata-recover-nested-probe", [nested], [run.key("payer")])


async def token_2022_ata_steps(run: Run) -> None:
    """An ATA of a Token-2022 mint (its creation CPIs getAccountDataSize, initializeImmutableOwner)."""
    p = run.pk("payer")
    create = create_associated_token_account(
        p, run.pk("t22-wallet"), run.pk("t22-mint"), token_program_id=TOKEN_2022
    )
    await run.send("ata-2022", [create], [run.key("payer")])


async def memo_steps(run: Run) -> None:
    await run.send(
        "memo",
        [Instruction(MEMO_V1, "grid ⚡ v1".encode(), []), Instruction(MEMO_V3, b"grid v3", [])],
        [run.key("payer")],
    )
    await run.send("memo-not-utf8", [Instruction(MEMO_V1, b"\xff\xfe", [])], [run.key("payer")])


async def lookup_table_steps(run: Run) -> None:
    p = run.pk("payer")
    slot = int(await run.call("getSlot", [{"commitment": "finalized"}]))
    create, table = create_lookup_table(p, p, slot)
    run.placeholders[str(table)] = "<table>"
    extend = extend_lookup_table(table, p, p, [run.pk("sys-dest"), TOKEN])
    await run.send("lookup-table", [create, extend], [run.key("payer")])
    freeze = Instruction(
        LOOKUP_TABLE, struct.pack("<I", 1), [AccountMeta(table, False, True), AccountMeta(p, True, False)]
    )
    deactivate = Instruction(
        LOOKUP_TABLE, struct.pack("<I", 3), [AccountMeta(table, False, True), AccountMeta(p, True, False)]
    )
    await run.send("lookup-table-deactivate", [deactivate, freeze], [run.key("payer")])


async def loader_steps(run: Run) -> None:
    """What ``solgrid deploy`` sends: buffer, writes, program account and deploy, authority change."""
    p, buffer, program = run.pk("payer"), run.pk("buffer"), run.pk("program")
    elf = PROGRAM_ELF.read_bytes()
    buffer_rent = await _rent(run, loader.BUFFER_HEADER_LEN + len(elf))
    await run.send(
        "loader-buffer",
        [loader.create_buffer(p, buffer, buffer_rent, len(elf)), loader.initialize_buffer(buffer, p)],
        [run.key("payer"), run.key("buffer")],
    )
    chunk = 900
    for offset in range(0, len(elf), chunk):
        label = "loader-write" if offset == 0 else f"loader-write-{offset}"
        await run.send(
            label, [loader.write(buffer, p, offset, elf[offset : offset + chunk])], [run.key("payer")]
        )
    await run.send(
        "loader-deploy",
        [
            loader.create_program_account(p, program, await _rent(run, loader.PROGRAM_ACCOUNT_LEN)),
            loader.deploy_with_max_data_len(p, program, buffer, p, 2 * len(elf)),
        ],
        [run.key("payer"), run.key("program")],
    )
    await run.send(
        "loader-set-authority",
        [loader.set_upgrade_authority(program, p, run.pk("other"))],
        [run.key("payer")],
    )


async def probe_steps(run: Run) -> None:
    """Instructions that fail but are shown parsed or not: newer or malformed variants."""
    p, mint, a, b = run.pk("payer"), run.pk("tok-mint"), run.pk("tok-a"), run.pk("tok-b")
    probes = {
        "probe-system-13": Instruction(
            SYSTEM, struct.pack("<IQQ", 13, 0, 0) + bytes(TOKEN), [AccountMeta(run.pk("x"), True, True)]
        ),
        "probe-system-short": Instruction(
            SYSTEM, struct.pack("<I", 2), [AccountMeta(p, True, True), AccountMeta(a, False, True)]
        ),
        "probe-token-45": token_ix(
            TOKEN, b"\x2d\x00", [(a, False, True), (b, False, True), (p, True, False)]
        ),
        "probe-token-batch": token_ix(
            TOKEN, b"\xff\x03\x09" + _amount(3, 1), [(a, False, True), (b, False, True), (p, True, False)]
        ),
        "probe-token-no-accounts": token_ix(TOKEN, b"\x11", []),
        "probe-token-extension-28": token_ix(TOKEN_2022, b"\x15\x1c\x00", [(mint, False, False)]),
        "probe-loader-migrate": Instruction(
            loader.LOADER_V3,
            struct.pack("<I", 8),
            [AccountMeta(k, False, True) for k in (a, b)] + [AccountMeta(p, True, False)],
        ),
        "probe-loader-extend-checked": Instruction(
            loader.LOADER_V3,
            struct.pack("<II", 9, 1024),
            [AccountMeta(k, False, True) for k in (a, b)] + [AccountMeta(p, True, False)],
        ),
    }
    for label, ix in probes.items():
        signers = [run.key("payer"), run.key("x")] if label == "probe-system-13" else [run.key("payer")]
        await run.send(label, [ix], signers)


async def run_scenario(url: str, salt: bytes) -> Run:
    run = Run(url, salt)
    await run.fund("payer", "other")
    await system_steps(run)
    await token_steps(run, TOKEN, "tok")
    await token_steps(run, TOKEN_2022, "t22")
    await ata_steps(run)
    await token_2022_ata_steps(run)
    await memo_steps(run)
    await lookup_table_steps(run)
    await loader_steps(run)
    await probe_steps(run)
    return run

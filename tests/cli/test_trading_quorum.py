"""Regulator actions on markets need the registry's threshold of regulator signatures: on a node of its
own whose registry has two regulators and threshold 2, the wallet alone is refused before anything is
sent, and ``--cosigner`` with the second regulator's keypair file completes the quorum."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solders.keypair import Keypair
from trading_support import create_quote_mint
from wallet_support import invoke, one_line_error, write_key

from solgrid.sdk.energy_token import EnergyTokenClient
from solgrid.sdk.registry import Limits, RegistryClient
from solgrid.sdk.transactions import send_and_confirm

ZONE = 7


async def _two_regulators(url: str, first: Keypair, second: Keypair) -> None:
    """Registry with regulators ``first`` and ``second`` (threshold 2), zone ZONE, the GRID mint."""
    registry, token = RegistryClient(), EnergyTokenClient()
    me = first.pubkey()
    async with AsyncClient(url, commitment=Confirmed) as rpc:
        for ix, signers in (
            (registry.initialize(payer=me, authority=me, limits=Limits()), []),
            (registry.set_regulators(regulators=[me, second.pubkey()], threshold=2, cosigners=[me]), []),
            (
                registry.set_settlement_authority(
                    settlement_authority=token.settlement_pda().address, cosigners=[me, second.pubkey()]
                ),
                [second],
            ),
            (
                registry.create_zone(
                    payer=me, zone_id=ZONE, name="quorum", max_capacity_kw=10, cosigners=[me, second.pubkey()]
                ),
                [second],
            ),
            (token.initialize(payer=me, authority=me), []),
        ):
            await send_and_confirm(rpc, [ix], first, signers, coders=[registry.coder, token.coder])


def test_market_actions_need_the_quorum(
    tmp_path: Path, fresh_rpc_url: str, upgrade_authority: Keypair
) -> None:
    second = Keypair()
    asyncio.run(_two_regulators(fresh_rpc_url, upgrade_authority, second))
    first_key = write_key(tmp_path / "first.json", upgrade_authority)
    second_key = write_key(tmp_path / "second.json", second)
    common = ["--url", fresh_rpc_url, "-k", str(first_key)]

    def ok(*args: str) -> Any:
        result = invoke(*args, *common, "--json")
        assert result.exit_code == 0, (args, result.stderr)
        return json.loads(result.stdout)

    mint = create_quote_mint(fresh_rpc_url, upgrade_authority)
    create = [
        "market",
        "create",
        str(ZONE),
        "--quote-mint",
        str(mint),
        "--tick-size",
        "10",
        "--lot-size-wh",
        "100",
    ]
    one_line_error(invoke(*create, *common), 1, "trading is not initialized")
    initialized = ok("trading", "init")
    assert initialized["signature"] is not None and initialized["base_mint"] == str(EnergyTokenClient().mint)
    assert ok("trading", "init")["signature"] is None

    one_line_error(
        invoke(*create, *common),
        1,
        "this action needs 2 regulator signature(s); the wallet and --cosigner keys give 1",
    )
    outsider = write_key(tmp_path / "outsider.json", Keypair())
    one_line_error(invoke(*create, "--cosigner", str(outsider), *common), 1, "give 1")
    created = ok(*create, "--cosigner", str(second_key))
    assert created["zone_id"] == ZONE

    one_line_error(invoke("market", "update", str(ZONE), "--maker-fee-bps", "5", *common), 1, "needs 2")
    updated = ok("market", "update", str(ZONE), "--maker-fee-bps", "5", "--cosigner", str(second_key))
    assert (updated["maker_fee_bps"], updated["taker_fee_bps"], updated["status"]) == (5, 25, "ACTIVE")
    assert (updated["tick_size"], updated["lot_size_wh"]) == (10, 100)
    # No order rests yet: tick and lot size may change (their product a multiple of 1000).
    resized = ok(
        "market",
        "update",
        str(ZONE),
        "--tick-size",
        "20",
        "--lot-size-wh",
        "50",
        "--cosigner",
        str(second_key),
    )
    assert (resized["tick_size"], resized["lot_size_wh"], resized["maker_fee_bps"]) == (20, 50, 5)
    one_line_error(
        invoke("market", "update", str(ZONE), "--tick-size", "3", "--cosigner", str(second_key), *common),
        2,
        "must be a multiple of 1000",
    )
    trader = Keypair().pubkey()
    made = ok("market", "maker", str(ZONE), str(trader), "--cosigner", str(second_key))
    assert (made["trader"], made["enabled"], made["seat"], made["seat_created"]) == (
        str(trader),
        True,
        0,
        True,
    )
    shown = ok("market", "show", str(ZONE))
    assert (shown["seats"], shown["maker_fee_bps"], shown["tick_size"], shown["lot_size_wh"]) == (
        1,
        5,
        20,
        50,
    )

    # Once the registry hands privileged actions to a governance program, co-signing no longer suffices.
    governance = Keypair().pubkey()

    async def hand_over() -> None:
        registry = RegistryClient()
        me = upgrade_authority.pubkey()
        ix = registry.set_governance(governance_program=governance, cosigners=[me, second.pubkey()])
        async with AsyncClient(fresh_rpc_url, commitment=Confirmed) as rpc:
            await send_and_confirm(rpc, [ix], upgrade_authority, [second], coders=[registry.coder])

    asyncio.run(hand_over())
    one_line_error(
        invoke("market", "update", str(ZONE), "--maker-fee-bps", "6", "--cosigner", str(second_key), *common),
        1,
        f"the registry hands privileged actions to the governance program {governance}",
    )

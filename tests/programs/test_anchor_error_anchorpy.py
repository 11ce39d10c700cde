"""anchorpy against a node: a failing registry instruction sent through anchorpy's ``Program`` raises
anchorpy's ``ProgramError`` with the registry's code and IDL message, and its logs carry the registry's
``AnchorError occurred`` line naming the error, under the registry's invoke. Runs on the local node and
on the real validator (compat).

anchorpy (anchorpy3 0.4.5) reads the code from the first ``Program <id> failed: custom program error``
line, checks that ``<id>`` is the program it called, and takes the message from the IDL; the error's name
is the one the ``AnchorError`` line gives (Anchor's TypeScript client parses that line, see
tests/anchor_ts).
"""

from __future__ import annotations

import pytest
from anchorpy.error import ProgramError
from anchorpy.program.core import Program
from anchorpy.provider import Provider, Wallet
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solders.keypair import Keypair

from anchor_error_lines import anchor_error_lines, idl_error_line
from node_market import ensure_market, funded
from solgrid.sdk.idl import load_idl
from solgrid.sdk.registry import RegistryClient, UserRole
from solgrid.sdk.transactions import send_and_confirm


async def test_anchorpy_names_a_registry_error_from_the_node(
    any_rpc_url: str, upgrade_authority: Keypair
) -> None:
    registry = RegistryClient()
    async with AsyncClient(any_rpc_url, commitment=Confirmed) as rpc:
        zone = await ensure_market(rpc, registry, upgrade_authority)
        user = await funded(rpc)
        ix = registry.register_user(
            payer=user.pubkey(), authority=user.pubkey(), role=UserRole.CONSUMER, zone_id=zone
        )
        await send_and_confirm(rpc, [ix], user, coders=[registry.coder])
        stranger = await funded(rpc)
        program = Program(load_idl("registry"), registry.program_id, Provider(rpc, Wallet(stranger)))
        with pytest.raises(ProgramError) as refused:
            await (
                program.methods["verify_user"]
                .accounts(
                    {
                        "regulator": stranger.pubkey(),
                        "config": registry.config_pda().address,
                        "user": registry.user_pda(user.pubkey()).address,
                    }
                )
                .rpc()
            )
    expected = idl_error_line("registry", "NotRegulator")
    assert (refused.value.code, refused.value.msg) == (expected.number, expected.message)
    assert refused.value.logs is not None
    assert anchor_error_lines(refused.value.logs) == [expected]

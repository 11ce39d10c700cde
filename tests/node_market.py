"""A registry market on the shared session node (``tests/conftest.py``'s ``rpc_url``), set up once.

The node is shared by every test (and by other programs' suites), so setup is idempotent and follows
one convention: the node's ``upgrade_authority`` initialises the registry, is its only regulator
(threshold 1) and creates zone :data:`NODE_ZONE_ID`. Tests build on that state and assert relative to it.
"""

from __future__ import annotations

from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solders.keypair import Keypair

from solgrid.sdk.registry import Limits, RegistryClient
from solgrid.sdk.transactions import send_and_confirm

NODE_ZONE_ID = 1
SOL = 1_000_000_000


async def funded(rpc: AsyncClient, lamports: int = 2 * SOL) -> Keypair:
    wallet = Keypair()
    airdrop = await rpc.request_airdrop(wallet.pubkey(), lamports)
    await rpc.confirm_transaction(airdrop.value, Confirmed)
    return wallet


async def ensure_market(rpc: AsyncClient, registry: RegistryClient, authority: Keypair) -> int:
    """Config, ``authority`` as regulator and zone NODE_ZONE_ID exist; returns the zone id."""
    coders = [registry.coder]
    if await registry.fetch_config(rpc) is None:
        ix = registry.initialize(payer=authority.pubkey(), authority=authority.pubkey(), limits=Limits())
        await send_and_confirm(rpc, [ix], authority, coders=coders)
    config = await registry.fetch_config(rpc)
    assert config is not None
    if not config.regulators:
        ix = registry.set_regulators(
            regulators=[authority.pubkey()], threshold=1, cosigners=[authority.pubkey()]
        )
        await send_and_confirm(rpc, [ix], authority, coders=coders)
    elif authority.pubkey() not in config.regulators or config.regulator_threshold != 1:
        raise RuntimeError("the shared node's registry regulators do not follow the test convention")
    if await registry.fetch_zone(rpc, NODE_ZONE_ID) is None:
        ix = registry.create_zone(
            payer=authority.pubkey(),
            zone_id=NODE_ZONE_ID,
            name="localnet",
            max_capacity_kw=100_000,
            cosigners=[authority.pubkey()],
        )
        await send_and_confirm(rpc, [ix], authority, coders=coders)
    return NODE_ZONE_ID

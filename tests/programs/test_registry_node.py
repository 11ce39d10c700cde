"""Readings end to end on the local node (JSON-RPC): six prosumers register, get verified, register and
activate meters; their devices sign readings; one v0 transaction with an address lookup table carries all
six readings through the Ed25519 precompile into ``submit_readings``."""

from __future__ import annotations

from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solders.keypair import Keypair

from node_market import ensure_market, funded
from solgrid.sdk.lookup_tables import (
    MAX_TRANSACTION_SIZE,
    create_lookup_table_rpc,
    send_v0,
    transaction_size,
    v0_transaction,
)
from solgrid.sdk.readings import DeviceSigner, Reading
from solgrid.sdk.registry import (
    EnergySource,
    MeterAccounts,
    MeterStatus,
    ReadingAccepted,
    RegistryClient,
    UserRole,
    UserStatus,
)
from solgrid.sdk.transactions import TransactionFailed, send_and_confirm

BATCH = 6
WINDOW = 60


async def test_six_signed_readings_in_one_v0_transaction(rpc_url: str, upgrade_authority: Keypair) -> None:
    registry = RegistryClient()
    coders = [registry.coder]
    regulator = upgrade_authority
    async with AsyncClient(rpc_url, Confirmed) as rpc:
        zone = await ensure_market(rpc, registry, regulator)
        meters: list[tuple[MeterAccounts, DeviceSigner]] = []
        for _ in range(BATCH):
            owner = await funded(rpc)
            device = DeviceSigner.generate()
            serial = bytes(Keypair().pubkey())  # unique per run on a shared node
            setup = [
                registry.register_user(
                    payer=owner.pubkey(), authority=owner.pubkey(), role=UserRole.PROSUMER, zone_id=zone
                ),
                registry.verify_user(regulator=regulator.pubkey(), wallet=owner.pubkey()),
                registry.register_meter(
                    payer=owner.pubkey(),
                    owner=owner.pubkey(),
                    zone_id=zone,
                    serial=serial,
                    device_key=device.public_key,
                    source=EnergySource.SOLAR,
                    capacity_w=10_000,
                ),
                registry.activate_meter(
                    regulator=regulator.pubkey(), meter=registry.meter_pda(serial).address
                ),
            ]
            await send_and_confirm(rpc, setup, owner, [regulator], coders=coders)
            user = await registry.fetch_user(rpc, owner.pubkey())
            assert user is not None and user.status == UserStatus.VERIFIED
            meters.append((registry.meter_accounts(serial, owner.pubkey(), zone), device))

        table = await create_lookup_table_rpc(
            rpc, regulator, registry.lookup_addresses([m for m, _ in meters])
        )

        # Each meter's window starts at its activation time; a 60 s window may end up to the clock skew
        # (60 s) ahead of the cluster time, so the batch is valid as soon as it is built.
        batch = []
        for i, (accounts, device) in enumerate(meters):
            info = (await rpc.get_account_info(accounts.meter)).value
            assert info is not None
            meter = registry.decode_meter(bytes(info.data))
            assert meter.status == MeterStatus.ACTIVE
            start = meter.last_window_end
            reading = Reading(start, start + WINDOW, 100 + i, 10 * i)
            batch.append((accounts, device.sign(registry.program_id, accounts.meter, reading)))
        ixs = registry.reading_batch(batch)
        relayer = await funded(rpc)
        blockhash = (await rpc.get_latest_blockhash()).value.blockhash
        size = transaction_size(v0_transaction(ixs, relayer, [], blockhash, [table]))
        assert size <= MAX_TRANSACTION_SIZE

        landed = await send_v0(rpc, ixs, relayer, (), [table], coders=coders)
        events = [e for e in registry.events(landed.logs) if isinstance(e, ReadingAccepted)]
        assert [e.meter for e in events] == [a.meter for a, _ in batch]
        for i, (accounts, signed) in enumerate(batch):
            data = (await rpc.get_account_info(accounts.meter)).value
            assert data is not None
            meter = registry.decode_meter(bytes(data.data))
            assert (meter.produced_wh, meter.consumed_wh, meter.reading_count) == (100 + i, 10 * i, 1)
            assert meter.last_window_end == signed.reading.window_end

        # The same readings again, relayed by someone else: every reading is now a replay.
        other = await funded(rpc)
        try:
            await send_v0(rpc, ixs, other, (), [table], coders=coders)
        except TransactionFailed as failed:
            assert str(failed).startswith("registry: WindowNotAfterLast (")
        else:
            raise AssertionError("a replayed batch landed")

"""What the keeper reads from the chain: the markets to keep, one market's state in two requests (the
market, then its zone, the registry's Config and its two epoch accounts), and the registry's meters."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import base58
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solana.rpc.types import MemcmpOpts
from solders.pubkey import Pubkey

from solgrid.automation.meter_settlement import fetch_meters
from solgrid.sdk.anchor import AccountDecodeError
from solgrid.sdk.registry import Meter, RegistryClient, ZoneStatus
from solgrid.sdk.registry_governance import PauseFlag, is_paused
from solgrid.sdk.trading import AuctionEpoch, MarketState, TradingClient


@dataclass(frozen=True)
class MarketSnapshot:
    """One market as the chain has it: the market account, its zone's status (None: no zone account),
    its epoch accounts (none for a continuous market) and whether the registry pauses trading in its
    zone or market-wide."""

    market: MarketState
    zone_status: ZoneStatus | None
    epochs: list[AuctionEpoch]
    trading_paused: bool = False


class MarketGone(Exception):
    """The market account does not exist (any more) or is not a trading market."""


async def read_market(
    rpc: AsyncClient, trading: TradingClient, registry: RegistryClient, address: Pubkey
) -> MarketSnapshot:
    """``address``'s snapshot, read in two requests (the market, then its zone, the registry's Config
    and its epoch accounts, whose addresses the market names)."""
    info = (await rpc.get_account_info(address, Confirmed)).value
    if info is None or info.owner != trading.program_id:
        raise MarketGone(f"{address} is not a market of the trading program {trading.program_id}")
    try:
        market = trading.decode_market(address, bytes(info.data))
    except AccountDecodeError as e:
        raise MarketGone(str(e)) from None
    zone = registry.zone_pda(market.header.zone_id).address
    epoch_addresses = (
        [trading.epoch_pda(address, slot).address for slot in (0, 1)] if market.header.periodic else []
    )
    addresses = [zone, registry.config_pda().address, *epoch_addresses]
    infos = (await rpc.get_multiple_accounts(addresses, Confirmed)).value
    zone_info, config_info, epoch_infos = infos[0], infos[1], infos[2:]
    zone_status = None
    market_pause = zone_pause = 0
    if zone_info is not None and zone_info.owner == registry.program_id:
        decoded = registry.decode_zone(bytes(zone_info.data))
        zone_status, zone_pause = decoded.status, decoded.paused
    if config_info is not None and config_info.owner == registry.program_id:
        market_pause = registry.decode_config(bytes(config_info.data)).paused
    epochs = [
        trading.decode_epoch(epoch_address, bytes(epoch_info.data), market)
        for epoch_address, epoch_info in zip(epoch_addresses, epoch_infos, strict=True)
        if epoch_info is not None and epoch_info.owner == trading.program_id
    ]
    paused = is_paused(market_pause, zone_pause, PauseFlag.TRADING)
    return MarketSnapshot(market, zone_status, epochs, paused)


async def market_addresses(rpc: AsyncClient, trading: TradingClient) -> list[Pubkey]:
    """Every market of the trading program (``getProgramAccounts`` on the Market discriminator)."""
    return [m.address for m in await trading.fetch_markets(rpc, Confirmed)]


async def registry_meters(rpc: AsyncClient, registry: RegistryClient) -> list[Meter]:
    """Every meter of the registry (``getProgramAccounts`` on the Meter discriminator)."""
    discriminator = base58.b58encode(registry.coder.account_discriminator("Meter")).decode()
    reply = await rpc.get_program_accounts(
        registry.program_id,
        commitment=Confirmed,
        encoding="base64",
        filters=[MemcmpOpts(offset=0, bytes=discriminator)],
    )
    return [registry.decode_meter(bytes(item.account.data)) for item in reply.value]


def serial_text(serial: bytes) -> str:
    """A meter's serial as configured: its bytes without the zero padding, as UTF-8."""
    return serial.rstrip(b"\0").decode(errors="replace")


async def meter_owners(
    rpc: AsyncClient, registry: RegistryClient, serials: Sequence[str]
) -> dict[str, Pubkey]:
    """The owner of each of ``serials`` the registry has (all of its meters when ``serials`` is empty)."""
    if not serials:
        return {serial_text(m.serial): m.owner for m in await registry_meters(rpc, registry)}
    addresses = [registry.meter_pda(s).address for s in serials]
    states = await fetch_meters(rpc, registry, addresses)
    return {s: m.owner for s, m in zip(serials, states, strict=True) if m is not None}

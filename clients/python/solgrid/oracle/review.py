"""What an operator does with readings the chain refused: list them with the reason, and, once the cause
is fixed (the meter registered or activated, the config corrected), put them back in the queue.

A reading goes back to pending only if it passes the checks a fresh reading would meet and the chain
can still take it: its meter is configured, the signature is the configured device key's, the meter is
registered and active on chain with that device key, its owner is verified (not suspended), its zone
is not halted, readings are not paused (in its zone or market-wide), its window starts at or after the
meter's last window on chain and is not older than the registry accepts. Whatever else the chain
refuses, the worker rejects again with the new reason.

A window that starts before the meter's on-chain ``last_window_end`` can never be applied. Activating a
meter moves that mark to the activation time, so readings refused while a meter was inactive (or in
maintenance) stay rejected for good: the registry does not take readings for the time it was off.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solders.pubkey import Pubkey

from solgrid.automation.meter_settlement import fetch_meters
from solgrid.automation.sender import cluster_time
from solgrid.errors import UserFacingError
from solgrid.oracle.config import OracleConfig
from solgrid.oracle.intake import signature_problem
from solgrid.oracle.queue import ReadingQueue, RejectedReading
from solgrid.sdk.registry import Meter, MeterStatus, RegistryClient, User, UserStatus, Zone, ZoneStatus
from solgrid.sdk.registry_governance import PauseFlag, is_paused


class ClusterUnreachable(UserFacingError):
    """The cluster named in the oracle config does not answer."""


@dataclass(frozen=True)
class ChainView:
    """What the requeue checks need from the chain."""

    meters: dict[str, Meter | None]
    users: dict[Pubkey, User]
    zones: dict[int, Zone]
    now: int
    max_reading_age_secs: int | None
    market_paused: int = 0
    """The registry's market-wide pause flags."""


@dataclass(frozen=True)
class Requeued:
    requeued: list[RejectedReading]
    skipped: list[tuple[RejectedReading, str]]


def requeue_problem(
    config: OracleConfig, registry: RegistryClient, chain: ChainView, row: RejectedReading
) -> str | None:
    """Why ``row`` cannot go back to the queue (None: it can)."""
    meter = config.meters.get(row.serial)
    if meter is None:
        return f"meter {row.serial!r} is not in the config"
    address = registry.meter_pda(row.serial).address
    problem = signature_problem(
        registry.program_id, meter, address, row.reading, row.public_key, row.signature
    )
    if problem is not None:
        return problem
    state = chain.meters.get(row.serial)
    if state is None:
        return f"meter {row.serial!r} is not registered on chain"
    if state.status != MeterStatus.ACTIVE:
        status = "in maintenance" if state.status == MeterStatus.MAINTENANCE else state.status.name.lower()
        return f"meter {row.serial!r} is {status} on chain, not active"
    if state.device_key != row.public_key:
        return (
            f"the device key of meter {row.serial!r} on chain is {Pubkey(state.device_key)}, not the signer"
        )
    user = chain.users.get(state.user)
    if user is None or user.status != UserStatus.VERIFIED:
        status = "not registered" if user is None else user.status.name.lower()
        return f"the owner of meter {row.serial!r} is {status} on chain, not verified"
    zone = chain.zones.get(state.zone_id)
    if zone is not None and zone.status == ZoneStatus.HALTED:
        return f"zone {state.zone_id} of meter {row.serial!r} is halted"
    if is_paused(chain.market_paused, zone.paused if zone is not None else 0, PauseFlag.READINGS):
        scope = "market-wide" if chain.market_paused & PauseFlag.READINGS else f"in zone {state.zone_id}"
        return f"readings are paused {scope} (meter {row.serial!r}) until a quorum of regulators resumes them"
    if row.reading.window_start < user.verified_at:
        return (
            f"the window starts before {user.verified_at}, when the owner of meter {row.serial!r} was "
            "last verified: energy from a suspension is never credited"
        )
    if zone is not None and row.reading.window_start < zone.reopened_at:
        return (
            f"the window starts before {zone.reopened_at}, when zone {state.zone_id} left its halt: "
            "energy from a halt is never credited"
        )
    if row.reading.window_start < state.last_window_end:
        return (
            f"the window starts before {state.last_window_end}, where the on-chain record of meter "
            f"{row.serial!r} goes on (its last reading or activation): it can never be applied"
        )
    age = chain.max_reading_age_secs
    if age is not None and row.reading.window_end + age < chain.now:
        return f"the window ended more than {age} s before the cluster clock: too old for the registry"
    return None


async def chain_view(config: OracleConfig, registry: RegistryClient, serials: Sequence[str]) -> ChainView:
    wanted = sorted(set(serials))
    try:
        async with AsyncClient(config.cluster, Confirmed, timeout=10) as rpc:
            states = await fetch_meters(rpc, registry, [registry.meter_pda(s).address for s in wanted])
            found = [m for m in states if m is not None]
            users = sorted({m.user for m in found}, key=bytes)
            zone_ids = sorted({m.zone_id for m in found})
            accounts = await _accounts(
                rpc, registry, [*users, *(registry.zone_pda(z).address for z in zone_ids)]
            )
            now = await cluster_time(rpc)
            registry_config = await registry.fetch_config(rpc)
    except UserFacingError:
        raise
    except Exception as e:
        cause = e.__cause__ or e  # solana-py wraps transport errors without a message of their own
        detail = f"{type(cause).__name__}: {cause}".rstrip(": ")
        raise ClusterUnreachable(f"cannot read the chain at {config.cluster}: {detail}") from None
    age = registry_config.limits.max_reading_age_secs if registry_config is not None else None
    market_paused = registry_config.paused if registry_config is not None else 0
    user_states = {
        address: registry.decode_user(data)
        for address, data in zip(users, accounts, strict=False)
        if data is not None
    }
    zones = {
        zone_id: registry.decode_zone(data)
        for zone_id, data in zip(zone_ids, accounts[len(users) :], strict=True)
        if data is not None
    }
    return ChainView(dict(zip(wanted, states, strict=True)), user_states, zones, now, age, market_paused)


async def _accounts(
    rpc: AsyncClient, registry: RegistryClient, addresses: Sequence[Pubkey]
) -> list[bytes | None]:
    """The data of the registry accounts at ``addresses`` (None where there is none)."""
    found: list[bytes | None] = []
    for start in range(0, len(addresses), 100):
        infos = (await rpc.get_multiple_accounts(list(addresses[start : start + 100]), Confirmed)).value
        found += [bytes(i.data) if i is not None and i.owner == registry.program_id else None for i in infos]
    return found


async def requeue(config: OracleConfig, queue: ReadingQueue, rows: Sequence[RejectedReading]) -> Requeued:
    """Check ``rows`` against the config and the chain; put those that pass back to pending."""
    registry = RegistryClient()
    chain = await chain_view(config, registry, [r.serial for r in rows])
    passed: list[RejectedReading] = []
    skipped: list[tuple[RejectedReading, str]] = []
    for row in rows:
        problem = requeue_problem(config, registry, chain, row)
        if problem is None:
            passed.append(row)
        else:
            skipped.append((row, problem))
    queue.requeue([r.id for r in passed])
    return Requeued(passed, skipped)

"""The demo's governance and certificate scenes (issue 14), after the markets of ``scripts/demo.py``.

1. The operator hands privileged actions to governance: ``solgrid gov init`` initializes the governance
   program and names it the registry's governance (from then on co-signing no longer works: ``market
   update`` says so), a proposal of the operator (still the only regulator) appoints three regulators with
   threshold 2, and one proposal per zone sets its emission factor, each approved by two of the three in
   separate transactions.
2. alice requests a certificate for the production her device-signed readings got accepted earlier (on a
   real-time cluster at night her panels produced nothing: bob's turbine stands in), a regulator validates
   it (the CO2 it avoided from zone 1's emission factor), she transfers the part that covers carol's metered
   consumption to carol (a split), and carol retires it for her household.
3. A fee change of zone 1's market is proposed with a timelock, approved by two of the three regulators in
   separate transactions, refused while the timelock runs, and executed by anyone after it (the local
   node's clock moves; on another cluster a short timelock is waited for).
4. One regulator pauses trading in zone 1: an order is refused by the CLI and, sent anyway, by the program;
   the seller withdraws the sale's proceeds while paused; a resume is proposed, approved and executed.
5. On another cluster only: governance is handed back by two more proposals (the operator alone again,
   then no governance program), so that the next run, and whatever else uses that cluster, start as this
   run did.

:func:`report_governance` then prints the indexer's view (certificates, retirements, carbon credits per
owner, proposals with their votes, pauses) and checks it against the chain.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import sqlite3
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from demo_support import (
    PEOPLE,
    SOUTH_ZONE_ID,
    ZONE_ID,
    CommandFailed,
    Scene,
    advance_clock,
    banner,
    solgrid,
    solgrid_refused,
)
from solana.rpc.async_api import AsyncClient
from solders.pubkey import Pubkey

from solgrid.cli.trading_units import format_quote
from solgrid.sdk.certificates import Certificate, CertificatesClient, CertificateStatus
from solgrid.sdk.clock import cluster_time, duration, utc
from solgrid.sdk.governance import GovernanceClient
from solgrid.sdk.keys import read_keypair
from solgrid.sdk.trading import Side, TradingClient
from solgrid.sdk.transactions import TransactionFailed, send_and_confirm

REGULATORS = ("agency", "auditor", "ombudsman")
"""Three regulators, separate organisations with keys of their own: any two of them are a quorum."""
THRESHOLD = 2
EMISSION_FACTORS = {ZONE_ID: 420, SOUTH_ZONE_ID: 120}
"""g CO2 per kWh of each zone's grid mix (zone 2, a river valley, runs mostly on hydro)."""
FEE_TIMELOCK_LOCAL = 3_600
FEE_TIMELOCK_REMOTE = 30
"""The fee change's timelock: an hour on the local node, whose clock the demo moves; 30 s elsewhere, where
the demo waits for it in real time (long enough for the execution tried in between to be refused)."""
WAIT_SLACK_SECS = 60
DOCS = {
    "init": "docs/cli.md `solgrid gov init`; docs/governance.md 'Setting governance up'",
    "propose": "docs/cli.md `solgrid gov propose`; docs/governance.md 'Proposals'",
    "factor": "docs/cli.md `solgrid gov propose set-emission-factor`; docs/certificates.md 'Guarantees'",
    "certificates": "docs/cli.md `solgrid cert`; docs/certificates.md",
    "pause": "docs/cli.md `solgrid gov pause`; docs/governance.md 'The emergency pause'",
    "hand-back": "docs/cli.md `solgrid gov propose set-governance`; docs/governance.md 'Handing it over'",
}


@dataclass(frozen=True)
class GovernanceRun:
    """What the scenes did, for the report and its checks against the chain."""

    names: dict[str, str]
    """Every wallet of the run (people, regulators, the operator) by address."""
    meters: list[Pubkey]
    certificate: Pubkey
    """The requested certificate."""
    child: Pubkey
    """carol's part, split off it and retired."""
    proposals: list[int]
    """The ids of the proposals the run made, in order."""

    def name(self, key: object) -> str:
        return self.names.get(str(key), str(key)[:8] + "…")


def keyfile(scene: Scene, who: str) -> Path:
    """A person's or regulator's keypair file, or the operator's."""
    return scene.operator_file if who == "operator" else scene.keyfile(who)


def show(transcript: Sequence[str]) -> None:
    print("\n".join(transcript), flush=True)


def documented(step: str) -> None:
    print(f"  (documented in {DOCS[step]})")


PROPOSAL_LINE = re.compile(r"^proposal (\d+): ", re.MULTILINE)


async def propose(scene: Scene, proposer: str, *args: str) -> int:
    """``solgrid gov propose ARGS`` by ``proposer`` (who approves it in the same transaction); its id."""
    transcript: list[str] = []
    out = await solgrid(scene, *args, "-k", str(keyfile(scene, proposer)), transcript=transcript)
    show(transcript)
    found = PROPOSAL_LINE.search(out)
    if found is None:
        raise CommandFailed(f"`solgrid {args[0]} {args[1]}` printed no proposal id: {out.strip()}")
    return int(found.group(1))


async def approve(scene: Scene, regulator: str, proposal_id: int) -> None:
    transcript: list[str] = []
    await solgrid(
        scene, "gov", "approve", str(proposal_id), "-k", str(keyfile(scene, regulator)), transcript=transcript
    )
    show(transcript)


async def execute(scene: Scene, rpc: AsyncClient, proposal_id: int, executor: str) -> None:
    """Anyone executes: first the timelock is let pass (the local node's clock moves to the proposal's
    ``executable_at``; elsewhere the demo waits for it)."""
    proposal = await GovernanceClient().fetch_proposal(rpc, proposal_id)
    if proposal is None or proposal.quorum_at == 0:
        raise CommandFailed(f"proposal {proposal_id} has no quorum to execute")
    ready = proposal.quorum_at + proposal.timelock_secs
    left = ready - await cluster_time(rpc)
    if left > 0 and scene.local:
        await advance_clock(scene, left)
    elif left > 0:
        print(
            f"waiting {duration(left)} for proposal {proposal_id}'s timelock (until {utc(ready)})", flush=True
        )
        deadline = time.monotonic() + left + WAIT_SLACK_SECS
        while await cluster_time(rpc) < ready:
            if time.monotonic() > deadline:
                raise CommandFailed(f"the cluster's clock did not reach {utc(ready)}")
            await asyncio.sleep(1)
    transcript: list[str] = []
    key = str(keyfile(scene, executor))
    await solgrid(scene, "gov", "execute", str(proposal_id), "-k", key, transcript=transcript)
    show(transcript)


# ---------------------------------------------------------------------------------------------------
# 1. governance set up


async def set_up_governance(scene: Scene, rpc: AsyncClient, quote_mint: Pubkey) -> list[int]:
    """The operator initializes governance, appoints three regulators and has the emission factors set;
    returns the proposals' ids."""
    regulators_text = f"{len(REGULATORS)} regulators, threshold {THRESHOLD}"
    banner(f"the operator hands privileged actions to governance: {regulators_text}")
    operator = scene.operator.pubkey()
    config = await scene.registry.fetch_config(rpc)
    if config is None or config.regulators != [operator] or config.regulator_threshold != 1:
        raise CommandFailed("the governance scenes start from the operator as the registry's only regulator")
    transcript: list[str] = []
    for name in REGULATORS:
        await solgrid(scene, "keys", "new", "--outfile", str(scene.keyfile(name)), transcript=transcript)
    for name in REGULATORS:
        await solgrid(scene, "airdrop", "1", "-k", str(scene.keyfile(name)), transcript=transcript)
    show(transcript)
    print(
        "until now one regulator (the operator) signed privileged actions alone; from here on they are "
        "proposals that regulators approve each in their own transaction"
    )
    transcript = []
    key = str(scene.operator_file)
    await solgrid(scene, "gov", "init", "-k", key, transcript=transcript)
    show(transcript)
    documented("init")
    transcript = []
    await solgrid_refused(
        scene, "market", "update", str(ZONE_ID), "--quote-mint", str(quote_mint), "--taker-fee-bps", "30",
        "-k", key, transcript=transcript,
    )  # fmt: skip
    show(transcript)
    print(
        "co-signing no longer works: the operator, still the only regulator, can no longer change a market"
        " alone (the CLI refuses before sending; trading would answer NotGovernance)"
    )

    regulators = [str(scene.wallet(name)) for name in REGULATORS]
    appoint = await propose(
        scene, "operator", "gov", "propose", "set-regulators", *regulators, "--threshold", str(THRESHOLD),
        "--title", f"appoint {', '.join(REGULATORS)} ({THRESHOLD} of {len(REGULATORS)})",
    )  # fmt: skip
    documented("propose")
    await execute(scene, rpc, appoint, "operator")
    print(f"the operator's approval was a quorum of the old set (1 of 1); from now on: {regulators_text}")

    factors = []
    for zone_id, g_per_kwh in EMISSION_FACTORS.items():
        factor = ("set-emission-factor", "--zone", str(zone_id), "--g-per-kwh", str(g_per_kwh))
        factors.append(await propose(scene, "agency", "gov", "propose", *factor))
    documented("factor")
    await asyncio.gather(*(approve(scene, "auditor", proposal_id) for proposal_id in factors))
    for proposal_id in factors:
        await execute(scene, rpc, proposal_id, "dave")
    transcript = []
    await solgrid(scene, "gov", "status", transcript=transcript)
    show(transcript)
    return [appoint, *factors]


# ---------------------------------------------------------------------------------------------------
# 2. a certificate from device-signed production to retirement


async def certificate_holder(scene: Scene, rpc: AsyncClient) -> tuple[str, str]:
    """alice and her solar meter, when it has production no certificate covers (a real-time run at night:
    none), else bob and his turbine."""
    for name in ("alice", "bob"):
        person = next(p for p in PEOPLE if p.name == name)
        meter = await scene.registry.fetch_meter(rpc, scene.serial(person))
        if meter is not None and meter.uncertified_wh > 0:
            return name, scene.serial(person)
    raise CommandFailed("neither alice's nor bob's meter has production to certify")


async def certificates(scene: Scene, rpc: AsyncClient) -> tuple[Pubkey, Pubkey]:
    """Request, validation, a split to carol and carol's retirement; the certificate and carol's part."""
    holder, serial = await certificate_holder(scene, rpc)
    their = {"alice": "her", "bob": "his"}[holder]
    banner(f"{holder} certifies {their} renewable production; carol retires part of it for her household")
    if holder != "alice":
        print("it was night in the simulated day: alice's panels produced nothing, bob's turbine did")
    meter = await scene.registry.fetch_meter(rpc, serial)
    assert meter is not None
    print(
        f"meter {serial}: {meter.certified_wh} Wh of renewable production accepted through device-signed "
        f"readings, {meter.certificate_wh} Wh of it covered by certificates"
    )
    transcript: list[str] = []
    holder_key = str(scene.keyfile(holder))
    out = await solgrid(scene, "cert", "request", serial, "-k", holder_key, transcript=transcript)
    requested = re.search(r"^requested certificate (\w+):", out, re.MULTILINE)
    if requested is None:
        raise CommandFailed(f"`solgrid cert request` printed no certificate: {out.strip()}")
    certificate = Pubkey.from_string(requested.group(1))
    await solgrid(
        scene, "regulator", "validate-cert", str(certificate), "-k", str(scene.keyfile("ombudsman")),
        transcript=transcript,
    )  # fmt: skip
    show(transcript)
    documented("certificates")

    stored = await CertificatesClient().fetch_certificate(rpc, certificate)
    home = await scene.registry.fetch_meter(rpc, scene.serial(next(p for p in PEOPLE if p.name == "carol")))
    if stored is None or home is None or stored.volume_wh < 2:
        raise CommandFailed(f"certificate {certificate} is too small to split")
    part = min(home.consumed_wh, stored.volume_wh // 2) or stored.volume_wh // 2
    print(
        f"carol's HOME meter measured {home.consumed_wh} Wh of consumption over the same windows: {holder} "
        f"transfers {part} Wh of the certificate to her"
    )
    transcript = []
    carol = scene.wallet("carol")
    out = await solgrid(
        scene, "cert", "transfer", str(certificate), str(carol), "--volume", str(part), "-k", holder_key,
        transcript=transcript,
    )  # fmt: skip
    split = re.search(r" as certificate (\w+);", out)
    if split is None:
        raise CommandFailed(f"`solgrid cert transfer` printed no new certificate: {out.strip()}")
    child = Pubkey.from_string(split.group(1))
    await solgrid(
        scene, "cert", "retire", str(child), "--beneficiary-name", "Carol's household",
        "--purpose", "home electricity", "--consumption-start", utc(stored.generation_start),
        "--consumption-end", utc(stored.generation_end), "-k", str(scene.keyfile("carol")),
        transcript=transcript,
    )  # fmt: skip
    await solgrid(scene, "cert", "list", "--meter", serial, transcript=transcript)
    show(transcript)
    return certificate, child


# ---------------------------------------------------------------------------------------------------
# 3. a fee change with a timelock


async def fee_change(scene: Scene, rpc: AsyncClient, market: Pubkey, quote_mint: Pubkey) -> int:
    """zone 1's taker fee up by 5 bps: proposed, approved by two regulators in separate transactions,
    refused during its timelock, executed after it; the proposal's id."""
    state = await TradingClient().fetch_market(rpc, market)
    assert state is not None
    before = state.header.taker_fee_bps
    after = before + 5
    banner(
        f"a fee change: zone {ZONE_ID}'s taker fee {before} -> {after} bps, by 2 of 3 regulators, timelocked"
    )
    gov = await GovernanceClient().fetch_config(rpc)
    assert gov is not None
    wanted = FEE_TIMELOCK_LOCAL if scene.local else FEE_TIMELOCK_REMOTE
    timelock = max(wanted, gov.params.min_timelock_secs)
    if not scene.local:
        print(f"a real-time cluster: a short timelock ({duration(timelock)}) that the demo waits for")
    proposal_id = await propose(
        scene, "agency", "gov", "propose", "update-market", str(ZONE_ID), "--quote-mint", str(quote_mint),
        "--taker-fee-bps", str(after), "--timelock", f"{timelock}s",
        "--title", f"zone {ZONE_ID} taker fee {before} -> {after} bps",
    )  # fmt: skip
    print(
        "the agency's approval travels with its proposal; the auditor approves in a transaction of its own:"
    )
    await approve(scene, "auditor", proposal_id)
    transcript: list[str] = []
    await solgrid_refused(
        scene, "gov", "execute", str(proposal_id), "-k", str(scene.keyfile("dave")), transcript=transcript
    )
    show(transcript)
    await execute(scene, rpc, proposal_id, "dave")
    transcript = []
    await solgrid(scene, "gov", "show", str(proposal_id), transcript=transcript)
    show(transcript)
    state = await TradingClient().fetch_market(rpc, market)
    assert state is not None
    print(f"zone {ZONE_ID}'s market account: taker fee {state.header.taker_fee_bps} bps")
    if state.header.taker_fee_bps != after:
        raise CommandFailed(f"the executed fee change left the taker fee at {state.header.taker_fee_bps} bps")
    return proposal_id


# ---------------------------------------------------------------------------------------------------
# 4. the emergency pause


async def pause_and_resume(
    scene: Scene, rpc: AsyncClient, market: Pubkey, quote_mint: Pubkey, seller: str
) -> int:
    """One regulator pauses trading in zone 1 at once; orders are refused, withdrawing goes on; a quorum
    resumes it through a proposal (its id)."""
    banner(f"an emergency: one regulator pauses trading in zone {ZONE_ID}; resuming takes a quorum")
    transcript: list[str] = []
    await solgrid(
        scene, "gov", "pause", "--zone", str(ZONE_ID), "--trading", "-k", str(scene.keyfile("auditor")),
        transcript=transcript,
    )  # fmt: skip
    carol = scene.keyfile("carol")
    await solgrid_refused(
        scene, "order", "buy", str(ZONE_ID), "--quote-mint", str(quote_mint), "--kwh", "0.1",
        "--price", "0.125", "-k", str(carol), transcript=transcript,
    )  # fmt: skip
    show(transcript)
    documented("pause")
    trading = TradingClient()
    state = await trading.fetch_market(rpc, market)
    assert state is not None
    seat = state.seat_of(scene.wallet("carol"))
    if seat is None:
        raise CommandFailed("carol has no seat in zone 1's market")
    order = trading.place_order(
        trader=scene.wallet("carol"), market=market, zone_id=ZONE_ID, seat=seat.index, side=Side.BID,
        price=125, lots=1,
    )  # fmt: skip
    try:
        await send_and_confirm(rpc, [order], read_keypair(carol), coders=[trading.coder])
    except TransactionFailed as refused:
        print(f"the same order sent to the program anyway (SDK): {refused}")
    else:
        raise CommandFailed("the program accepted an order while trading is paused")
    proceeds = state.seat_of(scene.wallet(seller))
    if proceeds is not None and proceeds.quote_free > 0:
        transcript = []
        amount = format_quote(proceeds.quote_free, state.header)
        await solgrid(
            scene, "withdraw", str(ZONE_ID), "--quote-mint", str(quote_mint), "--quote", amount,
            "-k", str(scene.keyfile(seller)), transcript=transcript,
        )  # fmt: skip
        show(transcript)
        print(f"{seller} withdrew the sale's proceeds while trading is paused (cancelling orders works too)")
    resume = await propose(
        scene, "agency", "gov", "resume", "--zone", str(ZONE_ID), "--trading",
        "--title", f"resume trading in zone {ZONE_ID}: incident closed",
    )  # fmt: skip
    await approve(scene, "ombudsman", resume)
    await execute(scene, rpc, resume, "dave")
    transcript = []
    await solgrid(scene, "gov", "status", transcript=transcript)
    show(transcript)
    return resume


# ---------------------------------------------------------------------------------------------------
# 5. another cluster: governance handed back


async def hand_back(scene: Scene, rpc: AsyncClient) -> list[int]:
    """The regulators make the operator the only regulator again, then the operator's proposal clears the
    registry's governance program: the cluster is as this run found it."""
    banner(
        "governance handed back, by proposals, so that the next run on this cluster starts as this one did"
    )
    operator = str(scene.operator.pubkey())
    back = await propose(
        scene, "agency", "gov", "propose", "set-regulators", operator, "--threshold", "1",
        "--title", "hand back: the operator alone",
    )  # fmt: skip
    await approve(scene, "auditor", back)
    await execute(scene, rpc, back, "dave")
    clear = await propose(
        scene, "operator", "gov", "propose", "set-governance", "--clear", "--title", "no governance program",
    )  # fmt: skip
    await execute(scene, rpc, clear, "dave")
    documented("hand-back")
    config = await scene.registry.fetch_config(rpc)
    if (
        config is None
        or config.governance_program is not None
        or config.regulators != [scene.operator.pubkey()]
    ):
        raise CommandFailed("governance was not handed back to the operator")
    print("the registry names no governance program; the operator is its only regulator again")
    return [back, clear]


async def governance_scenes(
    scene: Scene, rpc: AsyncClient, market: Pubkey, quote_mint: Pubkey, seller: str
) -> GovernanceRun:
    started = time.monotonic()
    proposals = await set_up_governance(scene, rpc, quote_mint)
    certificate, child = await certificates(scene, rpc)
    proposals.append(await fee_change(scene, rpc, market, quote_mint))
    proposals.append(await pause_and_resume(scene, rpc, market, quote_mint, seller))
    if not scene.local:
        proposals += await hand_back(scene, rpc)
    print(f"\n(the governance and certificate scenes took {time.monotonic() - started:.0f} s)")
    names = {str(scene.wallet(name)): name for name in (*(p.name for p in PEOPLE), *REGULATORS)}
    names[str(scene.operator.pubkey())] = "operator"
    meters = [scene.registry.meter_pda(scene.serial(p)).address for p in PEOPLE if p.meter is not None]
    return GovernanceRun(names, meters, certificate, child, proposals)


# ---------------------------------------------------------------------------------------------------
# the indexer's view


async def report_governance(rpc: AsyncClient, db: Path, since: int, run: GovernanceRun) -> list[str]:
    """Certificates, retirements, carbon credits, proposals with their votes and pauses as the indexer
    stored them, checked against the chain (the mismatches)."""
    banner("governance and certificates as indexed (certificates, retirements, carbon credits, proposals)")
    with contextlib.closing(sqlite3.connect(db)) as sql:
        problems = await report_certificates(rpc, sql, run)
        problems += await report_proposals(rpc, sql, since, run)
        problems += report_pauses(sql, since, run)
    print("  indexer matches the chain's certificates and proposals" if not problems else "  MISMATCH")
    return problems


async def report_certificates(rpc: AsyncClient, sql: sqlite3.Connection, run: GovernanceRun) -> list[str]:
    """This run's meters' certificates, their retirements and the carbon credits per owner."""
    meters = [str(m) for m in run.meters]
    rows = sql.execute(
        "SELECT address, parent, status, owner, CAST(volume_wh AS INTEGER), CAST(co2_avoided_g AS INTEGER)"
        f" FROM certificates WHERE meter IN ({','.join('?' * len(meters))}) ORDER BY created_slot",
        meters,
    ).fetchall()
    addresses = [row[0] for row in rows]
    label = {address: f"#{i}" for i, address in enumerate(addresses, 1)}
    chain = {
        address: await CertificatesClient().fetch_certificate(rpc, Pubkey.from_string(address))
        for address in addresses
    }
    problems = []
    print("  certificates (checked against the chain's Certificate accounts):")
    for address, parent, status, owner, volume, co2 in rows:
        origin = f"split off {label.get(parent, parent)}" if parent else "requested"
        print(
            f"    {label[address]} {address[:8]}… {status:<8} {volume:>6} Wh {co2:>6} g CO2 avoided"
            f"  owner {run.name(owner):<6} {origin}"
        )
        stored = chain[address]
        fields = (
            (stored.status.name, str(stored.owner), stored.volume_wh, stored.co2_avoided_g) if stored else ()
        )
        if fields != (status.upper(), owner, volume, co2):
            problems.append(f"certificate {address}: indexer {status, owner, volume, co2}, chain {fields}")
    if {str(run.certificate), str(run.child)} - set(addresses):
        problems.append("the indexer misses this run's certificates")

    retired = sql.execute(
        "SELECT certificate, beneficiary_name, purpose, consumption_start, consumption_end,"
        " CAST(volume_wh AS INTEGER), CAST(co2_avoided_g AS INTEGER) FROM retirements"
        f" WHERE certificate IN ({','.join('?' * len(addresses))})",
        addresses,
    ).fetchall()
    print("  retirements:")
    for certificate, name, purpose, start, end, volume, co2 in retired:
        print(
            f"    {label[certificate]} {volume} Wh ({co2} g CO2) for {name!r}, {purpose!r}, consumed"
            f" {utc(start)} .. {utc(end)}"
        )
    if [row[0] for row in retired] != [str(run.child)]:
        problems.append(f"the indexed retirements {retired} are not carol's one")

    credits = sql.execute(
        "SELECT owner, CAST(SUM(held_co2_g) AS INTEGER), CAST(SUM(retired_co2_g) AS INTEGER),"
        " CAST(SUM(held_wh) AS INTEGER), CAST(SUM(retired_wh) AS INTEGER) FROM carbon_credits"
        f" WHERE meter IN ({','.join('?' * len(meters))}) GROUP BY owner ORDER BY owner",
        meters,
    ).fetchall()
    print("  carbon credits per owner (carbon_credits: held = of valid certificates, retired = claimed):")
    for owner, held_co2, retired_co2, held_wh, retired_wh in credits:
        print(
            f"    {run.name(owner):<6} held {held_wh:>6} Wh {held_co2:>6} g CO2   retired {retired_wh:>6} Wh"
            f" {retired_co2:>6} g CO2"
        )
    expected = carbon_credits(c for c in chain.values() if c is not None)
    if {row[0]: tuple(row[1:]) for row in credits} != expected:
        problems.append(f"carbon credits: indexer {credits}, chain {expected}")
    return problems


async def report_proposals(
    rpc: AsyncClient, sql: sqlite3.Connection, since: int, run: GovernanceRun
) -> list[str]:
    """This run's proposals with who approved them, against the chain's Proposal accounts."""
    rows = sql.execute(
        "SELECT CAST(proposal_id AS INTEGER), title, status, approvals, threshold, timelock_secs, executed_at"
        " FROM proposals WHERE created_slot >= ? ORDER BY proposal_id",
        (since,),
    ).fetchall()
    votes = sql.execute(
        "SELECT CAST(proposal_id AS INTEGER), regulator, approve FROM approvals WHERE slot >= ?"
        " ORDER BY slot, instruction_index",
        (since,),
    ).fetchall()
    problems = []
    print("  proposals (checked against the chain's Proposal accounts), with the approvals cast in order:")
    for proposal_id, title, status, approvals, threshold, timelock, executed_at in rows:
        voters = [
            run.name(who) + ("" if yes else " (rejected)") for pid, who, yes in votes if pid == proposal_id
        ]
        wait = f", timelock {duration(timelock)}" if timelock else ""
        print(
            f"    {proposal_id:>3} {status:<8} {approvals}/{threshold}  {title}{wait}; approved by"
            f" {', '.join(voters) or '-'}"
        )
        stored = await GovernanceClient().fetch_proposal(rpc, proposal_id)
        fields = (stored.status.name, stored.executed_at or None) if stored else ()
        if fields != (status.upper(), executed_at):
            problems.append(f"proposal {proposal_id}: indexer {status, executed_at}, chain {fields}")
    if [row[0] for row in rows] != run.proposals:
        problems.append(
            f"the indexer holds proposals {[row[0] for row in rows]}, this run made {run.proposals}"
        )
    return problems


def report_pauses(sql: sqlite3.Connection, since: int, run: GovernanceRun) -> list[str]:
    """This run's pause and resume."""
    rows = sql.execute(
        "SELECT action, zone_id, flags, paused, by, CAST(proposals.proposal_id AS INTEGER) FROM pauses"
        " LEFT JOIN proposals ON proposals.address = pauses.proposal"
        " WHERE pauses.slot >= ? ORDER BY pauses.slot",
        (since,),
    ).fetchall()
    print("  pauses (flags: 1 readings, 2 minting, 4 trading):")
    for action, zone_id, flags, paused, by, proposal in rows:
        scope = "market-wide" if zone_id is None else f"zone {zone_id}"
        who = f"by proposal {proposal}" if proposal is not None else f"by {run.name(by)}"
        print(f"    {action:<6} {scope}: flags {flags}, paused now {paused}, {who}")
    if [row[:3] for row in rows] != [("pause", ZONE_ID, 4), ("resume", ZONE_ID, 4)]:
        return [f"the indexed pauses {rows} are not this run's pause and resume of trading in zone {ZONE_ID}"]
    return []


def carbon_credits(certificates: Iterable[Certificate]) -> dict[str, tuple[int, int, int, int]]:
    """Per owner, from the chain: (held g CO2, retired g CO2, held Wh, retired Wh), as the view sums them
    (held = Valid in effect, i.e. before its expiry by the database's clock, this machine's, and not
    split off a revoked original; retired = Retired and of a lineage not revoked, all of them among
    ``certificates``)."""
    totals: dict[str, tuple[int, int, int, int]] = {}
    now = int(time.time())
    listed = {c.address: c for c in certificates}
    for c in listed.values():
        held = c.effective_status(now, listed.get(c.original)) == CertificateStatus.VALID
        retired = c.status == CertificateStatus.RETIRED and not c.in_revoked_lineage(listed.get(c.original))
        if held or retired:
            h_co2, r_co2, h_wh, r_wh = totals.get(str(c.owner), (0, 0, 0, 0))
            totals[str(c.owner)] = (
                h_co2 + (c.co2_avoided_g if held else 0),
                r_co2 + (c.co2_avoided_g if retired else 0),
                h_wh + (c.volume_wh if held else 0),
                r_wh + (c.volume_wh if retired else 0),
            )
    return totals

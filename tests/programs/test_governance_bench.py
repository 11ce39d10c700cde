"""Compute units of the governance program's proposal instructions, deployed in LiteSVM, printed beside
the issue's goals (``pytest -s``): approve <= 3,000; execute = the target's own cost + <= 5,000. The
target's own cost is its invocation's ``consumed`` line inside the CPI (for trading that includes its
event self-CPI); the overhead is the rest of ``execute``. Nothing here asserts a number: the goals are
reported, as in ``bench/results.md``."""

from __future__ import annotations

import re

from governance_harness import GovernanceEnv

from solgrid.localnet.svm import Sent
from solgrid.sdk.registry import Limits

_INVOKE = re.compile(r"^Program (\w+) invoke \[(\d+)\]$")
_CONSUMED = re.compile(r"^Program (\w+) consumed (\d+) of \d+ compute units$")


def invocation_cu(sent: Sent, program: str, depth: int) -> int:
    """Units the invocation of ``program`` at stack height ``depth`` consumed (the first such one)."""
    stack: list[tuple[str, int]] = []
    for line in sent.logs:
        if match := _INVOKE.match(line):
            stack.append((match[1], int(match[2])))
        elif match := _CONSUMED.match(line):
            name, height = stack[-1]
            if (name, height) == (program, depth) and match[1] == program:
                return int(match[2])
        elif stack and (line.endswith(" success") or " failed" in line):
            stack.pop()
    raise LookupError(f"no invocation of {program} at depth {depth}")


def test_proposal_compute_units(governance_unset: GovernanceEnv) -> None:
    env = governance_unset
    market = env.trading.create_market()
    env.set_governance()
    r0, r1, r2 = env.regulators
    rows: list[tuple[str, int, str]] = []

    target = env.update_limits_ix(Limits(max_meters_per_user=4))
    proposal = env.propose(r0, target)
    rows.append(("propose (update_limits)", env.cu["propose"][-1], ""))
    first = env.approve(r0, proposal).program_cu(env.program_id)
    second = env.approve(r1, proposal).program_cu(env.program_id)
    rows.append(("approve (first)", first, "<= 3,000"))
    rows.append(("approve (reaching quorum)", second, "<= 3,000"))
    executed = env.execute(proposal)
    total = executed.program_cu(env.program_id)
    inner = invocation_cu(executed, str(env.registry.program_id), 2)
    rows.append(("execute registry update_limits: total", total, ""))
    rows.append(("  of which update_limits itself", inner, ""))
    rows.append(("  execute overhead", total - inner, "<= 5,000"))

    fee = env.trading.market_state(market).header.taker_fee_bps + 1
    trading_target = env.trading.update_market_ix(market, taker_fee_bps=fee, cosigners=env.gov())
    proposal = env.approved(trading_target)
    executed = env.execute(proposal)
    total = executed.program_cu(env.program_id)
    inner = invocation_cu(executed, str(env.trading.client.program_id), 2)
    rows.append(("execute trading update_market: total", total, ""))
    rows.append(("  of which update_market itself", inner, ""))
    rows.append(("  execute overhead", total - inner, "<= 5,000"))

    doomed = env.propose(r0, target)
    rows.append(("reject", env.reject(r2, doomed).program_cu(env.program_id), ""))
    cancel = env.send([env.cancel_ix(r0.pubkey(), doomed)], [r0])
    rows.append(("cancel (by the proposer)", cancel.program_cu(env.program_id), ""))
    close = env.send([env.close_ix(doomed, r0.pubkey())])
    rows.append(("close_proposal", close.program_cu(env.program_id), ""))

    print("\ngovernance proposals, CU (LiteSVM, deployed)")
    for name, units, goal in rows:
        print(f"  {name:<42} {units:>7,}  {goal}")
    assert all(units > 0 for _, units, _ in rows)

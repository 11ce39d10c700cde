"""The governance section of ``bench/results.md`` (``bench/run.py governance``): issue 14's compute-unit goals
for certificates and proposals, each with its verdict, the tables behind them, and the hot paths the pause
check touches compared with the programs of main before issue 14.

:func:`run` measures (``bench/governance_cu.py``, building the baseline's programs with
``bench/baseline.py`` first) and :func:`rows` renders; the goals are targets to watch, not assertions.
"""

from __future__ import annotations

from pathlib import Path

import baseline
import governance_cu
from governance_cu import Execution, GovernanceBench

REPO = Path(__file__).resolve().parents[1]
HEADING = "## Governance and certificates"
BASELINE_COMMIT = "2937dc82091ed2b542fc77db5af98d90627081ac"
"""main before issue 14's program changes (the merge of governance-core, which changed no program)."""

REQUEST_GOAL = 15_000
VALIDATE_GOAL = 3_000
TRANSFER_GOAL = 6_000
SPLIT_GOAL = 6_000
RETIRE_GOAL = 8_000
APPROVE_GOAL = 3_000
EXECUTE_ADDED_GOAL = 5_000
GRIDTOKENX_ISSUE_ERC = "about 68,000 CU (GridTokenX's issue_erc, as issue 14 quotes it; not measured here)"


def run() -> list[str]:
    deploy_dir = REPO / "target" / "deploy"
    elves = {name: (deploy_dir / f"{name}.so").read_bytes() for name in governance_cu.PROGRAMS}
    try:
        base: baseline.Baseline | None = baseline.load(BASELINE_COMMIT, governance_cu.HOT_PATH_PROGRAMS)
        note = None
    except baseline.BaselineUnavailable as e:
        base, note = None, str(e)
    return rows(governance_cu.measure(elves, base, note))


def _verdict(value: int, goal: int, why: str) -> str:
    return "met" if value <= goal else f"missed by {value - goal:,} CU: {why}"


def _cu(value: int) -> str:
    return f"{value:,} CU"


def rows(r: GovernanceBench) -> list[str]:
    first, later = r.requests[0], r.requests[-1]
    c = r.certificates

    def certificate(prefix: str) -> tuple[str, int]:
        [(name, cu)] = [(k, v) for k, v in c.items() if k.startswith(prefix)]
        return name, cu

    validate, transfer, split, retire = (certificate(p) for p in ("validate", "transfer", "split", "retire"))
    typical = max(r.executions, key=lambda e: e.added_cu)
    worst = r.worst_execution
    regulators = len(r.approval_series)
    compare = r.key_compare_cu()
    vote_why = (
        "votes are counted against the registry's current regulators by comparing 32-byte keys, "
        f"O(approvals x regulators) comparisons per vote at about {compare:,.0f} CU each (see the series "
        "below)"
    )
    table = [
        f"{HEADING}: compute units (LiteSVM on agave 4.1.2, every program deployed through "
        "BPFLoaderUpgradeable)",
        "",
        "`bench/governance_cu.py`: the governance tests' set-up (registry with three regulators of "
        "threshold 2, zone 7, trading with a market,",
        "energy_token, governance initialised and then named the registry's governance), fixed seeds and "
        "a pinned clock; CU of the top-level",
        "instruction (its CPIs included). Certificates follow one solar meter: a device-signed reading of "
        f"{first.volume_wh:,} Wh, the request,",
        "validation, a transfer, a split to another owner who splits part of that child on, transfers the "
        "child and the grandchild is",
        "retired (transfer, split and retire are measured on split children: they also read the requested "
        "certificate, their",
        "original, to refuse them once it is revoked; a requested certificate passes itself and nothing more "
        "is read); then a",
        "second reading and request.",
        "",
        "| measure | SolGrid | goal | verdict | peer |",
        "|---|---|---|---|---|",
        f"| request_certificate (the meter's first; a later one) | {_cu(first.cu)} ({later.cu:,}) | "
        f"<= {REQUEST_GOAL:,} CU | "
        + _verdict(max(first.cu, later.cu), REQUEST_GOAL, "see its split below")
        + f" | {GRIDTOKENX_ISSUE_ERC} |",
        *(
            f"| {name} | {_cu(cu)} | <= {goal:,} CU | " + _verdict(cu, goal, "see the program") + " | |"
            for (name, cu), goal in (
                (validate, VALIDATE_GOAL),
                (transfer, TRANSFER_GOAL),
                (split, SPLIT_GOAL),
                (retire, RETIRE_GOAL),
            )
        ),
        f"| approve: the first approval; the one that reaches the quorum (3 regulators, threshold 2) | "
        f"{_cu(r.approvals['first'])}; {r.approvals['quorum']:,} | <= {APPROVE_GOAL:,} CU | "
        + _verdict(max(r.approvals["first"], r.approvals["quorum"]), APPROVE_GOAL, vote_why)
        + " | |",
        f"| approve, worst: the last of {regulators} regulators (threshold {regulators}, the registry's "
        f"most) | {_cu(r.approvals['worst'])} | <= {APPROVE_GOAL:,} CU | "
        + _verdict(r.approvals["worst"], APPROVE_GOAL, vote_why)
        + " | |",
        f"| execute: CU added to the target run directly by a co-signing quorum, the most of "
        f"{len(r.executions)} targets (2 approvals of 3 regulators; {typical.target}) | "
        f"+{typical.added_cu:,} CU | <= +{EXECUTE_ADDED_GOAL:,} CU | "
        + _verdict(typical.added_cu, EXECUTE_ADDED_GOAL, "see the executions below")
        + " | |",
        f"| execute, worst: {regulators} approvals of {regulators} regulators "
        f"({worst.target.split(',')[0]}) | +{worst.added_cu:,} CU | <= +{EXECUTE_ADDED_GOAL:,} CU | "
        + _verdict(
            worst.added_cu,
            EXECUTE_ADDED_GOAL,
            "execute counts the current regulators' approvals twice (the quorum check and the event), "
            f"each O(approvals x regulators) key comparisons at about {compare:,.0f} CU each "
            f"({worst.execute_own_cu - typical_own(r):,} CU more than with 2 of 3)",
        )
        + " | |",
        "",
        "Where a request's CU go (the registry's `certify_meter` runs by CPI, signed by the certificates "
        "PDA; governance's own part",
        "covers its checks, the certificate's PDA and account (a System CPI), both CPIs' invocation and the "
        "event):",
        "",
        "| request | total | registry certify_meter (CPI) | governance's own | volume |",
        "|---|---|---|---|---|",
        *(
            f"| {which} | {q.cu:,} | {q.certify_meter_cu:,} | {q.own_cu:,} | {q.volume_wh:,} Wh |"
            for which, q in (("the meter's first", first), ("a later one", later))
        ),
        "",
        "Privileged actions run directly (co-signed by two regulators, before `set_governance`) and the same "
        "instruction",
        "proposed, approved by two regulators in separate transactions and executed (the governance PDA "
        "signs the CPI); the",
        "target's CU inside that CPI are its own cost once governance is set (it then checks the governance "
        "PDA, not signatures):",
        "",
        "| target | accounts | data bytes | directly | through execute | added | the target inside execute | "
        "execute's own | propose |",
        "|---|---|---|---|---|---|---|---|---|",
        *(_execution_row(e) for e in [*r.executions, worst]),
        "",
        f"approve's CU by position among {regulators} regulators of threshold {regulators} "
        "(each approval compares its key with every stored one,",
        "then counts the current regulators among the approvals):",
        "",
        "| approval | " + " | ".join(str(k) for k in range(1, regulators + 1)) + " |",
        "|---" * (regulators + 1) + "|",
        "| CU | " + " | ".join(f"{cu:,}" for cu in r.approval_series) + " |",
        "",
        "From the third approval on, each step between successive approvals is smaller than the one "
        "before by one key comparison",
        "(the approvals arrive in the registry's order): a 32-byte key comparison costs about "
        f"{compare:,.0f} CU here.",
        "",
        *_hot_path_rows(r),
        "",
        "For information:",
        "",
        "| instruction | CU |",
        "|---|---|",
        *(
            f"| {name} | {cu:,} |"
            for name, cu in c.items()
            if not name.startswith(("validate", "transfer", "split", "retire"))
        ),
        *(f"| {name} | {cu:,} |" for name, cu in r.other.items()),
        f"| propose (by proposal: {', '.join(f'{e.propose_cu:,}' for e in r.executions)}) | "
        f"{min(e.propose_cu for e in r.executions):,} to {max(e.propose_cu for e in r.executions):,} |",
        "",
        "propose takes the proposal's canonical PDA bump as an argument and checks it with one "
        "`create_program_address`",
        "(it searched the bump on-chain before: 4,540 to 9,071 CU for the same proposals, 1,500 CU per bump "
        "tried). A proposal for the",
        "upgradeable loader (a SolGrid program's upgrade authority) also derives the ProgramData of the "
        "SolGrid programs in the",
        "Config's order until one matches (`sol_try_find_program_address`, 1,500 CU per bump tried): the "
        "later the program, the",
        "more it costs.",
    ]
    return table


def typical_own(r: GovernanceBench) -> int:
    """execute's own CU for the worst execution's target with 2 approvals of 3."""
    target = r.worst_execution.target.split(",")[0]
    return next(e.execute_own_cu for e in r.executions if e.target == target)


def _execution_row(e: Execution) -> str:
    return (
        f"| {e.target} | {e.accounts} | {e.data_bytes} | {e.direct_cu:,} | {e.execute_cu:,} | "
        f"+{e.added_cu:,} | {e.inner_cu:,} | {e.execute_own_cu:,} | {e.propose_cu:,} |"
    )


def _hot_path_rows(r: GovernanceBench) -> list[str]:
    compared = all(p.baseline_cu is not None for p in r.hot_paths)
    if not compared:
        return [
            "The hot paths the pause check touches (no pause set; no comparison with main before issue 14: "
            f"{r.baseline}):",
            "",
            "| instruction | CU |",
            "|---|---|",
            *(f"| {p.name} | {p.cu:,} |" for p in r.hot_paths),
        ]
    commit = (r.baseline or "")[:12]
    built = f"{r.baseline_build_secs:.0f} s" if r.baseline_build_secs is not None else "cached"
    lines = [
        f"The hot paths the pause check touches, no pause set: this tree's programs and main before issue 14 "
        f"(`{commit}`, built",
        f"by `bench/baseline.py` into `target/bench-baseline/`, {built} this run), each in a VM of its own "
        "with the same seeds; the",
        "instructions for main dropped the accounts its IDLs do not have:",
        "",
        "| instruction | now | main before issue 14 | difference | accounts added |",
        "|---|---|---|---|---|",
    ]
    for p in r.hot_paths:
        before = p.baseline_cu or 0
        lines.append(
            f"| {p.name} | {p.cu:,} | {before:,} | {p.cu - before:+,} | "
            + (", ".join(f"`{a}`" for a in p.added_accounts) or "none")
            + " |"
        )
    return lines

"""The differential test: the same transaction stream sent to our local node and to a real
solana-test-validator, each from a fresh genesis with the same programs and funded keys, compared
observation by observation (see ``node_session`` for what is recorded and what is normalised).

The random tail of the stream is drawn from a seed: ``SOLGRID_DIFF_SEED=<n>`` replays a run; a failure
prints the seed and the first diverging transaction. ``SOLGRID_DIFF_DUMP=<dir>`` writes both records
there as JSON lines, to study a divergence.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import time
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from solders.hash import Hash

from clock_fields import plausible
from deliberate import DELIBERATE, normalise, readme_names
from divergence import first_divergence
from node_pair import local_node, real_validator, workspace_programs
from node_session import Session
from stream import GENESIS_KEYS, GENESIS_LAMPORTS, Stream, key

REPO = Path(__file__).resolve().parents[2]
CLOCK_SLACK_SECONDS = 120


async def _run(session: Session, stream: Stream) -> None:
    value = (await session.result("getLatestBlockhash", [{"commitment": "confirmed"}]))["value"]
    session.state["first_blockhash"] = Hash.from_string(value["blockhash"])
    session.state["first_valid_height"] = value["lastValidBlockHeight"]
    for index, (name, step) in enumerate(stream.steps()):
        session.step, session.step_name = index, name
        await step(session)


async def _both(local_url: str, validator_url: str, stream: Stream) -> tuple[Session, Session]:
    async with httpx.AsyncClient(timeout=30) as http:
        ours = Session("localnet", local_url, http, exact_times=stream.window_ends())
        theirs = Session("solana-test-validator", validator_url, http, exact_times=stream.window_ends())
        await asyncio.gather(_run(ours, stream), _run(theirs, stream))
    return ours, theirs


async def _probe_deliberate_differences(runs: tuple[Session, Session]) -> None:
    async with httpx.AsyncClient(timeout=30) as http:
        ours, theirs = (Session(run.name, run.url, http, state=run.state) for run in runs)
        for entry in DELIBERATE:
            try:
                await entry.probe(ours, theirs)
            except AssertionError as e:
                raise AssertionError(
                    f"deliberate difference {entry.name!r} is no longer observed ({e}): remove it from "
                    "tests/differential/deliberate.py and the README, or fix the probe"
                ) from None


def _dump(directory: Path, *sessions: Session) -> None:
    """Both records as JSON lines, to study a divergence (tests/differential/show_differences.py)."""
    for session in sessions:
        lines = (json.dumps([o.step, o.step_name, o.what, o.value]) for o in session.observations)
        (directory / f"{session.name}.jsonl").write_text("\n".join(lines) + "\n")


@pytest.mark.compat
def test_local_node_answers_the_stream_as_the_validator_does(tmp_path: Path) -> None:
    seed = int(os.environ.get("SOLGRID_DIFF_SEED") or random.randrange(2**32))
    print(f"differential stream seed {seed} (replay: SOLGRID_DIFF_SEED={seed})")
    authority = key("authority").pubkey()
    programs, elves = workspace_programs(REPO, authority)
    funded = {key(name).pubkey(): GENESIS_LAMPORTS for name in GENESIS_KEYS}
    with local_node(programs, funded) as local_url, real_validator(tmp_path, programs, elves, funded) as url:
        started = int(time.time())  # reading windows start 15 minutes after this, whatever start-up took
        stream = Stream(seed=seed, t0=started)
        ours, theirs = asyncio.run(_both(local_url, url, stream))
        finished = int(time.time())
        if os.environ.get("SOLGRID_DIFF_DUMP"):
            _dump(Path(os.environ["SOLGRID_DIFF_DUMP"]), ours, theirs)
        divergence = first_divergence(
            [replace(o, value=normalise(o.value)) for o in ours.observations],
            [replace(o, value=normalise(o.value)) for o in theirs.observations],
        )
        assert divergence is None, f"seed {seed} (SOLGRID_DIFF_SEED={seed}): {divergence}"
        for session in (ours, theirs):
            for field, value, step in session.clock_values:
                assert plausible(field, value, started, finished, CLOCK_SLACK_SECONDS), (
                    f"{session.name}: {field} = {value} at step {step} is not a time of this run"
                )
        assert len(ours.observations) > 200
        asyncio.run(_probe_deliberate_differences((ours, theirs)))


def test_the_readme_lists_exactly_the_deliberate_differences_the_test_allows() -> None:
    assert readme_names() == [entry.name for entry in DELIBERATE]

"""Every difference between two records written by ``SOLGRID_DIFF_DUMP=<dir>`` (the test stops at the
first): ``python tests/differential/showdifferences.py <dir> [substring-to-hide ...]``."""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from divergence import differences


def _steps(path: Path) -> dict[tuple[int, str], list[list[Any]]]:
    steps: dict[tuple[int, str], list[list[Any]]] = defaultdict(list)
    for line in path.read_text().splitlines():
        record = json.loads(line)
        steps[(record[0], record[1])].append(record)
    return steps


def main(directory: Path, hide: list[str]) -> None:
    ours, theirs = _steps(directory / "localnet.jsonl"), _steps(directory / "solana-test-validator.jsonl")
    for step in sorted(set(ours) | set(theirs)):
        a, b = ours.get(step, []), theirs.get(step, [])
        if [r[2] for r in a] != [r[2] for r in b]:
            print(f"=== step {step[0]} {step[1]}: different observations")
            for name, records in (("ours", a), ("validator", b)):
                for record in records:
                    print(f"  {name}: {record[2]} {json.dumps(record[3])[:300]}")
            continue
        for x, y in zip(a, b, strict=True):
            for difference in differences(x[3], y[3]):
                if not any(h in difference for h in hide):
                    print(f"--- step {step[0]} {step[1]} {x[2]}: {difference[:600]}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2:])

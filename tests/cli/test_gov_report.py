"""`gov approve|reject|execute|record-quorum|cancel` print their result through one helper: a headline
that carries a proposal's arguments (a dict, braces included) is printed as it is."""

from __future__ import annotations

import pytest

from solgrid.cli.gov_cmd import _report


def test_a_headline_with_braces_is_printed_as_given(capsys: pytest.CaptureFixture[str]) -> None:
    args = {"regulators": ["A", "B"], "threshold": 2}
    document = {"signature": "sig", "_text": "executed"}
    _report(document, False, lambda _: f"executed proposal 0: registry.set_regulators {args}")
    assert capsys.readouterr().out == (
        "executed proposal 0: registry.set_regulators {'regulators': ['A', 'B'], 'threshold': 2}\n"
        "signature: sig\n"
    )


def test_the_standing_goes_into_the_headline_and_json_leaves_it_out(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _report(
        {"signature": "s", "_text": "1 of 2 approvals"}, False, lambda text: f"approved proposal 3: {text}"
    )
    assert capsys.readouterr().out == "approved proposal 3: 1 of 2 approvals\nsignature: s\n"
    _report({"signature": "s", "_text": "1 of 2 approvals", "id": 3}, True, lambda text: text)
    out = capsys.readouterr().out
    assert '"id": 3' in out and "_text" not in out and "approvals" not in out

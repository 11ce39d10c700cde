"""``solgrid market create``'s mode option, parsed offline: ``--periodic`` alone means the usual
quarter-hour epochs, a value sets them, and no option keeps the market continuous."""

from __future__ import annotations

import pytest
from solders.pubkey import Pubkey

from solgrid.cli.market_cmd import create

MINT = str(Pubkey.new_unique())


def epoch_secs(*options: str) -> object:
    arguments = ["2", "--quote-mint", MINT, "--tick-size", "1000", "--lot-size-wh", "100", *options]
    context = create.make_context("create", arguments)
    return context.params["epoch_secs"]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ((), None),
        (("--periodic",), 900),
        (("--periodic", "--fee-recipient", MINT), 900),
        (("--periodic", "30"), 30),
        (("--periodic=86400",), 86400),
    ],
)
def test_periodic_alone_means_quarter_hour_epochs(options: tuple[str, ...], expected: object) -> None:
    assert epoch_secs(*options) == expected


def test_an_epoch_beyond_a_day_is_refused() -> None:
    with pytest.raises(Exception, match="86401"):
        epoch_secs("--periodic", "86401")

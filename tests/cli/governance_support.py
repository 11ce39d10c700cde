"""A governed SolGrid on a local node of its own, set up through the CLI as an operator would: the
upgrade authority runs ``solgrid regulator init`` and ``solgrid gov init``, then proposes (and, alone in
a quorum of one, executes) a set of three regulators with threshold 2, the zone's emission factor and
its market (paid by the governance PDA, funded at execution). Governance changes who may do what in the
registry, so these tests never run on the node the other CLI tests share."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from click.testing import Result
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from trading_support import Wallet, create_quote_mint
from wallet_support import invoke, write_key

from solgrid.localnet.background import BackgroundNode
from solgrid.localnet.genesis import GenesisProgram
from solgrid.localnet.server import NodeConfig
from solgrid.sdk.workspace import Workspace

REPO = Path(__file__).resolve().parents[2]
ZONE_ID = 1
EMISSION_FACTOR = 400


def governed_node(authority: Keypair, elf: Any) -> Iterator[str]:
    """A local node on free ports with the workspace programs at genesis, upgradeable by ``authority``;
    yields its URL."""
    programs = [
        GenesisProgram(p.name, p.program_id, elf(p.name), authority.pubkey())
        for p in Workspace.load(REPO).programs("localnet")
    ]
    config = NodeConfig(rpc_port=0, ws_port=0, programs=programs, funded={authority.pubkey(): 10**12})
    with BackgroundNode(config) as node:
        yield node.rpc_url


@dataclass
class Gov:
    """The governed deployment and its people: three regulators (r0 is the upgrade authority)."""

    url: str
    directory: Path
    regulators: list[Wallet]
    quote_mint: Pubkey

    def args(self, wallet: Wallet) -> list[str]:
        return ["--url", self.url, "-k", str(wallet.path)]

    def run(self, wallet: Wallet, *args: str) -> Result:
        return invoke(*args, *self.args(wallet))

    def ok(self, wallet: Wallet, *args: str) -> Any:
        """``solgrid ARGS --json`` as ``wallet``; the parsed document."""
        result = self.run(wallet, *args, "--json")
        assert result.exit_code == 0, (args, result.stderr)
        return json.loads(result.stdout)

    def wallet(self, name: str, sol: str = "5") -> Wallet:
        keypair = Keypair()
        wallet = Wallet(keypair, write_key(self.directory / f"{name}.json", keypair))
        self.ok(wallet, "airdrop", sol)
        return wallet

    def enact(self, proposer: Wallet, *propose_args: str, fund: str | None = None) -> dict[str, Any]:
        """``gov propose ...`` by ``proposer`` (approving), a second regulator's approval, ``gov execute``."""
        proposed = self.ok(proposer, "gov", "propose", *propose_args)
        second = next(r for r in self.regulators if r.address != proposer.address)
        if proposed["state"] == "open":
            self.ok(second, "gov", "approve", str(proposed["proposal"]))
        extra = [] if fund is None else ["--fund", fund]
        executed: dict[str, Any] = self.ok(second, "gov", "execute", str(proposed["proposal"]), *extra)
        return executed


def set_up(url: str, authority: Keypair, directory: Path) -> Gov:
    r0 = Wallet(authority, write_key(directory / "r0.json", authority))
    gov = Gov(url, directory, [r0], create_quote_mint(url, authority))
    gov.ok(r0, "regulator", "init")
    gov.ok(r0, "regulator", "create-zone", str(ZONE_ID), "--name", "downtown", "--max-capacity-kw", "5000")
    gov.ok(r0, "trading", "init")
    init = gov.ok(r0, "gov", "init", "--max-lifetime", "7d", "--certificate-validity", "30d")
    assert [s["signature"] is not None for s in init["steps"]] == [True, True]
    r1, r2 = gov.wallet("r1"), gov.wallet("r2")
    # A quorum of one (r0) hands over to three regulators with threshold 2.
    proposed = gov.ok(
        r0, "gov", "propose", "set-regulators", r0.address, r1.address, r2.address, "--threshold", "2"
    )
    assert proposed["state"] == "executable"
    gov.ok(r0, "gov", "execute", str(proposed["proposal"]))
    gov.regulators = [r0, r1, r2]
    gov.enact(r1, "set-emission-factor", "--zone", str(ZONE_ID), "--g-per-kwh", str(EMISSION_FACTOR))
    gov.enact(
        r0,
        "create-market",
        str(ZONE_ID),
        "--quote-mint",
        str(gov.quote_mint),
        "--tick-size",
        "1000",
        "--lot-size-wh",
        "100",
        "--fee-recipient",
        r0.address,
        fund="0.1",
    )
    return gov

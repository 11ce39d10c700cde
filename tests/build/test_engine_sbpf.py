"""One program linked as SBPFv0 and as SBPFv3, on the agave 4.1.2 engine set up as a default test validator:
both run; only v3 deploys while SIMD-0500 is active (as on solana-test-validator 4.2.2 and clusters that
activated it); v0 deploys where it is not (``features_blocking_deploy``)."""

from __future__ import annotations

import pytest
from link_support import Deployed, add_program, deploy_program, fixture_object, funded_svm, requires_llc
from solders.keypair import Keypair

from solgrid.build.link import link_sbpf_v0, link_sbpf_v3
from solgrid.localnet.engine import SBPF_V0_V1_V2_DEPLOYMENT_DISABLED
from solgrid.localnet.svm import TransactionFailed, deploy, features_blocking_deploy, sbpf_version

pytestmark = requires_llc

FIBONACCI = 0  # the fixture program's op 0: fib(arg)


@pytest.fixture(scope="module")
def elves() -> dict[int, bytes]:
    obj = fixture_object("program.ll")
    return {0: link_sbpf_v0(obj), 3: link_sbpf_v3(obj)}


def test_the_elves_declare_their_version(elves: dict[int, bytes]) -> None:
    assert {version: sbpf_version(elf) for version, elf in elves.items()} == {0: 0, 3: 3}
    assert features_blocking_deploy(elves[3]) == []
    assert features_blocking_deploy(elves[0]) == [SBPF_V0_V1_V2_DEPLOYMENT_DISABLED]
    assert features_blocking_deploy(elves[3], elves[0]) == [SBPF_V0_V1_V2_DEPLOYMENT_DISABLED]
    with pytest.raises(ValueError, match="not an ELF"):
        sbpf_version(b"\0" * 64)


@pytest.mark.parametrize("version", [0, 3])
def test_both_versions_run(elves: dict[int, bytes], version: int) -> None:
    loaded: Deployed = add_program(elves[version])
    assert loaded.invoke(FIBONACCI, 20)[0] == 6765


def test_only_v3_deploys_while_simd_0500_is_active(elves: dict[int, bytes]) -> None:
    svm, payer = funded_svm()  # nothing deactivated: every feature, as a default test validator
    assert svm.is_active(SBPF_V0_V1_V2_DEPLOYMENT_DISABLED)
    v3 = Deployed(svm, payer, deploy(svm, payer, elves[3]))
    assert v3.invoke(FIBONACCI, 20)[0] == 6765
    with pytest.raises(TransactionFailed) as refused:
        deploy(svm, payer, elves[0], Keypair())
    assert "Detected sbpf_version required by the executable which are not enabled" in refused.value.logs
    assert str(refused.value.err) == "TransactionErrorInstructionError((2, Fieldless(InvalidAccountData)))"


def test_v0_deploys_with_simd_0500_deactivated(elves: dict[int, bytes]) -> None:
    deployed = deploy_program(elves[0])
    assert not deployed.svm.is_active(SBPF_V0_V1_V2_DEPLOYMENT_DISABLED)
    assert deployed.invoke(FIBONACCI, 20)[0] == 6765

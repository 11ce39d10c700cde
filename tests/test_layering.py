"""Dependencies point one way: ``cli``/``oracle``/``keeper``/``indexer`` -> ``sdk``, and the SDK is a client
library that never imports the local node (``solgrid.localnet``), the toolchain (``solgrid.build``) or the
applications built on it. The services' shared package (``solgrid.automation``) sits between: the oracle
and the keeper import it, it imports the SDK and none of the applications.

Every module's imports are read with ``ast`` (module level, inside functions and ``TYPE_CHECKING``
blocks, and ``importlib.import_module("...")`` with a literal name), so an import hidden in a function
still counts. The exceptions are named below: the CLI commands whose job is to run the node or the
toolchain.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import solgrid

PACKAGE = Path(solgrid.__file__).resolve().parent
APPLICATIONS = ("solgrid.cli", "solgrid.oracle", "solgrid.keeper", "solgrid.indexer", "solgrid.api")
FORBIDDEN_TO_SDK = ("solgrid.localnet", "solgrid.build", "solgrid.automation", *APPLICATIONS)
FORBIDDEN_TO_AUTOMATION = ("solgrid.localnet", "solgrid.build", *APPLICATIONS)
RUNS_THE_NODE = frozenset({"solgrid.cli.localnet_cmd"})
"""``solgrid localnet``: starts the local node."""
RUNS_THE_TOOLCHAIN = frozenset({"solgrid.cli.build_cmd"})
"""``solgrid build``: runs the offline SBF toolchain."""


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, Path]:
    """Every module of the solgrid package by dotted name."""
    return {module_name(p): p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts}


def in_package(name: str, packages: tuple[str, ...] | str) -> bool:
    wanted = (packages,) if isinstance(packages, str) else packages
    return any(name == p or name.startswith(p + ".") for p in wanted)


def imported_names(path: Path, name: str) -> Iterator[str]:
    """The modules that module ``name`` (source ``path``) imports anywhere in its code (``from a import
    b`` yields ``a`` and, when ``a.b`` is a module, ``a.b``)."""
    tree = ast.parse(path.read_text(), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in modules())
        elif (
            isinstance(node, ast.Call)
            and (
                (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
                or (isinstance(node.func, ast.Name) and node.func.id in ("import_module", "__import__"))
            )
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.args[0].value


@cache
def direct_imports(module: str) -> frozenset[str]:
    return frozenset(n for n in imported_names(modules()[module], module) if in_package(n, "solgrid"))


def reachable(module: str) -> dict[str, str]:
    """Every solgrid module ``module`` imports, directly or through other solgrid modules (imports in
    functions included), each with the module that imports it (to name the path in a failure)."""
    seen: dict[str, str] = {}
    todo = [module]
    while todo:
        current = todo.pop()
        for name in sorted(direct_imports(current)):
            if name not in seen and name != module:
                seen[name] = current
                if name in modules():
                    todo.append(name)
    return seen


def path_to(module: str, target: str, via: dict[str, str]) -> str:
    chain = [target]
    while chain[-1] in via and via[chain[-1]] != module:
        chain.append(via[chain[-1]])
    return " -> ".join([module, *reversed(chain)])


def paths_into(sources: list[str], package: str) -> list[str]:
    """Each way one of ``sources`` reaches a module of ``package``, as an import path."""
    found = []
    for module in sources:
        via = reachable(module)
        found += [path_to(module, name, via) for name in via if in_package(name, package)]
    return found


def package_modules(*packages: str) -> list[str]:
    return sorted(m for m in modules() if in_package(m, packages))


def test_the_sdk_imports_no_node_toolchain_or_application() -> None:
    sdk = package_modules("solgrid.sdk")
    assert "solgrid.sdk.lookup_tables" in sdk and "solgrid.sdk.cpi_events" in sdk
    direct = [
        f"{m} imports {n}" for m in sdk for n in sorted(direct_imports(m)) if in_package(n, FORBIDDEN_TO_SDK)
    ]
    assert direct == []
    node = paths_into(sdk, "solgrid.localnet")
    assert node == []


def test_the_shared_service_package_imports_no_service_node_or_toolchain() -> None:
    """solgrid.automation builds on the SDK only: the oracle and the keeper share it, not each other."""
    shared = package_modules("solgrid.automation")
    assert "solgrid.automation.sender" in shared and "solgrid.automation.meter_settlement" in shared
    direct = [
        f"{m} imports {n}"
        for m in shared
        for n in sorted(direct_imports(m))
        if in_package(n, FORBIDDEN_TO_AUTOMATION)
    ]
    assert direct == []
    reached = [p for package in ("solgrid.localnet", *APPLICATIONS) for p in paths_into(shared, package)]
    assert reached == []


def test_the_oracle_and_the_keeper_do_not_import_each_other() -> None:
    oracle, keeper = package_modules("solgrid.oracle"), package_modules("solgrid.keeper")
    assert oracle and keeper
    assert paths_into(oracle, "solgrid.keeper") == [] and paths_into(keeper, "solgrid.oracle") == []


def test_applications_reach_the_local_node_only_through_the_named_commands() -> None:
    """cli/oracle/keeper/indexer modules never import solgrid.localnet, directly or through other modules,
    except ``solgrid localnet`` itself; and only ``solgrid build`` imports the toolchain."""
    apps = package_modules(*APPLICATIONS)
    assert set(apps) >= RUNS_THE_NODE and set(apps) >= RUNS_THE_TOOLCHAIN
    node = paths_into([m for m in apps if m not in RUNS_THE_NODE], "solgrid.localnet")
    assert node == []
    toolchain = [
        f"{m} imports {n}"
        for m in apps
        if m not in RUNS_THE_TOOLCHAIN
        for n in sorted(direct_imports(m))
        if in_package(n, "solgrid.build")
    ]
    assert toolchain == []
    # the exceptions are still needed (an exception nobody uses would hide a new one)
    assert any(in_package(n, "solgrid.localnet") for m in RUNS_THE_NODE for n in direct_imports(m))
    assert any(in_package(n, "solgrid.build") for m in RUNS_THE_TOOLCHAIN for n in direct_imports(m))


def test_the_checker_sees_imports_wherever_they_are(tmp_path: Path) -> None:
    """Function-level, TYPE_CHECKING, relative and importlib imports are all found."""
    sample = tmp_path / "probe.py"
    sample.write_text(
        "from typing import TYPE_CHECKING\n"
        "import importlib\n"
        "if TYPE_CHECKING:\n    from solgrid.localnet import svm\n"
        "def f() -> None:\n    import solgrid.cli.main\n    from ..indexer import store\n"
        "    importlib.import_module('solgrid.oracle.worker')\n"
    )
    found = set(imported_names(sample, "solgrid.sdk.probe"))
    assert {"solgrid.localnet", "solgrid.localnet.svm", "solgrid.cli.main", "solgrid.indexer.store"} <= found
    assert "solgrid.oracle.worker" in found


def test_importing_the_sdk_loads_none_of_them() -> None:
    """At run time: importing every SDK module leaves the node, toolchain and applications unloaded."""
    sdk = package_modules("solgrid.sdk")
    code = (
        "import importlib, sys\n"
        f"for m in {sdk!r}: importlib.import_module(m)\n"
        f"print(sorted(m for m in sys.modules if m.startswith({FORBIDDEN_TO_SDK!r})))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.strip() == "[]"


def test_the_api_reads_the_indexers_database_and_talks_to_no_program() -> None:
    """solgrid.api reads the indexer's tables (models, db) only: it reaches no module that sends
    transactions or reads accounts (the indexer's chain reader, the SDK's clients), and no other
    application. ``solgrid.indexer.credits`` is allowed too: the carbon-credit queries (pure SQL over the
    ``certificates`` table, importing the models only), shared with ``solgrid indexer credits`` so that
    the API's carbon credits are the same numbers as the CLI's; and ``solgrid.indexer.event_users``: the
    event fields that name a user (constants, importing nothing), shared with the feed so that the audit
    log's ``owner`` filter selects the events the feed's ``user`` topic does."""
    api = package_modules("solgrid.api")
    assert "solgrid.api.app" in api
    allowed_indexer = {
        "solgrid.indexer",
        "solgrid.indexer.models",
        "solgrid.indexer.db",
        "solgrid.indexer.credits",
        "solgrid.indexer.event_users",
    }
    assert direct_imports("solgrid.indexer.credits") == {"solgrid.indexer.models"}
    assert direct_imports("solgrid.indexer.event_users") == frozenset()
    direct = [
        f"{m} imports {n}"
        for m in api
        for n in sorted(direct_imports(m))
        if in_package(
            n, ("solgrid.cli", "solgrid.oracle", "solgrid.keeper", "solgrid.localnet", "solgrid.build")
        )
        or (in_package(n, "solgrid.indexer") and n not in allowed_indexer)
    ]
    assert direct == []
    chain = paths_into(api, "solgrid.indexer.chain") + paths_into(api, "solgrid.sdk.transactions")
    assert chain == []

"""Searchers are peers: none imports another's package, and the floor imports none of them.

The gp searcher is the floor's evolutionary engine used alone (srkit/search/floor/
evolution.py): mcts, llm and auto refine their formulas with it, so it is shared
machinery, not a peer that the others import."""

import ast
from pathlib import Path

import pytest

SEARCH = Path(__file__).resolve().parents[2] / "srkit" / "search"
PEERS = ("mcts", "dsn", "llm")


def _package(module: str) -> str | None:
    parts = module.split(".")
    if parts[:2] == ["srkit", "alpha"]:
        return "alpha"
    if parts[:2] == ["srkit", "search"] and len(parts) > 2 and parts[2] in (*PEERS, "floor"):
        return parts[2]
    return None


def _imports(files: list[Path]) -> set[str]:
    found = set()
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module)
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
    return found


def _files(name: str) -> list[Path]:
    return [SEARCH / f"{name}.py"] if (SEARCH / f"{name}.py").exists() else sorted((SEARCH / name).glob("*.py"))


@pytest.mark.parametrize("name", [*PEERS, "floor"])
def test_no_package_imports_another_searcher_or_alpha(name):
    used = {_package(m) for m in _imports(_files(name))} - {None, name}
    allowed = {"floor"} if name != "floor" else set()
    assert used <= allowed, f"srkit/search/{name} imports {sorted(used - allowed)}"


def test_auto_is_above_the_peers_and_no_peer_imports_it():
    # the portfolio composes the members (and the floor's closed form and GP); a member that
    # imported it back would make the layering circular
    used = {_package(m) for m in _imports(_files("auto"))} - {None}
    assert used == {"floor", "mcts", "dsn"}
    for name in (*PEERS, "floor"):
        assert "srkit.search.auto" not in _imports(_files(name)), name

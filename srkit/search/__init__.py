"""Searchers: one explicit table, one protocol (see srkit.search.base)."""

from __future__ import annotations

from typing import Any

from srkit.core.operators import suggest
from srkit.search.auto import AutoConfig, AutoSearcher
from srkit.search.base import Budget, Callback, Problem, SearchResult, SearchState, Searcher
from srkit.search.dsn import DSNConfig, DSNSearcher
from srkit.search.floor.evolution import GPConfig, GPSearcher
from srkit.search.llm import LLMConfig, LLMSearcher
from srkit.search.mcts import MCTSConfig, MCTSSearcher

__all__ = [
    "Budget", "Callback", "Problem", "SearchResult", "SearchState", "Searcher",
    "AutoConfig", "AutoSearcher", "GPConfig", "GPSearcher", "SEARCHERS", "make_searcher",
    "DSNConfig", "DSNSearcher", "LLMConfig", "LLMSearcher", "MCTSConfig", "MCTSSearcher",
]

#: Every searcher srkit ships, by name.
SEARCHERS: dict[str, type[Any]] = {
    "auto": AutoSearcher, "gp": GPSearcher, "mcts": MCTSSearcher, "dsn": DSNSearcher, "llm": LLMSearcher,
}


def make_searcher(searcher: str | Any, **options: Any) -> Any:
    """A searcher object from a name (``"gp"``) or an object passed through."""
    if isinstance(searcher, str):
        if searcher not in SEARCHERS:
            raise ValueError(
                f"unknown searcher {searcher!r}.{suggest(searcher, SEARCHERS)} Available: {', '.join(SEARCHERS)}"
            )
        return SEARCHERS[searcher](**options)
    if not hasattr(searcher, "search"):
        raise TypeError(f"searcher must be a name or an object with a search() method, got {searcher!r}")
    return searcher

"""The search floor: machinery more than one searcher needs, below the peer searchers.

Searchers (gp, mcts, dsn, llm) are peers: none imports another's package.  What
several of them use lives here, one concept per module:

- :mod:`~srkit.search.floor.closed_form`: sparse sums and rational functions of library
  terms fitted by least squares (:class:`~srkit.search.floor.closed_form.TermRegression`)
"""

from srkit.search.floor.closed_form import TermRegression

__all__ = ["TermRegression"]

"""The search floor: machinery more than one searcher needs, below the peer searchers.

Searchers (gp, mcts, dsn, llm) are peers: none imports another's package.  What
several of them use lives here, one concept per module:

- :mod:`~srkit.search.floor.closed_form`: sparse sums and rational functions of library
  terms fitted by least squares (:class:`~srkit.search.floor.closed_form.TermRegression`)
- :mod:`~srkit.search.floor.random_formulas`: the one random-formula generator
  (:func:`~srkit.search.floor.random_formulas.random_expr`)
- :mod:`~srkit.search.floor.rows`: search large data on a row subsample, then refit
  and re-score the front on all rows

The floor imports the core and the fitness layer only: no searcher, no ``srkit.alpha``.
"""

from srkit.search.floor.closed_form import TermRegression
from srkit.search.floor.random_formulas import random_expr

__all__ = ["TermRegression", "random_expr"]

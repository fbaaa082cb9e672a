"""The search floor: machinery more than one searcher needs, below the peer searchers.

Searchers (mcts, dsn, llm) are peers: none imports another's package.  What several
of them use lives here, one concept per module:

- :mod:`~srkit.search.floor.evolution`: genetic programming on DEAP
  (:class:`~srkit.search.floor.evolution.GPSearcher`), the ``gp`` searcher when used
  alone and the refiner of mcts's, llm's and auto's formulas
- :mod:`~srkit.search.floor.closed_form`: sparse sums and rational functions of library
  terms fitted by least squares (:class:`~srkit.search.floor.closed_form.TermRegression`)
- :mod:`~srkit.search.floor.random_formulas`: the one random-formula generator
  (:func:`~srkit.search.floor.random_formulas.random_expr`)
- :mod:`~srkit.search.floor.rows`: search large data on a row subsample, then refit
  and re-score the front on all rows
- :mod:`~srkit.search.floor.polish`: the last step of every fit (constants snapped
  where the data cannot tell)
- :mod:`~srkit.search.floor.dimensionless`: with units, search the dimensionless
  groups first (Buckingham π), then the original variables

The floor imports the core, fitness and units layers and :mod:`srkit.search.base`
only: no searcher, no ``srkit.alpha``.
"""

from srkit.search.floor.closed_form import TermRegression
from srkit.search.floor.random_formulas import random_expr

__all__ = ["TermRegression", "random_expr"]

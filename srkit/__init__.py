"""srkit: symbolic regression and formula discovery.

>>> import numpy as np, srkit
>>> X = np.random.default_rng(0).uniform(-1, 1, (50, 1))
>>> model = srkit.SymbolicRegressor(time_budget=5, random_state=0).fit(X, X[:, 0] ** 2 + X[:, 0])  # doctest: +SKIP
"""

import logging as _logging

from srkit.core import (
    DataError,
    Dataset,
    Expr,
    Operator,
    OperatorRegistry,
    OperatorSet,
    ParetoFront,
    ParseError,
    as_dataset,
    default_registry,
    parse,
)
from srkit.estimator import SymbolicRegressor, load
from srkit.fitness import CoefficientFitter, Evaluator

__version__ = "0.1.0"

_logging.getLogger(__name__).addHandler(_logging.NullHandler())

__all__ = [
    "DataError", "Dataset", "Expr", "Operator", "OperatorRegistry", "OperatorSet", "ParetoFront",
    "ParseError", "as_dataset", "default_registry", "parse", "SymbolicRegressor", "load",
    "CoefficientFitter", "Evaluator", "__version__",
]

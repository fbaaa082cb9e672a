"""The expression core: operators, expressions, data, parsing, Pareto fronts."""

from srkit.core.builtins import BUILTIN_OPERATORS, DEFAULT_OPERATORS, default_registry
from srkit.core.data import DataError, Dataset, as_dataset
from srkit.core.expr import Expr
from srkit.core.operators import COEF, VAR, Operator, OperatorRegistry, OperatorSet
from srkit.core.pareto import ParetoEntry, ParetoFront
from srkit.core.parse import ParseError, parse
from srkit.core.rng import as_generator, spawn

__all__ = [
    "BUILTIN_OPERATORS", "DEFAULT_OPERATORS", "default_registry", "DataError", "Dataset",
    "as_dataset", "Expr", "COEF", "VAR", "Operator", "OperatorRegistry", "OperatorSet",
    "ParetoEntry", "ParetoFront", "ParseError", "parse", "as_generator", "spawn",
]

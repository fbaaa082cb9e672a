"""Alpha factor mining on daily stock panels (dates x assets) with srkit's searchers."""

from srkit.alpha.formula import factor, factor_values, parse_factor, search_opset
from srkit.alpha.metrics import Split, evaluate, factor_metrics, forward_returns, turnover
from srkit.alpha.operators import alpha_registry
from srkit.alpha.panel import Panel, load_panel
from srkit.alpha.pool import FactorPool
from srkit.alpha.walk_forward import make_folds, walk_forward

__all__ = [
    "Panel", "load_panel", "factor", "factor_values", "parse_factor", "search_opset", "evaluate",
    "factor_metrics", "forward_returns", "turnover", "Split", "FactorPool", "alpha_registry", "make_folds",
    "walk_forward",
]

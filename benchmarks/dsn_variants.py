"""The dsn searcher and its ablations as benchmark methods (``label=file.py:function``).

Each function is a custom method of ``benchmarks/run.py`` (see ``_harness.py``): it fits
``SymbolicRegressor(searcher=DSNSearcher(...))`` with one switch of :class:`DSNConfig`
changed, so the summary tables show the variants side by side::

    python benchmarks/run.py --suites nguyen feynman20 --seeds 0 1 --time-budget 120 \\
        --methods srkit-dsn dsn-norefine=benchmarks/dsn_variants.py:no_refinement \\
                  dsn-uniform=benchmarks/dsn_variants.py:uniform_sampling \\
                  dsn-noclip=benchmarks/dsn_variants.py:no_adaptive_clipping \\
                  dsn-nosparse=benchmarks/dsn_variants.py:no_sparse_refit \\
                  dsn-nolog=benchmarks/dsn_variants.py:no_log_space \\
        --out benchmarks/results/regression/dsn/dsn_ablation.jsonl --workers 2

Extra ``DSNConfig`` settings can be passed to every variant with ``--options '{"depths": [1, 2]}'``.
"""

from __future__ import annotations

from typing import Any


def _warm_up() -> None:
    """Import torch and load srkit's compiled kernel now: the harness imports this module
    before it starts the clock (srkit-dsn gets the same warm-up from the harness)."""
    import numpy as np
    import torch  # noqa: F401

    from srkit.core.parse import parse
    from srkit.fitness import interpret

    interpret(parse("x0 * 2.0 + sin(x0)"), np.ones((1, 4)), 4)


_warm_up()


def _fit(X: Any, y: Any, names: list[str], time_budget: float, seed: int, **config: Any) -> dict[str, Any]:
    from srkit import SymbolicRegressor
    from srkit.search import DSNSearcher

    config = {k: tuple(v) if isinstance(v, list) else v for k, v in config.items()}  # JSON lists
    model = SymbolicRegressor(searcher=DSNSearcher(**config), time_budget=time_budget, random_state=seed)
    model.fit(X, y, feature_names=names)
    result = model.result_
    return {
        "expression": str(model.best_.expr), "size": int(model.best_.expr.size),
        "n_evals": int(result.n_evals), "iterations": int(result.iterations), "stopped_by": result.stopped_by,
    }


def full(X: Any, y: Any, names: list[str], time_budget: float, seed: int, **config: Any) -> dict[str, Any]:
    """dsn with its defaults (as ``srkit-dsn``, but through this module)."""
    return _fit(X, y, names, time_budget, seed, **config)


def no_refinement(X: Any, y: Any, names: list[str], time_budget: float, seed: int, **config: Any) -> dict[str, Any]:
    """Ablation: the network's own weights, no coefficient fitting or snapping."""
    return _fit(X, y, names, time_budget, seed, **{**config, "refine": False})


def uniform_sampling(X: Any, y: Any, names: list[str], time_budget: float, seed: int, **config: Any) -> dict[str, Any]:
    """Ablation: architectures drawn uniformly, no policy gradient."""
    return _fit(X, y, names, time_budget, seed, **{**config, "policy_gradient": False})


def no_adaptive_clipping(X: Any, y: Any, names: list[str], time_budget: float, seed: int, **config: Any) -> dict[str, Any]:
    """Ablation: no gradient clipping while training the networks."""
    return _fit(X, y, names, time_budget, seed, **{**config, "adaptive_clip": False})


def no_sparse_refit(X: Any, y: Any, names: list[str], time_budget: float, seed: int, **config: Any) -> dict[str, Any]:
    """Ablation: no expansion and sparse least-squares re-fit of each batch's best formula."""
    return _fit(X, y, names, time_budget, seed, **{**config, "sparse_refit": False})


def no_log_space(X: Any, y: Any, names: list[str], time_budget: float, seed: int, **config: Any) -> dict[str, Any]:
    """Ablation: every network trained on the raw variables (no log-space batches)."""
    return _fit(X, y, names, time_budget, seed, **{**config, "log_space": False})

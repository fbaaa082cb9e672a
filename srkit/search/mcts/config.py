"""MCTSConfig: every hyper-parameter of the mcts searcher, in one frozen dataclass."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from srkit.search.floor.evolution import GPConfig
from srkit.search.mcts.grammar import StructureRules
from srkit.search.mcts.subtree import FORM_KINDS

__all__ = ["MCTSConfig"]


def _default_gp() -> GPConfig:
    # GP's own defaults: with fewer individuals (300) or generations per call (20) the
    # pipeline lost problems GP alone solves (Nguyen-1, -9, -10 at 12-20 s)
    return GPConfig(patience_after_exact=10)


@dataclass(frozen=True)
class MCTSConfig:
    """Hyper-parameters of :class:`~srkit.search.mcts.MCTSSearcher` (RSRM-style search).

    Structure of the expressions MCTS builds
        rules : :class:`StructureRules` (depth and size limits, coefficient cap, no
            nested trig, no exp(log) / log(exp), no constant-only subtrees); a dict of
            its fields is accepted too.  Capped by the problem's ``max_size``/``max_depth``.

    Tree search
        n_simulations : simulations per committed token (the reference: 100).
        min_visits : children visited fewer times than this are tried first (reference n0 = 10).
        max_weight : weight of the max reward (vs the mean) in the selection score
            (1 = the reference's max backup, 0 = plain UCT).
        exploration : UCT bonus constant.
        length_discount : eta in the reward ``eta**size / (1 + sqrt(loss / loss_of_mean))``.
        fit_fraction : share of new expressions with coefficients whose coefficients are
            fitted: those whose affine-rescaled loss (one evaluation) ranks best so far.
            The others are scored by that estimate.
        p_leaf : probability mass of the leaves in the base rollout policy (keeps
            random completions small).

    Double Q-learning
        double_q : guide rollouts and fresh children with the Q tables (False: prior only).
        q_learning_rate : alpha (the reference: 1e-3, too small to move the policy).
        q_discount : gamma.
        q_step_reward : reward of a non-final token (the reference: -0.1).
        policy_mix : weight of ``softmax(Q / q_temperature)`` against the prior.
        q_temperature : softmax temperature on Q (rewards are in [0, 1]).
        q_max_states : prefixes stored per table at most (memory bound).
        learn_from_gp : replay GP's front into the Q table of the lane that seeded it.

    Sub-tree discovery
        subtree_discovery : run the second lane on forms mined from the best expressions.
        form_kinds : which forms may fire, tried in this order.
        form_max_exprs, form_expr_ratio, form_part_ratio : voting (see
            :func:`~srkit.search.mcts.subtree.mine_forms`).

    Term regression
        term_regression : fit sparse least-squares sums of library terms and of the
            sub-trees found, and rational functions, each epoch (see
            :mod:`srkit.search.floor.closed_form`); their models seed GP like MCTS's.
        term_max_terms : most terms in one sum.
        term_max_degree : highest power of a variable in the monomial library.
        term_subtrees : sub-trees of the best expressions added to the library per epoch.
        term_time_share : after the first epoch, term regression is skipped while it has
            used more than this share of the time so far (wide data makes it costly).

    Pipeline
        gp_refine : hand each lane's best expressions to GP (False: MCTS alone).
        gp : :class:`~srkit.search.floor.evolution.GPConfig` of the refining GP (a dict works too).
        gp_generations : GP generations per call.
        n_seeds : best MCTS expressions handed to GP per call.
        pool_size : recycled pool of GP results per lane, seeded again next epoch.
            (10 and 10: with 50 and 50 the seeds, mostly curve fits, crowded out GP's
            random individuals; Nguyen-1..12 at 12 s went from 4/12 to 5/12.)
        reset_interval : epochs after which a lane's Q table and pool start afresh
            (the reference: 25 and 30); 0 = never.

    Examples
    --------
    >>> MCTSConfig(double_q=False).double_q
    False
    >>> MCTSConfig(rules={"max_depth": 4}).rules.max_depth
    4
    """

    rules: StructureRules = field(default_factory=StructureRules)
    # tree search
    n_simulations: int = 40
    min_visits: int = 1
    max_weight: float = 0.5
    exploration: float = 0.3
    length_discount: float = 0.99
    fit_fraction: float = 0.1
    p_leaf: float = 0.4
    # double Q-learning
    double_q: bool = True
    q_learning_rate: float = 0.2
    q_discount: float = 1.0
    q_step_reward: float = 0.0
    policy_mix: float = 0.5
    q_temperature: float = 0.1
    q_max_states: int = 100_000
    learn_from_gp: bool = True
    # sub-tree discovery
    subtree_discovery: bool = True
    form_kinds: tuple[str, ...] = FORM_KINDS
    form_max_exprs: int = 20
    form_expr_ratio: float = 0.1
    form_part_ratio: float = 0.5
    # term regression
    term_regression: bool = True
    term_max_terms: int = 8
    term_max_degree: int = 8
    term_subtrees: int = 100
    term_time_share: float = 0.2
    # pipeline
    gp_refine: bool = True
    gp: GPConfig = field(default_factory=_default_gp)
    gp_generations: int = 50
    n_seeds: int = 10
    pool_size: int = 10
    reset_interval: int = 25

    def __post_init__(self) -> None:
        if isinstance(self.rules, dict):
            object.__setattr__(self, "rules", StructureRules(**self.rules))
        if isinstance(self.gp, dict):
            object.__setattr__(self, "gp", replace(_default_gp(), **self.gp))
        if isinstance(self.form_kinds, (list, str)):
            kinds = (self.form_kinds,) if isinstance(self.form_kinds, str) else tuple(self.form_kinds)
            object.__setattr__(self, "form_kinds", kinds)
        bad = [k for k in self.form_kinds if k not in FORM_KINDS]
        if bad:
            raise ValueError(f"unknown form kinds {bad}; choose from {FORM_KINDS}")
        if self.n_simulations < 1 or self.min_visits < 0 or self.gp_generations < 1:
            raise ValueError("n_simulations and gp_generations must be >= 1, min_visits >= 0")
        for name in ("max_weight", "p_leaf", "fit_fraction", "policy_mix", "form_expr_ratio", "form_part_ratio",
                     "term_time_share"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be in [0, 1], got {getattr(self, name)!r}")
        if not 0 < self.length_discount <= 1 or self.q_temperature <= 0:
            raise ValueError("length_discount must be in (0, 1] and q_temperature > 0")
        if self.term_max_terms < 1 or self.term_max_degree < 1 or self.term_subtrees < 0:
            raise ValueError("term_max_terms and term_max_degree must be >= 1, term_subtrees >= 0")
        if self.n_seeds < 1 or self.pool_size < 0 or self.reset_interval < 0:
            raise ValueError("n_seeds must be >= 1, pool_size and reset_interval >= 0")

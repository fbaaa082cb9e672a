"""DSNConfig: every hyper-parameter of the dynamic symbolic network searcher."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DSNConfig"]


@dataclass(frozen=True)
class DSNConfig:
    """Hyper-parameters of :class:`~srkit.search.dsn.DSNSearcher`.

    The defaults are sized for CPU budgets of minutes (see benchmarks/RESULTS.md);
    the published method (DySymNet, Li et al. ICML 2024) trains each network for
    22,002 steps and samples 5,000 networks, which takes days on a CPU.

    Parameters
    ----------
    Search space
    depths : numbers of hidden layers the controller may choose from.
    widths : numbers of units per hidden layer (one width for all layers of a network).
    unit_operators : names of the operators a unit may compute (each must be in the run's
        operator set).  None: every unary and binary operator of the operator set except
        ``add``, ``sub`` and ``neg`` (those are linear, which the units' inputs already
        are), plus the identity unit and a square unit (``square``, or ``pow(z, 2)``
        when the set has ``pow`` only; see :func:`~srkit.search.dsn.network.unit_library`).
    identity_unit : offer the identity unit (a linear combination passed through).
    add_bias : give every linear combination (unit inputs and the output) a bias; without
        it additive constants can only come from units such as ``cos(0)``.

    Controller (an LSTM cell sampling depth, width, then each layer's operators)
    batch_size : networks sampled and trained together per controller update.  20 (not
        the paper's 10): a batch trains in one set of tensors, so 20 networks cost far
        less than twice 10, and at 60 s 20 gave the better fits
        (benchmarks/notes/results-history-to-2026-12-07.md §7, screen 2).
    hidden_size : LSTM hidden units.
    embedding_size : size of the embedding of each sampled choice fed to the next step.
    controller_lr : Adam learning rate of the controller.  0.03 (the published code: 6e-4
        over 500 updates): a CPU budget of minutes affords 10-40 updates, and at 3e-3
        the sampling stayed close to uniform over that many
        (benchmarks/notes/results-history-to-2026-12-07.md §7, the ablation and screen 2).
    risk_fraction : risk-seeking policy gradient: only the best ``risk_fraction`` of a
        batch (by reward) contribute, weighted by how far they exceed the quantile.
    entropy_weight : weight of the entropy bonus.
    policy_gradient : False samples architectures uniformly and never updates the
        controller (ablation "without the policy gradient").

    Network training (full batch, RMSprop, all networks of a batch in one set of tensors)
    steps_stage1 : steps of stage 1 (MSE, then MSE + smoothed L0.5 penalty).
    steps_stage2 : steps of stage 2: weights under the prune threshold are fixed at 0
        and the rest are fine-tuned on the MSE alone.
    reg_start : fraction of stage 1 trained on the MSE alone before the penalty starts.
    reg_weight : weight of the smoothed L0.5 penalty (on every weight and bias).
    reg_a : the smoothing width ``a`` of the L0.5 penalty (below ``|w| < a`` it is a
        quartic, so its gradient stays finite at 0).
    lr : RMSprop learning rate; times 0.1 after ``lr_decay_at`` of stage 1 and again in
        stage 2 (the published schedule, compressed).
    lr_decay_at : fraction of stage 1 after which the learning rate drops by 10.
    init_std : standard deviation of the initial hidden weights (normal, cut at +-2);
        output weights start uniform in [0, 1).
    adaptive_clip : clip each network's gradient norm at ``clip_factor`` times the mean
        of its last ``clip_window`` norms (``max_norm`` during the first window).  False:
        no clipping (ablation "without adaptive clipping").
    clip_factor, clip_window, max_norm : see ``adaptive_clip``.
    max_train_points : networks train on at most this many rows (drawn at random);
        the extracted formulas are refined and scored on all rows.
    check_every : steps between checks for divergence, plateaus and the time budget.
    max_restarts : a network whose loss turns non-finite is re-initialised this often.
    hopeless_nmse : after ``reg_start`` of stage 1, a network whose normalised MSE is
        above this is abandoned (it would not explain the data).
    plateau_tol : a stage ends early when no live network improved its loss by more than
        this relative amount over the last check.

    Extraction and refinement
    prune_threshold : hidden weights and biases below this (in absolute value) are cut.
    output_threshold : output weights below this are cut.
    extra_thresholds : further prune thresholds tried on each trained network; every
        threshold gives a candidate formula (sparser ones help exact recovery).
    refine_top : per batch, the formulas of this many networks (the best trained) are
        refined; the others are scored with the network's own coefficients (refining a
        large formula on 10,000 rows takes about a second).
    max_refine_points : coefficients are refined on at most this many rows (a fixed
        random subset); the formulas are scored on all rows.
    refine_restarts : Levenberg-Marquardt restarts from perturbed start values when a
        formula is refined (None: the problem fitter's own setting).  The trained
        network's weights are already a good start, and restarts tripled the cost of
        refinement, which takes most of a batch's time.
    refine : fit the extracted formula's coefficients with the problem's coefficient
        fitter (Levenberg-Marquardt with snapping to simple rationals).  False keeps the
        network's values (ablation "without coefficient refinement").
    max_dropped_terms : after refinement, up to this many smaller formulas are made from
        each one by dropping its least useful top-level additive term, one at a time
        (0: never); they are refined and offered too.
    sparse_refit : the best refined formula of each batch is expanded (sympy) into a sum
        of terms, and the data's sub-sum is searched by least squares (best small
        subsets, greedy steps, backward elimination over those terms; weights snapped).
        A network that computes ``(a*x + b)**2 + c*x`` offers ``x**2 + x`` this way.
    max_expanded_terms : formulas that expand into more terms than this are not re-fitted.
    lift_terms : the sparse refit also offers each expanded term times and divided by each
        input variable (its neighbours in monomial space), so a network that found
        ``m*(u + v + w)`` yields ``m*(u**2 + v**2 + w**2)/2`` (I.13.4).
    lift_functions : the sparse refit also offers each unary operator applied to each
        input variable, alone and times each expanded term (sums only, in a pass after
        the plain terms), so a network whose ``B*v*(a + b*t)`` stands in for a sine
        yields ``B*v*sin(t)`` (I.12.11).
    rational_refit : the sparse refit also fits ratios ``P / Q`` of two sparse sums over
        those terms (linearised least squares, ``y * Q = P``), for laws such as
        ``(m1*r1 + m2*r2) / (m1 + m2)`` (I.18.4) that no network sum writes exactly.
    log_space : also train networks in log space (``log|y|`` from the raw inputs plus
        ``log|x_j|`` of the variables that keep one sign; a network ``f`` becomes
        ``sign(y) * exp(f)``, so products of powers are sums), where ``y`` keeps one
        sign and ``exp`` is an operator.  Each space has its own controller; after one
        batch each, 3 of every 4 batches go to the space with the best reward so far.
        See :mod:`srkit.search.dsn.logspace`.
    factor_space : also train networks on ``y / M`` and ``M / y``, where ``M`` is the
        monomial of the variables whose slope in a regression of ``log|y|`` on
        ``log|x_j|`` is an integer (``m*r*v`` in ``m*r*v*sin(theta)``); a network ``f``
        becomes ``M * f`` or ``M / f``.  Unlike the log space it works where ``y``
        changes sign (``M / y`` only where ``y / M`` keeps one sign).  Before any network,
        each view ``(y / M) ** p`` (``p`` in 1, -1, 2, -2) is also screened by the sparse
        refit over the variables and their pairwise products and quotients, which finds
        ``sqrt((x2 - x1)**2 + (y2 - y1)**2)`` in closed form.  Space selection as for the
        log space.  See :mod:`srkit.search.dsn.factorspace`.
    complexity_weight : reward = 1 / (1 + NRMSE) - complexity_weight * complexity.
    patience_after_exact : controller updates still run after an exact fit is found
        (the search may still find a simpler exact form).

    Execution
    device : torch device ("cpu" or "cuda"); "cuda" needs a GPU.
    torch_threads : torch intra-op threads during the search (restored afterwards); 1
        is fastest for these small tensors (more threads made training 5-20x slower
        on a 2-core machine).
    dtype : "float64" or "float32".

    Examples
    --------
    >>> DSNConfig(depths=(1, 2), widths=(2, 3)).batch_size
    20
    """

    # search space
    depths: tuple[int, ...] = (1, 2)
    widths: tuple[int, ...] = (1, 2, 3)
    unit_operators: tuple[str, ...] | None = None
    identity_unit: bool = True
    add_bias: bool = True
    # controller
    batch_size: int = 20
    hidden_size: int = 32
    embedding_size: int = 8
    controller_lr: float = 3e-2
    risk_fraction: float = 0.5
    entropy_weight: float = 0.005
    policy_gradient: bool = True
    # network training
    steps_stage1: int = 400
    steps_stage2: int = 100
    reg_start: float = 0.2
    reg_weight: float = 5e-3
    reg_a: float = 0.05
    lr: float = 1e-2
    lr_decay_at: float = 0.6
    init_std: float = 0.5
    adaptive_clip: bool = True
    clip_factor: float = 0.1
    clip_window: int = 50
    max_norm: float = 1.0
    max_train_points: int = 256
    check_every: int = 100
    max_restarts: int = 2
    hopeless_nmse: float = 0.9
    plateau_tol: float = 1e-4
    # extraction and refinement
    prune_threshold: float = 0.05
    output_threshold: float = 0.01
    extra_thresholds: tuple[float, ...] = (0.15,)
    refine: bool = True
    refine_top: int = 4
    max_refine_points: int = 1000
    refine_restarts: int | None = 0
    max_dropped_terms: int = 4
    sparse_refit: bool = True
    max_expanded_terms: int = 40
    lift_terms: bool = True
    lift_functions: bool = True
    rational_refit: bool = True
    log_space: bool = True
    factor_space: bool = True
    complexity_weight: float = 0.002
    patience_after_exact: int = 2
    # execution
    device: str = "cpu"
    torch_threads: int | None = 1
    dtype: str = "float64"

    def __post_init__(self) -> None:
        if not self.depths or min(self.depths) < 1:
            raise ValueError(f"depths must be positive layer counts, got {self.depths}")
        if not self.widths or min(self.widths) < 1:
            raise ValueError(f"widths must be positive unit counts, got {self.widths}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {self.batch_size}")
        if not 0 < self.risk_fraction <= 1:
            raise ValueError(f"risk_fraction must be in (0, 1], got {self.risk_fraction}")
        if self.steps_stage1 < 1 or self.steps_stage2 < 0:
            raise ValueError("steps_stage1 must be >= 1 and steps_stage2 >= 0")
        if not 0 <= self.reg_start <= 1 or not 0 <= self.lr_decay_at <= 1:
            raise ValueError("reg_start and lr_decay_at are fractions of stage 1, in [0, 1]")
        if self.prune_threshold < 0 or self.output_threshold < 0 or min(self.extra_thresholds, default=0) < 0:
            raise ValueError("prune thresholds must be >= 0")
        if self.dtype not in ("float64", "float32"):
            raise ValueError(f"dtype must be 'float64' or 'float32', got {self.dtype!r}")
        if self.check_every < 1 or self.clip_window < 1:
            raise ValueError("check_every and clip_window must be >= 1")
        if self.torch_threads is not None and self.torch_threads < 1:
            raise ValueError("torch_threads must be >= 1 or None (leave torch's setting alone)")

"""dsn searcher: extraction is exact, training recovers a one-layer law, same seed same result."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

from srkit.core import as_dataset, default_registry
from srkit.fitness import Evaluator, interpret
from srkit.search import Budget, DSNConfig, DSNSearcher, Problem, make_searcher
from srkit.search.dsn.extract import extract
from srkit.search.dsn.network import Architecture, NetworkBatch, unit_library


def _problem(f, n_vars=2, ops=("add", "sub", "mul", "sin", "square"), n=40, seed=0, **kw):
    X = np.random.default_rng(seed).uniform(-1, 1, (n, n_vars))
    data = as_dataset(X, f(X))
    opset = default_registry().operator_set(ops, data.feature_names)
    return Problem(data, opset, Evaluator(data), **kw)


def _units(opset):
    units = unit_library(opset, None, identity=True)
    return units, {u.name: i for i, u in enumerate(units)}


def _network(opset, archs, seed=0):
    import torch

    units, _ = _units(opset)
    return NetworkBatch(archs, units, opset.n_variables, add_bias=True, init_std=0.5,
                        rng=np.random.default_rng(seed), device="cpu", dtype=torch.float64)


def _set(net, j, weights):
    """Write hand-set weights (the layout of NetworkBatch.weights_of) into network j."""
    import torch

    flat = []
    for i, (a, b) in enumerate(net.shapes):
        layer, kind = divmod(i, 2)
        if i == len(net.shapes) - 2:
            block = np.asarray(weights["w_out"], float).reshape(a, b)
        elif i == len(net.shapes) - 1:
            block = np.array([[weights["b_out"]]])
        else:
            block = np.asarray(weights["W" if kind == 0 else "b"][layer], float).reshape(a, b)
        flat.append(block.ravel())
    with torch.no_grad():
        net.theta[j] = torch.tensor(np.concatenate(flat))


def _set_and_read(net, arch, units, opset, weights, X):
    """Hand-set network 0, then its predictions on X and the formula extracted from it."""
    import torch

    _set(net, 0, weights)
    with torch.no_grad():
        values = net.forward(torch.tensor(X))[0].numpy()
    return values, extract(net.weights_of(0), arch, units, opset)


def test_hand_set_network_extracts_to_the_exact_expression_it_computes():
    problem = _problem(lambda X: X[:, 0], ops=("add", "mul", "sin", "square"))
    opset = problem.opset
    units, idx = _units(opset)
    # layer 1: [x0*x1, sin(2*x0 + 0.5)], layer 2: [identity, square], output 3*h1 + 0.5*h2 + 1
    arch = Architecture(((idx["mul"], idx["sin"]), (idx[None], idx["square"])))
    net = _network(opset, [arch])
    W1 = np.zeros((2, 4))
    W1[0, 0], W1[1, 1], W1[0, 2] = 1.0, 1.0, 2.0
    b1 = np.array([0.0, 0.0, 0.5, 0.0])
    W2 = np.zeros((2, 4))
    W2[0, 0], W2[1, 2] = 1.0, 3.0  # identity(h1), square(3*h2)
    weights = {"W": [W1, W2], "b": [b1, np.zeros(4)], "w_out": [3.0, 0.5], "b_out": 1.0}
    X = problem.dataset.X
    values, expr = _set_and_read(net, arch, units, opset, weights, X)
    x0, x1 = sympy.symbols("x0 x1", real=True)
    # square(3*sin(...)) comes out as 9*square(sin(...)): 0.5*9 = 4.5
    truth = 3 * x0 * x1 + sympy.Rational(9, 2) * sympy.sin(2 * x0 + sympy.Rational(1, 2)) ** 2 + 1
    assert sympy.simplify(expr.to_sympy(rational=True) - truth) == 0
    np.testing.assert_allclose(interpret(expr, problem.dataset.columns, len(X)), values, rtol=1e-12)


_RANDOM_NET_OPS = ("add", "mul", "div", "sin", "exp", "square", "sqrt")
_POW_NET_OPS = ("add", "mul", "cos", "log", "pow")  # the square unit is pow(z, 2) here


@pytest.mark.parametrize("seed,ops", [(1, _RANDOM_NET_OPS), (2, _RANDOM_NET_OPS), (3, _RANDOM_NET_OPS),
                                      (4, _RANDOM_NET_OPS), (5, _RANDOM_NET_OPS), (6, _RANDOM_NET_OPS),
                                      (7, _POW_NET_OPS), (8, _POW_NET_OPS)])
def test_random_networks_extract_to_what_they_compute(seed, ops):
    """Any trained-looking network (dense random weights, every unit kind, mixed widths and
    depths in one padded batch) reads out exactly."""
    import torch

    problem = _problem(lambda X: X[:, 0], n_vars=3, ops=ops)
    opset = problem.opset
    units, _ = _units(opset)
    rng = np.random.default_rng(seed)
    archs = []
    for _ in range(5):
        width, depth = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        archs.append(Architecture(tuple(tuple(int(u) for u in rng.integers(0, len(units), width))
                                        for _ in range(depth))))
    net = NetworkBatch(archs, units, opset.n_variables, add_bias=True, init_std=0.5, rng=rng, device="cpu",
                       dtype=torch.float64)
    with torch.no_grad():  # every live weight non-zero
        net.theta.add_(torch.tensor(rng.normal(0.0, 0.3, net.theta.shape)) * net.mask)
    X = problem.dataset.X
    x_scale = np.array([2.0, 0.5, 3.0])  # the network sees X / x_scale; the formula takes X
    with torch.no_grad():
        values = net.forward(torch.tensor(X / x_scale)).numpy()
    n_compared = 0
    for j, arch in enumerate(archs):
        expr = extract(net.weights_of(j), arch, units, opset, x_scale=x_scale, y_scale=2.0, y_offset=-1.0)
        values[j] = values[j] * 2.0 - 1.0
        got = interpret(expr, problem.dataset.columns, len(X))
        finite = np.isfinite(got)  # off-domain points: the network guards them, the formula is nan
        n_compared += int(finite.sum())
        np.testing.assert_allclose(got[finite], values[j][finite], rtol=1e-9, atol=1e-12)
    assert n_compared >= len(archs) * len(X) // 4  # most points were compared, not skipped


def test_square_unit_is_pow_2_when_the_set_has_pow_but_not_square():
    import torch

    problem = _problem(lambda X: X[:, 0], ops=("add", "sub", "mul", "sqrt", "pow"))
    opset = problem.opset
    units = unit_library(opset, None, identity=True)
    labels = [u.label for u in units]
    assert labels == ["id", "mul", "sqrt", "pow", "square"]
    assert [u.label for u in unit_library(opset, ["mul", "square"], identity=False)] == ["mul", "square"]
    sq, root = labels.index("square"), labels.index("sqrt")
    # sqrt((2*x0 - 2*x1)**2 + (x1 + 0.5)**2): a distance, two square units and a sqrt
    arch = Architecture(((sq, sq), (root, root)))
    net = NetworkBatch([arch], units, 2, add_bias=True, init_std=0.5, rng=np.random.default_rng(0),
                       device="cpu", dtype=torch.float64)
    W1 = np.zeros((2, 4))
    W1[0, 0], W1[1, 0], W1[1, 2] = 2.0, -2.0, 1.0
    b1 = np.array([0.0, 0.0, 0.5, 0.0])
    W2 = np.zeros((2, 4))
    W2[0, 0], W2[1, 0] = 1.0, 1.0
    weights = {"W": [W1, W2], "b": [b1, np.zeros(4)], "w_out": [1.0, 0.0], "b_out": 0.0}
    X = problem.dataset.X
    values, expr = _set_and_read(net, arch, units, opset, weights, X)
    assert "square" not in str(expr) and "**" in str(expr)
    x0, x1 = sympy.symbols("x0 x1", real=True)
    truth = sympy.sqrt((2 * x0 - 2 * x1) ** 2 + (x1 + sympy.Rational(1, 2)) ** 2)
    assert sympy.simplify(expr.to_sympy(rational=True) - truth) == 0
    np.testing.assert_allclose(interpret(expr, problem.dataset.columns, len(X)), values, rtol=1e-12)


def test_scale_factors_move_out_of_units():
    problem = _problem(lambda X: X[:, 0], n_vars=1, ops=("add", "mul", "square", "log"))
    units, idx = _units(problem.opset)
    arch = Architecture(((idx["square"], idx["log"]),))
    weights = {"W": [np.array([[3.0, 0.0, 2.0, 0.0]])], "b": [np.array([0.0, 0.0, 4.0, 0.0])],
               "w_out": [0.1, 1.0], "b_out": 0.0}
    expr = extract(weights, arch, units, problem.opset)
    # 0.1*(3x)^2 + log(2x + 4) = 0.9*x^2 + log(x + 2) + log(2)
    assert str(expr) == f"0.9 * square(x0) + log(x0 + 2.0) + {float(np.log(2.0))!r}"


_SMALL = DSNConfig(depths=(1,), widths=(2, 3), batch_size=6, steps_stage1=600, steps_stage2=200)


@pytest.mark.slow
def test_training_recovers_a_one_layer_law():
    problem = _problem(lambda X: 2.5 * np.sin(X[:, 0]) + X[:, 1] ** 2)
    result = DSNSearcher(_SMALL).search(problem, budget=Budget(iterations=2), rng=np.random.default_rng(0))
    assert result.best.loss <= problem.evaluator.loss_floor
    x0, x1 = sympy.symbols("x0 x1", real=True)
    found = result.best.expr.to_sympy(rational=True)
    assert sympy.simplify(found - (sympy.Rational(5, 2) * sympy.sin(x0) + x1**2)) == 0


def _front(result):
    return [(r["equation"], r["loss"]) for r in result.to_records()]


@pytest.mark.slow
def test_same_seed_same_result():
    cfg = DSNConfig(depths=(1, 2), widths=(1, 2), batch_size=4, steps_stage1=200, steps_stage2=50)
    runs = [
        DSNSearcher(cfg).search(_problem(lambda X: X[:, 0] * np.sin(X[:, 1])), budget=Budget(iterations=2),
                                rng=np.random.default_rng(5))
        for _ in range(2)
    ]
    assert _front(runs[0]) == _front(runs[1])
    # the sampled architectures, the trained networks and the fits are bit-identical
    # (the evaluation counts differed before srkit's own LM replaced scipy's MINPACK)
    assert runs[0].n_evals == runs[1].n_evals
    for key in ("depths", "widths", "train_nmse", "train_steps"):
        assert [h[key] for h in runs[0].history] == [h[key] for h in runs[1].history]


def test_torch_threads_restored_and_budget_in_iterations():
    import torch

    before = torch.get_num_threads()
    cfg = DSNConfig(depths=(1,), widths=(1,), batch_size=2, steps_stage1=50, steps_stage2=10)
    result = DSNSearcher(cfg).search(_problem(lambda X: X[:, 0] + 1), budget=Budget(iterations=1),
                                     rng=np.random.default_rng(0))
    assert torch.get_num_threads() == before
    assert result.iterations == 1 and result.best is not None
    assert result.history[0]["train_steps"] <= 60


def test_time_budget_ends_training_mid_batch():
    cfg = DSNConfig(steps_stage1=10**6, check_every=20)  # one batch would take hours
    result = DSNSearcher(cfg).search(_problem(lambda X: X[:, 0] * X[:, 1]), budget=Budget(time=1.0),
                                     rng=np.random.default_rng(0))
    assert result.stopped_by == "time"
    # one batch would train for hours: that the test ends at all shows it was cut (no
    # wall-clock bound here; benchmarks/bench_budget.py times budgets)
    assert result.best is not None


def test_ablation_switches_run():
    cfg = DSNConfig(depths=(1,), widths=(2,), batch_size=3, steps_stage1=100, steps_stage2=20,
                    policy_gradient=False, refine=False, adaptive_clip=False)
    result = DSNSearcher(cfg).search(_problem(lambda X: X[:, 0] * 2), budget=Budget(iterations=2),
                                     rng=np.random.default_rng(0))
    assert result.iterations == 2
    assert all(np.isnan(h["reward_quantile"]) for h in result.history)  # the controller never learns


def test_bad_options_fail_before_work():
    with pytest.raises(ValueError, match="add 'mul'"):
        DSNSearcher().search(_problem(lambda X: X[:, 0], ops=("add", "sin")), budget=Budget(iterations=1),
                             rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="not in this run's operator set"):
        DSNSearcher(unit_operators=("tanh",)).search(_problem(lambda X: X[:, 0]), budget=Budget(iterations=1),
                                                     rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="depths"):
        DSNConfig(depths=(0,))
    import torch

    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA"):
            DSNSearcher(device="cuda").search(_problem(lambda X: X[:, 0]), budget=Budget(iterations=1),
                                              rng=np.random.default_rng(0))


def test_registered_and_usable_from_the_estimator():
    from srkit import SymbolicRegressor

    assert isinstance(make_searcher("dsn"), DSNSearcher)
    X = np.random.default_rng(0).uniform(-1, 1, (30, 1))
    searcher = DSNSearcher(DSNConfig(depths=(1,), widths=(1,), batch_size=3, steps_stage1=300, steps_stage2=100))
    model = SymbolicRegressor(searcher=searcher, operators=["add", "mul", "sin"], time_budget=None,
                              max_iterations=1, random_state=0).fit(X, 3 * np.sin(X[:, 0]) - 1)
    assert model.score(X, 3 * np.sin(X[:, 0]) - 1) > 0.999999


def test_cli_fit_with_dsn_and_its_options(tmp_path, capsys):
    from srkit.cli import main

    X = np.random.default_rng(0).uniform(-1, 1, (30, 2))
    path = tmp_path / "data.csv"
    np.savetxt(path, np.column_stack([X, X[:, 0] * X[:, 1]]), delimiter=",", header="a,b,y", comments="")
    argv = ["fit", str(path), "--target", "y", "--searcher", "dsn", "--operators", "add,mul,sin",
            "--max-evals", "1", "--time-budget", "60", "--seed", "0", "-q",
            "--searcher-option", "depths=(1,)", "--searcher-option", "batch_size=2",
            "--searcher-option", "steps_stage1=300", "--searcher-option", "device=cpu"]
    assert main(argv) == 0
    assert "search: dsn" in capsys.readouterr().out
    assert main([*argv, "--searcher-option", "dephts=2"]) == 2
    assert "did you mean 'depths'" in capsys.readouterr().err.lower()


def test_ctrl_c_returns_the_best_so_far():
    from srkit.search import Callback

    class Interrupt(Callback):
        def on_iteration_end(self, state):
            raise KeyboardInterrupt

    cfg = DSNConfig(depths=(1,), widths=(1, 2), batch_size=3, steps_stage1=200, steps_stage2=50)
    result = DSNSearcher(cfg).search(_problem(lambda X: 2 * X[:, 0] + X[:, 1]), budget=Budget(iterations=5),
                                     rng=np.random.default_rng(0), callbacks=[Interrupt()])
    assert result.interrupted and result.iterations == 1
    assert result.best is not None and result.best.loss < 1e-12  # what iteration 1 found is kept


def test_sparse_refit_expands_a_product_into_the_exact_sum():
    from srkit.core.parse import parse
    from srkit.search.dsn.searcher import _Refiner, expanded_terms
    from srkit.search.floor.closed_form import TermRegression

    problem = _problem(lambda X: X[:, 0] ** 2 + X[:, 0], n_vars=1,
                       ops=("add", "sub", "mul", "sin", "pow"), max_size=30)
    ev = problem.evaluator
    # what a network might compute: exact up to a tiny spurious term, but not written as x0**2 + x0
    net_formula = parse("(x0 + 0.5) * (x0 + 0.5) - 0.25 + 0.001 * sin(x0)", problem.opset)
    assert [str(t) for t in expanded_terms(net_formula)] == ["x0", "x0 ** 2", "sin(x0)"]
    searcher = DSNSearcher()
    found = searcher._sparse_refit(TermRegression(ev, problem.opset, max_size=30), _Refiner(ev, None),
                                   net_formula, set(), np.random.default_rng(0), deadline=np.inf)
    loss, best = min((loss, e) for e, loss in found if loss <= ev.loss_floor) if found else (None, None)
    assert best is not None and sympy.simplify(best.to_sympy() - parse("x0**2 + x0").to_sympy()) == 0
    # a formula with more terms than allowed is left alone
    assert expanded_terms(parse("(x0 + 1) ** 6", problem.opset), max_terms=4) == []


def test_sparse_refit_lifts_terms_by_a_variable_to_reach_the_law():
    """I.13.4's near miss: a network found m*(u + v + c); the law m*(u**2 + v**2)/2 is
    one variable away from each of its terms."""
    from srkit.core.parse import parse
    from srkit.search.dsn.searcher import _Refiner, expanded_terms
    from srkit.search.floor.closed_form import TermRegression

    problem = _problem(lambda X: 0.5 * X[:, 0] * (X[:, 1] ** 2 + X[:, 2] ** 2), n_vars=3,
                       ops=("add", "sub", "mul", "div", "pow"), max_size=30)
    ev = problem.evaluator
    net_formula = parse("3.1 * (x0 * (x1 + x2 - 3.9)) + 0.8", problem.opset)
    assert {"x0 * x1", "x0 * x2", "x0"} == {str(t) for t in expanded_terms(net_formula)}
    lifted = {t.to_sympy() for t in expanded_terms(net_formula, lift=True)}
    x0, x1, x2 = sympy.symbols("x0 x1 x2", real=True)
    assert {x0 * x1**2, x0 * x2**2, x0 * x1 * x2, x1, x0**2} <= lifted

    def best_of(lift):
        searcher = DSNSearcher(lift_terms=lift)
        found = searcher._sparse_refit(TermRegression(ev, problem.opset, max_size=30), _Refiner(ev, None),
                                       net_formula, set(), np.random.default_rng(0), deadline=np.inf)
        return min(found, key=lambda f: f[1])

    assert best_of(False)[1] > 1e-3 * np.var(problem.dataset.y)  # the unlifted terms cannot fit it
    best, loss = best_of(True)
    assert loss <= ev.loss_floor
    assert sympy.simplify(best.to_sympy() - x0 * (x1**2 + x2**2) / 2) == 0


def test_sparse_refit_lifts_terms_by_a_function_of_a_variable():
    """I.12.11's near miss: a network wrote x0 + x1*x2*(a + b*x3) where the law has
    x1*x2*sin(x3); sin(x3) times each of its terms reaches it."""
    from srkit.core.parse import parse
    from srkit.search.dsn.searcher import _Refiner, expanded_terms
    from srkit.search.floor.closed_form import TermRegression

    X = np.random.default_rng(0).uniform(1, 5, (200, 4))  # sin(x3) far from a polynomial
    data = as_dataset(X, X[:, 0] + X[:, 1] * X[:, 2] * np.sin(X[:, 3]))
    opset = default_registry().operator_set(["add", "sub", "mul", "div", "sin", "exp"], data.feature_names)
    problem = Problem(data, opset, Evaluator(data), max_size=30)
    ev = problem.evaluator
    net_formula = parse("x0 + x1 * x2 * (2.06 - 0.66 * x3) + 0.1", problem.opset)
    x0, x1, x2, x3 = sympy.symbols("x0 x1 x2 x3", real=True)
    terms = {t.to_sympy() for t in expanded_terms(net_formula, lift=True, functions=True)}
    assert {x1 * x2 * sympy.sin(x3), sympy.sin(x0), x0 * sympy.exp(x3)} <= terms
    assert not any(t.to_sympy().has(sympy.sin) for t in expanded_terms(net_formula, lift=True))

    def best_of(functions):
        searcher = DSNSearcher(lift_functions=functions)
        found = searcher._sparse_refit(TermRegression(ev, problem.opset, max_size=30), _Refiner(ev, None),
                                       net_formula, set(), np.random.default_rng(0), deadline=np.inf)
        return min(found, key=lambda f: f[1])

    assert best_of(False)[1] > 1e-3 * np.var(problem.dataset.y)
    best, loss = best_of(True)
    assert loss <= ev.loss_floor
    assert sympy.simplify(best.to_sympy() - (x0 + x1 * x2 * sympy.sin(x3))) == 0


def test_log_space_applies_only_where_signs_allow_and_maps_back_to_powers():
    from srkit.core.parse import parse
    from srkit.search.dsn.logspace import LogSpace

    ops = default_registry().operator_set(["add", "sub", "mul", "div", "exp", "log", "pow", "sin"], ["a", "b", "c"])
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.uniform(1, 2, 20), rng.uniform(-3, -1, 20), rng.uniform(-1, 1, 20)])
    y = X[:, 0] ** 2 / X[:, 1]
    space = LogSpace.of(X, y, ops)
    # c changes sign: no log input; b is negative throughout: log(-b)
    assert space.columns == (0, 1) and space.signs == (1.0, -1.0) and space.y_sign == -1.0
    assert np.allclose(space.inputs(X)[:, 3:], np.log(np.abs(X[:, :2])))
    back = space.to_raw(parse("2*log_a - log_b + sin(c)", space.extended))
    assert sympy.simplify(back.to_sympy() - parse("a**2 * exp(sin(c)) / b", ops).to_sympy()) == 0
    assert space.to_raw(parse("2*log_a - log_b + sin(c)", space.extended), max_size=5) is None
    assert LogSpace.of(X, X[:, 2], ops) is None  # y changes sign
    assert LogSpace.of(X, y, default_registry().operator_set(["add", "mul", "pow"], ["a", "b", "c"])) is None


def test_factor_space_finds_the_monomial_a_law_is_a_multiple_of_and_maps_back():
    from srkit.core.parse import parse
    from srkit.search.dsn.factorspace import FactorSpace

    names = ["m", "r", "v", "t"]
    ops = default_registry().operator_set(["add", "sub", "mul", "div", "sin"], names)
    X = np.random.default_rng(0).uniform(1, 5, (2000, 4))
    m, r, v, t = X.T
    # sin(t) changes sign, so the log space does not apply; the monomial still shows
    space = FactorSpace.of(X, m * r * v * np.sin(t), ops)
    assert space.powers == (1, 1, 1, 0)
    assert np.allclose(space.target(m * r * v * np.sin(t), X), np.sin(t))
    back = space.to_raw(parse("2 * sin(t)", ops))
    assert np.allclose(interpret(back, list(X.T), len(X)), 2 * m * r * v * np.sin(t))
    # a negative power: G*m1*m2*(1/r2 - 1/r1) style laws divide
    quotient = FactorSpace.of(X, m * np.sin(t) / r**2, ops)
    assert quotient.powers == (1, -2, 0, 0)
    assert np.allclose(interpret(quotient.to_raw(parse("sin(t)", ops)), list(X.T), len(X)), m * np.sin(t) / r**2)
    assert quotient.to_raw(parse("sin(t)", ops), max_size=5) is None
    # ... which an operator set without div cannot write: that variable is left out
    no_div = default_registry().operator_set(["add", "sub", "mul", "sin"], names)
    assert FactorSpace.of(X, m * np.sin(t) / r**2, no_div).powers == (1, 0, 0, 0)
    # the reciprocal view: M / y is a sum of squares, and only where y / M keeps one sign
    squares = r**2 + v**2 + t**2
    inverse = FactorSpace.of(X, m / squares, ops, power=-1)
    assert inverse.powers == (1, 0, 0, 0)
    assert np.allclose(inverse.target(m / squares, X), squares)
    assert np.allclose(interpret(inverse.to_raw(parse("r*r + v*v + t*t", ops)), list(X.T), len(X)), m / squares)
    assert FactorSpace.of(X, m * np.sin(t), ops, power=-1) is None
    assert FactorSpace.of(X, m / squares, no_div, power=-1) is None
    # no integer slope, or no variable of one sign: no factor space
    assert FactorSpace.of(X, np.sqrt((m - r) ** 2 + (v - t) ** 2), ops) is None
    assert FactorSpace.of(X - 3, (X[:, 0] - 3) * np.sin(t), ops) is None


def test_the_view_screen_finds_a_distance_before_any_network_learns():
    """``sqrt((x2 - x1)**2 + (y2 - y1)**2)`` squared is a sum of the variables' pairwise
    products: the screen of the views finds it in closed form."""
    X = np.random.default_rng(0).uniform(1, 5, (500, 4))
    x1, x2, y1, y2 = X.T
    data = as_dataset(X, np.sqrt((x2 - x1) ** 2 + (y2 - y1) ** 2), feature_names=["x1", "x2", "y1", "y2"])
    ops = default_registry().operator_set(["add", "sub", "mul", "div", "pow", "sqrt", "sin"], data.feature_names)
    problem = Problem(data, ops, Evaluator(data))
    result = DSNSearcher(batch_size=2, depths=(1,), widths=(1,)).search(
        problem, budget=Budget(iterations=1), rng=np.random.default_rng(0))
    syms = {n: sympy.Symbol(n, real=True) for n in data.feature_names}
    assert result.best.loss <= problem.evaluator.loss_floor
    truth = sympy.sympify("sqrt((x2-x1)**2 + (y2-y1)**2)", locals=syms)
    assert sympy.simplify(result.best.expr.to_sympy() - truth) == 0
    # without the factor views there is no screen, and one tiny network does not find it
    plain = DSNSearcher(batch_size=2, depths=(1,), widths=(1,), factor_space=False).search(
        problem, budget=Budget(iterations=1), rng=np.random.default_rng(0))
    assert plain.best.loss > 1e-6


@pytest.mark.parametrize("law, names", [
    # y itself, as a ratio of two sums: y*(m1 + m2) = m1*r1 + m2*r2 (I.18.4)
    ("(m1*r1 + m2*r2) / (m1 + m2)", ["m1", "m2", "r1", "r2"]),
    # G*m1*m2 / y expanded is 9 terms, 53 nodes, over the size limit: squares completed
    # it fits (I.9.18)
    pytest.param("G*m1*m2 / ((x2-x1)**2 + (y2-y1)**2 + (z2-z1)**2)",
                 ["m1", "m2", "G", "x1", "x2", "y1", "y2", "z1", "z2"], marks=pytest.mark.slow),
])
def test_the_view_screen_writes_ratios_and_completes_squares(law, names):
    X = np.random.default_rng(1).uniform(1, 5, (500, len(names)))
    syms = {n: sympy.Symbol(n, real=True) for n in names}
    truth = sympy.sympify(law, locals=syms)
    y = sympy.lambdify([syms[n] for n in names], truth, "numpy")(*X.T)
    data = as_dataset(X, y, feature_names=names)
    ops = default_registry().operator_set(["add", "sub", "mul", "div", "pow", "sqrt", "sin"], names)
    problem = Problem(data, ops, Evaluator(data))
    result = DSNSearcher(batch_size=2, depths=(1,), widths=(1,)).search(
        problem, budget=Budget(iterations=1), rng=np.random.default_rng(0))
    assert result.best.loss <= problem.evaluator.loss_floor
    assert result.best.expr.size <= problem.max_size
    assert sympy.simplify(result.best.expr.to_sympy() - truth) == 0, result.best.expr


@pytest.mark.slow
def test_factor_space_recovers_a_monomial_times_a_sign_changing_factor():
    """``m*r*v*sin(t)`` changes sign (no log space) and needs four factors; divided by
    the monomial it is ``sin(t)``."""
    rng = np.random.default_rng(0)
    X = rng.uniform(1, 5, (500, 4))
    data = as_dataset(X, X[:, 0] * X[:, 1] * X[:, 2] * np.sin(X[:, 3]), feature_names=["m", "r", "v", "t"])
    ops = default_registry().operator_set(["add", "sub", "mul", "div", "sin", "exp"], data.feature_names)
    problem = Problem(data, ops, Evaluator(data))
    result = DSNSearcher(batch_size=6).search(problem, budget=Budget(iterations=4), rng=np.random.default_rng(0))
    found = result.best.expr.to_sympy()
    truth = sympy.sympify("m*r*v*sin(t)", locals={n: sympy.Symbol(n, real=True) for n in data.feature_names})
    assert result.best.loss <= problem.evaluator.loss_floor
    assert sympy.simplify(found - truth) == 0, found


@pytest.mark.slow
def test_log_space_recovers_a_product_of_four_variables():
    """A product of four powers is out of reach of a depth-2, width-3 network in the raw
    variables, and one identity unit in log space."""
    rng = np.random.default_rng(0)
    X = rng.uniform(1, 5, (200, 4))
    data = as_dataset(X, 0.25 * X[:, 0] * X[:, 1] / (X[:, 2] * X[:, 3] ** 2), feature_names=["q1", "q2", "eps", "r"])
    ops = default_registry().operator_set(["add", "sub", "mul", "div", "exp", "log", "pow", "sin"],
                                          data.feature_names)
    problem = Problem(data, ops, Evaluator(data))
    # without the factor space, whose seed ``c * q1*q2/(eps*r**2)`` would be the answer
    result = DSNSearcher(batch_size=6, factor_space=False).search(problem, budget=Budget(iterations=3),
                                                                  rng=np.random.default_rng(0))
    found = result.best.expr.to_sympy()
    truth = sympy.sympify("q1*q2/(4*eps*r**2)", locals={n: sympy.Symbol(n, real=True) for n in data.feature_names})
    assert result.best.loss <= problem.evaluator.loss_floor
    assert sympy.simplify(found - truth) == 0, found


def test_refiner_fits_on_a_row_subset_without_restarts_and_charges_the_problem_evaluator():
    from srkit.core.parse import parse
    from srkit.search.dsn.searcher import _Refiner

    problem = _problem(lambda X: 2.5 * np.sin(X[:, 0]) + X[:, 1] ** 2, n=400)
    ev = problem.evaluator
    refiner = _Refiner(ev, np.arange(0, 400, 4), restarts=0)
    assert refiner.sub.fitter.n_restarts == 0 and refiner.sub.dataset.n_samples == 100
    assert _Refiner(ev, None).sub.fitter.n_restarts == ev.fitter.n_restarts  # None: as configured
    before = ev.n_evals
    # started from what a trained network gives: the exact law in one Levenberg-Marquardt run
    fitted, loss = refiner.fit(parse("2.4 * sin(x0) + 1.1 * square(x1) + 0.05", problem.opset))
    assert loss <= ev.loss_floor and np.allclose(sorted(fitted.coefs), [0.0, 1.0, 2.5])
    # the fit's evaluations (as many as on a stand-alone evaluator of the subset) and the full-data score
    from srkit.fitness import Evaluator

    alone = Evaluator(refiner.sub.dataset, fitter=refiner.sub.fitter)
    alone.fit(parse("2.4 * sin(x0) + 1.1 * square(x1) + 0.05", problem.opset))
    assert refiner.sub.meter is ev.meter and ev.n_evals - before == alone.n_evals + 1

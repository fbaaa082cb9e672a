"""mcts searcher: structural rules, double Q-learning, sub-tree forms, the pipeline."""

import math

import numpy as np
import pytest

from srkit.core import as_dataset, default_registry
from srkit.core.parse import parse
from srkit.fitness import Evaluator
from srkit.search import Budget, MCTSConfig, MCTSSearcher, Problem, SEARCHERS, make_searcher
from srkit.search.mcts import DoubleQTable, Form, Grammar, StructureRules, TreeSearch, mine_forms
from srkit.search.mcts.subtree import additive_terms, multiplicative_factors, subtrees


def _grammar(ops=("add", "mul", "sin", "cos", "exp", "log"), variables=("x0",), **rules):
    opset = default_registry().operator_set(list(ops), list(variables))
    return Grammar(opset, StructureRules(**rules))


def _names(g, p):
    return [g.names[a] for a in g.allowed(p)]


def _problem(f, n_vars=1, ops=("add", "sub", "mul", "div"), n=30, seed=0, **kw):
    X = np.random.default_rng(seed).uniform(-1, 1, (n, n_vars))
    data = as_dataset(X, f(X))
    opset = default_registry().operator_set(list(ops), data.feature_names)
    return Problem(data, opset, Evaluator(data), **kw)


# ---------------------------------------------------------------------- grammar
def test_rules_ban_exp_of_log_log_of_exp_and_nested_trig():
    g = _grammar()
    after_exp = g.step(g.start(), g.action_of("exp"))
    after_log = g.step(g.start(), g.action_of("log"))
    after_sin = g.step(g.start(), g.action_of("sin"))
    assert "log" not in _names(g, after_exp) and "exp" in _names(g, after_exp)
    assert "exp" not in _names(g, after_log) and "log" in _names(g, after_log)
    assert "sin" not in _names(g, after_sin) and "cos" not in _names(g, after_sin)
    deep = g.step(g.step(after_sin, g.action_of("add")), g.action_of("mul"))
    assert "cos" not in _names(g, deep)  # trig anywhere below trig is banned, not only directly
    # the rules are configuration, not hard-coded
    free = _grammar(trig_ops=(), forbidden_children=())
    assert "log" in _names(free, free.step(free.start(), free.action_of("exp")))
    assert "cos" in _names(free, free.step(free.start(), free.action_of("sin")))


def test_rules_depth_limit_coefficient_cap_and_constant_subtrees():
    g = _grammar(max_depth=2, max_coefs=1)
    p = g.step(g.start(), g.action_of("add"))  # slot at depth 2 = the limit: leaves only
    assert _names(g, p) == ["x0", "C"]
    p = g.step(p, g.action_of("C"))  # C + C would be a constant subtree
    assert _names(g, p) == ["x0"]
    g = _grammar(max_coefs=1)
    p = g.step(g.step(g.start(), g.action_of("mul")), g.action_of("C"))
    p = g.step(p, g.action_of("add"))  # the one coefficient is used up
    assert "C" not in _names(g, p)
    assert "C" not in _names(g, g.step(g.start(), g.action_of("sin")))  # sin(C) is a constant
    assert "C" not in _names(_grammar(max_coefs=0), g.start())


def test_size_limit_leaves_room_to_finish():
    g = _grammar(max_size=4)
    p = g.step(g.step(g.start(), g.action_of("add")), g.action_of("sin"))
    # add(sin(_), _): 2 tokens + 2 open slots = 4, so only leaves fit now
    assert set(_names(g, p)) <= {"x0", "C"}
    rng = np.random.default_rng(0)
    for _ in range(200):
        done = g.complete_randomly(g.start(), rng, 0.3)
        e = g.to_expr(done.tokens)
        assert e.size <= 4 and e.depth <= g.rules.max_depth


def test_tokens_round_trip():
    g = _grammar()
    e = parse("sin(x0) * (1.5 + x0)").with_opset(g.opset)
    tokens = g.to_tokens(e)
    assert [g.names[a] for a in tokens] == ["mul", "sin", "x0", "add", "C", "x0"]
    assert g.to_expr(tokens).same_skeleton(e)


# ---------------------------------------------------------------------- double Q
def test_double_q_update_exact_values():
    q = DoubleQTable(3, learning_rate=0.5, discount=1.0)
    rng = np.random.default_rng(0)
    for _ in range(3):
        q.update_trajectory([(), (0,)], [0, 2], 1.0, rng)
    # the pointer advances: the second token updated the row of prefix (0,), not the root
    assert q.values((0,)).tolist() == [0.0, 0.0, 0.625]  # A: 0.5 then 0.75; B: 0.5
    assert q.values(()).tolist() == [0.1875, 0.0, 0.0]  # B[0] = 0.5 * max_A((0,)) = 0.5 * 0.75
    assert len(q) == 2


def test_double_q_policy_exact_values():
    q = DoubleQTable(2, learning_rate=1.0)
    q.update_trajectory([()], [1], 1.0, np.random.default_rng(1))  # one table holds Q=1 for action 1
    prior = np.array([0.5, 0.5])
    probs = q.policy((), [0, 1], prior, mix=1.0, temperature=0.5)  # softmax([0, 0.5] / 0.5)
    assert probs == pytest.approx([1 / (1 + math.e), math.e / (1 + math.e)])
    mixed = q.policy((), [0, 1], prior, mix=0.5, temperature=0.5)
    assert mixed == pytest.approx(0.5 * prior + 0.5 * probs)
    assert q.policy((7,), [0, 1], prior, mix=1.0, temperature=0.5).tolist() == [0.5, 0.5]  # unseen


def test_q_guided_tree_search_learns_a_tiny_problem():
    """Reward 1 for sin(x0), 0.1 for anything else: the root policy must move to sin."""
    g = _grammar(ops=("add", "mul", "sin", "cos"), max_coefs=0)
    target = (g.action_of("sin"), g.action_of("x0"))
    q = DoubleQTable(g.n_actions, learning_rate=0.2)
    tree = TreeSearch(g, q, lambda t: 1.0 if t == target else 0.1, n_simulations=30, temperature=0.1,
                      policy_mix=0.5)
    found = tree.run(np.random.default_rng(0), lambda: False)
    assert found == target
    allowed = g.allowed(g.start())
    probs = tree.policy(g.start(), allowed)
    uniform = g.prior(allowed, tree.p_leaf)
    p_sin = probs[allowed.index(g.action_of("sin"))]
    assert p_sin > 2 * uniform[allowed.index(g.action_of("sin"))]
    assert p_sin == probs.max()
    # the second token was learnt in the row of prefix (sin,), so the pointer did advance
    assert np.argmax(q.values((g.action_of("sin"),))) == g.action_of("x0")


def test_q_learns_from_an_expression_found_elsewhere():
    g = _grammar()
    q = DoubleQTable(g.n_actions, learning_rate=0.5)
    tokens = g.to_tokens(parse("sin(x0) + x0").with_opset(g.opset))
    rng = np.random.default_rng(0)
    for _ in range(20):
        q.learn(tokens, 1.0, rng)
    assert np.argmax(q.values(())) == g.action_of("add")
    assert np.argmax(q.values(tuple(tokens[:1]))) == g.action_of("sin")


# ---------------------------------------------------------------------- sub-tree forms
def _ops():
    return default_registry().operator_set(["add", "sub", "mul", "div", "pow", "sin", "cos", "exp"], ["x0", "x1"])


def _cands(*texts):
    ops = _ops()
    return [(parse(t, ops), 0.1 * (k + 1)) for k, t in enumerate(texts)]


def test_additive_form_detected():
    cands = _cands("sin(x0) + x1 * x1 + cos(x1)", "sin(x0) + x1 * x1 + x1", "sin(x0) + exp(x1) - x1 * x1")
    forms = mine_forms(cands, kinds=["additive"])
    assert [f.describe() for f in forms] == ["sin(x0) + x1 * x1 + f"]
    f = parse("cos(x1)", _ops())
    whole = forms[0].wrap(f)
    assert str(whole) == "sin(x0) + (x1 * x1 + cos(x1))"
    assert forms[0].unwrap(whole).same_skeleton(f)


def test_subtracted_terms_go_to_the_negative_side():
    forms = mine_forms(_cands("x0 - sin(x1) + x1", "exp(x0) - sin(x1)", "x0 * x1 - sin(x1)"), kinds=["additive"])
    assert forms[0].pos == () and [str(t) for t in forms[0].neg] == ["sin(x1)"]
    assert str(forms[0].wrap(parse("x0", _ops()))) == "x0 - sin(x1)"


def test_multiplicative_form_detected():
    cands = _cands("sin(x0) * (x1 + 2.0) / exp(x1)", "sin(x0) * x1 / exp(x1)", "sin(x0) * cos(x1)")
    (form,) = mine_forms(cands, kinds=["multiplicative"])
    assert form.kind == "multiplicative"
    assert [str(t) for t in form.pos] == ["sin(x0)"] and [str(t) for t in form.neg] == ["exp(x1)"]
    f = parse("x1 + 1.0", _ops())
    whole = form.wrap(f)
    assert str(whole) == "sin(x0) * (x1 + 1.0) / exp(x1)"
    assert form.unwrap(whole).same_skeleton(f)


def test_power_form_detected_for_shared_base_and_shared_exponent():
    base = mine_forms(_cands("x0 ** (x1 + 1.0)", "x0 ** x1", "x0 ** sin(x1)"), kinds=["power"])
    assert base[0].kind == "power" and [str(t) for t in base[0].pos] == ["x0"]
    assert str(base[0].wrap(parse("x1", _ops()))) == "x0 ** x1"
    expo = mine_forms(_cands("(x0 + x1) ** sin(x1)", "exp(x0) ** sin(x1)", "x1 ** sin(x1)"), kinds=["power"])
    assert [str(t) for t in expo[0].neg] == ["sin(x1)"] and expo[0].pos == ()
    assert str(expo[0].wrap(parse("x0", _ops()))) == "x0 ** sin(x1)"


def test_no_form_without_agreement_or_after_an_exact_fit():
    assert mine_forms(_cands("sin(x0) + x1", "cos(x0) + exp(x1)", "x0 * x1 + x1 * x1")) == []
    exact = [(parse("sin(x0) + x1", _ops()), 0.0)] + _cands("sin(x0) + x0", "sin(x0) + x1")
    assert mine_forms(exact) == []


def test_term_and_factor_splitting():
    ops = _ops()
    terms = additive_terms(parse("x0 - (x1 - sin(x0))", ops))
    assert [(s, str(t)) for s, t in terms] == [(1, "x0"), (-1, "x1"), (1, "sin(x0)")]
    factors = multiplicative_factors(parse("x0 / (x1 / cos(x0))", ops))
    assert [(s, str(t)) for s, t in factors] == [(1, "x0"), (-1, "x1"), (1, "cos(x0)")]


# ---------------------------------------------------------------------- the searcher
def test_registered_and_configurable():
    assert SEARCHERS["mcts"] is MCTSSearcher
    s = make_searcher("mcts", double_q=False, rules={"max_depth": 4})
    assert s.config.double_q is False and s.config.rules.max_depth == 4
    with pytest.raises(ValueError, match="form kinds"):
        MCTSConfig(form_kinds=("additive", "cubic"))
    with pytest.raises(ValueError, match="policy_mix"):
        MCTSConfig(policy_mix=2.0)


@pytest.mark.slow
def test_same_seed_same_result():
    def run(seed):
        problem = _problem(lambda X: np.sin(X[:, 0]) * X[:, 0] + X[:, 0] ** 2, ops=("add", "mul", "sin"))
        return MCTSSearcher(gp_generations=3).search(
            problem, budget=Budget(evals=15_000), rng=np.random.default_rng(seed))

    a, b = run(3), run(3)
    assert str(a.best.expr) == str(b.best.expr) and a.n_evals == b.n_evals
    assert [h["best_loss"] for h in a.history] == [h["best_loss"] for h in b.history]


def test_mcts_alone_finds_a_small_formula_and_logs_its_parts():
    problem = _problem(lambda X: X[:, 0] * X[:, 1] + np.sin(X[:, 0]), n_vars=2, ops=("add", "mul", "sin"))
    # (term regression would find this sum in closed form before MCTS runs)
    result = MCTSSearcher(gp_refine=False, term_regression=False).search(
        problem, budget=Budget(evals=30_000), rng=np.random.default_rng(0))
    assert result.best.loss <= problem.evaluator.loss_floor
    assert result.stopped_by == "exact"
    assert all("whole_gp_evals" not in h for h in result.history)  # MCTS alone: no GP ran
    assert all("whole_mcts_evals" in h for h in result.history)


@pytest.mark.slow
def test_easy_nguyen_recovered_under_an_evaluation_budget():
    from srkit import SymbolicRegressor, problems
    from srkit.problems.recovery import check_recovery

    nguyen = problems.get("Nguyen-11")  # x1**x2
    X, y = nguyen.sample("train", random_state=0)
    X_test, y_test = nguyen.sample("test", random_state=0)
    model = SymbolicRegressor(searcher="mcts", time_budget=None, max_evals=40_000, random_state=0)
    model.fit(X, y, feature_names=list(nguyen.variables))
    assert check_recovery(str(model.best_.expr), nguyen, X_test, y_test).recovered
    assert model.result_.searcher == "mcts"


def test_estimator_and_cli_use_mcts(tmp_path, capsys):
    from srkit import SymbolicRegressor
    from srkit.cli import main

    X = np.random.default_rng(0).uniform(1, 3, (30, 2))
    y = X[:, 0] * X[:, 1]
    model = SymbolicRegressor(searcher=MCTSSearcher(MCTSConfig(n_simulations=20, gp_refine=False)),
                              operators=["add", "mul"], time_budget=None, max_evals=5000, random_state=0)
    model.fit(X, y)
    assert model.score(X, y) > 0.999999 and model.result_.config["n_simulations"] == 20
    path = tmp_path / "d.csv"
    path.write_text("m,a,F\n" + "\n".join(f"{a},{b},{c}" for (a, b), c in zip(X, y)) + "\n")
    code = main(["fit", str(path), "--target", "F", "--searcher", "mcts", "--operators", "add,mul",
                 "--max-evals", "5000", "--seed", "0", "--quiet"])
    assert code == 0
    out = capsys.readouterr().out
    assert "search: mcts" in out and "Chosen formula: m * a" in out.replace("a * m", "m * a")


def test_constant_power_base_is_a_rule():
    g = _grammar(ops=("add", "pow"))
    p = g.step(g.start(), g.action_of("pow"))
    assert _names(g, p) == ["x0", "add", "pow"]  # c ** f is banned by default
    p = g.step(p, g.action_of("x0"))
    assert "C" in _names(g, p)  # x0 ** c is fine
    free = _grammar(ops=("add", "pow"), constant_power_base=True)
    assert "C" in _names(free, free.step(free.start(), free.action_of("pow")))


# ---------------------------------------------------------------------- term regression in the pipeline
def test_subtrees_are_coefficient_free_and_ranked_by_frequency():
    exprs = [parse("sin(x0 * x1) + 2.5 * x0"), parse("sin(x0 * x1) * x1 + x0 * x1")]
    assert [str(t) for t in subtrees(exprs)][:2] == ["x0 * x1", "sin(x0 * x1)"]


def test_pipeline_stops_at_once_on_an_exact_closed_form_and_logs_it():
    X = np.random.default_rng(0).uniform(-1, 1, (30, 1))
    data = as_dataset(X, X[:, 0] ** 5 + X[:, 0] ** 4 + X[:, 0] ** 3 + X[:, 0] ** 2 + X[:, 0])
    problem = Problem(data, default_registry().operator_set(
        ["add", "sub", "mul", "div", "sin", "cos", "exp", "log", "sqrt", "pow"], data.feature_names), Evaluator(data))
    result = MCTSSearcher().search(problem, budget=Budget(evals=50_000), rng=np.random.default_rng(0))
    assert result.stopped_by == "exact" and result.best.loss <= problem.evaluator.loss_floor
    assert result.n_evals < 2000 and result.history[0]["terms_models"] > 0
    off = MCTSSearcher(term_regression=False, gp_refine=False).search(
        problem, budget=Budget(evals=3_000), rng=np.random.default_rng(0))
    assert "terms_evals" not in off.history[0]

"""Frequent closed root subtrees, the relative reward, selection with the virtual action, budgets."""

from __future__ import annotations

import numpy as np
import pytest

from srkit.core import default_registry, parse
from srkit.search.llm import Dimension, RelativeReward, ScriptedClient, TreeConfig, TreeEngine
from srkit.search.llm.reply import parse_reply
from srkit.search.llm.reward import choose_dimension
from srkit.search.llm.subtrees import frequent_closed_genes, root_genes
from srkit.search.llm.tree import Node, Scored, Tree

OPS = default_registry().operator_set(["add", "sub", "mul", "div", "sin", "exp", "log", "sqrt"], ["x0", "x1", "x2"])


def test_root_genes_abstract_coefficients_and_need_a_variable() -> None:
    assert root_genes(parse("sqrt(2.5*x0 + 1) / log(x1)", OPS)) == [
        "sqrt(c * x0 + c) / log(x1)", "sqrt(c * x0 + c)", "c * x0 + c", "c * x0", "log(x1)"]
    assert root_genes(parse("x0", OPS)) == [] and root_genes(parse("exp(2) * 3", OPS)) == []


def test_frequent_closed_root_subtrees_on_a_hand_built_repository() -> None:
    repo = [parse(f, OPS) for f in [
        "sin(x0 * x1) + x2",        # genes: sin(x0*x1)+x2, sin(x0*x1), x0*x1
        "sin(x0 * x1) * 3",         # sin(x0*x1)*c, sin(x0*x1), x0*x1
        "exp(x0 * x1) - x2",        # exp(x0*x1)-x2, exp(x0*x1), x0*x1
        "log(2*x2 + 1) * x0",       # log(c*x2+c)*x0, log(c*x2+c), c*x2+c, c*x2
        "log(0.5*x2 - 3) / x1",     # log(c*x2-c)/x1, log(c*x2-c), c*x2-c, c*x2
        "sqrt(log(7*x2 + 2))",      # sqrt(log(c*x2+c)), log(c*x2+c), c*x2+c, c*x2
    ]]
    genes = frequent_closed_genes(repo, top_k=10, min_support=2)
    assert [(g.text, g.support) for g in genes] == [
        ("c * x2", 3),               # closed: c*x2 + c has support 2, c*x2 - c support 1
        ("x0 * x1", 3),              # closed: its supergenes sin(x0*x1) (2) and exp(x0*x1) (1) are rarer
        ("log(c * x2 + c)", 2),      # closed: c*x2 + c has the same support 2 and is NOT closed
        ("sin(x0 * x1)", 2),
    ]
    assert "c * x2 + c" not in [g.text for g in genes]  # absorbed by log(c*x2 + c), same support
    assert [g.text for g in frequent_closed_genes(repo)] == ["c * x2", "x0 * x1", "log(c * x2 + c)"]  # top-3
    assert frequent_closed_genes(repo, min_support=4) == []


def test_support_counts_each_formula_once() -> None:
    repo = [parse("sin(x0) + sin(x0)", OPS), parse("sin(x0)", OPS)]
    assert [(g.text, g.support) for g in frequent_closed_genes(repo)] == [("sin(x0)", 2)]


def test_relative_reward_flips_lower_is_better_and_handles_cold_start() -> None:
    rr = RelativeReward([Dimension("accuracy", False, 3.0, metric="loss"),
                         Dimension("simplicity", False, 1.0, metric="complexity")])
    repo = [{"loss": 0.1, "complexity": 5}, {"loss": 0.01, "complexity": 9}, {"loss": 1.0, "complexity": 3}]
    scores = rr.scores({"loss": 0.05, "complexity": 3}, repo)
    assert scores == {"accuracy": pytest.approx(2 / 3), "simplicity": 1.0}
    assert rr.reward(scores) == pytest.approx((3 * 2 / 3 + 1) / 4)
    assert rr.scores({"loss": float("inf"), "complexity": 3}, repo)["accuracy"] == 0.0
    cold = RelativeReward([Dimension("ic", threshold=0.015), Dimension("ir")], min_repository=5)
    assert cold.scores({"ic": 0.02, "ir": 0.1}, repo[:2]) == {"ic": 1.0, "ir": 0.5}


def test_weak_dimensions_are_chosen_more_often() -> None:
    rng = np.random.default_rng(0)
    picks = [choose_dimension({"a": 0.1, "b": 0.9}, rng, temperature=0.2) for _ in range(2000)]
    share = picks.count("a") / 2000
    assert share == pytest.approx(1 / (1 + np.exp(-0.8 / 0.2)), abs=0.03)  # softmax((1 - e) / T)


class _Task:
    """A task whose score is a fixed table: lets the tree mechanics be checked exactly."""

    def __init__(self, table: dict[str, float]) -> None:
        self.table = table
        self.reward = RelativeReward([Dimension("q")], min_repository=1)  # the first formula scores a neutral 0.5

    def seed_messages(self, n, avoid, tried):
        return [{"role": "user", "content": f"seed avoid={list(avoid)}"}]

    def refine_messages(self, node, dimension, history, avoid, tried, n):
        return [{"role": "user", "content": f"refine {self.text(node.expr)} along {dimension}"}]

    def repair_hint(self):
        return "use x0"

    def parse(self, reply):
        return parse_reply(reply, OPS)

    def score(self, exprs):
        return [Scored(e, {"q": self.table.get(self.text(e), 0.0)}) for e in exprs]

    def text(self, expr):
        return str(expr)

    def quality(self, scored, reward):
        return scored.metrics["q"]


def _node(reward: float, children=(), visits=1) -> Node:
    node = Node(parse("x0", OPS), {}, {"q": reward}, reward, visits=visits)
    for ch in children:
        ch.parent = node
        node.children.append(ch)
        node.q = max(node.q, ch.q)
    return node


def test_selection_uses_max_q_and_the_virtual_expand_action() -> None:
    engine = TreeEngine(_Task({}), ScriptedClient([]), TreeConfig(c=1.0), np.random.default_rng(0))
    weak, strong = _node(0.2), _node(0.9)
    root = _node(0.5, [weak, strong], visits=3)
    # children: 0.2 + sqrt(ln 3) and 0.9 + sqrt(ln 3); virtual: 0.5 + sqrt(ln 3 / 2)
    assert engine.select(Tree(root, 3, 0.9)) is strong
    # max-Q: a weak child whose subtree holds a record is followed
    deep = _node(0.3, [_node(0.95)], visits=2)
    root = _node(0.5, [deep, _node(0.9, visits=3)], visits=4)
    assert engine.select(Tree(root, 3, 0.95)).reward == 0.95
    # the virtual action wins when the node itself is better than its children
    root = _node(0.99, [_node(0.1), _node(0.1)], visits=3)
    assert engine.select(Tree(root, 3, 0.99)) is root


def test_tree_budget_grows_on_records_and_repairs_are_sent() -> None:
    # rewards are relative: every new formula is compared with all earlier ones
    table = {"x0": 1.0, "x0 + x1": 2.0, "x0 * x1": 3.0, "x2": 0.5}
    client = ScriptedClient(["x0", "garbage here", "x0 + x1", "x0 * x1", "x2", "x2", "x2", "x0"])
    engine = TreeEngine(_Task(table), client, TreeConfig(initial_budget=2, n_per_call=1, avoid_top_k=0),
                        np.random.default_rng(0))
    info = engine.step()
    assert info["action"] == "seed" and engine.tree.budget == 2
    info = engine.step()  # garbage, repaired -> x0 + x1 beats all before it: reward 1 > 0.5, a record
    assert info["record"] and info["reward"] == 1.0 and engine.tree.budget == 3 and engine.n_repairs == 1
    assert "None of these formulas could be used" in client.calls[2][-1]["content"]
    info = engine.step()  # x0 * x1: also the best so far, reward 1 again: no new record
    assert not info["record"] and engine.tree.budget == 3
    info = engine.step()  # x2: the worst, reward 0
    assert not info["record"] and info["reward"] == 0.0 and engine.tree.expansions == 3
    assert engine.tree.spent
    assert engine.step()["action"] == "seed" and len(engine.trees) == 2
    root = engine.trees[0].root
    assert root.q == max(n.reward for n in _all(root)) and root.visits == 1 + engine.trees[0].expansions


def _all(node):
    yield node
    for ch in node.children:
        yield from _all(ch)


class _SlowModel:
    """A thread-safe stand-in for a served model: each call waits, then answers by seed."""

    max_concurrency = 4

    def __init__(self, delay: float = 0.3, fail_on: str | None = None) -> None:
        import threading

        self.delay, self.fail_on = delay, fail_on
        self.in_flight = self.most_in_flight = 0
        self._lock = threading.Lock()

    def complete(self, messages, *, temperature=None, seed=None):  # type: ignore[no-untyped-def]
        import time

        from srkit.search.llm.client import Completion, LLMError

        with self._lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        time.sleep(self.delay)
        with self._lock:
            self.in_flight -= 1
        if self.fail_on and self.fail_on in messages[-1]["content"]:
            raise LLMError("the server went away")
        formula = ["x0", "x0 + x1", "x0 * x1", "x2", "x0 - x2", "x1 * x2"][seed % 6]
        return Completion(text=f"```\n{formula}\n```", model="slow")


def test_concurrent_expansions_are_in_flight_together_and_repeatable() -> None:
    import time

    table = {"x0": 1.0, "x0 + x1": 2.0, "x0 * x1": 3.0, "x2": 0.5, "x0 - x2": 1.5, "x1 * x2": 2.5}
    cfg = TreeConfig(initial_budget=4, n_per_call=1, avoid_top_k=0, max_repairs=0)

    def run(concurrency: int):  # type: ignore[no-untyped-def]
        model = _SlowModel()
        engine = TreeEngine(_Task(table), model, cfg, np.random.default_rng(3), concurrency=concurrency)
        engine.step()  # the root: one call
        start = time.perf_counter()
        info = engine.step()
        return engine, info, time.perf_counter() - start, model

    engine, info, seconds, model = run(4)
    assert info["expansions"] == 4 and model.most_in_flight == 4 and seconds < 2 * 0.3  # not 4 x 0.3 s
    assert engine.n_calls == 5 and engine.tree.expansions == 4
    again, _, _, _ = run(4)
    shape = lambda e: [(str(c.expr), str(c.parent.expr)) for c in _all(e.tree.root) if c.parent]  # noqa: E731
    assert shape(again) == shape(engine)  # the same tree whatever order the replies came back in
    one, info1, seconds1, _ = run(1)
    assert "expansions" not in info1 and seconds1 >= 0.3 and one.tree.expansions == 1


def test_a_failed_call_among_concurrent_ones_keeps_the_others() -> None:
    from srkit.search.llm.client import LLMError

    cfg = TreeConfig(n_per_call=1, avoid_top_k=0, max_repairs=0)
    model = _SlowModel(delay=0.01, fail_on="second")
    engine = TreeEngine(_Task({}), model, cfg, np.random.default_rng(0), concurrency=4)
    prompts = [[{"role": "user", "content": w}] for w in ("first", "second", "third")]
    got = engine.ask_many(prompts)
    assert [len(g) for g in got] == [1, 0, 1] and engine.n_calls == 3
    assert isinstance(engine.pending_error, LLMError)
    with pytest.raises(LLMError, match="went away"):
        engine.step()  # the error is reported by the next step, after the others were used
    assert engine.pending_error is None
    with pytest.raises(LLMError):  # when every call fails there is nothing to keep: raised at once
        engine.ask_many([[{"role": "user", "content": "second"}]] * 2)

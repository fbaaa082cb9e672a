"""The LLM-guided tree search of Alpha Jungle, for any task (regression or alpha).

Nodes are formulas; an edge is one refinement written by the model.  Each tree
starts from a formula the model proposes (the root) and is expanded without
rollouts: every child is scored at once.

- **Selection**: from the root, follow the child with the highest
  ``Q + c * sqrt(ln N_parent / N_child)``, where Q is the *maximum* reward in the
  child's subtree.  A virtual action "expand this node" competes at every
  internal node, with the node's own reward as Q and its number of children as
  visit count; choosing it (or reaching a leaf) expands that node.
- **Expansion**: draw the dimension to improve (weak dimensions likelier), ask
  the model for refinements along it, parse them (sending parse errors back at
  most ``max_repairs`` times), score every formula, and add the best as a child.
  All scored formulas join the repository that relative scores are ranked in.
- **Budget**: a tree gets ``initial_budget`` expansions, one more each time a
  node sets a new record reward in it; then a new tree starts.
- **Concurrency**: with ``concurrency`` k > 1 an expansion step selects up to k nodes
  (each selection adds a virtual visit along its path, so the next one goes elsewhere,
  as in parallel MCTS), writes their prompts in order, sends them at once and adds the
  children in the same order: a slow model answers k prompts in the time of one, and
  the same seed gives the same search for a given k.
- **Frequent subtree avoidance**: the top closed root genes of the repository of
  good formulas are recomputed after every node and listed in each prompt as
  sub-expressions to avoid (a soft constraint: formulas using them are scored).

The task supplies prompts, parsing and scoring (:class:`Task`); the engine owns
the tree, the LLM calls and the repository.  All randomness comes from the
Generator it is given.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping, Protocol, Sequence

import numpy as np

from srkit.core.expr import Expr
from srkit.search.llm.client import LLMClient
from srkit.search.llm.prompts import repair_messages
from srkit.search.llm.reply import ParsedReply
from srkit.search.llm.reward import RelativeReward, choose_dimension
from srkit.search.llm.subtrees import frequent_closed_genes

__all__ = ["TreeConfig", "Node", "Tree", "Task", "TreeEngine", "Scored"]

Messages = list[dict[str, str]]


@dataclass(frozen=True)
class TreeConfig:
    """Knobs of the tree search (defaults from Alpha Jungle where it gives them).

    Parameters
    ----------
    c : exploration weight of UCT (paper: 1).
    initial_budget, budget_growth : expansions per tree, and the bonus per new record (3, +1).
    max_tree_expansions : hard cap per tree, so that one tree cannot take the whole run.
    e_max, dimension_temperature : the softmax that picks the dimension to improve.
    n_per_call : formulas asked for in each prompt (the best becomes the child).
    max_repairs : times a reply without any usable formula is sent back with the errors.
    avoid_top_k, avoid_min_support : frequent closed root genes listed as "avoid" (0: off).
    repository_size : good formulas the genes are mined from.
    temperature, repair_temperature : sampling temperatures (paper: 1.0 and 0.8).
    """

    c: float = 1.0
    initial_budget: int = 3
    budget_growth: int = 1
    max_tree_expansions: int = 12
    e_max: float = 1.0
    dimension_temperature: float = 1.0
    n_per_call: int = 3
    max_repairs: int = 2
    avoid_top_k: int = 3
    avoid_min_support: int = 2
    repository_size: int = 20
    temperature: float = 1.0
    repair_temperature: float = 0.8

    def __post_init__(self) -> None:
        if self.initial_budget < 1 or self.max_tree_expansions < 1 or self.n_per_call < 1:
            raise ValueError("initial_budget, max_tree_expansions and n_per_call must be >= 1")
        if self.max_repairs < 0 or self.dimension_temperature <= 0 or self.c < 0:
            raise ValueError("need max_repairs >= 0, dimension_temperature > 0 and c >= 0")


@dataclass
class Scored:
    """A formula after scoring: its (fitted) expression and its metrics by dimension name."""

    expr: Expr
    metrics: dict[str, float]


@dataclass(eq=False)
class Node:
    """One formula in a tree, with its scores and how it was reached."""

    expr: Expr
    metrics: dict[str, float]
    scores: dict[str, float]
    reward: float
    parent: Node | None = None
    children: list[Node] = field(default_factory=list)
    visits: int = 1
    q: float = -math.inf
    dimension: str | None = None
    summary: str = ""

    def __post_init__(self) -> None:
        self.q = max(self.q, self.reward)

    def path(self) -> list[Node]:
        node: Node | None = self
        out: list[Node] = []
        while node is not None:
            out.append(node)
            node = node.parent
        return out[::-1]


@dataclass(eq=False)
class Tree:
    root: Node
    budget: int
    best_reward: float
    expansions: int = 0

    @property
    def spent(self) -> bool:
        return self.expansions >= self.budget


class Task(Protocol):
    """What the engine needs from a problem: prompts, parsing, scoring."""

    reward: RelativeReward

    def seed_messages(self, n: int, avoid: Sequence[str], tried: Sequence[str]) -> Messages: ...

    def refine_messages(
        self, node: Node, dimension: str, history: Sequence[str], avoid: Sequence[str],
        tried: Sequence[str], n: int,
    ) -> Messages: ...

    def repair_hint(self) -> str: ...

    def parse(self, reply: str) -> ParsedReply: ...

    def score(self, exprs: Sequence[Expr]) -> list[Scored]: ...

    def text(self, expr: Expr) -> str: ...

    def quality(self, scored: Scored, reward: float) -> float: ...


class TreeEngine:
    """Runs the tree search for one task and one client; call :meth:`step` until done.

    ``step`` starts a tree when none is open (one LLM call for the root) or
    expands the open one, and returns a dict describing what happened.
    """

    def __init__(self, task: Task, client: LLMClient, config: TreeConfig, rng: np.random.Generator,
                 concurrency: int = 1) -> None:
        if concurrency < 1:
            raise ValueError(f"concurrency must be >= 1, got {concurrency}")
        self.task = task
        self.client = client
        self.config = config
        self.rng = rng
        self.concurrency = concurrency
        self.tree: Tree | None = None
        self.trees: list[Tree] = []
        self.repository: list[dict[str, float]] = []  # metrics of every scored formula
        self.good: list[tuple[float, Expr]] = []  # (quality, expr), best first, distinct skeletons
        self.avoid: list[str] = []
        self.n_calls = 0
        self.n_repairs = 0
        self.n_parse_failures = 0

    # ------------------------------------------------------------------ LLM
    def ask(self, messages: Messages) -> list[Expr]:
        """One prompt, with the repair loop; the formulas that parsed (maybe none)."""
        return self.ask_many([messages])[0]

    def ask_many(self, prompts: Sequence[Messages]) -> list[list[Expr]]:
        """Several prompts at once (up to ``concurrency`` in flight), each with its repair
        loop; the parsed formulas of each, in order.  Seeds are drawn before any call, so
        the result does not depend on which reply comes back first.  A failed call does
        not lose the others' formulas: they are returned, and the first error is raised by
        the next :meth:`step` (``pending_error``); when every call failed it is raised now."""
        seeds = [[int(self.rng.integers(2**31 - 1)) for _ in range(self.config.max_repairs + 1)] for _ in prompts]
        jobs = list(zip(prompts, seeds))
        if self.concurrency == 1 or len(jobs) == 1:
            outcomes = [self._ask_one(m, s) for m, s in jobs]
        else:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(max_workers=min(self.concurrency, len(jobs))) as pool:
                outcomes = list(pool.map(lambda job: self._ask_one(*job), jobs))
        out: list[list[Expr]] = []
        error: BaseException | None = None
        for exprs, calls, repairs, failures, exc in outcomes:
            self.n_calls += calls
            self.n_repairs += repairs
            self.n_parse_failures += failures
            out.append(exprs)
            error = error or exc
        if error is not None:
            if len(jobs) == 1 or not any(out):
                raise error
            self.pending_error = error
        return out

    pending_error: BaseException | None = None

    def _ask_one(self, messages: Messages, seeds: list[int]
                 ) -> tuple[list[Expr], int, int, int, BaseException | None]:
        """(formulas, calls, repairs, parse failures, error) of one prompt and its repairs."""
        cfg = self.config
        temperature = cfg.temperature
        calls = repairs = failures = 0
        try:
            for attempt in range(cfg.max_repairs + 1):
                calls += 1
                reply = self.client.complete(messages, temperature=temperature, seed=seeds[attempt])
                parsed = self.task.parse(reply.text)
                if parsed.exprs:
                    return parsed.exprs, calls, repairs, failures, None
                failures += 1
                if attempt < cfg.max_repairs:
                    repairs += 1
                    messages = repair_messages(messages, reply.text, parsed.errors, self.task.repair_hint())
                    temperature = cfg.repair_temperature
        except Exception as exc:  # noqa: BLE001 - handed back to the caller's thread
            return [], calls, repairs, failures, exc
        return [], calls, repairs, failures, None

    # ------------------------------------------------------------------ scoring
    def _evaluate(self, exprs: Sequence[Expr]) -> list[Node]:
        scored = self.task.score(exprs)
        nodes = []
        for s in scored:
            scores = self.task.reward.scores(s.metrics, self.repository)
            nodes.append(Node(s.expr, s.metrics, scores, self.task.reward.reward(scores)))
        for s, node in zip(scored, nodes):
            self.repository.append(s.metrics)
            self._remember_good(s, node.reward)
        return nodes

    def _remember_good(self, scored: Scored, reward: float) -> None:
        quality = self.task.quality(scored, reward)
        if not math.isfinite(quality) or any(e.same_skeleton(scored.expr) for _, e in self.good):
            return
        self.good.append((quality, scored.expr))
        self.good.sort(key=lambda qe: -qe[0])
        del self.good[self.config.repository_size :]
        if self.config.avoid_top_k:
            genes = frequent_closed_genes(
                [e for _, e in self.good], self.config.avoid_top_k, self.config.avoid_min_support
            )
            self.avoid = [g.text for g in genes]

    # ------------------------------------------------------------------ tree
    def select(self, tree: Tree) -> Node:
        """Descend by UCT with max-Q; stop where the virtual "expand here" action wins."""
        node = tree.root
        while node.children:
            log_n = math.log(max(node.visits, 1))
            best, best_value = None, node.reward + self.config.c * math.sqrt(log_n / len(node.children))
            for child in node.children:
                value = child.q + self.config.c * math.sqrt(log_n / max(child.visits, 1))
                if value > best_value:
                    best, best_value = child, value
            if best is None:
                return node
            node = best
        return node

    def _tried(self, node: Node) -> list[str]:
        near = [node, *node.children] + ([*node.parent.children] if node.parent else [])
        return list(dict.fromkeys(self.task.text(n.expr) for n in near))[:12]

    def _history(self, node: Node) -> list[str]:
        """Summaries along the path, and of the node's children and siblings."""
        near = node.path()[1:] + node.children + [s for s in (node.parent.children if node.parent else []) if s is not node]
        return [n.summary for n in near if n.summary][-10:]

    def start_from(self, exprs: Sequence[Expr]) -> dict[str, Any]:
        """Open a tree rooted at the best of ``exprs`` (user seeds), without an LLM call."""
        return self._plant(self._evaluate(exprs), "seeds")

    def step(self) -> dict[str, Any]:
        """Start a tree or expand the open one (up to ``concurrency`` nodes at once);
        returns what happened.  An LLM error of one of several concurrent calls is raised
        after the others' children are added."""
        if self.pending_error is not None:
            error, self.pending_error = self.pending_error, None
            raise error
        if self.tree is None or self.tree.spent or self.tree.expansions >= self.config.max_tree_expansions:
            return self._new_tree()
        if self.concurrency == 1:
            return self._expand(self.tree)
        return self._expand_many(self.tree)

    def _new_tree(self) -> dict[str, Any]:
        self.tree = None
        tried = [self.task.text(t.root.expr) for t in self.trees[-10:]]
        messages = self.task.seed_messages(self.config.n_per_call, self.avoid, tried)
        return self._plant(self._evaluate(self.ask(messages)), "seed")

    def _plant(self, nodes: list[Node], action: str) -> dict[str, Any]:
        if not nodes:
            return {"action": action, "children": 0}
        root = max(nodes, key=lambda n: n.reward)
        root.summary = f"started from `{self.task.text(root.expr)}` ({_metrics_text(root.metrics)})"
        self.tree = Tree(root, self.config.initial_budget, root.reward)
        self.trees.append(self.tree)
        return {"action": action, "children": len(nodes), "reward": root.reward}

    def _prompt_for(self, tree: Tree) -> tuple[Node, str, Messages]:
        node = self.select(tree)
        dimension = choose_dimension(
            node.scores, self.rng, e_max=self.config.e_max, temperature=self.config.dimension_temperature
        )
        messages = self.task.refine_messages(
            node, dimension, self._history(node), self.avoid, self._tried(node), self.config.n_per_call
        )
        return node, dimension, messages

    def _expand(self, tree: Tree) -> dict[str, Any]:
        node, dimension, messages = self._prompt_for(tree)
        tree.expansions += 1
        return self._attach(tree, node, dimension, self.ask(messages))

    def _expand_many(self, tree: Tree) -> dict[str, Any]:
        """Up to ``concurrency`` expansions of ``tree`` with their LLM calls in flight together."""
        k = min(self.concurrency, tree.budget - tree.expansions, self.config.max_tree_expansions - tree.expansions)
        chosen: list[tuple[Node, str, Messages]] = []
        for _ in range(max(1, k)):
            node, dimension, messages = self._prompt_for(tree)
            chosen.append((node, dimension, messages))
            for n in node.path():  # a virtual visit: the next selection looks elsewhere
                n.visits += 1
        for node, _, _ in chosen:
            for n in node.path():
                n.visits -= 1
        tree.expansions += len(chosen)
        replies = self.ask_many([m for _, _, m in chosen])
        infos = [self._attach(tree, node, dim, exprs) for (node, dim, _), exprs in zip(chosen, replies)]
        rewards = [i["reward"] for i in infos if "reward" in i]
        out: dict[str, Any] = {"action": "expand", "expansions": len(infos),
                               "children": sum(i["children"] for i in infos),
                               "record": any(i.get("record") for i in infos)}
        if rewards:
            out["reward"] = max(rewards)
        return out

    def _attach(self, tree: Tree, node: Node, dimension: str, exprs: list[Expr]) -> dict[str, Any]:
        """Score the formulas of one expansion and add the best as ``node``'s child."""
        candidates = self._evaluate(exprs)
        if not candidates:
            return {"action": "expand", "dimension": dimension, "children": 0}
        child = max(candidates, key=lambda n: n.reward)
        child.parent, child.dimension = node, dimension
        child.summary = (
            f"to improve {dimension}: `{self.task.text(node.expr)}` ({_metrics_text(node.metrics)}) -> "
            f"`{self.task.text(child.expr)}` ({_metrics_text(child.metrics)})"
        )
        node.children.append(child)
        for n in node.path():
            n.visits += 1
            n.q = max(n.q, child.reward)
        record = child.reward > tree.best_reward
        if record:
            tree.best_reward = child.reward
            tree.budget += self.config.budget_growth
        return {"action": "expand", "dimension": dimension, "children": len(candidates),
                "reward": child.reward, "record": record}


def _metrics_text(metrics: Mapping[str, float]) -> str:
    return ", ".join(f"{k} {v:.4g}" for k, v in metrics.items())


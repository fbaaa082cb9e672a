"""Monte Carlo tree search that builds one expression token by token.

Each committed token gets ``n_simulations`` simulations from the current root: walk down
the search tree by the selection rule, expand one node, finish the expression with the
Q-guided rollout policy, score it, and back the reward up (visit count, mean and max).
Then the child with the best reward seen below it is committed, keeping its sub-tree.

The selection score mixes the mean and the max reward below a child with a UCT bonus:
``(1 - max_weight) * mean + max_weight * max + exploration * sqrt(ln N / n)``.
``max_weight=1, exploration=0`` is the released RSRM code's rule, ``max_weight=0`` plain
UCT; children with fewer than ``min_visits`` visits are tried first.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from srkit.search.mcts.double_q import DoubleQTable
from srkit.search.mcts.grammar import Grammar, Partial

__all__ = ["TreeSearch", "Node"]


class Node:
    """One prefix in the search tree with its visit statistics."""

    __slots__ = ("partial", "children", "n", "total", "best")

    def __init__(self, partial: Partial) -> None:
        self.partial = partial
        self.children: dict[int, Node] | None = None
        self.n = 0
        self.total = 0.0
        self.best = -math.inf


class TreeSearch:
    """MCTS over one grammar, guided by a Q table (or by the prior alone when it is None).

    ``score(tokens) -> reward`` evaluates a complete token sequence; ``stop()`` is polled
    between simulations.
    """

    def __init__(
        self,
        grammar: Grammar,
        q: DoubleQTable | None,
        score: Callable[[tuple[int, ...]], float],
        *,
        n_simulations: int = 50,
        min_visits: int = 1,
        max_weight: float = 0.5,
        exploration: float = 0.5,
        p_leaf: float = 0.4,
        policy_mix: float = 0.5,
        temperature: float = 0.1,
    ) -> None:
        self.grammar = grammar
        self.q = q
        self.score = score
        self.n_simulations = n_simulations
        self.min_visits = min_visits
        self.max_weight = max_weight
        self.exploration = exploration
        self.p_leaf = p_leaf
        self.policy_mix = policy_mix
        self.temperature = temperature
        self.n_runs = 0

    # ------------------------------------------------------------------ policy
    def policy(self, p: Partial, allowed: list[int]) -> np.ndarray:
        """Rollout probabilities over ``allowed`` after prefix ``p``."""
        prior = self.grammar.prior(allowed, self.p_leaf)
        if self.q is None:
            return prior
        return self.q.policy(p.tokens, allowed, prior, self.policy_mix, self.temperature)

    def _sample(self, p: Partial, allowed: list[int], rng: np.random.Generator) -> int:
        w = self.policy(p, allowed)
        k = int(np.searchsorted(np.cumsum(w), rng.random() * w.sum()))
        return allowed[min(k, len(allowed) - 1)]

    def _select(self, node: Node, rng: np.random.Generator) -> Node:
        children = node.children
        assert children is not None
        fresh = [a for a, c in children.items() if c.n < self.min_visits]
        if fresh:
            return children[self._sample(node.partial, fresh, rng)]
        log_n = math.log(max(node.n, 1))
        bw, c = self.max_weight, self.exploration
        best_a, best_s = -1, -math.inf
        for a, ch in children.items():
            s = (1 - bw) * ch.total / ch.n + bw * ch.best + c * math.sqrt(log_n / ch.n)
            if s > best_s:
                best_a, best_s = a, s
        return children[best_a]

    # ------------------------------------------------------------------ search
    def simulate(self, root: Node, rng: np.random.Generator) -> float:
        """One simulation from ``root``; returns its reward."""
        g = self.grammar
        node, path = root, [root]
        while node.children is not None and node.partial.slots:
            node = self._select(node, rng)
            path.append(node)
        if node.partial.slots:  # expand
            node.children = {a: Node(g.step(node.partial, a)) for a in g.allowed(node.partial)}
            node = node.children[self._sample(node.partial, list(node.children), rng)]
            path.append(node)
        p = node.partial
        while p.slots:  # rollout
            p = g.step(p, self._sample(p, g.allowed(p), rng))
        reward = self.score(p.tokens)
        for n in path:
            n.n += 1
            n.total += reward
            if reward > n.best:
                n.best = reward
        if self.q is not None:
            tokens = p.tokens
            self.q.update_trajectory([tokens[:t] for t in range(len(tokens))], tokens, reward, rng)
        return reward

    def run(self, rng: np.random.Generator, stop: Callable[[], bool], root: Partial | None = None) -> tuple[int, ...]:
        """Build one expression (from ``root``, default empty); returns its tokens."""
        self.n_runs += 1
        node = Node(root if root is not None else self.grammar.start())
        while node.partial.slots:
            for _ in range(self.n_simulations):
                self.simulate(node, rng)
                if stop():
                    return node.partial.tokens
            assert node.children is not None
            # commit the token below which the best expression was found (ties: most visits)
            node = max(node.children.values(), key=lambda c: (c.best, c.n))
        return node.partial.tokens
